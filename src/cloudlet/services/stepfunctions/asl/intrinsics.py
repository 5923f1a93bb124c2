"""The ``States.*`` intrinsic functions of JSONPath mode: parser and evaluator.

An expression is ``States.Name(arg, ...)``; an argument is a string literal (``'...'`` where
``\\'``, ``\\{``, ``\\}`` and ``\\\\`` are the only escapes), a number, ``true``/``false``/``null``,
a path (``$...`` the input, ``$$...`` the context object, ``$name...`` a variable) or a nested
call. Parsing is cached; bad arguments fail with ``States.IntrinsicFailure``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
import random
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import jsonpath
from .env import Env
from .errors import INTRINSIC_FAILURE, StatesError

MAX_STRING = 10_000  # Base64Encode/Base64Decode/Hash input limit (AWS docs)
MAX_RANGE = 1_000  # ArrayRange result size limit (AWS docs)
MAX_NESTING = 10  # nested intrinsic functions in one field (AWS docs)


@dataclass(frozen=True)
class Call:
    name: str  # without the "States." prefix
    args: tuple[Any, ...]


@dataclass(frozen=True)
class Literal:
    value: Any
    pieces: tuple[str, ...] | None = None  # a string split at its unescaped "{}" (Format)


@dataclass(frozen=True)
class PathArg:
    text: str  # as written: "$.a", "$$.Execution.Id", "$var.x"


def _fail(cause: str) -> StatesError:
    return StatesError(INTRINSIC_FAILURE, cause)


# ---------------------------------------------------------------------------------- parser

_NAME = re.compile(r"States\.([A-Za-z0-9]+)\s*\(")
_NUMBER = re.compile(r"-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?")
_ESCAPABLE = "'{}\\"


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.depth = 0

    def error(self, what: str) -> ValueError:
        return ValueError(f"{what} at position {self.pos}")

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1

    def call(self) -> Call:
        match = _NAME.match(self.text, self.pos)
        if not match or match.group(1) not in FUNCTIONS:
            raise self.error("expected a States function")
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error("too many nested functions")
        self.pos = match.end()
        args: list[Any] = []
        self.ws()
        if self.text.startswith(")", self.pos):
            self.pos += 1
        else:
            while True:
                args.append(self.argument())
                self.ws()
                if self.text.startswith(",", self.pos):
                    self.pos += 1
                    continue
                if self.text.startswith(")", self.pos):
                    self.pos += 1
                    break
                raise self.error("expected ',' or ')'")
        self.depth -= 1
        return Call(match.group(1), tuple(args))

    def argument(self) -> Any:
        self.ws()
        text, pos = self.text, self.pos
        if text.startswith("'", pos):
            pieces = self.string()
            return Literal("{}".join(pieces), pieces)
        if text.startswith("States.", pos):
            return self.call()
        if text.startswith("$", pos):
            return PathArg(self.path())
        for word, value in (("true", True), ("false", False), ("null", None)):
            if text.startswith(word, pos) and not text[pos + len(word) : pos + len(word) + 1].isalnum():
                self.pos += len(word)
                return Literal(value)
        match = _NUMBER.match(text, pos)
        if match:
            self.pos = match.end()
            number = match.group()
            return Literal(float(number) if match.group(2) or match.group(3) else int(number))
        raise self.error("unexpected argument")

    def string(self) -> tuple[str, ...]:
        """A string literal, split at its unescaped ``{}`` placeholders."""
        self.pos += 1
        pieces: list[str] = []
        out: list[str] = []
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c == "\\":
                nxt = self.text[self.pos + 1 : self.pos + 2]
                if not nxt or nxt not in _ESCAPABLE:
                    raise self.error("illegal escape")
                out.append(nxt)
                self.pos += 2
                continue
            if c == "'":
                self.pos += 1
                pieces.append("".join(out))
                return tuple(pieces)
            if self.text.startswith("{}", self.pos):
                pieces.append("".join(out))
                out = []
                self.pos += 2
                continue
            out.append(c)
            self.pos += 1
        raise self.error("unterminated string")

    def path(self) -> str:
        """A path runs to the next ',' or ')' outside brackets, parentheses and quotes."""
        start, depth, quote = self.pos, 0, ""
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if quote:
                if c == "\\":
                    self.pos += 1
                elif c == quote:
                    quote = ""
            elif c in "'\"":
                quote = c
            elif c in "[(":
                depth += 1
            elif c in "])":
                if depth == 0:
                    break
                depth -= 1
            elif c == "," and depth == 0:
                break
            self.pos += 1
        path = self.text[start : self.pos].rstrip()
        if not _valid_path(path):
            raise self.error(f"invalid path {path!r}")
        return path


def _valid_path(path: str) -> bool:
    if path.startswith("$$"):
        return jsonpath.is_path(path[1:])
    if re.match(r"\$[A-Za-z_]", path):
        return jsonpath.is_path("$" + path[len(_variable_name(path)) + 1 :])
    return jsonpath.is_path(path)


def _variable_name(path: str) -> str:
    match = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)", path)
    return match.group(1) if match else ""


@lru_cache(maxsize=2048)
def parse(expression: str) -> Call:
    """Parse an intrinsic expression (``ValueError`` when it is not one)."""
    parser = _Parser(expression.strip())
    call = parser.call()
    parser.ws()
    if parser.pos != len(parser.text):
        raise parser.error("trailing text")
    return call


def is_intrinsic(text: Any) -> bool:
    """Whether ``text`` is a well-formed intrinsic function call."""
    if not isinstance(text, str) or not text.lstrip().startswith("States."):
        return False
    try:
        parse(text)
    except (ValueError, RecursionError):
        return False
    return True


# ---------------------------------------------------------------------------------- evaluation


def resolve_path(path: str, env: Env) -> Any:
    """A JSONPath-mode path against the env: ``$$`` context, ``$name`` variable, ``$`` input."""
    if path.startswith("$$"):
        return jsonpath.query(path[1:], env.context)
    if re.match(r"\$[A-Za-z_]", path):
        name = _variable_name(path)
        if name not in env.variables:
            raise jsonpath.PathNotFound(f"No results for path: ${name}")  # unverified
        return jsonpath.query("$" + path[len(name) + 1 :], env.variables[name])
    return jsonpath.query(path, env.input)


def evaluate(expression: str, env: Env) -> Any:
    """Evaluate an intrinsic expression; ``States.IntrinsicFailure`` on bad arguments."""
    try:
        call = parse(expression)
    except (ValueError, RecursionError) as exc:
        raise _fail(f"Invalid intrinsic function '{expression}': {exc}") from None  # unverified
    return _call(call, env)


def _value(arg: Any, env: Env) -> Any:
    if isinstance(arg, Literal):
        return arg.value
    if isinstance(arg, PathArg):
        try:
            return resolve_path(arg.text, env)
        except jsonpath.PathNotFound as exc:
            exc.path = arg.text  # type: ignore[attr-defined]  # the argument that missed, for causes
            raise
    return _call(arg, env)


def _call(call: Call, env: Env) -> Any:
    args = [_value(a, env) for a in call.args]
    if call.name == "Format" and call.args and isinstance(call.args[0], Literal) and call.args[0].pieces:
        return _format(args, call.args[0].pieces)
    return FUNCTIONS[call.name](args)


# ---------------------------------------------------------------------------------- checks


def _is_int(value: Any) -> bool:
    return (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and value.is_integer()
    )


def _arity(name: str, args: list[Any], *counts: int) -> None:
    if len(args) not in counts:
        expected = " or ".join(str(c) for c in counts)
        raise _fail(
            f"Invalid number of arguments for States.{name}: expected {expected}, got {len(args)}"
        )  # unverified


def _typed(name: str, index: int, value: Any, kind: str, ok: bool) -> None:
    if not ok:
        raise _fail(
            f"Invalid argument {index + 1} for States.{name}: expected {kind}, "
            f"got {json.dumps(value, separators=(',', ':'))}"  # unverified
        )


def _string(name: str, args: list[Any], index: int) -> str:
    _typed(name, index, args[index], "a string", isinstance(args[index], str))
    return args[index]


def _array(name: str, args: list[Any], index: int) -> list[Any]:
    _typed(name, index, args[index], "an array", isinstance(args[index], list))
    return args[index]


def _integer(name: str, args: list[Any], index: int) -> int:
    _typed(name, index, args[index], "an integer", _is_int(args[index]))
    return int(args[index])


def _number(name: str, args: list[Any], index: int) -> float:
    value = args[index]
    _typed(name, index, value, "a number", isinstance(value, int | float) and not isinstance(value, bool))
    return value


def _canonical(value: Any) -> str:
    """Equality as Java's collections see JSON values (1 and 1.0 differ, key order does not)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _java_round(value: float) -> int:
    """Java's ``Math.round``: halves round up (towards positive infinity)."""
    return math.floor(value + 0.5)


