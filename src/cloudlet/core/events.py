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

from cloudlet.core.background import BackgroundTask
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

# Events AWS services put on an account's EventBridge bus (S3 "Object Created", ...): topic
# ``events.bus.<source>``, payload :func:`bus_event`. EventBridge consumes the prefix.
BUS_TOPIC = "events.bus."


def bus_event(account: str, region: str, event: dict[str, Any], bus: str = "default") -> dict[str, Any]:
    """The payload handing ``event`` (EventBridge's whole envelope) to ``bus`` of an account."""
    return {"account": account, "region": region, "bus": bus, "event": event}


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
        self._background = BackgroundTask(self._loop)
        clock.add_source(self)

    def declare(self, consumer: str, prefixes: tuple[str, ...]) -> None:
        """Say which topics ``consumer`` takes (before its handler exists)."""
        self.routes[consumer] = prefixes

    def subscribe(self, consumer: str, handler: Handler) -> None:
        self.handlers[consumer] = handler
        self._wakeup.set()

    def consumers_of(self, topic: str) -> list[str]:
        return [c for c, prefixes in self.routes.items() if any(topic.startswith(p) for p in prefixes)]

    def put_on_bus(self, account: str, region: str, event: dict[str, Any], bus: str = "default") -> int:
        """Publish an AWS service's event for EventBridge (see :data:`BUS_TOPIC`)."""
        return self.publish(BUS_TOPIC + event["source"], bus_event(account, region, event, bus))

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

    async def run_due(self) -> int:
        return await self.drain()

    async def drain(self) -> int:
        """Deliver everything that is due, in order per consumer; returns the number handled.

        A consumer whose oldest event is waiting for a retry gets nothing newer meanwhile.
        """
        handled = 0
        while True:
            now = self.clock.now()
            rows = self.store.all(
                "SELECT id, consumer, topic, payload, attempts, next_attempt FROM channel_deliveries "
                "ORDER BY id LIMIT 200"
            )
            blocked: set[str] = set()
            progressed = False
            for row in rows:
                consumer = row["consumer"]
                if consumer in blocked:
                    continue
                handler = self._handler(consumer) if row["next_attempt"] <= now else None
                if handler is None:
                    blocked.add(consumer)
                    continue
                if await self._deliver(handler, row):
                    handled += 1
                    progressed = True
                else:
                    blocked.add(consumer)
            if not progressed:
                return handled

    async def _deliver(self, handler: Handler, row) -> bool:
        try:
            result = handler(row["topic"], orjson.loads(row["payload"]))
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.exception("consumer %s failed on %s", row["consumer"], row["topic"])
            attempts = row["attempts"] + 1
            delay = min(MAX_BACKOFF, 0.5 * 2 ** (attempts - 1))
            self.store.execute(
                "UPDATE channel_deliveries SET attempts = ?, next_attempt = ? WHERE id = ?",
                (attempts, self.clock.now() + delay, row["id"]),
            )
            return False
        self.store.execute("DELETE FROM channel_deliveries WHERE id = ?", (row["id"],))
        return True

    def _handler(self, consumer: str) -> Handler | None:
        handler = self.handlers.get(consumer)
        if handler is None and self.resolve is not None:
            self.resolve(consumer)
            handler = self.handlers.get(consumer)
        return handler

    def next_due(self) -> float | None:
        # The head (oldest event) of each consumer that can take events decides.
        rows = self.store.all(
            "SELECT d.consumer, d.next_attempt FROM channel_deliveries d WHERE d.id = "
            "(SELECT MIN(h.id) FROM channel_deliveries h WHERE h.consumer = d.consumer)"
        )
        dues = [r["next_attempt"] for r in rows if self._handler(r["consumer"]) is not None]
        return min(dues, default=None)

    async def _loop(self) -> None:
        while True:
            self._wakeup.clear()
            await self.drain()
            await self.clock.wait(self._wakeup, self.next_due())

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
