"""The poller of one stream event source mapping (DynamoDB Streams, Kinesis Data Streams).

Each shard is read by a task of its own, in order, from the mapping's checkpoint for it
(``lambda_esm_positions``, written after every batch, so a restart goes on where the last
finished batch ended: each record is delivered at least once). A child shard waits until its
parents are read to their end. A batch is up to ``BatchSize`` records, gathered for up to
``MaximumBatchingWindowInSeconds``; records the filters reject are skipped. With
``ParallelizationFactor`` N the batch is split into N lanes by partition key (Kinesis) or item
key (DynamoDB), which run at once, each in order.

A failing batch blocks its lane until it succeeds, its records grow older than
``MaximumRecordAgeInSeconds`` or its invocations exceed ``MaximumRetryAttempts`` + 1; then a
record describing it (``KinesisBatchInfo``/``DDBStreamBatchInfo``: shard and sequence-number
range) goes to the ``DestinationConfig.OnFailure`` destination and the shard moves on. With
``BisectBatchOnFunctionError`` a failed batch is split in two and the halves retried in order
(a split does not reset the invocation count). ``ReportBatchItemFailures`` checkpoints before
the lowest sequence number the function names and retries from there. With
``TumblingWindowInSeconds`` records go through their windows in one lane, with the state the
function returns (tumbling.py).

Chosen here (AWS does not say): the batch of a shard is finished before the next is read, so
with N lanes the slowest lane paces the others; retries after the third wait with backoff
(1 s doubling, 30 s at most); throttled invocations are retried with backoff and not counted.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import uuid
import zlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.delivery import Backoff, Outbound
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.batch_response import failed_items
from cloudlet.services.awslambda.event_filters import compile_filters, passes, stream_view
from cloudlet.services.awslambda.mapping_metrics import (
    DESTINATION,
    DROPPED,
    FAILED,
    FILTERED,
    INVOKED,
    POLLED,
    MappingMetrics,
)  # fmt: skip
from cloudlet.services.awslambda.names import ref_of_arn
from cloudlet.services.awslambda.tumbling import Window, window_start
from cloudlet.services.dynamodb.interface import table_stream_feed
from cloudlet.services.kinesis.interface import kinesis_feed

if TYPE_CHECKING:
    from cloudlet.core.stream_feed import StreamFeed
    from cloudlet.runtime import Runtime
    from cloudlet.services.awslambda.provider import LambdaProvider

log = logging.getLogger(__name__)
LONG_WAIT_S = 20.0
RELIST_S = 30.0
PAUSE_S = 10.0
RETRY_BACKOFF = Backoff(base=1.0, factor=2.0, cap=30.0)
FREE_RETRIES = 3  # retries made at once before backing off
NO_RECORDS, OK = "No records processed", "OK"  # recorded LastProcessingResult values


def source_stream(arn: str) -> str:
    """The stream a source ARN reads: a Kinesis consumer's ARN (enhanced fan-out) names its
    stream's ARN followed by ``/consumer/<name>:<created>``."""
    return arn.split("/consumer/", 1)[0]


def stream_feed(runtime: Runtime, arn: str) -> StreamFeed | None:
    """The feed of the stream ``arn`` names (DynamoDB or Kinesis)."""
    return kinesis_feed(runtime) if arn.split(":")[2] == "kinesis" else table_stream_feed(runtime)


def initial_positions(feed: StreamFeed, mapping: dict[str, Any]) -> dict[str, str]:
    """shard id -> where a new mapping starts reading ('' = the oldest record kept), taken when
    the mapping is created so that LATEST means the records written after it."""
    arn, start = source_stream(mapping["EventSourceArn"]), mapping["StartingPosition"]
    positions = {}
    for shard in feed.shards(arn):
        sid = shard["ShardId"]
        if start == "LATEST":
            positions[sid] = feed.latest_sequence(arn, sid) or ""
        elif start == "AT_TIMESTAMP":
            positions[sid] = feed.sequence_before(arn, sid, float(mapping["StartingPositionTimestamp"])) or ""
        else:
            positions[sid] = ""
    return positions


