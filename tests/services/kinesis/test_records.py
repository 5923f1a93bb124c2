"""PutRecord, PutRecords, GetShardIterator and GetRecords: routing, sequence numbers, every
iterator type, MillisBehindLatest, iterator expiry, retention, limits and bad input."""

from __future__ import annotations

import base64
import datetime
import re

import pytest
from botocore.exceptions import ClientError

from .conftest import code_of, error_of, md5_key, read_all, shard_for, stream_arn

MIB = 1024 * 1024


def shards_of(kinesis, name):
    return kinesis.list_shards(StreamName=name)["Shards"]


def iterator(kinesis, name, shard_id, kind="TRIM_HORIZON", **extra):
    return kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind, **extra)[
        "ShardIterator"
    ]


def test_records_go_to_the_shard_of_their_key_md5(kinesis, make_stream):
    name = make_stream(shards=4)
    shards = shards_of(kinesis, name)
    keys = [f"key-{i}" for i in range(40)]
    placed = {}
    for key in keys:
        out = kinesis.put_record(StreamName=name, Data=key.encode(), PartitionKey=key)
        assert out["ShardId"] == shard_for(shards, md5_key(key))
        assert "EncryptionType" not in out
        placed[key] = out
    assert len({p["ShardId"] for p in placed.values()}) > 1
    for shard in shards:
        got = read_all(kinesis, name, shard["ShardId"])
        expected = [k for k in keys if placed[k]["ShardId"] == shard["ShardId"]]
        assert [r["PartitionKey"] for r in got] == expected
        assert [r["Data"] for r in got] == [k.encode() for k in expected]
        assert [r["SequenceNumber"] for r in got] == [placed[k]["SequenceNumber"] for k in expected]
        numbers = [int(r["SequenceNumber"]) for r in got]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        for r in got:
            assert isinstance(r["ApproximateArrivalTimestamp"], datetime.datetime)
            assert "EncryptionType" not in r


def test_explicit_hash_key_overrides_the_partition_key(kinesis, kinesis_raw, make_stream):
    name = make_stream(shards=4)
    out = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey=str(2**128 - 1))
    assert out["ShardId"] == "shardId-000000000003"
    out = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey="0")
    assert out["ShardId"] == "shardId-000000000000"
    batch = kinesis.put_records(
        StreamName=name,
        Records=[{"Data": b"y", "PartitionKey": "a", "ExplicitHashKey": str(2**126 + 5)}],
    )
    assert batch["Records"][0]["ShardId"] == "shardId-000000000001"
    with pytest.raises(ClientError) as exc:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey=str(2**128))
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_record(StreamName=name, Data=b"x", PartitionKey="a", ExplicitHashKey="-1")
    assert code_of(exc) == ("ValidationException", 400)


def test_sequence_numbers_increase_per_shard_and_take_ordering_hints(kinesis, make_stream):
    name = make_stream()
    previous = "0"
    numbers = []
    for i in range(5):
        out = kinesis.put_record(
            StreamName=name, Data=b"%d" % i, PartitionKey="k", SequenceNumberForOrdering=previous
        )
        previous = out["SequenceNumber"]
        numbers.append(int(previous))
    assert numbers == sorted(numbers) and len(set(numbers)) == 5
    assert all(len(str(n)) == 56 for n in numbers)


def test_put_records_answers_in_order(kinesis, make_stream):
    name = make_stream(shards=2)
    shards = shards_of(kinesis, name)
    records = [{"Data": f"d{i}".encode(), "PartitionKey": f"p{i}"} for i in range(10)]
    out = kinesis.put_records(StreamName=name, Records=records)
    assert out["FailedRecordCount"] == 0
    assert "EncryptionType" not in out
    assert [r["ShardId"] for r in out["Records"]] == [shard_for(shards, md5_key(f"p{i}")) for i in range(10)]
    for shard in shards:
        got = read_all(kinesis, name, shard["ShardId"])
        sent = [r for r, o in zip(records, out["Records"], strict=True) if o["ShardId"] == shard["ShardId"]]
        assert [r["Data"] for r in got] == [r["Data"] for r in sent]


