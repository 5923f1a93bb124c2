"""Definitions parsed into typed states (``asl/definition.py``)."""

from __future__ import annotations

import json

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.asl import definition as d


def _text(document: dict) -> str:
    return json.dumps(document)


def test_machine_fields_and_defaults() -> None:
    machine = d.parse(
        _text(
            {
                "Comment": "c",
                "StartAt": "A",
                "TimeoutSeconds": 30,
                "Version": "1.0",
                "States": {"A": {"Type": "Pass", "End": True}},
            }
        )
    )
    assert (machine.start_at, machine.comment, machine.timeout_seconds, machine.version) == (
        "A",
        "c",
        30,
        "1.0",
    )
    assert machine.query_language == "JSONPath"
    state = machine["A"]
    assert isinstance(state, d.Pass) and state.end and state.terminal and not state.has_result
    assert (state.input_path, state.output_path, state.result_path) == ("$", "$", "$")
    assert state.raw == {"Type": "Pass", "End": True}


def test_null_paths_stay_none() -> None:
    state = d.parse(
        _text(
            {
                "StartAt": "A",
                "States": {
                    "A": {
                        "Type": "Pass",
                        "InputPath": None,
                        "ResultPath": None,
                        "OutputPath": None,
                        "Result": None,
                        "End": True,
                    }
                },
            }
        )
    )["A"]
    assert (state.input_path, state.result_path, state.output_path) == (None, None, None)
    assert state.has_result and state.result is None


def test_task_retry_and_catch() -> None:
    text = _text(
        {
            "StartAt": "T",
            "States": {
                "T": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke",
                    "TimeoutSeconds": 10,
                    "HeartbeatSeconds": 5,
                    "Retry": [
                        {"ErrorEquals": ["States.Timeout"]},
                        {
                            "ErrorEquals": ["States.ALL"],
                            "IntervalSeconds": 3,
                            "MaxAttempts": 0,
                            "BackoffRate": 1.5,
                            "MaxDelaySeconds": 9,
                            "JitterStrategy": "FULL",
                        },
                    ],
                    "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F", "ResultPath": "$.error"}],
                    "Next": "F",
                },
                "F": {"Type": "Fail", "Error": "E", "Cause": "C"},
            },
        }
    )
    task = d.parse(text)["T"]
    assert isinstance(task, d.Task)
    assert (task.resource, task.timeout_seconds, task.heartbeat_seconds, task.next) == (
        "arn:aws:states:::lambda:invoke",
        10,
        5,
        "F",
    )
    first, second = task.retry
    assert (first.error_equals, first.interval_seconds, first.max_attempts, first.backoff_rate) == (
        ("States.Timeout",),
        1,
        3,
        2.0,
    )
    assert (first.max_delay_seconds, first.jitter_strategy) == (None, "NONE")
    assert (
        second.interval_seconds,
        second.max_attempts,
        second.backoff_rate,
        second.max_delay_seconds,
        second.jitter_strategy,
    ) == (3, 0, 1.5, 9, "FULL")
    (catcher,) = task.catch
    assert (catcher.error_equals, catcher.next, catcher.result_path) == (("States.ALL",), "F", "$.error")
    fail = d.parse(text)["F"]
    assert isinstance(fail, d.Fail) and (fail.error, fail.cause) == ("E", "C") and fail.terminal


def test_choice_wait_succeed() -> None:
    machine = d.parse(
        _text(
            {
                "StartAt": "C",
                "States": {
                    "C": {
                        "Type": "Choice",
                        "Choices": [
                            {"Variable": "$.x", "NumericEquals": 1, "Next": "W"},
                            {"Not": {"Variable": "$.x", "IsPresent": True}, "Next": "S"},
                        ],
                        "Default": "S",
                    },
                    "W": {"Type": "Wait", "SecondsPath": "$.s", "Next": "S"},
                    "S": {"Type": "Succeed"},
                },
            }
        )
    )
    choice = machine["C"]
    assert isinstance(choice, d.Choice) and choice.default == "S"
    assert [r.next for r in choice.choices] == ["W", "S"]
    assert choice.choices[0].raw == {"Variable": "$.x", "NumericEquals": 1, "Next": "W"}
    wait = machine["W"]
    assert isinstance(wait, d.Wait) and wait.seconds_path == "$.s" and wait.seconds is None
    assert isinstance(machine["S"], d.Succeed) and machine["S"].terminal


