"""Firehose state in the store: delivery streams and the records buffered for delivery.

A stream's configuration (destination, source, encryption) is one JSON document; buffered
records are rows written in the PutRecord(Batch) transaction, so an acknowledged record
survives a kill -9 and is delivered after the restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.core.arn import make_arn
from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE firehose_streams (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        stream_type TEXT NOT NULL,
        version INTEGER NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        config TEXT NOT NULL,
        tags TEXT NOT NULL,
        UNIQUE (account, region, name)
    );
    CREATE TABLE firehose_records (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id INTEGER NOT NULL,
        record_id TEXT NOT NULL,
        arrived REAL NOT NULL,
        size INTEGER NOT NULL,
        data BLOB NOT NULL
    );
    CREATE INDEX firehose_records_stream ON firehose_records (stream_id, seq)
    """,
    # Where a KinesisStreamAsSource stream has read each shard of its source to.
    """
    CREATE TABLE firehose_source_positions (
        stream_id INTEGER NOT NULL,
        shard_id TEXT NOT NULL,
        sequence TEXT NOT NULL,
        PRIMARY KEY (stream_id, shard_id)
    )
    """,
    # What a record read from a Kinesis source carries along (kinesisRecordMetadata), as JSON.
    """
    ALTER TABLE firehose_records ADD COLUMN meta TEXT
    """,
]


@dataclass
class Stream:
    id: int
    account: str
    region: str
    name: str
    stream_type: str
    version: int
    created: float
    updated: float
    config: dict[str, Any]
    tags: list[dict[str, str]]

    @property
    def arn(self) -> str:
        return make_arn("firehose", self.region, self.account, f"deliverystream/{self.name}")


@dataclass
class Buffered:
    seq: int
    record_id: str
    arrived: float
    data: bytes
    meta: dict[str, Any] | None = None  # a Kinesis source's kinesisRecordMetadata


def _stream(row: Any) -> Stream:
    return Stream(
        row["id"],
        row["account"],
        row["region"],
        row["name"],
        row["stream_type"],
        row["version"],
        row["created"],
        row["updated"],
        orjson.loads(row["config"]),
        orjson.loads(row["tags"]),
    )


