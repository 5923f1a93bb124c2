"""The SQL of Step Functions: state machines, executions and their history events.

A state machine row holds its definition as written (DescribeStateMachine returns it so) and
its settings; an execution row its status, input and output; ``sfn_events`` the history, one
row per event with its details as JSON. Express executions are not stored: they live in
memory and in CloudWatch Logs, as on AWS (no DescribeExecution, no history).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE sfn_machines (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        machine_type TEXT NOT NULL,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL,
        revision_id TEXT NOT NULL,
        settings TEXT NOT NULL,
        tags TEXT NOT NULL
    );
    CREATE INDEX sfn_machines_name ON sfn_machines (account, region, name);
    CREATE TABLE sfn_executions (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        status TEXT NOT NULL,
        started REAL NOT NULL,
        stopped REAL,
        input TEXT NOT NULL,
        output TEXT,
        error TEXT,
        cause TEXT,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        extra TEXT NOT NULL
    );
    CREATE INDEX sfn_executions_machine ON sfn_executions (machine_arn, started);
    CREATE TABLE sfn_events (
        execution_arn TEXT NOT NULL,
        id INTEGER NOT NULL,
        previous_id INTEGER NOT NULL,
        at REAL NOT NULL,
        event_type TEXT NOT NULL,
        details TEXT NOT NULL,
        PRIMARY KEY (execution_arn, id)
    )
    """,
    """
    CREATE TABLE sfn_activities (
        arn TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        created REAL NOT NULL,
        tags TEXT NOT NULL
    )
    """,
]


@dataclass
class MachineRow:
    """A state machine: its definition as written and its settings."""

    arn: str
    account: str
    region: str
    name: str
    machine_type: str
    definition: str
    role_arn: str
    created: float
    updated: float | None
    revision_id: str
    settings: dict[str, Any] = field(default_factory=dict)  # logging, tracing, description, ...
    tags: dict[str, str] = field(default_factory=dict)


@dataclass
class ExecutionRow:
    """A Standard execution: what DescribeExecution answers from."""

    arn: str
    machine_arn: str
    name: str
    status: str
    started: float
    stopped: float | None
    input: str
    output: str | None
    error: str | None
    cause: str | None
    definition: str
    role_arn: str
    extra: dict[str, Any] = field(default_factory=dict)  # redrive fields, version/alias, trace header


@dataclass
class EventRow:
    id: int
    previous_id: int
    at: float
    event_type: str
    details: dict[str, Any]


_MACHINE = "arn, account, region, name, machine_type, definition, role_arn, created, updated, revision_id, settings, tags"
_EXECUTION = "arn, machine_arn, name, status, started, stopped, input, output, error, cause, definition, role_arn, extra"


def _machine(r: Any) -> MachineRow:
    return MachineRow(*r[:10], orjson.loads(r[10]), orjson.loads(r[11]))


def _execution(r: Any) -> ExecutionRow:
    return ExecutionRow(*r[:12], orjson.loads(r[12]))


