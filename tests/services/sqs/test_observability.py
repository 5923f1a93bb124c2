"""SQS CloudWatch metrics recorded through core, and the in-process send path."""

from __future__ import annotations

import json
import urllib.request

import pytest

from cloudlet.protocol.errors import ServiceError

from .conftest import arn_of


def metrics(cloudlet, name: str, queue: str) -> list[dict]:
    with urllib.request.urlopen(
        f"{cloudlet.endpoint}/_cloudlet/metrics?namespace=AWS/SQS&name={name}"
    ) as resp:
        found = json.loads(resp.read())["metrics"]
    return [p for m in found if m["dimensions"] == {"QueueName": queue} for p in m["points"]]


def total(points: list[dict]) -> float:
    return sum(p["sum"] for p in points)


def test_sqs_metrics(sqs, make_queue, cloudlet):
    url = make_queue("metrics")
    name = url.rsplit("/", 1)[1]
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody="x" * (i + 1))
    m = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)["Messages"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=m[0]["ReceiptHandle"])
    sqs.receive_message(QueueUrl=url)
    sqs.receive_message(QueueUrl=url)  # empty
    assert total(metrics(cloudlet, "NumberOfMessagesSent", name)) == 3
    assert total(metrics(cloudlet, "NumberOfMessagesReceived", name)) == 3
    assert total(metrics(cloudlet, "NumberOfMessagesDeleted", name)) == 1
    assert total(metrics(cloudlet, "NumberOfEmptyReceives", name)) == 1
    sizes = metrics(cloudlet, "SentMessageSize", name)
    assert total(sizes) == 6 and sizes[0]["unit"] == "Bytes"
    cloudlet.advance_clock(120)  # gauges are sampled once per minute
    visible = metrics(cloudlet, "ApproximateNumberOfMessagesVisible", name)
    assert visible and visible[-1]["maximum"] == 2
    age = metrics(cloudlet, "ApproximateAgeOfOldestMessage", name)
    assert age[-1]["maximum"] >= 120 and age[-1]["unit"] == "Seconds"


def test_in_process_send_path_applies_the_same_rules(sqs, make_queue, cloudlet):
    provider = cloudlet.app.runtime.load("sqs")
    url = make_queue("inproc", fifo=True)
    arn = arn_of(sqs, url)
    out = provider.send(
        arn,
        {"MessageBody": "from another service", "MessageGroupId": "g", "MessageDeduplicationId": "d"},
        "sns.amazonaws.com",
    )
    assert out["SequenceNumber"]
    m = sqs.receive_message(QueueUrl=url, AttributeNames=["SenderId"])["Messages"][0]
    assert m["Body"] == "from another service" and m["Attributes"]["SenderId"] == "sns.amazonaws.com"
    with pytest.raises(ServiceError) as exc:
        provider.send(arn, {"MessageBody": "no group"}, "x")
    assert exc.value.code == "MissingRequiredParameterException"
    with pytest.raises(ServiceError) as exc:
        provider.send("arn:aws:sqs:us-east-1:000000000000:missing", {"MessageBody": "x"}, "x")
    assert exc.value.code == "QueueDoesNotExist"
