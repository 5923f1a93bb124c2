"""Variables: Assign in both query languages, scopes, names and limits, against AWS's recordings."""

from __future__ import annotations

import re
from typing import Any

import pytest

from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import (
    DATA_LIMIT_EXCEEDED,
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    StatesError,
)
from cloudlet.services.stepfunctions.asl.payload import Where
from cloudlet.services.stepfunctions.asl.variables import (
    JSONATA,
    JSONPATH,
    MAX_ASSIGN_BYTES,
    MAX_TOTAL_BYTES,
    MAX_VARIABLE_BYTES,
    Scope,
    assign,
    name_problem,
    size_of,
)

from .recorded_events import runs

BASE = "v2/assign/test_assign_base.snapshot.json"
REFS = "v2/assign/test_assign_reference_variables.snapshot.json"
MIXED = "v2/query_language/test_mixed_query_language.snapshot.json"
ARGUMENTS = "v2/arguments/test_arguments.snapshot.json"
ERROR_OUTPUT = "v2/states_variables/test_error_output.snapshot.json"

# templates/assign/statemachines/base_var.json5, State0's Assign
CONSTANT_LIST = [
    None,
    0,
    0.1,
    True,
    "$.no.such.path",
    "$varname",
    "{% $varname %}",
    "$$",
    "States.Format('{}', $varname)",
    [],
    {"constant": 0},
]
CONSTANTS = {
    "constant_null": None,
    "constant_int": 0,
    "constant_float": 0.1,
    "constant_bool": True,
    "constant_str": "constant string",
    "constant_str_path_root": "$",
    "constant_str_path": "$.no.such.path",
    "constant_str_contextpath_root": "$$",
    "constant_str_contextpath": "$$.Execution.Id",
    "constant_str_var": "$noSuchVar",
    "constant_str_var_expr": "$noSuchVar.noSuchMember",
    "constant_str_intrinsic_func": "States.Format('Format Func {}', $varname)",
    "constant_str_jsonata_expr": "{% $varname.varfield %}",
    "constant_lst_empty": [],
    "constant_lst": CONSTANT_LIST,
    "constant_obj_empty": {},
    "constant_obj": {
        "in_obj_constant_null": None,
        "in_obj_constant_int": 0,
        "in_obj_constant_float": 0.1,
        "in_obj_constant_bool": True,
        "in_obj_constant_str": "constant string",
        "in_obj_constant_str_path_root": "$",
        "in_obj_constant_str_path": "$.no.such.path",
        "in_obj_constant_str_contextpath_root": "$$",
        "in_obj_constant_str_contextpath": "$$.Execution.Id",
        "in_obj_constant_str_var": "$noSuchVar",
        "in_obj_constant_str_var_expr": "$noSuchVar.noSuchMember",
        "in_obj_constant_str_intrinsic_func": "States.Format('Format Func {}', $varname)",
        "in_obj_constant_str_jsonata_expr": "{% $varname.varfield %}",
        "in_obj_constant_lst_empty": [],
        "in_obj_constant_lst": CONSTANT_LIST,
        "in_obj_constant_obj_empty": {},
        "in_obj_constant_obj": {"constant": 0},
    },
}


def _fails(error: str, call: Any) -> StatesError:
    with pytest.raises(StatesError) as caught:
        call()
    assert caught.value.error == error
    return caught.value


# ------------------------------------------------------------------------------------ Scope


def test_scope_lookups_go_up_the_chain() -> None:
    outer = Scope({"x": 1, "y": 2})
    inner = outer.child()
    inner.set("y", 3)
    inner.set("z", None)
    assert inner["x"] == 1 and inner["y"] == 3 and inner["z"] is None
    assert "x" in inner and "z" in inner and "nope" not in inner
    assert dict(inner) == {"x": 1, "y": 3, "z": None} == inner.visible()
    assert len(inner) == 3
    assert inner.own == {"y": 3, "z": None}
    assert outer.visible() == {"x": 1, "y": 2}  # the inner assignments end with the inner scope
    with pytest.raises(KeyError):
        inner["nope"]


def test_scope_sizes() -> None:
    scope = Scope({"a": "xy", "b": [1, 2]})
    child = scope.child()
    child.set("c", {"k": None})
    assert scope.total_bytes() == size_of("xy") + size_of([1, 2]) == 4 + 5
    assert child.total_bytes() == 9 + len('{"k":null}')
    assert size_of("é") == 4  # UTF-8 bytes, quotes included


