"""The store: SQLite in WAL mode on disk (default) or in memory, with schema versioning.

Each component keeps its SQL in its own store module and registers its migrations with
:meth:`Store.migrate`; statements stay within what SQLite and PostgreSQL both accept.
Every acknowledged write is committed before the response (``synchronous=NORMAL`` in WAL
mode: a committed transaction survives a killed process).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cloudlet.config import private_dir, private_file

_META = """
CREATE TABLE IF NOT EXISTS schema_versions (component TEXT PRIMARY KEY, version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_KEEP_ON_RESET = {"schema_versions"}
_BACKSTOP_PAGES = 20000
_CHECKPOINT_SECONDS = 1.0
_WAL_KEEP_BYTES = 8 * 1024 * 1024


class Store:
    """One SQLite connection used from the event loop thread."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = str(path) if path else ":memory:"
        if self.path != ":memory:":
            _private(Path(self.path))
        self.conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self.conn.row_factory = sqlite3.Row
        if self.path != ":memory:":
            self.conn.execute("PRAGMA journal_mode=WAL")
            self.conn.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints (the only fsyncs in WAL mode with synchronous=NORMAL) run on a
            # thread of their own; the connection serving requests checkpoints only as a
            # backstop, should the WAL grow past ~80 MB.
            self.conn.execute(f"PRAGMA wal_autocheckpoint={_BACKSTOP_PAGES}")
            # A WAL that grew during a burst of writes shrinks back once checkpointed.
            self.conn.execute(f"PRAGMA journal_size_limit={_WAL_KEEP_BYTES}")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(_META)
        self._depth = 0
        self._lock = threading.RLock()
        # Called after a transaction rolls back, for caches kept beside the tables.
        self.rollback_hooks: list[Callable[[], None]] = []
        self._on_commit: list[Callable[[], None]] = []
        self._on_rollback: list[Callable[[], None]] = []
        self._checkpointer: _Checkpointer | None = None
        if self.path != ":memory:":
            self._checkpointer = _Checkpointer(self.path)
            self._checkpointer.start()

    @property
    def in_memory(self) -> bool:
        return self.path == ":memory:"

    # -- schema --
    def migrate(self, component: str, migrations: Sequence[str]) -> None:
        """Apply the migrations of ``component`` not yet applied (version = count applied)."""
        row = self.conn.execute(
            "SELECT version FROM schema_versions WHERE component = ?", (component,)
        ).fetchone()
        current = row[0] if row else 0
        if current > len(migrations):
            raise RuntimeError(
                f"store schema of {component} is version {current}, newer than this Cloudlet knows"
            )
        for version in range(current, len(migrations)):
            with self.transaction():
                for statement in filter(str.strip, migrations[version].split(";")):
                    self.conn.execute(statement)
                self.conn.execute(
                    "INSERT INTO schema_versions (component, version) VALUES (?, ?) "
                    "ON CONFLICT (component) DO UPDATE SET version = excluded.version",
                    (component, version + 1),
                )

    # -- transactions --
    def transaction(self) -> _Transaction:
        """A write transaction (a context manager); nested uses join the outer one."""
        return _Transaction(self)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    def execute_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run ``sql`` once per row of parameters (one prepared statement)."""
        self.conn.executemany(sql, rows)

    def after_commit(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` once the current transaction commits (at once outside one);
        dropped if it rolls back. For in-memory state that must only follow durable state."""
        if self._depth == 0:
            callback()
        else:
            self._on_commit.append(callback)

    def after_rollback(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` if the current transaction rolls back (nothing outside one): for
        in-memory state made along with writes that did not last."""
        if self._depth > 0:
            self._on_rollback.append(callback)

    def one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    # -- small key/value settings --
    def get_meta(self, name: str, default: str | None = None) -> str | None:
        row = self.one("SELECT value FROM meta WHERE name = ?", (name,))
        return row[0] if row else default

    def set_meta(self, name: str, value: str) -> None:
        with self.transaction():
            self.execute(
                "INSERT INTO meta (name, value) VALUES (?, ?) "
                "ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                (name, value),
            )

    # -- admin --
    def tables(self) -> list[str]:
        rows = self.all("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        return [r[0] for r in rows]

    def wipe(self) -> None:
        """Delete every row of every table but the schema versions."""
        with self.transaction():
            for table in self.tables():
                if table not in _KEEP_ON_RESET:
                    self.execute(f'DELETE FROM "{table}"')

    def close(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        self.conn.close()


def _private(path: Path) -> None:
    """The data directory and the database files, readable by their owner only (SQLite gives
    the WAL and shared-memory files it creates the database file's mode)."""
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm"):
        left = path.with_name(path.name + suffix)  # by an earlier run
        if left.exists():
            private_file(left)


class _Transaction:
    """``with store.transaction():`` (a class, not a generator: it runs on every write)."""

    __slots__ = ("store",)

    def __init__(self, store: Store) -> None:
        self.store = store

    def __enter__(self) -> sqlite3.Connection:
        store = self.store
        store._lock.acquire()
        if store._depth == 0:
            try:
                store.conn.execute("BEGIN IMMEDIATE")
            except BaseException:
                store._lock.release()
                raise
        store._depth += 1
        return store.conn

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        store = self.store
        committed: list[Callable[[], None]] = []
        try:
            store._depth -= 1
            if store._depth == 0:
                pending, store._on_commit = store._on_commit, []
                undone, store._on_rollback = store._on_rollback, []
                if exc_type is None:
                    store.conn.execute("COMMIT")
                    committed = pending
                else:
                    store.conn.execute("ROLLBACK")
                    for hook in (*store.rollback_hooks, *undone):
                        hook()
        finally:
            store._lock.release()
        for callback in committed:
            callback()


class _Checkpointer(threading.Thread):
    """Copies the WAL into the database file every second, off the event loop."""

    def __init__(self, path: str) -> None:
        super().__init__(name="cloudlet-checkpoint", daemon=True)
        self.path = path
        self._stop_event = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA busy_timeout=1000")
        conn.execute(f"PRAGMA journal_size_limit={_WAL_KEEP_BYTES}")
        try:
            while not self._stop_event.wait(_CHECKPOINT_SECONDS):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    pass  # busy: the next round catches up
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=5)
