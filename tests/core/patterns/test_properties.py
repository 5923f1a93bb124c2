"""Properties of the pattern engine on generated events: a pattern built to match an event (with
every operator, nested objects, arrays) matches it; one built to miss it does not; the index
answers exactly what testing every pattern answers."""

from __future__ import annotations

import ipaddress
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.core.patterns.compile import compile_pattern
from cloudlet.core.patterns.index import PatternIndex
from cloudlet.core.patterns.match import match

keys = st.text(alphabet="abcdefghij-_", min_size=1, max_size=6)
words = st.text(alphabet="abcXYZ019 -_./", min_size=1, max_size=12)
numbers = st.one_of(
    st.integers(-(10**6), 10**6), st.floats(-1e6, 1e6, allow_nan=False).map(lambda f: round(f, 3))
)
scalars = st.one_of(words, numbers, st.booleans(), st.none())
events = st.recursive(
    st.dictionaries(keys, scalars, min_size=1, max_size=4),
    lambda inner: st.dictionaries(
        keys, st.one_of(scalars, inner, st.lists(scalars, min_size=1, max_size=3)), min_size=1, max_size=4
    ),
    max_leaves=12,
)


def _escape_wildcard(text: str) -> str:
    return text.replace("\\", "\\\\").replace("*", "\\*")


def _matching_condition(value: Any, draw: Any) -> Any:
    """A pattern condition that ``value`` satisfies, of a kind drawn at random."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        kind = draw(st.sampled_from(["exact", "range", "anything-but"]))
        if kind == "range":
            # whole-number bounds: value - 1 in floats can carry more than the six decimals allowed
            return {"numeric": [">=", math.floor(value) - 1, "<=", math.ceil(value) + 1]}
        if kind == "anything-but":
            return {"anything-but": round(value + 1, 3)}
        return value
    kind = draw(
        st.sampled_from(["exact", "prefix", "suffix", "ignore-case", "wildcard", "anything-but", "exists"])
    )
    if kind == "prefix":
        return {"prefix": value[: draw(st.integers(1, len(value)))]}
    if kind == "suffix":
        return {"suffix": value[-draw(st.integers(1, len(value))) :]}
    if kind == "ignore-case":
        return {"equals-ignore-case": value.swapcase()}
    if kind == "wildcard":
        cut = draw(st.integers(0, len(value)))
        return {"wildcard": _escape_wildcard(value[:cut]) + "*"}
    if kind == "anything-but":
        return {"anything-but": value + "-other"}
    if kind == "exists":
        return {"exists": True}
    return value


def _pattern_for(event: dict[str, Any], draw: Any) -> dict[str, Any]:
    pattern: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, dict):
            pattern[key] = _pattern_for(value, draw)
        elif isinstance(value, list):
            pattern[key] = [_matching_condition(draw(st.sampled_from(value)), draw)]
        else:
            pattern[key] = [_matching_condition(value, draw)]
    return pattern


@given(events, st.data())
def test_pattern_built_for_an_event_matches_it(event: dict[str, Any], data: st.DataObject) -> None:
    pattern = _pattern_for(event, data.draw)
    assert match(compile_pattern(pattern), event), pattern


@given(events, st.data())
def test_a_missing_required_field_does_not_match(event: dict[str, Any], data: st.DataObject) -> None:
    pattern = _pattern_for(event, data.draw)
    pattern["never-in-events"] = [{"exists": True}]
    assert not match(compile_pattern(pattern), event)


@given(st.ip_addresses(), st.integers(0, 32))
def test_cidr_matches_the_addresses_of_its_network(address: Any, bits: int) -> None:
    bits = bits if address.version == 4 else bits * 4
    network = ipaddress.ip_network(f"{address}/{bits}", strict=False)
    pattern = compile_pattern({"ip": [{"cidr": str(network)}]})
    assert match(pattern, {"ip": str(address)})


@settings(max_examples=50)
@given(st.lists(events, min_size=1, max_size=8), st.lists(events, min_size=1, max_size=8), st.data())
def test_index_answers_what_testing_every_pattern_answers(
    sources: list[dict[str, Any]], probes: list[dict[str, Any]], data: st.DataObject
) -> None:
    index = PatternIndex()
    compiled = {}
    for number, event in enumerate(sources):
        compiled[number] = compile_pattern(_pattern_for(event, data.draw))
        index.add(number, compiled[number])
    for event in probes + sources:
        expected = {number for number, pattern in compiled.items() if match(pattern, event)}
        assert index.matching(event) == expected
