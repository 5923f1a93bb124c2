"""Tokens of the DynamoDB expression languages."""

from __future__ import annotations

import re
from dataclasses import dataclass

NAME = "name"  # attribute name, keyword or function name
PLACEHOLDER_NAME = "#name"
PLACEHOLDER_VALUE = ":value"
NUMBER = "number"  # digits: only valid as a list index
PUNCT = "punct"
OTHER = "other"  # any character no rule accepts: always a syntax error
EOF = "eof"

_TOKEN_RE = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<hash>\#[A-Za-z0-9_]+)
  | (?P<colon>:[A-Za-z0-9_]+)
  | (?P<number>[0-9]+)
  | (?P<punct><>|<=|>=|[()\[\],.=<>+-])
    """,
    re.VERBOSE,
)
_KINDS = {
    "name": NAME,
    "hash": PLACEHOLDER_NAME,
    "colon": PLACEHOLDER_VALUE,
    "number": NUMBER,
    "punct": PUNCT,
}


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """Split an expression into tokens, ending with an EOF token."""
    tokens: list[Token] = []
    pos, length = 0, len(text)
    while pos < length:
        match = _TOKEN_RE.match(text, pos)
        if match is None:
            tokens.append(Token(OTHER, text[pos], pos, pos + 1))
            pos += 1
            continue
        group = match.lastgroup
        if group != "space":
            tokens.append(Token(_KINDS[group], match.group(), pos, match.end()))
        pos = match.end()
    tokens.append(Token(EOF, "<EOF>", length, length))
    return tokens


def near(text: str, tokens: list[Token], index: int) -> str:
    """The source AWS quotes around a bad token: from the token before it to the token after it."""
    token = tokens[index]
    if token.kind == EOF:
        previous = tokens[index - 1]
        return text[previous.start : previous.end]
    start = tokens[index - 1].start if index else token.start
    following = tokens[index + 1]
    return text[start : token.end if following.kind == EOF else following.end]
