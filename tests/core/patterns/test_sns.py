"""SNS filter policies: scopes, attribute types and limits."""

from __future__ import annotations

import pytest

from cloudlet.core.patterns import PatternError
from cloudlet.core.patterns.sns import compile_filter_policy, policy_matches

ATTRS = {
    "store": {"DataType": "String", "StringValue": "example_corp"},
    "price": {"DataType": "Number", "StringValue": "210.75"},
    "sizes": {"DataType": "String.Array", "StringValue": '["small", "large"]'},
    "blob": {"DataType": "Binary", "BinaryValue": b"x"},
}


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ({"store": ["example_corp"]}, True),
        ({"price": [{"numeric": [">=", 100]}]}, True),
        ({"price": [210.75]}, True),
        ({"sizes": ["large"]}, True),
        ({"sizes": ["medium"]}, False),
        ({"blob": [{"exists": True}]}, False),
        ({"missing": [{"exists": False}]}, True),
    ],
)
def test_attribute_scope(policy: dict, expected: bool) -> None:
    compiled = compile_filter_policy(policy)
    assert policy_matches(compiled, "MessageAttributes", ATTRS, "") is expected


def test_body_scope_nested() -> None:
    compiled = compile_filter_policy({"order": {"total": [{"numeric": [">", 10]}]}}, "MessageBody")
    assert policy_matches(compiled, "MessageBody", {}, '{"order": {"total": 11}}')
    assert not policy_matches(compiled, "MessageBody", {}, '{"order": {"total": 9}}')
    assert not policy_matches(compiled, "MessageBody", {}, "not json")


@pytest.mark.parametrize(
    ("policy", "reason"),
    [
        (
            {"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]},
            "Filter policy can not have more than 5 keys",
        ),
        ({"a": list(range(13)), "b": list(range(13))}, "Filter policy is too complex"),
        ({"a": {"b": ["c"]}}, "Filter policy scope MessageAttributes does not support nested filter policy"),
        ({"key_a": "value_one"}, '"key_a" must be an object or an array'),
    ],
)
def test_invalid_policy(policy: dict, reason: str) -> None:
    with pytest.raises(PatternError) as info:
        compile_filter_policy(policy)
    assert info.value.reason == reason
