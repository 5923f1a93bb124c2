"""The policy evaluator, on the IAM User Guide's documented cases ("Policy evaluation logic",
"Condition operators", "IAM policy elements: Variables and tags")."""

from __future__ import annotations

import json

import pytest

from cloudlet.core.policy import PolicyError, Request, Source, context_of, evaluate, parse_policy


def policy(*statements: dict, version: str = "2012-10-17") -> Source:
    return Source(parse_policy(json.dumps({"Version": version, "Statement": list(statements)})), "p")


def allow(action="*", resource="*", **extra) -> dict:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="*", resource="*", **extra) -> dict:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def decide(action, resource="*", identity=(), resource_policies=(), boundary=None, **context) -> str:
    request = Request(
        action, resource, context_of(context), "arn:aws:iam::111122223333:user/alice", "111122223333"
    )
    return evaluate(request, identity, resource_policies, boundary).decision


def test_allow_and_implicit_deny():
    p = policy(allow("s3:GetObject", "arn:aws:s3:::bucket/*"))
    assert decide("s3:GetObject", "arn:aws:s3:::bucket/key", [p]) == "allowed"
    assert decide("s3:PutObject", "arn:aws:s3:::bucket/key", [p]) == "implicitDeny"
    assert decide("s3:GetObject", "arn:aws:s3:::other/key", [p]) == "implicitDeny"
    assert decide("s3:GetObject") == "implicitDeny"  # no policy at all


def test_explicit_deny_wins():
    p = policy(allow("s3:*"), deny("s3:DeleteBucket"))
    assert decide("s3:DeleteBucket", identity=[p]) == "explicitDeny"
    assert decide("s3:deletebucket", identity=[p]) == "explicitDeny"  # actions are case-insensitive
    assert decide("s3:ListBucket", identity=[p]) == "allowed"


def test_not_action_and_not_resource():
    p = policy({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    assert decide("s3:GetObject", identity=[p]) == "allowed"
    assert decide("iam:CreateUser", identity=[p]) == "implicitDeny"
    d = policy(
        allow(),
        {"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::mine", "arn:aws:s3:::mine/*"]},
    )
    assert decide("s3:GetObject", "arn:aws:s3:::mine/k", [d]) == "allowed"
    assert decide("s3:GetObject", "arn:aws:s3:::theirs/k", [d]) == "explicitDeny"


def test_permissions_boundary_limits_identity_policies():
    identity = policy(allow("s3:*"), allow("iam:*"))
    boundary = [policy(allow(["s3:*", "cloudwatch:*", "ec2:*"]))]
    assert decide("s3:GetObject", identity=[identity], boundary=boundary) == "allowed"
    assert decide("iam:CreateUser", identity=[identity], boundary=boundary) == "implicitDeny"
    assert decide("ec2:RunInstances", identity=[identity], boundary=boundary) == "implicitDeny"
    request = Request("iam:CreateUser")
    assert evaluate(request, [identity], (), boundary).boundary_allowed is False


def test_resource_policy_allows_the_named_principal():
    bucket = Source(
        parse_policy(
            json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"AWS": "arn:aws:iam::111122223333:user/alice"},
                            "Action": "s3:GetObject",
                            "Resource": "arn:aws:s3:::b/*",
                        }
                    ],
                }
            ),
            "resource",
        )
    )
    assert decide("s3:GetObject", "arn:aws:s3:::b/k", resource_policies=[bucket]) == "allowed"
    other = Request(
        "s3:GetObject", "arn:aws:s3:::b/k", {}, "arn:aws:iam::111122223333:user/bob", "111122223333"
    )
    assert evaluate(other, (), [bucket]).decision == "implicitDeny"


def test_string_and_numeric_conditions():
    p = policy(allow("s3:*", Condition={"StringEquals": {"aws:PrincipalTag/team": ["red", "blue"]}}))
    assert decide("s3:GetObject", identity=[p], **{"aws:PrincipalTag/team": "blue"}) == "allowed"
    assert decide("s3:GetObject", identity=[p], **{"aws:PrincipalTag/team": "green"}) == "implicitDeny"
    missing = evaluate(Request("s3:GetObject"), [p])
    assert missing.decision == "implicitDeny" and missing.missing == ["aws:PrincipalTag/team"]
    n = policy(allow("s3:ListBucket", Condition={"NumericLessThanEquals": {"s3:max-keys": "10"}}))
    assert decide("s3:ListBucket", identity=[n], **{"s3:max-keys": "10"}) == "allowed"
    assert decide("s3:ListBucket", identity=[n], **{"s3:max-keys": "11"}) == "implicitDeny"


def test_negated_operators_and_if_exists_on_missing_keys():
    negated = policy(allow("s3:*", Condition={"StringNotEquals": {"aws:PrincipalTag/env": "prod"}}))
    assert decide("s3:GetObject", identity=[negated]) == "allowed"  # key absent: negated is true
    if_exists = policy(allow("ec2:*", Condition={"StringEqualsIfExists": {"ec2:InstanceType": "t2.micro"}}))
    assert decide("ec2:RunInstances", identity=[if_exists]) == "allowed"
    assert (
        decide("ec2:RunInstances", identity=[if_exists], **{"ec2:InstanceType": "m5.large"}) == "implicitDeny"
    )
    null = policy(deny("s3:*", Condition={"Null": {"aws:MultiFactorAuthAge": "true"}}), allow("s3:*"))
    assert decide("s3:GetObject", identity=[null]) == "explicitDeny"
    assert decide("s3:GetObject", identity=[null], **{"aws:MultiFactorAuthAge": "30"}) == "allowed"


