"""Fixtures for the SNS tests: clients and topic factories."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config


@pytest.fixture
def sns(aws_client):
    return aws_client("sns")


@pytest.fixture
def sns_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("sns", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def make_topic(sns):
    """Create a topic with a unique name; ``fifo=True`` for a FIFO topic."""

    def make(prefix: str = "t", fifo: bool = False, **attributes: str) -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}" + (".fifo" if fifo else "")
        if fifo:
            attributes.setdefault("FifoTopic", "true")
        return sns.create_topic(Name=name, Attributes=attributes)["TopicArn"]

    return make


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
