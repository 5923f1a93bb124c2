"""Fixtures for the Parameter Store tests: clients and a unique hierarchy per test."""

from __future__ import annotations

import uuid

import pytest
from botocore.config import Config

from cloudlet.services.registry import PROVIDERS


@pytest.fixture
def ssm(aws_client):
    return aws_client("ssm")


@pytest.fixture
def ssm_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("ssm", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def root() -> str:
    """A hierarchy no other test uses: ``/t<hex>``."""
    return f"/t{uuid.uuid4().hex[:10]}"


needs_kms = pytest.mark.skipif("kms" not in PROVIDERS, reason="the KMS provider is not registered yet")


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
