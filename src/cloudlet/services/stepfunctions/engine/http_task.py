"""HTTP Tasks: ``arn:aws:states:::http:invoke``, one HTTPS call through an EventBridge connection.

The task's parameters (``Parameters`` or JSONata ``Arguments``):

- ``ApiEndpoint`` (the URL) and ``Method`` (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD);
- ``Authentication.ConnectionArn`` (or ``InvocationConfig.ConnectionArn``): an EventBridge
  connection, whose authorization (Basic, API key, OAuth client credentials, the OAuth token
  cached by EventBridge) and InvocationHttpParameters (headers, query and body parameters) are
  added to the request, read through ``events/connections.py`` and
  ``events/api_destination_call.py`` as API destinations use them;
- ``Headers``, ``QueryParameters`` (objects; an array value repeats its key), ``RequestBody``
  (sent as JSON, or a string as it is);
- ``Transform``: ``RequestBodyEncoding: URL_ENCODED`` sends the body object as a form, arrays per
  ``RequestEncodingOptions.ArrayFormat`` (``INDICES`` by default, ``BRACKETS``, ``COMMAS``,
  ``REPEAT``), nested objects as ``key[inner]``.

The result is ``{"Headers": {name: [values]}, "ResponseBody": …, "StatusCode": n,
"StatusText": "…"}``, the body parsed when the answer is JSON. An answer other than 2xx fails
the task with ``States.Http.StatusCode.<code>`` (the result's JSON as cause); no answer within
60 seconds (real time: it is network time), or no connection to the endpoint, with
``States.Http.Socket``. Headers AWS reserves are refused (``States.Runtime``).
"""

from __future__ import annotations

import base64
import http
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import orjson

from cloudlet.core import http_client
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.engine.integrations import IntegrationError
from cloudlet.services.stepfunctions.engine.values import dumps

TIMEOUT_S = 60.0  # an endpoint's time to answer (the developer guide: States.Http.Socket after 60 s)
MAX_RESPONSE = 262_144  # bytes of an answer read (unverified: the Range AWS asks for)
METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
ARRAY_FORMATS = frozenset({"BRACKETS", "COMMAS", "INDICES", "REPEAT"})
SOCKET = "States.Http.Socket"
STATUS_PREFIX = "States.Http.StatusCode."
# Request headers a task may not set (the developer guide's list; unverified as to the error).
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in [
        "A-IM",
        "Accept-Charset",
        "Accept-Datetime",
        "Accept-Encoding",
        "Cache-Control",
        "Connection",
        "Content-Encoding",
        "Content-MD5",
        "Date",
        "Expect",
        "Forwarded",
        "From",
        "Host",
        "HTTP2-Settings",
        "If-Match",
        "If-Modified-Since",
        "If-None-Match",
        "If-Range",
        "If-Unmodified-Since",
        "Max-Forwards",
        "Origin",
        "Pragma",
        "Proxy-Authorization",
        "Referer",
        "Server",
        "TE",
        "Trailer",
        "Transfer-Encoding",
        "Upgrade",
        "Via",
        "Warning",
        "Content-Length",
    ]
)
RESERVED_PREFIXES = ("x-forwarded-", "x-amz-", "x-amzn-")


def _fail(message: str) -> IntegrationError:
    return IntegrationError(errors.RUNTIME, message)  # unverified: AWS's wording of a bad task


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return dumps(value)


def _object(params: dict[str, Any], field: str) -> dict[str, Any]:
    value = params.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _fail(f"The field '{field}' must be a JSON object.")
    return value


# ---- the request -----------------------------------------------------------------------------


