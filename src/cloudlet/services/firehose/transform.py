"""Record transformation by a Lambda processor (Firehose developer guide, "Transform source data").

The function gets ``{"invocationId", "deliveryStreamArn", "region", "records": [{"recordId",
"approximateArrivalTimestamp", "data"}]}`` (data base64) and answers ``{"records": [{"recordId",
"result", "data"}]}``; ``Ok`` records are delivered (their new data), ``Dropped`` ones are not,
and ``ProcessingFailed`` ones, records the answer leaves out or mangles, and every record of an
invocation that failed after its retries go to the error output as AWS writes them
(``attemptsMade``, ``arrivalTimestamp``, ``errorCode``, ``errorMessage``,
``attemptEndingTimestamp``, ``rawData``, ``lambdaArn``; developer guide, "Handle failure in
data transformation").
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.ids import uuid4
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.interface import function_invoker

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime
    from cloudlet.services.firehose.store import Buffered

log = logging.getLogger("cloudlet.firehose")

MIB = 1024 * 1024
# unverified: AWS's error codes and messages for each kind of transformation failure
FUNCTION_ERROR = (
    "Lambda.FunctionError",
    "The Lambda function was successfully invoked but it returned an error result.",
)
PROCESSING_FAILED = ("Lambda.ProcessingFailedStatus", "ProcessingFailed status set for record")
MISSING_RECORD = (
    "Lambda.MissingRecordId",
    "One or more record Ids were not returned. Ensure that the Lambda function returns all received record Ids.",
)
BAD_RESULT = (
    "Lambda.InvalidRecordResult",
    "The Lambda function returned a record with an invalid result. Valid results are Ok, Dropped and ProcessingFailed.",
)
BAD_DATA = ("Lambda.InvalidBase64Data", "The Lambda function returned record data that is not valid base64.")
BAD_ANSWER = (
    "Lambda.JsonProcessingException",
    "The Lambda function returned a response that is not valid JSON with a records list.",
)


@dataclass
class Outcome:
    """What a transformation made of a batch: data to deliver, and error records to write."""

    delivered: list[bytes]
    failed: list[dict[str, Any]]
    # (errorCode, errorMessage) of each invocation that failed after its retries
    invocation_errors: list[tuple[str, str]] = field(default_factory=list)


async def transform(
    runtime: Runtime,
    stream_arn: str,
    region: str,
    params: dict[str, str],
    records: list[Buffered],
    now: Callable[[], float],
    source_arn: str | None = None,
) -> Outcome:
    """Run ``records`` through the Lambda processor, in batches of its BufferSizeInMBs
    (``source_arn``: the Kinesis stream a KinesisStreamAsSource stream reads)."""
    limit = max(1, int(float(params["BufferSizeInMBs"]) * MIB))
    outcome = Outcome([], [])
    batch: list[Buffered] = []
    size = 0
    for record in records:
        if batch and size + len(record.data) > limit:
            await _invoke(runtime, stream_arn, region, params, batch, now, outcome, source_arn)
            batch, size = [], 0
        batch.append(record)
        size += len(record.data)
    if batch:
        await _invoke(runtime, stream_arn, region, params, batch, now, outcome, source_arn)
    return outcome


async def _invoke(
    runtime: Runtime,
    stream_arn: str,
    region: str,
    params: dict[str, str],
    batch: list[Buffered],
    now: Callable[[], float],
    outcome: Outcome,
    source_arn: str | None,
) -> None:
    function_arn = params["LambdaArn"]
    event: dict[str, Any] = {"invocationId": uuid4()}
    if source_arn is not None:
        event["sourceKinesisStreamArn"] = source_arn
    event["deliveryStreamArn"] = stream_arn
    event["region"] = region
    event["records"] = [_event_record(r) for r in batch]
    payload = orjson.dumps(event)
    attempts = 0
    failure: tuple[str, str] = FUNCTION_ERROR
    answer: bytes | None = None
    for _ in range(int(params["NumberOfRetries"]) + 1):
        attempts += 1
        invoker = function_invoker(runtime)
        try:
            if invoker is None:
                raise ServiceError("ResourceNotFoundException", f"Function not found: {function_arn}", 404)
            body, errored = await invoker.invoke_function(function_arn, payload, uuid4())
        except ServiceError as exc:
            failure = (f"Lambda.{exc.code}", exc.message)  # unverified: the code AWS writes
            continue
        if errored:
            failure = FUNCTION_ERROR
            continue
        answer = body
        break
    ended = now()
    if answer is None:
        log.info("firehose %s: Lambda processor %s failed: %s", stream_arn, function_arn, failure[1])
        outcome.invocation_errors.append(failure)
        outcome.failed += [_error_record(r, attempts, failure, ended, function_arn) for r in batch]
        return
    results = _results(answer)
    if results is None:
        outcome.failed += [_error_record(r, attempts, BAD_ANSWER, ended, function_arn) for r in batch]
        return
    for record in batch:
        result = results.get(record.record_id)
        if result is None:
            outcome.failed.append(_error_record(record, attempts, MISSING_RECORD, ended, function_arn))
            continue
        status = result.get("result")
        if status == "Dropped":
            continue
        if status == "ProcessingFailed":
            outcome.failed.append(_error_record(record, attempts, PROCESSING_FAILED, ended, function_arn))
            continue
        if status != "Ok":
            outcome.failed.append(_error_record(record, attempts, BAD_RESULT, ended, function_arn))
            continue
        data = result.get("data")
        try:
            if not isinstance(data, str):
                raise binascii.Error("not a string")
            outcome.delivered.append(base64.b64decode(data, validate=True))
        except (binascii.Error, ValueError):
            outcome.failed.append(_error_record(record, attempts, BAD_DATA, ended, function_arn))


def _event_record(record: Buffered) -> dict[str, Any]:
    out: dict[str, Any] = {
        "recordId": record.record_id,
        "approximateArrivalTimestamp": int(record.arrived * 1000),
        "data": base64.b64encode(record.data).decode(),
    }
    if record.meta is not None:
        out["kinesisRecordMetadata"] = record.meta
    return out


def _results(answer: bytes) -> dict[str, dict[str, Any]] | None:
    """The function's answer per record id (None: not a JSON object with a records list)."""
    try:
        document = orjson.loads(answer)
    except orjson.JSONDecodeError:
        return None
    records = document.get("records") if isinstance(document, dict) else None
    if not isinstance(records, list):
        return None
    return {r["recordId"]: r for r in records if isinstance(r, dict) and isinstance(r.get("recordId"), str)}


def _error_record(
    record: Buffered, attempts: int, failure: tuple[str, str], ended: float, function_arn: str
) -> dict[str, Any]:
    return {
        "attemptsMade": attempts,
        "arrivalTimestamp": int(record.arrived * 1000),
        "errorCode": failure[0],
        "errorMessage": failure[1],
        "attemptEndingTimestamp": int(ended * 1000),
        "rawData": base64.b64encode(record.data).decode(),
        "lambdaArn": function_arn,
    }
