"""Fixtures for the IAM tests: a client per test account, and unique names."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.config import Config

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
)


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


@pytest.fixture
def account() -> str:
    """A fresh 12-digit account per test, so tests do not see each other's entities."""
    return str(100000000000 + uuid.uuid4().int % 899999999999)


@pytest.fixture
def iam(aws_client, account):
    return aws_client("iam", aws_access_key_id=account)


@pytest.fixture
def iam_raw(aws_client, account):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client(
        "iam",
        aws_access_key_id=account,
        config=Config(parameter_validation=False, retries={"max_attempts": 1}),
    )


def name(prefix: str = "n") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
