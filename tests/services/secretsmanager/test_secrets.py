"""Create, read, update, versions and staging labels."""

from __future__ import annotations

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of

NOT_FOUND = "Secrets Manager can't find the specified secret."


def test_create_and_get(sm, name):
    created = sm.create_secret(Name=name, SecretString="hello", Description="d")
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:us-east-1:\d{{12}}:secret:{name}-[A-Za-z0-9]{{6}}", created["ARN"]
    )
    assert created["Name"] == name and created["VersionId"]
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretString"] == "hello"
    assert got["VersionStages"] == ["AWSCURRENT"]
    assert got["VersionId"] == created["VersionId"]
    assert sm.get_secret_value(SecretId=created["ARN"])["SecretString"] == "hello"
    partial = created["ARN"][:-7]
    assert sm.get_secret_value(SecretId=partial)["SecretString"] == "hello"
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "d"
    assert described["VersionIdsToStages"] == {created["VersionId"]: ["AWSCURRENT"]}
    assert "LastAccessedDate" in described and "RotationEnabled" not in described


def test_binary_secret(sm, name):
    sm.create_secret(Name=name, SecretBinary=b"\x00\x01\xff")
    got = sm.get_secret_value(SecretId=name)
    assert got["SecretBinary"] == b"\x00\x01\xff" and "SecretString" not in got


def test_values_are_stored_encrypted(sm, name, cloudlet):
    sm.create_secret(Name=name, SecretString="plain-text-marker")

    def rows():
        return [dict(r) for r in cloudlet.app.runtime.store.all("SELECT blob FROM sm_versions")]

    blobs = cloudlet.call(rows)
    assert blobs and all("plain-text-marker" not in r["blob"] for r in blobs)


def test_not_found_and_bad_names(sm):
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId="nope-" + uuid.uuid4().hex)
    assert error_of(exc) == ("ResourceNotFoundException", NOT_FOUND)
    for bad in ("Inv Name", " Inv*Name? "):
        with pytest.raises(ClientError) as exc:
            sm.create_secret(Name=bad, SecretString="x")
        assert error_of(exc)[0] == "ValidationException"
        with pytest.raises(ClientError) as exc:
            sm.describe_secret(SecretId=bad)
        assert error_of(exc)[0] == "ValidationException"


def test_suffix_like_name_is_not_a_partial_arn(sm):
    name = f"Invalid/_+=.@-Name-{uuid.uuid4().hex[:6]}"
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=arn[:-7])
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_exists_and_idempotent_create(sm, name):
    token = str(uuid.uuid4())
    first = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    again = sm.create_secret(Name=name, SecretString="v", ClientRequestToken=token)
    assert again["VersionId"] == first["VersionId"] == token
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=name, SecretString="other")
    assert error_of(exc) == (
        "ResourceExistsException",
        f"The operation failed because the secret {name} already exists.",
    )


def test_empty_secret_then_first_value(sm, name):
    created = sm.create_secret(Name=name)
    assert "VersionId" not in created
    assert "VersionIdsToStages" not in sm.describe_secret(SecretId=name)
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSCURRENT",
    )
    put = sm.put_secret_value(SecretId=name, SecretString="first")
    assert put["VersionStages"] == ["AWSCURRENT"]


def test_put_moves_current_and_previous(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="two")["VersionId"]
    v3 = sm.put_secret_value(SecretId=name, SecretString="three")["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v2: ["AWSPREVIOUS"], v3: ["AWSCURRENT"]}
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "two"
    assert (
        sm.get_secret_value(SecretId=name, VersionId=v1)["SecretString"] == "one"
    )  # deprecated, still readable
    listed = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert [v["VersionId"] for v in listed] == [v2, v3]
    assert listed[0]["KmsKeyIds"] == ["DefaultEncryptionKey"]
    everything = sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]
    assert [v["VersionId"] for v in everything] == [v1, v2, v3]
    assert "VersionStages" not in everything[0]


def test_put_custom_stages_and_pending(sm, name):
    sm.create_secret(Name=name, SecretString="v0")
    put = sm.put_secret_value(
        SecretId=name, SecretString="v1", VersionStages=["SAMPLESTAGE1", "SAMPLESTAGE0"]
    )
    assert put["VersionStages"] == ["SAMPLESTAGE0", "SAMPLESTAGE1"]
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v0"
    pending = sm.put_secret_value(SecretId=name, SecretString="v2", VersionStages=["AWSPENDING"])
    assert sm.get_secret_value(SecretId=name, VersionStage="AWSPENDING")["VersionId"] == pending["VersionId"]
    moved = sm.put_secret_value(SecretId=name, SecretString="v3", VersionStages=["one", "SAMPLESTAGE0"])
    versions = {
        v["VersionId"]: v.get("VersionStages") for v in sm.list_secret_version_ids(SecretId=name)["Versions"]
    }
    assert versions[put["VersionId"]] == ["SAMPLESTAGE1"]
    assert versions[moved["VersionId"]] == ["SAMPLESTAGE0", "one"]


def test_put_token_idempotency(sm, name):
    sm.create_secret(Name=name, SecretString="v0")
    token = str(uuid.uuid4())
    first = sm.put_secret_value(SecretId=name, SecretString="same", ClientRequestToken=token)
    again = sm.put_secret_value(SecretId=name, SecretString="same", ClientRequestToken=token)
    assert first["VersionId"] == again["VersionId"] == token
    assert len(sm.list_secret_version_ids(SecretId=name, IncludeDeprecated=True)["Versions"]) == 2
    with pytest.raises(ClientError) as exc:
        sm.put_secret_value(SecretId=name, SecretString="different", ClientRequestToken=token)
    assert error_of(exc)[0] == "ResourceExistsException"


