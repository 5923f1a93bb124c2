"""JSONata mode: ``{% … %}`` expressions in Arguments, Output, Condition, Items and Assign.

An expression sees ``$states`` (``input``, ``context``, and ``result``/``errorOutput`` where
the state has them) and every variable in scope as ``$name``. Step Functions adds
``$partition``, ``$range``, ``$hash``, ``$random`` (optionally seeded), ``$uuid`` and ``$parse``,
and removes ``$eval``. Results come back as JSON values (integral numbers as ``int``); an
expression that yields nothing, a function or an error fails with
``States.QueryEvaluationError`` and AWS's cause. ``$now()``/``$millis()`` read the ``now``
the interpreter passes (epoch seconds), never the real clock when it is given.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import time
import uuid
from typing import Any

from jsonata import Jsonata
from jsonata.jexception import JException
from jsonata.utils import Utils

from .env import Env
from .errors import QUERY_EVALUATION_ERROR, StatesError
from .payload import Where

_NULL = Utils.NULL_VALUE
_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}
_EXPONENT_FORM = 10**21
RANGE_LIMIT = 1000  # as States.ArrayRange; # unverified for $range


class _FunctionError(Exception):
    """A failure of one of the functions Step Functions adds (its message is the cause's tail)."""


class _Expression(Jsonata):
    """A parsed expression whose ``$now()``/``$millis()`` read a fixed time when one is given."""

    fixed_millis: int | None = None

    @property  # type: ignore[override]
    def timestamp(self) -> int:
        return self.fixed_millis if self.fixed_millis is not None else self._timestamp

    @timestamp.setter
    def timestamp(self, value: int) -> None:
        self._timestamp = value


def is_expression(value: Any) -> bool:
    """A string that is wholly ``{% … %}`` (AWS: no whitespace outside the delimiters)."""
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def expression_text(value: str) -> str:
    """The JSONata inside ``{% … %}`` (trimmed, as AWS quotes it in causes); other text as is."""
    return value[2:-2].strip() if is_expression(value) else value.strip()


def evaluate(
    expression: str,
    env: Env,
    field: str = "Output",
    *,
    now: float | None = None,
    where: Where | None = None,
) -> Any:
    """The JSON value of ``expression`` (``{% … %}`` or bare JSONata) against ``env``.

    ``field`` is the field path AWS names in causes (``Output/result``, ``Assign/x``).
    """
    return _evaluate(expression_text(expression), _bindings(env), field, now, where)


def render(
    template: Any,
    env: Env,
    field: str,
    *,
    now: float | None = None,
    where: Where | None = None,
) -> Any:
    """``template`` with every ``{% … %}`` string at any depth replaced by its value (a new value).

    Strings that are not wholly an expression stay literal, as do ``.$`` keys. All expressions
    of one call see the same ``$now()``.
    """
    if now is None:
        now = time.time()  # no clock given: one real time for the whole template
    return _render(template, _bindings(env), field, now, where)


def _render(template: Any, bindings: dict[str, Any], field: str, now: float, where: Where | None) -> Any:
    if is_expression(template):
        return _evaluate(expression_text(template), bindings, field, now, where)
    if isinstance(template, dict):
        return {
            key: _render(value, bindings, f"{field}/{key}", now, where) for key, value in template.items()
        }
    if isinstance(template, list):
        # # unverified: the field path AWS names for an expression inside an array.
        return [
            _render(item, bindings, f"{field}/{index}", now, where) for index, item in enumerate(template)
        ]
    return template


# ------------------------------------------------------------------------------ evaluation


def _bindings(env: Env) -> dict[str, Any]:
    """``$states`` and the variables, with JSON ``null`` as JSONata's null (not undefined)."""
    states: dict[str, Any] = {"input": _to_jsonata(env.input), "context": _to_jsonata(dict(env.context))}
    if env.has_result:
        states["result"] = _to_jsonata(env.result)
    if env.has_error_output:
        states["errorOutput"] = _to_jsonata(env.error_output)
    bindings = {name: _to_jsonata(value) for name, value in env.variables.items()}
    bindings["states"] = states
    return bindings


def _evaluate(text: str, bindings: dict[str, Any], field: str, now: float | None, where: Where | None) -> Any:
    def fail(tail: str) -> StatesError:
        cause = f"The JSONata expression '{text}' specified for the field '{field}' {tail}"
        return StatesError(QUERY_EVALUATION_ERROR, where.cause(cause) if where else cause)

    try:
        parsed = _Expression(text)
        parsed.set_output_convert_nulls(False)
        if now is not None:
            parsed.fixed_millis = int(now * 1000)
        for name, function in _FUNCTIONS.items():
            parsed.register_lambda(name, function)
        parsed.register_function("eval", None)  # $eval is not available in Step Functions
        Jsonata.CURRENT.jsonata = parsed
        result = parsed.evaluate(None, bindings)
    except JException as exc:
        raise fail(f"threw an error during evaluation. {exc.error}: {exc}") from None
    except _FunctionError as exc:
        raise fail(f"threw an error during evaluation. {exc}") from None  # unverified wording
    except RecursionError:
        raise fail("threw an error during evaluation. Stack overflow error") from None  # unverified
    except Exception as exc:  # the library's own failures (e.g. a malformed lambda)
        raise fail(f"threw an error during evaluation. {exc}") from None  # unverified
    if result is None:
        raise fail("returned nothing (undefined).")
    try:
        return _to_json(result)
    except _FunctionError:
        raise fail("returned an unsupported result type.") from None  # unverified wording


def _float(value: int) -> float | int:
    try:
        return float(value)
    except OverflowError:
        return value


def _to_jsonata(value: Any) -> Any:
    if value is None:
        return _NULL
    if isinstance(value, dict):
        return {key: _to_jsonata(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_jsonata(item) for item in value]
    return value


def _to_json(value: Any) -> Any:
    """A JSONata result as a JSON value; functions and other non-JSON values are refused."""
    if value is None or value is _NULL:
        return None
    if isinstance(value, bool | str):
        return value
    # JSONata's numbers are JavaScript's: integral ones print without a fraction (3, not 3.0)
    # below 1e21 and in exponent form from there on.
    if isinstance(value, int):
        return value if abs(value) < _EXPONENT_FORM else _float(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _FunctionError("non-finite number")
        return int(value) if value.is_integer() and abs(value) < _EXPONENT_FORM else value
    if isinstance(value, dict):
        return {str(key): _to_json(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_to_json(item) for item in value if item is not None]
    raise _FunctionError(type(value).__name__)


# ------------------------------------------------------------- the functions Step Functions adds


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def _partition(array: Any = None, size: Any = None) -> list[list[Any]]:
    if not isinstance(array, list):
        raise _FunctionError("The first argument of $partition must be an array")  # unverified
    chunk = _integer(size)
    if chunk is None or chunk <= 0:
        raise _FunctionError("The second argument of $partition must be a positive integer")  # unverified
    items = list(array)
    return [items[start : start + chunk] for start in range(0, len(items), chunk)]


def _range(start: Any = None, end: Any = None, step: Any = None) -> Any:
    first, last, stride = _integer(start), _integer(end), _integer(step)
    if first is None or last is None or stride is None:
        raise _FunctionError("The arguments of $range must be integers")  # unverified
    if stride == 0:
        raise _FunctionError("The step of $range must not be zero")  # unverified
    values = list(range(first, last + (1 if stride > 0 else -1), stride))
    if len(values) > RANGE_LIMIT:
        raise _FunctionError(f"$range can produce at most {RANGE_LIMIT} items")  # unverified
    # A JSONata sequence: one item comes back as that item (recorded: $range(1, 9, 9) is 1).
    return Utils.create_sequence_from_iter(values)


def _hash(value: Any = None, algorithm: Any = None) -> str:
    if not isinstance(value, str):
        raise _FunctionError("The first argument of $hash must be a string")  # unverified
    name = _HASHES.get(algorithm) if isinstance(algorithm, str) else None
    if name is None:
        raise _FunctionError(f"The hash algorithm must be one of {', '.join(_HASHES)}")  # unverified
    return hashlib.new(name, value.encode()).hexdigest()


def _random(seed: Any = None) -> float:
    if seed is None:
        return random.random()
    number = _integer(seed)
    if number is None:
        raise _FunctionError("The seed of $random must be an integer")  # unverified
    return random.Random(number).random()  # unverified: AWS's seeded sequence differs


def _uuid() -> str:
    return str(uuid.uuid4())


def _parse(text: Any = None) -> Any:
    if not isinstance(text, str):
        raise _FunctionError("The argument of $parse must be a string")  # unverified
    try:
        return _to_jsonata(json.loads(text))
    except ValueError:
        raise _FunctionError("The argument of $parse is not valid JSON") from None  # unverified


_FUNCTIONS = {
    "partition": _partition,
    "range": _range,
    "hash": _hash,
    "random": _random,
    "uuid": _uuid,
    "parse": _parse,
}
