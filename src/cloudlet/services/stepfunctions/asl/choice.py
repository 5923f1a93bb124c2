"""Choice rules in JSONPath mode: comparison operators, ``…Path`` forms, ``Is*``, And/Or/Not.

A comparison whose Variable holds a value of the wrong type is false (recorded). A Variable
(or a ``…Path`` operand) that selects nothing fails the state with ``States.Runtime``, except
for ``IsPresent`` which tests exactly that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any

from .env import Env
from .errors import RUNTIME, StatesError
from .intrinsics import resolve_path
from .jsonpath import PathNotFound
from .payload import Where

_MISSING = object()


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _utf16(value: str) -> bytes:
    """Java compares strings by UTF-16 code units; big-endian bytes sort the same way."""
    return value.encode("utf-16-be", "surrogatepass")


# ---------------------------------------------------------------------------------- timestamps

_TIMESTAMP = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2})(?::(\d{2}))?)"
)


def parse_timestamp(value: Any) -> tuple[int, int] | None:
    """An RFC 3339 / ISO-8601 offset date-time as (epoch seconds, nanoseconds); None if not one.

    Java's ``ISO_OFFSET_DATE_TIME`` is the model: ``T`` and an offset are required, seconds
    and fractions (up to 9 digits) optional.  # unverified beyond the recorded Wait cases
    """
    if not isinstance(value, str):
        return None
    match = _TIMESTAMP.fullmatch(value)
    if not match:
        return None
    year, month, day, hour, minute = (int(match.group(i)) for i in range(1, 6))
    second = int(match.group(6) or 0)
    fraction = (match.group(7) or "").ljust(9, "0")
    if match.group(8):
        offset = timedelta(0)
    else:
        sign = -1 if match.group(9) == "-" else 1
        hours, minutes, seconds = int(match.group(10)), int(match.group(11)), int(match.group(12) or 0)
        if hours > 18 or minutes > 59 or seconds > 59:
            return None
        offset = sign * timedelta(hours=hours, minutes=minutes, seconds=seconds)
    try:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=timezone(offset))
    except ValueError:
        return None
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()), int(fraction)


# ---------------------------------------------------------------------------------- matching


@lru_cache(maxsize=1024)
def _wildcard(pattern: str) -> re.Pattern[str]:
    """``StringMatches``: ``*`` is any run of characters; ``\\*`` and ``\\\\`` are literal."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern) and pattern[i + 1] in "*\\":
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        out.append(".*" if c == "*" else re.escape(c))
        i += 1
    return re.compile("".join(out), re.DOTALL)


def _order(kind: str) -> Callable[[Any], Any]:
    """The comparable form of a value for a comparison family, or None for a wrong type."""
    if kind == "String":
        return lambda v: _utf16(v) if isinstance(v, str) else None
    if kind == "Numeric":
        return lambda v: v if _is_number(v) else None
    if kind == "Timestamp":
        return parse_timestamp
    return lambda v: v if isinstance(v, bool) else None  # Boolean


_RELATIONS: dict[str, Callable[[Any, Any], bool]] = {
    "Equals": lambda a, b: a == b,
    "LessThan": lambda a, b: a < b,
    "GreaterThan": lambda a, b: a > b,
    "LessThanEquals": lambda a, b: a <= b,
    "GreaterThanEquals": lambda a, b: a >= b,
}
_OPERATOR = re.compile(
    r"(String|Numeric|Timestamp|Boolean)(Equals|LessThan|GreaterThan|LessThanEquals|GreaterThanEquals)(Path)?"
)
_IS = {
    "IsNull": lambda v: v is None,
    "IsNumeric": _is_number,
    "IsString": lambda v: isinstance(v, str),
    "IsBoolean": lambda v: isinstance(v, bool),
    "IsTimestamp": lambda v: parse_timestamp(v) is not None,
}


def _invalid_path(path: str, where: Where | None) -> StatesError:
    text = (
        f"Invalid path '{path}': The choice state's condition path references an invalid value."  # unverified
    )
    return StatesError(RUNTIME, where.cause(text) if where else text)


def _lookup(path: str, env: Env, where: Where | None) -> Any:
    try:
        return resolve_path(path, env)
    except PathNotFound:
        raise _invalid_path(path, where) from None


def evaluate(rule: dict[str, Any], env: Env, where: Where | None = None) -> bool:
    """Whether a Choice rule (or a nested And/Or/Not rule) matches."""
    if "And" in rule:
        return all(evaluate(r, env, where) for r in rule["And"])
    if "Or" in rule:
        return any(evaluate(r, env, where) for r in rule["Or"])
    if "Not" in rule:
        return not evaluate(rule["Not"], env, where)
    variable = rule.get("Variable")
    operator = next((k for k in rule if k not in ("Variable", "Next", "Comment", "Assign", "Output")), None)
    if not isinstance(variable, str) or operator is None:
        raise StatesError(RUNTIME, "Invalid Choice rule")  # definitions are validated first
    expected = rule[operator]
    if operator == "IsPresent":
        try:
            resolve_path(variable, env)
            present = True
        except PathNotFound:
            present = False
        return present == expected
    value = _lookup(variable, env, where)
    if operator in _IS:
        return _IS[operator](value) == expected
    if operator in ("StringMatches",):
        return (
            isinstance(value, str)
            and isinstance(expected, str)
            and bool(_wildcard(expected).fullmatch(value))
        )
    match = _OPERATOR.fullmatch(operator)
    if not match:
        raise StatesError(
            RUNTIME, f"Unsupported Choice operator {operator}"
        )  # definitions are validated first
    kind, relation, by_path = match.groups()
    if kind == "Boolean" and relation != "Equals":
        raise StatesError(RUNTIME, f"Unsupported Choice operator {operator}")
    if by_path:
        expected = _lookup(expected, env, where)
    order = _order(kind)
    left, right = order(value), order(expected)
    if left is None or right is None:
        return False
    return _RELATIONS[relation](left, right)
