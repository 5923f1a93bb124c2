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
    # versions and aliases (versions.py); an execution remembers the version and alias it ran
    """
    CREATE TABLE sfn_versions (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        version_number INTEGER NOT NULL,
        definition TEXT NOT NULL,
        role_arn TEXT NOT NULL,
        revision_id TEXT,
        description TEXT,
        created REAL NOT NULL,
        settings TEXT NOT NULL
    );
    CREATE INDEX sfn_versions_machine ON sfn_versions (machine_arn, version_number);
    CREATE TABLE sfn_version_counts (
        machine_arn TEXT PRIMARY KEY,
        last_number INTEGER NOT NULL
    );
    CREATE TABLE sfn_aliases (
        arn TEXT PRIMARY KEY,
        machine_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        description TEXT,
        routing TEXT NOT NULL,
        created REAL NOT NULL,
        updated REAL NOT NULL
    );
    CREATE INDEX sfn_aliases_machine ON sfn_aliases (machine_arn, name);
    ALTER TABLE sfn_executions ADD COLUMN version_arn TEXT;
    ALTER TABLE sfn_executions ADD COLUMN alias_arn TEXT;
    ALTER TABLE sfn_executions ADD COLUMN revision_id TEXT
    """,
    # map runs of distributed Map states (map_runs.py); their child executions are executions
    """
    CREATE TABLE sfn_map_runs (
        arn TEXT PRIMARY KEY,
        execution_arn TEXT NOT NULL,
        machine_arn TEXT NOT NULL,
        status TEXT NOT NULL,
        started REAL NOT NULL,
        stopped REAL,
        settings TEXT NOT NULL,
        counts TEXT NOT NULL
    );
    CREATE INDEX sfn_map_runs_execution ON sfn_map_runs (execution_arn, started)
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
    extra: dict[str, Any] = field(default_factory=dict)  # redrive fields, trace header, checkpoint
    version_arn: str | None = None  # the version it ran (started on a version or an alias)
    alias_arn: str | None = None  # the alias it was started on
    revision_id: str | None = None  # the machine's revision it ran (once the machine was updated)


@dataclass
class EventRow:
    id: int
    previous_id: int
    at: float
    event_type: str
    details: dict[str, Any]


_MACHINE = "arn, account, region, name, machine_type, definition, role_arn, created, updated, revision_id, settings, tags"
_EXECUTION = (
    "arn, machine_arn, name, status, started, stopped, input, output, error, cause, definition, role_arn, extra, "
    "version_arn, alias_arn, revision_id"
)


def _machine(r: Any) -> MachineRow:
    return MachineRow(*r[:10], orjson.loads(r[10]), orjson.loads(r[11]))


def _execution(r: Any) -> ExecutionRow:
    return ExecutionRow(*r[:12], orjson.loads(r[12]), *r[13:16])


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
            f"INSERT INTO sfn_executions ({_EXECUTION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                e.version_arn,
                e.alias_arn,
                e.revision_id,
            ),
        )

    def execution(self, arn: str) -> ExecutionRow | None:
        row = self.db.one(f"SELECT {_EXECUTION} FROM sfn_executions WHERE arn = ?", (arn,))
        return _execution(row) if row else None

    def executions(
        self, machine_arn: str, status: str | None = None, qualifier: tuple[str, str] | None = None
    ) -> list[ExecutionRow]:
        """A machine's executions, newest first; ``qualifier`` (``version_arn`` or ``alias_arn``,
        an ARN) keeps those started on a version or alias."""
        sql = f"SELECT {_EXECUTION} FROM sfn_executions WHERE machine_arn = ?"
        params: list[Any] = [machine_arn]
        if qualifier is not None:
            column = {"version_arn": "version_arn", "alias_arn": "alias_arn"}[qualifier[0]]
            sql += f" AND {column} = ?"
            params.append(qualifier[1])
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

    # -- versions and aliases (versions.py) --
    def add_version(self, v: VersionRow) -> None:
        self.db.execute(
            f"INSERT INTO sfn_versions ({_VERSION}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                v.arn, v.machine_arn, v.number, v.definition, v.role_arn, v.revision_id, v.description,
                v.created, orjson.dumps(v.settings).decode(),
            ),
        )  # fmt: skip

    def version(self, arn: str) -> VersionRow | None:
        row = self.db.one(f"SELECT {_VERSION} FROM sfn_versions WHERE arn = ?", (arn,))
        return _version(row) if row else None

    def versions(self, machine_arn: str) -> list[VersionRow]:
        """A machine's versions, newest first."""
        rows = self.db.all(
            f"SELECT {_VERSION} FROM sfn_versions WHERE machine_arn = ? ORDER BY version_number DESC",
            (machine_arn,),
        )
        return [_version(r) for r in rows]

    def next_version(self, machine_arn: str) -> int:
        """The number of a machine's next version (never reused, even once deleted)."""
        row = self.db.one("SELECT last_number FROM sfn_version_counts WHERE machine_arn = ?", (machine_arn,))
        number = (int(row[0]) if row else 0) + 1
        if row is None:
            self.db.execute(
                "INSERT INTO sfn_version_counts (machine_arn, last_number) VALUES (?, ?)",
                (machine_arn, number),
            )
        else:
            self.db.execute(
                "UPDATE sfn_version_counts SET last_number = ? WHERE machine_arn = ?", (number, machine_arn)
            )
        return number

    def drop_version(self, arn: str) -> None:
        self.db.execute("DELETE FROM sfn_versions WHERE arn = ?", (arn,))

    def add_alias(self, a: AliasRow) -> None:
        self.db.execute(
            f"INSERT INTO sfn_aliases ({_ALIAS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                a.arn,
                a.machine_arn,
                a.name,
                a.description,
                orjson.dumps(a.routing).decode(),
                a.created,
                a.updated,
            ),
        )

    def alias(self, arn: str) -> AliasRow | None:
        row = self.db.one(f"SELECT {_ALIAS} FROM sfn_aliases WHERE arn = ?", (arn,))
        return _alias(row) if row else None

    def aliases(self, machine_arn: str) -> list[AliasRow]:
        rows = self.db.all(
            f"SELECT {_ALIAS} FROM sfn_aliases WHERE machine_arn = ? ORDER BY name", (machine_arn,)
        )
        return [_alias(r) for r in rows]

    def update_alias(self, a: AliasRow) -> None:
        self.db.execute(
            "UPDATE sfn_aliases SET description = ?, routing = ?, updated = ? WHERE arn = ?",
            (a.description, orjson.dumps(a.routing).decode(), a.updated, a.arn),
        )

    def drop_alias(self, arn: str) -> None:
        self.db.execute("DELETE FROM sfn_aliases WHERE arn = ?", (arn,))

    def drop_versions_and_aliases(self, machine_arn: str) -> None:
        """A deleted machine's versions and aliases (its version numbers start over)."""
        for table in ("sfn_versions", "sfn_aliases", "sfn_version_counts"):
            self.db.execute(f"DELETE FROM {table} WHERE machine_arn = ?", (machine_arn,))