# ----------------------------------------------------------------------- recorded: JSONPath


def test_recorded_constants_and_paths_jsonpath() -> None:
    (run,) = runs(BASE, "test_base_cases[BASE_VAR]")
    scope = Scope()
    block = {"varname.$": "$.input_value", **CONSTANTS}
    assigned = assign(scope, block, Env(run.input), JSONPATH)
    assert assigned == run.exit("State0").assigned
    references = {
        "varname2": "varname2",
        **{f"varname{name}.$": f"${name}" for name in CONSTANTS},
        "varnameconstant_obj_access.$": "$constant_obj.in_obj_constant_lst",
    }
    assert assign(scope, references, Env(run.exit("State0").output), JSONPATH) == run.exit("State1").assigned


def test_recorded_constant_literals_only() -> None:
    (run,) = runs(BASE, "test_base_cases[BASE_CONSTANT_LITERALS]")
    assert assign(Scope(), CONSTANTS, Env(run.input), JSONPATH) == run.exit("State0").assigned


def test_recorded_paths_and_context() -> None:
    (run,) = runs(BASE, "test_base_cases[BASE_PATHS]")
    expected = run.exit("State0").assigned
    block = {
        "str_path_root.$": "$",
        "str_path.$": "$.input_value",
        "str_contextpath_root.$": "$$",
        "str_contextpath.$": "$$.Execution.Id",
        "str_intrinsic_func.$": "States.Format('Format Func {}', $.input_value)",
    }
    env = Env(run.input, context=expected["str_contextpath_root"])
    assert assign(Scope(), block, env, JSONPATH) == expected


def test_recorded_map_scope_reads_outer_variables() -> None:
    (run,) = runs(BASE, "test_base_cases[BASE_SCOPE_MAP]")
    root = Scope()
    assert assign(root, {"x": 42, "items": [1, 2, 3]}, Env(run.input)) == run.exit("State0").assigned
    inner = [e for e in run.exits if e.name == "Inner"]
    for item, recorded in zip(root["items"], inner, strict=True):
        iteration = root.child()
        assert assign(iteration, {"innerX.$": "$x"}, Env(item)) == recorded.assigned
    assert "innerX" not in root
    assert assign(root, {"final.$": "$x"}, Env([1, 2, 3])) == run.exit("State2").assigned


def test_recorded_parallel_branches_read_outer_variables() -> None:
    (run,) = runs(BASE, "test_base_parallel_cases[BASE_SCOPE_PARALLEL]")
    root = Scope()
    assign(root, {"x": 42}, Env(run.input))
    for branch in ("Branch1", "Branch21", "Branch31"):
        scope = root.child()
        assigned = assign(scope, {"innerX.$": "$x", "value.$": "$"}, Env({}))
        assert assigned == run.exit(branch).assigned
    assert root.visible() == {"x": 42}


def test_recorded_nested_map_scopes() -> None:
    (run,) = runs(REFS, "test_reference_assign[BASE_REFERENCE_IN_ITERATOR_OUTER_SCOPE]")
    root = Scope()
    assert assign(root, {"bias": 4.3}, Env({})) == run.exit("Input").assigned
    vectors = run.exit("Input").output
    sums = iter(e.assigned for e in run.exits if e.name == "Summate")
    for vector in vectors:
        level = root.child()
        block = {"xCurrent.$": "$[0]", "yCurrent.$": "$[1]", "zCurrent.$": "$[2]"}
        assign(level, block, Env(vector))
        for item in vector:
            summate = level.child()
            expression = (
                "States.MathAdd(States.MathAdd(States.MathAdd($yCurrent, $xCurrent), $zCurrent), $bias)"
            )
            assert assign(summate, {"Sum.$": expression}, Env(item)) == next(sums)


