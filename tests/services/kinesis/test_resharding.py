"""SplitShard, MergeShards and UpdateShardCount: the shard lineage, closed parents read to their
end (no NextShardIterator, ChildShards), puts routed to open shards only, ListShards' filters
over the lineage, expiry of closed shards, and bad input.

Recorded or quoted from real AWS answers: the "already been merged or split" message (a
SplitShard answer quoted in mhart/kinesalite#109), "NextToken and ShardFilter cannot be
provided together." (apache/beam#33478). Other messages are unverified: codes checked only.
"""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, code_of, error_of, md5_key, read_all, shard_for, stream_arn

HALF = 2**127
TOP = 2**128 - 1


def sid(index: int) -> str:
    return f"shardId-{index:012d}"


def shards_of(kinesis, name: str, **params) -> list[dict]:
    return kinesis.list_shards(StreamName=name, **params)["Shards"]


def ids(shards: list[dict]) -> list[str]:
    return [s["ShardId"] for s in shards]


def ranges(shards: list[dict]) -> list[tuple[int, int]]:
    return [
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"])) for s in shards
    ]


def open_of(shards: list[dict]) -> list[dict]:
    return [s for s in shards if "EndingSequenceNumber" not in s["SequenceNumberRange"]]


def get(kinesis, name: str, shard: str, kind: str = "TRIM_HORIZON", **extra) -> dict:
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType=kind, **extra)
    return kinesis.get_records(ShardIterator=it["ShardIterator"])


def test_split_closes_the_parent_and_routes_puts_to_its_children(kinesis, make_stream):
    name = make_stream()
    before = [kinesis.put_record(StreamName=name, Data=b"b%d" % i, PartitionKey=f"k{i}") for i in range(4)]
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    shards = shards_of(kinesis, name)
    assert ids(shards) == [sid(0), sid(1), sid(2)]
    parent, low, high = shards
    assert parent["SequenceNumberRange"]["EndingSequenceNumber"] == before[-1]["SequenceNumber"]
    assert "ParentShardId" not in parent
    assert low["ParentShardId"] == sid(0) and high["ParentShardId"] == sid(0)
    assert "AdjacentParentShardId" not in low
    assert ranges([low, high]) == [(0, HALF - 1), (HALF, TOP)]
    assert "EndingSequenceNumber" not in low["SequenceNumberRange"]
    assert int(low["SequenceNumberRange"]["StartingSequenceNumber"][2:26]) >= int(
        parent["SequenceNumberRange"]["EndingSequenceNumber"][2:26]
    )
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamStatus"] == "ACTIVE" and d["Shards"] == shards
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["OpenShardCount"] == 2
    keys = [f"after-{i}" for i in range(20)]
    for key in keys:
        out = kinesis.put_record(StreamName=name, Data=key.encode(), PartitionKey=key)
        assert out["ShardId"] == shard_for([low, high], md5_key(key))
    assert kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey="0")[
        "ShardId"
    ] == sid(1)
    batch = kinesis.put_records(StreamName=name, Records=[{"Data": b"y", "PartitionKey": k} for k in keys])
    assert {r["ShardId"] for r in batch["Records"]} == {sid(1), sid(2)}
    # the parent keeps its records, and ends after them
    assert [r["Data"] for r in read_all(kinesis, name, sid(0))] == [b"b0", b"b1", b"b2", b"b3"]
    page = get(kinesis, name, sid(0))
    assert len(page["Records"]) == 4
    assert "NextShardIterator" not in page
    assert page["ChildShards"] == [
        {"ShardId": sid(1), "ParentShards": [sid(0)], "HashKeyRange": low["HashKeyRange"]},
        {"ShardId": sid(2), "ParentShards": [sid(0)], "HashKeyRange": high["HashKeyRange"]},
    ]
    latest = get(kinesis, name, sid(0), "LATEST")
    assert latest["Records"] == [] and "NextShardIterator" not in latest and len(latest["ChildShards"]) == 2
    at = get(
        kinesis, name, sid(0), "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=before[1]["SequenceNumber"]
    )
    assert [r["Data"] for r in at["Records"]] == [b"b2", b"b3"] and "NextShardIterator" not in at
    # an open shard: an iterator and no children
    child = get(kinesis, name, sid(1))
    assert "NextShardIterator" in child and "ChildShards" not in child


