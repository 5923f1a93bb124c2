"""``--credentials`` / ``CLOUDLET_CREDENTIALS`` and ``--verify-signatures`` /
``CLOUDLET_VERIFY_SIGNATURES`` (see the README's "Signatures")."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.core.credentials import parse_credential_list
from cloudlet.testing.server import client, free_port


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cloudlet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def test_settings_from_the_environment():
    cfg = Config.from_env({"CLOUDLET_CREDENTIALS": "k1:s1, k2:s2", "CLOUDLET_VERIFY_SIGNATURES": "1"})
    assert cfg.verify_signatures is True
    assert parse_credential_list(cfg.credentials) == {"k1": "s1", "k2": "s2"}
    default = Config.from_env({})
    assert default.verify_signatures is False
    assert parse_credential_list(default.credentials) == {"test": "test", "testing": "testing"}
    assert parse_credential_list(Config.from_env({"CLOUDLET_CREDENTIALS": ""}).credentials) == {}


def test_malformed_credentials_are_refused_without_echoing_them(tmp_path):
    out = cli(
        "start", "--port", str(free_port()), "--data-dir", str(tmp_path), "--credentials", "k1:s1,oops-secret"
    )
    assert out.returncode == 2
    assert "KEY:SECRET" in out.stderr and "entry 2" in out.stderr
    assert "oops-secret" not in out.stderr


@pytest.fixture
def strict_detached(tmp_path):
    port = str(free_port())
    args = ["--port", port, "--data-dir", str(tmp_path)]
    out = cli("start", "--detach", *args, "--verify-signatures", "--credentials", "mykey:my-secret-value")
    assert out.returncode == 0, out.stderr
    yield f"http://127.0.0.1:{port}", tmp_path
    cli("stop", *args)


def test_detached_server_verifies_with_the_configured_credentials(strict_detached):
    endpoint, data_dir = strict_detached
    ok = client("sts", endpoint, aws_access_key_id="mykey", aws_secret_access_key="my-secret-value")
    assert ok.get_caller_identity()["Account"] == "000000000000"
    with pytest.raises(ClientError) as exc:
        client("sts", endpoint).get_caller_identity()  # test/test: not configured on this server
    assert exc.value.response["Error"]["Code"] == "InvalidClientTokenId"
    pid = int((Path(data_dir) / "cloudlet.pid").read_text())
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():  # the secrets went by the environment, not the command line
        assert b"my-secret-value" not in cmdline.read_bytes()
