"""CloudWatch Logs filter patterns: compiled once into a predicate over an event's message.

Three forms, as the CloudWatch Logs User Guide's "Filter pattern syntax" describes:

- terms: ``ERROR``, ``"Failed to process"`` (a phrase), ``?ERROR ?WARN`` (any of), ``-DEBUG``
  (none of), ``%regex%``; plain terms must all appear, case-sensitively; an empty pattern
  matches everything;
- JSON: ``{ $.level = "ERROR" && ($.latency > 100 || $.user.id NOT EXISTS) }`` with ``=``/``!=``
  on strings (``*`` wildcards) and numbers, ``<``/``>``/``<=``/``>=`` on numbers, ``IS TRUE``,
  ``IS FALSE``, ``IS NULL``, ``EXISTS``, ``NOT EXISTS``; selectors ``$.a.b``, ``$.list[0]``,
  ``$.list[*]``, ``$.*``;
- space-delimited: ``[ip, user, ..., status = 4*, size > 1000]``, where ``...`` stands for any
  number of fields and conditions may be joined with ``&&``/``||``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson

Predicate = Callable[[str], bool]

_MISSING = object()
_NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$")
_COMPARISONS = ("<=", ">=", "!=", "=", "<", ">")


class PatternError(ValueError):
    """A filter pattern that cannot be parsed."""


def compile_pattern(text: str | None) -> Predicate:
    """The predicate ``text`` describes; :class:`PatternError` when it is malformed."""
    pattern = (text or "").strip()
    if not pattern:
        return lambda message: True
    if pattern.startswith("{"):
        if not pattern.endswith("}"):
            raise PatternError(pattern)
        return _json_pattern(pattern[1:-1])
    if pattern.startswith("["):
        if not pattern.endswith("]"):
            raise PatternError(pattern)
        return _delimited_pattern(pattern[1:-1])
    return _term_pattern(pattern)


# ---- values --------------------------------------------------------------------------------


def _number(text: str) -> float | None:
    return float(text) if _NUMBER.match(text) else None


def _glob(value: str) -> re.Pattern[str]:
    return re.compile("^" + ".*".join(re.escape(part) for part in value.split("*")) + "$", re.DOTALL)


def _compare(actual: Any, op: str, expected: str, quoted: bool) -> bool:
    """``actual op expected`` as filter patterns compare: numbers numerically, strings by glob."""
    if isinstance(actual, bool) or actual is None or isinstance(actual, dict | list):
        return False
    wanted = None if quoted else _number(expected)
    if isinstance(actual, int | float) or (isinstance(actual, str) and wanted is not None):
        have = float(actual) if isinstance(actual, int | float) else _number(actual)
        if have is None or wanted is None:
            return op == "!=" and isinstance(actual, str) and not _glob(expected).match(actual)
        return {
            "=": have == wanted,
            "!=": have != wanted,
            "<": have < wanted,
            ">": have > wanted,
            "<=": have <= wanted,
            ">=": have >= wanted,
        }[op]
    if op not in ("=", "!="):
        return False  # unverified: a numeric comparison against a string field never matches
    matched = bool(_glob(expected).match(str(actual)))
    return matched if op == "=" else not matched


# ---- terms ---------------------------------------------------------------------------------


def _term_tokens(text: str) -> list[tuple[str, str, bool]]:
    """(prefix, term, quoted) for each term; the prefix is "", "?" or "-"."""
    out: list[tuple[str, str, bool]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        prefix = ""
        if text[i] in "?-" and i + 1 < n and not text[i + 1].isspace():
            prefix, i = text[i], i + 1
        if text[i] == '"':
            term, i = _quoted(text, i)
            out.append((prefix, term, True))
            continue
        j = i
        while j < n and not text[j].isspace():
            j += 1
        out.append((prefix, text[i:j], False))
        i = j
    return out


def _quoted(text: str, i: int) -> tuple[str, int]:
    """The string quoted at ``text[i]`` (backslash escapes) and the index after it."""
    out = []
    j = i + 1
    while j < len(text):
        c = text[j]
        if c == "\\" and j + 1 < len(text):
            out.append(text[j + 1])
            j += 2
            continue
        if c == '"':
            return "".join(out), j + 1
        out.append(c)
        j += 1
    raise PatternError("unterminated quotation")


def _term_matcher(term: str, quoted: bool) -> Predicate:
    if not quoted and len(term) > 1 and term.startswith("%") and term.endswith("%"):
        try:
            regex = re.compile(term[1:-1])
        except re.error as exc:
            raise PatternError(str(exc)) from None
        return lambda message: regex.search(message) is not None
    return lambda message: term in message


def _term_pattern(text: str) -> Predicate:
    required, anyof, excluded = [], [], []
    for prefix, term, quoted in _term_tokens(text):
        if not quoted and any(c in term for c in '{}[]"'):
            raise PatternError(term)
        matcher = _term_matcher(term, quoted)
        {"": required, "?": anyof, "-": excluded}[prefix].append(matcher)

    def match(message: str) -> bool:
        return (
            all(m(message) for m in required)
            and (not anyof or any(m(message) for m in anyof))
            and not any(m(message) for m in excluded)
        )

    return match


# ---- tokenizer shared by the JSON and space-delimited forms -----------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<str>")
      | (?P<op>&&|\|\||<=|>=|!=|=|<|>|\(|\)|,)
      | (?P<word>[^\s"&|<>!=(),]+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str) -> list[tuple[str, str]]:
    """(kind, text) pairs: kind is "str" (a quoted string), "op" or "word"."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        m = _TOKEN.match(text, i)
        if m is None or m.end() == i:
            raise PatternError(text[i:])
        if m.group("str"):
            value, i = _quoted(text, m.start("str"))
            out.append(("str", value))
            continue
        kind = "op" if m.group("op") else "word"
        out.append((kind, m.group(kind)))
        i = m.end()
    return out


