"""Provisioned throughput, enforced when asked (``--dynamodb-throttle``): the throttling users test against.

Each provisioned table, and each of its GSIs, has a read and a write bucket holding
capacity units. A bucket refills at the provisioned rate per second of service time and
keeps at most 300 seconds of unused capacity (AWS's burst capacity); a new table starts
with one second's worth, as it has no unused capacity yet. A request is admitted while
the buckets it needs hold the least it can cost, then pays what it consumed (a large item can take a
bucket below zero, and the next requests wait for the refill). On-demand tables are not
throttled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.services.dynamodb.tables import Table

BURST_SECONDS = 300.0
MIN_READ = 0.5  # the least a read costs (eventually consistent, up to 4 KB)
MIN_WRITE = 1.0  # the least a write costs
TABLE_EXCEEDED = (
    "The level of configured provisioned throughput for the table was exceeded. "
    "Consider increasing your provisioning level with the UpdateTable API."
)
INDEX_EXCEEDED = (
    "The level of configured provisioned throughput for one or more global secondary indexes of the table "
    "was exceeded. Consider increasing your provisioning level for the under-provisioned global secondary "
    "indexes with the UpdateTable API"
)


def throttled(message: str = TABLE_EXCEEDED) -> ServiceError:
    return ServiceError("ProvisionedThroughputExceededException", message, 400)


class Capacity:
    """Token buckets per (table, index, read|write), refilled on the service clock."""

    def __init__(self, clock: Clock, enabled: bool) -> None:
        self.clock = clock
        self.enabled = enabled
        self._buckets: dict[tuple[int, str | None, str], list[float]] = {}  # [units, at]

    def reset(self) -> None:
        self._buckets.clear()

    def _rate(self, table: Table, index: str | None, kind: str) -> float | None:
        if not table.provisioned:
            return None
        throughput = (
            table.definition.get("ProvisionedThroughput")
            if index is None
            else table.indexes[index].throughput
        ) or {}
        rate = throughput.get("ReadCapacityUnits" if kind == "read" else "WriteCapacityUnits")
        return float(rate) if rate else None

    def _level(self, table: Table, index: str | None, kind: str) -> tuple[list[float], float] | None:
        rate = self._rate(table, index, kind)
        if rate is None:
            return None
        now = self.clock.now()
        key = (table.id, index, kind)
        bucket = self._buckets.get(key)
        if bucket is None:  # one second's worth when the table (or index) was created, refilled since
            bucket = self._buckets[key] = [rate, table.definition.get("CreationDateTime", now)]
        bucket[0] = min(rate * BURST_SECONDS, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        return bucket, rate

    @staticmethod
    def _owner(table: Table, index: str | None) -> str | None:
        """Whose capacity an index uses: a GSI its own, a local index the table's."""
        return index if index is not None and not table.indexes[index].local else None

    def admit(self, table: Table, kind: str, index: str | None = None) -> None:
        """Raise ProvisionedThroughputExceededException if a needed bucket is empty.

        A read needs the bucket of what it reads (the table or one index); a write needs
        the table's and those of every GSI, since each item write may update them.
        """
        if not self.enabled:
            return
        if kind == "read":
            owner = self._owner(table, index)
            level = self._level(table, owner, "read")
            if level is not None and level[0][0] < MIN_READ:
                raise throttled(TABLE_EXCEEDED if owner is None else INDEX_EXCEEDED)
            return
        level = self._level(table, None, "write")
        if level is not None and level[0][0] < MIN_WRITE:
            raise throttled()
        for name, spec in table.indexes.items():
            if spec.local:
                continue
            level = self._level(table, name, "write")
            if level is not None and level[0][0] < MIN_WRITE:
                raise throttled(INDEX_EXCEEDED)

    def spend(
        self,
        table: Table,
        kind: str,
        units: float,
        index_units: dict[str, float] | None = None,
        index: str | None = None,
    ) -> None:
        """Take consumed units from the buckets (the table's, or ``index``'s for an index read)."""
        if not self.enabled:
            return
        level = self._level(table, self._owner(table, index) if kind == "read" else None, kind)
        if level is not None:
            level[0][0] -= units
        for name, spent in (index_units or {}).items():
            level = self._level(table, self._owner(table, name), kind)
            if level is not None:
                level[0][0] -= spent
