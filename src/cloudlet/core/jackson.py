"""JSON syntax errors in the words of Jackson, the Java JSON parser behind AWS's services.

AWS quotes its parser when a JSON parameter (an event pattern, a filter policy, a target's
Input) is not JSON: ``Unrecognized token 'this': was expecting (JSON String, Number, Array,
Object or token 'null', 'true' or 'false')`` and ``Unexpected character (''' (code 39)): was
expecting double-quote to start field name``, followed by the location ``at [Source: ...; line:
L, column: C]``. These two recorded forms are reproduced from Python's JSONDecodeError; other
syntax errors keep Python's description (unverified).
"""

from __future__ import annotations

import json
import re

VALUE_EXPECTED = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')"
_TOKEN = re.compile(r"[\w$]*")


def describe(text: str, exc: json.JSONDecodeError) -> tuple[str, int, int]:
    """(Jackson's reason, line, column) for ``text`` that failed to parse with ``exc``."""
    char = text[exc.pos] if exc.pos < len(text) else ""
    column = exc.colno
    if exc.msg.startswith("Expecting property name") and char:
        reason = f"Unexpected character ({_char(char)}): was expecting double-quote to start field name"
    elif exc.msg == "Expecting value" and (char.isalpha() or char == "_"):
        token = _TOKEN.match(text, exc.pos).group()  # type: ignore[union-attr]
        reason = f"Unrecognized token '{token}': was expecting {VALUE_EXPECTED}"
        column += len(token)
    elif exc.msg == "Expecting value" and char:
        reason = f"Unexpected character ({_char(char)}): expected a value"  # unverified
    else:
        reason = exc.msg  # unverified: Python's wording
    return reason, exc.lineno, column


def location(source: str, line: int, column: int) -> str:
    """The location Jackson appends to its messages (``source``: how it names the input)."""
    return f"\n at [Source: {source}; line: {line}, column: {column}]"


def quoted(text: str) -> str:
    """Jackson's name for a string input: ``(String)"<text>"``."""
    return f'(String)"{text}"'


def _char(char: str) -> str:
    code = ord(char)
    return f"CTRL-CHAR, code {code}" if code < 32 else f"'{char}' (code {code})"
