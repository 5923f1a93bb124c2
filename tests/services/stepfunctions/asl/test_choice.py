"""Choice rules in JSONPath mode: AWS's recorded operator results, then the edges."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.services.stepfunctions.asl.choice import evaluate, parse_timestamp
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.payload import Where

from .recorded import REFERENCE

SNAPSHOTS = ["boolean_equals", "is_operators", "numeric", "string_operators", "timestamp_operators"]


def _recorded_cases() -> list[Any]:
    cases = []
    for name in SNAPSHOTS:
        path = REFERENCE / "v2" / "choice_operators" / f"test_{name}.snapshot.json"
        if not path.exists():
            continue
        for key, value in json.loads(path.read_text()).items():
            test = key.split("::")[-1].removeprefix("test_")
            words = test.split("_")
            by_path = words[-1] == "path"
            operator = "".join(w.capitalize() for w in (words[:-1] if by_path else words)) + (
                "Path" if by_path else ""
            )
            for i, case in enumerate(value["recorded-content"]["cases"]):
                data = case["input"]
                if "date" in (data["Variable"], data["Value"]):
                    continue  # the recording redacted the timestamps
                expected = case["output"]["TestResult.$"] == "ConditionTrue"
                cases.append(pytest.param(operator, data, expected, id=f"{operator}-{i}"))
    return cases


RECORDED = _recorded_cases()


@pytest.mark.skipif(not RECORDED, reason="choice recordings are not available")
@pytest.mark.parametrize(("operator", "data", "expected"), RECORDED)
def test_recorded_operator(operator: str, data: dict[str, Any], expected: bool) -> None:
    operand = "$.Value" if operator.endswith("Path") else data["Value"]
    rule = {"Variable": "$.Variable", operator: operand, "Next": "ConditionTrue"}
    assert evaluate(rule, Env(data)) is expected


def test_recordings_cover_every_family() -> None:
    if not RECORDED:
        pytest.skip("choice recordings are not available")
    families = {p.values[0].removesuffix("Path") for p in RECORDED}
    assert {
        "StringEquals",
        "NumericEquals",
        "BooleanEquals",
        "IsNull",
        "IsPresent",
    } <= families  # the timestamp recordings redacted their values


# ---------------------------------------------------------------------------------- operators


def _rule(operator: str, operand: Any, variable: str = "$.v") -> dict[str, Any]:
    return {"Variable": variable, operator: operand, "Next": "X"}


@pytest.mark.parametrize(
    ("value", "pattern", "expected"),
    [
        ("log-2024.txt", "log-*.txt", True),
        ("log-.txt", "log-*.txt", True),
        ("log-2024.csv", "log-*.txt", False),
        ("a*b", "a\\*b", True),
        ("axb", "a\\*b", False),
        ("a\\b", "a\\\\b", True),
        ("anything", "*", True),
        ("", "*", True),
        ("abc", "abc", True),
        ("abc", "ab", False),
        ("a.c", "a.c", True),
        ("abc", "a.c", False),
        ("line1\nline2", "line1*", True),
        (5, "*", False),
    ],
)
def test_string_matches(value: Any, pattern: str, expected: bool) -> None:
    assert evaluate(_rule("StringMatches", pattern), Env({"v": value})) is expected


@pytest.mark.parametrize(
    ("text", "valid"),
    [
        ("2016-03-14T01:59:00Z", True),
        ("2016-03-14T01:59:00.123456789Z", True),
        ("2016-03-14T01:59:00+01:00", True),
        ("2016-03-14t01:59:00z", True),
        ("2016-03-14T01:59Z", True),
        ("2016-12-05T21:29:29", False),  # recorded invalid for Wait: no offset
        ("2016-12-05 21:29:29Z", False),  # recorded invalid: no T
        ("05-12-2016T21:29:29Z", False),  # recorded invalid
        ("2016-13-05T21:29:29Z", False),  # recorded invalid: month 13
        ("2016-12-05T25:29:29Z", False),  # recorded invalid: hour 25
        ("2023-02-24 12:15:56.832957", False),  # recorded false for TimestampEquals
        ("2023-02-24", False),
        ("2016-02-30T00:00:00Z", False),
        (5, False),
    ],
)
def test_timestamp_parsing(text: Any, valid: bool) -> None:
    assert (parse_timestamp(text) is not None) is valid
    assert evaluate(_rule("IsTimestamp", True), Env({"v": text})) is valid


def test_timestamp_comparisons_use_instants() -> None:
    env = Env({"v": "2020-01-01T01:00:00+01:00", "w": "2020-01-01T00:00:00.5Z"})
    assert evaluate(_rule("TimestampEquals", "2020-01-01T00:00:00Z"), env)
    assert evaluate(_rule("TimestampLessThan", "2020-01-01T00:00:00.000000001Z"), env)
    assert evaluate(_rule("TimestampGreaterThanPath", "$.v", "$.w"), env)
    assert evaluate(_rule("TimestampLessThanEqualsPath", "$.w", "$.v"), env) is True
    assert evaluate(_rule("TimestampLessThanEqualsPath", "$.v", "$.w"), env) is False
    assert evaluate(_rule("TimestampEquals", "not a timestamp"), env) is False


def test_string_order_is_java_utf16() -> None:
    # U+FF5E sorts after U+1F600 in UTF-16 (surrogates are 0xD83D...) but before it by code point
    env = Env({"v": "\uff5e"})
    assert evaluate(_rule("StringGreaterThan", "\U0001f600"), env) is True


@pytest.mark.parametrize(
    ("operator", "operand", "value", "expected"),
    [
        ("NumericEquals", 1, 1.0, True),
        ("NumericEquals", 1, True, False),
        ("NumericGreaterThanEquals", -1.5, -1.5, True),
        ("NumericLessThan", 10, "5", False),
        ("BooleanEquals", True, 1, False),
        ("BooleanEquals", False, False, True),
        ("StringEquals", "1", 1, False),
        ("IsNull", True, None, True),
        ("IsNumeric", True, False, False),
        ("IsBoolean", True, False, True),
        ("IsString", False, 1, True),
    ],
)
def test_operators_and_types(operator: str, operand: Any, value: Any, expected: bool) -> None:
    assert evaluate(_rule(operator, operand), Env({"v": value})) is expected


def test_and_or_not() -> None:
    env = Env({"a": 1, "s": "x"})
    yes = _rule("NumericEquals", 1, "$.a")
    no = _rule("StringEquals", "y", "$.s")
    assert evaluate({"And": [yes, {"Not": no}], "Next": "X"}, env)
    assert not evaluate({"And": [yes, no]}, env)
    assert evaluate({"Or": [no, yes]}, env)
    assert not evaluate({"Or": [no, {"Not": yes}]}, env)
    assert evaluate({"Not": {"Or": [no]}}, env)


def test_variable_from_context_and_variables() -> None:
    env = Env({}, {"Execution": {"Input": {"n": 0}}}, {"answer": 42, "cfg": {"name": "a"}})
    assert evaluate(_rule("NumericLessThanEquals", 0, "$$.Execution.Input.n"), env)
    assert evaluate(_rule("NumericEquals", 42, "$answer"), env)
    assert evaluate(_rule("StringEqualsPath", "$cfg.name", "$cfg.name"), env)
    assert evaluate(_rule("IsPresent", False, "$missing"), env)


def test_is_present() -> None:
    env = Env({"v": None, "l": []})
    assert evaluate(_rule("IsPresent", True), env)
    assert evaluate(_rule("IsPresent", False, "$.w"), env)
    assert evaluate(_rule("IsPresent", False, "$.w.x.y"), env)
    assert evaluate(_rule("IsPresent", True, "$.l[*]"), env)  # an indefinite path always yields a list


@pytest.mark.parametrize(
    "rule",
    [
        {"Variable": "$.missing", "NumericEquals": 1},
        {"Variable": "$.missing", "IsNull": True},
        {"Variable": "$.v", "NumericEqualsPath": "$.missing"},
        {"Variable": "$.v.deep", "StringEquals": "x"},
        {"Variable": "$nope", "StringEquals": "x"},
    ],
)
def test_missing_paths_fail_with_runtime(rule: dict[str, Any]) -> None:
    with pytest.raises(StatesError) as caught:
        evaluate(rule, Env({"v": 1}), Where("Choice", 2))
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause.startswith(
        "An error occurred while executing the state 'Choice' (entered at the event id #2). "
    )
    assert "Invalid path '$" in caught.value.cause


def test_indefinite_variable_is_a_list() -> None:
    env = Env({"items": [{"a": 1}]})
    assert evaluate(_rule("NumericEquals", 1, "$.items[*].a"), env) is False


# ---------------------------------------------------------------------------------- properties

NUMBERS = st.one_of(st.integers(-(10**9), 10**9), st.floats(allow_nan=False, allow_infinity=False, width=32))
ANY = st.one_of(st.none(), st.booleans(), NUMBERS, st.text(max_size=5), st.lists(st.integers(), max_size=2))


@given(NUMBERS, NUMBERS)
def test_numeric_operators_agree_with_arithmetic(a: float, b: float) -> None:
    env = Env({"v": a, "w": b})
    assert evaluate(_rule("NumericLessThan", b), env) is (a < b)
    assert evaluate(_rule("NumericGreaterThanEqualsPath", "$.w"), env) is (a >= b)
    assert evaluate(_rule("NumericEquals", b), env) is (a == b)


@given(
    st.text(alphabet="ab*\\", max_size=6).filter(lambda s: "*" not in s and "\\" not in s),
    st.text(max_size=6),
)
def test_string_matches_without_wildcards_is_equality(pattern: str, value: str) -> None:
    assert evaluate(_rule("StringMatches", pattern), Env({"v": value})) is (pattern == value)


@given(
    st.sampled_from(["StringEquals", "NumericGreaterThan", "BooleanEquals", "TimestampLessThan", "IsString"]),
    ANY,
    ANY,
)
def test_not_inverts_and_wrong_types_are_false(operator: str, value: Any, operand: Any) -> None:
    rule = _rule(operator, operand if not operator.startswith("Is") else bool(operand))
    env = Env({"v": value})
    try:
        result = evaluate(rule, env)
    except StatesError:
        return
    assert evaluate({"Not": rule}, env) is (not result)
