"""A local HTTP endpoint for SNS's HTTP/S deliveries: records each POST, answers the statuses
it is told to (200 by default)."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: str

    def json(self) -> dict:
        return json.loads(self.body)


class Endpoint:
    """``url`` takes POSTs; ``statuses`` are answered in turn (the last repeats)."""

    def __init__(self, statuses: tuple[int, ...] = (200,), port: int = 0) -> None:
        self.statuses = list(statuses)
        self.received: list[Received] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                headers = {k.lower(): v for k, v in self.headers.items()}
                endpoint.received.append(Received(self.path, headers, body))
                status = endpoint.statuses.pop(0) if len(endpoint.statuses) > 1 else endpoint.statuses[0]
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/sns/hook"
        self.closed = False

    def wait(self, count: int, seconds: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.received) >= count, f"{len(self.received)} requests, expected {count}"
        return self.received

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self.server.shutdown()
        self.server.server_close()


def verify(message: dict) -> None:
    """Verify an SNS message's signature as a standard verifier does (the served certificate)."""
    with urllib.request.urlopen(message["SigningCertURL"]) as answer:
        cert = x509.load_pem_x509_certificate(answer.read())
    keys = NOTIFICATION_KEYS if message["Type"] == "Notification" else CONFIRMATION_KEYS
    text = "".join(f"{k}\n{message[k]}\n" for k in keys if k in message)
    digest = hashes.SHA256() if message["SignatureVersion"] == "2" else hashes.SHA1()
    signature = base64.b64decode(message["Signature"])
    cert.public_key().verify(signature, text.encode(), padding.PKCS1v15(), digest)


def get(url: str) -> tuple[int, str]:
    """GET ``url`` without credentials (as a browser follows a link): status and body."""
    try:
        with urllib.request.urlopen(url, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
