"""``cloudlet logs <function>`` against a running server: history from ``--since``, new events
followed as the function writes them, filters, custom log groups, ending on SIGINT/SIGTERM."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from tests.services.awslambda.conftest import TRUST, make_zip

from cloudlet.cli_logs import line, since_ms
from cloudlet.testing.server import free_port

HANDLER = """
def handler(event, context):
    print("said " + event["say"])
    return {}
"""
ENV = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}


class Tail:
    """``cloudlet logs`` running in a subprocess, its output read line by line as it comes."""

    def __init__(self, endpoint: str, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cloudlet", "logs", "--endpoint", endpoint, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        self.errors: list[str] = []
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._drain, daemon=True).start()

    @staticmethod
    def _read(pipe, into: queue.Queue[str]) -> None:
        for text in pipe:
            into.put(text.rstrip("\n"))

    def _drain(self) -> None:
        for text in self.proc.stderr:
            self.errors.append(text)

    def expect(self, text: str, within: float = 20.0) -> str:
        """The first line (from now on) containing ``text``."""
        deadline = time.monotonic() + within
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no line with {text!r} within {within}s; saw {self.seen}\n{self.errors}"
                )
            try:
                got = self.lines.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(got)
            if text in got:
                return got

    def wait_note(self, text: str, within: float = 20.0) -> None:
        deadline = time.monotonic() + within
        while not any(text in e for e in self.errors):
            assert time.monotonic() < deadline, f"no {text!r} on stderr: {self.errors}"
            time.sleep(0.05)

    def stop(self, signum: int = signal.SIGINT) -> tuple[int, str]:
        self.proc.send_signal(signum)
        code = self.proc.wait(timeout=15)
        time.sleep(0.1)
        return code, "".join(self.errors)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@pytest.fixture
def tails(cloudlet) -> Iterator[list[Tail]]:
    started: list[Tail] = []
    yield started
    for tail in started:
        tail.kill()


@pytest.fixture(scope="module")
def role(cloudlet) -> str:
    from cloudlet.testing.server import client

    iam = client("iam", cloudlet.endpoint)
    name = f"logs-cli-role-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda")


def create(lam, role: str, **extra) -> str:
    name = f"logs-cli-{uuid.uuid4().hex[:8]}"
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": HANDLER})},
        **extra,
    )
    return name


def say(lam, name: str, text: str) -> None:
    response = lam.invoke(FunctionName=name, Payload=json.dumps({"say": text}))
    assert "FunctionError" not in response, response["Payload"].read()


def run(endpoint: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "cloudlet", "logs", "--endpoint", endpoint, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=ENV,
    )


def test_history_then_new_events_until_sigint(cloudlet, lam, role, tails):
    name = create(lam, role)
    say(lam, name, "before")
    tail = Tail(cloudlet.endpoint, name, "--since", "5m")
    tails.append(tail)
    shown = tail.expect("said before")
    assert "[$LATEST]" in shown  # time, stream, message
    say(lam, name, "after")
    tail.expect("START RequestId")
    tail.expect("said after")
    tail.expect("REPORT RequestId")
    code, errors = tail.stop(signal.SIGINT)
    assert code == 0 and "Traceback" not in errors, errors


def test_sigterm_ends_it_cleanly(cloudlet, lam, role, tails):
    name = create(lam, role)
    tail = Tail(cloudlet.endpoint, name)
    tails.append(tail)
    tail.wait_note("waiting for log group")  # never invoked: no group yet
    say(lam, name, "first")  # the group appears: followed from then on
    tail.expect("said first")
    code, errors = tail.stop(signal.SIGTERM)
    assert code == 0 and "Traceback" not in errors, errors


def test_a_session_that_times_out_is_reopened(cloudlet, lam, role, tails):
    name = create(lam, role)
    say(lam, name, "one")
    tail = Tail(cloudlet.endpoint, name)
    tails.append(tail)
    tail.expect("said one")
    cloudlet.advance_clock(3 * 3600)  # StartLiveTail sessions last three hours
    tail.wait_note("live tail ended (SessionTimeoutException); reopening")
    say(lam, name, "two")
    tail.expect("said two")
    assert sum("said one" in s for s in tail.seen) == 1  # the catch-up printed nothing twice
    code, _ = tail.stop()
    assert code == 0


def test_no_follow_with_a_filter(cloudlet, lam, role):
    name = create(lam, role)
    say(lam, name, "alpha")
    say(lam, name, "beta")
    out = run(cloudlet.endpoint, name, "--no-follow", "--filter", "beta")
    assert out.returncode == 0, out.stderr
    assert "said beta" in out.stdout and "said alpha" not in out.stdout
    assert "START" not in out.stdout
    everything = run(cloudlet.endpoint, name, "--no-follow")
    assert everything.stdout.count("START RequestId") == 2
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    by_arn = run(cloudlet.endpoint, arn, "--no-follow", "--filter", "alpha")
    assert "said alpha" in by_arn.stdout
    later_than_all = str(int(cloudlet.clock()["now"] + 600))  # the service clock may be ahead
    later = run(cloudlet.endpoint, name, "--no-follow", "--since", later_than_all)
    assert later.returncode == 0 and later.stdout == ""


def test_the_functions_own_log_group(cloudlet, lam, role):
    group = f"/custom/{uuid.uuid4().hex[:8]}"
    name = create(lam, role, LoggingConfig={"LogFormat": "Text", "LogGroup": group})
    say(lam, name, "custom")
    out = run(cloudlet.endpoint, name, "--no-follow")
    assert "said custom" in out.stdout, out.stderr
    direct = run(cloudlet.endpoint, group, "--no-follow")  # a group named directly
    assert "said custom" in direct.stdout


def test_missing_group_without_follow(cloudlet):
    out = run(cloudlet.endpoint, f"nothing-{uuid.uuid4().hex[:6]}", "--no-follow")
    assert out.returncode == 1 and "no log group /aws/lambda/nothing-" in out.stderr


def test_unreachable_endpoint():
    out = run(f"http://127.0.0.1:{free_port()}", "fn", "--no-follow")
    assert out.returncode == 1
    assert "cloudlet logs:" in out.stderr and "Traceback" not in out.stderr


def test_bad_since_is_a_usage_error(cloudlet):
    out = run(cloudlet.endpoint, "fn", "--since", "yesterday-ish")
    assert out.returncode == 2 and "--since" in out.stderr


def test_since_forms():
    now = 1_700_000_000.0
    assert since_ms("10m", now) == int((now - 600) * 1000)
    assert since_ms("1.5h", now) == int((now - 5400) * 1000)
    assert since_ms("2d", now) == int((now - 172800) * 1000)
    assert since_ms("1700000000", now) == 1_700_000_000_000
    assert since_ms("1700000000123", now) == 1_700_000_000_123
    assert since_ms("2023-11-14T22:13:20Z", now) == 1_700_000_000_000
    assert since_ms("2023-11-14T22:13:20", now) == 1_700_000_000_000
    assert line({"timestamp": 1_700_000_000_123, "logStreamName": "s", "message": "hi\n"}) == (
        "2023-11-14T22:13:20.123Z s hi"
    )
