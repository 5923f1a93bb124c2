"""SNS's CloudWatch metrics (AWS/SNS, dimension TopicName), read back from the server."""

from __future__ import annotations

import json
import time
import urllib.parse
import urllib.request
import uuid

import pytest
from tests.services.awslambda.conftest import TRUST, make_zip


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def points(cloudlet, name: str, topic: str) -> list[dict]:
    query = urllib.parse.urlencode({"namespace": "AWS/SNS", "name": name})
    with urllib.request.urlopen(f"{cloudlet.endpoint}/_cloudlet/metrics?{query}") as resp:
        found = json.loads(resp.read())["metrics"]
    topic_name = topic.rsplit(":", 1)[1]
    return [p for m in found if m["dimensions"] == {"TopicName": topic_name} for p in m["points"]]


def total(cloudlet, name: str, topic: str) -> float:
    return sum(p["sum"] for p in points(cloudlet, name, topic))


def eventually(cloudlet, name: str, topic: str, expected: float) -> float:
    """The metric's sum once it reaches ``expected`` (deliveries are recorded as they finish)."""
    deadline = time.monotonic() + 10
    value = total(cloudlet, name, topic)
    while value < expected and time.monotonic() < deadline:
        time.sleep(0.05)
        value = total(cloudlet, name, topic)
    return value


def queue(sqs) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"mq-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def test_publish_filter_and_delivery_metrics(sns, sqs, make_topic, cloudlet):
    topic = make_topic("metrics")
    _, plain = queue(sqs)
    _, by_attribute = queue(sqs)
    _, by_body = queue(sqs)
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=plain)
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=by_attribute,
        Attributes={"FilterPolicy": json.dumps({"color": ["red"]})},
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=by_body,
        Attributes={"FilterPolicy": json.dumps({"color": ["red"]}), "FilterPolicyScope": "MessageBody"},
    )
    red = {"color": {"DataType": "String", "StringValue": "red"}}
    blue = {"color": {"DataType": "String", "StringValue": "blue"}}
    sns.publish(TopicArn=topic, Message='{"color": "red"}', MessageAttributes=red)  # 3 deliveries
    sns.publish(TopicArn=topic, Message="not json", MessageAttributes=blue)  # 1: attr mismatch, bad body
    sns.publish(TopicArn=topic, Message='{"color": "blue"}')  # 1: no attributes, body mismatch
    sns.publish_batch(
        TopicArn=topic,
        PublishBatchRequestEntries=[{"Id": "1", "Message": "[1]", "MessageAttributes": red}],
    )  # 2: body is not an object

    assert total(cloudlet, "NumberOfMessagesPublished", topic) == 4
    sizes = points(cloudlet, "PublishSize", topic)
    expected = (16 + 5 + 6 + 3) + (8 + 5 + 6 + 4) + 17 + (3 + 5 + 6 + 3)
    assert sum(p["sum"] for p in sizes) == expected and sizes[0]["unit"] == "Bytes"
    assert sum(p["sampleCount"] for p in sizes) == 4
    assert total(cloudlet, "NumberOfNotificationsFilteredOut", topic) == 5
    assert total(cloudlet, "NumberOfNotificationsFilteredOut-NoMessageAttributes", topic) == 1
    assert total(cloudlet, "NumberOfNotificationsFilteredOut-InvalidMessageBody", topic) == 2
    assert total(cloudlet, "NumberOfNotificationsFilteredOut-MessageAttributes", topic) == 2
    assert total(cloudlet, "NumberOfNotificationsFilteredOut-MessageBody", topic) == 3
    assert total(cloudlet, "NumberOfNotificationsFilteredOut-InvalidAttributes", topic) == 0
    assert eventually(cloudlet, "NumberOfNotificationsDelivered", topic, 7) == 7
    assert total(cloudlet, "NumberOfNotificationsFailed", topic) == 0


def test_failed_delivery_metrics(sns, sqs, make_topic, cloudlet):
    topic = make_topic("failing")
    dlq_url, dlq = queue(sqs)
    gone = dlq.rsplit(":", 1)[0] + f":gone-{uuid.uuid4().hex[:8]}"
    sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=gone,
        Attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq})},
    )
    sns.publish(TopicArn=topic, Message="lost")
    assert eventually(cloudlet, "NumberOfNotificationsFailed", topic, 1) == 1
    assert eventually(cloudlet, "NumberOfNotificationsRedrivenToDlq", topic, 1) == 1
    assert total(cloudlet, "NumberOfNotificationsDelivered", topic) == 0
    got = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=2).get("Messages", [])
    assert got and json.loads(got[0]["Body"])["Message"] == "lost"


def test_metrics_are_per_topic(sns, make_topic, cloudlet):
    first, second = make_topic("one"), make_topic("two")
    sns.publish(TopicArn=first, Message="a")
    sns.publish(TopicArn=first, Message="bb")
    sns.publish(TopicArn=second, Message="ccc")
    assert total(cloudlet, "NumberOfMessagesPublished", first) == 2
    assert total(cloudlet, "NumberOfMessagesPublished", second) == 1
    assert total(cloudlet, "PublishSize", second) == 3


def test_lambda_subscriber_metrics(sns, aws_client, make_topic, cloudlet):
    lam, iam = aws_client("lambda"), aws_client("iam")
    role = iam.create_role(
        RoleName=f"sns-m-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    arn = lam.create_function(
        FunctionName=f"fn-{uuid.uuid4().hex[:10]}",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": "def handler(event, context):\n    return None\n"})},
    )["FunctionArn"]
    topic = make_topic("lambda")
    sns.subscribe(
        TopicArn=topic,
        Protocol="lambda",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps({"go": ["yes"]})},
    )
    go = {"go": {"DataType": "String", "StringValue": "yes"}}
    sns.publish(TopicArn=topic, Message="refused", MessageAttributes=go)  # no permission for SNS yet
    assert total(cloudlet, "NumberOfNotificationsFailed", topic) == 1
    lam.add_permission(
        FunctionName=arn,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sns.publish(TopicArn=topic, Message="filtered")
    sns.publish(TopicArn=topic, Message="invoked", MessageAttributes=go)
    assert total(cloudlet, "NumberOfNotificationsDelivered", topic) == 1
    assert total(cloudlet, "NumberOfNotificationsFilteredOut-NoMessageAttributes", topic) == 1
    assert total(cloudlet, "NumberOfNotificationsFailed", topic) == 1
