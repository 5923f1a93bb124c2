"""AWS event streams (``application/vnd.amazon.eventstream``): the binary framing and the
serialization of an operation's event-stream output, driven by the model's event shapes.

A message is a prelude (total length, headers length, CRC32 of those eight bytes), typed
headers, a payload and a CRC32 of everything before it; all integers big-endian.
"""

from __future__ import annotations

import logging
import struct
import uuid
from collections.abc import AsyncGenerator, AsyncIterable, AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import IntEnum
from typing import Any
from zlib import crc32

from cloudlet.protocol.common import parse_timestamp, to_bytes
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Shape

log = logging.getLogger("cloudlet.protocol")

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_PRELUDE = struct.Struct("!III")
_PRELUDE_LEN = 12
_OVERHEAD = 16  # prelude and message CRC
MAX_HEADERS_LENGTH = 128 * 1024
MAX_PAYLOAD_LENGTH = 24 * 1024 * 1024
_MAX_VALUE_LENGTH = 32767  # string and byte-array header values: a conservative bound (the field is u16)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)


class HeaderType(IntEnum):
    """The header value types of the framing."""

    TRUE = 0
    FALSE = 1
    BYTE = 2
    SHORT = 3
    INTEGER = 4
    LONG = 5
    BYTE_ARRAY = 6
    STRING = 7
    TIMESTAMP = 8
    UUID = 9


_INTS = {
    HeaderType.BYTE: struct.Struct("!b"),
    HeaderType.SHORT: struct.Struct("!h"),
    HeaderType.INTEGER: struct.Struct("!i"),
    HeaderType.LONG: struct.Struct("!q"),
    HeaderType.TIMESTAMP: struct.Struct("!q"),
}
_U16 = struct.Struct("!H")


@dataclass(frozen=True)
class Typed:
    """A header value of an explicit type (``Typed(HeaderType.SHORT, 7)``); a timestamp is a
    datetime (or anything ``parse_timestamp`` reads) or an int of epoch milliseconds."""

    type: HeaderType
    value: Any


@dataclass
class Message:
    """One decoded message: headers by name (bool, int, bytes, str, datetime, UUID) and payload."""

    headers: dict[str, Any]
    payload: bytes


class EventStreamDecodeError(ValueError):
    """Bytes that are not a well-formed event-stream message."""


# ---- encoding -------------------------------------------------------------------------------


def _typed(value: Any) -> Typed:
    """The header type a plain value takes (ints: 32 bits when they fit, else 64)."""
    if isinstance(value, Typed):
        return value
    if isinstance(value, bool):
        return Typed(HeaderType.TRUE if value else HeaderType.FALSE, value)
    if isinstance(value, int):
        return Typed(HeaderType.INTEGER if -(2**31) <= value < 2**31 else HeaderType.LONG, value)
    if isinstance(value, str):
        return Typed(HeaderType.STRING, value)
    if isinstance(value, bytes | bytearray | memoryview):
        return Typed(HeaderType.BYTE_ARRAY, bytes(value))
    if isinstance(value, datetime):
        return Typed(HeaderType.TIMESTAMP, value)
    if isinstance(value, uuid.UUID):
        return Typed(HeaderType.UUID, value)
    raise TypeError(f"no event-stream header type for {type(value).__name__}")


def _encode_value(typed: Typed) -> bytes:
    kind, value = typed.type, typed.value
    if kind in (HeaderType.TRUE, HeaderType.FALSE):
        return bytes([kind])
    if kind == HeaderType.TIMESTAMP:
        if not isinstance(value, int) or isinstance(value, bool):
            value = (parse_timestamp(value) - _EPOCH) // _MS  # epoch milliseconds
        return bytes([kind]) + _INTS[kind].pack(value)
    if kind in _INTS:
        return bytes([kind]) + _INTS[kind].pack(value)
    if kind in (HeaderType.BYTE_ARRAY, HeaderType.STRING):
        raw = value.encode() if isinstance(value, str) else bytes(value)
        if len(raw) > _MAX_VALUE_LENGTH:
            raise ValueError(f"header value of {len(raw)} bytes exceeds {_MAX_VALUE_LENGTH}")
        return bytes([kind]) + _U16.pack(len(raw)) + raw
    if kind == HeaderType.UUID:
        raw = value.bytes if isinstance(value, uuid.UUID) else bytes(value)
        if len(raw) != 16:
            raise ValueError("a uuid header value is 16 bytes")
        return bytes([kind]) + raw
    raise ValueError(f"unknown header type {kind}")


