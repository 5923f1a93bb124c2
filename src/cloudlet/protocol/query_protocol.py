"""The ``query`` protocol (``Action=...&Version=...`` forms, XML answers): STS, IAM, SNS, ..."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from cloudlet.gateway.request import Request
from cloudlet.protocol import xml_codec
from cloudlet.protocol.base import Protocol, error_facts, query_error_code
from cloudlet.protocol.common import Response, bad_input, parse_scalar_text
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Operation, ServiceModel, Shape

# Namespaces of services whose own metadata does not name one (query-compatible JSON ones).
_NAMESPACES = {"sqs": "http://queue.amazonaws.com/doc/2012-11-05/"}
_XML_CT = "text/xml"
# Services whose query errors carry an empty <Detail/>, as SQS's always have.
_WITH_DETAIL = {"sqs"}


def xml_namespace(model: ServiceModel) -> str:
    return model.xml_namespace or _NAMESPACES.get(
        model.name, f"https://{model.metadata['endpointPrefix']}.amazonaws.com/doc/{model.api_version}/"
    )


def form_params(request: Request) -> dict[str, str]:
    """Parameters of a query request: the query string plus a form-encoded body."""
    params = dict(request.query)
    body = request.read_body()
    if body and request.method != "GET":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise bad_input("The request body is not valid UTF-8.", "MalformedQueryString") from exc
        for k, v in parse_qsl(text, keep_blank_values=True):
            params.setdefault(k, v)
    return params


class _FormReader:
    """Rebuilds nested parameters from flattened ``A.member.1.B`` keys."""

    def __init__(self, params: dict[str, str]) -> None:
        self.params = params
        prefixes: set[str] = set()
        for key in params:
            parts = key.split(".")
            for i in range(1, len(parts)):
                prefixes.add(".".join(parts[:i]))
        self.prefixes = prefixes

    def present(self, key: str) -> bool:
        return key in self.params or key in self.prefixes

    def read(self, shape: Shape, key: str) -> Any:
        t = shape.type
        if t == "structure":
            out: dict[str, Any] = {}
            for name, member in shape.members.items():
                mkey = member.trait("locationName") or name
                full = f"{key}.{mkey}" if key else mkey
                if member.type == "list" and member.flattened:
                    value = self._flat_list(member, full)
                    if value is not None:
                        out[name] = value
                elif self.present(full):
                    out[name] = self.read(member, full)
            return out
        if t == "list":
            if self.params.get(key) == "":
                return []
            iname = shape.member.trait("locationName") or "member"
            return self._items(shape.member, f"{key}.{iname}")
        if t == "map":
            prefix = key if shape.flattened else f"{key}.entry"
            kname = shape.key.trait("locationName") or "key"
            vname = shape.value.trait("locationName") or "value"
            out_map: dict[str, Any] = {}
            i = 1
            while self.present(f"{prefix}.{i}"):
                kkey, vkey = f"{prefix}.{i}.{kname}", f"{prefix}.{i}.{vname}"
                if kkey in self.params:
                    out_map[self.params[kkey]] = self.read(shape.value, vkey) if self.present(vkey) else None
                i += 1
            return out_map
        text = self.params.get(key, "")
        try:
            return parse_scalar_text(text, shape)
        except (ValueError, OverflowError) as exc:
            raise bad_input(
                f"Value ({text}) for parameter {key} is invalid.", "MalformedQueryString"
            ) from exc

    def _flat_list(self, shape: Shape, key: str) -> list[Any] | None:
        if self.params.get(key) == "":
            return []
        iname = shape.member.trait("locationName")
        item_key = ".".join([*key.split(".")[:-1], iname]) if iname else key
        if not self.present(f"{item_key}.1"):
            if item_key != key and self.present(f"{key}.1"):
                item_key = key
            else:
                return None
        return self._items(shape.member, item_key)

    def _items(self, shape: Shape, prefix: str) -> list[Any]:
        items = []
        i = 1
        while self.present(f"{prefix}.{i}"):
            items.append(self.read(shape, f"{prefix}.{i}"))
            i += 1
        return items


class QueryProtocol(Protocol):
    name = "query"

    def parse(self, op: Operation, request: Request, labels: dict[str, str]) -> dict[str, Any]:
        params = form_params(request)
        if op.input is None:
            return {}
        return _FormReader(params).read(op.input, "")

    def serialize(self, op: Operation, output: dict[str, Any], request_id: str) -> Response:
        ns = xml_namespace(op.model)
        parts = [f'<{op.name}Response xmlns="{ns}">']
        if op.output is not None:
            # Query-compatible JSON models name no wrapper; their query form has always had one.
            wrapper = op.result_wrapper or f"{op.name}Result"
            xml_codec.element(output, op.output, wrapper, parts, ordered=True)
            if len(parts) == 3:  # an empty result is an empty element (<ReceiveMessageResult/>)
                parts[1:] = [f"<{wrapper}/>"]
        parts.append(f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata>")
        parts.append(f"</{op.name}Response>")
        body = "".join(parts).encode()
        return Response(200, [("Content-Type", _XML_CT), ("x-amzn-RequestId", request_id)], body)

    def serialize_error(self, model: ServiceModel, error: ServiceError, request_id: str) -> Response:
        shape, status, sender = error_facts(model, error)
        code = query_error_code(model, error)
        extra: list[str] = ["<Detail/>"] if model.name in _WITH_DETAIL else []
        if shape is not None and error.fields:
            for name, value in error.fields.items():
                member = shape.members.get(name)
                if member is not None and value is not None:
                    xml_codec.element(value, member, member.trait("locationName") or name, extra)
        message = xml_codec.escape_text(error.message)
        body = (
            f'<ErrorResponse xmlns="{xml_namespace(model)}"><Error>'
            f"<Type>{'Sender' if sender else 'Receiver'}</Type><Code>{xml_codec.escape_text(code)}</Code>"
            f"<Message>{message}</Message>{''.join(extra)}</Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", _XML_CT), ("x-amzn-RequestId", request_id), *error.headers.items()]
        return Response(status, headers, body)
