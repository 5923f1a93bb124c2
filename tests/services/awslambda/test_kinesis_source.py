"""Kinesis event source mappings end to end: AWS's record shape, order per shard and per
partition key under ParallelizationFactor, filters on the decoded data, partial batch
responses, and batches given up to SQS and SNS on-failure destinations while the shard moves
on."""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

import pytest
from tests.services.awslambda import test_sqs_source as sqs_source
from tests.services.awslambda.test_sqs_source import make_queue, results

RECORDER = """
import base64, json, os, boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
    data = [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]]
    if any(d.get("bad") for d in data):
        raise RuntimeError("bad record")
    return {"batchItemFailures": [
        {"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r, d in zip(event["Records"], data) if d.get("report")
    ]}
"""


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def kinesis(aws_client):
    return aws_client("kinesis")


def make_stream(kinesis, shards: int = 1) -> str:
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


def make_recorder(lam, role: str, endpoint: str, out: str, **env: str) -> str:
    return sqs_source.make_recorder(lam, role, endpoint, out, RECORDER, **env)


def put(kinesis, arn: str, key: str, **data: Any) -> str:
    return kinesis.put_record(StreamARN=arn, PartitionKey=key, Data=json.dumps(data).encode())[
        "SequenceNumber"
    ]


def payloads(invocation: dict[str, Any]) -> list[dict[str, Any]]:
    return [json.loads(base64.b64decode(r["kinesis"]["data"])) for r in invocation["Records"]]


def test_record_shape(lam, sqs, kinesis, role, cloudlet):
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(FunctionName=function, EventSourceArn=arn, StartingPosition="LATEST")
    sequence = put(kinesis, arn, "pk-1", n=1)
    (record,) = results(sqs, out)[0]["Records"]
    assert list(record) == [
        "kinesis", "eventSource", "eventVersion", "eventID", "eventName", "invokeIdentityArn", "awsRegion",
        "eventSourceARN",
    ]  # fmt: skip
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    assert record["eventID"] == f"{shard}:{sequence}"
    assert (record["eventSource"], record["eventVersion"], record["eventName"]) == (
        "aws:kinesis", "1.0", "aws:kinesis:record",
    )  # fmt: skip
    assert record["invokeIdentityArn"] == role and record["eventSourceARN"] == arn
    inner = record["kinesis"]
    assert inner["kinesisSchemaVersion"] == "1.0" and inner["partitionKey"] == "pk-1"
    assert inner["sequenceNumber"] == sequence
    assert json.loads(base64.b64decode(inner["data"])) == {"n": 1}
    assert isinstance(inner["approximateArrivalTimestamp"], float)


def test_order_per_shard_and_key_with_parallelization(lam, sqs, kinesis, role, cloudlet):
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis, shards=2)
    for n in range(6):
        for key in ("a", "b", "c", "d"):
            put(kinesis, arn, key, name=key, n=n)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=5,
        ParallelizationFactor=3,
    )  # fmt: skip
    seen: dict[str, list[int]] = {}
    while sum(map(len, seen.values())) < 24:
        for invocation in results(sqs, out):
            for item in payloads(invocation):
                seen.setdefault(item["name"], []).append(item["n"])
    assert seen == {key: list(range(6)) for key in "abcd"}


def test_filter_on_decoded_data(lam, sqs, kinesis, role, cloudlet):
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    pattern = {"data": {"event_type": ["function_1"]}, "partitionKey": [{"prefix": "p"}]}
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]},
    )  # fmt: skip
    put(kinesis, arn, "p1", event_type="function_2")
    put(kinesis, arn, "x1", event_type="function_1")
    put(kinesis, arn, "p2", event_type="function_1", message="foo")
    assert payloads(results(sqs, out)[0]) == [{"event_type": "function_1", "message": "foo"}]


def test_report_batch_item_failures(lam, sqs, kinesis, role, cloudlet):
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis)
    for n, report in enumerate((False, True, False)):
        put(kinesis, arn, "k", n=n, report=report)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"], MaximumRetryAttempts=1,
    )  # fmt: skip
    firsts = [[p["n"] for p in payloads(e)] for e in results(sqs, out, 2)]
    assert firsts == [[0, 1, 2], [1, 2]]


