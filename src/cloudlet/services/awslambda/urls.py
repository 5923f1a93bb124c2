"""Lambda function URLs, served: the request as a payload format 2.0 event, the function run
through the one run path (``LambdaProvider.run``), its result as the HTTP answer, with the URL's
auth type and CORS configuration applied as AWS applies them.

Two ways in (entry.py registers both):

- the URL as created, ``http://<url-id>.lambda-url.<region>.localhost:<port>/<path>`` (any
  port: ``*.localhost`` names resolve to the loopback address);
- ``http://<cloudlet>/_lambda/url/<url-id>/<path>``, for clients that cannot resolve wildcard
  host names; the function sees the same event (``rawPath`` is ``/<path>``, ``domainName`` the
  URL's own host name) but the ``host`` header the client sent.

Answers not found in recordings or AWS's guides are marked ``# unverified``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import ids
from cloudlet.core.policy import PolicyError, Source, context_of, evaluate, parse_policy
from cloudlet.core.policy import Request as PolicyRequest
from cloudlet.gateway.detect import account_for, parse_credentials
from cloudlet.gateway.request import Request
from cloudlet.gateway.signatures import Refusal
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front
    from cloudlet.services.awslambda.executor import Outcome
    from cloudlet.services.awslambda.names import FunctionRef
    from cloudlet.services.awslambda.provider import LambdaProvider

log = logging.getLogger("cloudlet.lambda.urls")

PATH = "/_lambda/url/"
MAX_EVENT = 6291456  # bytes: Invoke's request limit (invoke.MAX_REQUEST), which URLs share
MAX_RESULT = 6291556  # bytes: invoke.MAX_RESPONSE
FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)  # recorded (a NONE URL without permission, an alias URL whose alias was deleted)
INTERNAL = b"Internal Server Error"  # a function error, as AWS answers it (502)
TOO_LARGE = f"Request must be smaller than {MAX_EVENT} bytes for the InvokeFunction operation"  # unverified

_HOST = re.compile(r"^([a-z0-9]{1,63})\.lambda-url\.([a-z0-9-]{1,40})\.localhost$")
_URL_ID = re.compile(r"^[a-z0-9]{32}$")
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP field name or method
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # what no header value may hold (tab may)
_ORIGIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~%!$&'()*+,;=:\[\]-]+$|^null$")
# Bodies sent as text; everything else, no Content-Type included, is base64 (what HTTP APIs do
# with payload format 2.0, which function URLs share: reported for HTTP APIs, unverified here).
_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})
# What the HTTP layer frames itself: a function's own values would contradict it.
_FRAMING = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "te", "trailer"}
)


# ---- claiming requests ------------------------------------------------------------------------


def addressed(front: Front, request: Request) -> bool:
    """Whether the Host is a function URL's (``<id>.lambda-url.<region>.localhost``, any port)."""
    return _HOST.match(_host_name(request.host)) is not None


def serve_host(front: Front, request: Request) -> Any:
    """A request to a URL's own host name."""
    name = _host_name(request.host)
    m = _HOST.match(name)
    if m is None:  # addressed() claimed it, so never
        return error(403, "AccessDeniedException", None, ids.uuid4())
    return _serve(front, request, m[1], m[2], request.path or "/", name)


def serve_path(front: Front, request: Request) -> Any:
    """A request to ``/_lambda/url/<url-id>/<path>`` on Cloudlet's own address."""
    url_id, slash, rest = request.path[len(PATH) :].partition("/")
    return _serve(front, request, url_id, None, "/" + rest if slash else "/", None)


def _host_name(host: str) -> str:
    return host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.lower()


# ---- the URL a request names ------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionUrl:
    """A function URL config as stored (settings.py), and what it targets."""

    url_id: str
    config: dict[str, Any]
    ref: FunctionRef

    @property
    def auth_type(self) -> str:
        return str(self.config.get("AuthType") or "NONE")

    @property
    def cors(self) -> dict[str, Any] | None:
        return self.config.get("Cors") or None

    @property
    def streamed(self) -> bool:
        return self.config.get("InvokeMode") == "RESPONSE_STREAM"

    @property
    def domain(self) -> str:
        return f"{self.url_id}.lambda-url.{self.ref.region}.localhost"


def find(provider: LambdaProvider, url_id: str, region: str | None) -> FunctionUrl | None:
    """The URL with id ``url_id`` (in ``region`` when the host names one), if it exists."""
    from cloudlet.services.awslambda.names import ref_of_arn

    if not _URL_ID.match(url_id):
        return None
    config = provider.db.url_config(url_id)
    if config is None:
        return None
    try:
        ref = ref_of_arn(str(config.get("FunctionArn") or ""))
    except (ServiceError, ValueError):
        return None
    if region is not None and ref.region != region:
        return None
    return FunctionUrl(url_id, config, ref)


