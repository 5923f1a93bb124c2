"""Lambda's entry points beyond its API (see gateway/entrypoints.py): the download links that
GetFunction answers as ``Code.Location`` (links.py), and function URLs (urls.py), by their own
host name or under ``/_lambda/url/`` on Cloudlet's address."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.gateway.entrypoints import EntryPoint
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.services.awslambda import urls
from cloudlet.services.awslambda.links import PATH

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front

_DENIED = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>AccessDenied</Code>'
    b"<Message>Request has expired</Message></Error>"
)  # unverified: what S3 answers for an expired presigned URL, roughly


def _code(front: Front, request: Request) -> Response:
    provider: Any = front.runtime.load("lambda")
    data = provider.download(request.path[len(PATH) :]) if provider is not None else None
    if data is None:
        return Response(403, [("Content-Type", "application/xml")], _DENIED)
    return Response(200, [("Content-Type", "application/zip")], data)


ENTRY_POINTS = (
    EntryPoint("lambda.code", _code, path=PATH, methods=frozenset({"GET"})),
    EntryPoint("lambda.url", urls.serve_host, host="*.localhost", when=urls.addressed),
    EntryPoint("lambda.url-path", urls.serve_path, path=urls.PATH),
)
