"""S3 bucket notifications to SNS topics: the event records are published to the topic (with
S3's Subject) inside the write's transaction, and the topic fans them out."""

from __future__ import annotations

import json
import uuid

import pytest


@pytest.fixture
def sns(aws_client):
    return aws_client("sns")


def test_upload_publishes_the_event_record_to_the_topic(s3, sqs, sns):
    topic = sns.create_topic(Name=f"uploads-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue)
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "TopicConfigurations": [{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    s3.put_object(Bucket=bucket, Key="photos/cat.jpg", Body=b"meow")
    bodies = []
    for _ in range(10):
        for message in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10).get(
            "Messages", []
        ):
            bodies.append(json.loads(message["Body"]))
        if any("Records" in json.loads(b["Message"]) for b in bodies):
            break
    # the configuration's test event first (as S3 sends it on save), then the object's record
    assert all(b["Type"] == "Notification" and b["Subject"] == "Amazon S3 Notification" for b in bodies)
    messages = [json.loads(b["Message"]) for b in bodies]
    assert any(m.get("Event") == "s3:TestEvent" for m in messages)
    [record] = next(m["Records"] for m in messages if "Records" in m)
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["s3"]["bucket"]["name"] == bucket and record["s3"]["object"]["key"] == "photos/cat.jpg"
