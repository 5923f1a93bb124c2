"""Event streams (``application/vnd.amazon.eventstream``) against botocore itself.

Framing: our encoder -> botocore's ``EventStreamBuffer`` -> the same headers and payload,
for every header type; our decoder refuses corrupted CRCs, bad lengths and truncation.

Serialization: for every routed operation with an event-stream output (and a synthetic
model per protocol covering what the routed ones do not use: event headers of every type,
string and structure payloads, modeled exception fields), random events -> our serializer
-> an HTTP response -> botocore's response parser and ``EventStream`` -> the same events,
the same initial response / HTTP-bound members, then the exception or error that ended it.
"""

from __future__ import annotations

import asyncio
import struct
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any
from zlib import crc32

import orjson
import pytest
from botocore.awsrequest import HeadersDict
from botocore.eventstream import EventStreamBuffer
from botocore.exceptions import EventStreamError
from botocore.model import ServiceModel as BotoServiceModel
from botocore.model import Shape as BotoShape
from botocore.parsers import create_parser
from hypothesis import given
from hypothesis import strategies as st
from test_roundtrip import SETTINGS, Ctx, boto_model, canon, run_property, values_of

from cloudlet.protocol import get_protocol
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.eventstream import (
    CONTENT_TYPE,
    EventStreamDecodeError,
    HeaderType,
    Message,
    MessageDecoder,
    Typed,
    decode_messages,
    encode_message,
    frames,
)
from cloudlet.protocol.json_protocol import JSON_EVENTS
from cloudlet.protocol.model import Operation, ServiceModel, service_model
from cloudlet.services.registry import SERVICES

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# ---- framing ------------------------------------------------------------------------------

