"""Stream event source mappings end to end (DynamoDB Streams here; Kinesis in
tests/services/kinesis): real functions fed shard by shard, failures bisected down to the bad
record and sent to the on-failure destination while the shard moves on, partial batch
responses, record age, order per key under ParallelizationFactor, checkpoints across kill -9."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from typing import Any

import pytest
from tests.services.awslambda import test_sqs_source as sqs_source
from tests.services.awslambda.conftest import TRUST, make_zip
from tests.services.awslambda.test_sqs_source import make_queue, metric, results

from cloudlet.testing.server import ServerProcess, client

# Records its event in RESULTS; fails when a record's new image has bad = true; reports the
# records whose new image has report = true (ReportBatchItemFailures); COPY names a table it
# copies every new image into (a function that writes back).
RECORDER = """
import json, os, boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
    images = [r["dynamodb"].get("NewImage", {}) for r in event["Records"]]
    if os.environ.get("COPY"):
        for image in images:
            ddb.put_item(TableName=os.environ["COPY"], Item=image)
    if any(i.get("bad", {}).get("BOOL") for i in images):
        raise RuntimeError("bad record")
    failures = [
        {"itemIdentifier": r["dynamodb"]["SequenceNumber"]}
        for r, i in zip(event["Records"], images)
        if i.get("report", {}).get("BOOL")
    ]
    return {"batchItemFailures": failures}
