"""Timers on the service clock: deliveries of the delivery engine due at a given time.

A timer is written in the caller's transaction, so it exists exactly when the write that
needs it was acknowledged. Its handler runs as its own task when the clock reaches it; a
handler that raises is retried by the engine (backoff up to five minutes, for a day), and
the timer goes only after its handler ran, so it fires at least once across crashes:
handlers must be idempotent. Handlers are registered per ``kind``; a kind is
``"<service>.<what>"`` and its service's provider is loaded on demand to handle it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cloudlet.core.delivery import Attempt, Backoff, DeliveryEngine, Policy

Handler = Callable[[Any], Awaitable[None] | None]

# Timers written by earlier versions, moved into the delivery engine.
MIGRATIONS = [
    """
    CREATE TABLE timers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        due REAL NOT NULL,
        kind TEXT NOT NULL,
        timer_key TEXT,
        payload TEXT NOT NULL
    );
    CREATE INDEX timers_due ON timers (due, id);
    CREATE INDEX timers_key ON timers (timer_key)
    """,
    """
    INSERT INTO deliveries (target, payload, policy, cancel_key, created, due)
        SELECT kind, payload, '{"max_age":86400.0}', timer_key, due, due
        FROM timers ORDER BY due, id;
    DROP TABLE timers
    """,
]

TIMER_POLICY = Policy(max_age=86400.0, backoff=Backoff(base=1.0, factor=2.0, cap=300.0))


class Scheduler:
    """Persisted timers, fired in (due, creation) order by the delivery engine."""

    def __init__(self, engine: DeliveryEngine) -> None:
        self.engine = engine
        engine.store.migrate("scheduler", MIGRATIONS)

    def register(self, kind: str, handler: Handler) -> None:
        """Call ``handler(payload)`` for each timer of ``kind`` that falls due."""

        def fire(attempt: Attempt) -> Awaitable[None] | None:
            return handler(attempt.payload)

        self.engine.register(kind, fire)

    def schedule(self, due: float, kind: str, payload: Any = None, key: str | None = None) -> int:
        """Persist a timer (inside the caller's transaction when there is one); ``key`` cancels it."""
        return self.engine.enqueue(kind, payload, TIMER_POLICY, due=due, created=due, cancel_key=key)

    def cancel(self, key: str) -> None:
        self.engine.cancel(key)

    def pending(self) -> int:
        return self.engine.pending()
