"""Amazon Data Firehose: delivery streams to S3, buffered by size and time, optionally
transformed by a Lambda function and GZIP-compressed.

Streams are ACTIVE as soon as CreateDeliveryStream answers (AWS answers CREATING for a few
seconds first; a local stream has nothing to wait for). A DirectPut stream takes records
through PutRecord(Batch); a KinesisStreamAsSource stream reads its Kinesis data stream
(:mod:`kinesis_source`). Operations this provider has no method for answer
``NotImplemented`` (501). Delivery is in :mod:`buffer`, prefixes in :mod:`prefixes`.
"""

from __future__ import annotations

import base64
import copy
import re
import secrets
from typing import Any

from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.firehose import destinations, errors
from cloudlet.services.firehose.buffer import Buffers
from cloudlet.services.firehose.kinesis_source import SourceReaders
from cloudlet.services.firehose.metrics import FirehoseMetrics
from cloudlet.services.firehose.store import FirehoseStore, Stream
from cloudlet.services.kms.interface import key_service

MAX_BATCH_BYTES = 4 * 1024 * 1024  # PutRecordBatch: 4 MiB per call (model documentation)
MAX_TAGS = 50
DEFAULT_LIST_LIMIT = 10  # unverified: ListDeliveryStreams' default Limit
DEFAULT_TAGS_LIMIT = 50  # unverified: ListTagsForDeliveryStream's default Limit
NOT_IMPLEMENTED_SOURCES = ("MSKAsSource", "DatabaseAsSource")


# The model's TagKey/TagValue patterns use Java's \\p{L}, \\p{Z}, \\p{N} classes, which the
# generic validation leaves unchecked: Python's equivalents (letters, separators, digits).
_TAG_CHARS = r"(?:[^\W_]|\s|[_.:/=+\-@%])*"
_TAG_KEY = re.compile(rf"(?!aws:){_TAG_CHARS}")
_TAG_VALUE = re.compile(_TAG_CHARS)
_TAG_KEY_PATTERN = "^(?!aws:)[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$"
_TAG_VALUE_PATTERN = "^[\\p{L}\\p{Z}\\p{N}_.:\\/=+\\-@%]*$"


def check_tags(tags: list[dict[str, str]]) -> None:
    """Tag keys and values against the model's patterns (ValidationException, as Coral words it)."""
    problems: list[str] = []
    for n, tag in enumerate(tags, 1):
        if not _TAG_KEY.fullmatch(tag["Key"]):
            problems.append(
                f"Value '{tag['Key']}' at 'tags.{n}.member.key' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {_TAG_KEY_PATTERN}"
            )
        value = tag.get("Value")
        if value is not None and not _TAG_VALUE.fullmatch(value):
            problems.append(
                f"Value '{value}' at 'tags.{n}.member.value' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {_TAG_VALUE_PATTERN}"
            )
    if problems:
        raise validation_error(problems)


def _record_id() -> str:
    """A PutRecord RecordId (unverified: AWS's are opaque strings of this kind)."""
    return base64.b64encode(secrets.token_bytes(84)).decode()


