"""The JSONPath dialect of Step Functions (Jayway JsonPath): parsing, querying, ResultPath merge.

A *definite* path (only single names and single indexes) yields its value or raises
``PathNotFound`` with Jayway's message (the caller wraps it in AWS's cause). An *indefinite*
path (wildcards, slices, unions, filters, deep scan) yields a list, empty when nothing matches.
Tail functions (``.length()``, ``.min()``, ...) apply to the result of the path before them.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from .errors import RUNTIME, StatesError


class PathNotFound(StatesError):
    """A definite path matched nothing; ``detail`` is Jayway's message (AWS quotes it)."""

    def __init__(self, detail: str) -> None:
        super().__init__(RUNTIME, detail)
        self.detail = detail


class InvalidPath(StatesError):
    """Text that is not a JSONPath (definitions are validated before this can happen)."""

    def __init__(self, path: str, detail: str = "") -> None:
        super().__init__(RUNTIME, f"Invalid path '{path}'" + (f" : {detail}" if detail else ""))
        self.path = path


# ---------------------------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Prop:
    names: tuple[str, ...]

    def text(self) -> str:
        return "[" + ",".join(f"'{n}'" for n in self.names) + "]"


@dataclass(frozen=True)
class Index:
    indexes: tuple[int, ...]

    def text(self) -> str:
        return "[" + ",".join(str(i) for i in self.indexes) + "]"


@dataclass(frozen=True)
class Slice:
    start: int | None
    end: int | None

    def text(self) -> str:
        return f"[{'' if self.start is None else self.start}:{'' if self.end is None else self.end}]"


@dataclass(frozen=True)
class Wildcard:
    def text(self) -> str:
        return "[*]"


@dataclass(frozen=True)
class Scan:
    def text(self) -> str:
        return ".."


@dataclass(frozen=True)
class Filter:
    expr: Any  # a parsed filter expression (see _FilterParser)

    def text(self) -> str:
        return "[?]"


@dataclass(frozen=True)
class Func:
    name: str

    def text(self) -> str:
        return f".{self.name}()"


Token = Prop | Index | Slice | Wildcard | Scan | Filter | Func


@dataclass(frozen=True)
class Path:
    """A parsed path: its root (``$`` or ``@``), tokens and tail functions."""

    root: str
    tokens: tuple[Token, ...]
    functions: tuple[str, ...] = ()

    @property
    def definite(self) -> bool:
        return all(_definite(t) for t in self.tokens)

    def text(self, upto: int | None = None) -> str:
        tokens = self.tokens if upto is None else self.tokens[:upto]
        return self.root + "".join(t.text() for t in tokens)


def _definite(token: Token) -> bool:
    if isinstance(token, Prop):
        return len(token.names) == 1
    if isinstance(token, Index):
        return len(token.indexes) == 1
    return False


FUNCTIONS = ("length", "size", "min", "max", "avg", "stddev", "sum", "keys", "first", "last")

# ---------------------------------------------------------------------------------- parser


class _Reader:
    """A cursor over path text; raises ``ValueError`` on a syntax error."""

    def __init__(self, text: str, pos: int = 0) -> None:
        self.text = text
        self.pos = pos

    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def eof(self) -> bool:
        return self.pos >= len(self.text)

    def skip_ws(self) -> None:
        while not self.eof() and self.text[self.pos] in " \t\r\n":
            self.pos += 1

    def expect(self, s: str) -> None:
        if not self.text.startswith(s, self.pos):
            raise ValueError(f"expected {s!r} at {self.pos}")
        self.pos += len(s)


_INT = re.compile(r"\s*(-?\d+)\s*")