def form_pairs(body: Any, array_format: str = "INDICES") -> list[tuple[str, str]]:
    """A JSON object as URL-encoded form pairs (``Transform.RequestBodyEncoding: URL_ENCODED``)."""
    if not isinstance(body, dict):
        raise _fail("The RequestBody must be a JSON object to be URL encoded.")
    pairs: list[tuple[str, str]] = []

    def add(key: str, value: Any) -> None:
        if isinstance(value, dict):
            for inner, item in value.items():
                add(f"{key}[{inner}]", item)  # unverified: nested objects
        elif isinstance(value, list):
            if array_format == "COMMAS":
                pairs.append((key, ",".join(_text(v) for v in value)))
            for i, item in enumerate(value):
                if array_format == "INDICES":
                    add(f"{key}[{i}]", item)
                elif array_format == "BRACKETS":
                    add(f"{key}[]", item)
                elif array_format == "REPEAT":
                    add(key, item)
        else:
            pairs.append((key, _text(value)))

    for key, value in body.items():
        add(str(key), value)
    return pairs


def _url(endpoint: str, query: list[tuple[str, str]]) -> str:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _fail(f"The ApiEndpoint '{endpoint}' is not a valid URL.")
    pairs = parse_qsl(parts.query, keep_blank_values=True) + query
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(pairs, quote_via=quote), ""))


