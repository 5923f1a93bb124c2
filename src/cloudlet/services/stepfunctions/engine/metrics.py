"""The ``AWS/States`` execution metrics (dimension ``StateMachineArn``), as AWS names them:
ExecutionsStarted, ExecutionsSucceeded/Failed/Aborted/TimedOut and ExecutionTime (ms)."""

from __future__ import annotations

from cloudlet.core.metrics import Metrics

NAMESPACE = "AWS/States"
_ENDED = {
    "SUCCEEDED": "ExecutionsSucceeded",
    "FAILED": "ExecutionsFailed",
    "ABORTED": "ExecutionsAborted",
    "TIMED_OUT": "ExecutionsTimedOut",
}


class ExecutionMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _record(self, machine_arn: str, name: str, value: float, unit: str = "Count") -> None:
        _, _, _, region, account, _ = machine_arn.split(":", 5)
        self.metrics.record(account, region, NAMESPACE, name, value, unit, {"StateMachineArn": machine_arn})

    def started(self, machine_arn: str) -> None:
        self._record(machine_arn, "ExecutionsStarted", 1.0)

    def ended(self, machine_arn: str, status: str, seconds: float) -> None:
        self._record(machine_arn, _ENDED[status], 1.0)
        if status == "SUCCEEDED":
            self._record(machine_arn, "ExecutionTime", max(0.0, seconds * 1000), "Milliseconds")
