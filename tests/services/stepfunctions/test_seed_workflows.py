"""The seed workflows of issue 17, end to end on a real server: a booking saga with Retry, Catch
and compensations; dependent uploads joined by ``.waitForTaskToken``; a polling loop with Wait.
(The distributed Map over an S3 CSV, the redriven execution and the mocked test case are in
test_distributed_map.py, test_flow.py and test_mocks.py.)"""

from __future__ import annotations

import json
import time
import uuid

import pytest

from .conftest import history, python_function, wait_done

BOOKING = """
class TransientError(Exception):
    pass

class SoldOut(Exception):
    pass

def handler(event, context):
    kind = event["kind"]
    if kind == "flight" and event.get("attempt", 0) < event.get("flaky", 0):
        raise TransientError("the airline did not answer")
    if kind == "flight" and event.get("sold_out"):
        raise SoldOut("no seat left on " + event["trip"])
    if kind == "status":
        return {"status": "DONE" if event["polls"] >= 3 else "RUNNING", "polls": event["polls"]}
    return {"id": kind + "-" + event["trip"], "kind": kind}
"""


@pytest.fixture(scope="module")
def booking(cloudlet) -> str:
    return python_function(cloudlet.endpoint, BOOKING, "seed")


def run_on_the_clock(sfn, cloudlet, execution: str, step: float = 5.0, limit: float = 20.0) -> dict:
    """Advance the service clock ``step`` seconds at a time until the execution ends."""
    deadline = time.monotonic() + limit
    while True:
        described = sfn.describe_execution(executionArn=execution)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        cloudlet.advance_clock(step)
        time.sleep(0.01)


def _reserve(kind: str, function: str, then: str, compensate: str | None, **extra) -> dict:
    state = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {
            "FunctionName": function,
            "Payload": {"kind": kind, "trip.$": "$.trip", "attempt.$": "$$.State.RetryCount", **extra},
        },
        "ResultSelector": {"id.$": "$.Payload.id"},
        "ResultPath": f"$.{kind}",
        "Next": then,
    }
    if compensate:
        state["Catch"] = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": compensate}]
    return state


def _record(table: str, kind: str, then: str) -> dict:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Parameters": {
            "TableName": table,
            "Item": {"trip": {"S.$": "$.trip"}, "kind": {"S": kind}, "ref": {"S.$": f"$.{kind}.id"}},
        },
        "ResultPath": None,
        "Next": then,
    }


def _cancel(table: str, kind: str, then: str) -> dict:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:deleteItem",
        "Parameters": {"TableName": table, "Key": {"trip": {"S.$": "$.trip"}, "kind": {"S": kind}}},
        "ResultPath": None,
        "Next": then,
    }


def saga(function: str, table: str) -> dict:
    flight = _reserve(
        "flight",
        function,
        "RecordFlight",
        "CancelHotel",
        **{"flaky.$": "$.flaky", "sold_out.$": "$.sold_out"},
    )
    flight["Retry"] = [
        {"ErrorEquals": ["TransientError"], "IntervalSeconds": 2, "BackoffRate": 2.0, "MaxAttempts": 3}
    ]
    return {
        "Comment": "Book a hotel, a flight and a car; undo what was booked when a step fails",
        "StartAt": "ReserveHotel",
        "States": {
            "ReserveHotel": _reserve("hotel", function, "RecordHotel", "Failed"),
            "RecordHotel": _record(table, "hotel", "ReserveFlight"),
            "ReserveFlight": flight,
            "RecordFlight": _record(table, "flight", "ReserveCar"),
            "ReserveCar": _reserve("car", function, "RecordCar", "CancelFlight"),
            "RecordCar": _record(table, "car", "Booked"),
            "Booked": {"Type": "Succeed"},
            "CancelFlight": _cancel(table, "flight", "CancelHotel"),
            "CancelHotel": _cancel(table, "hotel", "Failed"),
            "Failed": {"Type": "Fail", "Error": "BookingFailed", "CausePath": "$.error.Cause"},
        },
    }


def test_booking_saga_with_retries_and_compensations(sfn, make_machine, aws_client, cloudlet, booking):
    ddb = aws_client("dynamodb")
    table = f"trips-{uuid.uuid4().hex[:8]}"
    ddb.create_table(
        TableName=table,
        KeySchema=[
            {"AttributeName": "trip", "KeyType": "HASH"},
            {"AttributeName": "kind", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "trip", "AttributeType": "S"},
            {"AttributeName": "kind", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    arn = make_machine(saga(booking, table))

    # two transient failures, retried after 2 s then 4 s on the service clock: booked
    ok = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"trip": "t1", "flaky": 2, "sold_out": False})
    )["executionArn"]
    described = run_on_the_clock(sfn, cloudlet, ok, step=2.0)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert (output["hotel"], output["flight"], output["car"]) == (
        {"id": "hotel-t1"}, {"id": "flight-t1"}, {"id": "car-t1"}
    )  # fmt: skip
    kinds = {i["kind"]["S"] for i in ddb.query(
        TableName=table, KeyConditionExpression="trip = :t", ExpressionAttributeValues={":t": {"S": "t1"}}
    )["Items"]}  # fmt: skip
    assert kinds == {"hotel", "flight", "car"}
    events = history(sfn, ok)
    failures = [e for e in events if e["type"] == "TaskFailed"]
    assert [f["taskFailedEventDetails"]["error"] for f in failures] == ["TransientError", "TransientError"]

    # sold out: caught, the hotel booking undone, the execution fails with the flight's cause
    bad = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"trip": "t2", "flaky": 0, "sold_out": True})
    )["executionArn"]
    described = wait_done(sfn, bad)
    assert described["status"] == "FAILED"
    assert described["error"] == "BookingFailed"
    assert json.loads(described["cause"])["errorMessage"] == "no seat left on t2"
    left = ddb.query(
        TableName=table, KeyConditionExpression="trip = :t", ExpressionAttributeValues={":t": {"S": "t2"}}
    )["Items"]
    assert left == []
    entered = [
        e["stateEnteredEventDetails"]["name"] for e in history(sfn, bad) if "stateEnteredEventDetails" in e
    ]
    assert entered == ["ReserveHotel", "RecordHotel", "ReserveFlight", "CancelHotel", "Failed"]

    # retries exhausted: the transient error is caught like any other
    flaky = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"trip": "t3", "flaky": 9, "sold_out": False})
    )["executionArn"]
    described = run_on_the_clock(sfn, cloudlet, flaky, step=4.0)
    assert (described["status"], described["error"]) == ("FAILED", "BookingFailed")
    assert json.loads(described["cause"])["errorType"] == "TransientError"


