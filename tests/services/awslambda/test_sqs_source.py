"""SQS event source mappings end to end: real functions fed by the poller, their batches
deleted or left to the visibility timeout and redrive policy, partial batch responses,
filters, FIFO order, concurrency limits, throttles and a kill -9 in the middle."""

from __future__ import annotations

import base64
import hashlib
import json
import time
import urllib.parse
import urllib.request
import uuid
from typing import Any

import pytest
from tests.services.awslambda.conftest import TRUST, create_python

from cloudlet.testing.server import ServerProcess, client

# Sends the event it gets (and what it answers) to the queue RESULTS, then answers per message:
# a body {"fail": true} fails the whole invocation, {"report": true} is reported failed.
RECORDER = """
import json, os, time, boto3
sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
def handler(event, context):
    answer = json.loads(os.environ.get("ANSWER", "null"))
    failures = []
    for record in event["Records"]:
        try:
            body = json.loads(record["body"])
        except ValueError:
            body = {}
        if isinstance(body, dict) and body.get("report"):
            failures.append({"itemIdentifier": record["messageId"]})
    if failures and answer is None:
        answer = {"batchItemFailures": failures}
    time.sleep(float(os.environ.get("SLEEP", "0")))
    sqs.send_message(QueueUrl=os.environ["RESULTS"], MessageBody=json.dumps({"event": event, "answer": answer}))
    if any(json.loads(r["body"]).get("fail") for r in event["Records"] if r["body"].startswith("{")):
        raise RuntimeError("asked to fail")
    return answer
"""


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def make_queue(sqs, name: str | None = None, **attributes: str) -> tuple[str, str]:
    name = name or f"q-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def make_recorder(lam, role: str, endpoint: str, results: str, code: str = RECORDER, **env: str) -> str:
    """A python3.12 function running ``code`` that knows the RESULTS queue and Cloudlet's endpoint."""
    name = f"fn-{uuid.uuid4().hex[:8]}"
    variables = {"RESULTS": results, "AWS_ENDPOINT_URL": endpoint, **env}
    create_python(lam, role, name, code, Timeout=30, Environment={"Variables": variables})
    return name


def results(sqs, url: str, count: int = 1, wait: float = 30) -> list[dict[str, Any]]:
    """``count`` invocations recorded by RECORDER (waiting up to ``wait`` real seconds)."""
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + wait
    while len(out) < count and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in got.get("Messages", []):
            out.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    assert len(out) >= count, f"{len(out)} of {count} invocations recorded"
    return out


def nothing_more(sqs, url: str, wait: int = 2) -> None:
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=wait)


def counts(sqs, url: str) -> tuple[int, int]:
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(attrs["ApproximateNumberOfMessagesNotVisible"])


def settle(sqs, url: str, expected: tuple[int, int], wait: float = 10) -> None:
    deadline = time.monotonic() + wait
    while counts(sqs, url) != expected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert counts(sqs, url) == expected


def metric(endpoint: str, name: str, dimensions: dict[str, str]) -> list[dict[str, Any]]:
    """The points of an AWS/Lambda metric with exactly ``dimensions`` (the admin metrics route)."""
    query = urllib.parse.urlencode({"namespace": "AWS/Lambda", "name": name})
    with urllib.request.urlopen(f"{endpoint}/_cloudlet/metrics?{query}") as resp:
        found = json.loads(resp.read())["metrics"]
    return [p for m in found if m["dimensions"] == dimensions for p in m["points"]]


def mapping(lam, function: str, queue_arn: str, **extra: Any) -> str:
    return lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn, **extra)["UUID"]


