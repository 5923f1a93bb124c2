"""Publish's checks and its fan-out to SQS and Lambda subscribers, through the delivery engine.

Every delivery is written in the Publish transaction, so a message acknowledged to the
publisher reaches its subscribers across a kill -9. A subscriber whose filter policy
refuses the message (filtering.py) gets nothing.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.delivery import Attempt, DeliveryFailure
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.interface import function_invoker
from cloudlet.services.sns import endpoints, filtering, messages
from cloudlet.services.sns import metrics as sns_metrics
from cloudlet.services.sns.errors import invalid
from cloudlet.services.sns.signing import CERT_PATH, Signer
from cloudlet.services.sns.store import Subscription, Topic

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.sns.provider import SnsProvider

log = logging.getLogger("cloudlet.sns")

TO_SQS = "sns.sqs"
RAW_PROTOCOLS = frozenset({"sqs", "http", "https", "firehose"})  # where RawMessageDelivery applies
DEDUP_WINDOW = 300.0  # seconds a FIFO topic remembers a deduplication id
SNS_SENDER_ID = "AIDAIT2UOQQY3AUEKVGXU"  # unverified: the SenderId SQS shows for SNS's messages


def check_entry(topic: Topic, params: dict[str, Any]) -> dict[str, Any]:
    """A Publish (or batch entry) checked as SNS does: the message fields it delivers."""
    message = params.get("Message")
    if not message:
        raise invalid("Empty message")
    subject = params.get("Subject")
    if subject is not None and (not subject.strip() or len(subject) > 100 or "\n" in subject):
        raise invalid("Subject")
    structure = params.get("MessageStructure")
    messages.check_structure(message, structure)
    attributes = params.get("MessageAttributes") or {}
    size = messages.check_attributes(attributes) + len(message.encode())
    if size > messages.MAX_MESSAGE:
        raise invalid("Message too long")
    fifo = topic.attributes.get("FifoTopic") == "true"
    group = params.get("MessageGroupId")
    dedup = params.get("MessageDeduplicationId")
    if fifo:
        if not group:
            raise invalid("The MessageGroupId parameter is required for FIFO topics")
        if not dedup:
            if topic.attributes.get("ContentBasedDeduplication") != "true":
                raise invalid(
                    "The topic should either have ContentBasedDeduplication enabled or "
                    "MessageDeduplicationId provided explicitly"
                )
            dedup = hashlib.sha256(message.encode()).hexdigest()
    elif dedup:
        raise invalid(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter "
            "that is not valid for this topic type"
        )
    entry: dict[str, Any] = {"Message": message, "Structure": structure, "Attributes": attributes}
    if subject is not None:
        entry["Subject"] = subject
    if fifo:
        entry.update(Group=group, Dedup=dedup)
    return entry


def _base_url(ctx: RequestContext) -> str:
    """Where the signing certificate and unsubscribe links are served: the host the request
    used, or Cloudlet's own endpoint for a message another service published in process."""
    request = ctx.request
    host = request.headers.get("host") if request is not None else None
    return f"http://{host}" if host else ctx.extra.get("endpoint", f"https://sns.{ctx.region}.amazonaws.com")


def notification(
    ctx: RequestContext,
    signer: Signer,
    topic: Topic,
    sub: Subscription,
    entry: dict[str, Any],
    message_id: str,
    now: float,
    signed: bool = True,
) -> dict[str, Any]:
    """The fields of the notification ``sub`` gets (SQS's and HTTP's member names); not
    ``signed`` for a raw delivery, which sends the message alone."""
    fifo = "SequenceNumber" in entry
    base = _base_url(ctx)
    fields: dict[str, Any] = {"Type": "Notification", "MessageId": message_id}
    if fifo:
        fields["SequenceNumber"] = entry["SequenceNumber"]
    fields["TopicArn"] = topic.arn
    if "Subject" in entry:
        fields["Subject"] = entry["Subject"]
    fields["Message"] = messages.message_for(entry["Message"], entry["Structure"], sub.protocol)
    fields["Timestamp"] = messages.timestamp(now)
    if not fifo and signed:
        version = topic.attributes.get("SignatureVersion") or "1"
        fields["SignatureVersion"] = version
        fields["Signature"] = signer.sign(fields, version)
        fields["SigningCertURL"] = f"{base}{CERT_PATH}"
    fields["UnsubscribeURL"] = f"{base}/?Action=Unsubscribe&SubscriptionArn={sub.arn}"
    if entry["Attributes"]:
        fields["MessageAttributes"] = messages.envelope_attributes(entry["Attributes"])
    return fields


def lambda_event(fields: dict[str, Any], sub: Subscription) -> bytes:
    """The Event invocation payload a Lambda subscriber gets."""
    sns = {
        "Type": fields["Type"],
        "MessageId": fields["MessageId"],
        "TopicArn": fields["TopicArn"],
        "Subject": fields.get("Subject"),
        "Message": fields["Message"],
        "Timestamp": fields["Timestamp"],
        "SignatureVersion": fields.get("SignatureVersion", "1"),
        "Signature": fields.get("Signature", ""),
        "SigningCertUrl": fields.get("SigningCertURL", ""),
        "UnsubscribeUrl": fields["UnsubscribeURL"],
        "MessageAttributes": fields.get("MessageAttributes", {}),
    }
    record = {"EventSource": "aws:sns", "EventVersion": "1.0", "EventSubscriptionArn": sub.arn, "Sns": sns}
    return orjson.dumps({"Records": [record]})


