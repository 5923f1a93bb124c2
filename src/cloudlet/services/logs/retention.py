"""Retention: events older than their group's retention are deleted on the service clock.

Each group with a retention keeps ``expire_at``, when its oldest event expires; the sweeper is a
timer source of the clock that wakes at the earliest one, deletes what expired and recomputes it.
The state is the store's, so expiry resumes after a restart.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cloudlet.core.due import DueWork
from cloudlet.services.logs.store import DAY_MS

if TYPE_CHECKING:
    from cloudlet.services.logs.provider import LogsProvider

BATCH = 50  # groups per transaction


class RetentionSweeper(DueWork):
    def __init__(self, provider: LogsProvider) -> None:
        super().__init__(provider.clock)
        self.provider = provider

    def next_due(self) -> float | None:
        return self.provider.db.next_expiry()

    async def run_due(self) -> int:
        db, store = self.provider.db, self.provider.store
        done = 0
        while True:
            now = self.provider.clock.now()
            due = db.expiring(now, BATCH)
            if not due:
                return done
            with store.transaction():
                for account, region, name, retention in due:
                    db.expire(account, region, name, int(now * 1000) - retention * DAY_MS)
                    db.set_expiry(account, region, name, retention)
                    done += 1
            await asyncio.sleep(0)