def _parse_tokens(r: _Reader, stop: Callable[[_Reader], bool]) -> tuple[list[Token], list[str]]:
    """Read tokens after a root until ``stop`` says the path has ended."""
    tokens: list[Token] = []
    functions: list[str] = []
    while not r.eof() and not stop(r):
        if functions:
            if r.peek() == "." and r.peek(2) != "..":
                functions.append(_read_function(r))
                continue
            raise ValueError("nothing may follow a function")
        c = r.peek()
        if r.peek(2) == "..":
            r.pos += 2
            tokens.append(Scan())
            if r.peek() == "[":
                tokens.append(_read_bracket(r))
            elif r.peek() == "*":
                r.pos += 1
                tokens.append(Wildcard())
            else:
                name = _read_name(r)
                if r.peek() == "(":
                    raise ValueError("function after deep scan")
                tokens.append(Prop((name,)))
        elif c == ".":
            r.pos += 1
            if r.peek() == "[":
                tokens.append(_read_bracket(r))
            elif r.peek() == "*":
                r.pos += 1
                tokens.append(Wildcard())
            else:
                start = r.pos
                name = _read_name(r)
                if r.peek() == "(":
                    r.pos = start - 1
                    functions.append(_read_function(r))
                else:
                    tokens.append(Prop((name,)))
        elif c == "[":
            tokens.append(_read_bracket(r))
        else:
            raise ValueError(f"unexpected {c!r} at {r.pos}")
    return tokens, functions


def _read_name(r: _Reader) -> str:
    start = r.pos
    while not r.eof() and r.text[r.pos] not in ".[( \t\r\n)]=!<>&|,~":
        r.pos += 1
    if r.pos == start:
        raise ValueError(f"empty property at {start}")
    return r.text[start : r.pos]


def _read_function(r: _Reader) -> str:
    r.expect(".")
    name = _read_name(r)
    r.skip_ws()
    r.expect("(")
    r.skip_ws()
    r.expect(")")
    if name not in FUNCTIONS:
        raise ValueError(f"unknown function {name}")
    return name


def _read_quoted(r: _Reader) -> str:
    """A quoted name: a backslash escapes the next character, which is kept verbatim (as AWS)."""
    quote = r.text[r.pos]
    r.pos += 1
    start = r.pos
    while not r.eof():
        c = r.text[r.pos]
        if c == "\\":
            r.pos += 2
            continue
        if c == quote:
            name = r.text[start : r.pos]
            r.pos += 1
            return name
        r.pos += 1
    raise ValueError("unterminated quoted property")


def _read_bracket(r: _Reader) -> Token:
    r.expect("[")
    r.skip_ws()
    c = r.peek()
    if c == "?":
        r.pos += 1
        r.skip_ws()
        r.expect("(")
        expr = _FilterParser(r).parse_or()
        r.skip_ws()
        r.expect(")")
        r.skip_ws()
        r.expect("]")
        return Filter(expr)
    if c == "*":
        r.pos += 1
        r.skip_ws()
        r.expect("]")
        return Wildcard()
    if c in "'\"":
        names = [_read_quoted(r)]
        r.skip_ws()
        while r.peek() == ",":
            r.pos += 1
            r.skip_ws()
            if r.peek() not in ("'", '"'):
                raise ValueError("expected a quoted property")
            names.append(_read_quoted(r))
            r.skip_ws()
        r.expect("]")
        return Prop(tuple(names))
    end = r.text.find("]", r.pos)
    if end < 0:
        raise ValueError("unterminated bracket")
    body = r.text[r.pos : end]
    r.pos = end + 1
    if ":" in body:
        parts = body.split(":")
        if len(parts) != 2:
            raise ValueError("slice steps are not supported")
        bounds = []
        for part in parts:
            if part.strip() == "":
                bounds.append(None)
            elif _INT.fullmatch(part):
                bounds.append(int(part))
            else:
                raise ValueError(f"bad slice {body!r}")
        return Slice(bounds[0], bounds[1])
    indexes = []
    for part in body.split(","):
        if not _INT.fullmatch(part):
            raise ValueError(f"bad index {body!r}")
        indexes.append(int(part))
    return Index(tuple(indexes))


