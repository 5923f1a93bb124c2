"""Deliveries beyond SQS and Lambda, and what happens when deliveries fail.

- ``http``/``https``: a ``sns.http`` engine delivery per message (the envelope as JSON, or
  the bare message with ``RawMessageDelivery``), retried by the subscription's effective
  delivery policy.
- ``email``, ``email-json``, ``sms``, ``application``: recorded in the sink (sink.py).
- Redrive: a subscription's ``RedrivePolicy`` becomes the engine policy's dead-letter queue.
  The dead-letter message is what the subscriber would have got: the envelope, or with raw
  delivery the bare message with its attributes as SQS message attributes (recorded from AWS
  for SQS and Lambda subscriptions; unverified for HTTP/S). A client-side error (the queue
  or function is gone, the function refuses SNS) is not retried.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import TYPE_CHECKING, Any

from cloudlet.core.delivery import Attempt, Outbound, Outcome, Policy, Target
from cloudlet.services.firehose.interface import record_sink
from cloudlet.services.sns import confirmation, delivery_policy, messages
from cloudlet.services.sns import metrics as sns_metrics
from cloudlet.services.sns.errors import invalid
from cloudlet.services.sns.http_delivery import TO_HTTP, HttpTarget, headers_for
from cloudlet.services.sns.store import Subscription, Topic

if TYPE_CHECKING:
    from cloudlet.services.sns.provider import SnsProvider

log = logging.getLogger("cloudlet.sns")

SINK_PROTOCOLS = frozenset({"email", "email-json", "sms", "application"})
_PHONE = re.compile(r"\+?[0-9]{5,15}")  # unverified: the numbers SNS takes (E.164)


def register(provider: SnsProvider) -> None:
    """The engine targets and timers of SNS's deliveries."""
    from cloudlet.services.sns.publishing import TO_SQS

    observe = sns_metrics.delivery_observer(provider.metrics)
    provider.deliveries.register(
        TO_SQS, Target(provider.sqs_target.deliver, dead_letter=dead_letter, observe=observe)
    )
    http = HttpTarget(subscribed=lambda arn: provider.db.subscription(arn) is not None)
    provider.deliveries.register(TO_HTTP, Target(http.deliver, dead_letter=dead_letter, observe=observe))
    provider.scheduler.register(
        confirmation.EXPIRE_PENDING, lambda arn: confirmation.expire_pending(provider, arn)
    )


def dead_letter(attempt: Attempt, outcome: Outcome) -> Outbound:
    """The message a dead-letter queue gets for a delivery that gave up."""
    payload = attempt.payload
    extra: dict[str, Any] = {}
    if payload.get("group"):
        extra = {"MessageGroupId": payload["group"], "MessageDeduplicationId": payload["dedup"]}
    attributes = messages.from_payload(payload["attributes"]) if payload.get("attributes") else {}
    return Outbound(payload["body"], attributes, extra)


def sqs_policy(sub: Subscription) -> Policy | None:
    """The engine policy of an SQS delivery: AWS's managed-endpoint policy and the dead-letter
    queue with a RedrivePolicy; else None (the engine's default, which waits for a queue made
    later)."""
    target = delivery_policy.dead_letter_arn(sub)
    return delivery_policy.managed_policy(target) if target else None


def lambda_refused(provider: SnsProvider, sub: Subscription, fields: dict[str, Any]) -> bool:
    """A Lambda subscriber that is gone or refuses SNS (a client-side error, not retried): the
    message goes to the dead-letter queue, if any; whether it did."""
    from cloudlet.services.sns.publishing import TO_SQS

    target = delivery_policy.dead_letter_arn(sub)
    if target is None:
        return False
    payload = {"queue": target, "body": messages.envelope_json(fields)}
    # A dead-letter queue that does not exist loses the message, as on AWS.
    provider.deliveries.enqueue(TO_SQS, payload, Policy(max_retries=0))
    return True


