"""Kinesis data streams, durable in the store: shards, puts, reads, retention, and the feed.

The provider (``provider.streams``) calls ``put``, ``start_position`` and ``read_after``; the
same object is the :class:`cloudlet.core.stream_feed.StreamFeed` that in-process consumers
read (``services/kinesis/interface.py``).

Retention is on the service clock (``provider.clock``): a record older than the stream's
retention period is never returned (every read trims its shard first), and writes trim every
stream at most once a minute, so storage stays bounded without a timer.

Resharding (``resharding.py``) closes shards and opens their children. A closed shard keeps its
records until retention trims them and reads end at its last one (``end_seq``); once the
retention period has passed since it closed, it has expired: no listing shows it and the API
no longer finds it, though the feed still reads it (empty, closed) so a consumer that was on it
moves on to its children.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.kinesis import errors
from cloudlet.services.kinesis.shards import (
    hash_key,
    hash_ranges,
    parse_sequence_number,
    sequence_number,
    shard_id,
)
from cloudlet.services.kinesis.store import KinesisStore, RecordRow, ShardRow, StreamRow

if TYPE_CHECKING:
    from cloudlet.services.kinesis.provider import KinesisProvider

SWEEP_EVERY_S = 60.0
MAX_READ_BYTES = 10 * 1024 * 1024  # GetRecords returns at most 10 MiB
SHARD_WRITE_BYTES = 1024 * 1024  # per shard per second (provisioned mode)
SHARD_WRITE_RECORDS = 1000


@dataclass
class Put:
    """One record to write: its partition key, data and optional explicit hash key."""

    partition_key: str
    data: bytes
    explicit_hash_key: int | None = None


def stream_name_of(arn: str) -> str:
    try:
        resource = parse_arn(arn).resource
    except ValueError:
        return arn
    return resource.split("/", 1)[1] if resource.startswith("stream/") else resource


def account_of(arn: str) -> str:
    try:
        return parse_arn(arn).account
    except ValueError:
        return ""


def shard_view(shard: ShardRow) -> dict[str, Any]:
    """A shard as DescribeStream and ListShards list it."""
    numbers = {"StartingSequenceNumber": sequence_number(shard.first_seq, shard.index)}
    if shard.closed is not None:
        numbers["EndingSequenceNumber"] = sequence_number(
            max(shard.end_seq or 0, shard.first_seq), shard.index
        )
    view: dict[str, Any] = {"ShardId": shard.shard_id}
    if shard.parent_id:
        view["ParentShardId"] = shard.parent_id
    if shard.adjacent_parent_id:
        view["AdjacentParentShardId"] = shard.adjacent_parent_id
    view["HashKeyRange"] = {"StartingHashKey": str(shard.start_hash), "EndingHashKey": str(shard.end_hash)}
    view["SequenceNumberRange"] = numbers
    return view


def child_view(child: ShardRow) -> dict[str, Any]:
    """A child shard as GetRecords and SubscribeToShard name it at the end of its parent."""
    parents = [p for p in (child.parent_id, child.adjacent_parent_id) if p]
    return {
        "ShardId": child.shard_id,
        "ParentShards": parents,
        "HashKeyRange": {"StartingHashKey": str(child.start_hash), "EndingHashKey": str(child.end_hash)},
    }


def record_view(shard: ShardRow, record: RecordRow) -> dict[str, Any]:
    """A record as GetRecords returns it (arrival as epoch seconds, data as bytes)."""
    out: dict[str, Any] = {
        "SequenceNumber": sequence_number(record.seq, shard.index),
        "ApproximateArrivalTimestamp": round(record.created, 3),
        "Data": record.data,
        "PartitionKey": record.partition_key,
    }
    if record.encryption != "NONE":
        out["EncryptionType"] = record.encryption
    return out


class Streams:
    """The streams of one Kinesis provider (see the module's documentation)."""

    def __init__(self, provider: KinesisProvider) -> None:
        self.provider = provider
        self.clock = provider.clock
        self.store = provider.store
        self.db = KinesisStore(provider.store)
        self._signals: dict[str, asyncio.Event] = {}
        self._next_sweep = 0.0
        # (stream ARN, shard index) -> [second, bytes, records] written in that second
        self._windows: dict[tuple[str, int], list[int]] = {}

    def reset(self) -> None:
        for event in self._signals.values():
            event.set()
        self._signals.clear()
        self._windows.clear()
        self._next_sweep = 0.0

    # ---- streams ---------------------------------------------------------------------------

    def create(self, row: StreamRow, shard_count: int) -> None:
        created_ms = int(row.created * 1000)
        base = created_ms * 1000  # positions start from the creation time
        shards = [
            ShardRow(
                row.arn, i, shard_id(i), None, None, start, end, row.created, base, base, base, None, None
            )
            for i, (start, end) in enumerate(hash_ranges(shard_count))
        ]
        with self.store.transaction():
            self.db.create(row, shards)

    def get(self, arn: str) -> StreamRow:
        row = self.db.get(arn)
        if row is None:
            raise errors.stream_not_found(stream_name_of(arn), account_of(arn))
        return row

    def delete(self, arn: str) -> None:
        with self.store.transaction():
            self.db.drop(arn)
        for key in [k for k in self._windows if k[0] == arn]:
            del self._windows[key]
        self._signal(arn)

    def shards(self, arn: str) -> list[dict[str, Any]]:
        """The feed's view of a stream's shards (ListShards' default: those not expired)."""
        return [shard_view(s) for s in self.live_shards(self.get(arn))]

    @staticmethod
    def expired(stream: StreamRow, shard: ShardRow, now: float) -> bool:
        """Whether a closed shard is past the retention period (its records are all gone)."""
        return shard.closed is not None and shard.closed < now - stream.retention_hours * 3600.0

    def live_shards(self, stream: StreamRow) -> list[ShardRow]:
        """The stream's shards that have not expired, by index."""
        now = self.clock.now()
        return [s for s in self.db.shards(stream.arn) if not self.expired(stream, s, now)]

    def shard(self, stream: StreamRow, shard_id_: str, expired_ok: bool = False) -> ShardRow:
        """A shard of the stream, trimmed to the retention period now (an expired one is not
        found unless ``expired_ok``)."""
        shard = self.db.shard(stream.arn, shard_id_)
        if shard is None or (not expired_ok and self.expired(stream, shard, self.clock.now())):
            raise errors.shard_not_found(shard_id_, stream.name, stream.account)
        self._trim(stream, shard)
        return shard

    def children(self, stream: StreamRow, shard: ShardRow) -> list[dict[str, Any]]:
        """The ChildShards of a closed shard (empty for an open one)."""
        if shard.closed is None:
            return []
        return [
            child_view(s)
            for s in self.db.shards(stream.arn)
            if shard.shard_id in (s.parent_id, s.adjacent_parent_id)
        ]

    def resharded(self, arn: str) -> None:
        """Wake the stream's readers once a reshard commits (a closed shard ends their reads)."""
        self.store.after_commit(lambda: self._signal(arn))

    # ---- retention -------------------------------------------------------------------------

    def _trim(self, stream: StreamRow, shard: ShardRow, now: float | None = None) -> None:
        now = self.clock.now() if now is None else now
        through = self.db.expired_through(stream.arn, shard.index, now - stream.retention_hours * 3600.0)
        if through is not None:
            with self.store.transaction():
                self.db.trim(stream.arn, shard.index, through)
            shard.trimmed_to = max(shard.trimmed_to, through)

    def trim_stream(self, stream: StreamRow) -> None:
        """Apply the stream's retention to every shard (before its retention changes)."""
        now = self.clock.now()
        for shard in self.db.shards(stream.arn):
            self._trim(stream, shard, now)

    def sweep(self, now: float | None = None) -> None:
        """Trim every stream's records past its retention."""
        now = self.clock.now() if now is None else now
        self._next_sweep = now + SWEEP_EVERY_S
        with self.store.transaction():
            for arn in self.db.arns():
                stream = self.db.get(arn)
                if stream is None:
                    continue
                for shard in self.db.shards(arn):
                    self._trim(stream, shard, now)

    # ---- writes ----------------------------------------------------------------------------

    def put(self, stream: StreamRow, puts: list[Put], throttle: bool) -> list[dict[str, Any]]:
        """Write ``puts`` in order; per record ``{ShardId, SequenceNumber}`` or
        ``{ErrorCode, ErrorMessage}`` (a shard over its write limits, when ``throttle``)."""
        now = self.clock.now()
        shards = [s for s in self.db.shards(stream.arn) if s.closed is None]
        second = math.floor(now)
        at_least = int(now * 1000) * 1000
        results: list[dict[str, Any]] = []
        taken: dict[int, list[tuple[ShardRow, Put, int]]] = {}  # shard index -> (shard, put, result slot)
        for put in puts:
            key = put.explicit_hash_key if put.explicit_hash_key is not None else hash_key(put.partition_key)
            shard = next((s for s in shards if s.start_hash <= key <= s.end_hash), None)
            if shard is None:  # open shards always cover the whole hash key space
                raise ServiceError("InternalFailureException", "No open shard holds the hash key.", 500)
            size = len(put.data) + len(put.partition_key.encode())
            if throttle and not self._admit(stream.arn, shard.index, second, size):
                code, message = errors.throttled(shard.shard_id, stream.name, stream.account)
                results.append({"ErrorCode": code, "ErrorMessage": message})
                continue
            taken.setdefault(shard.index, []).append((shard, put, len(results)))
            results.append({})
        with self.store.transaction():
            rows: list[tuple[str, int, int, float, str, bytes, str]] = []
            for index, group in taken.items():
                position = self.db.take_positions(stream.arn, index, len(group), at_least)
                for shard, put, slot in group:
                    rows.append(
                        (stream.arn, index, position, now, put.partition_key, put.data, stream.encryption)
                    )
                    results[slot] = {
                        "ShardId": shard.shard_id,
                        "SequenceNumber": sequence_number(position, index),
                    }
                    position += 1
            self.db.add_many(rows)
            if now >= self._next_sweep:
                self.sweep(now)
        if taken:
            self._signal(stream.arn)
        return results

    def _admit(self, arn: str, index: int, second: int, size: int) -> bool:
        window = self._windows.get((arn, index))
        if window is None or window[0] != second:
            window = self._windows[(arn, index)] = [second, 0, 0]
        if window[1] + size > SHARD_WRITE_BYTES or window[2] + 1 > SHARD_WRITE_RECORDS:
            return False
        window[1] += size
        window[2] += 1
        return True

    # ---- reads -----------------------------------------------------------------------------

    def start_position(
        self,
        stream: StreamRow,
        shard: ShardRow,
        kind: str,
        sequence: str | None = None,
        timestamp: float | None = None,
    ) -> int:
        """Where an iterator of ``kind`` starts: it reads the records after the position returned."""
        if kind == "TRIM_HORIZON":
            return shard.trimmed_to
        if kind == "LATEST":
            return shard.last_seq
        if kind == "AT_TIMESTAMP":
            assert timestamp is not None
            first = self.db.first_at_or_after(stream.arn, shard.index, timestamp)
            return max(first - 1, shard.trimmed_to) if first is not None else shard.last_seq
        parsed = parse_sequence_number(sequence or "")
        if parsed is None:
            raise errors.invalid(
                f"StartingSequenceNumber {sequence} used in GetShardIterator on shard {shard.shard_id} "
                f"in stream {stream.name} under account {stream.account} is invalid."
            )  # unverified
        position, index = parsed
        if index != shard.index:
            raise errors.invalid(
                f"Invalid StartingSequenceNumber. It encodes {shard_id(index)}, while it was used in a "
                f"call to a shard with {shard.shard_id}"
            )  # unverified
        if position > shard.last_seq:
            raise errors.invalid(
                f"StartingSequenceNumber {sequence} used in GetShardIterator on shard {shard.shard_id} "
                f"in stream {stream.name} under account {stream.account} is invalid because it did not "
                "come from this stream."
            )  # unverified
        start = position - 1 if kind == "AT_SEQUENCE_NUMBER" else position
        return max(start, shard.trimmed_to)  # trimmed records are skipped, as AWS does

    def read_after(
        self, stream: StreamRow, shard: ShardRow, position: int, limit: int
    ) -> tuple[list[dict[str, Any]], int, int, bool]:
        """(records after ``position``, the position after them, MillisBehindLatest, whether the
        shard is closed and drained). Records before the trim point are skipped."""
        position = max(position, shard.trimmed_to)
        out: list[dict[str, Any]] = []
        size = 0
        for record in self.db.records(stream.arn, shard.index, position, limit):
            size += len(record.data) + len(record.partition_key.encode())
            if out and size > MAX_READ_BYTES:
                break
            out.append(record_view(shard, record))
            position = record.seq
        behind = 0
        arrival = self.db.arrival_of(stream.arn, shard.index, position)
        if arrival is not None:
            behind = max(0, int((self.clock.now() - arrival) * 1000))
        drained = shard.closed is not None and position >= (shard.end_seq or 0)
        return out, position, behind, drained

    # ---- the feed for in-process consumers (core/stream_feed.StreamFeed) ------------------------

    def _feed_shard(self, stream_arn: str, shard_id_: str) -> tuple[StreamRow, ShardRow]:
        stream = self.get(stream_arn)
        return stream, self.shard(stream, shard_id_, expired_ok=True)

    def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> list[dict[str, Any]]:
        stream, shard = self._feed_shard(stream_arn, shard_id)
        if after_sequence is None:
            position = shard.trimmed_to
        else:
            parsed = parse_sequence_number(after_sequence)
            if parsed is None or parsed[1] != shard.index:
                raise errors.invalid(f"Invalid sequence number {after_sequence} for shard {shard_id}")
            position = parsed[0]
            if position < shard.trimmed_to:
                raise ServiceError(
                    "TrimmedDataAccessException", "The data you are trying to access has been trimmed.", 400
                )
        return self.read_after(stream, shard, position, max(1, limit))[0]

    @staticmethod
    def sequence_of(record: dict[str, Any]) -> str:
        return str(record["SequenceNumber"])

    def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        _, shard = self._feed_shard(stream_arn, shard_id)
        return sequence_number(shard.last_seq, shard.index) if shard.last_seq > shard.first_seq else None

    def sequence_before(self, stream_arn: str, shard_id: str, timestamp: float) -> str | None:
        stream, shard = self._feed_shard(stream_arn, shard_id)
        position = self.start_position(stream, shard, "AT_TIMESTAMP", timestamp=timestamp)
        oldest = self.db.records(stream.arn, shard.index, shard.trimmed_to, 1)
        if not oldest or position < oldest[0].seq:
            return None  # reading starts at the oldest record kept (or there is none yet)
        return sequence_number(position, shard.index)

    def closed(self, stream_arn: str, shard_id: str) -> bool:
        return self._feed_shard(stream_arn, shard_id)[1].closed is not None

    async def wait(self, stream_arn: str, until: float) -> None:
        event = self._signals.get(stream_arn)
        if event is None:
            event = self._signals[stream_arn] = asyncio.Event()
        await self.clock.wait(event, until)

    def wake(self, stream_arn: str) -> None:
        """Wake the stream's readers (a wake-up may come without a new record)."""
        self._signal(stream_arn)

    def _signal(self, stream_arn: str) -> None:
        event = self._signals.pop(stream_arn, None)
        if event is not None:
            event.set()
