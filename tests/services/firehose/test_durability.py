"""Firehose after kill -9 and a restart on the same data directory: acknowledged records are
still buffered and delivered when their interval ends."""

from __future__ import annotations

import time

from cloudlet.testing.server import ServerProcess, client

from .conftest import ROLE, s3_config, wait_for_keys


def test_buffered_records_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        s3 = client("s3", server.endpoint)
        s3.create_bucket(Bucket="durable-firehose")
        firehose = client("firehose", server.endpoint)
        firehose.create_delivery_stream(
            DeliveryStreamName="durable",
            ExtendedS3DestinationConfiguration=s3_config(
                "durable-firehose", BufferingHints={"IntervalInSeconds": 120}
            ),
            Tags=[{"Key": "team", "Value": "a"}],
        )
        firehose.put_record(DeliveryStreamName="durable", Record={"Data": b"first,"})
        firehose.put_record_batch(
            DeliveryStreamName="durable", Records=[{"Data": b"second,"}, {"Data": b"third"}]
        )
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint)
        firehose = client("firehose", server.endpoint)
        described = firehose.describe_delivery_stream(DeliveryStreamName="durable")[
            "DeliveryStreamDescription"
        ]
        assert described["Destinations"][0]["ExtendedS3DestinationDescription"]["BufferingHints"] == {
            "IntervalInSeconds": 120,
            "SizeInMBs": 5,
        }
        assert firehose.list_tags_for_delivery_stream(DeliveryStreamName="durable")["Tags"] == [
            {"Key": "team", "Value": "a"}
        ]
        assert s3.list_objects_v2(Bucket="durable-firehose").get("KeyCount") == 0
        server.advance_clock(121)
        [key] = wait_for_keys(s3, "durable-firehose")
        assert s3.get_object(Bucket="durable-firehose", Key=key)["Body"].read() == b"first,second,third"
    finally:
        server.kill()


def test_a_kinesis_source_is_read_once_across_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        client("s3", server.endpoint).create_bucket(Bucket="durable-source")
        kinesis = client("kinesis", server.endpoint)
        kinesis.create_stream(StreamName="src", ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName="src")["StreamDescriptionSummary"]["StreamARN"]
        client("firehose", server.endpoint).create_delivery_stream(
            DeliveryStreamName="sourced",
            DeliveryStreamType="KinesisStreamAsSource",
            KinesisStreamSourceConfiguration={"KinesisStreamARN": arn, "RoleARN": ROLE},
            ExtendedS3DestinationConfiguration=s3_config(
                "durable-source", BufferingHints={"IntervalInSeconds": 300}
            ),
        )
        server.advance_clock(0.01)
        for i in range(3):
            kinesis.put_record(StreamName="src", Data=b"a%d," % i, PartitionKey="k")
        time.sleep(0.5)  # read (or not: either way each record is delivered once)
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint)
        kinesis = client("kinesis", server.endpoint)
        for i in range(2):
            kinesis.put_record(StreamName="src", Data=b"b%d," % i, PartitionKey="k")
        time.sleep(0.5)
        server.advance_clock(301)
        keys = wait_for_keys(s3, "durable-source")
        data = b"".join(s3.get_object(Bucket="durable-source", Key=k)["Body"].read() for k in keys)
        assert sorted(data.decode().rstrip(",").split(",")) == ["a0", "a1", "a2", "b0", "b1"]
    finally:
        server.kill()
