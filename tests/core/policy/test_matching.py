"""Property tests of IAM wildcard matching against a reference implementation."""

from __future__ import annotations

from functools import cache

from hypothesis import given
from hypothesis import strategies as st

from cloudlet.core.policy.matching import action_matcher, arn_matcher, glob

ALPHABET = "ab:/*?"
TEXT = "ab:/"


def reference(pattern: str, value: str) -> bool:
    """Wildcard matching by dynamic programming: ``*`` any run, ``?`` one character."""

    @cache
    def m(i: int, j: int) -> bool:
        if i == len(pattern):
            return j == len(value)
        if pattern[i] == "*":
            return m(i + 1, j) or (j < len(value) and m(i, j + 1))
        return j < len(value) and (pattern[i] in ("?", value[j])) and m(i + 1, j + 1)

    return m(0, 0)


@given(st.text(ALPHABET, max_size=8), st.text(TEXT, max_size=8))
def test_glob_agrees_with_reference(pattern, value):
    assert glob(pattern)(value) == reference(pattern, value)


@given(st.text("abAB:*?", max_size=8), st.text("abAB:", max_size=8))
def test_actions_match_case_insensitively(pattern, value):
    assert action_matcher(pattern)(value) == reference(pattern.lower(), value.lower())


@given(st.text("ab*?", max_size=4), st.text("ab", max_size=4), st.text("ab:/", max_size=6))
def test_arn_star_never_crosses_a_segment(region_pattern, region, resource):
    pattern = f"arn:aws:s3:{region_pattern}:1:{resource}"
    value = f"arn:aws:s3:{region}:1:{resource}"
    assert arn_matcher(pattern)(value) == reference(region_pattern, region)


@given(st.text("ab:/", max_size=10))
def test_star_matches_every_arn(resource):
    assert arn_matcher("*")(f"arn:aws:s3:::{resource}")
    assert arn_matcher("arn:aws:s3:::*")(f"arn:aws:s3:::{resource}")
