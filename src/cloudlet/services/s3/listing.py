"""Listings: ListObjects (v1), ListObjectsV2 and ListObjectVersions, with prefixes,
delimiters (common prefixes count as entries), markers, continuation tokens and URL
encoding (the S3 provider mixes these in).

Expectations come from ``aws-reference/s3/test_s3_list_operations.snapshot.json``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3.store import Bucket, ObjectRow
from cloudlet.services.s3.wire import owner_of

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider

MAX_LIST_KEYS = 1000
_PAST = "\U0010ffff"  # sorts after every character a key can continue with


def check_encoding(params: dict[str, Any]) -> bool:
    """Whether the listing asks for URL-encoded keys; S3's error for another encoding."""
    encoding = params.get("EncodingType")
    if encoding is not None and encoding != "url":
        raise ServiceError(
            "InvalidArgument",
            "Invalid Encoding Method specified in Request",
            400,
            fields={"ArgumentName": "encoding-type", "ArgumentValue": encoding},
        )
    return bool(encoding)


def encoder(encode: bool) -> Callable[[str], str]:
    return (lambda v: quote(v, safe="/")) if encode else (lambda v: v)


def common_prefix(key: str, prefix: str, delimiter: str | None) -> str | None:
    """The common prefix ``key`` rolls up into under ``delimiter``, if any."""
    if not delimiter:
        return None
    cut = key.find(delimiter, len(prefix))
    return key[: cut + len(delimiter)] if cut >= 0 else None


def listing_params(params: dict[str, Any], max_name: str = "MaxKeys") -> tuple[str, str | None, int, bool]:
    """(prefix, delimiter, page size, URL encoding) of a listing request."""
    max_keys = params.get(max_name)
    if max_keys is None:
        max_keys = MAX_LIST_KEYS
    if max_keys < 0:
        raise ServiceError(
            "InvalidArgument",
            f"Argument {max_name[0].lower()}{max_name[1:]} must be an integer between 0 and 2147483647",
            400,
            fields={"ArgumentName": max_name[0].lower() + max_name[1:], "ArgumentValue": str(max_keys)},
        )
    encode = check_encoding(params)
    return params.get("Prefix") or "", params.get("Delimiter") or None, min(max_keys, MAX_LIST_KEYS), encode


def encode_token(key: str) -> str:
    """A continuation token for the listing to go on after ``key`` (any text)."""
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_token(token: str) -> str:
    """The text a continuation token carries; S3's InvalidArgument for one that is not ours."""
    try:
        # validate: characters outside the alphabet are an error, not skipped
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (ValueError, UnicodeDecodeError):  # binascii.Error is a ValueError
        raise ServiceError(
            "InvalidArgument",
            "The continuation token provided is incorrect",
            400,
            fields={"ArgumentName": "continuation-token"},
        ) from None


