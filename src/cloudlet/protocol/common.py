"""Pieces every protocol shares: value conversions, timestamps, the response object."""

from __future__ import annotations

import base64
import binascii
import functools
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import IO, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import Shape


@dataclass
class Response:
    """An HTTP response; ``body`` may be bytes, a file or an async iterator of chunks.

    ``websocket`` (a ``cloudlet.websocket.WebSocketHandler``) accepts a WebSocket upgrade:
    the server answers 101 with ``headers`` and hands the connection to that handler.
    An async iterator that raises :class:`BodyCut` ends the answer unfinished.
    """

    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes | IO[bytes] | AsyncIterator[bytes] = b""
    websocket: Any = None

    def header(self, name: str) -> str | None:
        lname = name.lower()
        for k, v in self.headers:
            if k.lower() == lname:
                return v
        return None


class BodyCut(Exception):
    """Raised by a streamed body to end its answer unfinished: the connection closes without
    the body's end (a chunked answer's last chunk), so the client sees it cut short."""


class SerializationError(ServiceError):
    """A request body that cannot be read as the protocol says."""


def bad_input(message: str, code: str = "SerializationException") -> ServiceError:
    return SerializationError(code, message, 400)


# ---- timestamps -------------------------------------------------------------------------


def parse_timestamp(value: Any) -> datetime:
    """Any timestamp AWS accepts on input: epoch number, ISO 8601 or an HTTP date."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, bool):
        raise ValueError("boolean is not a timestamp")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("not a finite timestamp")
        return datetime.fromtimestamp(value, UTC)
    if not isinstance(value, str):
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    try:
        return datetime.fromtimestamp(float(text), UTC)
    except (ValueError, OverflowError):
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except ValueError:
        pass
    try:
        parsed = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"not a timestamp: {value!r}") from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def epoch_seconds(value: datetime) -> float | int:
    ts = value.timestamp()
    return int(ts) if ts == int(ts) else round(ts, 3)


def iso8601(value: datetime) -> str:
    value = value.astimezone(UTC)
    if value.microsecond:
        return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def iso8601_millis(value: datetime) -> str:
    """ISO 8601 with milliseconds always written (S3's ``2026-01-01T00:00:00.000Z``)."""
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def http_date(value: datetime) -> str:
    return format_datetime(value.astimezone(UTC), usegmt=True)


ISO8601_MILLIS = "iso8601-millis"  # a default format, not one of the models' (S3's XML)


def format_timestamp(value: Any, fmt: str) -> Any:
    """Render a timestamp in ``iso8601``, ``rfc822`` or ``unixTimestamp`` form (or ``iso8601-millis``)."""
    dt = parse_timestamp(value)
    if fmt == "iso8601":
        return iso8601(dt)
    if fmt == ISO8601_MILLIS:
        return iso8601_millis(dt)
    if fmt == "rfc822":
        return http_date(dt)
    return epoch_seconds(dt)


# ---- scalars ----------------------------------------------------------------------------


def b64decode(value: str) -> bytes:
    try:
        return base64.b64decode(value, validate=False)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("invalid base64") from exc


def b64encode(value: bytes | str) -> str:
    if isinstance(value, str):
        value = value.encode()
    return base64.b64encode(value).decode()


def to_bytes(value: Any) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        return value.encode()
    if hasattr(value, "read"):
        return value.read()
    raise TypeError(f"not a blob: {type(value).__name__}")


def parse_scalar_text(text: str, shape: Shape, ts_default: str = "iso8601") -> Any:
    """A scalar written as text (query strings, headers, XML, form fields)."""
    t = shape.type
    if t == "string":
        return text
    if t in ("integer", "long", "short", "byte"):
        return int(text.strip())
    if t in ("float", "double"):
        low = text.strip()
        if low in ("NaN", "Infinity", "-Infinity"):
            return float(low.replace("Infinity", "inf"))
        return float(low)
    if t == "boolean":
        low = text.strip().lower()
        if low in ("true", "false"):
            return low == "true"
        raise ValueError(f"not a boolean: {text!r}")
    if t == "timestamp":
        return parse_timestamp(text)
    if t == "blob":
        return b64decode(text)
    raise ValueError(f"not a scalar type: {t}")


def scalar_text(value: Any, shape: Shape, ts_default: str = "iso8601") -> str:
    """A scalar rendered as text (query strings, headers, XML)."""
    t = shape.type
    if t == "boolean":
        return "true" if value else "false"
    if t == "timestamp":
        return str(format_timestamp(value, shape.trait("timestampFormat") or ts_default))
    if t == "blob":
        return b64encode(to_bytes(value))
    if t in ("float", "double"):
        if isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            if math.isinf(value):
                return "Infinity" if value > 0 else "-Infinity"
            if value == int(value) and abs(value) < 1e16:
                return str(int(value)) if t == "integer" else repr(value)
        return str(value)
    return str(value)


@functools.lru_cache(maxsize=8192)
def lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]