class FirehoseStore:
    """The SQL of Firehose."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("firehose", MIGRATIONS)

    # -- streams --
    def get(self, account: str, region: str, name: str) -> Stream | None:
        row = self.db.one(
            "SELECT * FROM firehose_streams WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        return _stream(row) if row else None

    def by_id(self, stream_id: int) -> Stream | None:
        row = self.db.one("SELECT * FROM firehose_streams WHERE id = ?", (stream_id,))
        return _stream(row) if row else None

    def names(self, account: str, region: str, stream_type: str | None, after: str | None) -> list[str]:
        sql = "SELECT name FROM firehose_streams WHERE account = ? AND region = ?"
        params: list[Any] = [account, region]
        if stream_type:
            sql += " AND stream_type = ?"
            params.append(stream_type)
        if after:
            sql += " AND name > ?"
            params.append(after)
        return [r[0] for r in self.db.all(sql + " ORDER BY name", params)]

    def sourced_ids(self) -> list[int]:
        """The KinesisStreamAsSource streams (they read their source in the background)."""
        rows = self.db.all("SELECT id FROM firehose_streams WHERE stream_type = 'KinesisStreamAsSource'")
        return [r[0] for r in rows]

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM firehose_streams")
        return int(row[0]) if row else 0

    def all_ids(self) -> list[int]:
        return [r[0] for r in self.db.all("SELECT DISTINCT stream_id FROM firehose_records")]

    def create(
        self,
        account: str,
        region: str,
        name: str,
        stream_type: str,
        config: dict[str, Any],
        tags: list[dict[str, str]],
        now: float,
    ) -> Stream:
        with self.db.transaction():
            cursor = self.db.execute(
                "INSERT INTO firehose_streams (account, region, name, stream_type, version, created, "
                "updated, config, tags) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
                (account, region, name, stream_type, now, now, orjson.dumps(config), orjson.dumps(tags)),
            )
        stream = self.by_id(int(cursor.lastrowid or 0))
        assert stream is not None
        return stream

    def save(self, stream: Stream, *, bump: bool, now: float) -> None:
        """Write a stream's configuration and tags (a new version when ``bump``)."""
        if bump:
            stream.version += 1
            stream.updated = now
        with self.db.transaction():
            self.db.execute(
                "UPDATE firehose_streams SET version = ?, updated = ?, config = ?, tags = ? WHERE id = ?",
                (
                    stream.version,
                    stream.updated,
                    orjson.dumps(stream.config),
                    orjson.dumps(stream.tags),
                    stream.id,
                ),
            )

    def delete(self, stream: Stream) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM firehose_records WHERE stream_id = ?", (stream.id,))
            self.db.execute("DELETE FROM firehose_source_positions WHERE stream_id = ?", (stream.id,))
            self.db.execute("DELETE FROM firehose_streams WHERE id = ?", (stream.id,))

    # -- buffered records --
    def append(
        self,
        stream_id: int,
        records: list[tuple[str, float, bytes]],
        metas: list[dict[str, Any]] | None = None,
    ) -> None:
        """Buffer records (record id, arrival, data) inside the caller's transaction, with
        their Kinesis metadata when ``metas`` gives it (one per record)."""
        encoded = [orjson.dumps(m).decode() for m in metas] if metas else [None] * len(records)
        self.db.conn.executemany(
            "INSERT INTO firehose_records (stream_id, record_id, arrived, size, data, meta) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (stream_id, rid, arrived, len(data), data, meta)
                for (rid, arrived, data), meta in zip(records, encoded, strict=True)
            ],
        )

    def buffer_state(self, stream_id: int) -> tuple[int, int, float | None]:
        """(records, bytes, oldest arrival) of a stream's buffer."""
        row = self.db.one(
            "SELECT COUNT(*), COALESCE(SUM(size), 0), MIN(arrived) FROM firehose_records WHERE stream_id = ?",
            (stream_id,),
        )
        assert row is not None
        return int(row[0]), int(row[1]), row[2]

    def head(self, stream_id: int, max_bytes: int) -> list[Buffered]:
        """The oldest buffered records, up to the first that reaches ``max_bytes`` in total."""
        out: list[Buffered] = []
        total = 0
        cursor = self.db.execute(
            "SELECT seq, record_id, arrived, data, meta FROM firehose_records WHERE stream_id = ? ORDER BY seq",
            (stream_id,),
        )
        for row in cursor:
            meta = orjson.loads(row[4]) if row[4] else None
            out.append(Buffered(row[0], row[1], row[2], bytes(row[3]), meta))
            total += len(row[3])
            if total >= max_bytes:
                break
        cursor.close()
        return out

    def remove(self, stream_id: int, last_seq: int) -> None:
        with self.db.transaction():
            self.db.execute(
                "DELETE FROM firehose_records WHERE stream_id = ? AND seq <= ?", (stream_id, last_seq)
            )

    # -- source positions --
    def positions(self, stream_id: int) -> dict[str, str]:
        rows = self.db.all(
            "SELECT shard_id, sequence FROM firehose_source_positions WHERE stream_id = ?", (stream_id,)
        )
        return {r[0]: r[1] for r in rows}

    def set_position(self, stream_id: int, shard_id: str, sequence: str) -> None:
        """Inside the caller's transaction (with the records read up to ``sequence``)."""
        self.db.execute(
            "INSERT INTO firehose_source_positions (stream_id, shard_id, sequence) VALUES (?, ?, ?) "
            "ON CONFLICT (stream_id, shard_id) DO UPDATE SET sequence = excluded.sequence",
            (stream_id, shard_id, sequence),
        )