"""


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def ddb(aws_client):
    return aws_client("dynamodb")


def make_table(ddb, view: str = "NEW_AND_OLD_IMAGES") -> tuple[str, str]:
    name = f"t-{uuid.uuid4().hex[:8]}"
    described = ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view},
    )["TableDescription"]
    return name, described["LatestStreamArn"]


def make_recorder(lam, role: str, endpoint: str, out: str, **env: str) -> str:
    return sqs_source.make_recorder(lam, role, endpoint, out, RECORDER, **env)


def put(ddb, table: str, pk: str, **attrs: Any) -> None:
    item: dict[str, Any] = {"pk": {"S": pk}}
    for key, value in attrs.items():
        item[key] = {"BOOL": value} if isinstance(value, bool) else {"N": str(value)}
    ddb.put_item(TableName=table, Item=item)


def keys(invocation: dict[str, Any]) -> list[str]:
    return [r["dynamodb"]["Keys"]["pk"]["S"] for r in invocation["Records"]]


def test_event_shape_and_write_back(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    copies, _ = make_table(ddb)
    function = make_recorder(lam, role, cloudlet.endpoint, out, COPY=copies)
    mapping_id = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST"
    )["UUID"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "blob": {"B": b"\x00\xff"}, "n": {"N": "1"}})
    (event,) = results(sqs, out)
    (record,) = event["Records"]
    assert list(record) == [
        "eventID",
        "eventName",
        "eventVersion",
        "eventSource",
        "awsRegion",
        "dynamodb",
        "eventSourceARN",
    ]
    assert (record["eventName"], record["eventVersion"], record["eventSource"]) == (
        "INSERT",
        "1.1",
        "aws:dynamodb",
    )
    assert record["eventSourceARN"] == stream
    assert record["dynamodb"]["NewImage"] == {"pk": {"S": "a"}, "blob": {"B": "AP8="}, "n": {"N": "1"}}
    assert record["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    deadline = time.monotonic() + 10
    while (
        "Item" not in ddb.get_item(TableName=copies, Key={"pk": {"S": "a"}}) and time.monotonic() < deadline
    ):
        time.sleep(0.05)
    assert ddb.get_item(TableName=copies, Key={"pk": {"S": "a"}})["Item"]["n"] == {"N": "1"}
    assert lam.get_event_source_mapping(UUID=mapping_id)["LastProcessingResult"] == "OK"


def test_trim_horizon_reads_what_came_before(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    for n in range(3):
        put(ddb, table, f"k{n}")
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream, StartingPosition="TRIM_HORIZON"
    )
    assert keys(results(sqs, out)[0]) == ["k0", "k1", "k2"]


def test_bad_record_bisected_to_the_on_failure_destination(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    failures_url, failures_arn = make_queue(sqs)
    table, stream = make_table(ddb)
    for n in range(4):
        put(ddb, table, f"k{n}", bad=n == 2)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="TRIM_HORIZON",
        BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=3,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    seen = [keys(e) for e in results(sqs, out, 6)]
    assert seen == [["k0", "k1", "k2", "k3"], ["k0", "k1"], ["k2", "k3"], ["k2"], ["k2"], ["k3"]]
    (message,) = sqs.receive_message(QueueUrl=failures_url, WaitTimeSeconds=10)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 4
    assert record["responseContext"] == {
        "statusCode": 200,
        "executedVersion": "$LATEST",
        "functionError": "Unhandled",
    }
    info = record["DDBStreamBatchInfo"]
    assert info["batchSize"] == 1 and info["streamArn"] == stream
    assert info["startSequenceNumber"] == info["endSequenceNumber"]
    assert record["version"] == "1.0"
    put(ddb, table, "after")  # the shard moved on
    assert keys(results(sqs, out)[0]) == ["after"]


def test_partial_batch_response_retries_from_the_lowest_failure(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    put(ddb, table, "k0")
    put(ddb, table, "k1", report=True)
    put(ddb, table, "k2")
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"],
        MaximumRetryAttempts=1,
    )
    assert [keys(e) for e in results(sqs, out, 2)] == [["k0", "k1", "k2"], ["k1", "k2"]]
    put(ddb, table, "next")
    assert keys(results(sqs, out)[0]) == ["next"]


def test_records_older_than_the_maximum_age_are_given_up(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    failures_url, failures_arn = make_queue(sqs)
    table, stream = make_table(ddb)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="LATEST",
        MaximumRecordAgeInSeconds=60,
        DestinationConfig={"OnFailure": {"Destination": failures_arn}},
    )
    put(ddb, table, "poison", bad=True)
    results(sqs, out)
    cloudlet.advance_clock(61)
    (message,) = sqs.receive_message(QueueUrl=failures_url, WaitTimeSeconds=20)["Messages"]
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RecordAgeExceeded"
    assert "responseContext" not in record


def test_filters_skip_records(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    # N values are strings to patterns: numeric matching never applies to them (recorded)
    number = [{"numeric": [">", 5]}, {"prefix": "9"}]
    pattern = {"eventName": ["INSERT"], "dynamodb": {"NewImage": {"n": {"N": number}}}}
    lam.create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="LATEST",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]},
    )
    put(ddb, table, "small", n=7)
    put(ddb, table, "big", n=9)
    put(ddb, table, "big", n=10)  # a MODIFY
    assert [keys(e) for e in results(sqs, out)] == [["big"]]


def test_order_per_key_with_parallelization(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    for version in range(5):
        for key in "abcd":
            put(ddb, table, key, n=version)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="TRIM_HORIZON",
        BatchSize=3,
        ParallelizationFactor=4,
    )
    versions: dict[str, list[int]] = {}
    got = 0
    while got < 20:
        for event in results(sqs, out):
            for record in event["Records"]:
                image = record["dynamodb"]["NewImage"]
                versions.setdefault(image["pk"]["S"], []).append(int(image["n"]["N"]))
                got += 1
    assert versions == {key: list(range(5)) for key in "abcd"}


def test_checkpoints_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        role = client("iam", server.endpoint).create_role(
            RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST)
        )
        lam, sqs, ddb = (client(s, server.endpoint) for s in ("lambda", "sqs", "dynamodb"))
        out, _ = make_queue(sqs, "out")
        table, stream = make_table(ddb)
        function = make_recorder(lam, role["Role"]["Arn"], server.endpoint, out)
        lam.create_event_source_mapping(
            FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST"
        )
        put(ddb, table, "before")
        assert keys(results(sqs, out)[0]) == ["before"]
        deadline = time.monotonic() + 10  # OK is written with the checkpoint after the batch
        while lam.list_event_source_mappings()["EventSourceMappings"][0]["LastProcessingResult"] != "OK":
            assert time.monotonic() < deadline
            time.sleep(0.05)
    finally:
        server.kill()
    server.start()
    try:
        sqs, ddb = client("sqs", server.endpoint), client("dynamodb", server.endpoint)
        put(ddb, table, "after")
        assert [keys(e) for e in results(sqs, out)] == [["after"]]  # not "before" again
    finally:
        server.kill()


WINDOW_COUNTER = """
import json, os, boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    sqs.send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps(event))
    state = dict(event["state"])
    for record in event["Records"]:
        key = record["dynamodb"]["Keys"]["pk"]["S"]
        state[key] = state.get(key, 0) + 1
    return {"state": state}
