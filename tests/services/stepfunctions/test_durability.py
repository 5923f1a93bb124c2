"""Standard executions after kill -9: they continue from their last completed transition."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

from cloudlet.testing.server import ServerProcess, client

from .conftest import ROLE

MACHINE = {
    "StartAt": "First",
    "States": {
        "First": {"Type": "Pass", "Result": {"step": 1}, "ResultPath": "$.first", "Next": "Sleep"},
        "Sleep": {"Type": "Wait", "Seconds": 3600, "Next": "Last"},
        "Last": {"Type": "Pass", "Result": {"step": 2}, "ResultPath": "$.last", "End": True},
    },
}


@contextmanager
def running(server: ServerProcess) -> Iterator[None]:
    """The server started for the block, then killed with SIGKILL (as kill -9 would)."""
    server.start()
    try:
        yield
    finally:
        server.kill()


def _until_status(sfn, arn: str, wanted: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] == wanted or time.monotonic() > deadline:
            return described
        time.sleep(0.02)


def test_a_waiting_execution_survives_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path))
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        machine = sfn.create_state_machine(name="durable", definition=json.dumps(MACHINE), roleArn=ROLE)
        execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input='{"a": 1}')[
            "executionArn"
        ]
        deadline = time.monotonic() + 10
        while (
            len(sfn.get_execution_history(executionArn=execution)["events"]) < 4
            and time.monotonic() < deadline
        ):
            time.sleep(0.02)  # First done, Sleep entered and checkpointed
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
        server.advance_clock(3601)
        described = _until_status(sfn, execution, "SUCCEEDED")
        assert described["status"] == "SUCCEEDED"
        assert json.loads(described["output"]) == {"a": 1, "first": {"step": 1}, "last": {"step": 2}}
        events = sfn.get_execution_history(executionArn=execution)["events"]
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        types = [e["type"] for e in events]
        assert types.count("PassStateEntered") == 2 and types.count("ExecutionSucceeded") == 1
        assert types.count("WaitStateEntered") == 1  # resumed in the Wait, not entered again


def test_a_task_waiting_for_its_token_survives_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path))
    with running(server):
        sqs = client("sqs", server.endpoint)
        queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]
        sfn = client("stepfunctions", server.endpoint)
        machine = {
            "StartAt": "Prepare",
            "States": {
                "Prepare": {"Type": "Pass", "Assign": {"who": "ann"}, "Next": "Approve"},
                "Approve": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "ResultPath": "$.approval",
                    "Next": "Done",
                },
                "Done": {
                    "Type": "Pass",
                    "Parameters": {"approval.$": "$.approval", "who.$": "$who"},
                    "End": True,
                },
            },
        }
        arn = sfn.create_state_machine(name="approval", definition=json.dumps(machine), roleArn=ROLE)
        execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input="{}")["executionArn"]
        (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
        token = json.loads(message["Body"])["token"]
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        time.sleep(0.3)  # the task stores its token once its message is sent (a moment after)
    with running(server):
        sqs = client("sqs", server.endpoint)
        sfn = client("stepfunctions", server.endpoint)
        assert sfn.describe_execution(executionArn=execution)["status"] == "RUNNING"
        # the task was not run again: no second message, and the token handed out still answers
        assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=0).get("Messages", []) == []
        sfn.send_task_success(taskToken=token, output='{"ok": true}')
        described = _until_status(sfn, execution, "SUCCEEDED")
        assert json.loads(described["output"]) == {"approval": {"ok": True}, "who": "ann"}
        events = sfn.get_execution_history(executionArn=execution)["events"]
        types = [e["type"] for e in events]
        assert types.count("TaskScheduled") == 1 and types.count("TaskStateEntered") == 1
        assert [e["id"] for e in events] == list(range(1, len(events) + 1))
        succeeded = events[types.index("TaskSucceeded")]
        assert succeeded["previousEventId"] == events[types.index("TaskSubmitted")]["id"]


def test_an_answer_given_before_kill_9_is_not_lost(tmp_path):
    server = ServerProcess(str(tmp_path))
    with running(server):
        sqs = client("sqs", server.endpoint)
        queue = sqs.create_queue(QueueName="approvals")["QueueUrl"]
        sfn = client("stepfunctions", server.endpoint)
        machine = {
            "StartAt": "Approve",
            "States": {
                "Approve": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "Next": "Later",
                },
                "Later": {"Type": "Wait", "Seconds": 3600, "End": True},
            },
        }
        arn = sfn.create_state_machine(name="approval", definition=json.dumps(machine), roleArn=ROLE)
        execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input="{}")["executionArn"]
        (message,) = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=5)["Messages"]
        sfn.send_task_failure(taskToken=json.loads(message["Body"])["token"], error="No", cause="refused")
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        described = _until_status(sfn, execution, "FAILED")
        assert (described["status"], described["error"], described["cause"]) == ("FAILED", "No", "refused")


def test_activity_tasks_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path))
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        activity = sfn.create_activity(name="review")["activityArn"]
        machine = {
            "StartAt": "First",
            "States": {
                "First": {"Type": "Task", "Resource": activity, "ResultPath": "$.first", "Next": "Second"},
                "Second": {"Type": "Task", "Resource": activity, "ResultPath": "$.second", "End": True},
            },
        }
        arn = sfn.create_state_machine(name="reviews", definition=json.dumps(machine), roleArn=ROLE)
        execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input="{}")["executionArn"]
        first = sfn.get_activity_task(activityArn=activity, workerName="before")  # taken before the kill
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        sfn.send_task_success(taskToken=first["taskToken"], output='"one"')
        second = sfn.get_activity_task(activityArn=activity, workerName="after")
        assert second["taskToken"] and json.loads(second["input"]) == {"first": "one"}
    with running(server):  # killed while the second task was taken: its worker still answers
        sfn = client("stepfunctions", server.endpoint)
        sfn.send_task_success(taskToken=second["taskToken"], output='"two"')
        described = _until_status(sfn, execution, "SUCCEEDED")
        assert json.loads(described["output"]) == {"first": "one", "second": "two"}
        types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
        assert types.count("ActivityScheduled") == 2 and types.count("ActivityStarted") == 2


def test_an_activity_task_scheduled_before_kill_9_is_still_offered(tmp_path):
    server = ServerProcess(str(tmp_path))
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        activity = sfn.create_activity(name="review")["activityArn"]
        machine = {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}}
        arn = sfn.create_state_machine(name="reviews", definition=json.dumps(machine), roleArn=ROLE)
        execution = sfn.start_execution(stateMachineArn=arn["stateMachineArn"], input='{"n": 1}')[
            "executionArn"
        ]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            events = sfn.get_execution_history(executionArn=execution)["events"]
            if events[-1]["type"] == "ActivityScheduled":
                break
            time.sleep(0.02)
    with running(server):
        sfn = client("stepfunctions", server.endpoint)
        task = sfn.get_activity_task(activityArn=activity, workerName="w")
        assert json.loads(task["input"]) == {"n": 1}
        sfn.send_task_success(taskToken=task["taskToken"], output='{"done": true}')
        assert json.loads(_until_status(sfn, execution, "SUCCEEDED")["output"]) == {"done": True}
        types = [e["type"] for e in sfn.get_execution_history(executionArn=execution)["events"]]
        assert types.count("ActivityScheduled") == 1