def test_ip_date_bool_arn_conditions():
    ip = policy(
        deny("*", Condition={"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.0/24"]}}), allow()
    )
    assert decide("s3:GetObject", identity=[ip], **{"aws:SourceIp": "192.0.2.7"}) == "allowed"
    assert decide("s3:GetObject", identity=[ip], **{"aws:SourceIp": "198.51.100.1"}) == "explicitDeny"
    date = policy(allow("*", Condition={"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}))
    assert decide("s3:GetObject", identity=[date], **{"aws:CurrentTime": "2029-06-01T00:00:00Z"}) == "allowed"
    assert (
        decide("s3:GetObject", identity=[date], **{"aws:CurrentTime": "2031-06-01T00:00:00Z"})
        == "implicitDeny"
    )
    secure = policy(deny("s3:*", Condition={"Bool": {"aws:SecureTransport": "false"}}), allow())
    assert decide("s3:GetObject", identity=[secure], **{"aws:SecureTransport": "false"}) == "explicitDeny"
    arn = policy(
        allow("sqs:SendMessage", Condition={"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})
    )
    assert (
        decide("sqs:SendMessage", identity=[arn], **{"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:t"})
        == "allowed"
    )
    assert (
        decide("sqs:SendMessage", identity=[arn], **{"aws:SourceArn": "arn:aws:sns:us-east-1:999:t"})
        == "implicitDeny"
    )


def test_set_operators():
    all_values = policy(
        allow("dynamodb:*", Condition={"ForAllValues:StringEquals": {"dynamodb:Attributes": ["id", "name"]}})
    )
    assert decide("dynamodb:GetItem", identity=[all_values], **{"dynamodb:Attributes": ["id"]}) == "allowed"
    assert (
        decide("dynamodb:GetItem", identity=[all_values], **{"dynamodb:Attributes": ["id", "secret"]})
        == "implicitDeny"
    )
    assert decide("dynamodb:GetItem", identity=[all_values]) == "allowed"  # no values: vacuously true
    any_value = policy(allow("*", Condition={"ForAnyValue:StringLike": {"aws:TagKeys": ["env*"]}}))
    assert (
        decide("ec2:CreateTags", identity=[any_value], **{"aws:TagKeys": ["owner", "environment"]})
        == "allowed"
    )
    assert decide("ec2:CreateTags", identity=[any_value], **{"aws:TagKeys": ["owner"]}) == "implicitDeny"
    assert decide("ec2:CreateTags", identity=[any_value]) == "implicitDeny"


def test_policy_variables():
    home = policy(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"))
    assert (
        decide("s3:GetObject", "arn:aws:s3:::home/alice/f", [home], **{"aws:username": "alice"}) == "allowed"
    )
    assert (
        decide("s3:GetObject", "arn:aws:s3:::home/bob/f", [home], **{"aws:username": "alice"})
        == "implicitDeny"
    )
    assert decide("s3:GetObject", "arn:aws:s3:::home/alice/f", [home]) == "implicitDeny"  # no value
    default = policy(allow("s3:*", "arn:aws:s3:::home/${aws:username, 'guest'}/*"))
    assert decide("s3:GetObject", "arn:aws:s3:::home/guest/f", [default]) == "allowed"
    legacy = policy(allow("s3:*", "arn:aws:s3:::home/${aws:username}/*"), version="2008-10-17")
    assert (
        decide("s3:GetObject", "arn:aws:s3:::home/${aws:username}/f", [legacy], **{"aws:username": "x"})
        == "allowed"
    )


def test_resource_wildcards_stay_in_their_segment():
    p = policy(allow("lambda:*", "arn:aws:lambda:*:111122223333:function:app-*"))
    assert (
        decide("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:111122223333:function:app-x", [p])
        == "allowed"
    )
    assert (
        decide("lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:999:function:app-x", [p]) == "implicitDeny"
    )
    q = policy(allow("s3:*", "arn:aws:s3:::b?cket"))
    assert decide("s3:GetObject", "arn:aws:s3:::bucket", [q]) == "allowed"
    assert decide("s3:GetObject", "arn:aws:s3:::buucket", [q]) == "implicitDeny"


def test_statement_positions():
    text = '{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}'
    statement = parse_policy(text).statements[0]
    assert statement.start == (1, 41)
    assert statement.end == (1, len(text) - 1)


def test_malformed_documents():
    with pytest.raises(PolicyError, match="invalid Json"):
        parse_policy("{")
    with pytest.raises(PolicyError, match="unique"):
        parse_policy(json.dumps({"Statement": [allow(Sid="a"), allow(Sid="a")]}))
    with pytest.raises(PolicyError):
        parse_policy(
            json.dumps(
                {"Version": "2012-10-17", "Statement": [allow(Condition={"StringEqualz": {"a:b": "c"}})]}
            )
        )