def test_recorded_block_sees_values_from_before_it() -> None:
    (run,) = runs(REFS, "test_assign_from_value[BASE_ASSIGN_FROM_PARAMETERS]")
    scope = Scope()
    assert assign(scope, {"result.$": "$.input"}, Env({"input": "PENDING"})) == run.exit("State0").assigned
    block = {"result": "SUCCESS", "originalResult.$": "$.input"}
    assert assign(scope, block, Env(run.exit("State0").output)) == run.exit("State1").assigned
    (mixed,) = runs(MIXED, "test_variable_sampling[JSONATA_ASSIGN_JSONPATH_REF]")
    scope = Scope()
    assign(scope, {"theAnswerVar": 42}, Env({}))
    block = {"theAnswerVar": 18, "oldAnswerVar.$": "$theAnswerVar"}
    assert assign(scope, block, Env({})) == mixed.exit("JSONPathState").assigned
    assert scope["theAnswerVar"] == 18


def test_recorded_intrinsics_in_nested_assign_values() -> None:
    (run,) = runs(REFS, "test_assign_from_value[BASE_ASSIGN_FROM_INTRINSIC_FUNCTION]")
    state = run.exit("State0")
    block = {
        "arrayOps": {
            "simpleArray.$": "States.Array('a', 'b', 'c')",
            "partitionedArray.$": "States.ArrayPartition($.inputArray, 2)",
            "containsElement.$": "States.ArrayContains($.inputArray, 5)",
            "numberRange.$": "States.ArrayRange(1, 10, 2)",
            "thirdElement.$": "States.ArrayGetItem($.inputArray, 2)",
            "arraySize.$": "States.ArrayLength($.inputArray)",
            "uniqueValues.$": "States.ArrayUnique($.duplicateArray)",
        },
        "encodingOps": {
            "encoded.$": "States.Base64Encode($.rawString)",
            "decoded.$": "States.Base64Decode($.encodedString)",
        },
        "hashOps": {"hashValue.$": "States.Hash($.inputString, 'SHA-256')"},
        "jsonOps": {
            "mergedJson.$": "States.JsonMerge($.json1, $.json2, false)",
            "parsedJson.$": "States.StringToJson($.jsonString)",
            "stringifiedJson.$": "States.JsonToString($.jsonObject)",
        },
        "mathOps": {"sum.$": "States.MathAdd($.value1, $.value2)"},
        "stringOps": {
            "splitString.$": "States.StringSplit($.csvString, ',')",
            "formattedString.$": "States.Format('Hello {}, welcome to {}!', $.name, $.place)",
        },
        "uuidOp": {"uniqueId.$": "States.UUID()"},
    }
    assigned = assign(Scope(), block, Env(state.output))
    assert re.fullmatch(r"[0-9a-f-]{36}", assigned.pop("uuidOp")["uniqueId"])
    expected = dict(state.assigned)
    expected.pop("uuidOp")
    assert assigned == expected


# ------------------------------------------------------------------------ recorded: JSONata


def test_recorded_jsonata_block_sees_values_from_before_it() -> None:
    (run,) = runs(MIXED, "test_variable_sampling[JSONPATH_ASSIGN_JSONATA_REF]")
    scope = Scope()
    assign(scope, {"theAnswer": 42}, Env({}), JSONATA)
    block = {"theAnswer": 18, "oldAnswer": "{% $theAnswer %}"}
    assert assign(scope, block, Env({}), JSONATA) == run.exit("JSONataState").assigned


def test_recorded_jsonata_assign_reads_input_and_variables() -> None:
    (run,) = runs(ARGUMENTS, "test_base_cases[BASE_LAMBDA_EXPRESSION]")
    init = run.exit("Init")
    scope = Scope(init.assigned)
    block = {
        "ja_var_access": "{% $var_input_value %}",
        "ja_expr": "{% $sum($states.input.input_values) + $var_constant_1 %}",
    }
    assigned = assign(scope, block, Env(init.output), JSONATA)
    assert assigned == run.exit("State0").assigned
    assert type(assigned["ja_expr"]) is int


def test_recorded_jsonata_undefined_value_fails() -> None:
    (run,) = runs(REFS, "test_undefined_reference[BASE_UNDEFINED_ASSIGN]")
    recorded = run.failure
    assert recorded is not None
    where = Where(recorded["state"], run.entered[recorded["state"]])
    scope = Scope()
    error = _fails(
        QUERY_EVALUATION_ERROR,
        lambda: assign(scope, {"result": "{% $doesNotExist %}"}, Env(run.input), JSONATA, where=where),
    )
    assert error.cause == recorded["cause"]
    assert scope.visible() == {}


