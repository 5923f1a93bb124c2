"""STS through boto3 against a real server."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

DUMMY_ROOT = "arn:aws:iam::000000000000:root"


def make_role(aws_client, account: str, name: str = "", path: str = "/", **trusted: object) -> str:
    """A role in ``account`` whose trust policy allows ``trusted`` (by default the dummy
    credentials' account root) to assume it; its ARN."""
    name = name or f"r-{uuid.uuid4().hex[:10]}"
    principal = trusted or {"AWS": DUMMY_ROOT}
    action = (
        "sts:AssumeRoleWithWebIdentity" if "Federated" in principal else ["sts:AssumeRole", "sts:TagSession"]
    )
    trust = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": principal, "Action": action}],
    }
    iam = aws_client("iam", aws_access_key_id=account)
    return iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]


def _jwt(claims: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


def test_get_caller_identity_default_account(aws_client):
    ident = aws_client("sts").get_caller_identity()
    assert ident["Account"] == "000000000000"
    assert ident["Arn"] == "arn:aws:iam::000000000000:root"
    assert ident["UserId"] == "000000000000"


def test_twelve_digit_access_key_is_the_account(aws_client):
    sts = aws_client("sts", aws_access_key_id="111122223333")
    assert sts.get_caller_identity()["Account"] == "111122223333"


def test_assume_role_credentials_act_as_the_role(aws_client):
    sts = aws_client("sts")
    name = f"worker-{uuid.uuid4().hex[:8]}"
    role_arn = make_role(aws_client, "123456789012", name, path="/app/")
    assert role_arn == f"arn:aws:iam::123456789012:role/app/{name}"
    out = sts.assume_role(RoleArn=role_arn, RoleSessionName="job-1")
    user = out["AssumedRoleUser"]
    assert user["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{name}/job-1"
    assert user["AssumedRoleId"].startswith("AROA") and user["AssumedRoleId"].endswith(":job-1")
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA") and len(creds["AccessKeyId"]) == 20
    as_role = aws_client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    ident = as_role.get_caller_identity()
    assert ident["Account"] == "123456789012"
    assert ident["Arn"] == user["Arn"]
    assert ident["UserId"] == user["AssumedRoleId"]
    # The role id is stable for the same role.
    again = sts.assume_role(RoleArn=role_arn, RoleSessionName="job-2")
    assert again["AssumedRoleUser"]["AssumedRoleId"].split(":")[0] == user["AssumedRoleId"].split(":")[0]


def test_assume_role_duration_sets_expiration(aws_client, cloudlet):
    out = aws_client("sts").assume_role(
        RoleArn=make_role(aws_client, "123456789012"), RoleSessionName="s1", DurationSeconds=900
    )
    now = cloudlet.clock()["now"]
    assert abs(out["Credentials"]["Expiration"].timestamp() - (now + 900)) < 5


@pytest.mark.parametrize(
    "arn",
    [
        "nothing-valid-in-here",
        "arn::b:::something/test-role",
        "arn:a::::something/test-role",
        "arn:a:::something/test-role",
    ],
)
def test_assume_role_invalid_arn(aws_client, arn):
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")
    err = exc.value.response["Error"]
    assert err == {"Type": "Sender", "Code": "ValidationError", "Message": f"{arn} is invalid"}
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_assume_role_invalid_session_name(aws_client):
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/r", RoleSessionName="Session1:2"
        )
    assert exc.value.response["Error"]["Message"] == (
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    )


def test_assume_role_tag_rules(aws_client):
    sts = aws_client("sts")
    role = make_role(aws_client, "123456789012")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "a", "Value": "1"}, {"Key": "A", "Value": "2"}]
        )
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "case insensitive" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        sts.assume_role(
            RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "a", "Value": "1"}], TransitiveTagKeys=["b"]
        )
    assert exc.value.response["Error"]["Message"] == (
        "The specified transitive tag key must be included in the requested tags."
    )
    ok = sts.assume_role(RoleArn=role, RoleSessionName="s1", Tags=[{"Key": "a", "Value": "1"}])
    assert ok["PackedPolicySize"] > 0


def test_assume_role_with_web_identity(aws_client):
    iam = aws_client("iam", aws_access_key_id="123456789012")
    provider = iam.create_open_id_connect_provider(
        Url="https://issuer.example", ClientIDList=["my-app"], ThumbprintList=["a" * 40]
    )["OpenIDConnectProviderArn"]
    try:
        role_arn = make_role(aws_client, "123456789012", Federated=provider)
        token = _jwt({"sub": "user-42", "aud": "my-app", "iss": "https://issuer.example"})
        out = aws_client("sts").assume_role_with_web_identity(
            RoleArn=role_arn, RoleSessionName="web", WebIdentityToken=token
        )
    finally:
        iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=provider)
    assert out["SubjectFromWebIdentityToken"] == "user-42"
    assert out["Audience"] == "my-app"
    assert out["Provider"] == "issuer.example"
    name = role_arn.rsplit("/", 1)[1]
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::123456789012:assumed-role/{name}/web"


def test_assume_role_with_web_identity_bad_token(aws_client):
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role_with_web_identity(
            RoleArn="arn:aws:iam::123456789012:role/web", RoleSessionName="web", WebIdentityToken="not-a-jwt"
        )
    assert exc.value.response["Error"]["Code"] == "InvalidIdentityToken"


def test_get_session_token_keeps_the_caller(aws_client):
    sts = aws_client("sts", aws_access_key_id="444455556666")
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    session = aws_client(
        "sts",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    assert session.get_caller_identity()["Account"] == "444455556666"


def test_get_session_token_duration_out_of_range(aws_client):
    with pytest.raises(ClientError) as exc:
        sts = aws_client("sts", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
        sts.get_session_token(DurationSeconds=10)
    err = exc.value.response["Error"]
    assert err["Code"] == "ValidationError"
    assert "Member must have value greater than or equal to 900" in err["Message"]


def test_get_federation_token(aws_client):
    out = aws_client("sts").get_federation_token(Name="bob")
    assert out["FederatedUser"]["Arn"] == "arn:aws:sts::000000000000:federated-user/bob"
    assert out["FederatedUser"]["FederatedUserId"] == "000000000000:bob"
    assert out["PackedPolicySize"] == 0


def test_get_access_key_info(aws_client):
    sts = aws_client("sts")
    assert sts.get_access_key_info(AccessKeyId="AKIAIOSFODNN7EXAMPLE")["Account"] == "000000000000"
    role_arn = make_role(aws_client, "210987654321")
    creds = sts.assume_role(RoleArn=role_arn, RoleSessionName="s1")["Credentials"]
    assert sts.get_access_key_info(AccessKeyId=creds["AccessKeyId"])["Account"] == "210987654321"


def test_region_from_scope_in_partition(aws_client):
    ident = aws_client("sts", region_name="cn-north-1").get_caller_identity()
    assert ident["Arn"] == "arn:aws-cn:iam::000000000000:root"
