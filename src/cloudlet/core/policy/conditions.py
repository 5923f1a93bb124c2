"""Condition operators and policy variables, over a request context of lower-cased keys.

A missing key makes a condition false, except for negated operators (StringNotEquals,
NotIpAddress, ...), ``...IfExists`` and ``Null``, and ``ForAllValues:`` (true on no values),
as the IAM User Guide's "Condition operators" page describes.
"""

from __future__ import annotations

import base64
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from functools import lru_cache

from cloudlet.core.policy.document import NEGATED, Condition
from cloudlet.core.policy.matching import LITERAL_QUESTION, LITERAL_STAR, arn_matcher, glob

Context = Mapping[str, Sequence[str]]

_POSITIVE = {
    "stringnotequals": "stringequals",
    "stringnotequalsignorecase": "stringequalsignorecase",
    "stringnotlike": "stringlike",
    "numericnotequals": "numericequals",
    "datenotequals": "dateequals",
    "notipaddress": "ipaddress",
    "arnnotequals": "arnequals",
    "arnnotlike": "arnlike",
}


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


@lru_cache(maxsize=4096)
def _date(text: str) -> float | None:
    """Epoch seconds of an ISO 8601 date/time or an epoch number."""
    number = _number(text)
    if number is not None:
        return number
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


@lru_cache(maxsize=4096)
def _network(text: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _compare(
    parse: Callable[[str], float | None], test: Callable[[float, float], bool]
) -> Callable[[str, str], bool]:
    def check(value: str, wanted: str) -> bool:
        a, b = parse(value), parse(wanted)
        return a is not None and b is not None and test(a, b)

    return check


def _ip(value: str, wanted: str) -> bool:
    network = _network(wanted)
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        net = _network(value)  # a context value given as a range
        return net is not None and network is not None and net.subnet_of(network)  # type: ignore[arg-type]
    return network is not None and address.version == network.version and address in network


def _binary(value: str, wanted: str) -> bool:
    try:
        return base64.b64decode(value) == base64.b64decode(wanted)
    except ValueError:
        return False


# Positive base operators: (context value, condition value) -> bool
MATCHERS: dict[str, Callable[[str, str], bool]] = {
    "stringequals": lambda v, w: v == w,
    "stringequalsignorecase": lambda v, w: v.lower() == w.lower(),
    "stringlike": lambda v, w: glob(w)(v),
    "numericequals": _compare(_number, lambda a, b: a == b),
    "numericlessthan": _compare(_number, lambda a, b: a < b),
    "numericlessthanequals": _compare(_number, lambda a, b: a <= b),
    "numericgreaterthan": _compare(_number, lambda a, b: a > b),
    "numericgreaterthanequals": _compare(_number, lambda a, b: a >= b),
    "dateequals": _compare(_date, lambda a, b: a == b),
    "datelessthan": _compare(_date, lambda a, b: a < b),
    "datelessthanequals": _compare(_date, lambda a, b: a <= b),
    "dategreaterthan": _compare(_date, lambda a, b: a > b),
    "dategreaterthanequals": _compare(_date, lambda a, b: a >= b),
    "bool": lambda v, w: v.lower() == w.lower(),
    "binaryequals": _binary,
    "ipaddress": _ip,
    "arnequals": lambda v, w: arn_matcher(w)(v),
    "arnlike": lambda v, w: arn_matcher(w)(v),
}

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SPECIAL = {"*": LITERAL_STAR, "?": LITERAL_QUESTION, "$": "$"}


class _Missing(Exception):
    pass


def substitute(text: str, context: Context) -> str | None:
    """``text`` with its policy variables (``${aws:username}``, ``${aws:PrincipalTag/k, 'd'}``)
    replaced from ``context``; None when one has no value and no default."""
    if "${" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        inner = match.group(1).strip()
        if inner in _SPECIAL:
            return _SPECIAL[inner]
        name, _, default = inner.partition(",")
        values = context.get(name.strip().lower())
        if values:
            return values[0]
        default = default.strip()
        if len(default) >= 2 and default[0] == default[-1] == "'":
            return default[1:-1]
        raise _Missing

    try:
        return _VARIABLE.sub(replace, text)
    except _Missing:
        return None


def check(condition: Condition, context: Context, variables: bool, missing: set[str]) -> bool:
    """Whether ``condition`` holds in ``context``; keys it needed but lacked go to ``missing``."""
    op = condition.operator
    present = context.get(condition.key)
    if op == "null":
        absent = not present
        return any((w.lower() == "true") == absent for w in condition.values)
    wanted: Sequence[str] = condition.values
    if variables:
        wanted = [w for w in (substitute(v, context) for v in condition.values) if w is not None]
    negated = op in NEGATED
    match = MATCHERS[_POSITIVE.get(op, op)]

    def single(value: str) -> bool:
        hit = any(match(value, w) for w in wanted)
        return not hit if negated else hit

    qualifier = condition.qualifier
    if qualifier == "forallvalues":
        return all(single(v) for v in present) if present else True
    if not present:
        if condition.if_exists or negated:
            return True
        missing.add(condition.name or condition.key)
        return False
    if qualifier == "foranyvalue" or not negated:
        return any(single(v) for v in present)
    return all(single(v) for v in present)
