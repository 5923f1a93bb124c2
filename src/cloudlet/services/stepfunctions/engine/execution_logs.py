"""Execution history written to CloudWatch Logs, per a state machine's ``loggingConfiguration``.

Every history event an execution records (Standard or Express) is offered to its log; the
log's level decides which are written (``ALL`` every event; ``ERROR`` and ``FATAL`` the types
in :data:`ERROR_EVENTS` and :data:`FATAL_EVENTS`, the developer guide's "Log levels" table;
``OFF`` none: no log is opened, so the history pays one ``None`` check per event). Each
event is one log event whose message is AWS's JSON::

    {"id": "3", "type": "PassStateExited", "details": {...}, "previous_event_id": "2",
     "event_timestamp": "1718000000000", "execution_arn": "...", "redrive_count": "0"}

``details`` is the event's ``…EventDetails`` object (``{}`` when it has none); with
``includeExecutionData: false`` its input, output and their ``…Details`` are left out (as
recorded). The events go to the log group of the configuration's one destination, in a stream
``states/<machine name>/<yyyy-mm-dd-HH>/<8 hex digits>`` shared by the machine's executions of
that hour (the form AWS's vended log streams take). Writing is CloudWatch Logs'
CreateLogStream and PutLogEvents called in process (``gateway/internal.py``), batched: the
events an execution records between two turns of the event loop are written in one call, just
after. A group deleted since the configuration was set drops its events; the execution goes on
(as recorded). Setting a configuration checks the group exists (``Log Destination not found.``)
and creates the empty stream AWS makes to check delivery.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions import errors

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.store import EventRow

log = logging.getLogger("cloudlet.stepfunctions")

LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
FATAL_EVENTS = frozenset({"ExecutionAborted", "ExecutionFailed", "ExecutionTimedOut"})
ERROR_EVENTS = FATAL_EVENTS | frozenset(
    {
        "FailStateEntered",
        "LambdaFunctionFailed",
        "LambdaFunctionScheduleFailed",
        "LambdaFunctionStartFailed",
        "LambdaFunctionTimedOut",
        "MapIterationAborted",
        "MapIterationFailed",
        "MapStateAborted",
        "MapStateFailed",
        "ParallelStateAborted",
        "ParallelStateFailed",
        "TaskFailed",
        "TaskStartFailed",
        "TaskStateAborted",
        "TaskSubmitFailed",
        "TaskTimedOut",
        "WaitStateAborted",
        # not in the table; failures of the same kind (unverified)
        "ActivityFailed",
        "ActivityScheduleFailed",
        "ActivityTimedOut",
        "MapRunFailed",
        "MapRunAborted",
        "ChoiceStateAborted",
        "PassStateAborted",
        "SucceedStateAborted",
    }
)
END_EVENTS = frozenset({"ExecutionSucceeded", "ExecutionFailed", "ExecutionAborted", "ExecutionTimedOut"})
VALIDATION_STREAM = "log_stream_created_by_aws_to_validate_log_delivery_subscriptions"
_DATA_FIELDS = ("input", "inputDetails", "output", "outputDetails", "parameters")  # parameters: unverified
STREAM_KEY = "logging"  # the execution row's ``extra`` member holding its log settings


# ---- the configuration -----------------------------------------------------------------------


def destination_arn(config: dict[str, Any]) -> str | None:
    """The log group ARN of a configuration's (first) destination."""
    for destination in config.get("destinations") or []:
        group = (destination or {}).get("cloudWatchLogsLogGroup") or {}
        if group.get("logGroupArn"):
            return str(group["logGroupArn"])
    return None


