"""Amazon Kinesis Data Streams: streams, shards, PutRecord(s), shard iterators and GetRecords,
resharding (``resharding.py``), enhanced fan-out consumers and SubscribeToShard
(``consumers.py``), retention, tags, server-side encryption settings, enhanced monitoring
settings and resource policies.

Streams are ACTIVE as soon as CreateStream answers and stay ACTIVE through resharding (AWS
answers CREATING or UPDATING first, then ACTIVE after seconds; a local stream has nothing to
wait for). Operations this provider has no method for (DescribeLimits, account settings,
channels and queues, ...) answer ``NotImplemented`` (501).

A shard iterator is the base64 of ``<stream ARN>|<shard id>|<position>|<issued, ms>``; it
expires 5 minutes of service time after it was handed out.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.core.policy import PolicyError, parse_policy
from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.kinesis import errors
from cloudlet.services.kinesis.consumers import (
    CONSUMER_LIMIT,
    Subscriptions,
    consumer_arn,
    consumer_view,
    parse_consumer_arn,
)
from cloudlet.services.kinesis.metrics import KinesisMetrics
from cloudlet.services.kinesis.resharding import Reshard
from cloudlet.services.kinesis.shards import MAX_HASH_KEY, MAX_POSITION
from cloudlet.services.kinesis.store import ConsumerRow, ShardRow, StreamRow
from cloudlet.services.kinesis.streams import Put, Streams, shard_view
from cloudlet.services.kms.interface import key_service

ITERATOR_TTL_S = 300.0
NEXT_TOKEN_TTL_S = 300.0  # unverified: how long ListShards/ListStreams tokens live
ON_DEMAND_SHARDS = 4
SHARD_LIMIT = 500  # open shards per account and region (AWS's default in the largest regions)
MIN_RETENTION, MAX_RETENTION = 24, 8760
MAX_TAGS = 50
MAX_RECORDS_PER_GET = 10_000
MAX_PUT_REQUEST_BYTES = 10 * 1024 * 1024  # PutRecords, "including partition keys" (model docs)
DEFAULT_RECORD_KIB = 1024
_WITH_SEQUENCE = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")
_MANAGED_KEY = "alias/aws/kinesis"
MAX_SHARDS_PER_STREAM = 10_000  # UpdateShardCount's default limit
SCALINGS_PER_DAY = 10  # UpdateShardCount calls per stream per rolling 24 hours
SHARD_METRICS = (  # the model's order
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
)


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def _unb64(text: str) -> str:
    return base64.b64decode(text.encode(), validate=True).decode()


def _required(value: Any, where: str) -> None:
    if value is None:
        raise validation_error(
            [f"Value null at '{where}' failed to satisfy constraint: Member must not be null"]
        )


class KinesisProvider(Provider):
    service = "kinesis"
    own_checks = frozenset({"GetRecordsInputLimit"})  # over 10,000: InvalidArgumentException

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.streams = Streams(self)
        self.subscriptions = Subscriptions(self.streams)
        self.stream_metrics = KinesisMetrics(self.metrics)
        self.throttle = runtime.config.kinesis_throttle  # opt-in: --kinesis-throttle

    @property
    def feed(self) -> Streams:
        """The streams as in-process consumers read them (core/stream_feed.StreamFeed)."""
        return self.streams

    def reset(self) -> None:
        self.subscriptions.reset()
        self.streams.reset()

    def resource_counts(self) -> dict[str, int]:
        count = self.streams.db.count()
        return {"streams": count} if count else {}

    # ---- naming streams ----------------------------------------------------------------------

    def _arn(self, ctx: RequestContext, name: str) -> str:
        return ctx.arn("kinesis", f"stream/{name}")

    def _target(self, ctx: RequestContext, params: dict[str, Any]) -> str:
        """The ARN of the stream ``StreamName`` and/or ``StreamARN`` name (they must agree)."""
        name = params.get("StreamName")
        arn = params.get("StreamARN")
        if arn is None:
            if name is None:
                raise errors.invalid("Either StreamName or StreamARN should be provided.")  # unverified
            return self._arn(ctx, name)
        own = self._stream_arn(ctx, arn)
        if name is not None and own != self._arn(ctx, name):
            raise errors.invalid(
                f"StreamARN {arn} and StreamName {name} do not refer to the same stream."
            )  # unverified
        return own

    def _stream_arn(self, ctx: RequestContext, arn: str) -> str:
        """A stream ARN of the caller's account and region; ResourceNotFoundException otherwise."""
        try:
            parsed = parse_arn(arn)
        except ValueError:
            raise errors.invalid(f"Invalid StreamARN {arn}.") from None  # unverified
        name = parsed.resource.split("/", 1)[1] if parsed.resource.startswith("stream/") else ""
        if parsed.service != "kinesis" or not name or "/" in name:
            raise errors.invalid(f"Invalid StreamARN {arn}.")  # unverified
        if parsed.account != ctx.account or parsed.region != ctx.region:
            raise errors.stream_not_found(name, parsed.account)
        return arn

    def _stream(self, ctx: RequestContext, params: dict[str, Any]) -> StreamRow:
        return self.streams.get(self._target(ctx, params))

    def _resource(self, ctx: RequestContext, params: dict[str, Any]) -> StreamRow:
        """The stream a ``ResourceARN`` names (consumers are served by the tag operations only)."""
        arn = params["ResourceARN"]
        try:
            parsed = parse_arn(arn)
        except ValueError:
            raise errors.invalid(f"Invalid ResourceARN {arn}.") from None  # unverified
        if not parsed.resource.startswith("stream/") or "/" in parsed.resource[len("stream/") :]:
            raise ServiceError(
                "ResourceNotFoundException", f"Resource {arn} not found.", 400
            )  # unverified: channels and queues are not served yet
        return self.streams.get(self._stream_arn(ctx, arn))

    # ---- streams -----------------------------------------------------------------------------

    def create_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["StreamName"]
        count = params.get("ShardCount")
        mode_details = params.get("StreamModeDetails")
        mode = (
            mode_details["StreamMode"]
            if mode_details
            else ("PROVISIONED" if count is not None else "ON_DEMAND")
        )
        if mode == "ON_DEMAND":
            if count is not None:
                raise errors.invalid("ShardCount must not be specified for ON_DEMAND streams.")  # unverified
            count = ON_DEMAND_SHARDS
        elif count is None:
            raise errors.invalid("ShardCount is required for PROVISIONED streams.")  # unverified
        tags = params.get("Tags") or {}
        if len(tags) > MAX_TAGS:
            raise errors.invalid(f"A stream cannot have more than {MAX_TAGS} tags.")  # unverified
        arn = self._arn(ctx, name)
        with self.store.transaction():
            if self.streams.db.get(arn) is not None:
                raise errors.stream_exists(name, ctx.account)
            open_shards = self.streams.db.open_shard_total(ctx.account, ctx.region)
            if open_shards + count > SHARD_LIMIT:
                raise errors.limit_exceeded(
                    f"This request would exceed the shard limit for the account {ctx.account} in "
                    f"{ctx.region}. Current shard count for the account: {open_shards}. Limit: "
                    f"{SHARD_LIMIT}. Number of additional shards that would have resulted from this "
                    f"request: {count}."
                )  # unverified
            row = StreamRow(
                arn=arn,
                account=ctx.account,
                region=ctx.region,
                name=name,
                created=self.clock.now(),
                mode=mode,
                retention_hours=MIN_RETENTION,
                encryption="NONE",
                key_id=None,
                tags=dict(tags),
                max_record_kib=params.get("MaxRecordSizeInKiB") or DEFAULT_RECORD_KIB,
            )
            self.streams.create(row, count)
        return {}

    def delete_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        if not params.get("EnforceConsumerDeletion") and self.streams.db.consumer_count(stream.arn):
            raise errors.in_use(
                f"Stream {stream.name} under account {stream.account} has registered consumers. Use "
                "EnforceConsumerDeletion to delete the stream and its consumers."
            )  # unverified
        self.streams.delete(stream.arn)  # its consumers go with it (their subscriptions end)
        return {}

    def _summary_base(self, stream: StreamRow) -> dict[str, Any]:
        out: dict[str, Any] = {
            "StreamName": stream.name,
            "StreamARN": stream.arn,
            "StreamStatus": "ACTIVE",
            "StreamModeDetails": {"StreamMode": stream.mode},
            "RetentionPeriodHours": stream.retention_hours,
            "StreamCreationTimestamp": stream.created,
            "EnhancedMonitoring": [{"ShardLevelMetrics": list(stream.shard_metrics)}],
            "EncryptionType": stream.encryption,
        }
        if stream.key_id:
            out["KeyId"] = stream.key_id
        return out

    def describe_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        limit = min(params.get("Limit") or 100, 100)
        shards = [shard_view(s) for s in self.streams.live_shards(stream)]
        start = params.get("ExclusiveStartShardId")
        if start is not None:
            shards = [s for s in shards if s["ShardId"] > start]
        description = self._summary_base(stream)
        description["Shards"] = shards[:limit]
        description["HasMoreShards"] = len(shards) > limit
        return {"StreamDescription": description}

    def describe_stream_summary(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        summary = self._summary_base(stream)
        summary["OpenShardCount"] = sum(1 for s in self.streams.db.shards(stream.arn) if s.closed is None)
        summary["ConsumerCount"] = self.streams.db.consumer_count(stream.arn)
        summary["MaxRecordSizeInKiB"] = stream.max_record_kib
        return {"StreamDescriptionSummary": summary}

    def list_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = min(params.get("Limit") or 100, 100)
        after = params.get("ExclusiveStartStreamName")
        token = params.get("NextToken")
        if token is not None:
            after = self._read_token(token, "stream")[0]
        rows = self.streams.db.listed(ctx.account, ctx.region, after, limit + 1)
        page = rows[:limit]
        out: dict[str, Any] = {
            "StreamNames": [r.name for r in page],
            "HasMoreStreams": len(rows) > limit,
            "StreamSummaries": [
                {
                    "StreamName": r.name,
                    "StreamARN": r.arn,
                    "StreamStatus": "ACTIVE",
                    "StreamModeDetails": {"StreamMode": r.mode},
                    "StreamCreationTimestamp": r.created,
                }
                for r in page
            ],
        }
        if len(rows) > limit:
            out["NextToken"] = self._token("stream", page[-1].name)
        return out

    def update_stream_mode(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self.streams.get(self._stream_arn(ctx, params["StreamARN"]))
        with self.store.transaction():
            self.streams.db.update(stream.arn, mode=params["StreamModeDetails"]["StreamMode"])
        return {}

    # ---- shards ------------------------------------------------------------------------------

    def _token(self, kind: str, after: str, arn: str = "", extra: dict[str, Any] | None = None) -> str:
        now_ms = int(self.clock.now() * 1000)
        data = {"k": kind, "a": after, "s": arn, "t": now_ms, "f": extra}
        return _b64(orjson.dumps(data).decode())

    def _read_token(self, token: str, kind: str) -> tuple[str, str, dict[str, Any] | None]:
        """(after, stream ARN, what else the token carries) of a pagination token;
        InvalidArgument or ExpiredNextToken."""
        try:
            data = orjson.loads(_unb64(token))
            after, arn, issued, extra = data["a"], data["s"], data["t"], data.get("f")
            ok = data["k"] == kind and isinstance(after, str) and isinstance(arn, str)
            ok = ok and (extra is None or isinstance(extra, dict))
        except (ValueError, UnicodeDecodeError, binascii.Error, KeyError, TypeError, AttributeError):
            ok = False
        if not ok or not isinstance(issued, int):
            raise errors.invalid(f"Invalid NextToken: {token}")  # unverified
        if self.clock.now() * 1000 - issued > NEXT_TOKEN_TTL_S * 1000:
            raise ServiceError(
                "ExpiredNextTokenException", f"The timestamp in NextToken {token} has expired.", 400
            )  # unverified
        return after, arn, extra

    def list_shards(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("NextToken")
        limit = params.get("MaxResults") or 1000
        shard_filter: dict[str, Any] | None = None
        if params.get("ShardFilter") is not None:
            given = params["ShardFilter"]
            shard_filter = {"Type": given["Type"], "ShardId": given.get("ShardId")}
            if given.get("Timestamp") is not None:
                shard_filter["Timestamp"] = given["Timestamp"].timestamp()
        if token is not None:
            if params.get("StreamName") is not None or params.get("StreamCreationTimestamp") is not None:
                # AWS's words for StreamName, as quoted in awslabs/kinesis-hot-shard-advisor#5
                raise errors.invalid("NextToken and StreamName cannot be provided together.")
            if params.get("ExclusiveStartShardId") is not None:
                raise errors.invalid(
                    "NextToken and ExclusiveStartShardId cannot be provided together."
                )  # unverified; the API reference forbids the pair
            if shard_filter is not None:
                # AWS's words, as quoted in apache/beam#33478
                raise errors.invalid("NextToken and ShardFilter cannot be provided together.")
            after, arn, shard_filter = self._read_token(token, "shard")
            try:
                arn = self._stream_arn(ctx, arn)
            except ServiceError:
                raise errors.invalid(f"Invalid NextToken: {token}") from None  # unverified
            if params.get("StreamARN") is not None and self._stream_arn(ctx, params["StreamARN"]) != arn:
                raise errors.invalid("NextToken was issued for another stream.")  # unverified
            stream = self.streams.get(arn)
        else:
            stream = self._stream(ctx, params)
            self._check_created(stream, params.get("StreamCreationTimestamp"))
            after = params.get("ExclusiveStartShardId") or ""
        shards = self._filtered(stream, shard_filter)
        if shard_filter is not None and shard_filter["Type"] == "AFTER_SHARD_ID":
            after = max(after, shard_filter["ShardId"])
        listed = [shard_view(s) for s in shards if s.shard_id > after]
        out: dict[str, Any] = {"Shards": listed[:limit]}
        if len(listed) > limit:
            out["NextToken"] = self._token("shard", listed[limit - 1]["ShardId"], stream.arn, shard_filter)
        return out

    def _check_created(self, stream: StreamRow, created: Any) -> None:
        """A StreamCreationTimestamp (whole seconds, as SDKs send it) names another stream of
        that name: not found (unverified)."""
        if created is not None and int(created.timestamp()) != int(stream.created):
            raise errors.stream_not_found(stream.name, stream.account)

    def _filtered(self, stream: StreamRow, shard_filter: dict[str, Any] | None) -> list[ShardRow]:
        """The shards a ListShards ShardFilter keeps, over the lineage of shards not expired."""
        live = self.streams.live_shards(stream)
        kind = shard_filter["Type"] if shard_filter else "FROM_TRIM_HORIZON"
        if kind == "AFTER_SHARD_ID" and shard_filter and shard_filter.get("ShardId") is None:
            raise errors.invalid("ShardId must be provided for the AFTER_SHARD_ID filter.")  # unverified
        if kind == "AT_LATEST":
            return [s for s in live if s.closed is None]
        if kind == "AT_TRIM_HORIZON":  # those whose parents expired (or that have none)
            ids = {s.shard_id for s in live}
            return [s for s in live if s.parent_id not in ids and s.adjacent_parent_id not in ids]
        if kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
            if shard_filter is None or shard_filter.get("Timestamp") is None:
                raise errors.invalid(f"Timestamp must be provided for the {kind} filter.")  # unverified
            # a time before the trim horizon (or the stream) is taken as that point (unverified
            # for AT_TIMESTAMP; the model documents it for FROM_TIMESTAMP)
            horizon = self.clock.now() - stream.retention_hours * 3600.0
            at = max(float(shard_filter["Timestamp"]), horizon, stream.created)
            if kind == "AT_TIMESTAMP":
                return [s for s in live if s.created <= at and (s.closed is None or s.closed >= at)]
            return [s for s in live if s.closed is None or s.closed >= at]
        return live  # FROM_TRIM_HORIZON, AFTER_SHARD_ID

    # ---- records -----------------------------------------------------------------------------

    def _dry_run(self, params: dict[str, Any]) -> None:
        if params.get("DryRun"):
            raise ServiceError(
                "DryRunOperationException", "Request would have succeeded, but DryRun flag is set.", 400
            )  # unverified

    def _put_of(self, stream: StreamRow, record: dict[str, Any], where: str) -> Put:
        key = record.get("PartitionKey")
        _required(key, f"{where}partitionKey")
        data = record["Data"]
        explicit = record.get("ExplicitHashKey")
        hashed = None
        if explicit is not None:
            hashed = int(explicit)
            if hashed > MAX_HASH_KEY:
                raise errors.invalid(
                    f"Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. "
                    f"Specified value was {explicit}"
                )  # unverified
        size = len(data) + len(key.encode())
        limit = stream.max_record_kib * 1024
        if size > limit:
            raise errors.invalid(
                f"Record size {size} bytes (data plus partition key) exceeds the stream's maximum "
                f"record size of {limit} bytes."
            )  # unverified
        return Put(key, data, hashed)

    def _check_key(self, stream: StreamRow) -> None:
        """A stream encrypted under a key KMS no longer serves refuses writes (KMS*Exception)."""
        if stream.encryption != "KMS" or not stream.key_id:
            return
        self._resolve_key(stream.account, stream.region, stream.key_id)

    def _resolve_key(self, account: str, region: str, key_id: str) -> None:
        keys = key_service(self.runtime)
        try:
            if key_id == _MANAGED_KEY:
                keys.resolve(account, region, None, "aws/kinesis")
            else:
                keys.resolve(account, region, key_id)
        except ServiceError as exc:
            raise errors.from_kms(exc) from None

    def put_record(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        put = self._put_of(stream, params, "")
        self._dry_run(params)
        self._check_key(stream)
        result = self.streams.put(stream, [put], throttle=self.throttle and stream.mode == "PROVISIONED")[0]
        self.stream_metrics.put(
            stream, "PutRecord", [result], [len(put.data) + len(put.partition_key.encode())]
        )
        if "ErrorCode" in result:
            raise ServiceError(result["ErrorCode"], result["ErrorMessage"], 400)
        if stream.encryption != "NONE":
            result["EncryptionType"] = stream.encryption
        return result

    def put_records(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        puts = [self._put_of(stream, r, f"records.{i + 1}.member.") for i, r in enumerate(params["Records"])]
        total = sum(len(p.data) + len(p.partition_key.encode()) for p in puts)
        if total > MAX_PUT_REQUEST_BYTES:
            raise errors.invalid(
                f"Records size {total} bytes exceeds the maximum of {MAX_PUT_REQUEST_BYTES} bytes per "
                "PutRecords request."
            )  # unverified
        self._dry_run(params)
        self._check_key(stream)
        results = self.streams.put(stream, puts, throttle=self.throttle and stream.mode == "PROVISIONED")
        sizes = [len(p.data) + len(p.partition_key.encode()) for p in puts]
        self.stream_metrics.put(stream, "PutRecords", results, sizes)
        out: dict[str, Any] = {
            "FailedRecordCount": sum(1 for r in results if "ErrorCode" in r),
            "Records": results,
        }
        if stream.encryption != "NONE":
            out["EncryptionType"] = stream.encryption
        return out

    def get_shard_iterator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        kind = params["ShardIteratorType"]
        sequence = params.get("StartingSequenceNumber")
        timestamp = params.get("Timestamp")
        if kind in _WITH_SEQUENCE and sequence is None:
            raise errors.invalid(
                f"Must specify StartingSequenceNumber for ShardIteratorType {kind}."
            )  # unverified
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise errors.invalid(
                    "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP."
                )  # unverified
            self._check_not_future(timestamp)
        shard = self.streams.shard(stream, params["ShardId"])
        self._dry_run(params)
        position = self.streams.start_position(
            stream, shard, kind, sequence, timestamp.timestamp() if timestamp is not None else None
        )
        return {"ShardIterator": self._iterator(stream.arn, shard.shard_id, position)}

    def _check_not_future(self, timestamp: Any) -> None:
        now_ms = int(self.clock.now() * 1000)
        ts_ms = int(timestamp.timestamp() * 1000)
        if ts_ms > now_ms:
            # AWS's words, as quoted in aws/aws-sdk-java#2588
            raise errors.invalid(
                "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis. "
                f"timestampInMillis: {ts_ms}, currentTimestampInMillis: {now_ms}"
            )

    def _iterator(self, arn: str, shard_id: str, position: int) -> str:
        return _b64(f"{arn}|{shard_id}|{position}|{int(self.clock.now() * 1000)}")

    def _parse_iterator(self, iterator: str) -> tuple[str, str, int, int]:
        """(stream ARN, shard id, position, issued ms) of an iterator this service issued."""
        try:
            arn, shard_id, position, issued = _unb64(iterator).split("|")
            pos, issued_ms = int(position), int(issued)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise errors.bad_iterator() from None
        if not 0 <= pos <= MAX_POSITION or not arn.startswith("arn:"):
            raise errors.bad_iterator()
        return arn, shard_id, pos, issued_ms

    def get_records(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = params.get("Limit")
        if limit is None:
            limit = MAX_RECORDS_PER_GET
        elif limit < 1:  # the model's own bound, checked here since the shape is skipped
            raise validation_error(
                [
                    f"Value '{limit}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
                ]
            )
        elif limit > MAX_RECORDS_PER_GET:
            raise errors.invalid(
                f"Limit must be between 1 and {MAX_RECORDS_PER_GET}, but was {limit}."
            )  # unverified
        arn, shard_id, position, issued_ms = self._parse_iterator(params["ShardIterator"])
        if params.get("StreamARN") is not None and self._stream_arn(ctx, params["StreamARN"]) != arn:
            raise errors.invalid("The ShardIterator does not belong to StreamARN.")  # unverified
        now_ms = int(self.clock.now() * 1000)
        if now_ms - issued_ms > ITERATOR_TTL_S * 1000:
            raise errors.expired_iterator(issued_ms, now_ms, int(ITERATOR_TTL_S * 1000))
        try:
            parsed = parse_arn(arn)
        except ValueError:
            raise errors.bad_iterator() from None
        if parsed.account != ctx.account or parsed.region != ctx.region:
            raise errors.bad_iterator()
        stream = self.streams.get(arn)
        shard = self.streams.shard(stream, shard_id)
        self._dry_run(params)
        records, position, behind, drained = self.streams.read_after(stream, shard, position, limit)
        self.stream_metrics.get(stream, records, self.clock.now())
        out: dict[str, Any] = {"Records": records, "MillisBehindLatest": behind}
        if drained:  # a closed shard read to its end: no next iterator, its children instead
            out["ChildShards"] = self.streams.children(stream, shard)
        else:
            out["NextShardIterator"] = self._iterator(arn, shard_id, position)
        return out

    # ---- retention ---------------------------------------------------------------------------

    def _check_retention(self, hours: int) -> None:
        if hours < MIN_RETENTION:
            raise errors.invalid(
                f"Minimum allowed retention period is {MIN_RETENTION} hours. Requested retention period "
                f"({hours} hours) is too short."
            )  # unverified
        if hours > MAX_RETENTION:
            raise errors.invalid(
                f"Maximum allowed retention period is {MAX_RETENTION} hours. Requested retention period "
                f"({hours} hours) is too long."
            )  # unverified

    def increase_stream_retention_period(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        hours = params["RetentionPeriodHours"]
        self._check_retention(hours)
        if hours < stream.retention_hours:
            raise errors.invalid(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be shorter "
                f"than existing retention period ({stream.retention_hours} hours). Use "
                "DecreaseRetentionPeriod API."
            )  # unverified
        with self.store.transaction():
            self.streams.trim_stream(stream)  # what expired under the old period stays gone
            self.streams.db.update(stream.arn, retention_hours=hours)
        return {}

    def decrease_stream_retention_period(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        hours = params["RetentionPeriodHours"]
        self._check_retention(hours)
        if hours > stream.retention_hours:
            raise errors.invalid(
                f"Requested retention period ({hours} hours) for stream {stream.name} can not be longer "
                f"than existing retention period ({stream.retention_hours} hours). Use "
                "IncreaseRetentionPeriod API."
            )  # unverified
        with self.store.transaction():
            self.streams.db.update(stream.arn, retention_hours=hours)
        return {}

    # ---- tags --------------------------------------------------------------------------------

    def _add_tags(self, stream: StreamRow, tags: dict[str, str]) -> None:
        merged = {**stream.tags, **tags}
        if len(merged) > MAX_TAGS:
            raise errors.invalid(
                f"Failed to add tags to stream {stream.name} under account {stream.account} because a "
                f"given stream cannot have more than {MAX_TAGS} tags."
            )  # unverified
        with self.store.transaction():
            self.streams.db.update(stream.arn, tags=merged)

    def _remove_tags(self, stream: StreamRow, keys: list[str]) -> None:
        with self.store.transaction():
            self.streams.db.update(stream.arn, tags={k: v for k, v in stream.tags.items() if k not in keys})

    def add_tags_to_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._add_tags(self._stream(ctx, params), params["Tags"])
        return {}

    def remove_tags_from_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._remove_tags(self._stream(ctx, params), params["TagKeys"])
        return {}

    def list_tags_for_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        limit = params.get("Limit") or 10  # unverified default
        start = params.get("ExclusiveStartTagKey")
        keys = sorted(k for k in stream.tags if start is None or k > start)
        return {
            "Tags": [{"Key": k, "Value": stream.tags[k]} for k in keys[:limit]],
            "HasMoreTags": len(keys) > limit,
        }

    def _tagged_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> ConsumerRow | None:
        """The consumer a ``ResourceARN`` names (None when it names no consumer)."""
        if parse_consumer_arn(params["ResourceARN"]) is None:
            return None
        return self._consumer(ctx, {"ConsumerARN": params["ResourceARN"]})[1]

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        consumer = self._tagged_consumer(ctx, params)
        if consumer is None:
            self._add_tags(self._resource(ctx, params), params["Tags"])
            return {}
        merged = {**consumer.tags, **params["Tags"]}
        if len(merged) > MAX_TAGS:
            raise errors.invalid(f"A consumer cannot have more than {MAX_TAGS} tags.")  # unverified
        with self.store.transaction():
            self.streams.db.tag_consumer(consumer.arn, merged)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        consumer = self._tagged_consumer(ctx, params)
        if consumer is None:
            self._remove_tags(self._resource(ctx, params), params["TagKeys"])
            return {}
        kept = {k: v for k, v in consumer.tags.items() if k not in params["TagKeys"]}
        with self.store.transaction():
            self.streams.db.tag_consumer(consumer.arn, kept)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        consumer = self._tagged_consumer(ctx, params)
        tags = consumer.tags if consumer is not None else self._resource(ctx, params).tags
        return {"Tags": [{"Key": k, "Value": tags[k]} for k in sorted(tags)]}

    # ---- encryption --------------------------------------------------------------------------

    def start_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        if params["EncryptionType"] != "KMS":
            raise errors.invalid(
                f"Invalid EncryptionType {params['EncryptionType']}: StartStreamEncryption takes KMS."
            )  # unverified
        self._resolve_key(ctx.account, ctx.region, params["KeyId"])
        with self.store.transaction():
            self.streams.db.update(stream.arn, encryption="KMS", key_id=params["KeyId"])
        return {}

    def stop_stream_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        if params["EncryptionType"] != "KMS":
            raise errors.invalid(
                f"Invalid EncryptionType {params['EncryptionType']}: StopStreamEncryption takes KMS."
            )  # unverified
        with self.store.transaction():
            self.streams.db.update(stream.arn, encryption="NONE", key_id=None)
        return {}

    # ---- resource policies -------------------------------------------------------------------

    def put_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._resource(ctx, params)
        try:
            parse_policy(params["Policy"], "resource")
        except PolicyError as exc:
            raise errors.invalid(f"Invalid policy: {exc.message}") from None  # unverified
        with self.store.transaction():
            self.streams.db.update(stream.arn, policy=params["Policy"])
        return {}

    def get_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._resource(ctx, params)
        return {"Policy": stream.policy or "{}"}  # recorded: "{}" when none is set

    def delete_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._resource(ctx, params)
        with self.store.transaction():
            self.streams.db.update(stream.arn, policy=None)  # unverified: none set answers success
        return {}

    # ---- resharding --------------------------------------------------------------------------

    def _reshardable(self, ctx: RequestContext, params: dict[str, Any], operation: str) -> StreamRow:
        stream = self._stream(ctx, params)
        if stream.mode != "PROVISIONED":
            raise errors.provisioned_only(operation)
        return stream

    def _open_shard(self, stream: StreamRow, shard_id: str) -> ShardRow:
        shard = self.streams.shard(stream, shard_id)
        if shard.closed is not None:
            raise errors.already_resharded(shard_id, stream.name, stream.account)
        return shard

    def _check_shard_limit(self, stream: StreamRow, added: int) -> None:
        open_shards = self.streams.db.open_shard_total(stream.account, stream.region)
        if added > 0 and open_shards + added > SHARD_LIMIT:
            raise errors.limit_exceeded(
                f"This request would exceed the shard limit for the account {stream.account} in "
                f"{stream.region}. Current shard count for the account: {open_shards}. Limit: "
                f"{SHARD_LIMIT}. Number of additional shards that would have resulted from this "
                f"request: {added}."
            )  # unverified

    def split_shard(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._reshardable(ctx, params, "SplitShard")
        with self.store.transaction():
            shard = self._open_shard(stream, params["ShardToSplit"])
            key = int(params["NewStartingHashKey"])  # the model's pattern: decimal digits
            if not shard.start_hash + 1 < key < shard.end_hash:  # both children non-trivial
                raise errors.invalid(
                    f"NewStartingHashKey {params['NewStartingHashKey']} used in SplitShard() on shard "
                    f"{shard.shard_id} in stream {stream.name} under account {stream.account} is not both "
                    f"greater than one plus the shard's StartingHashKey {shard.start_hash} and less than "
                    f"the shard's EndingHashKey {shard.end_hash}."
                )  # unverified
            self._check_shard_limit(stream, 1)
            Reshard(self.streams.db, stream, self.clock.now()).split(shard, key)
            self.streams.resharded(stream.arn)
        return {}

    def merge_shards(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._reshardable(ctx, params, "MergeShards")
        with self.store.transaction():
            shard = self._open_shard(stream, params["ShardToMerge"])
            adjacent = self._open_shard(stream, params["AdjacentShardToMerge"])
            if shard.end_hash + 1 != adjacent.start_hash and adjacent.end_hash + 1 != shard.start_hash:
                raise errors.invalid(
                    f"Shards {shard.shard_id} and {adjacent.shard_id} in stream {stream.name} under account "
                    f"{stream.account} are not an adjacent pair of shards eligible for merging"
                )  # unverified
            Reshard(self.streams.db, stream, self.clock.now()).merge(shard, adjacent)
            self.streams.resharded(stream.arn)
        return {}

    def update_shard_count(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self._reshardable(ctx, params, "UpdateShardCount")
        target = params["TargetShardCount"]
        if params["ScalingType"] != "UNIFORM_SCALING":  # the model's only value
            raise errors.invalid(f"Unsupported ScalingType {params['ScalingType']}.")  # unverified
        now = self.clock.now()
        with self.store.transaction():
            open_shards = [s for s in self.streams.db.shards(stream.arn) if s.closed is None]
            current = len(open_shards)
            if target > 2 * current:
                raise errors.limit_exceeded(
                    f"UpdateShardCount cannot scale up over double your current open shard count. "
                    f"Current open shard count: {current} Target shard count: {target}"
                )  # unverified
            if 2 * target < current:
                raise errors.limit_exceeded(
                    f"UpdateShardCount cannot scale down below half your current open shard count. "
                    f"Current open shard count: {current} Target shard count: {target}"
                )  # unverified
            if target > MAX_SHARDS_PER_STREAM:
                raise errors.limit_exceeded(
                    f"UpdateShardCount cannot scale up over {MAX_SHARDS_PER_STREAM} shards in a stream. "
                    f"Target shard count: {target}"
                )  # unverified
            recent = [t for t in stream.scalings if t > now - 86400.0]
            if len(recent) >= SCALINGS_PER_DAY:
                raise errors.limit_exceeded(
                    f"Exceeded the maximum number of UpdateShardCount calls ({SCALINGS_PER_DAY}) for "
                    f"stream {stream.name} under account {stream.account} in a rolling 24-hour period."
                )  # unverified
            self._check_shard_limit(stream, target - current)
            Reshard(self.streams.db, stream, now).uniform(open_shards, target)
            self.streams.db.update(stream.arn, scalings=[*recent, now])
            self.streams.resharded(stream.arn)
        return {
            "StreamName": stream.name,
            "CurrentShardCount": current,
            "TargetShardCount": target,
            "StreamARN": stream.arn,
        }

    # ---- enhanced monitoring -----------------------------------------------------------------

    def _monitoring(self, ctx: RequestContext, params: dict[str, Any], enable: bool) -> dict[str, Any]:
        stream = self._stream(ctx, params)
        given = set(params["ShardLevelMetrics"])
        named = set(SHARD_METRICS) if "ALL" in given else given
        current = list(stream.shard_metrics)
        wanted = set(current) | named if enable else set(current) - named
        desired = [m for m in SHARD_METRICS if m in wanted]
        with self.store.transaction():
            self.streams.db.update(stream.arn, shard_metrics=desired)
        return {
            "StreamName": stream.name,
            "CurrentShardLevelMetrics": current,
            "DesiredShardLevelMetrics": desired,
            "StreamARN": stream.arn,
        }

    def enable_enhanced_monitoring(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._monitoring(ctx, params, enable=True)

    def disable_enhanced_monitoring(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._monitoring(ctx, params, enable=False)

    # ---- enhanced fan-out consumers ----------------------------------------------------------

    def _consumer(self, ctx: RequestContext, params: dict[str, Any]) -> tuple[StreamRow, ConsumerRow]:
        """The consumer ``ConsumerARN`` or ``StreamARN`` + ``ConsumerName`` name (all given must
        agree) and its stream."""
        arn, stream_arn, name = params.get("ConsumerARN"), params.get("StreamARN"), params.get("ConsumerName")
        if arn is not None:
            parsed = parse_consumer_arn(arn)
            if parsed is None:
                raise errors.invalid(f"Invalid ConsumerARN {arn}.")  # unverified
            own_stream = self._stream_arn(ctx, parsed[0])
            if (stream_arn is not None and self._stream_arn(ctx, stream_arn) != own_stream) or (
                name is not None and name != parsed[1]
            ):
                raise errors.invalid(
                    "ConsumerARN does not match the given StreamARN or ConsumerName."
                )  # unverified
            stream = self.streams.get(own_stream)
            consumer = self.streams.db.consumer(arn)
            if consumer is None:
                raise errors.consumer_not_found(arn, stream.name, stream.account)
            return stream, consumer
        if stream_arn is None or name is None:
            raise errors.invalid(
                "Either ConsumerARN or both StreamARN and ConsumerName must be provided."
            )  # unverified
        stream = self.streams.get(self._stream_arn(ctx, stream_arn))
        found = self.streams.db.consumer_named(stream.arn, name)
        if found is None:
            raise errors.consumer_not_found(name, stream.name, stream.account)
        return stream, found

    def register_stream_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream = self.streams.get(self._stream_arn(ctx, params["StreamARN"]))
        name = params["ConsumerName"]
        tags = params.get("Tags") or {}
        if len(tags) > MAX_TAGS:
            raise errors.invalid(f"A consumer cannot have more than {MAX_TAGS} tags.")  # unverified
        with self.store.transaction():
            if self.streams.db.consumer_named(stream.arn, name) is not None:
                raise errors.in_use(
                    f"Consumer {name} under stream {stream.name} already exists for account {stream.account}."
                )  # unverified
            if self.streams.db.consumer_count(stream.arn) >= CONSUMER_LIMIT:
                raise errors.limit_exceeded(
                    f"Consumer limit of {CONSUMER_LIMIT} reached for stream {stream.name} under account "
                    f"{stream.account}."
                )  # unverified
            created = self.clock.now()
            consumer = ConsumerRow(
                consumer_arn(stream.arn, name, created), stream.arn, name, created, dict(tags)
            )
            self.streams.db.add_consumer(consumer)
        return {"Consumer": consumer_view(consumer)}

    def describe_stream_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        _, consumer = self._consumer(ctx, params)
        return {"ConsumerDescription": consumer_view(consumer, with_stream=True)}

    def list_stream_consumers(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = min(params.get("MaxResults") or 100, 100)
        token = params.get("NextToken")
        stream = self.streams.get(self._stream_arn(ctx, params["StreamARN"]))
        after = ""
        if token is not None:
            if params.get("StreamCreationTimestamp") is not None:
                raise errors.invalid(
                    "NextToken and StreamCreationTimestamp cannot be provided together."
                )  # unverified; the API reference forbids the pair
            after, arn, _ = self._read_token(token, "consumer")
            if arn != stream.arn:
                raise errors.invalid("NextToken was issued for another stream.")  # unverified
        else:
            self._check_created(stream, params.get("StreamCreationTimestamp"))
        rows = self.streams.db.consumers(stream.arn, after, limit + 1)
        out: dict[str, Any] = {"Consumers": [consumer_view(c) for c in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = self._token("consumer", rows[limit - 1].name, stream.arn)
        return out

    def deregister_stream_consumer(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = self._consumer(ctx, params)
        with self.store.transaction():
            self.streams.db.drop_consumer(consumer.arn)
        self.streams.wake(stream.arn)  # its subscriptions end
        return {}

    def subscribe_to_shard(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        stream, consumer = self._consumer(ctx, {"ConsumerARN": params["ConsumerARN"]})
        shard = self.streams.shard(stream, params["ShardId"])
        start = params["StartingPosition"]
        kind = start["Type"]
        sequence, timestamp = start.get("SequenceNumber"), start.get("Timestamp")
        if kind in _WITH_SEQUENCE and sequence is None:
            raise errors.invalid(f"Must specify SequenceNumber for StartingPosition {kind}.")  # unverified
        if kind == "AT_TIMESTAMP":
            if timestamp is None:
                raise errors.invalid(
                    "Must specify Timestamp for StartingPosition AT_TIMESTAMP."
                )  # unverified
            self._check_not_future(timestamp)
        position = self.streams.start_position(
            stream, shard, kind, sequence, timestamp.timestamp() if timestamp is not None else None
        )
        self._dry_run(params)
        return {"EventStream": self.subscriptions.start(stream, consumer, shard, position)}
