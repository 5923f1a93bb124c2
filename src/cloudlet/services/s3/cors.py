"""A bucket's CORS configuration applied to browser requests: preflights and actual requests.

As S3 answers them: a bucket with a CORS configuration by its rules, exactly; a preflight to a
bucket without one (or to no bucket) with S3's 403, and an actual request to it with no CORS
headers at all (S3's entry point, entry.py, keeps the AWS API's permissive CORS away from them).
"""

from __future__ import annotations

import fnmatch
from typing import Any

from cloudlet.gateway.request import Request
from cloudlet.protocol.errors import ServiceError

NOT_ALLOWED = (
    "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request "
    "method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the "
    "resource's CORS spec."
)


NO_CONFIGURATION = "CORSResponse: CORS is not enabled for this bucket."
NO_BUCKET = "CORSResponse: Bucket not found"


def _matches(pattern: str, value: str) -> bool:
    """S3's origin and header patterns: one ``*`` wildcard, case-insensitive for headers."""
    return pattern == "*" or fnmatch.fnmatchcase(value.lower(), pattern.lower())


def matching_rule(
    rules: list[dict[str, Any]], origin: str, method: str, headers: list[str]
) -> dict[str, Any] | None:
    """The first rule allowing ``origin``, ``method`` and every one of ``headers``."""
    for rule in rules:
        if not any(_matches(o, origin) for o in rule.get("AllowedOrigins") or []):
            continue
        if method not in (rule.get("AllowedMethods") or []):
            continue
        allowed = rule.get("AllowedHeaders") or []
        if all(any(_matches(a, h) for a in allowed) for h in headers):
            return rule
    return None


def _headers(rule: dict[str, Any], origin: str, requested: list[str] | None) -> list[tuple[str, str]]:
    wildcard = "*" in (rule.get("AllowedOrigins") or [])
    out = [
        ("Access-Control-Allow-Origin", "*" if wildcard else origin),
        ("Access-Control-Allow-Methods", ", ".join(rule.get("AllowedMethods") or [])),
        ("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method"),
    ]
    if not wildcard:
        out.append(("Access-Control-Allow-Credentials", "true"))
    if requested:
        out.append(("Access-Control-Allow-Headers", ", ".join(requested)))
    if rule.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ", ".join(rule["ExposeHeaders"])))
    if rule.get("MaxAgeSeconds") is not None:
        out.append(("Access-Control-Max-Age", str(rule["MaxAgeSeconds"])))
    return out


def forbidden(message: str, request: Request, resource: str) -> ServiceError:
    """S3's 403 to a preflight, naming the method asked for (``OPTIONS`` when none is) and
    whether the path names a ``BUCKET`` or an ``OBJECT`` (recorded: test_s3_cors)."""
    method = request.headers.get("access-control-request-method") or "OPTIONS"
    return ServiceError("AccessForbidden", message, 403, fields={"Method": method, "ResourceType": resource})


def preflight_headers(
    rules: list[dict[str, Any]] | None, request: Request, resource: str = "OBJECT"
) -> list[tuple[str, str]]:
    """The answer headers of a preflight the rules allow; raises S3's errors otherwise: 400
    without an Origin, 403 without rules or when none allows it (recorded:
    test_cors_http_options_no_config, test_cors_match_*)."""
    if "origin" not in request.headers:
        raise ServiceError("BadRequest", "Insufficient information. Origin request header needed.", 400)
    if rules is None:
        raise forbidden(NO_CONFIGURATION, request, resource)
    origin = request.headers.get("origin") or ""
    method = request.headers.get("access-control-request-method") or ""
    requested = [
        h.strip()
        for h in (request.headers.get("access-control-request-headers") or "").split(",")
        if h.strip()
    ]
    rule = matching_rule(rules, origin, method, requested)
    if rule is None:
        raise forbidden(NOT_ALLOWED, request, resource)
    return _headers(rule, origin, requested)


def response_headers(rules: list[dict[str, Any]], request: Request) -> list[tuple[str, str]]:
    """CORS headers for an actual request with an Origin (none when no rule allows it)."""
    origin = request.headers.get("origin") or ""
    rule = matching_rule(rules, origin, request.method, [])
    return _headers(rule, origin, None) if rule is not None else []