def encode_headers(headers: dict[str, Any]) -> bytes:
    """The headers section: name length (u8), name, type byte, value; in the dict's order."""
    out = bytearray()
    for name, value in headers.items():
        raw_name = name.encode()
        if not 0 < len(raw_name) < 256:
            raise ValueError(f"header name {name!r} must be 1 to 255 bytes")
        out += bytes([len(raw_name)]) + raw_name + _encode_value(_typed(value))
    return bytes(out)


def encode_message(headers: dict[str, Any], payload: bytes = b"") -> bytes:
    """One framed message."""
    raw_headers = encode_headers(headers)
    if len(raw_headers) > MAX_HEADERS_LENGTH:
        raise ValueError(f"headers of {len(raw_headers)} bytes exceed {MAX_HEADERS_LENGTH}")
    if len(payload) > MAX_PAYLOAD_LENGTH:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD_LENGTH}")
    prelude = struct.pack("!II", _OVERHEAD + len(raw_headers) + len(payload), len(raw_headers))
    prelude += struct.pack("!I", crc32(prelude))
    body = prelude + raw_headers + payload
    return body + struct.pack("!I", crc32(body))


# ---- decoding -------------------------------------------------------------------------------


def decode_headers(data: bytes) -> dict[str, Any]:
    """Parse a headers section; duplicate names, unknown types and truncation are errors."""
    headers: dict[str, Any] = {}
    view = memoryview(data)
    pos, end = 0, len(data)

    def take(n: int) -> bytes:
        nonlocal pos
        if pos + n > end:
            raise EventStreamDecodeError("header section ends inside a header")
        chunk = bytes(view[pos : pos + n])
        pos += n
        return chunk

    while pos < end:
        name_len = take(1)[0]
        try:
            name = take(name_len).decode()
        except UnicodeDecodeError as exc:
            raise EventStreamDecodeError("header name is not UTF-8") from exc
        if not name:
            raise EventStreamDecodeError("empty header name")
        kind = take(1)[0]
        value: Any
        if kind == HeaderType.TRUE:
            value = True
        elif kind == HeaderType.FALSE:
            value = False
        elif kind in _INTS:
            fmt = _INTS[HeaderType(kind)]
            value = fmt.unpack(take(fmt.size))[0]
            if kind == HeaderType.TIMESTAMP:
                try:
                    value = _EPOCH + value * _MS
                except OverflowError as exc:
                    raise EventStreamDecodeError(f"header {name!r}: timestamp out of range") from exc
        elif kind in (HeaderType.BYTE_ARRAY, HeaderType.STRING):
            value = take(_U16.unpack(take(2))[0])
            if kind == HeaderType.STRING:
                try:
                    value = value.decode()
                except UnicodeDecodeError as exc:
                    raise EventStreamDecodeError(f"header {name!r} is not UTF-8") from exc
        elif kind == HeaderType.UUID:
            value = uuid.UUID(bytes=take(16))
        else:
            raise EventStreamDecodeError(f"header {name!r} has unknown type {kind}")
        if name in headers:
            raise EventStreamDecodeError(f"duplicate header {name!r}")
        headers[name] = value
    return headers


