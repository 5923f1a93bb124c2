"""Time to live: items whose TTL attribute has passed are deleted in the background.

The sweeper is a timer source of the service clock: it wakes at the earliest expiry in
the store (or when a write brings an earlier one), deletes what is due in small
transactions, each deletion a service deletion in the stream, and sleeps again. Until
then reads still return expired items, as on AWS.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from cloudlet.core.due import DueWork

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

BATCH = 100  # deletions per transaction: keeps each step of the event loop short


class TtlSweeper(DueWork):
    """Deletes items whose TTL passed; :meth:`wake` it when a write sets an expiry."""

    def __init__(self, provider: DynamoDBProvider) -> None:
        super().__init__(provider.clock)
        self.provider = provider

    def next_due(self) -> float | None:
        return self.provider.db.next_expiry()

    async def run_due(self) -> int:
        """Delete every item whose TTL has passed; how many were deleted."""
        provider, db = self.provider, self.provider.db
        deleted = 0
        while True:
            due = db.expired(provider.clock.now(), BATCH)
            if not due:
                return deleted
            with provider.store.transaction():
                for table_id, pk, sk in due:
                    table = db.table_by_id(table_id)
                    old = db.get(table, pk, sk) if table is not None else None
                    if table is not None and old is not None:
                        provider.write(table, pk, sk, old, None, service_delete=True)
                        deleted += 1
            await asyncio.sleep(0)  # let requests in between batches