def test_event_shape_and_delete(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    mapping(lam, function, arn)
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="hello",
        MessageAttributes={
            "Author": {"DataType": "String", "StringValue": "John"},
            "WeeksOn": {"DataType": "Number", "StringValue": "6"},
            "Raw": {"DataType": "Binary", "BinaryValue": b"\x00\x01"},
        },
    )
    (got,) = results(sqs, out)
    (record,) = got["event"]["Records"]
    assert record["messageId"] == sent["MessageId"]
    assert record["body"] == "hello"
    assert record["md5OfBody"] == hashlib.md5(b"hello").hexdigest()
    assert record["md5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn
    assert record["awsRegion"] == arn.split(":")[3]
    assert record["receiptHandle"]
    assert list(record["attributes"]) == [
        "ApproximateReceiveCount", "SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp",
    ]  # fmt: skip
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {
        "Author": {
            "stringValue": "John",
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "String",
        },
        "WeeksOn": {"stringValue": "6", "stringListValues": [], "binaryListValues": [], "dataType": "Number"},
        "Raw": {
            "binaryValue": base64.b64encode(b"\x00\x01").decode(),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": "Binary",
        },
    }
    settle(sqs, url, (0, 0))  # a successful batch is deleted


def test_no_attributes_md5_is_null(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    mapping(lam, make_recorder(lam, role, cloudlet.endpoint, out), arn)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    (record,) = results(sqs, out)[0]["event"]["Records"]
    assert record["messageAttributes"] == {}
    assert "md5OfMessageAttributes" in record and record["md5OfMessageAttributes"] is None


def test_poison_message_ends_in_the_dlq(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    dlq_url, dlq_arn = make_queue(sqs)
    redrive = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 2})
    url, arn = make_queue(sqs, VisibilityTimeout="30", RedrivePolicy=redrive)
    mapping(lam, make_recorder(lam, role, cloudlet.endpoint, out), arn)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"fail": True}))
    first = results(sqs, out)[0]["event"]["Records"][0]
    assert first["attributes"]["ApproximateReceiveCount"] == "1"
    settle(sqs, url, (0, 1))  # failed: left in flight until the visibility timeout
    cloudlet.advance_clock(31)
    second = results(sqs, out)[0]["event"]["Records"][0]
    assert second["attributes"]["ApproximateReceiveCount"] == "2"
    assert second["messageId"] == first["messageId"]
    cloudlet.advance_clock(31)
    dead = sqs.receive_message(QueueUrl=dlq_url, WaitTimeSeconds=10)["Messages"]
    assert dead[0]["MessageId"] == first["messageId"]
    nothing_more(sqs, out, 1)


def test_partial_batch_failure_returns_only_the_failed(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs, VisibilityTimeout="30")
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    bodies = [{"n": 1}, {"n": 2, "report": True}, {"n": 3}, {"n": 4, "report": True}]
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": json.dumps(b)} for i, b in enumerate(bodies)]
    )
    mapping(lam, function, arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    first = results(sqs, out)[0]
    assert len(first["event"]["Records"]) == 4
    failed = {f["itemIdentifier"] for f in first["answer"]["batchItemFailures"]}
    settle(sqs, url, (0, 2))
    cloudlet.advance_clock(31)
    second = results(sqs, out)[0]["event"]["Records"]
    assert {r["messageId"] for r in second} == failed
    assert {r["attributes"]["ApproximateReceiveCount"] for r in second} == {"2"}


@pytest.mark.parametrize(
    ("answer", "deleted"),
    [
        ("null", True),
        ('""', True),
        ("{}", True),
        ('{"batchItemFailures": []}', True),
        ('{"batchItemFailures": null}', True),
        ('{"batchItemFailures": [{"foo": "notvalid"}]}', False),
        ('{"batchItemFailures": [{"itemIdentifier": ""}]}', False),
        ('{"batchItemFailures": [{"itemIdentifier": null}]}', False),
        ('{"batchItemFailures": [{"itemIdentifier": "not-in-the-batch"}]}', False),
        ('{"batchItemFailures": "x"}', False),
    ],
)
def test_batch_item_failure_answers(lam, sqs, role, cloudlet, answer, deleted):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs, VisibilityTimeout="30")
    function = make_recorder(lam, role, cloudlet.endpoint, out, ANSWER=answer)
    mapping(lam, function, arn, FunctionResponseTypes=["ReportBatchItemFailures"])
    sqs.send_message(QueueUrl=url, MessageBody="{}")
    results(sqs, out)
    settle(sqs, url, (0, 0) if deleted else (0, 1))


def test_answers_ignored_without_report_batch_item_failures(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    mapping(lam, make_recorder(lam, role, cloudlet.endpoint, out), arn)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"report": True}))
    results(sqs, out)
    settle(sqs, url, (0, 0))


def test_filtered_out_messages_are_deleted_unseen(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    pattern = {"body": {"kind": ["order"], "total": [{"numeric": [">", 100]}]}}
    mapping(lam, function, arn, FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    for body in ({"kind": "order", "total": 50}, "plain text", {"kind": "refund", "total": 500}):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(body) if isinstance(body, dict) else body)
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"kind": "order", "total": 101}))
    (got,) = results(sqs, out)
    assert [json.loads(r["body"]) for r in got["event"]["Records"]] == [{"kind": "order", "total": 101}]
    settle(sqs, url, (0, 0))
    nothing_more(sqs, out, 1)


def test_plain_string_filter(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    mapping(lam, function, arn, FilterCriteria={"Filters": [{"Pattern": json.dumps({"body": ["hi"]})}]})
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps("hi"))  # JSON, not the plain string
    sqs.send_message(QueueUrl=url, MessageBody="hi")
    (got,) = results(sqs, out)
    assert [r["body"] for r in got["event"]["Records"]] == ["hi"]


