"""Timers on the service clock: persisted (survive a restart) or in memory.

A persisted timer is a row written in the caller's transaction, so it exists exactly when
the write that needs it was acknowledged. It is removed once its handler has run, so it
fires at least once across crashes: handlers must be idempotent. Handlers are registered per ``kind``; a kind is
``"<service>.<what>"`` and its service's provider is loaded on demand to handle it.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from cloudlet.core.background import BackgroundTask
from cloudlet.core.clock import Clock
from cloudlet.store.db import Store

log = logging.getLogger("cloudlet.scheduler")

Handler = Callable[[Any], Awaitable[None] | None]

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
    """
]


class Scheduler:
    """Fires due timers in (due, creation) order."""

    def __init__(self, clock: Clock, store: Store, resolve: Callable[[str], None] | None = None) -> None:
        self.clock = clock
        self.store = store
        self.resolve = resolve
        store.migrate("scheduler", MIGRATIONS)
        self.handlers: dict[str, Handler] = {}
        self._memory: list[tuple[float, int, Callable[[], Any]]] = []
        self._seq = itertools.count()
        self._lock = asyncio.Lock()
        self._wakeup = asyncio.Event()
        self._background = BackgroundTask(self._loop)
        clock.add_source(self)

    # -- registration --
    def register(self, kind: str, handler: Handler) -> None:
        self.handlers[kind] = handler

    # -- scheduling --
    def schedule(self, due: float, kind: str, payload: Any = None, key: str | None = None) -> int:
        """Persist a timer (inside the caller's transaction when there is one)."""
        cur = self.store.execute(
            "INSERT INTO timers (due, kind, timer_key, payload) VALUES (?, ?, ?, ?)",
            (due, kind, key, orjson.dumps(payload).decode()),
        )
        self._wakeup.set()
        return int(cur.lastrowid or 0)

    def cancel(self, key: str) -> None:
        self.store.execute("DELETE FROM timers WHERE timer_key = ?", (key,))

    def call_at(self, due: float, callback: Callable[[], Any]) -> None:
        """An in-memory timer (lost on restart): for waits that die with the process."""
        heapq.heappush(self._memory, (due, next(self._seq), callback))
        self._wakeup.set()

    def pending(self) -> int:
        row = self.store.one("SELECT COUNT(*) FROM timers")
        return int(row[0]) + len(self._memory) if row else len(self._memory)

    # -- firing --
    def next_due(self) -> float | None:
        row = self.store.one("SELECT MIN(due) FROM timers")
        candidates = [d for d in (row[0] if row else None, self._memory[0][0] if self._memory else None) if d]
        return min(candidates) if candidates else None

    async def run_due(self) -> int:
        """Fire everything due now, including timers that firing makes due; returns the count."""
        fired = 0
        async with self._lock:
            while True:
                now = self.clock.now()
                row = self.store.one(
                    "SELECT id, due, kind, payload FROM timers WHERE due <= ? ORDER BY due, id LIMIT 1",
                    (now,),
                )
                mem_due = self._memory[0][0] if self._memory and self._memory[0][0] <= now else None
                if row is None and mem_due is None:
                    return fired
                if mem_due is not None and (row is None or mem_due <= row["due"]):
                    _, _, callback = heapq.heappop(self._memory)
                    await self._call(callback)
                else:
                    # The row goes only after its handler ran: a crash in between fires it
                    # again after the restart (at least once; handlers are idempotent).
                    await self._fire(row["kind"], orjson.loads(row["payload"]))
                    self.store.execute("DELETE FROM timers WHERE id = ?", (row["id"],))
                fired += 1

    async def _fire(self, kind: str, payload: Any) -> None:
        handler = self.handlers.get(kind)
        if handler is None and self.resolve is not None:
            self.resolve(kind.split(".", 1)[0])
            handler = self.handlers.get(kind)
        if handler is None:
            log.warning("no handler for timer kind %s; dropped", kind)
            return
        await self._call(lambda: handler(payload))

    @staticmethod
    async def _call(callback: Callable[[], Any]) -> None:
        try:
            result = callback()
            if asyncio.iscoroutine(result):
                await result
        except Exception:
            log.exception("timer handler failed")

    async def _loop(self) -> None:
        while True:
            await self.run_due()
            self._wakeup.clear()
            await self.clock.wait(self._wakeup, self.next_due())

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    def clear(self) -> None:
        self._memory.clear()
