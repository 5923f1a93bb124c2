"""SQS messages: send, receive, delete, visibility, delays, retention, long polling, batches."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of
from .query_client import QueryError


def count(sqs, url: str, name: str = "ApproximateNumberOfMessages") -> int:
    return int(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name])


def test_send_receive_delete_with_md5s(sqs, make_queue):
    url = make_queue("basic")
    attrs = {
        "s": {"DataType": "String", "StringValue": "foobar"},
        "n": {"DataType": "Number", "StringValue": "12.5"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01binary"},
        "c": {"DataType": "String.custom", "StringValue": "typed"},
    }
    sent = sqs.send_message(QueueUrl=url, MessageBody="hello ☃", MessageAttributes=attrs)
    assert sent["MD5OfMessageBody"] == hashlib.md5("hello ☃".encode()).hexdigest()
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"]
    assert len(got) == 1
    m = got[0]
    assert m["MessageId"] == sent["MessageId"] and m["Body"] == "hello ☃"
    assert m["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert m["MessageAttributes"] == attrs
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert count(sqs, url) == 0 and count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0


def test_md5_of_message_attributes_matches_aws(sqs, make_queue):
    url = make_queue("md5")
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="message-1",
        MessageAttributes={"MyAttribute": {"DataType": "String", "StringValue": "foobar"}},
    )
    # Recorded from AWS (aws-reference, test_dead_letter_queue_message_attributes).
    assert sent["MD5OfMessageAttributes"] == "adb59cd4678ea5a855436b949cd07ab6"
    assert sent["MD5OfMessageBody"] == "3d6b824fd8c1520e9a047d21fee6fb1f"


def test_receive_attribute_selection(sqs, make_queue):
    url = make_queue("select")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="msg",
        MessageAttributes={
            "Foo": {"DataType": "String", "StringValue": "Bar"},
            "app.id": {"DataType": "Number", "StringValue": "1"},
            "app.name": {"DataType": "String", "StringValue": "n"},
        },
        MessageSystemAttributes={"AWSTraceHeader": {"DataType": "String", "StringValue": "Root=1-abc"}},
    )
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    assert "Attributes" not in m and "MessageAttributes" not in m and "MD5OfMessageAttributes" not in m
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MessageSystemAttributeNames=["All"])[
        "Messages"
    ][0]
    assert set(m["Attributes"]) == {
        "SenderId",
        "SentTimestamp",
        "ApproximateReceiveCount",
        "ApproximateFirstReceiveTimestamp",
        "AWSTraceHeader",
    }
    assert (
        m["Attributes"]["AWSTraceHeader"] == "Root=1-abc"
        and m["Attributes"]["ApproximateReceiveCount"] == "2"
    )
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, AttributeNames=["SenderId"])["Messages"][0]
    assert m["Attributes"] == {"SenderId": "000000000000"}
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MessageAttributeNames=["app.*"])["Messages"][0]
    assert set(m["MessageAttributes"]) == {"app.id", "app.name"}
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MessageAttributeNames=["Foo"])["Messages"][0]
    assert set(m["MessageAttributes"]) == {"Foo"}
    m = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0, MessageAttributeNames=[".*"])["Messages"][0]
    assert len(m["MessageAttributes"]) == 3


def test_max_number_of_messages(sqs, sqs_raw, make_queue):
    url = make_queue("max")
    for i in range(15):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(got) == 10
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    with pytest.raises(ClientError) as exc:
        sqs_raw.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        400,
    )


def test_visibility_timeout_on_the_clock(sqs, make_queue, cloudlet):
    url = make_queue("vis", VisibilityTimeout="30")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    first = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 1
    cloudlet.advance_clock(29)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    cloudlet.advance_clock(2)
    second = sqs.receive_message(QueueUrl=url, AttributeNames=["ApproximateReceiveCount"])["Messages"][0]
    assert second["MessageId"] == first["MessageId"]
    assert second["ReceiptHandle"] != first["ReceiptHandle"]
    assert second["Attributes"]["ApproximateReceiveCount"] == "2"
    # A standard queue deletes with an older handle too.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    assert count(sqs, url) + count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0


def test_change_message_visibility(sqs, sqs_raw, make_queue, cloudlet):
    url = make_queue("chg")
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=300)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url, VisibilityTimeout=100)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=500)
    cloudlet.advance_clock(200)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs_raw.change_message_visibility(
            QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=43201
        )
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=again["ReceiptHandle"], VisibilityTimeout=43200
        )
    assert "Total VisibilityTimeout for the message is beyond the limit" in error_of(exc)[1]


def test_invalid_receipt_handle(sqs, make_queue):
    url = make_queue("receipt")
    with pytest.raises(ClientError) as exc:
        sqs.delete_message(QueueUrl=url, ReceiptHandle="garbage")
    assert error_of(exc) == (
        "ReceiptHandleIsInvalid",
        'The input receipt handle "garbage" is not a valid receipt handle.',
        400,
    )


def test_queue_and_message_delays(sqs, make_queue, cloudlet):
    url = make_queue("delay", DelaySeconds="10")
    sqs.send_message(QueueUrl=url, MessageBody="queue-delay")
    sqs.send_message(QueueUrl=url, MessageBody="message-delay", DelaySeconds=60)
    assert count(sqs, url, "ApproximateNumberOfMessagesDelayed") == 2
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    cloudlet.advance_clock(11)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in first] == ["queue-delay"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    cloudlet.advance_clock(50)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "message-delay"


def test_retention_period_drops_old_messages(sqs, make_queue, cloudlet):
    url = make_queue("retention", MessageRetentionPeriod="60")
    sqs.send_message(QueueUrl=url, MessageBody="old")
    cloudlet.advance_clock(30)
    sqs.send_message(QueueUrl=url, MessageBody="new")
    cloudlet.advance_clock(31)
    assert count(sqs, url) == 1
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "new"


def test_retention_expires_each_message_on_time(sqs, make_queue, cloudlet):
    """Messages expire one by one, also after a receive found nothing due, and a shorter
    retention set later applies to the messages sent after it."""
    url = make_queue("staggered", MessageRetentionPeriod="300")
    sqs.send_message(QueueUrl=url, MessageBody="first")
    cloudlet.advance_clock(100)
    sqs.send_message(QueueUrl=url, MessageBody="second")
    assert count(sqs, url) == 2  # nothing due yet
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"MessageRetentionPeriod": "60"})
    sqs.send_message(QueueUrl=url, MessageBody="short-lived")
    cloudlet.advance_clock(61)  # t=161: the short-lived message is gone, the others stay
    assert count(sqs, url) == 2
    cloudlet.advance_clock(140)  # t=301: the first is gone
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert bodies == ["second"]
    cloudlet.advance_clock(100)  # t=401: the second too, although it is in flight
    assert count(sqs, url, "ApproximateNumberOfMessagesNotVisible") == 0
    assert "Messages" not in sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)


def test_fourteen_day_retention_in_milliseconds(sqs, make_queue, cloudlet):
    url = make_queue("fortnight", MessageRetentionPeriod="1209600")
    sqs.send_message(QueueUrl=url, MessageBody="kept")
    cloudlet.advance_clock(1209600 - 5)
    assert count(sqs, url) == 1
    cloudlet.advance_clock(10)
    assert count(sqs, url) == 0


def test_long_poll_returns_as_soon_as_a_message_arrives(sqs, aws_client, make_queue):
    url = make_queue("poll")
    sender = aws_client("sqs")
    timer = threading.Timer(0.3, lambda: sender.send_message(QueueUrl=url, MessageBody="wake"))
    start = time.monotonic()
    timer.start()
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)
    elapsed = time.monotonic() - start
    timer.join()
    assert got["Messages"][0]["Body"] == "wake"
    assert elapsed < 10  # far below the 20 s wait


def test_long_poll_wakes_for_a_send_made_before_the_poll_first_runs(sqs, make_queue, cloudlet):
    """A receive that found the queue empty answers a coroutine the server awaits later; a
    message sent in between (an in-process send by SNS or EventBridge) must still wake it."""
    from cloudlet.services.base import RequestContext

    url = make_queue("pollgap")
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]

    async def receive_across_a_send():
        provider = cloudlet.app.runtime.load("sqs")
        ctx = RequestContext("sqs", "ReceiveMessage", arn.split(":")[4], "us-east-1", "test")
        poll = provider.receive_message(ctx, {"QueueUrl": url, "WaitTimeSeconds": 20})
        provider.send(arn, {"MessageBody": "in the gap"}, sender_id="test")
        return await poll

    start = time.monotonic()
    got = cloudlet.call(receive_across_a_send, timeout=30)
    assert got["Messages"][0]["Body"] == "in the gap"
    assert time.monotonic() - start < 10  # not the whole 20 s wait


def test_long_poll_ends_when_the_clock_passes_the_wait(sqs, make_queue, cloudlet):
    url = make_queue("pollclock")
    result: dict = {}

    def poll() -> None:
        result["got"] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=20)

    thread = threading.Thread(target=poll)
    thread.start()
    time.sleep(0.3)
    cloudlet.advance_clock(21)
    thread.join(timeout=10)
    assert not thread.is_alive()
    assert "Messages" not in result["got"]


def test_queue_default_wait_time_is_used(sqs, make_queue, cloudlet):
    url = make_queue("defwait", ReceiveMessageWaitTimeSeconds="20")
    result: dict = {}
    thread = threading.Thread(target=lambda: result.update(got=sqs.receive_message(QueueUrl=url)))
    thread.start()
    time.sleep(0.3)
    assert thread.is_alive()  # waiting on the queue's default
    cloudlet.advance_clock(20)
    thread.join(timeout=10)
    assert not thread.is_alive()


def test_wait_time_out_of_range(sqs_raw, make_queue):
    url = make_queue("waitrange")
    for value, shown in ((21, "21"), (-1, "-1")):
        with pytest.raises(ClientError) as exc:
            sqs_raw.receive_message(QueueUrl=url, WaitTimeSeconds=value)
        assert error_of(exc) == (
            "InvalidParameterValue",
            f"Value {shown} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided.",
            400,
        )


def test_empty_and_oversized_bodies(sqs, sqs_raw, make_queue):
    url = make_queue("sizes")
    with pytest.raises(ClientError) as exc:
        sqs_raw.send_message(QueueUrl=url, MessageBody="")
    assert error_of(exc) == ("MissingParameter", "The request must contain the parameter MessageBody.", 400)
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1048576)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1048577)
    assert error_of(exc) == (
        "InvalidParameterValue",
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
        400,
    )


def test_attributes_count_toward_the_size(sqs, make_queue):
    url = make_queue("attrsize", MaximumMessageSize="1024")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="x" * 1000,
        MessageAttributes={"k": {"DataType": "String", "StringValue": "v" * 17}},
    )
    with pytest.raises(ClientError) as exc:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x" * 1000,
            MessageAttributes={"k": {"DataType": "String", "StringValue": "v" * 18}},
        )
    assert "Message must be shorter than 1024 bytes." in error_of(exc)[1]


def test_invalid_characters(sqs, make_queue):
    url = make_queue("chars")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="bad \x00 char")
    code, message, _ = error_of(exc)
    assert code == "InvalidMessageContents" and message.startswith("Invalid characters found.")
    sqs.send_message(QueueUrl=url, MessageBody="tab\tnewline\nemoji 😀")


@pytest.mark.parametrize(
    ("attrs", "fragment"),
    [
        ({"a": {"DataType": "String", "StringValue": ""}}, "must contain a non-empty value of type 'String'"),
        (
            {"a": {"DataType": "Number", "StringValue": "abc"}},
            "Could not cast message attribute 'a' value to number",
        ),
        ({"a": {"DataType": "Weird", "StringValue": "x"}}, "supported type prefixes"),
        (
            {f"k{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)},
            "exceeds the allowed maximum [10]",
        ),
        ({"AWS.reserved": {"DataType": "String", "StringValue": "v"}}, "is invalid"),
    ],
)
def test_invalid_message_attributes(sqs_raw, make_queue, attrs, fragment):
    url = make_queue("badattr")
    with pytest.raises(ClientError) as exc:
        sqs_raw.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidParameterValue", 400)
    assert fragment in message


def test_send_batch_with_partial_failures(sqs, make_queue):
    url = make_queue("batch")
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok-1", "MessageBody": "a"},
            {"Id": "bad", "MessageBody": "bad \x01"},
            {"Id": "ok_2", "MessageBody": "b", "DelaySeconds": 0},
        ],
    )
    assert [s["Id"] for s in out["Successful"]] == ["ok-1", "ok_2"]
    assert all("MD5OfMessageBody" in s and "MessageId" in s for s in out["Successful"])
    assert out["Failed"] == [
        {
            "Id": "bad",
            "SenderFault": True,
            "Code": "InvalidMessageContents",
            "Message": out["Failed"][0]["Message"],
        }
    ]
    assert count(sqs, url) == 2


def test_batch_rules(sqs, make_queue):
    url = make_queue("batchrules")
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "x"} for i in range(20)])
    assert error_of(exc) == (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 20.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a:b", "MessageBody": "x"}])
    assert error_of(exc) == (
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 "
        "letters long.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}, {"Id": "a", "MessageBody": "y"}]
        )
    assert error_of(exc) == ("AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "Id a repeated.", 400)
    with pytest.raises(ClientError) as exc:
        sqs.send_message_batch(
            QueueUrl=url,
            Entries=[{"Id": "a", "MessageBody": "x" * 600000}, {"Id": "b", "MessageBody": "y" * 600000}],
        )
    assert error_of(exc) == (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1200000 bytes.",
        400,
    )


def test_empty_batch(sqs_raw, make_queue):
    url = make_queue("emptybatch")
    with pytest.raises(ClientError) as exc:
        sqs_raw.delete_message_batch(QueueUrl=url, Entries=[])
    assert error_of(exc)[0] == "AWS.SimpleQueueService.EmptyBatchRequest"


def test_delete_and_visibility_batches(sqs, make_queue, cloudlet):
    url = make_queue("batchdel")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(4)])
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)["Messages"]
    assert len(msgs) == 4
    vis = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "keep", "ReceiptHandle": msgs[0]["ReceiptHandle"], "VisibilityTimeout": 600},
            {"Id": "junk", "ReceiptHandle": "junk", "VisibilityTimeout": 600},
        ],
    )
    assert [s["Id"] for s in vis["Successful"]] == ["keep"]
    assert vis["Failed"][0]["Id"] == "junk" and vis["Failed"][0]["Code"] == "ReceiptHandleIsInvalid"
    out = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs[1:])],
    )
    assert len(out["Successful"]) == 3 and not out.get("Failed")
    cloudlet.advance_clock(61)
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    cloudlet.advance_clock(600)
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["MessageId"] == msgs[0]["MessageId"]


def test_sender_id_of_an_assumed_role(aws_client, make_queue):
    url = make_queue("sender")
    trust = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]}'
    role = f"sender-{uuid.uuid4().hex[:8]}"
    arn = aws_client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    creds = aws_client("sts").assume_role(RoleArn=arn, RoleSessionName="sess")["Credentials"]
    as_role = aws_client(
        "sqs",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    as_role.send_message(QueueUrl=url, MessageBody="x")
    m = aws_client("sqs").receive_message(QueueUrl=url, AttributeNames=["SenderId"])["Messages"][0]
    assert m["Attributes"]["SenderId"].endswith(":sess") and m["Attributes"]["SenderId"].startswith("AROA")


def test_batch_size_limit_is_fixed_and_oversized_entries_fail_alone(sqs, make_queue):
    url = make_queue("batchmax", MaximumMessageSize="1024")
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "big", "MessageBody": "x" * 1025}, {"Id": "ok", "MessageBody": "y" * 1000}],
    )
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert out["Failed"] == [
        {
            "Id": "big",
            "SenderFault": True,
            "Code": "InvalidParameterValue",
            "Message": "One or more parameters cannot be validated. Reason: Message must be shorter than 1024 bytes.",
        }
    ]
    # the 1 MiB batch limit does not follow the queue's MaximumMessageSize
    out = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "z" * 1000} for i in range(3)]
    )
    assert len(out["Successful"]) == 3


def test_change_visibility_of_a_deleted_message(sqs, make_queue):
    url = make_queue("chgdeleted")
    sqs.send_message(QueueUrl=url, MessageBody="foo")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=42)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)  # deleting again is no error
    with pytest.raises(ClientError) as exc:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=42)
    assert error_of(exc) == (
        "InvalidParameterValue",
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not "
        "available for visibility timeout change.",
        400,
    )
    out = sqs.change_message_visibility_batch(
        QueueUrl=url, Entries=[{"Id": "gone", "ReceiptHandle": handle, "VisibilityTimeout": 5}]
    )
    assert out["Failed"][0]["Code"] == "InvalidParameterValue" and not out.get("Successful")


def test_empty_string_attribute_as_recorded(sqs, sqs_query, make_queue):
    url = make_queue("emptyattr")
    attrs = {"ErrorDetails": {"StringValue": "", "DataType": "String"}}
    message = "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="test", MessageAttributes=attrs)
    assert error_of(exc) == ("InvalidParameterValue", message, 400)
    assert exc.value.response["Error"]["QueryErrorCode"] == "InvalidParameterValueException"
    with pytest.raises(QueryError) as qexc:
        sqs_query.call("SendMessage", QueueUrl=url, MessageBody="test", MessageAttributes=attrs)
    assert (qexc.value.response["Error"]["Code"], qexc.value.response["Error"]["Message"]) == (
        "InvalidParameterValue",
        message,
    )


@pytest.mark.parametrize("value", ["Invalid-\x08,\x0b", "nul\x00", "\ufffe"])
def test_invalid_characters_in_string_attribute_values(sqs, make_queue, value):
    url = make_queue("attrchars")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="test",
            MessageAttributes={"attr1": {"StringValue": value, "DataType": "String"}},
        )
    assert error_of(exc)[0::2] == ("InvalidParameterValue", 400)
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "ok", "MessageBody": "fine"},
            {
                "Id": "bad",
                "MessageBody": "x",
                "MessageAttributes": {"a": {"StringValue": value, "DataType": "String"}},
            },
            {"Id": "body", "MessageBody": f"body {value}"},
        ],
    )
    assert [s["Id"] for s in out["Successful"]] == ["ok"]
    assert {f["Id"]: f["Code"] for f in out["Failed"]} == {
        "bad": "InvalidParameterValue",
        "body": "InvalidMessageContents",
    }


# ---- AWSTraceHeader ----

TRACE = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"


def test_aws_trace_header_round_trip(sqs, sqs_query, make_queue):
    url = make_queue("trace")
    user = {"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}}
    plain = sqs.send_message(QueueUrl=url, MessageBody="test", MessageAttributes=user)
    traced = sqs.send_message(
        QueueUrl=url,
        MessageBody="test",
        MessageAttributes=user,
        MessageSystemAttributes={"AWSTraceHeader": {"StringValue": TRACE, "DataType": "String"}},
    )
    # AWS-validated values (the system attribute leaves MD5OfMessageAttributes alone)
    assert traced["MD5OfMessageAttributes"] == plain["MD5OfMessageAttributes"]
    assert "MD5OfMessageSystemAttributes" not in plain
    assert traced["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    got = sqs.receive_message(
        QueueUrl=url,
        MaxNumberOfMessages=10,
        VisibilityTimeout=0,
        AttributeNames=["AWSTraceHeader", "SentTimestamp"],
    )["Messages"]
    assert [set(m["Attributes"]) for m in got] == [{"SentTimestamp"}, {"AWSTraceHeader", "SentTimestamp"}]
    assert got[1]["Attributes"]["AWSTraceHeader"] == TRACE
    for ask in (
        {"MessageSystemAttributeNames": ["AWSTraceHeader"]},
        {"MessageSystemAttributeNames": ["All"]},
    ):
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, **ask)[
            "Messages"
        ]
        assert got[1]["Attributes"]["AWSTraceHeader"] == TRACE
    got = sqs_query.call(
        "ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, AttributeNames=["All"]
    )["Messages"]
    assert got[1]["Attributes"]["AWSTraceHeader"] == TRACE


def test_aws_trace_header_in_batches_and_outside_the_size(sqs, make_queue):
    url = make_queue("tracebatch", MaximumMessageSize="1024")
    system = {"AWSTraceHeader": {"StringValue": TRACE, "DataType": "String"}}
    out = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "full", "MessageBody": "x" * 1024, "MessageSystemAttributes": system},
            {"Id": "plain", "MessageBody": "y"},
        ],
    )
    assert [s["Id"] for s in out["Successful"]] == ["full", "plain"]
    assert out["Successful"][0]["MD5OfMessageSystemAttributes"] == "5ae4d5d7636402d80f4eb6d213245a88"
    assert "MD5OfMessageSystemAttributes" not in out["Successful"][1]
    got = sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"]
    )
    assert [m.get("Attributes") for m in got["Messages"]] == [{"AWSTraceHeader": TRACE}, None]


def test_x_amzn_trace_id_header_becomes_the_aws_trace_header(aws_client, make_queue):
    url = make_queue("traceheader")
    sqs = aws_client("sqs")

    def add_header(request, **_):
        request.headers["X-Amzn-Trace-Id"] = TRACE

    sqs.meta.events.register("before-sign.sqs.*", add_header)
    sent = sqs.send_message(QueueUrl=url, MessageBody="from a traced sender")
    assert "MD5OfMessageSystemAttributes" not in sent
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "batched"}])
    # an explicit system attribute wins over the header
    sqs.send_message(
        QueueUrl=url,
        MessageBody="explicit",
        MessageSystemAttributes={"AWSTraceHeader": {"StringValue": "Root=1-abc-def", "DataType": "String"}},
    )
    got = aws_client("sqs").receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["AWSTraceHeader"]
    )["Messages"]
    assert [(m["Body"], m["Attributes"]["AWSTraceHeader"]) for m in got] == [
        ("from a traced sender", TRACE),
        ("batched", TRACE),
        ("explicit", "Root=1-abc-def"),
    ]


@pytest.mark.parametrize(
    "system",
    [
        {"SomethingElse": {"StringValue": "x", "DataType": "String"}},
        {"AWSTraceHeader": {"StringValue": TRACE, "DataType": "Number"}},
        {"AWSTraceHeader": {"BinaryValue": b"x", "DataType": "Binary"}},
        {"AWSTraceHeader": {"StringValue": "", "DataType": "String"}},
    ],
)
def test_invalid_message_system_attributes(sqs_raw, make_queue, system):
    url = make_queue("badtrace")
    with pytest.raises(ClientError) as exc:
        sqs_raw.send_message(QueueUrl=url, MessageBody="x", MessageSystemAttributes=system)
    assert error_of(exc)[0::2] == ("InvalidParameterValue", 400)


def test_attribute_names_and_types_as_aws_checks_them(sqs, make_queue):
    # what LocalStack's AWS-validated test_send_message_with_invalid_string_attributes sent
    url = make_queue("attrnames")
    sqs.send_message(
        QueueUrl=url,
        MessageBody="test",
        MessageAttributes={"attr.1øßä": {"StringValue": "Valida", "DataType": "String"}},
    )
    bad = [f"{p}-Invalid-attr" for p in ("aWs.", "AMAZON.", ".")]
    bad += [f"Invalid-{c}-attr" for c in '!"§(?'] + ["L" * 257, "Invalid."]
    for name in bad:
        with pytest.raises(ClientError) as exc:
            sqs.send_message(
                QueueUrl=url,
                MessageBody="test",
                MessageAttributes={name: {"StringValue": "Valid", "DataType": "String"}},
            )
        assert error_of(exc)[0] == "InvalidParameterValue", name
    for data_type in ("Invalid", f"Number.{'L' * 256}"):
        with pytest.raises(ClientError) as exc:
            sqs.send_message(
                QueueUrl=url,
                MessageBody="test",
                MessageAttributes={"Attribute_name": {"StringValue": "Valid", "DataType": data_type}},
            )
        assert error_of(exc)[0] == "InvalidParameterValue", data_type
