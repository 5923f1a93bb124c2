"""Which rules an event on a bus matches: the rules held in memory, indexed per bus.

The store is the truth; :class:`Routes` mirrors it, updated after each committed change, so
PutEvents matches without reading rules back. Each bus's enabled pattern rules sit in a
:class:`PatternIndex` that tests only the rules an event's exact-valued fields can match.
"""

from __future__ import annotations

from collections import defaultdict
from functools import lru_cache
from typing import Any

from cloudlet.core.patterns.compile import ObjectMatcher, compile_pattern
from cloudlet.core.patterns.index import PatternIndex
from cloudlet.services.events.store import Rule


@lru_cache(maxsize=4096)
def compiled(pattern: str) -> ObjectMatcher:
    """A pattern compiled once (raises PatternError for an invalid one)."""
    return compile_pattern(pattern)


class Routes:
    """Rules by ARN, and per bus the index of its enabled event-pattern rules."""

    def __init__(self) -> None:
        self.rules: dict[str, Rule] = {}
        self._indexes: dict[str, PatternIndex] = defaultdict(PatternIndex)

    def load(self, rules: list[Rule]) -> None:
        self.rules.clear()
        self._indexes.clear()
        for rule in rules:
            self.put(rule)

    def put(self, rule: Rule) -> None:
        """Add or replace ``rule`` (with its targets)."""
        self.remove(rule.arn)
        self.rules[rule.arn] = rule
        pattern = rule.data.get("EventPattern")
        if pattern and rule.enabled:
            self._indexes[rule.bus_arn].add(rule.arn, compiled(pattern))

    def remove(self, arn: str) -> None:
        rule = self.rules.pop(arn, None)
        if rule is not None and rule.bus_arn in self._indexes:
            self._indexes[rule.bus_arn].remove(arn)

    def matching(self, bus_arn: str, event: dict[str, Any]) -> list[Rule]:
        """The enabled rules of ``bus_arn`` whose pattern matches ``event``, in name order."""
        index = self._indexes.get(bus_arn)
        if index is None:
            return []
        rules = [self.rules[arn] for arn in index.matching(event)]
        rules.sort(key=lambda r: r.name)
        return rules

    def of_bus(self, bus_arn: str) -> list[Rule]:
        return sorted((r for r in self.rules.values() if r.bus_arn == bus_arn), key=lambda r: r.name)
