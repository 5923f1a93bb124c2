"""Rule targets: how an event is handed to each kind of target, through the delivery engine.

Every matched (event, target) pair is one delivery, written in the PutEvents transaction with
the target's RetryPolicy (MaximumRetryAttempts, MaximumEventAgeInSeconds; 185 and 24 hours by
default) and DeadLetterConfig. Errors that retrying cannot mend (the target is gone, EventBridge
may not invoke it) fail at once; the dead-letter message is the event, with AWS's attributes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.core.delivery import (
    AGE_EXCEEDED,
    RETRIES_EXHAUSTED,
    Attempt,
    Backoff,
    DeliveryFailure,
    Outbound,
    Outcome,
    Policy,
)
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.interface import function_invoker
from cloudlet.services.firehose.interface import record_sink
from cloudlet.services.kinesis.interface import record_writer
from cloudlet.services.sns.interface import topic_publisher

if TYPE_CHECKING:
    from cloudlet.services.events.provider import EventsProvider


def body_of(payload: dict[str, Any]) -> str:
    """The text a target receives: the rendered input, or the event itself."""
    body = payload.get("body")
    return body if body is not None else orjson.dumps(payload["event"]).decode()


log = logging.getLogger("cloudlet.events")

TARGET = "events.target"
MAX_RETRIES = 185
MAX_AGE = 86400
# unverified: AWS documents "exponential back off and jitter" without the numbers
BACKOFF = Backoff(base=1.0, factor=2.0, cap=300.0, jitter="full")
EVENTS_PRINCIPAL = "events.amazonaws.com"
SQS_SENDER_ID = "AIDAIE6VAXUQU2DKHA7DK"  # unverified: the SenderId SQS shows for EventBridge
MAX_HOPS = 2  # a third bus-to-bus hop is refused (THIRD_ACCOUNT_HOP_DETECTED and the like)


def delivery_policy(target: dict[str, Any]) -> Policy:
    """The engine policy of a target's RetryPolicy and DeadLetterConfig."""
    retry = target.get("RetryPolicy") or {}
    dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
    return Policy(
        max_retries=retry.get("MaximumRetryAttempts", MAX_RETRIES),
        max_age=float(retry.get("MaximumEventAgeInSeconds", MAX_AGE)),
        backoff=BACKOFF,
        dead_letter=dead_letter or None,
    )


def _final(code: str, message: str) -> DeliveryFailure:
    return DeliveryFailure(code, message, final=True)


