"""PatternIndex returns exactly what a naive scan returns."""

from __future__ import annotations

import time

from cloudlet.core.patterns import compile_pattern, match
from cloudlet.core.patterns.index import PatternIndex


def _rules() -> dict[int, dict]:
    rules: dict[int, dict] = {}
    for i in range(1000):
        if i % 10 == 0:
            rules[i] = {"detail": {"n": [{"numeric": [">", i % 50]}]}}
        else:
            rules[i] = {"source": [f"app.{i % 100}"], "detail-type": [f"t{i % 7}"]}
    return rules


def test_index_agrees_with_scan_and_supports_remove() -> None:
    rules = {rid: compile_pattern(p) for rid, p in _rules().items()}
    index = PatternIndex()
    for rid, compiled in rules.items():
        index.add(rid, compiled)
    events = [{"source": f"app.{s}", "detail-type": f"t{s % 7}", "detail": {"n": s}} for s in range(100)]
    started = time.perf_counter()
    for event in events:
        expected = {rid for rid, c in rules.items() if match(c, event)}
        assert index.matching(event) == expected
    assert time.perf_counter() - started < 30
    index.remove(1)
    assert 1 not in index.matching({"source": "app.1", "detail-type": "t1", "detail": {"n": 1}})
