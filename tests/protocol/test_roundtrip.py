"""The protocol layer against botocore itself, for every operation of every served service.

Request direction: parameters generated from the input shape -> botocore's own serializer
-> the HTTP request botocore would send -> ``protocol.parse`` -> the same parameters.
Response direction: output generated from the output shape -> ``protocol.serialize`` ->
botocore's own response parser -> the same output; and every modeled error through
``protocol.serialize_error`` -> botocore's error parsing (code, message, modeled fields).

Each case runs a few hypothesis examples (``CLOUDLET_DEEP=1`` for many more).

What the wire cannot tell apart is compared as equal, and said so where it happens
(``_wire_empty``). What a protocol cannot carry at all is not generated, also said where
(see ``Ctx`` and ``_gen``). No operation is left out.
"""

from __future__ import annotations

import copy
import inspect
import io
import math
import os
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cache
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from botocore.awsrequest import HeadersDict, create_request_object, prepare_request_dict
from botocore.handlers import parse_get_bucket_location
from botocore.loaders import create_loader
from botocore.model import ServiceModel as BotoServiceModel
from botocore.model import Shape as BotoShape
from botocore.parsers import create_parser
from botocore.response import StreamingBody
from botocore.serialize import create_serializer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.gateway.request import Headers, Request
from cloudlet.protocol import get_protocol
from cloudlet.protocol.base import LEGACY_ERRORS
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import protocol_model, query_model_dir, service_model
from cloudlet.services.registry import SERVICES

SUPPORTED = ("json", "query", "rest-json", "rest-xml", "smithy-rpc-v2-cbor")
DEEP = bool(os.environ.get("CLOUDLET_DEEP"))
SETTINGS = settings(
    max_examples=50 if DEEP else 3,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    print_blob=True,
    database=None,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MAX_DEPTH = 4
ENDPOINT = "https://cloudlet.test"


def protocols_of(service: str) -> list[str]:
    """Every protocol the model lists that Cloudlet speaks; query too when query-compatible."""
    model = service_model(service)
    found = [p for p in model.protocols if p in SUPPORTED]
    if model.query_compatible and "query" not in found:
        found.append("query")
    return found


CASES = [
    (service, protocol, op)
    for service in SERVICES
    for protocol in protocols_of(service)
    for op in service_model(service).operation_names
]
SERVICE_CASES = [(service, protocol) for service in SERVICES for protocol in protocols_of(service)]


@cache
def boto_model(service: str, protocol: str) -> BotoServiceModel:
    """botocore's model of ``service`` as a client speaking ``protocol`` sees it.

    The query form of a query-compatible JSON service follows the query model Cloudlet ships
    for it (SQS's, as older SDKs have it); failing one, the JSON model lacks the
    ``resultWrapper`` its query form answers with (``<OpResult>``): add it for the query variant.
    """
    loader = create_loader()
    legacy = query_model_dir(service) if protocol == "query" else None
    if legacy is not None:
        loader.search_paths.insert(0, str(legacy))
    raw = loader.load_service_model(service, "service-2")
    if protocol == "query" and raw["metadata"]["protocol"] != "query":
        raw = copy.deepcopy(raw)
        raw["metadata"]["protocol"] = "query"
        for name, op in raw["operations"].items():
            if "output" in op:
                op["output"].setdefault("resultWrapper", f"{name}Result")
    return BotoServiceModel(raw, service_name=service)


# ---- generation ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Ctx:
    """Where a value travels, which decides what it may contain."""

    protocol: str
    outbound: bool  # True: a response (Cloudlet -> botocore); False: a request
    loc: str = "body"  # body, uri, greedy, querystring, header, headers, statusCode
    reserved: frozenset[str] = frozenset()  # query names a querystring map must not take
    greedy: frozenset[str] = frozenset()  # greedy URI labels ({Key+}), which may hold "/"

    @property
    def xml(self) -> bool:
        return self.protocol == "rest-xml" or (self.protocol == "query" and self.outbound)


# XML 1.0 cannot carry control characters (besides tab, LF, CR), surrogates or U+FFFE/F
# (Cloudlet writes U+FFFD for them). botocore's request serializer writes CR raw, which any
# XML parser reads back as LF; Cloudlet escapes it in responses, so responses may carry it.
_XML_CHARS = st.characters(exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n")
_XML_CHARS_OUT = st.characters(exclude_categories=("Cs", "Cc", "Cn"), include_characters="\t\n\r")
# HTTP header values: visible ASCII (leading/trailing blanks are not part of a field value).
_HEADER_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
# botocore splits response header lists on every comma and does not unquote; it quotes
# request items with a comma or quote but leaves backslashes unescaped.
_HEADER_LIST_CHARS_OUT = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters=',"')
_HEADER_LIST_CHARS_IN = st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="\\")
_HOST_LABEL = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=10)
_JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


