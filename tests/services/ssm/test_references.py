"""Secrets Manager secrets read through Parameter Store (/aws/reference/secretsmanager/...), as
the Systems Manager User Guide shows them."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

PREFIX = "/aws/reference/secretsmanager/"


@pytest.fixture
def secrets(aws_client):
    return aws_client("secretsmanager")


@pytest.fixture
def ssm(aws_client):
    return aws_client("ssm")


def test_a_secret_read_as_a_parameter(secrets, ssm):
    name = f"ref-{uuid.uuid4().hex[:8]}"
    created = secrets.create_secret(Name=name, SecretString="Fl*MEishm!al875")
    got = ssm.get_parameter(Name=PREFIX + name, WithDecryption=True)["Parameter"]
    assert got["Name"] == PREFIX + name
    assert (got["Type"], got["Value"], got["ARN"]) == ("SecureString", "Fl*MEishm!al875", created["ARN"])
    source = json.loads(got["SourceResult"])
    assert list(source) == ["CreatedDate", "Name", "VersionId", "SecretString", "VersionStages", "ARN"]
    assert source["VersionId"] == created["VersionId"] and source["VersionStages"] == ["AWSCURRENT"]
    assert "Selector" not in got


def test_version_stage_and_version_id_selectors(secrets, ssm):
    name = f"ref-{uuid.uuid4().hex[:8]}"
    first = secrets.create_secret(Name=name, SecretString="one")["VersionId"]
    secrets.put_secret_value(SecretId=name, SecretString="two")
    previous = ssm.get_parameter(Name=f"{PREFIX}{name}:AWSPREVIOUS", WithDecryption=True)["Parameter"]
    assert (previous["Value"], previous["Selector"], previous["Name"]) == (
        "one",
        ":AWSPREVIOUS",
        PREFIX + name,
    )
    by_id = ssm.get_parameter(Name=f"{PREFIX}{name}:{first}", WithDecryption=True)["Parameter"]
    assert by_id["Value"] == "one"
    both = ssm.get_parameters(Names=[PREFIX + name, PREFIX + "missing-secret"], WithDecryption=True)
    assert [p["Value"] for p in both["Parameters"]] == ["two"]
    assert both["InvalidParameters"] == [PREFIX + "missing-secret"]


def test_references_need_decryption_and_an_existing_secret(secrets, ssm):
    name = f"ref-{uuid.uuid4().hex[:8]}"
    secrets.create_secret(Name=name, SecretString="x")
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=PREFIX + name)
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=PREFIX + "no-such-secret", WithDecryption=True)
    assert exc.value.response["Error"]["Code"] == "ParameterNotFound"