def test_dependent_uploads_joined_by_task_tokens(sfn, make_machine, aws_client):
    sqs = aws_client("sqs")
    queue = sqs.create_queue(QueueName=f"uploads-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    def upload(part: str) -> dict:
        return {
            "StartAt": f"Upload{part}",
            "States": {
                f"Upload{part}": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {
                        "QueueUrl": queue,
                        "MessageBody": {"part": part, "file.$": "$.file", "token.$": "$$.Task.Token"},
                    },
                    "HeartbeatSeconds": 600,
                    "End": True,
                }
            },
        }

    machine = {
        "StartAt": "Uploads",
        "States": {
            "Uploads": {
                "Type": "Parallel",
                "Branches": [upload("Thumbnail"), upload("Original")],
                "ResultSelector": {"thumbnail.$": "$[0].url", "original.$": "$[1].url"},
                "Catch": [{"ErrorEquals": ["UploadRejected"], "Next": "Rejected"}],
                "Next": "Publish",
            },
            "Publish": {
                "Type": "Pass",
                "Parameters": {"page.$": "States.Format('{} + {}', $.thumbnail, $.original)"},
                "End": True,
            },
            "Rejected": {"Type": "Fail", "Error": "Rejected", "CausePath": "$.Cause"},
        },
    }
    arn = make_machine(machine)

    def tokens() -> dict[str, str]:
        """The two uploads' task tokens, from the messages the branches sent."""
        found: dict[str, str] = {}
        deadline = time.monotonic() + 10
        while len(found) < 2 and time.monotonic() < deadline:
            answer = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in answer.get("Messages", []):
                body = json.loads(message["Body"])
                found[body["part"]] = body["token"]
                sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        assert set(found) == {"Thumbnail", "Original"}
        return found

    ok = sfn.start_execution(stateMachineArn=arn, input='{"file": "cat.png"}')["executionArn"]
    found = tokens()
    # while the execution waits, its history shows where it is
    waiting = [e["type"] for e in history(sfn, ok)]
    assert waiting.count("TaskSubmitted") == 2 and waiting[-1] == "TaskSubmitted"
    # the original finishes first: the join waits for both
    sfn.send_task_success(taskToken=found["Original"], output='{"url": "s3://Original/cat.png"}')
    time.sleep(0.05)
    assert sfn.describe_execution(executionArn=ok)["status"] == "RUNNING"
    sfn.send_task_success(taskToken=found["Thumbnail"], output='{"url": "s3://Thumbnail/cat.png"}')
    described = wait_done(sfn, ok)
    assert json.loads(described["output"]) == {"page": "s3://Thumbnail/cat.png + s3://Original/cat.png"}

    bad = sfn.start_execution(stateMachineArn=arn, input='{"file": "big.tiff"}')["executionArn"]
    found = tokens()
    sfn.send_task_failure(taskToken=found["Original"], error="UploadRejected", cause="too large")
    described = wait_done(sfn, bad)
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "Rejected",
        "too large",
    )
    # the other branch was cancelled with the Parallel state: its token is no longer valid
    with pytest.raises(sfn.exceptions.TaskTimedOut):
        sfn.send_task_success(taskToken=found["Thumbnail"], output="{}")


def test_polling_loop_with_wait(sfn, make_machine, cloudlet, booking):
    machine = {
        "StartAt": "Init",
        "States": {
            "Init": {"Type": "Pass", "Result": 0, "ResultPath": "$.polls", "Next": "Check"},
            "Check": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": booking, "Payload": {"kind": "status", "polls.$": "$.polls"}},
                "ResultSelector": {"status.$": "$.Payload.status"},
                "ResultPath": "$.job",
                "Next": "Done?",
            },
            "Done?": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.job.status", "StringEquals": "DONE", "Next": "Finished"}],
                "Default": "Count",
            },
            "Count": {
                "Type": "Pass",
                "Parameters": {"polls.$": "States.MathAdd($.polls, 1)"},
                "Next": "WaitAMinute",
            },
            "WaitAMinute": {"Type": "Wait", "Seconds": 60, "Next": "Check"},
            "Finished": {"Type": "Succeed", "OutputPath": "$.polls"},
        },
    }
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert wait_done(sfn, execution, timeout=0.5)["status"] == "RUNNING"  # waiting a minute on the clock
    described = run_on_the_clock(sfn, cloudlet, execution, step=60.0)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == 3
    waits = [e for e in history(sfn, execution) if e["type"] == "WaitStateEntered"]
    assert len(waits) == 3
