"""KMS state in the store: keys, their (wrapped) key material, aliases and grants.

Key material is never stored in the clear: each version is wrapped by the master key
(crypto.MasterKey) and kept as base64 text, which SQLite and PostgreSQL both take.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE kms_keys (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        key_id TEXT NOT NULL,
        arn TEXT NOT NULL,
        spec TEXT NOT NULL,
        usage TEXT NOT NULL,
        origin TEXT NOT NULL,
        manager TEXT NOT NULL,
        state TEXT NOT NULL,
        description TEXT NOT NULL,
        created REAL NOT NULL,
        deletion_date REAL,
        pending_days INTEGER,
        multi_region INTEGER NOT NULL,
        policy TEXT NOT NULL,
        tags TEXT NOT NULL,
        rotation_enabled INTEGER NOT NULL,
        rotation_period INTEGER,
        next_rotation REAL,
        current_material TEXT NOT NULL,
        on_demand_rotations INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (account, region, key_id)
    );
    CREATE TABLE kms_materials (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        key_id TEXT NOT NULL,
        material_id TEXT NOT NULL,
        wrapped TEXT NOT NULL,
        created REAL NOT NULL,
        rotation_type TEXT,
        PRIMARY KEY (account, region, key_id, material_id)
    );
    CREATE TABLE kms_aliases (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        key_id TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    CREATE INDEX kms_aliases_key ON kms_aliases (account, region, key_id);
    CREATE TABLE kms_grants (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        grant_id TEXT NOT NULL,
        key_id TEXT NOT NULL,
        name TEXT,
        token TEXT NOT NULL,
        grantee TEXT NOT NULL,
        retiring TEXT,
        operations TEXT NOT NULL,
        constraints TEXT,
        issuing_account TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (account, region, grant_id)
    );
    CREATE INDEX kms_grants_key ON kms_grants (account, region, key_id, created)
    """,
]


@dataclass
class Key:
    account: str
    region: str
    key_id: str
    arn: str
    spec: str
    usage: str
    origin: str
    manager: str
    state: str
    description: str
    created: float
    deletion_date: float | None
    pending_days: int | None
    multi_region: bool
    policy: str
    tags: list[dict[str, str]]
    rotation_enabled: bool
    rotation_period: int | None
    next_rotation: float | None
    current_material: str
    on_demand_rotations: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def symmetric(self) -> bool:
        return self.spec == "SYMMETRIC_DEFAULT"


_KEY_COLUMNS = (
    "account, region, key_id, arn, spec, usage, origin, manager, state, description, created, "
    "deletion_date, pending_days, multi_region, policy, tags, rotation_enabled, rotation_period, "
    "next_rotation, current_material, on_demand_rotations"
)


def _key(row: Any) -> Key:
    return Key(
        row["account"],
        row["region"],
        row["key_id"],
        row["arn"],
        row["spec"],
        row["usage"],
        row["origin"],
        row["manager"],
        row["state"],
        row["description"],
        row["created"],
        row["deletion_date"],
        row["pending_days"],
        bool(row["multi_region"]),
        row["policy"],
        orjson.loads(row["tags"]),
        bool(row["rotation_enabled"]),
        row["rotation_period"],
        row["next_rotation"],
        row["current_material"],
        row["on_demand_rotations"],
    )


@dataclass
class Alias:
    name: str
    key_id: str
    created: float
    updated: float


@dataclass
class Grant:
    grant_id: str
    key_id: str
    name: str | None
    token: str
    grantee: str
    retiring: str | None
    operations: list[str]
    constraints: dict[str, Any] | None
    issuing_account: str
    created: float


def _grant(row: Any) -> Grant:
    return Grant(
        row["grant_id"],
        row["key_id"],
        row["name"],
        row["token"],
        row["grantee"],
        row["retiring"],
        orjson.loads(row["operations"]),
        orjson.loads(row["constraints"]) if row["constraints"] else None,
        row["issuing_account"],
        row["created"],
    )


