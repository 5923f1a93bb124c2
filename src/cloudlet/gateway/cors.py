"""CORS for browser SDKs: preflight answers and headers on every response of the AWS API.

The admin API gets none: a web page must not drive it (see server.Admin).
"""

from __future__ import annotations

import orjson

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response

_METHODS = "HEAD, GET, PUT, POST, DELETE, OPTIONS, PATCH"
_EXPOSE = (
    "ETag, x-amz-request-id, x-amz-id-2, x-amzn-RequestId, x-amzn-ErrorType, x-amz-version-id, "
    "x-amz-delete-marker, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, "
    "x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-server-side-encryption, Date, Content-Length"
)


ADMIN_PREFIXES = ("/_cloudlet/", "/_localstack/")


def is_admin(request: Request) -> bool:
    return request.path.startswith(ADMIN_PREFIXES)


def is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "origin" in request.headers
        and "access-control-request-method" in request.headers
    )


def preflight(request: Request) -> Response:
    if is_admin(request):
        return admin_preflight()
    headers = [
        ("Access-Control-Allow-Origin", request.headers.get("origin") or "*"),
        ("Access-Control-Allow-Methods", _METHODS),
        ("Access-Control-Allow-Headers", request.headers.get("access-control-request-headers") or "*"),
        ("Access-Control-Expose-Headers", _EXPOSE),
        ("Access-Control-Allow-Credentials", "true"),
        ("Access-Control-Max-Age", "3000"),
        ("Vary", "Origin"),
    ]
    return Response(200, headers, b"")


def admin_preflight() -> Response:
    """A preflight to the admin API allows nothing."""
    message = {"message": "the admin API takes no cross-origin requests"}
    return Response(403, [("Content-Type", "application/json")], orjson.dumps(message))


def add_cors(request: Request, response: Response) -> None:
    origin = request.headers.get("origin")
    if origin and response.header("Access-Control-Allow-Origin") is None and not is_admin(request):
        response.headers.append(("Access-Control-Allow-Origin", origin))
        response.headers.append(("Access-Control-Allow-Credentials", "true"))
        response.headers.append(("Access-Control-Expose-Headers", _EXPOSE))
        response.headers.append(("Vary", "Origin"))