def _query(params: dict[str, Any]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for key, value in _object(params, "QueryParameters").items():
        for item in value if isinstance(value, list) else [value]:
            out.append((str(key), _text(item)))
    return out


class _Headers:
    """Request headers, a later value replacing an earlier one of the same name."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[str, str]] = {}

    def set(self, name: str, value: str) -> None:
        self.items[name.lower()] = (name, value)

    def has(self, name: str) -> bool:
        return name.lower() in self.items

    def pairs(self) -> list[tuple[str, str]]:
        return list(self.items.values())


def _connection_arn(params: dict[str, Any]) -> str:
    for member in ("Authentication", "InvocationConfig"):
        holder = params.get(member)
        if isinstance(holder, dict) and isinstance(holder.get("ConnectionArn"), str):
            return holder["ConnectionArn"]
    raise _fail("The field 'Authentication.ConnectionArn' is required.")


async def _authorize(
    runtime: Any, arn: str, headers: _Headers
) -> tuple[list[tuple[str, str]], dict[str, str]]:
    """The connection's authorization added to ``headers``; its extra query and body parameters."""
    from cloudlet.services.events import api_destination_call as calls
    from cloudlet.services.events import connections as conns

    events = runtime.load("events")
    connection = conns.find_connection(events.store, arn) if events is not None else None
    if connection is None:
        # unverified: the error AWS names for a connection that does not exist
        raise IntegrationError(
            "Events.ConnectionResource.ResourceNotFound", f"Connection {arn} does not exist."
        )
    if connection.state == conns.DEAUTHORIZED and (
        connection.auth_type != conns.OAUTH or connection.data.get("Deauthorized")
    ):
        raise IntegrationError(
            "Events.ConnectionResource.InvalidConnectionState",
            f"Connection {connection.name} is in the {connection.state} state.",
        )  # unverified: the cause
    try:
        auth = conns.auth_of_secret(connection.auth_type, events.connection_secret(connection))
    except ServiceError as exc:
        raise IntegrationError("Events.ConnectionResource.AccessDenied", exc.message) from None  # unverified
    invocation = auth.get("InvocationHttpParameters") or {}

    def pairs(member: str) -> list[tuple[str, str]]:
        return [(p.get("Key") or "", p.get("Value") or "") for p in invocation.get(member) or []]

    for name, value in pairs("HeaderParameters"):
        headers.set(name, value)
    if connection.auth_type == conns.BASIC:
        basic = auth.get("BasicAuthParameters") or {}
        pair = f"{basic.get('Username') or ''}:{basic.get('Password') or ''}"
        headers.set("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    elif connection.auth_type == conns.API_KEY:
        key = auth.get("ApiKeyAuthParameters") or {}
        headers.set(key.get("ApiKeyName") or "x-api-key", key.get("ApiKeyValue") or "")
    elif connection.auth_type == conns.OAUTH:
        try:
            token = await calls.fetch_token(events, connection)
        except Exception as exc:  # DeliveryFailure: the token endpoint refused or did not answer
            raise IntegrationError(
                "Events.ConnectionResource.InvalidConnectionState", f"OAuth authorization failed: {exc}"
            ) from None  # unverified
        headers.set("Authorization", f"Bearer {token}")
    return pairs("QueryStringParameters"), dict(pairs("BodyParameters"))


def _body(params: dict[str, Any], body_params: dict[str, str], headers: _Headers) -> bytes | None:
    if "RequestBody" not in params and not body_params:
        return None
    body = params.get("RequestBody")
    transform = _object(params, "Transform")
    encoding = transform.get("RequestBodyEncoding", "NONE")
    if encoding not in ("NONE", "URL_ENCODED"):
        raise _fail(f"The RequestBodyEncoding '{encoding}' is not supported.")
    if encoding == "URL_ENCODED":
        options = transform.get("RequestEncodingOptions") or {}
        array_format = options.get("ArrayFormat", "INDICES") if isinstance(options, dict) else "INDICES"
        if array_format not in ARRAY_FORMATS:
            raise _fail(f"The ArrayFormat '{array_format}' is not supported.")
        pairs = form_pairs(body if body is not None else {}, array_format) + list(body_params.items())
        if not headers.has("Content-Type"):
            headers.set("Content-Type", "application/x-www-form-urlencoded")
        return urlencode(pairs, quote_via=quote).encode()
    if body_params and (body is None or isinstance(body, dict)):
        body = {**(body or {}), **body_params}  # unverified: how a connection's body parameters join
    if not headers.has("Content-Type"):
        headers.set("Content-Type", "application/json; charset=UTF-8")  # unverified
    return (body if isinstance(body, str) else dumps(body)).encode()


# ---- the call --------------------------------------------------------------------------------


async def invoke(runtime: Any, value: Any, region: str) -> dict[str, Any]:
    """Make the HTTP Task's call; its result, or IntegrationError (TaskFailed)."""
    if not isinstance(value, dict):
        raise _fail("The HTTP Task's parameters must be a JSON object.")
    endpoint = value.get("ApiEndpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise _fail("The field 'ApiEndpoint' is required.")
    method = value.get("Method")
    if not isinstance(method, str) or method.upper() not in METHODS:
        raise _fail(f"The Method '{method}' is not supported; use one of {', '.join(sorted(METHODS))}.")
    method = method.upper()
    headers = _Headers()
    headers.set("User-Agent", f"Amazon|StepFunctions|HttpInvoke|{region}")  # unverified
    headers.set("Range", f"bytes=0-{MAX_RESPONSE}")  # unverified
    for name, item in _object(value, "Headers").items():
        lowered = str(name).lower()
        if lowered in RESERVED_HEADERS or lowered.startswith(RESERVED_PREFIXES):
            raise _fail(f"The header '{name}' is not allowed.")
        headers.set(str(name), _text(item))
    connection_query, body_params = await _authorize(runtime, _connection_arn(value), headers)
    url = _url(endpoint, _query(value) + connection_query)
    body = _body(value, body_params, headers)
    try:
        answer = await http_client.request(
            method, url, headers.pairs(), body, timeout=TIMEOUT_S, max_body=MAX_RESPONSE
        )
    except TimeoutError:
        raise IntegrationError(
            SOCKET, f"The endpoint did not answer within {TIMEOUT_S:.0f} seconds."
        ) from None
    except (OSError, ValueError) as exc:
        raise IntegrationError(SOCKET, f"Unable to reach the endpoint: {exc}") from None  # unverified
    result = response(answer)
    if not 200 <= answer.status < 300:
        raise IntegrationError(f"{STATUS_PREFIX}{answer.status}", dumps(result))  # unverified: the cause
    return result


def response(answer: http_client.Answer) -> dict[str, Any]:
    """The task's result from an HTTP answer."""
    body: Any = answer.body.decode("utf-8", "replace")
    content_type = answer.headers.get("content-type", "")
    if "json" in content_type.lower() and body:
        try:
            body = orjson.loads(answer.body)
        except orjson.JSONDecodeError:
            pass
    try:
        text = http.HTTPStatus(answer.status).phrase
    except ValueError:
        text = ""
    return {
        "Headers": {name: [value] for name, value in answer.headers.items()},
        "ResponseBody": body,
        "StatusCode": answer.status,
        "StatusText": text,
    }