def _alphabet(ctx: Ctx, in_list: bool = False) -> st.SearchStrategy[str] | None:
    if ctx.loc in ("header", "headers"):
        if in_list:
            return _HEADER_LIST_CHARS_OUT if ctx.outbound else _HEADER_LIST_CHARS_IN
        return _HEADER_CHARS
    if ctx.xml:
        return _XML_CHARS_OUT if ctx.outbound else _XML_CHARS
    return None  # any character but lone surrogates


def _sizes(shape: BotoShape, depth: int, cap: int) -> tuple[int, int]:
    lo = int(shape.metadata.get("min", 0))
    hi = int(shape.metadata.get("max", cap))
    cap = cap if depth < 2 else min(cap, 2)  # keeps the fullest example small
    hi = max(lo, min(hi, cap if depth < MAX_DEPTH else lo))
    return lo, hi


def _string(draw: Any, shape: BotoShape, ctx: Ctx, depth: int, in_list: bool = False) -> str:
    if shape.enum:
        return draw(st.sampled_from(shape.enum))
    if shape.serialization.get("hostLabel"):
        return draw(_HOST_LABEL)
    lo, hi = _sizes(shape, depth, 12)
    if ctx.loc in ("uri", "greedy") or (in_list and ctx.loc == "header"):
        lo = max(lo, 1)  # an empty label is no label; an empty header list item is no item
    hi = max(hi, lo)
    alphabet = _alphabet(ctx, in_list)
    return draw(
        st.text(alphabet, min_size=lo, max_size=hi)
        if alphabet is not None
        else st.text(min_size=lo, max_size=hi)
    )


_INT_BOUNDS = {"integer": 31, "long": 63, "short": 15, "byte": 7}


def _number(draw: Any, shape: BotoShape, ctx: Ctx) -> int | float:
    t = shape.type_name
    lo, hi = shape.metadata.get("min"), shape.metadata.get("max")
    if ctx.loc == "statusCode":
        return draw(st.integers(200, 299))  # 3xx and above are errors to any client
    if t in _INT_BOUNDS:
        bits = _INT_BOUNDS[t]
        lo = -(2**bits) if lo is None else math.ceil(lo)
        hi = 2**bits - 1 if hi is None else math.floor(hi)
        return draw(st.integers(lo, hi))
    # The json protocol's botocore parser hands back "NaN"/"Infinity" strings unconverted.
    special = lo is None and hi is None and not (ctx.protocol == "json" and ctx.outbound)
    width = 32 if t == "float" else 64  # CBOR carries a float member as single precision
    return draw(
        st.floats(lo, hi, allow_nan=special, allow_infinity=special, width=width).map(
            lambda x: 0.0 if x == 0 else x  # -0.0 reads back as 0 where written as text
        )
    )


def _timestamp(draw: Any, shape: BotoShape, ctx: Ctx) -> datetime:
    seconds = draw(st.integers(86_400, 4_102_444_800))
    # HTTP dates and header timestamps carry whole seconds (botocore drops the fraction).
    whole = ctx.loc == "header" or shape.serialization.get("timestampFormat") == "rfc822"
    # botocore 1.43's CBOR request serializer sends whole seconds (see _serializer).
    whole = whole or (ctx.protocol == "smithy-rpc-v2-cbor" and not ctx.outbound and _SECONDS_ONLY_CBOR)
    millis = 0 if whole else draw(st.sampled_from([0, draw(st.integers(0, 999))]))
    return EPOCH + timedelta(seconds=seconds, milliseconds=millis)


