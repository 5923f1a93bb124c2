"""The rest protocols: members bound to the URI, query string, headers, status and body.

``rest-json`` (Lambda, API Gateway, Pipes, Scheduler, X-Ray) and ``rest-xml`` (S3) share
the bindings here and differ only in how the body is written.
"""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson

from cloudlet.gateway.request import Request
from cloudlet.protocol import eventstream, json_codec, xml_codec
from cloudlet.protocol.base import Protocol, error_facts, error_members
from cloudlet.protocol.common import (
    ISO8601_MILLIS,
    Response,
    bad_input,
    format_timestamp,
    parse_scalar_text,
    scalar_text,
    to_bytes,
)
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.json_protocol import JSON_EVENTS, load_json_body
from cloudlet.protocol.model import Operation, ServiceModel, Shape

_HEADER_LIST_RE = re.compile(r'\s*(?:"((?:[^"\\]|\\.)*)"|([^,]*))\s*(?:,|$)')


def split_header_list(value: str) -> list[str]:
    """Split a comma-separated header value, honouring double-quoted items."""
    items: list[str] = []
    pos = 0
    while pos < len(value):
        m = _HEADER_LIST_RE.match(value, pos)
        if m is None or m.end() == pos:
            break
        quoted, plain = m.group(1), m.group(2)
        items.append(quoted.replace('\\"', '"') if quoted is not None else plain.strip())
        pos = m.end()
    return items


def _scalar(text: str, shape: Shape, where: str, ts_default: str) -> Any:
    try:
        if shape.type == "timestamp" and shape.trait("timestampFormat") is None and text.isdigit():
            return parse_scalar_text(text, shape)
        return parse_scalar_text(text, shape, ts_default)
    except (ValueError, OverflowError) as exc:
        raise bad_input(f"Invalid value '{text}' for {where}.") from exc


def _header_value(shape: Shape, text: str) -> Any:
    if shape.type == "list":
        return [_scalar(v, shape.member, "header", "rfc822") for v in split_header_list(text)]
    if shape.type == "string" and shape.trait("jsonvalue"):
        try:
            return orjson.loads(base64.b64decode(text))
        except Exception as exc:
            raise bad_input("Invalid JSON value in a header.") from exc
    return _scalar(text, shape, "header", "rfc822")


def _render_header(shape: Shape, value: Any) -> str:
    if shape.type == "list":
        rendered = []
        for item in value:
            text = _render_header(shape.member, item)
            if shape.member.type == "string" and ('"' in text or "," in text):
                text = '"' + text.replace('"', '\\"') + '"'
            rendered.append(text)
        return ",".join(rendered)
    if shape.type == "string" and shape.trait("jsonvalue"):
        return base64.b64encode(orjson.dumps(value)).decode()
    if shape.type == "timestamp":
        return str(format_timestamp(value, shape.trait("timestampFormat") or "rfc822"))
    return scalar_text(value, shape)


