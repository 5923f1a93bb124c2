"""CloudWatch Logs state: log groups, streams, events (indexed by stream and by group time) and
metric filters. Times are epoch milliseconds, as the API speaks them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE logs_groups (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        retention INTEGER,
        kms_key TEXT,
        group_class TEXT NOT NULL,
        deletion_protection INTEGER NOT NULL,
        tags TEXT NOT NULL,
        stored_bytes INTEGER NOT NULL,
        expire_at REAL,
        PRIMARY KEY (account, region, name)
    );
    CREATE INDEX logs_groups_expire ON logs_groups (expire_at);
    CREATE TABLE logs_streams (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        grp TEXT NOT NULL,
        name TEXT NOT NULL,
        created INTEGER NOT NULL,
        first_event INTEGER,
        last_event INTEGER,
        last_ingestion INTEGER,
        stored_bytes INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        batches INTEGER NOT NULL,
        PRIMARY KEY (account, region, grp, name)
    );
    CREATE TABLE logs_events (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        grp TEXT NOT NULL,
        stream TEXT NOT NULL,
        ts INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        ingested INTEGER NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (account, region, grp, stream, ts, seq)
    );
    CREATE INDEX logs_events_time ON logs_events (account, region, grp, ts, stream, seq);
    CREATE TABLE logs_metric_filters (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        grp TEXT NOT NULL,
        name TEXT NOT NULL,
        pattern TEXT NOT NULL,
        transformations TEXT NOT NULL,
        apply_transformed INTEGER NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (account, region, grp, name)
    )
    """,
]

DAY_MS = 86_400_000


@dataclass
class Group:
    account: str
    region: str
    name: str
    created: int
    retention: int | None
    kms_key: str | None
    group_class: str
    deletion_protection: bool
    tags: dict[str, str]
    stored_bytes: int
    expire_at: float | None = None


@dataclass
class Stream:
    grp: str
    name: str
    created: int
    first_event: int | None
    last_event: int | None
    last_ingestion: int | None
    stored_bytes: int
    seq: int
    batches: int


@dataclass(frozen=True)
class Event:
    stream: str
    ts: int
    seq: int
    ingested: int
    message: str


def _group(row: Any) -> Group:
    return Group(
        row["account"],
        row["region"],
        row["name"],
        row["created"],
        row["retention"],
        row["kms_key"],
        row["group_class"],
        bool(row["deletion_protection"]),
        orjson.loads(row["tags"]),
        row["stored_bytes"],
        row["expire_at"],
    )


def _stream(row: Any) -> Stream:
    return Stream(
        row["grp"],
        row["name"],
        row["created"],
        row["first_event"],
        row["last_event"],
        row["last_ingestion"],
        row["stored_bytes"],
        row["seq"],
        row["batches"],
    )


def _event(row: Any) -> Event:
    return Event(row["stream"], row["ts"], row["seq"], row["ingested"], row["message"])


def _prefix_range(column: str, prefix: str) -> tuple[str, tuple[str, ...]]:
    if not prefix:
        return "", ()
    return f" AND {column} >= ? AND {column} < ?", (prefix, prefix + "\U0010ffff")


