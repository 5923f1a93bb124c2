"""Secrets Manager state in the store: secrets and their versions (values only encrypted).

A version's staging labels are kept as a JSON list on the version; the provider keeps each
label on one version of a secret at a time. Values are KMS ciphertext blobs, base64 text
(TEXT, so the SQL stays within what SQLite and PostgreSQL both accept).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE sm_secrets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        arn TEXT NOT NULL,
        description TEXT,
        kms_key_id TEXT,
        tags TEXT,
        policy TEXT,
        created REAL NOT NULL,
        last_changed REAL NOT NULL,
        last_accessed REAL,
        deleted REAL,
        deletion_date REAL,
        rotation TEXT NOT NULL,
        primary_region TEXT,
        replicas TEXT NOT NULL,
        UNIQUE (account, region, name)
    );
    CREATE INDEX sm_secrets_arn ON sm_secrets (arn);
    CREATE TABLE sm_versions (
        secret_id INTEGER NOT NULL,
        version_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        created REAL NOT NULL,
        last_accessed REAL,
        stages TEXT NOT NULL,
        kind TEXT NOT NULL,
        blob TEXT NOT NULL,
        key_arn TEXT NOT NULL,
        PRIMARY KEY (secret_id, version_id)
    );
    CREATE INDEX sm_versions_seq ON sm_versions (secret_id, seq)
    """,
    # the service that manages a secret (OwningService), None for customers' secrets
    "ALTER TABLE sm_secrets ADD COLUMN owning_service TEXT",
]


@dataclass
class Secret:
    """A secret's metadata (its versions are rows of their own)."""

    id: int
    account: str
    region: str
    name: str
    arn: str
    description: str | None
    kms_key_id: str | None
    tags: list[dict[str, str]] | None
    policy: str | None
    created: float
    last_changed: float
    last_accessed: float | None
    deleted: float | None
    deletion_date: float | None
    # RotationLambdaARN, RotationRules, RotationEnabled, LastRotatedDate, NextRotationDate,
    # and the rotation in progress ("Running": {"Token": ...}).
    rotation: dict[str, Any] = field(default_factory=dict)
    primary_region: str | None = None  # set on a replica: the region of its primary
    replicas: list[dict[str, Any]] = field(default_factory=list)  # on a primary
    owning_service: str | None = None  # a secret another service manages (managed.py)


@dataclass
class Version:
    secret_id: int
    version_id: str
    seq: int
    created: float
    last_accessed: float | None
    stages: list[str]
    kind: str  # "string" or "binary"
    blob: str  # base64 KMS ciphertext
    key_arn: str


def _secret(row: Any) -> Secret:
    return Secret(
        id=row["id"],
        account=row["account"],
        region=row["region"],
        name=row["name"],
        arn=row["arn"],
        description=row["description"],
        kms_key_id=row["kms_key_id"],
        tags=orjson.loads(row["tags"]) if row["tags"] is not None else None,
        policy=row["policy"],
        created=row["created"],
        last_changed=row["last_changed"],
        last_accessed=row["last_accessed"],
        deleted=row["deleted"],
        deletion_date=row["deletion_date"],
        rotation=orjson.loads(row["rotation"]),
        primary_region=row["primary_region"],
        replicas=orjson.loads(row["replicas"]),
        owning_service=row["owning_service"],
    )


