"""Publish and PublishBatch: checks, and delivery to SQS subscribers (envelope and raw)."""

from __future__ import annotations

import base64
import json
import time
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from .conftest import error_of


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def subscribed_queue(sns, sqs, topic: str, fifo: bool = False, **attributes: str) -> tuple[str, str]:
    name = f"q-{uuid.uuid4().hex[:10]}" + (".fifo" if fifo else "")
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"} if fifo else {})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)[
        "SubscriptionArn"
    ]
    return url, sub


def receive(sqs, url: str, count: int = 1) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + 10
    while len(got) < count and time.monotonic() < deadline:
        got += sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            MessageAttributeNames=["All"],
            AttributeNames=["All"],
        ).get("Messages", [])
    return got


def test_publish_to_sqs_in_an_envelope(sns, sqs, make_topic):
    topic = make_topic()
    url, sub = subscribed_queue(sns, sqs, topic)
    message_id = sns.publish(
        TopicArn=topic,
        Message="Test msg",
        Subject="subj",
        MessageAttributes={"attr1": {"DataType": "Number", "StringValue": "100.12"}},
    )["MessageId"]
    (msg,) = receive(sqs, url)
    assert msg["Body"].startswith('{\n  "Type" : "Notification",\n  "MessageId" : ')
    body = json.loads(msg["Body"])
    assert list(body) == [
        "Type",
        "MessageId",
        "TopicArn",
        "Subject",
        "Message",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
        "UnsubscribeURL",
        "MessageAttributes",
    ]
    assert body["Type"] == "Notification" and body["MessageId"] == message_id
    assert (body["TopicArn"], body["Subject"], body["Message"]) == (topic, "subj", "Test msg")
    assert body["SignatureVersion"] == "1"
    assert body["UnsubscribeURL"].endswith(f"/?Action=Unsubscribe&SubscriptionArn={sub}")
    assert body["MessageAttributes"] == {"attr1": {"Type": "Number", "Value": "100.12"}}
    assert body["Timestamp"].endswith("Z")
    assert "MessageAttributes" not in msg


def test_raw_message_delivery(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribed_queue(sns, sqs, topic, RawMessageDelivery="true")
    sns.publish(
        TopicArn=topic,
        Message="Test msg",
        MessageAttributes={
            "attr1": {"DataType": "Number", "StringValue": "99.12"},
            "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    (msg,) = receive(sqs, url)
    assert msg["Body"] == "Test msg"
    assert msg["MessageAttributes"] == {
        "attr1": {"DataType": "Number", "StringValue": "99.12"},
        "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
    }


def test_message_structure_json(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribed_queue(sns, sqs, topic, RawMessageDelivery="true")
    sns.publish(
        TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "d", "sqs": "for sqs"})
    )
    sns.publish(TopicArn=topic, MessageStructure="json", Message=json.dumps({"default": "only default"}))
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["for sqs", "only default"]
    for message, text in [
        ("not json", "Invalid parameter: Message Structure - JSON message body failed to parse"),
        (
            json.dumps({"sqs": "x"}),
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ),
    ]:
        with pytest.raises(ClientError) as exc:
            sns.publish(TopicArn=topic, MessageStructure="json", Message=message)
        assert error_of(exc) == ("InvalidParameter", text, 400)


def test_publish_bad_input(sns, make_topic):
    topic = make_topic()
    cases = [
        ({"Message": ""}, ("InvalidParameter", "Invalid parameter: Empty message", 400)),
        ({"Message": "x" * (262_144 + 1)}, ("InvalidParameter", "Invalid parameter: Message too long", 400)),
        ({"Message": "m", "Subject": ""}, ("InvalidParameter", "Invalid parameter: Subject", 400)),
        (
            {"Message": "m", "MessageDeduplicationId": "d"},
            (
                "InvalidParameter",
                "Invalid parameter: MessageDeduplicationId Reason: The request includes MessageDeduplicationId "
                "parameter that is not valid for this topic type",
                400,
            ),
        ),
    ]
    for extra, expected in cases:
        with pytest.raises(ClientError) as exc:
            sns.publish(TopicArn=topic, **extra)
        assert error_of(exc) == expected
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic + "-gone", Message="m")
    assert error_of(exc) == ("NotFound", "Topic does not exist", 404)
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn="wrong", Message="m")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
        400,
    )


@pytest.mark.parametrize(
    ("attribute", "message"),
    [
        (
            {"DataType": "String", "StringValue": ""},
            "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
        ),
        (
            {"DataType": "Binary", "BinaryValue": b""},
            "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'Binary'.",
        ),
        (
            {"DataType": "Other", "StringValue": "x"},
            "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
        ),
        (
            {"DataType": "String", "BinaryValue": b"x"},
            "The message attribute 'attr1' with type 'String' must use field 'String'.",
        ),
        (
            {"DataType": "Number", "BinaryValue": b"1"},
            "The message attribute 'attr1' with type 'Number' must use field 'String'.",
        ),
        (
            {"DataType": "Binary", "StringValue": "x"},
            "The message attribute 'attr1' with type 'Binary' must use field 'Binary'.",
        ),
    ],
)
def test_bad_message_attributes(sns, make_topic, attribute, message):
    topic = make_topic()
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic, Message="m", MessageAttributes={"attr1": attribute})
    assert error_of(exc) == ("ParameterValueInvalid", message, 400)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "a^b",
            "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
        ),
        (".a", "Invalid message attribute name starting with character '.' was found."),
        ("a.", "Invalid message attribute name ending with character '.' was found."),
        ("a..b", "Message attribute name can not have successive '.' character."),
        ("a" * 256, "Length of message attribute name must be less than 256 bytes."),
    ],
)
def test_bad_message_attribute_names(sns, make_topic, name, message):
    topic = make_topic()
    with pytest.raises(ClientError) as exc:
        sns.publish(
            TopicArn=topic, Message="m", MessageAttributes={name: {"DataType": "String", "StringValue": "v"}}
        )
    assert error_of(exc) == ("ParameterValueInvalid", message, 400)


