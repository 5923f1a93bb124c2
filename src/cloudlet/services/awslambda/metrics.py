"""Lambda's CloudWatch metrics (namespace ``AWS/Lambda``), recorded through core's Metrics.

Each data point is recorded for the function (``FunctionName``), for the version or alias
invoked (``FunctionName`` + ``Resource`` = ``name:qualifier``), and across the account's
functions in the Region (no dimension), as Lambda publishes them. Names: Invocations,
Errors, Throttles, Duration, ConcurrentExecutions (per invocation start: the invocations then
running; read its Maximum), DeadLetterErrors, DestinationDeliveryFailures,
AsyncEventsReceived, AsyncEventAge, AsyncEventsDropped, IteratorAge (mapping_metrics.py).
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "AWS/Lambda"
UNITS = {"Duration": "Milliseconds", "AsyncEventAge": "Milliseconds", "IteratorAge": "Milliseconds"}


class FunctionMetrics:
    """The metrics of one function (and the qualifier it was invoked through)."""

    def __init__(self, metrics: Any, account: str, region: str, name: str, qualifier: str | None) -> None:
        self.metrics = metrics
        self.account = account
        self.region = region
        self.dimensions: list[dict[str, str]] = [{"FunctionName": name}]
        if qualifier:
            self.dimensions.append({"FunctionName": name, "Resource": f"{name}:{qualifier}"})

    def add(self, metric: str, value: float = 1.0) -> None:
        unit = UNITS.get(metric, "Count")
        for dimensions in (*self.dimensions, None):
            self.metrics.record(self.account, self.region, NAMESPACE, metric, value, unit, dimensions)

    def concurrency(self, function: int, account: int) -> None:
        """ConcurrentExecutions: ``function`` running for this function, ``account`` in all."""
        for dimensions in self.dimensions:
            self.metrics.record(
                self.account, self.region, NAMESPACE, "ConcurrentExecutions", function, "Count", dimensions
            )
        self.metrics.record(self.account, self.region, NAMESPACE, "ConcurrentExecutions", account, "Count")