_MS_RANGE = (-62_135_596_800_000, 253_402_300_799_999)  # years 1 to 9999
HEADER_VALUES = st.one_of(
    st.booleans(),
    st.integers(-(2**7), 2**7 - 1).map(lambda v: Typed(HeaderType.BYTE, v)),
    st.integers(-(2**15), 2**15 - 1).map(lambda v: Typed(HeaderType.SHORT, v)),
    st.integers(-(2**31), 2**31 - 1).map(lambda v: Typed(HeaderType.INTEGER, v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: Typed(HeaderType.LONG, v)),
    st.binary(max_size=40),
    st.text(max_size=40),
    st.integers(*_MS_RANGE).map(lambda v: Typed(HeaderType.TIMESTAMP, v)),
    st.uuids(),
)
HEADER_NAMES = st.text(min_size=1, max_size=16).filter(lambda n: len(n.encode()) < 256)


def botocore_view(value: Any) -> Any:
    """What botocore's decoder gives back for a header value we encoded."""
    if isinstance(value, Typed):
        return value.value
    if isinstance(value, uuid.UUID):
        return value.bytes
    return value


def our_view(value: Any) -> Any:
    """What our decoder gives back for a header value we encoded."""
    if isinstance(value, Typed):
        if value.type == HeaderType.TIMESTAMP:
            return EPOCH + timedelta(milliseconds=value.value)
        return value.value
    return value


def botocore_decode(data: bytes, cuts: list[int]) -> list[Any]:
    """botocore's buffer fed ``data`` in pieces cut at ``cuts``."""
    buffer = EventStreamBuffer()
    found = []
    bounds = [0, *sorted(cuts), len(data)]
    for start, end in pairwise(bounds):
        buffer.add_data(data[start:end])
        found.extend(buffer)
    return found


def test_every_header_type_reads_back_in_botocore() -> None:
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    when = datetime(2024, 5, 6, 7, 8, 9, 123000, tzinfo=UTC)
    headers = {
        "t": True,
        "f": False,
        "byte": Typed(HeaderType.BYTE, -128),
        "short": Typed(HeaderType.SHORT, 32767),
        "int": Typed(HeaderType.INTEGER, -(2**31)),
        "long": Typed(HeaderType.LONG, 2**63 - 1),
        "bytes": b"\x00\xff",
        "string": "h\u00e9llo",
        "ts": when,
        "uuid": ident,
    }
    frame = encode_message(headers, b"payload")
    (message,) = botocore_decode(frame, [])
    assert message.payload == b"payload"
    assert message.headers == {
        "t": True,
        "f": False,
        "byte": -128,
        "short": 32767,
        "int": -(2**31),
        "long": 2**63 - 1,
        "bytes": b"\x00\xff",
        "string": "h\u00e9llo",
        "ts": (when - EPOCH) // timedelta(milliseconds=1),
        "uuid": ident.bytes,
    }
    # the type byte of each, in order: plain ints take 32 bits when they fit, else 64
    assert [t for _, t in _header_types(frame)] == list(range(10))
    assert _header_types(encode_message({"a": 1, "b": 2**40})) == [("a", 4), ("b", 5)]
    assert decode_messages(frame) == [Message({**message.headers, "ts": when, "uuid": ident}, b"payload")]


def _header_types(frame: bytes) -> list[tuple[str, int]]:
    """(name, type byte) of each header of one frame, read by hand."""
    total, headers_len = struct.unpack_from("!II", frame)
    pos, end, found = 12, 12 + headers_len, []
    sizes = {0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16}
    while pos < end:
        n = frame[pos]
        name, kind = frame[pos + 1 : pos + 1 + n].decode(), frame[pos + 1 + n]
        pos += 2 + n
        pos += sizes[kind] if kind in sizes else 2 + struct.unpack_from("!H", frame, pos)[0]
        found.append((name, kind))
    assert total == len(frame)
    return found


@SETTINGS
@given(
    messages=st.lists(
        st.tuples(st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=8), st.binary(max_size=64)),
        min_size=1,
        max_size=4,
    ),
    cuts=st.lists(st.integers(0, 4000), max_size=6),
)
def test_framing_roundtrips_through_botocore_and_our_decoder(
    messages: list[tuple[dict[str, Any], bytes]], cuts: list[int]
) -> None:
    data = b"".join(encode_message(h, p) for h, p in messages)
    cuts = [c for c in cuts if c <= len(data)]
    theirs = botocore_decode(data, cuts)
    assert [(m.headers, m.payload) for m in theirs] == [
        ({k: botocore_view(v) for k, v in h.items()}, p) for h, p in messages
    ]
    decoder = MessageDecoder()
    ours = []
    bounds = [0, *sorted(cuts), len(data)]
    for start, end in pairwise(bounds):
        ours.extend(decoder.feed(data[start:end]))
    decoder.close()
    assert ours == [Message({k: our_view(v) for k, v in h.items()}, p) for h, p in messages]


def _reframe(prelude: bytes, rest: bytes) -> bytes:
    """A frame with a valid prelude CRC over ``prelude`` and a valid message CRC."""
    head = prelude + struct.pack("!I", crc32(prelude))
    body = head + rest
    return body + struct.pack("!I", crc32(body))


@pytest.mark.parametrize(
    ("mangle", "error"),
    [
        (lambda f: f[:8] + bytes([f[8] ^ 1]) + f[9:], "prelude CRC"),
        (lambda f: f[:-6] + bytes([f[-6] ^ 1]) + f[-5:], "message CRC"),
        (lambda f: f[:-1] + bytes([f[-1] ^ 1]), "message CRC"),
        (lambda f: _reframe(struct.pack("!II", 15, 0), b""), "bad lengths"),
        (lambda f: _reframe(struct.pack("!II", 20, 5), b"abcd"), "bad lengths"),
        (lambda f: _reframe(struct.pack("!II", 16 + 3, 3), b"\x01a\x0a"), "unknown type"),
        (lambda f: _reframe(struct.pack("!II", 16 + 4, 4), b"\x01a\x07\x00"), "ends inside"),
        (lambda f: _reframe(struct.pack("!II", 16 + 6, 6), b"\x01a\x00\x01a\x01"), "duplicate"),
        (lambda f: _reframe(struct.pack("!II", 16 + 3, 3), b"\x01\xff\x00"), "UTF-8"),
        (lambda f: _reframe(struct.pack("!II", 16 + 2**17 + 1, 2**17 + 1), b""), "exceed"),
    ],
)
def test_decoder_rejects_corrupt_frames(mangle: Any, error: str) -> None:
    frame = encode_message({":message-type": "event", "n": 7}, b"some payload")
    with pytest.raises(EventStreamDecodeError, match=error):
        decode_messages(mangle(frame))


