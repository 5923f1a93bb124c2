"""Calling an API destination: one HTTP request per attempt, with its connection's authorization.

The request goes to the destination's InvocationEndpoint with its HttpMethod; the target's
HttpParameters fill the endpoint's ``*`` (PathParameterValues, in order) and add headers and
query parameters, and the connection's InvocationHttpParameters add theirs (the connection's
win where both name one; unverified). Authorization: Basic, an API key header, or an OAuth
client-credentials token, obtained from the AuthorizationEndpoint and kept until it expires
on the service clock (or until the endpoint answers 401/407).

An answer must come within 5 seconds (AWS's documented limit). A 2xx answer is a delivery;
401, 407, 408, 409, 429 (throttled) and 5xx answers, timeouts and connection failures are
retried by the target's retry policy; any other answer is final (the developer guide's list,
recalled; unverified). Requests go through core/http_client.py.
"""

from __future__ import annotations

import asyncio
import base64
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import orjson

from cloudlet.core import http_client
from cloudlet.core.delivery import DeliveryFailure
from cloudlet.core.http_client import Answer
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.events.connections import (
    API_KEY,
    BASIC,
    DEAUTHORIZED,
    DEFAULT_RATE,
    OAUTH,
    ApiDestination,
    Connection,
    auth_of_secret,
    find_connection,
    find_destination,
)

if TYPE_CHECKING:
    from cloudlet.services.events.connections import ConnectionsApi

TIMEOUT = 5.0  # seconds of real time an endpoint has to answer (documented)
MAX_BODY = 1_048_576  # bytes of an answer read at most (EventBridge asks for bytes=0-1048575)
USER_AGENT = "Amazon/EventBridge/ApiDestinations"  # unverified: recalled
ERROR_CODE = "SDK_CLIENT_ERROR"  # unverified: the dead-letter ERROR_CODE of a failed call
RETRIED = frozenset({401, 407, 408, 409, 429})
NO_BODY = frozenset({"GET", "HEAD"})  # unverified: methods sent without the event


async def http_request(
    method: str, url: str, headers: list[tuple[str, str]], body: bytes | None, timeout: float = TIMEOUT
) -> Answer:
    """One HTTP exchange (core/http_client.py); raises OSError, TimeoutError or ValueError."""
    return await http_client.request(method, url, headers, body, timeout=timeout, max_body=MAX_BODY)


# ---- request parts --------------------------------------------------------------------------


def _pairs(http: dict[str, Any] | None, member: str) -> list[tuple[str, str]]:
    return [(p.get("Key") or "", p.get("Value") or "") for p in (http or {}).get(member) or []]


def endpoint_url(
    endpoint: str, target: dict[str, Any] | None, connection_query: list[tuple[str, str]]
) -> str:
    """The URL called: ``*`` filled from PathParameterValues, query parameters added."""
    url = endpoint
    for value in (target or {}).get("PathParameterValues") or []:
        if "*" not in url:
            break
        url = url.replace("*", str(value), 1)
    parts = urlsplit(url)
    query: dict[str, str] = dict(parse_qsl(parts.query, keep_blank_values=True))
    query.update({str(k): str(v) for k, v in ((target or {}).get("QueryStringParameters") or {}).items()})
    query.update(dict(connection_query))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), parts.fragment))


def _with_body_parameters(body: str, params: list[tuple[str, str]]) -> str:
    """The connection's BodyParameters added to a JSON object body (unverified: how AWS merges)."""
    if not params:
        return body
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return body
    if not isinstance(value, dict):
        return body
    value.update(dict(params))
    return orjson.dumps(value).decode()


