"""Compile an EventBridge event pattern (JSON text or dict) into matcher objects."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from cloudlet.core import jackson
from cloudlet.core.patterns.conditions import (
    NUMERIC_LIMIT,
    AnythingBut,
    Cidr,
    Condition,
    EqualsIgnoreCase,
    Exact,
    Exists,
    Numeric,
    Prefix,
    Suffix,
    Wildcard,
    is_number,
    wildcard_regex,
)
from cloudlet.core.patterns.errors import PatternError

MAX_PATTERN_CHARS = 4096  # botocore model: EventPattern max 4096


@dataclass(frozen=True)
class Leaf:
    """A field whose value must satisfy any one of ``conditions``."""

    conditions: tuple[Condition, ...]


@dataclass(frozen=True)
class ObjectMatcher:
    """An object pattern: every field matches, and one alternative of each ``$or``."""

    fields: tuple[tuple[str, Leaf | ObjectMatcher], ...]
    alternatives: tuple[tuple[ObjectMatcher, ...], ...] = field(default=())


def compile_pattern(source: str | Mapping[str, Any]) -> ObjectMatcher:
    """Parse and validate a pattern; raise PatternError with AWS's reason if bad."""
    if isinstance(source, str):
        text = source
        try:
            source = json.loads(text)
        except json.JSONDecodeError as exc:
            reason, line, column = jackson.describe(text, exc)
            raise PatternError(reason + jackson.location(jackson.quoted(text), line, column)) from None
        if not isinstance(source, Mapping):  # recorded with the location of the first value
            raise PatternError("Filter is not an object" + jackson.location(jackson.quoted(text), 1, 2))
    if not isinstance(source, Mapping):
        raise PatternError("Filter is not an object")
    return _object(source)


def _object(pattern: Mapping[str, Any]) -> ObjectMatcher:
    fields: list[tuple[str, Leaf | ObjectMatcher]] = []
    alternatives: list[tuple[ObjectMatcher, ...]] = []
    for key, value in pattern.items():
        if key == "$or" and isinstance(value, list):
            if len(value) < 2 or not all(isinstance(v, Mapping) for v in value):
                raise PatternError('"$or" must be an array of objects')  # unverified
            alternatives.append(tuple(_object(v) for v in value))
        elif isinstance(value, Mapping):
            fields.append((key, _object(value)))
        elif isinstance(value, list):
            fields.append((key, _leaf(value)))
        else:
            raise PatternError(f'"{key}" must be an object or an array')
    return ObjectMatcher(tuple(fields), tuple(alternatives))


def _leaf(values: list[Any]) -> Leaf:
    if not values:
        raise PatternError("Empty arrays are not allowed")
    conditions: list[Condition] = []
    for value in values:
        if isinstance(value, list):
            raise PatternError("Match value must be String, number, true, false, or null")
        if isinstance(value, Mapping):
            conditions.append(_operator(value))
        else:
            conditions.append(Exact(value))
    return Leaf(tuple(conditions))


def _operator(expr: Mapping[str, Any]) -> Condition:
    if len(expr) != 1:
        raise PatternError("Only one key allowed in match expression")
    ((name, arg),) = expr.items()
    if name in ("prefix", "suffix"):
        return _affix(name, arg)
    if name == "equals-ignore-case":
        if not isinstance(arg, str):
            raise PatternError("equals-ignore-case match pattern must be a string")
        return EqualsIgnoreCase(arg)
    if name == "wildcard":
        return _wildcard(arg)
    if name == "exists":
        if not isinstance(arg, bool):
            raise PatternError("exists match pattern must be either true or false.")
        return Exists(arg)
    if name == "numeric":
        return _numeric(arg)
    if name == "cidr":
        return _cidr(arg)
    if name == "anything-but":
        return _anything_but(arg)
    raise PatternError(f"Unrecognized match type {name}")


def _affix(name: str, arg: Any) -> Condition:
    cls = Prefix if name == "prefix" else Suffix
    if isinstance(arg, Mapping) and list(arg) == ["equals-ignore-case"]:
        inner = arg["equals-ignore-case"]
        if not isinstance(inner, str):
            raise PatternError("prefix/suffix match pattern must be a string")  # unverified
        return cls(inner, fold=True)
    if not isinstance(arg, str):
        raise PatternError(f"{name} match pattern must be a string")
    return cls(arg)


def _wildcard(arg: Any) -> Wildcard:
    if not isinstance(arg, str):
        raise PatternError("wildcard match pattern must be a string")
    index = 0
    while index < len(arg):
        if arg[index] == "\\":
            if index + 1 >= len(arg) or arg[index + 1] not in "*\\":
                raise PatternError(f"Invalid escape character at pos {index}")  # unverified
            index += 2
            continue
        if arg[index] == "*" and index + 1 < len(arg) and arg[index + 1] == "*":
            raise PatternError(f"Consecutive wildcard characters at pos {index + 1}")  # unverified pos
        index += 1
    return Wildcard(wildcard_regex(arg))


