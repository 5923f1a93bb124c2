"""Streams and shards: CreateStream, DescribeStream(Summary), ListStreams, ListShards,
UpdateStreamMode, DeleteStream, and StreamARN in place of StreamName."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, code_of, error_of, stream_arn, unique

SPACE = 2**128


def test_provisioned_stream_splits_the_hash_space_evenly(kinesis, make_stream):
    name = make_stream(shards=3)
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["StreamName"] == name
    assert d["StreamARN"] == stream_arn(name)
    assert d["StreamStatus"] == "ACTIVE"  # at once (a choice: AWS shows CREATING first)
    assert d["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert d["RetentionPeriodHours"] == 24
    assert d["EncryptionType"] == "NONE"
    assert d["EnhancedMonitoring"] == [{"ShardLevelMetrics": []}]
    assert d["HasMoreShards"] is False
    assert [s["ShardId"] for s in d["Shards"]] == [f"shardId-{i:012d}" for i in range(3)]
    size = SPACE // 3
    ranges = [
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in d["Shards"]
    ]
    assert ranges == [(0, size - 1), (size, 2 * size - 1), (2 * size, SPACE - 1)]
    for shard in d["Shards"]:
        assert set(shard["SequenceNumberRange"]) == {"StartingSequenceNumber"}
        assert shard["SequenceNumberRange"]["StartingSequenceNumber"].isdigit()


def test_on_demand_and_default_streams_start_with_four_shards(kinesis, make_stream):
    on_demand = make_stream(shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    default = make_stream(shards=None)  # recorded: no ShardCount gives four shards
    for name in (on_demand, default):
        d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
        assert d["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
        assert len(d["Shards"]) == 4
        assert d["Shards"][1]["HashKeyRange"]["StartingHashKey"] == str(2**126)


def test_summary(kinesis, make_stream):
    name = make_stream(shards=2)
    s = kinesis.describe_stream_summary(StreamARN=stream_arn(name))["StreamDescriptionSummary"]
    assert s["OpenShardCount"] == 2
    assert s["ConsumerCount"] == 0
    assert s["StreamStatus"] == "ACTIVE"
    assert s["RetentionPeriodHours"] == 24
    assert s["MaxRecordSizeInKiB"] == 1024


def test_create_errors(kinesis, kinesis_raw, make_stream):
    name = make_stream()
    with pytest.raises(ClientError) as exc:
        kinesis.create_stream(StreamName=name, ShardCount=1)
    assert error_of(exc) == (
        "ResourceInUseException",
        f"Stream {name} under account {ACCOUNT} already exists.",
        400,
    )  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.create_stream(StreamName="bad/name", ShardCount=1)
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.create_stream(StreamName=unique(), ShardCount=0)
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.create_stream(StreamName=unique(), ShardCount="2")
    assert code_of(exc) == ("SerializationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.create_stream(
            StreamName=unique(), ShardCount=2, StreamModeDetails={"StreamMode": "ON_DEMAND"}
        )
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.create_stream(StreamName=unique(), StreamModeDetails={"StreamMode": "PROVISIONED"})
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.create_stream(StreamName=unique(), ShardCount=1, StreamModeDetails={"StreamMode": "FAST"})
    assert code_of(exc) == ("ValidationException", 400)


def test_shard_limit_per_account_and_region(kinesis, make_stream):
    name = unique("huge")
    with pytest.raises(ClientError) as exc:
        kinesis.create_stream(StreamName=name, ShardCount=501)
    assert code_of(exc) == ("LimitExceededException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.describe_stream(StreamName=name)
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # nothing was created


def test_unknown_stream(kinesis):
    for call in (
        lambda: kinesis.describe_stream(StreamName="nope"),
        lambda: kinesis.describe_stream_summary(StreamName="nope"),
        lambda: kinesis.delete_stream(StreamName="nope"),
        lambda: kinesis.list_shards(StreamName="nope"),
        lambda: kinesis.put_record(StreamName="nope", Data=b"x", PartitionKey="k"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        # recorded: test_cbor_exceptions
        assert error_of(exc) == (
            "ResourceNotFoundException",
            f"Stream nope under account {ACCOUNT} not found.",
            400,
        )


def test_delete_stream(kinesis, make_stream):
    name = make_stream()
    kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
    assert name not in kinesis.list_streams(Limit=100)["StreamNames"]
    with pytest.raises(ClientError) as exc:
        kinesis.describe_stream(StreamName=name)
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    kinesis.create_stream(StreamName=name, ShardCount=1)  # the name is free again
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]


def test_list_streams_pages(kinesis, make_stream):
    prefix = unique("ls")
    names = sorted(make_stream(prefix=prefix) for _ in range(3))
    got: list[str] = []
    page = kinesis.list_streams(Limit=1, ExclusiveStartStreamName=prefix)
    while True:
        got += [n for n in page["StreamNames"] if n.startswith(prefix)]
        assert [s["StreamName"] for s in page["StreamSummaries"]] == page["StreamNames"]
        for summary in page["StreamSummaries"]:
            assert summary["StreamARN"] == stream_arn(summary["StreamName"])
            assert summary["StreamStatus"] == "ACTIVE"
        if not page["HasMoreStreams"] or not all(n.startswith(prefix) for n in page["StreamNames"]):
            break
        page = kinesis.list_streams(Limit=1, NextToken=page["NextToken"])
    assert got == names
    after = kinesis.list_streams(ExclusiveStartStreamName=names[0], Limit=2)["StreamNames"]
    assert after == names[1:]


def test_describe_stream_pages_shards(kinesis, make_stream):
    name = make_stream(shards=3)
    first = kinesis.describe_stream(StreamName=name, Limit=2)["StreamDescription"]
    assert [s["ShardId"] for s in first["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    assert first["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName=name, ExclusiveStartShardId="shardId-000000000001")[
        "StreamDescription"
    ]
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002"]
    assert rest["HasMoreShards"] is False


def test_list_shards_pages_and_filters(kinesis, make_stream):
    name = make_stream(shards=3)
    page = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert [s["ShardId"] for s in page["Shards"]] == ["shardId-000000000000", "shardId-000000000001"]
    rest = kinesis.list_shards(NextToken=page["NextToken"])
    assert [s["ShardId"] for s in rest["Shards"]] == ["shardId-000000000002"]
    assert "NextToken" not in rest
    after = kinesis.list_shards(StreamARN=stream_arn(name), ExclusiveStartShardId="shardId-000000000000")
    assert len(after["Shards"]) == 2
    by_filter = kinesis.list_shards(
        StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID", "ShardId": "shardId-000000000001"}
    )
    assert [s["ShardId"] for s in by_filter["Shards"]] == ["shardId-000000000002"]
    for kind in ("AT_TRIM_HORIZON", "FROM_TRIM_HORIZON", "AT_LATEST"):
        assert len(kinesis.list_shards(StreamName=name, ShardFilter={"Type": kind})["Shards"]) == 3
    import datetime

    now = datetime.datetime.now(datetime.UTC)
    for kind in ("AT_TIMESTAMP", "FROM_TIMESTAMP"):
        shards = kinesis.list_shards(StreamName=name, ShardFilter={"Type": kind, "Timestamp": now})["Shards"]
        assert len(shards) == 3


def test_list_shards_token_rules(kinesis, cloudlet, make_stream):
    name = make_stream(shards=2)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(StreamName=name, NextToken=token)
    assert code_of(exc) == ("InvalidArgumentException", 400)  # the API reference forbids the pair
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(NextToken=token, ExclusiveStartShardId="shardId-000000000000")
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(NextToken="not-a-token")
    assert code_of(exc) == ("InvalidArgumentException", 400)
    now_ms = int(cloudlet.clock()["now"] * 1000)
    for forged_arn in ("", stream_arn(name, account="123456789012")):
        forged = json.dumps({"k": "shard", "a": "", "s": forged_arn, "t": now_ms})
        with pytest.raises(ClientError) as exc:
            kinesis.list_shards(NextToken=base64.b64encode(forged.encode()).decode())
        assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AFTER_SHARD_ID"})
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(StreamName=name, ShardFilter={"Type": "AT_TIMESTAMP"})
    assert code_of(exc) == ("InvalidArgumentException", 400)


def test_list_shards_token_expires(kinesis, make_stream, cloudlet):
    name = make_stream(shards=2)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    cloudlet.advance_clock(301)
    with pytest.raises(ClientError) as exc:
        kinesis.list_shards(NextToken=token)
    assert code_of(exc) == ("ExpiredNextTokenException", 400)  # message unverified


def test_update_stream_mode(kinesis, make_stream):
    name = make_stream(shards=2)
    kinesis.update_stream_mode(StreamARN=stream_arn(name), StreamModeDetails={"StreamMode": "ON_DEMAND"})
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    with pytest.raises(ClientError) as exc:
        kinesis.update_stream_mode(
            StreamARN=stream_arn("nope"), StreamModeDetails={"StreamMode": "ON_DEMAND"}
        )
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def test_stream_arn_in_place_of_the_name(kinesis, kinesis_raw, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    assert kinesis.describe_stream(StreamARN=arn)["StreamDescription"]["StreamName"] == name
    assert kinesis.describe_stream(StreamARN=arn, StreamName=name)["StreamDescription"]["StreamARN"] == arn
    other = make_stream()
    with pytest.raises(ClientError) as exc:
        kinesis.describe_stream(StreamARN=arn, StreamName=other)
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.describe_stream()
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.describe_stream(StreamARN=stream_arn(name, account="123456789012"))
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Stream {name} under account 123456789012 not found.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kinesis_raw.describe_stream(StreamARN="arn:aws:sqs:us-east-1:000000000000:q")
    assert code_of(exc) == ("ValidationException", 400)  # the model's pattern


def test_every_operation_takes_the_stream_arn(kinesis, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    other = stream_arn("nope")
    calls = {
        "describe_stream": {},
        "describe_stream_summary": {},
        "list_shards": {},
        "put_record": {"Data": b"x", "PartitionKey": "k"},
        "put_records": {"Records": [{"Data": b"x", "PartitionKey": "k"}]},
        "get_shard_iterator": {"ShardId": "shardId-000000000000", "ShardIteratorType": "LATEST"},
        "increase_stream_retention_period": {"RetentionPeriodHours": 48},
        "decrease_stream_retention_period": {"RetentionPeriodHours": 24},
        "add_tags_to_stream": {"Tags": {"a": "b"}},
        "list_tags_for_stream": {},
        "remove_tags_from_stream": {"TagKeys": ["a"]},
        "start_stream_encryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
        "stop_stream_encryption": {"EncryptionType": "KMS", "KeyId": "alias/aws/kinesis"},
    }
    for operation, params in calls.items():
        getattr(kinesis, operation)(StreamARN=arn, **params)
        with pytest.raises(ClientError) as exc:
            getattr(kinesis, operation)(StreamARN=other, **params)
        assert error_of(exc) == (
            "ResourceNotFoundException",
            f"Stream nope under account {ACCOUNT} not found.",
            400,
        ), operation
    kinesis.delete_stream(StreamARN=arn)
    assert name not in kinesis.list_streams()["StreamNames"]
