"""The feed of a sharded stream, as in-process consumers read it.

DynamoDB Streams and Kinesis Data Streams each offer one, so a consumer (Lambda's event
source mappings, EventBridge Pipes, Firehose reading a Kinesis stream) reads both the same
way: list the shards, take a starting position, read records after a sequence number, and
wait for more on the service clock. Sequence numbers are decimal strings; within a shard a
larger one is a later record.
"""

from __future__ import annotations

from typing import Any, Protocol


class StreamFeed(Protocol):
    """A stream's shards and records for consumers inside Cloudlet.

    Unknown (or expired) streams and shards raise ``ServiceError("ResourceNotFoundException")``;
    reading from before the trim point raises ``ServiceError("TrimmedDataAccessException")``,
    after which a consumer starts again from ``None``.
    """

    def shards(self, stream_arn: str) -> list[dict[str, Any]]:
        """The shards as DescribeStream/ListShards list them: ``ShardId``, ``ParentShardId`` and
        ``AdjacentParentShardId`` when resharded, ``SequenceNumberRange`` with
        ``StartingSequenceNumber`` and, once closed, ``EndingSequenceNumber``."""
        ...

    def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> list[dict[str, Any]]:
        """Up to ``limit`` records after ``after_sequence`` (None: from the oldest kept,
        TRIM_HORIZON), in order, each exactly as the service's GetRecords returns it
        (timestamps as epoch seconds, blobs as bytes)."""
        ...

    def sequence_of(self, record: dict[str, Any]) -> str:
        """A record's sequence number (the next ``after_sequence`` once it is consumed)."""
        ...

    def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The newest record's sequence number in the shard (None: none yet): where a LATEST
        starting position begins."""
        ...

    def sequence_before(self, stream_arn: str, shard_id: str, timestamp: float) -> str | None:
        """The ``after_sequence`` from which reading starts at the first record that arrived at
        or after ``timestamp`` (AT_TIMESTAMP); None when that is the oldest record kept."""
        ...

    def closed(self, stream_arn: str, shard_id: str) -> bool:
        """Whether the shard is closed: once ``read`` returns nothing after its
        ``EndingSequenceNumber``, it never will again (its children carry on)."""
        ...

    async def wait(self, stream_arn: str, until: float) -> None:
        """Return when a record is written to the stream (or a shard closes or splits), or
        when the service clock reaches ``until``, whichever is first. A wake-up may come
        without a new record."""
        ...
