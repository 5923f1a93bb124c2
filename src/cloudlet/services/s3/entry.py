"""S3's entry points beyond its API operations (see gateway/entrypoints.py), in the order they
are asked:

- access point hosts (access_points.py): ``<name>-<account>.…`` hosts SDKs send an access point
  ARN's requests to, answered by the AWS API with the ARN as the bucket;
- website endpoints (website.py): ``<bucket>.s3-website[-.]<region>.localhost`` hosts and the
  ``/_website/<bucket>/`` path form;
- browser requests to a bucket (an ``Origin``, or any ``OPTIONS``), answered by the bucket's CORS
  rules as S3 answers them, instead of the AWS API's global permissive CORS: a preflight without
  rules is refused, an actual request without rules gets no CORS headers; a preflight to a missing
  bucket is S3's only on an S3 host (on the shared address it may be another service's);
- browser form uploads, which no SDK operation describes;
- presigned requests carrying ``x-amz-*`` headers in their query string (what SigV2 presigning
  and some SDKs do with headers such as ``x-amz-copy-source-if-match`` or ``x-amz-meta-*``),
  answered as if those came as headers, which is how S3 reads them (recorded:
  test_presigned_url_v4_x_amz_in_qs, test_put_url_metadata_with_sig_s3). A header the request
  also sends keeps its own value.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.gateway import cors
from cloudlet.gateway.detect import parse_credentials, s3_bucket_named
from cloudlet.gateway.entrypoints import EntryPoint
from cloudlet.gateway.request import Request
from cloudlet.gateway.signatures import PRESIGN_QUERY
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import access_points, website
from cloudlet.services.s3 import cors as s3_cors

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Front

Answer = Response | Awaitable[Response]


# ---- access point hosts -----------------------------------------------------------------------


def _to_access_point(front: Front, request: Request) -> bool:
    return access_points.addressed(request) is not None


# ---- website endpoints ------------------------------------------------------------------------


def _is_website(front: Front, request: Request) -> bool:
    return website.addressed(request) is not None


def _website(front: Front, request: Request) -> Answer:
    provider: Any = front.runtime.load("s3")
    return website.serve(provider, request)


# ---- the AWS API, with hoisted query headers --------------------------------------------------


def _presigned_s3(request: Request) -> bool:
    query = request.query
    if "Signature" in query and "AWSAccessKeyId" in query:
        return True
    return "/s3/aws4_request" in (query.get("X-Amz-Credential") or "")


def _hoistable(request: Request) -> list[tuple[str, str]]:
    """``x-amz-*`` query parameters of a presigned S3 request that are headers (not its signature)."""
    if not _presigned_s3(request):
        return []
    return [
        (name.lower(), value)
        for name, value in request.query_list
        if name.lower().startswith("x-amz-") and name.lower() not in PRESIGN_QUERY
    ]


def _has_query_headers(front: Front, request: Request) -> bool:
    return bool(_hoistable(request))


def _hoist(request: Request) -> None:
    for name, value in _hoistable(request):
        if name not in request.headers:  # the parsers' view; ``raw`` keeps what was sent
            # as a header's bytes arrive (latin-1), from the query's percent-encoded UTF-8
            request.headers.set(name, value.encode("utf-8", "replace").decode("latin-1"))


def _api(front: Front, request: Request) -> Answer:
    """The AWS API's answer, the query's ``x-amz-*`` headers read as headers."""
    _hoist(request)
    return front.dispatcher.handle(request)


def _api_with_cors(front: Front, request: Request) -> Answer:
    return _with_headers(_api(front, request), lambda response: cors.add_cors(request, response))


# ---- browser requests to a bucket ----------------------------------------------------------


def _for_s3(front: Front, request: Request) -> bool:
    """Whether the AWS API takes this request for S3: signed for S3, or, unsigned, a path no
    other service's URI templates take, whatever the method (a bucket may be named like one)."""
    creds = parse_credentials(request)
    if creds.signing_name:
        return creds.signing_name == "s3"
    if request.headers.get("x-amz-target") or "Action" in request.query:
        return False
    asked = request.headers.get("access-control-request-method") or request.method
    for method in dict.fromkeys((asked, "GET", "PUT", "POST", "DELETE")):
        try:
            target = front.dispatcher.router.route(dataclasses.replace(request, method=method), creds)
        except ServiceError:
            continue
        if target.service != "s3":
            return False
    return True


