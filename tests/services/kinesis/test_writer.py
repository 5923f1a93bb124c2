"""The in-process record writer (interface.RecordWriter via record_writer), read back with boto3."""

from __future__ import annotations

import pytest

from cloudlet.services.kinesis.interface import RecordWriter, record_writer

from .conftest import stream_arn


@pytest.fixture
def writer(cloudlet) -> RecordWriter:
    found = record_writer(cloudlet.app.runtime)
    assert found is not None
    return found


def records(kinesis, name: str, shard: str = "shardId-000000000000") -> list[dict]:
    iterator = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    return kinesis.get_records(ShardIterator=iterator["ShardIterator"])["Records"]


def test_put_record_is_read_back_like_put_record(kinesis, cloudlet, writer, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    assert cloudlet.call(writer.exists, arn)
    assert cloudlet.call(writer.put_record, arn, b"hello", "key-1") is True
    got = records(kinesis, name)
    assert [(r["Data"], r["PartitionKey"]) for r in got] == [(b"hello", "key-1")]


def test_explicit_hash_key_chooses_the_shard(kinesis, cloudlet, writer, make_stream):
    name = make_stream(shards=2)
    arn = stream_arn(name)
    top = str(2**128 - 1)
    assert cloudlet.call(writer.put_record, arn, b"x", "any", top) is True
    assert records(kinesis, name, "shardId-000000000000") == []
    assert [r["Data"] for r in records(kinesis, name, "shardId-000000000001")] == [b"x"]


def test_missing_stream_is_false(cloudlet, writer):
    arn = stream_arn("no-such-stream")
    assert cloudlet.call(writer.exists, arn) is False
    assert cloudlet.call(writer.put_record, arn, b"x", "k") is False


def test_record_rolls_back_with_the_callers_transaction(kinesis, cloudlet, writer, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    store = cloudlet.app.runtime.store

    def write_then_fail() -> None:
        with store.transaction():
            writer.put_record(arn, b"lost", "k")
            raise RuntimeError("the caller's write failed")

    with pytest.raises(RuntimeError):
        cloudlet.call(write_then_fail)
    assert records(kinesis, name) == []
    cloudlet.call(writer.put_record, arn, b"kept", "k")
    assert [r["Data"] for r in records(kinesis, name)] == [b"kept"]
