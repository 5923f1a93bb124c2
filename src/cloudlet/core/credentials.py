"""Credentials Cloudlet issued (STS): which account and principal an access key belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE issued_credentials (
        access_key TEXT PRIMARY KEY,
        secret_key TEXT NOT NULL,
        session_token TEXT NOT NULL,
        account TEXT NOT NULL,
        arn TEXT NOT NULL,
        user_id TEXT NOT NULL,
        expiration REAL NOT NULL,
        source_identity TEXT
    )
    """
]


@dataclass
class Principal:
    access_key: str
    account: str
    arn: str
    user_id: str


class CredentialStore:
    """Issued keys, persisted, with an in-memory cache for the gateway's lookups."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("credentials", MIGRATIONS)
        self._cache: dict[str, Principal | None] = {}

    def issue(
        self,
        access_key: str,
        secret_key: str,
        session_token: str,
        account: str,
        arn: str,
        user_id: str,
        expiration: float,
        source_identity: str | None = None,
    ) -> None:
        self.store.execute(
            "INSERT INTO issued_credentials VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (access_key, secret_key, session_token, account, arn, user_id, expiration, source_identity),
        )
        self._cache[access_key] = Principal(access_key, account, arn, user_id)

    def lookup(self, access_key: str) -> Principal | None:
        if access_key in self._cache:
            return self._cache[access_key]
        row = self.store.one(
            "SELECT account, arn, user_id FROM issued_credentials WHERE access_key = ?", (access_key,)
        )
        principal = Principal(access_key, row[0], row[1], row[2]) if row else None
        if len(self._cache) > 10000:
            self._cache.clear()
        self._cache[access_key] = principal
        return principal

    def count(self) -> int:
        row = self.store.one("SELECT COUNT(*) FROM issued_credentials")
        return int(row[0]) if row else 0

    def clear_cache(self) -> None:
        self._cache.clear()
