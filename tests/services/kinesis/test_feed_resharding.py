"""The feed contract across a split and a merge (core/stream_feed.StreamFeed): parents listed
with their ends and children with their parents, a parent read to its end and then closed,
wake-ups on a reshard, expired parents still readable (empty, closed) by a consumer that was on
them; and Lambda's stream poller reading parents before children through it, end to end."""

from __future__ import annotations

import threading
import time

import pytest
from tests.services.awslambda.conftest import lam, role  # noqa: F401  (fixtures)
from tests.services.awslambda.test_kinesis_source import RECORDER, payloads
from tests.services.awslambda.test_sqs_source import make_queue, make_recorder, results

from cloudlet.core.stream_feed import StreamFeed
from cloudlet.services.kinesis.interface import kinesis_feed

from .conftest import stream_arn

HALF = 2**127


def sid(index: int) -> str:
    return f"shardId-{index:012d}"


@pytest.fixture
def feed(cloudlet) -> StreamFeed:
    found = kinesis_feed(cloudlet.app.runtime)
    assert found is not None
    return found


def drain(cloudlet, feed: StreamFeed, arn: str, shard: str) -> list[bytes]:
    """Read a shard as a consumer does: until read returns nothing and the shard is closed."""
    out: list[bytes] = []
    after = None
    while True:
        records = cloudlet.call(feed.read, arn, shard, after, 2)
        if not records:
            assert cloudlet.call(feed.closed, arn, shard)
            assert cloudlet.call(feed.read, arn, shard, after, 2) == []  # and stays so
            return out
        out += [r["Data"] for r in records]
        after = feed.sequence_of(records[-1])


def test_feed_after_a_split_and_a_merge(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=b"p%d" % i, PartitionKey="k", ExplicitHashKey="7")
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=b"c%d" % i, PartitionKey="k", ExplicitHashKey="7")
    kinesis.merge_shards(StreamName=name, ShardToMerge=sid(1), AdjacentShardToMerge=sid(2))
    kinesis.put_record(StreamName=name, Data=b"g0", PartitionKey="k", ExplicitHashKey="7")
    shards = cloudlet.call(feed.shards, arn)
    assert shards == kinesis.list_shards(StreamName=name)["Shards"]
    by_id = {s["ShardId"]: s for s in shards}
    assert [s["ShardId"] for s in shards] == [sid(0), sid(1), sid(2), sid(3)]
    assert by_id[sid(1)]["ParentShardId"] == sid(0) and by_id[sid(2)]["ParentShardId"] == sid(0)
    assert (by_id[sid(3)]["ParentShardId"], by_id[sid(3)]["AdjacentParentShardId"]) == (sid(1), sid(2))
    for closed in (sid(0), sid(1), sid(2)):
        assert "EndingSequenceNumber" in by_id[closed]["SequenceNumberRange"]
        assert cloudlet.call(feed.closed, arn, closed) is True
    assert cloudlet.call(feed.closed, arn, sid(3)) is False
    assert drain(cloudlet, feed, arn, sid(0)) == [b"p0", b"p1", b"p2"]
    assert drain(cloudlet, feed, arn, sid(1)) == [b"c0", b"c1", b"c2"]
    assert drain(cloudlet, feed, arn, sid(2)) == []
    assert [r["Data"] for r in cloudlet.call(feed.read, arn, sid(3), None, 10)] == [b"g0"]
    ending = by_id[sid(0)]["SequenceNumberRange"]["EndingSequenceNumber"]
    assert cloudlet.call(feed.latest_sequence, arn, sid(0)) == ending
    assert cloudlet.call(feed.read, arn, sid(0), ending, 10) == []


def test_wait_wakes_on_a_reshard(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    far = cloudlet.clock()["now"] + 3600
    timer = threading.Timer(
        0.3,
        lambda: kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF)),
    )
    timer.start()
    began = time.monotonic()
    cloudlet.call(feed.wait, arn, far, timeout=10)
    assert time.monotonic() - began < 5
    timer.join()
    assert cloudlet.call(feed.closed, arn, sid(0)) is True


def test_an_expired_parent_still_reads_as_closed(kinesis, cloudlet, feed, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    start = kinesis.list_shards(StreamName=name)["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"]
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    cloudlet.advance_clock(24 * 3600 + 1)
    assert [s["ShardId"] for s in cloudlet.call(feed.shards, arn)] == [sid(1), sid(2)]
    assert cloudlet.call(feed.read, arn, sid(0), None, 10) == []
    assert cloudlet.call(feed.closed, arn, sid(0)) is True
    with pytest.raises(Exception) as exc:  # a consumer that was on it starts over, then ends it
        cloudlet.call(feed.read, arn, sid(0), start, 10)
    assert getattr(exc.value, "code", "") == "TrimmedDataAccessException"


def test_lambda_reads_parents_before_children(lam, kinesis, role, cloudlet, aws_client, make_stream):  # noqa: F811
    sqs = aws_client("sqs")
    out, _ = make_queue(sqs)
    name = make_stream()
    arn = stream_arn(name)
    for i in range(3):
        kinesis.put_record(StreamName=name, Data=b'{"n": %d}' % i, PartitionKey="k", ExplicitHashKey="7")
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    for i in range(3, 6):
        kinesis.put_record(StreamName=name, Data=b'{"n": %d}' % i, PartitionKey="k", ExplicitHashKey="7")
    kinesis.merge_shards(StreamName=name, ShardToMerge=sid(1), AdjacentShardToMerge=sid(2))
    for i in range(6, 8):
        kinesis.put_record(StreamName=name, Data=b'{"n": %d}' % i, PartitionKey="k", ExplicitHashKey="7")
    function = make_recorder(lam, role, cloudlet.endpoint, out, RECORDER)
    lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=arn, StartingPosition="TRIM_HORIZON", BatchSize=100
    )
    seen: list[int] = []
    deadline = time.monotonic() + 60
    while len(seen) < 8 and time.monotonic() < deadline:
        for invocation in results(sqs, out):
            seen += [p["n"] for p in payloads(invocation)]
    assert seen == list(range(8))  # the parent, then its child, then the merged grandchild
    kinesis.put_record(StreamName=name, Data=b'{"n": 8}', PartitionKey="k")
    assert [p["n"] for p in payloads(results(sqs, out)[0])] == [8]