@lru_cache(maxsize=4096)
def parse(path: str) -> Path:
    """Parse a path starting with ``$`` (raises ``InvalidPath``)."""
    if not isinstance(path, str) or not path.startswith("$"):
        raise InvalidPath(str(path), "Path must start with '$'")
    r = _Reader(path, 1)
    try:
        tokens, functions = _parse_tokens(r, lambda _r: False)
    except (ValueError, IndexError, RecursionError) as exc:
        raise InvalidPath(path, str(exc)) from None
    if path.endswith(".") and not path.endswith(".."):
        raise InvalidPath(path, "Path must not end with a '.'")
    return Path("$", tuple(tokens), tuple(functions))


def is_path(path: Any) -> bool:
    """Whether ``path`` is a valid JSONPath (``$``-rooted)."""
    try:
        parse(path)
    except StatesError:
        return False
    return True


def is_reference_path(path: Any) -> bool:
    """A reference path: ``$`` then single names (dot or bracket) and single indexes only."""
    try:
        parsed = parse(path)
    except StatesError:
        return False
    return not parsed.functions and all(isinstance(t, Prop | Index) and _definite(t) for t in parsed.tokens)


# ---------------------------------------------------------------------------------- query


_MISSING = object()


def query(path: str, data: Any) -> Any:
    """The value ``path`` selects in ``data`` (a list for an indefinite path)."""
    return evaluate(parse(path), data, data)


def evaluate(path: Path, data: Any, root: Any) -> Any:
    """Evaluate a parsed path with ``data`` at its root (``root`` is what ``$`` means in filters)."""
    value = _definite_value(path, data) if path.definite else list(_walk(path.tokens, 0, data, root))
    for name in path.functions:
        value = _apply_function(name, value, path)
    return value


def _definite_value(path: Path, data: Any) -> Any:
    node = data
    last = len(path.tokens) - 1
    for i, token in enumerate(path.tokens):
        current = path.text(i)
        if isinstance(token, Prop):
            name = token.names[0]
            if not isinstance(node, dict):
                raise PathNotFound(
                    f"Expected to find an object with property {token.text()} in path {current} "
                    f"but found '{_java_class(node)}'. This is not a json object according to "
                    "the JsonProvider: 'com.jayway.jsonpath.spi.json.JacksonJsonProvider'."  # unverified
                )
            if name not in node:
                if i == last:
                    raise PathNotFound(f"No results for path: {path.text()}")
                raise PathNotFound(f"Missing property in path {current}{token.text()}")
            node = node[name]
        else:
            assert isinstance(token, Index)
            if node is None:
                raise PathNotFound(f"The path {current} is null")
            if not isinstance(node, list):
                raise PathNotFound(
                    f"Filter: {token.text()} can only be applied to arrays. "
                    f"Current context is: {to_java_string(node)}"  # unverified
                )
            index = token.indexes[0]
            if index < 0:
                index += len(node)
            if not 0 <= index < len(node):
                raise PathNotFound(f"No results for path: {path.text()}")
            node = node[index]
    return node


def _walk(tokens: tuple[Token, ...], i: int, node: Any, root: Any) -> Iterator[Any]:
    """Every value the tokens from ``i`` on select under ``node``, skipping what is missing."""
    if i == len(tokens):
        yield node
        return
    token = tokens[i]
    if isinstance(token, Scan):
        for sub in _descendants(node):
            yield from _walk(tokens, i + 1, sub, root)
        return
    for child in _step(token, node, root):
        yield from _walk(tokens, i + 1, child, root)


def _step(token: Token, node: Any, root: Any) -> Iterator[Any]:
    if isinstance(token, Prop):
        if isinstance(node, dict):
            for name in token.names:
                if name in node:
                    yield node[name]
    elif isinstance(token, Index):
        if isinstance(node, list):
            for index in token.indexes:
                if -len(node) <= index < len(node):
                    yield node[index]
    elif isinstance(token, Slice):
        if isinstance(node, list):
            yield from node[token.start : token.end]
    elif isinstance(token, Wildcard):
        if isinstance(node, dict):
            yield from node.values()
        elif isinstance(node, list):
            yield from node
    elif isinstance(token, Filter):
        if isinstance(node, list):
            yield from (item for item in node if _truthy(token.expr, item, root))
        elif isinstance(node, dict) and _truthy(token.expr, node, root):
            yield node