"""


def test_tumbling_window_aggregates_with_state(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    name = sqs_source.make_recorder(lam, role, cloudlet.endpoint, out, WINDOW_COUNTER)
    lam.create_event_source_mapping(
        FunctionName=name, EventSourceArn=stream, StartingPosition="LATEST", TumblingWindowInSeconds=300
    )
    now = cloudlet.clock()["now"]
    cloudlet.advance_clock(300 - now % 300 + 1)  # just inside a window: the writes share it
    put(ddb, table, "a")
    first = results(sqs, out)[0]
    put(ddb, table, "a", n=2)  # a change (an identical put writes no stream record)
    put(ddb, table, "b")
    later = results(sqs, out, 1)
    assert first["state"] == {} and first["isFinalInvokeForWindow"] is False
    assert first["shardId"] and first["eventSourceARN"] == stream
    assert first["isWindowTerminatedEarly"] is False
    start = datetime.fromisoformat(first["window"]["start"].replace("Z", "+00:00"))
    end = datetime.fromisoformat(first["window"]["end"].replace("Z", "+00:00"))
    assert (end - start).total_seconds() == 300 and start.timestamp() % 300 == 0
    assert later[-1]["state"] in ({"a": 1}, {"a": 2})  # the earlier invocations' state carried
    while sum(len(e["Records"]) for e in [first, *later]) < 3:
        later += results(sqs, out)
    cloudlet.advance_clock(300)  # the window ends: one last invocation with the final state
    final = results(sqs, out)[0]
    assert final["isFinalInvokeForWindow"] is True and final["Records"] == []
    assert final["state"] == {"a": 2, "b": 1}
    assert final["window"] == first["window"]


def test_event_count_metrics_and_iterator_age(lam, sqs, ddb, role, cloudlet):
    out, _ = make_queue(sqs)
    table, stream = make_table(ddb)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    mapping_id = lam.create_event_source_mapping(
        FunctionName=function,
        EventSourceArn=stream,
        StartingPosition="LATEST",
        BatchSize=10,
        MaximumBatchingWindowInSeconds=1,
        FilterCriteria={
            "Filters": [{"Pattern": json.dumps({"dynamodb": {"Keys": {"pk": {"S": ["keep"]}}}})}]
        },
        MetricsConfig={"Metrics": ["EventCount"]},
    )["UUID"]
    put(ddb, table, "keep")
    put(ddb, table, "drop")
    assert keys(results(sqs, out)[0]) == ["keep"]
    dims = {"EventSourceMappingUUID": mapping_id}
    deadline = time.monotonic() + 10
    while not metric(cloudlet.endpoint, "InvokedEventCount", dims) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sum(p["sum"] for p in metric(cloudlet.endpoint, "PolledEventCount", dims)) == 2
    assert sum(p["sum"] for p in metric(cloudlet.endpoint, "FilteredOutEventCount", dims)) == 1
    assert sum(p["sum"] for p in metric(cloudlet.endpoint, "InvokedEventCount", dims)) == 1
    ages = metric(cloudlet.endpoint, "IteratorAge", {"FunctionName": function})
    assert ages and ages[0]["unit"] == "Milliseconds" and ages[0]["minimum"] >= 0


LIFO_WORKER = """
import os, boto3
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    for _ in event["Records"]:
        queued = ddb.scan(TableName=os.environ["TABLE"], FilterExpression="#s = :q",
                          ExpressionAttributeNames={"#s": "status"},
                          ExpressionAttributeValues={":q": {"S": "queued"}}, ConsistentRead=True)["Items"]
        if not queued:
            return
        newest = max(queued, key=lambda i: int(i["n"]["N"]))
        ddb.update_item(
            TableName=os.environ["TABLE"], Key={"pk": newest["pk"]},
            UpdateExpression="SET #s = :d, claims = if_not_exists(claims, :z) + :one",
            ConditionExpression="#s = :q",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":d": {"S": "done"}, ":q": {"S": "queued"}, ":z": {"N": "0"}, ":one": {"N": "1"}},
        )
"""


def test_lifo_task_queue_runs_through(lam, ddb, role, cloudlet):
    """Tasks written to a table; its stream feeds a worker with reserved concurrency 1 that
    claims the newest queued task with a conditional update: every task ends done, once."""
    table, stream = make_table(ddb)
    name = f"fn-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Timeout=30,
        Code={"ZipFile": make_zip({"index.py": LIFO_WORKER})},
        Environment={"Variables": {"TABLE": table, "AWS_ENDPOINT_URL": cloudlet.endpoint}},
    )
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    lam.create_event_source_mapping(
        FunctionName=name,
        EventSourceArn=stream,
        StartingPosition="LATEST",
        BatchSize=1,
        FilterCriteria={"Filters": [{"Pattern": json.dumps({"eventName": ["INSERT"]})}]},
    )
    for n in range(8):
        ddb.put_item(
            TableName=table, Item={"pk": {"S": f"task-{n}"}, "n": {"N": str(n)}, "status": {"S": "queued"}}
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        items = ddb.scan(TableName=table, ConsistentRead=True)["Items"]
        if all(i["status"]["S"] == "done" for i in items):
            break
        time.sleep(0.2)
    assert sorted(int(i["claims"]["N"]) for i in items) == [1] * 8