def test_fifo_topic_to_fifo_queue(sns, sqs, make_topic):
    topic = make_topic(fifo=True)
    url, _ = subscribed_queue(sns, sqs, topic, fifo=True)
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic, Message="m")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.publish(TopicArn=topic, Message="m", MessageGroupId="g")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
        "MessageDeduplicationId provided explicitly",
        400,
    )
    first = sns.publish(TopicArn=topic, Message="Test", MessageGroupId="g", MessageDeduplicationId="d1")
    second = sns.publish(TopicArn=topic, Message="Test2", MessageGroupId="g", MessageDeduplicationId="d2")
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])
    got: list[dict] = []
    while len(got) < 2:  # a FIFO group gives its next message once those in flight are deleted
        batch = receive(sqs, url, 1)
        assert batch
        for msg in batch:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
        got += batch
    bodies = [json.loads(m["Body"]) for m in got]
    assert [b["Message"] for b in bodies] == ["Test", "Test2"]
    assert list(bodies[0]) == [
        "Type",
        "MessageId",
        "SequenceNumber",
        "TopicArn",
        "Message",
        "Timestamp",
        "UnsubscribeURL",
    ]
    assert got[0]["Attributes"]["MessageGroupId"] == "g"
    assert got[0]["Attributes"]["MessageDeduplicationId"] == "d1"


def test_publish_batch(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribed_queue(sns, sqs, topic, RawMessageDelivery="true")
    out = sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[
            {"Id": "1", "Message": "one"},
            {"Id": "2", "Message": "two"},
            {"Id": "3", "Message": ""},
        ],
    )
    assert sorted(s["Id"] for s in out["Successful"]) == ["1", "2"]
    assert [(f["Id"], f["Code"]) for f in out["Failed"]] == [("3", "InvalidParameter")]
    assert sorted(m["Body"] for m in receive(sqs, url, 2)) == ["one", "two"]
    with pytest.raises(ClientError) as exc:
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": "1", "Message": "a"}, {"Id": "1", "Message": "b"}],
        )
    assert error_of(exc) == (
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.publish_batch(
            TopicArn=topic,
            PublishBatchRequestEntries=[{"Id": str(i), "Message": "x" * 30_000} for i in range(10)],
        )
    assert error_of(exc) == (
        "BatchRequestTooLong",
        "The length of all the messages put together is more than the limit.",
        400,
    )


def test_unsubscribed_queue_gets_nothing(sns, sqs, make_topic):
    topic = make_topic()
    url, sub = subscribed_queue(sns, sqs, topic, RawMessageDelivery="true")
    sns.unsubscribe(SubscriptionArn=sub)
    sns.publish(TopicArn=topic, Message="lost")
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages") is None


@pytest.mark.parametrize("version", ["1", "2"])
def test_signature_verifies_with_the_served_certificate(sns, sqs, make_topic, version):
    topic = make_topic()
    sns.set_topic_attributes(TopicArn=topic, AttributeName="SignatureVersion", AttributeValue=version)
    url, _ = subscribed_queue(sns, sqs, topic)
    sns.publish(TopicArn=topic, Message="signed", Subject="s")
    (msg,) = receive(sqs, url)
    body = json.loads(msg["Body"])
    assert body["SignatureVersion"] == version
    with urllib.request.urlopen(body["SigningCertURL"]) as answer:
        cert = x509.load_pem_x509_certificate(answer.read())
    keys = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    text = "".join(f"{k}\n{body[k]}\n" for k in keys)
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    cert.public_key().verify(base64.b64decode(body["Signature"]), text.encode(), padding.PKCS1v15(), digest)


def test_fifo_topic_deduplicates_within_five_minutes(sns, sqs, make_topic, cloudlet):
    topic = make_topic(fifo=True, ContentBasedDeduplication="true")
    url, _ = subscribed_queue(sns, sqs, topic, fifo=True, RawMessageDelivery="true")
    first = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    again = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    assert again["MessageId"] == first["MessageId"]
    assert again["SequenceNumber"] == first["SequenceNumber"]
    got = receive(sqs, url, 1)
    assert [m["Body"] for m in got] == ["same"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=got[0]["ReceiptHandle"])
    cloudlet.admin("/_cloudlet/clock", {"advance": 301})
    later = sns.publish(TopicArn=topic, Message="same", MessageGroupId="g")
    assert later["MessageId"] != first["MessageId"]
    assert int(later["SequenceNumber"]) > int(first["SequenceNumber"])


def test_publish_by_target_arn(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribed_queue(sns, sqs, topic, RawMessageDelivery="true")
    sns.publish(TargetArn=topic, Message="by target")
    assert [m["Body"] for m in receive(sqs, url)] == ["by target"]


def test_sqs_subscribers_get_the_message_inside_publish(sns, aws_client, make_topic, cloudlet):
    """A standard topic's SQS subscriber gets its message inside the Publish call."""
    sqs = aws_client("sqs")
    topic = make_topic()
    url = sqs.create_queue(QueueName=f"inline-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    before = cloudlet.admin("/_cloudlet/deliveries")["targets"].get("sns.sqs", {})
    sns.publish(TopicArn=topic, Message="at once")
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")
    after = cloudlet.admin("/_cloudlet/deliveries")["targets"]["sns.sqs"]
    assert after.get("delivered-at-once", 0) == before.get("delivered-at-once", 0) + 1
