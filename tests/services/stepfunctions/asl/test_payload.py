"""JSONPath-mode data flow: InputPath, templates, ResultPath, OutputPath and their causes."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.payload import (
    Where,
    apply_input_path,
    apply_output_path,
    apply_result_path,
    render,
)

from .recorded import executions

BASE = "v2/base/test_base.snapshot.json"
SCENARIOS = "v2/scenarios/test_base_scenarios.snapshot.json"
CONTEXT = "v2/context_object/test_context_object.snapshot.json"


def _pass(state: dict[str, Any], env: Env, where: Where | None = None) -> Any:
    """A Pass state's data flow in JSONPath mode (the order the interpreter applies)."""
    effective = apply_input_path(state.get("InputPath", "$"), env, where)
    result = effective
    if "Parameters" in state:
        result = render(state["Parameters"], Env(effective, env.context, env.variables), "Parameters", where)
    merged = apply_result_path(state.get("ResultPath", "$"), env.input, result, where)
    return apply_output_path(state.get("OutputPath", "$"), merged, env, where)


# ---------------------------------------------------------------------------------- recorded


def test_recorded_null_input_and_output_paths() -> None:
    (run,) = executions(BASE, "test_state_pass_result_null_input_output_paths")
    states = {
        "State0": {"Parameters": {"Arg1": "argument1", "FromInput.$": "$"}},
        "State1": {"InputPath": None, "Parameters": {"Arg2": "argument2", "FromInput.$": "$"}},
        "State2": {"OutputPath": None},
    }
    value = run.input
    for name, state in states.items():
        value = _pass(state, Env(value))
        assert value == run.states[name], name


def test_recorded_context_object_values() -> None:
    (run,) = executions(BASE, "test_query_context_object_values")
    context = run.states["QueryValues1"]["query_values_1"]["context_object"]
    parameters = {
        "context_object.$": "$$",
        "execution.$": "$$.Execution",
        "execution_id.$": "$$.Execution.Id",
        "execution_input.$": "$$.Execution.Input",
        "execution_name.$": "$$.Execution.Name",
        "execution_rolearn.$": "$$.Execution.RoleArn",
        "execution_starttime.$": "$$.Execution.StartTime",
        "state.$": "$$.State",
        "state_enteredtime.$": "$$.State.EnteredTime",
        "state_name.$": "$$.State.Name",
        "statemachine.$": "$$.StateMachine",
        "statemachine_id.$": "$$.StateMachine.Id",
        "statemachine_name.$": "$$.StateMachine.Name",
    }
    state = {"Parameters": parameters, "ResultPath": "$.query_values_1"}
    assert _pass(state, Env(run.input, context)) == run.states["QueryValues1"]


def test_recorded_filter_in_parameters() -> None:
    (run,) = executions(BASE, "test_state_pass_regex_json_path_base")
    assert _pass({"Parameters": {"FromInput.$": "$.users[?(@.status == 0)]"}}, Env(run.input)) == run.output


@pytest.mark.parametrize("path", ["$$", "$$.Execution.Input"])
def test_recorded_context_paths_in_input_and_output_path(path: str) -> None:
    for kind in ("input", "output"):
        (run,) = executions(CONTEXT, f"test_{kind}_path[{path}]")
        context = run.output if path == "$$" else {"Execution": {"Input": run.input}}
        state = {"InputPath": path} if kind == "input" else {"OutputPath": path}
        assert _pass(state, Env(run.input, context)) == run.output


def test_recorded_json_merge_with_result_and_output_path() -> None:
    (run,) = executions(
        "v2/intrinsic_functions/test_json_manipulation.snapshot.json", "test_json_merge_escaped_argument"
    )
    state = {
        "ResultPath": "$.result_path",
        "Parameters": {
            "merged.$": 'States.JsonMerge(States.StringToJson(\'{"constant_in_literal": "false"}\'), '
            "$$.Execution.Input.input_field, false)"
        },
        "OutputPath": "$.result_path.merged",
    }
    assert _pass(state, Env(run.input, {"Execution": {"Input": run.input}})) == run.output


