"""Conditional requests: If-Match / If-None-Match / If-(Un)Modified-Since on reads, on the
source of a copy (``x-amz-copy-source-if-*``) and on writes (PutObject,
CompleteMultipartUpload), with S3's precedence rules and errors.

Sources: the GetObject, CopyObject and PutObject pages of the S3 API reference, and the
responses recorded from real S3 (``test_s3_preconditions.snapshot.json``,
``test_s3_api.snapshot.json``: TestS3ObjectWritePrecondition).
"""

from __future__ import annotations

from email.utils import formatdate, parsedate_to_datetime
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.errors import no_such_key
from cloudlet.services.s3.store import ObjectRow

_COPY_PREFIX = "x-amz-copy-source-"


def http_date(value: Any) -> float | None:
    """A conditional header's time (the parser may already give a datetime)."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    try:
        return parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError):
        return None


def etag_matches(condition: str, etag: str) -> bool:
    wanted = [c.strip() for c in condition.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in (w.strip('"') for w in wanted)


def precondition_failed(condition: str) -> ServiceError:
    return ServiceError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        412,
        fields={"Condition": condition},
    )


def _not_modified(etag: str, modified: float) -> ServiceError:
    return ServiceError(
        "NotModified",
        "Not Modified",
        304,
        headers={"ETag": etag, "Last-Modified": formatdate(modified, usegmt=True)},
    )


def check_read(row: ObjectRow, params: dict[str, Any], now: float) -> None:
    """GetObject/HeadObject: a matching If-Match wins over If-Unmodified-Since, a failing
    If-None-Match over If-Modified-Since (which a date in the future leaves out)."""
    etag, modified = row.etag or "", int(row.modified)
    if_match, if_none = params.get("IfMatch"), params.get("IfNoneMatch")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise precondition_failed("If-Match")
    else:
        since = http_date(params.get("IfUnmodifiedSince"))
        if since is not None and modified > since:
            raise precondition_failed("If-Unmodified-Since")
    if if_none is not None:
        if etag_matches(if_none, etag):
            raise _not_modified(etag, row.modified)
    else:
        since = http_date(params.get("IfModifiedSince"))
        if since is not None and modified <= since <= now:
            raise _not_modified(etag, row.modified)


def check_copy_source(row: ObjectRow, params: dict[str, Any], now: float) -> None:
    """CopyObject/UploadPartCopy: the ``x-amz-copy-source-if-*`` conditions, each failing
    with 412 and the header's name; the same precedence as reads."""
    etag, modified = row.etag or "", int(row.modified)
    if_match, if_none = params.get("CopySourceIfMatch"), params.get("CopySourceIfNoneMatch")
    if if_match is not None:
        if not etag_matches(if_match, etag):
            raise precondition_failed(_COPY_PREFIX + "If-Match")
    else:
        since = http_date(params.get("CopySourceIfUnmodifiedSince"))
        if since is not None and modified > since:
            raise precondition_failed(_COPY_PREFIX + "If-Unmodified-Since")
    if if_none is not None:
        if etag_matches(if_none, etag):
            raise precondition_failed(_COPY_PREFIX + "If-None-Match")
    else:
        since = http_date(params.get("CopySourceIfModifiedSince"))
        if since is not None and modified <= since <= now:
            raise precondition_failed(_COPY_PREFIX + "If-Modified-Since")


def _not_implemented(header: str, detail: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        501,
        fields={"Header": header, "additionalMessage": detail},
    )


def check_write_headers(params: dict[str, Any]) -> None:
    """Writes take ``If-None-Match: *`` or ``If-Match: <etag>``, one of them (checked before
    the body is read)."""
    if_match, if_none = params.get("IfMatch"), params.get("IfNoneMatch")
    if if_match is not None and if_none is not None:
        raise _not_implemented(
            "If-Match,If-None-Match", "Multiple conditional request headers present in the request"
        )
    if if_none is not None and if_none.strip() != "*":
        raise _not_implemented(
            "If-None-Match", "We don't accept the provided value of If-None-Match header for this API"
        )
    if if_match is not None and if_match.strip() == "*":
        raise _not_implemented(
            "If-Match", "We don't accept the provided value of If-Match header for this API"
        )


def check_write(current: ObjectRow | None, key: str, params: dict[str, Any]) -> None:
    """A conditional write against the key's current version (a delete marker is no object)."""
    live = current if current is not None and not current.delete_marker else None
    if params.get("IfNoneMatch") is not None and live is not None:
        raise precondition_failed("If-None-Match")
    if_match = params.get("IfMatch")
    if if_match is not None:
        if live is None:
            raise no_such_key(key)
        if not etag_matches(if_match, live.etag or ""):
            raise precondition_failed("If-Match")
