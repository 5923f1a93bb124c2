"""The ``json`` protocol (X-Amz-Target RPC): SQS, DynamoDB, Step Functions, Kinesis, ..."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.gateway.request import Request
from cloudlet.protocol import eventstream, json_cbor, json_codec
from cloudlet.protocol.base import Protocol, error_facts, error_members, query_error_code
from cloudlet.protocol.common import Response, bad_input
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Operation, ServiceModel, Shape

# Services whose errors carry a namespaced __type, as their front ends send it.
_TYPE_NAMESPACE = {"sqs": "com.amazonaws.sqs#"}


# Events of json and rest-json streams are JSON documents; CBOR ones for a CBOR request.
JSON_EVENTS = eventstream.EventWriter(
    lambda value, shape, root: orjson.dumps(json_codec.encode(value, shape)), "application/json"
)
CBOR_EVENTS = eventstream.EventWriter(
    lambda value, shape, root: json_cbor.dumps(json_codec.encode(value, shape, binary=True)),
    json_cbor.CONTENT_TYPE,
)


def load_json_body(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise bad_input("Start of structure or map found where not expected.") from exc


def content_type(model: ServiceModel) -> str:
    return f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"


class JsonProtocol(Protocol):
    name = "json"

    def parse(self, op: Operation, request: Request, labels: dict[str, str]) -> dict[str, Any]:
        cbor = json_cbor.is_cbor(request)  # CBOR in, CBOR out (json_cbor.py)
        json_cbor.mark(cbor)
        data = json_cbor.loads(request.read_body()) if cbor else load_json_body(request.read_body())
        if op.input is None:
            return {}
        if not isinstance(data, dict):
            raise bad_input("Start of list found where not expected.")
        return json_codec.decode(data, op.input, binary=cbor)

    def serialize(self, op: Operation, output: dict[str, Any], request_id: str) -> Response:
        shape = op.output
        cbor = json_cbor.take()
        if shape is not None and (stream := shape.event_stream_member) is not None:
            return self._serialize_stream(shape, stream, output, request_id, cbor)
        if cbor:
            body = json_codec.encode(output, shape, binary=True) if shape is not None else {}
            headers = [("Content-Type", json_cbor.CONTENT_TYPE), ("x-amzn-RequestId", request_id)]
            return Response(200, headers, json_cbor.dumps(body))
        body = json_codec.encode(output, shape) if shape is not None else {}
        return Response(
            200,
            [("Content-Type", content_type(op.model)), ("x-amzn-RequestId", request_id)],
            orjson.dumps(body),
        )

    def _serialize_stream(
        self, shape: Shape, stream: str, output: dict[str, Any], request_id: str, cbor: bool = False
    ) -> Response:
        """An event stream whose ``initial-response`` event carries the other output members
        (events and that response in CBOR when the request was)."""
        rest = {k: v for k, v in output.items() if k != stream}
        if cbor:
            initial, writer = json_cbor.dumps(json_codec.encode(rest, shape, binary=True)), CBOR_EVENTS
        else:
            initial, writer = orjson.dumps(json_codec.encode(rest, shape)), JSON_EVENTS
        body = eventstream.frames(shape.members[stream], output.get(stream), writer, initial)
        headers = [("Content-Type", eventstream.CONTENT_TYPE), ("x-amzn-RequestId", request_id)]
        return Response(200, headers, body)

    def serialize_error(self, model: ServiceModel, error: ServiceError, request_id: str) -> Response:
        shape, status, sender = error_facts(model, error)
        message_key, fields = error_members(shape, error)
        cbor = json_cbor.take()
        body: dict[str, Any] = {"__type": _TYPE_NAMESPACE.get(model.name, "") + error.code}
        if shape is not None and fields:
            body.update(json_codec.encode(fields, shape, binary=cbor))
        body[message_key] = error.message
        headers = [
            ("Content-Type", json_cbor.CONTENT_TYPE if cbor else content_type(model)),
            ("x-amzn-RequestId", request_id),
            ("x-amzn-ErrorType", error.code),
        ]
        if model.query_compatible:
            code = query_error_code(model, error)
            headers.append(("x-amzn-query-error", f"{code};{'Sender' if sender else 'Receiver'}"))
        headers.extend(error.headers.items())
        return Response(status, headers, json_cbor.dumps(body) if cbor else orjson.dumps(body))
