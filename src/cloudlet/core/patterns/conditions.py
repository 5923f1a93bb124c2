"""Leaf conditions: one matcher per operator of the pattern language.

Each condition tests a single scalar taken from the event (arrays are flattened
before they get here). ``MISSING`` stands for a field that is absent.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any


class _Missing:
    """Marker for an absent field."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
NUMERIC_LIMIT = 5_000_000_000  # numeric matching works on -5.0e9..+5.0e9 (AWS's user guide)


def is_number(value: Any) -> bool:
    """True for JSON numbers (bool is not a number in JSON)."""
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def same_value(expected: Any, actual: Any) -> bool:
    """JSON-typed equality: 1 == 1.0 but True != 1 and "1" != 1."""
    if expected is None or isinstance(expected, bool):
        return actual is expected
    if is_number(expected):
        return is_number(actual) and float(expected) == float(actual)
    return isinstance(actual, str) and actual == expected


class Condition:
    """Base class: ``test`` gets one scalar (or MISSING) and says whether it matches."""

    def test(self, value: Any) -> bool:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class Exact(Condition):
    """Exact value: string, number, true/false or null."""

    value: Any

    def test(self, value: Any) -> bool:
        return value is not MISSING and same_value(self.value, value)


@dataclass(frozen=True)
class _Affix(Condition):
    """A string's start or end (``prefix``/``suffix``), with ``equals-ignore-case`` inside
    (``fold``: compared case-folded, the pattern's text folded once when compiled)."""

    text: str
    fold: bool = False

    def __post_init__(self) -> None:
        if self.fold:
            object.__setattr__(self, "text", self.text.casefold())

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        return self._has(value.casefold() if self.fold else value)

    def _has(self, value: str) -> bool:
        raise NotImplementedError


class Prefix(_Affix):
    """``{"prefix": "x"}`` or ``{"prefix": {"equals-ignore-case": "x"}}``."""

    def _has(self, value: str) -> bool:
        return value.startswith(self.text)


class Suffix(_Affix):
    """``{"suffix": "x"}`` or ``{"suffix": {"equals-ignore-case": "x"}}``."""

    def _has(self, value: str) -> bool:
        return value.endswith(self.text)


@dataclass(frozen=True)
class EqualsIgnoreCase(Condition):
    """``{"equals-ignore-case": "x"}``."""

    text: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "text", self.text.casefold())  # folded once, when compiled

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and value.casefold() == self.text


@dataclass(frozen=True)
class Wildcard(Condition):
    """``{"wildcard": "a*b"}``: ``*`` is any run of characters, ``\\*`` and ``\\\\`` are literal."""

    regex: re.Pattern[str]

    def test(self, value: Any) -> bool:
        return isinstance(value, str) and self.regex.fullmatch(value) is not None


@dataclass(frozen=True)
class Numeric(Condition):
    """``{"numeric": [">", 0, "<=", 5]}``: bounds as (value, inclusive) or None."""

    low: tuple[float, bool] | None
    high: tuple[float, bool] | None

    def test(self, value: Any) -> bool:
        if not is_number(value):
            return False
        number = float(value)
        if not -NUMERIC_LIMIT <= number <= NUMERIC_LIMIT:
            return False  # unverified: outside the documented range no numeric condition matches
        if self.low is not None:
            bound, inclusive = self.low
            if number < bound or (number == bound and not inclusive):
                return False
        if self.high is not None:
            bound, inclusive = self.high
            if number > bound or (number == bound and not inclusive):
                return False
        return True


@dataclass(frozen=True)
class Cidr(Condition):
    """``{"cidr": "10.0.0.0/24"}``: the value is an IP address inside the network."""

    network: ipaddress.IPv4Network | ipaddress.IPv6Network

    def test(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        try:
            address = ipaddress.ip_address(value)
        except ValueError:
            return False
        return address.version == self.network.version and address in self.network


@dataclass(frozen=True)
class Exists(Condition):
    """``{"exists": true|false}``: true needs a leaf value, false needs the field absent."""

    present: bool

    def test(self, value: Any) -> bool:
        return (value is not MISSING) == self.present


@dataclass(frozen=True)
class AnythingBut(Condition):
    """``{"anything-but": ...}``: the field is present and none of ``inner`` match it."""

    inner: tuple[Condition, ...]

    def test(self, value: Any) -> bool:
        if value is MISSING:
            return False
        return not any(condition.test(value) for condition in self.inner)


def wildcard_regex(text: str) -> re.Pattern[str]:
    """Translate a (validated) wildcard pattern into an anchored regex."""
    parts: list[str] = []
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and index + 1 < len(text):
            parts.append(re.escape(text[index + 1]))
            index += 2
            continue
        parts.append(".*" if char == "*" else re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)
