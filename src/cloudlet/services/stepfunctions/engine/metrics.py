"""The ``AWS/States`` metrics, as AWS names them.

Executions (dimension ``StateMachineArn``): ExecutionsStarted, ExecutionsSucceeded/Failed/
Aborted/TimedOut and ExecutionTime (ms). Tasks, from the history events as they are recorded:
Lambda functions called by ARN (``LambdaFunctionArn``), activities (``ActivityArn``) and service
integrations (``ServiceIntegrationResourceArn``, e.g. ``arn:aws:states:::lambda:invoke``), each
with …Scheduled/Started/Succeeded/Failed/TimedOut counts and …Time (scheduled to closed),
…RunTime (started to closed), …ScheduleTime (scheduled to started), in milliseconds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.core.metrics import Metrics

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.store import EventRow

NAMESPACE = "AWS/States"
_ENDED = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "ABORTED": "ExecutionsAborted",
    "TIMED_OUT": "ExecutionsTimedOut",
}


def _place(arn: str) -> tuple[str, str]:
    """(account, region) of a Step Functions ARN."""
    _, _, _, region, account, _ = arn.split(":", 5)
    return account, region


class ExecutionMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _record(self, machine_arn: str, name: str, value: float, unit: str = "Count") -> None:
        account, region = _place(machine_arn)
        self.metrics.record(account, region, NAMESPACE, name, value, unit, {"StateMachineArn": machine_arn})

    def started(self, machine_arn: str) -> None:
        self._record(machine_arn, "ExecutionsStarted", 1.0)

    def ended(self, machine_arn: str, status: str, seconds: float) -> None:
        self._record(machine_arn, _ENDED[status], 1.0)
        if status == "SUCCEEDED":
            self._record(machine_arn, "ExecutionTime", max(0.0, seconds * 1000), "Milliseconds")


# history event type prefix -> (metric name prefix for counts, for times, dimension)
_KINDS = {
    "LambdaFunction": ("LambdaFunctions", "LambdaFunction", "LambdaFunctionArn"),
    "Activity": ("Activities", "Activity", "ActivityArn"),
    "Task": ("ServiceIntegrations", "ServiceIntegration", "ServiceIntegrationResourceArn"),
}
_PHASES = ("Scheduled", "Started", "Succeeded", "Failed", "TimedOut")
_EVENTS = {f"{kind}{phase}": (kind, phase) for kind in _KINDS for phase in _PHASES}
_EVENTS["TaskSubmitted"] = ("Task", "Submitted")  # a .sync job submitted: it goes on


class TaskMetrics:
    """One execution's task metrics: ``observe`` sees each history event as it is recorded and
    follows a task from its Scheduled event through ``previousEventId``."""

    def __init__(self, metrics: Metrics, machine_arn: str) -> None:
        self.metrics = metrics
        self.account, self.region = _place(machine_arn)
        self.open: dict[int, tuple[str, str, float, float | None]] = {}  # event id -> kind, arn, times

    def observe(self, event: EventRow) -> None:
        found = _EVENTS.get(event.event_type)
        if found is None:
            return
        kind, phase = found
        if phase == "Scheduled":
            arn = _resource(kind, event.details)
            if arn:
                self._count(kind, arn, "Scheduled")
                self.open[event.id] = (kind, arn, event.at, None)
            return
        task = self.open.pop(event.previous_id, None)
        if task is None:
            return
        _, arn, scheduled, started = task
        if phase == "Submitted":
            self.open[event.id] = task
            return
        self._count(kind, arn, phase)
        times = _KINDS[kind][1]
        if phase == "Started":
            self.open[event.id] = (kind, arn, scheduled, event.at)
            self._time(kind, arn, f"{times}ScheduleTime", event.at - scheduled)
            return
        self._time(kind, arn, f"{times}Time", event.at - scheduled)
        if started is not None:
            self._time(kind, arn, f"{times}RunTime", event.at - started)

    def _count(self, kind: str, arn: str, phase: str) -> None:
        counts, _, dimension = _KINDS[kind]
        self.metrics.record(
            self.account, self.region, NAMESPACE, f"{counts}{phase}", 1.0, "Count", {dimension: arn}
        )

    def _time(self, kind: str, arn: str, name: str, seconds: float) -> None:
        dimension = _KINDS[kind][2]
        self.metrics.record(
            self.account,
            self.region,
            NAMESPACE,
            name,
            max(0.0, seconds * 1000),
            "Milliseconds",
            {dimension: arn},
        )


def _resource(kind: str, details: dict) -> str | None:
    """The metric's dimension value from a Scheduled event's details."""
    inner = next(iter(details.values()), None) if details else None
    if not isinstance(inner, dict):
        return None
    if kind == "Task":  # unverified: the form of ServiceIntegrationResourceArn
        return f"arn:aws:states:::{inner.get('resourceType')}:{inner.get('resource')}"
    return inner.get("resource")