class _Headers:
    """Request headers, a later value replacing an earlier one of the same name."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[str, str]] = {}

    def set(self, name: str, value: str) -> None:
        self.items[name.lower()] = (name, value)

    def pairs(self) -> list[tuple[str, str]]:
        return list(self.items.values())


# ---- OAuth ----------------------------------------------------------------------------------


async def fetch_token(provider: ConnectionsApi, connection: Connection) -> str:
    """The connection's OAuth access token: the cached one while it lasts, else a new one from
    the AuthorizationEndpoint (client id and secret as Basic authorization, the
    OAuthHttpParameters as headers, query and form body; unverified: AWS's exact request).
    Records the connection AUTHORIZED, or DEAUTHORIZED when refused; raises DeliveryFailure."""
    arn = connection.arn
    lock = provider.oauth_locks.setdefault(arn, asyncio.Lock())
    async with lock:
        cached = provider.oauth_tokens.get(arn)
        if cached is not None and (cached[1] is None or cached[1] > provider.clock.now()):
            return cached[0]
        oauth = _auth(provider, connection).get("OAuthParameters") or {}
        client = oauth.get("ClientParameters") or {}
        extra = oauth.get("OAuthHttpParameters") or {}
        method = (oauth.get("HttpMethod") or "POST").upper()
        pair = f"{client.get('ClientID') or ''}:{client.get('ClientSecret') or ''}"
        headers = _Headers()
        headers.set("User-Agent", USER_AGENT)
        headers.set("Accept", "application/json")
        for name, value in _pairs(extra, "HeaderParameters"):
            headers.set(name, value)
        headers.set("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
        query = _pairs(extra, "QueryStringParameters")
        form = _pairs(extra, "BodyParameters")
        body: bytes | None = None
        if method == "GET":
            query += form
        else:
            body = urlencode(form).encode()
            headers.set("Content-Type", "application/x-www-form-urlencoded")
        url = endpoint_url(oauth.get("AuthorizationEndpoint") or "", None, query)
        try:
            answer = await http_request(method, url, headers.pairs(), body)
        except TimeoutError as exc:
            provider.connection_authorized(arn, False, "Timeout while requesting the OAuth token")
            raise DeliveryFailure(
                ERROR_CODE, "The OAuth authorization endpoint did not answer in time."
            ) from exc
        except (OSError, ValueError) as exc:
            provider.connection_authorized(
                arn, False, f"Failed to connect to the authorization endpoint: {exc}"
            )
            raise DeliveryFailure(
                ERROR_CODE, f"Failed to connect to the authorization endpoint: {exc}"
            ) from exc
        token, expires = _token_of(answer)
        if token is None:
            reason = f"The authorization endpoint answered {answer.status} without an access token"
            provider.connection_authorized(arn, False, reason)  # unverified: AWS's StateReason
            retried = answer.status >= 500 or answer.status in RETRIED
            raise DeliveryFailure(ERROR_CODE, reason + ".", final=not retried, throttled=answer.status == 429)
        now = provider.clock.now()
        provider.oauth_tokens[arn] = (token, now + expires if expires else None)
        provider.connection_authorized(arn, True)
        return token


def _token_of(answer: Answer) -> tuple[str | None, float | None]:
    if not 200 <= answer.status < 300:
        return None, None
    try:
        data = orjson.loads(answer.body or b"{}")
    except orjson.JSONDecodeError:
        return None, None
    if not isinstance(data, dict) or not isinstance(data.get("access_token"), str):
        return None, None
    expires = data.get("expires_in")
    try:
        seconds = float(expires) if expires is not None else None
    except (TypeError, ValueError):
        seconds = None
    return data["access_token"], seconds if seconds and seconds > 0 else None


def _auth(provider: ConnectionsApi, connection: Connection) -> dict[str, Any]:
    """The connection's AuthParameters with their secret values, read from its Secrets Manager
    secret (connections.py ``connection_secret``) on every call."""
    try:
        return auth_of_secret(connection.auth_type, provider.connection_secret(connection))
    except ServiceError as exc:
        # unverified: what AWS reports when the connection's secret is gone
        raise DeliveryFailure(
            "NO_RESOURCE", f"The secret of connection {connection.name}: {exc.message}", final=True
        ) from exc


# ---- the call ---------------------------------------------------------------------------------


def invocation_rate(provider: ConnectionsApi, destination_arn: str) -> int | None:
    """The destination's InvocationRateLimitPerSecond (None: no such destination)."""
    destination = find_destination(provider.store, destination_arn)
    return int(destination.data["InvocationRateLimitPerSecond"]) if destination else None


def _take_rate_slot(provider: ConnectionsApi, destination: ApiDestination) -> None:
    """Count a call against the destination's InvocationRateLimitPerSecond (per second of the
    service clock); beyond it the delivery waits for the next second, as a throttled attempt
    (not a retry; still bounded by the target's MaximumEventAgeInSeconds)."""
    limit = int(destination.data.get("InvocationRateLimitPerSecond") or DEFAULT_RATE)
    now = provider.clock.now()
    second = int(now)
    windows: dict[str, tuple[int, int]] = provider.__dict__.setdefault("_destination_rates", {})
    start, count = windows.get(destination.arn, (second, 0))
    if start != second:
        start, count = second, 0
    if count >= limit:
        raise DeliveryFailure(
            "THROTTLING",
            f"Invocation rate of {destination.name} exceeded.",
            throttled=True,
            retry_after=second + 1 - now,
        )  # unverified: the code AWS records for an attempt over the rate
    windows[destination.arn] = (start, count + 1)


async def call_api_destination(
    provider: ConnectionsApi,
    destination_arn: str,
    body: str,
    http_parameters: dict[str, Any] | None,
    headers: dict[str, str] | None = None,
) -> None:
    """Send ``body`` to the API destination ``destination_arn``; DeliveryFailure on failure."""
    destination = find_destination(provider.store, destination_arn)
    if destination is None:
        # unverified: the error code and message AWS records
        raise DeliveryFailure("NO_RESOURCE", f"API destination {destination_arn} does not exist.", final=True)
    _take_rate_slot(provider, destination)
    connection = find_connection(provider.store, destination.connection_arn)
    if connection is None:
        raise DeliveryFailure(
            "NO_RESOURCE", f"Connection {destination.connection_arn} does not exist.", final=True
        )  # unverified
    if connection.state == DEAUTHORIZED and (
        connection.auth_type != OAUTH or connection.data.get("Deauthorized")
    ):
        raise DeliveryFailure(
            "NO_PERMISSIONS", f"Connection {connection.name} is not authorized.", final=True
        )  # unverified
    auth = _auth(provider, connection)
    invocation = auth.get("InvocationHttpParameters") or {}
    method = destination.data["HttpMethod"]
    request_headers = _Headers()
    # unverified: the headers EventBridge adds, as recalled from the developer guide
    request_headers.set("User-Agent", USER_AGENT)
    request_headers.set("Content-Type", "application/json; charset=utf-8")
    request_headers.set("Range", f"bytes=0-{MAX_BODY - 1}")
    request_headers.set("Accept-Encoding", "gzip,deflate")
    for name, value in ((http_parameters or {}).get("HeaderParameters") or {}).items():
        request_headers.set(str(name), str(value))
    for name, value in _pairs(invocation, "HeaderParameters"):
        request_headers.set(name, value)
    for name, value in (headers or {}).items():
        request_headers.set(name, value)
    token: str | None = None
    if connection.auth_type == BASIC:
        basic = auth.get("BasicAuthParameters") or {}
        pair = f"{basic.get('Username') or ''}:{basic.get('Password') or ''}"
        request_headers.set("Authorization", "Basic " + base64.b64encode(pair.encode()).decode())
    elif connection.auth_type == API_KEY:
        key = auth.get("ApiKeyAuthParameters") or {}
        request_headers.set(key.get("ApiKeyName") or "x-api-key", key.get("ApiKeyValue") or "")
    elif connection.auth_type == OAUTH:
        token = await fetch_token(provider, connection)
        request_headers.set("Authorization", f"Bearer {token}")
    url = endpoint_url(
        destination.data["InvocationEndpoint"], http_parameters, _pairs(invocation, "QueryStringParameters")
    )
    payload = (
        None
        if method in NO_BODY
        else _with_body_parameters(body, _pairs(invocation, "BodyParameters")).encode()
    )
    try:
        answer = await http_request(method, url, request_headers.pairs(), payload)
    except TimeoutError as exc:
        raise DeliveryFailure(
            ERROR_CODE, f"The endpoint did not answer within {TIMEOUT:.0f} seconds."
        ) from exc
    except (OSError, ValueError) as exc:
        raise DeliveryFailure(ERROR_CODE, f"Unable to invoke ApiDestination endpoint: {exc}") from exc
    status = answer.status
    if 200 <= status < 300:
        return
    if token is not None and status in (401, 407):
        cached = provider.oauth_tokens.get(connection.arn)
        if cached is not None and cached[0] == token:
            del provider.oauth_tokens[connection.arn]  # a new token for the next attempt
    message = f"Unable to invoke ApiDestination endpoint: the endpoint answered HTTP {status}."  # unverified
    retried = status >= 500 or status in RETRIED
    raise DeliveryFailure(ERROR_CODE, message, final=not retried, throttled=status == 429)