class Listings:
    """The listing operations of the S3 provider."""

    def _list(
        self: S3Provider, bucket: Bucket, prefix: str, delimiter: str | None, after: str, max_keys: int
    ) -> tuple[list[ObjectRow], list[str], bool, str]:
        """Up to ``max_keys`` entries after ``after``: (objects, common prefixes, truncated, last entry)."""
        objects: list[ObjectRow] = []
        prefixes: list[str] = []
        last = cursor = after
        while True:
            rows = self.db.listing(bucket, prefix, cursor, MAX_LIST_KEYS + 1)
            if not rows:
                return objects, prefixes, False, last
            for row in rows:
                if len(objects) + len(prefixes) >= max_keys:
                    return objects, prefixes, True, last
                common = common_prefix(row.key, prefix, delimiter)
                if common is None:
                    objects.append(row)
                    last = cursor = row.key
                    continue
                cursor = common + _PAST  # past every key under this common prefix
                if common > after:  # a StartAfter inside the group already passed it
                    prefixes.append(common)
                    last = common
                break

    @staticmethod
    def _content(row: ObjectRow, owner: dict[str, str] | None, encode: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Key": encoder(encode)(row.key),
            "LastModified": int(row.modified),  # S3 lists whole seconds (".000Z")
            "ETag": row.etag,
            "Size": row.size,
            "StorageClass": row.meta.get("StorageClass", "STANDARD"),
        }
        if row.meta.get("Checksums"):
            entry["ChecksumAlgorithm"] = list(row.meta["Checksums"])
            entry["ChecksumType"] = row.meta.get("ChecksumType", "FULL_OBJECT")
        if owner is not None:
            entry["Owner"] = owner
        return entry

    def list_objects_v2(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, delimiter, max_keys, encode = listing_params(params)
        token = params.get("ContinuationToken")
        after = params.get("StartAfter") or ""
        if token is not None:
            after = decode_token(token)
        objects, prefixes, truncated, last = self._list(bucket, prefix, delimiter, after, max_keys)
        owner = owner_of(bucket.account) if params.get("FetchOwner") else None
        enc = encoder(encode)
        out: dict[str, Any] = {
            "IsTruncated": truncated,
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "MaxKeys": params.get("MaxKeys", MAX_LIST_KEYS),
            "KeyCount": len(objects) + len(prefixes),
        }
        if objects:
            out["Contents"] = [self._content(r, owner, encode) for r in objects]
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        if delimiter:
            out["Delimiter"] = enc(delimiter)
        if encode:
            out["EncodingType"] = "url"
        if token is not None:
            out["ContinuationToken"] = token
        if params.get("StartAfter"):
            out["StartAfter"] = enc(params["StartAfter"])
        if truncated:
            out["NextContinuationToken"] = encode_token(last)
        return out

    def list_objects(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, delimiter, max_keys, encode = listing_params(params)
        marker = params.get("Marker") or ""
        objects, prefixes, truncated, last = self._list(bucket, prefix, delimiter, marker, max_keys)
        owner = owner_of(bucket.account)
        enc = encoder(encode)
        out: dict[str, Any] = {
            "IsTruncated": truncated,
            "Marker": enc(marker),
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "MaxKeys": params.get("MaxKeys", MAX_LIST_KEYS),
        }
        if objects:
            out["Contents"] = [self._content(r, owner, encode) for r in objects]
        if prefixes:
            out["CommonPrefixes"] = [{"Prefix": enc(p)} for p in prefixes]
        if delimiter:
            out["Delimiter"] = enc(delimiter)
            if truncated:
                out["NextMarker"] = enc(last)
        if encode:
            out["EncodingType"] = "url"
        return out

    def _list_versions(
        self: S3Provider,
        bucket: Bucket,
        prefix: str,
        delimiter: str | None,
        key_marker: str,
        after: tuple[str, int] | None,
        max_keys: int,
    ) -> tuple[list[ObjectRow | str], bool]:
        """Up to ``max_keys`` versions, delete markers and common prefixes after the markers."""
        entries: list[ObjectRow | str] = []
        cursor = after
        while True:
            rows = self.db.versions(bucket, prefix, cursor, MAX_LIST_KEYS + 1)
            if not rows:
                return entries, False
            for row in rows:
                if len(entries) >= max_keys:
                    return entries, True
                common = common_prefix(row.key, prefix, delimiter)
                if common is None:
                    entries.append(row)
                    cursor = (row.key, row.seq)
                    continue
                cursor = (common + _PAST, 0)
                if common > key_marker:  # a KeyMarker inside the group already passed it
                    entries.append(common)
                break

    def list_object_versions(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, delimiter, max_keys, encode = listing_params(params)
        key_marker, version_marker = params.get("KeyMarker") or "", params.get("VersionIdMarker")
        if version_marker and not key_marker:
            raise ServiceError(
                "InvalidArgument",
                "A version-id marker cannot be specified without a key marker.",
                400,
                fields={"ArgumentName": "version-id-marker", "ArgumentValue": version_marker},
            )
        after = None
        if key_marker:
            marked = self.db.version(bucket, key_marker, version_marker) if version_marker else None
            after = (key_marker, marked.seq) if marked is not None else (key_marker + _PAST, 0)
        entries, truncated = self._list_versions(bucket, prefix, delimiter, key_marker, after, max_keys)
        owner = owner_of(bucket.account)
        enc = encoder(encode)
        versions, markers, prefixes = [], [], []
        for entry in entries:
            if isinstance(entry, str):
                prefixes.append({"Prefix": enc(entry)})
                continue
            item: dict[str, Any] = {
                "Key": enc(entry.key),
                "VersionId": entry.version_id,
                "IsLatest": entry.latest,
                "LastModified": int(entry.modified),
                "Owner": owner,
            }
            if entry.delete_marker:
                markers.append(item)
                continue
            item.update(
                ETag=entry.etag, Size=entry.size, StorageClass=entry.meta.get("StorageClass", "STANDARD")
            )
            if entry.meta.get("Checksums"):
                item["ChecksumAlgorithm"] = list(entry.meta["Checksums"])
                item["ChecksumType"] = entry.meta.get("ChecksumType", "FULL_OBJECT")
            versions.append(item)
        out: dict[str, Any] = {
            "IsTruncated": truncated,
            "KeyMarker": enc(key_marker),
            "VersionIdMarker": version_marker or "",
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "MaxKeys": params.get("MaxKeys", MAX_LIST_KEYS),
        }
        if versions:
            out["Versions"] = versions
        if markers:
            out["DeleteMarkers"] = markers
        if prefixes:
            out["CommonPrefixes"] = prefixes
        if delimiter:
            out["Delimiter"] = enc(delimiter)
        if truncated and entries:
            last = entries[-1]
            if isinstance(last, str):
                out["NextKeyMarker"] = enc(last)
            else:
                out["NextKeyMarker"], out["NextVersionIdMarker"] = enc(last.key), last.version_id
        if encode:
            out["EncodingType"] = "url"
        return out
