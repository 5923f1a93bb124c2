"""JSONata mode: AWS's recorded results and causes, the added functions, JSON conversion."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import QUERY_EVALUATION_ERROR, StatesError
from cloudlet.services.stepfunctions.asl.jsonata import evaluate, expression_text, is_expression, render
from cloudlet.services.stepfunctions.asl.payload import Where

from .recorded_events import runs

OUTPUT = "v2/outputdecl/test_output.snapshot.json"
ARGUMENTS = "v2/arguments/test_arguments.snapshot.json"
ASSIGN_REFS = "v2/assign/test_assign_reference_variables.snapshot.json"
ERROR_OUTPUT = "v2/states_variables/test_error_output.snapshot.json"
INTRINSICS = "v2/intrinsic_functions/test_{}_jsonata.snapshot.json"
MIXED = "v2/query_language/test_mixed_query_language.snapshot.json"
EVALUATE = "v2/evaluate_jsonata/test_base_evaluate_expressions.snapshot.json"

NOT_JSONATA = " {% states.input %} "
LITERAL_LIST = [None, 0, 0.1, True, [], {"constant": 0}, NOT_JSONATA, "$states.input", "$no.such.var.path"]
# templates/outputdecl/statemachines/base_literals.json5 (Output)
LITERALS = {
    "constant_null": None,
    "constant_int": 0,
    "constant_float": 0.1,
    "constant_bool": True,
    "constant_str": "constant string",
    "constant_not_jsonata": NOT_JSONATA,
    "constant_varpath_states": "$states.input",
    "constant_varpath": "$no.such.var.path",
    "constant_jp_input": "$",
    "constant_jp_input.$": "$",
    "constant_jp_input_path": "$.input_value",
    "constant_jp_context": "$$",
    "constant_if": "States.Format('Format:{}', 101)",
    "constant_lst_empty": [],
    "constant_lst": LITERAL_LIST,
    "constant_obj_empty": {},
    "constant_obj": {
        "in_obj_constant_null": None,
        "in_obj_constant_int": 0,
        "in_obj_constant_float": 0.1,
        "in_obj_constant_bool": True,
        "in_obj_constant_str": "constant string",
        "in_obj_constant_not_jsonata": NOT_JSONATA,
        "in_obj_constant_lst_empty": [],
        "in_obj_constant_lst": LITERAL_LIST,
        "in_obj_constant_obj_empty": {},
        "in_obj_constant_obj": {"constant": 0},
    },
}
SUM_PLUS_ONE = "{% $sum($states.input.input_values) + $var_constant_1 %}"


def _failure(call: Any) -> StatesError:
    with pytest.raises(StatesError) as caught:
        call()
    assert caught.value.error == QUERY_EVALUATION_ERROR
    return caught.value


# ---------------------------------------------------------------------------- is_expression


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("{% $states.input %}", True),
        ("{%$x%}", True),
        ("{%\n  $x\n%}", True),
        (NOT_JSONATA, False),  # recorded: surrounding whitespace makes it a literal
        (" {% $x %}", False),
        ("{% $x %} ", False),
        ("$states.input", False),
        ("{% $x", False),
        ("{%}", False),
        (None, False),
        (1, False),
        (["{% $x %}"], False),
        ({"a": "{% $x %}"}, False),
    ],
)
def test_is_expression(value: Any, expected: bool) -> None:
    assert is_expression(value) is expected


def test_expression_text_is_trimmed() -> None:
    assert expression_text("{%   $doesNotExist \n%}") == "$doesNotExist"


# ------------------------------------------------------------------------------- recorded


def test_recorded_output_literals_stay_literal() -> None:
    (run,) = runs(OUTPUT, "test_base_cases[BASE_LITERALS]")
    assert render(LITERALS, Env(run.input), "Output") == run.exit("State0").output


def test_recorded_output_expressions() -> None:
    (run,) = runs(OUTPUT, "test_base_cases[BASE_EXPR]")
    init = run.exit("Init")
    expected = run.exit("State0").output
    template = {
        "ja_states_context": "{% $states.context %}",
        "ja_states_input": "{% $states.input %}",
        "ja_var_access": "{% $var_input_value %}",
        "ja_expr": SUM_PLUS_ONE,
    }
    env = Env(init.output, context=expected["ja_states_context"], variables=init.assigned)
    result = render(template, env, "Output")
    assert result == expected
    assert type(result["ja_expr"]) is int  # AWS prints 7, not 7.0


def test_recorded_output_direct_expression() -> None:
    (run,) = runs(OUTPUT, "test_base_cases[BASE_DIRECT_EXPR]")
    init = run.exit("Init")
    assert render(SUM_PLUS_ONE, Env(init.output, variables=init.assigned), "Output") == 7
    assert run.exit("State0").output == 7


def test_recorded_output_empty() -> None:
    (run,) = runs(OUTPUT, "test_base_cases[BASE_EMPTY]")
    assert render({}, Env(run.input), "Output") == run.exit("State0").output == {}


def test_recorded_output_reads_states_result() -> None:
    (run,) = runs(OUTPUT, "test_base_lambda[BASE_LAMBDA]")
    init = run.exit("Init")
    env = Env(init.output, variables=init.assigned)
    arguments = {
        "ja_states_input": "{% $states.input %}",
        "ja_var_access": "{% $var_input_value %}",
        "ja_expr": SUM_PLUS_ONE,
    }
    result = render(arguments, env, "Arguments")  # the Lambda function echoes its payload
    output = {
        "ja_var_access": "{% $var_input_value %}",
        "ja_expr": SUM_PLUS_ONE,
        "ja_states_input": "{% $states.input %}",
        "ja_states_result": "{% $states.result %}",
        "ja_states_result_access": "{% $states.result.ja_expr %}",
    }
    with_result = Env(init.output, variables=init.assigned, result=result, has_result=True)
    assert render(output, with_result, "Output") == run.exit("State0").output


# the templates of test_base_output_any_non_dict (base_output_any.json5 with "Output" replaced)
ANY_OUTPUT = {
    "NULL": None,
    "INT": 0,
    "FLOAT": 0.1,
    "BOOL": True,
    "STR_LIT": "string literal",
    "JSONATA_EXPR": "{% $states.input %}",
    "LIST_EMPY": [],
    "LIST_RICH": [
        None,
        0,
        0.1,
        True,
        "string",
        [],
        "$nosuchvar",
        "$.no.such.path",
        "{% $states.input %}",
        {"key": True},
    ],
}


@pytest.mark.parametrize("case", sorted(ANY_OUTPUT))
def test_recorded_output_of_any_type(case: str) -> None:
    (run,) = runs(OUTPUT, f"test_base_output_any_non_dict[{case}]")
    assert render(ANY_OUTPUT[case], Env(run.input), "Output") == run.exit("State0").output


def test_recorded_arguments_literals() -> None:
    (run,) = runs(ARGUMENTS, "test_base_cases[BASE_LAMBDA_LITERALS]")
    literals = {k: v for k, v in LITERALS.items() if not k.startswith(("constant_jp", "constant_if"))}
    # The Lambda function echoes the rendered Arguments' payload.
    assert render(literals, Env(run.input), "Arguments") == run.exit("State0").output


def test_recorded_arguments_expressions() -> None:
    (run,) = runs(ARGUMENTS, "test_base_cases[BASE_LAMBDA_EXPRESSION]")
    init = run.exit("Init")
    arguments = {
        "ja_states_input": "{% $states.input %}",
        "ja_var_access": "{% $var_input_value %}",
        "ja_expr": SUM_PLUS_ONE,
    }
    env = Env(init.output, variables=init.assigned)
    assert render(arguments, env, "Arguments") == run.exit("State0").output


def test_recorded_output_between_query_languages() -> None:
    (run,) = runs(MIXED, "test_output_to_state[JSONATA_OUTPUT_TO_JSONPATH]")
    template = {"foo": "foobar", "bar": "{% $states.input %}"}
    assert render(template, Env(run.input), "Output") == run.exit("JSONataState").output


def test_recorded_merge_with_dynamic_arguments() -> None:
    (run,) = runs(EVALUATE, "test_merge_with_dynamic_args")
    expression = "{% $merge([$states.input.part1, $states.input.part2]) %}"  # the test's own expression
    assert render(expression, Env(run.input), "Output") == run.exit("Start").output


@pytest.mark.parametrize(
    ("test", "field", "template"),
    [
        ("BASE_UNDEFINED_OUTPUT", "Output", "{% $doesNotExist %}"),
        ("BASE_UNDEFINED_OUTPUT_FIELD", "Output", {"result": "{% $doesNotExist %}"}),
        ("BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES", "Output", {"result": "{% $doesNotExist %}"}),
        ("BASE_UNDEFINED_ARGUMENTS", "Arguments", "{% $doesNotExist %}"),
        ("BASE_UNDEFINED_ARGUMENTS_FIELD", "Arguments", {"FunctionName": "{% $doesNotExist %}"}),
    ],
)
def test_recorded_undefined_fails(test: str, field: str, template: Any) -> None:
    (run,) = runs(ASSIGN_REFS, f"test_undefined_reference[{test}]")
    recorded = run.failure
    assert recorded is not None
    where = Where(recorded["state"], run.entered[recorded["state"]])
    error = _failure(lambda: render(template, Env(run.input), field, where=where))
    assert error.cause == recorded["cause"]
    assert f"'{recorded['location']}'" in error.cause


def test_recorded_undefined_variable_in_catch_output() -> None:
    run = runs(ERROR_OUTPUT, "test_map_catch_error[MAP_CATCH_ERROR_OUTPUT_WITH_RETRY]")[0]
    recorded = run.failure
    assert recorded is not None
    where = Where(recorded["state"], 13)
    env = Env({"stateInput": 1}, variables={})
    error = _failure(lambda: render({"error": "{% $stateError %}"}, env, "Output", where=where))
    assert error.cause == recorded["cause"]


def test_recorded_unknown_function() -> None:
    (run,) = runs(INTRINSICS.format("math_operations"), "test_math_random_seeded")
    recorded = run.failure
    assert recorded is not None
    template = {"FunctionResult": "{% $randomSeeded($states.input.FunctionInput.fst) %}"}
    where = Where(recorded["state"], run.entered[recorded["state"]])
    error = _failure(lambda: render(template, Env(run.input), "Output", where=where))
    assert error.cause == recorded["cause"]


def test_recorded_error_output_in_catch() -> None:
    for run in runs(ERROR_OUTPUT, "test_task_catch_error_output[TASK_CATCH_ERROR_OUTPUT]"):
        task = run.exit("Task").output
        template = {"stateInput": "{% $states.input %}", "stateError": "{% $states.errorOutput %}"}
        env = Env(run.input, error_output=task["stateError"], has_error_output=True)
        assert render(template, env, "Output") == task


def test_recorded_partition() -> None:
    recorded = runs(INTRINSICS.format("array"), "test_array_partition")
    assert len(recorded) == 20
    expression = "{% $partition($states.input.FunctionInput.fst, $states.input.FunctionInput.snd) %}"
    for run in recorded:
        assert render(expression, Env(run.input), "Output") == run.exit("State_0").output, run.input


def test_recorded_range() -> None:
    recorded = runs(INTRINSICS.format("array"), "test_array_range")
    expression = (
        "{% $range($states.input.FunctionInput.fst, $states.input.FunctionInput.snd, "
        "$states.input.FunctionInput.trd) %}"
    )
    outputs = [render(expression, Env(run.input), "Output") for run in recorded]
    assert outputs == [run.exit("State_0").output for run in recorded]
    assert 1 in outputs  # a one-item range is that item (a JSONata sequence)


def test_recorded_parse() -> None:
    recorded = runs(INTRINSICS.format("json_manipulation"), "test_parse")
    assert len(recorded) == 7
    for run in recorded:
        result = render("{% $parse($states.input.FunctionInput) %}", Env(run.input), "Output")
        assert result == run.exit("State_0").output, run.input
        assert type(result) is type(run.exit("State_0").output)


# ------------------------------------------------------------------------ $states and variables


def test_states_bindings() -> None:
    env = Env({"a": 1}, context={"Execution": {"Id": "arn"}}, variables={"x": [1, 2]})
    assert evaluate("{% $states.input.a %}", env) == 1
    assert evaluate("$states.context.Execution.Id", env) == "arn"
    assert evaluate("{% $x[1] %}", env) == 2
    assert evaluate("{% $count($x) %}", env) == 2


def test_result_and_error_output_only_where_the_env_has_them() -> None:
    plain = Env({})
    for expression in ("$states.result", "$states.errorOutput"):
        assert "returned nothing (undefined)" in _failure(lambda e=expression: evaluate(e, plain)).cause
    env = Env({}, result={"r": 1}, has_result=True, error_output={"Error": "E"}, has_error_output=True)
    assert evaluate("$states.result.r", env) == 1
    assert evaluate("$states.errorOutput.Error", env) == "E"
    assert evaluate("$keys($states)", Env({}, result=None, has_result=True)) == ["input", "context", "result"]


def test_null_is_a_value_not_undefined() -> None:
    env = Env({"a": None, "list": [None, 1]}, variables={"n": None}, result=None, has_result=True)
    assert evaluate("$states.input.a", env) is None
    assert evaluate("$n", env) is None
    assert evaluate("$states.result", env) is None
    assert evaluate("$states.input.list", env) == [None, 1]
    assert evaluate("$string($states.input.a)", env) == "null"
    assert evaluate("$states.input.a = null", env) is True


def test_undefined_fails_at_any_depth() -> None:
    template = {"outer": {"inner": ["{% $missing %}"]}}
    cause = _failure(lambda: render(template, Env({}), "Arguments")).cause
    assert cause == (
        "The JSONata expression '$missing' specified for the field 'Arguments/outer/inner/0' "
        "returned nothing (undefined)."
    )


def test_undefined_inside_a_result_is_dropped() -> None:
    env = Env({"a": 1})
    assert evaluate("{'k': $missing, 'a': $states.input.a}", env) == {"a": 1}
    assert evaluate("[1, $missing, 2]", env) == [1, 2]


def test_render_keeps_dollar_keys_and_partial_strings() -> None:
    template = {"a.$": "$.x", "b": "prefix {% $x %}", "c": "{% $x %} suffix", "d": "{% 1 %}"}
    assert render(template, Env({}), "Output") == {**template, "d": 1}


def test_render_does_not_change_the_template() -> None:
    template = {"a": ["{% 1 + 1 %}"], "b": {"c": "{% 'x' %}"}}
    render(template, Env({}), "Output")
    assert template == {"a": ["{% 1 + 1 %}"], "b": {"c": "{% 'x' %}"}}


# --------------------------------------------------------------------------- number handling


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("1.5 * 2", 3),
        ("$sum([1, 2, 3])", 6),
        ("10 / 4", 2.5),
        ("$states.input.f", 2),  # an integral float in the input prints as an integer
        ("$states.input.big", 2**60),  # passed through unchanged  # unverified against AWS
        ("0.1 + 0.2", 0.30000000000000004),
        ("1e21", 1e21),
        ("$number('1e3')", 1000),
        ("-0", 0),
    ],
)
def test_numbers(expression: str, expected: Any) -> None:
    result = evaluate(expression, Env({"f": 2.0, "big": 2**60}))
    assert result == expected
    assert type(result) is type(expected)


def test_non_finite_number_fails() -> None:
    cause = _failure(lambda: evaluate("1e300 * 1e300", Env({}))).cause
    assert "threw an error during evaluation. D1001: Number out of range" in cause


# ----------------------------------------------------------------------------- failures


def test_syntax_error_cause() -> None:
    cause = _failure(lambda: evaluate("{% 1 + %}", Env({}), "Output")).cause
    assert cause == (
        "The JSONata expression '1 +' specified for the field 'Output' threw an error during "
        "evaluation. S0207: Unexpected end of expression"
    )


def test_type_error_cause() -> None:
    cause = _failure(lambda: evaluate("'a' + 1", Env({}), "Output/x")).cause
    assert cause.startswith("The JSONata expression ''a' + 1' specified for the field 'Output/x' threw")
    assert cause.endswith("T2001: The left side of the + operator must evaluate to a number")


@pytest.mark.parametrize("expression", ["$sum", "function($x) { $x }", "/regex/", "{'f': $uppercase}"])
def test_non_json_results_fail(expression: str) -> None:
    _failure(lambda: evaluate(expression, Env({})))  # cause # unverified


def test_eval_is_not_available() -> None:
    cause = _failure(lambda: evaluate("$eval('1 + 1')", Env({}))).cause
    assert cause.endswith("T1006: Attempted to invoke a non-function")  # unverified code


def test_where_prefixes_the_cause() -> None:
    cause = _failure(lambda: evaluate("$nope", Env({}), "Items", where=Where("Map", 4))).cause
    assert cause == (
        "An error occurred while executing the state 'Map' (entered at the event id #4). "
        "The JSONata expression '$nope' specified for the field 'Items' returned nothing (undefined)."
    )


# ------------------------------------------------------------------------------ clock


def test_now_and_millis_read_the_given_time() -> None:
    env = Env({})
    assert evaluate("$millis()", env, now=1700000000.25) == 1700000000250
    assert evaluate("$now()", env, now=1700000000.25) == "2023-11-14T22:13:20.250Z"
    assert evaluate("$fromMillis($millis())", env, now=0) == "1970-01-01T00:00:00.000Z"


def test_render_uses_one_time_for_all_expressions() -> None:
    template = {"a": "{% $millis() %}", "b": ["{% $millis() %}"], "c": "{% $now() %}"}
    result = render(template, Env({}), "Output", now=12.5)
    assert result == {"a": 12500, "b": [12500], "c": "1970-01-01T00:00:12.500Z"}
    real = render(template, Env({}), "Output")
    assert real["a"] == real["b"][0]


# ---------------------------------------------------------------- functions Step Functions adds


def test_partition() -> None:
    env = Env({})
    assert evaluate("$partition([1, 2, 3, 4, 5, 6, 7, 8, 9], 3)", env) == [[1, 2, 3], [4, 5, 6], [7, 8, 9]]
    assert evaluate("$partition([1, 2, 3], 2)", env) == [[1, 2], [3]]
    assert evaluate("$partition([], 2)", env) == []


@pytest.mark.parametrize(
    "expression",
    [
        "$partition('abc', 2)",
        "$partition([1], 0)",
        "$partition([1], -1)",
        "$partition([1], 1.5)",
        "$partition([1])",
    ],
)
def test_partition_bad_arguments(expression: str) -> None:
    assert "threw an error during evaluation" in _failure(lambda: evaluate(expression, Env({}))).cause


def test_range() -> None:
    env = Env({})
    assert evaluate("$range(0, 10, 2)", env) == [0, 2, 4, 6, 8, 10]
    assert evaluate("$range(10, 0, -5)", env) == [10, 5, 0]
    assert evaluate("$count($range(1, 1000, 1))", env) == 1000


@pytest.mark.parametrize(
    "expression",
    ["$range(0, 10, 0)", "$range(0, 1000, 1)", "$range('a', 2, 1)", "$range(0, 1.5, 1)", "$range(0, 3)"],
)
def test_range_bad_arguments(expression: str) -> None:
    assert "threw an error during evaluation" in _failure(lambda: evaluate(expression, Env({}))).cause


def test_range_to_nothing_is_undefined() -> None:
    assert "returned nothing" in _failure(lambda: evaluate("$range(5, 0, 1)", Env({}))).cause


@pytest.mark.parametrize("algorithm", ["MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"])
def test_hash(algorithm: str) -> None:
    python = algorithm.replace("-", "").lower()
    expected = hashlib.new(python, b"input data").hexdigest()
    assert evaluate(f"$hash('input data', '{algorithm}')", Env({})) == expected


@pytest.mark.parametrize(
    "expression", ["$hash('x', 'SHA-3')", "$hash(1, 'MD5')", "$hash('x')", "$hash('x', 'md5')"]
)
def test_hash_bad_arguments(expression: str) -> None:
    assert "threw an error during evaluation" in _failure(lambda: evaluate(expression, Env({}))).cause


def test_random() -> None:
    env = Env({})
    seeded = evaluate("$random(42)", env)
    assert 0 <= seeded < 1
    assert evaluate("$random(42)", env) == seeded  # same seed, same number
    assert evaluate("$random(7)", env) != seeded
    assert 0 <= evaluate("$random()", env) < 1
    assert "threw an error" in _failure(lambda: evaluate("$random('x')", env)).cause


def test_uuid() -> None:
    first, second = evaluate("[$uuid(), $uuid()]", Env({}))
    assert uuid.UUID(first).version == 4
    assert first != second
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", first)


def test_parse() -> None:
    env = Env({"text": '{"a": null, "b": [1, 2.5]}'})
    assert evaluate("$parse($states.input.text)", env) == {"a": None, "b": [1, 2.5]}
    assert evaluate("$parse('null')", env) is None
    assert evaluate("$parse($states.input.text).b[1]", env) == 2.5
    for bad in ("$parse('{nope')", "$parse(1)"):
        assert "threw an error" in _failure(lambda b=bad: evaluate(b, env)).cause


def test_standard_functions_still_work() -> None:
    env = Env({"s": "Hello World"})
    assert evaluate("$uppercase($states.input.s)", env) == "HELLO WORLD"
    assert evaluate("$contains($states.input.s, /^hello/i)", env) is True
    assert evaluate("$contains($states.input.s, /^world/)", env) is False
    assert evaluate("$split($states.input.s, ' ')", env) == ["Hello", "World"]


# ------------------------------------------------------------------------------ properties

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.text(max_size=8).filter(lambda t: "{%" not in t),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@given(JSON)
def test_input_round_trips(value: Any) -> None:
    assert evaluate("$states.input", Env(value)) == value


@given(JSON)
def test_literals_render_to_themselves(value: Any) -> None:
    assert render(value, Env({}), "Output") == value