# ---- answering --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    """Who signed a request to an ``AWS_IAM`` URL (``requestContext.authorizer.iam``)."""

    access_key: str
    account: str
    arn: str
    user_id: str

    def iam(self) -> dict[str, Any]:
        return {
            "accessKey": self.access_key,
            "accountId": self.account,
            "callerId": self.user_id,
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": self.arn,
            "userId": self.user_id,
        }


class Refused(Exception):
    """A request answered without running the function."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


async def _serve(
    front: Front, request: Request, url_id: str, region: str | None, raw_path: str, domain: str | None
) -> Response:
    request_id = ids.uuid4()
    provider: Any = front.runtime.load("lambda")
    url = find(provider, url_id, region) if provider is not None else None
    if url is None:  # recorded: an id no URL has
        return error(403, "AccessDeniedException", None, request_id)
    try:
        if url.cors and is_preflight(request):  # Lambda answers it; the function is not run
            return Response(200, preflight_headers(url.cors, request) + _id_header(request_id), b"")
        if _body_size(request) > MAX_EVENT:
            raise Refused(error(413, "RequestEntityTooLargeException", TOO_LARGE, request_id))
        caller = await authorize(front, provider, url, request, request_id)
        answer = await _invoke(provider, url, request, caller, raw_path, domain or url.domain, request_id)
    except Refused as refused:
        answer = refused.response
    except Exception:  # a bug of ours: the function's caller gets a 500, not a traceback
        log.exception("function URL %s failed", url_id)
        answer = error(500, "ServiceException", "An internal error occurred.", request_id)  # unverified
    if url.cors:
        add_cors(url.cors, request, answer)
    return answer


async def _invoke(
    provider: LambdaProvider,
    url: FunctionUrl,
    request: Request,
    caller: Caller | None,
    raw_path: str,
    domain: str,
    request_id: str,
) -> Response:
    from cloudlet.services.awslambda.executor import unsupported

    try:
        config, alias = provider.resolve(url.ref)
    except ServiceError:  # the alias went away (recorded: Forbidden)
        raise Refused(error(403, "AccessDeniedException", FORBIDDEN, request_id)) from None
    missing = unsupported(config.get("Runtime"))
    if missing is not None:
        message = f"The operation Invoke ({missing}) is not implemented by Cloudlet yet."
        raise Refused(error(501, "NotImplemented", message, request_id))
    now = provider.clock.now()
    trace = request.headers.get("x-amzn-trace-id") or _trace_id(now, request_id)
    event = build_event(request, url, caller, raw_path, domain, request_id, now, trace)
    payload = orjson.dumps(event)
    if len(payload) > MAX_EVENT:
        raise Refused(error(413, "RequestEntityTooLargeException", TOO_LARGE, request_id))
    try:
        outcome, _ = await provider.run(url.ref, config, alias, payload, request_id)
    except ServiceError as exc:  # throttled (429 as AWS documents for URLs), ...
        raise Refused(error(exc.status, exc.code, exc.message, request_id)) from None
    extra = [*_id_header(request_id), ("X-Amzn-Trace-Id", _safe(trace))]
    if outcome.error or len(outcome.payload) > MAX_RESULT:
        return Response(502, [("Content-Type", "application/json"), *extra], INTERNAL)  # unverified: the type
    try:
        status, headers, body = streamed_answer(outcome) if url.streamed else buffered_answer(outcome.payload)
    except MalformedResult:  # unverified: answered like a function error
        return Response(502, [("Content-Type", "application/json"), *extra], INTERNAL)
    return Response(status, headers + extra, body)


def error(status: int, code: str, message: str | None, request_id: str) -> Response:
    """An answer Lambda gives itself: ``{"Message": ...}`` and ``x-amzn-ErrorType`` (recorded
    for 403s; other statuses take the same form: unverified)."""
    headers = [("Content-Type", "application/json"), ("x-amzn-ErrorType", code), *_id_header(request_id)]
    return Response(status, headers, orjson.dumps({"Message": message}))


def _id_header(request_id: str) -> list[tuple[str, str]]:
    return [("x-amzn-RequestId", request_id)]


def _body_size(request: Request) -> int:
    if request.body_file is not None:
        return os.fstat(request.body_file.fileno()).st_size
    return len(request.body)


# ---- auth ----------------------------------------------------------------------------------


async def authorize(
    front: Front, provider: LambdaProvider, url: FunctionUrl, request: Request, request_id: str
) -> Caller | None:
    """The caller of an ``AWS_IAM`` URL (None for ``NONE``), or :class:`Refused` with 403.

    ``NONE``: the resource policy (of the URL's alias, or of the function) must allow
    ``lambda:InvokeFunctionUrl`` to anyone, given ``lambda:FunctionUrlAuthType`` = ``NONE``.
    ``AWS_IAM``: a SigV4 signature for ``lambda`` with a key Cloudlet knows (configured or
    issued), checked whatever ``--verify-signatures`` says; a caller of another account also
    needs the resource policy to allow it. Identity policies are not evaluated (Cloudlet
    enforces no IAM policy yet), so a caller of the function's own account is let in unless
    the resource policy denies it."""
    forbidden = Refused(error(403, "AccessDeniedException", FORBIDDEN, request_id))
    if url.auth_type != "AWS_IAM":
        if not _policy_allows(provider, url, None, request):
            raise forbidden
        return None
    caller = await _signed_caller(front, url, request, request_id)
    if not _policy_allows(provider, url, caller, request):
        raise forbidden
    return caller


async def _signed_caller(front: Front, url: FunctionUrl, request: Request, request_id: str) -> Caller:
    creds = parse_credentials(request)
    if creds.scheme != "sigv4" or creds.malformed or not _complete_sigv4(request):
        raise Refused(error(403, "AccessDeniedException", FORBIDDEN, request_id))  # unverified for IAM
    if creds.signing_name != "lambda":  # unverified: AWS's wording
        message = "Credential should be scoped to correct service: 'lambda'."
        raise Refused(error(403, "InvalidSignatureException", message, request_id))
    if creds.region != url.ref.region:  # unverified: AWS's wording
        message = "Credential should be scoped to a valid region."
        raise Refused(error(403, "InvalidSignatureException", message, request_id))
    verdict = front.dispatcher.signatures.check(request, creds, strict=True)
    if verdict is not None and not isinstance(verdict, Refusal):
        verdict = await verdict
    if verdict is not None:
        refused = verdict.error("lambda", "rest-json")
        raise Refused(error(403, refused.code, refused.message, request_id))  # unverified: the form
    principal = front.runtime.credentials.lookup(creds.access_key)
    if principal is not None:
        return Caller(creds.access_key, principal.account, principal.arn, principal.user_id)
    account = account_for(creds.access_key)  # a configured key: the account's root, as STS says
    return Caller(creds.access_key, account, f"arn:aws:iam::{account}:root", account)


def _complete_sigv4(request: Request) -> bool:
    """Whether the request carries a whole SigV4 signature (header or presigned query)."""
    auth = request.headers.get("authorization")
    if auth is not None:
        return auth.startswith("AWS4-HMAC-SHA256 ") and all(
            f"{part}=" in auth for part in ("Credential", "SignedHeaders", "Signature")
        )
    query = request.query
    return all(
        query.get(name)
        for name in (
            "X-Amz-Algorithm",
            "X-Amz-Credential",
            "X-Amz-Signature",
            "X-Amz-Date",
            "X-Amz-SignedHeaders",
        )
    )


def _policy_allows(
    provider: LambdaProvider, url: FunctionUrl, caller: Caller | None, request: Request
) -> bool:
    """What the resource policy says of ``lambda:InvokeFunctionUrl`` for this caller."""
    from cloudlet.services.awslambda.permissions import document

    ref = url.ref
    statements = provider.function_policy(ref.account, ref.region, ref.name, ref.qualifier or "")
    decision = "implicitDeny"
    if statements:
        try:
            policy = parse_policy(document(statements), "resource")
        except PolicyError:
            policy = None
        if policy is not None:
            asked = PolicyRequest(
                "lambda:InvokeFunctionUrl",
                ref.arn(),
                context_of(
                    {
                        "lambda:FunctionUrlAuthType": url.auth_type,
                        "aws:SourceIp": request.client or "127.0.0.1",
                    }
                ),
                principal_arn=caller.arn if caller else "",
                principal_account=caller.account if caller else "",
            )
            decision = evaluate(asked, resource=[Source(policy, policy_type="Resource Policy")]).decision
    if caller is None or decision == "explicitDeny":
        return decision == "allowed"
    return decision == "allowed" or caller.account == ref.account


# ---- the event (payload format 2.0) ------------------------------------------------------------


def build_event(
    request: Request,
    url: FunctionUrl,
    caller: Caller | None,
    raw_path: str,
    domain: str,
    request_id: str,
    now: float,
    trace: str,
) -> dict[str, Any]:
    """The event AWS's "Request payload format" for function URLs describes; members AWS leaves
    out when empty (cookies, queryStringParameters, body) are left out."""
    headers, cookies = _event_headers(request, trace)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": raw_path,
        "rawQueryString": request.query_string,
    }
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    query: dict[str, str] = {}
    for name, value in request.query_list:
        query[name] = f"{query[name]},{value}" if name in query else value
    if query:
        event["queryStringParameters"] = query
    context: dict[str, Any] = {
        "accountId": caller.account if caller else "anonymous",
        "apiId": url.url_id,
    }
    if caller is not None:
        context["authorizer"] = {"iam": caller.iam()}
    moment = datetime.fromtimestamp(now, UTC)
    context.update(
        domainName=domain,
        domainPrefix=url.url_id,
        http={
            "method": request.method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": request.client or "127.0.0.1",
            "userAgent": request.headers.get("user-agent") or "",
        },
        requestId=request_id,
        routeKey="$default",
        stage="$default",
        time=moment.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        timeEpoch=int(now * 1000),
    )
    event["requestContext"] = context
    body = request.read_body()
    encoded = False
    if body:
        text = _as_text(body, request.content_type)
        encoded = text is None
        event["body"] = base64.b64encode(body).decode() if text is None else text
    event["isBase64Encoded"] = encoded
    return event


def _event_headers(request: Request, trace: str) -> tuple[dict[str, str], list[str]]:
    """Headers lower-cased, repeats joined with commas, cookies apart; and what AWS's front
    end adds (``x-forwarded-*``, ``x-amzn-trace-id``)."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers.raw:
        lname = name.lower()
        if lname == "cookie":
            cookies.extend(part.strip() for part in value.split(";") if part.strip())
            continue
        headers[lname] = f"{headers[lname]},{value}" if lname in headers else value
    client = request.client or "127.0.0.1"
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = f"{forwarded}, {client}" if forwarded else client
    headers["x-forwarded-proto"] = request.scheme or "http"
    host = request.host
    port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
    headers["x-forwarded-port"] = port if port.isdigit() else ("443" if request.scheme == "https" else "80")
    headers["x-amzn-trace-id"] = trace
    return headers, cookies


def _as_text(body: bytes, content_type: str) -> str | None:
    if not (content_type.startswith("text/") or content_type in _TEXT_TYPES):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _trace_id(now: float, request_id: str) -> str:
    return f"Root=1-{int(now):08x}-{request_id.replace('-', '')[:24]}"


# ---- the answer ------------------------------------------------------------------------------


class MalformedResult(Exception):
    """A result that claims the structured form but cannot be answered as HTTP."""


def buffered_answer(payload: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    """A BUFFERED URL's answer to a result (AWS's "Response payload format"): a JSON object
    with ``statusCode`` is the structured form; anything else is the body, status 200,
    ``application/json`` (a JSON string as its text, other values as compact JSON: recorded)."""
    try:
        result = orjson.loads(payload)
    except orjson.JSONDecodeError:  # a provided runtime may answer anything: unverified
        return 200, [("Content-Type", "application/json")], payload
    if isinstance(result, dict) and "statusCode" in result:
        return _structured(result)
    body = result.encode() if isinstance(result, str) else orjson.dumps(result)
    return 200, [("Content-Type", "application/json")], body


def streamed_answer(outcome: Outcome) -> tuple[int, list[tuple[str, str]], Any]:
    """A RESPONSE_STREAM URL's answer: the seam where InvokeWithResponseStream plugs in.

    AWS sends a streamed function's bytes as they come (after the HTTP prelude a handler may
    write with ``HttpResponseStream.from``); a result that names no prelude goes out as it is,
    status 200 (recorded: the JSON of a buffered handler's result, not its ``statusCode``).
    Until the executor streams, the whole payload is that body."""
    return 200, [("Content-Type", "application/octet-stream")], outcome.payload  # unverified: the type


def _structured(result: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    status = _status(result.get("statusCode"))
    headers: list[tuple[str, str]] = []
    given = result.get("headers") or {}
    if not isinstance(given, dict):
        raise MalformedResult("headers")
    for name, value in given.items():
        if not isinstance(name, str) or not _TOKEN.match(name):
            raise MalformedResult("header name")
        if name.lower() in _FRAMING:
            continue
        headers.append((name, _header_value(value)))
    cookies = result.get("cookies") or []
    if not isinstance(cookies, list):
        raise MalformedResult("cookies")
    headers.extend(("Set-Cookie", _header_value(cookie)) for cookie in cookies if cookie is not None)
    if not any(name.lower() == "content-type" for name, _ in headers):
        headers.insert(0, ("Content-Type", "application/json"))  # recorded
    body = result.get("body")
    if body is None:
        data = b""
    elif result.get("isBase64Encoded") is True:
        if not isinstance(body, str):
            raise MalformedResult("body")
        try:
            data = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedResult("base64 body") from None
    else:
        data = body.encode() if isinstance(body, str) else orjson.dumps(body)  # unverified for non-strings
    return status, headers, data


def _status(value: Any) -> int:
    """``statusCode`` as a number or a numeric string (recorded: ``"418"``)."""
    if isinstance(value, bool):
        raise MalformedResult("statusCode")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not isinstance(value, int) or not 200 <= value <= 599:  # unverified: 1xx
        raise MalformedResult("statusCode")
    return value


def _header_value(value: Any) -> str:
    """A header value a function gave, refused when it holds a line break or other control
    character (so nothing it returns can add a header line)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str | int | float):
        text = str(value)
    else:
        raise MalformedResult("header value")
    if _CONTROL.search(text):
        raise MalformedResult("header value")
    return text


def _safe(value: str) -> str:
    """Request data echoed in a header, with any control character made a space."""
    return _CONTROL.sub(" ", value)


# ---- CORS (the URL's Cors configuration) -------------------------------------------------------


def is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "origin" in request.headers
        and "access-control-request-method" in request.headers
    )


def _allowed_origin(cors: dict[str, Any], origin: str | None) -> str | None:
    """The ``Access-Control-Allow-Origin`` value for ``origin``, None when it is not allowed."""
    if not origin:
        return None
    allowed = [str(o) for o in cors.get("AllowOrigins") or []]
    if "*" in allowed:
        if not cors.get("AllowCredentials"):
            return "*"
        return origin if _ORIGIN.match(origin) else None  # echoed only when it is an origin
    wanted = origin.lower().rstrip("/")
    return next((o for o in allowed if o.lower().rstrip("/") == wanted), None)


def preflight_headers(cors: dict[str, Any], request: Request) -> list[tuple[str, str]]:
    """The answer to a preflight: the CORS headers when the origin, method and headers asked
    for are allowed, none otherwise (the browser then refuses; unverified: what AWS sends)."""
    origin = _allowed_origin(cors, request.headers.get("origin"))
    method = (request.headers.get("access-control-request-method") or "").strip()
    asked = [h.strip() for h in (request.headers.get("access-control-request-headers") or "").split(",")]
    asked = [h for h in asked if h]
    methods = [str(m).upper() for m in cors.get("AllowMethods") or []]
    allowed_headers = [str(h) for h in cors.get("AllowHeaders") or []]
    if origin is None or not _TOKEN.match(method) or not all(_TOKEN.match(h) for h in asked):
        return []
    if "*" not in methods and method.upper() not in methods:
        return []
    if "*" not in allowed_headers and not {h.lower() for h in asked} <= {h.lower() for h in allowed_headers}:
        return []
    headers = [("Access-Control-Allow-Origin", origin)]
    headers.append(("Access-Control-Allow-Methods", method if "*" in methods else ", ".join(methods)))
    if asked or allowed_headers:
        shown = ", ".join(asked) if "*" in allowed_headers else ", ".join(allowed_headers)
        headers.append(("Access-Control-Allow-Headers", shown))
    if cors.get("AllowCredentials"):
        headers.append(("Access-Control-Allow-Credentials", "true"))
    if cors.get("MaxAge"):
        headers.append(("Access-Control-Max-Age", str(int(cors["MaxAge"]))))
    headers.append(("Vary", "Origin"))
    return headers


def add_cors(cors: dict[str, Any], request: Request, response: Response) -> None:
    """The URL's CORS headers on an answer; they take precedence over the function's own
    (AWS's guide), so the function's ``Access-Control-*`` headers are dropped."""
    if any(name.lower().startswith("access-control-") for name, _ in response.headers):
        response.headers = [
            (n, v) for n, v in response.headers if not n.lower().startswith("access-control-")
        ]
    origin = _allowed_origin(cors, request.headers.get("origin"))
    if origin is None:
        return
    response.headers.append(("Access-Control-Allow-Origin", origin))
    expose = [str(h) for h in cors.get("ExposeHeaders") or []]
    if expose:
        response.headers.append(("Access-Control-Expose-Headers", ", ".join(expose)))
    if cors.get("AllowCredentials"):
        response.headers.append(("Access-Control-Allow-Credentials", "true"))
    response.headers.append(("Vary", "Origin"))