# ---------------------------------------------------------------------------------- functions


def _format(args: list[Any], pieces: tuple[str, ...] | None = None) -> str:
    if not args:
        raise _fail("Invalid number of arguments for States.Format: expected at least 1, got 0")  # unverified
    template = _string("Format", args, 0)
    values = args[1:]
    pieces = pieces or tuple(template.split("{}"))
    if len(pieces) - 1 != len(values):
        raise _fail(
            f"Number of arguments in format string ({len(pieces) - 1}) does not match "
            f"number of values ({len(values)})"  # unverified
        )
    out = [pieces[0]]
    for value, piece in zip(values, pieces[1:], strict=True):
        out.append(jsonpath.to_java_string(value))
        out.append(piece)
    return "".join(out)


def _string_to_json(args: list[Any]) -> Any:
    _arity("StringToJson", args, 1)
    text = _string("StringToJson", args, 0)
    if not text.strip():
        return None

    def reject(constant: str) -> Any:
        raise ValueError(constant)

    try:
        return json.loads(text, parse_constant=reject)
    except ValueError:
        raise _fail(f"Failed to parse JSON string: {text}") from None  # unverified


def _json_to_string(args: list[Any]) -> str:
    _arity("JsonToString", args, 1)
    return json.dumps(args[0], separators=(",", ":"), ensure_ascii=False)


