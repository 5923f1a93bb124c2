"""Secrets Manager rotation running a real Lambda function's four steps (createSecret,
setSecret, testSecret, finishSecret), as the Secrets Manager User Guide's rotation template does."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import make_zip

ROTATOR = """
import boto3

def handler(event, context):
    sm = boto3.client("secretsmanager")  # AWS_ENDPOINT_URL points it at Cloudlet
    arn, token, step = event["SecretId"], event["ClientRequestToken"], event["Step"]
    meta = sm.describe_secret(SecretId=arn)
    stages = meta["VersionIdsToStages"]
    if step == "createSecret":
        if "AWSPENDING" not in stages.get(token, []):
            current = sm.get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")["SecretString"]
            sm.put_secret_value(
                SecretId=arn, ClientRequestToken=token, SecretString=current + "-rotated",
                VersionStages=["AWSPENDING"],
            )
    elif step == "finishSecret":
        current = next(v for v, s in stages.items() if "AWSCURRENT" in s)
        if current != token:
            sm.update_secret_version_stage(
                SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current
            )
"""


def _rotator(lam, role) -> str:
    name = f"rotator-{uuid.uuid4().hex[:8]}"
    arn = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": ROTATOR})},
        Timeout=30,
    )["FunctionArn"]
    return arn


def test_rotation_runs_the_functions_four_steps(lam, role, aws_client):
    sm = aws_client("secretsmanager")
    function = _rotator(lam, role)
    lam.add_permission(
        FunctionName=function,
        StatementId="secrets",
        Action="lambda:InvokeFunction",
        Principal="secretsmanager.amazonaws.com",
    )
    secret = sm.create_secret(Name=f"rotated-{uuid.uuid4().hex[:8]}", SecretString="v1")
    sm.rotate_secret(
        SecretId=secret["ARN"], RotationLambdaARN=function, RotationRules={"AutomaticallyAfterDays": 30}
    )
    deadline = time.monotonic() + 20  # the function runs in real time, as a child process
    while time.monotonic() < deadline:
        if sm.get_secret_value(SecretId=secret["ARN"])["SecretString"] == "v1-rotated":
            break
        time.sleep(0.1)
    assert sm.get_secret_value(SecretId=secret["ARN"])["SecretString"] == "v1-rotated"
    assert sm.get_secret_value(SecretId=secret["ARN"], VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    described = sm.describe_secret(SecretId=secret["ARN"])
    assert described["RotationEnabled"] is True and described["RotationLambdaARN"] == function


def test_a_function_secrets_manager_may_not_invoke_is_refused(lam, role, aws_client):
    sm = aws_client("secretsmanager")
    function = _rotator(lam, role)  # no resource policy for secretsmanager.amazonaws.com
    secret = sm.create_secret(Name=f"unrotated-{uuid.uuid4().hex[:8]}", SecretString="v1")
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=secret["ARN"], RotationLambdaARN=function)
    assert exc.value.response["Error"]["Code"] == "AccessDeniedException"
    assert sm.get_secret_value(SecretId=secret["ARN"])["SecretString"] == "v1"
