"""The States.* intrinsic functions: AWS's recorded results, argument checks, properties."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.intrinsics import FUNCTIONS, evaluate, is_intrinsic, parse
from cloudlet.services.stepfunctions.asl.jsonpath import PathNotFound

from .recorded import executions

SNAPSHOTS = "v2/intrinsic_functions/test_{}.snapshot.json"

# (snapshot, recorded test, the template's "FunctionResult.$" expression)
RECORDED = [
    ("array", "test_array_0", "States.Array()"),
    ("array", "test_array_2", "States.Array($.FunctionInput.fst, $.FunctionInput.snd)"),
    ("array", "test_array_partition", "States.ArrayPartition($.FunctionInput.fst, $.FunctionInput.snd)"),
    ("array", "test_array_contains", "States.ArrayContains($.FunctionInput.fst, $.FunctionInput.snd)"),
    (
        "array",
        "test_array_range",
        "States.ArrayRange($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
    ),
    ("array", "test_array_get_item", "States.ArrayGetItem($.FunctionInput.fst, $.FunctionInput.snd)"),
    ("array", "test_array_length", "States.ArrayLength($.FunctionInput)"),
    ("encode_decode", "test_base_64_encode", "States.Base64Encode($.FunctionInput)"),
    ("encode_decode", "test_base_64_decode", "States.Base64Decode($.FunctionInput)"),
    ("generic", "test_format_1", "States.Format('Formatting argument {}.', $.FunctionInput)"),
    (
        "generic",
        "test_format_2",
        "States.Format('Formatting arguments fst={} and snd={}.', $.FunctionInput.fst, $.FunctionInput.snd)",
    ),
    ("hash_calculations", "test_hash", "States.Hash($.FunctionInput.fst, $.FunctionInput.snd)"),
    ("json_manipulation", "test_string_to_json", "States.StringToJson($.FunctionInput)"),
    ("json_manipulation", "test_json_to_string", "States.JsonToString($.FunctionInput)"),
    (
        "json_manipulation",
        "test_json_merge",
        "States.JsonMerge($.FunctionInput.fst, $.FunctionInput.snd, false)",
    ),
    ("math_operations", "test_math_add", "States.MathAdd($.FunctionInput.fst, $.FunctionInput.snd)"),
    (
        "string_operations",
        "test_string_split",
        "States.StringSplit($.FunctionInput.fst, $.FunctionInput.snd)",
    ),
]


def _cases() -> list[Any]:
    return [pytest.param(snap, test, expr, id=test) for snap, test, expr in RECORDED]


@pytest.mark.parametrize(("snapshot", "test", "expression"), _cases())
def test_recorded_results(snapshot: str, test: str, expression: str) -> None:
    runs = executions(SNAPSHOTS.format(snapshot), test)
    assert runs
    for run in runs:
        assert {"FunctionResult": evaluate(expression, Env(input=run.input))} == run.output, run.input


def test_recorded_format_with_context_object() -> None:
    (run,) = executions(SNAPSHOTS.format("generic"), "test_context_json_path")
    context = {
        "Execution": {"Name": "<ExecArnPart_0idx>"},
        "StateMachine": {
            "Id": "arn:<partition>:states:<region>:111111111111:stateMachine:<ArnPart_0idx>",
            "Name": "<ArnPart_0idx>",
        },
    }
    expression = (
        "States.Format('Formatting arguments fst={} and snd={}.', $$.Execution.Name, $$.StateMachine)"
    )
    assert {"FunctionResult": evaluate(expression, Env(input=run.input, context=context))} == run.output


def test_recorded_escape_sequence() -> None:
    (run,) = executions(SNAPSHOTS.format("generic"), "test_escape_sequence")
    assert {
        "FunctionResult": evaluate("States.StringSplit('Hello\nWorld', '\n')", Env(input=None))
    } == run.output


def test_recorded_string_split_context_object() -> None:
    (run,) = executions(SNAPSHOTS.format("string_operations"), "test_string_split_context_object")
    env = Env(input=run.input, context={"Execution": {"Input": run.input}})
    result = evaluate("States.StringSplit($$.Execution.Input.FunctionInput, ',')", env)
    assert {"FunctionResult": result} == run.output


def test_recorded_json_merge_escaped_argument() -> None:
    (run,) = executions(SNAPSHOTS.format("json_manipulation"), "test_json_merge_escaped_argument")
    expression = (
        'States.JsonMerge(States.StringToJson(\'{"constant_in_literal": "false"}\'), '
        "$$.Execution.Input.input_field, false)"
    )
    env = Env(input=run.input, context={"Execution": {"Input": run.input}})
    assert evaluate(expression, env) == run.output


@pytest.mark.parametrize(
    ("test", "expression"),
    [
        ("test_math_random", "States.MathRandom($.FunctionInput.fst, $.FunctionInput.snd)"),
        (
            "test_math_random_seeded",
            "States.MathRandom($.FunctionInput.fst, $.FunctionInput.snd, $.FunctionInput.trd)",
        ),
    ],
)
def test_recorded_math_random_in_range(test: str, expression: str) -> None:
    for run in executions(SNAPSHOTS.format("math_operations"), test):
        fst, snd = run.input["FunctionInput"]["fst"], run.input["FunctionInput"]["snd"]
        for _ in range(20):
            value = evaluate(expression, Env(input=run.input))
            assert isinstance(value, int)
            assert round(fst) <= value <= round(snd)


def test_math_random_seeded_is_deterministic() -> None:
    env = Env(input={})
    assert evaluate("States.MathRandom(0, 999, 3)", env) == evaluate("States.MathRandom(0, 999, 3)", env)


def test_uuid_is_v4() -> None:
    value = evaluate("States.UUID()", Env(input={}))
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value)


def test_nested_calls() -> None:
    env = Env(input={}, context={"StateMachine": {"Name": "first-second-third"}})
    assert evaluate("States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), 0)", env) == "first"
    last = (
        "States.ArrayGetItem(States.StringSplit($$.StateMachine.Name, '-'), "
        "States.MathAdd(States.ArrayLength(States.StringSplit($$.StateMachine.Name, '-')), -1))"
    )
    assert evaluate(last, env) == "third"


def test_variables_and_filters_as_arguments() -> None:
    env = Env(input={"users": [{"y": 1}, {"y": 3}]}, variables={"limit": {"n": [2]}, "x": 5})
    assert evaluate("States.Array($limit.n[0], $x)", env) == [2, 5]
    assert evaluate("States.JsonToString($.users[?(@.y > 2)])", env) == '[{"y":3}]'
    assert evaluate("States.ArrayLength($.users[*])", env) == 2


def test_string_literal_escapes() -> None:
    env = Env(input={})
    assert evaluate(r"States.Format('\{\} {} it\'s \\', 'x')", env) == "{} x it's \\"
    assert evaluate("States.Format('{}{}', true, null)", env) == "truenull"
    assert evaluate("States.Format('{}', 1.0)", env) == "1.0"
    assert evaluate("States.Array('a', 1, -2.5, true, false, null)", env) == ["a", 1, -2.5, True, False, None]


@pytest.mark.parametrize(
    "text",
    [
        "States.Array()",
        "States.Format('x')",
        " States.UUID() ",
        "States.Array( $.a , 'b' )",
        "States.JsonToString($.[?(@.year <= 1998)])",
        "States.Format('{}', $$.Execution.Id)",
    ],
)
def test_is_intrinsic(text: str) -> None:
    assert is_intrinsic(text)


@pytest.mark.parametrize(
    "text",
    [
        "$.a",
        "States.Nope()",
        "States.Array(",
        "States.Array() x",
        "States.Format('unterminated)",
        "States.Format('a', )",
        "States.Array($.a[)",
        "States.Array(abc)",
        # AWS rejects \" inside an intrinsic's string literal (recorded SCHEMA_VALIDATION_FAILED)
        'States.StringToJson(\'{"text":"An \\"escaped double quote\\" here"}\')',
        "States.Format('He said, \\\"Hello, {}!\\\"', 'Test \\\"Name\\\" Here')",
        None,
        "States." + "Array(" * 11 + ")" * 11,
    ],
)
def test_is_not_intrinsic(text: Any) -> None:
    assert not is_intrinsic(text)


def test_parse_is_cached() -> None:
    assert parse("States.Array(1)") is parse("States.Array(1)")


@pytest.mark.parametrize(
    ("expression", "data"),
    [
        ("States.Format('{} {}', 'a')", {}),
        ("States.Format($.n)", {"n": 1}),
        ("States.StringToJson('{bad')", {}),
        ("States.StringToJson(1)", {}),
        ("States.StringToJson('NaN')", {}),
        ("States.JsonToString()", {}),
        ("States.ArrayPartition($.a, 0)", {"a": [1]}),
        ("States.ArrayPartition($.a, 1.5)", {"a": [1]}),
        ("States.ArrayPartition('x', 1)", {}),
        ("States.ArrayContains(1, 1)", {}),
        ("States.ArrayRange(0, 10, 0)", {}),
        ("States.ArrayRange(0, 1000, 1)", {}),
        ("States.ArrayRange(0, 'x', 1)", {}),
        ("States.ArrayGetItem($.a, 5)", {"a": [1]}),
        ("States.ArrayGetItem($.a, -1)", {"a": [1]}),
        ("States.ArrayLength('x')", {}),
        ("States.ArrayUnique($.a)", {"a": {}}),
        ("States.Base64Encode($.s)", {"s": "x" * 10_001}),
        ("States.Base64Encode(1)", {}),
        ("States.Base64Decode('!!!')", {}),
        ("States.Base64Decode($.s)", {"s": "A" * 10_004}),
        ("States.Hash('x', 'SHA-2')", {}),
        ("States.Hash($.s, 'MD5')", {"s": "x" * 10_001}),
        ("States.JsonMerge($.a, $.a, true)", {"a": {}}),
        ("States.JsonMerge($.a, 1, false)", {"a": {}}),
        ("States.MathRandom(5, 1)", {}),
        ("States.MathAdd('1', 2)", {}),
        ("States.MathAdd(true, 2)", {}),
        ("States.StringSplit(1, ',')", {}),
        ("States.UUID(1)", {}),
    ],
)
def test_bad_arguments_fail_with_intrinsic_failure(expression: str, data: Any) -> None:
    with pytest.raises(StatesError) as caught:
        evaluate(expression, Env(input=data))
    assert caught.value.error == "States.IntrinsicFailure"
    assert caught.value.cause


def test_limits_at_the_boundary() -> None:
    env = Env(input={"s": "x" * 10_000})
    assert len(evaluate("States.ArrayRange(1, 1000, 1)", env)) == 1000
    assert evaluate("States.Hash($.s, 'MD5')", env)
    assert evaluate("States.Base64Encode($.s)", env)
    assert evaluate("States.ArrayRange(10, 0, -3)", env) == [10, 7, 4, 1]
    assert evaluate("States.ArrayRange(5, 0, 1)", env) == []


def test_missing_path_argument_raises_path_not_found() -> None:
    with pytest.raises(PathNotFound):
        evaluate("States.Array($.missing)", Env(input={}))
    with pytest.raises(PathNotFound):
        evaluate("States.Array($nope)", Env(input={}))


def test_array_unique_by_json_value() -> None:
    data = [None, None, True, 1, 1, 1.0, "1", [], [], {"a": 1, "b": 2}, {"b": 2, "a": 1}]
    assert evaluate("States.ArrayUnique($)", Env(input=data)) == [
        None,
        True,
        1,
        1.0,
        "1",
        [],
        {"a": 1, "b": 2},
    ]


def test_every_documented_function_exists() -> None:
    documented = (
        "Format StringToJson JsonToString Array ArrayPartition ArrayContains ArrayRange ArrayGetItem "
        "ArrayLength ArrayUnique Base64Encode Base64Decode Hash JsonMerge MathRandom MathAdd StringSplit UUID"
    )
    assert set(documented.split()) == set(FUNCTIONS)


# ---------------------------------------------------------------------------------- properties

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**6), 10**6) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",))),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=5), children, max_size=4),
    max_leaves=12,
)  # fmt: skip
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=200)


@given(st.lists(JSON, max_size=20), st.integers(1, 25))
def test_array_partition_then_flatten_is_identity(items: list[Any], size: int) -> None:
    chunks = evaluate("States.ArrayPartition($.a, $.n)", Env(input={"a": items, "n": size}))
    assert [x for chunk in chunks for x in chunk] == items
    assert all(len(c) == size for c in chunks[:-1])
    assert not chunks or 1 <= len(chunks[-1]) <= size


@given(TEXT)
def test_base64_round_trip(text: str) -> None:
    env = Env(input={"s": text})
    encoded = evaluate("States.Base64Encode($.s)", env)
    assert base64.b64decode(encoded).decode() == text
    assert evaluate("States.Base64Decode(States.Base64Encode($.s))", env) == text


@given(JSON)
def test_json_string_round_trip(value: Any) -> None:
    env = Env(input={"v": value})
    text = evaluate("States.JsonToString($.v)", env)
    assert json.loads(text) == value
    assert evaluate("States.StringToJson(States.JsonToString($.v))", env) == value


@given(
    st.lists(st.one_of(st.integers(0, 3), st.sampled_from(["a", "b"]), st.booleans(), st.none()), max_size=20)
)
def test_array_unique_keeps_first_occurrences(items: list[Any]) -> None:
    result = evaluate("States.ArrayUnique($)", Env(input=items))
    keys = [json.dumps(x) for x in result]
    assert len(keys) == len(set(keys))
    expected, seen = [], set()
    for item in items:
        if json.dumps(item) not in seen:
            seen.add(json.dumps(item))
            expected.append(item)
    assert [json.dumps(x) for x in result] == [json.dumps(x) for x in expected]


@given(st.lists(JSON, max_size=10), JSON)
def test_array_contains_agrees_with_membership(items: list[Any], probe: Any) -> None:
    found = evaluate("States.ArrayContains($.a, $.p)", Env(input={"a": items, "p": probe}))
    assert found == any(json.dumps(i, sort_keys=True) == json.dumps(probe, sort_keys=True) for i in items)


LITERALS = st.one_of(
    st.integers(-5, 5).map(str),
    st.sampled_from(
        ["true", "false", "null", "1.5", "-0", "'a,b'", "''", "'{}'", "'MD5'", "'[1]'", "'{\"a\":1}'"]
    ),
)


@settings(max_examples=400)
@given(st.sampled_from(sorted(FUNCTIONS)), st.lists(st.one_of(LITERALS, st.just("$.v")), max_size=4), JSON)
def test_random_arguments_raise_only_states_errors(name: str, args: list[str], value: Any) -> None:
    expression = f"States.{name}({', '.join(args)})"
    try:
        evaluate(expression, Env(input={"v": value}))
    except StatesError:
        pass