def group_of(arn: str) -> tuple[str, str, str]:
    """(account, region, group name) of a log group ARN ``arn:…:logs:<region>:<account>:log-group:<name>:*``;
    InvalidLoggingConfiguration when it is not one."""
    try:
        parsed = parse_arn(arn)
    except ValueError:
        parsed = None
    kind, _, rest = parsed.resource.partition(":") if parsed is not None else ("", "", "")
    if parsed is None or parsed.service != "logs" or kind != "log-group" or not rest.endswith(":*"):
        # unverified: AWS's answer to an ARN that is not a log group's ending with ``:*``
        raise errors.invalid_logging(f"Invalid Log Group ARN: {arn}")
    name = rest[:-2]
    if not name:
        raise errors.invalid_logging(f"Invalid Log Group ARN: {arn}")  # unverified
    return parsed.account, parsed.region, name


def settings(config: dict[str, Any] | None) -> dict[str, Any]:
    """What an execution keeps of its machine's configuration (in its row's ``extra``): nothing
    when logging is OFF."""
    if not config or config.get("level", "OFF") == "OFF":
        return {}
    arn = destination_arn(config)
    if arn is None:
        return {}
    account, region, group = group_of(arn)
    return {
        STREAM_KEY: {
            "level": config["level"],
            "data": bool(config.get("includeExecutionData")),
            "account": account,
            "region": region,
            "group": group,
        }
    }


async def check_destination(runtime: Any, config: dict[str, Any]) -> None:
    """CreateStateMachine/UpdateStateMachine: the destination's group exists (recorded error
    otherwise); AWS's validation stream is made in it."""
    if config.get("level", "OFF") == "OFF":
        return
    arn = destination_arn(config)
    if arn is None:
        return
    account, region, group = group_of(arn)
    if not await _group_exists(runtime, account, region, group):
        raise errors.invalid_logging("Log Destination not found.")
    await _create_stream(runtime, account, region, group, VALIDATION_STREAM)


async def _group_exists(runtime: Any, account: str, region: str, group: str) -> bool:
    from cloudlet.gateway import internal

    token: str | None = None
    while True:
        params: dict[str, Any] = {"logGroupNamePrefix": group}
        if token:
            params["nextToken"] = token
        out = await internal.call(
            runtime, "logs", "DescribeLogGroups", params, account=account, region=region
        )
        if any(g.get("logGroupName") == group for g in out.get("logGroups") or []):
            return True
        token = out.get("nextToken")
        if not token:
            return False


async def _create_stream(runtime: Any, account: str, region: str, group: str, stream: str) -> bool:
    """CreateLogStream; False when the group does not exist."""
    from cloudlet.gateway import internal

    try:
        await internal.call(
            runtime,
            "logs",
            "CreateLogStream",
            {"logGroupName": group, "logStreamName": stream},
            account=account,
            region=region,
        )
    except ServiceError as exc:
        if exc.code == "ResourceAlreadyExistsException":
            return True
        if exc.code == "ResourceNotFoundException":
            return False
        raise
    return True


# ---- writing ---------------------------------------------------------------------------------


@dataclass
class _Batch:
    """Log events waiting to be written to one stream."""

    account: str
    region: str
    group: str
    stream: str
    events: list[tuple[int, str]] = field(default_factory=list)


