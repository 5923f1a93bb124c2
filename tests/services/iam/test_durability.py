"""IAM state after kill -9 and a restart on the same data directory."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import TRUST, doc


def test_entities_and_access_keys_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        iam = client("iam", server.endpoint, aws_access_key_id="123456789012")
        iam.create_user(UserName="alice")
        iam.create_group(GroupName="devs")
        iam.add_user_to_group(GroupName="devs", UserName="alice")
        iam.create_role(RoleName="worker", AssumeRolePolicyDocument=TRUST)
        iam.attach_role_policy(RoleName="worker", PolicyArn="arn:aws:iam::aws:policy/AmazonS3FullAccess")
        arn = iam.create_policy(
            PolicyName="p", PolicyDocument=doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
        )["Policy"]["Arn"]
        iam.create_policy_version(
            PolicyArn=arn,
            PolicyDocument=doc({"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}),
            SetAsDefault=True,
        )
        key = iam.create_access_key(UserName="alice")["AccessKey"]
    finally:
        server.kill()
    server.start()
    try:
        iam = client("iam", server.endpoint, aws_access_key_id="123456789012")
        assert [u["UserName"] for u in iam.get_group(GroupName="devs")["Users"]] == ["alice"]
        attached = iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"]
        assert [p["PolicyName"] for p in attached] == ["AmazonS3FullAccess"]
        assert iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"] == "v2"
        sts = client(
            "sts",
            server.endpoint,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        assert sts.get_caller_identity()["Arn"] == "arn:aws:iam::123456789012:user/alice"
    finally:
        server.kill()


def test_inactive_keys_and_session_tags_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        iam = client("iam", server.endpoint, aws_access_key_id="123456789012")
        iam.create_user(UserName="bob")
        key = iam.create_access_key(UserName="bob")["AccessKey"]
        iam.update_access_key(UserName="bob", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        trust = doc(
            {
                "Effect": "Allow",
                "Principal": {"AWS": "123456789012"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            }
        )
        role = iam.create_role(RoleName="tagged", AssumeRolePolicyDocument=trust)["Role"]
        sts = client("sts", server.endpoint, aws_access_key_id="123456789012")
        session = sts.assume_role(
            RoleArn=role["Arn"],
            RoleSessionName="first",
            Tags=[{"Key": "team", "Value": "red"}],
            TransitiveTagKeys=["team"],
        )["Credentials"]
    finally:
        server.kill()
    server.start()
    try:
        refused = client(
            "sts",
            server.endpoint,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with pytest.raises(ClientError) as exc:
            refused.get_caller_identity()
        assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
        chained = client(
            "sts",
            server.endpoint,
            aws_access_key_id=session["AccessKeyId"],
            aws_secret_access_key=session["SecretAccessKey"],
            aws_session_token=session["SessionToken"],
        )
        try:  # the transitive tag cannot be set again in a chained session
            chained.assume_role(
                RoleArn=role["Arn"], RoleSessionName="second", Tags=[{"Key": "team", "Value": "blue"}]
            )
            raise AssertionError("a transitive tag was overridden after the restart")
        except Exception as exc:
            assert "InvalidParameterValue" in str(exc)
    finally:
        server.kill()
