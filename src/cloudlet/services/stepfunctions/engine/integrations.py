"""Service integrations of Task states: optimized ones and ``aws-sdk:<service>:<action>``.

Both call the other service's operation in process (``gateway/internal.py``) with the task's
parameters, converted from JSON by the operation's input shape, and answer its output as
JSON. They differ where AWS's do:

- optimized integrations (``arn:aws:states:::sqs:sendMessage`` …) take a JSON value where the
  API wants text (an SQS ``MessageBody``, an SNS ``Message``, an EventBridge ``Detail``, a
  Step Functions ``Input``) and write it as JSON; they add ``SdkHttpMetadata`` and
  ``SdkResponseMetadata`` to the answer (not EventBridge's, nor Step Functions'); their errors
  are the AWS SDK for Java 1.x's: ``DynamoDB.ResourceNotFoundException``, or
  ``SQS.AmazonSQSException`` for an error the service does not model, with a cause ending
  ``(Service: AmazonSQS; Status Code: 400; Error Code: …; Request ID: …; Proxy: null)``;
- ``aws-sdk`` integrations answer the output as the API does, and their errors are the AWS SDK
  for Java 2.x's: ``DynamoDb.ResourceNotFoundException``, ``DynamoDb.DynamoDbException``,
  cause ``… (Service: DynamoDb, Status Code: 400, Request ID: …)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from dataclasses import dataclass
from email.utils import formatdate
from functools import cache
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Shape, service_model
from cloudlet.services.stepfunctions.engine.dataflow import iso_millis
from cloudlet.services.stepfunctions.engine.values import dumps

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


@dataclass(frozen=True)
class Optimized:
    """An optimized integration: the botocore service, its Java SDK 1.x names, text members."""

    service: str
    sdk_prefix: str  # the error name's prefix (``DynamoDB``)
    sdk_service: str  # the cause's ``Service:`` (``AmazonDynamoDBv2``)
    generic: str  # the exception of an unmodeled error (``AmazonDynamoDBException``)
    text_members: tuple[str, ...] = ()  # members a JSON value is written into as text
    metadata: bool = True  # whether the answer carries SdkHttpMetadata/SdkResponseMetadata
    content_type: str = "application/x-amz-json-1.0"


OPTIMIZED: dict[str, Optimized] = {
    "sqs": Optimized("sqs", "SQS", "AmazonSQS", "AmazonSQSException", ("MessageBody",)),
    "sns": Optimized("sns", "SNS", "AmazonSNS", "AmazonSNSException", ("Message",), content_type="text/xml"),
    "dynamodb": Optimized("dynamodb", "DynamoDB", "AmazonDynamoDBv2", "AmazonDynamoDBException"),
    "events": Optimized(
        "events", "EventBridge", "AmazonEventBridge", "AmazonEventBridgeException", metadata=False
    ),
    "states": Optimized(
        "stepfunctions",
        "StepFunctions",
        "AWSStepFunctions",
        "AWSStepFunctionsException",
        ("Input",),
        metadata=False,
    ),
}
# The optimized actions served (others are refused at validation, as AWS does).
ACTIONS: dict[str, tuple[str, ...]] = {
    "sqs": ("sendMessage",),
    "sns": ("publish",),
    "dynamodb": ("getItem", "putItem", "updateItem", "deleteItem"),
    "events": ("putEvents",),
    "states": ("startExecution",),
}

# aws-sdk service names (the SDK for Java 2.x's client names, lower case) that differ from botocore's.
SDK_SERVICES = {
    "sfn": "stepfunctions",
    "eventbridge": "events",
    "cloudwatchlogs": "logs",
    "cloudwatch": "cloudwatch",
}
# The SDK for Java 2.x's service names in error names and causes, where not the model's serviceId.
SDK_NAMES = {
    "dynamodb": "DynamoDb",
    "sqs": "Sqs",  # unverified: the SDK for Java 2.x client name
    "sns": "Sns",  # unverified
    "stepfunctions": "Sfn",
    "events": "EventBridge",
    "logs": "CloudWatchLogs",
}


class IntegrationError(Exception):
    """An integration call failed: the state's error name and cause."""

    def __init__(self, error: str, cause: str) -> None:
        super().__init__(error)
        self.error = error
        self.cause = cause


def operation_name(action: str) -> str:
    """``sendMessage`` → ``SendMessage``."""
    return action[:1].upper() + action[1:]


def to_params(value: Any, shape: Shape | None) -> Any:
    """JSON task parameters as the operation takes them: blobs from text, timestamps parsed."""
    if shape is None:
        return value
    t = shape.type
    if t == "structure" and isinstance(value, dict) and not shape.is_document:
        members = shape.members
        return {k: to_params(v, members.get(k)) for k, v in value.items()}
    if t == "list" and isinstance(value, list):
        return [to_params(v, shape.member) for v in value]
    if t == "map" and isinstance(value, dict):
        return {k: to_params(v, shape.value) for k, v in value.items()}
    if t == "blob" and isinstance(value, str):
        return value.encode()
    if t == "blob" and not isinstance(value, bytes | bytearray):  # recorded: JSON is sent as its text
        return orjson.dumps(value).decode().encode()
    if t == "timestamp" and isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return value
    if t == "timestamp" and isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC)
    return value


def to_json(value: Any) -> Any:
    """An operation's output as JSON: bytes as text (base64 if not UTF-8), times as ISO text."""
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, bytes | bytearray):
        try:
            return bytes(value).decode()
        except UnicodeDecodeError:
            return base64.b64encode(value).decode()
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


