"""Managed policies and versions, AWS managed policies, inline policies, attachments,
document validation and GetAccountAuthorizationDetails."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import TRUST, doc, error_of, name

S3_READ = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"})


def test_managed_policy_versions(iam, account):
    policy = name("p")
    created = iam.create_policy(PolicyName=policy, PolicyDocument=S3_READ, Description="d")["Policy"]
    arn = created["Arn"]
    assert arn == f"arn:aws:iam::{account}:policy/{policy}"
    assert (created["DefaultVersionId"], created["AttachmentCount"], created["IsAttachable"]) == (
        "v1",
        0,
        True,
    )
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=policy, PolicyDocument=S3_READ)
    assert error_of(exc) == (
        "EntityAlreadyExists",
        f"A policy called {policy} already exists. Duplicate names are not allowed.",
        409,
    )
    for _ in range(4):
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=S3_READ)
    with pytest.raises(ClientError) as exc:
        iam.create_policy_version(PolicyArn=arn, PolicyDocument=S3_READ)
    assert error_of(exc)[0] == "LimitExceeded"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [v["VersionId"] for v in versions] == ["v5", "v4", "v3", "v2", "v1"]
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v3")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v3"
    with pytest.raises(ClientError) as exc:
        iam.delete_policy_version(PolicyArn=arn, VersionId="v3")
    assert error_of(exc)[0] == "DeleteConflict"
    iam.delete_policy_version(PolicyArn=arn, VersionId="v5")
    made = iam.create_policy_version(PolicyArn=arn, PolicyDocument=S3_READ, SetAsDefault=True)[
        "PolicyVersion"
    ]
    assert made == {**made, "VersionId": "v6", "IsDefaultVersion": True}
    got = iam.get_policy_version(PolicyArn=arn, VersionId="v6")["PolicyVersion"]
    assert got["Document"] == json.loads(S3_READ)
    with pytest.raises(ClientError) as exc:
        iam.delete_policy(PolicyArn=arn)
    assert error_of(exc)[0] == "DeleteConflict"
    for v in ("v1", "v2", "v3", "v4"):
        iam.delete_policy_version(PolicyArn=arn, VersionId=v)
    iam.delete_policy(PolicyArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_policy(PolicyArn=arn)
    assert error_of(exc) == ("NoSuchEntity", f"Policy {arn} was not found.", 404)


def test_aws_managed_policies_attach_by_arn(iam):
    role = name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    basic = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    iam.attach_role_policy(RoleName=role, PolicyArn=basic)
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess")
    attached = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AWSLambdaBasicExecutionRole", "AmazonS3ReadOnlyAccess"]
    policy = iam.get_policy(PolicyArn=basic)["Policy"]
    assert (policy["Path"], policy["AttachmentCount"]) == ("/service-role/", 1)
    version = iam.get_policy_version(PolicyArn=basic, VersionId=policy["DefaultVersionId"])["PolicyVersion"]
    assert "logs:PutLogEvents" in version["Document"]["Statement"][0]["Action"]
    aws = {p["PolicyName"] for p in iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]}
    assert {"AdministratorAccess", "AWSStepFunctionsFullAccess", "SecretsManagerReadWrite"} <= aws
    assert iam.list_policies(Scope="Local")["Policies"] == []
    only = iam.list_policies(OnlyAttached=True)["Policies"]
    assert {p["PolicyName"] for p in only} == {"AWSLambdaBasicExecutionRole", "AmazonS3ReadOnlyAccess"}
    entities = iam.list_entities_for_policy(PolicyArn=basic)
    assert [r["RoleName"] for r in entities["PolicyRoles"]] == [role]
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert error_of(exc)[:2] == ("DeleteConflict", "Cannot delete entity, must detach all policies first.")
    iam.detach_role_policy(RoleName=role, PolicyArn=basic)
    with pytest.raises(ClientError) as exc:
        iam.detach_role_policy(RoleName=role, PolicyArn=basic)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_attach_errors_as_recorded(iam, account):
    user = name("u")
    iam.create_user(UserName=user)
    policy = name("policy-with-long-name")
    iam.create_policy(PolicyName=policy, PolicyDocument=S3_READ)
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=policy)
    assert error_of(exc) == ("ValidationError", "Invalid ARN:  Could not be parsed!", 400)
    missing = f"arn:aws:iam::{account}:policy/{policy}123"
    with pytest.raises(ClientError) as exc:
        iam.attach_user_policy(UserName=user, PolicyArn=missing)
    assert error_of(exc) == ("NoSuchEntity", f"Policy {missing} does not exist or is not attachable.", 404)
    iam.attach_user_policy(UserName=user, PolicyArn=f"arn:aws:iam::{account}:policy/{policy}")


def test_inline_policies(iam):
    user, group, role = name("u"), name("g"), name("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.put_user_policy(UserName=user, PolicyName="p1", PolicyDocument=S3_READ)
    iam.put_group_policy(GroupName=group, PolicyName="p2", PolicyDocument=S3_READ)
    iam.put_role_policy(RoleName=role, PolicyName="p3", PolicyDocument=S3_READ)
    got = iam.get_role_policy(RoleName=role, PolicyName="p3")
    assert (got["RoleName"], got["PolicyName"], got["PolicyDocument"]) == (role, "p3", json.loads(S3_READ))
    assert iam.list_user_policies(UserName=user)["PolicyNames"] == ["p1"]
    assert iam.list_group_policies(GroupName=group)["PolicyNames"] == ["p2"]
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc)[:2] == ("DeleteConflict", "Cannot delete entity, must delete policies first.")
    iam.delete_user_policy(UserName=user, PolicyName="p1")
    with pytest.raises(ClientError) as exc:
        iam.get_user_policy(UserName=user, PolicyName="p1")
    assert error_of(exc) == ("NoSuchEntity", "The user policy with name p1 cannot be found.", 404)


def test_policy_document_encoding_is_kept(iam):
    role = name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    resource = "arn:aws:apigateway:us-east-1::/tags/arn%3Aaws%3Aapigateway%3Aus-east-1%3A%3A%2Frestapis%2Fabc"
    text = doc({"Effect": "Allow", "Action": ["apigatway:PUT"], "Resource": [resource]})
    iam.put_role_policy(RoleName=role, PolicyName="enc", PolicyDocument=text)
    got = iam.get_role_policy(RoleName=role, PolicyName="enc")["PolicyDocument"]
    assert got["Statement"][0]["Resource"] == [resource]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "This policy contains invalid Json"),
        (doc({"Effect": "Allow", "Resource": "*"}), "Policy statement must contain actions."),
        (doc({"Effect": "Allow", "Action": "s3:GetObject"}), "Policy statement must contain resources."),
        (
            doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Extra": 1}),
            "Syntax errors in policy.",
        ),
        (
            doc({"Effect": "Allow", "Action": "GetObject", "Resource": "*"}),
            "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.",
        ),
        (
            doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "bucket"}),
            'Resource bucket must be in ARN format or "*".',
        ),
        (
            doc({"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}),
            "Policy document should not specify a principal.",
        ),
    ],
)
def test_malformed_policies(iam, text, message):
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name("p"), PolicyDocument=text)
    assert error_of(exc) == ("MalformedPolicyDocument", message, 400)


def test_malformed_trust_policy(iam):
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument="{invalid")
    assert error_of(exc) == ("MalformedPolicyDocument", "This policy contains invalid Json", 400)


def test_policy_size_limits(iam):
    user, role = name("u"), name("r")
    iam.create_user(UserName=user)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    actions = [f"s3:GetObject{i}" for i in range(200)]
    big = doc({"Effect": "Allow", "Action": actions, "Resource": "*"})  # ~4000 characters
    with pytest.raises(ClientError) as exc:
        iam.put_user_policy(UserName=user, PolicyName="big", PolicyDocument=big)
    assert error_of(exc) == (
        "LimitExceeded",
        f"Maximum policy size of 2048 bytes exceeded for user {user}",
        409,
    )
    iam.put_role_policy(RoleName=role, PolicyName="big", PolicyDocument=big)
    huge = doc({"Effect": "Allow", "Action": actions * 2, "Resource": "*"})
    with pytest.raises(ClientError) as exc:
        iam.create_policy(PolicyName=name("p"), PolicyDocument=huge)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for PolicySize: 6144", 409)


def test_account_authorization_details(iam):
    user, group, role = name("u"), name("g"), name("r")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(GroupName=group, UserName=user)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    iam.put_user_policy(UserName=user, PolicyName="inline", PolicyDocument=S3_READ)
    details = iam.get_account_authorization_details()
    assert details["UserDetailList"][0]["GroupList"] == [group]
    assert details["UserDetailList"][0]["UserPolicyList"][0]["PolicyDocument"] == json.loads(S3_READ)
    assert details["RoleDetailList"][0]["AttachedManagedPolicies"][0]["PolicyName"] == "AdministratorAccess"
    assert [p["PolicyName"] for p in details["Policies"]] == ["AdministratorAccess"]
    only_roles = iam.get_account_authorization_details(Filter=["Role"])
    assert only_roles["UserDetailList"] == [] and len(only_roles["RoleDetailList"]) == 1