def test_provisioned_streams_are_not_throttled_unless_asked(kinesis, make_stream):
    name = make_stream()  # --kinesis-throttle is off on the test server
    records = [{"Data": b"x" * (300 * 1024), "PartitionKey": "k"} for _ in range(5)]
    assert kinesis.put_records(StreamName=name, Records=records)["FailedRecordCount"] == 0


def test_on_demand_streams_are_not_throttled(kinesis, make_stream):
    name = make_stream(shards=None)
    records = [{"Data": b"x" * (300 * 1024), "PartitionKey": "k"} for _ in range(5)]
    assert kinesis.put_records(StreamName=name, Records=records)["FailedRecordCount"] == 0


def test_record_and_request_limits(kinesis, kinesis_raw, make_stream):
    name = make_stream(shards=None)
    kinesis.put_record(StreamName=name, Data=b"x" * (MIB - 1), PartitionKey="k")  # 1 MiB with the key
    with pytest.raises(ClientError) as exc:
        kinesis.put_record(StreamName=name, Data=b"x" * MIB, PartitionKey="k")
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.put_records(StreamName=name, Records=[{"Data": b"x" * MIB, "PartitionKey": "kk"}])
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.put_records(
            StreamName=name, Records=[{"Data": b"x" * (MIB - 10), "PartitionKey": "k"} for _ in range(11)]
        )
    assert code_of(exc) == ("InvalidArgumentException", 400)  # over 10 MiB a request
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_records(StreamName=name, Records=[{"Data": b"x", "PartitionKey": "k"}] * 501)
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_records(StreamName=name, Records=[])
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_record(StreamName=name, Data=b"x", PartitionKey="")
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_record(StreamName=name, Data=b"x", PartitionKey="k" * 257)
    assert code_of(exc) == ("ValidationException", 400)
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k" * 256)