class FirehoseProvider(Provider):
    service = "firehose"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = FirehoseStore(self.store)
        self.stream_metrics = FirehoseMetrics(self.metrics)
        self.buffers = Buffers(self)
        self.readers = SourceReaders(self)

    async def start(self) -> None:
        self.buffers.resume()
        for stream_id in self.db.sourced_ids():
            self.readers.start(stream_id)

    async def stop(self) -> None:
        await self.readers.stop_all()

    def reset(self) -> None:
        self.buffers.reset()

    def resource_counts(self) -> dict[str, int]:
        count = self.db.count()
        return {"delivery_streams": count} if count else {}

    def _stream(self, ctx: RequestContext, name: str) -> Stream:
        stream = self.db.get(ctx.account, ctx.region, name)
        if stream is None:
            raise errors.not_found(name, ctx.account)
        return stream

    # ---- delivery streams --------------------------------------------------------------

    def create_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["DeliveryStreamName"]
        stream_type = params.get("DeliveryStreamType") or "DirectPut"
        if stream_type in NOT_IMPLEMENTED_SOURCES:
            raise destinations.not_implemented(f"DeliveryStreamType {stream_type}")
        if params.get("MSKSourceConfiguration") or params.get("DatabaseSourceConfiguration"):
            raise errors.invalid(
                f"Only a KinesisStreamSourceConfiguration is allowed for {stream_type}."
            )  # unverified
        source = params.get("KinesisStreamSourceConfiguration")
        if stream_type == "KinesisStreamAsSource" and not source:
            raise errors.invalid(  # unverified
                "KinesisStreamSourceConfiguration is required for a KinesisStreamAsSource delivery stream."
            )
        if stream_type == "DirectPut" and source:
            raise errors.invalid(  # unverified
                "KinesisStreamSourceConfiguration is only allowed for a KinesisStreamAsSource delivery stream."
            )
        encryption = self._encryption(
            ctx, stream_type, params.get("DeliveryStreamEncryptionConfigurationInput")
        )
        tags = params.get("Tags") or []
        check_tags(tags)
        keys = [t["Key"] for t in tags]
        if len(set(keys)) != len(keys):
            raise errors.invalid("Tag keys must be unique.")  # unverified
        destination = destinations.from_create(params)
        if self.db.get(ctx.account, ctx.region, name) is not None:
            raise errors.in_use(name, ctx.account)
        now = self.clock.now()
        config: dict[str, Any] = {"destination": destination, "encryption": encryption}
        if source:
            config["source"] = {**source, "DeliveryStartTimestamp": now}
        if params.get("DirectPutSourceConfiguration"):
            config["direct_put"] = params["DirectPutSourceConfiguration"]
        tags = [{k: v for k, v in t.items() if v is not None} for t in tags]
        stream = self.db.create(ctx.account, ctx.region, name, stream_type, config, tags, now)
        if source:
            self.readers.start(stream.id)
        return {"DeliveryStreamARN": stream.arn}

    def _encryption(
        self, ctx: RequestContext, stream_type: str, given: dict[str, Any] | None
    ) -> dict[str, Any]:
        """The stream's server-side encryption settings from a ...EncryptionConfigurationInput;
        a customer managed key must be one KMS can use (InvalidKMSResourceException)."""
        if given is None:
            return {"Status": "DISABLED"}
        if stream_type == "KinesisStreamAsSource":
            raise errors.invalid(  # unverified
                "Server-side encryption is not supported for KinesisStreamAsSource delivery streams; "
                "encrypt the source stream instead."
            )
        key_type = given["KeyType"]
        if key_type == "CUSTOMER_MANAGED_CMK" and not given.get("KeyARN"):
            raise errors.invalid("KeyARN is required when KeyType is CUSTOMER_MANAGED_CMK.")  # unverified
        if key_type == "AWS_OWNED_CMK" and given.get("KeyARN"):
            raise errors.invalid("KeyARN is not allowed when KeyType is AWS_OWNED_CMK.")  # unverified
        out = {"KeyType": key_type, "Status": "ENABLED"}
        if given.get("KeyARN"):
            try:
                key_service(self.runtime).resolve(ctx.account, ctx.region, given["KeyARN"])
            except ServiceError as exc:
                raise errors.invalid_kms(exc) from None
            out["KeyARN"] = given["KeyARN"]
        return out

    def describe_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        config = stream.config
        description: dict[str, Any] = {
            "DeliveryStreamName": stream.name,
            "DeliveryStreamARN": stream.arn,
            "DeliveryStreamStatus": "ACTIVE",
            "DeliveryStreamEncryptionConfiguration": config["encryption"],
            "DeliveryStreamType": stream.stream_type,
            "VersionId": str(stream.version),
            "CreateTimestamp": stream.created,
            "HasMoreDestinations": False,
        }
        if stream.version > 1:
            description["LastUpdateTimestamp"] = stream.updated
        if config.get("source"):
            description["Source"] = {"KinesisStreamSourceDescription": config["source"]}
        elif config.get("direct_put"):
            description["Source"] = {"DirectPutSourceDescription": config["direct_put"]}
        start = params.get("ExclusiveStartDestinationId")
        after_ours = start is not None and start >= destinations.DESTINATION_ID
        description["Destinations"] = [] if after_ours else [destinations.describe(config["destination"])]
        return {"DeliveryStreamDescription": description}

    def list_delivery_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("Limit") or DEFAULT_LIST_LIMIT
        names = self.db.names(
            ctx.account,
            ctx.region,
            params.get("DeliveryStreamType"),
            params.get("ExclusiveStartDeliveryStreamName"),
        )
        return {"DeliveryStreamNames": names[:limit], "HasMoreDeliveryStreams": len(names) > limit}

    def delete_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        with self.store.transaction():
            self.db.delete(stream)
            self.buffers.forget(stream.id)
        self.readers.stop(stream.id)
        return {}

    def update_destination(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        if params["CurrentDeliveryStreamVersionId"] != str(stream.version):
            raise errors.version_mismatch(
                stream.name, stream.version, params["CurrentDeliveryStreamVersionId"]
            )
        if params["DestinationId"] != destinations.DESTINATION_ID:
            raise errors.invalid(f"Destination {params['DestinationId']} not found.")  # unverified
        stream.config["destination"] = destinations.update(stream.config["destination"], params)
        with self.store.transaction():
            self.db.save(stream, bump=True, now=self.clock.now())
            if self.buffers.buffered(stream.id)[0]:  # new buffering hints apply to what waits
                self.buffers.arm(stream.id, self.clock.now())
        return {}

    # ---- records -----------------------------------------------------------------------

    def _writable(self, ctx: RequestContext, name: str) -> Stream:
        stream = self._stream(ctx, name)
        if stream.stream_type != "DirectPut":
            raise errors.invalid(  # unverified
                f"This operation is not permitted on {stream.stream_type} type delivery stream."
            )
        return stream

    def put_record(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._writable(ctx, params["DeliveryStreamName"])
        record_id = _record_id()
        data = bytes(params["Record"]["Data"])
        with self.store.transaction():
            self.buffers.append(stream, [(record_id, self.clock.now(), data)])
        self.stream_metrics.put(stream, "PutRecord", [len(data)])
        return {"RecordId": record_id, "Encrypted": stream.config["encryption"]["Status"] == "ENABLED"}

    def put_record_in(self, stream_arn: str, data: bytes) -> bool:
        """interface.RecordSink: one record from another service (SNS, EventBridge)."""
        try:
            arn = parse_arn(stream_arn)
        except ValueError:
            return False
        name = arn.resource.removeprefix("deliverystream/")
        stream = self.db.get(arn.account, arn.region, name)
        if arn.service != "firehose" or stream is None or stream.stream_type != "DirectPut":
            return False
        with self.store.transaction():
            self.buffers.append(stream, [(_record_id(), self.clock.now(), data)])
        self.stream_metrics.put(stream, "PutRecord", [len(data)])
        return True

    def put_record_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._writable(ctx, params["DeliveryStreamName"])
        records = params["Records"]
        total = sum(len(r["Data"]) for r in records)
        if total > MAX_BATCH_BYTES:
            raise errors.invalid(  # unverified
                f"Records size exceeds the limit of {MAX_BATCH_BYTES} bytes for a PutRecordBatch request: {total}."
            )
        now = self.clock.now()
        rows = [(_record_id(), now, bytes(r["Data"])) for r in records]
        with self.store.transaction():
            self.buffers.append(stream, rows)
        self.stream_metrics.put(stream, "PutRecordBatch", [len(r[2]) for r in rows])
        return {
            "FailedPutCount": 0,
            "Encrypted": stream.config["encryption"]["Status"] == "ENABLED",
            "RequestResponses": [{"RecordId": rid} for rid, _, _ in rows],
        }

    # ---- tags --------------------------------------------------------------------------

    def tag_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        check_tags(params["Tags"])
        stream = self._stream(ctx, params["DeliveryStreamName"])
        tags = {t["Key"]: t for t in stream.tags}
        for tag in params["Tags"]:
            tags[tag["Key"]] = {k: v for k, v in tag.items() if v is not None}
        if len(tags) > MAX_TAGS:
            raise errors.limit_exceeded(  # unverified
                f"Exceeded the limit of {MAX_TAGS} tags for delivery stream {stream.name}."
            )
        stream.tags = list(tags.values())
        self.db.save(stream, bump=False, now=self.clock.now())
        return {}

    def untag_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        drop = set(params["TagKeys"])
        stream.tags = [t for t in stream.tags if t["Key"] not in drop]
        self.db.save(stream, bump=False, now=self.clock.now())
        return {}

    def list_tags_for_delivery_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        limit = params.get("Limit") or DEFAULT_TAGS_LIMIT
        start = params.get("ExclusiveStartTagKey")
        tags = sorted(stream.tags, key=lambda t: t["Key"])
        if start is not None:
            tags = [t for t in tags if t["Key"] > start]
        page = [{k: v for k, v in t.items() if v is not None} for t in tags[:limit]]
        return {"Tags": page, "HasMoreTags": len(tags) > limit}

    # ---- server-side encryption --------------------------------------------------------

    def start_delivery_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        given = params.get("DeliveryStreamEncryptionConfigurationInput") or {"KeyType": "AWS_OWNED_CMK"}
        stream.config["encryption"] = self._encryption(ctx, stream.stream_type, copy.deepcopy(given))
        self.db.save(stream, bump=False, now=self.clock.now())
        return {}

    def stop_delivery_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params["DeliveryStreamName"])
        if stream.stream_type == "KinesisStreamAsSource":
            raise errors.invalid(  # unverified
                "Server-side encryption is not supported for KinesisStreamAsSource delivery streams."
            )
        stream.config["encryption"] = {"Status": "DISABLED"}
        self.db.save(stream, bump=False, now=self.clock.now())
        return {}
