"""AssumeRole on top of IAM: the role must exist and trust the caller; durations, role
chaining, session tags, web identity; and credentials refused once expired on the clock."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.testing.server import ServerThread, client, free_port

DUMMY_ROOT = "arn:aws:iam::000000000000:root"


def _name(prefix: str = "r") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def _account() -> str:
    return str(100000000000 + uuid.uuid4().int % 899999999999)


def _trust(principal: dict, condition: dict | None = None, action: object = None) -> str:
    statement: dict = {
        "Effect": "Allow",
        "Principal": principal,
        "Action": action or ["sts:AssumeRole", "sts:TagSession"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _role(aws_client, account: str, trust: str, **kwargs: object) -> dict:
    iam = aws_client("iam", aws_access_key_id=account)
    return iam.create_role(RoleName=_name(), AssumeRolePolicyDocument=trust, **kwargs)["Role"]


def _as(aws_client, service: str, creds: dict):
    return aws_client(
        service,
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds.get("SessionToken"),
    )


def _error(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def _denied(caller: str, role_arn: str, action: str = "sts:AssumeRole") -> tuple[str, str, int]:
    return (
        "AccessDenied",
        f"User: {caller} is not authorized to perform: {action} on resource: {role_arn}",
        403,
    )


def _jwt(claims: dict) -> str:
    def part(obj: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'none'})}.{part(claims)}.sig"


# ---- the role and its trust policy ------------------------------------------------------------


def test_a_role_that_does_not_exist_is_refused(aws_client):
    arn = f"arn:aws:iam::{_account()}:role/{_name()}"
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(RoleArn=arn, RoleSessionName="s1")
    assert _error(exc) == _denied(DUMMY_ROOT, arn)


def test_a_role_path_must_match(aws_client):
    role = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}), Path="/team/")
    wrong = role["Arn"].replace("/team/", "/other/")
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(RoleArn=wrong, RoleSessionName="s1")
    assert _error(exc) == _denied(DUMMY_ROOT, wrong)


@pytest.mark.parametrize(
    "principal", [{"AWS": DUMMY_ROOT}, {"AWS": "000000000000"}, {"AWS": ["000000000000"]}]
)
def test_dummy_credentials_act_as_the_account_root(aws_client, principal):
    account = _account()
    role = _role(aws_client, account, _trust(principal))
    out = aws_client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{account}:assumed-role/{role['RoleName']}/s1"
    # The session's id is the role's own RoleId, as GetCallerIdentity says it.
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:s1"
    ident = _as(aws_client, "sts", out["Credentials"]).get_caller_identity()
    assert ident["UserId"] == f"{role['RoleId']}:s1"
    assert ident["Account"] == account


def test_a_service_role_refuses_a_user(aws_client):
    role = _role(
        aws_client, "000000000000", _trust({"Service": "lambda.amazonaws.com"}, action="sts:AssumeRole")
    )
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert _error(exc) == _denied(DUMMY_ROOT, role["Arn"])


def test_another_account_is_refused_unless_trusted(aws_client):
    account = _account()
    role = _role(aws_client, account, _trust({"AWS": f"arn:aws:iam::{account}:root"}))
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert _error(exc) == _denied(DUMMY_ROOT, role["Arn"])
    # A caller of that account itself is allowed.
    aws_client("sts", aws_access_key_id=account).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")


def test_an_iam_user_is_the_caller(aws_client):
    account = _account()
    iam = aws_client("iam", aws_access_key_id=account)
    users = {}
    for who in ("alice", "bob"):
        arn = iam.create_user(UserName=_name(who))["User"]["Arn"]
        user = arn.rsplit("/", 1)[1]
        users[who] = (arn, iam.create_access_key(UserName=user)["AccessKey"])
    role = _role(aws_client, account, _trust({"AWS": users["alice"][0]}))
    _as(aws_client, "sts", users["alice"][1]).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "sts", users["bob"][1]).assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert _error(exc) == _denied(users["bob"][0], role["Arn"])


def test_an_explicit_deny_wins(aws_client):
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": DUMMY_ROOT}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
            ],
        }
    )
    role = _role(aws_client, "000000000000", trust)
    with pytest.raises(ClientError) as exc:
        aws_client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert _error(exc)[0] == "AccessDenied"


def test_external_id_condition(aws_client):
    role = _role(
        aws_client,
        "000000000000",
        _trust({"AWS": DUMMY_ROOT}, {"StringEquals": {"sts:ExternalId": "secret-42"}}),
    )
    sts = aws_client("sts")
    for extra in ({}, {"ExternalId": "wrong-one"}):
        with pytest.raises(ClientError) as exc:
            sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", **extra)
        assert _error(exc) == _denied(DUMMY_ROOT, role["Arn"])
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", ExternalId="secret-42")


def test_session_name_and_source_identity_conditions(aws_client):
    condition = {"StringLike": {"sts:RoleSessionName": "ci-*", "sts:SourceIdentity": "dev-*"}}
    role = _role(
        aws_client,
        "000000000000",
        _trust({"AWS": DUMMY_ROOT}, condition, ["sts:AssumeRole", "sts:SetSourceIdentity"]),
    )
    sts = aws_client("sts")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="other", SourceIdentity="dev-ann")
    with pytest.raises(ClientError):
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-1", SourceIdentity="ops-ann")
    out = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="ci-1", SourceIdentity="dev-ann")
    assert out["SourceIdentity"] == "dev-ann"


def test_tags_need_tag_session(aws_client):
    role = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}, action="sts:AssumeRole"))
    sts = aws_client("sts")
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", Tags=[{"Key": "k", "Value": "v"}])
    assert _error(exc) == _denied(DUMMY_ROOT, role["Arn"], "sts:TagSession")


# ---- durations and role chaining --------------------------------------------------------------


def test_duration_is_held_to_the_max_session_duration(aws_client):
    role = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}))
    sts = aws_client("sts")
    with pytest.raises(ClientError) as exc:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=3601)
    assert _error(exc) == (
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
        400,
    )
    long = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}), MaxSessionDuration=7200)
    sts.assume_role(RoleArn=long["Arn"], RoleSessionName="s1", DurationSeconds=7200)


def test_role_chaining(aws_client):
    first = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}))
    second = _role(aws_client, "000000000000", _trust({"AWS": first["Arn"]}), MaxSessionDuration=43200)
    creds = aws_client("sts").assume_role(RoleArn=first["Arn"], RoleSessionName="one")["Credentials"]
    as_first = _as(aws_client, "sts", creds)
    out = as_first.assume_role(RoleArn=second["Arn"], RoleSessionName="two")
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{second['RoleId']}:two"
    with pytest.raises(ClientError) as exc:
        as_first.assume_role(RoleArn=second["Arn"], RoleSessionName="two", DurationSeconds=7200)
    assert _error(exc)[0::2] == ("ValidationError", 400)
    # The second role does not trust itself: its session may not chain into it again.
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "sts", out["Credentials"]).assume_role(RoleArn=second["Arn"], RoleSessionName="x1")
    session_arn = f"arn:aws:sts::000000000000:assumed-role/{second['RoleName']}/two"
    assert _error(exc) == _denied(session_arn, second["Arn"])


def test_transitive_tags_pass_on_and_are_principal_tags(aws_client):
    first = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}))
    by_team = _role(
        aws_client,
        "000000000000",
        _trust({"AWS": "000000000000"}, {"StringEquals": {"aws:PrincipalTag/team": "blue"}}),
    )
    by_env = _role(
        aws_client,
        "000000000000",
        _trust({"AWS": "000000000000"}, {"StringEquals": {"aws:PrincipalTag/env": "dev"}}),
    )
    tags = [{"Key": "team", "Value": "blue"}, {"Key": "env", "Value": "dev"}]
    creds = aws_client("sts").assume_role(
        RoleArn=first["Arn"], RoleSessionName="one", Tags=tags, TransitiveTagKeys=["team"]
    )["Credentials"]
    as_first = _as(aws_client, "sts", creds)
    # Both tags are the first session's principal tags.
    as_first.assume_role(RoleArn=by_env["Arn"], RoleSessionName="two")
    chained = as_first.assume_role(RoleArn=by_team["Arn"], RoleSessionName="two")["Credentials"]
    as_second = _as(aws_client, "sts", chained)
    # Only the transitive one passed on.
    as_second.assume_role(RoleArn=by_team["Arn"], RoleSessionName="three")
    with pytest.raises(ClientError) as exc:
        as_second.assume_role(RoleArn=by_env["Arn"], RoleSessionName="three")
    assert _error(exc)[0] == "AccessDenied"
    # A transitive tag cannot be set again down the chain, whatever its case.
    for key in ("team", "TEAM"):
        with pytest.raises(ClientError) as exc:
            as_second.assume_role(
                RoleArn=by_team["Arn"], RoleSessionName="x1", Tags=[{"Key": key, "Value": "red"}]
            )
        assert _error(exc) == (
            "InvalidParameterValue",
            "One of the specified transitive tag keys can't be set because it conflicts with a "
            "transitive tag key from the calling session.",
            400,
        )


# ---- web identity -----------------------------------------------------------------------------


def test_web_identity_needs_a_trusting_role_and_a_provider(aws_client):
    account = _account()
    iam = aws_client("iam", aws_access_key_id=account)
    issuer = f"oidc-{uuid.uuid4().hex[:8]}.example"
    token = _jwt({"sub": "repo:me/app:ref:main", "aud": "sts.amazonaws.com", "iss": f"https://{issuer}"})
    provider_arn = f"arn:aws:iam::{account}:oidc-provider/{issuer}"
    condition = {"StringLike": {f"{issuer}:sub": "repo:me/*"}}
    role = _role(
        aws_client, account, _trust({"Federated": provider_arn}, condition, "sts:AssumeRoleWithWebIdentity")
    )
    sts = aws_client("sts")
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=token)
    assert _error(exc)[0::2] == ("InvalidIdentityToken", 400)
    iam.create_open_id_connect_provider(
        Url=f"https://{issuer}", ClientIDList=["sts.amazonaws.com"], ThumbprintList=["a" * 40]
    )
    out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=token)
    assert out["AssumedRoleUser"]["AssumedRoleId"] == f"{role['RoleId']}:w1"
    other = _jwt({"sub": "repo:them/app", "aud": "sts.amazonaws.com", "iss": f"https://{issuer}"})
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=other)
    assert _error(exc)[0::2] == ("AccessDenied", 403)
    missing = f"arn:aws:iam::{account}:role/{_name()}"
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=missing, RoleSessionName="w1", WebIdentityToken=token)
    assert _error(exc)[0] == "AccessDenied"
    # a token for another audience than the provider's client ids, and an expired one
    elsewhere = _jwt({"sub": "repo:me/app", "aud": "someone-else", "iss": f"https://{issuer}"})
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(
            RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=elsewhere
        )
    assert _error(exc) == ("InvalidIdentityToken", "Incorrect token audience", 400)
    expired = _jwt(
        {"sub": "repo:me/app", "aud": "sts.amazonaws.com", "iss": f"https://{issuer}", "exp": 1000}
    )
    with pytest.raises(ClientError) as exc:
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="w1", WebIdentityToken=expired)
    code, message, status = _error(exc)
    assert (code, status) == ("ExpiredTokenException", 400) and message.startswith(
        "Token expired: current date/time"
    )


def test_web_identity_of_a_well_known_provider(aws_client):
    role = _role(
        aws_client,
        "000000000000",
        _trust(
            {"Federated": "accounts.google.com"},
            {"StringEquals": {"accounts.google.com:aud": "my-client"}},
            "sts:AssumeRoleWithWebIdentity",
        ),
    )
    sts = aws_client("sts")
    token = _jwt({"sub": "1234", "aud": "my-client", "iss": "https://accounts.google.com"})
    out = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="g1", WebIdentityToken=token)
    assert out["Provider"] == "accounts.google.com"
    wrong = _jwt({"sub": "1234", "aud": "another", "iss": "https://accounts.google.com"})
    with pytest.raises(ClientError):
        sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="g1", WebIdentityToken=wrong)


# ---- expiry on the clock ----------------------------------------------------------------------


def test_issued_credentials_expire_on_the_clock(aws_client, cloudlet):
    role = _role(aws_client, "000000000000", _trust({"AWS": DUMMY_ROOT}))
    creds = aws_client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="s1", DurationSeconds=900)[
        "Credentials"
    ]
    token = aws_client("sts").get_session_token(DurationSeconds=1800)["Credentials"]
    _as(aws_client, "sts", creds).get_caller_identity()
    _as(aws_client, "dynamodb", creds).list_tables()
    cloudlet.advance_clock(901)
    expired = "The security token included in the request is expired"
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "sts", creds).get_caller_identity()
    assert _error(exc) == ("ExpiredToken", expired, 403)
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "iam", creds).list_roles()
    assert _error(exc) == ("ExpiredToken", expired, 403)
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "dynamodb", creds).list_tables()
    assert _error(exc) == ("ExpiredTokenException", expired, 400)
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "s3", creds).list_buckets()
    assert _error(exc) == ("ExpiredToken", "The provided token has expired.", 400)
    assert exc.value.response["Error"]["Token-0"] == creds["SessionToken"]
    # The GetSessionToken credentials have 15 minutes left.
    _as(aws_client, "sts", token).get_caller_identity()
    cloudlet.advance_clock(900)
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "sts", token).get_caller_identity()
    assert _error(exc)[0] == "ExpiredToken"


# ---- the permissive mode ----------------------------------------------------------------------


def test_skip_role_checks_takes_any_role():
    server = ServerThread(
        Config(port=free_port(), in_memory=True, log_level="warning", sts_skip_role_checks=True)
    ).start()
    try:
        out = client("sts", server.endpoint).assume_role(
            RoleArn="arn:aws:iam::123456789012:role/nowhere", RoleSessionName="s1"
        )
        assert out["AssumedRoleUser"]["Arn"] == "arn:aws:sts::123456789012:assumed-role/nowhere/s1"
    finally:
        server.stop()


def test_assuming_a_role_sets_its_role_last_used(aws_client):
    account = _account()
    role = _role(aws_client, account, _trust({"AWS": account}))
    iam = aws_client("iam", aws_access_key_id=account)
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"] == {}
    sts = aws_client("sts", aws_access_key_id=account, region_name="eu-west-1")
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="session")
    last = iam.get_role(RoleName=role["RoleName"])["Role"]["RoleLastUsed"]
    assert last["Region"] == "eu-west-1" and "LastUsedDate" in last


def test_get_session_token_refuses_session_credentials(aws_client):
    token = aws_client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    with pytest.raises(ClientError) as exc:
        _as(aws_client, "sts", token).get_session_token()
    assert _error(exc) == ("AccessDenied", "Cannot call GetSessionToken with session credentials", 403)