class KmsStore:
    """The SQL of KMS."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("kms", MIGRATIONS)

    # -- keys --
    def insert_key(self, key: Key) -> None:
        self.db.execute(
            f"INSERT INTO kms_keys ({_KEY_COLUMNS}) VALUES ({', '.join('?' * 21)})",
            (
                key.account,
                key.region,
                key.key_id,
                key.arn,
                key.spec,
                key.usage,
                key.origin,
                key.manager,
                key.state,
                key.description,
                key.created,
                key.deletion_date,
                key.pending_days,
                int(key.multi_region),
                key.policy,
                orjson.dumps(key.tags).decode(),
                int(key.rotation_enabled),
                key.rotation_period,
                key.next_rotation,
                key.current_material,
                key.on_demand_rotations,
            ),
        )

    def update_key(self, key: Key) -> None:
        self.db.execute(
            "UPDATE kms_keys SET state = ?, description = ?, deletion_date = ?, pending_days = ?, policy = ?, "
            "tags = ?, rotation_enabled = ?, rotation_period = ?, next_rotation = ?, current_material = ?, "
            "on_demand_rotations = ? WHERE account = ? AND region = ? AND key_id = ?",
            (
                key.state,
                key.description,
                key.deletion_date,
                key.pending_days,
                key.policy,
                orjson.dumps(key.tags).decode(),
                int(key.rotation_enabled),
                key.rotation_period,
                key.next_rotation,
                key.current_material,
                key.on_demand_rotations,
                key.account,
                key.region,
                key.key_id,
            ),
        )

    def get_key(self, account: str, region: str, key_id: str) -> Key | None:
        row = self.db.one(
            f"SELECT {_KEY_COLUMNS} FROM kms_keys WHERE account = ? AND region = ? AND key_id = ?",
            (account, region, key_id),
        )
        return _key(row) if row else None

    def list_keys(self, account: str, region: str) -> list[Key]:
        rows = self.db.all(
            f"SELECT {_KEY_COLUMNS} FROM kms_keys WHERE account = ? AND region = ? ORDER BY created, key_id",
            (account, region),
        )
        return [_key(r) for r in rows]

    def delete_key(self, account: str, region: str, key_id: str) -> None:
        where = "WHERE account = ? AND region = ? AND key_id = ?"
        args = (account, region, key_id)
        for table in ("kms_keys", "kms_materials", "kms_aliases", "kms_grants"):
            self.db.execute(f"DELETE FROM {table} {where}", args)

    def count_keys(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM kms_keys")
        return int(row[0]) if row else 0

    # -- material --
    def add_material(
        self, key: Key, material_id: str, wrapped: bytes, created: float, rotation_type: str | None
    ) -> None:
        self.db.execute(
            "INSERT INTO kms_materials (account, region, key_id, material_id, wrapped, created, rotation_type) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                key.account,
                key.region,
                key.key_id,
                material_id,
                base64.b64encode(wrapped).decode(),
                created,
                rotation_type,
            ),
        )

    def material(self, key: Key, material_id: str) -> bytes | None:
        row = self.db.one(
            "SELECT wrapped FROM kms_materials WHERE account = ? AND region = ? AND key_id = ? AND material_id = ?",
            (key.account, key.region, key.key_id, material_id),
        )
        return base64.b64decode(row[0]) if row else None

    def rotations(self, key: Key) -> list[tuple[str, float, str]]:
        """(material id, date, rotation type) of each rotation, oldest first."""
        rows = self.db.all(
            "SELECT material_id, created, rotation_type FROM kms_materials WHERE account = ? AND region = ? "
            "AND key_id = ? AND rotation_type IS NOT NULL ORDER BY created, material_id",
            (key.account, key.region, key.key_id),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # -- aliases --
    def get_alias(self, account: str, region: str, name: str) -> Alias | None:
        row = self.db.one(
            "SELECT name, key_id, created, updated FROM kms_aliases WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        return Alias(row[0], row[1], row[2], row[3]) if row else None

    def list_aliases(self, account: str, region: str, key_id: str | None = None) -> list[Alias]:
        sql = "SELECT name, key_id, created, updated FROM kms_aliases WHERE account = ? AND region = ?"
        args: tuple[Any, ...] = (account, region)
        if key_id is not None:
            sql += " AND key_id = ?"
            args += (key_id,)
        return [Alias(r[0], r[1], r[2], r[3]) for r in self.db.all(sql + " ORDER BY name", args)]

    def put_alias(self, account: str, region: str, name: str, key_id: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO kms_aliases (account, region, name, key_id, created, updated) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, name) DO UPDATE SET key_id = excluded.key_id, updated = excluded.updated",
            (account, region, name, key_id, now, now),
        )

    def delete_alias(self, account: str, region: str, name: str) -> None:
        self.db.execute(
            "DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?", (account, region, name)
        )

    # -- grants --
    def insert_grant(self, account: str, region: str, grant: Grant) -> None:
        self.db.execute(
            "INSERT INTO kms_grants (account, region, grant_id, key_id, name, token, grantee, retiring, operations, "
            "constraints, issuing_account, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                account,
                region,
                grant.grant_id,
                grant.key_id,
                grant.name,
                grant.token,
                grant.grantee,
                grant.retiring,
                orjson.dumps(grant.operations).decode(),
                orjson.dumps(grant.constraints).decode() if grant.constraints else None,
                grant.issuing_account,
                grant.created,
            ),
        )

    def grants(self, account: str, region: str, key_id: str | None = None) -> list[Grant]:
        sql = "SELECT * FROM kms_grants WHERE account = ? AND region = ?"
        args: tuple[Any, ...] = (account, region)
        if key_id is not None:
            sql += " AND key_id = ?"
            args += (key_id,)
        return [_grant(r) for r in self.db.all(sql + " ORDER BY created, grant_id", args)]

    def grant_by_token(self, token: str) -> tuple[str, str, Grant] | None:
        row = self.db.one("SELECT * FROM kms_grants WHERE token = ?", (token,))
        return (row["account"], row["region"], _grant(row)) if row else None

    def delete_grant(self, account: str, region: str, grant_id: str) -> None:
        self.db.execute(
            "DELETE FROM kms_grants WHERE account = ? AND region = ? AND grant_id = ?",
            (account, region, grant_id),
        )