def test_reading_a_parent_in_pages_ends_only_at_its_last_record(kinesis, make_stream):
    name = make_stream()
    for i in range(5):
        kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=sid(0), ShardIteratorType="TRIM_HORIZON")[
        "ShardIterator"
    ]
    got = []
    for _ in range(3):
        page = kinesis.get_records(ShardIterator=it, Limit=2)
        got += page["Records"]
        if "NextShardIterator" not in page:
            break
        assert "ChildShards" not in page
        it = page["NextShardIterator"]
    assert [r["Data"] for r in got] == [b"0", b"1", b"2", b"3", b"4"]
    assert "NextShardIterator" not in page and len(page["ChildShards"]) == 2


def test_split_bad_input(kinesis, kinesis_raw, make_stream):
    name = make_stream(shards=2)
    start, end = HALF, TOP  # shard 1
    for key in (0, start - 1, start, start + 1, end, end + 1):
        with pytest.raises(ClientError) as exc:
            kinesis.split_shard(StreamName=name, ShardToSplit=sid(1), NewStartingHashKey=str(key))
        assert code_of(exc) == ("InvalidArgumentException", 400), key  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.split_shard(StreamName=name, ShardToSplit=sid(1), NewStartingHashKey="-5")
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.split_shard(StreamName=name, ShardToSplit=sid(7), NewStartingHashKey=str(HALF))
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.split_shard(StreamName="nope-nope", ShardToSplit=sid(0), NewStartingHashKey="5")
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(1), NewStartingHashKey=str(start + 2))
    assert ranges(shards_of(kinesis, name)[2:]) == [(start, start + 1), (start + 2, end)]
    with pytest.raises(ClientError) as exc:
        kinesis.split_shard(StreamName=name, ShardToSplit=sid(1), NewStartingHashKey=str(start + 2**100))
    # AWS's words, as quoted from a real answer
    assert error_of(exc) == (
        "InvalidArgumentException",
        f"Shard {sid(1)} in stream {name} under account {ACCOUNT} has already been merged or split, "
        "and thus is not eligible for merging or splitting.",
        400,
    )
    on_demand = make_stream(shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as exc:
        kinesis.split_shard(StreamName=on_demand, ShardToSplit=sid(0), NewStartingHashKey="5")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_merge_adjacent_shards(kinesis, make_stream):
    name = make_stream(shards=3)
    a = kinesis.put_record(StreamName=name, Data=b"a", PartitionKey="k", ExplicitHashKey="0")
    b = kinesis.put_record(StreamName=name, Data=b"b", PartitionKey="k", ExplicitHashKey=str(TOP // 2))
    kinesis.merge_shards(StreamName=name, ShardToMerge=sid(1), AdjacentShardToMerge=sid(0))
    shards = shards_of(kinesis, name)
    assert ids(shards) == [sid(0), sid(1), sid(2), sid(3)]
    merged = shards[3]
    assert merged["ParentShardId"] == sid(1) and merged["AdjacentParentShardId"] == sid(0)
    assert ranges([merged]) == [(0, int(shards[1]["HashKeyRange"]["EndingHashKey"]))]
    assert shards[0]["SequenceNumberRange"]["EndingSequenceNumber"] == a["SequenceNumber"]
    assert shards[1]["SequenceNumberRange"]["EndingSequenceNumber"] == b["SequenceNumber"]
    assert ids(open_of(shards)) == [sid(2), sid(3)]
    assert kinesis.put_record(StreamName=name, Data=b"c", PartitionKey="k", ExplicitHashKey="0")[
        "ShardId"
    ] == sid(3)
    end = get(kinesis, name, sid(0))
    assert [r["Data"] for r in end["Records"]] == [b"a"] and "NextShardIterator" not in end
    assert end["ChildShards"] == [
        {"ShardId": sid(3), "ParentShards": [sid(1), sid(0)], "HashKeyRange": merged["HashKeyRange"]}
    ]
    assert get(kinesis, name, sid(1))["ChildShards"] == end["ChildShards"]


def test_merge_bad_input(kinesis, make_stream):
    name = make_stream(shards=3)
    with pytest.raises(ClientError) as exc:
        kinesis.merge_shards(StreamName=name, ShardToMerge=sid(0), AdjacentShardToMerge=sid(2))
    assert code_of(exc) == ("InvalidArgumentException", 400)  # not adjacent; message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.merge_shards(StreamName=name, ShardToMerge=sid(0), AdjacentShardToMerge=sid(0))
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.merge_shards(StreamName=name, ShardToMerge=sid(0), AdjacentShardToMerge=sid(9))
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    kinesis.merge_shards(StreamName=name, ShardToMerge=sid(0), AdjacentShardToMerge=sid(1))
    with pytest.raises(ClientError) as exc:
        kinesis.merge_shards(StreamName=name, ShardToMerge=sid(1), AdjacentShardToMerge=sid(2))
    assert code_of(exc)[0] == "InvalidArgumentException"
    assert "has already been merged or split" in error_of(exc)[1]
    kinesis.merge_shards(StreamName=name, ShardToMerge=sid(2), AdjacentShardToMerge=sid(3))
    assert ranges(open_of(shards_of(kinesis, name))) == [(0, TOP)]
    on_demand = make_stream(shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as exc:
        kinesis.merge_shards(StreamName=on_demand, ShardToMerge=sid(0), AdjacentShardToMerge=sid(1))
    assert code_of(exc) == ("ValidationException", 400)


def test_update_shard_count_uniform_scaling(kinesis, make_stream):
    name = make_stream(shards=4)
    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=3, ScalingType="UNIFORM_SCALING")
    assert {k: v for k, v in out.items() if k != "ResponseMetadata"} == {
        "StreamName": name,
        "CurrentShardCount": 4,
        "TargetShardCount": 3,
        "StreamARN": stream_arn(name),
    }
    shards = shards_of(kinesis, name)
    # as Kinesis does it: split 1 (4, 5), merge 0+4 (6), split 2 (7, 8), merge 5+7 (9), merge 8+3 (10)
    assert ids(open_of(shards)) == [sid(6), sid(9), sid(10)]
    by_id = {s["ShardId"]: s for s in shards}
    assert (by_id[sid(4)]["ParentShardId"], by_id[sid(5)]["ParentShardId"]) == (sid(1), sid(1))
    assert (by_id[sid(6)]["ParentShardId"], by_id[sid(6)]["AdjacentParentShardId"]) == (sid(0), sid(4))
    assert (by_id[sid(9)]["ParentShardId"], by_id[sid(9)]["AdjacentParentShardId"]) == (sid(5), sid(7))
    assert (by_id[sid(10)]["ParentShardId"], by_id[sid(10)]["AdjacentParentShardId"]) == (sid(8), sid(3))
    third = (TOP + 1) // 3
    assert ranges(open_of(shards)) == [(0, third - 1), (third, 2 * third - 1), (2 * third, TOP)]
    kinesis.update_shard_count(StreamName=name, TargetShardCount=6, ScalingType="UNIFORM_SCALING")
    assert len(open_of(shards_of(kinesis, name))) == 6
    sixth = (TOP + 1) // 6
    expected = [(i * sixth, (i + 1) * sixth - 1) for i in range(5)] + [(5 * sixth, TOP)]
    assert sorted(ranges(open_of(shards_of(kinesis, name)))) == expected
    # the same count again changes nothing
    count = len(shards_of(kinesis, name))
    out = kinesis.update_shard_count(StreamName=name, TargetShardCount=6, ScalingType="UNIFORM_SCALING")
    assert out["CurrentShardCount"] == 6 and len(shards_of(kinesis, name)) == count


def test_update_shard_count_limits(kinesis, kinesis_raw, cloudlet, make_stream):
    name = make_stream(shards=4)
    for target in (9, 1):
        with pytest.raises(ClientError) as exc:
            kinesis.update_shard_count(
                StreamName=name, TargetShardCount=target, ScalingType="UNIFORM_SCALING"
            )
        assert code_of(exc) == ("LimitExceededException", 400), target  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.update_shard_count(StreamName=name, TargetShardCount=0, ScalingType="UNIFORM_SCALING")
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="OTHER")
    assert code_of(exc) == ("ValidationException", 400)
    for target in (8, 4, 2, 4, 8, 4, 2, 4, 8, 4):  # ten scalings in a day
        kinesis.update_shard_count(StreamName=name, TargetShardCount=target, ScalingType="UNIFORM_SCALING")
    with pytest.raises(ClientError) as exc:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert code_of(exc) == ("LimitExceededException", 400)
    cloudlet.advance_clock(24 * 3600 + 1)
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    on_demand = make_stream(shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    with pytest.raises(ClientError) as exc:
        kinesis.update_shard_count(StreamName=on_demand, TargetShardCount=8, ScalingType="UNIFORM_SCALING")
    assert code_of(exc) == ("ValidationException", 400)


def test_resharding_counts_against_the_account_shard_limit(kinesis, make_stream):
    open_now = sum(
        kinesis.describe_stream_summary(StreamName=n)["StreamDescriptionSummary"]["OpenShardCount"]
        for page in kinesis.get_paginator("list_streams").paginate()
        for n in page["StreamNames"]
    )
    big = make_stream(shards=500 - open_now - 1)
    name = make_stream(shards=1)  # the account is now at 500 open shards
    with pytest.raises(ClientError) as exc:
        kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    assert code_of(exc) == ("LimitExceededException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    assert code_of(exc) == ("LimitExceededException", 400)
    kinesis.merge_shards(StreamName=big, ShardToMerge=sid(0), AdjacentShardToMerge=sid(1))
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    kinesis.delete_stream(StreamName=big)


def test_list_shards_filters_over_the_lineage(kinesis, cloudlet, make_stream):
    name = make_stream()
    created = cloudlet.clock()["now"]
    cloudlet.advance_clock(60)
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    split_at = cloudlet.clock()["now"]
    cloudlet.advance_clock(60)
    kinesis.merge_shards(StreamName=name, ShardToMerge=sid(1), AdjacentShardToMerge=sid(2))
    cloudlet.advance_clock(60)

    def filtered(kind: str, **extra) -> list[str]:
        return ids(shards_of(kinesis, name, ShardFilter={"Type": kind, **extra}))

    def at(when: float) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(when, datetime.UTC)

    every = [sid(0), sid(1), sid(2), sid(3)]
    assert ids(shards_of(kinesis, name)) == every
    assert filtered("FROM_TRIM_HORIZON") == every
    assert filtered("AT_LATEST") == [sid(3)]
    assert filtered("AT_TRIM_HORIZON") == [sid(0)]
    assert filtered("AFTER_SHARD_ID", ShardId=sid(1)) == [sid(2), sid(3)]
    assert filtered("AT_TIMESTAMP", Timestamp=at(created + 30)) == [sid(0)]
    assert filtered("AT_TIMESTAMP", Timestamp=at(split_at + 30)) == [sid(1), sid(2)]
    assert filtered("AT_TIMESTAMP", Timestamp=at(created - 3600)) == [sid(0)]  # before the stream
    assert filtered("FROM_TIMESTAMP", Timestamp=at(split_at + 30)) == [sid(1), sid(2), sid(3)]
    assert filtered("FROM_TIMESTAMP", Timestamp=at(created - 3600)) == every
    # paging keeps the filter in the token; a filter with a token is refused, as AWS words it
    page = kinesis.list_shards(
        StreamName=name, ShardFilter={"Type": "FROM_TIMESTAMP", "Timestamp": at(split_at + 30)}, MaxResults=2
    )
    assert ids(page["Shards"]) == [sid(1), sid(2)]
    rest = kinesis.list_shards(NextToken=page["NextToken"])
    assert ids(rest["Shards"]) == [sid(3)] and "NextToken" not in rest
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(NextToken=page["NextToken"], ShardFilter={"Type": "AT_LATEST"})
    assert error_of(exc) == (
        "InvalidArgumentException",
        "NextToken and ShardFilter cannot be provided together.",
        400,
    )


def test_closed_shards_expire_after_the_retention_period(kinesis, cloudlet, make_stream):
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(0), NewStartingHashKey=str(HALF))
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="k", ExplicitHashKey="0")
    cloudlet.advance_clock(23 * 3600)
    assert ids(shards_of(kinesis, name)) == [sid(0), sid(1), sid(2)]
    assert [r["Data"] for r in read_all(kinesis, name, sid(0))] == [b"old"]
    cloudlet.advance_clock(3600 + 1)
    assert ids(shards_of(kinesis, name)) == [sid(1), sid(2)]
    assert ids(shards_of(kinesis, name, ShardFilter={"Type": "AT_TRIM_HORIZON"})) == [sid(1), sid(2)]
    assert ids(kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]) == [sid(1), sid(2)]
    with pytest.raises(ClientError) as exc:
        kinesis.get_shard_iterator(StreamName=name, ShardId=sid(0), ShardIteratorType="TRIM_HORIZON")
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified
    assert [r["Data"] for r in read_all(kinesis, name, sid(1))] == []  # trimmed with the rest
    kinesis.split_shard(StreamName=name, ShardToSplit=sid(1), NewStartingHashKey="12345")
    assert ids(shards_of(kinesis, name))[-2:] == [sid(3), sid(4)]  # indexes are never reused


def test_stream_creation_timestamp_names_the_stream(kinesis, make_stream):
    name = make_stream(shards=2)
    created = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"][
        "StreamCreationTimestamp"
    ]
    assert len(shards_of(kinesis, name, StreamCreationTimestamp=created)) == 2
    with pytest.raises(ClientError) as exc:
        shards_of(kinesis, name, StreamCreationTimestamp=created - datetime.timedelta(seconds=5))
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # another stream of that name


