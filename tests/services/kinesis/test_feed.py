"""The feed in-process consumers read (core/stream_feed.StreamFeed via kinesis_feed)."""

from __future__ import annotations

import threading
import time

import pytest

from cloudlet.core.stream_feed import StreamFeed
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.kinesis.interface import kinesis_feed

from .conftest import stream_arn

SHARD = "shardId-000000000000"


@pytest.fixture
def feed(cloudlet) -> StreamFeed:
    found = kinesis_feed(cloudlet.app.runtime)
    assert found is not None
    return found


def test_read_in_getrecords_form(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    puts = [kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="k") for i in range(3)]
    shards = cloudlet.call(feed.shards, arn)
    assert shards == kinesis.list_shards(StreamName=name)["Shards"]
    records = cloudlet.call(feed.read, arn, SHARD, None, 10)
    assert [r["Data"] for r in records] == [b"0", b"1", b"2"]
    assert [feed.sequence_of(r) for r in records] == [p["SequenceNumber"] for p in puts]
    first = records[0]
    assert set(first) == {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"}
    assert isinstance(first["ApproximateArrivalTimestamp"], float)
    assert abs(first["ApproximateArrivalTimestamp"] - cloudlet.clock()["now"]) < 60
    after = cloudlet.call(feed.read, arn, SHARD, puts[0]["SequenceNumber"], 1)
    assert [r["Data"] for r in after] == [b"1"]
    assert cloudlet.call(feed.latest_sequence, arn, SHARD) == puts[-1]["SequenceNumber"]
    assert cloudlet.call(feed.closed, arn, SHARD) is False


def test_positions(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    assert cloudlet.call(feed.latest_sequence, arn, SHARD) is None
    start = cloudlet.clock()["now"]
    assert cloudlet.call(feed.sequence_before, arn, SHARD, start - 10) is None
    kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k")
    cloudlet.advance_clock(5)
    middle = cloudlet.clock()["now"]
    kinesis.put_record(StreamName=name, Data=b"b", PartitionKey="k")
    assert cloudlet.call(feed.sequence_before, arn, SHARD, start - 10) is None  # the oldest kept
    after = cloudlet.call(feed.sequence_before, arn, SHARD, middle)
    assert [r["Data"] for r in cloudlet.call(feed.read, arn, SHARD, after, 10)] == [b"b"]
    latest = cloudlet.call(feed.sequence_before, arn, SHARD, cloudlet.clock()["now"])
    assert cloudlet.call(feed.read, arn, SHARD, latest, 10) == []


def test_errors(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    seq = kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k")["SequenceNumber"]
    kinesis.put_record(StreamName=name, Data=b"b", PartitionKey="k")
    with pytest.raises(ServiceError) as exc:
        cloudlet.call(feed.shards, stream_arn("nope"))
    assert exc.value.code == "ResourceNotFoundException"
    with pytest.raises(ServiceError) as exc:
        cloudlet.call(feed.read, arn, "shardId-000000000042", None, 10)
    assert exc.value.code == "ResourceNotFoundException"
    cloudlet.advance_clock(25 * 3600)
    with pytest.raises(ServiceError) as exc:
        cloudlet.call(feed.read, arn, SHARD, seq, 10)
    assert exc.value.code == "TrimmedDataAccessException"
    assert cloudlet.call(feed.read, arn, SHARD, None, 10) == []  # start again from the trim horizon


def test_wait_wakes_on_a_put_and_at_the_deadline(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    far = cloudlet.clock()["now"] + 3600
    timer = threading.Timer(0.3, lambda: kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k"))
    timer.start()
    began = time.monotonic()
    cloudlet.call(feed.wait, arn, far, timeout=10)
    assert time.monotonic() - began < 5
    assert [r["Data"] for r in cloudlet.call(feed.read, arn, SHARD, None, 10)] == [b"x"]
    timer.join()
    deadline = cloudlet.clock()["now"] + 100
    mover = threading.Timer(0.3, lambda: cloudlet.advance_clock(101))
    mover.start()
    began = time.monotonic()
    cloudlet.call(feed.wait, arn, deadline, timeout=10)  # the clock, not a put, ends it
    assert time.monotonic() - began < 5
    mover.join()
