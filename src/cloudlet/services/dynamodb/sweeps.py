"""Work over every item of a table, a page at a time: GSI backfills, TTL rescans, copies into a
new global table replica.

The first ``INLINE_ITEMS`` items are done inside the request that started the sweep, so a
small table gets its new index ACTIVE (or its expiry times set) at once. The rest is done in
background steps of ``STEP_ITEMS`` items, ``STEP_INTERVAL_S`` apart on the service clock (a
backfill takes time on AWS too; 4,000 items a second here), each in its own transaction,
driven by a persisted timer whose payload carries the position reached: the event loop is
never held for long, and a sweep goes on after a restart. Until a backfill ends its index is ``CREATING`` (reads of it
are refused); writes meanwhile keep the index up to date themselves, and a page reads the
items as they are when it runs, so every item ends up indexed exactly once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.services.dynamodb import items as it
from cloudlet.services.dynamodb.store import load_item
from cloudlet.services.dynamodb.tables import Table
from cloudlet.services.dynamodb.values import item_size

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

TIMER = "dynamodb.sweep"
INLINE_ITEMS = 1000
STEP_ITEMS = 200
STEP_INTERVAL_S = 0.05
BACKFILL, TTL, REPLICA = "backfill", "ttl", "replica"
COPYING = "ReplicaCreating"  # the source's definition: replica region -> sweep id while its copy runs

Cursor = tuple[int, bytes, bytes]  # (h, pk, sk) of the last item done


class Sweeps:
    """Starts sweeps and runs their background steps."""

    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider
        self.db = provider.db
        provider.scheduler.register(TIMER, self._step)

    def backfill(self, table: Table, index_name: str) -> None:
        """Index the items already in ``table`` for its new GSI (inside the caller's transaction)."""
        sweep_id = ids.token(8)
        after = self._run(table, BACKFILL, index_name, None, INLINE_ITEMS)
        if after is not None:
            spec = _gsi_spec(table, index_name)
            spec["IndexStatus"] = "CREATING"
            spec["Backfill"] = sweep_id
            self.db.save_table(table)
            self._schedule(table, BACKFILL, index_name, after, sweep_id)

    def copy_to_replica(self, table: Table, region: str) -> None:
        """Copy the items of ``table`` into its new replica in ``region`` (inside the caller's
        transaction); the replica is CREATING in ``table``'s description until the copy ends."""
        sweep_id = ids.token(8)
        after = self._run(table, REPLICA, region, None, INLINE_ITEMS)
        if after is not None:
            table.definition.setdefault(COPYING, {})[region] = sweep_id
            self.db.save_table(table)
            self._schedule(table, REPLICA, region, after, sweep_id)

    def refresh_expiry(self, table: Table) -> None:
        """Recompute every item's expiry after a TTL change (inside the caller's transaction)."""
        after = self._run(table, TTL, None, None, INLINE_ITEMS)
        if after is not None:
            self._schedule(table, TTL, None, after, None)

    def _run(
        self, table: Table, kind: str, index_name: str | None, after: Cursor | None, budget: int
    ) -> Cursor | None:
        """Sweep up to ``budget`` items after ``after``; where to go on from, None when done."""
        page = self.db.items_page(table, after, budget)
        now = self.provider.clock.now()
        replica = (
            self.db.get_table(table.account, index_name, table.name)
            if kind == REPLICA and index_name
            else None
        )
        if kind == REPLICA and replica is None:
            return None  # the replica was deleted meanwhile
        for h, pk, sk, blob, size in page:
            item = load_item(blob)
            if replica is not None:
                # The item as it is now; a write since the copy began reached the replica itself.
                old = self.db.get(replica, pk, sk)
                if old is None or old[0] != item:
                    self.provider.write(replica, pk, sk, old, item, size, record=False, replicate=False)
            elif kind == BACKFILL:
                assert index_name is not None
                entry = it.index_entry(table, table.indexes[index_name], item)
                if entry is None:
                    continue
                ipk, isk, projected = entry
                # An item written since the backfill began was indexed by that write already.
                if not self.db.has_index_entry(table, index_name, ipk, isk, pk, sk):
                    self.db.put_index_entry(
                        table, index_name, ipk, isk, pk, sk, projected, item_size(projected)
                    )
            else:
                self.db.set_expires(table, h, pk, sk, it.expiry(table, item, now))
        if len(page) < budget:
            return None
        h, pk, sk = page[-1][:3]
        return (h, pk, sk)

    def _schedule(
        self, table: Table, kind: str, index_name: str | None, after: Cursor, sweep_id: str | None
    ) -> None:
        payload = {
            "table": table.id,
            "kind": kind,
            "index": index_name,
            "sweep": sweep_id,
            "after": [after[0], after[1].hex(), after[2].hex()],
        }
        self.provider.scheduler.schedule(self.provider.clock.now() + STEP_INTERVAL_S, TIMER, payload)

    def _step(self, payload: dict[str, Any]) -> None:
        table = self.db.table_by_id(payload["table"])
        if table is None:
            return  # the table was deleted meanwhile
        kind, index_name = payload["kind"], payload["index"]
        if kind == BACKFILL:
            spec = _gsi_spec(table, index_name)
            if spec is None or spec.get("Backfill") != payload["sweep"]:
                return  # the index was deleted (or deleted and created again) meanwhile
        if kind == REPLICA and (table.definition.get(COPYING) or {}).get(index_name) != payload["sweep"]:
            return  # the replica was deleted (or created again) meanwhile
        h, pk, sk = payload["after"]
        with self.provider.store.transaction():
            after = self._run(table, kind, index_name, (h, bytes.fromhex(pk), bytes.fromhex(sk)), STEP_ITEMS)
            if after is not None:
                self._schedule(table, kind, index_name, after, payload["sweep"])
            elif kind == BACKFILL:
                spec = _gsi_spec(table, index_name)
                spec.pop("IndexStatus", None)
                spec.pop("Backfill", None)
                self.db.save_table(table)
            elif kind == REPLICA:
                copying = table.definition[COPYING]
                copying.pop(index_name, None)
                if not copying:
                    del table.definition[COPYING]
                self.db.save_table(table)
        if kind == TTL:
            self.provider.ttl.wake()


def _gsi_spec(table: Table, index_name: str) -> dict[str, Any] | None:
    return next(
        (g for g in table.definition.get("GlobalSecondaryIndexes") or [] if g["IndexName"] == index_name),
        None,
    )
