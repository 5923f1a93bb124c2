"""SNS's CloudWatch metrics (namespace ``AWS/SNS``, dimension ``TopicName``), through core's Metrics.

- NumberOfMessagesPublished, PublishSize (Bytes: the message and its attributes' names,
  types and values, as SNS counts a message's size): per accepted Publish (or batch entry).
- NumberOfNotificationsFilteredOut: a subscription's filter policy refused a message; also
  ``-NoMessageAttributes`` (attribute scope, the message has no attributes),
  ``-InvalidAttributes`` (attribute scope, malformed attributes), ``-InvalidMessageBody``
  (body scope, the body is not a JSON object), and per scope ``-MessageAttributes`` /
  ``-MessageBody``.
- NumberOfNotificationsDelivered / NumberOfNotificationsFailed: an SQS or HTTP/S delivery
  succeeded / was given up (the delivery engine's ``success`` / ``gave-up``); a Lambda
  subscriber's event was queued / refused. NumberOfNotificationsRedrivenToDlq and
  NumberOfNotificationsFailedToRedriveToDlq: a given-up delivery went / could not go to the
  subscription's dead-letter queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudlet.core.delivery import Attempt

if TYPE_CHECKING:
    from cloudlet.core.metrics import Metrics
    from cloudlet.services.sns.store import Topic

NAMESPACE = "AWS/SNS"
FILTERED_OUT = "NumberOfNotificationsFilteredOut"
DELIVERED = "NumberOfNotificationsDelivered"
FAILED = "NumberOfNotificationsFailed"
_SCOPE_METRIC = {  # unverified: names from AWS's metric list, not seen in a recording
    "MessageAttributes": f"{FILTERED_OUT}-MessageAttributes",
    "MessageBody": f"{FILTERED_OUT}-MessageBody",
}
_ENGINE_EVENTS = {
    "success": DELIVERED,
    "gave-up": FAILED,
    "dead-lettered": "NumberOfNotificationsRedrivenToDlq",
    "dead-letter-failed": "NumberOfNotificationsFailedToRedriveToDlq",
}


def record(metrics: Metrics, topic_arn: str, name: str, value: float = 1.0, unit: str = "Count") -> None:
    """One data point of ``name`` for the topic ``topic_arn`` (account and region from the ARN)."""
    parts = topic_arn.split(":")
    if len(parts) < 6:
        return
    metrics.series(parts[4], parts[3], NAMESPACE, name, unit, {"TopicName": parts[5]}).add(value)


def published(metrics: Metrics, topic: Topic, entry: dict[str, Any]) -> None:
    """A message accepted by Publish (or a PublishBatch entry, or another service's publish)."""
    size = len(entry["Message"].encode())
    for name, attr in entry["Attributes"].items():
        value = attr.get("BinaryValue") if "BinaryValue" in attr else attr.get("StringValue") or ""
        size += len(name.encode()) + len(attr.get("DataType", "").encode())
        size += len(value) if isinstance(value, bytes | bytearray) else len(value.encode())
    record(metrics, topic.arn, "NumberOfMessagesPublished")
    record(metrics, topic.arn, "PublishSize", float(size), "Bytes")


def filtered_out(metrics: Metrics, topic_arn: str, reason: str, scope: str) -> None:
    """A subscription's filter policy refused a message; ``reason`` is the metric's suffix
    (``""`` for a plain mismatch)."""
    record(metrics, topic_arn, FILTERED_OUT)
    if reason:
        record(metrics, topic_arn, f"{FILTERED_OUT}-{reason}")
    scoped = _SCOPE_METRIC.get(scope)
    if scoped is not None:
        record(metrics, topic_arn, scoped)


def delivered(metrics: Metrics, topic_arn: str) -> None:
    record(metrics, topic_arn, DELIVERED)


def failed(metrics: Metrics, topic_arn: str) -> None:
    record(metrics, topic_arn, FAILED)


def _topic_of(payload: Any) -> str | None:
    """The topic of an engine delivery: ``topic`` (SQS), or the headers of an HTTP/S
    notification (not of a subscription confirmation)."""
    if not isinstance(payload, dict):
        return None
    topic = payload.get("topic")
    if isinstance(topic, str):
        return topic
    headers = payload.get("headers")
    if isinstance(headers, list):
        found = {h[0]: h[1] for h in headers if isinstance(h, list) and len(h) == 2}
        if found.get("x-amz-sns-message-type") == "Notification":
            return found.get("x-amz-sns-topic-arn")
    return None


def delivery_observer(metrics: Metrics) -> Callable[[str, Attempt], None]:
    """The ``observe`` hook of SNS's engine targets: the delivery metrics of each attempt."""

    def observe(event: str, attempt: Attempt) -> None:
        metric = _ENGINE_EVENTS.get(event)
        topic = _topic_of(attempt.payload) if metric is not None else None
        if topic is not None:
            record(metrics, topic, metric)  # type: ignore[arg-type]

    return observe
