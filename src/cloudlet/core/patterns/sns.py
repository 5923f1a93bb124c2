"""SNS filter policies on top of the event-pattern engine."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cloudlet.core.patterns.compile import ObjectMatcher, compile_pattern
from cloudlet.core.patterns.errors import PatternError

MAX_KEYS = 5
MAX_COMBINATIONS = 150
MAX_POLICY_BYTES = 256 * 1024  # unverified wording of the error when exceeded
NESTED_IN_ATTRIBUTES = "Filter policy scope MessageAttributes does not support nested filter policy"


def _combinations(policy: Mapping[str, Any]) -> tuple[int, int]:
    """(leaf keys, combinations) of a policy; ``$or`` branches add up."""
    keys, combos = 0, 1
    for key, value in policy.items():
        if key == "$or" and isinstance(value, list):
            parts = [_combinations(v) for v in value if isinstance(v, Mapping)]
            keys += sum(k for k, _ in parts)
            combos *= max(1, sum(c for _, c in parts))
        elif isinstance(value, Mapping):
            k, c = _combinations(value)
            keys, combos = keys + k, combos * c
        elif isinstance(value, list):
            keys, combos = keys + 1, combos * max(1, len(value))
    return keys, combos


def compile_filter_policy(source: str | Mapping[str, Any], scope: str = "MessageAttributes") -> ObjectMatcher:
    """Validate and compile a FilterPolicy; raise PatternError with SNS's reason.

    Callers wrap the reason as "Invalid parameter: FilterPolicy: {reason}"
    (SetSubscriptionAttributes) or "Invalid parameter: Attributes Reason:
    FilterPolicy: {reason}" (Subscribe), as recorded in aws-reference/sns.
    ``NESTED_IN_ATTRIBUTES`` is a whole message ("Invalid parameter: " + it).
    """
    if isinstance(source, str):
        try:
            source = json.loads(source)
        except json.JSONDecodeError as exc:
            raise PatternError(f"failed to parse JSON. {exc.msg}") from None  # unverified text
    compiled = compile_pattern(source)
    assert isinstance(source, Mapping)
    if scope == "MessageAttributes" and any(isinstance(v, Mapping) for k, v in source.items() if k != "$or"):
        raise PatternError(NESTED_IN_ATTRIBUTES)
    keys, combos = _combinations(source)
    if keys > MAX_KEYS:
        raise PatternError("Filter policy can not have more than 5 keys")
    if combos > MAX_COMBINATIONS:
        raise PatternError("Filter policy is too complex")
    return compiled
