"""S3 metadata in the store: buckets and object versions (bodies are blobs on disk, see blobs.py).

Every object version is one row; ``latest`` marks the current version of a key (a delete
marker can be it). Keys compare as UTF-8 bytes (SQLite's binary collation), which is the
order S3 lists them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE s3_buckets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        created REAL NOT NULL,
        versioning TEXT,
        config TEXT NOT NULL
    );
    CREATE TABLE s3_objects (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        bucket_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        version_id TEXT NOT NULL,
        latest INTEGER NOT NULL,
        delete_marker INTEGER NOT NULL,
        blob_id TEXT,
        size INTEGER NOT NULL,
        etag TEXT,
        modified REAL NOT NULL,
        meta TEXT NOT NULL
    );
    CREATE INDEX s3_objects_latest ON s3_objects (bucket_id, latest, key);
    CREATE INDEX s3_objects_versions ON s3_objects (bucket_id, key, seq);
    CREATE TABLE s3_uploads (
        upload_id TEXT PRIMARY KEY,
        bucket_id INTEGER NOT NULL,
        key TEXT NOT NULL,
        initiated REAL NOT NULL,
        meta TEXT NOT NULL
    );
    CREATE INDEX s3_uploads_key ON s3_uploads (bucket_id, key, initiated);
    CREATE TABLE s3_parts (
        upload_id TEXT NOT NULL,
        part_number INTEGER NOT NULL,
        blob_id TEXT NOT NULL,
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        modified REAL NOT NULL,
        checksum TEXT,
        PRIMARY KEY (upload_id, part_number)
    )
    """,
    # Small bodies live in their row (see ``INLINE_MAX``): no file to create, rename and delete.
    "ALTER TABLE s3_objects ADD COLUMN body BLOB",
]

INLINE_MAX = 64 * 1024  # bodies up to this size are kept in the object row, not in a blob


@dataclass
class Bucket:
    id: int
    name: str
    account: str
    region: str
    created: float
    versioning: str | None  # None (never enabled), "Enabled" or "Suspended"
    config: dict[str, Any]


@dataclass
class ObjectRow:
    """One version of an object (or a delete marker)."""

    seq: int
    key: str
    version_id: str  # "null" for the version written while versioning was off or suspended
    latest: bool
    delete_marker: bool
    blob_id: str | None
    size: int
    etag: str | None
    modified: float
    meta: dict[str, Any]  # content headers, user metadata, checksums, tags, storage class
    body: bytes | None = None  # a small body kept in the row, when writing it (reads: ``S3Store.body``)

    @property
    def inline(self) -> bool:
        """Whether the body is kept in the row (no blob, not empty)."""
        return self.blob_id is None and self.size > 0


def _bucket(row: Any) -> Bucket:
    return Bucket(row[0], row[1], row[2], row[3], row[4], row[5], orjson.loads(row[6]))


def _object(row: Any) -> ObjectRow:
    return ObjectRow(
        row[0],
        row[1],
        row[2],
        bool(row[3]),
        bool(row[4]),
        row[5],
        row[6],
        row[7],
        row[8],
        orjson.loads(row[9]),
    )


_OBJECT_COLUMNS = "seq, key, version_id, latest, delete_marker, blob_id, size, etag, modified, meta"


