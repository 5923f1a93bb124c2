"""S3 prefixes of a Firehose stream: ``!{namespace:value}`` expressions, their rules and evaluation.

Namespaces (Firehose developer guide, "Custom prefixes for Amazon S3 objects"):

* ``!{timestamp:<pattern>}``: the approximate arrival time of the oldest record in the object,
  in UTC, formatted with a Java ``DateTimeFormatter`` pattern (:func:`format_java`); every
  instance in one prefix evaluates to the same instant;
* ``!{firehose:random-string}``: 11 random characters, new for each object;
* ``!{firehose:error-output-type}``: what failed (``processing-failed`` here), ErrorOutputPrefix only;
* ``partitionKeyFromQuery`` / ``partitionKeyFromLambda``: dynamic partitioning, not implemented.

Rules checked at creation: ``!{`` only opens a well-formed expression; ErrorOutputPrefix is
required when Prefix has expressions; ErrorOutputPrefix expressions include
``!{firehose:error-output-type}``; Prefix never does. A prefix without a timestamp expression
gets ``yyyy/MM/dd/HH/`` appended (the default prefix when none is given).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import string
from dataclasses import dataclass

from cloudlet.protocol.errors import ServiceError

DEFAULT_TIME_PATTERN = "yyyy/MM/dd/HH/"
ERROR_OUTPUT_TYPE = "processing-failed"
MAX_EVALUATED = 512  # neither prefix may be longer once evaluated (developer guide)
RANDOM_LENGTH = 11
_RANDOM_ALPHABET = string.ascii_lowercase + string.digits  # unverified: the characters AWS draws
_EXPRESSION = re.compile(r"!\{([^:{}]*):([^{}]*)\}")
_NAMESPACES = ("timestamp", "firehose", "partitionKeyFromQuery", "partitionKeyFromLambda")

_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"]  # fmt: skip
_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Letters Java's DateTimeFormatter knows that this formatter does not (answered NotImplemented).
_JAVA_OTHER = set("GQqYwWecFKkAnNVzOXxZpg")
_SUPPORTED = set("yuMLdDHhmsSaE")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message, 400)


@dataclass(frozen=True)
class Token:
    """A piece of a prefix: literal text, or an expression (namespace, value)."""

    text: str = ""
    namespace: str = ""
    value: str = ""


def parse(prefix: str, field: str) -> list[Token]:
    """The literal pieces and expressions of ``prefix``; InvalidArgumentException when malformed."""
    tokens: list[Token] = []
    at = 0
    while True:
        start = prefix.find("!{", at)
        if start < 0:
            if prefix[at:]:
                tokens.append(Token(text=prefix[at:]))
            return tokens
        if start > at:
            tokens.append(Token(text=prefix[at:start]))
        match = _EXPRESSION.match(prefix, start)
        if match is None:
            # unverified: AWS's wording for a malformed expression
            raise invalid(f"{field} contains an invalid expression at position {start}: '!{{' must start "
                          "an expression of the form !{namespace:value}.")  # fmt: skip
        namespace, value = match.group(1), match.group(2)
        if namespace not in _NAMESPACES:
            raise invalid(
                f"The expression namespace '{namespace}' in {field} is not supported."
            )  # unverified
        if namespace == "firehose" and value not in ("random-string", "error-output-type"):
            raise invalid(
                f"The expression '!{{firehose:{value}}}' in {field} is not supported."
            )  # unverified
        if namespace == "timestamp":
            check_pattern(value, field)
        tokens.append(Token(namespace=namespace, value=value))
        at = match.end()


def has_expressions(tokens: list[Token]) -> bool:
    return any(t.namespace for t in tokens)


def check_prefixes(prefix: str | None, error_prefix: str | None, dynamic_partitioning: bool) -> None:
    """AWS's rules for a destination's Prefix and ErrorOutputPrefix (InvalidArgumentException)."""
    main = parse(prefix or "", "Prefix")
    errors = parse(error_prefix or "", "ErrorOutputPrefix")
    for token in (*main, *errors):
        if token.namespace.startswith("partitionKeyFrom") and not dynamic_partitioning:
            raise invalid(  # unverified
                "Dynamic partitioning expressions (partitionKeyFromQuery, partitionKeyFromLambda) "
                "are only supported when dynamic partitioning is enabled."
            )
    if any(t.namespace.startswith("partitionKeyFrom") for t in errors):
        raise invalid("ErrorOutputPrefix cannot contain dynamic partitioning expressions.")  # unverified
    if any(t.namespace == "firehose" and t.value == "error-output-type" for t in main):
        raise invalid(
            "The '!{firehose:error-output-type}' expression is only allowed in ErrorOutputPrefix."
        )  # unverified
    if has_expressions(main) and not error_prefix:
        raise invalid(
            "ErrorOutputPrefix cannot be null or empty when Prefix contains expressions."
        )  # unverified
    if has_expressions(errors) and not any(
        t.namespace == "firehose" and t.value == "error-output-type" for t in errors
    ):
        raise invalid(  # unverified
            "ErrorOutputPrefix must contain the '!{firehose:error-output-type}' expression "
            "when it contains expressions."
        )


def evaluate(prefix: str, when: float, *, error_type: str | None = None) -> str:
    """The S3 key prefix for an object whose oldest record arrived at ``when`` (epoch seconds)."""
    tokens = parse(prefix, "Prefix")
    at = dt.datetime.fromtimestamp(when, dt.UTC)
    out: list[str] = []
    timed = False
    for token in tokens:
        if not token.namespace:
            out.append(token.text)
        elif token.namespace == "timestamp":
            timed = True
            out.append(format_java(token.value, at))
        elif token.value == "random-string":
            out.append("".join(secrets.choice(_RANDOM_ALPHABET) for _ in range(RANDOM_LENGTH)))
        else:
            out.append(error_type or ERROR_OUTPUT_TYPE)
    if not timed:
        out.append(format_java(DEFAULT_TIME_PATTERN, at))
    return "".join(out)[:MAX_EVALUATED]


def default_error_prefix(prefix: str) -> str:
    """The ErrorOutputPrefix used when none is given (Prefix then has no expressions)."""
    return prefix + "!{firehose:error-output-type}/"


# ---- Java DateTimeFormatter patterns --------------------------------------------------------


def _pieces(pattern: str) -> list[tuple[str, int] | str]:
    """Runs of one pattern letter as (letter, count); literal text as str."""
    pieces: list[tuple[str, int] | str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end < 0:
                raise ValueError(f"Pattern ends with an incomplete string literal: {pattern}")
            pieces.append("'" if end == i + 1 else pattern[i + 1 : end])
            i = end + 1
        elif c in "[]{}#":
            raise ValueError(f"Pattern uses reserved character '{c}'")
        elif c.isascii() and c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            pieces.append((c, j - i))
            i = j
        else:
            pieces.append(c)
            i += 1
    return pieces


def check_pattern(pattern: str, field: str) -> None:
    """A timestamp expression's pattern as Java would accept it (and this formatter renders it)."""
    if not pattern:
        raise invalid(f"The timestamp expression in {field} has an empty pattern.")  # unverified
    try:
        pieces = _pieces(pattern)
    except ValueError as exc:
        raise invalid(f"Invalid timestamp pattern '{pattern}' in {field}: {exc}.") from None  # unverified
    for piece in pieces:
        if isinstance(piece, str):
            continue
        letter, count = piece
        if letter in _JAVA_OTHER:
            raise ServiceError(
                "NotImplemented",
                f"The timestamp pattern letter '{letter}' is not implemented by Cloudlet yet.",
                501,
                sender_fault=False,
            )
        if letter not in _SUPPORTED:
            raise invalid(
                f"Invalid timestamp pattern '{pattern}' in {field}: Unknown pattern letter: {letter}."
            )  # unverified
        if (
            (letter in "dHhms" and count > 2)
            or (letter == "D" and count > 3)
            or (letter == "a" and count > 1)
        ):
            raise invalid(
                f"Invalid timestamp pattern '{pattern}' in {field}: Too many pattern letters: {letter}."
            )  # unverified


def format_java(pattern: str, at: dt.datetime) -> str:
    """``at`` formatted with a (checked) Java DateTimeFormatter pattern."""
    out: list[str] = []
    for piece in _pieces(pattern):
        if isinstance(piece, str):
            out.append(piece)
            continue
        letter, count = piece
        out.append(_field(letter, count, at))
    return "".join(out)


def _field(letter: str, count: int, at: dt.datetime) -> str:
    if letter in "yu":
        return f"{at.year % 100:02d}" if count == 2 else str(at.year).zfill(count)
    if letter in "ML":
        if count >= 4:
            return _MONTHS[at.month - 1]
        if count == 3:
            return _MONTHS[at.month - 1][:3]
        return str(at.month).zfill(count)
    if letter == "E":
        name = _DAYS[at.weekday()]
        return name if count >= 4 else name[:3]
    if letter == "a":
        return "AM" if at.hour < 12 else "PM"
    if letter == "S":
        return f"{at.microsecond:06d}{'0' * max(0, count - 6)}"[:count]
    value = {
        "d": at.day,
        "D": at.timetuple().tm_yday,
        "H": at.hour,
        "h": (at.hour % 12) or 12,
        "m": at.minute,
        "s": at.second,
    }[letter]
    return str(value).zfill(count)
