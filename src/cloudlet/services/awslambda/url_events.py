"""The event a function URL request becomes: payload format 2.0, as AWS's "Request payload
format" for function URLs describes it."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudlet.gateway.request import Request

if TYPE_CHECKING:
    from cloudlet.services.awslambda.url_auth import Caller
    from cloudlet.services.awslambda.urls import FunctionUrl

# Bodies sent as text; everything else, no Content-Type included, is base64 (what HTTP APIs do
# with payload format 2.0, which function URLs share: reported for HTTP APIs, unverified here).
_TEXT_TYPES = frozenset({"application/json", "application/xml", "application/javascript"})


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


def trace_id(now: float, request_id: str) -> str:
    """An ``X-Amzn-Trace-Id`` for a request that brought none."""
    return f"Root=1-{int(now):08x}-{request_id.replace('-', '')[:24]}"


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
