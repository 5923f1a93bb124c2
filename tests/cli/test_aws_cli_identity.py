"""The AWS CLI (v1, ``python -m awscli``) as a developer uses it against IAM, STS, KMS, Secrets
Manager, SSM Parameter Store and S3 with SSE-KMS: real subprocesses, JSON output parsed.

Every command runs with dummy credentials, a temporary HOME and no config or credentials file,
so the machine's own AWS setup cannot interfere.
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest

ACCOUNT = "000000000000"
DAY = 24 * 3600


class Aws:
    """Runs ``aws --endpoint-url … --region us-east-1 --output json <args>``."""

    def __init__(self, endpoint: str, home: Path, cwd: Path) -> None:
        self.endpoint = endpoint
        self.cwd = cwd  # relative file:// and fileb:// paths resolve here
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env.update(
            HOME=str(home),
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_DEFAULT_REGION="us-east-1",
            AWS_CONFIG_FILE="/dev/null",
            AWS_SHARED_CREDENTIALS_FILE="/dev/null",
            AWS_MAX_ATTEMPTS="1",
            AWS_PAGER="",
        )
        self.env = env

    def argv(self, *args: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            "awscli",
            "--endpoint-url",
            self.endpoint,
            "--region",
            "us-east-1",
            "--output",
            "json",
            *args,
        ]

    def run(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            self.argv(*args),
            capture_output=True,
            text=True,
            timeout=120,
            env={**self.env, **(env or {})},
            cwd=self.cwd,
        )

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Any:
        """The command's parsed JSON output (None when it prints nothing); it must succeed."""
        out = self.run(*args, env=env)
        assert out.returncode == 0, f"aws {' '.join(args)} failed ({out.returncode}):\n{out.stderr}"
        return json.loads(out.stdout) if out.stdout.strip() else None

    def fails(self, code: str, *args: str, env: dict[str, str] | None = None) -> str:
        """The command must exit non-zero naming the error ``code``; returns its stderr."""
        out = self.run(*args, env=env)
        assert out.returncode != 0, f"aws {' '.join(args)} succeeded:\n{out.stdout}"
        assert f"({code})" in out.stderr, out.stderr
        return out.stderr

    def shell(self, pipeline: str) -> bytes:
        """Runs a shell pipeline where ``aws`` is this CLI; returns its stdout bytes."""
        aws = shlex.join(self.argv())
        out = subprocess.run(
            ["bash", "-o", "pipefail", "-c", f'aws() {{ {aws} "$@"; }}\n{pipeline}'],
            capture_output=True,
            timeout=120,
            env=self.env,
            cwd=self.cwd,
        )
        assert out.returncode == 0, out.stderr.decode()
        return out.stdout


@pytest.fixture
def aws(cloudlet, tmp_path) -> Aws:
    home = tmp_path / "home"
    home.mkdir()
    return Aws(cloudlet.endpoint, home, tmp_path)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def write_json(path: Path, doc: Any) -> str:
    path.write_text(json.dumps(doc))
    return f"file://{path}"


# --------------------------------------------------------------------------------------- IAM

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
LAMBDA_BASIC = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"


