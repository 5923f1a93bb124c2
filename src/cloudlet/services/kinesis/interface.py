"""What other services ask of Kinesis, in process: the feed of a data stream, which Lambda's
event source mappings, EventBridge Pipes and Firehose read (core/stream_feed.StreamFeed).
Implemented by the Kinesis provider's ``feed``; stream ARNs name the streams.

Also the in-process writer of records (``RecordWriter``, ``record_writer``), which DynamoDB's
Kinesis streaming destinations use: implemented in ``writer.py`` over the provider's own put
path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cloudlet.core.stream_feed import StreamFeed
    from cloudlet.runtime import Runtime


def kinesis_feed(runtime: Runtime) -> StreamFeed | None:
    """The feed of ``runtime``'s Kinesis data streams (None without the Kinesis provider)."""
    provider = runtime.load("kinesis")
    if provider is None:
        return None
    return provider.feed  # type: ignore[attr-defined, no-any-return]


def kinesis_consumer_exists(runtime: Runtime, consumer_arn: str) -> bool:
    """Whether the enhanced fan-out consumer ``consumer_arn`` is registered (False without the
    Kinesis provider)."""
    provider = runtime.load("kinesis")
    if provider is None:
        return False
    return provider.feed.db.consumer(consumer_arn) is not None  # type: ignore[attr-defined, no-any-return]


class RecordWriter(Protocol):
    """Writes records into Kinesis data streams from inside Cloudlet.

    Each call joins the caller's store transaction (or runs in one of its own outside any),
    so a record is durable exactly when the caller's own write is, and is rolled back with it.
    """

    def exists(self, stream_arn: str) -> bool:
        """Whether the data stream ``stream_arn`` exists."""
        ...

    def put_record(
        self, stream_arn: str, data: bytes, partition_key: str, explicit_hash_key: str | None = None
    ) -> bool:
        """Append one record, as PutRecord would (no throttling); False when the stream does
        not exist (nothing is written)."""
        ...


def record_writer(runtime: Runtime) -> RecordWriter | None:
    """The writer of ``runtime``'s Kinesis data streams (None without the Kinesis provider)."""
    if runtime.load("kinesis") is None:
        return None
    from cloudlet.services.kinesis.writer import ProviderRecordWriter

    return ProviderRecordWriter(runtime)
