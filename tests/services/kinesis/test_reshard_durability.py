"""Resharding, consumers and enhanced monitoring after kill -9 and a restart on the same data
directory (the shard lineage, a closed parent's records and end, the consumer and its ARN)."""

from __future__ import annotations

from cloudlet.testing.server import ServerProcess, client

HALF = 2**127


def test_lineage_consumers_and_monitoring_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        kinesis = client("kinesis", server.endpoint)
        kinesis.create_stream(StreamName="durable", ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName="durable")["StreamDescriptionSummary"]["StreamARN"]
        before = kinesis.put_record(StreamName="durable", Data=b"before", PartitionKey="k")
        kinesis.split_shard(
            StreamName="durable", ShardToSplit="shardId-000000000000", NewStartingHashKey=str(HALF)
        )
        kinesis.update_shard_count(StreamName="durable", TargetShardCount=1, ScalingType="UNIFORM_SCALING")
        after = kinesis.put_record(StreamName="durable", Data=b"after", PartitionKey="k")
        consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="app")["Consumer"]
        kinesis.enable_enhanced_monitoring(StreamName="durable", ShardLevelMetrics=["IncomingBytes"])
        shards = kinesis.list_shards(StreamName="durable")["Shards"]
    finally:
        server.kill()
    server.start()
    try:
        kinesis = client("kinesis", server.endpoint)
        assert kinesis.list_shards(StreamName="durable")["Shards"] == shards
        assert [s["ShardId"] for s in shards] == [f"shardId-{i:012d}" for i in range(4)]
        assert after["ShardId"] == "shardId-000000000003"
        it = kinesis.get_shard_iterator(
            StreamName="durable", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        page = kinesis.get_records(ShardIterator=it)
        assert [r["SequenceNumber"] for r in page["Records"]] == [before["SequenceNumber"]]
        assert "NextShardIterator" not in page and [c["ShardId"] for c in page["ChildShards"]] == [
            "shardId-000000000001",
            "shardId-000000000002",
        ]
        again = kinesis.put_record(StreamName="durable", Data=b"again", PartitionKey="k")
        assert again["ShardId"] == "shardId-000000000003"
        assert int(again["SequenceNumber"]) > int(after["SequenceNumber"])
        described = kinesis.describe_stream_consumer(ConsumerARN=consumer["ConsumerARN"])[
            "ConsumerDescription"
        ]
        assert described["ConsumerName"] == "app" and described["ConsumerStatus"] == "ACTIVE"
        summary = kinesis.describe_stream_summary(StreamName="durable")["StreamDescriptionSummary"]
        assert summary["ConsumerCount"] == 1 and summary["OpenShardCount"] == 1
        assert summary["EnhancedMonitoring"] == [{"ShardLevelMetrics": ["IncomingBytes"]}]
        kinesis.delete_stream(StreamName="durable", EnforceConsumerDeletion=True)
    finally:
        server.kill()
