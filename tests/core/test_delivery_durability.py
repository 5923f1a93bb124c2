"""Deliveries in every state survive kill -9: each acknowledged one is made at least once."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.request
import uuid

from cloudlet.testing.server import ServerProcess, client

ACCOUNT = "000000000000"


def post(endpoint: str, spec: dict) -> dict:
    req = urllib.request.Request(
        endpoint + "/_cloudlet/deliveries",
        data=json.dumps(spec).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


def drain(sqs, url: str) -> set[str]:
    bodies: set[str] = set()
    while True:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get("Messages", [])
        if not got:
            return bodies
        for message in got:
            bodies.add(message["Body"])
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_deliveries_in_every_state_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    sqs = client("sqs", server.endpoint)
    ready = sqs.create_queue(QueueName=f"ready-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    ready_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{ready.rsplit('/', 1)[1]}"
    later_name = f"later-{uuid.uuid4().hex[:8]}"
    later_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{later_name}"
    retrying = {"backoff": {"base": 1.0, "cap": 30.0}}
    acked: list[tuple[str, str]] = []  # (queue, body) of every delivery the server stored

    def spec(n: int) -> tuple[str, dict]:
        kind = n % 4
        body = f"m{n}"
        if kind == 0:  # due now, to a queue that exists: made at once, some in flight at the kill
            return "ready", {"target": "sqs.deliver", "payload": {"QueueArn": ready_arn, "MessageBody": body}}
        if kind == 1:  # due in an hour: a timer
            payload = {"QueueArn": ready_arn, "MessageBody": body}
            return "ready", {"target": "sqs.deliver", "payload": payload, "delay": 3600}
        if kind == 2:  # to a queue that does not exist yet: failing and backing off
            payload = {"QueueArn": later_arn, "MessageBody": body}
            return "later", {"target": "sqs.deliver", "payload": payload, "policy": retrying}
        payload = {"QueueArn": later_arn, "MessageBody": body}  # ordered behind a failing head
        return "later", {"target": "sqs.deliver", "payload": payload, "policy": retrying, "orderKey": "k"}

    kill_after = random.randint(150, 250)
    stop = threading.Event()

    def produce() -> None:
        n = 0
        while not stop.is_set():
            queue, body_spec = spec(n)
            try:
                post(server.endpoint, body_spec)
            except OSError:
                return  # the server died mid-request: not acknowledged
            acked.append((queue, body_spec["payload"]["MessageBody"]))
            n += 1

    thread = threading.Thread(target=produce)
    thread.start()
    while len(acked) < kill_after:
        time.sleep(0.001)
    server.kill()
    stop.set()
    thread.join(10)

    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        later = sqs.create_queue(QueueName=later_name)["QueueUrl"]
        server.advance_clock(7200)
        deadline = time.monotonic() + 20
        got = {"ready": set(), "later": set()}
        want = {
            "ready": {b for q, b in acked if q == "ready"},
            "later": {b for q, b in acked if q == "later"},
        }
        while time.monotonic() < deadline and any(want[q] - got[q] for q in want):
            got["ready"] |= drain(sqs, ready)
            got["later"] |= drain(sqs, later)
            server.advance_clock(60)
        assert not want["ready"] - got["ready"], sorted(want["ready"] - got["ready"])[:10]
        assert not want["later"] - got["later"], sorted(want["later"] - got["later"])[:10]
    finally:
        server.kill()


def test_the_admin_api_refuses_deliveries_it_cannot_make(cloudlet):
    def refused(spec) -> tuple[int, str]:
        req = urllib.request.Request(
            cloudlet.endpoint + "/_cloudlet/deliveries",
            data=json.dumps(spec).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            urllib.request.urlopen(req, timeout=10)
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())["message"]
        raise AssertionError(f"{spec} was accepted")

    assert refused({"target": "dynamodb.sweep", "payload": {}})[0] == 400  # internal: not public
    assert refused({"target": "nope.x"})[0] == 400
    assert refused({"target": "sqs.deliver", "policy": {"max_retries": -1}})[0] == 400
    assert refused({"target": "sqs.deliver", "policy": {"backoff": {"jitter": "loud"}}})[0] == 400
    assert refused({"target": "sqs.deliver", "delay": "soon"})[0] == 400
    assert refused(["not", "an", "object"])[0] == 400
    with urllib.request.urlopen(cloudlet.endpoint + "/_cloudlet/deliveries", timeout=10) as resp:
        assert "targets" in json.loads(resp.read())
