"""IAM state in the store. IAM is global per account: nothing here has a region.

Entities (users, groups, roles, customer managed policies, instance profiles, OIDC
providers) are rows of one table keyed by (account, kind, key) with their fields as JSON;
the key is the lower-cased name, since IAM names are unique regardless of case. Relations
(inline policies, attachments, group membership, policy versions, access keys, roles in
instance profiles) have tables of their own.
"""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE iam_entities (
        account TEXT NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (account, kind, key)
    );
    CREATE TABLE iam_inline_policies (
        account TEXT NOT NULL,
        owner_kind TEXT NOT NULL,
        owner_key TEXT NOT NULL,
        name TEXT NOT NULL,
        document TEXT NOT NULL,
        PRIMARY KEY (account, owner_kind, owner_key, name)
    );
    CREATE TABLE iam_attachments (
        account TEXT NOT NULL,
        owner_kind TEXT NOT NULL,
        owner_key TEXT NOT NULL,
        policy_arn TEXT NOT NULL,
        attached REAL NOT NULL,
        PRIMARY KEY (account, owner_kind, owner_key, policy_arn)
    );
    CREATE INDEX iam_attachments_policy ON iam_attachments (account, policy_arn);
    CREATE TABLE iam_group_members (
        account TEXT NOT NULL,
        group_key TEXT NOT NULL,
        user_key TEXT NOT NULL,
        added REAL NOT NULL,
        PRIMARY KEY (account, group_key, user_key)
    );
    CREATE TABLE iam_policy_versions (
        account TEXT NOT NULL,
        policy_key TEXT NOT NULL,
        version_id TEXT NOT NULL,
        document TEXT NOT NULL,
        created REAL NOT NULL,
        PRIMARY KEY (account, policy_key, version_id)
    );
    CREATE TABLE iam_access_keys (
        access_key TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        user_key TEXT NOT NULL,
        secret_key TEXT NOT NULL,
        status TEXT NOT NULL,
        created REAL NOT NULL,
        last_used REAL,
        last_service TEXT,
        last_region TEXT
    );
    CREATE INDEX iam_access_keys_user ON iam_access_keys (account, user_key);
    CREATE TABLE iam_profile_roles (
        account TEXT NOT NULL,
        profile_key TEXT NOT NULL,
        role_key TEXT NOT NULL,
        PRIMARY KEY (account, profile_key, role_key)
    )
    """
]


class IamStore:
    """Reads and writes of IAM rows; callers hold the transaction for multi-row changes."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("iam", MIGRATIONS)

    # -- entities --
    def get(self, account: str, kind: str, key: str) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT data FROM iam_entities WHERE account = ? AND kind = ? AND key = ?",
            (account, kind, key.lower()),
        )
        return orjson.loads(row[0]) if row else None

    def put(self, account: str, kind: str, key: str, data: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO iam_entities (account, kind, key, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, kind, key) DO UPDATE SET data = excluded.data",
            (account, kind, key.lower(), orjson.dumps(data).decode()),
        )

    def delete(self, account: str, kind: str, key: str) -> None:
        self.db.execute(
            "DELETE FROM iam_entities WHERE account = ? AND kind = ? AND key = ?",
            (account, kind, key.lower()),
        )

    def all(self, account: str, kind: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT data FROM iam_entities WHERE account = ? AND kind = ? ORDER BY key", (account, kind)
        )
        return [orjson.loads(r[0]) for r in rows]

    def count(self, kind: str) -> int:
        row = self.db.one("SELECT COUNT(*) FROM iam_entities WHERE kind = ?", (kind,))
        return int(row[0]) if row else 0

    # -- inline policies --
    def inline(self, account: str, owner_kind: str, owner_key: str) -> dict[str, str]:
        rows = self.db.all(
            "SELECT name, document FROM iam_inline_policies WHERE account = ? AND owner_kind = ? "
            "AND owner_key = ? ORDER BY name",
            (account, owner_kind, owner_key.lower()),
        )
        return {r[0]: r[1] for r in rows}

    def put_inline(self, account: str, owner_kind: str, owner_key: str, name: str, document: str) -> None:
        self.db.execute(
            "INSERT INTO iam_inline_policies (account, owner_kind, owner_key, name, document) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, owner_kind, owner_key, name) "
            "DO UPDATE SET document = excluded.document",
            (account, owner_kind, owner_key.lower(), name, document),
        )

    def delete_inline(self, account: str, owner_kind: str, owner_key: str, name: str | None = None) -> int:
        sql = "DELETE FROM iam_inline_policies WHERE account = ? AND owner_kind = ? AND owner_key = ?"
        args: tuple[str, ...] = (account, owner_kind, owner_key.lower())
        if name is not None:
            sql, args = sql + " AND name = ?", (*args, name)
        return self.db.execute(sql, args).rowcount

    # -- attachments --
    def attached(self, account: str, owner_kind: str, owner_key: str) -> list[str]:
        rows = self.db.all(
            "SELECT policy_arn FROM iam_attachments WHERE account = ? AND owner_kind = ? AND owner_key = ? "
            "ORDER BY attached, policy_arn",
            (account, owner_kind, owner_key.lower()),
        )
        return [r[0] for r in rows]

    def attach(self, account: str, owner_kind: str, owner_key: str, arn: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO iam_attachments (account, owner_kind, owner_key, policy_arn, attached) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, owner_kind, owner_key, policy_arn) DO NOTHING",
            (account, owner_kind, owner_key.lower(), arn, now),
        )

    def detach(self, account: str, owner_kind: str, owner_key: str, arn: str) -> int:
        return self.db.execute(
            "DELETE FROM iam_attachments WHERE account = ? AND owner_kind = ? AND owner_key = ? AND policy_arn = ?",
            (account, owner_kind, owner_key.lower(), arn),
        ).rowcount

    def attachments_of(self, account: str, arn: str) -> list[tuple[str, str]]:
        """(owner kind, owner key) of every entity ``arn`` is attached to."""
        rows = self.db.all(
            "SELECT owner_kind, owner_key FROM iam_attachments WHERE account = ? AND policy_arn = ? "
            "ORDER BY owner_kind, owner_key",
            (account, arn),
        )
        return [(r[0], r[1]) for r in rows]

    def attachment_counts(self, account: str) -> dict[str, int]:
        rows = self.db.all(
            "SELECT policy_arn, COUNT(*) FROM iam_attachments WHERE account = ? GROUP BY policy_arn",
            (account,),
        )
        return {r[0]: int(r[1]) for r in rows}

    # -- groups --
    def members(self, account: str, group_key: str) -> list[str]:
        rows = self.db.all(
            "SELECT user_key FROM iam_group_members WHERE account = ? AND group_key = ? ORDER BY user_key",
            (account, group_key.lower()),
        )
        return [r[0] for r in rows]

    def groups_of(self, account: str, user_key: str) -> list[str]:
        rows = self.db.all(
            "SELECT group_key FROM iam_group_members WHERE account = ? AND user_key = ? ORDER BY group_key",
            (account, user_key.lower()),
        )
        return [r[0] for r in rows]

    def add_member(self, account: str, group_key: str, user_key: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO iam_group_members (account, group_key, user_key, added) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (account, group_key, user_key) DO NOTHING",
            (account, group_key.lower(), user_key.lower(), now),
        )

    def remove_member(self, account: str, group_key: str, user_key: str) -> int:
        return self.db.execute(
            "DELETE FROM iam_group_members WHERE account = ? AND group_key = ? AND user_key = ?",
            (account, group_key.lower(), user_key.lower()),
        ).rowcount

    # -- policy versions --
    def versions(self, account: str, policy_key: str) -> list[tuple[str, str, float]]:
        """(version id, document, created), newest first."""
        rows = self.db.all(
            "SELECT version_id, document, created FROM iam_policy_versions WHERE account = ? AND policy_key = ?",
            (account, policy_key.lower()),
        )
        out = [(r[0], r[1], float(r[2])) for r in rows]
        return sorted(out, key=lambda v: int(v[0][1:]), reverse=True)

    def put_version(self, account: str, policy_key: str, version_id: str, document: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO iam_policy_versions (account, policy_key, version_id, document, created) "
            "VALUES (?, ?, ?, ?, ?)",
            (account, policy_key.lower(), version_id, document, now),
        )

    def delete_versions(self, account: str, policy_key: str, version_id: str | None = None) -> int:
        sql = "DELETE FROM iam_policy_versions WHERE account = ? AND policy_key = ?"
        args: tuple[str, ...] = (account, policy_key.lower())
        if version_id is not None:
            sql, args = sql + " AND version_id = ?", (*args, version_id)
        return self.db.execute(sql, args).rowcount

    # -- access keys --
    def access_keys(self, account: str, user_key: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT access_key, status, created FROM iam_access_keys WHERE account = ? AND user_key = ? "
            "ORDER BY created, access_key",
            (account, user_key.lower()),
        )
        return [{"AccessKeyId": r[0], "Status": r[1], "created": float(r[2])} for r in rows]

    def access_key(self, access_key: str) -> dict[str, Any] | None:
        row = self.db.one(
            "SELECT account, user_key, secret_key, status, created, last_used, last_service, last_region "
            "FROM iam_access_keys WHERE access_key = ?",
            (access_key,),
        )
        if row is None:
            return None
        keys = (
            "account",
            "user_key",
            "secret",
            "status",
            "created",
            "last_used",
            "last_service",
            "last_region",
        )
        return dict(zip(keys, tuple(row), strict=True))

    def put_access_key(self, access_key: str, account: str, user_key: str, secret: str, now: float) -> None:
        self.db.execute(
            "INSERT INTO iam_access_keys (access_key, account, user_key, secret_key, status, created) "
            "VALUES (?, ?, ?, ?, 'Active', ?)",
            (access_key, account, user_key.lower(), secret, now),
        )

    def set_access_key_status(self, access_key: str, status: str) -> None:
        self.db.execute("UPDATE iam_access_keys SET status = ? WHERE access_key = ?", (status, access_key))

    def delete_access_key(self, access_key: str) -> None:
        self.db.execute("DELETE FROM iam_access_keys WHERE access_key = ?", (access_key,))

    # -- instance profiles --
    def profile_roles(self, account: str, profile_key: str) -> list[str]:
        rows = self.db.all(
            "SELECT role_key FROM iam_profile_roles WHERE account = ? AND profile_key = ? ORDER BY role_key",
            (account, profile_key.lower()),
        )
        return [r[0] for r in rows]

    def profiles_of_role(self, account: str, role_key: str) -> list[str]:
        rows = self.db.all(
            "SELECT profile_key FROM iam_profile_roles WHERE account = ? AND role_key = ? ORDER BY profile_key",
            (account, role_key.lower()),
        )
        return [r[0] for r in rows]

    def add_profile_role(self, account: str, profile_key: str, role_key: str) -> None:
        self.db.execute(
            "INSERT INTO iam_profile_roles (account, profile_key, role_key) VALUES (?, ?, ?)",
            (account, profile_key.lower(), role_key.lower()),
        )

    def remove_profile_role(self, account: str, profile_key: str, role_key: str | None = None) -> int:
        sql = "DELETE FROM iam_profile_roles WHERE account = ? AND profile_key = ?"
        args: tuple[str, ...] = (account, profile_key.lower())
        if role_key is not None:
            sql, args = sql + " AND role_key = ?", (*args, role_key.lower())
        return self.db.execute(sql, args).rowcount
