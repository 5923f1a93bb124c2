"""Fixtures for the Kinesis Data Streams tests: clients, a stream factory, small helpers.

Where the expectations come from: ``/work/shared/aws-reference/kinesis/test_kinesis.snapshot.json``
(responses recorded from real AWS: the ResourceNotFoundException message, GetResourcePolicy's
``{}``, DescribeStream's fields) and the botocore ``kinesis`` model's documentation. Assertions
on messages neither confirms check the code and status only (``# message unverified``).
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"


@pytest.fixture
def kinesis(aws_client):
    return aws_client("kinesis")


@pytest.fixture
def kinesis_raw(aws_client):
    """A client that skips botocore's own parameter checks, so bad input reaches the server."""
    return aws_client("kinesis", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


def unique(prefix: str = "s") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def stream_arn(name: str, account: str = ACCOUNT, region: str = REGION) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


@pytest.fixture
def make_stream(kinesis):
    """Create a stream with a unique name (``shards=1`` provisioned by default; ``shards=None``
    for CreateStream's own default); deleted after the test. Returns its name."""
    created: list[str] = []

    def make(shards: int | None = 1, prefix: str = "s", **params: Any) -> str:
        name = unique(prefix)
        if shards is not None:
            params["ShardCount"] = shards
        kinesis.create_stream(StreamName=name, **params)
        created.append(name)
        return name

    yield make

    for name in created:
        try:
            kinesis.delete_stream(StreamName=name)
        except ClientError:
            pass


def error_of(exc) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a ``pytest.raises(ClientError)`` result."""
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def code_of(exc) -> tuple[str, int]:
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def md5_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def shard_for(shards: list[dict[str, Any]], key: int) -> str:
    for shard in shards:
        r = shard["HashKeyRange"]
        if int(r["StartingHashKey"]) <= key <= int(r["EndingHashKey"]):
            return shard["ShardId"]
    raise AssertionError(f"no shard holds {key}")


def read_all(
    kinesis, name: str, shard_id: str, kind: str = "TRIM_HORIZON", **extra: Any
) -> list[dict[str, Any]]:
    it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard_id, ShardIteratorType=kind, **extra)[
        "ShardIterator"
    ]
    records: list[dict[str, Any]] = []
    for _ in range(100):
        page = kinesis.get_records(ShardIterator=it)
        records += page["Records"]
        if not page["Records"] or page["MillisBehindLatest"] == 0:
            return records
        it = page["NextShardIterator"]
    raise AssertionError("reading never ended")
