"""Credentials Cloudlet knows: those it issued (STS: account, principal, secret, expiry and
session tags of each access key; IAM: users' long-term keys, remembered once deleted or made
inactive so they are refused) and those configured for it (``--credentials``: secrets only),
which is what signature checks (gateway/signatures.py) and the gateway's key check
(gateway/dispatch.py) ask of an access key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import orjson

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
    """,
    """
    ALTER TABLE issued_credentials ADD COLUMN session_tags TEXT;
    ALTER TABLE issued_credentials ADD COLUMN transitive_keys TEXT;
    ALTER TABLE issued_credentials ADD COLUMN revoked INTEGER NOT NULL DEFAULT 0
    """,
]


_NEVER = 253402300799.0  # 9999-12-31T23:59:59Z: long-term keys do not expire


@dataclass
class Principal:
    """Who signs with an access key Cloudlet knows, and until when."""

    access_key: str
    account: str
    arn: str
    user_id: str
    expiration: float = _NEVER
    source_identity: str | None = None
    tags: dict[str, str] = field(default_factory=dict)  # session tags, as given
    transitive: tuple[str, ...] = ()  # keys of the tags that pass on to chained sessions
    revoked: bool = False  # an IAM key deleted or made inactive: refused

    @property
    def temporary(self) -> bool:
        """Credentials STS issued (they expire), not an IAM user's long-term key."""
        return self.expiration < _NEVER

    @property
    def is_session(self) -> bool:
        """An assumed-role session (what assuming another role from makes role chaining)."""
        return ":assumed-role/" in self.arn


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
        self._uses: dict[str, tuple[float, str, str]] = {}
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
        tags: dict[str, str] | None = None,
        transitive: Sequence[str] = (),
    ) -> None:
        """Remember an access key (a key issued again, like a reactivated IAM key, replaces it)."""
        self.store.execute(
            "INSERT INTO issued_credentials (access_key, secret_key, session_token, account, arn, "
            "user_id, expiration, source_identity, session_tags, transitive_keys, revoked) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) ON CONFLICT (access_key) DO UPDATE SET "
            "secret_key = excluded.secret_key, session_token = excluded.session_token, "
            "account = excluded.account, arn = excluded.arn, user_id = excluded.user_id, "
            "expiration = excluded.expiration, source_identity = excluded.source_identity, "
            "session_tags = excluded.session_tags, transitive_keys = excluded.transitive_keys, revoked = 0",
            (
                access_key,
                secret_key,
                session_token,
                account,
                arn,
                user_id,
                expiration,
                source_identity,
                orjson.dumps(tags).decode() if tags else None,
                orjson.dumps(list(transitive)).decode() if transitive else None,
            ),
        )
        self._cache[access_key] = Principal(
            access_key,
            account,
            arn,
            user_id,
            expiration,
            source_identity,
            dict(tags or {}),
            tuple(transitive),
        )
        self._secrets[access_key] = secret_key

    def register_long_term(
        self, access_key: str, secret_key: str, account: str, arn: str, user_id: str
    ) -> None:
        """An IAM user's access key: known like issued keys, without a session or an expiry."""
        self.issue(access_key, secret_key, "", account, arn, user_id, _NEVER)

    def revoke(self, access_key: str) -> None:
        """Refuse ``access_key`` from now on (an IAM access key deleted or made inactive): it
        stays known, so a request signed with it is refused rather than taken for a dummy key."""
        self.store.execute("UPDATE issued_credentials SET revoked = 1 WHERE access_key = ?", (access_key,))
        self._cache.pop(access_key, None)

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

    def note_use(self, access_key: str, service: str, region: str, when: float) -> None:
        """A request signed with a long-term (IAM) key: its last use, kept in memory for
        GetAccessKeyLastUsed (AWS itself reports it within hours)."""
        self._uses[access_key] = (when, service, region)

    def last_use(self, access_key: str) -> tuple[float, str, str] | None:
        """(when, service, region) of the key's last use since the server started."""
        return self._uses.get(access_key)

    def lookup(self, access_key: str) -> Principal | None:
        if access_key in self._cache:
            return self._cache[access_key]
        row = self.store.one(
            "SELECT account, arn, user_id, expiration, source_identity, session_tags, transitive_keys, "
            "revoked FROM issued_credentials WHERE access_key = ?",
            (access_key,),
        )
        principal = None
        if row:
            tags = orjson.loads(row[5]) if row[5] else {}
            transitive = tuple(orjson.loads(row[6])) if row[6] else ()
            principal = Principal(
                access_key, row[0], row[1], row[2], float(row[3]), row[4], tags, transitive, bool(row[7])
            )
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        self._cache[access_key] = principal
        return principal

    def count(self) -> int:
        row = self.store.one("SELECT COUNT(*) FROM issued_credentials WHERE revoked = 0")
        return int(row[0]) if row else 0

    def clear_cache(self) -> None:
        self._cache.clear()
        self._secrets.clear()
