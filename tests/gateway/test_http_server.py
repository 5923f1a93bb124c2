"""The HTTP/1.1 layer: keep-alive, pipelining, closing, malformed requests, disconnects."""

from __future__ import annotations

import json
import socket
import time
import uuid
from urllib.parse import urlsplit

import pytest

from .httpkit import read_responses

STS_BODY = b"Action=GetCallerIdentity&Version=2011-06-15"
FORM = "Content-Type: application/x-www-form-urlencoded\r\n"


def sts_request(extra: str = "", version: str = "1.1") -> bytes:
    head = f"POST / HTTP/{version}\r\nHost: localhost\r\n{FORM}Content-Length: {len(STS_BODY)}\r\n{extra}\r\n"
    return head.encode() + STS_BODY


def connect(endpoint: str) -> socket.socket:
    parts = urlsplit(endpoint)
    return socket.create_connection((parts.hostname, parts.port), timeout=10)


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def test_many_requests_on_one_connection(cloudlet):
    with connect(cloudlet.endpoint) as sock:
        for _ in range(20):
            sock.sendall(sts_request())
            [(status, headers, body)] = read_responses(sock, 1)
            assert status.startswith(b"HTTP/1.1 200")
            assert b"<Account>000000000000</Account>" in body
            assert "date" in headers and "connection" not in headers


def test_pipelined_requests_are_answered_in_order(cloudlet):
    bodies = [f"Action=GetCallerIdentity&Version=2011-06-15&n={i}".encode() for i in range(5)]
    health = b"GET /_cloudlet/health HTTP/1.1\r\nHost: localhost\r\n\r\n"
    wire = b""
    for i, body in enumerate(bodies):
        wire += f"POST / HTTP/1.1\r\nHost: x\r\n{FORM}Content-Length: {len(body)}\r\n\r\n".encode() + body
        if i == 2:
            wire += health
    with connect(cloudlet.endpoint) as sock:
        sock.sendall(wire)
        answers = read_responses(sock, 6)
    assert [a[0][:12] for a in answers] == [b"HTTP/1.1 200"] * 6
    assert b'"services"' in answers[3][2] or b"{" in answers[3][2][:1]
    assert all(b"GetCallerIdentityResponse" in a[2] for i, a in enumerate(answers) if i != 3)


def test_connection_close_is_honoured(cloudlet):
    with connect(cloudlet.endpoint) as sock:
        sock.sendall(sts_request("Connection: close\r\n"))
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200")
    assert b"\r\nconnection: close\r\n" in data.lower()


def test_http_1_0_closes_after_the_answer(cloudlet):
    with connect(cloudlet.endpoint) as sock:
        sock.sendall(sts_request(version="1.0"))
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200")
    assert b"GetCallerIdentityResponse" in data


@pytest.mark.parametrize(
    "wire",
    [
        b"NOT-HTTP\r\n\r\n",
        b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
        b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"GET / HTTP/1.1\r\nBad Header Line\r\n\r\n",
    ],
)
def test_malformed_http_gets_400_and_a_close(cloudlet, wire):
    with connect(cloudlet.endpoint) as sock:
        sock.sendall(wire)
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    with connect(cloudlet.endpoint) as sock:  # and the server still serves
        sock.sendall(sts_request())
        assert read_responses(sock, 1)[0][0].startswith(b"HTTP/1.1 200")


def test_upgrade_is_answered_as_plain_http_then_closed(cloudlet):
    wire = b"GET /_cloudlet/health HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"
    with connect(cloudlet.endpoint) as sock:
        sock.sendall(wire + b"\x81\x05hello")
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 200"), data[:200]
    assert data.endswith(b"}")


def test_head_answers_without_a_body(cloudlet):
    with connect(cloudlet.endpoint) as sock:
        sock.sendall(b"HEAD /_cloudlet/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        sock.sendall(b"GET /_cloudlet/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        buffer = b""
        while buffer.count(b"HTTP/1.1 200") < 2 or not buffer.endswith(b"}"):
            chunk = sock.recv(65536)
            assert chunk
            buffer += chunk
    head, rest = buffer.split(b"\r\n\r\n", 1)
    assert b"content-length" in head.lower()
    assert rest.startswith(b"HTTP/1.1 200"), "a HEAD answer carried a body"


def test_client_leaving_a_long_poll_takes_no_message(cloudlet, aws_client):
    """A long poll whose client disconnects ends without receiving what arrives later."""
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"gone-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    body = json.dumps({"QueueUrl": url, "WaitTimeSeconds": 20}).encode()
    head = (
        f"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-amz-json-1.0\r\n"
        f"X-Amz-Target: AmazonSQS.ReceiveMessage\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    sock = connect(cloudlet.endpoint)
    sock.sendall(head.encode() + body)
    time.sleep(0.2)
    sock.close()
    time.sleep(0.2)
    sqs.send_message(QueueUrl=url, MessageBody="for someone else")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
    assert [m["Body"] for m in got] == ["for someone else"]


def test_idle_server_keeps_serving_new_connections(cloudlet):
    socks = [connect(cloudlet.endpoint) for _ in range(50)]
    try:
        for sock in socks[::7]:
            sock.sendall(sts_request())
            assert read_responses(sock, 1)[0][0].startswith(b"HTTP/1.1 200")
    finally:
        for sock in socks:
            sock.close()
