"""DynamoDB Streams: the change records of tables, durable in the store, and the feed their consumers read.

The DynamoDB provider creates one ``Streams`` (its ``streams`` property) and calls, always
inside a store transaction:

- ``open(table)`` when a table's stream starts (CreateTable, UpdateTable),
- ``close(stream_arn)`` when it is disabled or its table deleted: the stream then reads as
  DISABLED and its shard is closed (``EndingSequenceNumber``); its records stay readable
  until they are 24 hours old, and the stream itself goes 24 hours after it closed,
- ``record(table, old_item, new_item, service_delete=False)`` after every write that changed
  an item. ``service_delete`` marks a TTL deletion (``userIdentity`` names DynamoDB).

and ``reset()`` once the store was wiped (wakes the waiters, forgets the sweep schedule).

Records are kept 24 hours of service time (``provider.clock``). Trimming is exact on every
read (a record older than 24 hours is never returned, and reading from before the trim
point is ``TrimmedDataAccessException``) and is applied to every stream at most once a
minute from writes, so storage stays bounded without a timer.

Each stream has exactly one shard, open from the stream's start until it is closed: no
shard splits or roll-overs, hence no ``ParentShardId``. Shard ids look like AWS's,
``shardId-<creation time in ms, 20 digits>-<8 hex>``. Sequence numbers are decimal strings
of 21 digits, strictly increasing within a stream (and across the streams of a table,
since they start from the stream's creation time).

The feed, for in-process consumers (Lambda event source mappings, EventBridge Pipes), is
core.stream_feed.StreamFeed: ``shards``, ``read``, ``sequence_of``, ``latest_sequence``,
``sequence_before``, ``closed`` and ``wait``. Records are exactly as GetRecords returns them
(``ApproximateCreationDateTime`` is epoch seconds, ``B`` values are bytes).

Unknown (or expired) streams and shards raise ``ServiceError("ResourceNotFoundException")``;
``read`` from before the trim point raises ``ServiceError("TrimmedDataAccessException")``,
after which a consumer starts again from ``None``.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.stream_store import (
    StreamRow,
    StreamStore,
    parse_sequence_number,
    sequence_number,
)
from cloudlet.services.dynamodb.values import item_size

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.tables import Table

RETENTION_S = 24 * 3600.0
SWEEP_EVERY_S = 60.0
MAX_READ_BYTES = 1024 * 1024  # GetRecords returns at most 1 MB of records
_NEW = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES")
_OLD = ("OLD_IMAGE", "NEW_AND_OLD_IMAGES")
TTL_IDENTITY = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}


def stream_not_found(arn: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", 400
    )


def shard_not_found(shard_id: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Shard: {shard_id} not found", 400
    )  # message unverified


def trimmed() -> ServiceError:
    return ServiceError(
        "TrimmedDataAccessException", "The data you are trying to access has been trimmed.", 400
    )


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _label_time(label: str) -> float | None:
    """The creation time a stream label (``2024-11-18T14:36:44.149``, UTC) names."""
    try:
        return datetime.strptime(label, "%Y-%m-%dT%H:%M:%S.%f").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


class Streams:
    """The streams of one DynamoDB provider (see the module's documentation)."""

    def __init__(self, provider: Any) -> None:
        self.provider = provider
        self.clock = provider.clock
        self.store = provider.store
        self.db = StreamStore(provider.store)
        self._signals: dict[str, asyncio.Event] = {}
        self._next_sweep = 0.0

    def reset(self) -> None:
        """Forget in-memory state (the store was wiped): wake every waiter, sweep soon."""
        for event in self._signals.values():
            event.set()
        self._signals.clear()
        self._next_sweep = 0.0

    # ---- called by the DynamoDB provider, inside its transaction ---------------------------

    def open(self, table: Table) -> None:
        d = table.definition
        now = _label_time(d["LatestStreamLabel"]) or self.clock.now()
        created_ms = int(now * 1000)
        base = created_ms * 1_000_000  # positions start from the creation time
        schema = [{"AttributeName": table.hash_key, "KeyType": "HASH"}]
        if table.range_key:
            schema.append({"AttributeName": table.range_key, "KeyType": "RANGE"})
        with self.store.transaction():
            self.db.create(
                StreamRow(
                    arn=d["LatestStreamArn"],
                    account=table.account,
                    region=table.region,
                    table_name=table.name,
                    label=d["LatestStreamLabel"],
                    view_type=table.stream_view or d["StreamSpecification"]["StreamViewType"],
                    key_schema=schema,
                    created=now,
                    shard_id=f"shardId-{created_ms:020d}-{ids.token(4)}",
                    first_seq=base + 1,
                    last_seq=base,
                    trimmed_to=base,
                    closed=None,
                    end_seq=None,
                )
            )
            self._maybe_sweep(self.clock.now())

    def close(self, stream_arn: str) -> None:
        with self.store.transaction():
            self.db.close(stream_arn, self.clock.now())
        self._signal(stream_arn)

    def record(
        self,
        table: Table,
        old_item: dict[str, Any] | None,
        new_item: dict[str, Any] | None,
        service_delete: bool = False,
    ) -> None:
        arn = table.definition["LatestStreamArn"]
        view = table.stream_view or ""
        item = new_item if new_item is not None else old_item
        if item is None:
            return
        with self.store.transaction():
            position = self.db.next_position(arn)
            if position is None:
                if self.db.get(arn) is not None:
                    return  # a closed stream takes no more records
                self.open(table)  # a stream the store does not have yet: start it now
                position = self.db.next_position(arn)
                if position is None:
                    return
            now = self.clock.now()
            keys = {name: item[name] for name in table.key_names if name in item}
            change: dict[str, Any] = {"ApproximateCreationDateTime": int(now), "Keys": keys}
            size = item_size(keys)
            if new_item is not None and view in _NEW:
                change["NewImage"] = new_item
                size += item_size(new_item)
            if old_item is not None and view in _OLD:
                change["OldImage"] = old_item
                size += item_size(old_item)
            change["SequenceNumber"] = sequence_number(position)
            change["SizeBytes"] = size
            change["StreamViewType"] = view
            record: dict[str, Any] = {
                "eventID": ids.token(16),
                "eventName": "INSERT" if old_item is None else "REMOVE" if new_item is None else "MODIFY",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": table.region,
                "dynamodb": change,
            }
            if service_delete:
                record["userIdentity"] = dict(TTL_IDENTITY)
            self.db.add(arn, position, now, record)
            self._maybe_sweep(now)
        self._signal(arn)

    # ---- retention ------------------------------------------------------------------------

    def _maybe_sweep(self, now: float) -> None:
        if now >= self._next_sweep:
            self.sweep(now)

    def sweep(self, now: float | None = None) -> None:
        """Trim every stream's records past retention; drop streams closed 24 hours ago."""
        now = self.clock.now() if now is None else now
        self._next_sweep = now + SWEEP_EVERY_S
        cutoff = now - RETENTION_S
        with self.store.transaction():
            for arn in self.db.closed_before(cutoff):
                self.db.drop(arn)
            for arn in self.db.arns():
                through = self.db.expired_through(arn, cutoff)
                if through is not None:
                    self.db.trim(arn, through)

    def stream(self, arn: str) -> StreamRow:
        """A live stream, trimmed to retention now; ResourceNotFoundException otherwise."""
        row = self.db.get(arn)
        if row is None:
            raise stream_not_found(arn)
        cutoff = self.clock.now() - RETENTION_S
        if row.closed is not None and row.closed < cutoff:
            with self.store.transaction():
                self.db.drop(arn)
            raise stream_not_found(arn)
        through = self.db.expired_through(arn, cutoff)
        if through is not None:
            with self.store.transaction():
                self.db.trim(arn, through)
            row.trimmed_to = max(row.trimmed_to, through)
        return row

    def streams_of(
        self, account: str, region: str, table_name: str | None, after: str | None
    ) -> list[StreamRow]:
        """The streams of an account and region (of one table if named), by ARN after ``after``."""
        cutoff = self.clock.now() - RETENTION_S
        if self.db.closed_before(cutoff):
            self.sweep()
        return self.db.listed(account, region, table_name, after)

    def count(self) -> int:
        return self.db.count()

    # ---- shards and positions --------------------------------------------------------------

    @staticmethod
    def shard_of(row: StreamRow) -> dict[str, Any]:
        numbers = {"StartingSequenceNumber": sequence_number(row.first_seq)}
        if row.closed is not None:
            numbers["EndingSequenceNumber"] = sequence_number(max(row.end_seq or 0, row.first_seq))
        return {"ShardId": row.shard_id, "SequenceNumberRange": numbers}

    def position(
        self,
        arn: str,
        shard_id: str,
        kind: str,
        sequence: str | None = None,
        timestamp: float | None = None,
    ) -> int:
        """Where an iterator of ``kind`` starts: it reads the records after the position returned."""
        row = self.stream(arn)
        if shard_id != row.shard_id:
            raise shard_not_found(shard_id)
        if kind == "TRIM_HORIZON":
            return row.trimmed_to
        if kind == "LATEST":
            return row.last_seq
        if kind == "AT_TIMESTAMP":
            if timestamp is None or timestamp > self.clock.now():
                raise invalid("The timestamp must not be in the future")  # message unverified
            first = self.db.first_at_or_after(arn, math.ceil(timestamp))
            return first - 1 if first is not None else row.last_seq
        number = parse_sequence_number(sequence or "")
        if number is None or number < row.first_seq or number > row.last_seq:
            raise invalid(f"Invalid SequenceNumber {sequence} for ShardId {shard_id}")  # message unverified
        if number <= row.trimmed_to:
            raise trimmed()
        return number - 1 if kind == "AT_SEQUENCE_NUMBER" else number

    def records_after(
        self, arn: str, shard_id: str, position: int, limit: int
    ) -> tuple[list[dict[str, Any]], int, bool]:
        """(records after ``position``, the position after them, whether the shard is drained).

        A closed shard is drained once the position reaches its end.
        """
        row = self.stream(arn)
        if shard_id != row.shard_id:
            raise shard_not_found(shard_id)
        if position < row.trimmed_to:
            raise trimmed()
        out: list[dict[str, Any]] = []
        size = 0
        for seq, record in self.db.records(arn, position, limit):
            size += record["dynamodb"]["SizeBytes"]
            if out and size > MAX_READ_BYTES:
                break
            out.append(record)
            position = seq
        drained = row.closed is not None and position >= (row.end_seq or 0)
        return out, position, drained

    # ---- the feed for in-process consumers ---------------------------------------------------

    def shards(self, stream_arn: str) -> list[dict[str, Any]]:
        return [self.shard_of(self.stream(stream_arn))]

    def read(
        self, stream_arn: str, shard_id: str, after_sequence: str | None, limit: int
    ) -> list[dict[str, Any]]:
        if after_sequence is None:
            position = self.stream(stream_arn).trimmed_to
        else:
            parsed = parse_sequence_number(after_sequence)
            if parsed is None:
                raise invalid(f"Invalid SequenceNumber {after_sequence}")
            position = parsed
        return self.records_after(stream_arn, shard_id, position, max(1, limit))[0]

    @staticmethod
    def sequence_of(record: dict[str, Any]) -> str:
        return record["dynamodb"]["SequenceNumber"]

    def latest_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        row = self.stream(stream_arn)
        if shard_id != row.shard_id:
            raise shard_not_found(shard_id)
        return sequence_number(row.last_seq) if row.last_seq >= row.first_seq else None

    def sequence_before(self, stream_arn: str, shard_id: str, timestamp: float) -> str | None:
        position = self.position(
            stream_arn, shard_id, "AT_TIMESTAMP", timestamp=min(timestamp, self.clock.now())
        )
        row = self.stream(stream_arn)
        return None if position <= row.trimmed_to else sequence_number(position)

    def closed(self, stream_arn: str, shard_id: str) -> bool:
        row = self.stream(stream_arn)
        if shard_id != row.shard_id:
            raise shard_not_found(shard_id)
        return not row.enabled

    async def wait(self, stream_arn: str, until: float) -> None:
        event = self._signals.get(stream_arn)
        if event is None:
            event = self._signals[stream_arn] = asyncio.Event()
        await self.clock.wait(event, until)

    def _signal(self, stream_arn: str) -> None:
        event = self._signals.pop(stream_arn, None)
        if event is not None:
            event.set()