def test_decoder_waits_for_whole_messages_and_refuses_a_truncated_end() -> None:
    frame = encode_message({"a": "b"}, b"xyz")
    decoder = MessageDecoder()
    assert all(decoder.feed(frame[i : i + 1]) == [] for i in range(len(frame) - 1))
    assert decoder.feed(frame[-1:]) == [Message({"a": "b"}, b"xyz")]
    decoder.feed(frame[:5])
    with pytest.raises(EventStreamDecodeError, match="ends inside a message"):
        decoder.close()


def test_encoder_refuses_what_cannot_be_framed() -> None:
    with pytest.raises(ValueError):
        encode_message({"": "x"})
    with pytest.raises(ValueError):
        encode_message({"x" * 256: "x"})
    with pytest.raises(ValueError):
        encode_message({"s": "x" * 40000})
    with pytest.raises(TypeError):
        encode_message({"f": 1.5})


# ---- serialization against botocore -------------------------------------------------------


def _stream_member(shape: BotoShape) -> str | None:
    return next((n for n, m in shape.members.items() if m.serialization.get("eventstream")), None)


STREAM_CASES = [
    (service, service_model(service).protocol, op)
    for service in SERVICES
    for op in service_model(service).operation_names
    if (out := service_model(service).operation(op).output) is not None and out.event_stream_member
]


def test_the_routed_streaming_operations_are_all_covered() -> None:
    found = {(s, op) for s, _, op in STREAM_CASES}
    assert {
        ("lambda", "InvokeWithResponseStream"),
        ("kinesis", "SubscribeToShard"),
        ("s3", "SelectObjectContent"),
        ("logs", "StartLiveTail"),
        ("logs", "GetLogObject"),
    } <= found


def synthetic_model(protocol: str) -> dict[str, Any]:
    """One streaming operation using every event trait, in ``protocol``."""
    rest = protocol.startswith("rest")

    def s(shape: str, **traits: Any) -> dict[str, Any]:
        return {"shape": shape, **traits}

    output: dict[str, Any] = {"type": "structure", "members": {"Stream": s("Events")}}
    if rest:
        output["members"]["Note"] = s("String", location="header", locationName="x-note")
        output["members"]["Code"] = s("Integer", location="statusCode")
        output["payload"] = "Stream"
    else:
        output["members"].update(Note=s("String"), Count=s("Long"), At=s("Timestamp"))
    header = {"eventheader": True}
    scalars = ("String", "Boolean", "Byte", "Short", "Integer", "Long", "Blob", "Timestamp")
    return {
        "version": "2.0",
        "metadata": {
            "apiVersion": "2024-01-01",
            "endpointPrefix": "synth",
            "jsonVersion": "1.1",
            "protocol": protocol,
            "protocols": [protocol],
            "serviceFullName": "Synthetic",
            "serviceId": "Synth",
            "signatureVersion": "v4",
            "targetPrefix": "Synth",
            "uid": "synth-2024-01-01",
        },
        "operations": {
            "Watch": {
                "name": "Watch",
                "http": {"method": "POST", "requestUri": "/watch"},
                "output": {"shape": "WatchOutput"},
            }
        },
        "shapes": {
            "WatchOutput": output,
            "Events": {
                "type": "structure",
                "eventstream": True,
                "members": {
                    name: s(name)
                    for name in ("HeadersEvent", "TextEvent", "DocEvent", "BodyEvent", "EmptyEvent", "Oops")
                },
            },
            "HeadersEvent": {
                "type": "structure",
                "event": True,
                "members": {
                    **{f"H{t}": s(t, **header) for t in scalars},
                    "Data": s("Blob", eventpayload=True),
                },
            },
            "TextEvent": {
                "type": "structure",
                "event": True,
                "members": {"Tag": s("String", **header), "Text": s("String", eventpayload=True)},
            },
            "DocEvent": {
                "type": "structure",
                "event": True,
                "members": {"Seq": s("Long", **header), "Doc": s("Doc", eventpayload=True)},
            },
            "BodyEvent": {
                "type": "structure",
                "event": True,
                "members": {"Seq": s("Integer", **header), "Items": s("StringList"), "At": s("Timestamp")},
            },
            "EmptyEvent": {"type": "structure", "event": True, "members": {}},
            "Doc": {
                "type": "structure",
                "members": {"At": s("Timestamp"), "Items": s("StringList"), "Size": s("Long")},
            },
            "Oops": {
                "type": "structure",
                "exception": True,
                "error": {"httpStatusCode": 400},
                "members": {"Message": s("String"), "Reason": s("String")},
            },
            "StringList": {"type": "list", "member": s("String")},
            **{t: {"type": t.lower()} for t in scalars},
        },
    }


