"""Multipart uploads: parts are blobs; completing an upload composes them without copying."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3 import checksums as ck
from cloudlet.services.s3.settings import malformed_xml
from cloudlet.services.s3.wire import byte_range, copy_source, headers_meta, owner_of, parse_tagging

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider

MIN_PART_BYTES = 5 * 1024 * 1024
MAX_PART_NUMBER = 10000


def no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted "
        "or completed.",
        404,
        fields={"UploadId": upload_id},
    )


def invalid_part() -> ServiceError:
    return ServiceError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
        400,
    )


class Multipart:
    """The multipart operations of the S3 provider."""

    def _upload(self: S3Provider, params: dict[str, Any]) -> tuple[Any, float, dict[str, Any]]:
        bucket = self.bucket(params["Bucket"])
        found = self.db.upload(bucket, params["Key"], params["UploadId"])
        if found is None:
            raise no_such_upload(params["UploadId"])
        return bucket, found[0], found[1]

    def create_multipart_upload(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        key = params["Key"]
        self._check_key(key)
        algorithm = params.get("ChecksumAlgorithm")
        checksum_type = ck.checksum_type_for(
            ck.requested(algorithm) if algorithm else None, params.get("ChecksumType")
        )
        meta = headers_meta(params)
        if params.get("StorageClass") and params["StorageClass"] != "STANDARD":
            meta["StorageClass"] = params["StorageClass"]
        if params.get("Tagging"):
            meta["Tags"] = parse_tagging(params["Tagging"])
        if algorithm:
            meta["ChecksumAlgorithm"] = ck.requested(algorithm)
            meta["ChecksumType"] = checksum_type
        upload_id = ids.token(32)
        with self.store.transaction():
            self.db.create_upload(upload_id, bucket, key, self.clock.now(), meta)
        out: dict[str, Any] = {"Bucket": bucket.name, "Key": key, "UploadId": upload_id}
        if algorithm:
            out["ChecksumAlgorithm"] = meta["ChecksumAlgorithm"]
            out["ChecksumType"] = checksum_type
        return out

    async def upload_part(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        number = params["PartNumber"]
        if not 1 <= number <= MAX_PART_NUMBER:
            raise ServiceError(
                "InvalidArgument",
                f"Part number must be an integer between 1 and {MAX_PART_NUMBER}, inclusive",
                400,
                fields={"ArgumentName": "partNumber", "ArgumentValue": str(number)},
            )
        _bucket, _initiated, meta = self._upload(params)
        provided = ck.provided_checksum(params)
        algorithm = meta.get("ChecksumAlgorithm") or (ck.requested(provided[0]) if provided else None)
        hashers = [ck.new_hasher(ck.MD5)]
        if algorithm:
            hashers.append(ck.new_hasher(algorithm))
        info = await asyncio.to_thread(self.blobs.write, params.get("Body") or b"", hashers)
        try:
            md5 = hashers[0].digest()
            if params.get("ContentMD5") is not None:
                ck.check_content_md5(params["ContentMD5"], md5)
            checksum = None
            if algorithm:
                digest = hashers[1].digest()
                if provided:
                    ck.check_checksum(algorithm, provided[1], digest)
                checksum = ck.b64(digest)
            with self.store.transaction():
                if self.db.upload(_bucket, params["Key"], params["UploadId"]) is None:
                    raise no_such_upload(params["UploadId"])  # completed or aborted meanwhile
                replaced = self.db.put_part(
                    params["UploadId"],
                    number,
                    info.blob_id,
                    info.size,
                    ck.etag(md5),
                    self.clock.now(),
                    checksum,
                )
        except ServiceError:
            self.blobs.delete(info.blob_id)
            raise
        if replaced:
            self.blobs.delete(replaced)
        out: dict[str, Any] = {"ETag": ck.etag(md5)}
        if checksum:
            out[f"Checksum{algorithm}"] = checksum
        return out

    async def upload_part_copy(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        _bucket, _initiated, _meta = self._upload(params)
        source_bucket, source_key, version = copy_source(params["CopySource"])
        source = self._object(self.bucket(source_bucket), source_key, version, "GET")
        start, end = 0, source.size
        if params.get("CopySourceRange"):
            window = byte_range(params["CopySourceRange"], source.size)
            if (
                window is None
                or not params["CopySourceRange"].startswith("bytes=")
                or "-" not in params["CopySourceRange"]
            ):
                raise ServiceError(
                    "InvalidArgument",
                    "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last "
                    "are the zero-based offsets of the first and last bytes to copy",
                    400,
                )
            start, end = window
        md5 = ck.new_hasher(ck.MD5)
        info = await asyncio.to_thread(self._copy_range, source.blob_id, start, end, md5)
        digest = md5.digest()
        with self.store.transaction():
            replaced = self.db.put_part(
                params["UploadId"],
                params["PartNumber"],
                info.blob_id,
                info.size,
                ck.etag(digest),
                self.clock.now(),
                None,
            )
        if replaced:
            self.blobs.delete(replaced)
        out: dict[str, Any] = {"CopyPartResult": {"ETag": ck.etag(digest), "LastModified": self.clock.now()}}
        if source.version_id != "null":
            out["CopySourceVersionId"] = source.version_id
        return out

    def _copy_range(self: S3Provider, blob_id: str | None, start: int, end: int, md5: Any) -> Any:
        """A new blob holding ``[start, end)`` of another (in a worker thread: it blocks on disk)."""
        if blob_id is None or end <= start:
            return self.blobs.write(b"", [md5])
        with self.blobs.open(blob_id, start, end) as reader:
            return self.blobs.write(reader, [md5])

    def complete_multipart_upload(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket, _initiated, meta = self._upload(params)
        upload_id = params["UploadId"]
        asked = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not asked:
            raise malformed_xml()
        numbers = [p["PartNumber"] for p in asked]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ServiceError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
                400,
                fields={"UploadId": upload_id},
            )
        stored = {p[0]: p for p in self.db.parts(upload_id)}
        chosen = []
        for i, part in enumerate(asked):
            found = stored.get(part["PartNumber"])
            if found is None or found[3].strip('"') != (part.get("ETag") or "").strip('"'):
                raise invalid_part()
            if i < len(asked) - 1 and found[2] < MIN_PART_BYTES:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    400,
                    fields={
                        "ProposedSize": str(found[2]),
                        "MinSizeAllowed": str(MIN_PART_BYTES),
                        "PartNumber": str(found[0]),
                        "ETag": found[3],
                    },
                )
            chosen.append(found)
        etag = ck.multipart_etag([bytes.fromhex(p[3].strip('"')) for p in chosen])
        object_meta = {k: v for k, v in meta.items() if k not in ("ChecksumAlgorithm", "ChecksumType")}
        algorithm = meta.get("ChecksumAlgorithm")
        out: dict[str, Any] = {"Bucket": bucket.name, "Key": params["Key"], "ETag": etag}
        if algorithm and all(p[5] for p in chosen):
            value = ck.multipart_checksum(
                algorithm, meta["ChecksumType"], [(ck.decode_checksum(algorithm, p[5]), p[2]) for p in chosen]
            )
            object_meta["Checksums"] = {algorithm: value}
            out[f"Checksum{algorithm}"] = value
            out["ChecksumType"] = meta["ChecksumType"]
        info = self.blobs.concat([p[1] for p in chosen]) if len(chosen) > 1 else None
        blob_id = info.blob_id if info is not None else chosen[0][1]
        size = sum(p[2] for p in chosen)
        row = self.new_version(bucket, params["Key"], blob_id, size, etag, object_meta)
        with self.store.transaction():
            self.db.drop_upload(upload_id)
            self.store_version(ctx, bucket, row, "s3:ObjectCreated:CompleteMultipartUpload")
        used = {p[1] for p in chosen}
        for part in stored.values():
            if part[1] not in used:
                self.blobs.delete(part[1])
        out["Location"] = f"/{bucket.name}/{params['Key']}"
        if row.version_id != "null":
            out["VersionId"] = row.version_id
        return out

    def abort_multipart_upload(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        _bucket, _initiated, _meta = self._upload(params)
        parts = self.db.parts(params["UploadId"])
        with self.store.transaction():
            self.db.drop_upload(params["UploadId"])
        for part in parts:
            self.blobs.delete(part[1])
        return {}

    def list_parts(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket, _initiated, meta = self._upload(params)
        marker = params.get("PartNumberMarker") or 0
        limit = params.get("MaxParts") or 1000
        parts = [p for p in self.db.parts(params["UploadId"]) if p[0] > marker]
        page = parts[:limit]
        owner = owner_of(bucket.account)
        out: dict[str, Any] = {
            "Bucket": bucket.name,
            "Key": params["Key"],
            "UploadId": params["UploadId"],
            "PartNumberMarker": marker,
            "MaxParts": limit,
            "IsTruncated": len(parts) > limit,
            "Initiator": owner,
            "Owner": owner,
            "StorageClass": meta.get("StorageClass", "STANDARD"),
            "Parts": [
                {"PartNumber": p[0], "LastModified": p[4], "ETag": p[3], "Size": p[2]}
                | (
                    {f"Checksum{meta['ChecksumAlgorithm']}": p[5]}
                    if p[5] and meta.get("ChecksumAlgorithm")
                    else {}
                )
                for p in page
            ],
        }
        if page:
            out["NextPartNumberMarker"] = page[-1][0]
        if meta.get("ChecksumAlgorithm"):
            out["ChecksumAlgorithm"] = meta["ChecksumAlgorithm"]
            out["ChecksumType"] = meta["ChecksumType"]
        return out

    def list_multipart_uploads(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix = params.get("Prefix") or ""
        key_marker, id_marker = params.get("KeyMarker") or "", params.get("UploadIdMarker")
        limit = params.get("MaxUploads") or 1000
        uploads = self.db.uploads(bucket, prefix)
        if key_marker:
            uploads = [
                u
                for u in uploads
                if u[1] > key_marker or (u[1] == key_marker and id_marker and u[0] > id_marker)
            ]
        page = uploads[:limit]
        owner = owner_of(bucket.account)
        out: dict[str, Any] = {
            "Bucket": bucket.name,
            "KeyMarker": key_marker,
            "UploadIdMarker": id_marker or "",
            "Prefix": prefix,
            "MaxUploads": limit,
            "IsTruncated": len(uploads) > limit,
            "Uploads": [
                {
                    "UploadId": u[0],
                    "Key": u[1],
                    "Initiated": u[2],
                    "StorageClass": u[3].get("StorageClass", "STANDARD"),
                    "Owner": owner,
                    "Initiator": owner,
                }
                for u in page
            ],
        }
        if len(uploads) > limit and page:
            out["NextKeyMarker"], out["NextUploadIdMarker"] = page[-1][1], page[-1][0]
        return out
