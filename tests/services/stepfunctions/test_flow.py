"""Executions end to end: the state types, errors with Retry and Catch, waits on the clock,
task tokens and activities, against the histories AWS recorded (``aws-reference/stepfunctions``)."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest

from .conftest import assert_replays, history, wait_done


def _types(events: list[dict]) -> list[str]:
    return [e["type"] for e in events]


def test_choice_and_fail(sfn, make_machine):
    machine = {
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 10, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Result": "big", "End": True},
            "Small": {"Type": "Fail", "Error": "TooSmall", "Cause": "n is not over 10"},
        },
    }
    arn = make_machine(machine)
    big = sfn.start_execution(stateMachineArn=arn, input='{"n": 11}')["executionArn"]
    assert json.loads(wait_done(sfn, big)["output"]) == "big"
    small = sfn.start_execution(stateMachineArn=arn, input='{"n": 1}')["executionArn"]
    described = wait_done(sfn, small)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "TooSmall",
        "n is not over 10",
    )
    assert (described["redriveStatus"]) == "REDRIVABLE"
    events = history(sfn, small)
    assert _types(events) == [
        "ExecutionStarted",
        "ChoiceStateEntered",
        "ChoiceStateExited",
        "FailStateEntered",
        "ExecutionFailed",
    ]
    assert events[-1] == {
        "type": "ExecutionFailed",
        "id": 5,
        "previousEventId": 4,
        "executionFailedEventDetails": {"error": "TooSmall", "cause": "n is not over 10"},
    }


def test_wait_ends_when_the_clock_is_advanced(sfn, make_machine, cloudlet):
    machine = {
        "StartAt": "W",
        "States": {
            "W": {"Type": "Wait", "Seconds": 365 * 86400, "Next": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_done(sfn, execution, timeout=0.3)["status"] == "RUNNING"
    cloudlet.advance_clock(365 * 86400 + 1)
    assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
    assert _types(history(sfn, execution)) == [
        "ExecutionStarted", "WaitStateEntered", "WaitStateExited", "SucceedStateEntered", "SucceedStateExited",
        "ExecutionSucceeded",
    ]  # fmt: skip


def test_wait_seconds_path_errors_as_recorded(sfn, make_machine):
    machine = {
        "StartAt": "WaitState",
        "States": {"WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": True}},
    }
    arn = make_machine(machine)
    for value, reason in (
        (None, "The SecondsPath parameter does not reference an input value: $.input.waitSeconds"),
        (-1, "The SecondsPath parameter references a negative value: $.input.waitSeconds == -1"),
        (1.5, "The SecondsPath parameter cannot be parsed as a long value: $.input.waitSeconds == 1.5"),
    ):
        given = {} if value is None else {"waitSeconds": value}
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"input": given}))
        described = wait_done(sfn, execution["executionArn"])
        assert described["error"] == "States.Runtime"
        assert described["cause"] == (
            f"An error occurred while executing the state 'WaitState' (entered at the event id #2). {reason}"
        )


def test_parallel_and_map(sfn, make_machine):
    machine = {
        "StartAt": "Fan",
        "States": {
            "Fan": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "A", "States": {"A": {"Type": "Pass", "Result": 1, "End": True}}},
                    {"StartAt": "B", "States": {"B": {"Type": "Pass", "InputPath": "$.items", "End": True}}},
                ],
                "ResultPath": "$.fan",
                "Next": "Each",
            },
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "MaxConcurrency": 1,
                "ItemProcessor": {
                    "StartAt": "Double",
                    "States": {
                        "Double": {"Type": "Pass", "Parameters": {"v.$": "States.MathAdd($, $)"}, "End": True}
                    },
                },
                "ResultPath": "$.doubled",
                "End": True,
            },
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"items": [1, 2, 3]}')["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {
        "items": [1, 2, 3],
        "fan": [1, [1, 2, 3]],
        "doubled": [{"v": 2}, {"v": 4}, {"v": 6}],
    }
    events = history(sfn, execution)
    maps = [
        (e["id"], e["previousEventId"], e["type"])
        for e in events
        if "Map" in e["type"] or e["type"].startswith("Pass")
    ]
    started = next(e for e in events if e["type"] == "MapStateStarted")
    assert started["mapStateStartedEventDetails"] == {"length": 3}
    # as recorded: an iteration's Succeeded event is not the previous event of the next one
    iteration_starts = [m for m in maps if m[2] == "MapIterationStarted"]
    assert iteration_starts[1][1] == iteration_starts[1][0] - 2


def test_retry_then_catch(sfn, make_machine, cloudlet):
    machine = {
        "StartAt": "Boom",
        "States": {
            "Boom": {
                "Type": "Task",
                "Resource": "arn:aws:states:::aws-sdk:sqs:getQueueUrl",
                "Parameters": {"QueueName": "no-such-queue-at-all"},
                "Retry": [
                    {
                        "ErrorEquals": ["Sqs.QueueDoesNotExistException", "Sqs.SqsException"],
                        "IntervalSeconds": 5,
                        "MaxAttempts": 2,
                        "BackoffRate": 1.0,
                    }
                ],
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}],
                "End": True,
            },
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    for _ in range(3):
        wait_done(sfn, execution, timeout=0.3)
        cloudlet.advance_clock(6)
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["error"]["Error"].startswith("Sqs.")
    assert _types(history(sfn, execution)).count("TaskFailed") == 3  # the first try and two retries


def test_wait_for_task_token(sfn, make_machine, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName="sfn-token-queue")["QueueUrl"]
    machine = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": url,
                    "MessageBody": {"Message.$": "$.m", "TaskToken.$": "$$.Task.Token"},
                },
                "HeartbeatSeconds": 600,
                "End": True,
            }
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"m": "hello"}')["executionArn"]
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    body = json.loads(messages[0]["Body"])
    assert body["Message"] == "hello"
    sfn.send_task_heartbeat(taskToken=body["TaskToken"])
    sfn.send_task_success(taskToken=body["TaskToken"], output='"done"')
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED" and described["output"] == '"done"'
    types = _types(history(sfn, execution))
    assert types == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded",
        "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    scheduled = history(sfn, execution)[2]["taskScheduledEventDetails"]
    assert scheduled["heartbeatInSeconds"] == 600 and scheduled["resource"] == "sendMessage.waitForTaskToken"
    try:
        sfn.send_task_success(taskToken=body["TaskToken"], output="{}")
    except sfn.exceptions.TaskTimedOut:
        pass


def test_activity_worker(sfn, make_machine):
    activity = sfn.create_activity(name="sfn-worker")["activityArn"]
    assert sfn.create_activity(name="sfn-worker")["activityArn"] == activity
    machine = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"job": 7}')["executionArn"]
    got: dict = {}

    def worker() -> None:
        got.update(sfn.get_activity_task(activityArn=activity, workerName="w1"))

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join(10)
    assert json.loads(got["input"]) == {"job": 7}
    sfn.send_task_success(taskToken=got["taskToken"], output='{"ok": true}')
    described = wait_done(sfn, execution)
    assert json.loads(described["output"]) == {"ok": True}
    events = history(sfn, execution)
    assert _types(events)[2:5] == ["ActivityScheduled", "ActivityStarted", "ActivitySucceeded"]
    assert events[3]["activityStartedEventDetails"] == {"workerName": "w1"}


def test_a_failed_execution_redriven_after_a_fix(sfn, make_machine, aws_client):
    ddb = aws_client("dynamodb")
    table = f"sfn-redrive-{uuid.uuid4().hex[:8]}"
    machine = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {
                "Type": "Pass",
                "Result": {"id": {"S": "order-1"}},
                "ResultPath": "$.item",
                "Next": "Save",
            },
            "Save": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": table, "Item.$": "$.item"},
                "End": True,
            },
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    failed = wait_done(sfn, execution)
    assert (failed["status"], failed["error"]) == ("FAILED", "DynamoDB.ResourceNotFoundException")
    assert failed["redriveStatus"] == "REDRIVABLE"
    ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    assert sfn.redrive_execution(executionArn=execution)["redriveDate"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED" and described["redriveCount"] == 1
    assert ddb.get_item(TableName=table, Key={"id": {"S": "order-1"}})["Item"] == {"id": {"S": "order-1"}}
    types = _types(history(sfn, execution))
    assert types.count("PassStateEntered") == 1  # the redrive starts at the state that failed
    assert types[types.index("ExecutionFailed") + 1] == "ExecutionRedriven"
    with pytest.raises(sfn.exceptions.ExecutionNotRedrivable):
        sfn.redrive_execution(executionArn=execution)
    machine_arn = described["stateMachineArn"]
    (listed,) = sfn.list_executions(stateMachineArn=machine_arn, redriveFilter="REDRIVEN")["executions"]
    assert listed["executionArn"] == execution and listed["redriveCount"] == 1 and listed["redriveDate"]
    assert sfn.list_executions(stateMachineArn=machine_arn, redriveFilter="NOT_REDRIVEN")["executions"] == []


@pytest.mark.parametrize("case", ["max_concurrency_value0", "0", "1", "NoNumber"])
def test_max_concurrency_path_as_recorded(sfn, case):
    assert_replays(
        sfn, "v2/scenarios/test_base_scenarios.snapshot.json", f"test_max_concurrency_path[{case}]"
    )


def test_an_execution_past_its_timeout_seconds_times_out(sfn, make_machine, cloudlet):
    machine = {
        "TimeoutSeconds": 10,
        "StartAt": "Slow",
        "States": {"Slow": {"Type": "Wait", "Seconds": 60, "End": True}},
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert wait_done(sfn, execution, timeout=0.3)["status"] == "RUNNING"
    cloudlet.advance_clock(11)
    described = wait_done(sfn, execution)
    assert (described["status"], described["error"]) == ("TIMED_OUT", "States.Timeout")
    events = history(sfn, execution)
    assert _types(events)[-1] == "ExecutionTimedOut"
    assert events[-1]["executionTimedOutEventDetails"] == {"error": "States.Timeout"}
    assert [
        e["executionArn"]
        for e in sfn.list_executions(stateMachineArn=arn, statusFilter="TIMED_OUT")["executions"]
    ] == [execution]


def test_an_express_execution_ends_after_five_minutes(aws_client, make_machine, cloudlet):
    from botocore.config import Config

    sync = aws_client("stepfunctions", config=Config(inject_host_prefix=False))
    machine = {"StartAt": "Slow", "States": {"Slow": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn = make_machine(machine, type="EXPRESS")
    answers: list = []
    worker = threading.Thread(target=lambda: answers.append(sync.start_sync_execution(stateMachineArn=arn)))
    worker.start()
    time.sleep(0.3)
    cloudlet.advance_clock(301)
    worker.join(10)
    (answer,) = answers
    assert (answer["status"], answer["error"]) == ("TIMED_OUT", "States.Timeout")


SCENARIOS = "v2/scenarios/test_base_scenarios.snapshot.json"


@pytest.mark.parametrize(
    ("snapshot", "test"),
    [
        (SCENARIOS, "test_map_state_retry"),
        (SCENARIOS, "test_parallel_state_retry"),
        (SCENARIOS, "test_map_state_break_condition"),
        (SCENARIOS, "test_map_state_items_input_array[empty]"),
        (SCENARIOS, "test_map_state_items_input_types[number]"),
        (SCENARIOS, "test_map_state_items_input_types[object]"),
        (
            "v2/assign/test_assign_reference_variables.snapshot.json",
            "test_undefined_reference[BASE_UNDEFINED_OUTPUT]",
        ),
        (
            "v2/assign/test_assign_reference_variables.snapshot.json",
            "test_undefined_reference[BASE_UNDEFINED_OUTPUT_MULTIPLE_STATES]",
        ),
        (
            "v2/assign/test_assign_reference_variables.snapshot.json",
            "test_undefined_reference[BASE_UNDEFINED_ASSIGN]",
        ),
        (
            "v2/assign/test_assign_reference_variables.snapshot.json",
            "test_reference_in_map_state[MAP_STATE_REFERENCE_IN_ITEMS_PATH]",
        ),
    ],
    ids=lambda v: v.split("/")[-1],
)
def test_recorded_map_parallel_and_evaluation_failures(sfn, snapshot, test):
    """Retried Parallel/Map states (no …StateFailed until they fail for good), a Map that starts
    no iteration after one failed, empty and non-array items, and ``EvaluationFailed`` events."""
    assert_replays(sfn, snapshot, test)


def test_nested_start_execution_and_sync(sfn, make_machine):
    child = make_machine(
        {"StartAt": "C", "States": {"C": {"Type": "Pass", "Result": {"done": True}, "End": True}}}
    )
    parent = make_machine(
        {
            "StartAt": "Fire",
            "States": {
                "Fire": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution",
                    "Parameters": {"StateMachineArn": child, "Input": None, "Name": "fired"},
                    "ResultSelector": {"arn.$": "$.ExecutionArn"},
                    "ResultPath": "$.fired",
                    "Next": "Wait",
                },
                "Wait": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::states:startExecution.sync:2",
                    "Parameters": {"StateMachineArn": child, "Input": {"x": 1}},
                    "ResultSelector": {"output.$": "$.Output", "status.$": "$.Status"},
                    "End": True,
                },
            },
        }
    )
    execution = sfn.start_execution(stateMachineArn=parent, input="{}")["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"output": {"done": True}, "status": "SUCCEEDED"}
    fired = sfn.describe_execution(executionArn=f"{child.replace(':stateMachine:', ':execution:')}:fired")
    assert fired["status"] in ("RUNNING", "SUCCEEDED")


def test_a_missed_heartbeat_times_the_task_out_as_recorded(sfn, make_machine, aws_client, cloudlet):
    sqs = aws_client("sqs")
    queue = sqs.create_queue(QueueName=f"beats-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    machine = {
        "StartAt": "Wait",
        "States": {
            "Wait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                "TimeoutSeconds": 600,
                "HeartbeatSeconds": 5,
                "End": True,
            }
        },
    }
    execution = sfn.start_execution(stateMachineArn=make_machine(machine))["executionArn"]
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
    cloudlet.advance_clock(6)
    described = wait_done(sfn, execution)
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    timed_out = next(e for e in history(sfn, execution) if e["type"] == "TaskTimedOut")
    assert timed_out["taskTimedOutEventDetails"] == {
        "error": "States.Timeout", "resource": "sendMessage.waitForTaskToken", "resourceType": "sqs"
    }  # fmt: skip
