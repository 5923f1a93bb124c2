"""Users, groups, roles, instance profiles and tags through boto3."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import TRUST, doc, error_of, name


def test_user_lifecycle(iam, account):
    user = name("u")
    created = iam.create_user(UserName=user, Path="/team/", Tags=[{"Key": "k", "Value": "v"}])["User"]
    assert created["Arn"] == f"arn:aws:iam::{account}:user/team/{user}"
    assert created["UserId"].startswith("AIDA") and created["Path"] == "/team/"
    got = iam.get_user(UserName=user)["User"]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    with pytest.raises(ClientError) as exc:
        iam.create_user(UserName=user.upper())
    assert error_of(exc) == ("EntityAlreadyExists", f"User with name {user.upper()} already exists.", 409)
    iam.update_user(UserName=user, NewUserName=user + "x", NewPath="/other/")
    assert iam.get_user(UserName=user + "x")["User"]["Arn"].endswith(f":user/other/{user}x")
    iam.delete_user(UserName=user + "x")
    with pytest.raises(ClientError) as exc:
        iam.get_user(UserName=user + "x")
    assert error_of(exc) == ("NoSuchEntity", f"The user with name {user}x cannot be found.", 404)


def test_get_user_without_name_is_the_caller(iam, account):
    root = iam.get_user()["User"]
    assert root["Arn"] == f"arn:aws:iam::{account}:root" and root["UserId"] == account


def test_groups_and_membership(iam):
    group, user = name("g"), name("u")
    iam.create_group(GroupName=group)
    iam.create_user(UserName=user)
    iam.add_user_to_group(GroupName=group, UserName=user)
    assert [u["UserName"] for u in iam.get_group(GroupName=group)["Users"]] == [user]
    assert [g["GroupName"] for g in iam.list_groups_for_user(UserName=user)["Groups"]] == [group]
    with pytest.raises(ClientError) as exc:
        iam.delete_group(GroupName=group)
    assert error_of(exc)[:2] == (
        "DeleteConflict",
        "Cannot delete entity, must remove users from group first.",
    )
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc)[0] == "DeleteConflict"
    iam.remove_user_from_group(GroupName=group, UserName=user)
    iam.delete_group(GroupName=group)
    iam.delete_user(UserName=user)


def test_role_lifecycle_as_aws_answers(iam, account):
    role = name("r")
    created = iam.create_role(RoleName=role, Path="/app/", AssumeRolePolicyDocument=TRUST, Description="d")[
        "Role"
    ]
    assert created["Arn"] == f"arn:aws:iam::{account}:role/app/{role}"
    assert created["AssumeRolePolicyDocument"] == json.loads(TRUST)
    assert "MaxSessionDuration" not in created and "RoleLastUsed" not in created
    got = iam.get_role(RoleName=role)["Role"]
    assert got["MaxSessionDuration"] == 3600 and got["RoleLastUsed"] == {} and got["Description"] == "d"
    listed = [r for r in iam.list_roles(PathPrefix="/app/")["Roles"] if r["RoleName"] == role]
    assert listed and "RoleLastUsed" not in listed[0] and listed[0]["MaxSessionDuration"] == 3600
    iam.update_role(RoleName=role, MaxSessionDuration=7200, Description="new")
    got = iam.get_role(RoleName=role)["Role"]
    assert (got["MaxSessionDuration"], got["Description"]) == (7200, "new")
    new_trust = doc(
        {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
    )
    iam.update_assume_role_policy(RoleName=role, PolicyDocument=new_trust)
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"] == json.loads(new_trust)
    iam.delete_role(RoleName=role)
    with pytest.raises(ClientError) as exc:
        iam.get_role(RoleName=role)
    assert error_of(exc) == ("NoSuchEntity", f"The role with name {role} cannot be found.", 404)


def test_role_max_session_duration_range(iam):
    with pytest.raises(ClientError) as exc:
        iam.create_role(RoleName=name("r"), AssumeRolePolicyDocument=TRUST, MaxSessionDuration=43201)
    assert error_of(exc)[0] == "ValidationError"


def test_role_tags_and_boundary(iam):
    role = name("r")
    boundary = iam.create_policy(
        PolicyName=name("b"), PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    )
    arn = boundary["Policy"]["Arn"]
    iam.create_role(
        RoleName=role,
        AssumeRolePolicyDocument=TRUST,
        PermissionsBoundary=arn,
        Tags=[{"Key": "a", "Value": "1"}],
    )
    got = iam.get_role(RoleName=role)["Role"]
    assert got["PermissionsBoundary"] == {
        "PermissionsBoundaryType": "PermissionsBoundaryPolicy",
        "PermissionsBoundaryArn": arn,
    }
    assert iam.get_policy(PolicyArn=arn)["Policy"]["PermissionsBoundaryUsageCount"] == 1
    iam.tag_role(RoleName=role, Tags=[{"Key": "b", "Value": "2"}, {"Key": "a", "Value": "3"}])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [
        {"Key": "a", "Value": "3"},
        {"Key": "b", "Value": "2"},
    ]
    iam.untag_role(RoleName=role, TagKeys=["a"])
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        iam.tag_role(RoleName=role, Tags=[{"Key": "x", "Value": "1"}, {"Key": "X", "Value": "2"}])
    assert error_of(exc)[0] == "InvalidInput"
    iam.delete_role_permissions_boundary(RoleName=role)
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]


def test_user_tags(iam):
    user = name("u")
    iam.create_user(UserName=user)
    iam.tag_user(UserName=user, Tags=[{"Key": "team", "Value": "x"}])
    assert iam.list_user_tags(UserName=user)["Tags"] == [{"Key": "team", "Value": "x"}]
    iam.untag_user(UserName=user, TagKeys=["team"])
    assert iam.list_user_tags(UserName=user)["Tags"] == []


def test_instance_profiles(iam, account):
    profile, role = name("p"), name("r")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=TRUST)
    created = iam.create_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    assert created["Arn"] == f"arn:aws:iam::{account}:instance-profile/{profile}" and created["Roles"] == []
    iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    got = iam.get_instance_profile(InstanceProfileName=profile)["InstanceProfile"]
    assert [r["RoleName"] for r in got["Roles"]] == [role]
    assert [
        p["InstanceProfileName"]
        for p in iam.list_instance_profiles_for_role(RoleName=role)["InstanceProfiles"]
    ] == [profile]
    with pytest.raises(ClientError) as exc:
        iam.add_role_to_instance_profile(InstanceProfileName=profile, RoleName=role)
    assert error_of(exc)[0] == "LimitExceeded"
    with pytest.raises(ClientError) as exc:
        iam.delete_role(RoleName=role)
    assert error_of(exc)[0] == "DeleteConflict"
    with pytest.raises(ClientError) as exc:
        iam.delete_instance_profile(InstanceProfileName=profile)
    assert error_of(exc)[0] == "DeleteConflict"
    iam.remove_role_from_instance_profile(InstanceProfileName=profile, RoleName=role)
    iam.delete_instance_profile(InstanceProfileName=profile)
    iam.delete_role(RoleName=role)


def test_service_linked_roles(iam, account):
    role = iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")["Role"]
    assert (
        role["Arn"] == f"arn:aws:iam::{account}:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
    )
    assert role["Path"] == "/aws-service-role/ecs.amazonaws.com/"
    attached = iam.list_attached_role_policies(RoleName="AWSServiceRoleForECS")["AttachedPolicies"]
    assert attached == [
        {
            "PolicyName": "AmazonECSServiceRolePolicy",
            "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AmazonECSServiceRolePolicy",
        }
    ]
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com")
    assert error_of(exc) == (
        "InvalidInput",
        "Service role name AWSServiceRoleForECS has been taken in this account, please try a different suffix.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        iam.create_service_linked_role(AWSServiceName="ecs.amazonaws.com", CustomSuffix="x")
    assert error_of(exc) == ("InvalidInput", "Custom suffix is not allowed for ecs.amazonaws.com", 400)
    custom = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix="abc")
    assert custom["Role"]["RoleName"] == "AWSServiceRoleForAutoScaling_abc"
    task = iam.delete_service_linked_role(RoleName="AWSServiceRoleForECS")["DeletionTaskId"]
    assert task.startswith("task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/")
    assert iam.get_service_linked_role_deletion_status(DeletionTaskId=task)["Status"] == "SUCCEEDED"


def test_oidc_providers(iam, account):
    arn = iam.create_open_id_connect_provider(
        Url="https://token.actions.githubusercontent.com",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["a" * 40],
    )["OpenIDConnectProviderArn"]
    assert arn == f"arn:aws:iam::{account}:oidc-provider/token.actions.githubusercontent.com"
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="other")
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert got["Url"] == "token.actions.githubusercontent.com"
    assert got["ClientIDList"] == ["sts.amazonaws.com", "other"]
    iam.remove_client_id_from_open_id_connect_provider(OpenIDConnectProviderArn=arn, ClientID="other")
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]
    with pytest.raises(ClientError) as exc:
        iam.create_open_id_connect_provider(
            Url="https://token.actions.githubusercontent.com", ThumbprintList=["a" * 40]
        )
    assert error_of(exc)[0] == "EntityAlreadyExists"
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    with pytest.raises(ClientError) as exc:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert error_of(exc)[0] == "NoSuchEntity"


def test_pagination_of_users(iam):
    users = sorted(name("p") for _ in range(7))
    for user in users:
        iam.create_user(UserName=user)
    first = iam.list_users(MaxItems=3)
    assert first["IsTruncated"] and len(first["Users"]) == 3
    seen = [u["UserName"] for u in first["Users"]]
    marker = first["Marker"]
    while marker:
        page = iam.list_users(MaxItems=3, Marker=marker)
        seen += [u["UserName"] for u in page["Users"]]
        marker = page.get("Marker")
    assert seen == users
    paged = [
        u["UserName"]
        for p in iam.get_paginator("list_users").paginate(PaginationConfig={"PageSize": 2})
        for u in p["Users"]
    ]
    assert paged == users


def test_bad_names_answer_validation_errors(iam_raw):
    for bad in ("", "a" * 65, "bad name!"):
        with pytest.raises(ClientError) as exc:
            iam_raw.create_user(UserName=bad)
        assert error_of(exc)[0] == "ValidationError" and error_of(exc)[2] == 400
    with pytest.raises(ClientError) as exc:
        iam_raw.create_user(UserName=name("u"), Path="no-slashes")
    assert error_of(exc)[0] == "ValidationError"
    with pytest.raises(ClientError) as exc:
        iam_raw.create_role(RoleName="r" * 65, AssumeRolePolicyDocument=TRUST)
    assert error_of(exc)[0] == "ValidationError"