def _version(row: Any) -> Version:
    return Version(
        secret_id=row["secret_id"],
        version_id=row["version_id"],
        seq=row["seq"],
        created=row["created"],
        last_accessed=row["last_accessed"],
        stages=orjson.loads(row["stages"]),
        kind=row["kind"],
        blob=row["blob"],
        key_arn=row["key_arn"],
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class SecretsStore:
    """The SQL of Secrets Manager."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("secretsmanager", MIGRATIONS)

    # -- secrets --
    def by_name(self, account: str, region: str, name: str) -> Secret | None:
        row = self.db.one(
            "SELECT * FROM sm_secrets WHERE account = ? AND region = ? AND name = ?", (account, region, name)
        )
        return _secret(row) if row else None

    def by_arn(self, arn: str) -> Secret | None:
        row = self.db.one("SELECT * FROM sm_secrets WHERE arn = ?", (arn,))
        return _secret(row) if row else None

    def by_id(self, secret_id: int) -> Secret | None:
        row = self.db.one("SELECT * FROM sm_secrets WHERE id = ?", (secret_id,))
        return _secret(row) if row else None

    def by_arn_prefix(self, account: str, region: str, prefix: str) -> list[Secret]:
        """Secrets whose ARN is ``prefix`` plus AWS's ``-`` and six characters."""
        rows = self.db.all(
            "SELECT * FROM sm_secrets WHERE account = ? AND region = ? AND arn >= ? AND arn < ?",
            (account, region, prefix, prefix + "\U0010ffff"),
        )
        return [_secret(r) for r in rows if len(r["arn"]) == len(prefix) + 7 and r["arn"][len(prefix)] == "-"]

    def list(self, account: str, region: str) -> list[Secret]:
        rows = self.db.all(
            "SELECT * FROM sm_secrets WHERE account = ? AND region = ? ORDER BY created, id",
            (account, region),
        )
        return [_secret(r) for r in rows]

    def insert(self, secret: Secret) -> Secret:
        cur = self.db.execute(
            "INSERT INTO sm_secrets (account, region, name, arn, description, kms_key_id, tags, policy, "
            "created, last_changed, last_accessed, deleted, deletion_date, rotation, primary_region, replicas, "
            "owning_service) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                secret.account,
                secret.region,
                secret.name,
                secret.arn,
                secret.description,
                secret.kms_key_id,
                _json(secret.tags) if secret.tags is not None else None,
                secret.policy,
                secret.created,
                secret.last_changed,
                secret.last_accessed,
                secret.deleted,
                secret.deletion_date,
                _json(secret.rotation),
                secret.primary_region,
                _json(secret.replicas),
                secret.owning_service,
            ),
        )
        secret.id = int(cur.lastrowid or 0)
        return secret

    def save(self, secret: Secret) -> None:
        self.db.execute(
            "UPDATE sm_secrets SET description = ?, kms_key_id = ?, tags = ?, policy = ?, last_changed = ?, "
            "last_accessed = ?, deleted = ?, deletion_date = ?, rotation = ?, primary_region = ?, replicas = ? "
            "WHERE id = ?",
            (
                secret.description,
                secret.kms_key_id,
                _json(secret.tags) if secret.tags is not None else None,
                secret.policy,
                secret.last_changed,
                secret.last_accessed,
                secret.deleted,
                secret.deletion_date,
                _json(secret.rotation),
                secret.primary_region,
                _json(secret.replicas),
                secret.id,
            ),
        )

    def delete(self, secret_id: int) -> None:
        self.db.execute("DELETE FROM sm_versions WHERE secret_id = ?", (secret_id,))
        self.db.execute("DELETE FROM sm_secrets WHERE id = ?", (secret_id,))

    def count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM sm_secrets")
        return int(row[0]) if row else 0

    # -- versions --
    def versions(self, secret_id: int) -> list[Version]:
        rows = self.db.all("SELECT * FROM sm_versions WHERE secret_id = ? ORDER BY seq", (secret_id,))
        return [_version(r) for r in rows]

    def version(self, secret_id: int, version_id: str) -> Version | None:
        row = self.db.one(
            "SELECT * FROM sm_versions WHERE secret_id = ? AND version_id = ?", (secret_id, version_id)
        )
        return _version(row) if row else None

    def add_version(self, version: Version) -> None:
        row = self.db.one("SELECT MAX(seq) FROM sm_versions WHERE secret_id = ?", (version.secret_id,))
        version.seq = int(row[0] or 0) + 1 if row else 1
        self.db.execute(
            "INSERT INTO sm_versions (secret_id, version_id, seq, created, last_accessed, stages, kind, blob, "
            "key_arn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                version.secret_id,
                version.version_id,
                version.seq,
                version.created,
                version.last_accessed,
                _json(version.stages),
                version.kind,
                version.blob,
                version.key_arn,
            ),
        )

    def set_stages(self, version: Version) -> None:
        self.db.execute(
            "UPDATE sm_versions SET stages = ? WHERE secret_id = ? AND version_id = ?",
            (_json(version.stages), version.secret_id, version.version_id),
        )

    def touch_version(self, version: Version, when: float) -> None:
        self.db.execute(
            "UPDATE sm_versions SET last_accessed = ? WHERE secret_id = ? AND version_id = ?",
            (when, version.secret_id, version.version_id),
        )

    def remove_version(self, secret_id: int, version_id: str) -> None:
        self.db.execute(
            "DELETE FROM sm_versions WHERE secret_id = ? AND version_id = ?", (secret_id, version_id)
        )