def test_recorded_string_literals_are_copied() -> None:
    (run,) = executions(SCENARIOS, "test_escape_sequence_parsing[ESCAPE_SEQUENCES_STRING_LITERALS]")
    literals = run.states["TestEscapesParameters"]
    assert render(copy.deepcopy(literals), Env(run.input)) == literals


@pytest.mark.parametrize(
    ("test", "state"),
    [
        ("test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_INPUTPATH]", {"InputPath": "$.NoSuchInputPath"}),
        ("test_invalid_jsonpath[ST.INVALID_JSONPATH_IN_OUTPUTPATH]", {"OutputPath": "$.NoSuchOutputPath"}),
        (
            "test_invalid_jsonpath[INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH]",
            {"Parameters": {"value.$": "$.no_such_jsonpath"}},
        ),
        (
            "test_invalid_jsonpath[INVALID_JSONPATH_IN_STRING_EXPR_CONTEXTPATH]",
            {"Parameters": {"value.$": "$$.Execution.Input.no_such_jsonpath"}},
        ),
    ],
)
def test_recorded_path_failure_causes(test: str, state: dict[str, Any]) -> None:
    (run,) = executions(SCENARIOS, test)
    with pytest.raises(StatesError) as caught:
        _pass(state, Env(run.input, {"Execution": {"Input": run.input}}), Where("pass", 2))
    assert caught.value.error == run.error
    # the recording replaced the input's JSON text with a placeholder
    expected = re.escape(run.cause).replace(re.escape("<json-input:1>"), ".+")
    assert re.fullmatch(expected, caught.value.cause), caught.value.cause


def test_recorded_output_path_missing_intermediate_property() -> None:
    (run,) = executions(SCENARIOS, "test_catch_states_runtime")
    with pytest.raises(StatesError) as caught:
        apply_output_path("$.no.such.result.path", {}, Env({}), Where("RaiseRuntime", 2))
    assert (caught.value.error, caught.value.cause) == (run.error, run.cause)


# ---------------------------------------------------------------------------------- behaviour


def test_render_nested_objects_arrays_and_variables() -> None:
    env = Env({"a": {"b": [1, 2]}}, {"State": {"Name": "S"}}, {"limit": 3, "cfg": {"k": "v"}})
    template = {
        "plain": {"x.$": "not rendered: the value is not a string template", "n": 1},
        "nested": {"b.$": "$.a.b[-1]", "list": [{"s.$": "$$.State.Name"}, 5, "$.literal"]},
        "var.$": "$limit",
        "varpath.$": "$cfg.k",
        "fn.$": "States.Format('{}-{}', $.a.b[0], $cfg.k)",
        "all.$": "$",
        "number": 1.5,
    }
    template["plain"]["x.$"] = 7  # a non-string under a .$ key is copied as is
    assert render(template, env) == {
        "plain": {"x.$": 7, "n": 1},
        "nested": {"b": 2, "list": [{"s": "S"}, 5, "$.literal"]},
        "var": 3,
        "varpath": "v",
        "fn": "1-v",
        "all": {"a": {"b": [1, 2]}},
        "number": 1.5,
    }


def test_render_does_not_share_template_objects() -> None:
    template = {"k": {"inner": [1]}}
    out = render(template, Env({}))
    out["k"]["inner"].append(2)
    assert template == {"k": {"inner": [1]}}


def test_render_indefinite_path_on_missing_is_empty_list() -> None:
    assert render({"v.$": "$.items[*].id"}, Env({})) == {"v": []}


def test_render_missing_intrinsic_argument_names_the_path() -> None:
    with pytest.raises(StatesError) as caught:
        render({"v.$": "States.Array($.missing)"}, Env({"a": 1}), where=Where("S", 4))
    assert caught.value.error == "States.Runtime"
    assert caught.value.cause == (
        "An error occurred while executing the state 'S' (entered at the event id #4). "
        """The JSONPath '$.missing' specified for the field 'v.$' could not be found in the input '{"a":1}'"""
    )


