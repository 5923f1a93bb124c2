"""The AWS/Kinesis stream metrics (read through the admin metrics route)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from .conftest import read_all


def points(endpoint: str, name: str, stream: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"namespace": "AWS/Kinesis", "name": name})
    with urllib.request.urlopen(f"{endpoint}/_cloudlet/metrics?{query}") as resp:
        found = json.loads(resp.read())["metrics"]
    return [p for m in found if m["dimensions"] == {"StreamName": stream} for p in m["points"]]


def total(endpoint: str, name: str, stream: str, statistic: str = "sum") -> float:
    return sum(p[statistic] for p in points(endpoint, name, stream))


def test_write_and_read_metrics(kinesis, cloudlet, make_stream):
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"abc", PartitionKey="k")  # 4 bytes with the key
    big = [{"Data": b"x" * (400 * 1024), "PartitionKey": "k"} for _ in range(4)]
    out = kinesis.put_records(StreamName=name, Records=big)
    throttled = out["FailedRecordCount"]
    assert throttled >= 1
    written = 4 - throttled
    cloudlet.advance_clock(30)
    read_all(kinesis, name, "shardId-000000000000")
    endpoint = cloudlet.endpoint
    assert total(endpoint, "IncomingRecords", name) == 1 + written
    assert total(endpoint, "IncomingBytes", name) == 4 + written * (400 * 1024 + 1)
    assert total(endpoint, "PutRecord.Bytes", name) == 4
    assert total(endpoint, "PutRecords.TotalRecords", name) == 4
    assert total(endpoint, "PutRecords.SuccessfulRecords", name) == written
    assert total(endpoint, "PutRecords.ThrottledRecords", name) == throttled
    assert total(endpoint, "PutRecords.FailedRecords", name) == 0
    assert total(endpoint, "WriteProvisionedThroughputExceeded", name) == throttled
    assert total(endpoint, "GetRecords.Records", name) == 1 + written
    assert total(endpoint, "GetRecords.IteratorAgeMilliseconds", name, "maximum") >= 30_000
