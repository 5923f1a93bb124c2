"""The ``smithy-rpc-v2-cbor`` protocol: ``POST /service/{Service}/operation/{Op}``, CBOR bodies."""

from __future__ import annotations

from typing import Any

import cbor2

from cloudlet.gateway.request import Request
from cloudlet.protocol import json_codec
from cloudlet.protocol.base import Protocol, error_facts, error_members, query_error_code
from cloudlet.protocol.common import Response, bad_input
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Operation, ServiceModel

CONTENT_TYPE = "application/cbor"


def _headers(request_id: str) -> list[tuple[str, str]]:
    return [
        ("Content-Type", CONTENT_TYPE),
        ("smithy-protocol", "rpc-v2-cbor"),
        ("x-amzn-RequestId", request_id),
    ]


def _dumps(value: Any) -> bytes:
    return cbor2.dumps(value, datetime_as_timestamp=True, timezone=None)


class CborProtocol(Protocol):
    name = "smithy-rpc-v2-cbor"

    def parse(self, op: Operation, request: Request, labels: dict[str, str]) -> dict[str, Any]:
        body = request.read_body()
        if op.input is None:
            return {}
        if not body:
            return {}
        try:
            data = cbor2.loads(body)
        except Exception as exc:  # cbor2 raises several types for malformed input
            raise bad_input("The CBOR body could not be decoded.") from exc
        if not isinstance(data, dict):
            raise bad_input("Expected a CBOR map as the request body.")
        return json_codec.decode(data, op.input, binary=True)

    def serialize(self, op: Operation, output: dict[str, Any], request_id: str) -> Response:
        body = json_codec.encode(output, op.output, binary=True) if op.output is not None else {}
        return Response(200, _headers(request_id), _dumps(body))

    def serialize_error(self, model: ServiceModel, error: ServiceError, request_id: str) -> Response:
        shape, status, sender = error_facts(model, error)
        message_key, fields = error_members(shape, error)
        namespace = model.metadata.get("targetPrefix") or model.name
        body: dict[str, Any] = {"__type": f"{namespace}#{error.code}"}
        if shape is not None and fields:
            body.update(json_codec.encode(fields, shape, binary=True))
        body[message_key] = error.message
        headers = _headers(request_id)
        if model.query_compatible:
            code = query_error_code(model, error)
            headers.append(("x-amzn-query-error", f"{code};{'Sender' if sender else 'Receiver'}"))
        headers.extend(error.headers.items())
        return Response(status, headers, _dumps(body))