SYNTHETIC = ("json", "rest-json", "rest-xml")


def models_for(service: str, protocol: str) -> tuple[ServiceModel, BotoServiceModel]:
    if service == "synthetic":
        raw = synthetic_model(protocol)
        return ServiceModel("synth", raw), BotoServiceModel(raw, service_name="synth")
    return service_model(service), boto_model(service, protocol)


class RawStream:
    """The urllib3 response botocore's ``EventStream`` reads (``stream()``, ``close()``)."""

    def __init__(self, pieces: list[bytes]) -> None:
        self.pieces = pieces

    def stream(self) -> Iterator[bytes]:
        yield from self.pieces

    def close(self) -> None:
        pass


def collect(response: Response) -> bytes:
    async def run() -> bytes:
        assert isinstance(response.body, AsyncIterator)
        return b"".join([chunk async for chunk in response.body])

    return asyncio.run(run())


def botocore_read(
    protocol: str, op: Any, response: Response, pieces: list[bytes]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any] | None]:
    """What a botocore client makes of a streamed answer: the output's other members, the
    events, and the error that ended the stream (``{"Code", "Message"}``) if one did."""
    headers = HeadersDict()
    for k, v in response.headers:
        headers[k] = v
    parsed = create_parser(protocol).parse(
        {
            "status_code": response.status,
            "headers": headers,
            "body": RawStream(pieces),
            "context": {"operation_name": op.name},
        },
        op.output_shape,
    )
    parsed.pop("ResponseMetadata", None)
    stream = parsed.pop(_stream_member(op.output_shape))
    events: list[dict[str, Any]] = []
    try:
        for event in stream:
            events.append(event)
    except EventStreamError as exc:
        return parsed, events, exc.response["Error"]
    return parsed, events, None


def _canon_event(event: dict[str, Any], stream: BotoShape, ctx: Ctx) -> dict[str, Any]:
    """Comparable form of an event; an absent payload member is the empty payload."""
    ((name, value),) = event.items()
    shape = stream.members[name]
    out = canon(value, shape, ctx, top=True)
    for member_name, member in shape.members.items():
        if member.serialization.get("eventpayload") and out.get(member_name) in (b"", "", {}):
            out.pop(member_name, None)
    return {name: out}


_XML_TEXT = st.characters(exclude_categories=("Cs", "Cc", "Cn"))
_CODES = st.text(
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"), min_size=1, max_size=12
)


@pytest.mark.parametrize(
    ("service", "protocol", "operation"),
    STREAM_CASES + [("synthetic", p, "Watch") for p in SYNTHETIC],
)
def test_event_stream_roundtrip(service: str, protocol: str, operation: str) -> None:
    run_property(check_event_stream, service, protocol, operation)


