"""Secrets, versions and a pending deletion survive kill -9 and a restart."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client


def test_secrets_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        sm = client("secretsmanager", server.endpoint)
        sm.create_secret(Name="keep", SecretString="one")
        sm.put_secret_value(SecretId="keep", SecretString="two")
        sm.create_secret(Name="doomed", SecretBinary=b"\x01\x02")
        sm.delete_secret(SecretId="doomed", RecoveryWindowInDays=7)
    finally:
        server.kill()
    server.start()
    try:
        sm = client("secretsmanager", server.endpoint)
        assert sm.get_secret_value(SecretId="keep")["SecretString"] == "two"
        assert sm.get_secret_value(SecretId="keep", VersionStage="AWSPREVIOUS")["SecretString"] == "one"
        assert "DeletedDate" in sm.describe_secret(SecretId="doomed")
        server.advance_clock(7 * 86400 + 60)
        with pytest.raises(ClientError) as exc:
            sm.describe_secret(SecretId="doomed")
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    finally:
        server.kill()
