"""WebSocket connections on the HTTP server: handshake, messages, limits, closing."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import socket
import struct
import threading
import time
import uuid
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect as ws_connect

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.websocket import WebSocket, WebSocketClosed

from .httpkit import HttpServerThread

EVENTS: dict[str, list[tuple[Any, ...]]] = {}  # per test id: what the handlers saw
SOCKETS: dict[str, WebSocket] = {}  # per test id: the server side of the connection


class Echo:
    """Echoes each message; a few messages ask for something else."""

    def __init__(
        self, events: list[tuple[Any, ...]], greet: bool = False, delay: float = 0, **limits: Any
    ) -> None:
        self.events = events
        self.greet = greet
        self.delay = delay
        self.active = 0
        for name, value in limits.items():
            setattr(self, name, value)

    async def on_open(self, ws: WebSocket) -> None:
        SOCKETS[ws.request.query.get("id", "")] = ws
        self.events.append(("open",))
        if self.greet:
            await ws.send("hello")

    async def on_message(self, ws: WebSocket, data: str | bytes) -> None:
        self.active += 1
        try:
            self.events.append(("message", data if len(data) < 100 else len(data), self.active))
            if data == "close please":
                await ws.close(4000, "bye")
                return
            if data == "boom":
                raise RuntimeError("handler failure")
            await asyncio.sleep(self.delay)  # another message must not start meanwhile
            await ws.send(data)
        finally:
            self.active -= 1

    async def on_close(self, ws: WebSocket, code: int, reason: str) -> None:
        self.events.append(("close", code, reason))


def handle(request: Request) -> Any:
    events = EVENTS.setdefault(request.query.get("id", ""), [])
    path = request.path
    if path == "/echo":
        offered = request.headers.get("sec-websocket-protocol") or ""
        headers = [("Sec-WebSocket-Protocol", "chat")] if "chat" in offered else []
        return Response(headers=headers, websocket=Echo(events))
    if path == "/greet":
        return Response(websocket=Echo(events, greet=True))
    if path == "/small":
        return Response(websocket=Echo(events, max_message_size=1000, max_frame_size=400))
    if path == "/slow":
        return Response(websocket=Echo(events, delay=0.005))
    if path == "/idle":
        return Response(websocket=Echo(events, idle_timeout=0.3))
    if path == "/later":

        async def later() -> Response:
            await asyncio.sleep(0.05)
            return Response(websocket=Echo(events))

        return later()
    if path == "/health":
        return Response(200, [("content-type", "text/plain")], b"ok")
    return Response(403, [("content-type", "text/plain")], b"Forbidden")


def ws_url(server: HttpServerThread, path: str, test_id: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}?id={test_id}"


@pytest.fixture(scope="module")
def server():
    # Short HTTP timeouts: an open WebSocket must outlive them.
    srv = HttpServerThread(handle, keep_alive=0.3, head_timeout=0.3, body_timeout=0.3)
    yield srv
    srv.stop()
    srv.close()


@pytest.fixture
def tid() -> str:
    return uuid.uuid4().hex


def events_of(test_id: str, kind: str, timeout: float = 5.0) -> list[tuple[Any, ...]]:
    """The handler events of one kind, waiting until at least one arrived."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [e for e in EVENTS.get(test_id, []) if e[0] == kind]
        if found:
            return found
        time.sleep(0.01)
    raise AssertionError(f"no {kind} event: {EVENTS.get(test_id)}")


def closed_by_server(ws: Any) -> Any:
    """Receive until the server closes; the close frame it sent."""
    with pytest.raises(ConnectionClosed) as info:
        while True:
            ws.recv(timeout=5)
    return info.value.rcvd


# ---- raw wire helpers ---------------------------------------------------------------------


