"""Fixtures for the S3 Control tests.

SDKs put the account in S3 Control's host (``000000000000.127.0.0.1:<port>`` with a custom
endpoint) and an access point ARN's name and account in S3's (``<name>-<account>.127.0.0.1``):
names no resolver knows. ``redirected`` sends such requests to the server while keeping the
Host header botocore built, as a DNS entry for them would.

Expectations: the S3 API reference (error codes and their descriptions, "Error responses"), the
S3 user guide (access point naming rules), the botocore model. Messages neither confirms are
marked ``# message unverified`` and only code and status are checked.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
REGION = "us-east-1"


def redirected(client: Any, endpoint: str) -> Any:
    """``client`` with every request sent to ``endpoint``, its Host header as botocore built it."""
    target = urlsplit(endpoint)

    def hook(request: Any, **_: Any) -> None:
        parts = urlsplit(request.url)
        if parts.netloc != target.netloc:
            request.headers["Host"] = parts.netloc
            request.url = urlunsplit((target.scheme, target.netloc, parts.path, parts.query, ""))

    client.meta.events.register_last("before-send", hook)
    return client


@pytest.fixture
def control(aws_client, cloudlet) -> Any:
    return redirected(aws_client("s3control"), cloudlet.endpoint)


@pytest.fixture
def control_raw(aws_client, cloudlet) -> Any:
    """Skips botocore's own parameter checks, so bad input reaches the server."""
    config = Config(parameter_validation=False, retries={"max_attempts": 1})
    return redirected(aws_client("s3control", config=config), cloudlet.endpoint)


@pytest.fixture
def s3(aws_client, cloudlet) -> Any:
    return redirected(aws_client("s3"), cloudlet.endpoint)


@pytest.fixture
def make_bucket(s3) -> Iterator[Callable[[], str]]:
    made: list[str] = []

    def make() -> str:
        name = f"ap-{uuid.uuid4().hex[:16]}"
        s3.create_bucket(Bucket=name)
        made.append(name)
        return name

    yield make
    for name in made:
        for item in s3.list_objects_v2(Bucket=name).get("Contents", []):
            s3.delete_object(Bucket=name, Key=item["Key"])
        s3.delete_bucket(Bucket=name)


def unique(prefix: str = "ap") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, int]:
    code, _, status = error_of(exc)
    return code, status


def lambda_config(
    supporting_arn: str, function_arn: str, actions: tuple[str, ...] = ("GetObject",), **more: Any
) -> dict[str, Any]:
    """An Object Lambda access point configuration with one transformation."""
    transformation: dict[str, Any] = {"AwsLambda": {"FunctionArn": function_arn}}
    if "payload" in more:
        transformation["AwsLambda"]["FunctionPayload"] = more.pop("payload")
    return {
        "SupportingAccessPoint": supporting_arn,
        "TransformationConfigurations": [{"Actions": list(actions), "ContentTransformation": transformation}],
        **more,
    }