def test_enhanced_monitoring(kinesis, kinesis_raw, make_stream):
    name = make_stream()
    out = kinesis.enable_enhanced_monitoring(
        StreamName=name, ShardLevelMetrics=["IncomingBytes", "OutgoingRecords"]
    )
    assert out["CurrentShardLevelMetrics"] == [] and out["DesiredShardLevelMetrics"] == [
        "IncomingBytes",
        "OutgoingRecords",
    ]
    assert out["StreamName"] == name and out["StreamARN"] == stream_arn(name)
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingBytes", "OutgoingRecords"]}]
    everything = kinesis.enable_enhanced_monitoring(StreamARN=stream_arn(name), ShardLevelMetrics=["ALL"])
    assert everything["CurrentShardLevelMetrics"] == ["IncomingBytes", "OutgoingRecords"]
    assert len(everything["DesiredShardLevelMetrics"]) == 7
    off = kinesis.disable_enhanced_monitoring(
        StreamName=name, ShardLevelMetrics=["IncomingBytes", "IteratorAgeMilliseconds"]
    )
    assert off["CurrentShardLevelMetrics"] == everything["DesiredShardLevelMetrics"]
    assert (
        "IncomingBytes" not in off["DesiredShardLevelMetrics"] and len(off["DesiredShardLevelMetrics"]) == 5
    )
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": off["DesiredShardLevelMetrics"]}]
    assert (
        kinesis.disable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"])[
            "DesiredShardLevelMetrics"
        ]
        == []
    )
    with pytest.raises(ClientError) as exc:
        kinesis_raw.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["Nope"])
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=[])
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.enable_enhanced_monitoring(StreamName="nope-nope", ShardLevelMetrics=["ALL"])
    assert code_of(exc) == ("ResourceNotFoundException", 400)