def _jsonable(value: Any) -> Any:
    """A stream record with its binary values (DynamoDB ``B``/``BS``) in base64, as events carry them."""
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _iso(when: float, millis: bool) -> str:
    moment = datetime.fromtimestamp(when, UTC)
    if millis:
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class StreamPoller:
    """Polls every shard of one stream for one mapping until stopped."""

    def __init__(self, provider: LambdaProvider, mapping: dict[str, Any]) -> None:
        self.provider = provider
        self.clock = provider.clock
        self.workers: dict[str, asyncio.Task[None]] = {}
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.configure(mapping)

    def configure(self, mapping: dict[str, Any]) -> None:
        self.mapping = mapping
        self.arn = source_stream(mapping["EventSourceArn"])
        self.kinesis = self.arn.split(":")[2] == "kinesis"
        self.filters = compile_filters(mapping)
        self.role = self._role()
        self.metrics = MappingMetrics(self.provider, mapping)

    def _role(self) -> str | None:
        ref = ref_of_arn(self.mapping["FunctionArn"])
        config = self.provider.db.version(ref.account, ref.region, ref.name, "$LATEST")
        return config.get("Role") if config else None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, *, batches: bool = False) -> None:
        tasks = [t for t in (self._task, *self.workers.values()) if t is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None
        self.workers.clear()

    # ---- shards ------------------------------------------------------------------------------

    async def _run(self) -> None:
        feed = stream_feed(self.provider.runtime, self.arn)
        if feed is None:
            return
        uid = self.mapping["UUID"]
        while True:
            self._changed.clear()
            try:
                shards = feed.shards(self.arn)
            except ServiceError:
                await self.clock.sleep(PAUSE_S)
                continue
            positions = self.provider.db.positions(uid)
            present = {s["ShardId"] for s in shards}
            for shard in shards:
                sid = shard["ShardId"]
                running = self.workers.get(sid)
                if (running is not None and not running.done()) or positions.get(sid, ("", False))[1]:
                    continue
                parents = [shard.get("ParentShardId"), shard.get("AdjacentParentShardId")]
                if any(p in present and not positions.get(p, ("", False))[1] for p in parents if p):
                    continue  # a child waits for its parents
                after, _, kept = positions.get(sid, ("", False, {}))
                self.workers[sid] = asyncio.get_running_loop().create_task(
                    self._shard(feed, sid, after, kept)
                )
            await self.clock.wait(self._changed, self.clock.now() + RELIST_S)

    async def _shard(self, feed: StreamFeed, sid: str, after: str, kept: dict[str, Any]) -> None:
        window = Window.load(kept)
        while True:
            size = int(self.mapping.get("BatchSize") or 100)
            try:
                records = feed.read(self.arn, sid, after or None, size)
                gather = float(self.mapping.get("MaximumBatchingWindowInSeconds") or 0)
                deadline = self.clock.now() + gather
                while records and len(records) < size and self.clock.now() < deadline:
                    await feed.wait(self.arn, deadline)
                    records += feed.read(self.arn, sid, feed.sequence_of(records[-1]), size - len(records))
                if not records:
                    closed = feed.closed(self.arn, sid)
                    if window is not None and (closed or self.clock.now() >= window.end):
                        await self._close_window(sid, window)
                        window = None
                        self._checkpoint(sid, after, None)
                        continue
                    if closed:
                        self._checkpoint(sid, after, None, finished=True)
                        self._changed.set()
                        return
                    until = self.clock.now() + LONG_WAIT_S
                    await feed.wait(self.arn, min(until, window.end) if window else until)
                    continue
            except ServiceError as error:
                if error.code == "TrimmedDataAccessException":
                    after = ""
                    continue
                await self.clock.sleep(PAUSE_S)  # the stream is gone: the mapping waits for it
                continue
            try:
                if self.mapping.get("TumblingWindowInSeconds"):
                    window = await self._windowed(feed, sid, records, window)
                else:
                    await self._batch(feed, sid, records)
            except Exception:  # a bug must not end the shard: say so, and the batch comes again
                log.exception("stream mapping %s, shard %s: a batch failed", self.mapping["UUID"], sid)
                await self.clock.sleep(PAUSE_S)
                continue
            after = feed.sequence_of(records[-1])
            self._checkpoint(sid, after, window)

    def _checkpoint(self, sid: str, after: str, window: Window | None, finished: bool = False) -> None:
        with self.provider.store.transaction():
            state = window.dump() if window is not None else None
            self.provider.db.put_position(self.mapping["UUID"], sid, after, finished, state)
            self._processed()

    def _processed(self) -> None:
        """LastProcessingResult becomes OK after the first batch (written once)."""
        if self.mapping.get("LastProcessingResult") == OK:
            return
        self.mapping["LastProcessingResult"] = OK
        ref = ref_of_arn(self.mapping["FunctionArn"])
        stored = self.provider.db.setting(ref.account, ref.region, "", "esm", self.mapping["UUID"])
        if stored is not None:
            stored["LastProcessingResult"] = OK
            self.provider.db.put_setting(ref.account, ref.region, "", "esm", self.mapping["UUID"], stored)

    # ---- one batch ---------------------------------------------------------------------------

    async def _batch(self, feed: StreamFeed, sid: str, records: list[dict[str, Any]]) -> None:
        events = self._passing(feed, sid, records)
        if not events:
            return
        lanes_wanted = max(1, int(self.mapping.get("ParallelizationFactor") or 1))
        lanes: dict[int, list[dict[str, Any]]] = {}
        for event in events:
            lanes.setdefault(zlib.crc32(self._key(event)) % lanes_wanted, []).append(event)
        if len(lanes) == 1:  # awaited directly: a task would cost event-loop turns under load
            await self._lane(sid, events)
        else:
            await asyncio.gather(*(self._lane(sid, lane) for lane in lanes.values()))

    async def _windowed(
        self, feed: StreamFeed, sid: str, records: list[dict[str, Any]], window: Window | None
    ) -> Window | None:
        """Run records through their tumbling windows in order (one lane: state is per shard)."""
        length = int(self.mapping["TumblingWindowInSeconds"])
        events = self._passing(feed, sid, records)
        for start, group in itertools.groupby(events, key=lambda e: window_start(self._arrival(e), length)):
            if window is not None and window.start != start:
                await self._close_window(sid, window)
                window = None
            if window is None:
                window = Window(start, start + length)
            await self._lane(sid, list(group), window)
            if window.too_big:
                await self._close_window(sid, window, early=True)
                window = None
        return window

    async def _close_window(self, sid: str, window: Window, early: bool = False) -> None:
        """The window's last invocation: no records, its final state."""
        retries = int(self.mapping.get("MaximumRetryAttempts", -1))
        payload = orjson.dumps({"Records": [], **window.fields(sid, self.arn, final=True, early=early)})
        invoked = 0
        while retries == -1 or invoked <= retries:
            try:
                _, is_error = await self.provider.invoke_function(
                    self.mapping["FunctionArn"], payload, str(uuid.uuid4())
                )
            except ServiceError:
                await self.clock.sleep(RETRY_BACKOFF.delay(1))
                continue
            invoked += 1
            if not is_error:
                return
            if invoked > FREE_RETRIES:
                await self.clock.sleep(RETRY_BACKOFF.delay(invoked - FREE_RETRIES))

    def _passing(self, feed: StreamFeed, sid: str, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records as the function gets them, less those the filters reject."""
        events = [self._event_record(feed, sid, r) for r in records]
        passing = [e for e in events if passes(self.filters, stream_view(e, self.kinesis))]
        self.metrics.count(POLLED, len(events))
        self.metrics.count(FILTERED, len(events) - len(passing))
        return passing

    def _key(self, event: dict[str, Any]) -> bytes:
        if self.kinesis:
            return event["kinesis"]["partitionKey"].encode()
        return orjson.dumps(event["dynamodb"].get("Keys"), option=orjson.OPT_SORT_KEYS)

    def _event_record(self, feed: StreamFeed, sid: str, record: dict[str, Any]) -> dict[str, Any]:
        region = self.arn.split(":")[3]
        if not self.kinesis:
            out = {k: v for k, v in _jsonable(record).items() if k != "userIdentity"}
            out["eventSourceARN"] = self.arn
            if "userIdentity" in record:
                out["userIdentity"] = record["userIdentity"]
            return out
        kinesis = {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode(),
            "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"],
        }
        out = {
            "kinesis": kinesis,
            "eventSource": "aws:kinesis",
            "eventVersion": "1.0",
            "eventID": f"{sid}:{record['SequenceNumber']}",
            "eventName": "aws:kinesis:record",
        }
        if self.role:
            out["invokeIdentityArn"] = self.role
        out["awsRegion"] = region
        out["eventSourceARN"] = self.arn
        return out

    def _sequence(self, event: dict[str, Any]) -> str:
        return event["kinesis"]["sequenceNumber"] if self.kinesis else event["dynamodb"]["SequenceNumber"]

    def _arrival(self, event: dict[str, Any]) -> float:
        if self.kinesis:
            return float(event["kinesis"]["approximateArrivalTimestamp"])
        return float(event["dynamodb"]["ApproximateCreationDateTime"])

    async def _lane(self, sid: str, events: list[dict[str, Any]], window: Window | None = None) -> None:
        """Run one lane's records through the function in order, with AWS's failure handling."""
        work: list[tuple[list[dict[str, Any]], int]] = [(events, 0)]
        retries = int(self.mapping.get("MaximumRetryAttempts", -1))
        max_age = int(self.mapping.get("MaximumRecordAgeInSeconds", -1))
        while work:
            batch, invoked = work.pop(0)
            if max_age != -1 and self.clock.now() - self._arrival(batch[0]) > max_age:
                self._give_up(sid, batch, "RecordAgeExceeded", invoked, None)
                continue
            if invoked > FREE_RETRIES:
                await self.clock.sleep(RETRY_BACKOFF.delay(invoked - FREE_RETRIES))
            answer, error = await self._invoke(sid, batch, window)
            if answer is None:  # throttled or not invocable: the same batch again, not counted
                await self.clock.sleep(RETRY_BACKOFF.delay(1))
                work.insert(0, (batch, invoked))
                continue
            invoked += 1
            self.metrics.count(INVOKED, len(batch))
            if error is not None:
                self.metrics.count(FAILED, len(batch))
            failed_from = self._failed_from(batch, answer, error)
            if failed_from is None:
                continue
            if failed_from > 0:  # partial success: checkpoint before the lowest failure
                batch = batch[failed_from:]
            if retries != -1 and invoked > retries:
                self._give_up(sid, batch, "RetryAttemptsExhausted", invoked, error)
                continue
            if self.mapping.get("BisectBatchOnFunctionError") and len(batch) > 1 and failed_from == 0:
                half = len(batch) // 2
                work[:0] = [(batch[:half], invoked), (batch[half:], invoked)]
            else:
                work.insert(0, (batch, invoked))

    def _failed_from(
        self, batch: list[dict[str, Any]], answer: bytes, error: dict[str, Any] | None
    ) -> int | None:
        """Where the batch failed: None when it all succeeded, else the index retried from."""
        if error is not None:
            return 0
        if "ReportBatchItemFailures" not in (self.mapping.get("FunctionResponseTypes") or []):
            return None
        sequences = [self._sequence(e) for e in batch]
        failed = failed_items(answer, set(sequences))
        if failed is None:
            return 0
        if not failed:
            return None
        return min(sequences.index(s) for s in failed)

    async def _invoke(
        self, sid: str, batch: list[dict[str, Any]], window: Window | None
    ) -> tuple[bytes | None, dict[str, Any] | None]:
        """The function's answer and, when it failed, the responseContext of the failure record;
        (None, None) when it could not be invoked (throttled, gone). A window's state follows
        the answers that succeed."""
        event: dict[str, Any] = {"Records": batch}
        self.metrics.iterator_age((self.clock.now() - self._arrival(batch[-1])) * 1000)
        if window is not None:
            event.update(window.fields(sid, self.arn))
        try:
            answer, is_error = await self.provider.invoke_function(
                self.mapping["FunctionArn"], orjson.dumps(event), str(uuid.uuid4())
            )
        except ServiceError:
            return None, None
        if not is_error:
            if window is not None:
                window.take_state(answer)
            return answer, None
        return answer, {"statusCode": 200, "executedVersion": self._version(), "functionError": "Unhandled"}

    def _version(self) -> str:
        ref = ref_of_arn(self.mapping["FunctionArn"])
        try:
            config, _ = self.provider.resolve(ref)
        except ServiceError:
            return "$LATEST"
        return str(config.get("Version") or "$LATEST")

    def _give_up(
        self,
        sid: str,
        batch: list[dict[str, Any]],
        condition: str,
        invoked: int,
        error: dict[str, Any] | None,
    ) -> None:
        """Send the record of a discarded batch to the on-failure destination, if there is one."""
        self.metrics.count(DROPPED, len(batch))
        destination = ((self.mapping.get("DestinationConfig") or {}).get("OnFailure") or {}).get(
            "Destination"
        )
        if not destination:
            return
        record: dict[str, Any] = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.mapping["FunctionArn"],
                "condition": condition,
                "approximateInvokeCount": invoked,
            }
        }
        if error is not None:
            record["responseContext"] = error
        record["version"] = "1.0"
        record["timestamp"] = _iso(self.clock.now(), True)
        info = {
            "shardId": sid,
            "startSequenceNumber": self._sequence(batch[0]),
            "endSequenceNumber": self._sequence(batch[-1]),
            "approximateArrivalOfFirstRecord": _iso(self._arrival(batch[0]), self.kinesis),
            "approximateArrivalOfLastRecord": _iso(self._arrival(batch[-1]), self.kinesis),
            "batchSize": len(batch),
            "streamArn": self.arn,
        }
        record["KinesisBatchInfo" if self.kinesis else "DDBStreamBatchInfo"] = info
        extra: dict[str, Any] = {}
        if destination.split(":")[2] == "s3":
            record["payload"] = {"Records": batch}  # S3 destinations carry the records themselves
            now = datetime.fromtimestamp(self.clock.now(), UTC)
            extra["key"] = (
                f"aws/lambda/{self.mapping['UUID']}/{sid}/{now:%Y/%m/%d}/{now:%Y-%m-%dT%H.%M.%S}-{uuid.uuid4()}"
            )
        try:
            with self.provider.store.transaction():
                self.provider.deliveries.send_to(
                    destination, Outbound(orjson.dumps(record).decode(), extra=extra)
                )
            self.metrics.count(DESTINATION, len(batch))
        except Exception as exc:  # a destination that fails loses the record, as on AWS
            log.warning(
                "mapping %s: on-failure record not sent to %s: %s", self.mapping["UUID"], destination, exc
            )