def test_render_intrinsic_failure() -> None:
    with pytest.raises(StatesError) as caught:
        render({"v.$": "States.ArrayLength($.a)"}, Env({"a": 1}))
    assert caught.value.error == "States.IntrinsicFailure"


def test_render_missing_variable() -> None:
    with pytest.raises(StatesError) as caught:
        render({"v.$": "$nope"}, Env({}))
    assert caught.value.error == "States.Runtime"


def test_input_path() -> None:
    env = Env({"a": {"b": 1}}, {"Execution": {"Id": "x"}}, {"v": [1, 2]})
    assert apply_input_path("$", env) == {"a": {"b": 1}}
    assert apply_input_path("$.a", env) == {"b": 1}
    assert apply_input_path(None, env) == {}
    assert apply_input_path("$$.Execution.Id", env) == "x"
    assert apply_input_path("$v[1]", env) == 2
    with pytest.raises(StatesError) as caught:
        apply_input_path("$.a.c", env, Where("S", 2))
    assert caught.value.cause.endswith("Invalid path '$.a.c' : No results for path: $['a']['c']")


def test_result_path() -> None:
    raw = {"a": 1}
    assert apply_result_path(None, raw, {"r": 1}) == raw
    assert apply_result_path("$", raw, {"r": 1}) == {"r": 1}
    assert apply_result_path("$.x.y", raw, 5) == {"a": 1, "x": {"y": 5}}
    assert apply_result_path("$.a", raw, 5) == {"a": 5}
    assert raw == {"a": 1}


@pytest.mark.parametrize(("raw", "path"), [("text", "$.r"), ({"a": 1}, "$.a.b"), ([1], "$.r")])
def test_result_path_match_failure(raw: Any, path: str) -> None:
    with pytest.raises(StatesError) as caught:
        apply_result_path(path, raw, 1)
    assert caught.value.error == "States.ResultPathMatchFailure"
    assert (
        caught.value.cause
        == f"Unable to apply ReferencePath {path} to input {json.dumps(raw, separators=(',', ':'))}"
    )


def test_output_path() -> None:
    env = Env({"ignored": True}, {"State": {"Name": "S"}}, {"answer": 42})
    assert apply_output_path(None, {"a": 1}, env) == {}
    assert apply_output_path("$", {"a": 1}, env) == {"a": 1}
    assert apply_output_path("$.a", {"a": 1}, env) == 1
    assert apply_output_path("$answer", {"a": 1}, env) == 42
    assert apply_output_path("$$.State.Name", {"a": 1}, env) == "S"
    assert apply_output_path("$.[?(@.year < 1999)].name", [{"year": 1998, "name": "n"}], env) == ["n"]
    with pytest.raises(StatesError) as caught:
        apply_output_path("$.b", {"a": 1}, env, Where("P", 2))
    assert caught.value.cause == (
        "An error occurred while executing the state 'P' (entered at the event id #2). "
        "Invalid path '$.b' : No results for path: $['b']"
    )


KEYS = st.from_regex(r"[a-z]{1,5}", fullmatch=True)
JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(KEYS, c, max_size=3),
    max_leaves=8,
)
PLAIN = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5).filter(lambda s: not s.endswith(".$")),
    lambda c: st.lists(c, max_size=3) | st.dictionaries(KEYS, c, max_size=3),
    max_leaves=8,
)


@given(PLAIN, JSON)
def test_templates_without_dollar_keys_are_copied(template: Any, data: Any) -> None:
    assert render(template, Env(data)) == template


@given(st.dictionaries(KEYS, JSON, min_size=1), JSON)
def test_result_path_then_output_path_returns_the_result(data: dict[str, Any], result: Any) -> None:
    merged = apply_result_path("$.new_.out", data, result)
    assert apply_output_path("$.new_.out", merged, Env(data)) == result
    assert {k: v for k, v in merged.items() if k != "new_"} == data
