"""Pieces of S3 requests and answers the provider's modules share: owners, stored headers,
tags, byte ranges and copy sources."""

from __future__ import annotations

import hashlib
import re
from typing import Any
from urllib.parse import parse_qsl, unquote

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.settings import malformed_xml

CONTENT_HEADERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ContentType")
_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")


def owner_of(account: str) -> dict[str, str]:
    """The Owner element S3 gives for an account's buckets and objects."""
    return {"ID": canonical_user_id(account), "DisplayName": "webfile"}


def headers_meta(params: dict[str, Any]) -> dict[str, Any]:
    """The content headers and user metadata a write stores with an object."""
    meta: dict[str, Any] = {n: params[n] for n in CONTENT_HEADERS if params.get(n) is not None}
    if params.get("Metadata"):
        meta["Metadata"] = {k.lower(): v for k, v in params["Metadata"].items()}
    return meta


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


def parse_tagging(value: str) -> list[dict[str, str]]:
    """The tags of an ``x-amz-tagging`` header (a URL query string)."""
    tags = [{"Key": k, "Value": v} for k, v in parse_qsl(value, keep_blank_values=True)]
    check_tags(tags)
    return tags


def check_tags(tags: list[dict[str, str]]) -> None:
    if any("Key" not in t or "Value" not in t for t in tags):
        raise malformed_xml()
    keys = [t["Key"] for t in tags]
    if len(set(keys)) != len(keys):
        raise ServiceError("InvalidTag", "Cannot provide multiple Tags with the same key", 400)
    if len(tags) > 10:
        raise ServiceError("BadRequest", "Object tags cannot be greater than 10", 400)
    for tag in tags:
        if not 1 <= len(tag["Key"]) <= 128 or len(tag["Value"]) > 256:
            raise ServiceError(
                "InvalidTag", "The TagKey you have provided is invalid", 400
            )  # message unverified
