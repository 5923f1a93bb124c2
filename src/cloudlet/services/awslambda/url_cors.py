"""A function URL's ``Cors`` configuration applied: preflights answered by Lambda itself (the
function is not run) and the CORS headers put on every other answer."""

from __future__ import annotations

import re
from typing import Any

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.services.awslambda.url_answers import TOKEN

_ORIGIN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[A-Za-z0-9._~%!$&'()*+,;=:\[\]-]+$|^null$")


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
    if origin is None or not TOKEN.match(method) or not all(TOKEN.match(h) for h in asked):
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
