"""AWS CLI v2's ``aws logs tail --follow`` against Cloudlet (it polls FilterLogEvents).

v2 is not on PyPI: the test runs where an ``aws`` v2 is installed (Debian's ``awscli``
package, AWS's installer) and is skipped elsewhere.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import threading
import time
import uuid

import pytest


def _aws_v2() -> str | None:
    for candidate in (shutil.which("aws"), "/usr/bin/aws", "/usr/local/bin/aws"):
        if not candidate or not os.path.exists(candidate):
            continue
        try:
            out = subprocess.run([candidate, "--version"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            continue
        if (out.stdout + out.stderr).startswith("aws-cli/2."):
            return candidate
    return None


AWS_V2 = _aws_v2()
pytestmark = pytest.mark.skipif(AWS_V2 is None, reason="AWS CLI v2 is not installed")


def test_logs_tail_follow(cloudlet, logs, now_ms, tmp_path):
    group = f"/aws/lambda/tail-{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "before"}]
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        HOME=str(tmp_path),
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_CONFIG_FILE="/dev/null",
        AWS_SHARED_CREDENTIALS_FILE="/dev/null",
        AWS_PAGER="",
    )
    assert AWS_V2 is not None
    argv = [AWS_V2, "--endpoint-url", cloudlet.endpoint, "logs", "tail", group, "--follow"]
    argv += ["--since", "1d", "--format", "short"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout], daemon=True).start()

    def expect(text: str, within: float = 30.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            try:
                if text in lines.get(timeout=0.2):
                    return
            except queue.Empty:
                continue
        raise AssertionError(
            f"aws logs tail printed no {text!r}: {proc.stderr.read() if proc.poll() else ''}"
        )

    try:
        expect("before")
        logs.put_log_events(
            logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "after"}]
        )
        expect("after")
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) in (0, 130)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