def _member_ctx(ctx: Ctx, member: BotoShape, top: bool) -> Ctx:
    if not top:
        return ctx
    loc = member.serialization.get("location") or "body"
    if loc == "uri":
        name = member.serialization.get("name")
        return replace(ctx, loc="greedy" if name in ctx.greedy else "uri")
    return replace(ctx, loc=loc)


def _xml_name(name: str, member: BotoShape) -> str:
    if member.type_name == "list" and member.serialization.get("flattened"):
        return member.member.serialization.get("name") or member.serialization.get("name", name)
    return member.serialization.get("name", name)


def _query_wire_empty(value: Any, shape: BotoShape) -> bool:
    """True when the query serializer writes nothing at all for ``value``."""
    if shape.type_name == "structure":
        return all(_query_wire_empty(v, shape.members[k]) for k, v in value.items())
    if shape.type_name == "map":
        return not value
    return False


def _count(draw: Any, lo: int, hi: int) -> int:
    # Hypothesis starts from its simplest choices (zeros): make that the fullest example,
    # every optional member present and collections at their largest.
    return hi - draw(st.integers(0, hi - lo))


def _gen(draw: Any, shape: BotoShape, ctx: Ctx, depth: int, top: bool = False) -> Any:
    t = shape.type_name
    if t == "structure":
        members = shape.members
        if shape.is_tagged_union:
            name = draw(st.sampled_from(sorted(members)))
            member = members[name]
            return {name: _gen(draw, member, _member_ctx(ctx, member, top), depth + 1)}
        out: dict[str, Any] = {}
        required = set(shape.required_members)
        wire_names = [_xml_name(name, member) for name, member in members.items()]
        for name, member in members.items():
            if member.serialization.get("eventstream"):
                continue  # event streams are framed by their own codec, not this layer
            if name not in required and (depth >= MAX_DEPTH or draw(st.integers(0, depth + 1)) != 0):
                continue  # optional members: one in two at the top, fewer deeper down
            if ctx.xml and wire_names.count(_xml_name(name, member)) > 1:
                continue  # members writing the same element (S3's Event and Events): ambiguous
            out[name] = _gen(draw, member, _member_ctx(ctx, member, top), depth + 1)
        return out
    if t == "list":
        lo, hi = _sizes(shape, depth, 3)
        items = []
        for _ in range(_count(draw, lo, hi)):
            if shape.member.type_name == "string" and ctx.loc == "header":
                items.append(_string(draw, shape.member, ctx, depth + 1, in_list=True))
                continue
            item = _gen(draw, shape.member, ctx, depth + 1)
            # A query list item the serializer writes nothing for leaves no trace to count.
            if ctx.protocol == "query" and not ctx.outbound and _query_wire_empty(item, shape.member):
                continue
            items.append(item)
        return items
    if t == "map":
        lo, hi = _sizes(shape, depth, 3)
        out_map: dict[str, Any] = {}
        for _ in range(_count(draw, lo, hi)):
            key = _map_key(draw, shape, ctx, depth)
            if ctx.loc == "querystring" and shape.value.type_name == "list":
                # a repeated parameter; an empty list of values leaves no parameter at all
                value: Any = [_string(draw, shape.value.member, ctx, depth + 1) for _ in range(2)]
            else:
                value = _gen(draw, shape.value, ctx, depth + 1)
            # A query map value the serializer writes nothing for reads back as a bare key.
            if not (ctx.protocol == "query" and not ctx.outbound and _query_wire_empty(value, shape.value)):
                out_map[key] = value
        return out_map
    if t == "string":
        if shape.serialization.get("jsonvalue") and ctx.loc == "header":
            return draw(_JSON_VALUE)
        return _string(draw, shape, ctx, depth)
    if t in ("integer", "long", "short", "byte", "float", "double"):
        return _number(draw, shape, ctx)
    if t == "boolean":
        return draw(st.booleans())
    if t == "timestamp":
        return _timestamp(draw, shape, ctx)
    if t == "blob":
        lo, hi = _sizes(shape, depth, 16)
        return draw(st.binary(min_size=lo, max_size=hi))
    raise AssertionError(f"unexpected shape type {t}")


