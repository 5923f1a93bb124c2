"""Work that falls due on the service clock, done by a component in the background.

A :class:`DueWork` is a timer source of the clock (moving the clock runs what fell due before
the advance answers) with a loop that sleeps until :meth:`DueWork.next_due` or until
:meth:`DueWork.wake` says something changed. Subclasses say when work is due and do it.
"""

from __future__ import annotations

import asyncio

from cloudlet.core.background import BackgroundTask
from cloudlet.core.clock import Clock


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
        while True:
            await self.run_due()
            self._wakeup.clear()
            await self.clock.wait(self._wakeup, self.next_due())
