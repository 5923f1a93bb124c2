"""Fixtures for the KMS tests: clients and a key factory."""

from __future__ import annotations

import pytest
from botocore.config import Config


@pytest.fixture
def kms(aws_client):
    return aws_client("kms")


@pytest.fixture
def kms_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("kms", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def make_key(kms):
    """Create a key; keyword arguments go to CreateKey. Returns its KeyMetadata."""

    def make(**params):
        return kms.create_key(**params)["KeyMetadata"]

    return make


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
