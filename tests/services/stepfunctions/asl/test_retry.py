"""Retry/Catch matching and backoff (``asl/retry.py``)."""

from __future__ import annotations

import json

import pytest

from cloudlet.services.stepfunctions.asl import definition, retry


def test_first_matching_retrier_wins() -> None:
    retriers = [{"ErrorEquals": ["A", "B"]}, {"ErrorEquals": ["B"]}, {"ErrorEquals": ["States.ALL"]}]
    assert retry.find_retrier("B", retriers) == 0
    assert retry.find_retrier("C", retriers) == 2
    assert retry.find_retrier("C", retriers[:2]) is None
    assert retry.find_retrier("A", None) is None and retry.find_catcher("A", []) is None


def test_names_are_case_sensitive() -> None:
    assert retry.find_catcher("states.timeout", [{"ErrorEquals": ["States.Timeout"], "Next": "X"}]) is None


def test_states_all_skips_runtime_but_catches_data_limit() -> None:
    catchers = [{"ErrorEquals": ["States.ALL"], "Next": "X"}]
    assert retry.find_catcher("States.Runtime", catchers) is None  # developer guide
    # Recorded (scenarios/test_base_scenarios::test_catch_states_runtime): not even by name.
    assert retry.find_catcher("States.Runtime", [{"ErrorEquals": ["States.Runtime"], "Next": "X"}]) is None
    # Recorded (error_handling/test_states_errors): a States.ALL catcher caught a Task's DataLimitExceeded.
    assert retry.find_catcher("States.DataLimitExceeded", catchers) == 0
    assert (
        retry.find_catcher("States.TaskFailed", catchers) == 0 and retry.find_catcher("Custom", catchers) == 0
    )


def test_states_task_failed_matches_a_task_error_but_not_a_timeout() -> None:
    # Recorded (error_handling/test_task_service_lambda::test_raise_exception_catch): a Lambda function's
    # ``Exception`` went to the States.TaskFailed catcher, not the States.ALL one after it.
    catchers = [
        {"ErrorEquals": ["Lambda.Unknown"], "Next": "U"},
        {"ErrorEquals": ["States.TaskFailed"], "Next": "T"},
        {"ErrorEquals": ["States.ALL"], "Next": "A"},
    ]
    assert retry.find_catcher("Exception", catchers) == 1
    assert retry.find_catcher("Lambda.Unknown", catchers) == 0
    assert retry.find_catcher("States.TaskFailed", catchers) == 1
    assert retry.find_catcher("States.Timeout", catchers) == 2  # developer guide: all but States.Timeout
    assert retry.find_retrier("Exception", [{"ErrorEquals": ["States.TaskFailed"]}]) == 0


def test_typed_entries_work_like_dicts() -> None:
    machine = definition.parse(
        json.dumps(
            {
                "StartAt": "T",
                "States": {
                    "T": {
                        "Type": "Task",
                        "Resource": "arn:aws:states:::lambda:invoke",
                        "Retry": [
                            {"ErrorEquals": ["E"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxAttempts": 5}
                        ],
                        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "F"}],
                        "End": True,
                    },
                    "F": {"Type": "Fail"},
                },
            }
        )
    )
    task = machine["T"]
    assert retry.find_retrier("E", task.retry) == 0 and retry.find_catcher("Other", task.catch) == 0
    assert retry.delay(task.retry[0], 3) == 18 and retry.max_attempts(task.retry[0]) == 5


@pytest.mark.parametrize(
    ("retrier", "delays"),
    [
        ({}, [1, 2, 4, 8]),  # IntervalSeconds 1, BackoffRate 2.0
        ({"IntervalSeconds": 3, "BackoffRate": 1}, [3, 3, 3]),
        ({"IntervalSeconds": 2, "BackoffRate": 1.5}, [2, 3, 4.5]),
        ({"IntervalSeconds": 1, "BackoffRate": 2, "MaxDelaySeconds": 5}, [1, 2, 4, 5, 5]),
    ],
)
def test_backoff(retrier: dict, delays: list[float]) -> None:
    assert [retry.delay(retrier, n) for n in range(1, len(delays) + 1)] == delays


def test_full_jitter_scales_the_delay() -> None:
    retrier = {"IntervalSeconds": 4, "BackoffRate": 2, "JitterStrategy": "FULL"}
    assert retry.delay(retrier, 2, 0.25) == 2
    assert retry.delay(retrier, 2, 0.0) == 0
    assert retry.delay({**retrier, "JitterStrategy": "NONE"}, 2, 0.25) == 8


def test_huge_backoff_is_capped_not_an_overflow() -> None:
    assert retry.delay({"BackoffRate": 10, "MaxDelaySeconds": 60}, 10_000) == 60


def test_max_attempts_default() -> None:
    assert retry.max_attempts({}) == 3 and retry.max_attempts({"MaxAttempts": 0}) == 0
