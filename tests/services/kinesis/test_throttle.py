"""Kinesis with ``--kinesis-throttle``: provisioned shards' write limits (1 MiB and 1,000
records a second of service time) enforced per record, and the metrics that count them. A
server of its own, since the shared one does not throttle."""

from __future__ import annotations

import pytest
from botocore.config import Config as BotoConfig

from cloudlet.config import Config
from cloudlet.testing.server import ServerThread, client, free_port

from .conftest import read_all, unique
from .test_metrics import total


@pytest.fixture(scope="module")
def server():
    thread = ServerThread(
        Config(port=free_port(), in_memory=True, log_level="warning", kinesis_throttle=True)
    ).start()
    yield thread
    thread.stop()


@pytest.fixture
def kinesis(server):
    return client("kinesis", server.endpoint, config=BotoConfig(retries={"total_max_attempts": 1}))


@pytest.fixture
def make_stream(kinesis):
    def make(shards: int = 1) -> str:
        name = unique()
        kinesis.create_stream(StreamName=name, ShardCount=shards)
        return name

    return make


def test_put_records_reports_throttled_records_one_by_one(kinesis, make_stream):
    name = make_stream()  # one provisioned shard: 1 MiB and 1,000 records a second
    records = [{"Data": b"x" * (300 * 1024), "PartitionKey": "k"} for _ in range(5)]
    out = kinesis.put_records(StreamName=name, Records=records)
    assert out["FailedRecordCount"] >= 1
    failed = [r for r in out["Records"] if "ErrorCode" in r]
    assert len(failed) == out["FailedRecordCount"]
    assert len(out["Records"]) == 5
    for r in failed:
        assert r["ErrorCode"] == "ProvisionedThroughputExceededException"
        assert r["ErrorMessage"] == (
            f"Rate exceeded for shard shardId-000000000000 in stream {name} under account 000000000000."
        )  # AWS's words as quoted in public issue reports
        assert "SequenceNumber" not in r
    ok = [r for r in out["Records"] if "SequenceNumber" in r]
    assert 1 <= len(ok) <= 3


def test_write_and_read_metrics(kinesis, server, make_stream):
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"abc", PartitionKey="k")  # 4 bytes with the key
    big = [{"Data": b"x" * (400 * 1024), "PartitionKey": "k"} for _ in range(4)]
    out = kinesis.put_records(StreamName=name, Records=big)
    throttled = out["FailedRecordCount"]
    assert throttled >= 1
    written = 4 - throttled
    server.advance_clock(30)
    read_all(kinesis, name, "shardId-000000000000")
    endpoint = server.endpoint
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
