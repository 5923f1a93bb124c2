"""FIFO queues: groups, ordering, deduplication, in-flight groups, receive attempts."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of
from .query_client import QueryError


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


# ---- delivery across groups (AWS's recorded orderings, test_sqs.py of the recordings) ----


def _fifo_with(make_queue, sqs, sends: list[tuple[str, str]], **attributes: str) -> str:
    url = make_queue("groups", fifo=True, ContentBasedDeduplication="true", **attributes)
    for group, body in sends:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    return url


def _bodies(response: dict) -> list[str]:
    return [m["Body"] for m in response.get("Messages", [])]


def test_a_receive_takes_one_group_in_order_before_the_next(sqs, make_queue):
    url = _fifo_with(make_queue, sqs, [("g1", "g1-m1"), ("g2", "g2-m1"), ("g1", "g1-m2"), ("g1", "g1-m3")])
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == [
        "g1-m1",
        "g1-m2",
        "g1-m3",
        "g2-m1",
    ]


def test_zero_visibility_returns_groups_behind_those_never_received(sqs, make_queue):
    url = _fifo_with(
        make_queue,
        sqs,
        [("g1", "g1-m1"), ("g2", "g2-m1"), ("g2", "g2-m2"), ("g3", "g3-m1"), ("g1", "g1-m2")],
    )
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, VisibilityTimeout=0)
    assert _bodies(first) == ["g1-m1", "g1-m2", "g2-m1"]
    # the groups whose visibility ended became available again at once, in order, after g3
    again = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert _bodies(again) == ["g3-m1", "g1-m1", "g1-m2", "g2-m1", "g2-m2"]


def test_visibility_timeout_ending_requeues_the_group_behind_waiting_ones(sqs, make_queue, cloudlet):
    url = _fifo_with(
        make_queue,
        sqs,
        [
            ("g1", "g1-m1"),
            ("g1", "g1-m2"),
            ("g1", "g1-m3"),
            ("g1", "g1-m4"),
            ("g2", "g2-m1"),
            ("g3", "g3-m1"),
        ],
        VisibilityTimeout="1",
    )
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)) == ["g1-m1", "g1-m2"]
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)) == ["g2-m1"]
    cloudlet.advance_clock(2)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0)
    assert _bodies(got) == ["g3-m1", "g1-m1", "g1-m2", "g1-m3", "g1-m4", "g2-m1"]


def test_terminated_visibility_frees_that_message_only(sqs, make_queue):
    url = _fifo_with(
        make_queue, sqs, [("g1", "g1-m1"), ("g1", "g1-m2"), ("g2", "g2-m1")], VisibilityTimeout="30"
    )
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0)
    # g1-m2 is still in flight: only g1-m1 comes back, behind g2
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)) == ["g2-m1", "g1-m1"]


def test_shortened_visibility_frees_that_message_when_it_ends(sqs, make_queue, cloudlet):
    url = _fifo_with(
        make_queue, sqs, [("g1", "g1-m1"), ("g1", "g1-m2"), ("g2", "g2-m1")], VisibilityTimeout="30"
    )
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=1)
    cloudlet.advance_clock(2)
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3)) == ["g2-m1", "g1-m1"]


def _interleaved(make_queue, sqs) -> str:
    # "g1-m2" twice: the second is a duplicate (content-based deduplication)
    return _fifo_with(
        make_queue,
        sqs,
        [
            ("g1", "g1-m1"),
            ("g2", "g2-m1"),
            ("g1", "g1-m2"),
            ("g2", "g2-m2"),
            ("g1", "g1-m2"),
            ("g1", "g1-m3"),
            ("g1", "g1-m4"),
            ("g3", "g3-m1"),
        ],
    )


def test_deleting_the_in_flight_messages_frees_the_group_in_its_place(sqs, make_queue):
    url = _interleaved(make_queue, sqs)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    assert [m["Body"] for m in first] == ["g1-m1", "g1-m2"]
    for m in first:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert _bodies(got) == ["g2-m1", "g2-m2", "g1-m3", "g1-m4", "g3-m1"]


def test_a_group_with_a_message_in_flight_stays_blocked(sqs, make_queue):
    url = _interleaved(make_queue, sqs)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["g2-m1", "g2-m2", "g3-m1"]


@pytest.mark.parametrize(
    ("visible_now", "extended", "expected"),
    [
        ([], [], []),  # nothing made visible: the whole group stays in flight
        ([0], [], ["foo"]),
        ([0, 1], [], ["foo", "bar"]),
        (None, [0, 1, 2], []),  # the timeout passes, every message was extended
        (None, [1], ["foo"]),  # bar still in flight holds baz back
        (None, [], ["foo", "bar", "baz"]),
    ],
)
def test_group_visibility_follows_each_message(sqs, make_queue, cloudlet, visible_now, extended, expected):
    url = _fifo_with(make_queue, sqs, [("g", "foo"), ("g", "bar"), ("g", "baz")])
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30)["Messages"]
    assert [m["Body"] for m in got] == ["foo", "bar", "baz"]
    for i in visible_now or []:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=got[i]["ReceiptHandle"], VisibilityTimeout=0
        )
    for i in extended:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=got[i]["ReceiptHandle"], VisibilityTimeout=300
        )
    if visible_now is None:
        cloudlet.advance_clock(31)
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == expected


def test_purge_clears_the_deduplication_window(sqs, make_queue, cloudlet):
    url = make_queue("purgededup", fifo=True)
    sqs.send_message(QueueUrl=url, MessageBody="message-1", MessageGroupId="g", MessageDeduplicationId="d")
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="message-2", MessageGroupId="g", MessageDeduplicationId="d")
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["message-2"]


def test_batch_without_deduplication_id_fails_as_a_whole(sqs, make_queue):
    url = make_queue("batchdedup", fifo=True)
    entries = [
        {"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
        {"Id": "b", "MessageBody": "x", "MessageGroupId": "g"},
    ]
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        400,
    )
    assert "Messages" not in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)


def test_batch_without_message_group_id_fails_as_a_whole(sqs, sqs_query, make_queue):
    url = make_queue("batchgroup", fifo=True)
    entries = [
        {"Id": "a", "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
        {"Id": "b", "MessageBody": "x", "MessageDeduplicationId": "d2"},
    ]
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "The request must contain the parameter MessageGroupId.",
        400,
    )
    assert exc.value.response["Error"]["QueryErrorCode"] == "InvalidParameterValueException"
    with pytest.raises(QueryError) as qexc:
        sqs_query.call("SendMessageBatch", QueueUrl=url, Entries=entries)
    assert qexc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_sequence_numbers_increase_per_queue_in_batches_too(sqs, make_queue):
    a, b = make_queue("seqa", fifo=True), make_queue("seqb", fifo=True)
    numbers = []
    for i in range(3):
        for url in (a, b):  # interleaved queues: each queue's numbers still increase
            out = sqs.send_message_batch(
                QueueUrl=url,
                Entries=[
                    {
                        "Id": f"e{j}",
                        "MessageBody": "x",
                        "MessageGroupId": "g",
                        "MessageDeduplicationId": f"{i}-{j}",
                    }
                    for j in range(2)
                ],
            )
            if url == a:
                numbers += [s["SequenceNumber"] for s in out["Successful"]]
    assert all(len(n) == 20 and n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers) and len(set(numbers)) == 6
    again = sqs.send_message(QueueUrl=a, MessageBody="x", MessageGroupId="g", MessageDeduplicationId="0-0")
    assert again["SequenceNumber"] == numbers[0]
