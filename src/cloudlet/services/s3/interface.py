"""What other services read from S3 in process (Lambda's deployment packages)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


def read_object(runtime: Runtime, bucket: str, key: str, version_id: str | None = None) -> bytes:
    """The bytes of an object (version), or S3's error (NoSuchBucket, NoSuchKey, ...) as a ServiceError."""
    provider: Any = runtime.load("s3")
    if provider is None:
        raise ServiceError("NoSuchBucket", "The specified bucket does not exist", 404)
    found = provider.bucket(bucket)
    row = provider._object(found, key, version_id, "GET")
    if row.inline:
        return bytes(provider.db.body(row))
    if not row.blob_id:
        return b""
    return bytes(provider.blobs.read_all(row.blob_id))
