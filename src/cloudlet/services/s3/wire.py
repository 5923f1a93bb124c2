"""Pieces of S3 requests and answers the provider's modules share: owners, stored headers,
byte ranges and copy sources."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import unquote

from cloudlet.protocol.errors import ServiceError

CONTENT_HEADERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ContentType")
MAX_METADATA_BYTES = 2048
_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")
_COPY_RANGE = re.compile(r"bytes=(\d+)-(\d+)\Z")
_VERSION_ID = re.compile(r"[0-9a-f]{32}\Z")


def owner_of(account: str) -> dict[str, str]:
    """The Owner element S3 gives for an account's buckets and objects, and an ACL's grantee:
    the canonical user id alone (S3 no longer answers a DisplayName there: recorded 2026,
    list-buckets, get-bucket-acl)."""
    return {"ID": canonical_user_id(account)}


def initiator_of(account: str) -> dict[str, str]:
    """The Initiator of a multipart upload, which still carries a DisplayName (recorded 2026,
    list-parts, list-multiparts)."""
    return {"ID": canonical_user_id(account), "DisplayName": "webfile"}


def headers_meta(params: dict[str, Any]) -> dict[str, Any]:
    """The content headers and user metadata a write stores with an object.

    User metadata is limited to 2 KB: the UTF-8 bytes of every key and value (S3 user guide,
    "Working with object metadata").
    """
    meta: dict[str, Any] = {n: params[n] for n in CONTENT_HEADERS if params.get(n) is not None}
    if params.get("Metadata"):
        meta["Metadata"] = {k.lower(): v for k, v in params["Metadata"].items()}
        size = sum(len(k.encode()) + len(v.encode()) for k, v in meta["Metadata"].items())
        if size > MAX_METADATA_BYTES:
            raise ServiceError(
                "MetadataTooLarge",
                "Your metadata headers exceed the maximum allowed metadata size",  # message unverified
                400,
                fields={"Size": str(size), "MaxSizeAllowed": str(MAX_METADATA_BYTES)},
            )
    return meta


# Characters no header value may carry: control characters but tab (CR and LF would start
# a header line of their own).
NOT_IN_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_OVERRIDES = {
    f"Response{name}": "response-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    for name in (*CONTENT_HEADERS, "Expires")
}


def check_overrides(params: dict[str, Any]) -> None:
    """Refuse ``response-*`` overrides of GetObject/HeadObject that no header can carry, as
    S3 refuses a value outside ISO-8859-1 (recorded: InvalidArgument "Header value cannot be
    represented using ISO-8859-1.", naming the query parameter)."""
    for member, name in _OVERRIDES.items():
        value = params.get(member)
        if not isinstance(value, str):
            continue  # ResponseExpires, parsed as a date
        if NOT_IN_HEADER.search(value):
            raise invalid_header_value(name, value)
        if max(map(ord, value), default=0) > 0xFF:
            raise ServiceError(
                "InvalidArgument",
                "Header value cannot be represented using ISO-8859-1.",
                400,
                fields={"ArgumentName": name, "ArgumentValue": value},
            )


def invalid_header_value(name: str, value: str) -> ServiceError:
    """S3's refusal of an argument with control characters, bound for a header."""
    return ServiceError(
        "InvalidArgument",
        "Header value cannot contain control characters.",  # message unverified
        400,
        fields={"ArgumentName": name, "ArgumentValue": value},
    )


def is_version_id(value: str) -> bool:
    """Whether ``value`` could name a version: "null", or an id as this service issues them.

    Version ids are 32 hex digits (see ``S3Provider.new_version``); S3 refuses one it could
    not have issued with ``InvalidArgument`` rather than ``NoSuchVersion``.
    """
    return value == "null" or _VERSION_ID.match(value) is not None


def invalid_version_id(value: str) -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "Invalid version id specified",
        400,
        fields={"ArgumentName": "versionId", "ArgumentValue": value},
    )


def canonical_user_id(account: str) -> str:
    """A stable 64-hex canonical user id for an account."""
    return hashlib.sha256(f"cloudlet-canonical-{account}".encode()).hexdigest()


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) of a ``Range: bytes=...`` header; None for no (or an ignored) range."""
    if not header:
        return None
    found = _RANGE.match(header.strip())
    if found is None:
        return None  # S3 ignores ranges it does not understand (several ranges, other units)
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            raise unsatisfiable(header, size)
        return max(0, size - length), size
    start = int(first)
    end = size if not last else min(int(last) + 1, size)
    if start >= size or (last and int(last) < start):
        if last and int(last) < start:
            return None  # an invalid range is ignored, as by S3
        raise unsatisfiable(header, size)
    return start, end


def unsatisfiable(header: str, size: int) -> ServiceError:
    return ServiceError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        fields={"RangeRequested": header, "ActualObjectSize": str(size)},
    )


def copy_source(value: str) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of an ``x-amz-copy-source`` header."""
    text, _, query = value.partition("?")
    text = unquote(text).lstrip("/")
    bucket, _, key = text.partition("/")
    version = None
    if query.startswith("versionId="):
        version = unquote(query[len("versionId=") :])
    if not bucket or not key:
        raise ServiceError(
            "InvalidArgument",
            "Invalid copy source object key",
            400,
            fields={"ArgumentName": "x-amz-copy-source", "ArgumentValue": value},
        )
    return bucket, key, version


def copy_source_range(header: str, size: int) -> tuple[int, int]:
    """[start, end) of an ``x-amz-copy-source-range`` (``bytes=first-last``, both given)."""
    found = _COPY_RANGE.match(header)
    if found is None or int(found[2]) < int(found[1]):
        raise ServiceError(
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "
            "the zero-based offsets of the first and last bytes to copy",
            400,
            fields={"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": header},
        )
    first, last = int(found[1]), int(found[2])
    if first >= size:
        raise ServiceError(
            "InvalidRequest", "The specified copy range is invalid for the source object size", 400
        )
    if last >= size:
        raise ServiceError(
            "InvalidArgument",
            f"Range specified is not valid for source object of size: {size}",
            400,
            fields={"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": header},
        )
    return first, last + 1
