"""The poller of one SQS event source mapping: batches from the queue to the function.

It receives as Lambda does (every attribute, the queue's visibility timeout), gathers a batch
of up to ``BatchSize`` messages for up to ``MaximumBatchingWindowInSeconds``, and hands it to
a task of its own, so several batches run at once: as many as the queue keeps filling, up to
``ScalingConfig.MaximumConcurrency`` (else 1,000, AWS's ceiling) and the function's reserved
concurrency. A batch that succeeds is deleted; one that fails stays in the queue until its
visibility timeout, so the queue's redrive policy decides when it is dead. With
``ReportBatchItemFailures`` only the messages the function names stay. Messages the filters
reject are deleted without an invocation. A throttled invocation is retried with backoff
until the messages' visibility timeout would run out, then left to the queue (AWS's
documented behaviour). FIFO queues keep their order per message group because SQS does not
hand out a group's next messages while earlier ones are in flight.

Nothing is kept outside the queue: a crash leaves received messages in flight, and they come
back after their visibility timeout (at-least-once, as on AWS).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.delivery import Backoff
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.batch_response import failed_items
from cloudlet.services.awslambda.event_filters import compile_filters, passes, sqs_view
from cloudlet.services.awslambda.mapping_metrics import (
    DELETED,
    FAILED,
    FILTERED,
    INVOKED,
    POLLED,
    MappingMetrics,
)
from cloudlet.services.awslambda.names import ref_of_arn
from cloudlet.services.sqs.interface import queue_consumer

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider

log = logging.getLogger(__name__)
MAX_BATCHES = 1000  # AWS: an SQS mapping processes at most 1,000 batches at once
MAX_PAYLOAD = 6 * 1024 * 1024 - 1024  # a synchronous invocation's payload, less the envelope
LONG_POLL_S = 20.0
PAUSE_S = 10.0  # after the function could not be invoked at all (gone, unsupported runtime)
THROTTLE_BACKOFF = Backoff(base=1.0, factor=2.0, cap=30.0, jitter="equal")


# The order of a record's attributes in AWS's events (Lambda developer guide examples)
_ATTRIBUTE_ORDER = (
    "ApproximateReceiveCount", "SentTimestamp", "SequenceNumber", "MessageGroupId", "SenderId",
    "MessageDeduplicationId", "ApproximateFirstReceiveTimestamp",
)  # fmt: skip


def sqs_record(message: dict[str, Any], queue_arn: str, fifo: bool) -> dict[str, Any]:
    """A received message as the SQS event's record (fields in the order AWS sends them)."""
    attributes: dict[str, dict[str, Any]] = {}
    for name, value in (message.get("MessageAttributes") or {}).items():
        out: dict[str, Any] = {}
        if value.get("StringValue") is not None:
            out["stringValue"] = value["StringValue"]
        if value.get("BinaryValue") is not None:
            out["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
        out["stringListValues"] = []
        out["binaryListValues"] = []
        out["dataType"] = value["DataType"]
        attributes[name] = out
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": _ordered(message.get("Attributes") or {}),
        "messageAttributes": attributes,
    }
    md5 = message.get("MD5OfMessageAttributes")
    if md5 is not None or not fifo:
        record["md5OfMessageAttributes"] = md5  # recorded: null on standard queues, absent on FIFO
    record["md5OfBody"] = message["MD5OfBody"]
    record["eventSource"] = "aws:sqs"
    record["eventSourceARN"] = queue_arn
    record["awsRegion"] = queue_arn.split(":")[3]
    return record


def _ordered(attributes: dict[str, str]) -> dict[str, str]:
    known = {name: attributes[name] for name in _ATTRIBUTE_ORDER if name in attributes}
    return known | {k: v for k, v in attributes.items() if k not in known}