class TargetDelivery:
    """The engine target that hands one event to one rule target."""

    def __init__(self, provider: EventsProvider) -> None:
        self.provider = provider
        self.runtime = provider.runtime

    async def deliver(self, attempt: Attempt) -> None:
        payload = attempt.payload
        arn = payload["arn"]
        try:
            service = parse_arn(arn).service
        except ValueError:
            raise _final("INVALID_PARAMETER", f"Target ARN {arn} is not valid.") from None  # unverified
        if service == "sqs":
            self.to_sqs(payload)
        elif service == "lambda":
            self._to_lambda(payload)
        elif service == "sns":
            self._to_sns(payload)
        elif service == "events" and ":api-destination/" in arn:
            await self.provider.call_api_destination(payload)
        elif service == "events":
            self.provider.forward_to_bus(payload)
        elif service == "logs":
            self._to_logs(payload)
        elif service == "firehose":
            self._to_firehose(payload)
        elif service == "kinesis":
            self._to_kinesis(payload)
        elif service == "states":
            await self._to_stepfunctions(payload)
        else:
            raise _final("UNSUPPORTED_TARGET", f"Cloudlet does not deliver to {service} targets yet.")

    def to_sqs(self, payload: dict[str, Any]) -> None:
        """Send the event into an SQS queue target (also as a first attempt made at once)."""
        sqs = self.runtime.load("sqs")
        if sqs is None:
            raise _final("NO_RESOURCE", "SQS is not served")
        entry: dict[str, Any] = {"MessageBody": body_of(payload)}
        if payload.get("group"):
            entry["MessageGroupId"] = payload["group"]
            entry["MessageDeduplicationId"] = payload["event"]["id"]
        try:
            sqs.send(payload["arn"], entry, sender_id=SQS_SENDER_ID)
        except ServiceError as exc:
            code = "NO_RESOURCE" if exc.code == "QueueDoesNotExist" else "SDK_CLIENT_ERROR"
            raise _final(code, exc.message) from exc

    def _to_lambda(self, payload: dict[str, Any]) -> None:
        invoker = function_invoker(self.runtime)
        if invoker is None:
            raise _final("NO_RESOURCE", "Lambda is not served")
        rule_arn = payload["rule"]
        context = {"aws:SourceArn": rule_arn, "aws:SourceAccount": rule_arn.split(":")[4]}
        if not invoker.service_may_invoke(payload["arn"], EVENTS_PRINCIPAL, context):
            # unverified: AWS's message; the function may also simply not exist
            raise _final(
                "NO_PERMISSIONS",
                f"EventBridge may not invoke {payload['arn']} (no resource policy allows it).",
            )
        with self.runtime.store.transaction():
            accepted = invoker.enqueue_event(
                payload["arn"], body_of(payload).encode(), payload["event"]["id"]
            )
        if not accepted:
            raise _final("NO_RESOURCE", f"Function not found: {payload['arn']}")

    def _to_sns(self, payload: dict[str, Any]) -> None:
        publisher = topic_publisher(self.runtime)
        if publisher is None:
            raise _final("NO_RESOURCE", "SNS is not served")
        with self.runtime.store.transaction():
            published = publisher.publish_message(
                payload["arn"], body_of(payload), group_id=payload.get("group")
            )
        if not published:
            raise _final("NO_RESOURCE", f"Topic does not exist: {payload['arn']}")

    def _to_kinesis(self, payload: dict[str, Any]) -> None:
        """One record; its partition key is KinesisParameters.PartitionKeyPath's value in the
        event, else the event's id (as AWS documents)."""
        writer = record_writer(self.runtime)
        key = payload.get("partition_key") or payload["event"]["id"]
        with self.runtime.store.transaction():
            written = writer is not None and writer.put_record(payload["arn"], body_of(payload).encode(), key)
        if not written:
            raise _final("NO_RESOURCE", f"Stream does not exist: {payload['arn']}")  # unverified

    async def _to_stepfunctions(self, payload: dict[str, Any]) -> None:
        """StartExecution of the state machine with the event (or the rendered input)."""
        from cloudlet.services.stepfunctions.interface import start_execution

        try:
            await start_execution(self.runtime, payload["arn"], body_of(payload))
        except ServiceError as exc:
            # unverified: the error codes AWS records for a Step Functions target
            code = "NO_RESOURCE" if exc.code == "StateMachineDoesNotExist" else "SDK_CLIENT_ERROR"
            raise _final(code, exc.message) from exc

    def _to_firehose(self, payload: dict[str, Any]) -> None:
        sink = record_sink(self.runtime)
        if sink is None or not sink.put_record_in(payload["arn"], body_of(payload).encode()):
            raise _final("NO_RESOURCE", f"Delivery stream does not exist: {payload['arn']}")  # unverified

    def _to_logs(self, payload: dict[str, Any]) -> None:
        from cloudlet.services.logs.interface import log_sink

        parts = parse_arn(payload["arn"])
        group = parts.resource.removeprefix("log-group:").removesuffix(":*")
        event = payload["event"]
        millis = int(self.provider.clock.now() * 1000)
        # unverified: the stream EventBridge writes to is named after the event id
        log_sink(self.runtime).put(
            parts.account, parts.region, group, event["id"], [(millis, body_of(payload))]
        )

    # -- what the engine records when a delivery gives up --
    @staticmethod
    def dead_letter(attempt: Attempt, outcome: Outcome) -> Outbound:
        payload = attempt.payload
        attributes = {
            "RULE_ARN": payload["rule"],
            "TARGET_ARN": payload["arn"],
            "ERROR_CODE": outcome.code,
            "ERROR_MESSAGE": outcome.message or outcome.code,
            "RETRY_ATTEMPTS": str(max(0, outcome.attempts - 1)),
        }
        # unverified: which condition AWS names for a failure it does not retry
        if outcome.reason == RETRIES_EXHAUSTED:
            attributes["EXHAUSTED_RETRY_CONDITION"] = "MaximumRetryAttempts"
        elif outcome.reason == AGE_EXCEEDED:
            attributes["EXHAUSTED_RETRY_CONDITION"] = "MaximumEventAgeInSeconds"
        body = orjson.dumps(payload["event"]).decode()
        return Outbound(body, {k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})
