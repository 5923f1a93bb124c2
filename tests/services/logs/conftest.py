"""Fixtures for the CloudWatch Logs tests: clients, a unique group per test, the clock in ms."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config


@pytest.fixture
def logs(aws_client):
    return aws_client("logs")


@pytest.fixture
def logs_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("logs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def group(logs) -> str:
    """A log group no other test uses, created."""
    name = f"/t/{uuid.uuid4().hex[:10]}"
    logs.create_log_group(logGroupName=name)
    return name


@pytest.fixture
def now_ms(cloudlet):
    """The service clock, in epoch milliseconds (a function: the clock moves)."""
    return lambda: int(cloudlet.clock()["now"] * 1000)


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def raw_call(endpoint: str, operation: str, body: object) -> tuple[int, dict]:
    """POST a JSON 1.1 request as is (no client-side checks); (status, parsed body)."""
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        endpoint + "/",
        data=json.dumps(body).encode(),
        headers={
            "Content-Type": "application/x-amz-json-1.1",
            "X-Amz-Target": f"Logs_20140328.{operation}",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/logs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
