"""Fixtures for the Firehose tests: clients, a bucket and a delivery stream factory, helpers.

Where the expectations come from: ``/work/shared/aws-reference/firehose/test_firehose.snapshot.json``
(tagging answers), ``aws-reference/cloudformation/resources/test_firehose.snapshot.json`` (a
DescribeDeliveryStream answer: destination id, defaults, VersionId), the botocore ``firehose``
model and the Firehose developer guide (buffering, object names, prefixes, transformation).
Assertions on messages none of them confirms check the code and status only
(``# message unverified``).

The service clock is shared by the session: tests read the server's clock and only move it
forward, and never compare server times with ``time.time()``.
"""

from __future__ import annotations

import io
import json
import time
import uuid
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/firehose-role"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture
def firehose(aws_client):
    return aws_client("firehose")


@pytest.fixture
def firehose_raw(aws_client):
    """A client that skips botocore's own parameter checks, so bad input reaches the server."""
    return aws_client("firehose", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


def unique(prefix: str = "fh") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def bucket(s3) -> str:
    name = unique("fh-bucket")
    s3.create_bucket(Bucket=name)
    return name


def s3_config(bucket: str, **extra: Any) -> dict[str, Any]:
    return {"RoleARN": ROLE, "BucketARN": f"arn:aws:s3:::{bucket}", **extra}


@pytest.fixture
def make_stream(firehose) -> Callable[..., str]:
    """Create a DirectPut stream with an ExtendedS3 destination on ``bucket`` (``extra`` merged
    into the destination); deleted after the test. Returns its name."""
    created: list[str] = []

    def make(bucket: str, **extra: Any) -> str:
        name = unique()
        firehose.create_delivery_stream(
            DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(bucket, **extra)
        )
        created.append(name)
        return name

    yield make

    for name in created:
        try:
            firehose.delete_delivery_stream(DeliveryStreamName=name)
        except ClientError:
            pass


def keys_of(s3, bucket: str, prefix: str = "") -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])]


def wait_for_keys(s3, bucket: str, count: int = 1, prefix: str = "", timeout: float = 30.0) -> list[str]:
    """The bucket's keys once there are ``count`` (deliveries that invoke a function run in
    real time after the clock advance answers)."""
    deadline = time.monotonic() + timeout
    while True:
        keys = keys_of(s3, bucket, prefix)
        if len(keys) >= count or time.monotonic() > deadline:
            return keys
        time.sleep(0.1)


def body(s3, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def error_of(exc) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a ``pytest.raises(ClientError)`` result."""
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


@pytest.fixture(scope="session")
def role(cloudlet) -> str:
    from cloudlet.testing.server import client

    iam = client("iam", cloudlet.endpoint)
    name = f"firehose-fn-{unique('r')}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def make_function(aws_client, role: str, code: str) -> str:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("index.py", code)
    name = unique("fh-fn")
    aws_client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def processing(function_arn: str, **parameters: str) -> dict:
    values = [{"ParameterName": "LambdaArn", "ParameterValue": function_arn}]
    values += [{"ParameterName": k, "ParameterValue": v} for k, v in parameters.items()]
    return {"Enabled": True, "Processors": [{"Type": "Lambda", "Parameters": values}]}
