"""EventBridge's CloudWatch metrics (namespace ``AWS/Events``), recorded through core's Metrics.

Per rule (dimensions ``RuleName`` and, on a custom bus, ``EventBusName`` + ``RuleName``) and
account-wide: TriggeredRules and MatchedEvents when events match, Invocations (attempts that
reached a verdict: a success, or a failure given up on), FailedInvocations,
RetryInvocationAttempts, InvocationsSentToDLQ, InvocationsFailedToBeSentToDLQ, and
IngestiontoInvocationStartLatency (milliseconds from the event's put to the first attempt);
account-wide PutEventsLatency (the time each PutEvents request took). ThrottledRules is never
recorded: Cloudlet does not throttle rules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudlet.core.delivery import Attempt
    from cloudlet.services.events.store import Bus, Rule

NAMESPACE = "AWS/Events"
# engine events -> metric
_OBSERVED = {
    "success": "Invocations",
    "gave-up": "FailedInvocations",
    "retry": "RetryInvocationAttempts",
    "dead-lettered": "InvocationsSentToDLQ",
    "dead-letter-failed": "InvocationsFailedToBeSentToDLQ",
}


def _dimensions(rule_arn: str) -> list[dict[str, str] | None]:
    path = rule_arn.split(":rule/", 1)[1]
    if "/" in path:
        bus, name = path.split("/", 1)
        return [{"RuleName": name}, {"EventBusName": bus, "RuleName": name}, None]
    return [{"RuleName": path}, None]


class EventsMetrics:
    def __init__(self, metrics: Any, clock: Any) -> None:
        self.metrics = metrics
        self.clock = clock

    def _add(
        self,
        account: str,
        region: str,
        rule_arn: str | None,
        metric: str,
        value: float = 1.0,
        unit: str = "Count",
    ) -> None:
        dimensions = _dimensions(rule_arn) if rule_arn else [None]
        for dims in dimensions:
            self.metrics.record(account, region, NAMESPACE, metric, value, unit, dims)

    def put_events(self, account: str, region: str, milliseconds: float) -> None:
        """PutEventsLatency: the time a PutEvents request took to accept its entries."""
        self.metrics.series(account, region, NAMESPACE, "PutEventsLatency", "Milliseconds").add(milliseconds)

    def matched(self, bus: Bus, rules: list[Rule]) -> None:
        if not rules:
            return
        self.metrics.record(bus.account, bus.region, NAMESPACE, "MatchedEvents", 1.0, "Count", None)
        for rule in rules:
            self._add(rule.account, rule.region, rule.arn, "TriggeredRules")

    def invoked_at_once(self, rule: Rule) -> None:
        """A target invoked inside PutEvents (an SQS queue): no wait before the attempt."""
        self._add(rule.account, rule.region, rule.arn, "Invocations")
        self._add(
            rule.account, rule.region, rule.arn, "IngestiontoInvocationStartLatency", 0.0, "Milliseconds"
        )

    def failed(self, rule: Rule) -> None:
        """An invocation that failed before any attempt (its input could not be rendered)."""
        for metric in ("Invocations", "FailedInvocations"):
            self._add(rule.account, rule.region, rule.arn, metric)

    def observe(self, event: str, attempt: Attempt) -> None:
        rule_arn = attempt.payload["rule"]
        parts = rule_arn.split(":")
        account, region = parts[4], parts[3]
        if event == "attempt" and attempt.number == 1:
            latency = max(0.0, self.clock.now() - attempt.created)
            self._add(
                account, region, rule_arn, "IngestiontoInvocationStartLatency", latency * 1000, "Milliseconds"
            )
        metric = _OBSERVED.get(event)
        if metric is None:
            return
        self._add(account, region, rule_arn, metric)
        if event == "gave-up":
            self._add(account, region, rule_arn, "Invocations")
