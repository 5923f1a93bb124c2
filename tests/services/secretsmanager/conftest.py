"""Fixtures for the Secrets Manager tests: clients and a secret factory.

Expectations come from ``/work/shared/aws-reference/secretsmanager`` (responses recorded from
AWS) and the botocore model's documentation; assertions on messages neither confirms carry
an ``# unverified`` comment.
"""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config


@pytest.fixture
def sm(aws_client):
    return aws_client("secretsmanager")


@pytest.fixture
def sm_raw(aws_client):
    """A client that skips botocore's own checks (and its ClientRequestToken), to reach the server's."""
    return aws_client(
        "secretsmanager", config=Config(parameter_validation=False, retries={"max_attempts": 1})
    )


@pytest.fixture
def name():
    return f"app/db-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def make_secret(sm):
    def make(value: str | None = "s3cr3t", **kwargs):
        kwargs.setdefault("Name", f"s-{uuid.uuid4().hex[:12]}")
        if value is not None:
            kwargs["SecretString"] = value
        return sm.create_secret(**kwargs)

    return make


def error_of(exc) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]
