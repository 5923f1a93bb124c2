"""Publish to Lambda subscribers: an Event invocation with SNS's record, when the function's
policy lets ``sns.amazonaws.com`` invoke it."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from tests.services.awslambda.conftest import TRUST, make_zip

ECHO = "def handler(event, context):\n    return event\n"


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda")


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def role(aws_client) -> str:
    iam = aws_client("iam")
    name = f"sns-role-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def recorded_invocation(sqs, url: str) -> dict | None:
    deadline = time.monotonic() + 20  # the function runs in a child process, in real time
    while time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
        if got:
            return json.loads(got[0]["Body"])
    return None


def test_publish_invokes_the_function_with_the_sns_record(sns, sqs, lam, role, make_topic):
    topic = make_topic()
    arn = lam.create_function(
        FunctionName=f"fn-{uuid.uuid4().hex[:10]}",
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": ECHO})},
    )["FunctionArn"]
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.put_function_event_invoke_config(
        FunctionName=arn, DestinationConfig={"OnSuccess": {"Destination": queue_arn}}
    )
    lam.add_permission(
        FunctionName=arn,
        StatementId="sns",
        Action="lambda:InvokeFunction",
        Principal="sns.amazonaws.com",
        SourceArn=topic,
    )
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)["SubscriptionArn"]
    message_id = sns.publish(
        TopicArn=topic,
        Message="Hello world.",
        Subject="[Subject] Test subject",
        MessageAttributes={"a": {"DataType": "String", "StringValue": "b"}},
    )["MessageId"]
    record = recorded_invocation(sqs, url)
    assert record is not None, "no invocation record arrived"
    (event,) = record["requestPayload"]["Records"]
    assert (event["EventSource"], event["EventVersion"], event["EventSubscriptionArn"]) == (
        "aws:sns",
        "1.0",
        sub,
    )
    got = event["Sns"]
    assert sorted(got) == sorted(
        [
            "Type",
            "MessageId",
            "TopicArn",
            "Subject",
            "Message",
            "Timestamp",
            "SignatureVersion",
            "Signature",
            "SigningCertUrl",
            "UnsubscribeUrl",
            "MessageAttributes",
        ]
    )
    assert (got["Type"], got["MessageId"], got["TopicArn"]) == ("Notification", message_id, topic)
    assert (got["Subject"], got["Message"]) == ("[Subject] Test subject", "Hello world.")
    assert got["MessageAttributes"] == {"a": {"Type": "String", "Value": "b"}}
    assert got["UnsubscribeUrl"].endswith(f"SubscriptionArn={sub}")


def test_a_topic_as_lambda_on_failure_destination_and_dead_letter_target(sns, sqs, lam, role, make_topic):
    """Lambda's asynchronous invocation sends its OnFailure record and its dead-letter message
    to SNS topics through the delivery engine, and the topics deliver them to SQS."""
    records = make_topic("on-failure")
    letters = make_topic("dead-letters")
    queues = {}
    for topic in (records, letters):
        url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
        queues[topic] = url
    name = f"fail-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": "def handler(e, c):\n    raise ValueError('no')\n"})},
        DeadLetterConfig={"TargetArn": letters},
    )
    lam.put_function_event_invoke_config(
        FunctionName=name,
        MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": records}},
    )
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"order": 7}')
    record = recorded_invocation(sqs, queues[records])
    assert record is not None
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"order": 7}
    assert record["responsePayload"]["errorType"] == "ValueError"
    deadline = time.monotonic() + 20
    letter = None
    while letter is None and time.monotonic() < deadline:
        got = sqs.receive_message(
            QueueUrl=queues[letters], WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages")
        letter = got[0] if got else None
    assert letter is not None and json.loads(letter["Body"]) == {"order": 7}
    assert letter["MessageAttributes"]["ErrorMessage"]["StringValue"] == "no"
