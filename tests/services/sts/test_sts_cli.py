"""STS through the AWS CLI (awscli from PyPI) pointed at a real server."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def aws(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    }
    return subprocess.run(
        [sys.executable, "-m", "awscli", *args, "--output", "json", "--endpoint-url", endpoint],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_cli_get_caller_identity(cloudlet):
    out = aws(cloudlet.endpoint, "sts", "get-caller-identity")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["Arn"] == "arn:aws:iam::000000000000:root"


def test_cli_assume_role(cloudlet, aws_client):
    trust = {
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]
    }
    iam = aws_client("iam", aws_access_key_id="123456789012")
    try:
        iam.create_role(RoleName="cli", AssumeRolePolicyDocument=json.dumps(trust))
    except iam.exceptions.EntityAlreadyExistsException:
        pass
    out = aws(
        cloudlet.endpoint,
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::123456789012:role/cli",
        "--role-session-name",
        "cli-session",
    )
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/cli/cli-session"


def test_cli_error_is_reported(cloudlet):
    bad = "not-an-arn-but-long-enough"
    out = aws(cloudlet.endpoint, "sts", "assume-role", "--role-arn", bad, "--role-session-name", "s1")
    assert out.returncode != 0
    assert "ValidationError" in out.stderr and f"{bad} is invalid" in out.stderr


def test_cli_unimplemented_service_names_the_operation(cloudlet):
    out = aws(cloudlet.endpoint, "cloudformation", "list-stacks")
    assert out.returncode != 0
    assert "NotImplemented" in out.stderr and "ListStacks" in out.stderr


def test_cli_sqs_needs_endpoint_url_and_works_with_it(cloudlet):
    # awscli v1 pins SQS to its legacy endpoint unless --endpoint-url is given (as aws() does).
    created = aws(cloudlet.endpoint, "sqs", "create-queue", "--queue-name", "cli-queue")
    assert created.returncode == 0, created.stderr
    url = json.loads(created.stdout)["QueueUrl"]
    assert (
        aws(cloudlet.endpoint, "sqs", "send-message", "--queue-url", url, "--message-body", "hi").returncode
        == 0
    )
    got = aws(cloudlet.endpoint, "sqs", "receive-message", "--queue-url", url)
    assert json.loads(got.stdout)["Messages"][0]["Body"] == "hi"
