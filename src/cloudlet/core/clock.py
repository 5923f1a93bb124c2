"""Service time: real time plus an offset that tests move forward, never back.

Every service reads time here and waits here; :meth:`Clock.advance` moves the offset and
fires every timer that fell due, in order, before it returns.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Protocol

from cloudlet.store.db import Store

_OFFSET_KEY = "clock.offset"
_STALL_LIMIT = 3  # rounds a source may report due work it does not do, within one advance
_SAME_TIME_LIMIT = 100_000  # rounds of firing at one instant before an advance gives up

log = logging.getLogger("cloudlet.clock")


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
        Each step yields to the event loop, so requests are served meanwhile and work the
        firing started (an attempt, a function) goes on; the advance does not wait for work
        that waits on real time. A source that keeps reporting work due without doing any
        is logged and left out for the rest of the advance instead of being asked forever.
        """
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        target_offset = self.offset + seconds
        target = self.now() + seconds
        stalls: dict[int, int] = {}
        skipped: set[int] = set()
        steps_here, here = 0, self.now()
        while True:
            await asyncio.sleep(0)
            dues = [
                (d, i)
                for i, d in ((i, s.next_due()) for i, s in enumerate(self._sources) if i not in skipped)
                if d is not None
            ]
            if not dues:
                break
            due = min(dues)[0]
            if due > target:
                break
            self._move_to(due)
            now = self.now()
            steps_here = steps_here + 1 if now == here else 0
            here = now
            for index, source in enumerate(self._sources):
                if index in skipped:
                    continue
                asked_at = self.now()
                done = await source.run_due()
                still = source.next_due()
                # Stuck only if what it still reports was due when it was asked to run: work
                # that fell due in real time while it ran is not a stall.
                if done or still is None or still > asked_at:
                    stalls.pop(index, None)
                    continue
                stalls[index] = stalls.get(index, 0) + 1
                if stalls[index] >= _STALL_LIMIT:
                    describe = getattr(source, "describe_due", None)
                    log.error(
                        "%s reports work due at %s but does none; left out of this clock advance%s",
                        type(source).__name__,
                        still,
                        f" ({describe()})" if describe is not None else "",
                    )
                    skipped.add(index)
            if steps_here >= _SAME_TIME_LIMIT:
                log.error(
                    "work due at %s keeps making more work due at once; clock advance stopped there", here
                )
                break
        self._set_offset(max(self.offset, target_offset))
        for index, source in enumerate(self._sources):
            if index not in skipped:
                await source.run_due()

    def _move_to(self, when: float) -> None:
        """Move to ``when`` (and a microsecond past it: with rounding, ``now()`` read right
        after could otherwise fall a hair short of it, and the work due then not fire)."""
        gap = when - self.now()
        if gap > 0:
            self._set_offset(self.offset + gap + 1e-6)

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
