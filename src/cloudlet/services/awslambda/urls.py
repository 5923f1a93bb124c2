"""Lambda function URLs, served: the request as a payload format 2.0 event (url_events.py), the
function run through the one run path (``LambdaProvider.run``, or ``stream_invocation`` for
``RESPONSE_STREAM`` URLs), its result as the HTTP answer (url_answers.py), with the URL's auth
type (url_auth.py) and CORS configuration (url_cors.py) applied as AWS applies them.

Two ways in (entry.py registers both):

- the URL as created, ``http://<url-id>.lambda-url.<region>.localhost:<port>/<path>`` (any
  port: ``*.localhost`` names resolve to the loopback address);
- ``http://<cloudlet>/_lambda/url/<url-id>/<path>``, for clients that cannot resolve wildcard
  host names; the function sees the same event (``rawPath`` is ``/<path>``, ``domainName`` the
  URL's own host name) but the ``host`` header the client sent.

Answers not found in recordings or AWS's guides are marked ``# unverified``.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import ids
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.url_answers import (
    FORBIDDEN,
    MAX_RESULT,
    MalformedResult,
    Refused,
    buffered_answer,
    error,
    failed,
    id_header,
    safe,
    streamed_answer,
)
from cloudlet.services.awslambda.url_auth import Caller, authorize
from cloudlet.services.awslambda.url_cors import add_cors, is_preflight, preflight_headers
from cloudlet.services.awslambda.url_events import build_event, trace_id

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front
    from cloudlet.services.awslambda.names import FunctionRef
    from cloudlet.services.awslambda.provider import LambdaProvider

log = logging.getLogger("cloudlet.lambda.urls")

PATH = "/_lambda/url/"
MAX_EVENT = 6291456  # bytes: Invoke's request limit (invoke.MAX_REQUEST), which URLs share
TOO_LARGE = f"Request must be smaller than {MAX_EVENT} bytes for the InvokeFunction operation"  # unverified

_HOST = re.compile(r"^([a-z0-9]{1,63})\.lambda-url\.([a-z0-9-]{1,40})\.localhost$")
_URL_ID = re.compile(r"^[a-z0-9]{32}$")


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


# ---- serving ----------------------------------------------------------------------------------


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
            return Response(200, preflight_headers(url.cors, request) + id_header(request_id), b"")
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
    trace = request.headers.get("x-amzn-trace-id") or trace_id(now, request_id)
    event = build_event(request, url, caller, raw_path, domain, request_id, now, trace)
    payload = orjson.dumps(event)
    if len(payload) > MAX_EVENT:
        raise Refused(error(413, "RequestEntityTooLargeException", TOO_LARGE, request_id))
    extra = [*id_header(request_id), ("X-Amzn-Trace-Id", safe(trace))]
    try:  # throttled (429 as AWS documents for URLs), ...
        if url.streamed:
            stream = await provider.stream_invocation(url.ref, config, alias, payload, request_id)
            return await streamed_answer(stream, extra, head_only=request.method == "HEAD")
        outcome, _ = await provider.run(url.ref, config, alias, payload, request_id)
    except ServiceError as exc:
        raise Refused(error(exc.status, exc.code, exc.message, request_id)) from None
    if outcome.error or len(outcome.payload) > MAX_RESULT:
        return failed(extra)
    try:
        status, headers, body = buffered_answer(outcome.payload)
    except MalformedResult:  # unverified: answered like a function error
        return failed(extra)
    return Response(status, headers + extra, body)


def _body_size(request: Request) -> int:
    if request.body_file is not None:
        return os.fstat(request.body_file.fileno()).st_size
    return len(request.body)
