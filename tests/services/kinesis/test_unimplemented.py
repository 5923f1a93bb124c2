"""Operations not served yet answer an AWS-shaped NotImplemented naming them."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import stream_arn


def test_resharding_and_consumers_answer_not_implemented(kinesis, make_stream):
    name = make_stream(shards=2)
    calls = (
        lambda: kinesis.split_shard(
            StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey="1"
        ),
        lambda: kinesis.merge_shards(
            StreamName=name, ShardToMerge="shardId-000000000000", AdjacentShardToMerge="shardId-000000000001"
        ),
        lambda: kinesis.update_shard_count(
            StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING"
        ),
        lambda: kinesis.register_stream_consumer(StreamARN=stream_arn(name), ConsumerName="c"),
        lambda: kinesis.enable_enhanced_monitoring(StreamName=name, ShardLevelMetrics=["ALL"]),
    )
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        error = exc.value.response
        assert error["Error"]["Code"] == "NotImplemented"
        assert error["ResponseMetadata"]["HTTPStatusCode"] == 501
        assert "is not implemented by Cloudlet yet" in error["Error"]["Message"]
