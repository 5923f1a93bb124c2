"""S3 Control state: access points and Object Lambda access points, with their policies.

One table holds both kinds (``kind`` is ``ap`` or ``olap``: their names are separate namespaces,
as their ARNs are), the answer-shaped settings of each as a JSON document. SQL within what
SQLite and PostgreSQL both accept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE s3control_access_points (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        bucket TEXT,
        alias TEXT NOT NULL,
        doc TEXT NOT NULL,
        policy TEXT,
        created REAL NOT NULL,
        PRIMARY KEY (account, region, kind, name)
    );
    CREATE UNIQUE INDEX s3control_access_points_alias ON s3control_access_points (alias)
    """,
]

PLAIN = "ap"
OBJECT_LAMBDA = "olap"


@dataclass
class AccessPoint:
    """One access point (``kind`` PLAIN, with its ``bucket``) or Object Lambda access point."""

    account: str
    region: str
    kind: str
    name: str
    bucket: str | None
    alias: str
    doc: dict[str, Any]
    policy: str | None
    created: float


_COLUMNS = "account, region, kind, name, bucket, alias, doc, policy, created"


def _point(row: Any) -> AccessPoint:
    return AccessPoint(
        row["account"],
        row["region"],
        row["kind"],
        row["name"],
        row["bucket"],
        row["alias"],
        orjson.loads(row["doc"]),
        row["policy"],
        row["created"],
    )


class AccessPointStore:
    """The SQL of S3 Control."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("s3control", MIGRATIONS)

    # -- reads --
    def get(self, account: str, region: str, kind: str, name: str) -> AccessPoint | None:
        row = self.db.one(
            f"SELECT {_COLUMNS} FROM s3control_access_points "
            "WHERE account = ? AND region = ? AND kind = ? AND name = ?",
            (account, region, kind, name),
        )
        return _point(row) if row else None

    def by_alias(self, alias: str) -> AccessPoint | None:
        row = self.db.one(f"SELECT {_COLUMNS} FROM s3control_access_points WHERE alias = ?", (alias,))
        return _point(row) if row else None

    def page(
        self, account: str, region: str, kind: str, after: str, limit: int, bucket: str | None = None
    ) -> list[AccessPoint]:
        """Up to ``limit`` access points named after ``after``, by name (of ``bucket`` if given)."""
        sql = (
            f"SELECT {_COLUMNS} FROM s3control_access_points "
            "WHERE account = ? AND region = ? AND kind = ? AND name > ?"
        )
        args: list[Any] = [account, region, kind, after]
        if bucket is not None:
            sql += " AND bucket = ?"
            args.append(bucket)
        rows = self.db.all(sql + " ORDER BY name LIMIT ?", (*args, limit))
        return [_point(r) for r in rows]

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM s3control_access_points")
        return int(row[0]) if row else 0

    # -- writes (the caller holds the transaction) --
    def insert(self, point: AccessPoint) -> None:
        self.db.execute(
            f"INSERT INTO s3control_access_points ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                point.account,
                point.region,
                point.kind,
                point.name,
                point.bucket,
                point.alias,
                orjson.dumps(point.doc).decode(),
                point.policy,
                point.created,
            ),
        )

    def set_doc(self, point: AccessPoint, doc: dict[str, Any]) -> None:
        self.db.execute(
            "UPDATE s3control_access_points SET doc = ? "
            "WHERE account = ? AND region = ? AND kind = ? AND name = ?",
            (orjson.dumps(doc).decode(), point.account, point.region, point.kind, point.name),
        )

    def set_policy(self, point: AccessPoint, policy: str | None) -> None:
        self.db.execute(
            "UPDATE s3control_access_points SET policy = ? "
            "WHERE account = ? AND region = ? AND kind = ? AND name = ?",
            (policy, point.account, point.region, point.kind, point.name),
        )

    def delete(self, point: AccessPoint) -> None:
        self.db.execute(
            "DELETE FROM s3control_access_points WHERE account = ? AND region = ? AND kind = ? AND name = ?",
            (point.account, point.region, point.kind, point.name),
        )