class RestProtocol(Protocol):
    """Bindings common to rest-json and rest-xml."""

    content_type = ""
    events: eventstream.EventWriter

    # -- body codec, per protocol --
    def decode_body(self, body: bytes, shape: Shape) -> dict[str, Any]:
        raise NotImplementedError

    def encode_body(self, value: dict[str, Any], shape: Shape, root: str) -> bytes:
        raise NotImplementedError

    # -- requests --
    def parse(self, op: Operation, request: Request, labels: dict[str, str]) -> dict[str, Any]:
        shape = op.input
        if shape is None:
            return {}
        params: dict[str, Any] = {}
        bound = shape.bindings
        for name, wire, member in bound.uri:
            if wire in labels:
                params[name] = _scalar(labels[wire], member, f"label {wire}", "iso8601")
        if bound.query or bound.query_map:
            multi = request.query_multi
            for name, wire, member in bound.query:
                values = multi.get(wire)
                if values is None:
                    continue
                if member.type == "list":
                    params[name] = [_scalar(v, member.member, wire, "iso8601") for v in values]
                else:
                    params[name] = _scalar(values[0], member, wire, "iso8601")
            if bound.query_map:  # the parameters no other member binds
                taken = {*op.uri_query_names, *(wire for _, wire, _ in bound.query)}
                rest = {k: v for k, v in multi.items() if k not in taken}
                for name, member in bound.query_map:
                    if rest:
                        listy = member.value.type == "list"
                        params[name] = {k: (v if listy else v[0]) for k, v in rest.items()}
        if bound.headers:
            for key, text in request.headers.items():  # names lower-cased, repeats joined
                for name, _wire, member in bound.headers.get(key, ()):
                    if member.type == "list" and text == "":
                        continue
                    params[name] = _header_value(member, text)
        for name, prefix, _member in bound.header_maps:
            prefix = prefix.lower()
            found = {k[len(prefix) :]: v for k, v in request.headers.items() if k.startswith(prefix)}
            if found:
                params[name] = found
        self._parse_body(shape, request, params)
        return params

    def _parse_body(self, shape: Shape, request: Request, params: dict[str, Any]) -> None:
        payload = shape.payload
        if payload is not None:
            member = shape.members[payload]
            if member.type in ("blob", "string"):
                if member.is_streaming and request.body_file is not None:
                    params[payload] = request.body_file
                    return
                body = request.read_body()
                if body or member.is_streaming:
                    if member.type == "string":
                        try:
                            params[payload] = body.decode()
                        except UnicodeDecodeError as exc:
                            raise bad_input("The body is not valid UTF-8.") from exc
                    else:
                        params[payload] = body
                return
            body = request.read_body()
            if body.strip():
                params[payload] = self.decode_body(body, member)
            return
        if shape.bindings.in_body:
            body = request.read_body()
            if body.strip():
                params.update(self.decode_body(body, shape))

    # -- responses --
    def serialize(self, op: Operation, output: dict[str, Any], request_id: str) -> Response:
        response = Response(op.response_code, self.base_headers(request_id))
        shape = op.output
        if shape is None:
            return response
        self._bind_out(shape, output, response)
        payload = shape.payload
        if payload is not None:
            member = shape.members[payload]
            value = output.get(payload)
            if value is None:
                return response
            if member.is_eventstream:
                # the stream's own type, whatever a member bound to Content-Type says (Lambda's)
                response.headers = [(k, v) for k, v in response.headers if k.lower() != "content-type"]
                response.headers.append(("Content-Type", eventstream.CONTENT_TYPE))
                response.body = eventstream.frames(member, value, self.events)
                return response
            if member.type in ("blob", "string"):
                self._content_type(response, self.raw_content_type(member))
                if member.type == "string" or isinstance(value, bytes | bytearray | memoryview):
                    response.body = to_bytes(value)
                else:
                    response.body = value  # a file or an async iterator, streamed out
                return response
            response.body = self.encode_body(value, member, member.location_name or member.name)
        else:
            body = {
                k: v for k, v in output.items() if k in shape.members and shape.members[k].location is None
            }
            if not shape.bindings.in_body:
                return response
            response.body = self.encode_body(body, shape, shape.trait("locationName") or shape.name)
        self._content_type(response, self.content_type)
        return response

    @staticmethod
    def _content_type(response: Response, default: str) -> None:
        """The protocol's Content-Type, unless the output binds that header itself."""
        if response.header("Content-Type") is None:
            response.headers.append(("Content-Type", default))

    def raw_content_type(self, member: Shape) -> str:
        return "application/octet-stream" if member.type == "blob" else "text/plain"

    def _bind_out(self, shape: Shape, output: dict[str, Any], response: Response) -> None:
        bound = shape.bindings
        for entries in bound.headers.values():
            for name, wire, member in entries:
                value = output.get(name)
                if value is None or (member.type == "list" and not value):
                    continue
                response.headers.append((wire, _render_header(member, value)))
        for name, prefix, _member in bound.header_maps:
            for k, v in (output.get(name) or {}).items():
                response.headers.append((prefix + k, str(v)))
        if bound.status is not None and output.get(bound.status) is not None:
            response.status = int(output[bound.status])

    def base_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [("x-amzn-RequestId", request_id)]


class RestJsonProtocol(RestProtocol):
    name = "rest-json"
    content_type = "application/json"
    events = JSON_EVENTS

    def decode_body(self, body: bytes, shape: Shape) -> dict[str, Any]:
        data = load_json_body(body)
        if not isinstance(data, dict) and not shape.is_document:
            raise bad_input("Expected a JSON object as the request body.")
        return json_codec.decode(data, shape)

    def encode_body(self, value: dict[str, Any], shape: Shape, root: str) -> bytes:
        return orjson.dumps(json_codec.encode(value, shape))

    def serialize_error(self, model: ServiceModel, error: ServiceError, request_id: str) -> Response:
        shape, status, _sender = error_facts(model, error)
        message_key, fields = error_members(shape, error)
        body: dict[str, Any] = {}
        headers = [*self.base_headers(request_id), ("x-amzn-ErrorType", error.code)]
        if shape is not None and fields:
            response = Response(status, headers)
            self._bind_out(shape, fields, response)
            headers = response.headers
            body.update(
                json_codec.encode(
                    {k: v for k, v in fields.items() if shape.members[k].location is None}, shape
                )
            )
        body[message_key] = error.message
        body.setdefault("__type", error.code)
        headers.append(("Content-Type", self.content_type))
        headers.extend(error.headers.items())
        return Response(status, headers, orjson.dumps(body))


