"""Subscription dead-letter queues (RedrivePolicy) for SQS and Lambda subscribers."""

from __future__ import annotations

import base64
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def make_queue(sqs, fifo: bool = False) -> tuple[str, str]:
    name = f"q-{uuid.uuid4().hex[:10]}" + (".fifo" if fifo else "")
    attributes = {"FifoQueue": "true", "ContentBasedDeduplication": "true"} if fifo else {}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def receive(sqs, url: str) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages")
        if got:
            return got
    return []


def redrive(arn: str) -> str:
    return json.dumps({"deadLetterTargetArn": arn})


@pytest.mark.parametrize("raw", [False, True])
def test_deleted_queue_sends_to_the_dead_letter_queue(sns, sqs, make_topic, raw):
    topic = make_topic()
    url, arn = make_queue(sqs)
    dlq_url, dlq_arn = make_queue(sqs)
    attributes = {"RedrivePolicy": redrive(dlq_arn), "RawMessageDelivery": str(raw).lower()}
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)[
        "SubscriptionArn"
    ]
    sqs.delete_queue(QueueUrl=url)
    sns.publish(
        TopicArn=topic,
        Message="test_dlq_after_sqs_endpoint_deleted",
        MessageAttributes={
            "attr1": {"DataType": "Number", "StringValue": "111"},
            "attr2": {"DataType": "Binary", "BinaryValue": b"\x02\x03\x04"},
        },
    )
    (message,) = receive(sqs, dlq_url)
    if raw:  # as recorded from AWS: the bare message, its attributes as SQS attributes
        assert message["Body"] == "test_dlq_after_sqs_endpoint_deleted"
        assert message["MessageAttributes"] == {
            "attr1": {"DataType": "Number", "StringValue": "111"},
            "attr2": {"DataType": "Binary", "BinaryValue": b"\x02\x03\x04"},
        }
    else:  # the envelope the queue would have had
        body = json.loads(message["Body"])
        assert body["Type"] == "Notification" and body["Message"] == "test_dlq_after_sqs_endpoint_deleted"
        assert body["UnsubscribeURL"].endswith(f"SubscriptionArn={sub}")
        assert body["MessageAttributes"] == {
            "attr1": {"Type": "Number", "Value": "111"},
            "attr2": {"Type": "Binary", "Value": base64.b64encode(b"\x02\x03\x04").decode()},
        }


def test_fifo_subscription_dead_letters_to_a_fifo_queue(sns, sqs, make_topic):
    topic = make_topic(fifo=True, ContentBasedDeduplication="true")
    url, arn = make_queue(sqs, fifo=True)
    dlq_url, dlq_arn = make_queue(sqs, fifo=True)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RedrivePolicy": redrive(dlq_arn), "RawMessageDelivery": "true"},
    )
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="fifo to dlq", MessageGroupId="g1")
    (message,) = receive(sqs, dlq_url)
    assert message["Body"] == "fifo to dlq" and message["Attributes"]["MessageGroupId"] == "g1"


def test_missing_lambda_function_sends_to_the_dead_letter_queue(sns, sqs, make_topic):
    topic = make_topic()
    region, account = topic.split(":")[3:5]
    function = f"arn:aws:lambda:{region}:{account}:function:gone-{uuid.uuid4().hex[:8]}"
    dlq_url, dlq_arn = make_queue(sqs)
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=function)["SubscriptionArn"]
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=redrive(dlq_arn)
    )
    got = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(got["RedrivePolicy"]) == {"deadLetterTargetArn": dlq_arn}
    sns.publish(
        TopicArn=topic,
        Message="test_redrive_policy",
        MessageAttributes={"attr1": {"DataType": "Number", "StringValue": "1"}},
    )
    (message,) = receive(sqs, dlq_url)
    body = json.loads(message["Body"])  # as recorded from AWS: the envelope, with its attributes
    assert body["Type"] == "Notification" and body["Message"] == "test_redrive_policy"
    assert body["MessageAttributes"] == {"attr1": {"Type": "Number", "Value": "1"}}
    assert body["UnsubscribeURL"].endswith(f"SubscriptionArn={sub}")


def test_dead_letter_queue_that_does_not_exist(sns, sqs, make_topic, cloudlet):
    """The RedrivePolicy is taken (unverified: AWS does not check the queue then); the message is
    lost, counted as a dead-letter failure, and nothing else breaks."""
    topic = make_topic()
    url, arn = make_queue(sqs)
    missing = arn + "-missing"
    sub = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RedrivePolicy": redrive(missing)}
    )["SubscriptionArn"]
    assert json.loads(
        sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["RedrivePolicy"]
    ) == {"deadLetterTargetArn": missing}

    def failed() -> int:
        return (
            cloudlet.admin("/_cloudlet/deliveries")["targets"].get("sns.sqs", {}).get("dead-letter-failed", 0)
        )

    before = failed()
    sqs.delete_queue(QueueUrl=url)
    sns.publish(TopicArn=topic, Message="nowhere to go")
    deadline = time.monotonic() + 5
    while failed() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert failed() == before + 1
    assert sns.publish(TopicArn=topic, Message="still publishing")["MessageId"]


def test_queue_without_redrive_waits_for_the_queue(sns, sqs, make_topic, cloudlet):
    topic = make_topic()
    name = f"later-{uuid.uuid4().hex[:8]}"
    region, account = topic.split(":")[3:5]
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=f"arn:aws:sqs:{region}:{account}:{name}",
        Attributes={"RawMessageDelivery": "true"},
    )
    sns.publish(TopicArn=topic, Message="kept")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    got: list[dict] = []
    for _ in range(12):
        cloudlet.advance_clock(60)
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
        if got:
            break
    assert [m["Body"] for m in got] == ["kept"]


def test_bad_redrive_policies(sns, make_topic):
    topic = make_topic()
    region, account = topic.split(":")[3:5]
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:{region}:{account}:q")[
        "SubscriptionArn"
    ]
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue="{x"
        )
    assert error_of(exc)[1].startswith("Invalid parameter: RedrivePolicy: failed to parse JSON.")
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="RedrivePolicy", AttributeValue=redrive("not-an-arn")
        )
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn",
        400,
    )
