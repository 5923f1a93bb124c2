"""HTTP server limits: read timeouts (slow loris), URL and header caps, header sanitizing."""

from __future__ import annotations

import os
import select
import socket
import time

import pytest

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response

from .httpkit import HttpServerThread, read_responses


def handle(request: Request) -> Response:
    if request.path == "/inject":
        headers = [
            ("x-value", "a\r\nSet-Cookie: x=1"),
            ("x-name\r\nSet-Cookie: y=2\r\nx-more", "v"),
            ("x-controls", "a\x00b\x7fc\x85d\te\nf"),
            ("content-type", "text/plain"),
        ]
        return Response(200, headers, b"ok")
    body = request.read_body()
    target = len(request.path) + (len(request.query_string) + 1 if request.query_string else 0)
    return Response(200, [("content-type", "text/plain")], f"{target} {len(body)}".encode())


@pytest.fixture(scope="module")
def server():
    srv = HttpServerThread(handle, head_timeout=0.5, body_timeout=0.5, keep_alive=1.0)
    yield srv
    srv.stop(grace=1)
    srv.close()


def read_all(sock: socket.socket, timeout: float = 5.0) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def read_response(sock: socket.socket) -> tuple[bytes, dict[str, str], bytes]:
    return read_responses(sock, 1)[0]


def get(server: HttpServerThread, target: str = "/", extra: str = "") -> tuple[bytes, dict[str, str], bytes]:
    with server.connect() as sock:
        sock.sendall(f"GET {target} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
        return read_response(sock)


# ---- read timeouts ------------------------------------------------------------------------


def test_slow_loris_gets_408_while_others_are_served(server):
    wire = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200
    slow = [server.connect() for _ in range(5)]
    answers: dict[int, bytes] = {}
    served = 0
    started = time.monotonic()
    sent = 0
    while len(answers) < len(slow) and time.monotonic() - started < 6:
        for i, sock in enumerate(slow):
            if i in answers:
                continue
            if select.select([sock], [], [], 0)[0]:
                answers[i] = read_all(sock)
                continue
            sock.sendall(wire[sent : sent + 1])  # one byte every 0.1 s: never a whole head
        sent += 1
        status, _, _ = get(server)  # other clients are served meanwhile
        assert status.startswith(b"HTTP/1.1 200")
        served += 1
        time.sleep(0.1)
    elapsed = time.monotonic() - started
    for sock in slow:
        sock.close()
    assert len(answers) == len(slow), f"still trickling after {elapsed:.1f}s"
    assert all(a.startswith(b"HTTP/1.1 408") for a in answers.values()), answers
    assert all(b"connection: close" in a for a in answers.values())
    assert served >= 3 and elapsed < 4


def test_stalled_body_gets_408(server):
    with server.connect() as sock:
        sock.sendall(b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"b" * 10)
        started = time.monotonic()
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 408"), data[:200]
    assert time.monotonic() - started < 3


def test_slow_but_steady_body_is_received(server):
    body = b"0123456789" * 2
    with server.connect() as sock:
        sock.sendall(f"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode())
        for byte in body:  # 3 s in all, well past the head and body timeouts
            sock.sendall(bytes([byte]))
            time.sleep(0.15)
        status, _, answer = read_response(sock)
    assert status.startswith(b"HTTP/1.1 200")
    assert answer == b"2 20"


def test_silent_and_idle_connections_are_closed(server):
    with server.connect() as silent:  # never sends a byte: the head timeout applies
        started = time.monotonic()
        assert read_all(silent) == b""
        assert time.monotonic() - started < 3
    with server.connect() as idle:  # after a request: the keep-alive timeout applies
        idle.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(idle)[0].startswith(b"HTTP/1.1 200")
        started = time.monotonic()
        assert read_all(idle) == b""
        assert 0.5 < time.monotonic() - started < 4


# ---- size caps ----------------------------------------------------------------------------


def test_huge_header_is_refused_with_431_quickly(server):
    wire = b"GET / HTTP/1.1\r\nHost: x\r\nX-Huge: " + b"h" * (1024 * 1024) + b"\r\n\r\n"
    with server.connect() as sock:
        started = time.monotonic()
        try:
            sock.sendall(wire)
        except OSError:
            pass  # the server may stop reading once it has answered
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 431"), data[:200]
    assert time.monotonic() - started < 2
    assert get(server)[0].startswith(b"HTTP/1.1 200")


def test_huge_trailer_is_refused_with_431(server):
    wire = b"PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n"
    with server.connect() as sock:
        try:
            sock.sendall(wire + b"X-Trailer: " + b"t" * (1024 * 1024) + b"\r\n\r\n")
        except OSError:
            pass
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 431"), data[:200]


def test_chunked_body_with_small_trailer_is_served(server):
    wire = b"PUT /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
    body = b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in [b"a" * 70_000, b"b" * 100_000])
    with server.connect() as sock:
        sock.sendall(wire + body + b"0\r\nX-Checksum: abc\r\n\r\n")
        status, _, answer = read_response(sock)
    assert status.startswith(b"HTTP/1.1 200")
    assert answer == b"2 170000"


def test_header_block_over_64_kib_in_one_piece_is_refused(server):
    headers = "".join(f"X-H{i}: {'v' * 1000}\r\n" for i in range(70))
    with server.connect() as sock:
        sock.sendall(f"GET / HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 431"), data[:200]


def test_long_url_is_refused_with_414(server):
    with server.connect() as sock:
        sock.sendall(f"GET /{'u' * 100_000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 414"), data[:200]
    assert get(server)[0].startswith(b"HTTP/1.1 200")


def test_two_host_headers_are_refused(server):
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n")
        data = read_all(sock)
    assert data.startswith(b"HTTP/1.1 400"), data[:200]
    assert get(server)[0].startswith(b"HTTP/1.1 200")


def test_large_but_legitimate_url_and_headers_are_served(server):
    target = "/" + "k" * 10_000 + "?X-Amz-Signature=" + "s" * 10_000
    headers = "".join(f"X-Amz-Meta-H{i}: {'v' * 1000}\r\n" for i in range(40))
    status, _, body = get(server, target, headers)
    assert status.startswith(b"HTTP/1.1 200")
    assert body == f"{len(target)} 0".encode()


def test_many_pipelined_requests_and_a_large_body_are_not_mistaken_for_a_big_head(server):
    requests = b"GET /p HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"p" * 100 + b"\r\n\r\n"
    body = os.urandom(20 * 1024 * 1024)
    with server.connect() as sock:
        sock.sendall(
            requests * 1000 + f"PUT /b HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        sock.sendall(body)
        answers = read_responses(sock, 1001)
    assert all(a[0].startswith(b"HTTP/1.1 200") for a in answers)
    assert answers[-1][2] == f"2 {len(body)}".encode()


# ---- response headers ---------------------------------------------------------------------


def test_control_characters_never_reach_a_response_header(server):
    with server.connect() as sock:
        sock.sendall(b"GET /inject HTTP/1.1\r\nHost: x\r\n\r\n")
        status, headers, body = read_response(sock)
        assert status.startswith(b"HTTP/1.1 200") and body == b"ok"
        assert "set-cookie" not in headers
        assert headers["x-value"] == "a  Set-Cookie: x=1"
        assert "x-name  set-cookie" in headers
        assert headers["x-controls"] == "a b c d\te f"
        # and the connection is still in step
        sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert read_response(sock)[2] == b"1 0"
