"""Work that falls due on the service clock, done by a component in the background.

A :class:`DueWork` is a timer source of the clock (moving the clock runs what fell due before
the advance answers) with a loop that sleeps until :meth:`DueWork.next_due` or until
:meth:`DueWork.wake` says something changed. Subclasses say when work is due and do it.
"""

from __future__ import annotations

import asyncio
import logging

from cloudlet.core.background import BackgroundTask
from cloudlet.core.clock import Clock

log = logging.getLogger("cloudlet.due")
_STALL_LOGGED = 3


class DueWork:
    """A clock-driven background sweeper (DynamoDB TTL deletions, S3 lifecycle expiry)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._wakeup = asyncio.Event()
        self._background = BackgroundTask(self._loop)
        clock.add_source(self)

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()

    def wake(self) -> None:
        """Something changed that may move the next due time: reconsider it."""
        self._wakeup.set()

    def next_due(self) -> float | None:
        """When the earliest work falls due (None: nothing pending)."""
        raise NotImplementedError

    async def run_due(self) -> int:
        """Do the work that is due; how much was done."""
        raise NotImplementedError

    async def _loop(self) -> None:
        idle_rounds = 0
        while True:
            self._wakeup.clear()
            try:
                done = await self.run_due()
                due = self.next_due()
            except Exception:
                log.exception("%s failed; trying again in a minute", type(self).__name__)
                done, due = 0, self.clock.now() + 60.0
            now = self.clock.now()
            if not done and due is not None and due <= now:
                # Due work it does not do: wait (longer each round) instead of spinning.
                idle_rounds += 1
                if idle_rounds == _STALL_LOGGED:
                    log.error("%s reports work due at %s but does none", type(self).__name__, due)
                due = now + min(60.0, 0.01 * 2**idle_rounds)
            else:
                idle_rounds = 0
            await self.clock.wait(self._wakeup, due)