def _descendants(node: Any) -> Iterator[Any]:
    """``node`` and everything below it, depth first (the deep scan's domain)."""
    yield node
    if isinstance(node, dict):
        for value in node.values():
            yield from _descendants(value)
    elif isinstance(node, list):
        for value in node:
            yield from _descendants(value)


def _numbers(value: Any) -> list[float]:
    items = value if isinstance(value, list) else [value]
    numbers = [v for v in items if _is_number(v)]
    if not numbers:
        raise PathNotFound("Aggregation function attempted to calculate value using empty array")
    return numbers


def _apply_function(name: str, value: Any, path: Path) -> Any:
    if name in ("length", "size"):
        if isinstance(value, list | dict | str):
            return len(value)
        raise PathNotFound(f"Invalid function: {name}() on {path.text()}")  # unverified
    if name == "keys":
        if isinstance(value, dict):
            return list(value)
        raise PathNotFound(f"Invalid function: keys() on {path.text()}")  # unverified
    if name in ("first", "last"):
        if isinstance(value, list) and value:
            return value[0] if name == "first" else value[-1]
        raise PathNotFound(f"Invalid function: {name}() on {path.text()}")  # unverified
    numbers = _numbers(value)
    if name == "min":
        return float(min(numbers))
    if name == "max":
        return float(max(numbers))
    if name == "sum":
        return float(sum(numbers))
    mean = sum(numbers) / len(numbers)
    if name == "avg":
        return float(mean)
    return math.sqrt(sum((n - mean) ** 2 for n in numbers) / len(numbers))  # stddev


# ---------------------------------------------------------------------------------- assign


def assign(data: Any, path: str, value: Any) -> Any:
    """ResultPath's merge: a copy of ``data`` with ``value`` at ``path`` (a reference path).

    Missing objects along the path are created; ``data`` is not changed. A step into a value
    that is not an object (or an index out of range) raises ``PathNotFound``.
    """
    parsed = parse(path)
    if not is_reference_path(path):
        raise InvalidPath(path, "not a reference path")
    return _assign(data, parsed.tokens, 0, value, parsed)


def _assign(node: Any, tokens: tuple[Token, ...], i: int, value: Any, path: Path) -> Any:
    if i == len(tokens):
        return value
    token = tokens[i]
    if isinstance(token, Prop):
        if node is _MISSING:
            node = {}
        if not isinstance(node, dict):
            raise PathNotFound(f"Unable to apply ReferencePath {path.text()}")
        name = token.names[0]
        copy = dict(node)
        copy[name] = _assign(node.get(name, _MISSING), tokens, i + 1, value, path)
        return copy
    assert isinstance(token, Index)
    index = token.indexes[0]
    if not isinstance(node, list) or not -len(node) <= index < len(node):
        raise PathNotFound(f"Unable to apply ReferencePath {path.text()}")
    copy = list(node)
    copy[index] = _assign(node[index], tokens, i + 1, value, path)
    return copy


# ---------------------------------------------------------------------------------- Java text


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _java_class(value: Any) -> str:
    if value is None:
        return "null"
    return {
        bool: "java.lang.Boolean",
        int: "java.lang.Integer",
        float: "java.lang.Double",
        str: "java.lang.String",
        list: "java.util.ArrayList",
        dict: "java.util.LinkedHashMap",
    }.get(type(value), "java.lang.Object")