def handshake(port: int, target: str, extra: str = "") -> tuple[socket.socket, bytes]:
    """Send an opening handshake (and ``extra`` raw bytes after it); the socket and the answer head."""
    key = base64.b64encode(os.urandom(16)).decode()
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(
        f"GET {target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        assert chunk, head
        head += chunk
    if head.startswith(b"HTTP/1.1 101"):
        digest = hashlib.sha1(key.encode() + b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11").digest()
        lines = dict(ln.split(b": ", 1) for ln in head.strip().split(b"\r\n")[1:])
        assert {k.lower(): v for k, v in lines.items()}[b"sec-websocket-accept"] == base64.b64encode(digest)
    return sock, head


def frame(opcode: int, payload: bytes, fin: bool = True, mask: bool = True) -> bytes:
    first = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    bit = 0x80 if mask else 0
    if n < 126:
        length = bytes([bit | n])
    elif n < 65536:
        length = bytes([bit | 126]) + struct.pack("!H", n)
    else:
        length = bytes([bit | 127]) + struct.pack("!Q", n)
    if not mask:
        return first + length + payload
    key = os.urandom(4)
    return first + length + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def read_frame(sock: socket.socket) -> tuple[int, bytes]:
    def exactly(n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = sock.recv(n - len(data))
            assert chunk, "connection closed"
            data += chunk
        return data

    first, second = exactly(2)
    n = second & 0x7F
    if n == 126:
        (n,) = struct.unpack("!H", exactly(2))
    elif n == 127:
        (n,) = struct.unpack("!Q", exactly(8))
    return first & 0x0F, exactly(n)


def read_until_closed(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


# ---- messages -----------------------------------------------------------------------------


def test_echoes_text_and_binary(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        ws.send("héllo")
        assert ws.recv(timeout=5) == "héllo"
        ws.send(b"\x00\x01\xff")
        assert ws.recv(timeout=5) == b"\x00\x01\xff"
        ws.send("")
        assert ws.recv(timeout=5) == ""


def test_one_megabyte_messages(server, tid):
    text = "x" * 1_000_000
    blob = os.urandom(1024 * 1024)
    with ws_connect(ws_url(server, "/echo", tid), max_size=None) as ws:
        ws.send(text)
        assert ws.recv(timeout=10) == text
        ws.send(blob)
        assert ws.recv(timeout=10) == blob


def test_fragmented_messages_are_reassembled(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        ws.send(["frag", "mented ", "text"])
        assert ws.recv(timeout=5) == "fragmented text"
        ws.send([b"\x01", b"\x02\x03"])
        assert ws.recv(timeout=5) == b"\x01\x02\x03"
    messages = [e[1] for e in events_of(tid, "message")]
    assert messages == ["fragmented text", b"\x01\x02\x03"]


def test_control_frames_between_fragments(server, tid):
    sock, head = handshake(server.port, f"/echo?id={tid}")
    with sock:
        assert head.startswith(b"HTTP/1.1 101")
        sock.sendall(frame(0x1, b"ab", fin=False) + frame(0x9, b"are you there") + frame(0x0, b"cd"))
        assert read_frame(sock) == (0xA, b"are you there")
        assert read_frame(sock) == (0x1, b"abcd")


def test_ping_is_answered_with_pong(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        assert ws.ping(b"payload").wait(5)


def test_messages_arrive_in_order_one_at_a_time(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        for i in range(100):
            ws.send(f"m{i}")
        assert [ws.recv(timeout=5) for _ in range(100)] == [f"m{i}" for i in range(100)]
    assert {e[2] for e in events_of(tid, "message")} == {1}  # never two on_message at once


def test_a_slow_handler_holds_the_client_back_without_losing_messages(server, tid):
    payloads = [os.urandom(10_000) for _ in range(100)]
    with ws_connect(ws_url(server, "/slow", tid)) as ws:
        for payload in payloads:  # far more than the server queues before it stops reading
            ws.send(payload)
        assert [ws.recv(timeout=10) for _ in payloads] == payloads
    assert {e[2] for e in events_of(tid, "message")} == {1}


def test_subprotocol_chosen_by_the_handler(server, tid):
    with ws_connect(ws_url(server, "/echo", tid), subprotocols=["other", "chat"]) as ws:
        assert ws.subprotocol == "chat"


def test_frames_sent_with_the_handshake_are_not_lost(server, tid):
    for path in ("/echo", "/later"):  # answered at once, and by a coroutine
        key = base64.b64encode(os.urandom(16)).decode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(
                f"GET {path}?id={tid} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
                + frame(0x1, b"early")
            )
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(1)
            assert head.startswith(b"HTTP/1.1 101"), head
            assert read_frame(sock) == (0x1, b"early")


# ---- server-initiated ---------------------------------------------------------------------


def test_greeting_on_open_and_a_push_from_outside_the_handler(server, tid):
    with ws_connect(ws_url(server, "/greet", tid)) as ws:
        assert ws.recv(timeout=5) == "hello"
        events_of(tid, "open")
        server.call(SOCKETS[tid].send("pushed"))  # as PostToConnection would
        server.call(SOCKETS[tid].send(b"bytes too"))
        assert ws.recv(timeout=5) == "pushed"
        assert ws.recv(timeout=5) == b"bytes too"
        server.call(SOCKETS[tid].close(4002, "kicked"))  # as DeleteConnection would
        rcvd = closed_by_server(ws)
    assert (rcvd.code, rcvd.reason) == (4002, "kicked")
    assert events_of(tid, "close") == [("close", 4002, "kicked")]


def test_server_closes_with_code_and_reason(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        ws.send("close please")
        rcvd = closed_by_server(ws)
    assert (rcvd.code, rcvd.reason) == (4000, "bye")
    assert events_of(tid, "close") == [("close", 4000, "bye")]
    assert SOCKETS[tid].closed
    with pytest.raises(WebSocketClosed):
        server.call(SOCKETS[tid].send("too late"))


def test_client_close_code_and_reason_reach_the_handler(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        ws.send("one")
        assert ws.recv(timeout=5) == "one"
        ws.close(4001, "done here")
    assert events_of(tid, "close") == [("close", 4001, "done here")]
    assert [e[0] for e in EVENTS[tid]] == ["open", "message", "close"]


def test_handler_exception_closes_with_1011(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        ws.send("boom")
        assert closed_by_server(ws).code == 1011
    assert events_of(tid, "close")[0][1] == 1011


def test_client_vanishing_is_reported_as_1006(server, tid):
    sock, head = handshake(server.port, f"/echo?id={tid}")
    assert head.startswith(b"HTTP/1.1 101")
    events_of(tid, "open")
    sock.close()
    assert events_of(tid, "close") == [("close", 1006, "")]


# ---- refusals and protocol errors ---------------------------------------------------------


def test_handler_refusal_is_answered_as_http(server, tid):
    sock, head = handshake(server.port, f"/elsewhere?id={tid}")
    with sock:
        rest = read_until_closed(sock)
    assert head.startswith(b"HTTP/1.1 403")
    assert b"connection: close" in head.lower()
    assert rest == b"Forbidden"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", b"400"),
        (
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            "Sec-WebSocket-Key: c2hvcnQ=\r\n",
            b"400",
        ),
        (
            "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
            b"426",
        ),
        ("", b"426"),  # a plain GET to a WebSocket endpoint
    ],
)
def test_invalid_handshakes(server, tid, headers, status):
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(f"GET /echo?id={tid} HTTP/1.1\r\nHost: x\r\n{headers}\r\n".encode())
        data = read_until_closed(sock)
    assert data.startswith(b"HTTP/1.1 " + status), data[:200]
    assert b"\r\nsec-websocket-version: 13\r\n" in data.lower()
    assert tid not in SOCKETS


def test_message_over_the_limit_closes_with_1009(server, tid):
    with ws_connect(ws_url(server, "/small", tid)) as ws:
        ws.send(["a" * 300, "b" * 300, "c" * 300])  # 900 characters in frames of 300: fine
        assert ws.recv(timeout=5) == "a" * 300 + "b" * 300 + "c" * 300
        ws.send(b"x" * 1500)
        assert closed_by_server(ws).code == 1009
    assert events_of(tid, "close")[0][1] == 1009


def test_frame_over_the_limit_closes_with_1009(server, tid):
    with ws_connect(ws_url(server, "/small", tid)) as ws:
        ws.send(b"x" * 500)  # under the message limit, over the frame limit
        assert closed_by_server(ws).code == 1009


def test_default_limit_is_4_mib(server, tid):
    with ws_connect(ws_url(server, "/echo", tid), max_size=None) as ws:
        ws.send(b"x" * (4 * 1024 * 1024 + 1))
        assert closed_by_server(ws).code == 1009


def test_invalid_utf8_closes_with_1007(server, tid):
    sock, _ = handshake(server.port, f"/echo?id={tid}")
    with sock:
        sock.sendall(frame(0x1, b"ok \xff\xfe"))
        opcode, payload = read_frame(sock)
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1007
        assert read_until_closed(sock) == b""
    assert events_of(tid, "close")[0][1] == 1007


def test_unmasked_client_frame_closes_with_1002(server, tid):
    sock, _ = handshake(server.port, f"/echo?id={tid}")
    with sock:
        sock.sendall(frame(0x1, b"no mask", mask=False))
        opcode, payload = read_frame(sock)
        assert opcode == 0x8 and struct.unpack("!H", payload[:2])[0] == 1002
    assert events_of(tid, "close")[0][1] == 1002


# ---- living beside HTTP -------------------------------------------------------------------


def test_http_is_served_while_a_websocket_is_open_past_the_http_timeouts(server, tid):
    with ws_connect(ws_url(server, "/echo", tid)) as ws:
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
                sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                data = read_until_closed(sock)
            assert data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
        time.sleep(1.0)  # idle past the server's 0.3 s keep-alive and head timeouts
        ws.send("still here")
        assert ws.recv(timeout=5) == "still here"


def test_optional_idle_timeout_closes_with_1001(server, tid):
    with ws_connect(ws_url(server, "/idle", tid)) as ws:
        ws.send("hi")
        assert ws.recv(timeout=5) == "hi"
        started = time.monotonic()
        assert closed_by_server(ws).code == 1001
        assert time.monotonic() - started < 3


def test_closed_connections_leave_the_server_and_stop_sends_1001(tid):
    srv = HttpServerThread(handle)
    try:
        with ws_connect(ws_url(srv, "/echo", tid)) as ws:
            ws.send("x")
            assert ws.recv(timeout=5) == "x"
        deadline = time.monotonic() + 5
        while srv.server.connections and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not srv.server.connections
        with ws_connect(ws_url(srv, "/echo", tid)) as ws:
            ws.send("y")
            assert ws.recv(timeout=5) == "y"
            stopping = threading.Thread(target=srv.stop)
            stopping.start()
            rcvd = closed_by_server(ws)
            stopping.join(10)
        assert (rcvd.code, rcvd.reason) == (1001, "Going away")
        assert ("close", 1001, "Going away") in EVENTS[tid]
        assert not srv.server.connections
    finally:
        srv.close()
