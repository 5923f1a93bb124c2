"""Fixtures for the SQS tests: a JSON client, a query client, and queue factories."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config

from .query_client import SqsQueryClient


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


@pytest.fixture
def sqs_raw(aws_client):
    """A JSON client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("sqs", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def sqs_query(cloudlet):
    return SqsQueryClient(cloudlet.endpoint)


@pytest.fixture
def make_queue(sqs):
    """Create a queue with a unique name; ``fifo=True`` for a FIFO queue."""

    def make(prefix: str = "q", fifo: bool = False, **attributes: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
        if fifo:
            attributes.setdefault("FifoQueue", "true")
        return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]

    return make


def arn_of(sqs, url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
