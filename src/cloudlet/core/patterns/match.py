"""Match an event (a decoded JSON dict) against a compiled pattern."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from cloudlet.core.patterns.compile import Leaf, ObjectMatcher
from cloudlet.core.patterns.conditions import MISSING


def match(compiled: ObjectMatcher, event: Any) -> bool:
    """True when ``event`` satisfies every field (and one branch of each ``$or``)."""
    for key, node in compiled.fields:
        value = event.get(key, MISSING) if isinstance(event, dict) else MISSING
        if isinstance(node, Leaf):
            if not _leaf(node, value):
                return False
        elif isinstance(value, list):
            objects = [v for v in value if isinstance(v, dict)]
            if not any(match(node, v) for v in objects or [MISSING]):
                return False
        elif not match(node, value if isinstance(value, dict) else MISSING):
            return False
    return all(any(match(alt, event) for alt in group) for group in compiled.alternatives)


def _leaf(node: Leaf, value: Any) -> bool:
    values = list(_scalars(value))
    if not values:
        values = [MISSING]  # an absent field, an empty array or an object: no leaf value
    return any(c.test(v) for v in values for c in node.conditions)


def _scalars(value: Any) -> Iterator[Any]:
    if value is MISSING or isinstance(value, dict):
        return
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
        return
    yield value
