"""The SQL of Kinesis Data Streams: streams, their shards, the records of each shard, and the
stream consumers registered for enhanced fan-out.

A stream row holds its settings (mode, retention, encryption, tags, resource policy, the
shard-level metrics enabled, the times of its UpdateShardCount calls). A shard row holds its hash key range (decimal strings: 128-bit numbers outgrow BIGINT) and its
sequence counter: ``last_seq`` is the position of the newest record written, ``trimmed_to``
the newest position trimmed (records at or before it are gone), ``end_seq`` the last position
once the shard is closed. Positions are integers; ``shards.py`` renders them as AWS's
decimal sequence numbers. Record data is stored as it was put (a BLOB).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE kinesis_streams (
        stream_arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created REAL NOT NULL,
        mode TEXT NOT NULL,
        retention_hours INTEGER NOT NULL,
        encryption TEXT NOT NULL,
        key_id TEXT,
        tags TEXT NOT NULL,
        policy TEXT,
        max_record_kib INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX kinesis_streams_name ON kinesis_streams (account, region, name);
    CREATE TABLE kinesis_shards (
        stream_arn TEXT NOT NULL,
        shard_index INTEGER NOT NULL,
        shard_id TEXT NOT NULL,
        parent_id TEXT,
        adjacent_parent_id TEXT,
        start_hash TEXT NOT NULL,
        end_hash TEXT NOT NULL,
        created REAL NOT NULL,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        trimmed_to BIGINT NOT NULL,
        closed REAL,
        end_seq BIGINT,
        PRIMARY KEY (stream_arn, shard_index)
    );
    CREATE TABLE kinesis_records (
        stream_arn TEXT NOT NULL,
        shard_index INTEGER NOT NULL,
        seq BIGINT NOT NULL,
        created REAL NOT NULL,
        partition_key TEXT NOT NULL,
        data BLOB NOT NULL,
        encryption TEXT NOT NULL,
        PRIMARY KEY (stream_arn, shard_index, seq)
    );
    CREATE INDEX kinesis_records_age ON kinesis_records (stream_arn, shard_index, created)
    """,
    """
    ALTER TABLE kinesis_streams ADD COLUMN shard_metrics TEXT NOT NULL DEFAULT '[]';
    ALTER TABLE kinesis_streams ADD COLUMN scalings TEXT NOT NULL DEFAULT '[]';
    CREATE TABLE kinesis_consumers (
        consumer_arn TEXT PRIMARY KEY,
        stream_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        created REAL NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE UNIQUE INDEX kinesis_consumers_name ON kinesis_consumers (stream_arn, name)
    """,
]


@dataclass
class StreamRow:
    """One stream's settings."""

    arn: str
    account: str
    region: str
    name: str
    created: float
    mode: str
    retention_hours: int
    encryption: str
    key_id: str | None
    tags: dict[str, str] = field(default_factory=dict)
    policy: str | None = None
    max_record_kib: int = 1024
    shard_metrics: list[str] = field(default_factory=list)
    scalings: list[float] = field(default_factory=list)  # when UpdateShardCount was called


@dataclass
class ShardRow:
    """One shard and the state of its sequence counter."""

    stream_arn: str
    index: int
    shard_id: str
    parent_id: str | None
    adjacent_parent_id: str | None
    start_hash: int
    end_hash: int
    created: float
    first_seq: int
    last_seq: int
    trimmed_to: int
    closed: float | None
    end_seq: int | None


@dataclass
class ConsumerRow:
    """One enhanced fan-out consumer of a stream."""

    arn: str
    stream_arn: str
    name: str
    created: float
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class RecordRow:
    seq: int
    created: float
    partition_key: str
    data: bytes
    encryption: str


_STREAM_COLUMNS = (
    "stream_arn, account, region, name, created, mode, retention_hours, encryption, key_id, tags, "
    "policy, max_record_kib, shard_metrics, scalings"
)
_CONSUMER_COLUMNS = "consumer_arn, stream_arn, name, created, tags"
_SHARD_COLUMNS = (
    "stream_arn, shard_index, shard_id, parent_id, adjacent_parent_id, start_hash, end_hash, created, "
    "first_seq, last_seq, trimmed_to, closed, end_seq"
)


def _stream(r: Any) -> StreamRow:
    return StreamRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        r[7],
        r[8],
        orjson.loads(r[9]),
        r[10],
        r[11],
        orjson.loads(r[12]),
        orjson.loads(r[13]),
    )


def _shard(r: Any) -> ShardRow:
    return ShardRow(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), r[7], r[8], r[9], r[10], r[11], r[12])


def _consumer(r: Any) -> ConsumerRow:
    return ConsumerRow(r[0], r[1], r[2], r[3], orjson.loads(r[4]))


