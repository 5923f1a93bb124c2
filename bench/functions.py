"""Lambda (issue 14): warm invokes of a trivial Python handler, serial and from four clients.

Setup through boto3 (an IAM role that trusts lambda.amazonaws.com, a python3.12 function whose
handler returns `{"ok": true}`, one invoke to warm it); the measured requests are pre-built raw
`POST /2015-03-31/functions/<name>/invocations` over keep-alive connections:

- `lambda_invoke`: one client, p50/p99 of a warm RequestResponse invoke.
- `lambda_invoke_sat`: `max(--clients, 4)` client processes at once (saturate.py); a step counts
  when the answer is 200 with the handler's payload.
"""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
import zipfile

from saturate import Client, sat_figures, saturate
from workloads import (
    FAKE_KEY_ID,
    FAKE_SECRET,
    NETWORK_ERRORS,
    REGION,
    Figures,
    KeepAliveConnection,
    Target,
    loop_figures,
    measured_loop,
)

CLIENTS = 4
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"
EXPECTED = b'{"ok": true}'
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


class FunctionError(RuntimeError):
    """The function could not be made or did not answer as expected."""


def _clients(target: Target) -> tuple[object, object]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET, region_name=REGION
    )
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=60)
    return (
        session.client("iam", endpoint_url=target.url, config=config),
        session.client("lambda", endpoint_url=target.url, config=config),
    )


def make_function(target: Target) -> str:
    """A warm python3.12 function; its name."""
    iam, lam = _clients(target)
    role = iam.create_role(  # type: ignore[attr-defined]
        RoleName=f"bench-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    lam.create_function(  # type: ignore[attr-defined]
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)  # type: ignore[attr-defined]
    answer = lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()  # type: ignore[attr-defined]
    if json.loads(answer) != {"ok": True}:
        raise FunctionError(f"the warm-up invoke answered {answer[:200]!r}")
    return name


def _request(target: Target, name: str) -> bytes:
    scope = f"{FAKE_KEY_ID}/20260101/{REGION}/lambda/aws4_request"
    body = b"{}"
    lines = [
        f"POST /2015-03-31/functions/{name}/invocations HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "X-Amz-Date: 20260101T000000Z",
        f"Authorization: AWS4-HMAC-SHA256 Credential={scope}, SignedHeaders=host;x-amz-date, Signature=0000",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Invoker:
    """Warm invokes over one keep-alive connection."""

    def __init__(self, target: Target, name: str) -> None:
        self.conn = KeepAliveConnection(target, timeout=30.0)
        self.payload = _request(target, name)

    def run(self) -> bool:
        try:
            self.conn.send(self.payload)
            status, body = self.conn.read()
        except NETWORK_ERRORS:
            self.conn.sock = None
            return False
        return status == 200 and body.replace(b" ", b"") == EXPECTED.replace(b" ", b"")

    def close(self) -> None:
        if self.conn.sock is not None:
            self.conn.sock.close()


def lambda_invoke(target: Target) -> Figures:
    invoker = Invoker(target, make_function(target))
    try:
        result = measured_loop(target, invoker.run)
    finally:
        invoker.close()
    return loop_figures(result, "ops_per_s")


def lambda_invoke_sat(target: Target) -> Figures:
    name = make_function(target)
    target = dataclasses.replace(target, clients=max(target.clients, CLIENTS))

    def make(index: int) -> Client:
        invoker = Invoker(target, name)
        return Client(invoker.run, close=invoker.close)

    result = saturate(target, make)
    return {**sat_figures(result, "ops_per_s"), "requests": result.ok}
