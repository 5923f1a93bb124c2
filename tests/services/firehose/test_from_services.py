"""Records put into delivery streams by other services: SNS subscriptions with the firehose
protocol (the JSON envelope, or the message itself with raw delivery) and EventBridge rules
with a delivery stream target; both durable with the publish or delivery that made them."""

from __future__ import annotations

import json
import time

from tests.services.firehose.conftest import ROLE, body, unique, wait_for_keys


def stream_arn_of(firehose, name: str) -> str:
    return firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"][
        "DeliveryStreamARN"
    ]


def test_sns_subscription_delivers_to_the_stream(firehose, s3, bucket, make_stream, aws_client, cloudlet):
    hints = {"IntervalInSeconds": 60, "SizeInMBs": 1}
    enveloped = stream_arn_of(firehose, make_stream(bucket, Prefix="env/", BufferingHints=hints))
    raw = stream_arn_of(firehose, make_stream(bucket, Prefix="raw/", BufferingHints=hints))
    sns = aws_client("sns")
    topic = sns.create_topic(Name=unique("t"))["TopicArn"]
    sns.subscribe(
        TopicArn=topic, Protocol="firehose", Endpoint=enveloped, Attributes={"SubscriptionRoleArn": ROLE}
    )
    sns.subscribe(
        TopicArn=topic,
        Protocol="firehose",
        Endpoint=raw,
        Attributes={"SubscriptionRoleArn": ROLE, "RawMessageDelivery": "true"},
    )
    message_id = sns.publish(TopicArn=topic, Message="hello")["MessageId"]
    cloudlet.advance_clock(61)
    (env_key,) = wait_for_keys(s3, bucket, prefix="env/")
    envelope = json.loads(body(s3, bucket, env_key))
    assert envelope["Type"] == "Notification" and envelope["MessageId"] == message_id
    assert envelope["Message"] == "hello" and envelope["TopicArn"] == topic
    (raw_key,) = wait_for_keys(s3, bucket, prefix="raw/")
    assert body(s3, bucket, raw_key) == b"hello"


def test_eventbridge_target_delivers_to_the_stream(firehose, s3, bucket, make_stream, aws_client, cloudlet):
    name = make_stream(bucket, BufferingHints={"IntervalInSeconds": 60, "SizeInMBs": 1})
    stream_arn = stream_arn_of(firehose, name)
    events = aws_client("events")
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    events.put_rule(Name="r", EventBusName=bus, EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(Rule="r", EventBusName=bus, Targets=[{"Id": "f", "Arn": stream_arn, "RoleArn": ROLE}])
    event_id = events.put_events(
        Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"n": 1}', "EventBusName": bus}]
    )["Entries"][0]["EventId"]
    cloudlet.advance_clock(1)
    cloudlet.advance_clock(60)
    (key,) = wait_for_keys(s3, bucket)
    event = json.loads(body(s3, bucket, key))
    assert event["id"] == event_id and event["detail"] == {"n": 1}


def test_eventbridge_target_writes_to_a_kinesis_stream(aws_client, cloudlet):
    kinesis = aws_client("kinesis")
    name = unique("ks")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    events = aws_client("events")
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    events.put_rule(Name="r", EventBusName=bus, EventPattern=json.dumps({"source": ["app"]}))
    events.put_targets(
        Rule="r",
        EventBusName=bus,
        Targets=[
            {
                "Id": "keyed",
                "Arn": arn,
                "RoleArn": ROLE,
                "KinesisParameters": {"PartitionKeyPath": "$.detail.user"},
            },
            {"Id": "plain", "Arn": arn, "RoleArn": ROLE, "InputPath": "$.detail"},
        ],
    )
    event_id = events.put_events(
        Entries=[{"Source": "app", "DetailType": "t", "Detail": '{"user": "u-1"}', "EventBusName": bus}]
    )["Entries"][0]["EventId"]
    iterator = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    deadline = time.monotonic() + 10
    records: list = []
    while len(records) < 2 and time.monotonic() < deadline:
        page = kinesis.get_records(ShardIterator=iterator)
        records += page["Records"]
        iterator = page["NextShardIterator"]
        time.sleep(0.05)
    by_key = {r["PartitionKey"]: r["Data"] for r in records}
    assert json.loads(by_key["u-1"])["id"] == event_id
    assert json.loads(by_key[event_id]) == {"user": "u-1"}
