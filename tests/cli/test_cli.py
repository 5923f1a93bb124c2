"""The cloudlet command: start (foreground and detached), status, env, clock, reset, stop, restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from cloudlet.testing.server import ServerProcess, client, free_port


def cli(*args: str, env: dict | None = None, input: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cloudlet", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, **(env or {})},
        input=input,
    )


@pytest.fixture
def detached(tmp_path):
    """A detached server on a free port with a file store; stopped afterwards."""
    port = str(free_port())
    args = ["--port", port, "--data-dir", str(tmp_path)]
    out = cli("start", "--detach", *args)
    assert out.returncode == 0, out.stderr
    yield args, f"http://127.0.0.1:{port}"
    cli("stop", *args)


def test_detached_lifecycle(detached, tmp_path):
    args, endpoint = detached
    assert (tmp_path / "cloudlet.pid").exists()
    status = cli("status", *args)
    assert status.returncode == 0
    assert "cloudlet is up" in status.stdout
    assert str(tmp_path / "cloudlet.db") in status.stdout

    sts = client("sts", endpoint)
    sts.get_session_token()
    assert "issued_credentials=1" in cli("status", *args).stdout

    shown = cli("clock", "show", *args)
    assert shown.returncode == 0 and "offset 0.000s" in shown.stdout
    advanced = cli("clock", "advance", "3600", *args)
    assert advanced.returncode == 0 and "offset 3600" in advanced.stdout

    assert cli("reset", *args, input="n\n").returncode != 0  # no terminal: refuses without --yes
    reset = cli("reset", "--yes", *args)
    assert reset.returncode == 0
    assert "resources: none" in cli("status", *args).stdout
    assert "offset 0.000s" in cli("clock", "show", *args).stdout

    stop = cli("stop", *args)
    assert stop.returncode == 0
    assert not (tmp_path / "cloudlet.pid").exists()
    down = cli("status", *args)
    assert down.returncode == 3 and "down" in down.stdout


def test_start_refuses_a_second_server_on_the_same_port(detached):
    args, _ = detached
    again = cli("start", "--detach", *args)
    assert again.returncode == 1
    assert "already running" in again.stderr


def test_env_prints_exports():
    out = cli("env", "--port", "4599")
    lines = out.stdout.splitlines()
    assert "export AWS_ENDPOINT_URL=http://127.0.0.1:4599" in lines
    assert "export AWS_ACCESS_KEY_ID=test" in lines
    assert "export AWS_SECRET_ACCESS_KEY=test" in lines
    assert any(line.startswith("export AWS_DEFAULT_REGION=") for line in lines)
    assert "export AWS_DISABLE_HOST_PREFIX_INJECTION=true" in lines


def test_environment_variables_configure_flags():
    out = cli("env", env={"CLOUDLET_PORT": "4600", "CLOUDLET_HOST": "127.0.0.2"})
    assert "export AWS_ENDPOINT_URL=http://127.0.0.2:4600" in out.stdout.splitlines()


def test_clock_advance_rejects_negative(detached):
    args, _ = detached
    out = cli("clock", "advance", "--", "-5", *args)
    assert out.returncode != 0


def test_foreground_start_prints_endpoint_and_serves(tmp_path):
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudlet", "start", "--port", str(port), "--in-memory"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        endpoint = f"http://127.0.0.1:{port}"
        _wait_up(endpoint)
        assert client("sts", endpoint).get_caller_identity()["Account"] == "000000000000"
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    assert f"endpoint: http://127.0.0.1:{port}" in out
    assert "store:    in memory" in out
    assert "sts" in out


def test_kill_9_and_restart_keeps_acknowledged_state(tmp_path):
    """Issued credentials and the clock offset survive kill -9 of a file-store server."""
    server = ServerProcess(str(tmp_path)).start()
    try:
        trust = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]}'
        client("iam", server.endpoint, aws_access_key_id="123456789012").create_role(
            RoleName="keep", AssumeRolePolicyDocument=trust, MaxSessionDuration=43200
        )
        creds = client("sts", server.endpoint).assume_role(
            RoleArn="arn:aws:iam::123456789012:role/keep",
            RoleSessionName="before-crash",
            DurationSeconds=43200,
        )["Credentials"]
        server.admin("/_cloudlet/clock", {"advance": 7200})
    finally:
        server.kill()
    server.start()
    try:
        as_role = client(
            "sts",
            server.endpoint,
            aws_access_key_id=creds["AccessKeyId"],
            aws_secret_access_key=creds["SecretAccessKey"],
            aws_session_token=creds["SessionToken"],
        )
        ident = as_role.get_caller_identity()
        assert ident["Arn"] == "arn:aws:sts::123456789012:assumed-role/keep/before-crash"
        assert server.admin("/_cloudlet/clock")["offset"] == 7200
    finally:
        server.kill()


def _wait_up(endpoint: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint + "/_cloudlet/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError(f"{endpoint} did not come up")


def test_commands_find_the_server_running_on_their_data_directory(tmp_path):
    """No --port: env, status, clock and stop find the detached server by its data directory."""
    port = str(free_port())
    data = ["--data-dir", str(tmp_path)]
    assert cli("start", "--detach", "--port", port, *data).returncode == 0
    try:
        exports = cli("env", *data).stdout
        assert f"export AWS_ENDPOINT_URL=http://127.0.0.1:{port}" in exports
        assert f"http://127.0.0.1:{port}" in cli("status", *data).stdout
        assert cli("clock", "advance", "60", *data).returncode == 0
        # An address given explicitly wins over the data directory's server.
        assert "AWS_ENDPOINT_URL=http://127.0.0.1:1234" in cli("env", "--port", "1234", *data).stdout
    finally:
        stopped = cli("stop", *data)
    assert stopped.returncode == 0 and "pid" in stopped.stdout and "detached" in stopped.stdout
    assert not (tmp_path / "cloudlet.server.json").exists()
    assert "not running" in cli("stop", *data).stderr


def test_stop_finds_and_stops_a_foreground_server(tmp_path):
    port = str(free_port())
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudlet", "start", "--port", port, "--data-dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while not (tmp_path / "cloudlet.server.json").exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        stopped = cli("stop", "--data-dir", str(tmp_path))
        assert stopped.returncode == 0, stopped.stderr
        assert "running in the foreground" in stopped.stdout and f":{port}" in stopped.stdout
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_stop_by_address_stops_a_server_of_another_data_directory(tmp_path):
    port = str(free_port())
    server_dir, other_dir = tmp_path / "server", tmp_path / "other"
    assert cli("start", "--detach", "--port", port, "--data-dir", str(server_dir)).returncode == 0
    stopped = cli("stop", "--port", port, "--data-dir", str(other_dir))
    assert stopped.returncode == 0 and "found answering at the address" in stopped.stdout
    assert "cloudlet is down" in cli("status", "--port", port).stdout