def _check_prelude(data: bytes | bytearray) -> tuple[int, int]:
    total, headers_len, prelude_crc = _PRELUDE.unpack_from(data)
    if crc32(bytes(data[:8])) != prelude_crc:
        raise EventStreamDecodeError("prelude CRC mismatch")
    if total < _OVERHEAD or headers_len > total - _OVERHEAD:
        raise EventStreamDecodeError(f"bad lengths: total {total}, headers {headers_len}")
    if headers_len > MAX_HEADERS_LENGTH:
        raise EventStreamDecodeError(f"headers of {headers_len} bytes exceed {MAX_HEADERS_LENGTH}")
    if total - _OVERHEAD - headers_len > MAX_PAYLOAD_LENGTH:
        raise EventStreamDecodeError(f"payload exceeds {MAX_PAYLOAD_LENGTH} bytes")
    return total, headers_len


def _decode_one(frame: bytes, headers_len: int) -> Message:
    (message_crc,) = struct.unpack_from("!I", frame, len(frame) - 4)
    if crc32(frame[:-4]) != message_crc:
        raise EventStreamDecodeError("message CRC mismatch")
    start = _PRELUDE_LEN + headers_len
    return Message(decode_headers(frame[_PRELUDE_LEN:start]), frame[start:-4])


class MessageDecoder:
    """Incremental decoder: :meth:`feed` bytes as they come, get whole messages back."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._frame: tuple[int, int] | None = None

    def feed(self, data: bytes) -> list[Message]:
        self._buffer += data
        found: list[Message] = []
        while True:
            if self._frame is None:
                if len(self._buffer) < _PRELUDE_LEN:
                    return found
                self._frame = _check_prelude(self._buffer)
            total, headers_len = self._frame
            if len(self._buffer) < total:
                return found
            frame = bytes(self._buffer[:total])
            del self._buffer[:total]
            self._frame = None
            found.append(_decode_one(frame, headers_len))

    def close(self) -> None:
        """The stream ended: anything left over is a truncated message."""
        if self._buffer:
            raise EventStreamDecodeError(f"stream ends inside a message ({len(self._buffer)} bytes left)")


def decode_messages(data: bytes) -> list[Message]:
    """Every message of a complete stream."""
    decoder = MessageDecoder()
    messages = decoder.feed(data)
    decoder.close()
    return messages


# ---- serializing an operation's event-stream output ------------------------------------------

# Encodes an event body: (value, shape, root element name) -> bytes.
BodyEncoder = Callable[[dict[str, Any], Shape, str], bytes]

_HEADER_TYPES = {
    "byte": HeaderType.BYTE,
    "short": HeaderType.SHORT,
    "integer": HeaderType.INTEGER,
    "long": HeaderType.LONG,
    "blob": HeaderType.BYTE_ARRAY,
    "string": HeaderType.STRING,
}
_MESSAGE_MEMBERS = ("message", "Message", "errorMessage", "ErrorMessage")


@dataclass(frozen=True)
class EventWriter:
    """Frames events of one protocol: its body encoder and the ``:content-type`` of bodies."""

    encode: BodyEncoder
    content_type: str

    def initial_response(self, body: bytes) -> bytes:
        """The ``initial-response`` event RPC protocols open the stream with."""
        return encode_message(
            {":event-type": "initial-response", ":content-type": self.content_type, ":message-type": "event"},
            body,
        )

    def event(self, stream: Shape, event: Any) -> bytes:
        """One event given as ``{"<member>": {...fields...}}``."""
        if not isinstance(event, dict) or len(event) != 1:
            raise TypeError(f"an event is a one-key dict naming its member, not {event!r}")
        ((name, value),) = event.items()
        shape = stream.members.get(name)
        if shape is None or shape.defn.get("exception"):
            raise TypeError(f"{name!r} is not an event of {stream.name}")
        value = value or {}
        headers: dict[str, Any] = {":event-type": name}
        extra: dict[str, Any] = {}
        payload = b""
        payload_member = next((m for m, s in shape.members.items() if s.trait("eventpayload")), None)
        for member_name, member in shape.members.items():
            item = value.get(member_name)
            if item is not None and member.trait("eventheader"):
                kind = _HEADER_TYPES.get(member.type)
                if member.type == "boolean":
                    extra[member_name] = bool(item)
                elif member.type == "timestamp":  # numbers are epoch seconds, as in bodies
                    extra[member_name] = Typed(HeaderType.TIMESTAMP, parse_timestamp(item))
                elif kind is not None:
                    extra[member_name] = Typed(kind, to_bytes(item) if member.type == "blob" else item)
        if payload_member is not None:
            member = shape.members[payload_member]
            item = value.get(payload_member)
            if member.type == "blob":
                headers[":content-type"] = "application/octet-stream"
                payload = to_bytes(item) if item is not None else b""
            elif member.type == "string":
                headers[":content-type"] = "text/plain"
                payload = item.encode() if item is not None else b""
            else:
                headers[":content-type"] = self.content_type
                payload = self.encode(item or {}, member, member.location_name or member.name)
        else:
            body_members = [m for m, s in shape.members.items() if not s.trait("eventheader")]
            if body_members:  # events with no members at all (S3's Cont, End) carry nothing
                headers[":content-type"] = self.content_type
                body = {k: v for k, v in value.items() if k in body_members}
                payload = self.encode(body, shape, name)
        headers[":message-type"] = "event"
        headers.update(extra)
        return encode_message(headers, payload)

    def exception(self, stream: Shape, error: ServiceError) -> bytes:
        """A modeled exception of the stream (``error.code`` names one of its members)."""
        shape = stream.members[error.code]
        body = {k: v for k, v in error.fields.items() if k in shape.members}
        message_member = next((m for m in _MESSAGE_MEMBERS if m in shape.members), None)
        if message_member is not None:
            body[message_member] = error.message
        headers = {
            ":exception-type": error.code,
            ":content-type": self.content_type,
            ":message-type": "exception",
        }
        return encode_message(headers, self.encode(body, shape, error.code))


def _clip(text: str) -> str:
    """``text`` cut to what a string header carries, on a character boundary."""
    return text.encode()[:_MAX_VALUE_LENGTH].decode(errors="ignore")


def error_message(code: str, message: str) -> bytes:
    """An unmodeled error: ``:message-type`` ``error`` with its code and message as headers."""
    return encode_message(
        {":error-code": _clip(code), ":error-message": _clip(message), ":message-type": "error"}
    )


def _failure(stream: Shape, writer: EventWriter, exc: Exception) -> bytes:
    """The message that ends a stream whose events raised ``exc``."""
    if isinstance(exc, ServiceError):
        member = stream.members.get(exc.code)
        if member is not None and member.defn.get("exception"):
            try:
                return writer.exception(stream, exc)
            except Exception as bad:  # fields the shape cannot carry: still say which error
                log.error("exception event %s of %s failed", exc.code, stream.name, exc_info=bad)
        return error_message(exc.code, exc.message)
    log.error("event stream of %s failed", stream.name, exc_info=exc)
    return error_message("InternalFailure", "An internal error occurred.")


async def _each(events: AsyncIterable[Any] | Iterable[Any]) -> AsyncGenerator[Any, None]:
    if isinstance(events, AsyncIterable):
        async for event in events:
            yield event
    else:
        for event in events:
            yield event


async def frames(
    stream: Shape,
    events: AsyncIterable[Any] | Iterable[Any] | None,
    writer: EventWriter,
    initial: bytes | None = None,
) -> AsyncIterator[bytes]:
    """The framed body of an event-stream answer, one message per chunk.

    ``initial`` is the body of an ``initial-response`` event sent first. A ``ServiceError``
    the events raise is sent as the stream's modeled exception when ``stream`` has a member of
    that name, else as an ``error`` message; anything else as an ``InternalFailure`` error.
    Either ends the stream. The provider's iterator is closed however the stream ends.
    """
    if initial is not None:
        yield writer.initial_response(initial)
    if events is None:
        return
    source = _each(events)
    try:
        async for event in source:
            yield writer.event(stream, event)
    except Exception as exc:
        yield _failure(stream, writer, exc)
    finally:
        await source.aclose()
        close = getattr(events, "aclose", None) or getattr(events, "close", None)
        if close is not None:
            result = close()
            if hasattr(result, "__await__"):
                await result