def _map_key(draw: Any, shape: BotoShape, ctx: Ctx, depth: int) -> str:
    if ctx.loc == "headers":  # header names: case-insensitive, so one case
        return draw(st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789-"), min_size=1, max_size=8))
    if ctx.loc == "querystring":  # shares the query string with the bound parameters
        key = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=6)
        return draw(key.filter(lambda k: k not in ctx.reserved))
    return _string(draw, shape.key, ctx, depth + 1)


@st.composite
def values_of(draw: Any, shape: BotoShape, ctx: Ctx) -> dict[str, Any]:
    return _gen(draw, shape, ctx, 0, top=True)


def _uri_parts(op: Any) -> tuple[str, set[str], set[str]]:
    """The path template, its greedy label names and the literal query names of an operation."""
    uri = op.http.get("requestUri", "/")
    path, _, query = uri.partition("?")
    greedy = {n for n in re.findall(r"{([^}]+)\+}", path)}
    literal = {part.split("=", 1)[0] for part in query.split("&") if part}
    return path, greedy, literal


def input_ctx(protocol: str, op: Any) -> Ctx:
    _, greedy, literal = _uri_parts(op)
    reserved = literal | {"x-id"}
    shape = op.input_shape
    if shape is not None:
        for name, member in shape.members.items():
            if member.serialization.get("location") == "querystring":
                reserved.add(member.serialization.get("name", name))
    return Ctx(protocol, outbound=False, reserved=frozenset(reserved), greedy=frozenset(greedy))


# ---- comparison ---------------------------------------------------------------------------

_DROP = object()


def _micros(value: datetime) -> int:
    return (value - EPOCH) // timedelta(microseconds=1)


def _wire_empty(value: Any, shape: BotoShape, ctx: Ctx, loc: str, payload: bool) -> bool:
    """Empty values a protocol writes exactly as it writes an absent one."""
    if not isinstance(value, dict | list | str | bytes) or len(value):
        return False
    t = shape.type_name
    if payload:
        return True  # an empty body is the empty payload, whatever its type
    if loc in ("querystring", "header", "headers"):
        return t in ("list", "map")  # no parameter/header for an empty collection
    flat = bool(shape.serialization.get("flattened"))
    if ctx.protocol == "query" and not ctx.outbound:
        return t in ("map", "structure")  # the query serializer writes no key for these
    if ctx.xml:
        return flat and t in ("list", "map")  # a flattened collection is its elements
    return False


def canon(value: Any, shape: BotoShape, ctx: Ctx, top: bool = False) -> Any:
    """A comparable form: instants as microseconds, blobs as bytes, NaN as a marker."""
    if value is None:
        return _DROP
    t = shape.type_name
    if t == "structure":
        payload = shape.serialization.get("payload") if top else None
        out = {}
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None or member.serialization.get("eventstream"):
                continue
            cv = canon(item, member, ctx)
            loc = member.serialization.get("location", "body") if top else "body"
            if cv is _DROP or _wire_empty(cv, member, ctx, loc, name == payload):
                continue
            out[name] = cv
        return out
    if t == "list":
        return [canon(item, shape.member, ctx) for item in value]
    if t == "map":
        return {k: canon(v, shape.value, ctx) for k, v in value.items()}
    if t == "timestamp":
        return _micros(value)
    if t == "blob":
        if hasattr(value, "read"):
            value = value.read()
        return bytes(value) if not isinstance(value, str) else value.encode()
    if t in ("float", "double") and isinstance(value, float) and math.isnan(value):
        return "NaN"
    return value


# ---- requests -----------------------------------------------------------------------------


_SECONDS_ONLY_CBOR = "timestamp_precision" in inspect.signature(create_serializer).parameters


def _serializer(protocol: str) -> Any:
    """botocore's request serializer, sending fractions of a second as its clients do for the
    services that opt in (botocore 1.43 added the precision switch, seconds by default; its
    CBOR serializer fails on fractions, so CBOR keeps the default)."""
    if (
        protocol != "smithy-rpc-v2-cbor"
        and "timestamp_precision" in inspect.signature(create_serializer).parameters
    ):
        return create_serializer(protocol, include_validation=False, timestamp_precision="millisecond")
    return create_serializer(protocol, include_validation=False)