class _Parser:
    """Recursive descent over tokens: or := and ('||' and)*; and := unary ('&&' unary)*."""

    def __init__(self, tokens: list[tuple[str, str]], leaf: Callable[[_Parser], Any]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.leaf = leaf

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise PatternError("unexpected end of pattern")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        if self.take() != ("op", value):
            raise PatternError(f"expected {value}")

    def parse(self) -> Callable[[Any], bool]:
        node = self.disjunction()
        if self.peek() is not None:
            raise PatternError(f"unexpected {self.peek()}")
        return node

    def disjunction(self) -> Callable[[Any], bool]:
        parts = [self.conjunction()]
        while self.peek() == ("op", "||"):
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else (lambda v: any(p(v) for p in parts))

    def conjunction(self) -> Callable[[Any], bool]:
        parts = [self.unary()]
        while self.peek() == ("op", "&&"):
            self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda v: all(p(v) for p in parts))

    def unary(self) -> Callable[[Any], bool]:
        if self.peek() == ("op", "("):
            self.take()
            node = self.disjunction()
            self.expect(")")
            return node
        return self.leaf(self)  # type: ignore[no-any-return]

    def value(self) -> tuple[str, bool]:
        kind, text = self.take()
        if kind == "op":
            raise PatternError(f"expected a value, found {text}")
        return text, kind == "str"


# ---- JSON ----------------------------------------------------------------------------------

_SELECTOR_PART = re.compile(r"\.([^.\[\]]+)|\[(\d+|\*)\]")


def _selector(text: str) -> list[str | int | None]:
    """``$.a.b[0]`` as ["a", "b", 0]; None is a wildcard (``*``/``[*]``)."""
    if not text.startswith("$"):
        raise PatternError(f"a JSON selector starts with $: {text}")
    steps: list[str | int | None] = []
    pos = 1
    while pos < len(text):
        m = _SELECTOR_PART.match(text, pos)
        if m is None:
            raise PatternError(f"bad selector {text}")
        if m.group(1) is not None:
            steps.append(None if m.group(1) == "*" else m.group(1))
        else:
            steps.append(None if m.group(2) == "*" else int(m.group(2)))
        pos = m.end()
    return steps


def _select(document: Any, steps: list[str | int | None]) -> list[Any]:
    """Every value the selector reaches (several through wildcards; none when missing)."""
    current = [document]
    for step in steps:
        following: list[Any] = []
        for value in current:
            if step is None:
                if isinstance(value, dict):
                    following.extend(value.values())
                elif isinstance(value, list):
                    following.extend(value)
            elif isinstance(step, int):
                if isinstance(value, list) and step < len(value):
                    following.append(value[step])
            elif isinstance(value, dict) and step in value:
                following.append(value[step])
        current = following
    return current