def _chunks(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The records split so that each invocation's payload stays within Lambda's 6 MB."""
    chunks: list[list[dict[str, Any]]] = [[]]
    size = 0
    for record in records:
        length = len(orjson.dumps(record)) + 1
        if chunks[-1] and size + length > MAX_PAYLOAD:
            chunks.append([])
            size = 0
        chunks[-1].append(record)
        size += length
    return chunks


class SqsPoller:
    """Polls one queue for one mapping until stopped; ``configure`` takes updates live."""

    def __init__(self, provider: LambdaProvider, mapping: dict[str, Any]) -> None:
        self.provider = provider
        self.clock = provider.clock
        self.batches: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None
        self._paused_until = 0.0
        self.configure(mapping)

    def configure(self, mapping: dict[str, Any]) -> None:
        self.mapping = mapping
        self.queue_arn: str = mapping["EventSourceArn"]
        self.fifo = self.queue_arn.endswith(".fifo")
        self.filters = compile_filters(mapping)
        self.metrics = MappingMetrics(self.provider, mapping)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self, *, batches: bool = False) -> None:
        """Stop polling; batches already handed to the function finish unless ``batches``."""
        tasks = [self._task] if self._task is not None else []
        if batches:
            tasks.extend(self.batches)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._task = None

    # ---- polling ---------------------------------------------------------------------------

    def _concurrency(self) -> int:
        """How many batches may run at once: MaximumConcurrency, the function's reserved
        concurrency (so a mapping does not throttle itself), AWS's 1,000."""
        limit = (self.mapping.get("ScalingConfig") or {}).get("MaximumConcurrency") or MAX_BATCHES
        ref = ref_of_arn(self.mapping["FunctionArn"])
        reserved = self.provider.limits(ref.account, ref.region, ref.name).reserved
        if reserved is not None:
            limit = min(limit, max(1, reserved))
        return limit

    async def _run(self) -> None:
        consumer = queue_consumer(self.provider.runtime)
        if consumer is None:
            return
        while True:
            now = self.clock.now()
            if now < self._paused_until:
                await self.clock.sleep_until(self._paused_until)
                continue
            while len(self.batches) >= self._concurrency():
                await asyncio.wait(self.batches, return_when=asyncio.FIRST_COMPLETED)
            try:
                batch = await self._gather(consumer)
            except ServiceError:
                batch = None
            except Exception:  # a bug must not end the mapping: say so, and go on after a pause
                log.exception("SQS mapping %s could not receive", self.mapping["UUID"])
                batch = None
            if batch is None:  # the queue is gone (or unreadable): look again later
                self._paused_until = self.clock.now() + PAUSE_S
                continue
            if batch:
                task = asyncio.get_running_loop().create_task(self._process(consumer, batch))
                self.batches.add(task)
                task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self.batches.discard(task)
        if not task.cancelled() and task.exception() is not None:
            # its messages return after their visibility timeout
            log.error("SQS mapping %s: a batch failed", self.mapping["UUID"], exc_info=task.exception())

    async def _gather(self, consumer: Any) -> list[dict[str, Any]] | None:
        """The next batch: what one long poll returns, then more until the batch is full, the
        batching window closes or the payload reaches 6 MB."""
        size = int(self.mapping.get("BatchSize") or 10)
        first = await consumer.receive_messages(self.queue_arn, min(size, 10), self.clock.now() + LONG_POLL_S)
        if not first:
            return first
        batch = list(first)
        window = float(self.mapping.get("MaximumBatchingWindowInSeconds") or 0)
        deadline = self.clock.now() + window
        payload = sum(len(m["Body"]) for m in batch)
        while len(batch) < size and payload < MAX_PAYLOAD and self.clock.now() < deadline:
            more = await consumer.receive_messages(self.queue_arn, min(10, size - len(batch)), deadline)
            if not more:
                break
            batch.extend(more)
            payload += sum(len(m["Body"]) for m in more)
        return batch

    # ---- one batch --------------------------------------------------------------------------

    async def _process(self, consumer: Any, batch: list[dict[str, Any]]) -> None:
        received = self.clock.now()
        self.metrics.count(POLLED, len(batch))
        records = [sqs_record(m, self.queue_arn, self.fifo) for m in batch]
        rejected = [r["receiptHandle"] for r in records if not passes(self.filters, sqs_view(r))]
        if rejected:
            self.metrics.count(FILTERED, len(rejected))
            self.metrics.count(DELETED, consumer.delete_messages(self.queue_arn, rejected))
            records = [r for r in records if r["receiptHandle"] not in set(rejected)]
        if not records:
            return
        timeout = consumer.visibility_timeout(self.queue_arn) or 30
        for chunk in _chunks(records):
            done = await self._invoke(chunk, received + timeout)
            if done:
                self.metrics.count(DELETED, consumer.delete_messages(self.queue_arn, done))

    async def _invoke(self, records: list[dict[str, Any]], deadline: float) -> list[str]:
        """Invoke the function with ``records``: the receipt handles of those to delete."""
        invoker = self.provider
        payload = orjson.dumps({"Records": records})
        retry = 0
        while True:
            try:
                answer, is_error = await invoker.invoke_function(
                    self.mapping["FunctionArn"], payload, str(uuid.uuid4())
                )
                break
            except ServiceError as error:
                if error.code != "TooManyRequestsException":
                    self._paused_until = self.clock.now() + PAUSE_S
                    return []  # left to the visibility timeout
                retry += 1
                delay = THROTTLE_BACKOFF.delay(retry)
                if self.clock.now() + delay >= deadline:
                    return []  # the visibility timeout is running out: the queue has them again
                await self.clock.sleep(delay)
        self.metrics.count(INVOKED, len(records))
        if is_error:
            self.metrics.count(FAILED, len(records))
            return []
        if "ReportBatchItemFailures" not in (self.mapping.get("FunctionResponseTypes") or []):
            return [r["receiptHandle"] for r in records]
        failed = failed_items(answer, {r["messageId"] for r in records})
        if failed is None:
            return []
        return [r["receiptHandle"] for r in records if r["messageId"] not in failed]
