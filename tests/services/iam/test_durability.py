"""IAM state after kill -9 and a restart on the same data directory."""

from __future__ import annotations

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
