"""Kinesis after kill -9 and a restart on the same data directory."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client


def test_streams_and_records_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        kinesis = client("kinesis", server.endpoint)
        kinesis.create_stream(StreamName="durable", ShardCount=2, Tags={"team": "a"})
        kinesis.increase_stream_retention_period(StreamName="durable", RetentionPeriodHours=48)
        puts = kinesis.put_records(
            StreamName="durable", Records=[{"Data": b"%d" % i, "PartitionKey": f"k{i}"} for i in range(6)]
        )["Records"]
    finally:
        server.kill()
    server.start()
    try:
        kinesis = client("kinesis", server.endpoint)
        d = kinesis.describe_stream(StreamName="durable")["StreamDescription"]
        assert d["RetentionPeriodHours"] == 48 and len(d["Shards"]) == 2
        assert kinesis.list_tags_for_stream(StreamName="durable")["Tags"] == [{"Key": "team", "Value": "a"}]
        got = {}
        for shard in d["Shards"]:
            it = kinesis.get_shard_iterator(
                StreamName="durable", ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for r in kinesis.get_records(ShardIterator=it)["Records"]:
                got[r["SequenceNumber"]] = r["Data"]
        assert got == {p["SequenceNumber"]: b"%d" % i for i, p in enumerate(puts)}
        again = kinesis.put_record(StreamName="durable", Data=b"later", PartitionKey="k0")
        same_shard = [p for p in puts if p["ShardId"] == again["ShardId"]]
        assert all(int(again["SequenceNumber"]) > int(p["SequenceNumber"]) for p in same_shard)
        kinesis.delete_stream(StreamName="durable")
        with pytest.raises(ClientError):
            kinesis.describe_stream(StreamName="durable")
    finally:
        server.kill()
