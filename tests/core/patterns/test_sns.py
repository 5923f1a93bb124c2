"""SNS filter policies: scopes, attribute types and limits."""

from __future__ import annotations

import pytest

from cloudlet.core.patterns import PatternError
from cloudlet.core.patterns.sns import compile_filter_policy


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
