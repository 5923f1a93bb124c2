"""Operators of the event-pattern language against documented-style examples."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.core.patterns import PatternError, compile_pattern, match

EVENT: dict[str, Any] = {
    "source": "aws.ec2",
    "detail-type": "EC2 Instance State-change Notification",
    "detail": {
        "state": "running",
        "instance-id": "i-1234567890abcdef0",
        "c-count": 5,
        "d-count": 0.5,
        "source-ip": "10.0.0.123",
        "ipv6": "2001:db8:1234:1a00::1",
        "tags": ["prod", "web"],
        "nothing": None,
        "empty": "",
        "items": [{"name": "a", "size": 1}, {"name": "b", "size": 9}],
        "filename": "reports/2024/q1.png",
    },
}

CASES = [
    ({"source": ["aws.ec2"]}, True),
    ({"source": ["aws.s3", "aws.ec2"]}, True),
    ({"source": ["aws.s3"]}, False),
    ({"detail": {"state": ["running"]}}, True),
    ({"detail": {"tags": ["web"]}}, True),
    ({"detail": {"tags": ["dev"]}}, False),
    ({"detail": {"nothing": [None]}}, True),
    ({"detail": {"empty": [""]}}, True),
    ({"detail": {"c-count": [5.0]}}, True),
    ({"detail": {"c-count": ["5"]}}, False),
    ({"detail": {"state": [{"prefix": "run"}]}}, True),
    ({"detail": {"state": [{"prefix": {"equals-ignore-case": "RUN"}}]}}, True),
    ({"detail": {"state": [{"suffix": "ing"}]}}, True),
    ({"detail": {"state": [{"suffix": {"equals-ignore-case": "ING"}}]}}, True),
    ({"detail": {"state": [{"equals-ignore-case": "RUNNING"}]}}, True),
    ({"detail": {"state": [{"anything-but": "stopped"}]}}, True),
    ({"detail": {"state": [{"anything-but": ["running", "stopped"]}]}}, False),
    ({"detail": {"c-count": [{"anything-but": [5]}]}}, False),
    ({"detail": {"state": [{"anything-but": {"prefix": "run"}}]}}, False),
    ({"detail": {"state": [{"anything-but": {"suffix": "ped"}}]}}, True),
    ({"detail": {"state": [{"anything-but": {"wildcard": "r*g"}}]}}, False),
    ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["RUNNING"]}}]}}, False),
    ({"detail": {"absent": [{"anything-but": "x"}]}}, False),
    ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
    ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
    ({"detail": {"c-count": [{"numeric": ["=", 5]}]}}, True),
    ({"detail": {"d-count": [{"numeric": ["<", 10]}]}}, True),
    ({"detail": {"state": [{"numeric": [">", 0]}]}}, False),
    ({"detail": {"state": [{"exists": True}]}}, True),
    ({"detail": {"absent": [{"exists": False}]}}, True),
    ({"detail": {"state": [{"exists": False}]}}, False),
    ({"detail": {"items": [{"exists": True}]}}, False),
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
    ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
    ({"detail": {"ipv6": [{"cidr": "2001:db8:1234:1a00::/64"}]}}, True),
    ({"detail": {"filename": [{"wildcard": "reports/*.png"}]}}, True),
    ({"detail": {"filename": [{"wildcard": "reports/*.jpg"}]}}, False),
    ({"detail": {"items": {"name": ["b"], "size": [9]}}}, True),
    ({"detail": {"items": {"name": ["a"], "size": [9]}}}, False),
    ({"$or": [{"source": ["x"]}, {"detail": {"state": ["running"]}}]}, True),
    ({"detail": {"$or": [{"state": ["x"]}, {"c-count": [1]}]}}, False),
]


@pytest.mark.parametrize(("pattern", "expected"), CASES)
def test_operator(pattern: dict[str, Any], expected: bool) -> None:
    assert match(compile_pattern(pattern), EVENT) is expected


def test_wildcard_escapes() -> None:
    assert match(compile_pattern({"k": [{"wildcard": "a\\*b"}]}), {"k": "a*b"})
    assert not match(compile_pattern({"k": [{"wildcard": "a\\*b"}]}), {"k": "axb"})
    assert match(compile_pattern({"k": [{"wildcard": "a\\\\*"}]}), {"k": "a\\zz"})


INVALID = [
    (
        '["not", "a", "dict"]',
        'Filter is not an object\n at [Source: (String)"["not", "a", "dict"]"; line: 1, column: 2]',
    ),
    (["not", "a", "dict"], "Filter is not an object"),
    ({"int": 1}, '"int" must be an object or an array'),
    ({"k": []}, "Empty arrays are not allowed"),
    ({"k": [["v"]]}, "Match value must be String, number, true, false, or null"),
    ({"k": [{"EXISTS": True}]}, "Unrecognized match type EXISTS"),
    ({"k": [{"suffix": "a", "prefix": "b"}]}, "Only one key allowed in match expression"),
    ({"k": [{"prefix": 1}]}, "prefix match pattern must be a string"),
    ({"k": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"k": [{"equals-ignore-case": 1}]}, "equals-ignore-case match pattern must be a string"),
    ({"k": [{"wildcard": 1}]}, "wildcard match pattern must be a string"),
    ({"k": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    ({"k": [{"numeric": 5}]}, "Value of numeric must be an array."),
    ({"k": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"k": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
    ({"k": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
    ({"k": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    ({"k": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ({"k": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
    ({"k": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
    ({"k": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
    ({"k": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
    ({"k": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
    ({"k": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ({"k": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
    ({"k": [{"cidr": 1}]}, "prefix match pattern must be a string"),
    ({"k": [{"cidr": "10.0.0.0"}]}, "Malformed CIDR, one '/' required"),
    ({"k": [{"cidr": "10.0.0.0/x"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"k": [{"cidr": "xx.11.xx/24"}]}, "Nonstandard IP address: xx.11.xx"),
    (
        {"k": [{"anything-but": None}]},
        "Value of anything-but must be an array or single string/number value.",
    ),
    (
        {"k": [{"anything-but": ["a", None]}]},
        "Inside anything but list, start|null|boolean is not supported.",
    ),
    ({"k": [{"anything-but": {"prefix": ""}}]}, "Null prefix/suffix not allowed"),
    ({"k": [{"anything-but": {"suffix": 1}}]}, "prefix/suffix match pattern must be a string"),
    (
        {"k": [{"anything-but": {"equals-ignore-case": [1]}}]},
        "Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.",
    ),
    ({"k": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
    (
        {"k": [{"numeric": [">", 5_000_000_001]}]},
        "Value must be between -5000000000 and 5000000000, inclusive",
    ),
    (
        {"k": [{"numeric": [">=", 0, "<", 6e9]}]},
        "Value must be between -5000000000 and 5000000000, inclusive",
    ),
    ({"k": [{"numeric": ["=", 0.1234567]}]}, "Only values upto 6 decimals are supported"),
]


@pytest.mark.parametrize(("pattern", "reason"), INVALID)
def test_invalid_pattern(pattern: Any, reason: str) -> None:
    with pytest.raises(PatternError) as info:
        compile_pattern(pattern)
    assert info.value.reason == reason
    assert info.value.events_message == f"Event pattern is not valid. Reason: {reason}"


scalars = st.one_of(st.text(max_size=8), st.integers(-1000, 1000), st.booleans(), st.none())
events = st.dictionaries(st.text(min_size=1, max_size=5), scalars, min_size=1, max_size=5)


@given(events)
def test_pattern_from_event_matches(event: dict[str, Any]) -> None:
    pattern = {key: [value] for key, value in event.items()}
    assert match(compile_pattern(pattern), event)


@given(events, st.data())
def test_mutated_value_does_not_match(event: dict[str, Any], data: st.DataObject) -> None:
    pattern = {key: [value] for key, value in event.items()}
    key = data.draw(st.sampled_from(sorted(event)))
    mutated = dict(event, **{key: ["not-the-same", event[key]].__repr__() + "x"})
    assert not match(compile_pattern(pattern), mutated)


def test_numeric_limits_of_events() -> None:
    """Numeric matching works on -5.0e9..+5.0e9: the limits themselves match, beyond them nothing."""
    pattern = compile_pattern({"k": [{"numeric": [">=", -5e9, "<=", 5e9]}]})
    assert match(pattern, {"k": 5_000_000_000}) and match(pattern, {"k": -5e9})
    assert match(pattern, {"k": 0.123456})
    assert not match(pattern, {"k": 5_000_000_001})
    assert not match(compile_pattern({"k": [{"numeric": [">", 0]}]}), {"k": 1e10})
