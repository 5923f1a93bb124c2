"""PatternIndex: find the rules matching an event without testing every pattern."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable
from typing import Any

from cloudlet.core.patterns.compile import Leaf, ObjectMatcher
from cloudlet.core.patterns.conditions import Exact
from cloudlet.core.patterns.match import match

_PREFERRED = ("source", "detail-type")


def _index_key(compiled: ObjectMatcher) -> tuple[str, tuple[str, ...]] | None:
    """A top-level field whose every alternative is an exact string, if any."""
    candidates: list[tuple[str, tuple[str, ...]]] = []
    for key, node in compiled.fields:
        if isinstance(node, Leaf) and all(
            isinstance(c, Exact) and isinstance(c.value, str) for c in node.conditions
        ):
            candidates.append((key, tuple(c.value for c in node.conditions)))  # type: ignore[attr-defined]
    if not candidates:
        return None
    candidates.sort(
        key=lambda kv: (kv[0] not in _PREFERRED, _PREFERRED.index(kv[0]) if kv[0] in _PREFERRED else 0)
    )
    return candidates[0]


class PatternIndex:
    """rule id -> compiled pattern; ``matching(event)`` returns the ids that match.

    Rules with an exact-string top-level field (``source`` preferred, then
    ``detail-type``, then any) are bucketed by (field, value); only the buckets
    named by the event's values are tested. Other rules are scanned.
    """

    def __init__(self) -> None:
        self._rules: dict[Hashable, ObjectMatcher] = {}
        self._buckets: dict[tuple[str, str], set[Hashable]] = defaultdict(set)
        self._keys: dict[Hashable, tuple[str, tuple[str, ...]] | None] = {}
        self._fields: dict[str, int] = defaultdict(int)
        self._scan: set[Hashable] = set()

    def add(self, rule_id: Hashable, compiled: ObjectMatcher) -> None:
        """Add or replace a rule."""
        self.remove(rule_id)
        self._rules[rule_id] = compiled
        key = _index_key(compiled)
        self._keys[rule_id] = key
        if key is None:
            self._scan.add(rule_id)
            return
        self._fields[key[0]] += 1
        for value in key[1]:
            self._buckets[(key[0], value)].add(rule_id)

    def remove(self, rule_id: Hashable) -> None:
        """Drop a rule if present."""
        if rule_id not in self._rules:
            return
        del self._rules[rule_id]
        key = self._keys.pop(rule_id)
        if key is None:
            self._scan.discard(rule_id)
            return
        self._fields[key[0]] -= 1
        if not self._fields[key[0]]:
            del self._fields[key[0]]
        for value in key[1]:
            self._buckets[(key[0], value)].discard(rule_id)

    def matching(self, event: dict[str, Any]) -> set[Hashable]:
        """Ids of every rule whose pattern matches ``event``."""
        candidates = set(self._scan)
        for field in self._fields:
            value = event.get(field)
            values = value if isinstance(value, list) else [value]
            for item in values:
                if isinstance(item, str):
                    candidates |= self._buckets.get((field, item), set())
        return {rid for rid in candidates if match(self._rules[rid], event)}