def _array_fn(args: list[Any]) -> list[Any]:
    return list(args)


def _array_partition(args: list[Any]) -> list[list[Any]]:
    _arity("ArrayPartition", args, 2)
    items = _array("ArrayPartition", args, 0)
    size = _integer("ArrayPartition", args, 1)
    if size <= 0:
        raise _fail(f"Chunk size must be a positive integer, got {size}")  # unverified
    return [items[i : i + size] for i in range(0, len(items), size)]


def _array_contains(args: list[Any]) -> bool:
    _arity("ArrayContains", args, 2)
    items = _array("ArrayContains", args, 0)
    key = _canonical(args[1])
    return any(_canonical(item) == key for item in items)


def _array_range(args: list[Any]) -> list[int]:
    _arity("ArrayRange", args, 3)
    start, end, step = (_integer("ArrayRange", args, i) for i in range(3))
    if step == 0:
        raise _fail("The step value of States.ArrayRange cannot be 0")  # unverified
    count = max(0, (end - start) // step + 1)
    if count > MAX_RANGE:
        raise _fail(f"States.ArrayRange cannot produce more than {MAX_RANGE} elements")  # unverified
    return [start + i * step for i in range(count)]


def _array_get_item(args: list[Any]) -> Any:
    _arity("ArrayGetItem", args, 2)
    items = _array("ArrayGetItem", args, 0)
    index = _integer("ArrayGetItem", args, 1)
    if not 0 <= index < len(items):
        raise _fail(f"Index {index} is out of bounds for an array of length {len(items)}")  # unverified
    return items[index]


def _array_length(args: list[Any]) -> int:
    _arity("ArrayLength", args, 1)
    return len(_array("ArrayLength", args, 0))


def _array_unique(args: list[Any]) -> list[Any]:
    _arity("ArrayUnique", args, 1)
    seen: set[str] = set()
    out = []
    for item in _array("ArrayUnique", args, 0):
        key = _canonical(item)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _check_length(name: str, text: str) -> None:
    if len(text) > MAX_STRING:
        raise _fail(f"The input to States.{name} must not exceed {MAX_STRING} characters")  # unverified


def _base64_encode(args: list[Any]) -> str:
    _arity("Base64Encode", args, 1)
    text = _string("Base64Encode", args, 0)
    _check_length("Base64Encode", text)
    return base64.b64encode(text.encode("utf-8", "surrogatepass")).decode("ascii")


def _base64_decode(args: list[Any]) -> str:
    _arity("Base64Decode", args, 1)
    text = _string("Base64Decode", args, 0)
    _check_length("Base64Decode", text)
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise _fail(f"Invalid base64 string: {text}") from None  # unverified
    return raw.decode("utf-8", "replace")


_HASHES = {"MD5": "md5", "SHA-1": "sha1", "SHA-256": "sha256", "SHA-384": "sha384", "SHA-512": "sha512"}


def _hash(args: list[Any]) -> str:
    _arity("Hash", args, 2)
    text = _string("Hash", args, 0)
    _check_length("Hash", text)
    algorithm = _string("Hash", args, 1)
    if algorithm not in _HASHES:
        raise _fail(
            f"The hash algorithm '{algorithm}' is not supported. "
            "Supported algorithms: MD5, SHA-1, SHA-256, SHA-384, SHA-512"  # unverified
        )
    return hashlib.new(_HASHES[algorithm], text.encode("utf-8", "surrogatepass")).hexdigest()


def _json_merge(args: list[Any]) -> dict[str, Any]:
    _arity("JsonMerge", args, 3)
    _typed("JsonMerge", 0, args[0], "an object", isinstance(args[0], dict))
    _typed("JsonMerge", 1, args[1], "an object", isinstance(args[1], dict))
    _typed("JsonMerge", 2, args[2], "a boolean", isinstance(args[2], bool))
    if args[2]:
        raise _fail(
            "States.JsonMerge supports only shallow merging: the third argument must be false"
        )  # unverified
    return {**args[0], **args[1]}


def _math_random(args: list[Any]) -> int:
    _arity("MathRandom", args, 2, 3)
    start = _java_round(_number("MathRandom", args, 0))
    end = _java_round(_number("MathRandom", args, 1))
    if end <= start:
        raise _fail(
            f"The end value of States.MathRandom must be greater than the start value {start}"
        )  # unverified
    generator = random.Random(_integer("MathRandom", args, 2)) if len(args) == 3 else random.SystemRandom()
    return generator.randrange(start, end)


def _math_add(args: list[Any]) -> int:
    _arity("MathAdd", args, 2)
    return _java_round(_number("MathAdd", args, 0)) + _java_round(_number("MathAdd", args, 1))


def _string_split(args: list[Any]) -> list[str]:
    _arity("StringSplit", args, 2)
    text = _string("StringSplit", args, 0)
    delimiters = _string("StringSplit", args, 1)
    if not delimiters:
        return [text] if text else []  # unverified
    pattern = "[" + re.escape(delimiters) + "]"
    return [part for part in re.split(pattern, text) if part]


def _uuid(args: list[Any]) -> str:
    _arity("UUID", args, 0)
    return str(uuid.uuid4())


FUNCTIONS: dict[str, Callable[[list[Any]], Any]] = {
    "Format": _format,
    "StringToJson": _string_to_json,
    "JsonToString": _json_to_string,
    "Array": _array_fn,
    "ArrayPartition": _array_partition,
    "ArrayContains": _array_contains,
    "ArrayRange": _array_range,
    "ArrayGetItem": _array_get_item,
    "ArrayLength": _array_length,
    "ArrayUnique": _array_unique,
    "Base64Encode": _base64_encode,
    "Base64Decode": _base64_decode,
    "Hash": _hash,
    "JsonMerge": _json_merge,
    "MathRandom": _math_random,
    "MathAdd": _math_add,
    "StringSplit": _string_split,
    "UUID": _uuid,
}
