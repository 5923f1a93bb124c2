"""The interface every wire protocol implements, and error facts they share."""

from __future__ import annotations

from typing import Any

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Operation, ServiceModel, Shape


class Protocol:
    """Parses requests into parameters and serializes outputs and errors."""

    name = ""

    def parse(self, op: Operation, request: Request, labels: dict[str, str]) -> dict[str, Any]:
        raise NotImplementedError

    def serialize(self, op: Operation, output: dict[str, Any], request_id: str) -> Response:
        raise NotImplementedError

    def serialize_error(self, model: ServiceModel, error: ServiceError, request_id: str) -> Response:
        raise NotImplementedError


# Error facts a query-compatible model lost when it moved to JSON, as AWS still sends them
# (SQS's query codes and statuses): service -> error code -> trait overrides.
LEGACY_ERRORS: dict[str, dict[str, dict[str, Any]]] = {
    "sqs": {
        "BatchEntryIdsNotDistinct": {"code": "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"},
        "BatchRequestTooLong": {"code": "AWS.SimpleQueueService.BatchRequestTooLong"},
        "EmptyBatchRequest": {"code": "AWS.SimpleQueueService.EmptyBatchRequest"},
        "InvalidBatchEntryId": {"code": "AWS.SimpleQueueService.InvalidBatchEntryId"},
        "KmsAccessDenied": {"code": "KMS.AccessDeniedException"},
        "KmsDisabled": {"code": "KMS.DisabledException"},
        "KmsInvalidKeyUsage": {"code": "KMS.InvalidKeyUsageException"},
        "KmsInvalidState": {"code": "KMS.InvalidStateException"},
        "KmsNotFound": {"code": "KMS.NotFoundException"},
        "KmsOptInRequired": {"code": "KMS.OptInRequired"},
        "KmsThrottled": {"code": "KMS.ThrottlingException"},
        "MessageNotInflight": {"code": "AWS.SimpleQueueService.MessageNotInflight"},
        "OverLimit": {"httpStatusCode": 403},
        "PurgeQueueInProgress": {
            "code": "AWS.SimpleQueueService.PurgeQueueInProgress",
            "httpStatusCode": 403,
        },
        "QueueDeletedRecently": {"code": "AWS.SimpleQueueService.QueueDeletedRecently"},
        "QueueDoesNotExist": {"code": "AWS.SimpleQueueService.NonExistentQueue"},
        "QueueNameExists": {"code": "QueueAlreadyExists"},
        "TooManyEntriesInBatchRequest": {"code": "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"},
        "UnsupportedOperation": {"code": "AWS.SimpleQueueService.UnsupportedOperation"},
        "InvalidParameterValueException": {"code": "InvalidParameterValue"},
        "MissingRequiredParameterException": {"code": "MissingParameter"},
    }
}


def _declared(model: ServiceModel, shape: Shape | None, code: str) -> dict[str, Any]:
    """The error traits for ``code``: its shape's (when named so), amended by LEGACY_ERRORS."""
    declared = dict(shape.error) if shape is not None else {}
    if shape is not None and shape.name != code:
        declared.pop("code", None)  # ``code`` is the query code already
    declared.update(LEGACY_ERRORS.get(model.name, {}).get(code, {}))
    return declared


def error_facts(model: ServiceModel, error: ServiceError) -> tuple[Shape | None, int, bool]:
    """The model's error shape for ``error`` (if any), its HTTP status and sender fault."""
    shape = model.error_shapes.get(error.code)
    declared = _declared(model, shape, error.code)
    status = error.status or declared.get("httpStatusCode") or 400
    sender = error.sender_fault
    if sender is None:
        sender = declared.get("senderFault", status < 500)
    return shape, status, sender


def error_members(shape: Shape | None, error: ServiceError) -> tuple[str, dict[str, Any]]:
    """The message member's wire name and the other members to send with an error."""
    message_key = "message"
    fields = dict(error.fields)
    if shape is not None:
        for candidate in ("message", "Message", "errorMessage", "ErrorMessage"):
            member = shape.members.get(candidate)
            if member is not None:
                message_key = member.trait("locationName") or candidate
                break
        fields = {k: v for k, v in fields.items() if k in shape.members}
    return message_key, fields


def query_error_code(model: ServiceModel, error: ServiceError) -> str:
    """The code an awsQuery client expects (the model's ``error.code`` where declared)."""
    shape = model.error_shapes.get(error.code)
    return _declared(model, shape, error.code).get("code") or error.code
