"""The SQL of DynamoDB Streams: streams with their one shard, and their records.

A stream row holds the shard's sequence counter: ``last_seq`` is the position of the newest
record written, ``trimmed_to`` the position of the newest record trimmed (records at or
before it are gone), ``end_seq`` the shard's last position once the stream is closed.
Positions are integers; :func:`sequence_number` renders them as AWS's decimal strings.
Records are pickled (protocol 5) like items: AttributeValues hold bytes for ``B``.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE ddb_streams (
        stream_arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        table_name TEXT NOT NULL,
        label TEXT NOT NULL,
        view_type TEXT NOT NULL,
        key_schema TEXT NOT NULL,
        created REAL NOT NULL,
        shard_id TEXT NOT NULL,
        first_seq BIGINT NOT NULL,
        last_seq BIGINT NOT NULL,
        trimmed_to BIGINT NOT NULL,
        closed REAL,
        end_seq BIGINT
    );
    CREATE INDEX ddb_streams_owner ON ddb_streams (account, region, stream_arn);
    CREATE TABLE ddb_stream_records (
        stream_arn TEXT NOT NULL,
        seq BIGINT NOT NULL,
        created REAL NOT NULL,
        record BLOB NOT NULL,
        PRIMARY KEY (stream_arn, seq)
    );
    CREATE INDEX ddb_stream_records_age ON ddb_stream_records (stream_arn, created)
    """
]

SEQUENCE_DIGITS = 21
MAX_POSITION = (1 << 63) - 1  # a BIGINT


def sequence_number(position: int) -> str:
    """A position as AWS writes sequence numbers: a decimal string of at least 21 digits."""
    return f"{position:0{SEQUENCE_DIGITS}d}"


def parse_sequence_number(text: str) -> int | None:
    """The position of a sequence number, None if it is not one."""
    if not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= MAX_POSITION else None


@dataclass
class StreamRow:
    """One stream and the state of its single shard."""

    arn: str
    account: str
    region: str
    table_name: str
    label: str
    view_type: str
    key_schema: list[dict[str, str]]
    created: float
    shard_id: str
    first_seq: int
    last_seq: int
    trimmed_to: int
    closed: float | None
    end_seq: int | None

    @property
    def enabled(self) -> bool:
        return self.closed is None


_COLUMNS = (
    "stream_arn, account, region, table_name, label, view_type, key_schema, created, shard_id, "
    "first_seq, last_seq, trimmed_to, closed, end_seq"
)


def _row(r: Any) -> StreamRow:
    return StreamRow(
        r[0], r[1], r[2], r[3], r[4], r[5], orjson.loads(r[6]), r[7], r[8], r[9], r[10], r[11], r[12], r[13]
    )


class StreamStore:
    def __init__(self, db: Store) -> None:
        self.db = db
        db.migrate("dynamodbstreams", MIGRATIONS)

    # -- streams --
    def create(self, s: StreamRow) -> None:
        """A new stream; a stream already under that ARN (same table, same millisecond) reopens."""
        self.db.execute(
            f"INSERT INTO ddb_streams ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (stream_arn) DO UPDATE SET closed = NULL, end_seq = NULL, view_type = excluded.view_type",
            (
                s.arn,
                s.account,
                s.region,
                s.table_name,
                s.label,
                s.view_type,
                orjson.dumps(s.key_schema).decode(),
                s.created,
                s.shard_id,
                s.first_seq,
                s.last_seq,
                s.trimmed_to,
                None,
                None,
            ),
        )

    def get(self, arn: str) -> StreamRow | None:
        row = self.db.one(f"SELECT {_COLUMNS} FROM ddb_streams WHERE stream_arn = ?", (arn,))
        return _row(row) if row else None

    def listed(self, account: str, region: str, table_name: str | None, after: str | None) -> list[StreamRow]:
        sql = f"SELECT {_COLUMNS} FROM ddb_streams WHERE account = ? AND region = ?"
        args: list[Any] = [account, region]
        if table_name is not None:
            sql += " AND table_name = ?"
            args.append(table_name)
        if after is not None:
            sql += " AND stream_arn > ?"
            args.append(after)
        return [_row(r) for r in self.db.all(sql + " ORDER BY stream_arn", args)]

    def arns(self) -> list[str]:
        return [r[0] for r in self.db.all("SELECT stream_arn FROM ddb_streams")]

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM ddb_streams")
        return int(row[0]) if row else 0

    def close(self, arn: str, when: float) -> None:
        self.db.execute(
            "UPDATE ddb_streams SET closed = ?, end_seq = last_seq WHERE stream_arn = ? AND closed IS NULL",
            (when, arn),
        )

    def next_position(self, arn: str) -> int | None:
        """Take the next position of an open stream (None: no such open stream)."""
        row = self.db.one(
            "UPDATE ddb_streams SET last_seq = last_seq + 1 WHERE stream_arn = ? AND closed IS NULL "
            "RETURNING last_seq",
            (arn,),
        )
        return int(row[0]) if row else None

    def drop(self, arn: str) -> None:
        self.db.execute("DELETE FROM ddb_stream_records WHERE stream_arn = ?", (arn,))
        self.db.execute("DELETE FROM ddb_streams WHERE stream_arn = ?", (arn,))

    def closed_before(self, when: float) -> list[str]:
        rows = self.db.all(
            "SELECT stream_arn FROM ddb_streams WHERE closed IS NOT NULL AND closed < ?", (when,)
        )
        return [r[0] for r in rows]

    # -- records --
    def add(self, arn: str, position: int, created: float, record: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO ddb_stream_records (stream_arn, seq, created, record) VALUES (?, ?, ?, ?)",
            (arn, position, created, pickle.dumps(record, protocol=5)),
        )

    def expired_through(self, arn: str, before: float) -> int | None:
        """The newest position among records created before ``before`` (None: none)."""
        row = self.db.one(
            "SELECT MAX(seq) FROM ddb_stream_records WHERE stream_arn = ? AND created < ?", (arn, before)
        )
        return int(row[0]) if row and row[0] is not None else None

    def trim(self, arn: str, through: int) -> None:
        """Drop the records at or before ``through`` and move the trim point there."""
        self.db.execute("DELETE FROM ddb_stream_records WHERE stream_arn = ? AND seq <= ?", (arn, through))
        self.db.execute(
            "UPDATE ddb_streams SET trimmed_to = ? WHERE stream_arn = ? AND trimmed_to < ?",
            (through, arn, through),
        )

    def records(self, arn: str, after: int, limit: int) -> list[tuple[int, dict[str, Any]]]:
        rows = self.db.all(
            "SELECT seq, record FROM ddb_stream_records WHERE stream_arn = ? AND seq > ? ORDER BY seq LIMIT ?",
            (arn, after, limit),
        )
        return [(int(r[0]), pickle.loads(r[1])) for r in rows]  # our own rows

    def first_at_or_after(self, arn: str, created: float) -> int | None:
        """The position of the first record created at or after ``created`` (None: none yet)."""
        row = self.db.one(
            "SELECT MIN(seq) FROM ddb_stream_records WHERE stream_arn = ? AND created >= ?", (arn, created)
        )
        return int(row[0]) if row and row[0] is not None else None
