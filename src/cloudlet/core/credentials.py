"""Credentials Cloudlet knows: those it issued (STS: account, principal and secret of each
access key) and those configured for it (``--credentials``: secrets only), which is what
signature checks (gateway/signatures.py) ask of an access key."""

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


def parse_credential_list(text: str) -> dict[str, str]:
    """``KEY:SECRET,KEY2:SECRET2`` (the ``--credentials`` setting) as a dict; empty: none."""
    pairs: dict[str, str] = {}
    for n, item in enumerate(text.split(","), 1):
        item = item.strip()
        if not item:
            continue
        key, sep, secret = item.partition(":")
        if not sep or not key.strip() or not secret:  # the entry itself is not echoed: it may be a secret
            raise ValueError(f"credentials must be KEY:SECRET pairs separated by commas (entry {n} is not)")
        pairs[key.strip()] = secret
    return pairs


_CACHE_LIMIT = 10000
_NEVER = 253402300799.0  # 9999-12-31T23:59:59Z: long-term keys do not expire


class CredentialStore:
    """Issued keys, persisted, with in-memory caches for the gateway's lookups (found and
    not found alike, so a request signed with a key Cloudlet never issued costs a dict lookup
    after the first); configured secrets besides."""

    def __init__(self, store: Store) -> None:
        self.store = store
        store.migrate("credentials", MIGRATIONS)
        self._cache: dict[str, Principal | None] = {}
        self._secrets: dict[str, str | None] = {}
        self._configured: dict[str, str] = {}
        self.verify_all = False  # --verify-signatures: keys without a known secret are refused

    def configure(self, secrets: dict[str, str], verify_all: bool = False) -> None:
        """The configured ``access key -> secret`` pairs (they outlive resets) and the mode."""
        self._configured = dict(secrets)
        self.verify_all = verify_all

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
        self._secrets[access_key] = secret_key

    def register_long_term(
        self, access_key: str, secret_key: str, account: str, arn: str, user_id: str
    ) -> None:
        """An IAM user's access key: known like issued keys, without a session or an expiry."""
        self.issue(access_key, secret_key, "", account, arn, user_id, _NEVER)

    def revoke(self, access_key: str) -> None:
        """Forget ``access_key`` (an IAM access key deleted or made inactive)."""
        self.store.execute("DELETE FROM issued_credentials WHERE access_key = ?", (access_key,))
        self._cache.pop(access_key, None)
        self._secrets.pop(access_key, None)

    def secret(self, access_key: str) -> str | None:
        """The secret of ``access_key`` if Cloudlet knows it (configured, or issued by STS)."""
        configured = self._configured.get(access_key)
        if configured is not None:
            return configured
        try:
            return self._secrets[access_key]
        except KeyError:
            pass
        row = self.store.one("SELECT secret_key FROM issued_credentials WHERE access_key = ?", (access_key,))
        if len(self._secrets) > _CACHE_LIMIT:
            self._secrets.clear()
        secret = self._secrets[access_key] = str(row[0]) if row else None
        return secret

    def lookup(self, access_key: str) -> Principal | None:
        if access_key in self._cache:
            return self._cache[access_key]
        row = self.store.one(
            "SELECT account, arn, user_id FROM issued_credentials WHERE access_key = ?", (access_key,)
        )
        principal = Principal(access_key, row[0], row[1], row[2]) if row else None
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[access_key] = principal
        return principal

    def count(self) -> int:
        row = self.store.one("SELECT COUNT(*) FROM issued_credentials")
        return int(row[0]) if row else 0

    def clear_cache(self) -> None:
        self._cache.clear()
        self._secrets.clear()
