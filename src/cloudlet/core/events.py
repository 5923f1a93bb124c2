"""The internal event channel between services: durable, at-least-once, in order per topic.

A producer publishes inside its own write transaction (an S3 object event, a DynamoDB
stream record, ...); the row stays until every consumer subscribed to that topic has
handled it, so an event acknowledged before a crash is delivered after the restart.
Consumers are named (``"events"``, ``"lambda"``) and declared up front with the topic
prefixes they take, so events wait for a consumer whose provider is not loaded yet.
A failing consumer is retried with exponential backoff; the others are not held up.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from cloudlet.core.clock import Clock
from cloudlet.store.db import Store

log = logging.getLogger("cloudlet.events")

Handler = Callable[[str, Any], Awaitable[None] | None]

MIGRATIONS = [
    """
    CREATE TABLE channel_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        consumer TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        created REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL
    );
    CREATE INDEX channel_deliveries_next ON channel_deliveries (next_attempt, id)
    """
]

MAX_BACKOFF = 300.0


class EventChannel:
    """Fan-out of published events to named consumers, persisted until handled."""

    def __init__(self, clock: Clock, store: Store, resolve: Callable[[str], None] | None = None) -> None:
        self.clock = clock
        self.store = store
        self.resolve = resolve
        store.migrate("events", MIGRATIONS)
        self.routes: dict[str, tuple[str, ...]] = {}  # consumer -> topic prefixes
        self.handlers: dict[str, Handler] = {}
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        clock.on_advance(self.drain)

    def declare(self, consumer: str, prefixes: tuple[str, ...]) -> None:
        """Say which topics ``consumer`` takes (before its handler exists)."""
        self.routes[consumer] = prefixes

    def subscribe(self, consumer: str, handler: Handler) -> None:
        self.handlers[consumer] = handler
        self._wakeup.set()

    def consumers_of(self, topic: str) -> list[str]:
        return [c for c, prefixes in self.routes.items() if any(topic.startswith(p) for p in prefixes)]

    def publish(self, topic: str, payload: Any) -> int:
        """Record the event for each consumer of ``topic``; returns how many take it."""
        consumers = self.consumers_of(topic)
        if not consumers:
            return 0
        now = self.clock.now()
        data = orjson.dumps(payload).decode()
        with self.store.transaction():
            for consumer in consumers:
                self.store.execute(
                    "INSERT INTO channel_deliveries (consumer, topic, payload, created, next_attempt) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (consumer, topic, data, now, now),
                )
        self._wakeup.set()
        return len(consumers)

    def pending(self, consumer: str | None = None) -> int:
        if consumer is None:
            row = self.store.one("SELECT COUNT(*) FROM channel_deliveries")
        else:
            row = self.store.one("SELECT COUNT(*) FROM channel_deliveries WHERE consumer = ?", (consumer,))
        return int(row[0]) if row else 0

    async def drain(self) -> int:
        """Deliver everything that is due; returns the number handled."""
        handled = 0
        blocked: set[str] = set()  # keep per-consumer order: stop a consumer at its first failure
        while True:
            rows = self.store.all(
                "SELECT id, consumer, topic, payload, attempts FROM channel_deliveries "
                "WHERE next_attempt <= ? ORDER BY id LIMIT 100",
                (self.clock.now(),),
            )
            rows = [r for r in rows if r["consumer"] not in blocked]
            if not rows:
                return handled
            progressed = False
            for row in rows:
                consumer = row["consumer"]
                if consumer in blocked:
                    continue
                handler = self._handler(consumer)
                if handler is None:
                    blocked.add(consumer)
                    continue
                try:
                    result = handler(row["topic"], orjson.loads(row["payload"]))
                    if asyncio.iscoroutine(result):
                        await result
                except Exception:
                    log.exception("consumer %s failed on %s", consumer, row["topic"])
                    attempts = row["attempts"] + 1
                    delay = min(MAX_BACKOFF, 0.5 * 2 ** (attempts - 1))
                    self.store.execute(
                        "UPDATE channel_deliveries SET attempts = ?, next_attempt = ? WHERE id = ?",
                        (attempts, self.clock.now() + delay, row["id"]),
                    )
                    blocked.add(consumer)
                    continue
                self.store.execute("DELETE FROM channel_deliveries WHERE id = ?", (row["id"],))
                handled += 1
                progressed = True
            if not progressed:
                return handled

    def _handler(self, consumer: str) -> Handler | None:
        handler = self.handlers.get(consumer)
        if handler is None and self.resolve is not None:
            self.resolve(consumer)
            handler = self.handlers.get(consumer)
        return handler

    def _next_attempt(self) -> float | None:
        row = self.store.one("SELECT MIN(next_attempt) FROM channel_deliveries")
        return row[0] if row and row[0] is not None else None

    async def _loop(self) -> None:
        while True:
            self._wakeup.clear()
            await self.drain()
            due = self._next_attempt()
            waits = [asyncio.ensure_future(self._wakeup.wait())]
            if due is not None:
                waits.append(asyncio.ensure_future(self.clock.sleep_until(due)))
            _, rest = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in rest:
                task.cancel()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
            self._task = None