def _json_leaf(parser: _Parser) -> Callable[[Any], bool]:
    kind, text = parser.take()
    if kind != "word":
        raise PatternError(f"expected a selector, found {text}")
    steps = _selector(text)
    kind, op = parser.take()
    if kind == "word" and op.upper() == "IS":
        _, what = parser.take()
        what = what.upper()
        checks = {"TRUE": lambda v: v is True, "FALSE": lambda v: v is False, "NULL": lambda v: v is None}
        if what not in checks:
            raise PatternError(f"IS {what}")
        check = checks[what]
        return lambda doc: any(check(v) for v in _select(doc, steps))
    if kind == "word" and op.upper() == "NOT":
        if parser.take()[1].upper() != "EXISTS":
            raise PatternError("NOT without EXISTS")
        return lambda doc: not _select(doc, steps)
    if kind == "word" and op.upper() == "EXISTS":
        return lambda doc: bool(_select(doc, steps))
    if kind != "op" or op not in _COMPARISONS:
        raise PatternError(f"expected a comparison, found {op}")
    expected, quoted = parser.value()
    if op not in ("=", "!=") and (quoted or _number(expected) is None):
        raise PatternError(f"{op} needs a number")

    def compare(doc: Any) -> bool:
        return any(_compare(v, op, expected, quoted) for v in _select(doc, steps))

    return compare


def _json_pattern(body: str) -> Predicate:
    test = _Parser(_tokens(body), _json_leaf).parse()

    def match(message: str) -> bool:
        try:
            document = orjson.loads(message)
        except orjson.JSONDecodeError:
            return False
        return isinstance(document, dict | list) and test(document)

    return match


# ---- space-delimited -------------------------------------------------------------------------


def _split_fields(body: str) -> list[str]:
    """The pattern's fields, split at top-level commas (not inside quotes)."""
    fields, current, quoted = [], [], False
    for i, c in enumerate(body):
        if c == '"' and (i == 0 or body[i - 1] != "\\"):
            quoted = not quoted
        if c == "," and not quoted:
            fields.append("".join(current).strip())
            current = []
        else:
            current.append(c)
    fields.append("".join(current).strip())
    if quoted:
        raise PatternError("unterminated quotation")
    return fields


def _delimited_leaf(parser: _Parser) -> Callable[[Any], bool]:
    kind, name = parser.take()
    if kind != "word":
        raise PatternError(f"expected a field name, found {name}")
    kind, op = parser.take()
    if kind != "op" or op not in _COMPARISONS:
        raise PatternError(f"expected a comparison, found {op}")
    expected, quoted = parser.value()
    if op not in ("=", "!=") and (quoted or _number(expected) is None):
        raise PatternError(f"{op} needs a number")

    def compare(bound: dict[str, str]) -> bool:
        value = bound.get(name, _MISSING)
        return value is not _MISSING and _compare(value, op, expected, quoted)

    return compare


def event_fields(message: str) -> list[str]:
    """An event split as space-delimited patterns see it: quoted and bracketed text is one field."""
    fields: list[str] = []
    i, n = 0, len(message)
    while i < n:
        c = message[i]
        if c.isspace():
            i += 1
            continue
        close = {'"': '"', "[": "]"}.get(c)
        if close is not None:
            end = message.find(close, i + 1)
            if end != -1:
                fields.append(message[i + 1 : end])  # unverified: brackets and quotes are stripped
                i = end + 1
                continue
        j = i
        while j < n and not message[j].isspace():
            j += 1
        fields.append(message[i:j])
        i = j
    return fields


def _bind(names: list[str | None], values: list[str], bound: dict[str, str]) -> bool:
    """Bind ``values`` to the pattern's field ``names`` (None is ``...``), leftmost first."""
    if not names:
        return not values
    head = names[0]
    if head is None:
        return any(_bind(names[1:], values[k:], bound) for k in range(len(values) + 1))
    if not values:
        return False
    bound[head] = values[0]
    return _bind(names[1:], values[1:], bound)


def _delimited_pattern(body: str) -> Predicate:
    names: list[str | None] = []
    conditions: list[Callable[[Any], bool]] = []
    for field in _split_fields(body):
        if field == "...":
            names.append(None)
            continue
        tokens = _tokens(field)
        while tokens and tokens[0] == ("op", "("):
            tokens = tokens[1:]  # the field's name is its first word, even inside parentheses
        if not tokens or tokens[0][0] != "word":
            raise PatternError(f"bad field {field!r}")
        names.append(tokens[0][1])
        if len(_tokens(field)) > 1:
            conditions.append(_Parser(_tokens(field), _delimited_leaf).parse())

    def match(message: str) -> bool:
        bound: dict[str, str] = {}
        if not _bind(names, event_fields(message), bound):
            return False
        return all(check(bound) for check in conditions)

    return match