class S3Store:
    """The SQL of S3."""

    def __init__(self, db: Store) -> None:
        self.db = db
        db.migrate("s3", MIGRATIONS)

    # -- buckets --
    def bucket(self, name: str) -> Bucket | None:
        row = self.db.one(
            "SELECT id, name, account, region, created, versioning, config FROM s3_buckets WHERE name = ?",
            (name,),
        )
        return _bucket(row) if row else None

    def buckets(self, account: str) -> list[Bucket]:
        rows = self.db.all(
            "SELECT id, name, account, region, created, versioning, config FROM s3_buckets WHERE account = ? "
            "ORDER BY name",
            (account,),
        )
        return [_bucket(r) for r in rows]

    def create_bucket(
        self, name: str, account: str, region: str, created: float, config: dict[str, Any]
    ) -> Bucket:
        cur = self.db.execute(
            "INSERT INTO s3_buckets (name, account, region, created, config) VALUES (?, ?, ?, ?, ?)",
            (name, account, region, created, orjson.dumps(config).decode()),
        )
        return Bucket(int(cur.lastrowid or 0), name, account, region, created, None, config)

    def save_bucket(self, bucket: Bucket) -> None:
        self.db.execute(
            "UPDATE s3_buckets SET versioning = ?, config = ? WHERE id = ?",
            (bucket.versioning, orjson.dumps(bucket.config).decode(), bucket.id),
        )

    def delete_bucket(self, bucket: Bucket) -> list[str]:
        """Delete a bucket and its multipart uploads in progress; the blob ids of their parts
        (to delete after commit)."""
        uploads = "SELECT upload_id FROM s3_uploads WHERE bucket_id = ?"
        rows = self.db.all(f"SELECT blob_id FROM s3_parts WHERE upload_id IN ({uploads})", (bucket.id,))
        self.db.execute(f"DELETE FROM s3_parts WHERE upload_id IN ({uploads})", (bucket.id,))
        self.db.execute("DELETE FROM s3_uploads WHERE bucket_id = ?", (bucket.id,))
        self.db.execute("DELETE FROM s3_buckets WHERE id = ?", (bucket.id,))
        return [r[0] for r in rows]

    def is_empty(self, bucket: Bucket) -> bool:
        """Whether a bucket holds no object version nor delete marker (uploads in progress do
        not count: DeleteBucket discards them)."""
        return self.db.one("SELECT 1 FROM s3_objects WHERE bucket_id = ? LIMIT 1", (bucket.id,)) is None

    def bucket_count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM s3_buckets")
        return int(row[0]) if row else 0

    # -- objects --
    def current(self, bucket: Bucket, key: str) -> ObjectRow | None:
        """The latest version of a key (possibly a delete marker)."""
        row = self.db.one(
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket_id = ? AND latest = 1 AND key = ?",
            (bucket.id, key),
        )
        return _object(row) if row else None

    def version(self, bucket: Bucket, key: str, version_id: str) -> ObjectRow | None:
        row = self.db.one(
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket_id = ? AND key = ? AND version_id = ?",
            (bucket.id, key, version_id),
        )
        return _object(row) if row else None

    def add_version(self, bucket: Bucket, row: ObjectRow) -> list[str]:
        """Make ``row`` the latest version of its key; blob ids no longer named (to delete after commit).

        A "null" version replaces the key's earlier null version, as S3 does.
        """
        freed = []
        if row.version_id == "null":
            old = self.version(bucket, row.key, "null")
            if old is not None:
                self.db.execute("DELETE FROM s3_objects WHERE seq = ?", (old.seq,))
                if old.blob_id:
                    freed.append(old.blob_id)
        self.db.execute(
            "UPDATE s3_objects SET latest = 0 WHERE bucket_id = ? AND latest = 1 AND key = ?",
            (bucket.id, row.key),
        )
        cur = self.db.execute(
            "INSERT INTO s3_objects (bucket_id, key, version_id, latest, delete_marker, blob_id, size, etag, "
            "modified, meta, body) VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
            (
                bucket.id,
                row.key,
                row.version_id,
                int(row.delete_marker),
                row.blob_id,
                row.size,
                row.etag,
                row.modified,
                orjson.dumps(row.meta).decode(),
                row.body,
            ),
        )
        row.seq, row.latest = int(cur.lastrowid or 0), True
        return freed

    def body(self, row: ObjectRow) -> bytes:
        """The body of an :attr:`ObjectRow.inline` version."""
        found = self.db.one("SELECT body FROM s3_objects WHERE seq = ?", (row.seq,))
        return bytes(found[0]) if found and found[0] is not None else b""

    def remove_version(self, bucket: Bucket, row: ObjectRow) -> None:
        """Delete one version; if it was the latest, the newest remaining one becomes latest."""
        self.db.execute("DELETE FROM s3_objects WHERE seq = ?", (row.seq,))
        if row.latest:
            newest = self.db.one(
                "SELECT seq FROM s3_objects WHERE bucket_id = ? AND key = ? ORDER BY seq DESC LIMIT 1",
                (bucket.id, row.key),
            )
            if newest is not None:
                self.db.execute("UPDATE s3_objects SET latest = 1 WHERE seq = ?", (newest[0],))

    def update_meta(self, row: ObjectRow) -> None:
        self.db.execute(
            "UPDATE s3_objects SET meta = ? WHERE seq = ?", (orjson.dumps(row.meta).decode(), row.seq)
        )

    def listing(self, bucket: Bucket, prefix: str, after: str, limit: int) -> list[ObjectRow]:
        """Latest versions that are not delete markers, keys after ``after`` starting with ``prefix``."""
        sql = (
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket_id = ? AND latest = 1 AND delete_marker = 0 "
            "AND key > ?"
        )
        args: list[Any] = [bucket.id, after]
        if prefix:
            sql += " AND key >= ? AND substr(key, 1, ?) = ?"
            args += [prefix, len(prefix), prefix]
        sql += " ORDER BY key LIMIT ?"
        args.append(limit)
        return [_object(r) for r in self.db.all(sql, args)]

    def versions(
        self, bucket: Bucket, prefix: str, after: tuple[str, int] | None, limit: int
    ) -> list[ObjectRow]:
        """Every version (and delete marker) by key, newest first within a key, after (key, seq)."""
        sql = f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket_id = ?"
        args: list[Any] = [bucket.id]
        if prefix:
            sql += " AND key >= ? AND substr(key, 1, ?) = ?"
            args += [prefix, len(prefix), prefix]
        if after is not None:
            sql += " AND (key > ? OR (key = ? AND seq < ?))"
            args += [after[0], after[0], after[1]]
        sql += " ORDER BY key, seq DESC LIMIT ?"
        args.append(limit)
        return [_object(r) for r in self.db.all(sql, args)]

    def lifecycle_buckets(self) -> list[Bucket]:
        """Buckets that have a lifecycle configuration."""
        rows = self.db.all(
            "SELECT id, name, account, region, created, versioning, config FROM s3_buckets "
            "WHERE config LIKE '%\"Lifecycle\"%'"
        )
        return [b for b in (_bucket(r) for r in rows) if b.config.get("Lifecycle")]

    def written_before(
        self,
        bucket: Bucket,
        prefix: str,
        before: float,
        limit: int,
        after: tuple[float, int] | None = None,
    ) -> list[ObjectRow]:
        """Current objects under ``prefix`` written by ``before``, oldest first, from past
        the ``(modified, seq)`` of the last row of the page before."""
        sql = (
            f"SELECT {_OBJECT_COLUMNS} FROM s3_objects WHERE bucket_id = ? AND latest = 1 AND delete_marker = 0 "
            "AND substr(key, 1, ?) = ? AND modified <= ?"
        )
        args: list[Any] = [bucket.id, len(prefix), prefix, before]
        if after is not None:
            sql += " AND (modified > ? OR (modified = ? AND seq > ?))"
            args += [after[0], after[0], after[1]]
        rows = self.db.all(sql + " ORDER BY modified, seq LIMIT ?", (*args, limit))
        return [_object(r) for r in rows]

    def blob_ids(self) -> set[str]:
        """Every blob a row names (for the start-up sweep of orphaned blobs)."""
        rows = self.db.all(
            "SELECT blob_id FROM s3_objects WHERE blob_id IS NOT NULL UNION SELECT blob_id FROM s3_parts"
        )
        return {r[0] for r in rows}

    # -- multipart uploads --
    def create_upload(
        self, upload_id: str, bucket: Bucket, key: str, now: float, meta: dict[str, Any]
    ) -> None:
        self.db.execute(
            "INSERT INTO s3_uploads (upload_id, bucket_id, key, initiated, meta) VALUES (?, ?, ?, ?, ?)",
            (upload_id, bucket.id, key, now, orjson.dumps(meta).decode()),
        )

    def upload(self, bucket: Bucket, key: str, upload_id: str) -> tuple[float, dict[str, Any]] | None:
        row = self.db.one(
            "SELECT initiated, meta FROM s3_uploads WHERE upload_id = ? AND bucket_id = ? AND key = ?",
            (upload_id, bucket.id, key),
        )
        return (row[0], orjson.loads(row[1])) if row else None

    def uploads(self, bucket: Bucket, prefix: str) -> list[tuple[str, str, float, dict[str, Any]]]:
        rows = self.db.all(
            "SELECT upload_id, key, initiated, meta FROM s3_uploads WHERE bucket_id = ? AND substr(key, 1, ?) = ? "
            "ORDER BY key, initiated, rowid",
            (bucket.id, len(prefix), prefix),
        )
        return [(r[0], r[1], r[2], orjson.loads(r[3])) for r in rows]

    def put_part(
        self,
        upload_id: str,
        number: int,
        blob_id: str,
        size: int,
        etag: str,
        now: float,
        checksum: str | None,
    ) -> str | None:
        """Store a part; the blob id of the part it replaces (to delete after commit)."""
        old = self.db.one(
            "SELECT blob_id FROM s3_parts WHERE upload_id = ? AND part_number = ?", (upload_id, number)
        )
        self.db.execute(
            "INSERT INTO s3_parts (upload_id, part_number, blob_id, size, etag, modified, checksum) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (upload_id, part_number) DO UPDATE SET "
            "blob_id = excluded.blob_id, size = excluded.size, etag = excluded.etag, "
            "modified = excluded.modified, checksum = excluded.checksum",
            (upload_id, number, blob_id, size, etag, now, checksum),
        )
        return old[0] if old else None

    def parts(self, upload_id: str) -> list[tuple[int, str, int, str, float, str | None]]:
        """(number, blob id, size, etag, modified, checksum) of an upload's parts, by number."""
        rows = self.db.all(
            "SELECT part_number, blob_id, size, etag, modified, checksum FROM s3_parts WHERE upload_id = ? "
            "ORDER BY part_number",
            (upload_id,),
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]

    def drop_upload(self, upload_id: str) -> None:
        self.db.execute("DELETE FROM s3_parts WHERE upload_id = ?", (upload_id,))
        self.db.execute("DELETE FROM s3_uploads WHERE upload_id = ?", (upload_id,))
