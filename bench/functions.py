"""Lambda (issue 14): warm invokes of a trivial Python handler, serial and from four clients.

Setup through boto3 (an IAM role that trusts lambda.amazonaws.com, a python3.12 function whose
handler returns `{"ok": true}`, one invoke to warm it); the measured requests are pre-built raw
`POST /2015-03-31/functions/<name>/invocations` over keep-alive connections:

- `lambda_invoke`: one client, p50/p99 of a warm RequestResponse invoke.
- `lambda_invoke_sat`: `max(--clients, 4)` client processes at once (saturate.py); a step counts
  when the answer is 200 with the handler's payload.
- `lambda_cold`: `COLD_FUNCTIONS` new functions (made before timing), each invoked once: the
  round trip of that first invoke, and the time from sending it to the handler starting (the
  handler answers `time.time()`; same machine, same clock).
- `lambda_async_dest`: `Event` invokes of a function whose OnSuccess destination is an SQS queue,
  one at a time: from sending the invoke to the long poll returning the invocation record.
- `lambda_warm_rss`: `WARM_ENVS` invocations at once of a handler that sleeps, so as many
  execution environments run; the server's process tree RSS before and after, per environment.
"""

from __future__ import annotations

import dataclasses
import io
import json
import statistics
import threading
import time
import uuid
import zipfile

from procs import tree_rss_mb
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
    wait_ready,
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


COLD_FUNCTIONS = 15
ASYNC_ROUNDS = 30
WARM_ENVS = 100
CLOCK_HANDLER = "import time\ndef handler(event, context):\n    return time.time()\n"
SLEEP_HANDLER = "import time\ndef handler(event, context):\n    time.sleep(event.get('s', 0))\n    return 1\n"


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


def _create(target: Target, code: str, role: str | None = None) -> tuple[str, str]:
    """A new python3.12 function (active, never invoked): its name and role."""
    iam, lam = _clients(target)
    if role is None:
        role = iam.create_role(  # type: ignore[attr-defined]
            RoleName=f"bench-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
        )["Role"]["Arn"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", code)
    name = f"bench-{uuid.uuid4().hex[:8]}"
    lam.create_function(  # type: ignore[attr-defined]
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": buffer.getvalue()},
        Timeout=60,
    )
    lam.get_waiter("function_active_v2").wait(FunctionName=name)  # type: ignore[attr-defined]
    return name, role


def make_function(target: Target) -> str:
    """A warm python3.12 function; its name."""
    _, lam = _clients(target)
    name, _ = _create(target, HANDLER)
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


def _ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def lambda_cold(target: Target) -> Figures:
    _, lam = _clients(target)
    role = None
    names = []
    for _ in range(COLD_FUNCTIONS):
        name, role = _create(target, CLOCK_HANDLER, role)
        names.append(name)
    trips, starts = [], []
    for name in names:
        sent = time.time()
        answer = lam.invoke(FunctionName=name, Payload=b"{}")["Payload"].read()  # type: ignore[attr-defined]
        trips.append((time.time() - sent) * 1000)
        starts.append((float(json.loads(answer)) - sent) * 1000)
    return {
        "cold_p50_ms": statistics.median(trips),
        "start_p50_ms": statistics.median(starts),
        "start_max_ms": max(starts),
        "requests": len(trips),
    }


def lambda_async_dest(target: Target) -> Figures:
    import boto3
    from botocore.config import Config

    _, lam = _clients(target)
    sqs = boto3.session.Session(
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET, region_name=REGION
    ).client("sqs", endpoint_url=target.url, config=Config(read_timeout=60))
    queue = sqs.create_queue(QueueName=f"bench-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    name, _ = _create(target, HANDLER)
    lam.put_function_event_invoke_config(  # type: ignore[attr-defined]
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    latencies = []
    for index in range(ASYNC_ROUNDS + 1):
        sent = time.time()
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")  # type: ignore[attr-defined]
        messages: list[dict[str, object]] = []
        while not messages and time.time() - sent < 30:
            messages = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=20).get("Messages", [])
        if not messages:
            raise FunctionError("no destination record within 30 s")
        if index:  # the first starts the environment
            latencies.append((time.time() - sent) * 1000)
        sqs.delete_message(QueueUrl=queue, ReceiptHandle=messages[0]["ReceiptHandle"])
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": _ms(latencies, 0.99),
        "requests": len(latencies),
    }


def lambda_warm_rss(target: Target) -> Figures:
    wait_ready(target)  # a fresh server: the runner does not wait for it
    _, lam = _clients(target)
    name, _ = _create(target, SLEEP_HANDLER)
    lam.invoke(FunctionName=name, Payload=b"{}")  # type: ignore[attr-defined]
    time.sleep(1.0)
    before = tree_rss_mb(target.pid)
    peak = [before]
    done = threading.Event()

    def one() -> None:
        _, client = _clients(target)
        client.invoke(FunctionName=name, Payload=b'{"s": 2}')  # type: ignore[attr-defined]

    def watch() -> None:
        while not done.is_set():
            peak.append(tree_rss_mb(target.pid))
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [threading.Thread(target=one) for _ in range(WARM_ENVS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()
    after = tree_rss_mb(target.pid)
    return {
        "rss_before_mb": before,
        "rss_after_mb": after,
        "per_env_mb": (max(peak) - before) / WARM_ENVS,
        "requests": WARM_ENVS,
    }
