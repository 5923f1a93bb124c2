"""Service time: real time plus an offset that tests move forward, never back.

Every service reads time here and waits here; :meth:`Clock.advance` moves the offset and
fires every timer that fell due, in order, before it returns.
"""

from __future__ import annotations

import asyncio
import time
from typing import Protocol

from cloudlet.store.db import Store

_OFFSET_KEY = "clock.offset"


class TimerSource(Protocol):
    """Something holding work due at clock times (the scheduler, the event channel)."""

    def next_due(self) -> float | None: ...

    async def run_due(self) -> int: ...


class Clock:
    """Real time plus a persisted, only-growing offset."""

    def __init__(self, store: Store | None = None) -> None:
        self.store = store
        self.offset = float(store.get_meta(_OFFSET_KEY, "0") or 0) if store else 0.0
        self._changed: asyncio.Event | None = None
        self._sources: list[TimerSource] = []

    def now(self) -> float:
        """Seconds since the epoch, on the service clock."""
        return time.time() + self.offset

    def add_source(self, source: TimerSource) -> None:
        """Let ``advance`` step through the work ``source`` has due."""
        self._sources.append(source)

    def _event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    async def advance(self, seconds: float) -> None:
        """Move time forward, firing what falls due in order, each at its own due time.

        The clock steps to each due time before firing it, so work that firing schedules
        (a retry, the next visibility timeout) also fires if it falls inside the window.
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        target_offset = self.offset + seconds
        target = self.now() + seconds
        while True:
            dues = [d for d in (source.next_due() for source in self._sources) if d is not None]
            due = min(dues, default=None)
            if due is None or due > target:
                break
            self._move_to(due)
            for source in self._sources:
                await source.run_due()
        self._set_offset(max(self.offset, target_offset))
        for source in self._sources:
            await source.run_due()

    def _move_to(self, when: float) -> None:
        gap = when - self.now()
        if gap > 0:
            self._set_offset(self.offset + gap)

    def _set_offset(self, offset: float) -> None:
        self.offset = offset
        if self.store is not None:
            self.store.set_meta(_OFFSET_KEY, repr(self.offset))
        self._wake()

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

    async def wait(self, event: asyncio.Event, until: float | None) -> None:
        """Wait until ``event`` is set or the clock reaches ``until`` (None: no deadline)."""
        waits = [asyncio.ensure_future(event.wait())]
        if until is not None:
            waits.append(asyncio.ensure_future(self.sleep_until(until)))
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in waits:
                task.cancel()

    def reset(self) -> None:
        """Back to real time (used by a full reset only)."""
        self.offset = 0.0
        if self.store is not None:
            self.store.set_meta(_OFFSET_KEY, "0")
        if self._changed is not None:
            self._wake()