@pytest.mark.parametrize("destination", ["sqs", "sns"])
def test_on_failure_destination(lam, sqs, kinesis, role, cloudlet, aws_client, destination):
    out, _ = make_queue(sqs)
    failures_url, failures_arn = make_queue(sqs)
    target = failures_arn
    if destination == "sns":
        sns = aws_client("sns")
        target = sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
        sns.subscribe(
            TopicArn=target, Protocol="sqs", Endpoint=failures_arn, Attributes={"RawMessageDelivery": "true"}
        )
    arn = make_stream(kinesis)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="LATEST", MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": target}},
    )  # fmt: skip
    sequence = put(kinesis, arn, "k", bad=True)
    assert len(results(sqs, out, 2)) == 2  # the first invocation and one retry
    (message,) = sqs.receive_message(QueueUrl=failures_url, WaitTimeSeconds=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["responseContext"]["functionError"] == "Unhandled"
    info = record["KinesisBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sequence
    assert info["batchSize"] == 1 and info["streamArn"] == arn
    assert (
        info["approximateArrivalOfFirstRecord"].endswith("Z")
        and "." in info["approximateArrivalOfFirstRecord"]
    )
    put(kinesis, arn, "k", n=2)  # the shard moved on
    assert payloads(results(sqs, out)[0]) == [{"n": 2}]


def test_at_timestamp(lam, sqs, kinesis, role, cloudlet):
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis)
    put(kinesis, arn, "k", n=0)
    cloudlet.advance_clock(10)
    middle = cloudlet.clock()["now"]
    put(kinesis, arn, "k", n=1)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="AT_TIMESTAMP",
        StartingPositionTimestamp=middle - 1,
    )  # fmt: skip
    assert payloads(results(sqs, out)[0]) == [{"n": 1}]


def test_s3_on_failure_destination(lam, sqs, kinesis, role, cloudlet, aws_client):
    s3 = aws_client("s3")
    bucket = f"b-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    mapping_id = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="LATEST", MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": f"arn:aws:s3:::{bucket}"}},
    )["UUID"]  # fmt: skip
    sequence = put(kinesis, arn, "k", bad=True)
    results(sqs, out)
    deadline = time.monotonic() + 10
    while not s3.list_objects_v2(Bucket=bucket).get("Contents") and time.monotonic() < deadline:
        time.sleep(0.05)
    (found,) = s3.list_objects_v2(Bucket=bucket)["Contents"]
    shard = kinesis.list_shards(StreamARN=arn)["Shards"][0]["ShardId"]
    assert found["Key"].startswith(f"aws/lambda/{mapping_id}/{shard}/")
    record = json.loads(s3.get_object(Bucket=bucket, Key=found["Key"])["Body"].read())
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["KinesisBatchInfo"]["startSequenceNumber"] == sequence
    (sent,) = record["payload"]["Records"]
    assert sent["kinesis"]["sequenceNumber"] == sequence


def test_consumer_arn_reads_its_stream(lam, sqs, kinesis, role, cloudlet):
    out, _ = make_queue(sqs)
    arn = make_stream(kinesis)
    consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="efo")["Consumer"]["ConsumerARN"]
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    mapping = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=consumer, StartingPosition="TRIM_HORIZON"
    )
    assert mapping["EventSourceArn"] == consumer
    put(kinesis, arn, "k", n=1)
    (invocation,) = results(sqs, out)
    assert payloads(invocation) == [{"n": 1}]


def test_unregistered_consumer_arn_is_refused(lam, kinesis, role, cloudlet, sqs):
    arn = make_stream(kinesis)
    out, _ = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    missing = f"{arn}/consumer/nobody:1700000000"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as info:
        lam.create_event_source_mapping(
            FunctionName=function, EventSourceArn=missing, StartingPosition="LATEST"
        )
    assert info.value.response["Error"]["Message"] == f"Stream not found: {missing}"