def test_nulls_and_wrong_types(kinesis_raw, make_stream):
    name = make_stream()
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_record(StreamName=name, Data=b"x")
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value null at 'partitionKey' failed to satisfy constraint: "
        "Member must not be null",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_records(StreamName=name, Records=[{"Data": b"x"}])
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_record(StreamName=name, PartitionKey="k")
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.put_record(StreamName=name, Data=b"x", PartitionKey=5)
    assert code_of(exc) == ("SerializationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.get_records(ShardIterator=None)
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.get_shard_iterator(
            StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="NEWEST"
        )
    assert code_of(exc) == ("ValidationException", 400)


def test_every_iterator_type(kinesis, cloudlet, make_stream):
    name = make_stream()
    shard = "shardId-000000000000"
    seqs = [
        kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="k")["SequenceNumber"]
        for i in range(3)
    ]
    cloudlet.advance_clock(10)
    middle = datetime.datetime.fromtimestamp(cloudlet.clock()["now"], datetime.UTC)
    cloudlet.advance_clock(10)
    seqs += [
        kinesis.put_record(StreamName=name, Data=b"%d" % i, PartitionKey="k")["SequenceNumber"]
        for i in (3, 4)
    ]

    def data(kind, **extra):
        return [r["Data"] for r in read_all(kinesis, name, shard, kind, **extra)]

    assert data("TRIM_HORIZON") == [b"0", b"1", b"2", b"3", b"4"]
    assert data("AT_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]) == [b"1", b"2", b"3", b"4"]
    assert data("AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=seqs[1]) == [b"2", b"3", b"4"]
    assert data("AT_TIMESTAMP", Timestamp=middle) == [b"3", b"4"]
    assert data("AT_TIMESTAMP", Timestamp=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)) == [
        b"0",
        b"1",
        b"2",
        b"3",
        b"4",
    ]
    latest = iterator(kinesis, name, shard, "LATEST")
    assert kinesis.get_records(ShardIterator=latest)["Records"] == []
    kinesis.put_record(StreamName=name, Data=b"5", PartitionKey="k")
    page = kinesis.get_records(ShardIterator=latest)
    assert [r["Data"] for r in page["Records"]] == [b"5"]
    nothing = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert nothing["Records"] == [] and nothing["MillisBehindLatest"] == 0
    start = kinesis.list_shards(StreamName=name)["Shards"][0]["SequenceNumberRange"]["StartingSequenceNumber"]
    assert data("AT_SEQUENCE_NUMBER", StartingSequenceNumber=start)[0] == b"0"


def test_iterator_errors(kinesis, kinesis_raw, cloudlet, make_stream):
    name = make_stream(shards=2)
    seq = kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k", ExplicitHashKey="0")[
        "SequenceNumber"
    ]
    with pytest.raises(ClientError) as exc:
        iterator(kinesis, name, "shardId-000000000009")
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        iterator(kinesis, name, "shardId-000000000000", "AT_SEQUENCE_NUMBER")
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        iterator(kinesis, name, "shardId-000000000001", "AT_SEQUENCE_NUMBER", StartingSequenceNumber=seq)
    assert code_of(exc) == ("InvalidArgumentException", 400)  # another shard's number
    with pytest.raises(ClientError) as exc:
        iterator(
            kinesis, name, "shardId-000000000000", "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber="12345"
        )
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        iterator(kinesis, name, "shardId-000000000000", "AT_TIMESTAMP")
    assert code_of(exc) == ("InvalidArgumentException", 400)
    future = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=400)
    with pytest.raises(ClientError) as exc:
        iterator(kinesis, name, "shardId-000000000000", "AT_TIMESTAMP", Timestamp=future)
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidArgumentException", 400)
    assert message.startswith(
        "The timestampInMillis parameter cannot be greater than the currentTimestampInMillis."
    )
    for bad in ("garbage", base64.b64encode(b"a|b|c|d").decode(), "x" * 512):
        with pytest.raises(ClientError) as exc:
            kinesis.get_records(ShardIterator=bad)
        assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.get_records(ShardIterator="x" * 513)
    assert code_of(exc) == ("ValidationException", 400)
    it = iterator(kinesis, name, "shardId-000000000000")
    with pytest.raises(ClientError) as exc:
        kinesis.get_records(ShardIterator=it, Limit=10001)
    assert code_of(exc) == ("InvalidArgumentException", 400)  # the model's documentation
    with pytest.raises(ClientError) as exc:
        kinesis_raw.get_records(ShardIterator=it, Limit=0)
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.get_records(ShardIterator=it, StreamARN=stream_arn(make_stream()))
    assert code_of(exc) == ("InvalidArgumentException", 400)
    assert kinesis.get_records(ShardIterator=it, StreamARN=stream_arn(name))["Records"]
    kinesis.delete_stream(StreamName=name)
    with pytest.raises(ClientError) as exc:
        kinesis.get_records(ShardIterator=it)
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def test_iterators_expire_after_five_minutes(kinesis, cloudlet, make_stream):
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    it = iterator(kinesis, name, "shardId-000000000000")
    cloudlet.advance_clock(299)
    page = kinesis.get_records(ShardIterator=it)
    assert len(page["Records"]) == 1
    cloudlet.advance_clock(2)
    with pytest.raises(ClientError) as exc:
        kinesis.get_records(ShardIterator=it)
    code, message, status = error_of(exc)
    assert (code, status) == ("ExpiredIteratorException", 400)
    assert re.fullmatch(
        r"Iterator expired\. The iterator was created at time \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} "
        r"while right now it is \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} which is further in the "
        r"future than the tolerated delay of 300000 milliseconds\.",
        message,
    )  # AWS's words as quoted in public issue reports
    assert kinesis.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []  # issued later


