"""Amazon S3: buckets and objects, bodies streamed to and from disk.

This is the first slice of the service: buckets (create, head, list, delete, location),
objects (put, get with ranges and conditions, head, delete) and listings (v1 and v2 with
prefixes, delimiters and paging). Operations not written yet answer NotImplemented.
"""

from __future__ import annotations

import asyncio
import base64
import ipaddress
import re
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cloudlet.core import ids
from cloudlet.gateway.detect import account_for
from cloudlet.gateway.request import Request
from cloudlet.protocol import get_protocol
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import service_model
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.s3 import checksums as ck
from cloudlet.services.s3 import notifications as nt
from cloudlet.services.s3 import post
from cloudlet.services.s3.blobs import BlobStore
from cloudlet.services.s3.lifecycle import Lifecycle
from cloudlet.services.s3.multipart import Multipart
from cloudlet.services.s3.settings import BucketSettings, malformed_xml
from cloudlet.services.s3.store import Bucket, ObjectRow, S3Store
from cloudlet.services.s3.wire import (
    CONTENT_HEADERS,
    byte_range,
    canonical_user_id,
    check_tags,
    copy_source,
    headers_meta,
    owner_of,
    parse_tagging,
)

DEFAULT_CONTENT_TYPE = "binary/octet-stream"
MAX_KEY_BYTES = 1024
MAX_LIST_KEYS = 1000
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_REGION = re.compile(r"[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d")


def no_such_bucket(name: str) -> ServiceError:
    return ServiceError(
        "NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": name}
    )


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


def invalid_bucket_name(name: str) -> ServiceError:
    return ServiceError(
        "InvalidBucketName", "The specified bucket is not valid.", 400, fields={"BucketName": name}
    )


