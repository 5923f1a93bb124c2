"""FIFO queues: groups, ordering, deduplication, in-flight groups, receive attempts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_message_group_id_is_required(sqs_raw, make_queue):
    url = make_queue("nogroup", fifo=True, ContentBasedDeduplication="true")
    with pytest.raises(ClientError) as exc:
        sqs_raw.send_message(QueueUrl=url, MessageBody="x")
    assert error_of(exc) == (
        "MissingParameter",
        "The request must contain the parameter MessageGroupId.",
        400,
    )


def test_deduplication_id_or_content_based_is_required(sqs, make_queue):
    url = make_queue("nodedup", fifo=True)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    assert error_of(exc) == (
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        400,
    )


def test_per_message_delay_is_refused(sqs, make_queue):
    url = make_queue("nodelay", fifo=True, ContentBasedDeduplication="true")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g", DelaySeconds=2)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid "
        "for this queue type.",
        400,
    )


@pytest.mark.parametrize("value", ["", "a" * 129, "group 123"])
def test_invalid_group_and_deduplication_ids(sqs_raw, make_queue, value):
    url = make_queue("ids", fifo=True)
    for name in ("MessageGroupId", "MessageDeduplicationId"):
        params = {"MessageGroupId": "g", "MessageDeduplicationId": "d", name: value}
        with pytest.raises(ClientError) as exc:
            sqs_raw.send_message(QueueUrl=url, MessageBody="x", **params)
        assert error_of(exc) == (
            "InvalidParameterValue",
            f"Value {value} for parameter {name} is invalid. Reason: {name} can only include alphanumeric and "
            "punctuation characters. 1 to 128 in length.",
            400,
        )


def test_deduplication_by_id_within_five_minutes(sqs, make_queue, cloudlet):
    url = make_queue("dedup", fifo=True)
    first = sqs.send_message(QueueUrl=url, MessageBody="a", MessageGroupId="g", MessageDeduplicationId="d1")
    again = sqs.send_message(QueueUrl=url, MessageBody="b", MessageGroupId="g", MessageDeduplicationId="d1")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    m = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # still deduplicated after the delete, inside the window
    sqs.send_message(QueueUrl=url, MessageBody="c", MessageGroupId="g", MessageDeduplicationId="d1")
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    cloudlet.advance_clock(301)
    sqs.send_message(QueueUrl=url, MessageBody="d", MessageGroupId="g", MessageDeduplicationId="d1")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "d"


def test_content_based_deduplication(sqs, make_queue):
    url = make_queue("cbd", fifo=True, ContentBasedDeduplication="true")
    a = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g1")
    b = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g2")
    assert a["MessageId"] == b["MessageId"]  # deduplication scope is the queue
    m = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert m["Attributes"]["MessageDeduplicationId"] == __import__("hashlib").sha256(b"same").hexdigest()


def test_deduplication_scope_message_group(sqs, make_queue):
    url = make_queue(
        "scope", fifo=True, DeduplicationScope="messageGroup", FifoThroughputLimit="perMessageGroupId"
    )
    a = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1", MessageDeduplicationId="d")
    b = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g2", MessageDeduplicationId="d")
    c = sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1", MessageDeduplicationId="d")
    assert a["MessageId"] != b["MessageId"] and a["MessageId"] == c["MessageId"]


def test_order_within_a_group_and_in_flight_groups_block(sqs, make_queue, cloudlet):
    url = make_queue("order", fifo=True, ContentBasedDeduplication="true")
    for i in range(5):
        sqs.send_message(QueueUrl=url, MessageBody=f"a{i}", MessageGroupId="A")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"b{i}", MessageGroupId="B")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in first] == ["a0", "a1"]
    # group A is in flight: only B can be received now
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in second] == ["b0", "b1", "b2"]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    for m in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    third = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in third] == ["a2", "a3", "a4"]
    for m in third:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # B's messages were never deleted: they come back, in order, after their timeout
    cloudlet.advance_clock(31)
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in again] == ["b0", "b1", "b2"]


def test_sequence_numbers_and_fifo_system_attributes(sqs, make_queue):
    url = make_queue("seq", fifo=True)
    sent = [
        sqs.send_message(QueueUrl=url, MessageBody=str(i), MessageGroupId="g", MessageDeduplicationId=str(i))
        for i in range(3)
    ]
    numbers = [int(s["SequenceNumber"]) for s in sent]
    assert numbers == sorted(numbers) and len(set(numbers)) == 3
    assert all(len(s["SequenceNumber"]) == 20 for s in sent)
    m = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert m["Attributes"]["MessageGroupId"] == "g"
    assert m["Attributes"]["MessageDeduplicationId"] == "0"
    assert m["Attributes"]["SequenceNumber"] == sent[0]["SequenceNumber"]


def test_expired_receipt_handle_on_fifo(sqs, make_queue, cloudlet):
    url = make_queue("expired", fifo=True, ContentBasedDeduplication="true")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=5)["Messages"][0]["ReceiptHandle"]
    cloudlet.advance_clock(6)
    with pytest.raises(ClientError) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert error_of(exc) == (
        "InvalidParameterValue",
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.",
        400,
    )


def test_receive_request_attempt_id_returns_the_same_messages(sqs, make_queue):
    url = make_queue("attempt", fifo=True, ContentBasedDeduplication="true")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}", MessageGroupId="g")
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")[
        "Messages"
    ]
    retry = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2, ReceiveRequestAttemptId="try-1")[
        "Messages"
    ]
    assert [m["MessageId"] for m in retry] == [m["MessageId"] for m in first]
    assert [m["ReceiptHandle"] for m in retry] == [m["ReceiptHandle"] for m in first]
    for m in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    other = sqs.receive_message(QueueUrl=url, ReceiveRequestAttemptId="try-2")["Messages"]
    assert [m["Body"] for m in other] == ["m2"]


def test_standard_queue_refuses_deduplication_id(sqs, make_queue):
    url = make_queue("stddedup")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")
    assert error_of(exc)[0] == "InvalidParameterValue"


def test_standard_queue_accepts_message_group_id(sqs, make_queue):
    url = make_queue("fair")
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="tenant-1")
    m = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["MessageGroupId"])["Messages"][0]
    assert m["Attributes"]["MessageGroupId"] == "tenant-1"