class StepFunctionsStore:
    """The SQL of Step Functions."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("stepfunctions", MIGRATIONS)

    # -- state machines --
    def add_machine(self, m: MachineRow) -> None:
        self.db.execute(
            f"INSERT INTO sfn_machines ({_MACHINE}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.arn,
                m.account,
                m.region,
                m.name,
                m.machine_type,
                m.definition,
                m.role_arn,
                m.created,
                m.updated,
                m.revision_id,
                orjson.dumps(m.settings).decode(),
                orjson.dumps(m.tags).decode(),
            ),
        )

    def machine(self, arn: str) -> MachineRow | None:
        row = self.db.one(f"SELECT {_MACHINE} FROM sfn_machines WHERE arn = ?", (arn,))
        return _machine(row) if row else None

    def machines(self, account: str, region: str) -> list[MachineRow]:
        rows = self.db.all(
            f"SELECT {_MACHINE} FROM sfn_machines WHERE account = ? AND region = ? ORDER BY name",
            (account, region),
        )
        return [_machine(r) for r in rows]

    def update_machine(self, m: MachineRow) -> None:
        self.db.execute(
            "UPDATE sfn_machines SET definition = ?, role_arn = ?, updated = ?, revision_id = ?, settings = ?, "
            "tags = ? WHERE arn = ?",
            (
                m.definition,
                m.role_arn,
                m.updated,
                m.revision_id,
                orjson.dumps(m.settings).decode(),
                orjson.dumps(m.tags).decode(),
                m.arn,
            ),
        )

    def drop_machine(self, arn: str) -> None:
        self.db.execute("DELETE FROM sfn_machines WHERE arn = ?", (arn,))

    def machine_count(self) -> int:
        row = self.db.one("SELECT COUNT(*) FROM sfn_machines")
        return int(row[0]) if row else 0

    # -- executions --
    def add_execution(self, e: ExecutionRow) -> None:
        self.db.execute(
            f"INSERT INTO sfn_executions ({_EXECUTION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                e.arn,
                e.machine_arn,
                e.name,
                e.status,
                e.started,
                e.stopped,
                e.input,
                e.output,
                e.error,
                e.cause,
                e.definition,
                e.role_arn,
                orjson.dumps(e.extra).decode(),
            ),
        )

    def execution(self, arn: str) -> ExecutionRow | None:
        row = self.db.one(f"SELECT {_EXECUTION} FROM sfn_executions WHERE arn = ?", (arn,))
        return _execution(row) if row else None

    def executions(self, machine_arn: str, status: str | None = None) -> list[ExecutionRow]:
        """A machine's executions, newest first."""
        sql = f"SELECT {_EXECUTION} FROM sfn_executions WHERE machine_arn = ?"
        params: list[Any] = [machine_arn]
        if status:
            sql += " AND status = ?"
            params.append(status)
        rows = self.db.all(sql + " ORDER BY started DESC, arn DESC", params)
        return [_execution(r) for r in rows]

    def running(self) -> list[ExecutionRow]:
        rows = self.db.all(f"SELECT {_EXECUTION} FROM sfn_executions WHERE status = 'RUNNING'")
        return [_execution(r) for r in rows]

    def finish_execution(
        self, arn: str, status: str, stopped: float, output: str | None, error: str | None, cause: str | None
    ) -> None:
        self.db.execute(
            "UPDATE sfn_executions SET status = ?, stopped = ?, output = ?, error = ?, cause = ? WHERE arn = ?",
            (status, stopped, output, error, cause, arn),
        )

    def set_checkpoint(self, arn: str, mark: dict[str, Any]) -> None:
        """Where a running execution is (``extra.checkpoint``): the state it continues with."""
        row = self.db.one("SELECT extra FROM sfn_executions WHERE arn = ?", (arn,))
        if row is None:
            return
        extra = orjson.loads(row[0])
        extra["checkpoint"] = mark
        self.db.execute(
            "UPDATE sfn_executions SET extra = ? WHERE arn = ?", (orjson.dumps(extra).decode(), arn)
        )

    def restart_execution(self, arn: str, extra: dict[str, Any]) -> None:
        """A redriven execution: RUNNING again, its end forgotten."""
        self.db.execute(
            "UPDATE sfn_executions SET status = 'RUNNING', stopped = NULL, output = NULL, error = NULL, "
            "cause = NULL, extra = ? WHERE arn = ?",
            (orjson.dumps(extra).decode(), arn),
        )

    # -- history --
    def add_events(self, execution_arn: str, events: list[EventRow]) -> None:
        self.db.execute_many(
            "INSERT INTO sfn_events (execution_arn, id, previous_id, at, event_type, details) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (execution_arn, e.id, e.previous_id, e.at, e.event_type, orjson.dumps(e.details).decode())
                for e in events
            ],
        )

    def events(self, execution_arn: str) -> list[EventRow]:
        rows = self.db.all(
            "SELECT id, previous_id, at, event_type, details FROM sfn_events WHERE execution_arn = ? ORDER BY id",
            (execution_arn,),
        )
        return [EventRow(r[0], r[1], r[2], r[3], orjson.loads(r[4])) for r in rows]

    # -- activities --
    def add_activity(
        self, arn: str, account: str, region: str, name: str, created: float, tags: dict[str, str]
    ) -> None:
        self.db.execute(
            "INSERT INTO sfn_activities (arn, account, region, name, created, tags) VALUES (?, ?, ?, ?, ?, ?)",
            (arn, account, region, name, created, orjson.dumps(tags).decode()),
        )

    def activity(self, arn: str) -> tuple[str, float] | None:
        """(name, creation time) of an activity."""
        row = self.db.one("SELECT name, created FROM sfn_activities WHERE arn = ?", (arn,))
        return (row[0], row[1]) if row else None

    def activities(self, account: str, region: str) -> list[tuple[str, str, float]]:
        rows = self.db.all(
            "SELECT arn, name, created FROM sfn_activities WHERE account = ? AND region = ? ORDER BY name",
            (account, region),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def drop_activity(self, arn: str) -> None:
        self.db.execute("DELETE FROM sfn_activities WHERE arn = ?", (arn,))
