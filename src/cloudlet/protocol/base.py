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


def error_facts(model: ServiceModel, error: ServiceError) -> tuple[Shape | None, int, bool]:
    """The model's error shape for ``error`` (if any), its HTTP status and sender fault."""
    shape = model.error_shapes.get(error.code)
    declared = shape.error if shape is not None else {}
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
            if candidate in shape.members:
                message_key = candidate
                break
        fields = {k: v for k, v in fields.items() if k in shape.members}
    return message_key, fields


def query_error_code(shape: Shape | None, error: ServiceError) -> str:
    """The code an awsQuery client expects (the model's ``error.code`` where declared)."""
    if shape is not None and shape.error.get("code") and shape.name == error.code:
        return shape.error["code"]
    return error.code
