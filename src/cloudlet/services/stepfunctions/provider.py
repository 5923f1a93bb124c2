"""AWS Step Functions: state machines, executions and their history.

State machines are ACTIVE as soon as CreateStateMachine answers. Standard executions are
stored with their history; Express executions run in memory (StartSyncExecution answers their
outcome). The interpreter is ``engine/``, the language ``asl/``. Operations this provider has
no method for answer ``NotImplemented`` (501).
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

from cloudlet.core import jackson
from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.stepfunctions import errors
from cloudlet.services.stepfunctions.activities import ActivityOperations, ActivityQueues
from cloudlet.services.stepfunctions.engine import execution_logs
from cloudlet.services.stepfunctions.engine.callbacks import Tokens
from cloudlet.services.stepfunctions.engine.executions import Executions, Live
from cloudlet.services.stepfunctions.engine.interpreter import Interpreter
from cloudlet.services.stepfunctions.engine.mocks import Mocks, split_test_case
from cloudlet.services.stepfunctions.engine.tasks import Tasks
from cloudlet.services.stepfunctions.engine.values import MAX_PAYLOAD, dumps, loads
from cloudlet.services.stepfunctions.map_runs import MapRunOperations
from cloudlet.services.stepfunctions.store import ExecutionRow, MachineRow, StepFunctionsStore
from cloudlet.services.stepfunctions.test_state import TestStateOperations
from cloudlet.services.stepfunctions.versions import VersionOperations

MAX_PAGE = 1000
REDRIVE_WINDOW_S = 14 * 86400  # an execution can be redriven within 14 days of its end
DEFAULT_PAGE = 100  # unverified: ListStateMachines/ListExecutions' default maxResults
_DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
_DEFAULT_TRACING = {"enabled": False}


class StepFunctionsProvider(
    ActivityOperations, TestStateOperations, VersionOperations, MapRunOperations, Provider
):
    service = "stepfunctions"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = StepFunctionsStore(self.store)
        self.tokens = Tokens()
        self.activity_queues = ActivityQueues()
        tasks = Tasks(
            runtime, self.clock.now, self.clock.wait, self.tokens, self._child,
            self.activity_queues, lambda arn: self.db.activity(arn) is not None,
        )  # fmt: skip
        tasks.mocks = self.mocks = Mocks(getattr(runtime.config, "sfn_mock_config", ""))
        self.interpreter = Interpreter(self.clock.now, self.clock.sleep_until, tasks)
        self.executions = Executions(
            self.store, self.db, self.clock, self.interpreter, self.channel, self.metrics
        )
        self.executions.logs = execution_logs.ExecutionLogs(runtime)
        self._attach_map_runs()  # map_runs.py: distributed Map states' runs

    async def start(self) -> None:
        for row in self.db.running():
            machine = self.db.machine(row.machine_arn)
            self.executions.resume(row, machine.name if machine else row.machine_arn.rpartition(":")[2])

    async def _child(self, arn: str) -> dict[str, Any]:
        """A child execution's description once it has ended (``startExecution.sync``)."""
        live = self.executions.live.get(arn)
        if live is not None:
            await asyncio.shield(live.done)
        row = self.db.execution(arn)
        if row is None:
            raise errors.execution_not_found(arn)
        return self._describe_row(row)

    async def stop(self) -> None:
        await self.executions.stop_all()

    def resource_counts(self) -> dict[str, int]:
        count = self.db.machine_count()
        return {"state_machines": count} if count else {}

    # ---- ARNs --------------------------------------------------------------------------------

    def _arn_of(self, arn: str, kind: str) -> tuple[str, list[str]]:
        """(account, resource parts) of a Step Functions ARN of ``kind``; InvalidArn otherwise."""
        try:
            parsed = parse_arn(arn)
        except ValueError:
            raise errors.invalid_arn(f"Invalid ARN prefix: {arn}") from None
        parts = parsed.resource.split(":")
        if parsed.service != "states":
            raise errors.invalid_arn(f"Invalid ARN prefix: {arn}")  # unverified
        if parts[0] != kind:
            raise errors.invalid_arn(f"Resource type not valid in this context: {parts[0]}")
        return parsed.account, parts

    def _machine(self, ctx: RequestContext, arn: str) -> MachineRow:
        _, parts = self._arn_of(arn, "stateMachine")
        if len(parts) != 2:
            raise errors.machine_not_found(arn)  # recorded: a version ARN where a machine is needed
        found = self.db.machine(arn)
        if found is None:
            raise errors.machine_not_found(arn)
        return found

    def _execution(self, ctx: RequestContext, arn: str) -> ExecutionRow:
        self._arn_of(arn, "execution")
        found = self.db.execution(arn)
        if found is None:
            raise errors.execution_not_found(arn)
        return found

    # ---- state machines ----------------------------------------------------------------------

    def _check_definition(self, text: str, machine_type: str = "STANDARD") -> None:
        from cloudlet.services.stepfunctions.asl import definition

        definition.check(text, machine_type)

    async def create_state_machine(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        await self._check_log_destination(params)
        return self._create_state_machine(ctx, params)

    async def _check_log_destination(self, params: dict[str, Any]) -> None:
        """A logging configuration's log group must exist (checked before the machine is written)."""
        if params.get("loggingConfiguration") is not None:
            config = self._logging(params["loggingConfiguration"])
            await execution_logs.check_destination(self.runtime, config)

    def _create_state_machine(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._check_publish(params)  # versions.py
        name = params["name"]
        errors.check_name(name)
        text = params["definition"]
        machine_type = params.get("type") or "STANDARD"
        self._check_definition(text, machine_type)
        arn = ctx.arn("states", f"stateMachine:{name}")
        settings = {
            "loggingConfiguration": self._logging(params.get("loggingConfiguration")),
            "tracingConfiguration": params.get("tracingConfiguration") or dict(_DEFAULT_TRACING),
        }
        tags = {t["key"]: t["value"] for t in params.get("tags") or []}
        with self.store.transaction():
            existing = self.db.machine(arn)
            if existing is not None:
                same = (
                    existing.definition == text
                    and existing.role_arn == params["roleArn"]
                    and existing.machine_type == machine_type
                    and existing.settings.get("loggingConfiguration") == settings["loggingConfiguration"]
                )
                if not same:
                    raise errors.machine_exists(arn)
                return {
                    "stateMachineArn": arn,
                    "creationDate": existing.created,
                    **self._published(existing, params),
                }
            now = self.clock.now()
            row = MachineRow(
                arn, ctx.account, ctx.region, name, machine_type, text, params["roleArn"], now, None,
                str(uuid.uuid4()), settings, tags,
            )  # fmt: skip
            self.db.add_machine(row)
            published = self._published(row, params)  # versions.py
        return {"stateMachineArn": arn, "creationDate": now, **published}

    def _logging(self, given: dict[str, Any] | None) -> dict[str, Any]:
        logging = {**_DEFAULT_LOGGING, **(given or {})}
        destinations = logging.get("destinations") or []
        if logging["level"] != "OFF" and len(destinations) != 1:
            raise errors.invalid_logging("Must specify exactly one Log Destination.")
        execution_logs.settings(logging)  # the destination is a log group ARN ending with ``:*``
        return logging

    def describe_state_machine(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["stateMachineArn"]
        if self._split(arn)[1] is not None:
            return self._describe_version(arn)  # versions.py
        return self._describe(self._machine(ctx, arn))

    def _describe(self, m: MachineRow) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stateMachineArn": m.arn,
            "name": m.name,
            "status": "ACTIVE",
            "definition": m.definition,
            "roleArn": m.role_arn,
            "type": m.machine_type,
            "creationDate": m.created,
            "loggingConfiguration": m.settings.get("loggingConfiguration") or dict(_DEFAULT_LOGGING),
            "tracingConfiguration": m.settings.get("tracingConfiguration") or dict(_DEFAULT_TRACING),
        }
        if m.updated is not None:
            out["revisionId"] = m.revision_id  # unverified: shown once updated
        return out

    def list_state_machines(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rows = self.db.machines(ctx.account, ctx.region)
        items = [
            {"stateMachineArn": m.arn, "name": m.name, "type": m.machine_type, "creationDate": m.created}
            for m in rows
        ]
        return self._page("stateMachines", items, params)

    def _page(self, key: str, items: list[dict[str, Any]], params: dict[str, Any]) -> dict[str, Any]:
        """A List operation's answer: one page of ``items`` (already in their order) after
        ``nextToken`` as ``key``, and the next token when there are more."""
        limit = params.get("maxResults") or DEFAULT_PAGE
        if limit > MAX_PAGE:
            raise ServiceError(
                "ValidationException",
                f"1 validation error detected: Value '{limit}' at 'maxResults' failed to satisfy constraint: "
                f"Member must have value less than or equal to {MAX_PAGE}",
                400,
            )
        start = 0
        token = params.get("nextToken")
        if token is not None:
            try:
                start = int(token.rpartition(":")[2])
            except ValueError:
                raise ServiceError("InvalidToken", "Invalid Token: 'Invalid token'", 400) from None
        out: dict[str, Any] = {key: items[start : start + limit]}
        if start + limit < len(items):
            out["nextToken"] = f"{uuid.uuid4().hex}:{start + limit}"  # unverified: token form
        return out

    async def update_state_machine(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("loggingConfiguration") is not None:
            self._machine(ctx, params["stateMachineArn"])  # its errors first
        await self._check_log_destination(params)
        return self._update_state_machine(ctx, params)

    def _update_state_machine(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        keys = ("definition", "roleArn", "loggingConfiguration", "tracingConfiguration")
        if all(params.get(k) is None for k in keys):
            raise errors.missing_update()
        self._check_publish(params)  # versions.py
        with self.store.transaction():
            m = self._machine(ctx, params["stateMachineArn"])
            before = (m.definition, m.role_arn, dict(m.settings))
            if params.get("definition") is not None:
                self._check_definition(params["definition"], m.machine_type)
                m.definition = params["definition"]
            if params.get("roleArn") is not None:
                m.role_arn = params["roleArn"]
            if params.get("loggingConfiguration") is not None:
                m.settings["loggingConfiguration"] = self._logging(params["loggingConfiguration"])
            if params.get("tracingConfiguration") is not None:
                m.settings["tracingConfiguration"] = params["tracingConfiguration"]
            now = self.clock.now()
            if (m.definition, m.role_arn, m.settings) != before:  # recorded: no change, no new revision
                m.updated = now
                m.revision_id = str(uuid.uuid4())
                self.db.update_machine(m)
            published = self._published(m, params)  # versions.py
        out: dict[str, Any] = {"updateDate": now, **published}
        if m.updated is not None:
            out["revisionId"] = m.revision_id
        return out

    def delete_state_machine(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["stateMachineArn"]
        self._arn_of(arn, "stateMachine")
        with self.store.transaction():
            self.db.drop_machine(arn)  # a missing one is fine (recorded)
            self.db.drop_versions_and_aliases(arn)
        return {}

    # ---- executions --------------------------------------------------------------------------

    def _input(self, params: dict[str, Any]) -> str:
        text = params.get("input")
        if text is None:
            return "{}"
        if len(text.encode()) > MAX_PAYLOAD:
            raise errors.invalid_input("Input exceeds the maximum size.")  # unverified
        if not text.strip():
            raise errors.invalid_input("Invalid execution input.")
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            reason, _, _ = jackson.describe(text, exc)
            raise errors.invalid_input(reason) from None
        return dumps(value)

    def start_execution(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        machine_arn, test_case = split_test_case(params["stateMachineArn"])  # mocks.py
        machine, ran = self._runnable(ctx, machine_arn)  # versions.py: a version or alias runs its version
        case = self.mocks.test_case(machine.name, test_case)
        if machine.machine_type == "EXPRESS":
            started = self._start_express(ctx, machine, params, ran)
            self.mocks.attach(self.executions.live.get(started["executionArn"]), case)
            return started
        name = params.get("name") or str(uuid.uuid4())
        errors.check_name(name)
        text = self._input(params)
        arn = ctx.arn("states", f"execution:{machine.name}:{name}")
        with self.store.transaction():
            existing = self.db.execution(arn)
            if existing is not None:
                if existing.status == "RUNNING" and existing.input == text:
                    return {"executionArn": arn, "startDate": existing.started}  # idempotent (recorded)
                raise errors.execution_exists(arn)
            row = ExecutionRow(
                arn, machine.arn, name, "RUNNING", self.clock.now(), None, text, None, None, None,
                machine.definition, machine.role_arn,
                {"redriveCount": 0, **execution_logs.settings(machine.settings.get("loggingConfiguration"))},
                **ran,
            )  # fmt: skip
            self.db.add_execution(row)
            self.mocks.attach(self.executions.start(row, machine.name, durable=True), case)
        return {"executionArn": arn, "startDate": row.started}

    def _express(
        self, ctx: RequestContext, machine: MachineRow, params: dict[str, Any], sync: bool,
        ran: dict[str, Any] | None = None,
    ) -> Live:  # fmt: skip
        """Start an Express execution: in memory only (no DescribeExecution, no history)."""
        name = params.get("name") or str(uuid.uuid4())
        errors.check_name(name)
        text = self._input(params)
        arn = ctx.arn("states", f"express:{machine.name}:{name}:{uuid.uuid4()}")
        row = ExecutionRow(
            arn, machine.arn, name, "RUNNING", self.clock.now(), None, text, None, None, None,
            machine.definition, machine.role_arn,
            {**({} if sync else {"redriveCount": 0}),
             **execution_logs.settings(machine.settings.get("loggingConfiguration"))},
            **(ran or {}),
        )  # fmt: skip
        return self.executions.start(row, machine.name, durable=False)

    def _start_express(
        self,
        ctx: RequestContext,
        machine: MachineRow,
        params: dict[str, Any],
        ran: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        live = self._express(ctx, machine, params, sync=False, ran=ran)
        return {"executionArn": live.run.arn, "startDate": live.started}

    async def start_sync_execution(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        machine_arn, test_case = split_test_case(params["stateMachineArn"])  # mocks.py
        machine, ran = self._runnable(ctx, machine_arn)  # versions.py
        if machine.machine_type != "EXPRESS":
            raise errors.type_not_supported()
        case = self.mocks.test_case(machine.name, test_case)
        live = self._express(ctx, machine, params, sync=True, ran=ran)
        self.mocks.attach(live, case)
        outcome = await live.done
        out: dict[str, Any] = {
            "executionArn": live.run.arn,
            "stateMachineArn": machine.arn,
            "name": live.run.context["Execution"]["Name"],
            "startDate": live.started,
            "stopDate": self.clock.now(),
            "status": outcome.status,
            "input": dumps(live.run.context["Execution"]["Input"]),
            "inputDetails": {"included": True},
            "outputDetails": {"included": True},
            "billingDetails": {
                "billedMemoryUsedInMB": 64,
                "billedDurationInMilliseconds": 100,
            },  # as recorded
        }
        if outcome.status == "SUCCEEDED":
            out["output"] = dumps(outcome.output)
        if outcome.error is not None:
            out["error"] = outcome.error
        if outcome.cause is not None:
            out["cause"] = outcome.cause
        return out

    def describe_execution(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._describe_row(self._execution(ctx, params["executionArn"]))

    def _describe_row(self, e: ExecutionRow) -> dict[str, Any]:
        out: dict[str, Any] = {
            "executionArn": e.arn,
            "stateMachineArn": e.machine_arn,
            "name": e.name,
            "status": e.status,
            "startDate": e.started,
            "input": e.input,
            "inputDetails": {"included": True},
            "redriveCount": e.extra.get("redriveCount", 0),
            "redriveStatus": self._redrive_status(e),
        }
        if e.extra.get("redriveDate") is not None:
            out["redriveDate"] = e.extra["redriveDate"]
        if e.stopped is not None:
            out["stopDate"] = e.stopped
        if e.output is not None:
            out["output"] = e.output
            out["outputDetails"] = {"included": True}
        if e.error is not None:
            out["error"] = e.error
        if e.cause is not None:
            out["cause"] = e.cause
        out.update(_qualifiers(e))
        if e.extra.get("mapRunArn"):  # a distributed Map's child execution (map_runs.py)
            out["mapRunArn"] = e.extra["mapRunArn"]
        return out

    @staticmethod
    def _redrive_status(e: ExecutionRow) -> str:
        if e.status in ("FAILED", "TIMED_OUT", "ABORTED"):
            return "REDRIVABLE"
        return "NOT_REDRIVABLE"

    def list_executions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("stateMachineArn")
        if arn is None:
            if params.get("mapRunArn") is not None:
                return self._map_run_executions(ctx, params)  # map_runs.py
            raise ServiceError(
                "ValidationException", "Must provide a StateMachine ARN or MapRun ARN", 400
            )  # unverified
        machine, qualifier = self._listed(ctx, arn)  # versions.py: a version or alias keeps its own
        if machine.machine_type == "EXPRESS":
            raise errors.type_not_supported()
        items = []
        redriven = params.get("redriveFilter")
        for e in self.db.executions(machine.arn, params.get("statusFilter"), qualifier):
            if redriven is not None and (e.extra.get("redriveCount", 0) > 0) != (redriven == "REDRIVEN"):
                continue
            items.append(self._execution_item(e))
        return self._page("executions", items, params)

    @staticmethod
    def _execution_item(e: ExecutionRow) -> dict[str, Any]:
        """An execution as ListExecutions lists it."""
        item: dict[str, Any] = {
            "executionArn": e.arn,
            "stateMachineArn": e.machine_arn,
            "name": e.name,
            "status": e.status,
            "startDate": e.started,
            "redriveCount": e.extra.get("redriveCount", 0),
        }
        if e.stopped is not None:
            item["stopDate"] = e.stopped
        if e.extra.get("redriveDate") is not None:
            item["redriveDate"] = e.extra["redriveDate"]
        item.update(_qualifiers(e))
        return item

    def get_execution_history(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        e = self._execution(ctx, params["executionArn"])
        include = params.get("includeExecutionData", True)
        events = []
        rows = self.db.events(e.arn)
        live = self.executions.live.get(e.arn)
        if live is not None:  # a running execution's events since its last stored checkpoint
            rows += [row for row in live.run.history.pending if not rows or row.id > rows[-1].id]
        for row in rows:
            event: dict[str, Any] = {
                "timestamp": row.at,
                "type": row.event_type,
                "id": row.id,
                "previousEventId": row.previous_id,
                **row.details,
            }
            if not include:
                _strip_data(event)
            events.append(event)
        if params.get("reverseOrder"):
            events.reverse()
        return self._page("events", events, params)

    def stop_execution(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            e = self._execution(ctx, params["executionArn"])
            if e.status != "RUNNING":
                return {
                    "stopDate": e.stopped or self.clock.now()
                }  # unverified: an ended one is left as it is
            stopped = self.executions.abort(e, params.get("error"), params.get("cause"))
        return {"stopDate": stopped}

    def redrive_execution(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            e = self._execution(ctx, params["executionArn"])
            now = self.clock.now()
            if e.status not in ("FAILED", "TIMED_OUT", "ABORTED"):
                raise ServiceError(
                    "ExecutionNotRedrivable", f"Execution is {e.status} and cannot be redriven", 400
                )  # unverified
            if e.stopped is not None and now - e.stopped > REDRIVE_WINDOW_S:
                raise ServiceError(
                    "ExecutionNotRedrivable",
                    "Execution can only be redriven within 14 days of its end",
                    400,
                )  # unverified
            machine = self.db.machine(e.machine_arn)
            if machine is None:
                raise errors.machine_not_found(e.machine_arn)  # unverified
            count = int(e.extra.get("redriveCount", 0)) + 1
            e.extra.update(redriveCount=count, redriveDate=now)
            self.db.restart_execution(e.arn, e.extra)
            e.status = "RUNNING"
            self.executions.redrive(e, machine.name, count)
        return {"redriveDate": now}

    # ---- task tokens -------------------------------------------------------------------------

    def send_task_success(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        text = params["output"]
        try:
            output = loads(text)
        except ValueError:
            raise ServiceError(
                "InvalidOutput", f"Invalid State Machine Execution Output: '{text}'", 400
            ) from None  # unverified
        self.tokens.succeed(params["taskToken"], output)
        return {}

    def send_task_failure(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.tokens.fail(params["taskToken"], params.get("error"), params.get("cause"))
        return {}

    def send_task_heartbeat(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.tokens.heartbeat(params["taskToken"])
        return {}

    # ---- tags --------------------------------------------------------------------------------

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        m = self._taggable(ctx, params["resourceArn"])  # versions.py
        return {"tags": [{"key": k, "value": v} for k, v in m.tags.items()]}

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            m = self._taggable(ctx, params["resourceArn"])  # versions.py
            m.tags.update({t["key"]: t["value"] for t in params["tags"]})
            self.db.update_machine(m)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            m = self._taggable(ctx, params["resourceArn"])  # versions.py
            for key in params["tagKeys"]:
                m.tags.pop(key, None)
            self.db.update_machine(m)
        return {}


def _qualifiers(e: ExecutionRow) -> dict[str, str]:
    """The version and alias an execution was started on (versions.py)."""
    found = {"stateMachineVersionArn": e.version_arn, "stateMachineAliasArn": e.alias_arn}
    return {k: v for k, v in found.items() if v is not None}


def _strip_data(event: dict[str, Any]) -> None:
    """``includeExecutionData: false``: inputs and outputs left out of the event details."""
    for key, details in event.items():
        if key.endswith("EventDetails") and isinstance(details, dict):
            for field_name in ("input", "output", "inputDetails", "outputDetails"):
                details.pop(field_name, None)


__all__ = ["StepFunctionsProvider", "loads"]
