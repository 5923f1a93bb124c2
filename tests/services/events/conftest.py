"""Fixtures for the EventBridge tests: clients, buses, queues wired as targets."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config


@pytest.fixture
def events(aws_client):
    return aws_client("events")


@pytest.fixture
def events_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("events", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_queue(sqs):
    """Create a queue; returns (url, arn)."""

    def make(prefix: str = "q", **attributes: str) -> tuple[str, str]:
        name = unique(prefix) + (".fifo" if attributes.get("FifoQueue") == "true" else "")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    return make


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
