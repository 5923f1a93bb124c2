"""Map runs: each run of a distributed Map state (``engine/distributed.py``), and the API on
them (DescribeMapRun, ListMapRuns, UpdateMapRun, ListExecutions with ``mapRunArn``).

A map run's ARN is ``arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<id>`` (the
state's ``Label``, else its name); its child executions are
``execution:<machine>/<label>:<id>`` of the state machine ``stateMachine:<machine>/<label>``.
Its row (``sfn_map_runs``) is written when it starts and when it ends; while it runs, its
counts are those of :class:`LiveMapRun`. Standard child executions are stored (with their
history) once they end; Express ones are not.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.store import ExecutionRow, MapRunRow, MapRunStore

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.stepfunctions.store import EventRow, StepFunctionsStore
    from cloudlet.store.db import Store

COUNTS = ("aborted", "failed", "pending", "resultsWritten", "running", "succeeded", "timedOut", "total")
# the status of a child execution -> its count
_STATUS_COUNT = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "timedOut", "ABORTED": "aborted"}


def zero_counts() -> dict[str, int]:
    return dict.fromkeys(COUNTS, 0)


@dataclass
class LiveMapRun:
    """A map run in progress: its row, and a change to wake its scheduler (UpdateMapRun)."""

    row: MapRunRow
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def max_concurrency(self) -> int:
        return int(self.row.settings.get("maxConcurrency", 0))

    def move(self, items: int, before: str | None, after: str) -> None:
        """``items`` items and their one execution go from count ``before`` to ``after``."""
        for key, n in (("itemCounts", items), ("executionCounts", 1)):
            counts = self.row.counts[key]
            if before is not None:
                counts[before] -= n
            counts[after] += n


class MapRuns:
    """The map runs: rows in the store, the live ones in memory."""

    def __init__(self, store: Store | None, db: StepFunctionsStore | None) -> None:
        self.store = store
        self.db = db
        self.sql = MapRunStore(store) if store is not None else None
        self.live: dict[str, LiveMapRun] = {}

    def start(self, row: MapRunRow) -> LiveMapRun:
        row.counts = {"itemCounts": zero_counts(), "executionCounts": zero_counts()}
        live = self.live[row.arn] = LiveMapRun(row)
        if self.sql is not None and self.store is not None:
            with self.store.transaction():
                self.sql.add_map_run(row)
        return live

    def save(self, live: LiveMapRun) -> None:
        if self.sql is not None and self.store is not None:
            with self.store.transaction():
                self.sql.update_map_run(live.row)

    def finish(self, live: LiveMapRun, status: str, stopped: float) -> None:
        live.row.status, live.row.stopped = status, stopped
        self.save(live)
        self.live.pop(live.row.arn, None)

    def child_ended(self, row: ExecutionRow, events: list[EventRow]) -> None:
        """A Standard child execution ended: its row and its history stored."""
        if self.db is None or self.store is None:
            return
        with self.store.transaction():
            self.db.add_execution(row)
            self.db.add_events(row.arn, events)

    def row(self, arn: str) -> MapRunRow | None:
        live = self.live.get(arn)
        if live is not None:
            return live.row
        return self.sql.map_run(arn) if self.sql is not None else None


def _not_found(arn: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFound", f"Resource not found: '{arn}'", 400
    )  # as TagResource's (recorded)


class MapRunOperations:
    """DescribeMapRun, ListMapRuns, UpdateMapRun and ListExecutions of a map run."""

    map_runs: MapRuns

    def _attach_map_runs(self: Any) -> None:
        """Give the interpreter the map runs (called once the provider made it)."""
        self.map_runs = MapRuns(self.store, self.db)
        self.interpreter.map_runs = self.map_runs
        # a run left RUNNING by a restart does not go on (its execution re-runs its Map state)
        with self.store.transaction():
            self.map_runs.sql.abort_running(self.clock.now())  # type: ignore[union-attr]

    def _map_run(self: Any, arn: str) -> MapRunRow:
        self._arn_of(arn, "mapRun")
        found = self.map_runs.row(arn)
        if found is None:
            raise _not_found(arn)
        return found

    def describe_map_run(self: Any, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        row = self._map_run(params["mapRunArn"])
        settings = row.settings
        out: dict[str, Any] = {
            "mapRunArn": row.arn,
            "executionArn": row.execution_arn,
            "status": row.status,
            "startDate": row.started,
            "maxConcurrency": settings.get("maxConcurrency", 0),
            "toleratedFailurePercentage": float(settings.get("toleratedFailurePercentage", 0.0)),
            "toleratedFailureCount": int(settings.get("toleratedFailureCount", 0)),
            "itemCounts": dict(row.counts.get("itemCounts") or zero_counts()),
            "executionCounts": dict(row.counts.get("executionCounts") or zero_counts()),
        }
        if row.stopped is not None:
            out["stopDate"] = row.stopped
        return out

    def list_map_runs(self: Any, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        execution = self._execution(ctx, params["executionArn"])
        sql = self.map_runs.sql
        rows = [self.map_runs.row(r.arn) or r for r in sql.map_runs(execution.arn)] if sql else []
        items = []
        for row in rows:
            item: dict[str, Any] = {
                "executionArn": row.execution_arn,
                "mapRunArn": row.arn,
                "stateMachineArn": row.machine_arn,
                "startDate": row.started,
            }
            if row.stopped is not None:
                item["stopDate"] = row.stopped
            items.append(item)
        return self._page("mapRuns", items, params)

    def update_map_run(self: Any, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        row = self._map_run(params["mapRunArn"])
        changes = {
            k: params[k]
            for k in ("maxConcurrency", "toleratedFailurePercentage", "toleratedFailureCount")
            if params.get(k) is not None
        }
        if not changes:
            raise ServiceError(
                "ValidationException",
                "At least one of the parameters maxConcurrency, toleratedFailurePercentage or "
                "toleratedFailureCount must be specified",
                400,
            )  # unverified
        percentage = changes.get("toleratedFailurePercentage")
        if percentage is not None and not 0 <= percentage <= 100:
            raise ServiceError(
                "ValidationException", "ToleratedFailurePercentage must be between 0 and 100.", 400
            )  # unverified
        for key in ("maxConcurrency", "toleratedFailureCount"):
            if key in changes and changes[key] < 0:
                raise ServiceError("ValidationException", f"{key} cannot be negative.", 400)  # unverified
        row.settings.update(changes)
        live = self.map_runs.live.get(row.arn)
        if live is not None:
            live.changed.set()
            self.map_runs.save(live)
        elif self.map_runs.sql is not None:
            self.map_runs.sql.update_map_run(row)
        return {}

    def _map_run_executions(self: Any, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """ListExecutions with ``mapRunArn``: the map run's (stored) child executions."""
        row = self._map_run(params["mapRunArn"])
        sql = self.map_runs.sql
        children = sql.child_executions(row.machine_arn, row.arn) if sql is not None else []
        status = params.get("statusFilter")
        items = []
        for e in children:
            if status and e.status != status:
                continue
            item = self._execution_item(e)
            item.update(mapRunArn=row.arn, itemCount=e.extra.get("itemCount", 1), redriveCount=0)
            items.append(item)
        return self._page("executions", items, params)


def child_row(
    arn: str,
    machine_arn: str,
    status: str,
    started: float,
    stopped: float,
    io: tuple[str, str | None],
    failure: tuple[str | None, str | None],
    definition: str,
    role_arn: str,
    extra: dict[str, Any],
) -> ExecutionRow:
    """The stored row of a Standard child execution that ended."""
    name = arn.rpartition(":")[2]
    return ExecutionRow(
        arn, machine_arn, name, status, started, stopped, io[0], io[1], failure[0], failure[1],
        definition, role_arn, extra,
    )  # fmt: skip


__all__ = ["LiveMapRun", "MapRunOperations", "MapRuns"]