def test_fifo_keeps_group_order(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(
        sqs, f"q-{uuid.uuid4().hex[:8]}.fifo", FifoQueue="true", ContentBasedDeduplication="true"
    )
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    for n in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"n": n}), MessageGroupId=f"g{n % 3}")
    mapping(lam, function, arn, BatchSize=2, ScalingConfig={"MaximumConcurrency": 3})
    seen: dict[str, list[int]] = {}
    got = 0
    while got < 12:
        for invocation in results(sqs, out):
            for record in invocation["event"]["Records"]:
                assert record["attributes"]["MessageGroupId"] == f"g{json.loads(record['body'])['n'] % 3}"
                assert "SequenceNumber" in record["attributes"]
                assert "md5OfMessageAttributes" not in record  # recorded: absent on FIFO queues
                seen.setdefault(record["attributes"]["MessageGroupId"], []).append(
                    json.loads(record["body"])["n"]
                )
                got += 1
    assert seen == {f"g{g}": list(range(g, 12, 3)) for g in range(3)}


def test_maximum_concurrency_bounds_the_batches(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out, SLEEP="0.3")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": "{}"} for i in range(8)])
    mapping(lam, function, arn, BatchSize=1, ScalingConfig={"MaximumConcurrency": 2})
    results(sqs, out, 8)
    points = metric(cloudlet.endpoint, "ConcurrentExecutions", {"FunctionName": function})
    assert max(p["maximum"] for p in points) == 2


def test_batch_window_gathers_a_large_batch(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    for start in range(0, 30, 10):
        sqs.send_message_batch(
            QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)]
        )
    mapping(lam, function, arn, BatchSize=25, MaximumBatchingWindowInSeconds=2)
    sizes = sorted(len(r["event"]["Records"]) for r in results(sqs, out, 2))
    assert sizes == [5, 25]


def test_disabled_mapping_stops_polling(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    mapping_id = mapping(lam, function, arn)
    assert lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=mapping_id)["State"] == "Disabled"
    sqs.send_message(QueueUrl=url, MessageBody="waits")
    nothing_more(sqs, out, 2)
    assert counts(sqs, url) == (1, 0)
    lam.update_event_source_mapping(UUID=mapping_id, Enabled=True)
    assert results(sqs, out)[0]["event"]["Records"][0]["body"] == "waits"
    lam.delete_event_source_mapping(UUID=mapping_id)
    sqs.send_message(QueueUrl=url, MessageBody="stays")
    nothing_more(sqs, out, 2)


def test_throttled_messages_are_not_lost(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs, VisibilityTimeout="30")
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
    mapping(lam, function, arn)
    sqs.send_message(QueueUrl=url, MessageBody="later")
    settle(sqs, url, (0, 1))  # received, its invocation throttled
    lam.delete_function_concurrency(FunctionName=function)
    cloudlet.advance_clock(31)  # retried with backoff, or given back to the queue and received again
    assert results(sqs, out)[0]["event"]["Records"][0]["body"] == "later"
    settle(sqs, url, (0, 0))


def test_event_count_metrics(lam, sqs, role, cloudlet):
    out, _ = make_queue(sqs)
    url, arn = make_queue(sqs)
    function = make_recorder(lam, role, cloudlet.endpoint, out)
    pattern = json.dumps({"body": {"keep": [True]}})
    mapping_id = mapping(
        lam, function, arn,
        FilterCriteria={"Filters": [{"Pattern": pattern}]}, MetricsConfig={"Metrics": ["EventCount"]},
    )  # fmt: skip
    sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": '{"keep": true}'}, {"Id": "b", "MessageBody": '{"keep": false}'}],
    )
    results(sqs, out)
    settle(sqs, url, (0, 0))

    def total(name: str) -> float:
        return sum(p["sum"] for p in metric(cloudlet.endpoint, name, {"EventSourceMappingUUID": mapping_id}))

    assert total("PolledEventCount") == 2
    assert total("FilteredOutEventCount") == 1
    assert total("InvokedEventCount") == 1
    assert total("DeletedEventCount") == 2


def test_batches_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        iam = client("iam", server.endpoint)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]
        lam, sqs = client("lambda", server.endpoint), client("sqs", server.endpoint)
        out, _ = make_queue(sqs, "out")
        url, arn = make_queue(sqs, "in", VisibilityTimeout="2")
        function = make_recorder(lam, role, server.endpoint, out, SLEEP="5")
        mapping(lam, function, arn)
        sqs.send_message(QueueUrl=url, MessageBody="in flight at the crash")
        settle(sqs, url, (0, 1))
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        sqs.send_message(QueueUrl=url, MessageBody="sent after the restart")
        wanted = {"in flight at the crash", "sent after the restart"}
        bodies: set[str] = set()
        deadline = time.monotonic() + 60
        while bodies != wanted and time.monotonic() < deadline:
            bodies |= {r["body"] for got in results(sqs, out) for r in got["event"]["Records"]}
        assert bodies == wanted
    finally:
        server.kill()