def test_get_records_limit_and_millis_behind_latest(kinesis, cloudlet, make_stream):
    name = make_stream()
    kinesis.put_records(StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": "k"} for i in range(5)])
    cloudlet.advance_clock(60)
    page = kinesis.get_records(ShardIterator=iterator(kinesis, name, "shardId-000000000000"), Limit=2)
    assert [r["Data"] for r in page["Records"]] == [b"0", b"1"]
    assert 60_000 <= page["MillisBehindLatest"] < 70_000
    page = kinesis.get_records(ShardIterator=page["NextShardIterator"], Limit=10)
    assert [r["Data"] for r in page["Records"]] == [b"2", b"3", b"4"]
    assert page["MillisBehindLatest"] == 0
    assert "NextShardIterator" in page  # an open shard never ends


def test_retention_trims_records_on_the_service_clock(kinesis, cloudlet, make_stream):
    name = make_stream()
    shard = "shardId-000000000000"
    old = kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")["SequenceNumber"]
    horizon = iterator(kinesis, name, shard)
    cloudlet.advance_clock(23 * 3600)
    kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="k")
    assert [r["Data"] for r in read_all(kinesis, name, shard)] == [b"old", b"new"]
    cloudlet.advance_clock(3600 + 1)
    assert [r["Data"] for r in read_all(kinesis, name, shard)] == [b"new"]
    # an iterator from before the trim skips what is gone, as AWS does
    fresh = iterator(kinesis, name, shard, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=old)
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=fresh)["Records"]] == [b"new"]
    with pytest.raises(ClientError):
        kinesis.get_records(ShardIterator=horizon)  # long expired
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    cloudlet.advance_clock(24 * 3600)
    assert [r["Data"] for r in read_all(kinesis, name, shard)] == [b"new"]  # 48 hours kept now
    cloudlet.advance_clock(24 * 3600)
    assert read_all(kinesis, name, shard) == []


def test_increasing_retention_does_not_bring_back_expired_records(kinesis, cloudlet, make_stream):
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="k")
    cloudlet.advance_clock(25 * 3600)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=72)
    assert read_all(kinesis, name, "shardId-000000000000") == []


def test_a_closed_shard_ends_once_drained(kinesis, cloudlet, make_stream):
    """Shards only close by resharding (not served yet): closed here in the store, to check
    how reads end, in the API and in the feed."""
    from cloudlet.services.kinesis.interface import kinesis_feed

    name = make_stream()
    arn = stream_arn(name)
    kinesis.put_records(StreamName=name, Records=[{"Data": b"%d" % i, "PartitionKey": "k"} for i in range(3)])
    it = iterator(kinesis, name, "shardId-000000000000")
    runtime = cloudlet.app.runtime

    def close() -> None:
        with runtime.store.transaction():
            runtime.store.execute(
                "UPDATE kinesis_shards SET closed = ?, end_seq = last_seq WHERE stream_arn = ?",
                (runtime.clock.now(), arn),
            )

    cloudlet.call(close)
    shard = kinesis.list_shards(StreamName=name)["Shards"][0]
    assert "EndingSequenceNumber" in shard["SequenceNumberRange"]
    page = kinesis.get_records(ShardIterator=it, Limit=2)
    assert [r["Data"] for r in page["Records"]] == [b"0", b"1"]
    page = kinesis.get_records(ShardIterator=page["NextShardIterator"])
    assert [r["Data"] for r in page["Records"]] == [b"2"]
    assert "NextShardIterator" not in page  # drained: none once a closed shard is read to its end
    feed = kinesis_feed(runtime)
    assert cloudlet.call(feed.closed, arn, "shardId-000000000000") is True
    with pytest.raises(ClientError) as exc:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert code_of(exc) == (
        "InternalFailureException",
        500,
    )  # no open shard is left (resharding would add some)