@dataclass
class VersionRow:
    """A published version: the machine's definition and settings as they were."""

    arn: str
    machine_arn: str
    number: int
    definition: str
    role_arn: str
    revision_id: str | None  # None when published before the machine was ever updated
    description: str | None
    created: float
    settings: dict[str, Any] = field(default_factory=dict)  # type, logging, tracing


@dataclass
class AliasRow:
    """An alias: up to two versions with their weights (``routing``, as the API writes it)."""

    arn: str
    machine_arn: str
    name: str
    description: str | None
    routing: list[dict[str, Any]]
    created: float
    updated: float


_VERSION = (
    "arn, machine_arn, version_number, definition, role_arn, revision_id, description, created, settings"
)
_ALIAS = "arn, machine_arn, name, description, routing, created, updated"


def _version(r: Any) -> VersionRow:
    return VersionRow(*r[:8], orjson.loads(r[8]))


def _alias(r: Any) -> AliasRow:
    return AliasRow(r[0], r[1], r[2], r[3], orjson.loads(r[4]), r[5], r[6])


# -- map runs (map_runs.py, engine/distributed.py) -------------------------------------------


@dataclass
class MapRunRow:
    """A distributed Map state's run: its settings (maxConcurrency, toleratedFailure…) and its
    item and execution counts, as DescribeMapRun answers them."""

    arn: str
    execution_arn: str
    machine_arn: str  # the map run's state machine: ``stateMachine:<machine>/<label>``
    status: str
    started: float
    stopped: float | None
    settings: dict[str, Any] = field(default_factory=dict)
    counts: dict[str, Any] = field(default_factory=dict)  # itemCounts, executionCounts


_MAP_RUN = "arn, execution_arn, machine_arn, status, started, stopped, settings, counts"


def _map_run(r: Any) -> MapRunRow:
    return MapRunRow(*r[:6], orjson.loads(r[6]), orjson.loads(r[7]))


class MapRunStore:
    """The SQL of map runs (a section of its own, on the same store)."""

    def __init__(self, store: Store) -> None:
        self.db = store

    def add_map_run(self, m: MapRunRow) -> None:
        self.db.execute(
            f"INSERT INTO sfn_map_runs ({_MAP_RUN}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                m.arn, m.execution_arn, m.machine_arn, m.status, m.started, m.stopped,
                orjson.dumps(m.settings).decode(), orjson.dumps(m.counts).decode(),
            ),
        )  # fmt: skip

    def update_map_run(self, m: MapRunRow) -> None:
        self.db.execute(
            "UPDATE sfn_map_runs SET status = ?, stopped = ?, settings = ?, counts = ? WHERE arn = ?",
            (m.status, m.stopped, orjson.dumps(m.settings).decode(), orjson.dumps(m.counts).decode(), m.arn),
        )

    def abort_running(self, now: float) -> None:
        self.db.execute(
            "UPDATE sfn_map_runs SET status = 'ABORTED', stopped = ? WHERE status = 'RUNNING'", (now,)
        )

    def map_run(self, arn: str) -> MapRunRow | None:
        row = self.db.one(f"SELECT {_MAP_RUN} FROM sfn_map_runs WHERE arn = ?", (arn,))
        return _map_run(row) if row else None

    def map_runs(self, execution_arn: str) -> list[MapRunRow]:
        """An execution's map runs, oldest first."""
        rows = self.db.all(
            f"SELECT {_MAP_RUN} FROM sfn_map_runs WHERE execution_arn = ? ORDER BY started, arn",
            (execution_arn,),
        )
        return [_map_run(r) for r in rows]

    def child_executions(self, machine_arn: str, map_run_arn: str) -> list[ExecutionRow]:
        """A map run's child executions (stored under its state machine), newest first."""
        rows = self.db.all(
            f"SELECT {_EXECUTION} FROM sfn_executions WHERE machine_arn = ? ORDER BY started DESC, arn DESC",
            (machine_arn,),
        )
        found = [_execution(r) for r in rows]
        return [e for e in found if e.extra.get("mapRunArn") == map_run_arn]