def check_event_stream(service: str, protocol: str, operation: str, data: st.DataObject) -> None:
    ours_model, boto = models_for(service, protocol)
    ours: Operation = ours_model.operation(operation)
    op = boto.operation_model(operation)
    shape = op.output_shape
    name = _stream_member(shape)
    assert name is not None
    stream = shape.members[name]
    ctx = Ctx(protocol, outbound=True)
    output = data.draw(values_of(shape, ctx), label="output")  # every member but the stream
    kinds = [n for n, m in stream.members.items() if not m.metadata.get("exception")]
    exceptions = [n for n, m in stream.members.items() if m.metadata.get("exception")]
    events = [
        {kind: data.draw(values_of(stream.members[kind], ctx), label=kind)}
        for kind in data.draw(st.lists(st.sampled_from(kinds), max_size=4), label="kinds")
    ]
    ending = data.draw(st.sampled_from(["end", "error", "internal", *(["exception"] * bool(exceptions))]))
    failure: Exception | None = None
    expected_error: dict[str, Any] | None = None
    if ending == "exception":
        code = data.draw(st.sampled_from(exceptions), label="exception")
        message = data.draw(st.text(_XML_TEXT, min_size=1, max_size=20), label="message")
        fields = data.draw(values_of(stream.members[code], ctx), label="fields")
        failure = ServiceError(code, message, fields=fields)
        expected_error = {"Code": code, "Message": message}
    elif ending == "error":
        code = data.draw(_CODES.filter(lambda c: c not in stream.members), label="code")
        message = data.draw(st.text(max_size=20), label="message")
        failure = ServiceError(code, message)
        expected_error = {"Code": code, "Message": message}
    elif ending == "internal":
        failure = RuntimeError("the provider broke")
        expected_error = {"Code": "InternalFailure", "Message": "An internal error occurred."}

    async def source() -> AsyncIterator[dict[str, Any]]:
        for event in events:
            yield event
        if failure is not None:
            raise failure

    def sync_source() -> Iterator[dict[str, Any]]:
        yield from events
        if failure is not None:
            raise failure

    produced = source() if data.draw(st.booleans(), label="async") else sync_source()
    response = get_protocol(protocol).serialize(ours, {**output, name: produced}, "rid")
    assert response.status < 300
    assert response.header("Content-Type") == CONTENT_TYPE
    raw = collect(response)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=4), label="cuts"))
    bounds = [0, *cuts, len(raw)]
    pieces = [raw[a:b] for a, b in pairwise(bounds)]

    parsed, got, error = botocore_read(protocol, op, response, pieces)
    expected = dict(output)
    for member_name, member in shape.members.items():
        if member.serialization.get("location") == "statusCode" and member_name not in expected:
            expected[member_name] = op.http.get("responseCode", 200)
        elif member.serialization.get("name", "").lower() == "content-type":
            expected[member_name] = CONTENT_TYPE  # the stream's type wins (Lambda's)
    assert canon(parsed, shape, ctx, top=True) == canon(expected, shape, ctx, top=True)
    assert [_canon_event(e, stream, ctx) for e in got] == [_canon_event(e, stream, ctx) for e in events]
    assert error == expected_error


# ---- wire details -------------------------------------------------------------------------


def _messages(response: Response) -> list[Message]:
    return decode_messages(collect(response))


def test_s3_select_frames_as_s3_documents_them() -> None:
    op = service_model("s3").operation("SelectObjectContent")
    events = [
        {"Records": {"Payload": b"a,b\n"}},
        {"Progress": {"Details": {"BytesScanned": 1, "BytesProcessed": 2, "BytesReturned": 3}}},
        {"Cont": {}},
        {"End": {}},
    ]
    response = get_protocol("rest-xml").serialize(op, {"Payload": events}, "rid")
    assert response.status == 200
    records, progress, cont, end = _messages(response)
    assert records == Message(
        {":event-type": "Records", ":content-type": "application/octet-stream", ":message-type": "event"},
        b"a,b\n",
    )
    assert progress.headers[":content-type"] == "text/xml"
    assert progress.payload.endswith(
        b"<Progress><BytesScanned>1</BytesScanned><BytesProcessed>2</BytesProcessed>"
        b"<BytesReturned>3</BytesReturned></Progress>"
    )
    assert cont == Message({":event-type": "Cont", ":message-type": "event"}, b"")
    assert end == Message({":event-type": "End", ":message-type": "event"}, b"")