_LOWER = {">": False, ">=": True}
_UPPER = {"<": False, "<=": True}


def _numeric(arg: Any) -> Numeric:
    if not isinstance(arg, list):
        raise PatternError("Value of numeric must be an array.")
    if not arg:
        raise PatternError("Invalid member in numeric match: ]")
    op = arg[0]
    if not isinstance(op, str):
        raise PatternError(f"Invalid member in numeric match: {_text(op)}")
    if op not in _LOWER and op not in _UPPER and op != "=":
        raise PatternError(f"Unrecognized numeric range operator: {op}")
    first = _number(arg, 1, "equals" if op == "=" else op)
    if op == "=":
        if len(arg) > 2:
            raise PatternError("Too many elements in numeric expression")  # unverified
        return Numeric((first, True), (first, True))
    if op in _UPPER:
        if len(arg) > 2:
            raise PatternError("Too many elements in numeric expression")
        return Numeric(None, (first, _UPPER[op]))
    low = (first, _LOWER[op])
    if len(arg) == 2:
        return Numeric(low, None)
    second = arg[2]
    if not isinstance(second, str):
        raise PatternError(f"Bad value in numeric range: {_text(second)}")
    if second not in _UPPER:
        raise PatternError(f"Bad numeric range operator: {second}")
    top = _number(arg, 3, second)
    if len(arg) > 4:
        raise PatternError("Too many terms in numeric range expression")
    if first >= top:
        raise PatternError("Bottom must be less than top")
    return Numeric(low, (top, _UPPER[second]))


def _number(arg: list[Any], index: int, op: str) -> float:
    if index >= len(arg) or not is_number(arg[index]):
        raise PatternError(f"Value of {op} must be numeric")
    value = arg[index]
    # AWS documents numeric matching as limited to -5.0e9..+5.0e9 with six decimal places;
    # unverified: the reasons, Event Ruler's words for the two limits
    exponent = Decimal(repr(value)).normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -6:
        raise PatternError("Only values upto 6 decimals are supported")
    if not -NUMERIC_LIMIT <= value <= NUMERIC_LIMIT:
        raise PatternError(f"Value must be between {-NUMERIC_LIMIT} and {NUMERIC_LIMIT}, inclusive")
    return float(value)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _cidr(arg: Any) -> Cidr:
    if not isinstance(arg, str):
        raise PatternError("prefix match pattern must be a string")  # as AWS words it
    parts = arg.split("/")
    if len(parts) != 2:
        raise PatternError("Malformed CIDR, one '/' required")
    address, bits = parts
    if not bits.isdigit():
        raise PatternError("Malformed CIDR, mask bits must be an integer")
    try:
        ipaddress.ip_address(address)
    except ValueError:
        raise PatternError(f"Nonstandard IP address: {address}") from None
    try:
        return Cidr(ipaddress.ip_network(arg, strict=False))
    except ValueError:
        raise PatternError("Malformed CIDR, mask bits must be an integer") from None  # unverified


_ANYTHING_BUT_TYPE = "Value of anything-but must be an array or single string/number value."


def _anything_but(arg: Any) -> AnythingBut:
    if isinstance(arg, str) or is_number(arg):
        return AnythingBut((Exact(arg),))
    if isinstance(arg, list):
        if not arg:
            raise PatternError("Empty arrays are not allowed")  # unverified
        if not all(isinstance(v, str) or is_number(v) for v in arg):
            raise PatternError("Inside anything but list, start|null|boolean is not supported.")
        return AnythingBut(tuple(Exact(v) for v in arg))
    if not isinstance(arg, Mapping) or len(arg) != 1:
        raise PatternError(_ANYTHING_BUT_TYPE)
    ((name, inner),) = arg.items()
    if name in ("prefix", "suffix"):
        if not isinstance(inner, str):
            raise PatternError("prefix/suffix match pattern must be a string")
        if not inner:
            raise PatternError("Null prefix/suffix not allowed")
        return AnythingBut(((Prefix if name == "prefix" else Suffix)(inner),))
    if name == "equals-ignore-case":
        items = inner if isinstance(inner, list) else [inner]
        if not items or not all(isinstance(v, str) for v in items):
            raise PatternError(
                "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported."
            )
        return AnythingBut(tuple(EqualsIgnoreCase(v) for v in items))
    if name == "wildcard":
        items = inner if isinstance(inner, list) else [inner]
        if not items:
            raise PatternError("wildcard match pattern must be a string")
        return AnythingBut(tuple(_wildcard(v) for v in items))
    raise PatternError(f"Unsupported anything-but pattern: {name}")  # wording from SNS recording