def _s3_endpoint(request: Request) -> bool:
    """Whether a request is signed for S3 or sent to an S3 host (``bucket.s3.…``, ``s3.…``)."""
    if parse_credentials(request).signing_name == "s3":
        return True
    labels = request.host.rsplit(":", 1)[0].lower().split(".")
    return any(label == "s3" or label.startswith("s3-") for label in labels)


def _browser_to_bucket(front: Front, request: Request) -> bool:
    """A browser request (an Origin, or any OPTIONS) to an existing bucket, or a preflight to
    a missing one on an S3 endpoint. On Cloudlet's shared address, a preflight naming no bucket
    keeps the AWS API's answer: it may be meant for another service."""
    if request.method != "OPTIONS" and "origin" not in request.headers:
        return False
    name = s3_bucket_named(request)
    if not name:
        return False
    if _bucket_state(front, name)[0]:
        return _for_s3(front, request)
    return request.method == "OPTIONS" and _s3_endpoint(request)


def _bucket_state(front: Front, name: str) -> tuple[bool, list[dict[str, Any]] | None]:
    """(whether the bucket exists, its CORS rules); no bucket exists before S3 was first used."""
    provider: Any = front.runtime.providers.get("s3")
    if provider is None:
        return False, None
    return provider.bucket_exists(name), provider.bucket_cors(name)


def _resource(request: Request, name: str) -> str:
    """``OBJECT`` when the path names a key in the bucket, else ``BUCKET`` (recorded for rule
    mismatches; for a bucket without rules only ``BUCKET`` is: unverified for objects)."""
    if request.host.lower().startswith(name.lower() + "."):  # virtual-hosted
        key = request.path.lstrip("/")
    else:
        key = request.path.lstrip("/").partition("/")[2]
    return "OBJECT" if key else "BUCKET"


def _browser(front: Front, request: Request) -> Answer:
    """A browser request to a bucket, answered by its CORS rules (see the module docstring)."""
    name = s3_bucket_named(request) or ""
    exists, rules = _bucket_state(front, name)
    if request.method == "OPTIONS":
        resource = _resource(request, name)
        try:
            if not exists and "origin" in request.headers:
                raise s3_cors.forbidden(s3_cors.NO_BUCKET, request, "BUCKET")
            return Response(200, s3_cors.preflight_headers(rules, request, resource), b"")
        except ServiceError as error:
            return front.dispatcher.answer_error("s3", "rest-xml", error, ids.request_id())
    answer = _upload(front, request) if _form_upload(front, request) else _api(front, request)
    if not rules:
        return answer
    headers = s3_cors.response_headers(rules, request)
    return _with_headers(answer, lambda response: response.headers.extend(headers))


def _with_headers(answer: Answer, add: Any) -> Answer:
    if isinstance(answer, Response):
        add(answer)
        return answer

    async def later() -> Response:
        response = await answer
        add(response)
        return response

    return later()


# ---- browser form uploads ---------------------------------------------------------------------


def _form_upload(front: Front, request: Request) -> bool:
    if not (request.headers.get("content-type") or "").startswith("multipart/form-data"):
        return False
    return s3_bucket_named(request) is not None


def _upload(front: Front, request: Request) -> Awaitable[Response]:
    provider: Any = front.runtime.load("s3")
    return provider.post_upload(request, s3_bucket_named(request))


ENTRY_POINTS = (
    EntryPoint("s3.access-point", access_points.serve, when=_to_access_point),
    EntryPoint("s3.website", _website, when=_is_website),
    EntryPoint("s3.bucket-cors", _browser, when=_browser_to_bucket),
    EntryPoint("s3.form-upload", _upload, methods=frozenset({"POST"}), when=_form_upload),
    EntryPoint("s3.query-headers", _api_with_cors, when=_has_query_headers),
)
