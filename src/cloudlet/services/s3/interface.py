"""What other services read from and write to S3 in process (Lambda's deployment packages,
S3 Control's access points, Firehose's deliveries)."""

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


async def write_object(
    runtime: Runtime,
    bucket: str,
    key: str,
    data: bytes,
    content_type: str = "application/octet-stream",
    *,
    kms_key_id: str | None = None,
) -> dict[str, Any]:
    """Put an object as its bucket's owner, through PutObject's own path (versioning, default
    encryption, notifications, lifecycle as for any PutObject): PutObject's answer, or S3's error
    (NoSuchBucket, ...) as a ServiceError. ``kms_key_id``: SSE-KMS with that key."""
    from cloudlet.core.ids import request_id
    from cloudlet.services.base import RequestContext

    provider: Any = runtime.load("s3")
    owner = bucket_owner(runtime, bucket)
    if provider is None or owner is None:
        raise ServiceError("NoSuchBucket", "The specified bucket does not exist", 404)
    ctx = RequestContext("s3", "PutObject", owner[0], owner[1], request_id())
    params: dict[str, Any] = {"Bucket": bucket, "Key": key, "Body": data, "ContentType": content_type}
    if kms_key_id is not None:
        params.update(ServerSideEncryption="aws:kms", SSEKMSKeyId=kms_key_id)
    return await provider.put_object(ctx, params)


def bucket_owner(runtime: Runtime, bucket: str) -> tuple[str, str] | None:
    """(account, region) of a bucket, or None when there is no such bucket."""
    provider: Any = runtime.load("s3")
    found = provider.db.bucket(bucket) if provider is not None else None
    return (found.account, found.region) if found is not None else None


def check_policy(policy: str) -> None:
    """A resource policy document as S3 checks a bucket policy (MalformedPolicy otherwise)."""
    from cloudlet.services.s3.configs import check_policy as check

    check(policy)


def policy_is_public(policy: str) -> bool:
    """Whether S3 calls a resource policy public (as GetBucketPolicyStatus answers it)."""
    from cloudlet.services.s3.configs import policy_is_public as is_public

    return is_public(policy)
