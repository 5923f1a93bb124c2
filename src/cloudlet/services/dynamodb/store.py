"""DynamoDB state in the store: table definitions, items, index entries, idempotency tokens.

Items are stored under their key: ``pk`` and ``sk`` are the order-preserving bytes of the
partition and sort key values (``values.key_bytes``; ``sk`` is empty without a sort key)
and ``h`` a 16-bit hash of ``pk``. The primary key (table, h, pk, sk) serves point reads,
queries within a partition in sort-key order, and scans in hash order, whose ranges of
``h`` are the segments of a parallel scan. Index entries carry the projected item under
(index hash, index sort key, table key) the same way. Items are pickled (protocol 5): they
hold only dicts, lists, strings, bytes and booleans, and bytes need no re-encoding.
"""

from __future__ import annotations

import hashlib
import pickle
from collections.abc import Iterator
from typing import Any

import orjson

from cloudlet.services.dynamodb.tables import Table
from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE ddb_tables (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        definition TEXT NOT NULL,
        tags TEXT NOT NULL,
        UNIQUE (account, region, name)
    );
    CREATE TABLE ddb_items (
        table_id INTEGER NOT NULL,
        h INTEGER NOT NULL,
        pk BLOB NOT NULL,
        sk BLOB NOT NULL,
        item BLOB NOT NULL,
        size INTEGER NOT NULL,
        expires REAL,
        PRIMARY KEY (table_id, h, pk, sk)
    );
    CREATE INDEX ddb_items_expiry ON ddb_items (expires) WHERE expires IS NOT NULL;
    CREATE TABLE ddb_index_items (
        table_id INTEGER NOT NULL,
        index_name TEXT NOT NULL,
        h INTEGER NOT NULL,
        ipk BLOB NOT NULL,
        isk BLOB NOT NULL,
        pk BLOB NOT NULL,
        sk BLOB NOT NULL,
        item BLOB NOT NULL,
        size INTEGER NOT NULL,
        PRIMARY KEY (table_id, index_name, h, ipk, isk, pk, sk)
    );
    CREATE TABLE ddb_transactions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        token TEXT NOT NULL,
        digest TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (account, region, token)
    )
    """
]

HASH_SPACE = 1 << 16


def partition_hash(pk: bytes) -> int:
    """The 16-bit hash that orders partitions in a scan and splits parallel-scan segments."""
    return int.from_bytes(hashlib.blake2b(pk, digest_size=2).digest(), "big")


def dump_item(item: dict[str, Any]) -> bytes:
    return pickle.dumps(item, protocol=5)


def load_item(blob: bytes) -> dict[str, Any]:
    return pickle.loads(blob)  # our own rows, built from plain containers


def successor(prefix: bytes) -> bytes | None:
    """The smallest byte string above every string that starts with ``prefix`` (None: no bound)."""
    trimmed = prefix.rstrip(b"\xff")
    if not trimmed:
        return None
    return trimmed[:-1] + bytes([trimmed[-1] + 1])


class DynamoStore:
    """The SQL of DynamoDB; tables are cached in memory, with live item counts and sizes."""

    def __init__(self, db: Store) -> None:
        self.db = db
        db.migrate("dynamodb", MIGRATIONS)
        self._tables: dict[tuple[str, str, str], Table] = {}
        self._counts: dict[int, dict[str | None, list[int]]] = {}

    def reset(self) -> None:
        self._tables.clear()
        self._counts.clear()

    # -- tables --
    def create_table(
        self, account: str, region: str, name: str, definition: dict[str, Any], tags: dict[str, str]
    ) -> Table:
        cur = self.db.execute(
            "INSERT INTO ddb_tables (account, region, name, definition, tags) VALUES (?, ?, ?, ?, ?)",
            (account, region, name, orjson.dumps(definition).decode(), orjson.dumps(tags).decode()),
        )
        table = Table(int(cur.lastrowid or 0), account, region, name, definition, tags)
        self._tables[(account, region, name)] = table
        self._counts[table.id] = {None: [0, 0], **{i: [0, 0] for i in table.indexes}}
        return table

    def get_table(self, account: str, region: str, name: str) -> Table | None:
        table = self._tables.get((account, region, name))
        if table is None:
            row = self.db.one(
                "SELECT id, definition, tags FROM ddb_tables WHERE account = ? AND region = ? AND name = ?",
                (account, region, name),
            )
            if row is None:
                return None
            table = Table(row[0], account, region, name, orjson.loads(row[1]), orjson.loads(row[2]))
            self._tables[(account, region, name)] = table
        return table

    def table_names(self, account: str, region: str) -> list[str]:
        rows = self.db.all(
            "SELECT name FROM ddb_tables WHERE account = ? AND region = ? ORDER BY name", (account, region)
        )
        return [r[0] for r in rows]

    def table_count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM ddb_tables")
        return int(row[0]) if row else 0

    def save_table(self, table: Table) -> None:
        """Store a changed definition or tags (and refresh the table's index list)."""
        self.db.execute(
            "UPDATE ddb_tables SET definition = ?, tags = ? WHERE id = ?",
            (orjson.dumps(table.definition).decode(), orjson.dumps(table.tags).decode(), table.id),
        )
        table.refresh_indexes()

    def delete_table(self, table: Table) -> None:
        self.db.execute("DELETE FROM ddb_items WHERE table_id = ?", (table.id,))
        self.db.execute("DELETE FROM ddb_index_items WHERE table_id = ?", (table.id,))
        self.db.execute("DELETE FROM ddb_tables WHERE id = ?", (table.id,))
        self._tables.pop((table.account, table.region, table.name), None)
        self._counts.pop(table.id, None)

    def drop_index(self, table: Table, index: str) -> None:
        self.db.execute(
            "DELETE FROM ddb_index_items WHERE table_id = ? AND index_name = ?", (table.id, index)
        )
        self._counts.get(table.id, {}).pop(index, None)

    # -- counts --
    def counts(self, table: Table) -> dict[str | None, list[int]]:
        """[items, bytes] of the table (key None) and of each index, kept live after a first count."""
        counts = self._counts.get(table.id)
        if counts is None:
            row = self.db.one(
                "SELECT COUNT(*), COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ?", (table.id,)
            )
            counts = {None: [int(row[0]), int(row[1])] if row else [0, 0]}
            for name, n, size in self.db.all(
                "SELECT index_name, COUNT(*), COALESCE(SUM(size), 0) FROM ddb_index_items "
                "WHERE table_id = ? GROUP BY index_name",
                (table.id,),
            ):
                counts[name] = [int(n), int(size)]
            self._counts[table.id] = counts
        for name in table.indexes:
            counts.setdefault(name, [0, 0])
        return counts

    def reset_counts(self) -> None:
        """Forget the live counts (after a rollback): they are counted again on next use."""
        self._counts.clear()

    def _count(self, table: Table, name: str | None, items: int, size: int) -> None:
        entry = self.counts(table).setdefault(name, [0, 0])
        entry[0] += items
        entry[1] += size

    # -- items --
    def get(self, table: Table, pk: bytes, sk: bytes) -> tuple[dict[str, Any], int] | None:
        row = self.db.one(
            "SELECT item, size FROM ddb_items WHERE table_id = ? AND h = ? AND pk = ? AND sk = ?",
            (table.id, partition_hash(pk), pk, sk),
        )
        return (load_item(row[0]), row[1]) if row else None

    def put(
        self,
        table: Table,
        pk: bytes,
        sk: bytes,
        item: dict[str, Any],
        size: int,
        expires: float | None,
        old_size: int | None,
    ) -> None:
        """Write an item (``old_size``: the size of the item it replaces, None if new)."""
        self.db.execute(
            "INSERT INTO ddb_items (table_id, h, pk, sk, item, size, expires) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (table_id, h, pk, sk) DO UPDATE SET item = excluded.item, size = excluded.size, "
            "expires = excluded.expires",
            (table.id, partition_hash(pk), pk, sk, dump_item(item), size, expires),
        )
        self._count(table, None, 0 if old_size is not None else 1, size - (old_size or 0))

    def delete(self, table: Table, pk: bytes, sk: bytes, old_size: int) -> None:
        self.db.execute(
            "DELETE FROM ddb_items WHERE table_id = ? AND h = ? AND pk = ? AND sk = ?",
            (table.id, partition_hash(pk), pk, sk),
        )
        self._count(table, None, -1, -old_size)

    def put_index_entry(
        self,
        table: Table,
        index: str,
        ipk: bytes,
        isk: bytes,
        pk: bytes,
        sk: bytes,
        item: dict[str, Any],
        size: int,
    ) -> None:
        self.db.execute(
            "INSERT INTO ddb_index_items (table_id, index_name, h, ipk, isk, pk, sk, item, size) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (table.id, index, partition_hash(ipk), ipk, isk, pk, sk, dump_item(item), size),
        )
        self._count(table, index, 1, size)

    def has_index_entry(self, table: Table, index: str, ipk: bytes, isk: bytes, pk: bytes, sk: bytes) -> bool:
        row = self.db.one(
            "SELECT 1 FROM ddb_index_items WHERE table_id = ? AND index_name = ? AND h = ? AND ipk = ? "
            "AND isk = ? AND pk = ? AND sk = ?",
            (table.id, index, partition_hash(ipk), ipk, isk, pk, sk),
        )
        return row is not None

    def delete_index_entry(
        self, table: Table, index: str, ipk: bytes, isk: bytes, pk: bytes, sk: bytes, size: int
    ) -> None:
        cur = self.db.execute(
            "DELETE FROM ddb_index_items WHERE table_id = ? AND index_name = ? AND h = ? AND ipk = ? "
            "AND isk = ? AND pk = ? AND sk = ?",
            (table.id, index, partition_hash(ipk), ipk, isk, pk, sk),
        )
        if cur.rowcount:  # an item a running backfill has not reached yet has no entry
            self._count(table, index, -1, -size)

    def collection_size(self, table: Table, pk: bytes) -> int:
        """Bytes of an item collection: a partition's items and their local index entries."""
        h = partition_hash(pk)
        row = self.db.one(
            "SELECT COALESCE(SUM(size), 0) FROM ddb_items WHERE table_id = ? AND h = ? AND pk = ?",
            (table.id, h, pk),
        )
        size = int(row[0]) if row else 0
        for name, index in table.indexes.items():
            if index.local:
                row = self.db.one(
                    "SELECT COALESCE(SUM(size), 0) FROM ddb_index_items WHERE table_id = ? AND index_name = ? "
                    "AND h = ? AND ipk = ?",
                    (table.id, name, h, pk),
                )
                size += int(row[0]) if row else 0
        return size

    def query(
        self,
        table: Table,
        index: str | None,
        pk: bytes,
        low: tuple[bytes, bool] | None,
        high: tuple[bytes, bool] | None,
        forward: bool,
        after: tuple[bytes, ...] | None,
    ) -> Iterator[tuple[dict[str, Any], int]]:
        """Items of one partition in sort-key order, within [low, high] (bound, inclusive)."""
        if index is None:
            sql = "SELECT item, size FROM ddb_items WHERE table_id = ? AND h = ? AND pk = ?"
            args: list[Any] = [table.id, partition_hash(pk), pk]
            order_cols = ("sk",)
        else:
            sql = (
                "SELECT item, size FROM ddb_index_items WHERE table_id = ? AND index_name = ? AND h = ? "
                "AND ipk = ?"
            )
            args = [table.id, index, partition_hash(pk), pk]
            order_cols = ("isk", "pk", "sk")
        sort_col = order_cols[0]
        if low is not None:
            sql += f" AND {sort_col} {'>=' if low[1] else '>'} ?"
            args.append(low[0])
        if high is not None:
            sql += f" AND {sort_col} {'<=' if high[1] else '<'} ?"
            args.append(high[0])
        if after is not None:
            cols = ", ".join(order_cols)
            marks = ", ".join("?" * len(order_cols))
            sql += f" AND ({cols}) {'>' if forward else '<'} ({marks})"
            args.extend(after)
        direction = "" if forward else " DESC"
        sql += " ORDER BY " + ", ".join(c + direction for c in order_cols)
        yield from self._rows(sql, args)

    def scan(
        self, table: Table, index: str | None, h_range: tuple[int, int], after: tuple[Any, ...] | None
    ) -> Iterator[tuple[dict[str, Any], int]]:
        """Items in hash order with ``h`` in [low, high), after the key tuple ``after``."""
        if index is None:
            sql = "SELECT item, size FROM ddb_items WHERE table_id = ? AND h >= ? AND h < ?"
            args: list[Any] = [table.id, *h_range]
            order_cols: tuple[str, ...] = ("h", "pk", "sk")
        else:
            sql = (
                "SELECT item, size FROM ddb_index_items WHERE table_id = ? AND index_name = ? "
                "AND h >= ? AND h < ?"
            )
            args = [table.id, index, *h_range]
            order_cols = ("h", "ipk", "isk", "pk", "sk")
        if after is not None:
            sql += f" AND ({', '.join(order_cols)}) > ({', '.join('?' * len(order_cols))})"
            args.extend(after)
        sql += " ORDER BY " + ", ".join(order_cols)
        yield from self._rows(sql, args)

    def _rows(self, sql: str, args: list[Any]) -> Iterator[tuple[dict[str, Any], int]]:
        """Rows fetched in pages, so a scan of a large table never loads it whole."""
        cur = self.db.execute(sql, args)
        while True:
            rows = cur.fetchmany(256)
            if not rows:
                return
            for blob, size in rows:
                yield load_item(blob), size

    def next_expiry(self) -> float | None:
        """The earliest TTL expiry of any item."""
        row = self.db.one("SELECT MIN(expires) FROM ddb_items WHERE expires IS NOT NULL")
        return row[0] if row else None

    def expired(self, now: float, limit: int) -> list[tuple[int, bytes, bytes]]:
        """(table id, pk, sk) of items whose TTL passed, earliest first."""
        rows = self.db.all(
            "SELECT table_id, pk, sk FROM ddb_items WHERE expires IS NOT NULL AND expires <= ? "
            "ORDER BY expires LIMIT ?",
            (now, limit),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def table_by_id(self, table_id: int) -> Table | None:
        row = self.db.one("SELECT account, region, name FROM ddb_tables WHERE id = ?", (table_id,))
        return self.get_table(*row) if row else None

    def items_page(self, table: Table, after: tuple[Any, ...] | None, limit: int) -> list[tuple[Any, ...]]:
        """A page of (h, pk, sk, item, size) in scan order, for backfills and TTL changes."""
        sql = "SELECT h, pk, sk, item, size FROM ddb_items WHERE table_id = ?"
        args: list[Any] = [table.id]
        if after is not None:
            sql += " AND (h, pk, sk) > (?, ?, ?)"
            args.extend(after)
        sql += " ORDER BY h, pk, sk LIMIT ?"
        args.append(limit)
        return [tuple(r) for r in self.db.all(sql, args)]

    def set_expires(self, table: Table, h: int, pk: bytes, sk: bytes, expires: float | None) -> None:
        self.db.execute(
            "UPDATE ddb_items SET expires = ? WHERE table_id = ? AND h = ? AND pk = ? AND sk = ?",
            (expires, table.id, h, pk, sk),
        )

    # -- transactions --
    def transaction_token(self, account: str, region: str, token: str, now: float) -> str | None:
        """The digest of the request a still-valid ClientRequestToken was first used with."""
        self.db.execute("DELETE FROM ddb_transactions WHERE expires <= ?", (now,))
        row = self.db.one(
            "SELECT digest FROM ddb_transactions WHERE account = ? AND region = ? AND token = ?",
            (account, region, token),
        )
        return row[0] if row else None

    def remember_token(self, account: str, region: str, token: str, digest: str, expires: float) -> None:
        self.db.execute(
            "INSERT INTO ddb_transactions (account, region, token, digest, expires) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, token) DO UPDATE SET digest = excluded.digest, "
            "expires = excluded.expires",
            (account, region, token, digest, expires),
        )
