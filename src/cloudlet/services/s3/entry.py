"""S3's entry points beyond its API operations (see gateway/entrypoints.py): browser form
uploads, which no SDK operation describes, and browser requests to a bucket that has CORS
rules of its own, which S3 answers by those rules instead of the API's global CORS."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.gateway import cors
from cloudlet.gateway.detect import s3_bucket_named
from cloudlet.gateway.entrypoints import EntryPoint
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import cors as s3_cors

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front


def _form_upload(front: Front, request: Request) -> bool:
    if not (request.headers.get("content-type") or "").startswith("multipart/form-data"):
        return False
    return s3_bucket_named(request) is not None


def _upload(front: Front, request: Request) -> Awaitable[Response]:
    provider: Any = front.runtime.load("s3")
    return provider.post_upload(request, s3_bucket_named(request))


def _rules(front: Front, request: Request) -> list[dict[str, Any]] | None:
    provider: Any = front.runtime.providers.get("s3")  # no bucket exists before S3 was first used
    name = s3_bucket_named(request) if provider is not None else None
    return provider.bucket_cors(name) if name else None


def _has_rules(front: Front, request: Request) -> bool:
    return "origin" in request.headers and _rules(front, request) is not None


def _with_rules(front: Front, request: Request) -> Response | Awaitable[Response]:
    """A browser request to a bucket with a CORS configuration, answered by its rules."""
    rules = _rules(front, request) or []
    if cors.is_preflight(request):
        try:
            return Response(200, s3_cors.preflight_headers(rules, request), b"")
        except ServiceError as error:
            return front.dispatcher.answer_error("s3", "rest-xml", error, ids.request_id())
    answer = _upload(front, request) if _form_upload(front, request) else front.dispatcher.handle(request)
    headers = s3_cors.response_headers(rules, request)
    if isinstance(answer, Response):
        answer.headers.extend(headers)
        return answer

    async def later() -> Response:
        response = await answer
        response.headers.extend(headers)
        return response

    return later()


ENTRY_POINTS = (
    EntryPoint("s3.bucket-cors", _with_rules, when=_has_rules),
    EntryPoint("s3.form-upload", _upload, methods=frozenset({"POST"}), when=_form_upload),
)
