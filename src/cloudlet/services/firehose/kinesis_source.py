"""KinesisStreamAsSource: a delivery stream that reads a Kinesis data stream.

One task per such stream reads every shard of its source through Kinesis's in-process feed
(core/stream_feed.StreamFeed) and appends what it reads to the stream's buffer, in the same
transaction that moves the shard's position (``firehose_source_positions``): a record read is
buffered exactly once, across restarts. Reading starts at the records that arrived once the
delivery stream existed (its DeliveryStartTimestamp: the developer guide says Firehose starts
at the LATEST position); shards that appear later are read from their start, a child shard
once its parents are read to their end (so a partition key's records stay in order across a
reshard). Buffered records
take the time they were read as their arrival (the buffer interval starts then).

Not done: KPL aggregated records are delivered as they are (AWS de-aggregates them).
The Lambda processor's event names the source (``sourceKinesisStreamArn``) and gives each
record its ``kinesisRecordMetadata``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.kinesis.interface import kinesis_feed

if TYPE_CHECKING:
    from cloudlet.core.stream_feed import StreamFeed
    from cloudlet.services.firehose.provider import FirehoseProvider

log = logging.getLogger("cloudlet.firehose")

BATCH = 1000  # records read per shard and turn
IDLE_WAIT_S = 5.0  # service seconds a reader waits for new records before looking again
MISSING_WAIT_S = 10.0  # ... and for a source stream that does not exist (yet)


class SourceReaders:
    """The readers of the KinesisStreamAsSource delivery streams."""

    def __init__(self, provider: FirehoseProvider) -> None:
        self.provider = provider
        self.db = provider.db
        self.clock = provider.clock
        self.tasks: dict[int, asyncio.Task[None]] = {}

    def start(self, stream_id: int) -> None:
        if stream_id not in self.tasks:
            task = asyncio.get_running_loop().create_task(self._run(stream_id))
            self.tasks[stream_id] = task
            task.add_done_callback(lambda _: self.tasks.pop(stream_id, None))

    def stop(self, stream_id: int) -> None:
        task = self.tasks.pop(stream_id, None)
        if task is not None:
            task.cancel()

    async def stop_all(self) -> None:
        tasks = list(self.tasks.values())
        self.tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _run(self, stream_id: int) -> None:
        while True:
            stream = self.db.by_id(stream_id)
            if stream is None:
                return
            source_arn = stream.config["source"]["KinesisStreamARN"]
            feed = kinesis_feed(self.provider.runtime)
            if feed is None:
                await self.clock.sleep(MISSING_WAIT_S)
                continue
            try:
                read = self._read_all(stream_id, stream.config["source"], feed)
            except ServiceError as exc:
                log.debug("firehose %s: source %s not readable: %s", stream.name, source_arn, exc.message)
                await self.clock.sleep(MISSING_WAIT_S)
                continue
            except Exception:  # a reader must outlive a bad turn
                log.exception("firehose %s: reading %s failed", stream.name, source_arn)
                await self.clock.sleep(MISSING_WAIT_S)
                continue
            if read:
                await asyncio.sleep(0)  # a backlog is read a batch per turn of the loop
            else:
                with contextlib.suppress(ServiceError):
                    await feed.wait(source_arn, self.clock.now() + IDLE_WAIT_S)

    def _read_all(self, stream_id: int, source: dict[str, Any], feed: StreamFeed) -> int:
        """One turn over the source's shards; how many records were buffered."""
        arn = source["KinesisStreamARN"]
        positions = self.db.positions(stream_id)
        total = 0
        shards = feed.shards(arn)  # parents before their children
        present = {s["ShardId"] for s in shards}
        drained: set[str] = set()  # closed shards read to their end
        for shard in shards:
            shard_id = shard["ShardId"]
            parents = (shard.get("ParentShardId"), shard.get("AdjacentParentShardId"))
            if any(p in present and p not in drained for p in parents):
                continue  # a child waits until its parents are read to their end
            if shard_id in positions:
                after = positions[shard_id]
            else:
                after = feed.sequence_before(arn, shard_id, source["DeliveryStartTimestamp"])
            try:
                records = feed.read(arn, shard_id, after, BATCH)
            except ServiceError as exc:
                if exc.code != "TrimmedDataAccessException":
                    raise
                records = feed.read(arn, shard_id, None, BATCH)  # what it had is gone: go on from the oldest
            if not records:
                if feed.closed(arn, shard_id):
                    drained.add(shard_id)
                continue
            stream = self.db.by_id(stream_id)
            if stream is None:
                return total
            now = self.clock.now()
            with self.provider.store.transaction():
                self.provider.buffers.append(
                    stream,
                    [(r["SequenceNumber"], now, bytes(r["Data"])) for r in records],
                    [_metadata(shard_id, r) for r in records],
                )
                self.db.set_position(stream_id, shard_id, feed.sequence_of(records[-1]))
            self.provider.stream_metrics.read_from_kinesis(stream, [len(r["Data"]) for r in records])
            total += len(records)
        return total


def _metadata(shard_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """A Kinesis record's ``kinesisRecordMetadata`` in the Lambda processor's event (the
    fields of the Lambda event samples; unverified: the timestamp in epoch ms, subsequence 0)."""
    return {
        "shardId": shard_id,
        "partitionKey": record["PartitionKey"],
        "approximateArrivalTimestamp": int(record["ApproximateArrivalTimestamp"] * 1000),
        "sequenceNumber": record["SequenceNumber"],
        "subsequenceNumber": 0,
    }
