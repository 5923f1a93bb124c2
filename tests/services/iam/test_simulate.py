"""SimulatePrincipalPolicy and SimulateCustomPolicy."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import TRUST, doc, error_of, name

PUT = doc({"Effect": "Allow", "Action": "s3:PutObject", "Resource": "*"})


@pytest.mark.parametrize("kind", ["user", "group", "role"])
def test_simulate_principal_policy_as_recorded(iam, kind):
    entity = name(kind)
    if kind == "user":
        arn = iam.create_user(UserName=entity)["User"]["Arn"]
        iam.put_user_policy(UserName=entity, PolicyName="put", PolicyDocument=PUT)
    elif kind == "group":
        arn = iam.create_group(GroupName=entity)["Group"]["Arn"]
        iam.put_group_policy(GroupName=entity, PolicyName="put", PolicyDocument=PUT)
    else:
        arn = iam.create_role(RoleName=entity, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.put_role_policy(RoleName=entity, PolicyName="put", PolicyDocument=PUT)
    out = iam.simulate_principal_policy(
        PolicySourceArn=arn,
        ActionNames=["s3:PutObject", "s3:GetObjectVersion"],
        ResourceArns=["arn:aws:s3:::bucket"],
    )
    allowed, denied = out["EvaluationResults"]
    assert out["IsTruncated"] is False
    assert (allowed["EvalActionName"], allowed["EvalDecision"]) == ("s3:PutObject", "allowed")
    assert allowed["EvalResourceName"] == "arn:aws:s3:::bucket"
    assert allowed["OrganizationsDecisionDetail"] == {"AllowedByOrganizations": True}
    statement = allowed["MatchedStatements"][0]
    assert statement["SourcePolicyType"] == "IAM Policy" and statement["SourcePolicyId"] == "put"
    assert statement["StartPosition"] == {"Line": 1, "Column": 41}
    assert allowed["ResourceSpecificResults"][0]["EvalResourceDecision"] == "allowed"
    assert (denied["EvalDecision"], denied["MatchedStatements"]) == ("implicitDeny", [])


def test_user_inherits_group_and_managed_policies(iam):
    user, group = name("u"), name("g")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")
    deny = iam.create_policy(
        PolicyName=name("p"),
        PolicyDocument=doc({"Effect": "Deny", "Action": "sqs:DeleteQueue", "Resource": "*"}),
    )
    iam.attach_user_policy(UserName=user, PolicyArn=deny["Policy"]["Arn"])
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["sqs:SendMessage", "sqs:DeleteQueue"]
    )
    decisions = [r["EvalDecision"] for r in results["EvaluationResults"]]
    assert decisions == ["allowed", "explicitDeny"]


def test_boundary_in_simulation(iam):
    role = name("r")
    boundary = iam.create_policy(
        PolicyName=name("b"), PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    )["Policy"]["Arn"]
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST, PermissionsBoundary=boundary)[
        "Role"
    ]["Arn"]
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    results = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["s3:GetObject", "iam:CreateUser"]
    )
    s3, iam_call = results["EvaluationResults"]
    assert s3["EvalDecision"] == "allowed"
    assert s3["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert iam_call["EvalDecision"] == "implicitDeny"
    assert iam_call["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_simulate_custom_policy_with_context_and_pagination(iam):
    policy = doc(
        {
            "Effect": "Allow",
            "Action": "s3:*",
            "Resource": "*",
            "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
        }
    )
    out = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["s3:GetObject"])
    result = out["EvaluationResults"][0]
    assert result["EvalDecision"] == "implicitDeny" and result["MissingContextValues"] == ["aws:SourceIp"]
    out = iam.simulate_custom_policy(
        PolicyInputList=[policy],
        ActionNames=["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        ContextEntries=[
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.1.1"], "ContextKeyType": "ip"}
        ],
        MaxItems=2,
    )
    assert [r["EvalDecision"] for r in out["EvaluationResults"]] == ["allowed", "allowed"]
    assert out["IsTruncated"] is True
    rest = iam.simulate_custom_policy(
        PolicyInputList=[policy],
        ActionNames=["s3:GetObject", "s3:PutObject", "s3:ListBucket"],
        ContextEntries=[
            {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["10.1.1.1"], "ContextKeyType": "ip"}
        ],
        MaxItems=2,
        Marker=out["Marker"],
    )
    assert [r["EvalActionName"] for r in rest["EvaluationResults"]] == ["s3:ListBucket"]
    assert out["EvaluationResults"][0]["MatchedStatements"][0]["SourcePolicyId"] == "PolicyInputList.1"


def test_simulate_malformed_policy(iam):
    with pytest.raises(ClientError) as exc:
        iam.simulate_custom_policy(PolicyInputList=["{bad"], ActionNames=["s3:GetObject"])
    assert error_of(exc)[0] == "MalformedPolicyDocument"
