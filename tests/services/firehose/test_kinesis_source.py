"""KinesisStreamAsSource: a delivery stream reads its Kinesis data stream (from the records
written once it exists) and delivers them like PutRecord's."""

from __future__ import annotations

import base64
import json
import time

from .conftest import (
    ACCOUNT,
    REGION,
    ROLE,
    body,
    keys_of,
    make_function,
    processing,
    s3_config,
    unique,
    wait_for_keys,
)


def wait_active(kinesis, name: str) -> str:
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def test_records_of_the_source_stream_are_delivered(aws_client, firehose, s3, bucket, cloudlet):
    kinesis = aws_client("kinesis")
    source = unique("src")
    kinesis.create_stream(StreamName=source, ShardCount=2)
    source_arn = wait_active(kinesis, source)
    kinesis.put_record(StreamName=source, Data=b"before,", PartitionKey="a")  # before the delivery stream
    name = unique()
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=s3_config(bucket, BufferingHints={"IntervalInSeconds": 60}),
    )
    try:
        cloudlet.advance_clock(0.01)  # the creation instant lies behind the next records
        for i in range(6):
            kinesis.put_record(StreamName=source, Data=b"r%d," % i, PartitionKey=f"k{i}")
        time.sleep(0.2)  # the reader runs in the background, woken by the writes
        assert keys_of(s3, bucket) == []  # buffered for the interval
        for _ in range(50):  # should the reader have been slow, its records are due later
            cloudlet.advance_clock(61)
            if wait_for_keys(s3, bucket, timeout=0.2):
                break
        [key] = keys_of(s3, bucket)
        data = body(s3, bucket, key)
        assert sorted(data.decode().rstrip(",").split(",")) == [f"r{i}" for i in range(6)]
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=name)
        kinesis.delete_stream(StreamName=source)


def test_a_missing_source_stream_delivers_nothing(firehose, s3, bucket, cloudlet):
    name = unique()
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={
            "KinesisStreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{unique('none')}",
            "RoleARN": ROLE,
        },
        ExtendedS3DestinationConfiguration=s3_config(bucket, BufferingHints={"IntervalInSeconds": 0}),
    )
    cloudlet.advance_clock(30)
    assert keys_of(s3, bucket) == []
    firehose.delete_delivery_stream(DeliveryStreamName=name)


ECHO = """
import base64, json

def handler(event, context):
    shown = {k: v for k, v in event.items() if k != "records"}
    out = []
    for record in event["records"]:
        text = json.dumps({**shown, "record": record}) + "\\n"
        out.append({"recordId": record["recordId"], "result": "Ok", "data": base64.b64encode(text.encode()).decode()})
    return {"records": out}
"""


def test_the_lambda_event_carries_the_kinesis_metadata(aws_client, firehose, s3, bucket, cloudlet, role):
    kinesis = aws_client("kinesis")
    source = unique("src")
    kinesis.create_stream(StreamName=source, ShardCount=1)
    source_arn = wait_active(kinesis, source)
    name = unique()
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=s3_config(
            bucket,
            BufferingHints={"IntervalInSeconds": 60},
            ProcessingConfiguration=processing(make_function(aws_client, role, ECHO)),
        ),
    )
    try:
        cloudlet.advance_clock(0.01)
        put = kinesis.put_record(StreamName=source, Data=b"payload", PartitionKey="pk-1")
        time.sleep(0.2)
        for _ in range(50):
            cloudlet.advance_clock(61)
            if wait_for_keys(s3, bucket, timeout=0.5):
                break
        [key] = keys_of(s3, bucket)
        event = json.loads(body(s3, bucket, key))
        assert event["sourceKinesisStreamArn"] == source_arn
        record = event["record"]
        assert base64.b64decode(record["data"]) == b"payload"
        metadata = record["kinesisRecordMetadata"]
        assert metadata["shardId"] == put["ShardId"]
        assert metadata["sequenceNumber"] == put["SequenceNumber"]
        assert metadata["partitionKey"] == "pk-1"
        assert isinstance(metadata["approximateArrivalTimestamp"], int)
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=name)
        kinesis.delete_stream(StreamName=source)


def test_a_child_shard_is_read_after_its_parent(aws_client, firehose, s3, bucket, cloudlet):
    """Across a split, the parent's records are buffered before its children's, even when the
    parent has a backlog longer than one read (the reader finds 1,500 records at once)."""
    kinesis = aws_client("kinesis")
    source = unique("src")
    source_arn = f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{source}"
    name = unique()
    firehose.create_delivery_stream(  # before its source exists: the reader waits, then finds it all
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": source_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration=s3_config(bucket, BufferingHints={"IntervalInSeconds": 60}),
    )
    try:
        cloudlet.advance_clock(0.01)
        kinesis.create_stream(StreamName=source, ShardCount=1)
        for batch in range(3):
            records = [{"Data": b"p%04d," % (batch * 500 + i), "PartitionKey": "k"} for i in range(500)]
            assert kinesis.put_records(StreamName=source, Records=records)["FailedRecordCount"] == 0
        middle = str(2**127)
        kinesis.split_shard(StreamName=source, ShardToSplit="shardId-000000000000", NewStartingHashKey=middle)
        for i in range(10):
            kinesis.put_record(StreamName=source, Data=b"c%04d," % i, PartitionKey="k", ExplicitHashKey="1")
        for _ in range(50):
            cloudlet.advance_clock(61)
            if wait_for_keys(s3, bucket, timeout=0.2) and len(_delivered(s3, bucket)) == 1510:
                break
        delivered = _delivered(s3, bucket)
        assert delivered == [f"p{i:04d}" for i in range(1500)] + [f"c{i:04d}" for i in range(10)]
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=name)
        kinesis.delete_stream(StreamName=source)


def _delivered(s3, bucket: str) -> list[str]:
    text = b"".join(body(s3, bucket, key) for key in sorted(keys_of(s3, bucket))).decode()
    return text.rstrip(",").split(",") if text else []
