"""The metrics of event source mappings, in ``AWS/Lambda``.

With ``MetricsConfig: {"Metrics": ["EventCount"]}`` a mapping counts its events under the
dimension ``EventSourceMappingUUID``: PolledEventCount, FilteredOutEventCount,
InvokedEventCount, FailedInvokeEventCount, DroppedEventCount, DeletedEventCount (SQS) and
OnFailureDestinationDeliveredEventCount (streams). Stream mappings also record
``IteratorAge`` for their function on every invocation: how old the batch's last record was
when the function was invoked (milliseconds), as Lambda publishes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.awslambda.metrics import NAMESPACE, FunctionMetrics
from cloudlet.services.awslambda.names import ref_of_arn

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider

# unverified: the names as Lambda's monitoring guide lists them
POLLED, FILTERED, INVOKED, FAILED, DELETED, DROPPED, DESTINATION = (
    "PolledEventCount", "FilteredOutEventCount", "InvokedEventCount", "FailedInvokeEventCount",
    "DeletedEventCount", "DroppedEventCount", "OnFailureDestinationDeliveredEventCount",
)  # fmt: skip


class MappingMetrics:
    """What one mapping records (set again when the mapping is updated)."""

    def __init__(self, provider: LambdaProvider, mapping: dict[str, Any]) -> None:
        self.metrics = provider.metrics
        ref = ref_of_arn(mapping["FunctionArn"])
        self.account, self.region = ref.account, ref.region
        self.function = FunctionMetrics(provider.metrics, ref.account, ref.region, ref.name, ref.qualifier)
        self.dimensions = {"EventSourceMappingUUID": mapping["UUID"]}
        self.counted = "EventCount" in ((mapping.get("MetricsConfig") or {}).get("Metrics") or [])

    def count(self, metric: str, value: int) -> None:
        if self.counted and value:
            self.metrics.record(self.account, self.region, NAMESPACE, metric, value, "Count", self.dimensions)

    def iterator_age(self, milliseconds: float) -> None:
        self.function.add("IteratorAge", max(0.0, milliseconds))