def check_bucket_name(name: str) -> None:
    """S3's general-purpose bucket naming rules."""
    if (
        not _BUCKET_NAME.fullmatch(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or name.startswith(_RESERVED_PREFIXES)
        or name.endswith(_RESERVED_SUFFIXES)
        or _is_ip(name)
    ):
        raise invalid_bucket_name(name)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return False
    return True


def _http_date(value: Any) -> float | None:
    """A conditional header's time (the parser may already give a datetime)."""
    if value is None:
        return None
    if hasattr(value, "timestamp"):
        return float(value.timestamp())
    try:
        return parsedate_to_datetime(str(value)).timestamp()
    except (TypeError, ValueError):
        return None


class S3Provider(Multipart, BucketSettings, Provider):
    service = "s3"
    validate_input = False  # S3 answers its own errors (MalformedXML, InvalidArgument, ...), not Coral's

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = S3Store(self.store)
        config = runtime.config
        if config.in_memory:
            self.blobs = BlobStore.temporary()
        else:
            self.blobs = BlobStore(Path(config.data_dir) / "s3")
        self.sequencer = nt.Sequencer()
        self.lifecycle = Lifecycle(self)
        self._offsets_seen: dict[str, float] = {}

    async def start(self) -> None:
        # Blobs written before a crash whose metadata never committed are garbage.
        self.blobs.sweep(self.db.blob_ids(), min_age=0)
        self.lifecycle.start()

    async def stop(self) -> None:
        await self.lifecycle.stop()

    def reset(self) -> None:
        self.blobs.clear()

    def offset_seen(self, signature: str) -> float:
        """The clock's offset when a presigned URL or POST policy was first presented.

        Clients stamp them with their own, real, time. Measuring their expiry from the
        offset the service clock had when one was first seen makes the usual test flows
        behave: a URL used, then the clock advanced past its expiry, is refused; a URL
        signed after the clock was advanced is not refused at once.
        """
        offset = self._offsets_seen.get(signature)
        if offset is None:
            if len(self._offsets_seen) > 10_000:
                self._offsets_seen.clear()
            offset = self._offsets_seen[signature] = self.clock.offset
        return offset

    def check_request(self, ctx: RequestContext) -> None:
        """A presigned URL is refused once ``X-Amz-Date`` + ``X-Amz-Expires`` has passed on the clock."""
        query = ctx.request.query if ctx.request is not None else {}
        if "AWSAccessKeyId" in query and "Signature" in query and "Expires" in query:  # SigV2
            try:
                deadline = int(query["Expires"])
            except ValueError:
                raise ServiceError(
                    "AccessDenied", "Invalid date (should be seconds since epoch)", 403
                ) from None
            now = self.clock.now()
            if now > deadline + self.offset_seen(query["Signature"]):
                raise ServiceError(
                    "AccessDenied",
                    "Request has expired",
                    403,
                    fields={"Expires": _iso(deadline), "ServerTime": _iso(now)},
                )
            return
        expires, signed = query.get("X-Amz-Expires"), query.get("X-Amz-Date")
        if expires is None or signed is None:
            return
        try:
            start = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC).timestamp()
            seconds = int(expires)
        except ValueError:
            raise ServiceError(
                "AuthorizationQueryParametersError",
                "X-Amz-Expires should be a number" if signed else "Invalid date format",
                400,
            ) from None
        if seconds > 604800:
            raise ServiceError(
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
                400,
            )
        now = self.clock.now()
        if now > start + seconds + self.offset_seen(query.get("X-Amz-Signature", signed)):
            raise ServiceError(
                "AccessDenied",
                "Request has expired",
                403,
                fields={
                    "X-Amz-Expires": str(seconds),
                    "Expires": _iso(start + seconds),
                    "ServerTime": _iso(now),
                },
            )

    async def post_upload(self, request: Request, bucket_name: str) -> Response:
        """A browser POST upload to ``bucket_name`` (see post.py)."""
        request_id = ids.request_id()
        protocol, model = get_protocol("rest-xml"), service_model("s3")
        try:
            bucket = self.bucket(bucket_name)
            body = request.body_file.read() if request.body_file is not None else request.body
            fields, content, filename = post.parse_form(request.headers.get("content-type") or "", body)
            key = fields.get("key")
            if not key:
                raise ServiceError(
                    "InvalidArgument",
                    "Bucket POST must contain a field named 'key'.  If it is specified, please check the order "
                    "of the fields.",
                    400,
                    fields={"ArgumentName": "key", "ArgumentValue": ""},
                )
            key = key.replace("${filename}", filename)
            post.check_policy(
                fields,
                bucket.name,
                len(content),
                self.clock.now(),
                self.offset_seen(fields.get("policy", "")),
            )
            access_key = fields.get("x-amz-credential", "").split("/", 1)[0] or fields.get(
                "awsaccesskeyid", ""
            )
            ctx = RequestContext(
                service="s3",
                operation="PostObject",
                account=account_for(access_key),
                region=bucket.region,
                request_id=request_id,
                access_key=access_key,
                protocol="rest-xml",
                request=request,
            )
            out = await self.put_object(
                ctx, {"Bucket": bucket.name, "Key": key, "Body": content, **post.object_params(fields)}
            )
        except ServiceError as error:
            return protocol.serialize_error(model, error, request_id)
        location = f"/{bucket.name}/{quote(key)}"
        headers = [("ETag", out["ETag"]), ("Location", location), *protocol.base_headers(request_id)]
        status = fields.get("success_action_status")
        if status == "201":
            headers.append(("Content-Type", "application/xml"))
            return Response(201, headers, post.post_response(bucket.name, key, out["ETag"], location))
        return Response(200 if status == "200" else 204, headers, b"")

    def bucket_cors(self, name: str) -> list[dict[str, Any]] | None:
        """The CORS rules of a bucket (None: no such bucket, or no CORS configuration)."""
        bucket = self.db.bucket(name)
        return bucket.config.get("Cors") if bucket is not None else None

    def resource_counts(self) -> dict[str, int]:
        count = self.db.bucket_count()
        return {"buckets": count} if count else {}

    # ---- buckets ---------------------------------------------------------------------------

    def bucket(self, name: str) -> Bucket:
        bucket = self.db.bucket(name)
        if bucket is None:
            raise no_such_bucket(name)
        return bucket

    def create_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Bucket"]
        check_bucket_name(name)
        constraint = (params.get("CreateBucketConfiguration") or {}).get("LocationConstraint")
        region = ctx.region
        if constraint is None:
            if region != "us-east-1":
                raise ServiceError(
                    "IllegalLocationConstraintException",
                    "The unspecified location constraint is incompatible for the region specific endpoint "
                    "this request was sent to.",
                    400,
                )
        elif (
            constraint == "us-east-1"
            or (constraint == "EU" and region != "eu-west-1")
            or (constraint != "EU" and not _REGION.fullmatch(constraint))
        ):
            raise ServiceError(
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
                400,
                fields={"LocationConstraint": constraint},
            )
        elif constraint != region and not (constraint == "EU" and region == "eu-west-1"):
            raise ServiceError(
                "IllegalLocationConstraintException",
                f"The {constraint} location constraint is incompatible for the region specific endpoint "
                "this request was sent to.",
                400,
            )
        existing = self.db.bucket(name)
        if existing is not None:
            if existing.account == ctx.account:
                if existing.region == "us-east-1" and region == "us-east-1":
                    return {"Location": f"/{name}", "BucketArn": f"arn:aws:s3:::{name}"}  # legacy us-east-1
                raise ServiceError(
                    "BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.",
                    409,
                    fields={"BucketName": name},
                )
            raise ServiceError(
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users of "
                "the system. Please select a different name and try again.",
                409,
                fields={"BucketName": name},
            )
        # New buckets block public access and enforce bucket-owner ownership, as on S3 since 2023.
        config: dict[str, Any] = {
            "PublicAccessBlock": {
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
            "OwnershipControls": {
                "Rules": [{"ObjectOwnership": params.get("ObjectOwnership") or "BucketOwnerEnforced"}]
            },
        }
        with self.store.transaction():
            self.db.create_bucket(name, ctx.account, region, self.clock.now(), config)
        return {"Location": f"/{name}", "BucketArn": f"arn:aws:s3:::{name}"}

    def head_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        return {
            "BucketRegion": bucket.region,
            "BucketArn": f"arn:aws:s3:::{bucket.name}",
            "AccessPointAlias": False,
        }

    def list_buckets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        buckets = self.db.buckets(ctx.account)
        prefix = params.get("Prefix")
        if prefix:
            buckets = [b for b in buckets if b.name.startswith(prefix)]
        region = params.get("BucketRegion")
        if region:
            buckets = [b for b in buckets if b.region == region]
        start = params.get("ContinuationToken")
        if start:
            buckets = [b for b in buckets if b.name > start]
        limit = params.get("MaxBuckets") or 10000
        out: dict[str, Any] = {
            "Buckets": [
                {"Name": b.name, "CreationDate": b.created, "BucketRegion": b.region} for b in buckets[:limit]
            ],
            "Owner": owner_of(ctx.account),
        }
        if len(buckets) > limit:
            out["ContinuationToken"] = buckets[limit - 1].name
        if prefix:
            out["Prefix"] = prefix
        return out

    def delete_bucket(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        if not self.db.is_empty(bucket):
            raise ServiceError(
                "BucketNotEmpty",
                "The bucket you tried to delete is not empty",
                409,
                fields={"BucketName": bucket.name},
            )
        with self.store.transaction():
            self.db.delete_bucket(bucket)
        return {}

    def get_bucket_location(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        return {"LocationConstraint": None if bucket.region == "us-east-1" else bucket.region}

    # ---- objects -----------------------------------------------------------------------------

    @staticmethod
    def _check_key(key: str) -> None:
        if len(key.encode()) > MAX_KEY_BYTES:
            raise ServiceError(
                "KeyTooLongError",
                "Your key is too long",
                400,
                fields={"MaxSizeAllowed": str(MAX_KEY_BYTES), "Size": str(len(key.encode()))},
            )

    def new_version(
        self,
        bucket: Bucket,
        key: str,
        blob_id: str | None,
        size: int,
        etag: str | None,
        meta: dict[str, Any],
        delete_marker: bool = False,
    ) -> ObjectRow:
        """A new version of ``key``: a fresh version id while versioning is enabled, else "null"."""
        version_id = ids.token(16) if bucket.versioning == "Enabled" else "null"
        return ObjectRow(0, key, version_id, True, delete_marker, blob_id, size, etag, self.clock.now(), meta)

    def store_version(self, ctx: RequestContext, bucket: Bucket, row: ObjectRow, event: str) -> None:
        """Commit a new object version with its notifications, then drop the blobs it replaced."""
        with self.store.transaction():
            freed = self.db.add_version(bucket, row)
            self._notify(ctx, bucket, event, row)
        for blob_id in freed:
            self.blobs.delete(blob_id)
        if bucket.config.get("Lifecycle"):
            self.lifecycle.changed()

    async def put_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        key = params["Key"]
        self._check_key(key)
        provided = ck.provided_checksum(params)
        algorithm = provided[0] if provided else params.get("ChecksumAlgorithm")
        if algorithm:
            algorithm = ck.requested(algorithm)
        hashers = [ck.new_hasher(ck.MD5)]
        if algorithm:
            hashers.append(ck.new_hasher(algorithm))
        tags = parse_tagging(params["Tagging"]) if params.get("Tagging") else None
        body = params.get("Body") or b""
        info = await asyncio.to_thread(self.blobs.write, body, hashers)
        try:
            md5 = hashers[0].digest()
            if params.get("ContentMD5") is not None:
                ck.check_content_md5(params["ContentMD5"], md5)
            checksums: dict[str, str] = {}
            if algorithm:
                digest = hashers[1].digest()
                if provided:
                    ck.check_checksum(algorithm, provided[1], digest)
                checksums[algorithm] = ck.b64(digest)
        except ServiceError:
            self.blobs.delete(info.blob_id)
            raise
        meta = headers_meta(params)
        if params.get("Expires") is not None:
            meta["Expires"] = params["Expires"]
        if checksums:
            meta["Checksums"] = checksums
        if params.get("StorageClass") and params["StorageClass"] != "STANDARD":
            meta["StorageClass"] = params["StorageClass"]
        if tags:
            meta["Tags"] = tags
        row = self.new_version(bucket, key, info.blob_id, info.size, ck.etag(md5), meta)
        self.store_version(ctx, bucket, row, "s3:ObjectCreated:Put")
        out: dict[str, Any] = {"ETag": row.etag}
        if bucket.versioning is not None:
            out["VersionId"] = row.version_id
        for name, value in checksums.items():
            out[f"Checksum{name}"] = value
            out["ChecksumType"] = "FULL_OBJECT"
        return out

    def _object(self, bucket: Bucket, key: str, version_id: str | None, method: str) -> ObjectRow:
        """The version a GET/HEAD names; delete markers answer as S3 answers them."""
        if version_id:
            row = self.db.version(bucket, key, version_id)
            if row is None:
                raise ServiceError(
                    "NoSuchVersion",
                    "The specified version does not exist.",
                    404,
                    fields={"Key": key, "VersionId": version_id},
                )
            if row.delete_marker:
                raise ServiceError(
                    "MethodNotAllowed",
                    "The specified method is not allowed against this resource.",
                    405,
                    fields={"Method": method, "ResourceType": "DeleteMarker"},
                    headers={"x-amz-delete-marker": "true", "x-amz-version-id": row.version_id},
                )
            return row
        row = self.db.current(bucket, key)
        if row is None:
            raise no_such_key(key)
        if row.delete_marker:
            error = no_such_key(key)
            error.headers = {"x-amz-delete-marker": "true", "x-amz-version-id": row.version_id}
            raise error
        return row

    def _check_conditions(self, row: ObjectRow, params: dict[str, Any], read: bool) -> None:
        """If-Match / If-None-Match / If-(Un)Modified-Since, with S3's precedence."""
        now = self.clock.now()
        etag = row.etag or ""
        if_match, if_none = params.get("IfMatch"), params.get("IfNoneMatch")
        modified = int(row.modified)
        if if_match is not None:
            if not _etag_matches(if_match, etag):
                raise _precondition("If-Match")
        else:
            since = _http_date(params.get("IfUnmodifiedSince"))
            if since is not None and modified > since:
                raise _precondition("If-Unmodified-Since")
        if if_none is not None:
            if _etag_matches(if_none, etag):
                if read:
                    raise _not_modified(etag, row.modified)
                raise _precondition("If-None-Match")
        else:
            since = _http_date(params.get("IfModifiedSince"))
            if since is not None and modified <= since and read and since <= now:  # a future date is ignored
                raise _not_modified(etag, row.modified)

    def _described(
        self, row: ObjectRow, params: dict[str, Any], bucket: Bucket | None = None
    ) -> dict[str, Any]:
        meta = row.meta
        out: dict[str, Any] = {
            "LastModified": row.modified,
            "ContentLength": row.size,
            "ETag": row.etag,
            "ContentType": meta.get("ContentType") or DEFAULT_CONTENT_TYPE,
            "AcceptRanges": "bytes",
        }
        for name in ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires"):
            if meta.get(name) is not None:
                out[name] = meta[name]
        if meta.get("Metadata"):
            out["Metadata"] = meta["Metadata"]
        if row.version_id != "null" or (bucket is not None and bucket.versioning is not None):
            out["VersionId"] = row.version_id
        if meta.get("StorageClass"):
            out["StorageClass"] = meta["StorageClass"]
        if meta.get("Tags"):
            out["TagCount"] = len(meta["Tags"])
        if params.get("ChecksumMode") == "ENABLED" and meta.get("Checksums"):
            for name, value in meta["Checksums"].items():
                out[f"Checksum{name}"] = value
            out["ChecksumType"] = "FULL_OBJECT"
        for name in (*CONTENT_HEADERS, "Expires"):
            override = params.get(f"Response{name}")
            if override is not None:
                out[name] = override
        return out

    def get_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        row = self._object(bucket, params["Key"], params.get("VersionId"), "GET")
        self._check_conditions(row, params, read=True)
        out = self._described(row, params, bucket)
        window = byte_range(params.get("Range"), row.size)
        start, end = window if window is not None else (0, row.size)
        if window is not None:
            ctx.extra["status"] = 206
            out["ContentRange"] = f"bytes {start}-{end - 1}/{row.size}"
            out["ContentLength"] = end - start
            if (start, end) != (0, row.size):
                for name in [k for k in out if k.startswith("Checksum")]:
                    del out[name]  # a part of an object has no whole-object checksum
        out["Body"] = self.blobs.open(row.blob_id, start, end) if row.blob_id and end > start else b""
        return out

    def head_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        row = self._object(bucket, params["Key"], params.get("VersionId"), "HEAD")
        self._check_conditions(row, params, read=True)
        out = self._described(row, params, bucket)
        window = byte_range(params.get("Range"), row.size)
        if window is not None:
            ctx.extra["status"] = 206
            out["ContentRange"] = f"bytes {window[0]}-{window[1] - 1}/{row.size}"
            out["ContentLength"] = window[1] - window[0]
        return out

    def delete_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        if params.get("IfMatch") is not None:
            current = self.db.current(bucket, params["Key"])
            if current is None or current.delete_marker:
                raise no_such_key(params["Key"])
            if not _etag_matches(params["IfMatch"], current.etag or ""):
                raise _precondition("If-Match")
        freed: list[str] = []
        with self.store.transaction():
            out = self.delete_key(ctx, bucket, params["Key"], params.get("VersionId"), freed)
        for blob_id in freed:
            self.blobs.delete(blob_id)
        return out

    def delete_key(
        self,
        ctx: RequestContext,
        bucket: Bucket,
        key: str,
        version_id: str | None,
        freed: list[str],
        events: tuple[str, str] = ("s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"),
    ) -> dict[str, Any]:
        """Delete a version, an unversioned object, or add a delete marker (in the caller's transaction)."""
        out: dict[str, Any] = {}
        if version_id:
            row = self.db.version(bucket, key, version_id)
            if row is not None:
                self.db.remove_version(bucket, row)
                self._notify(ctx, bucket, events[0], row)
                if row.blob_id:
                    freed.append(row.blob_id)
                out["VersionId"] = version_id
                if row.delete_marker:
                    out["DeleteMarker"] = True
            return out
        if bucket.versioning is None:
            row = self.db.current(bucket, key)
            if row is not None:
                self.db.remove_version(bucket, row)
                self._notify(ctx, bucket, events[0], row)
                if row.blob_id:
                    freed.append(row.blob_id)
            return out
        marker = self.new_version(bucket, key, None, 0, None, {}, delete_marker=True)
        freed += self.db.add_version(bucket, marker)
        self._notify(ctx, bucket, events[1], marker)
        out["DeleteMarker"] = True
        if marker.version_id != "null":
            out["VersionId"] = marker.version_id
        return out

    def delete_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        request = params.get("Delete") or {}
        entries = request.get("Objects") or []
        if not entries or len(entries) > 1000:
            raise malformed_xml()
        deleted, errors, freed = [], [], []
        with self.store.transaction():
            for entry in entries:
                key = entry["Key"]
                try:
                    self._check_key(key)
                    result = self.delete_key(ctx, bucket, key, entry.get("VersionId"), freed)
                except ServiceError as error:
                    errors.append({"Key": key, "Code": error.code, "Message": error.message})
                    continue
                done: dict[str, Any] = {"Key": key}
                if entry.get("VersionId"):
                    done["VersionId"] = entry["VersionId"]
                if result.get("DeleteMarker"):
                    done["DeleteMarker"] = True
                    if result.get("VersionId"):
                        done["DeleteMarkerVersionId"] = result["VersionId"]
                deleted.append(done)
        for blob_id in freed:
            self.blobs.delete(blob_id)
        out: dict[str, Any] = {}
        if deleted and not request.get("Quiet"):
            out["Deleted"] = deleted
        if errors:
            out["Errors"] = errors
        return out

    def copy_object(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        key = params["Key"]
        self._check_key(key)
        source_bucket_name, source_key, source_version = copy_source(params["CopySource"])
        source_bucket = self.bucket(source_bucket_name)
        source = self._object(source_bucket, source_key, source_version, "GET")
        conditions = {
            "IfMatch": params.get("CopySourceIfMatch"),
            "IfNoneMatch": params.get("CopySourceIfNoneMatch"),
            "IfModifiedSince": params.get("CopySourceIfModifiedSince"),
            "IfUnmodifiedSince": params.get("CopySourceIfUnmodifiedSince"),
        }
        try:
            self._check_conditions(source, conditions, read=False)
        except ServiceError as error:
            if error.code != "NotModified":
                raise
            raise _precondition("x-amz-copy-source-If-Modified-Since") from None
        if conditions["IfModifiedSince"] is not None and conditions["IfNoneMatch"] is None:
            since = _http_date(conditions["IfModifiedSince"])
            if since is not None and int(source.modified) <= since:
                raise _precondition("x-amz-copy-source-If-Modified-Since")
        directive = params.get("MetadataDirective") or "COPY"
        if directive == "REPLACE":
            meta = headers_meta(params)
        else:
            meta = {k: v for k, v in source.meta.items() if k not in ("Tags", "StorageClass", "Checksums")}
        if source.meta.get("Checksums"):
            meta["Checksums"] = source.meta["Checksums"]
        if params.get("StorageClass") and params["StorageClass"] != "STANDARD":
            meta["StorageClass"] = params["StorageClass"]
        if (params.get("TaggingDirective") or "COPY") == "COPY" and source.meta.get("Tags"):
            meta["Tags"] = source.meta["Tags"]
        elif params.get("Tagging"):
            meta["Tags"] = parse_tagging(params["Tagging"])
        same = source_bucket.id == bucket.id and source_key == key and not source_version
        if same and directive == "COPY" and not params.get("StorageClass") and bucket.versioning != "Enabled":
            raise ServiceError(
                "InvalidRequest",
                "This copy request is illegal because it is trying to copy an object to itself without changing "
                "the object's metadata, storage class, website redirect location or encryption attributes.",
                400,
            )
        blob_id = self.blobs.copy(source.blob_id).blob_id if source.blob_id else None
        row = self.new_version(bucket, key, blob_id, source.size, source.etag, meta)
        self.store_version(ctx, bucket, row, "s3:ObjectCreated:Copy")
        out: dict[str, Any] = {"CopyObjectResult": {"ETag": row.etag, "LastModified": row.modified}}
        if row.version_id != "null":
            out["VersionId"] = row.version_id
        if source.version_id != "null":
            out["CopySourceVersionId"] = source.version_id
        return out

    # ---- object tagging ------------------------------------------------------------------------

    def put_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        row = self._object(bucket, params["Key"], params.get("VersionId"), "PUT")
        tags = (params.get("Tagging") or {}).get("TagSet") or []
        check_tags(tags)
        row.meta["Tags"] = [{"Key": t["Key"], "Value": t["Value"]} for t in tags]
        with self.store.transaction():
            self.db.update_meta(row)
        return {"VersionId": row.version_id} if row.version_id != "null" else {}

    def get_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        row = self._object(bucket, params["Key"], params.get("VersionId"), "GET")
        out: dict[str, Any] = {"TagSet": row.meta.get("Tags") or []}
        if row.version_id != "null":
            out["VersionId"] = row.version_id
        return out

    def delete_object_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        row = self._object(bucket, params["Key"], params.get("VersionId"), "DELETE")
        if row.meta.pop("Tags", None) is not None:
            with self.store.transaction():
                self.db.update_meta(row)
        return {"VersionId": row.version_id} if row.version_id != "null" else {}

    def list_object_versions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, _delimiter, max_keys, encode = self._listing_params(params)
        key_marker, version_marker = params.get("KeyMarker") or "", params.get("VersionIdMarker")
        after = None
        if key_marker:
            marked = self.db.version(bucket, key_marker, version_marker) if version_marker else None
            after = (key_marker, marked.seq) if marked is not None else (key_marker + "\U0010ffff", 0)
        rows = self.db.versions(bucket, prefix, after, max_keys + 1)
        truncated = len(rows) > max_keys
        rows = rows[:max_keys]
        owner = owner_of(bucket.account)
        enc = (lambda v: quote(v, safe="/")) if encode else (lambda v: v)
        versions, markers = [], []
        for row in rows:
            entry: dict[str, Any] = {
                "Key": enc(row.key),
                "VersionId": row.version_id,
                "IsLatest": row.latest,
                "LastModified": row.modified,
                "Owner": owner,
            }
            if row.delete_marker:
                markers.append(entry)
            else:
                entry.update(
                    ETag=row.etag, Size=row.size, StorageClass=row.meta.get("StorageClass", "STANDARD")
                )
                versions.append(entry)
        out: dict[str, Any] = {
            "IsTruncated": truncated,
            "KeyMarker": enc(key_marker),
            "Name": bucket.name,
            "Prefix": enc(prefix),
            "MaxKeys": params.get("MaxKeys", MAX_LIST_KEYS),
        }
        out["VersionIdMarker"] = version_marker or ""
        if versions:
            out["Versions"] = versions
        if markers:
            out["DeleteMarkers"] = markers
        if truncated and rows:
            out["NextKeyMarker"] = enc(rows[-1].key)
            out["NextVersionIdMarker"] = rows[-1].version_id
        if encode:
            out["EncodingType"] = "url"
        return out

    # ---- notifications -------------------------------------------------------------------------

    def put_bucket_notification_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = nt.validate_configuration(
            params.get("NotificationConfiguration") or {},
            self._destination_exists,
            skip_destination_validation=bool(params.get("SkipDestinationValidation")),
        )
        bucket.config["Notification"] = config
        with self.store.transaction():
            self.db.save_bucket(bucket)
            message = nt.test_event(bucket.name, ctx.request_id, _host_id(ctx.request_id), self.clock.now())
            for kind, arn in nt.test_event_destinations(config):
                self._deliver(kind, arn, message)
        return {}

    def get_bucket_notification_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self.bucket(params["Bucket"]).config.get("Notification") or {}

    def _destination_exists(self, kind: str, arn: str) -> bool:
        if kind == nt.SQS:
            sqs = self.runtime.load("sqs")
            return sqs is not None and sqs.queue_by_arn(arn) is not None
        return True  # SNS and Lambda arrive with their issues: their configurations are stored as given

    def _deliver(self, kind: str, arn: str, message: str) -> None:
        """Send a notification message (inside the caller's transaction, so it is as durable as the write)."""
        if kind != nt.SQS:
            return  # SNS and Lambda delivery arrive with those services
        sqs = self.runtime.load("sqs")
        if sqs is None or sqs.queue_by_arn(arn) is None:
            return  # the queue was deleted since: S3 drops the event
        sqs.send(arn, {"MessageBody": message}, sender_id="AIDAJQABLZS4A3QDU576Q")

    def _notify(self, ctx: RequestContext, bucket: Bucket, event_name: str, row: ObjectRow | None) -> None:
        """Send the event records the bucket's notification configuration asks for."""
        config = bucket.config.get("Notification")
        if not config or row is None:
            return
        destinations = nt.matching_destinations(config, event_name, row.key)
        if not destinations:
            return
        now = self.clock.now()
        sequencer = self.sequencer.next(now)
        created = event_name.startswith("s3:ObjectCreated")
        for kind, arn, config_id in destinations:
            record = nt.event_record(
                event_name=event_name,
                region=bucket.region,
                bucket=bucket.name,
                key=row.key,
                configuration_id=config_id,
                now=now,
                request_id=ctx.request_id,
                host_id=_host_id(ctx.request_id),
                source_ip=(ctx.request.client if ctx.request is not None else "") or "127.0.0.1",
                principal_id=f"AWS:{ctx.account}",
                owner_id=canonical_user_id(bucket.account),
                size=row.size if created else None,
                etag=(row.etag or "").strip('"') if created else None,
                version_id=row.version_id if row.version_id != "null" else None,
                sequencer=sequencer,
            )
            self._deliver(kind, arn, nt.message([record]))

    # ---- listings ------------------------------------------------------------------------------

    def _list(
        self, bucket: Bucket, prefix: str, delimiter: str | None, after: str, max_keys: int
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
                rest = row.key[len(prefix) :]
                cut = rest.find(delimiter) if delimiter else -1
                if cut < 0:
                    objects.append(row)
                    last = cursor = row.key
                    continue
                common = prefix + rest[: cut + len(delimiter or "")]
                cursor = common + "\U0010ffff"  # past every key under this common prefix
                if common > after:  # a StartAfter inside the group already passed it
                    prefixes.append(common)
                    last = common
                break

    @staticmethod
    def _content(row: ObjectRow, owner: dict[str, str] | None, encode: bool) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "Key": quote(row.key, safe="/") if encode else row.key,
            "LastModified": row.modified,
            "ETag": row.etag,
            "Size": row.size,
            "StorageClass": row.meta.get("StorageClass", "STANDARD"),
        }
        if row.meta.get("Checksums"):
            entry["ChecksumAlgorithm"] = list(row.meta["Checksums"])
            entry["ChecksumType"] = "FULL_OBJECT"
        if owner is not None:
            entry["Owner"] = owner
        return entry

    def _listing_params(self, params: dict[str, Any]) -> tuple[str, str | None, int, bool]:
        max_keys = params.get("MaxKeys")
        if max_keys is None:
            max_keys = MAX_LIST_KEYS
        if max_keys < 0:
            raise ServiceError(
                "InvalidArgument",
                "Argument maxKeys must be an integer between 0 and 2147483647",
                400,
                fields={"ArgumentName": "maxKeys", "ArgumentValue": str(max_keys)},
            )
        encoding = params.get("EncodingType")
        if encoding is not None and encoding != "url":
            raise ServiceError(
                "InvalidArgument",
                "Invalid Encoding Method specified in Request",
                400,
                fields={"ArgumentName": "encoding-type", "ArgumentValue": encoding},
            )
        return (
            params.get("Prefix") or "",
            params.get("Delimiter") or None,
            min(max_keys, MAX_LIST_KEYS),
            bool(encoding),
        )

    def list_objects_v2(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, delimiter, max_keys, encode = self._listing_params(params)
        token = params.get("ContinuationToken")
        after = params.get("StartAfter") or ""
        if token is not None:
            after = _decode_token(token)
        objects, prefixes, truncated, last = self._list(bucket, prefix, delimiter, after, max_keys)
        owner = owner_of(bucket.account) if params.get("FetchOwner") else None
        enc = (lambda v: quote(v, safe="/")) if encode else (lambda v: v)
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
            out["NextContinuationToken"] = _encode_token(last)
        return out

    def list_objects(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        prefix, delimiter, max_keys, encode = self._listing_params(params)
        marker = params.get("Marker") or ""
        objects, prefixes, truncated, last = self._list(bucket, prefix, delimiter, marker, max_keys)
        owner = owner_of(bucket.account)
        enc = (lambda v: quote(v, safe="/")) if encode else (lambda v: v)
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


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _host_id(request_id: str) -> str:
    """The x-amz-id-2 that goes with a request id (the protocol layer derives it the same way)."""
    return base64.b64encode(request_id.encode()).decode()


def _etag_matches(condition: str, etag: str) -> bool:
    wanted = [c.strip() for c in condition.split(",")]
    return "*" in wanted or etag in wanted or etag.strip('"') in (w.strip('"') for w in wanted)


def _precondition(condition: str) -> ServiceError:
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


def _encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _decode_token(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(
            "InvalidArgument",
            "The continuation token provided is incorrect",
            400,
            fields={"ArgumentName": "continuation-token"},
        ) from None
