"""Access points, Object Lambda access points and their policies survive kill -9 and a restart."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import ACCOUNT, REGION, lambda_config, redirected

POLICY = json.dumps({"Version": "2012-10-17", "Statement": []})


def test_access_points_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        s3 = client("s3", server.endpoint)
        control = redirected(client("s3control", server.endpoint), server.endpoint)
        s3.create_bucket(Bucket="durable-bucket")
        s3.put_object(Bucket="durable-bucket", Key="k", Body=b"kept")
        created = control.create_access_point(AccountId=ACCOUNT, Name="keep", Bucket="durable-bucket")
        control.put_access_point_policy(AccountId=ACCOUNT, Name="keep", Policy=POLICY)
        config = lambda_config(created["AccessPointArn"], f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f")
        control.create_access_point_for_object_lambda(
            AccountId=ACCOUNT, Name="keep-olap", Configuration=config
        )
        control.create_access_point(AccountId=ACCOUNT, Name="doomed", Bucket="durable-bucket")
        control.delete_access_point(AccountId=ACCOUNT, Name="doomed")
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint)
        control = redirected(client("s3control", server.endpoint), server.endpoint)
        got = control.get_access_point(AccountId=ACCOUNT, Name="keep")
        assert (got["Bucket"], got["Alias"]) == ("durable-bucket", created["Alias"])
        assert control.get_access_point_policy(AccountId=ACCOUNT, Name="keep")["Policy"] == POLICY
        stored = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name="keep-olap")
        assert stored["Configuration"]["SupportingAccessPoint"] == created["AccessPointArn"]
        assert s3.get_object(Bucket=created["Alias"], Key="k")["Body"].read() == b"kept"
        with pytest.raises(ClientError) as exc:
            control.get_access_point(AccountId=ACCOUNT, Name="doomed")
        assert exc.value.response["Error"]["Code"] == "NoSuchAccessPoint"
    finally:
        server.kill()