def test_kinesis_opens_with_an_initial_response_and_ends_with_its_exception() -> None:
    op = service_model("kinesis").operation("SubscribeToShard")

    async def events() -> AsyncIterator[dict[str, Any]]:
        yield {
            "SubscribeToShardEvent": {
                "Records": [],
                "ContinuationSequenceNumber": "1",
                "MillisBehindLatest": 0,
            }
        }
        raise ServiceError("ResourceNotFoundException", "Shard s of stream x not found.")

    response = get_protocol("json").serialize(op, {"EventStream": events()}, "rid")
    initial, event, exception = _messages(response)
    assert initial == Message(
        {":event-type": "initial-response", ":content-type": "application/json", ":message-type": "event"},
        b"{}",
    )
    assert event.headers[":event-type"] == "SubscribeToShardEvent"
    assert orjson.loads(event.payload) == {
        "Records": [],
        "ContinuationSequenceNumber": "1",
        "MillisBehindLatest": 0,
    }
    assert exception == Message(
        {
            ":exception-type": "ResourceNotFoundException",
            ":content-type": "application/json",
            ":message-type": "exception",
        },
        b'{"message":"Shard s of stream x not found."}',
    )


def test_modeled_exception_fields_travel_in_its_payload() -> None:
    model = ServiceModel("synth", synthetic_model("rest-json"))

    def events() -> Iterator[dict[str, Any]]:
        raise ServiceError("Oops", "no", fields={"Reason": "why", "Unknown": 1})
        yield {}

    response = get_protocol("rest-json").serialize(model.operation("Watch"), {"Stream": events()}, "rid")
    (message,) = _messages(response)
    assert orjson.loads(message.payload) == {"Message": "no", "Reason": "why"}


def test_lambda_streams_under_the_event_stream_type() -> None:
    op = service_model("lambda").operation("InvokeWithResponseStream")
    output = {
        "StatusCode": 200,
        "ExecutedVersion": "$LATEST",
        "ResponseStreamContentType": "application/json",
        "EventStream": [{"PayloadChunk": {"Payload": b"{}"}}, {"InvokeComplete": {}}],
    }
    response = get_protocol("rest-json").serialize(op, output, "rid")
    assert [v for k, v in response.headers if k.lower() == "content-type"] == [CONTENT_TYPE]
    assert response.header("X-Amz-Executed-Version") == "$LATEST"
    chunk, complete = _messages(response)
    assert chunk.headers[":content-type"] == "application/octet-stream"
    assert complete == Message(
        {":event-type": "InvokeComplete", ":content-type": "application/json", ":message-type": "event"},
        b"{}",
    )


def test_an_event_the_stream_does_not_declare_ends_it_with_an_internal_error() -> None:
    op = service_model("lambda").operation("InvokeWithResponseStream")
    response = get_protocol("rest-json").serialize(op, {"EventStream": [{"Nope": {}}]}, "rid")
    (message,) = _messages(response)
    assert message.headers == {
        ":error-code": "InternalFailure",
        ":error-message": "An internal error occurred.",
        ":message-type": "error",
    }


def test_a_client_that_goes_away_closes_the_provider_stream() -> None:
    closed: list[bool] = []

    async def events() -> AsyncIterator[dict[str, Any]]:
        try:
            while True:
                yield {"PayloadChunk": {"Payload": b"x"}}
        finally:
            closed.append(True)

    stream = service_model("lambda").operation("InvokeWithResponseStream").output
    assert stream is not None

    async def run() -> None:
        body = frames(stream.members["EventStream"], events(), JSON_EVENTS)
        await anext(body)
        await body.aclose()

    asyncio.run(run())
    assert closed == [True]


def test_an_exception_that_cannot_be_written_still_names_its_code() -> None:
    model = ServiceModel("synth", synthetic_model("json"))

    def events() -> Iterator[dict[str, Any]]:
        raise ServiceError("Oops", "x" * 40000, fields={"Reason": object()})
        yield {}

    response = get_protocol("json").serialize(model.operation("Watch"), {"Stream": events()}, "rid")
    _initial, message = _messages(response)
    assert message.headers[":message-type"] == "error"
    assert message.headers[":error-code"] == "Oops"
    assert message.headers[":error-message"] == "x" * 32767