def fan_out(provider: SnsProvider, ctx: RequestContext, topic: Topic, entry: dict[str, Any]) -> str:
    """Make the deliveries of one checked message (inside the caller's transaction); its id."""
    now = provider.clock.now()
    message_id = str(uuid.uuid4())
    if "Group" in entry:
        seen = provider.db.duplicate(topic.arn, entry["Dedup"], now)
        if seen is not None:  # a repeat within the deduplication window is accepted, not delivered
            entry["SequenceNumber"] = seen[1]
            return seen[0]
        entry["SequenceNumber"] = f"{provider.db.next_sequence(topic.arn):020d}"
        provider.db.remember(
            topic.arn, entry["Dedup"], message_id, entry["SequenceNumber"], now + DEDUP_WINDOW, now
        )
    sns_metrics.published(provider.metrics, topic, entry)
    for sub in provider.db.confirmed(topic.arn):
        if not filtering.accepts(provider, topic, sub, entry):
            continue
        raw = sub.protocol in RAW_PROTOCOLS and sub.attributes.get("RawMessageDelivery") == "true"
        fields = notification(ctx, provider.signer, topic, sub, entry, message_id, now, signed=not raw)
        if sub.protocol == "sqs":
            _to_sqs(provider, sub, entry, fields)
        elif sub.protocol == "lambda":
            _to_lambda(provider, ctx, topic, sub, fields)
        else:  # HTTP/S, and the sink of email, SMS and mobile push
            endpoints.deliver(provider, topic, sub, entry, fields)
    return message_id


def _to_sqs(provider: SnsProvider, sub: Subscription, entry: dict[str, Any], fields: dict[str, Any]) -> None:
    payload: dict[str, Any] = {"queue": sub.endpoint, "topic": sub.topic_arn}  # topic: for metrics
    if sub.attributes.get("RawMessageDelivery") == "true":
        payload["body"] = fields["Message"]
        payload["attributes"] = messages.sqs_attributes(entry["Attributes"])
    else:
        payload["body"] = messages.envelope_json(fields)
    order_key = None
    if "Group" in entry and sub.endpoint.endswith(".fifo"):
        payload.update(group=entry["Group"], dedup=entry["Dedup"])
    if "Group" in entry:
        order_key = f"{sub.arn}/{entry['Group']}"
    policy = endpoints.sqs_policy(sub)
    if policy is not None:
        payload["redrive"] = True  # a missing queue is a client-side error: to the dead-letter queue
    if order_key is not None:  # FIFO: a group's messages wait behind its pending deliveries
        provider.deliveries.enqueue(TO_SQS, payload, policy, order_key=order_key)
        return
    went = provider.deliveries.deliver_or_enqueue(
        lambda: provider.sqs_target.send(payload), TO_SQS, payload, policy
    )
    if went is None:
        sns_metrics.delivered(provider.metrics, sub.topic_arn)


def sqs_entry(payload: dict[str, Any]) -> dict[str, Any]:
    """SendMessage's members for an SQS delivery's payload."""
    entry: dict[str, Any] = {"MessageBody": payload["body"]}
    if payload.get("attributes"):
        entry["MessageAttributes"] = messages.from_payload(payload["attributes"])
    if payload.get("group"):
        entry.update(MessageGroupId=payload["group"], MessageDeduplicationId=payload["dedup"])
    return entry


def _to_lambda(
    provider: SnsProvider, ctx: RequestContext, topic: Topic, sub: Subscription, fields: dict[str, Any]
) -> None:
    invoker = function_invoker(provider.runtime)
    if invoker is None:
        return
    context = {"aws:SourceArn": topic.arn, "aws:SourceAccount": topic.account}
    if not invoker.service_may_invoke(sub.endpoint, "sns.amazonaws.com", context):
        if not endpoints.lambda_refused(provider, sub, fields):
            log.warning("SNS may not invoke %s for %s; message dropped", sub.endpoint, sub.arn)
        sns_metrics.failed(provider.metrics, topic.arn)
        return
    invoker.enqueue_event(sub.endpoint, lambda_event(fields, sub), ctx.request_id)
    sns_metrics.delivered(provider.metrics, topic.arn)


class SqsTarget:
    """The delivery target that sends one notification into an SQS queue."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def deliver(self, attempt: Attempt) -> None:
        self.send(attempt.payload)

    def send(self, payload: dict[str, Any]) -> None:
        """Send a delivery's payload into its queue (also as a first attempt made at once)."""
        entry = sqs_entry(payload)
        sqs = self.runtime.load("sqs")
        if sqs is None:
            raise DeliveryFailure("NoSqs", "SQS is not served", final=True)
        try:
            sqs.send(payload["queue"], entry, sender_id=SNS_SENDER_ID)
        except ServiceError as exc:
            final = exc.code != "QueueDoesNotExist" or bool(payload.get("redrive"))
            raise DeliveryFailure(exc.code, exc.message, final=final) from exc