def test_missing_client_request_token(sm_raw, name):
    from botocore.handlers import generate_idempotent_uuid

    sm_raw.create_secret(Name=name)
    sm_raw.meta.events.unregister("before-parameter-build", generate_idempotent_uuid)
    cases = [
        (lambda: sm_raw.create_secret(Name=name + "x", SecretString="v"), "InvalidRequestException"),
        (lambda: sm_raw.put_secret_value(SecretId=name, SecretString="v"), "InvalidRequestException"),
        (lambda: sm_raw.update_secret(SecretId=name, SecretString="v"), "InvalidRequestException"),
        (
            lambda: sm_raw.rotate_secret(
                SecretId=name, RotationLambdaARN="arn:aws:lambda:us-east-1:000000000000:function:f"
            ),
            "InvalidParameterException",
        ),
    ]
    for call, code in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == (
            code,
            "You must provide a ClientRequestToken value. We recommend a UUID-type value.",
        )


def test_get_value_errors(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="v")["VersionId"]
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    )
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionId=v1, VersionStage="AWSPENDING")
    assert error_of(exc) == (
        "InvalidRequestException",
        "You provided a VersionStage that is not associated to the provided VersionId.",
    )
    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name, VersionId=missing)
    assert (
        error_of(exc)[1] == f"Secrets Manager can't find the specified secret value for VersionId: {missing}"
    )


def test_update_secret(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="one")["VersionId"]
    out = sm.update_secret(SecretId=name, Description="MyDescription")
    assert "VersionId" not in out
    out = sm.update_secret(SecretId=name, SecretString="two", Description="New")
    described = sm.describe_secret(SecretId=name)
    assert described["Description"] == "New"
    assert described["VersionIdsToStages"] == {out["VersionId"]: ["AWSCURRENT"], v1: ["AWSPREVIOUS"]}


def test_update_secret_version_stage_cycle(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="S1")["VersionId"]
    v2 = sm.put_secret_value(SecretId=name, SecretString="S2", VersionStages=["AWSPENDING"])["VersionId"]
    out = sm.update_secret_version_stage(
        SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v2, RemoveFromVersionId=v1
    )
    assert set(out) >= {"ARN", "Name"}
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT", "AWSPENDING"]}
    v3 = sm.put_secret_value(SecretId=name, SecretString="S3", VersionStages=["AWSPENDING"])["VersionId"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"], v3: ["AWSPENDING"]}
    with pytest.raises(ClientError) as exc:
        sm.update_secret_version_stage(SecretId=name, VersionStage="AWSCURRENT", MoveToVersionId=v3)
    assert error_of(exc)[0] == "InvalidParameterException"
    # removing the last label deprecates the version
    sm.update_secret_version_stage(SecretId=name, VersionStage="AWSPENDING", RemoveFromVersionId=v3)
    assert v3 not in sm.describe_secret(SecretId=name)["VersionIdsToStages"]


def test_oversized_and_both_values(sm_raw, name):
    with pytest.raises(ClientError) as exc:
        sm_raw.create_secret(Name=name, SecretString="x" * 65537, ClientRequestToken=str(uuid.uuid4()))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        sm_raw.create_secret(Name=name, SecretString="é" * 40000, ClientRequestToken=str(uuid.uuid4()))
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm_raw.create_secret(
            Name=name, SecretString="a", SecretBinary=b"b", ClientRequestToken=str(uuid.uuid4())
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm_raw.create_secret(Name="x" * 513)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        sm_raw.get_secret_value(SecretId=None)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        sm_raw.get_secret_value(SecretId="arn:aws:secretsmanager:us-east-1:000000000000:secret:nope-abcdef")
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        sm_raw.get_secret_value(SecretId="arn:not-really")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_tags(sm, name):
    sm.create_secret(Name=name)
    assert "Tags" not in sm.describe_secret(SecretId=name)
    sm.tag_resource(SecretId=name, Tags=[{"Key": "tag1", "Value": "value1"}])
    sm.tag_resource(SecretId=name, Tags=[{"Key": "tag2", "Value": "value2"}])
    assert sm.describe_secret(SecretId=name)["Tags"] == [
        {"Key": "tag1", "Value": "value1"},
        {"Key": "tag2", "Value": "value2"},
    ]
    sm.untag_resource(SecretId=name, TagKeys=["tag1", "tag2"])
    assert sm.describe_secret(SecretId=name)["Tags"] == []


def test_resource_policy(sm, name):
    sm.create_secret(Name=name)
    policy = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"*"}]}'
    with pytest.raises(ClientError) as exc:
        sm.put_resource_policy(SecretId=name, ResourcePolicy=policy, BlockPublicPolicy=True)
    assert error_of(exc)[0] == "PublicPolicyException"
    sm.put_resource_policy(SecretId=name, ResourcePolicy=policy)
    assert sm.get_resource_policy(SecretId=name)["ResourcePolicy"] == policy
    assert sm.validate_resource_policy(ResourcePolicy=policy)["PolicyValidationPassed"] is False
    sm.delete_resource_policy(SecretId=name)
    assert "ResourcePolicy" not in sm.get_resource_policy(SecretId=name)
    with pytest.raises(ClientError) as exc:
        sm.put_resource_policy(SecretId=name, ResourcePolicy="{not json")
    assert error_of(exc)[0] == "MalformedPolicyDocumentException"