def test_iam_role_with_trust_policy_file_managed_and_inline_policies(aws, tmp_path):
    role = unique("cli-role")
    trust = write_json(tmp_path / "trust.json", TRUST)
    created = aws(
        "iam",
        "create-role",
        "--role-name",
        role,
        "--path",
        "/service/",
        "--assume-role-policy-document",
        trust,
        "--description",
        "made by the CLI",
        "--tags",
        "Key=team,Value=platform",
    )["Role"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:role/service/{role}"
    assert created["RoleName"] == role
    assert created["RoleId"].startswith("AROA")
    # the CLI decodes the URL-encoded policy document into JSON
    assert created["AssumeRolePolicyDocument"] == TRUST

    aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", LAMBDA_BASIC)
    inline = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket/*"}],
    }
    inline_file = write_json(tmp_path / "inline.json", inline)
    aws(
        "iam",
        "put-role-policy",
        "--role-name",
        role,
        "--policy-name",
        "read-bucket",
        "--policy-document",
        inline_file,
    )

    got = aws("iam", "get-role", "--role-name", role)["Role"]
    assert got["Arn"] == created["Arn"]
    assert got["Description"] == "made by the CLI"
    assert got["AssumeRolePolicyDocument"] == TRUST
    assert {"Key": "team", "Value": "platform"} in got.get("Tags", [])

    attached = aws("iam", "list-attached-role-policies", "--role-name", role)["AttachedPolicies"]
    assert attached == [{"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA_BASIC}]
    assert aws("iam", "list-role-policies", "--role-name", role)["PolicyNames"] == ["read-bucket"]
    doc = aws("iam", "get-role-policy", "--role-name", role, "--policy-name", "read-bucket")
    assert doc["PolicyDocument"] == inline

    listed = aws("iam", "list-roles", "--path-prefix", "/service/")["Roles"]
    assert role in [r["RoleName"] for r in listed]

    # a role with policies cannot be deleted: DeleteConflict, non-zero exit
    err = aws.fails("DeleteConflict", "iam", "delete-role", "--role-name", role)
    assert "DeleteRole" in err
    aws("iam", "detach-role-policy", "--role-name", role, "--policy-arn", LAMBDA_BASIC)
    aws.fails("DeleteConflict", "iam", "delete-role", "--role-name", role)  # the inline policy
    aws("iam", "delete-role-policy", "--role-name", role, "--policy-name", "read-bucket")
    aws("iam", "delete-role", "--role-name", role)
    aws.fails("NoSuchEntity", "iam", "get-role", "--role-name", role)


def test_iam_customer_managed_policy_blocks_delete_while_attached(aws, tmp_path):
    role = unique("cli-role")
    name = unique("cli-policy")
    aws(
        "iam",
        "create-role",
        "--role-name",
        role,
        "--assume-role-policy-document",
        write_json(tmp_path / "t.json", TRUST),
    )
    doc = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}
    policy = aws(
        "iam",
        "create-policy",
        "--policy-name",
        name,
        "--policy-document",
        write_json(tmp_path / "p.json", doc),
    )["Policy"]
    assert policy["Arn"] == f"arn:aws:iam::{ACCOUNT}:policy/{name}"
    assert policy["DefaultVersionId"] == "v1"
    aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", policy["Arn"])
    assert aws("iam", "get-policy", "--policy-arn", policy["Arn"])["Policy"]["AttachmentCount"] == 1
    version = aws("iam", "get-policy-version", "--policy-arn", policy["Arn"], "--version-id", "v1")[
        "PolicyVersion"
    ]
    assert version["Document"] == doc and version["IsDefaultVersion"] is True

    aws.fails("DeleteConflict", "iam", "delete-policy", "--policy-arn", policy["Arn"])
    aws.fails("DeleteConflict", "iam", "delete-role", "--role-name", role)
    aws("iam", "detach-role-policy", "--role-name", role, "--policy-arn", policy["Arn"])
    aws("iam", "delete-policy", "--policy-arn", policy["Arn"])
    aws("iam", "delete-role", "--role-name", role)
    aws.fails("NoSuchEntity", "iam", "get-policy", "--policy-arn", policy["Arn"])


def test_iam_user_access_key_works_for_sts_get_caller_identity(aws):
    user = unique("cli-user")
    created = aws("iam", "create-user", "--user-name", user)["User"]
    assert created["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/{user}"
    key = aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    assert key["UserName"] == user and key["Status"] == "Active"
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert len(key["SecretAccessKey"]) == 40

    as_user = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    identity = aws("sts", "get-caller-identity", env=as_user)
    assert identity["Arn"] == created["Arn"]
    assert identity["Account"] == ACCOUNT
    assert identity["UserId"] == created["UserId"]
    assert aws("iam", "get-user", env=as_user)["User"]["UserName"] == user

    keys = aws("iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]

    aws.fails("DeleteConflict", "iam", "delete-user", "--user-name", user)
    aws("iam", "delete-access-key", "--user-name", user, "--access-key-id", key["AccessKeyId"])
    aws("iam", "delete-user", "--user-name", user)
    aws.fails("NoSuchEntity", "iam", "get-user", "--user-name", user)


def test_iam_list_aws_managed_policies_with_pagination(aws):
    first = aws("iam", "list-policies", "--scope", "AWS", "--max-items", "5")
    assert len(first["Policies"]) == 5
    assert all(p["Arn"].startswith("arn:aws:iam::aws:policy/") for p in first["Policies"])
    token = first["NextToken"]  # the CLI's own pagination token
    second = aws("iam", "list-policies", "--scope", "AWS", "--max-items", "5", "--starting-token", token)
    assert len(second["Policies"]) >= 1
    first_arns = {p["Arn"] for p in first["Policies"]}
    assert first_arns.isdisjoint(p["Arn"] for p in second["Policies"])

    # the CLI follows the service's markers itself with a small page size
    paged = aws(
        "iam", "list-policies", "--scope", "AWS", "--path-prefix", "/service-role/", "--page-size", "3"
    )
    arns = [p["Arn"] for p in paged["Policies"]]
    assert LAMBDA_BASIC in arns
    assert len(arns) == len(set(arns))
    whole = aws("iam", "list-policies", "--scope", "AWS", "--path-prefix", "/service-role/")
    assert sorted(arns) == sorted(p["Arn"] for p in whole["Policies"])

    managed = aws("iam", "get-policy", "--policy-arn", LAMBDA_BASIC)["Policy"]
    assert managed["PolicyName"] == "AWSLambdaBasicExecutionRole"
    version = aws(
        "iam", "get-policy-version", "--policy-arn", LAMBDA_BASIC, "--version-id", managed["DefaultVersionId"]
    )
    actions = json.dumps(version["PolicyVersion"]["Document"])
    assert "logs:CreateLogGroup" in actions and "logs:PutLogEvents" in actions


def test_iam_simulate_custom_policy_allow_and_deny(aws, tmp_path):
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::data/*"},
            {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"},
        ],
    }
    (tmp_path / "policy.json").write_text(json.dumps([json.dumps(policy)]))
    result = aws(
        "iam",
        "simulate-custom-policy",
        "--policy-input-list",
        f"file://{tmp_path / 'policy.json'}",
        "--action-names",
        "s3:GetObject",
        "s3:DeleteObject",
        "sqs:SendMessage",
        "--resource-arns",
        "arn:aws:s3:::data/report.csv",
    )["EvaluationResults"]
    decisions = {r["EvalActionName"]: r["EvalDecision"] for r in result}
    assert decisions == {
        "s3:GetObject": "allowed",
        "s3:DeleteObject": "explicitDeny",
        "sqs:SendMessage": "implicitDeny",
    }


# --------------------------------------------------------------------------------------- KMS


def make_key(aws: Aws, *extra: str) -> dict:
    return aws("kms", "create-key", "--description", "cli test key", *extra)["KeyMetadata"]


def test_kms_encrypt_decrypt_with_files_alias_and_encryption_context(aws, tmp_path):
    key = make_key(aws)
    assert key["Arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/{key['KeyId']}"
    assert key["KeyState"] == "Enabled" and key["KeyUsage"] == "ENCRYPT_DECRYPT"
    alias = f"alias/{unique('cli')}"
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key["KeyId"])

    secret = os.urandom(200) + b"\x00\xff binary payload"
    (tmp_path / "plain.bin").write_bytes(secret)
    context = ["--encryption-context", "purpose=test,team=dev"]
    encrypted = aws("kms", "encrypt", "--key-id", alias, "--plaintext", "fileb://plain.bin", *context)
    assert encrypted["KeyId"] == key["Arn"]
    assert encrypted["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"

    # as the AWS docs show: the ciphertext to a file through base64 -d, then fileb:// back in
    aws.shell(
        f"aws kms encrypt --key-id {alias} --plaintext fileb://plain.bin "
        "--encryption-context purpose=test,team=dev "
        "--query CiphertextBlob --output text | base64 -d > cipher.bin"
    )
    ciphertext = (tmp_path / "cipher.bin").read_bytes()
    assert secret not in ciphertext
    plain = aws.shell(
        "aws kms decrypt --ciphertext-blob fileb://cipher.bin "
        "--encryption-context purpose=test,team=dev --query Plaintext --output text | base64 -d"
    )
    assert plain == secret
    decrypted = aws("kms", "decrypt", "--ciphertext-blob", "fileb://cipher.bin", *context)
    assert decrypted["KeyId"] == key["Arn"]
    assert base64.b64decode(decrypted["Plaintext"]) == secret

    aws.fails("InvalidCiphertextException", "kms", "decrypt", "--ciphertext-blob", "fileb://cipher.bin")
    aws.fails(
        "InvalidCiphertextException",
        "kms",
        "decrypt",
        "--ciphertext-blob",
        "fileb://cipher.bin",
        "--encryption-context",
        "purpose=other,team=dev",
    )

    aliases = aws("kms", "list-aliases", "--key-id", key["KeyId"])["Aliases"]
    assert [a["AliasName"] for a in aliases] == [alias]
    assert aliases[0]["AliasArn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:{alias}"
    assert aliases[0]["TargetKeyId"] == key["KeyId"]
    everything = aws("kms", "list-aliases")["Aliases"]
    assert alias in [a["AliasName"] for a in everything]
    assert aws("kms", "describe-key", "--key-id", alias)["KeyMetadata"]["KeyId"] == key["KeyId"]


def test_kms_generate_data_key_round_trip(aws, tmp_path):
    key = make_key(aws)
    data_key = aws("kms", "generate-data-key", "--key-id", key["KeyId"], "--key-spec", "AES_256")
    plaintext = base64.b64decode(data_key["Plaintext"])
    assert len(plaintext) == 32
    assert data_key["KeyId"] == key["Arn"]
    (tmp_path / "dk.bin").write_bytes(base64.b64decode(data_key["CiphertextBlob"]))
    back = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'dk.bin'}")
    assert base64.b64decode(back["Plaintext"]) == plaintext

    without = aws(
        "kms", "generate-data-key-without-plaintext", "--key-id", key["KeyId"], "--number-of-bytes", "16"
    )
    assert "Plaintext" not in without
    (tmp_path / "dk2.bin").write_bytes(base64.b64decode(without["CiphertextBlob"]))
    back = aws("kms", "decrypt", "--ciphertext-blob", f"fileb://{tmp_path / 'dk2.bin'}")
    assert len(base64.b64decode(back["Plaintext"])) == 16

    random = aws("kms", "generate-random", "--number-of-bytes", "24")
    assert len(base64.b64decode(random["Plaintext"])) == 24


def test_kms_disabled_key_refuses_and_deleted_key_disappears(aws, cloudlet, tmp_path):
    key = make_key(aws)
    (tmp_path / "p.bin").write_bytes(b"hello")
    plaintext = ["--plaintext", f"fileb://{tmp_path / 'p.bin'}"]
    aws("kms", "encrypt", "--key-id", key["KeyId"], *plaintext)

    aws("kms", "disable-key", "--key-id", key["KeyId"])
    assert aws("kms", "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    aws.fails("DisabledException", "kms", "encrypt", "--key-id", key["KeyId"], *plaintext)
    aws("kms", "enable-key", "--key-id", key["KeyId"])
    aws("kms", "encrypt", "--key-id", key["KeyId"], *plaintext)

    scheduled = aws("kms", "schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", "7")
    assert scheduled["KeyId"] == key["Arn"]
    assert scheduled["KeyState"] == "PendingDeletion"
    assert scheduled["PendingWindowInDays"] == 7
    meta = aws("kms", "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion" and "DeletionDate" in meta
    aws.fails("KMSInvalidStateException", "kms", "encrypt", "--key-id", key["KeyId"], *plaintext)

    cloudlet.advance_clock(8 * DAY)
    aws.fails("NotFoundException", "kms", "describe-key", "--key-id", key["KeyId"])


def test_kms_cancel_key_deletion(aws):
    key = make_key(aws)
    aws("kms", "schedule-key-deletion", "--key-id", key["KeyId"], "--pending-window-in-days", "30")
    cancelled = aws("kms", "cancel-key-deletion", "--key-id", key["KeyId"])
    assert cancelled["KeyId"] == key["Arn"]
    # a cancelled key comes back disabled, as on AWS
    assert aws("kms", "describe-key", "--key-id", key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"


def test_kms_sign_and_verify_with_an_rsa_key(aws, tmp_path):
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = make_key(aws, "--key-spec", "RSA_2048", "--key-usage", "SIGN_VERIFY")
    assert key["KeySpec"] == "RSA_2048" and key["KeyUsage"] == "SIGN_VERIFY"
    assert "RSASSA_PSS_SHA_256" in key["SigningAlgorithms"]
    message = b"release v1.2.3 checksum abc123\n"
    (tmp_path / "msg.txt").write_bytes(message)
    (tmp_path / "other.txt").write_bytes(message + b"tampered")
    common = [
        "--key-id",
        key["KeyId"],
        "--message-type",
        "RAW",
        "--signing-algorithm",
        "RSASSA_PKCS1_V1_5_SHA_256",
    ]

    signed = aws("kms", "sign", *common, "--message", f"fileb://{tmp_path / 'msg.txt'}")
    assert signed["KeyId"] == key["Arn"]
    signature = base64.b64decode(signed["Signature"])
    (tmp_path / "sig.bin").write_bytes(signature)
    verified = aws(
        "kms",
        "verify",
        *common,
        "--message",
        f"fileb://{tmp_path / 'msg.txt'}",
        "--signature",
        f"fileb://{tmp_path / 'sig.bin'}",
    )
    assert verified["SignatureValid"] is True
    aws.fails(
        "KMSInvalidSignatureException",
        "kms",
        "verify",
        *common,
        "--message",
        f"fileb://{tmp_path / 'other.txt'}",
        "--signature",
        f"fileb://{tmp_path / 'sig.bin'}",
    )

    # the public key verifies the signature outside KMS too
    public = aws("kms", "get-public-key", "--key-id", key["KeyId"])
    assert public["KeySpec"] == "RSA_2048"
    loaded = serialization.load_der_public_key(base64.b64decode(public["PublicKey"]))
    loaded.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())

    # encrypting with a signing key is refused
    aws.fails(
        "InvalidKeyUsageException",
        "kms",
        "encrypt",
        "--key-id",
        key["KeyId"],
        "--plaintext",
        f"fileb://{tmp_path / 'msg.txt'}",
    )


# --------------------------------------------------------------------------- Secrets Manager


def test_secretsmanager_versions_and_stages(aws, tmp_path):
    name = unique("cli/app/db")
    first = json.dumps({"username": "app", "password": "one"})
    created = aws(
        "secretsmanager",
        "create-secret",
        "--name",
        name,
        "--description",
        "database login",
        "--secret-string",
        first,
        "--tags",
        "Key=env,Value=dev",
    )
    assert created["Name"] == name
    assert created["ARN"].startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:{name}-")
    v1 = created["VersionId"]

    got = aws("secretsmanager", "get-secret-value", "--secret-id", name)
    assert got["SecretString"] == first
    assert got["VersionId"] == v1 and got["VersionStages"] == ["AWSCURRENT"]
    assert aws("secretsmanager", "get-secret-value", "--secret-id", created["ARN"])["SecretString"] == first

    second = json.dumps({"username": "app", "password": "two"})
    put = aws("secretsmanager", "put-secret-value", "--secret-id", name, "--secret-string", second)
    v2 = put["VersionId"]
    assert v2 != v1 and put["VersionStages"] == ["AWSCURRENT"]
    assert aws("secretsmanager", "get-secret-value", "--secret-id", name)["SecretString"] == second
    previous = aws(
        "secretsmanager", "get-secret-value", "--secret-id", name, "--version-stage", "AWSPREVIOUS"
    )
    assert previous["SecretString"] == first and previous["VersionId"] == v1
    by_id = aws("secretsmanager", "get-secret-value", "--secret-id", name, "--version-id", v1)
    assert by_id["SecretString"] == first

    versions = aws("secretsmanager", "list-secret-version-ids", "--secret-id", name)["Versions"]
    stages = {v["VersionId"]: v["VersionStages"] for v in versions}
    assert stages == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}

    described = aws("secretsmanager", "describe-secret", "--secret-id", name)
    assert described["ARN"] == created["ARN"]
    assert described["Description"] == "database login"
    assert described["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], v2: ["AWSCURRENT"]}
    assert described["Tags"] == [{"Key": "env", "Value": "dev"}]

    # a binary secret from a file
    blob = os.urandom(64)
    (tmp_path / "blob.bin").write_bytes(blob)
    bin_name = unique("cli/bin")
    aws(
        "secretsmanager",
        "create-secret",
        "--name",
        bin_name,
        "--secret-binary",
        f"fileb://{tmp_path / 'blob.bin'}",
    )
    got = aws("secretsmanager", "get-secret-value", "--secret-id", bin_name)
    assert base64.b64decode(got["SecretBinary"]) == blob and "SecretString" not in got

    aws.fails(
        "ResourceExistsException", "secretsmanager", "create-secret", "--name", name, "--secret-string", "x"
    )
    aws.fails(
        "ResourceNotFoundException", "secretsmanager", "get-secret-value", "--secret-id", name + "-missing"
    )


def test_secretsmanager_list_secrets_with_filters(aws):
    prefix = unique("cli-list")
    names = [f"{prefix}/a", f"{prefix}/b", f"{prefix}/c"]
    for i, name in enumerate(names):
        tags = ["--tags", f"Key=tier,Value={'gold' if i == 0 else 'silver'}"]
        aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "v", *tags)

    listed = aws("secretsmanager", "list-secrets", "--filters", f"Key=name,Values={prefix}")["SecretList"]
    assert sorted(s["Name"] for s in listed) == names
    gold = aws(
        "secretsmanager",
        "list-secrets",
        "--filters",
        f"Key=name,Values={prefix}",
        "Key=tag-value,Values=gold",
    )["SecretList"]
    assert [s["Name"] for s in gold] == [names[0]]
    paged = aws(
        "secretsmanager", "list-secrets", "--filters", f"Key=name,Values={prefix}", "--page-size", "1"
    )
    assert sorted(s["Name"] for s in paged["SecretList"]) == names


def test_secretsmanager_get_random_password_options(aws):
    password = aws(
        "secretsmanager",
        "get-random-password",
        "--password-length",
        "24",
        "--exclude-punctuation",
        "--require-each-included-type",
    )["RandomPassword"]
    assert len(password) == 24
    assert password.isalnum()
    assert any(c.isupper() for c in password) and any(c.islower() for c in password)
    assert any(c.isdigit() for c in password)

    digits = aws(
        "secretsmanager",
        "get-random-password",
        "--password-length",
        "12",
        "--exclude-lowercase",
        "--exclude-uppercase",
        "--exclude-punctuation",
    )["RandomPassword"]
    assert len(digits) == 12 and digits.isdigit()

    excluded = aws(
        "secretsmanager",
        "get-random-password",
        "--password-length",
        "40",
        "--exclude-characters",
        "abcdefABCDEF0123",
    )["RandomPassword"]
    assert len(excluded) == 40 and not set(excluded) & set("abcdefABCDEF0123")

    spaced = aws("secretsmanager", "get-random-password", "--include-space", "--password-length", "64")
    assert len(spaced["RandomPassword"]) == 64
    assert len(aws("secretsmanager", "get-random-password")["RandomPassword"]) == 32


def test_secretsmanager_delete_restore_and_expire(aws, cloudlet):
    name = unique("cli/deleted")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "s3cr3t")

    deleted = aws("secretsmanager", "delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
    assert deleted["Name"] == name and "DeletionDate" in deleted
    aws.fails("InvalidRequestException", "secretsmanager", "get-secret-value", "--secret-id", name)
    assert "DeletedDate" in aws("secretsmanager", "describe-secret", "--secret-id", name)

    restored = aws("secretsmanager", "restore-secret", "--secret-id", name)
    assert restored["Name"] == name
    assert aws("secretsmanager", "get-secret-value", "--secret-id", name)["SecretString"] == "s3cr3t"

    aws("secretsmanager", "delete-secret", "--secret-id", name, "--recovery-window-in-days", "7")
    cloudlet.advance_clock(8 * DAY)
    aws.fails("ResourceNotFoundException", "secretsmanager", "get-secret-value", "--secret-id", name)
    aws.fails("ResourceNotFoundException", "secretsmanager", "restore-secret", "--secret-id", name)
    # the name is free again
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "again")


def test_secretsmanager_force_delete_without_recovery(aws):
    name = unique("cli/force")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "x")
    aws("secretsmanager", "delete-secret", "--secret-id", name, "--force-delete-without-recovery")
    aws.fails("ResourceNotFoundException", "secretsmanager", "describe-secret", "--secret-id", name)


# ------------------------------------------------------------------------------------- SSM


def test_ssm_parameter_types_and_decryption(aws):
    root = f"/{unique('cli')}"
    put = aws("ssm", "put-parameter", "--name", f"{root}/host", "--value", "db.internal", "--type", "String")
    assert put["Version"] == 1 and put["Tier"] == "Standard"
    aws("ssm", "put-parameter", "--name", f"{root}/zones", "--value", "a,b,c", "--type", "StringList")
    aws("ssm", "put-parameter", "--name", f"{root}/password", "--value", "hunter2", "--type", "SecureString")

    host = aws("ssm", "get-parameter", "--name", f"{root}/host")["Parameter"]
    assert host["Value"] == "db.internal" and host["Type"] == "String"
    assert host["ARN"] == f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter{root}/host"
    zones = aws("ssm", "get-parameter", "--name", f"{root}/zones")["Parameter"]
    assert zones["Value"] == "a,b,c" and zones["Type"] == "StringList"

    hidden = aws("ssm", "get-parameter", "--name", f"{root}/password")["Parameter"]
    assert hidden["Type"] == "SecureString" and hidden["Value"] != "hunter2"
    shown = aws("ssm", "get-parameter", "--name", f"{root}/password", "--with-decryption")["Parameter"]
    assert shown["Value"] == "hunter2"

    many = aws(
        "ssm",
        "get-parameters",
        "--names",
        f"{root}/host",
        f"{root}/password",
        f"{root}/nope",
        "--with-decryption",
    )
    assert {p["Name"]: p["Value"] for p in many["Parameters"]} == {
        f"{root}/host": "db.internal",
        f"{root}/password": "hunter2",
    }
    assert many["InvalidParameters"] == [f"{root}/nope"]

    aws.fails(
        "ParameterAlreadyExists",
        "ssm",
        "put-parameter",
        "--name",
        f"{root}/host",
        "--value",
        "x",
        "--type",
        "String",
    )
    aws.fails("ParameterNotFound", "ssm", "get-parameter", "--name", f"{root}/missing")


def test_ssm_secure_string_with_a_customer_key(aws):
    key = make_key(aws)
    alias = f"alias/{unique('ssm')}"
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key["KeyId"])
    name = f"/{unique('cli')}/token"
    aws(
        "ssm",
        "put-parameter",
        "--name",
        name,
        "--value",
        "t0k3n",
        "--type",
        "SecureString",
        "--key-id",
        alias,
    )
    described = aws("ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={name}")[
        "Parameters"
    ]
    assert len(described) == 1 and described[0]["KeyId"] == alias
    assert aws("ssm", "get-parameter", "--name", name, "--with-decryption")["Parameter"]["Value"] == "t0k3n"


def test_ssm_get_parameters_by_path_recursive_with_pagination(aws):
    root = f"/{unique('cli')}"
    names = [f"{root}/a", f"{root}/b", f"{root}/nested/c", f"{root}/nested/deeper/d", f"{root}/e"]
    for name in names:
        aws("ssm", "put-parameter", "--name", name, "--value", name.rsplit("/", 1)[1], "--type", "String")

    top = aws("ssm", "get-parameters-by-path", "--path", root)["Parameters"]
    assert sorted(p["Name"] for p in top) == [f"{root}/a", f"{root}/b", f"{root}/e"]

    seen: list[str] = []
    page = aws("ssm", "get-parameters-by-path", "--path", root, "--recursive", "--max-items", "2")
    seen += [p["Name"] for p in page["Parameters"]]
    assert len(page["Parameters"]) == 2
    while "NextToken" in page:
        page = aws(
            "ssm",
            "get-parameters-by-path",
            "--path",
            root,
            "--recursive",
            "--max-items",
            "2",
            "--starting-token",
            page["NextToken"],
        )
        assert 1 <= len(page["Parameters"]) <= 2
        seen += [p["Name"] for p in page["Parameters"]]
    assert sorted(seen) == sorted(names)

    small_pages = aws("ssm", "get-parameters-by-path", "--path", root, "--recursive", "--page-size", "1")
    assert sorted(p["Name"] for p in small_pages["Parameters"]) == sorted(names)


def test_ssm_labels_and_history(aws):
    name = f"/{unique('cli')}/feature"
    aws("ssm", "put-parameter", "--name", name, "--value", "off", "--type", "String", "--description", "flag")
    second = aws("ssm", "put-parameter", "--name", name, "--value", "on", "--type", "String", "--overwrite")
    assert second["Version"] == 2
    aws.fails(
        "ParameterAlreadyExists", "ssm", "put-parameter", "--name", name, "--value", "x", "--type", "String"
    )

    labelled = aws(
        "ssm",
        "label-parameter-version",
        "--name",
        name,
        "--parameter-version",
        "1",
        "--labels",
        "stable",
        "prod",
    )
    assert labelled["InvalidLabels"] == [] and labelled["ParameterVersion"] == 1
    aws("ssm", "label-parameter-version", "--name", name, "--labels", "latest")  # the newest version

    stable = aws("ssm", "get-parameter", "--name", f"{name}:stable")["Parameter"]
    assert stable["Value"] == "off" and stable["Version"] == 1 and stable["Selector"] == ":stable"
    assert aws("ssm", "get-parameter", "--name", f"{name}:1")["Parameter"]["Value"] == "off"
    assert aws("ssm", "get-parameter", "--name", f"{name}:latest")["Parameter"]["Value"] == "on"
    assert aws("ssm", "get-parameter", "--name", name)["Parameter"]["Value"] == "on"
    aws.fails("ParameterVersionNotFound", "ssm", "get-parameter", "--name", f"{name}:nope")

    history = aws("ssm", "get-parameter-history", "--name", name)["Parameters"]
    assert [(h["Version"], h["Value"]) for h in history] == [(1, "off"), (2, "on")]
    assert sorted(history[0]["Labels"]) == ["prod", "stable"]
    assert history[1]["Labels"] == ["latest"]

    # a label moves to the version it is put on
    aws("ssm", "label-parameter-version", "--name", name, "--parameter-version", "2", "--labels", "stable")
    assert aws("ssm", "get-parameter", "--name", f"{name}:stable")["Parameter"]["Value"] == "on"
    aws("ssm", "unlabel-parameter-version", "--name", name, "--parameter-version", "1", "--labels", "prod")
    history = aws("ssm", "get-parameter-history", "--name", name)["Parameters"]
    assert history[0]["Labels"] == []

    aws("ssm", "delete-parameter", "--name", name)
    aws.fails("ParameterNotFound", "ssm", "get-parameter", "--name", name)


def test_ssm_describe_parameters_with_filters(aws):
    root = f"/{unique('cli')}"
    aws("ssm", "put-parameter", "--name", f"{root}/plain", "--value", "1", "--type", "String")
    aws("ssm", "put-parameter", "--name", f"{root}/secret", "--value", "2", "--type", "SecureString")
    aws("ssm", "put-parameter", "--name", f"{root}/sub/list", "--value", "3,4", "--type", "StringList")

    def names(*filters: str) -> list[str]:
        found = aws("ssm", "describe-parameters", "--parameter-filters", *filters)["Parameters"]
        return sorted(p["Name"] for p in found)

    assert names(f"Key=Name,Option=BeginsWith,Values={root}/") == [
        f"{root}/plain",
        f"{root}/secret",
        f"{root}/sub/list",
    ]
    assert names(f"Key=Path,Option=OneLevel,Values={root}") == [f"{root}/plain", f"{root}/secret"]
    assert names(f"Key=Path,Option=Recursive,Values={root}", "Key=Type,Values=SecureString") == [
        f"{root}/secret"
    ]
    assert names(f"Key=Name,Option=Contains,Values={root[1:]}/sub") == [f"{root}/sub/list"]
    assert names(f"Key=Name,Values={root}/plain") == [f"{root}/plain"]
    aws.fails(
        "InvalidFilterOption",
        "ssm",
        "describe-parameters",
        "--parameter-filters",
        "Key=Type,Option=Recursive,Values=String",
    )


def test_ssm_public_global_infrastructure_regions(aws):
    regions = aws("ssm", "get-parameters-by-path", "--path", "/aws/service/global-infrastructure/regions")[
        "Parameters"
    ]
    values = {p["Value"] for p in regions}
    assert {"us-east-1", "eu-west-1", "ap-southeast-2"} <= values
    assert all(p["Name"] == f"/aws/service/global-infrastructure/regions/{p['Value']}" for p in regions)
    one = aws("ssm", "get-parameter", "--name", "/aws/service/global-infrastructure/regions/us-east-1")
    assert one["Parameter"]["Value"] == "us-east-1"
    paged = aws(
        "ssm",
        "get-parameters-by-path",
        "--path",
        "/aws/service/global-infrastructure/regions",
        "--page-size",
        "5",
    )["Parameters"]
    assert {p["Value"] for p in paged} == values


# ----------------------------------------------------------------------------- S3 + SSE-KMS


def test_s3api_put_object_with_sse_kms_alias(aws, tmp_path):
    key = make_key(aws)
    alias = f"alias/{unique('s3')}"
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", key["KeyId"])
    bucket = unique("cli-sse")
    aws("s3api", "create-bucket", "--bucket", bucket)
    body = b"confidential report\n" * 100
    (tmp_path / "report.txt").write_bytes(body)

    put = aws(
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        "reports/q1.txt",
        "--body",
        str(tmp_path / "report.txt"),
        "--server-side-encryption",
        "aws:kms",
        "--ssekms-key-id",
        alias,
    )
    assert put["ServerSideEncryption"] == "aws:kms"
    assert put["SSEKMSKeyId"] == key["Arn"]

    head = aws("s3api", "head-object", "--bucket", bucket, "--key", "reports/q1.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == key["Arn"]
    assert head["ContentLength"] == len(body)

    got = aws("s3api", "get-object", "--bucket", bucket, "--key", "reports/q1.txt", str(tmp_path / "out.txt"))
    assert got["SSEKMSKeyId"] == key["Arn"]
    assert (tmp_path / "out.txt").read_bytes() == body

    # a disabled key makes the object unreadable
    aws("kms", "disable-key", "--key-id", key["KeyId"])
    aws.fails(
        "KMS.DisabledException",
        "s3api",
        "get-object",
        "--bucket",
        bucket,
        "--key",
        "reports/q1.txt",
        str(tmp_path / "x"),
    )
    aws("kms", "enable-key", "--key-id", key["KeyId"])

    # the high-level command too
    cp = aws.run(
        "s3",
        "cp",
        str(tmp_path / "report.txt"),
        f"s3://{bucket}/cp.txt",
        "--sse",
        "aws:kms",
        "--sse-kms-key-id",
        key["KeyId"],
    )
    assert cp.returncode == 0, cp.stderr
    head = aws("s3api", "head-object", "--bucket", bucket, "--key", "cp.txt")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]


# ------------------------------------------------------------------------ more developer flows


def test_iam_role_assumed_with_the_users_key(aws, tmp_path):
    user = unique("cli-dev")
    role = unique("cli-deploy")
    user_arn = aws("iam", "create-user", "--user-name", user)["User"]["Arn"]
    key = aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": user_arn}, "Action": "sts:AssumeRole"}],
    }
    role_arn = aws(
        "iam",
        "create-role",
        "--role-name",
        role,
        "--assume-role-policy-document",
        write_json(tmp_path / "t.json", trust),
    )["Role"]["Arn"]
    # the CLI's waiter polls GetRole
    assert aws.run("iam", "wait", "role-exists", "--role-name", role).returncode == 0
    assert aws.run("iam", "wait", "user-exists", "--user-name", user).returncode == 0

    as_user = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}
    assumed = aws(
        "sts",
        "assume-role",
        "--role-arn",
        role_arn,
        "--role-session-name",
        "deploy",
        "--duration-seconds",
        "900",
        env=as_user,
    )
    creds = assumed["Credentials"]
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/deploy"
    session = {
        "AWS_ACCESS_KEY_ID": creds["AccessKeyId"],
        "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"],
        "AWS_SESSION_TOKEN": creds["SessionToken"],
    }
    identity = aws("sts", "get-caller-identity", env=session)
    assert identity["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{role}/deploy"
    assert identity["Account"] == ACCOUNT

    # the managed policy's view of the role, from the role's own description
    aws("iam", "attach-role-policy", "--role-name", role, "--policy-arn", LAMBDA_BASIC)
    simulated = aws(
        "iam",
        "simulate-principal-policy",
        "--policy-source-arn",
        role_arn,
        "--action-names",
        "logs:PutLogEvents",
        "s3:GetObject",
    )["EvaluationResults"]
    assert {r["EvalActionName"]: r["EvalDecision"] for r in simulated} == {
        "logs:PutLogEvents": "allowed",
        "s3:GetObject": "implicitDeny",
    }

    # an instance profile holding the role also blocks its deletion
    aws("iam", "detach-role-policy", "--role-name", role, "--policy-arn", LAMBDA_BASIC)
    aws("iam", "create-instance-profile", "--instance-profile-name", role)
    aws("iam", "add-role-to-instance-profile", "--instance-profile-name", role, "--role-name", role)
    aws.fails("DeleteConflict", "iam", "delete-role", "--role-name", role)
    aws("iam", "remove-role-from-instance-profile", "--instance-profile-name", role, "--role-name", role)
    aws("iam", "delete-instance-profile", "--instance-profile-name", role)
    aws("iam", "delete-role", "--role-name", role)


def test_iam_malformed_trust_policy_is_refused(aws, tmp_path):
    (tmp_path / "bad.json").write_text('{"Version": "2012-10-17", "Statement": [')
    aws.fails(
        "MalformedPolicyDocument",
        "iam",
        "create-role",
        "--role-name",
        unique("cli-bad"),
        "--assume-role-policy-document",
        f"file://{tmp_path / 'bad.json'}",
    )
    aws.fails(
        "NoSuchEntity",
        "iam",
        "attach-role-policy",
        "--role-name",
        unique("cli-none"),
        "--policy-arn",
        LAMBDA_BASIC,
    )
    role = unique("cli-role")
    aws(
        "iam",
        "create-role",
        "--role-name",
        role,
        "--assume-role-policy-document",
        write_json(tmp_path / "t.json", TRUST),
    )
    aws.fails(
        "NoSuchEntity",
        "iam",
        "attach-role-policy",
        "--role-name",
        role,
        "--policy-arn",
        "arn:aws:iam::aws:policy/NoSuchPolicyAtAll",
    )
    aws.fails(
        "EntityAlreadyExists",
        "iam",
        "create-role",
        "--role-name",
        role,
        "--assume-role-policy-document",
        f"file://{tmp_path / 't.json'}",
    )


def test_kms_re_encrypt_aliases_rotation_and_tags(aws, tmp_path):
    source = make_key(aws, "--tags", "TagKey=app,TagValue=billing")
    target = make_key(aws)
    alias = f"alias/{unique('cli')}"
    aws("kms", "create-alias", "--alias-name", alias, "--target-key-id", source["KeyId"])
    (tmp_path / "p.bin").write_bytes(b"move me")
    aws.shell(
        f"aws kms encrypt --key-id {alias} --plaintext fileb://p.bin "
        '--encryption-context \'{"order":"42"}\' --query CiphertextBlob --output text | base64 -d > c1.bin'
    )
    moved = aws(
        "kms",
        "re-encrypt",
        "--ciphertext-blob",
        "fileb://c1.bin",
        "--source-encryption-context",
        "order=42",
        "--destination-key-id",
        target["KeyId"],
    )
    assert moved["SourceKeyId"] == source["Arn"] and moved["KeyId"] == target["Arn"]
    (tmp_path / "c2.bin").write_bytes(base64.b64decode(moved["CiphertextBlob"]))
    back = aws("kms", "decrypt", "--ciphertext-blob", "fileb://c2.bin")
    assert back["KeyId"] == target["Arn"] and base64.b64decode(back["Plaintext"]) == b"move me"

    # the alias moves to the other key; the alias ARN works as a key id
    aws("kms", "update-alias", "--alias-name", alias, "--target-key-id", target["KeyId"])
    alias_arn = f"arn:aws:kms:us-east-1:{ACCOUNT}:{alias}"
    assert aws("kms", "describe-key", "--key-id", alias_arn)["KeyMetadata"]["KeyId"] == target["KeyId"]
    aws("kms", "delete-alias", "--alias-name", alias)
    aws.fails("NotFoundException", "kms", "describe-key", "--key-id", alias)

    aws("kms", "enable-key-rotation", "--key-id", source["KeyId"])
    assert aws("kms", "get-key-rotation-status", "--key-id", source["KeyId"])["KeyRotationEnabled"] is True
    tags = aws("kms", "list-resource-tags", "--key-id", source["KeyId"])["Tags"]
    assert tags == [{"TagKey": "app", "TagValue": "billing"}]
    policy = aws(
        "kms", "get-key-policy", "--key-id", source["KeyId"], "--policy-name", "default", "--query", "Policy"
    )
    assert f"arn:aws:iam::{ACCOUNT}:root" in policy

    listed: list[str] = []
    page = aws("kms", "list-keys", "--max-items", "1")
    listed += [k["KeyId"] for k in page["Keys"]]
    while "NextToken" in page and len(listed) < 500:
        page = aws("kms", "list-keys", "--max-items", "50", "--starting-token", page["NextToken"])
        listed += [k["KeyId"] for k in page["Keys"]]
    assert {source["KeyId"], target["KeyId"]} <= set(listed)
    assert len(listed) == len(set(listed))


def test_kms_ecc_sign_digest_and_data_key_pair(aws, tmp_path):
    import hashlib

    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, utils

    key = make_key(aws, "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY")
    digest = hashlib.sha256(b"artifact bytes").digest()
    (tmp_path / "digest.bin").write_bytes(digest)
    signed = aws(
        "kms",
        "sign",
        "--key-id",
        key["KeyId"],
        "--message",
        "fileb://digest.bin",
        "--message-type",
        "DIGEST",
        "--signing-algorithm",
        "ECDSA_SHA_256",
    )
    signature = base64.b64decode(signed["Signature"])
    public = aws("kms", "get-public-key", "--key-id", key["KeyId"])
    loaded = serialization.load_der_public_key(base64.b64decode(public["PublicKey"]))
    loaded.verify(signature, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))

    symmetric = make_key(aws)
    pair = aws("kms", "generate-data-key-pair", "--key-id", symmetric["KeyId"], "--key-pair-spec", "RSA_2048")
    private = serialization.load_der_private_key(base64.b64decode(pair["PrivateKeyPlaintext"]), None)
    assert private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    ) == base64.b64decode(pair["PublicKey"])
    (tmp_path / "priv.bin").write_bytes(base64.b64decode(pair["PrivateKeyCiphertextBlob"]))
    back = aws("kms", "decrypt", "--ciphertext-blob", "fileb://priv.bin")
    assert back["Plaintext"] == pair["PrivateKeyPlaintext"]


def test_secretsmanager_customer_key_stage_moves_and_batch_get(aws):
    key = make_key(aws)
    name = unique("cli/kms-secret")
    created = aws(
        "secretsmanager", "create-secret", "--name", name, "--kms-key-id", key["Arn"], "--secret-string", "v1"
    )
    assert aws("secretsmanager", "describe-secret", "--secret-id", name)["KmsKeyId"] == key["Arn"]
    text = aws.run(
        "secretsmanager",
        "get-secret-value",
        "--secret-id",
        name,
        "--query",
        "SecretString",
        "--output",
        "text",
    )
    assert text.stdout == "v1\n"

    # a staged (pending) version, then moved to AWSCURRENT by hand, as a rotation would
    pending = aws(
        "secretsmanager",
        "put-secret-value",
        "--secret-id",
        name,
        "--secret-string",
        "v2",
        "--version-stages",
        "AWSPENDING",
    )
    assert pending["VersionStages"] == ["AWSPENDING"]
    assert aws("secretsmanager", "get-secret-value", "--secret-id", name)["SecretString"] == "v1"
    aws(
        "secretsmanager",
        "update-secret-version-stage",
        "--secret-id",
        name,
        "--version-stage",
        "AWSCURRENT",
        "--move-to-version-id",
        pending["VersionId"],
        "--remove-from-version-id",
        created["VersionId"],
    )
    assert aws("secretsmanager", "get-secret-value", "--secret-id", name)["SecretString"] == "v2"
    stages = {
        v["VersionId"]: sorted(v["VersionStages"])
        for v in aws("secretsmanager", "list-secret-version-ids", "--secret-id", name)["Versions"]
    }
    assert stages == {
        created["VersionId"]: ["AWSPREVIOUS"],
        pending["VersionId"]: ["AWSCURRENT", "AWSPENDING"],
    }

    other = unique("cli/kms-secret")
    aws("secretsmanager", "create-secret", "--name", other, "--secret-string", "o")
    batch = aws("secretsmanager", "batch-get-secret-value", "--secret-id-list", name, other)
    assert {s["Name"]: s["SecretString"] for s in batch["SecretValues"]} == {name: "v2", other: "o"}
    assert batch["Errors"] == []

    # the secret's key disabled: its value cannot be read
    aws("kms", "disable-key", "--key-id", key["KeyId"])
    try:
        err = aws.run("secretsmanager", "get-secret-value", "--secret-id", name)
        assert err.returncode != 0
        assert "(DecryptionFailure)" in err.stderr, err.stderr
    finally:
        aws("kms", "enable-key", "--key-id", key["KeyId"])

    aws("secretsmanager", "tag-resource", "--secret-id", name, "--tags", "Key=owner,Value=me")
    aws("secretsmanager", "untag-resource", "--secret-id", name, "--tag-keys", "owner")
    assert aws("secretsmanager", "describe-secret", "--secret-id", name).get("Tags", []) == []


def test_ssm_reference_to_a_secrets_manager_secret(aws):
    name = unique("cli/ref")
    aws("secretsmanager", "create-secret", "--name", name, "--secret-string", "from-secrets-manager")
    got = aws("ssm", "get-parameter", "--name", f"/aws/reference/secretsmanager/{name}", "--with-decryption")
    assert got["Parameter"]["Value"] == "from-secrets-manager"
    assert got["Parameter"]["Type"] == "SecureString"


def test_ssm_tags_patterns_expiration_and_bulk_delete(aws, cloudlet):
    root = f"/{unique('cli')}"
    aws(
        "ssm",
        "put-parameter",
        "--name",
        f"{root}/tagged",
        "--value",
        "v",
        "--type",
        "String",
        "--tags",
        "Key=team,Value=web",
    )
    tags = aws(
        "ssm", "list-tags-for-resource", "--resource-type", "Parameter", "--resource-id", f"{root}/tagged"
    )
    assert tags["TagList"] == [{"Key": "team", "Value": "web"}]
    found = aws("ssm", "describe-parameters", "--parameter-filters", "Key=tag:team,Values=web")["Parameters"]
    assert f"{root}/tagged" in [p["Name"] for p in found]

    aws.fails(
        "ParameterPatternMismatchException",
        "ssm",
        "put-parameter",
        "--name",
        f"{root}/port",
        "--value",
        "eighty",
        "--type",
        "String",
        "--allowed-pattern",
        "^[0-9]+$",
    )

    policies = json.dumps(
        [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2999-01-01T00:00:00Z"}}]
    )
    put = aws(
        "ssm",
        "put-parameter",
        "--name",
        f"{root}/advanced",
        "--value",
        "big",
        "--type",
        "String",
        "--tier",
        "Advanced",
        "--policies",
        policies,
    )
    assert put["Tier"] == "Advanced"
    described = aws("ssm", "describe-parameters", "--parameter-filters", f"Key=Name,Values={root}/advanced")[
        "Parameters"
    ]
    assert described[0]["Tier"] == "Advanced"
    assert described[0]["Policies"][0]["PolicyType"] == "Expiration"

    secure = f"{root}/secure"
    aws("ssm", "put-parameter", "--name", secure, "--value", "s", "--type", "SecureString")
    by_path = aws("ssm", "get-parameters-by-path", "--path", root, "--with-decryption")["Parameters"]
    assert {p["Name"]: p["Value"] for p in by_path}[secure] == "s"

    deleted = aws("ssm", "delete-parameters", "--names", f"{root}/tagged", secure, f"{root}/never")
    assert sorted(deleted["DeletedParameters"]) == sorted([f"{root}/tagged", secure])
    assert deleted["InvalidParameters"] == [f"{root}/never"]


def test_s3_bucket_default_encryption_with_a_kms_key(aws, tmp_path):
    key = make_key(aws)
    bucket = unique("cli-default-sse")
    aws("s3api", "create-bucket", "--bucket", bucket)
    rules = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": key["Arn"],
                },
                "BucketKeyEnabled": True,
            }
        ]
    }
    aws(
        "s3api",
        "put-bucket-encryption",
        "--bucket",
        bucket,
        "--server-side-encryption-configuration",
        write_json(tmp_path / "enc.json", rules),
    )
    got = aws("s3api", "get-bucket-encryption", "--bucket", bucket)["ServerSideEncryptionConfiguration"]
    assert got["Rules"][0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key["Arn"]
    (tmp_path / "f.txt").write_text("plain upload")
    aws("s3api", "put-object", "--bucket", bucket, "--key", "f.txt", "--body", str(tmp_path / "f.txt"))
    head = aws("s3api", "head-object", "--bucket", bucket, "--key", "f.txt")
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key["Arn"]
    assert head.get("BucketKeyEnabled") is True

    # aws:kms without a key id uses the AWS managed key aws/s3
    aws(
        "s3api",
        "put-object",
        "--bucket",
        bucket,
        "--key",
        "managed.txt",
        "--body",
        str(tmp_path / "f.txt"),
        "--server-side-encryption",
        "aws:kms",
    )
    managed = aws("kms", "describe-key", "--key-id", "alias/aws/s3")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    head = aws("s3api", "head-object", "--bucket", bucket, "--key", "managed.txt")
    assert head["SSEKMSKeyId"] == managed["Arn"]


def test_ssm_invalid_labels_are_reported_not_applied(aws):
    name = f"/{unique('cli')}/labels"
    aws("ssm", "put-parameter", "--name", name, "--value", "v", "--type", "String")
    result = aws(
        "ssm", "label-parameter-version", "--name", name, "--labels", "good", "1bad", "awsbad", "ssm-bad"
    )
    assert sorted(result["InvalidLabels"]) == ["1bad", "awsbad", "ssm-bad"]
    history = aws("ssm", "get-parameter-history", "--name", name)["Parameters"]
    assert history[0]["Labels"] == ["good"]


def test_iam_role_tags_trust_update_and_list_pagination(aws, tmp_path):
    prefix = f"/{unique('cli')}/"
    roles = [unique("cli-r") for _ in range(3)]
    trust = write_json(tmp_path / "t.json", TRUST)
    for role in roles:
        aws(
            "iam",
            "create-role",
            "--role-name",
            role,
            "--path",
            prefix,
            "--assume-role-policy-document",
            trust,
        )
    first = aws("iam", "list-roles", "--path-prefix", prefix, "--max-items", "2")
    assert len(first["Roles"]) == 2
    rest = aws("iam", "list-roles", "--path-prefix", prefix, "--starting-token", first["NextToken"])
    assert "NextToken" not in rest
    assert sorted(r["RoleName"] for r in first["Roles"] + rest["Roles"]) == sorted(roles)

    aws("iam", "tag-role", "--role-name", roles[0], "--tags", "Key=a,Value=1", "Key=b,Value=2")
    aws("iam", "untag-role", "--role-name", roles[0], "--tag-keys", "a")
    assert aws("iam", "list-role-tags", "--role-name", roles[0])["Tags"] == [{"Key": "b", "Value": "2"}]

    ec2_trust = {
        **TRUST,
        "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}],
    }
    aws(
        "iam",
        "update-assume-role-policy",
        "--role-name",
        roles[0],
        "--policy-document",
        write_json(tmp_path / "ec2.json", ec2_trust),
    )
    assert aws("iam", "get-role", "--role-name", roles[0])["Role"]["AssumeRolePolicyDocument"] == ec2_trust
    for role in roles:
        aws("iam", "delete-role", "--role-name", role)
    assert aws("iam", "list-roles", "--path-prefix", prefix)["Roles"] == []
