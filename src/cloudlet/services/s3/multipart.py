"""Multipart uploads: parts are blobs; completing an upload composes them without copying.

Checksums (S3 API reference and the recordings in ``test_s3.snapshot.json``,
TestS3MultipartUploadChecksum): an upload created with an algorithm keeps that algorithm's
checksum of every part, and completes to a COMPOSITE (``<checksum of the part checksums>-N``)
or FULL_OBJECT (the CRC of the whole object, combined from the parts' CRCs) checksum. An
upload created without one still gets S3's default, a FULL_OBJECT CRC64NVME, so each of its
parts keeps a CRC64NVME too. A completed object remembers its parts (``meta["Parts"]``: size,
checksum when the upload named an algorithm, part number), for GetObject/HeadObject by
``partNumber`` and GetObjectAttributes' ``ObjectParts``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.kms.interface import key_service
from cloudlet.services.s3 import checksums as ck
from cloudlet.services.s3 import conditions as cond
from cloudlet.services.s3 import encryption as sse
from cloudlet.services.s3.errors import MAX_SINGLE_PUT, entity_too_large, malformed_xml
from cloudlet.services.s3.listing import common_prefix, encoder, listing_params
from cloudlet.services.s3.store import ObjectRow
from cloudlet.services.s3.tags import parse_tagging_header
from cloudlet.services.s3.wire import copy_source_range, headers_meta, initiator_of, object_url, owner_of

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


def invalid_part(upload_id: str, number: int, etag: str) -> ServiceError:
    return ServiceError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been uploaded, or the "
        "specified entity tag may not match the part's entity tag.",
        400,
        fields={"UploadId": upload_id, "PartNumber": str(number), "ETag": etag.strip('"')},
    )


def _invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def part_window(row: ObjectRow, number: int) -> tuple[int, int, int, str | None]:
    """(start, end, parts count, part checksum) of part ``number`` of an object; an object
    not uploaded in parts is one part."""
    parts = row.meta.get("Parts") or [[row.size, None]]
    if not 1 <= number <= len(parts):
        raise ServiceError(
            "InvalidPartNumber",
            "The requested partnumber is not satisfiable",
            416,
            fields={"PartNumberRequested": str(number), "ActualPartCount": str(len(parts))},
        )
    start = sum(part[0] for part in parts[: number - 1])
    size, checksum = parts[number - 1][:2]
    return start, start + size, len(parts), checksum


def object_parts(row: ObjectRow, marker: int, limit: int) -> dict[str, Any] | None:
    """GetObjectAttributes' ``ObjectParts`` of an object: ``None`` for one not uploaded in
    parts (a single PUT, a copy); else the parts count, and, when the upload kept a COMPOSITE
    checksum, a page of its parts as ListParts pages them: those numbered after ``marker``, at
    most ``limit``, each with its size and checksum.

    As recorded from S3 (``test_get_object_attributes``: no ObjectParts for a single PUT, only
    ``TotalPartsCount`` for uploads without an algorithm;
    ``test_complete_multipart_parts_checksum_composite[*]`` and
    ``test_multipart_upload_part_copy_checksum[COMPOSITE]``: the parts listed;
    ``..._full_object[*]``, ``..._default`` and ``..._part_copy_checksum[FULL_OBJECT]``: only
    ``TotalPartsCount``, part checksums or not). The API reference: the parts are listed only
    for objects uploaded with an additional checksum.
    """
    parts = row.meta.get("Parts")
    if not parts:
        return None
    out: dict[str, Any] = {"TotalPartsCount": len(parts)}
    algorithm = row.meta.get("ChecksumAlgorithm")
    if not algorithm or row.meta.get("ChecksumType") != ck.COMPOSITE:
        return out
    # Objects completed before part numbers were kept list their parts by position.
    numbered = [(part[2] if len(part) > 2 else i, part[0], part[1]) for i, part in enumerate(parts, start=1)]
    after = [part for part in numbered if part[0] > marker]
    page = after[:limit]
    out.update(
        PartNumberMarker=marker,
        NextPartNumberMarker=page[-1][0] if page else 0,
        MaxParts=limit,
        IsTruncated=len(after) > limit,
    )
    if page:
        out["Parts"] = [
            {"PartNumber": number, "Size": size} | ({f"Checksum{algorithm}": checksum} if checksum else {})
            for number, size, checksum in page
        ]
    return out


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
        self.set_write_acl(meta, bucket, params)  # the completed object's ACL
        self.set_write_lock(meta, bucket, params)  # and its retention and legal hold (objectlock.py)
        encryption = sse.object_encryption(
            params, bucket, ctx.account, key, "s3:PutObject", key_service(self.runtime)
        )
        if encryption is not None:  # the completed object's, whatever the bucket's default becomes
            meta[sse.META_KEY] = encryption
        if params.get("Expires") is not None:
            meta["Expires"] = params["Expires"]
        if params.get("StorageClass") and params["StorageClass"] != "STANDARD":
            meta["StorageClass"] = params["StorageClass"]
        if params.get("Tagging"):
            meta["Tags"] = parse_tagging_header(params["Tagging"])
        if algorithm:
            meta["ChecksumAlgorithm"] = ck.requested(algorithm)
            meta["ChecksumType"] = checksum_type
        upload_id = ids.token(32)
        with self.store.transaction():
            self.db.create_upload(upload_id, bucket, key, self.clock.now(), meta)
        out: dict[str, Any] = {
            "Bucket": bucket.name,
            "Key": key,
            "UploadId": upload_id,
            **sse.answer(encryption),
        }
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
        bucket, _initiated, meta = self._upload(params)
        if (params.get("ContentLength") or 0) > MAX_SINGLE_PUT:
            raise entity_too_large(params["ContentLength"], MAX_SINGLE_PUT)
        sse.check_part(meta.get(sse.META_KEY), params, bucket, ctx.account)
        provided = ck.provided_checksum(params)
        sent = provided[0] if provided else params.get("ChecksumAlgorithm")
        sent = ck.requested(sent) if sent else None
        kept = meta.get("ChecksumAlgorithm")
        if kept and sent and sent != kept:
            raise _invalid_request(
                f"Checksum Type mismatch occurred, expected checksum Type: {kept.lower()}, "
                f"actual checksum Type: {sent.lower()}"
            )
        kept = kept or ck.DEFAULT_ALGORITHM
        shown = sent or meta.get("ChecksumAlgorithm")
        algorithms = [a for a in dict.fromkeys((kept, shown)) if a]
        hashers = {a: ck.new_hasher(a) for a in (ck.MD5, *algorithms)}
        info = await self.blobs.write_soon(params.get("Body") or b"", list(hashers.values()))
        try:
            md5 = hashers[ck.MD5].digest()
            if params.get("ContentMD5") is not None:
                ck.check_content_md5(params["ContentMD5"], md5, expected_form="base64")
            digests = {a: hashers[a].digest() for a in algorithms}
            if provided:
                ck.check_checksum(provided[0], provided[1], digests[ck.canonical(provided[0])])
            with self.store.transaction():
                if self.db.upload(bucket, params["Key"], params["UploadId"]) is None:
                    raise no_such_upload(params["UploadId"])  # completed or aborted meanwhile
                replaced = self.db.put_part(
                    params["UploadId"],
                    number,
                    info.blob_id,
                    info.size,
                    ck.etag(md5),
                    self.clock.now(),
                    ck.b64(digests[kept]),
                )
        except ServiceError:
            self.blobs.delete(info.blob_id)
            raise
        if replaced:
            self.blobs.delete(replaced)
        out: dict[str, Any] = {"ETag": ck.etag(md5), **sse.answer(meta.get(sse.META_KEY))}
        if shown:
            out[f"Checksum{shown}"] = ck.b64(digests[shown])
        return out

    async def upload_part_copy(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket, _initiated, meta = self._upload(params)
        sse.check_part(meta.get(sse.META_KEY), params, bucket, ctx.account)
        source_key_md5 = sse.customer_key(params, sse.COPY_SOURCE_CUSTOMER, reading=True)
        source = self.copy_source_object(params["CopySource"])
        sse.check_read(source.meta.get(sse.META_KEY), source_key_md5)
        sse.check_kms_read(source.meta.get(sse.META_KEY), key_service(self.runtime))
        start, end = 0, source.size
        if params.get("CopySourceRange"):
            start, end = copy_source_range(params["CopySourceRange"], source.size)
        cond.check_copy_source(source, params, self.clock.now())
        kept = meta.get("ChecksumAlgorithm") or ck.DEFAULT_ALGORITHM
        hashers = {a: ck.new_hasher(a) for a in (ck.MD5, kept)}
        if source.inline:  # parts are blobs: a part copied from a small object is written out
            info = await self.blobs.write_soon(self.db.body(source)[start:end], list(hashers.values()))
        else:
            info = await asyncio.to_thread(
                self._copy_range, source.blob_id, start, end, list(hashers.values())
            )
        md5, digest = hashers[ck.MD5].digest(), hashers[kept].digest()
        try:
            with self.store.transaction():
                if self.db.upload(bucket, params["Key"], params["UploadId"]) is None:
                    raise no_such_upload(params["UploadId"])
                replaced = self.db.put_part(
                    params["UploadId"],
                    params["PartNumber"],
                    info.blob_id,
                    info.size,
                    ck.etag(md5),
                    self.clock.now(),
                    ck.b64(digest),
                )
        except ServiceError:
            self.blobs.delete(info.blob_id)
            raise
        if replaced:
            self.blobs.delete(replaced)
        result: dict[str, Any] = {"ETag": ck.etag(md5), "LastModified": int(self.clock.now())}
        if meta.get("ChecksumAlgorithm"):
            result[f"Checksum{kept}"] = ck.b64(digest)
        out: dict[str, Any] = {"CopyPartResult": result, **sse.answer(meta.get(sse.META_KEY))}
        if source.version_id != "null":
            out["CopySourceVersionId"] = source.version_id
        return out

    def _copy_range(self: S3Provider, blob_id: str | None, start: int, end: int, hashers: list[Any]) -> Any:
        """A new blob holding ``[start, end)`` of another (in a worker thread: it blocks on disk)."""
        if blob_id is None or end <= start:
            return self.blobs.write(b"", hashers)
        with self.blobs.open(blob_id, start, end) as reader:
            return self.blobs.write(reader, hashers)

    def _chosen_parts(
        self: S3Provider, upload_id: str, asked: list[dict[str, Any]], meta: dict[str, Any]
    ) -> list[tuple[int, str, int, str, float, str | None]]:
        """The stored parts a CompleteMultipartUpload names, checked against the request."""
        numbers = [p["PartNumber"] for p in asked]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ServiceError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
                400,
                fields={"UploadId": upload_id},
            )
        algorithm = meta.get("ChecksumAlgorithm")
        stored = {p[0]: p for p in self.db.parts(upload_id)}
        chosen = []
        for i, part in enumerate(asked):
            number, etag = part["PartNumber"], part.get("ETag") or ""
            found = stored.get(number)
            if found is None or found[3].strip('"') != etag.strip('"'):
                raise invalid_part(upload_id, number, etag)
            given = {a: part[m] for a, m in ck.MEMBERS.items() if part.get(m) is not None}
            if algorithm is None and given:
                raise invalid_part(upload_id, number, etag)  # the upload keeps no part checksums
            if algorithm is not None:
                other = next((a for a in given if a != algorithm), None)
                if other is not None:
                    raise ck.part_checksum_mismatch(other, number)
                if algorithm not in given and meta.get("ChecksumType") == ck.COMPOSITE:
                    raise _invalid_request(
                        f"The upload was created using a {algorithm.lower()} checksum. The complete request must "
                        f"include the checksum for each part. It was missing for part {number} in the request."
                    )
                if algorithm in given and given[algorithm] != found[5]:
                    raise invalid_part(upload_id, number, etag)
            if i < len(asked) - 1 and found[2] < MIN_PART_BYTES:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    400,
                    fields={
                        "ProposedSize": str(found[2]),
                        "MinSizeAllowed": str(MIN_PART_BYTES),
                        "PartNumber": str(number),
                        "ETag": found[3].strip('"'),
                    },
                )
            chosen.append(found)
        return chosen

    @staticmethod
    def _object_checksum(
        params: dict[str, Any],
        meta: dict[str, Any],
        chosen: list[tuple[int, str, int, str, float, str | None]],
    ) -> tuple[str, str, str] | None:
        """(algorithm, type, value) of a completed upload's checksum; S3's errors for a
        whole-object checksum the request gives that differs."""
        algorithm = meta.get("ChecksumAlgorithm") or ck.DEFAULT_ALGORITHM
        checksum_type = meta.get("ChecksumType") or ck.FULL_OBJECT
        if not all(p[5] for p in chosen):
            return None  # parts stored before part checksums were kept
        value = ck.multipart_checksum(
            algorithm, checksum_type, [(ck.decode_checksum(algorithm, p[5] or ""), p[2]) for p in chosen]
        )
        given = params.get(f"Checksum{algorithm}")
        if given is not None and checksum_type == ck.FULL_OBJECT and given != value:
            raise ck.multipart_checksum_mismatch(algorithm)
        return algorithm, checksum_type, value

    def complete_multipart_upload(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket, _initiated, meta = self._upload(params)
        upload_id = params["UploadId"]
        cond.check_write_headers(params)
        if params.get("MultipartUpload") is None:
            raise malformed_xml()
        asked = params["MultipartUpload"].get("Parts") or []
        if not asked:
            raise _invalid_request("You must specify at least one part")
        mode = params.get("ChecksumType")
        if mode is not None and mode != meta.get("ChecksumType"):
            raise _invalid_request(
                f"The upload was created using the {meta.get('ChecksumType') or 'null'} checksum mode. The "
                "complete request must use the same checksum mode."
            )
        chosen = self._chosen_parts(upload_id, asked, meta)
        size = sum(p[2] for p in chosen)
        if params.get("MpuObjectSize") is not None and params["MpuObjectSize"] != size:
            raise _invalid_request(
                f"The provided 'x-amz-mp-object-size' header value {params['MpuObjectSize']} does not match what "
                f"was computed: {size}"
            )
        checksum = self._object_checksum(params, meta, chosen)
        cond.check_write(self.db.current(bucket, params["Key"]), params["Key"], params)
        etag = ck.multipart_etag([bytes.fromhex(p[3].strip('"')) for p in chosen])
        object_meta = {k: v for k, v in meta.items() if k not in ("ChecksumAlgorithm", "ChecksumType")}
        out: dict[str, Any] = {
            "Bucket": bucket.name,
            "Key": params["Key"],
            "ETag": etag,
            **sse.answer(meta.get(sse.META_KEY)),  # SSE-C is not answered here (not in the output shape)
        }
        keeps_parts = bool(meta.get("ChecksumAlgorithm"))
        object_meta["Parts"] = [[p[2], p[5] if keeps_parts else None, p[0]] for p in chosen]
        # S3's default checksum of an upload created without an algorithm is not answered here
        # when the upload is SSE-KMS (its GetObject answers it) and not kept at all when it is
        # SSE-C (recorded: multi-sse-compete-multipart and get-obj of test_s3_multipart_upload_sse;
        # complete-multipart-checksum and get-obj-sse-c of test_multipart_upload_sse_c).
        encryption = meta.get(sse.META_KEY)
        if checksum is not None and not (not keeps_parts and sse.is_customer(encryption)):
            algorithm, checksum_type, value = checksum
            object_meta.update(Checksums={algorithm: value}, ChecksumType=checksum_type)
            if keeps_parts:
                object_meta["ChecksumAlgorithm"] = algorithm
            if keeps_parts or encryption is None:
                out[f"Checksum{algorithm}"] = value
                out["ChecksumType"] = checksum_type
        info = self.blobs.concat([p[1] for p in chosen]) if len(chosen) > 1 else None
        blob_id = info.blob_id if info is not None else chosen[0][1]
        row = self.new_version(bucket, params["Key"], blob_id, size, etag, object_meta)
        stored = self.db.parts(upload_id)
        with self.store.transaction():
            self.db.drop_upload(upload_id)
            self.store_version(ctx, bucket, row, "s3:ObjectCreated:CompleteMultipartUpload")
        used = {p[1] for p in chosen}
        for part in stored:
            if part[1] not in used:
                self.blobs.delete(part[1])
        out["Location"] = object_url(ctx.request, bucket.name, params["Key"])
        if row.version_id != "null":
            out["VersionId"] = row.version_id
        self._add_expiration(out, bucket, row)
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
        limit = params.get("MaxParts")
        limit = 1000 if limit is None else limit
        parts = [p for p in self.db.parts(params["UploadId"]) if p[0] > marker]
        page = parts[:limit]
        owner = owner_of(bucket.account)
        algorithm = meta.get("ChecksumAlgorithm")
        out: dict[str, Any] = {
            "Bucket": bucket.name,
            "Key": params["Key"],
            "UploadId": params["UploadId"],
            "PartNumberMarker": marker,
            "NextPartNumberMarker": page[-1][0] if page else 0,
            "MaxParts": limit,
            "IsTruncated": len(parts) > limit,
            "Initiator": initiator_of(bucket.account),
            "Owner": owner,
            "StorageClass": meta.get("StorageClass", "STANDARD"),
        }
        if page:
            out["Parts"] = [
                {"PartNumber": p[0], "LastModified": int(p[4]), "ETag": p[3], "Size": p[2]}
                | ({f"Checksum{algorithm}": p[5]} if p[5] and algorithm else {})
                for p in page
            ]
        if algorithm:
            out["ChecksumAlgorithm"] = algorithm
            out["ChecksumType"] = meta["ChecksumType"]
        return out

    def list_multipart_uploads(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, delimiter, limit, encode = listing_params(params, "MaxUploads")
        key_marker = params.get("KeyMarker") or ""
        id_marker = (params.get("UploadIdMarker") or "") if key_marker else ""  # ignored without a key marker
        uploads = self.db.uploads(bucket, prefix)
        if key_marker:
            start = next((i for i, u in enumerate(uploads) if u[1] > key_marker), len(uploads))
            if id_marker:
                start = next(
                    (i + 1 for i, u in enumerate(uploads) if u[1] == key_marker and u[0] == id_marker), -1
                )
                if start < 0:
                    raise ServiceError(
                        "InvalidArgument",
                        "Invalid uploadId marker",
                        400,
                        fields={"ArgumentName": "upload-id-marker", "ArgumentValue": id_marker},
                    )
            uploads = uploads[start:]
        entries: list[tuple[str, str, float, dict[str, Any]] | str] = []
        truncated = False
        for upload in uploads:
            common = common_prefix(upload[1], prefix, delimiter)
            if common is not None and (common <= key_marker or (entries and entries[-1] == common)):
                continue
            if len(entries) >= limit:
                truncated = True
                break
            entries.append(common if common is not None else upload)
        owner = owner_of(bucket.account)
        enc = encoder(encode)
        listed = [u for u in entries if not isinstance(u, str)]
        out: dict[str, Any] = {
            "Bucket": bucket.name,
            "KeyMarker": enc(key_marker),
            "UploadIdMarker": id_marker,
            "NextKeyMarker": enc(listed[-1][1]) if listed else "",
            "NextUploadIdMarker": listed[-1][0] if listed else "",
            "MaxUploads": params.get("MaxUploads", 1000),
            "IsTruncated": truncated,
        }
        if truncated and isinstance(entries[-1], str):  # the page ends with a common prefix
            out["NextKeyMarker"], out["NextUploadIdMarker"] = enc(entries[-1]), ""
        if listed:
            out["Uploads"] = [_upload_entry(u, owner, initiator_of(bucket.account), enc) for u in listed]
        prefixes = [{"Prefix": enc(p)} for p in entries if isinstance(p, str)]
        if prefixes:
            out["CommonPrefixes"] = prefixes
        if params.get("Prefix") is not None:
            out["Prefix"] = enc(prefix)
        if delimiter:
            out["Delimiter"] = enc(delimiter)
        if encode:
            out["EncodingType"] = "url"
        return out


def _upload_entry(
    upload: tuple[str, str, float, dict[str, Any]], owner: dict[str, str], initiator: dict[str, str], enc: Any
) -> dict[str, Any]:
    upload_id, key, initiated, meta = upload
    entry: dict[str, Any] = {
        "UploadId": upload_id,
        "Key": enc(key),
        "Initiated": int(initiated),
        "StorageClass": meta.get("StorageClass", "STANDARD"),
        "Owner": owner,
        "Initiator": initiator,
    }
    if meta.get("ChecksumAlgorithm"):
        entry["ChecksumAlgorithm"] = meta["ChecksumAlgorithm"]
        entry["ChecksumType"] = meta["ChecksumType"]
    return entry
