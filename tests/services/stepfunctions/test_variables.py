"""Workflow variables (``Assign``): what each state assigns, when, in which scope, as AWS recorded
it (``aws-reference/stepfunctions/v2/assign``): the history's ``assignedVariables``, outputs and
the values states read back."""

from __future__ import annotations

import json

import pytest

from .conftest import assert_replays, history, wait_done
from .corpus import scenarios

pytestmark = pytest.mark.skipif(scenarios.reference_root() is None, reason="no recordings")

RECORDED = [
    ("v2/assign/test_assign_base.snapshot.json", test)
    for test in (
        "test_base_cases[BASE_EMPTY]",
        "test_base_cases[BASE_CONSTANT_LITERALS]",
        "test_base_cases[BASE_PATHS]",
        "test_base_cases[BASE_VAR]",
        "test_base_cases[BASE_SCOPE_MAP]",
        "test_base_parallel_cases[BASE_SCOPE_PARALLEL]",
        "test_assign_in_choice[CONDITION_TRUE]",
        "test_assign_in_choice[CONDITION_FALSE]",
    )
] + [
    ("v2/assign/test_assign_reference_variables.snapshot.json", test)
    for test in (
        "test_reference_assign[BASE_REFERENCE_IN_PARAMETERS]",
        "test_reference_assign[BASE_REFERENCE_IN_CHOICE]",
        "test_reference_assign[BASE_REFERENCE_IN_ITERATOR_OUTER_SCOPE]",
        "test_reference_assign[BASE_REFERENCE_IN_INPUTPATH]",
        "test_reference_assign[BASE_REFERENCE_IN_OUTPUTPATH]",
        "test_reference_assign[BASE_REFERENCE_IN_INTRINSIC_FUNCTION]",
        "test_reference_assign[BASE_REFERENCE_IN_FAIL]",
        "test_assign_from_value[BASE_ASSIGN_FROM_PARAMETERS]",
        "test_assign_from_value[BASE_ASSIGN_FROM_RESULT]",
        "test_assign_from_value[BASE_ASSIGN_FROM_INTRINSIC_FUNCTION]",
        "test_assign_in_choice_state[CORRECT]",
        "test_assign_in_choice_state[INCORRECT]",
        "test_assign_in_wait_state",
        "test_state_assign_evaluation_order[BASE_EVALUATION_ORDER_PASS_STATE]",
    )
]


@pytest.mark.parametrize(("snapshot", "test"), RECORDED, ids=[t for _, t in RECORDED])
def test_history_matches_the_recording(sfn, snapshot, test):
    assert_replays(sfn, snapshot, test)


def _run(sfn, make_machine, definition, value=None):
    arn = make_machine(definition)
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(value or {}))["executionArn"]
    return wait_done(sfn, execution), history(sfn, execution)


def test_task_assign_reads_the_selected_result_and_catch_assigns_instead(sfn, make_machine):
    machine = {
        "StartAt": "Work",
        "States": {
            "Work": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "B", "States": {"B": {"Type": "Pass", "Result": 7, "End": True}}}],
                "ResultSelector": {"first.$": "$[0]"},
                "Assign": {"picked.$": "$.first", "before.$": "$$.State.Name"},
                "ResultPath": "$.work",
                "Next": "Boom",
            },
            "Boom": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "nowhere-at-all"},
                "Assign": {"never": 1},
                "Catch": [{"ErrorEquals": ["States.ALL"], "Assign": {"error.$": "$.Error"}, "Next": "Read"}],
                "End": True,
            },
            "Read": {
                "Type": "Pass",
                "Parameters": {"picked.$": "$picked", "error.$": "$error", "vars.$": "States.Array($before)"},
                "End": True,
            },
        },
    }
    described, events = _run(sfn, make_machine, machine)
    assert described["status"] == "SUCCEEDED", described
    exits = {
        e["stateExitedEventDetails"]["name"]: e["stateExitedEventDetails"]
        for e in events
        if "stateExitedEventDetails" in e
    }
    assert exits["Work"]["assignedVariables"] == {"before": '"Work"', "picked": "7"}
    assert exits["Work"]["assignedVariablesDetails"] == {"truncated": False}
    assert set(exits["Boom"]["assignedVariables"]) == {"error"}
    output = json.loads(described["output"])
    assert output["picked"] == 7 and output["vars"] == ["Work"]
    assert output["error"] == json.loads(exits["Boom"]["assignedVariables"]["error"])


def test_jsonata_assign_and_output_read_the_variables_as_they_were(sfn, make_machine):
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "One",
        "States": {
            "One": {"Type": "Pass", "Assign": {"n": 1}, "Next": "Two"},
            "Two": {
                "Type": "Pass",
                "Assign": {"n": "{% $n + 1 %}", "m": "{% $n * 10 %}"},
                "Output": {"seen": "{% $n %}"},
                "Next": "Three",
            },
            "Three": {
                "Type": "Pass",
                "Output": {"n": "{% $n %}", "m": "{% $m %}", "in": "{% $states.input %}"},
                "End": True,
            },
        },
    }
    described, _ = _run(sfn, make_machine, machine)
    assert json.loads(described["output"]) == {"n": 2, "m": 10, "in": {"seen": 1}}


def test_inner_scopes_do_not_leak_and_map_iterations_read_the_outer_scope(sfn, make_machine):
    machine = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"base": 100}, "Next": "Each"},
            "Each": {
                "Type": "Map",
                "ItemProcessor": {
                    "StartAt": "Add",
                    "States": {
                        "Add": {"Type": "Pass", "Assign": {"inner.$": "$"}, "Next": "Out"},
                        "Out": {
                            "Type": "Pass",
                            "Parameters": {"v.$": "States.MathAdd($inner, $base)"},
                            "End": True,
                        },
                    },
                },
                "Next": "After",
            },
            "After": {"Type": "Pass", "Parameters": {"results.$": "$", "inner.$": "$inner"}, "End": True},
        },
    }
    described, events = _run(sfn, make_machine, machine, [1, 2])
    assert described["status"] == "FAILED"  # $inner is not visible outside the Map
    assert described["error"] == "States.Runtime"
    exits = [
        e for e in events if e["type"] == "PassStateExited" and e["stateExitedEventDetails"]["name"] == "Out"
    ]
    assert sorted(e["stateExitedEventDetails"]["output"]["v"] for e in exits) == [101, 102]


def test_variables_survive_a_restart_through_the_checkpoint(sfn, make_machine, cloudlet):
    machine = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"kept": "yes"}, "Next": "Wait"},
            "Wait": {"Type": "Wait", "Seconds": 3600, "Next": "Read"},
            "Read": {"Type": "Pass", "Parameters": {"kept.$": "$kept"}, "End": True},
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_done(sfn, execution, timeout=0.3)["status"] == "RUNNING"
    cloudlet.advance_clock(3601)
    described = wait_done(sfn, execution)
    assert json.loads(described["output"]) == {"kept": "yes"}


def test_assign_errors(sfn, make_machine):
    text = "x" * 150_000
    too_big = {
        "StartAt": "A",
        "States": {"A": {"Type": "Pass", "Result": text, "Assign": {"a.$": "$", "b.$": "$"}, "End": True}},
    }
    described, _ = _run(sfn, make_machine, too_big)
    assert described["error"] == "States.DataLimitExceeded"
    missing = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Assign": {"v.$": "$.nope"}, "End": True}}}
    described, _ = _run(sfn, make_machine, missing)
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"
