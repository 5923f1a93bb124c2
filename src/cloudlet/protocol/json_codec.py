"""Shape-driven conversion between JSON-like values and parameters.

Used for json and rest-json bodies, and with ``binary=True`` for CBOR (rpc-v2-cbor), where
blobs travel as bytes and timestamps as tagged epoch numbers instead of base64 and numbers.
"""

from __future__ import annotations

import math
from typing import Any

from cloudlet.protocol.common import (
    b64decode,
    b64encode,
    bad_input,
    epoch_seconds,
    format_timestamp,
    parse_timestamp,
    to_bytes,
)
from cloudlet.protocol.model import Shape

_INT_TYPES = ("integer", "long", "short", "byte")
_FLOAT_TYPES = ("float", "double")
_PLAIN = frozenset({"string", "boolean", *_INT_TYPES})  # encoded as they are
_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}


def _type_error(value: Any, shape: Shape) -> Exception:
    kind = type(value).__name__
    return bad_input(f"Unexpected value of type {kind} for a member of type {shape.type}.")


def decode(value: Any, shape: Shape, binary: bool = False) -> Any:
    """Check a decoded JSON value against its shape and convert timestamps and blobs."""
    t = shape.type
    if t == "structure":
        if not isinstance(value, dict):
            raise _type_error(value, shape)
        if shape.is_document:
            return value
        wire = shape.wire_members
        out: dict[str, Any] = {}
        for key, item in value.items():
            found = wire.get(key)
            if found is None or item is None:
                continue
            out[found[0]] = decode(item, found[1], binary)
        return out
    if t == "string":
        if not isinstance(value, str) and not shape.is_json_value:
            raise _type_error(value, shape)
        return value
    if t == "list":
        if not isinstance(value, list):
            raise _type_error(value, shape)
        member = shape.member
        return [decode(item, member, binary) if item is not None else None for item in value]
    if t == "map":
        if not isinstance(value, dict):
            raise _type_error(value, shape)
        vshape = shape.value
        return {k: decode(v, vshape, binary) if v is not None else None for k, v in value.items()}
    if t in _INT_TYPES:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            raise _type_error(value, shape)
        return value
    if t in _FLOAT_TYPES:
        if isinstance(value, str) and value in _SPECIAL_FLOATS:
            return _SPECIAL_FLOATS[value]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _type_error(value, shape)
        return value
    if t == "boolean":
        if not isinstance(value, bool):
            raise _type_error(value, shape)
        return value
    if t == "timestamp":
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError, OSError) as exc:
            raise bad_input(f"Invalid timestamp: {value!r}") from exc
    if t == "blob":
        if binary and isinstance(value, bytes | bytearray):
            return bytes(value)
        if not isinstance(value, str):
            raise _type_error(value, shape)
        try:
            return b64decode(value)
        except ValueError as exc:
            raise bad_input("Invalid base64 value for a blob member.") from exc
    # document shapes and anything unknown pass through unchanged
    return value


def encode(value: Any, shape: Shape, ts_default: str = "unixTimestamp", binary: bool = False) -> Any:
    """Render parameters as JSON-ready values, keeping only members the shape declares."""
    t = shape.type
    if t in _PLAIN:
        return value
    if t == "structure":
        if shape.is_document:
            return value
        members = shape.members
        names = shape.json_names
        out: dict[str, Any] = {}
        for key, item in value.items():
            member = members.get(key)
            if member is None or item is None:
                continue
            out[names[key]] = encode(item, member, ts_default, binary)
        return out
    if t == "list":
        member = shape.member
        return [encode(item, member, ts_default, binary) for item in value]
    if t == "map":
        vshape = shape.value
        return {k: encode(v, vshape, ts_default, binary) for k, v in value.items()}
    if t == "timestamp":
        if binary:
            return parse_timestamp(value)
        fmt = shape.trait("timestampFormat") or ts_default
        if fmt == "unixTimestamp":
            return epoch_seconds(parse_timestamp(value))
        return format_timestamp(value, fmt)
    if t == "blob":
        return to_bytes(value) if binary else b64encode(to_bytes(value))
    if t in _FLOAT_TYPES and not binary and isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value
