"""Wildcard matching as IAM does it: ``*`` (any run) and ``?`` (one character).

Actions match case-insensitively over the whole ``service:Action``; ARNs match segment by
segment (partition, service, region, account, resource), so a ``*`` in one segment never
spans a colon into the next, while the resource segment keeps its own colons.
Patterns compile once (cached) to anchored regular expressions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

Matcher = Callable[[str], bool]


# What the policy variables ``${*}``, ``${?}`` and ``${$}`` become: literal characters
# that the wildcard compiler leaves alone (see variables.py).
LITERAL_STAR = "\ue000"
LITERAL_QUESTION = "\ue001"
_LITERALS = {LITERAL_STAR: r"\*", LITERAL_QUESTION: r"\?"}


def _regex(pattern: str) -> str:
    out = []
    for ch in pattern:
        if ch == "*":
            out.append(".*")
        elif ch == "?":
            out.append(".")
        else:
            out.append(_LITERALS.get(ch) or re.escape(ch))
    return "".join(out)


@lru_cache(maxsize=8192)
def glob(pattern: str, ignore_case: bool = False) -> Matcher:
    """A matcher of ``pattern`` with ``*``/``?`` wildcards over the whole string."""
    if pattern == "*":
        return lambda _value: True
    if "*" not in pattern and "?" not in pattern:
        pattern = pattern.replace(LITERAL_STAR, "*").replace(LITERAL_QUESTION, "?")
        if ignore_case:
            lowered = pattern.lower()
            return lambda value: value.lower() == lowered
        return pattern.__eq__
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    fullmatch = re.compile(_regex(pattern), flags).fullmatch
    return lambda value: fullmatch(value) is not None


def action_matcher(pattern: str) -> Matcher:
    """Matches ``service:Action`` names, case-insensitively."""
    return glob(pattern, True)


@lru_cache(maxsize=8192)
def arn_matcher(pattern: str) -> Matcher:
    """Matches ARNs segment by segment (``arn:p:s:r:a:resource``); other strings whole."""
    if pattern == "*":
        return lambda _value: True
    parts = pattern.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn":
        return glob(pattern)
    segments = tuple(glob(p) for p in parts[1:])

    def match(value: str) -> bool:
        got = value.split(":", 5)
        if len(got) != 6 or got[0] != "arn":
            return False
        return all(m(v) for m, v in zip(segments, got[1:], strict=True))

    return match