class KinesisStore:
    def __init__(self, db: Store) -> None:
        self.db = db
        db.migrate("kinesis", MIGRATIONS)

    # -- streams --
    def create(self, s: StreamRow, shards: list[ShardRow]) -> None:
        self.db.execute(
            f"INSERT INTO kinesis_streams ({_STREAM_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                s.arn,
                s.account,
                s.region,
                s.name,
                s.created,
                s.mode,
                s.retention_hours,
                s.encryption,
                s.key_id,
                orjson.dumps(s.tags).decode(),
                s.policy,
                s.max_record_kib,
                orjson.dumps(s.shard_metrics).decode(),
                orjson.dumps(s.scalings).decode(),
            ),
        )
        for sh in shards:
            self.add_shard(sh)

    def get(self, arn: str) -> StreamRow | None:
        row = self.db.one(f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE stream_arn = ?", (arn,))
        return _stream(row) if row else None

    def listed(self, account: str, region: str, after: str | None, limit: int) -> list[StreamRow]:
        """Streams of an account and region by name, after ``after``, at most ``limit``."""
        sql = f"SELECT {_STREAM_COLUMNS} FROM kinesis_streams WHERE account = ? AND region = ?"
        args: list[Any] = [account, region]
        if after is not None:
            sql += " AND name > ?"
            args.append(after)
        args.append(limit)
        return [_stream(r) for r in self.db.all(sql + " ORDER BY name LIMIT ?", args)]

    def arns(self) -> list[str]:
        return [r[0] for r in self.db.all("SELECT stream_arn FROM kinesis_streams")]

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM kinesis_streams")
        return int(row[0]) if row else 0

    def open_shard_total(self, account: str, region: str) -> int:
        row = self.db.one(
            "SELECT COUNT(*) FROM kinesis_shards sh JOIN kinesis_streams s ON s.stream_arn = sh.stream_arn "
            "WHERE s.account = ? AND s.region = ? AND sh.closed IS NULL",
            (account, region),
        )
        return int(row[0]) if row else 0

    def update(self, arn: str, **columns: Any) -> None:
        """Set stream columns (``tags``, ``shard_metrics`` and ``scalings`` as Python values)."""
        for name in ("tags", "shard_metrics", "scalings"):
            if name in columns:
                columns[name] = orjson.dumps(columns[name]).decode()
        sets = ", ".join(f"{name} = ?" for name in columns)
        self.db.execute(f"UPDATE kinesis_streams SET {sets} WHERE stream_arn = ?", (*columns.values(), arn))

    def drop(self, arn: str) -> None:
        self.db.execute("DELETE FROM kinesis_consumers WHERE stream_arn = ?", (arn,))
        self.db.execute("DELETE FROM kinesis_records WHERE stream_arn = ?", (arn,))
        self.db.execute("DELETE FROM kinesis_shards WHERE stream_arn = ?", (arn,))
        self.db.execute("DELETE FROM kinesis_streams WHERE stream_arn = ?", (arn,))

    # -- shards --
    def add_shard(self, sh: ShardRow) -> None:
        self.db.execute(
            f"INSERT INTO kinesis_shards ({_SHARD_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                sh.stream_arn,
                sh.index,
                sh.shard_id,
                sh.parent_id,
                sh.adjacent_parent_id,
                str(sh.start_hash),
                str(sh.end_hash),
                sh.created,
                sh.first_seq,
                sh.last_seq,
                sh.trimmed_to,
                sh.closed,
                sh.end_seq,
            ),
        )

    def close_shard(self, arn: str, index: int, closed: float, end_seq: int) -> None:
        self.db.execute(
            "UPDATE kinesis_shards SET closed = ?, end_seq = ? WHERE stream_arn = ? AND shard_index = ?",
            (closed, end_seq, arn, index),
        )

    def shards(self, arn: str) -> list[ShardRow]:
        rows = self.db.all(
            f"SELECT {_SHARD_COLUMNS} FROM kinesis_shards WHERE stream_arn = ? ORDER BY shard_index", (arn,)
        )
        return [_shard(r) for r in rows]

    def shard(self, arn: str, shard_id: str) -> ShardRow | None:
        row = self.db.one(
            f"SELECT {_SHARD_COLUMNS} FROM kinesis_shards WHERE stream_arn = ? AND shard_id = ?",
            (arn, shard_id),
        )
        return _shard(row) if row else None

    def take_positions(self, arn: str, index: int, count: int, at_least: int) -> int:
        """Take the shard's next ``count`` positions: one past the last, and at least
        ``at_least``; returns the first (the others follow it one by one)."""
        row = self.db.one(
            "UPDATE kinesis_shards SET last_seq = CASE WHEN last_seq + 1 > ? THEN last_seq + ? ELSE ? END "
            "WHERE stream_arn = ? AND shard_index = ? RETURNING last_seq",
            (at_least, count, at_least + count - 1, arn, index),
        )
        assert row is not None  # the caller holds the shard
        return int(row[0]) - count + 1

    # -- records --
    def add_many(self, rows: list[tuple[str, int, int, float, str, bytes, str]]) -> None:
        """Insert records: (stream ARN, shard index, position, arrival, partition key, data,
        encryption) each."""
        self.db.execute_many(
            "INSERT INTO kinesis_records (stream_arn, shard_index, seq, created, partition_key, data, encryption) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )

    def records(self, arn: str, index: int, after: int, limit: int) -> list[RecordRow]:
        rows = self.db.all(
            "SELECT seq, created, partition_key, data, encryption FROM kinesis_records "
            "WHERE stream_arn = ? AND shard_index = ? AND seq > ? ORDER BY seq LIMIT ?",
            (arn, index, after, limit),
        )
        return [RecordRow(int(r[0]), r[1], r[2], bytes(r[3]), r[4]) for r in rows]

    def expired_through(self, arn: str, index: int, before: float) -> int | None:
        """The newest position among the shard's records that arrived before ``before``."""
        row = self.db.one(
            "SELECT MAX(seq) FROM kinesis_records WHERE stream_arn = ? AND shard_index = ? AND created < ?",
            (arn, index, before),
        )
        return int(row[0]) if row and row[0] is not None else None

    def trim(self, arn: str, index: int, through: int) -> None:
        """Drop the shard's records at or before ``through`` and move its trim point there."""
        self.db.execute(
            "DELETE FROM kinesis_records WHERE stream_arn = ? AND shard_index = ? AND seq <= ?",
            (arn, index, through),
        )
        self.db.execute(
            "UPDATE kinesis_shards SET trimmed_to = ? WHERE stream_arn = ? AND shard_index = ? AND trimmed_to < ?",
            (through, arn, index, through),
        )

    def first_at_or_after(self, arn: str, index: int, created: float) -> int | None:
        """The position of the shard's first record that arrived at or after ``created``."""
        row = self.db.one(
            "SELECT MIN(seq) FROM kinesis_records WHERE stream_arn = ? AND shard_index = ? AND created >= ?",
            (arn, index, created),
        )
        return int(row[0]) if row and row[0] is not None else None

    def arrival_of(self, arn: str, index: int, position: int) -> float | None:
        """When the shard's first record after ``position`` arrived (None: none)."""
        row = self.db.one(
            "SELECT created FROM kinesis_records WHERE stream_arn = ? AND shard_index = ? AND seq > ? "
            "ORDER BY seq LIMIT 1",
            (arn, index, position),
        )
        return float(row[0]) if row else None

    # -- consumers --
    def add_consumer(self, c: ConsumerRow) -> None:
        self.db.execute(
            f"INSERT INTO kinesis_consumers ({_CONSUMER_COLUMNS}) VALUES (?, ?, ?, ?, ?)",
            (c.arn, c.stream_arn, c.name, c.created, orjson.dumps(c.tags).decode()),
        )

    def consumer(self, arn: str) -> ConsumerRow | None:
        row = self.db.one(f"SELECT {_CONSUMER_COLUMNS} FROM kinesis_consumers WHERE consumer_arn = ?", (arn,))
        return _consumer(row) if row else None

    def consumer_named(self, stream_arn: str, name: str) -> ConsumerRow | None:
        row = self.db.one(
            f"SELECT {_CONSUMER_COLUMNS} FROM kinesis_consumers WHERE stream_arn = ? AND name = ?",
            (stream_arn, name),
        )
        return _consumer(row) if row else None

    def consumers(self, stream_arn: str, after: str = "", limit: int = 1000) -> list[ConsumerRow]:
        """A stream's consumers by name, after ``after``, at most ``limit``."""
        rows = self.db.all(
            f"SELECT {_CONSUMER_COLUMNS} FROM kinesis_consumers WHERE stream_arn = ? AND name > ? "
            "ORDER BY name LIMIT ?",
            (stream_arn, after, limit),
        )
        return [_consumer(r) for r in rows]

    def consumer_count(self, stream_arn: str) -> int:
        row = self.db.one("SELECT COUNT(*) FROM kinesis_consumers WHERE stream_arn = ?", (stream_arn,))
        return int(row[0]) if row else 0

    def drop_consumer(self, arn: str) -> None:
        self.db.execute("DELETE FROM kinesis_consumers WHERE consumer_arn = ?", (arn,))

    def tag_consumer(self, arn: str, tags: dict[str, str]) -> None:
        self.db.execute(
            "UPDATE kinesis_consumers SET tags = ? WHERE consumer_arn = ?", (orjson.dumps(tags).decode(), arn)
        )
