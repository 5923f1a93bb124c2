"""Input validation from the model's constraints, with the messages AWS front ends write.

Messages follow the Coral form: ``Value 'x' at 'memberName' failed to satisfy constraint:
Member must ...``; paths use lower-camel member names, ``.N.member`` for list items and
``.key.member`` for map values.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from cloudlet.protocol.common import lower_first
from cloudlet.protocol.model import Shape

_MAX_ERRORS = 10


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # a Java-only construct: not checked


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, bytes):
        return "java.nio.HeapByteBuffer"
    return str(value)


def _length(value: Any) -> int | None:
    if isinstance(value, str | list | dict | bytes):
        return len(value)
    return None


def validate(value: dict[str, Any], shape: Shape) -> list[str]:
    """All constraint violations of ``value`` (up to ten), as AWS words them."""
    errors: list[str] = []
    _check_structure(value, shape, "", errors)
    return errors[:_MAX_ERRORS]


def _check_structure(value: dict[str, Any], shape: Shape, path: str, errors: list[str]) -> None:
    for name in shape.required:
        if value.get(name) is None:
            where = f"{path}.{lower_first(name)}" if path else lower_first(name)
            errors.append(f"Value null at '{where}' failed to satisfy constraint: Member must not be null")
    members = shape.members
    for name, item in value.items():
        member = members.get(name)
        if member is None or item is None:
            continue
        where = f"{path}.{lower_first(name)}" if path else lower_first(name)
        _check(item, member, where, errors)


def _check(value: Any, shape: Shape, where: str, errors: list[str]) -> None:
    if len(errors) >= _MAX_ERRORS:
        return
    t = shape.type
    d = shape.defn
    if t == "structure":
        if isinstance(value, dict) and not shape.is_document:
            _check_structure(value, shape, where, errors)
        return
    if t in ("string", "blob", "list", "map"):
        n = _length(value)
        if n is not None:
            if "min" in d and n < d["min"]:
                errors.append(
                    f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "
                    f"Member must have length greater than or equal to {d['min']}"
                )
            if "max" in d and n > d["max"]:
                errors.append(
                    f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "
                    f"Member must have length less than or equal to {d['max']}"
                )
    elif t in ("integer", "long", "float", "double") and isinstance(value, int | float):
        if "min" in d and value < d["min"]:
            errors.append(
                f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "
                f"Member must have value greater than or equal to {d['min']}"
            )
        if "max" in d and value > d["max"]:
            errors.append(
                f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {d['max']}"
            )
    if t == "string" and isinstance(value, str):
        enum = d.get("enum")
        if enum and value not in enum:
            errors.append(
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(enum)}]"
            )
        pattern = d.get("pattern")
        if pattern:
            compiled = _pattern(pattern)
            if compiled is not None and compiled.fullmatch(value) is None:
                errors.append(
                    f"Value '{value}' at '{where}' failed to satisfy constraint: "
                    f"Member must satisfy regular expression pattern: {pattern}"
                )
    elif t == "list" and isinstance(value, list):
        member = shape.member
        for i, item in enumerate(value, 1):
            if item is not None:
                _check(item, member, f"{where}.{i}.member", errors)
    elif t == "map" and isinstance(value, dict):
        vshape = shape.value
        for key, item in value.items():
            if item is not None:
                _check(item, vshape, f"{where}.{key}.member", errors)
