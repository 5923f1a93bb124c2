"""Parameter Store after kill -9 and a restart on the same data directory."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from cloudlet.services.registry import PROVIDERS
from cloudlet.testing.server import ServerProcess, client


def test_parameters_and_timers_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    secure = "kms" in PROVIDERS
    try:
        ssm = client("ssm", server.endpoint)
        ssm.put_parameter(Name="/d/a", Value="1", Type="String", Tags=[{"Key": "k", "Value": "v"}])
        ssm.put_parameter(Name="/d/a", Value="2", Type="String", Overwrite=True)
        ssm.label_parameter_version(Name="/d/a", ParameterVersion=1, Labels=["first"])
        if secure:
            ssm.put_parameter(Name="/d/s", Value="secret", Type="SecureString")
        now = server.admin("/_cloudlet/clock")["now"]
        stamp = datetime.fromtimestamp(now + 3600, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        policy = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": stamp}}]
        ssm.put_parameter(
            Name="/d/temp", Value="t", Type="String", Tier="Advanced", Policies=json.dumps(policy)
        )
    finally:
        server.kill()
    server.start()
    try:
        ssm = client("ssm", server.endpoint)
        assert ssm.get_parameter(Name="/d/a")["Parameter"]["Value"] == "2"
        assert ssm.get_parameter(Name="/d/a:first")["Parameter"]["Value"] == "1"
        assert ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/d/a")["TagList"] == [
            {"Key": "k", "Value": "v"}
        ]
        if secure:
            assert ssm.get_parameter(Name="/d/s", WithDecryption=True)["Parameter"]["Value"] == "secret"
        server.admin("/_cloudlet/clock", {"advance": 3601})
        with pytest.raises(ClientError) as exc:
            ssm.get_parameter(Name="/d/temp")
        assert exc.value.response["Error"]["Code"] == "ParameterNotFound"
    finally:
        server.kill()