def botocore_request(protocol: str, op: Any, params: dict[str, Any]) -> tuple[Request, dict[str, str]]:
    """The request botocore sends for ``params``, and the URI labels a router extracts."""
    serialized = _serializer(protocol).serialize_to_request(params, op)
    prepare_request_dict(serialized, endpoint_url=ENDPOINT)
    prepared = create_request_object(serialized).prepare()
    url = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        body = b""
    elif isinstance(body, str):
        body = body.encode()
    elif hasattr(body, "read"):
        body = body.read()
    headers = Headers([(k, v.decode() if isinstance(v, bytes) else v) for k, v in prepared.headers.items()])
    request = Request(prepared.method, url.path, url.query, headers, bytes(body))
    labels: dict[str, str] = {}
    if protocol.startswith("rest"):
        template = _uri_parts(op)[0]
        names = re.findall(r"{([^}]+)}", template)
        pattern = "".join(
            re.escape(part) if i % 2 == 0 else ("(.+)" if part.endswith("+") else "([^/]+)")
            for i, part in enumerate(re.split(r"{([^}]+)}", template))
        )
        m = re.fullmatch(pattern, url.path)
        assert m, f"{url.path} does not match {template}"
        labels = {n.rstrip("+"): unquote(m.group(i + 1)) for i, n in enumerate(names)}
    return request, labels


def run_property(check: Any, *args: Any) -> None:
    """Run ``check(*args, data)`` under hypothesis, with a ``@given`` made for this case.

    A ``@given`` on a test parametrized over thousands of cases chains its settings once
    per case in hypothesis, until the chain is deeper than the recursion limit.
    """

    @SETTINGS
    @given(data=st.data())
    def prop(data: st.DataObject) -> None:
        check(*args, data)

    prop()


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES)
def test_request_roundtrip(service: str, protocol: str, operation: str) -> None:
    run_property(check_request_roundtrip, service, protocol, operation)


def check_request_roundtrip(service: str, protocol: str, operation: str, data: st.DataObject) -> None:
    op = boto_model(service, protocol).operation_model(operation)
    ours = protocol_model(service, protocol).operation(operation)
    if op.input_shape is None:
        request, labels = botocore_request(protocol, op, {})
        assert get_protocol(protocol).parse(ours, request, labels) == {}
        return
    ctx = input_ctx(protocol, op)
    params = data.draw(values_of(op.input_shape, ctx), label="params")
    request, labels = botocore_request(protocol, op, params)
    parsed = get_protocol(protocol).parse(ours, request, labels)
    expected = dict(params)
    for name, member in op.input_shape.members.items():
        if member.serialization.get("name", "").lower() == "content-length" and name not in expected:
            expected[name] = len(request.body)  # HTTP frames every request body with one
    assert canon(parsed, op.input_shape, ctx, top=True) == canon(expected, op.input_shape, ctx, top=True)


# ---- responses ----------------------------------------------------------------------------


def botocore_parse(protocol: str, op: Any, response: Any, shape: BotoShape | None) -> dict[str, Any]:
    """What botocore's client makes of a Cloudlet response (see botocore.endpoint)."""
    raw = response.body
    if not isinstance(raw, bytes | bytearray):
        raw = raw.read() if hasattr(raw, "read") else b"".join(raw)
    headers = HeadersDict()
    for k, v in response.headers:
        headers[k] = f"{headers[k]}, {v}" if k in headers else v
    body: Any = bytes(raw)
    if response.status < 300 and op.has_streaming_output:
        body = StreamingBody(io.BytesIO(body), len(body))
    parsed = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": body, "context": {}}, shape
    )
    parsed.pop("ResponseMetadata", None)
    if op.name == "GetBucketLocation" and response.status < 300:
        # S3 answers this one with a bare <LocationConstraint>region</...>, which botocore
        # reads in a handler of its own.
        parse_get_bucket_location(parsed, SimpleNamespace(raw=raw, content=bytes(raw)))
    return parsed


def _json_event_stream(protocol: str, op: Any) -> bool:
    return protocol in ("json", "smithy-rpc-v2-cbor") and op.has_event_stream_output