class ExecutionLogs:
    """The logs of one provider's executions: opens a log per execution whose row carries
    settings, and writes what they gather once per turn of the event loop."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.pending: dict[tuple[str, str, str, str], _Batch] = {}
        self.streams: dict[tuple[str, str], str] = {}  # (machine ARN, hour) -> stream name
        self.made: set[tuple[str, str, str, str]] = set()  # streams known to exist
        self.flushing: asyncio.Task[None] | None = None
        self.scheduled = False

    def open(
        self, arn: str, machine_arn: str, machine_name: str, extra: dict[str, Any]
    ) -> Callable[[EventRow], None] | None:
        """The hook for an execution's history (``History.log``), None when it logs nothing."""
        config = extra.get(STREAM_KEY)
        if not config:
            return None
        return _ExecutionLog(self, arn, machine_arn, machine_name, config, str(extra.get("redriveCount", 0)))

    def stream_for(self, machine_arn: str, machine_name: str, at: float) -> str:
        hour = time.strftime("%Y-%m-%d-%H", time.gmtime(at))
        key = (machine_arn, hour)
        name = self.streams.get(key)
        if name is None:
            for old in [k for k in self.streams if k[0] == machine_arn]:
                del self.streams[old]
            name = self.streams[key] = f"states/{machine_name}/{hour}/{uuid.uuid4().hex[:8]}"
        return name

    def add(self, account: str, region: str, group: str, stream: str, event: tuple[int, str]) -> None:
        key = (account, region, group, stream)
        batch = self.pending.get(key)
        if batch is None:
            batch = self.pending[key] = _Batch(account, region, group, stream)
        batch.events.append(event)
        if not self.scheduled:
            self.scheduled = True
            asyncio.get_running_loop().call_soon(self._start_flush)

    def _start_flush(self) -> None:
        self.scheduled = False
        if self.flushing is None or self.flushing.done():  # else the running flush takes them too
            self.flushing = asyncio.get_running_loop().create_task(self.flush())

    async def flush(self) -> None:
        """Write every pending batch (a failure is logged and its events dropped: best effort,
        as AWS's delivery is)."""
        while self.pending:
            batches, self.pending = list(self.pending.values()), {}
            for batch in batches:
                try:
                    await self._write(batch)
                except Exception:
                    log.exception("execution logs: writing to %s/%s failed", batch.group, batch.stream)

    async def _write(self, batch: _Batch) -> None:
        from cloudlet.gateway import internal

        key = (batch.account, batch.region, batch.group, batch.stream)
        if key not in self.made:
            if not await _create_stream(self.runtime, batch.account, batch.region, batch.group, batch.stream):
                return  # the group is gone: the events are dropped
            self.made.add(key)
        events = sorted(batch.events, key=lambda e: e[0])
        try:
            await internal.call(
                self.runtime,
                "logs",
                "PutLogEvents",
                {
                    "logGroupName": batch.group,
                    "logStreamName": batch.stream,
                    "logEvents": [{"timestamp": ts, "message": message} for ts, message in events],
                },
                account=batch.account,
                region=batch.region,
            )
        except ServiceError as exc:
            if exc.code != "ResourceNotFoundException":
                raise
            self.made.discard(key)  # deleted meanwhile: dropped


class _ExecutionLog:
    """One execution's log: called with each event its history records."""

    __slots__ = ("arn", "data", "level", "logs", "machine_arn", "machine_name", "redrive_count", "target")

    def __init__(
        self,
        logs: ExecutionLogs,
        arn: str,
        machine_arn: str,
        machine_name: str,
        config: dict[str, Any],
        redrive_count: str,
    ) -> None:
        self.logs = logs
        self.arn = arn
        self.machine_arn = machine_arn
        self.machine_name = machine_name
        self.level = config["level"]
        self.data = bool(config.get("data"))
        self.target = (config["account"], config["region"], config["group"])
        self.redrive_count = redrive_count

    def __call__(self, event: EventRow) -> None:
        kind = event.event_type
        if self.level == "ERROR" and kind not in ERROR_EVENTS:
            return
        if self.level == "FATAL" and kind not in FATAL_EVENTS:
            return
        at = int(event.at * 1000)
        message = orjson.dumps(
            {
                "id": str(event.id),
                "type": kind,
                "details": self._details(event.details),
                "previous_event_id": str(event.previous_id),
                "event_timestamp": str(at),
                "execution_arn": self.arn,
                "redrive_count": self.redrive_count,
            }
        ).decode()
        stream = self.logs.stream_for(self.machine_arn, self.machine_name, event.at)
        self.logs.add(*self.target, stream, (at, message))

    def _details(self, details: dict[str, Any]) -> dict[str, Any]:
        for key, value in details.items():
            if key.endswith("EventDetails") and isinstance(value, dict):
                if self.data:
                    return value
                return {k: v for k, v in value.items() if k not in _DATA_FIELDS}
        return {}