def test_recorded_jsonata_assign_in_catch() -> None:
    (run,) = runs(ERROR_OUTPUT, "test_catch_error_variable_sampling[TASK_CATCH_ERROR_VARIABLE_SAMPLING]")
    task = run.exit("Task")
    env = Env(run.input, error_output=task.output, has_error_output=True)
    block = {"inputVar": "{% $states.input %}", "errorVar": "{% $states.errorOutput %}"}
    assert assign(Scope(), block, env, JSONATA) == task.assigned


def test_jsonata_mode_keeps_dollar_strings_literal_and_jsonpath_mode_keeps_expressions() -> None:
    scope = Scope({"v": 1})
    assert assign(scope, {"a": "$v", "b": "{% $v + 1 %}"}, Env({}), JSONATA) == {"a": "$v", "b": 2}
    assert assign(scope, {"c": "{% $v %}"}, Env({}), JSONPATH) == {"c": "{% $v %}"}


def test_jsonata_assign_uses_one_clock_value() -> None:
    block = {"a": "{% $millis() %}", "b": "{% $millis() %}"}
    assert assign(Scope(), block, Env({}), JSONATA, now=3.0) == {"a": 3000, "b": 3000}


def test_assign_ignores_variables_in_env_in_favour_of_the_scope() -> None:
    scope = Scope({"x": "scope"})
    assert assign(scope, {"y": "{% $x %}"}, Env({}, variables={"x": "env"}), JSONATA) == {"y": "scope"}


def test_a_failed_block_assigns_nothing() -> None:
    scope = Scope({"keep": 1})
    _fails(QUERY_EVALUATION_ERROR, lambda: assign(scope, {"a": 1, "b": "{% $nope %}"}, Env({}), JSONATA))
    assert scope.visible() == {"keep": 1}


# ------------------------------------------------------------------------- names and limits


@pytest.mark.parametrize("name", ["x", "camelCase", "snake_case_1", "_leading", "é", "名前", "a" * 80])
def test_valid_names(name: str) -> None:
    assert name_problem(name) is None
    assert assign(Scope(), {name: 1}, Env({}), JSONATA) == {name: 1}


@pytest.mark.parametrize("name", ["", "states", "1abc", "a-b", "a.b", "a b", "$a", "a" * 81, "x.$"])
def test_invalid_names(name: str) -> None:
    assert name_problem(name)
    scope = Scope()
    error = _fails(RUNTIME, lambda: assign(scope, {name: 1}, Env({}), JSONATA))
    assert f"'{name}'" in error.cause
    assert scope.visible() == {}


def test_variable_size_limit() -> None:
    biggest = "x" * (MAX_VARIABLE_BYTES - 2)  # with its quotes: exactly the limit
    assert assign(Scope(), {"a": biggest}, Env({}), JSONATA) == {"a": biggest}
    error = _fails(DATA_LIMIT_EXCEEDED, lambda: assign(Scope(), {"a": biggest + "x"}, Env({}), JSONATA))
    assert "'a'" in error.cause


def test_assign_block_size_limit() -> None:
    half = "x" * (MAX_ASSIGN_BYTES // 2)
    _fails(DATA_LIMIT_EXCEEDED, lambda: assign(Scope(), {"a": half, "b": half}, Env({}), JSONATA))


def test_total_size_limit_counts_enclosing_scopes_and_replacements() -> None:
    chunk = "x" * (MAX_VARIABLE_BYTES - 100)
    count = MAX_TOTAL_BYTES // size_of(chunk)
    root = Scope({f"v{index}": chunk for index in range(count)})
    assert MAX_TOTAL_BYTES - root.total_bytes() < size_of(chunk)
    assign(root, {"v1": chunk}, Env({}), JSONATA)  # a replacement does not grow the total
    inner = root.child()
    _fails(DATA_LIMIT_EXCEEDED, lambda: assign(inner, {"new": chunk}, Env({}), JSONATA))
    assign(inner, {"small": "y"}, Env({}), JSONATA)


def test_where_prefixes_causes() -> None:
    error = _fails(RUNTIME, lambda: assign(Scope(), {"states": 1}, Env({}), JSONATA, where=Where("S", 2)))
    assert error.cause.startswith(
        "An error occurred while executing the state 'S' (entered at the event id #2). "
    )