@pytest.mark.parametrize(("service", "protocol", "operation"), CASES)
def test_response_roundtrip(service: str, protocol: str, operation: str) -> None:
    run_property(check_response_roundtrip, service, protocol, operation)


def check_response_roundtrip(service: str, protocol: str, operation: str, data: st.DataObject) -> None:
    op = boto_model(service, protocol).operation_model(operation)
    ours = protocol_model(service, protocol).operation(operation)
    if _json_event_stream(protocol, op):
        # botocore reads these answers only as an event stream (an initial-response event
        # first): the provider streams them itself, this layer has nothing to say.
        return
    shape = op.output_shape
    ctx = Ctx(protocol, outbound=True)
    output = data.draw(values_of(shape, ctx), label="output") if shape is not None else {}
    response = get_protocol(protocol).serialize(ours, output, "req-1")
    parsed = botocore_parse(protocol, op, response, shape)
    if shape is None:
        assert parsed == {}
        return
    expected = dict(output)
    for name, member in shape.members.items():
        if name in expected:
            continue
        if member.serialization.get("location") == "statusCode":
            expected[name] = op.http.get("responseCode", 200)
        elif member.serialization.get("name", "").lower() == "content-type":
            expected[name] = response.header("Content-Type")  # a body always says its type
    assert canon(parsed, shape, ctx, top=True) == canon(expected, shape, ctx, top=True)


def _error_shapes(service: str, protocol: str) -> list[BotoShape]:
    model = boto_model(service, protocol)
    seen: dict[str, BotoShape] = {}
    for name in model.operation_names:
        for shape in model.operation_model(name).error_shapes:
            seen.setdefault(shape.name, shape)
    return [seen[k] for k in sorted(seen)]


_MESSAGE_KEYS = ("message", "Message", "errorMessage", "ErrorMessage")


@pytest.mark.parametrize(("service", "protocol"), SERVICE_CASES)
def test_error_roundtrip(service: str, protocol: str) -> None:
    run_property(check_error_roundtrip, service, protocol)


def check_error_roundtrip(service: str, protocol: str, data: st.DataObject) -> None:
    model = boto_model(service, protocol)
    ours = protocol_model(service, protocol)
    query_codes = protocol == "query" or ours.query_compatible
    any_op = model.operation_model(model.operation_names[0])
    for shape in _error_shapes(service, protocol):
        ctx = Ctx(protocol, outbound=True)
        message_key = next((k for k in _MESSAGE_KEYS if k in shape.members), None)
        fields = data.draw(values_of(shape, ctx), label=shape.name)
        fields.pop(message_key, None)
        # botocore reads an empty <Message/> of an XML error as None: AWS never sends one.
        message = data.draw(st.text(_XML_CHARS_OUT, min_size=1, max_size=20), label="message")
        error = ServiceError(shape.name, message, fields=fields)
        response = get_protocol(protocol).serialize_error(ours, error, "rid")
        assert response.status >= 400
        parsed = botocore_parse(protocol, any_op, response, any_op.output_shape)
        legacy = LEGACY_ERRORS.get(service, {}).get(shape.name, {}).get("code")
        code = (legacy or shape.error_code) if query_codes else shape.name
        assert parsed["Error"]["Code"] == code, shape.name
        assert parsed["Error"]["Message"] == message, shape.name
        # botocore then reads the modeled members with the shape its code names (which is
        # another shape where the model gives two the same code, as CloudWatch's does; and
        # none for the query codes SQS's model forgot, as with AWS itself)
        error_shape = model.shape_for_error_code(code)
        if error_shape is None and legacy:
            continue
        assert error_shape is not None and error_shape.error_code == shape.error_code
        if error_shape.name != shape.name:
            continue
        modeled = botocore_parse(protocol, any_op, response, error_shape)
        expected = dict(fields)
        wire = message_key and shape.members[message_key].serialization.get("name", message_key)
        if message_key and (protocol != "query" or wire == "Message"):
            expected[message_key] = message  # a query error says <Message>, whatever the model
        assert canon(modeled, shape, ctx, top=True) == canon(expected, shape, ctx, top=True), shape.name
