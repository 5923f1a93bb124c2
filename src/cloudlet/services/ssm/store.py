"""Parameter Store state: parameters, their versions (SecureString values only encrypted) and labels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE ssm_parameters (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        tier TEXT NOT NULL,
        tags TEXT NOT NULL,
        PRIMARY KEY (account, region, name)
    );
    CREATE TABLE ssm_versions (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        type TEXT NOT NULL,
        value TEXT NOT NULL,
        key_id TEXT,
        description TEXT,
        allowed_pattern TEXT,
        tier TEXT NOT NULL,
        data_type TEXT NOT NULL,
        policies TEXT,
        modified REAL NOT NULL,
        modified_user TEXT NOT NULL,
        PRIMARY KEY (account, region, name, version)
    );
    CREATE TABLE ssm_labels (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        label TEXT NOT NULL,
        version INTEGER NOT NULL,
        PRIMARY KEY (account, region, name, label)
    )
    """,
]

MAX_VERSIONS = 100


@dataclass
class Version:
    """One version of a parameter; ``value`` is the base64 KMS ciphertext of a SecureString."""

    account: str
    region: str
    name: str
    version: int
    type: str
    value: str
    key_id: str | None
    description: str | None
    allowed_pattern: str | None
    tier: str
    data_type: str
    policies: list[dict[str, Any]] | None
    modified: float
    modified_user: str
    labels: list[str] = field(default_factory=list)


_COLUMNS = (
    "account, region, name, version, type, value, key_id, description, allowed_pattern, tier, "
    "data_type, policies, modified, modified_user"
)


def _version(row: Any) -> Version:
    return Version(
        row["account"],
        row["region"],
        row["name"],
        row["version"],
        row["type"],
        row["value"],
        row["key_id"],
        row["description"],
        row["allowed_pattern"],
        row["tier"],
        row["data_type"],
        orjson.loads(row["policies"]) if row["policies"] else None,
        row["modified"],
        row["modified_user"],
    )


def _latest_sql(where: str) -> str:
    return (
        f"SELECT v.* FROM ssm_parameters p JOIN ssm_versions v ON v.account = p.account AND "
        f"v.region = p.region AND v.name = p.name AND v.version = p.version WHERE {where}"
    )


class SsmStore:
    """The SQL of Parameter Store (within what SQLite and PostgreSQL both accept)."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("ssm", MIGRATIONS)

    # -- reads --
    def latest(self, account: str, region: str, name: str) -> Version | None:
        row = self.db.one(
            _latest_sql("p.account = ? AND p.region = ? AND p.name = ?"), (account, region, name)
        )
        return _version(row) if row else None

    def version(self, account: str, region: str, name: str, version: int) -> Version | None:
        row = self.db.one(
            f"SELECT {_COLUMNS} FROM ssm_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
            (account, region, name, version),
        )
        return _version(row) if row else None

    def versions(self, account: str, region: str, name: str) -> list[Version]:
        rows = self.db.all(
            f"SELECT {_COLUMNS} FROM ssm_versions WHERE account = ? AND region = ? AND name = ? ORDER BY version",
            (account, region, name),
        )
        return [_version(r) for r in rows]

    def labels(self, account: str, region: str, name: str) -> dict[str, int]:
        """label -> version."""
        rows = self.db.all(
            "SELECT label, version FROM ssm_labels WHERE account = ? AND region = ? AND name = ? ORDER BY label",
            (account, region, name),
        )
        return {r["label"]: r["version"] for r in rows}

    def listing(self, account: str, region: str, prefix: str = "") -> list[Version]:
        """Latest versions of every parameter whose name starts with ``prefix``, by name."""
        if prefix:
            rows = self.db.all(
                _latest_sql("p.account = ? AND p.region = ? AND p.name >= ? AND p.name < ?")
                + " ORDER BY p.name",
                (account, region, prefix, prefix + "\U0010ffff"),
            )
        else:
            rows = self.db.all(
                _latest_sql("p.account = ? AND p.region = ?") + " ORDER BY p.name", (account, region)
            )
        return [_version(r) for r in rows if r["name"].startswith(prefix)]

    def tags(self, account: str, region: str, name: str) -> dict[str, str] | None:
        row = self.db.one(
            "SELECT tags FROM ssm_parameters WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        return orjson.loads(row["tags"]) if row else None

    def all_tags(self, account: str, region: str) -> dict[str, dict[str, str]]:
        rows = self.db.all(
            "SELECT name, tags FROM ssm_parameters WHERE account = ? AND region = ?", (account, region)
        )
        return {r["name"]: orjson.loads(r["tags"]) for r in rows}

    def count(self, account: str, region: str, tier: str) -> int:
        row = self.db.one(
            "SELECT COUNT(*) FROM ssm_parameters WHERE account = ? AND region = ? AND tier = ?",
            (account, region, tier),
        )
        return int(row[0]) if row else 0

    def total(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM ssm_parameters")
        return int(row[0]) if row else 0

    # -- writes (the caller holds the transaction) --
    def put(self, v: Version, tags: dict[str, str] | None) -> None:
        """Add version ``v`` (the parameter's newest); ``tags`` only when creating it."""
        self.db.execute(
            f"INSERT INTO ssm_versions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                v.account,
                v.region,
                v.name,
                v.version,
                v.type,
                v.value,
                v.key_id,
                v.description,
                v.allowed_pattern,
                v.tier,
                v.data_type,
                orjson.dumps(v.policies).decode() if v.policies is not None else None,
                v.modified,
                v.modified_user,
            ),
        )
        if tags is not None:
            self.db.execute(
                "INSERT INTO ssm_parameters (account, region, name, version, tier, tags) VALUES (?, ?, ?, ?, ?, ?)",
                (v.account, v.region, v.name, v.version, v.tier, orjson.dumps(tags).decode()),
            )
        else:
            self.db.execute(
                "UPDATE ssm_parameters SET version = ?, tier = ? WHERE account = ? AND region = ? AND name = ?",
                (v.version, v.tier, v.account, v.region, v.name),
            )

    def drop_version(self, account: str, region: str, name: str, version: int) -> None:
        self.db.execute(
            "DELETE FROM ssm_versions WHERE account = ? AND region = ? AND name = ? AND version = ?",
            (account, region, name, version),
        )

    def delete(self, account: str, region: str, name: str) -> None:
        for table in ("ssm_versions", "ssm_labels", "ssm_parameters"):
            self.db.execute(
                f"DELETE FROM {table} WHERE account = ? AND region = ? AND name = ?", (account, region, name)
            )

    def set_label(self, account: str, region: str, name: str, label: str, version: int) -> None:
        self.db.execute(
            "INSERT INTO ssm_labels (account, region, name, label, version) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (account, region, name, label) DO UPDATE SET version = excluded.version",
            (account, region, name, label, version),
        )

    def remove_label(self, account: str, region: str, name: str, label: str) -> None:
        self.db.execute(
            "DELETE FROM ssm_labels WHERE account = ? AND region = ? AND name = ? AND label = ?",
            (account, region, name, label),
        )

    def set_tags(self, account: str, region: str, name: str, tags: dict[str, str]) -> None:
        self.db.execute(
            "UPDATE ssm_parameters SET tags = ? WHERE account = ? AND region = ? AND name = ?",
            (orjson.dumps(tags).decode(), account, region, name),
        )