class LogsStore:
    """The SQL of CloudWatch Logs (within what SQLite and PostgreSQL both accept)."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("logs", MIGRATIONS)

    # -- groups --
    def group(self, account: str, region: str, name: str) -> Group | None:
        row = self.db.one(
            "SELECT * FROM logs_groups WHERE account = ? AND region = ? AND name = ?", (account, region, name)
        )
        return _group(row) if row else None

    def groups(self, account: str, region: str, prefix: str = "") -> list[Group]:
        where, args = _prefix_range("name", prefix)
        rows = self.db.all(
            f"SELECT * FROM logs_groups WHERE account = ? AND region = ?{where} ORDER BY name",
            (account, region, *args),
        )
        return [_group(r) for r in rows]

    def create_group(self, g: Group) -> None:
        self.db.execute(
            "INSERT INTO logs_groups (account, region, name, created, retention, kms_key, group_class, "
            "deletion_protection, tags, stored_bytes, expire_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, NULL)",
            (
                g.account,
                g.region,
                g.name,
                g.created,
                g.retention,
                g.kms_key,
                g.group_class,
                int(g.deletion_protection),
                orjson.dumps(g.tags).decode(),
            ),
        )

    def delete_group(self, account: str, region: str, name: str) -> None:
        self.db.execute(
            "DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ?", (account, region, name)
        )
        for table in ("logs_streams", "logs_metric_filters"):
            self.db.execute(
                f"DELETE FROM {table} WHERE account = ? AND region = ? AND grp = ?", (account, region, name)
            )
        self.db.execute(
            "DELETE FROM logs_groups WHERE account = ? AND region = ? AND name = ?", (account, region, name)
        )

    def set_group(self, account: str, region: str, name: str, **columns: Any) -> None:
        """Update columns of a group (names are this module's own, never a caller's input)."""
        if "tags" in columns:
            columns["tags"] = orjson.dumps(columns["tags"]).decode()
        sets = ", ".join(f"{column} = ?" for column in columns)
        self.db.execute(
            f"UPDATE logs_groups SET {sets} WHERE account = ? AND region = ? AND name = ?",
            (*columns.values(), account, region, name),
        )

    def count_groups(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM logs_groups")
        return int(row[0]) if row else 0

    # -- streams --
    def stream(self, account: str, region: str, grp: str, name: str) -> Stream | None:
        row = self.db.one(
            "SELECT * FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?",
            (account, region, grp, name),
        )
        return _stream(row) if row else None

    def streams(self, account: str, region: str, grp: str, prefix: str = "") -> list[Stream]:
        where, args = _prefix_range("name", prefix)
        rows = self.db.all(
            f"SELECT * FROM logs_streams WHERE account = ? AND region = ? AND grp = ?{where} ORDER BY name",
            (account, region, grp, *args),
        )
        return [_stream(r) for r in rows]

    def create_stream(self, account: str, region: str, grp: str, name: str, created: int) -> None:
        self.db.execute(
            "INSERT INTO logs_streams (account, region, grp, name, created, first_event, last_event, "
            "last_ingestion, stored_bytes, seq, batches) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL, 0, 0, 0)",
            (account, region, grp, name, created),
        )

    def delete_stream(self, account: str, region: str, grp: str, name: str, size: int) -> None:
        key = (account, region, grp, name)
        self.db.execute(
            "DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ? AND stream = ?", key
        )
        self.db.execute(
            "DELETE FROM logs_streams WHERE account = ? AND region = ? AND grp = ? AND name = ?", key
        )
        self._add_group_bytes(account, region, grp, -size)

    def _add_group_bytes(self, account: str, region: str, grp: str, size: int) -> None:
        self.db.execute(
            "UPDATE logs_groups SET stored_bytes = stored_bytes + ? WHERE account = ? AND region = ? AND name = ?",
            (size, account, region, grp),
        )

    # -- events --
    def append(
        self, account: str, region: str, grp: str, s: Stream, events: Sequence[tuple[int, str]], now: int
    ) -> None:
        """Add ``events`` (chronological (timestamp, message) pairs) to stream ``s``, updating its
        counters and the group's; one executemany within the caller's transaction."""
        rows = [
            (account, region, grp, s.name, ts, s.seq + i + 1, now, msg) for i, (ts, msg) in enumerate(events)
        ]
        self.db.conn.executemany(
            "INSERT INTO logs_events (account, region, grp, stream, ts, seq, ingested, message) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        size = sum(len(msg.encode()) for _, msg in events)
        first = min(events[0][0], s.first_event if s.first_event is not None else events[0][0])
        last = max(events[-1][0], s.last_event if s.last_event is not None else events[-1][0])
        self.db.execute(
            "UPDATE logs_streams SET first_event = ?, last_event = ?, last_ingestion = ?, "
            "stored_bytes = stored_bytes + ?, seq = seq + ?, batches = batches + 1 "
            "WHERE account = ? AND region = ? AND grp = ? AND name = ?",
            (first, last, now, size, len(events), account, region, grp, s.name),
        )
        self._add_group_bytes(account, region, grp, size)

    def touch_stream(self, account: str, region: str, grp: str, name: str) -> None:
        """Count a batch that stored nothing (every event rejected)."""
        self.db.execute(
            "UPDATE logs_streams SET batches = batches + 1 WHERE account = ? AND region = ? AND grp = ? AND name = ?",
            (account, region, grp, name),
        )

    def stream_events(
        self,
        account: str,
        region: str,
        grp: str,
        stream: str,
        start: int,
        end: int,
        after: tuple[int, int] | None,
        before: tuple[int, int] | None,
        limit: int,
        newest_first: bool,
    ) -> list[Event]:
        """Events of one stream with ``start <= ts < end``, strictly after/before (ts, seq)."""
        where = "account = ? AND region = ? AND grp = ? AND stream = ? AND ts >= ? AND ts < ?"
        args: list[Any] = [account, region, grp, stream, start, end]
        if after is not None:
            where += " AND (ts > ? OR (ts = ? AND seq > ?))"
            args += [after[0], after[0], after[1]]
        if before is not None:
            where += " AND (ts < ? OR (ts = ? AND seq < ?))"
            args += [before[0], before[0], before[1]]
        order = "DESC" if newest_first else "ASC"
        rows = self.db.all(
            f"SELECT stream, ts, seq, ingested, message FROM logs_events WHERE {where} "
            f"ORDER BY ts {order}, seq {order} LIMIT ?",
            (*args, limit),
        )
        return [_event(r) for r in rows]

    def group_events(
        self,
        account: str,
        region: str,
        grp: str,
        start: int,
        end: int,
        after: tuple[int, str, int] | None,
        limit: int,
    ) -> list[Event]:
        """Events of a group in (ts, stream, seq) order, strictly after ``after``."""
        where = "account = ? AND region = ? AND grp = ? AND ts >= ? AND ts < ?"
        args: list[Any] = [account, region, grp, start, end]
        if after is not None:
            ts, stream, seq = after
            where += " AND (ts > ? OR (ts = ? AND (stream > ? OR (stream = ? AND seq > ?))))"
            args += [ts, ts, stream, stream, seq]
        rows = self.db.all(
            f"SELECT stream, ts, seq, ingested, message FROM logs_events WHERE {where} "
            "ORDER BY ts, stream, seq LIMIT ?",
            (*args, limit),
        )
        return [_event(r) for r in rows]

    # -- retention --
    def next_expiry(self) -> float | None:
        row = self.db.one("SELECT MIN(expire_at) FROM logs_groups WHERE expire_at IS NOT NULL")
        return float(row[0]) if row and row[0] is not None else None

    def expiring(self, now: float, limit: int) -> list[tuple[str, str, str, int]]:
        rows = self.db.all(
            "SELECT account, region, name, retention FROM logs_groups "
            "WHERE expire_at IS NOT NULL AND expire_at <= ? ORDER BY expire_at LIMIT ?",
            (now, limit),
        )
        return [(r["account"], r["region"], r["name"], r["retention"]) for r in rows]

    def oldest_event(self, account: str, region: str, grp: str) -> int | None:
        row = self.db.one(
            "SELECT MIN(ts) FROM logs_events WHERE account = ? AND region = ? AND grp = ?",
            (account, region, grp),
        )
        return int(row[0]) if row and row[0] is not None else None

    def set_expiry(self, account: str, region: str, grp: str, retention: int | None) -> None:
        """Recompute when the group's oldest event expires under ``retention`` days."""
        oldest = self.oldest_event(account, region, grp) if retention else None
        due = (oldest + retention * DAY_MS) / 1000 if oldest is not None and retention else None
        self.set_group(account, region, grp, expire_at=due)

    def expire(self, account: str, region: str, grp: str, cutoff: int) -> None:
        """Delete the group's events older than ``cutoff`` and recount its streams' bytes."""
        key = (account, region, grp)
        old = self.db.all(
            "SELECT stream, SUM(LENGTH(CAST(message AS BLOB))) AS size FROM logs_events "
            "WHERE account = ? AND region = ? AND grp = ? AND ts < ? GROUP BY stream",
            (*key, cutoff),
        )
        self.db.execute(
            "DELETE FROM logs_events WHERE account = ? AND region = ? AND grp = ? AND ts < ?", (*key, cutoff)
        )
        for row in old:
            first = self.db.one(
                "SELECT MIN(ts) FROM logs_events WHERE account = ? AND region = ? AND grp = ? AND stream = ?",
                (*key, row["stream"]),
            )
            self.db.execute(
                "UPDATE logs_streams SET stored_bytes = stored_bytes - ?, first_event = ? "
                "WHERE account = ? AND region = ? AND grp = ? AND name = ?",
                (row["size"], first[0] if first else None, *key, row["stream"]),
            )
            self._add_group_bytes(account, region, grp, -int(row["size"]))

    # -- metric filters --
    def metric_filters(self, account: str, region: str, grp: str | None = None) -> list[dict[str, Any]]:
        if grp is None:
            rows = self.db.all(
                "SELECT * FROM logs_metric_filters WHERE account = ? AND region = ? ORDER BY grp, name",
                (account, region),
            )
        else:
            rows = self.db.all(
                "SELECT * FROM logs_metric_filters WHERE account = ? AND region = ? AND grp = ? ORDER BY name",
                (account, region, grp),
            )
        return [
            {
                "filterName": r["name"],
                "filterPattern": r["pattern"],
                "metricTransformations": orjson.loads(r["transformations"]),
                "creationTime": r["created"],
                "logGroupName": r["grp"],
                "applyOnTransformedLogs": bool(r["apply_transformed"]),
            }
            for r in rows
        ]

    def count_metric_filters(self, account: str, region: str, grp: str) -> int:
        row = self.db.one(
            "SELECT COUNT(*) FROM logs_metric_filters WHERE account = ? AND region = ? AND grp = ?",
            (account, region, grp),
        )
        return int(row[0]) if row else 0

    def put_metric_filter(
        self,
        account: str,
        region: str,
        grp: str,
        name: str,
        pattern: str,
        transformations: list[Any],
        apply: bool,
        now: int,
    ) -> None:
        self.db.execute(
            "INSERT INTO logs_metric_filters (account, region, grp, name, pattern, transformations, "
            "apply_transformed, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, grp, name) DO UPDATE SET pattern = excluded.pattern, "
            "transformations = excluded.transformations, apply_transformed = excluded.apply_transformed",
            (account, region, grp, name, pattern, orjson.dumps(transformations).decode(), int(apply), now),
        )

    def delete_metric_filter(self, account: str, region: str, grp: str, name: str) -> bool:
        cursor = self.db.execute(
            "DELETE FROM logs_metric_filters WHERE account = ? AND region = ? AND grp = ? AND name = ?",
            (account, region, grp, name),
        )
        return cursor.rowcount > 0