# S3's answers are rooted in names its model does not carry (the Smithy @xmlName of each
# output, which botocore's JSON drops): output shape -> root element.
_S3_ROOTS = {
    "CompleteMultipartUploadOutput": "CompleteMultipartUploadResult",
    "CreateMultipartUploadOutput": "InitiateMultipartUploadResult",
    "CreateSessionOutput": "CreateSessionResult",
    "DeleteObjectsOutput": "DeleteResult",
    "GetBucketAccelerateConfigurationOutput": "AccelerateConfiguration",
    "GetBucketAclOutput": "AccessControlPolicy",
    "GetBucketCorsOutput": "CORSConfiguration",
    "GetBucketLifecycleOutput": "LifecycleConfiguration",
    "GetBucketLifecycleConfigurationOutput": "LifecycleConfiguration",
    "GetBucketLocationOutput": "LocationConstraint",
    "GetBucketLoggingOutput": "BucketLoggingStatus",
    "NotificationConfigurationDeprecated": "NotificationConfiguration",
    "GetBucketRequestPaymentOutput": "RequestPaymentConfiguration",
    "GetBucketTaggingOutput": "Tagging",
    "GetBucketVersioningOutput": "VersioningConfiguration",
    "GetBucketWebsiteOutput": "WebsiteConfiguration",
    "GetObjectAclOutput": "AccessControlPolicy",
    "GetObjectAttributesOutput": "GetObjectAttributesResponse",
    "GetObjectTaggingOutput": "Tagging",
    "ListBucketAnalyticsConfigurationsOutput": "ListBucketAnalyticsConfigurationResult",
    "ListBucketInventoryConfigurationsOutput": "ListInventoryConfigurationsResult",
    "ListBucketMetricsConfigurationsOutput": "ListMetricsConfigurationsResult",
    "ListBucketsOutput": "ListAllMyBucketsResult",
    "ListDirectoryBucketsOutput": "ListAllMyDirectoryBucketsResult",
    "ListMultipartUploadsOutput": "ListMultipartUploadsResult",
    "ListObjectVersionsOutput": "ListVersionsResult",
    "ListObjectsOutput": "ListBucketResult",
    "ListObjectsV2Output": "ListBucketResult",
    "ListPartsOutput": "ListPartsResult",
}


class RestXmlProtocol(RestProtocol):
    name = "rest-xml"
    content_type = "application/xml"
    # Event bodies are XML documents of their own, without the service's namespace (S3 Select).
    events = eventstream.EventWriter(
        lambda value, shape, root: xml_codec.document(value, shape, root), "text/xml"
    )

    def decode_body(self, body: bytes, shape: Shape) -> dict[str, Any]:
        return xml_codec.read(xml_codec.parse_xml(body), shape)

    def encode_body(self, value: dict[str, Any], shape: Shape, root: str) -> bytes:
        namespace = shape.model.xml_namespace
        # S3 writes its XML declaration on a line of its own and every timestamp with
        # milliseconds (``2026-01-01T00:00:00.000Z``); other services as they were.
        s3 = shape.model.name == "s3"
        root = _S3_ROOTS.get(root, root) if s3 else root
        ts_default = ISO8601_MILLIS if s3 else "iso8601"
        only = shape.wire_members.get(root)
        if only is not None and len(shape.wire_members) == 1 and only[1].type == "string":
            # A root named as its one member is that member (S3's <LocationConstraint>), an
            # empty one written as an empty element (us-east-1's; unverified byte for byte).
            text = value.get(only[0]) or ""
            if not text:
                decl = b'<?xml version="1.0" encoding="UTF-8"?>' + (b"\n" if s3 else b"")
                return decl + (f'<{root} xmlns="{namespace}"/>' if namespace else f"<{root}/>").encode()
            return xml_codec.document(text, only[1], root, namespace, ts_default, newline=s3)
        return xml_codec.document(value, shape, root, namespace, ts_default, newline=s3)

    def base_headers(self, request_id: str) -> list[tuple[str, str]]:
        return [
            ("x-amz-request-id", request_id),
            ("x-amz-id-2", base64.b64encode(request_id.encode()).decode()),
        ]

    def serialize_error(self, model: ServiceModel, error: ServiceError, request_id: str) -> Response:
        shape, status, _sender = error_facts(model, error)
        parts = [f"<Error><Code>{xml_codec.escape_text(error.code)}</Code>"]
        parts.append(f"<Message>{xml_codec.escape_text(error.message)}</Message>")
        for key, value in error.fields.items():
            member = shape.members.get(key) if shape is not None else None
            if member is not None:
                xml_codec.element(value, member, member.location_name or key, parts)
            elif isinstance(value, str | int | float) and not isinstance(value, bool):
                parts.append(f"<{key}>{xml_codec.escape_text(str(value))}</{key}>")
        parts.append(f"<RequestId>{request_id}</RequestId><HostId>{request_id}</HostId></Error>")
        body = b'<?xml version="1.0" encoding="UTF-8"?>\n' + "".join(parts).encode()
        headers = [
            *self.base_headers(request_id),
            ("Content-Type", self.content_type),
            *error.headers.items(),
        ]
        return Response(status, headers, body)
