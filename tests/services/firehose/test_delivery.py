"""Buffered delivery to S3: interval and size triggers, object names, prefixes, GZIP, retries."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor

from .conftest import body, keys_of, unique, wait_for_keys

MIB = 1024 * 1024
# <stream>-<version>-<yyyy-MM-dd-HH-mm-ss>-<uuid> (developer guide, "S3 object name format")
NAME = r"{stream}-1-(\d{{4}}-\d{{2}}-\d{{2}}-\d{{2}}-\d{{2}}-\d{{2}})-[0-9a-f]{{8}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{4}}-[0-9a-f]{{12}}"


def server_time(cloudlet) -> dt.datetime:
    return dt.datetime.fromtimestamp(cloudlet.clock()["now"], dt.UTC)


def test_records_are_delivered_after_the_interval(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 60, "SizeInMBs": 1})
    arrived = server_time(cloudlet)
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"one\n"})
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"two"}, {"Data": b"three"}])
    cloudlet.advance_clock(30)
    assert keys_of(s3, bucket) == []  # not due yet
    cloudlet.advance_clock(31)
    keys = wait_for_keys(s3, bucket)
    assert len(keys) == 1
    key = keys[0]
    # default prefix yyyy/MM/dd/HH/ of the oldest record's arrival, in UTC
    prefix = arrived.strftime("%Y/%m/%d/%H/")
    assert key.startswith(prefix)
    match = re.fullmatch(NAME.format(stream=re.escape(stream)), key[len(prefix) :])
    assert match, key
    stamp = dt.datetime.strptime(match.group(1), "%Y-%m-%d-%H-%M-%S").replace(tzinfo=dt.UTC)
    assert abs((stamp - arrived).total_seconds()) < 5
    assert body(s3, bucket, key) == b"one\ntwothree"  # concatenated as they are, no delimiter
    cloudlet.advance_clock(120)
    assert len(keys_of(s3, bucket)) == 1  # delivered once


def test_size_reached_flushes_without_waiting(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 900, "SizeInMBs": 1})
    chunk = b"x" * 1000 * 1024  # the largest record, 1,000 KiB
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": chunk})
    cloudlet.advance_clock(1)
    assert keys_of(s3, bucket) == []
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": chunk})  # past 1 MiB
    keys = wait_for_keys(s3, bucket)
    assert len(keys) == 1
    assert body(s3, bucket, keys[0]) == chunk * 2


def test_size_flush_leaves_the_rest_for_the_interval(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 120, "SizeInMBs": 1})
    chunk = b"y" * 600 * 1024
    records = [{"Data": chunk}, {"Data": chunk}, {"Data": b"tail"}]
    firehose.put_record_batch(DeliveryStreamName=stream, Records=records)
    keys = wait_for_keys(s3, bucket)
    assert len(keys) == 1
    assert body(s3, bucket, keys[0]) == chunk * 2  # one object of up to SizeInMBs
    cloudlet.advance_clock(121)
    keys = wait_for_keys(s3, bucket, 2)
    assert len(keys) == 2
    assert sorted(body(s3, bucket, k) for k in keys) == sorted([chunk * 2, b"tail"])


def test_gzip_objects(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, CompressionFormat="GZIP", BufferingHints={"IntervalInSeconds": 0})
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"a" * 100}, {"Data": b"b"}])
    cloudlet.advance_clock(1)
    keys = wait_for_keys(s3, bucket)
    assert len(keys) == 1 and keys[0].endswith(".gz")
    assert gzip.decompress(body(s3, bucket, keys[0])) == b"a" * 100 + b"b"


def test_custom_prefix_without_expressions_gets_the_time_appended(
    firehose, s3, bucket, make_stream, cloudlet
):
    stream = make_stream(bucket, Prefix="logs/", BufferingHints={"IntervalInSeconds": 0})
    arrived = server_time(cloudlet)
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"r"})
    cloudlet.advance_clock(1)
    keys = wait_for_keys(s3, bucket)
    assert keys[0].startswith("logs/" + arrived.strftime("%Y/%m/%d/%H/") + stream + "-1-")


def test_timestamp_and_random_expressions(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(
        bucket,
        Prefix="data/year=!{timestamp:yyyy}/month=!{timestamp:MM}/day=!{timestamp:dd}/"
        "!{timestamp:yyyy'-'MM'T'HH}/!{firehose:random-string}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/!{timestamp:yyyy}/",
        BufferingHints={"IntervalInSeconds": 0},
    )
    arrived = server_time(cloudlet)
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"r"})
    cloudlet.advance_clock(1)
    key = wait_for_keys(s3, bucket)[0]
    expected = arrived.strftime("data/year=%Y/month=%m/day=%d/%Y-%mT%H/")
    assert key.startswith(expected), key
    random, rest = key[len(expected) :].split("/", 1)
    assert re.fullmatch(r"[a-z0-9]{11}", random)
    assert rest.startswith(stream + "-1-")  # with a timestamp expression nothing is appended


def test_failed_s3_writes_are_retried_until_the_bucket_exists(firehose, s3, make_stream, cloudlet):
    missing = f"fh-later-{dt.datetime.now().microsecond}-bucket"
    stream = make_stream(missing, BufferingHints={"IntervalInSeconds": 0})
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"kept"})
    cloudlet.advance_clock(30)  # failing deliveries, retried every 5 seconds
    s3.create_bucket(Bucket=missing)
    assert keys_of(s3, missing) == []
    cloudlet.advance_clock(6)
    keys = wait_for_keys(s3, missing)
    assert len(keys) == 1
    assert body(s3, missing, keys[0]) == b"kept"


def test_deleting_a_stream_drops_its_buffer(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 60})
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"gone"})
    firehose.delete_delivery_stream(DeliveryStreamName=stream)
    cloudlet.advance_clock(61)
    assert keys_of(s3, bucket) == []


def test_update_destination_changes_delivery(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 60})
    firehose.update_destination(
        DeliveryStreamName=stream,
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "v2/", "CompressionFormat": "GZIP"},
    )
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"after"})
    cloudlet.advance_clock(61)
    key = wait_for_keys(s3, bucket)[0]
    assert key.startswith("v2/") and f"/{stream}-2-" in key and key.endswith(".gz")
    assert gzip.decompress(body(s3, bucket, key)) == b"after"


def test_new_buffering_hints_apply_to_waiting_records(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 900})
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"waiting"})
    firehose.update_destination(
        DeliveryStreamName=stream,
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"BufferingHints": {"IntervalInSeconds": 60}},
    )
    cloudlet.advance_clock(61)
    [key] = wait_for_keys(s3, bucket)
    assert body(s3, bucket, key) == b"waiting"


def test_objects_are_real_s3_objects(firehose, s3, bucket, make_stream, cloudlet):
    """Written through PutObject's path: listed, with an ETag, versioned when the bucket is."""
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 0})
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"versioned"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    head = s3.head_object(Bucket=bucket, Key=key)
    assert head["ContentLength"] == len(b"versioned")
    assert head["VersionId"] != "null"
    assert head["ContentType"] == "application/octet-stream"  # unverified: what Firehose sets


