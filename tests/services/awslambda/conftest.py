"""Fixtures for the Lambda tests: clients, an IAM role Lambda may assume, zips built here."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from botocore.config import Config

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda")


@pytest.fixture
def lam_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("lambda", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture(scope="session")
def role(cloudlet) -> str:
    from cloudlet.testing.server import client

    iam = client("iam", cloudlet.endpoint)
    name = f"lambda-role-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def make_zip(files: dict[str, str] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in (files or {"index.py": "def handler(event, context):\n    return event\n"}).items():
            archive.writestr(name, body)
    return buffer.getvalue()


def create_python(lam, role: str, name: str, code: str, **extra) -> None:
    """A python3.12 function ``name`` whose ``index.py`` is ``code`` (handler ``index.handler``
    unless ``Handler`` is given)."""
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler=extra.pop("Handler", "index.handler"),
        Code={"ZipFile": make_zip({"index.py": code})},
        **extra,
    )


@pytest.fixture
def name() -> str:
    return f"fn-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def function(lam, role, name) -> str:
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip()},
    )
    return name


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )
