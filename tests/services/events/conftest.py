"""Fixtures for the EventBridge tests: clients, buses, queues wired as targets."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from botocore.config import Config


@pytest.fixture
def events(aws_client):
    return aws_client("events")


@pytest.fixture
def events_raw(aws_client):
    """A client that skips botocore's own parameter checks, to reach the server's."""
    return aws_client("events", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def make_queue(sqs):
    """Create a queue; returns (url, arn)."""

    def make(prefix: str = "q", **attributes: str) -> tuple[str, str]:
        name = unique(prefix) + (".fifo" if attributes.get("FifoQueue") == "true" else "")
        url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        return url, arn

    return make


def error_of(exc) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


class Recorder(BaseHTTPRequestHandler):
    """Records each request on the server; /token answers an OAuth token after ``delay``."""

    def _answer(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        server.requests.append(  # type: ignore[attr-defined]
            {"method": self.command, "path": self.path, "headers": dict(self.headers.items()), "body": body}
        )
        if self.path.startswith("/token"):
            time.sleep(server.delay)  # type: ignore[attr-defined]
            answer = json.dumps({"access_token": "tok", "expires_in": 3600}).encode()
        else:
            answer = b"{}"
        self.send_response(server.status if not self.path.startswith("/token") else 200)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_POST = do_PUT = do_GET = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_endpoint():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    server.requests = []
    server.status = 200
    server.delay = 0.0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    yield server
    server.shutdown()
    server.server_close()