def java_double(value: float) -> str:
    """Java's ``Double.toString``: ``1.0``, ``1.5``, ``1.0E7``, ``1.0E-4``."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    if 1e-3 <= abs(value) < 1e7:
        return repr(value)
    sign, digits, exponent = Decimal(repr(value)).as_tuple()
    text = "".join(map(str, digits)).rstrip("0") or "0"
    power = len(digits) + int(exponent) - 1
    return f"{'-' if sign else ''}{text[0]}.{text[1:] or '0'}E{power}"


def to_java_string(value: Any) -> str:
    """A JSON value as Java's ``toString`` shows it (``{a=1, b=[x, y]}``), as AWS formats it."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return java_double(value)
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "[" + ", ".join(to_java_string(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={to_java_string(v)}" for k, v in value.items()) + "}"
    return str(value)


# ---------------------------------------------------------------------------------- filters


@dataclass(frozen=True)
class _Literal:
    value: Any


@dataclass(frozen=True)
class _PathRef:
    path: Path  # root "@" (the current item) or "$" (the document)


@dataclass(frozen=True)
class _Regex:
    pattern: str
    flags: int


@dataclass(frozen=True)
class _Not:
    expr: Any


@dataclass(frozen=True)
class _Logic:
    op: str  # "&&" or "||"
    left: Any
    right: Any


@dataclass(frozen=True)
class _Compare:
    op: str
    left: Any
    right: Any


@dataclass(frozen=True)
class _Exists:
    operand: Any


_OPERATORS = ("==", "!=", "<=", ">=", "<", ">", "=~")
_WORD_OPERATORS = ("nin", "in", "subsetof", "anyof", "noneof", "size", "empty", "contains")
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?")


class _FilterParser:
    """Jayway filter expressions: comparisons, ``&&``, ``||``, ``!`` and parentheses."""

    def __init__(self, r: _Reader) -> None:
        self.r = r

    def parse_or(self) -> Any:
        left = self.parse_and()
        while True:
            self.r.skip_ws()
            if self.r.peek(2) != "||":
                return left
            self.r.pos += 2
            left = _Logic("||", left, self.parse_and())

    def parse_and(self) -> Any:
        left = self.parse_unary()
        while True:
            self.r.skip_ws()
            if self.r.peek(2) != "&&":
                return left
            self.r.pos += 2
            left = _Logic("&&", left, self.parse_unary())

    def parse_unary(self) -> Any:
        r = self.r
        r.skip_ws()
        if r.peek() == "!" and r.peek(2) != "!=":
            r.pos += 1
            return _Not(self.parse_unary())
        if r.peek() == "(":
            r.pos += 1
            inner = self.parse_or()
            r.skip_ws()
            r.expect(")")
            return inner
        left = self.parse_operand()
        r.skip_ws()
        for op in _OPERATORS:
            if r.text.startswith(op, r.pos):
                r.pos += len(op)
                r.skip_ws()
                if op == "=~":
                    return _Compare(op, left, self.parse_regex())
                return _Compare(op, left, self.parse_operand())
        for op in _WORD_OPERATORS:
            end = r.pos + len(op)
            if r.text.startswith(op, r.pos) and (end >= len(r.text) or not r.text[end].isalnum()):
                r.pos = end
                return _Compare(op, left, self.parse_operand())
        if not isinstance(left, _PathRef):
            raise ValueError("a filter needs a comparison or a path")
        return _Exists(left)

    def parse_regex(self) -> _Regex:
        r = self.r
        r.expect("/")
        start = r.pos
        while not r.eof() and r.text[r.pos] != "/":
            r.pos += 2 if r.text[r.pos] == "\\" else 1
        pattern = r.text[start : r.pos]
        r.expect("/")
        flags = 0
        while not r.eof() and r.text[r.pos] in "imsx":
            flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[r.text[r.pos]]
            r.pos += 1
        try:
            re.compile(pattern, flags)
        except re.error as exc:
            raise ValueError(f"bad regular expression: {exc}") from None
        return _Regex(pattern, flags)

    def parse_operand(self) -> Any:
        r = self.r
        r.skip_ws()
        c = r.peek()
        if c in ("@", "$"):
            r.pos += 1

            def stop(rr: _Reader) -> bool:
                return rr.peek() in (" ", ")", "\t", "\n", "\r", ",", "]") or rr.peek() in "=!<>&|"

            tokens, functions = _parse_tokens(r, stop)
            return _PathRef(Path(c, tuple(tokens), tuple(functions)))
        if c in ("'", '"'):
            return _Literal(_read_quoted(r).replace("\\" + c, c))
        if c in ("[", "{"):
            return _Literal(self._read_json())
        for word, value in (("true", True), ("false", False), ("null", None)):
            if r.text.startswith(word, r.pos):
                r.pos += len(word)
                return _Literal(value)
        match = _NUMBER.match(r.text, r.pos)
        if match:
            r.pos = match.end()
            text = match.group()
            return _Literal(float(text) if any(ch in text for ch in ".eE") else int(text))
        raise ValueError(f"unexpected {c!r} in filter at {r.pos}")

    def _read_json(self) -> Any:
        decoder = json.JSONDecoder()
        text = self.r.text.replace("'", '"')  # Jayway accepts single-quoted JSON literals
        value, end = decoder.raw_decode(text, self.r.pos)
        self.r.pos = end
        return value


def _operand(operand: Any, item: Any, root: Any) -> Any:
    if isinstance(operand, _Literal):
        return operand.value
    path = operand.path
    base = item if path.root == "@" else root
    try:
        return evaluate(path, base, root)
    except StatesError:
        return _MISSING


def _truthy(expr: Any, item: Any, root: Any) -> bool:
    if isinstance(expr, _Logic):
        if expr.op == "&&":
            return _truthy(expr.left, item, root) and _truthy(expr.right, item, root)
        return _truthy(expr.left, item, root) or _truthy(expr.right, item, root)
    if isinstance(expr, _Not):
        return not _truthy(expr.expr, item, root)
    if isinstance(expr, _Exists):
        value = _operand(expr.operand, item, root)
        if value is _MISSING:
            return False
        return not (isinstance(value, list) and not expr.operand.path.definite and not value)
    assert isinstance(expr, _Compare)
    left = _operand(expr.left, item, root)
    if expr.op == "=~":
        return isinstance(left, str) and re.fullmatch(expr.right.pattern, left, expr.right.flags) is not None
    right = _operand(expr.right, item, root)
    if left is _MISSING or right is _MISSING:
        return expr.op == "!=" and not (left is _MISSING and right is _MISSING)
    return _compare(expr.op, left, right)


def _equal(a: Any, b: Any) -> bool:
    if (_is_number(a) and isinstance(b, str)) or (isinstance(a, str) and _is_number(b)):
        try:
            return float(a) == float(b)
        except ValueError:
            return False
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if op in ("<", "<=", ">", ">="):
        comparable = (_is_number(left) and _is_number(right)) or (
            isinstance(left, str) and isinstance(right, str)
        )
        if not comparable:
            return False
        return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]
    if op in ("in", "nin"):
        found = isinstance(right, list) and any(_equal(left, r) for r in right)
        return found if op == "in" else not found
    if op == "subsetof":
        return (
            isinstance(left, list)
            and isinstance(right, list)
            and all(any(_equal(a, b) for b in right) for a in left)
        )
    if op == "anyof":
        return (
            isinstance(left, list)
            and isinstance(right, list)
            and any(any(_equal(a, b) for b in right) for a in left)
        )
    if op == "noneof":
        return (
            isinstance(left, list)
            and isinstance(right, list)
            and not any(any(_equal(a, b) for b in right) for a in left)
        )
    if op == "size":
        return isinstance(left, list | str) and _is_number(right) and len(left) == right
    if op == "empty":
        return isinstance(left, list | str) and isinstance(right, bool) and (len(left) == 0) == right
    if op == "contains":
        if isinstance(left, str):
            return isinstance(right, str) and right in left
        return isinstance(left, list) and any(_equal(x, right) for x in left)
    return False
