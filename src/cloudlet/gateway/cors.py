"""CORS for browser SDKs: preflight answers and headers on every response."""

from __future__ import annotations

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response

_METHODS = "HEAD, GET, PUT, POST, DELETE, OPTIONS, PATCH"
_EXPOSE = (
    "ETag, x-amz-request-id, x-amz-id-2, x-amzn-RequestId, x-amzn-ErrorType, x-amz-version-id, "
    "x-amz-delete-marker, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, "
    "x-amz-checksum-sha1, x-amz-checksum-sha256, x-amz-server-side-encryption, Date, Content-Length"
)


def is_preflight(request: Request) -> bool:
    return (
        request.method == "OPTIONS"
        and "origin" in request.headers
        and "access-control-request-method" in request.headers
    )


def preflight(request: Request) -> Response:
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


def add_cors(request: Request, response: Response) -> None:
    origin = request.headers.get("origin")
    if origin and response.header("Access-Control-Allow-Origin") is None:
        response.headers.append(("Access-Control-Allow-Origin", origin))
        response.headers.append(("Access-Control-Allow-Credentials", "true"))
        response.headers.append(("Access-Control-Expose-Headers", _EXPOSE))
        response.headers.append(("Vary", "Origin"))
