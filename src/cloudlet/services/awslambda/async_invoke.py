"""Asynchronous invocation (``InvocationType: Event``, ``InvokeAsync``) on the delivery engine.

Invoke writes a delivery to the ``lambda.event`` target in its transaction and answers 202;
the engine runs the function through the executor as RequestResponse does, retrying per the
function's event invoke config (MaximumRetryAttempts, default 2, one minute then two
minutes apart; MaximumEventAgeInSeconds, default 21600), and sends the original event to the
function's DeadLetterConfig and invocation records to the OnSuccess / OnFailure destinations
(SQS through its sender; another function through an asynchronous invocation of it, the
``lambda`` sender registered here).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import ids
from cloudlet.core.delivery import (
    NOT_RETRYABLE,
    RETRIES_EXHAUSTED,
    Attempt,
    Backoff,
    DeliveryFailure,
    Outbound,
    Outcome,
    Policy,
    Target,
)
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.invoke import check_json
from cloudlet.services.awslambda.metrics import FunctionMetrics
from cloudlet.services.awslambda.names import LATEST, FunctionRef, is_version, ref_of_arn
from cloudlet.services.awslambda.store import Doc
from cloudlet.services.base import RequestContext

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider

TARGET = "lambda.event"
MAX_EVENT = (
    262144  # bytes (AWS: "<n> byte payload is too large for the Event invocation type (limit 262144 bytes)")
)
DEFAULT_RETRIES = 2
DEFAULT_AGE = 21600  # seconds
# Function errors and timeouts: one minute, then two (Lambda developer guide, "How Lambda handles
# errors and retries with asynchronous invocation"); throttles: from 1 s up to 5 minutes.
RETRY_BACKOFF = Backoff(schedule=(60.0, 120.0))
THROTTLE_BACKOFF = Backoff(base=1.0, factor=2.0, cap=300.0)


def event_too_large(size: int) -> ServiceError:
    return ServiceError(
        "RequestEntityTooLargeException",
        f"{size} byte payload is too large for the Event invocation type (limit {MAX_EVENT} bytes)",
        413,
        fields={"Type": "User"},
    )


class AsyncInvoking:
    """Event invocations of LambdaProvider: enqueueing, the engine target, records."""

    def register_async(self: LambdaProvider) -> None:
        """Register the ``lambda.event`` target and the ``lambda`` destination sender."""
        self.deliveries.register(
            TARGET,
            Target(
                handler=self._run_event,
                dead_letter=self._dead_letter,
                failure_record=self._failure_record,
                success_record=self._success_record,
                observe=self._observe_event,
            ),
        )
        self.deliveries.register_sender("lambda", self._send_to_function)

    def invoke_event(
        self: LambdaProvider, ref: FunctionRef, config: Doc, payload: bytes, request_id: str
    ) -> None:
        """Persist an Event invocation of the version ``config`` that ``ref`` resolved to."""
        if len(payload) > MAX_EVENT:
            raise event_too_large(len(payload))
        self._enqueue_event(ref, config, payload or b"{}", request_id)

    def enqueue_event(self: LambdaProvider, function_arn: str, payload: bytes, request_id: str) -> bool:
        """An Event invocation for another service (interface.py), inside the caller's
        transaction; False when the function (or its qualifier) no longer exists."""
        try:
            ref = ref_of_arn(function_arn)
            config, _ = self.resolve(ref)
        except (ServiceError, IndexError, ValueError):
            return False
        self.invoke_event(ref, config, payload, request_id)
        return True

    def invoke_async(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The deprecated InvokeAsync: an Event invocation of ``$LATEST`` answering ``Status: 202``."""
        ref = self.ref(ctx, params, qualified=False)
        config, _ = self.resolve(ref)
        payload = params.get("InvokeArgs") or b""
        if not isinstance(payload, bytes | bytearray):
            payload = payload.read() if hasattr(payload, "read") else bytes(payload)
        check_json(bytes(payload))
        self.invoke_event(ref, config, bytes(payload), ctx.request_id)
        return {"Status": 202}

    def _enqueue_event(
        self: LambdaProvider, ref: FunctionRef, config: Doc, payload: bytes, request_id: str
    ) -> None:
        arn = ref.arn(ref.qualifier or "")
        policy = self._event_policy(ref, config)
        with self.store.transaction():
            self.deliveries.enqueue(
                TARGET,
                {"arn": arn, "id": request_id, "event": payload.decode()},
                policy,
                cancel_key=ref.arn(""),  # DeleteFunction drops the function's queued events
            )
        metrics = FunctionMetrics(self.metrics, ref.account, ref.region, ref.name, ref.qualifier)
        self.store.after_commit(lambda: metrics.add("AsyncEventsReceived"))

    def _event_policy(self: LambdaProvider, ref: FunctionRef, config: Doc) -> Policy:
        """The engine policy from the qualifier's event invoke config and the DeadLetterConfig."""
        doc = self.db.setting(ref.account, ref.region, ref.name, "invoke", ref.qualifier or LATEST) or {}
        destinations = doc.get("DestinationConfig") or {}
        retries = doc.get("MaximumRetryAttempts")
        age = doc.get("MaximumEventAgeInSeconds")
        return Policy(
            max_retries=DEFAULT_RETRIES if retries is None else int(retries),
            max_age=float(DEFAULT_AGE if age is None else age),
            backoff=RETRY_BACKOFF,
            throttle_backoff=THROTTLE_BACKOFF,
            dead_letter=(config.get("DeadLetterConfig") or {}).get("TargetArn") or None,
            on_failure=(destinations.get("OnFailure") or {}).get("Destination") or None,
            on_success=(destinations.get("OnSuccess") or {}).get("Destination") or None,
        )

    # ---- the engine's side ---------------------------------------------------------------------

    async def _run_event(self: LambdaProvider, attempt: Attempt) -> dict[str, Any]:
        """One attempt: run the function; a function error or timeout raises (retried)."""
        data = attempt.payload
        ref = ref_of_arn(data["arn"])
        try:
            config, alias = self.resolve(ref)
        except ServiceError as exc:  # the function (or qualifier) went away: nothing to run
            raise DeliveryFailure(exc.code, exc.message, final=True) from None
        FunctionMetrics(self.metrics, ref.account, ref.region, ref.name, ref.qualifier).add(
            "AsyncEventAge", max(0.0, self.clock.now() - attempt.created) * 1000
        )
        try:
            outcome, config = await self.run(ref, config, alias, data["event"].encode(), data["id"])
        except ServiceError as exc:
            if exc.code == "TooManyRequestsException":  # retried within the maximum age
                raise DeliveryFailure(exc.code, exc.message, throttled=True) from None
            raise
        if outcome.error:
            body = _json_or_none(outcome.payload)
            code = body.get("errorType", "Unhandled") if isinstance(body, dict) else "Unhandled"
            raise DeliveryFailure(str(code), outcome.payload.decode(errors="replace"))
        return {"version": config["Version"], "body": outcome.payload.decode(errors="replace")}

    def _observe_event(self: LambdaProvider, event: str, attempt: Attempt) -> None:
        """Async metrics from the engine's events: drops, dead-letter and destination failures."""
        name = _EVENT_METRICS.get(event)
        if name is None:
            return
        ref = ref_of_arn(attempt.payload["arn"])
        FunctionMetrics(self.metrics, ref.account, ref.region, ref.name, ref.qualifier).add(name)

    def _record(
        self: LambdaProvider,
        attempt: Attempt,
        condition: str,
        count: int,
        version: str,
        body: Any,
        error: bool,
    ) -> Outbound:
        """An invocation record as AWS writes it to a destination."""
        data = attempt.payload
        ref = ref_of_arn(data["arn"])
        response: dict[str, Any] = {"statusCode": 200, "executedVersion": version}
        if error:
            response["functionError"] = "Unhandled"
        record = {
            "version": "1.0",
            "timestamp": _record_time(self.clock.now()),
            "requestContext": {
                "requestId": data["id"],
                "functionArn": ref.arn(ref.qualifier or LATEST),
                "condition": condition,
                "approximateInvokeCount": count,
            },
            "requestPayload": _json_or_none(data["event"].encode()),
            "responseContext": response,
            "responsePayload": body,
        }
        return Outbound(orjson.dumps(record).decode())

    def _success_record(self: LambdaProvider, attempt: Attempt, result: dict[str, Any]) -> Outbound:
        body = _json_or_none(result["body"].encode())
        return self._record(attempt, "Success", attempt.number, result["version"], body, False)

    def _failure_record(self: LambdaProvider, attempt: Attempt, outcome: Outcome) -> Outbound:
        # unverified: a function deleted while its events waited (NotRetryable) is written as
        # RetriesExhausted; AWS's condition for it is not documented.
        condition = RETRIES_EXHAUSTED if outcome.reason == NOT_RETRYABLE else outcome.reason
        return self._record(
            attempt,
            condition,
            outcome.attempts,
            self._executed_version(attempt),
            _error_payload(outcome),
            True,
        )

    def _dead_letter(self: LambdaProvider, attempt: Attempt, outcome: Outcome) -> Outbound:
        """The original event, with the attributes AWS sets on a dead-letter message."""
        attributes: dict[str, dict[str, Any]] = {
            "RequestID": {"DataType": "String", "StringValue": attempt.payload["id"]},
            "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        }
        error = _error_payload(outcome)
        message = error.get("errorMessage") if isinstance(error, dict) else None
        if message:
            attributes["ErrorMessage"] = {"DataType": "String", "StringValue": str(message)}
        return Outbound(attempt.payload["event"], attributes)

    def _executed_version(self: LambdaProvider, attempt: Attempt) -> str:
        ref = ref_of_arn(attempt.payload["arn"])
        if ref.qualifier is None or is_version(ref.qualifier):
            return ref.qualifier or LATEST
        found = self.db.alias(ref.account, ref.region, ref.name, ref.qualifier)
        return found["FunctionVersion"] if found else LATEST

    def _send_to_function(self: LambdaProvider, arn: str, message: Outbound) -> None:
        """A record for a function destination: an Event invocation of that function."""
        ref = ref_of_arn(arn)
        config, _ = self.resolve(ref)
        self._enqueue_event(ref, config, message.body.encode(), ids.uuid4())


_EVENT_METRICS = {
    "gave-up": "AsyncEventsDropped",  # retries or age exhausted (sent to a DLQ/OnFailure or not)
    "dead-letter-failed": "DeadLetterErrors",
    "destination-failed": "DestinationDeliveryFailures",
}


def _json_or_none(data: bytes) -> Any:
    try:
        return orjson.loads(data) if data else None
    except orjson.JSONDecodeError:
        return None


def _error_payload(outcome: Outcome) -> Any:
    """The function's last error payload (the engine keeps 1 KB of it in its history: a longer
    one seen again after the event's maximum age becomes its type alone)."""
    found = _json_or_none(outcome.message.encode())
    if isinstance(found, dict):
        return found
    return {"errorType": outcome.code} if outcome.code else None


def _record_time(when: float) -> str:
    """``2019-11-24T23:08:25.651Z``, as invocation records write their timestamp."""
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
