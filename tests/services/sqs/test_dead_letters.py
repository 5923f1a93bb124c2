"""Dead-letter queues, RedriveAllowPolicy and message move tasks (redrive)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import arn_of, error_of


def redrive(arn: str, count: int) -> str:
    return json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": count})


def exhaust(sqs, url: str, times: int) -> None:
    for _ in range(times):
        assert "Messages" in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_max_receive_count_moves_the_message(sqs, make_queue):
    dlq = make_queue("dlq")
    dlq_arn = arn_of(sqs, dlq)
    src = make_queue("src", RedrivePolicy=redrive(dlq_arn, 2))
    sent = sqs.send_message(
        QueueUrl=src,
        MessageBody="poison",
        MessageAttributes={"MyAttribute": {"DataType": "String", "StringValue": "foobar"}},
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-5759e988"}},
    )
    exhaust(sqs, src, 2)
    assert "Messages" not in sqs.receive_message(QueueUrl=src)  # the third receive moved it
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["All"], MessageAttributeNames=["All"])[
        "Messages"
    ][0]
    assert moved["MessageId"] == sent["MessageId"] and moved["Body"] == "poison"
    assert moved["MessageAttributes"] == {"MyAttribute": {"DataType": "String", "StringValue": "foobar"}}
    assert moved["MD5OfMessageAttributes"] == "adb59cd4678ea5a855436b949cd07ab6"
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == arn_of(sqs, src)
    assert moved["Attributes"]["AWSTraceHeader"] == "Root=1-5759e988"
    assert moved["Attributes"]["ApproximateReceiveCount"] == "3"


def test_dead_letter_queue_must_exist_and_match_type(sqs, make_queue):
    with pytest.raises(ClientError) as exc:
        make_queue("src", RedrivePolicy=redrive("arn:aws:sqs:us-east-1:000000000000:nope", 1))
    assert error_of(exc)[0] == "InvalidAttributeValue"
    fifo_dlq = make_queue("fifodlq", fifo=True)
    with pytest.raises(ClientError) as exc:
        make_queue("stdsrc", RedrivePolicy=redrive(arn_of(sqs, fifo_dlq), 1))
    assert error_of(exc)[0] == "InvalidAttributeValue"
    std_dlq = make_queue("stddlq")
    with pytest.raises(ClientError):
        make_queue("fifosrc", fifo=True, RedrivePolicy=redrive(arn_of(sqs, std_dlq), 1))
    make_queue("fifosrc", fifo=True, RedrivePolicy=redrive(arn_of(sqs, fifo_dlq), 1))


@pytest.mark.parametrize("count", [0, 1001])
def test_max_receive_count_range(sqs, make_queue, count):
    dlq = make_queue("dlq")
    with pytest.raises(ClientError) as exc:
        make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), count))
    assert error_of(exc)[0] == "InvalidAttributeValue"


def test_redrive_allow_policy(sqs, make_queue):
    deny = make_queue("deny", RedriveAllowPolicy=json.dumps({"redrivePermission": "denyAll"}))
    with pytest.raises(ClientError):
        make_queue("src", RedrivePolicy=redrive(arn_of(sqs, deny), 1))
    allowed_src = make_queue("allowed")
    by_queue = make_queue(
        "byq",
        RedriveAllowPolicy=json.dumps(
            {"redrivePermission": "byQueue", "sourceQueueArns": [arn_of(sqs, allowed_src)]}
        ),
    )
    sqs.set_queue_attributes(
        QueueUrl=allowed_src, Attributes={"RedrivePolicy": redrive(arn_of(sqs, by_queue), 1)}
    )
    with pytest.raises(ClientError):
        make_queue("other", RedrivePolicy=redrive(arn_of(sqs, by_queue), 1))
    with pytest.raises(ClientError) as exc:
        make_queue("badallow", RedriveAllowPolicy=json.dumps({"redrivePermission": "byQueue"}))
    assert error_of(exc)[0] == "InvalidAttributeValue"


def test_fifo_dead_letter_keeps_group_and_order(sqs, make_queue):
    dlq = make_queue("fdlq", fifo=True)
    src = make_queue(
        "fsrc", fifo=True, ContentBasedDeduplication="true", RedrivePolicy=redrive(arn_of(sqs, dlq), 1)
    )
    sqs.send_message(QueueUrl=src, MessageBody="first", MessageGroupId="g")
    sqs.send_message(QueueUrl=src, MessageBody="second", MessageGroupId="g")
    sqs.receive_message(QueueUrl=src, VisibilityTimeout=0)
    got = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
    assert [m["Body"] for m in got] == ["second"]  # "first" went to the DLQ on this receive
    m = sqs.receive_message(QueueUrl=dlq, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert m["Body"] == "first" and m["Attributes"]["MessageGroupId"] == "g"


def _dlq_with_messages(sqs, make_queue, n: int) -> tuple[str, str]:
    dlq = make_queue("mdlq")
    src = make_queue("msrc", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    for i in range(n):
        sqs.send_message(QueueUrl=src, MessageBody=f"m{i}")
    for _ in range(n):
        sqs.receive_message(QueueUrl=src, VisibilityTimeout=0, MaxNumberOfMessages=10)
    while sqs.receive_message(QueueUrl=src, VisibilityTimeout=0, MaxNumberOfMessages=10).get("Messages"):
        pass
    return src, dlq


def test_move_task_back_to_the_source(sqs, make_queue, cloudlet):
    src, dlq = _dlq_with_messages(sqs, make_queue, 4)
    assert (
        int(
            sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["All"])["Attributes"][
                "ApproximateNumberOfMessages"
            ]
        )
        == 4
    )
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(SourceArn=dlq_arn)["TaskHandle"]
    assert handle
    cloudlet.advance_clock(1)
    tasks = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"]
    assert tasks[0]["Status"] == "COMPLETED"
    assert (
        tasks[0]["ApproximateNumberOfMessagesMoved"] == 4
        and tasks[0]["ApproximateNumberOfMessagesToMove"] == 4
    )
    assert "TaskHandle" not in tasks[0] and "DestinationArn" not in tasks[0]
    bodies = []
    while got := sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10).get("Messages"):
        bodies += [m["Body"] for m in got]
        for m in got:
            sqs.delete_message(QueueUrl=src, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(bodies) == ["m0", "m1", "m2", "m3"]


def test_move_task_rate_and_cancel(sqs, make_queue, cloudlet):
    _src, dlq = _dlq_with_messages(sqs, make_queue, 6)
    dest = make_queue("dest")
    dlq_arn = arn_of(sqs, dlq)
    handle = sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, dest), MaxNumberOfMessagesPerSecond=2
    )["TaskHandle"]
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn=dlq_arn)
    assert error_of(exc)[1].startswith("There is already a task running.")
    cloudlet.advance_clock(0.5)  # the first second's batch ran at the start
    running = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert running["Status"] == "RUNNING" and running["TaskHandle"] == handle
    assert running["ApproximateNumberOfMessagesMoved"] == 2 and running["MaxNumberOfMessagesPerSecond"] == 2
    cancelled = sqs.cancel_message_move_task(TaskHandle=handle)
    assert cancelled["ApproximateNumberOfMessagesMoved"] == 2
    cloudlet.advance_clock(10)
    after = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert after["Status"] == "CANCELLED" and after["ApproximateNumberOfMessagesMoved"] == 2


def test_move_task_fails_when_destination_disappears(sqs, make_queue, cloudlet):
    _src, dlq = _dlq_with_messages(sqs, make_queue, 3)
    dest = make_queue("vanish")
    dlq_arn = arn_of(sqs, dlq)
    sqs.start_message_move_task(
        SourceArn=dlq_arn, DestinationArn=arn_of(sqs, dest), MaxNumberOfMessagesPerSecond=1
    )
    sqs.delete_queue(QueueUrl=dest)
    cloudlet.advance_clock(5)
    task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
    assert task["Status"] == "FAILED" and task["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"


def test_move_task_errors(sqs, make_queue):
    plain = make_queue("plain")
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn=arn_of(sqs, plain))
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Source queue must be configured as a Dead Letter Queue.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(SourceArn="arn:aws:sqs:us-east-1:000000000000:missing")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "The resource that you specified for the SourceArn parameter doesn't exist.",
        404,
    )
    _, dlq = _dlq_with_messages(sqs, make_queue, 1)
    with pytest.raises(ClientError) as exc:
        sqs.start_message_move_task(
            SourceArn=arn_of(sqs, dlq), DestinationArn="arn:aws:sqs:us-east-1:000000000000:nope"
        )
    assert (
        error_of(exc)[1] == "The resource that you specified for the DestinationArn parameter doesn't exist."
    )
    with pytest.raises(ClientError) as exc:
        sqs.cancel_message_move_task(TaskHandle="not-a-handle")
    assert error_of(exc) == ("InvalidParameterValue", "Value for parameter TaskHandle is invalid.", 400)


def test_a_receive_moves_exhausted_messages_and_still_fills_the_batch(sqs, make_queue):
    """Exhausted messages ahead of fresh ones are moved, and the receive goes on to the fresh ones."""
    dlq = make_queue("dlq")
    src = make_queue("src", RedrivePolicy=redrive(arn_of(sqs, dlq), 1))
    for i in range(12):
        sqs.send_message(QueueUrl=src, MessageBody=f"old-{i}")
    seen = 0
    while seen < 12:
        seen += len(
            sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)["Messages"]
        )
    for i in range(3):
        sqs.send_message(QueueUrl=src, MessageBody=f"new-{i}")
    got = sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=3)["Messages"]
    assert sorted(m["Body"] for m in got) == ["new-0", "new-1", "new-2"]
    moved = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
    assert moved["Attributes"]["ApproximateNumberOfMessages"] == "12"