def _modeled(service: str, code: str) -> bool:
    try:
        return code in service_model(service).error_shapes
    except Exception:  # an unknown model
        return False


@cache
def _wire_code(service: str, code: str) -> str:
    """The error code on the wire for the model's error shape ``code`` (SNS's ``NotFoundException``
    is sent as ``NotFound``); ``code`` itself otherwise."""
    try:
        shapes = service_model(service).error_shapes  # by shape name and by wire code
    except Exception:  # an unknown service: the code as given
        return code
    shape = shapes.get(code)
    return next((k for k, v in shapes.items() if v is shape and k != code), code)


def sdk1_error(spec: Optimized, exc: ServiceError) -> IntegrationError:
    name = exc.code if exc.code.endswith("Exception") else f"{exc.code}Exception"
    error = (
        f"{spec.sdk_prefix}.{name}"
        if _modeled(spec.service, exc.code)
        else f"{spec.sdk_prefix}.{spec.generic}"
    )
    cause = (
        f"{exc.message} (Service: {spec.sdk_service}; Status Code: {exc.status or 400}; "
        f"Error Code: {_wire_code(spec.service, exc.code)}; "
        f"Request ID: {uuid.uuid4()}; Proxy: null)"
    )
    return IntegrationError(error, cause)


def sdk2_error(service: str, exc: ServiceError) -> IntegrationError:
    model_name = SDK_NAMES.get(service)
    if model_name is None:
        try:
            model_name = service_model(service).metadata.get("serviceId", service).replace(" ", "")
        except Exception:
            model_name = service
    name = exc.code if exc.code.endswith("Exception") else f"{exc.code}Exception"
    error = f"{model_name}.{name}" if _modeled(service, exc.code) else f"{model_name}.{model_name}Exception"
    cause = (
        f"{exc.message} (Service: {model_name}, Status Code: {exc.status or 400}, Request ID: {uuid.uuid4()})"
    )
    return IntegrationError(error, cause)


def _metadata(spec: Optimized, body: Any, now: float) -> dict[str, Any]:
    """The SDK for Java 1.x's response metadata: the answer's HTTP headers (as recorded)."""
    headers = {
        "x-amzn-RequestId": str(uuid.uuid4()),
        "connection": "keep-alive",
        "Content-Length": str(len(dumps(body))),
        "Date": formatdate(now, usegmt=True),
        "Content-Type": spec.content_type,
    }
    if spec.service == "dynamodb":
        headers["Server"] = "Server"
    return {
        "SdkHttpMetadata": {
            "AllHttpHeaders": {k: [v] for k, v in headers.items()},
            "HttpHeaders": headers,
            "HttpStatusCode": 200,
        },
        "SdkResponseMetadata": {"RequestId": headers["x-amzn-RequestId"]},
    }


async def optimized(runtime: Runtime, kind: str, action: str, value: Any, account: str, region: str) -> Any:
    """Run an optimized integration's action with the task's parameters; its answer."""
    from cloudlet.gateway import internal

    spec = OPTIMIZED[kind]
    params = dict(value) if isinstance(value, dict) else {}
    for member in spec.text_members:
        if member in params and not isinstance(params[member], str):
            params[member] = dumps(params[member])
    if kind == "states":  # the task names the members as the SDK for Java 1.x does (PascalCase)
        params = {k[:1].lower() + k[1:]: v for k, v in params.items()}
    if kind == "events":
        entries = params.get("Entries")
        if isinstance(entries, list):
            params["Entries"] = [
                {**e, "Detail": dumps(e["Detail"])}
                if isinstance(e, dict) and not isinstance(e.get("Detail"), str) and "Detail" in e
                else e
                for e in entries
            ]
    op = internal.operation(spec.service, operation_name(action))
    try:
        result = await internal.call(
            runtime, spec.service, operation_name(action), to_params(params, op.input if op else None),
            account=account, region=region,
        )  # fmt: skip
    except ServiceError as exc:
        raise sdk1_error(spec, exc) from None
    body = to_json(result)
    if kind == "events" and body.get("FailedEntryCount"):  # recorded: an entry that failed fails the task
        raise IntegrationError("EventBridge.FailedEntry", dumps(body))
    if kind == "states":  # the SDK for Java 1.x's names and dates (unverified: the date's form)
        body = {k[:1].upper() + k[1:]: v for k, v in body.items()}
        if isinstance(body.get("StartDate"), int | float):
            body["StartDate"] = iso_millis(body["StartDate"])
    return {**body, **_metadata(spec, body, runtime.clock.now())} if spec.metadata else body


async def aws_sdk(runtime: Runtime, service: str, action: str, value: Any, account: str, region: str) -> Any:
    """Run ``aws-sdk:<service>:<action>``; the operation's output as JSON."""
    from cloudlet.gateway import internal

    botocore_name = SDK_SERVICES.get(service, service)
    name = operation_name(action)
    op = internal.operation(botocore_name, name)
    if op is None:
        raise IntegrationError(
            "States.Runtime",
            f"The resource provided arn:aws:states:::aws-sdk:{service}:{action} is not recognized.",
        )  # unverified
    params = value if isinstance(value, dict) else {}
    try:
        result = await internal.call(
            runtime, botocore_name, name, to_params(params, op.input), account=account, region=region
        )
    except ServiceError as exc:
        raise sdk2_error(botocore_name, exc) from None
    return to_json(result)
