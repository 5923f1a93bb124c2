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


def test_write_and_read_metrics_unthrottled(kinesis, cloudlet, make_stream):
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"abc", PartitionKey="k")  # 4 bytes with the key
    kinesis.put_records(StreamName=name, Records=[{"Data": b"xy", "PartitionKey": "k"}] * 2)
    read_all(kinesis, name, "shardId-000000000000")
    endpoint = cloudlet.endpoint
    assert total(endpoint, "IncomingRecords", name) == 3
    assert total(endpoint, "PutRecords.ThrottledRecords", name) == 0
    assert total(endpoint, "GetRecords.Records", name) == 3
