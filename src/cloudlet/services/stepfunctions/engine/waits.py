"""When a Wait state ends: ``Seconds``, ``Timestamp``, ``SecondsPath`` or ``TimestampPath``
(JSONPath), or ``Seconds``/``Timestamp`` as values or JSONata expressions, with AWS's causes."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.intrinsics import resolve_path
from cloudlet.services.stepfunctions.engine.values import dumps

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.engine.interpreter import Where

MAX_DELAY_S = 2**31 - 1  # recorded: 24,855 days waits, 24,856 days is "too long"
# ISO-8601 extended offset date-time: a date, a time with optional fractions, Z or an offset.
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")


def parse_timestamp(text: Any) -> float | None:
    """Epoch seconds of an ISO-8601 offset date-time, None when ``text`` is not one."""
    if not isinstance(text, str) or not _TIMESTAMP.fullmatch(text):
        return None
    base, _, rest = text.partition(".")
    fraction = 0.0
    if rest:
        digits = re.match(r"\d+", rest)
        assert digits is not None
        fraction = float("0." + digits.group())
        text = base + rest[digits.end() :]
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() + fraction
    except ValueError:
        return None


def wait_until(state: dict[str, Any], env: Env, language: str, now: float, where: Where) -> float:
    """The service-clock time the Wait state ``state`` ends."""
    if language == "JSONata":
        return _jsonata(state, env, now, where)
    if "Seconds" in state:
        return _checked(now + int(state["Seconds"]), now, where)
    if "Timestamp" in state:
        at = parse_timestamp(state["Timestamp"])
        assert at is not None  # the definition was validated
        return _checked(at, now, where)
    if "SecondsPath" in state:
        path = state["SecondsPath"]
        value = _query("SecondsPath", path, env, where)
        shown = f"{path} == {dumps(value)}"
        if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
            raise StatesError(
                errors.RUNTIME,
                where.cause(f"The SecondsPath parameter cannot be parsed as a long value: {shown}"),
            )
        if value < 0:
            raise StatesError(
                errors.RUNTIME, where.cause(f"The SecondsPath parameter references a negative value: {shown}")
            )
        return _checked(now + int(value), now, where)
    path = state["TimestampPath"]
    value = _query("TimestampPath", path, env, where)
    at = parse_timestamp(value)
    if at is None:
        shown = value if isinstance(value, str) else dumps(value)
        raise StatesError(
            errors.RUNTIME,
            where.cause(
                "The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time "
                f"format string: {path} == {shown}"
            ),
        )
    return _checked(at, now, where)


def _query(field: str, path: str, env: Env, where: Where) -> Any:
    """The value at ``path``; as recorded, a path that selects nothing fails the state."""
    try:
        return resolve_path(path, env)
    except StatesError:
        raise StatesError(
            errors.RUNTIME, where.cause(f"The {field} parameter does not reference an input value: {path}")
        ) from None  # recorded for SecondsPath; unverified for TimestampPath


def _jsonata(state: dict[str, Any], env: Env, now: float, where: Where) -> float:
    from cloudlet.services.stepfunctions.asl import jsonata

    if "Seconds" in state:
        value = state["Seconds"]
        if jsonata.is_expression(value):
            value = jsonata.evaluate(value, env, "Seconds", where=where)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value != int(value):
            raise StatesError(
                errors.QUERY_EVALUATION_ERROR,
                where.cause(
                    f"The JSONata expression '{state['Seconds']}' specified for the field 'Seconds' returned an "
                    "unexpected result type. Expected 'integer', but was "
                    f"'{type(value).__name__}' for value: {dumps(value)}"
                ),
            )  # unverified
        return _checked(now + int(value), now, where)
    value = state["Timestamp"]
    if jsonata.is_expression(value):
        value = jsonata.evaluate(value, env, "Timestamp", where=where)
    at = parse_timestamp(value)
    if at is None:
        shown = value if isinstance(value, str) else dumps(value)  # unverified for a non-string
        raise StatesError(
            errors.QUERY_EVALUATION_ERROR,
            where.cause(
                "The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format "
                f"string: {shown}"
            ),
        )  # recorded
    return _checked(at, now, where)


def _checked(until: float, now: float, where: Where) -> float:
    if until - now > MAX_DELAY_S:
        raise StatesError(errors.RUNTIME, where.cause("Wait state delay is too long."))
    return until
