"""The buffer of a delivery stream and its flushes to S3.

Records wait in the store until the buffer holds SizeInMBs or IntervalInSeconds have passed
since its oldest record arrived; a durable timer on the service clock (``firehose.flush``, one
per stream) fires then. A flush takes the oldest records up to SizeInMBs, runs them through
the Lambda processor when one is configured, concatenates them as they are (Firehose adds no
delimiter, unless an AppendDelimiterToRecord processor asks for a newline after each record),
compresses them when asked and writes one S3 object under the evaluated prefix; records the
transformation failed go, as JSON lines, to one object under the error prefix.
Only then are the records removed, so a flush interrupted by a crash runs again (at least once).

A failed S3 write (the bucket is gone, ...) is retried every 5 seconds of service time for up
to 24 hours after the oldest record arrived, then the records are dropped, as the developer
guide describes S3 delivery failures ("Data delivery failure handling").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import logging
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.ids import uuid4
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.firehose import destinations, prefixes
from cloudlet.services.firehose.transform import Outcome, transform
from cloudlet.services.logs.interface import log_sink
from cloudlet.services.s3.interface import write_object

if TYPE_CHECKING:
    from cloudlet.services.firehose.provider import FirehoseProvider
    from cloudlet.services.firehose.store import Buffered, Stream

log = logging.getLogger("cloudlet.firehose")

FLUSH_TIMER = "firehose.flush"
MIB = 1024 * 1024
RETRY_SECONDS = 5.0  # S3 delivery retries (developer guide)
MAX_RETRY_SECONDS = 86400.0  # ... for up to 24 hours, then the data is dropped
CONTENT_TYPE = "application/octet-stream"  # unverified: the Content-Type Firehose writes
_EXTENSIONS = {"GZIP": ".gz"}


def timer_key(stream_id: int) -> str:
    return f"{FLUSH_TIMER}:{stream_id}"


class Buffers:
    """Appends records to streams' buffers and flushes them when due."""

    def __init__(self, provider: FirehoseProvider) -> None:
        self.provider = provider
        self.db = provider.db
        self.clock = provider.clock
        self.scheduler = provider.scheduler
        self._locks: dict[int, asyncio.Lock] = {}
        # Records and bytes buffered per stream, so a put need not count the buffer's rows;
        # read from the store when missing, forgotten when a transaction rolls back.
        self._sizes: dict[int, tuple[int, int]] = {}
        provider.store.rollback_hooks.append(self._sizes.clear)
        provider.scheduler.register(FLUSH_TIMER, self.fire)

    def buffered(self, stream_id: int) -> tuple[int, int]:
        """(records, bytes) waiting in a stream's buffer."""
        sizes = self._sizes.get(stream_id)
        if sizes is None:
            count, size, _ = self.db.buffer_state(stream_id)
            sizes = self._sizes[stream_id] = (count, size)
        return sizes

    def append(
        self,
        stream: Stream,
        records: list[tuple[str, float, bytes]],
        metas: list[dict[str, Any]] | None = None,
    ) -> None:
        """Buffer records inside the caller's transaction and (re)arm the stream's timer."""
        before, size = self.buffered(stream.id)
        self.db.append(stream.id, records, metas)
        size += sum(len(r[2]) for r in records)
        self._sizes[stream.id] = (before + len(records), size)
        hints = stream.config["destination"]["BufferingHints"]
        if size >= hints["SizeInMBs"] * MIB:
            self.arm(stream.id, self.clock.now())
        elif before == 0:
            self.arm(stream.id, records[0][1] + hints["IntervalInSeconds"])

    def arm(self, stream_id: int, due: float) -> None:
        """The stream's one flush timer, due at ``due`` (inside the caller's transaction)."""
        self.scheduler.cancel(timer_key(stream_id))
        self.scheduler.schedule(due, FLUSH_TIMER, {"stream": stream_id}, key=timer_key(stream_id))

    def resume(self) -> None:
        """At start: a timer for every stream with records waiting (handlers are idempotent)."""
        with self.provider.store.transaction():
            for stream_id in self.db.all_ids():
                self.arm(stream_id, self.clock.now())

    def forget(self, stream_id: int) -> None:
        self.scheduler.cancel(timer_key(stream_id))
        self._sizes.pop(stream_id, None)
        self._locks.pop(stream_id, None)

    def reset(self) -> None:
        self._sizes.clear()

    async def fire(self, payload: dict[str, Any]) -> None:
        stream_id = int(payload["stream"])
        async with self._locks.setdefault(stream_id, asyncio.Lock()):
            await self._flush_due(stream_id)

    async def _flush_due(self, stream_id: int) -> None:
        """Write objects while the buffer is due; then arm the timer for what is left."""
        while True:
            stream = self.db.by_id(stream_id)
            if stream is None:
                return
            count, size, oldest = self.db.buffer_state(stream_id)
            if count == 0 or oldest is None:
                return
            config = stream.config["destination"]
            limit = config["BufferingHints"]["SizeInMBs"] * MIB
            due = oldest + config["BufferingHints"]["IntervalInSeconds"]
            now = self.clock.now()
            if size < limit and due > now:
                with self.provider.store.transaction():
                    self.arm(stream_id, due)
                return
            batch = self.db.head(stream_id, limit)
            try:
                await self.deliver(stream, batch)
            except ServiceError as exc:
                self.provider.stream_metrics.delivery_failed(stream)
                self.log_error(stream, f"S3.{exc.code}", exc.message)  # unverified: AWS's wording
                if self.clock.now() - oldest < MAX_RETRY_SECONDS:
                    log.info("firehose %s: delivery to S3 failed, retrying: %s", stream.name, exc.message)
                    with self.provider.store.transaction():
                        self.arm(stream_id, self.clock.now() + RETRY_SECONDS)
                    return
                log.warning(
                    "firehose %s: dropping %d records after 24 hours of failed delivery",
                    stream.name,
                    len(batch),
                )
            self._sizes.pop(stream_id, None)
            self.db.remove(stream_id, batch[-1].seq)
            await asyncio.sleep(0)  # other work goes on between a backlog's objects

    async def deliver(self, stream: Stream, batch: list[Buffered]) -> None:
        """One flush: transform, compress and write the batch (raises S3's ServiceError)."""
        config = stream.config["destination"]
        processor = destinations.lambda_processor(config)
        if processor is not None:
            source = (stream.config.get("source") or {}).get("KinesisStreamARN")
            outcome = await transform(
                self.provider.runtime, stream.arn, stream.region, processor, batch, self.clock.now, source
            )
            delivered = sum(len(d) for d in outcome.delivered)
            self.provider.stream_metrics.processed(
                stream, len(outcome.delivered), delivered, not outcome.invocation_errors
            )
            for code, message in outcome.invocation_errors:
                self.log_error(stream, code, message, processor["LambdaArn"])
        else:
            outcome = Outcome([r.data for r in batch], [])
        if destinations.appends_delimiter(config):
            outcome.delivered = [data + b"\n" for data in outcome.delivered]
        when = batch[0].arrived
        bucket = destinations.bucket_of(config)
        kms = (config["EncryptionConfiguration"].get("KMSEncryptionConfig") or {}).get("AWSKMSKeyARN")
        if outcome.failed:
            lines = b"".join(orjson.dumps(r) + b"\n" for r in outcome.failed)
            error_prefix = config.get("ErrorOutputPrefix") or prefixes.default_error_prefix(
                config.get("Prefix") or ""
            )
            key = prefixes.evaluate(error_prefix, when) + self._name(stream, when, config)
            await write_object(
                self.provider.runtime,
                bucket,
                key,
                self._compress(lines, config),
                CONTENT_TYPE,
                kms_key_id=kms,
            )
        if outcome.delivered:
            key = prefixes.evaluate(config.get("Prefix") or "", when) + self._name(stream, when, config)
            data = self._compress(b"".join(outcome.delivered), config)
            await write_object(self.provider.runtime, bucket, key, data, CONTENT_TYPE, kms_key_id=kms)
        self.provider.stream_metrics.delivered(
            stream, len(outcome.delivered), sum(len(d) for d in outcome.delivered), self.clock.now() - when
        )

    def log_error(self, stream: Stream, code: str, message: str, processor: str | None = None) -> None:
        """An error log event, when the destination's CloudWatchLoggingOptions ask for them
        (developer guide, "Monitor with CloudWatch Logs"; the event's fields are unverified)."""
        config = stream.config["destination"]
        options = config.get("CloudWatchLoggingOptions") or {}
        if not (options.get("Enabled") and options.get("LogGroupName") and options.get("LogStreamName")):
            return
        event: dict[str, Any] = {
            "deliveryStreamARN": stream.arn,
            "destination": config["BucketARN"],
            "deliveryStreamVersionId": stream.version,
            "message": message,
            "errorCode": code,
        }
        if processor is not None:
            event["processor"] = processor
        line = orjson.dumps(event).decode()
        with self.provider.store.transaction():
            log_sink(self.provider.runtime).put(
                stream.account,
                stream.region,
                options["LogGroupName"],
                options["LogStreamName"],
                [(int(self.clock.now() * 1000), line)],
            )

    @staticmethod
    def _name(stream: Stream, when: float, config: dict[str, Any]) -> str:
        """``<stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid><extension>`` (developer guide); the
        time is the oldest record's arrival, as in the prefix (unverified)."""
        stamp = dt.datetime.fromtimestamp(when, dt.UTC).strftime("%Y-%m-%d-%H-%M-%S")
        extension = config.get("FileExtension") or _EXTENSIONS.get(config["CompressionFormat"], "")
        return f"{stream.name}-{stream.version}-{stamp}-{uuid4()}{extension}"

    @staticmethod
    def _compress(data: bytes, config: dict[str, Any]) -> bytes:
        if config["CompressionFormat"] == "GZIP":
            return gzip.compress(data, mtime=0)
        return data