def test_parallel_and_map_blocks() -> None:
    machine = d.parse(
        _text(
            {
                "StartAt": "P",
                "States": {
                    "P": {
                        "Type": "Parallel",
                        "Branches": [
                            {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
                            {"StartAt": "B2", "States": {"B2": {"Type": "Succeed"}}},
                        ],
                        "Next": "M",
                    },
                    "M": {
                        "Type": "Map",
                        "ItemsPath": "$.items",
                        "ItemSelector": {"v.$": "$$.Map.Item.Value"},
                        "MaxConcurrency": 2,
                        "ItemProcessor": {
                            "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "EXPRESS"},
                            "StartAt": "I",
                            "States": {"I": {"Type": "Pass", "End": True}},
                        },
                        "Label": "label",
                        "ToleratedFailurePercentage": 10,
                        "End": True,
                    },
                },
            }
        )
    )
    parallel = machine["P"]
    assert isinstance(parallel, d.Parallel)
    assert [b.start_at for b in parallel.branches] == ["B1", "B2"]
    assert isinstance(parallel.branches[1]["B2"], d.Succeed)
    map_state = machine["M"]
    assert isinstance(map_state, d.Map) and map_state.processor is not None
    assert (map_state.mode, map_state.execution_type, map_state.items_path, map_state.max_concurrency) == (
        "DISTRIBUTED",
        "EXPRESS",
        "$.items",
        2,
    )
    assert (map_state.label, map_state.tolerated_failure_percentage) == ("label", 10)
    assert map_state.item_selector == {"v.$": "$$.Map.Item.Value"}
    assert map_state.processor["I"].end


def test_map_iterator_and_parameters_are_the_older_names() -> None:
    machine = d.parse(
        _text(
            {
                "StartAt": "M",
                "States": {
                    "M": {
                        "Type": "Map",
                        "Parameters": {"a": 1},
                        "Iterator": {"StartAt": "I", "States": {"I": {"Type": "Pass", "End": True}}},
                        "End": True,
                    }
                },
            }
        )
    )
    map_state = machine["M"]
    assert isinstance(map_state, d.Map) and map_state.mode == "INLINE" and map_state.max_concurrency == 0
    assert map_state.item_selector == {"a": 1} and map_state.processor is not None


def test_query_language_resolution() -> None:
    machine = d.parse(
        _text(
            {
                "StartAt": "Map",
                "QueryLanguage": "JSONPath",
                "States": {
                    "Map": {
                        "Type": "Map",
                        "QueryLanguage": "JSONata",
                        "ItemProcessor": {
                            "ProcessorConfig": {"Mode": "INLINE"},
                            "StartAt": "Pass",
                            "States": {"Pass": {"QueryLanguage": "JSONPath", "Type": "Pass", "End": True}},
                        },
                        "End": True,
                    }
                },
            }
        )
    )
    assert machine["Map"].query_language == "JSONata" and machine["Map"].is_jsonata
    assert machine["Map"].processor["Pass"].query_language == "JSONPath"
    jsonata = d.parse(
        _text(
            {
                "QueryLanguage": "JSONata",
                "StartAt": "A",
                "States": {"A": {"Type": "Pass", "Output": "{% 1 %}", "End": True}},
            }
        )
    )
    assert (
        jsonata.query_language == "JSONata"
        and jsonata["A"].query_language == "JSONata"
        and jsonata["A"].output == "{% 1 %}"
    )


def test_jsonata_fields() -> None:
    machine = d.parse(
        _text(
            {
                "QueryLanguage": "JSONata",
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                        "Output": "{% $states.result.Payload %}",
                        "Assign": {"x": 1},
                        "TimeoutSeconds": "{% 10 %}",
                        "Next": "C",
                    },
                    "C": {
                        "Type": "Choice",
                        "Choices": [{"Condition": "{% $x = 1 %}", "Next": "S", "Output": {"a": 1}}],
                        "Default": "S",
                    },
                    "S": {"Type": "Succeed"},
                },
            }
        )
    )
    task = machine["T"]
    assert task.arguments == {"FunctionName": "f", "Payload": "{% $states.input %}"}
    assert (task.output, task.assign, task.timeout_seconds) == (
        "{% $states.result.Payload %}",
        {"x": 1},
        "{% 10 %}",
    )
    rule = machine["C"].choices[0]
    assert (rule.condition, rule.output) == ("{% $x = 1 %}", {"a": 1})


def test_parse_refuses_an_invalid_definition() -> None:
    with pytest.raises(ServiceError) as caught:
        d.parse('{"StartAt": "A"}')
    assert caught.value.code == "InvalidDefinition"
    assert (
        caught.value.message
        == "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are required: [States] at /'"
    )


def test_build_skips_validation() -> None:
    machine = d.build({"StartAt": "A", "States": {"A": {"Type": "Pass", "End": True}}})
    assert isinstance(machine["A"], d.Pass)
