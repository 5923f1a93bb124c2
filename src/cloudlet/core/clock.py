"""Service time: real time plus an offset that tests move forward, never back.

Every service reads time here and waits here; :meth:`Clock.advance` moves the offset and
fires every timer that fell due, in order, before it returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from cloudlet.store.db import Store

_OFFSET_KEY = "clock.offset"


class Clock:
    """Real time plus a persisted, only-growing offset."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self.offset = float(store.get_meta(_OFFSET_KEY, "0") or 0) if store else 0.0
        self._changed: asyncio.Event | None = None
        self._on_advance: list[Callable[[], Awaitable[None]]] = []

    def now(self) -> float:
        """Seconds since the epoch, on the service clock."""
        return time.time() + self.offset

    def now_ms(self) -> int:
        return int(self.now() * 1000)

    def on_advance(self, callback: Callable[[], Awaitable[None]]) -> None:
        """Run ``callback`` (e.g. the scheduler firing due timers) after each advance."""
        self._on_advance.append(callback)

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def advance(self, seconds: float) -> None:
        """Move time forward and fire what fell due."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self.offset += seconds
        if self.store is not None:
            self.store.set_meta(_OFFSET_KEY, repr(self.offset))
        self._wake()
        for callback in self._on_advance:
            await callback()

    def _wake(self) -> None:
        event = self._event()
        event.set()
        self._changed = asyncio.Event()

    async def sleep_until(self, deadline: float) -> None:
        """Wait until the service clock reaches ``deadline`` (an advance wakes it early)."""
        while True:
            remaining = deadline - self.now()
            if remaining <= 0:
                return
            event = self._event()
            try:
                await asyncio.wait_for(event.wait(), timeout=remaining)
            except TimeoutError:
                pass

    async def sleep(self, seconds: float) -> None:
        await self.sleep_until(self.now() + seconds)

    def reset(self) -> None:
        """Back to real time (used by a full reset only)."""
        self.offset = 0.0
        if self.store is not None:
            self.store.set_meta(_OFFSET_KEY, "0")
        if self._changed is not None:
            self._wake()