def test_kms_encryption_configuration_encrypts_the_objects(
    aws_client, firehose, s3, bucket, make_stream, cloudlet
):
    key_arn = aws_client("kms").create_key()["KeyMetadata"]["Arn"]
    stream = make_stream(
        bucket,
        BufferingHints={"IntervalInSeconds": 0},
        EncryptionConfiguration={"KMSEncryptionConfig": {"AWSKMSKeyARN": key_arn}},
    )
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"secret"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    got = s3.get_object(Bucket=bucket, Key=key)
    assert got["ServerSideEncryption"] == "aws:kms"
    assert got["SSEKMSKeyId"] == key_arn
    assert got["Body"].read() == b"secret"


def test_delivery_errors_are_logged_when_asked(aws_client, firehose, make_stream, cloudlet):
    group, log_stream = unique("/aws/kinesisfirehose/g"), "DestinationDelivery"
    stream = make_stream(
        "fh-never-created-bucket",
        BufferingHints={"IntervalInSeconds": 0},
        CloudWatchLoggingOptions={"Enabled": True, "LogGroupName": group, "LogStreamName": log_stream},
    )
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"x"})
    cloudlet.advance_clock(6)  # the first attempt and one retry
    events = aws_client("logs").get_log_events(logGroupName=group, logStreamName=log_stream)["events"]
    assert len(events) >= 2
    logged = json.loads(events[0]["message"])
    assert logged["errorCode"] == "S3.NoSuchBucket"
    assert logged["deliveryStreamARN"].endswith(f":deliverystream/{stream}")
    assert logged["destination"] == "arn:aws:s3:::fh-never-created-bucket"
    assert logged["deliveryStreamVersionId"] == 1


def test_file_extension_replaces_the_default(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(
        bucket, CompressionFormat="GZIP", FileExtension=".json.gz", BufferingHints={"IntervalInSeconds": 0}
    )
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"{}"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    assert key.endswith(".json.gz") and not key.endswith(".gz.json.gz")
    assert gzip.decompress(body(s3, bucket, key)) == b"{}"


def test_append_delimiter_to_record(aws_client, firehose, s3, bucket, make_stream, cloudlet):
    processing = {"Enabled": True, "Processors": [{"Type": "AppendDelimiterToRecord"}]}
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 0}, ProcessingConfiguration=processing)
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b'{"a":1}'}, {"Data": b'{"b":2}'}])
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    assert body(s3, bucket, key) == b'{"a":1}\n{"b":2}\n'


def test_concurrent_puts_and_flushes_deliver_each_record_once(aws_client, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 0, "SizeInMBs": 1})

    def put(thread: int) -> None:
        client = aws_client("firehose")
        for i in range(25):
            records = [{"Data": b"t%d-%d-%d\n" % (thread, i, j)} for j in range(10)]
            assert client.put_record_batch(DeliveryStreamName=stream, Records=records)["FailedPutCount"] == 0

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(put, range(4)))
    cloudlet.advance_clock(1)
    expected = {b"t%d-%d-%d" % (t, i, j) for t in range(4) for i in range(25) for j in range(10)}
    deadline = time.monotonic() + 30
    while True:
        lines = [line for key in keys_of(s3, bucket) for line in body(s3, bucket, key).splitlines()]
        if len(lines) >= len(expected) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert sorted(lines) == sorted(expected)  # each once