def deliver(
    provider: SnsProvider, topic: Topic, sub: Subscription, entry: dict[str, Any], fields: dict[str, Any]
) -> None:
    """Deliver one notification to an HTTP/S subscriber, a Firehose delivery stream or into the
    sink (inside Publish's transaction)."""
    if sub.protocol in ("http", "https"):
        _to_http(provider, topic, sub, entry, fields)
    elif sub.protocol == "firehose":
        _to_firehose(provider, sub, fields)
    elif sub.protocol in SINK_PROTOCOLS:
        _to_sink(provider, sub, fields)


def _to_firehose(provider: SnsProvider, sub: Subscription, fields: dict[str, Any]) -> None:
    """The message (raw) or its JSON envelope as one record of the delivery stream, durable with
    the publish; a stream that is gone loses it (unverified: AWS's redrive for firehose)."""
    raw = sub.attributes.get("RawMessageDelivery") == "true"
    body = fields["Message"] if raw else messages.envelope_json(fields)
    sink = record_sink(provider.runtime)
    if sink is None or not sink.put_record_in(sub.endpoint, body.encode()):
        log.warning("SNS: delivery stream %s of %s does not exist", sub.endpoint, sub.arn)


def _to_http(
    provider: SnsProvider, topic: Topic, sub: Subscription, entry: dict[str, Any], fields: dict[str, Any]
) -> None:
    policy = delivery_policy.effective(topic, sub)
    raw = sub.attributes.get("RawMessageDelivery") == "true"
    headers = headers_for(
        "Notification", fields["MessageId"], topic.arn, delivery_policy.content_type(policy), sub.arn, raw
    )
    payload: dict[str, Any] = {"url": sub.endpoint, "headers": headers, "subscription": sub.arn}
    if raw:
        payload["body"] = fields["Message"]
        if entry["Attributes"]:
            payload["attributes"] = messages.sqs_attributes(entry["Attributes"])
    else:
        payload["body"] = messages.envelope_json(fields)
    engine_policy = delivery_policy.http_policy(policy, delivery_policy.dead_letter_arn(sub))
    provider.deliveries.enqueue(TO_HTTP, payload, engine_policy)


def _to_sink(provider: SnsProvider, sub: Subscription, fields: dict[str, Any]) -> None:
    record = {
        "type": "Notification",
        "protocol": sub.protocol,
        "endpoint": sub.endpoint,
        "subscriptionArn": sub.arn,
        "topicArn": fields["TopicArn"],
        "messageId": fields["MessageId"],
        "subject": fields.get("Subject"),
        "message": messages.envelope_json(fields) if sub.protocol == "email-json" else fields["Message"],
        "timestamp": fields["Timestamp"],
        "unsubscribeUrl": fields["UnsubscribeURL"],
    }
    if fields.get("MessageAttributes"):
        record["messageAttributes"] = fields["MessageAttributes"]
    provider.sink.record(record, provider.clock.now())


def publish_sms(provider: SnsProvider, params: dict[str, Any]) -> dict[str, Any]:
    """Publish to a phone number: checked, and recorded in the sink."""
    number = params["PhoneNumber"]
    if not _PHONE.fullmatch(number):
        raise invalid(f"PhoneNumber Reason: {number} is not valid to publish to")
    message = params.get("Message")
    if not message:
        raise invalid("Empty message")
    messages.check_structure(message, params.get("MessageStructure"))
    attributes = params.get("MessageAttributes") or {}
    messages.check_attributes(attributes)
    now = provider.clock.now()
    message_id = str(uuid.uuid4())
    record: dict[str, Any] = {
        "type": "Notification",
        "protocol": "sms",
        "endpoint": number,
        "subscriptionArn": None,
        "topicArn": None,
        "messageId": message_id,
        "subject": params.get("Subject"),
        "message": messages.message_for(message, params.get("MessageStructure"), "sms"),
        "timestamp": messages.timestamp(now),
    }
    if attributes:
        record["messageAttributes"] = messages.envelope_attributes(attributes)
    with provider.store.transaction():
        provider.sink.record(record, now)
    return {"MessageId": message_id}
