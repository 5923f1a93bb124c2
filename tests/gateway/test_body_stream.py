"""Request bodies read as they arrive (``HttpServer(stream_bodies=...)``): chunks reach the
handler before the body ends, trailers after it, a slow reader pauses the client, an early
answer drops the rest and the connection goes on."""

from __future__ import annotations

import asyncio
import json
import threading

import pytest

from cloudlet.gateway.body_stream import HIGH_WATER, BodyAborted, BodyStream
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response

from .httpkit import HttpServerThread, read_responses

first_piece = threading.Event()
held: list[bool] = []


def chunked(*pieces: bytes, trailers: str = "") -> bytes:
    return b"".join(b"%x\r\n%b\r\n" % (len(p), p) for p in pieces) + b"0\r\n" + trailers.encode() + b"\r\n"


def head(path: str, stream: bool = True) -> bytes:
    flag = "X-Stream: 1\r\n" if stream else ""
    return f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n{flag}\r\n".encode()


@pytest.fixture(scope="module")
def server():
    holder: list[HttpServerThread] = []

    async def handle(request: Request) -> Response:
        if request.stream is None:
            return Response(200, [("content-type", "text/plain")], b"buffered:" + request.read_body())
        if request.path == "/early":
            return Response(400, [("content-type", "text/plain")], b"refused")
        if request.path == "/slow":
            await asyncio.sleep(0.5)  # the client sends meanwhile: past HIGH_WATER, reading pauses
            held.append(any(c.body_held for c in holder[0].server.connections))
        pieces = []
        async for piece in request.stream:
            pieces.append(piece)
            first_piece.set()
        size = sum(len(p) for p in pieces)
        text = [p.decode() for p in pieces] if size < 1000 else []
        body = json.dumps({"pieces": text, "size": size, "trailers": request.stream.trailers}).encode()
        return Response(200, [("content-type", "application/json")], body)

    srv = HttpServerThread(handle, stream_bodies=lambda r: r.headers.get("x-stream") == "1")
    holder.append(srv)
    yield srv
    srv.stop(grace=1)
    srv.close()


def test_pieces_reach_the_handler_before_the_body_ends(server):
    first_piece.clear()
    with server.connect() as sock:
        sock.sendall(head("/stream") + b"5\r\nhello\r\n")
        assert first_piece.wait(5)  # read while the client still holds the rest back
        sock.sendall(b"5\r\nworld\r\n0\r\nX-Check: abc\r\nX-Error-Type: none\r\n\r\n")
        [(status, _, body)] = read_responses(sock, 1)
    assert status.startswith(b"HTTP/1.1 200")
    assert json.loads(body) == {
        "pieces": ["hello", "world"],
        "size": 10,
        "trailers": {"x-check": "abc", "x-error-type": "none"},
    }


def test_requests_not_picked_are_buffered_as_before(server):
    with server.connect() as sock:
        sock.sendall(head("/stream", stream=False) + chunked(b"a", b"b", trailers="X-T: 1\r\n"))
        [(status, _, body)] = read_responses(sock, 1)
    assert status.startswith(b"HTTP/1.1 200") and body == b"buffered:ab"


def test_an_early_answer_drops_the_rest_and_the_connection_goes_on(server):
    with server.connect() as sock:
        sock.sendall(head("/early") + b"3\r\nabc\r\n")
        [(status, _, body)] = read_responses(sock, 1)
        assert status.startswith(b"HTTP/1.1 400") and body == b"refused"
        sock.sendall(chunked(b"x" * 5000, b"more") + head("/again") + chunked(b"next"))
        [(status, _, body)] = read_responses(sock, 1)
    assert json.loads(body)["pieces"] == ["next"]


def test_a_slow_reader_pauses_reading_until_it_catches_up(server):
    held.clear()
    piece = b"z" * 65536
    count = 4 * HIGH_WATER // len(piece)
    with server.connect() as sock:
        sock.sendall(head("/slow"))
        sender = threading.Thread(target=lambda: sock.sendall(chunked(*[piece] * count)))
        sender.start()
        [(status, _, body)] = read_responses(sock, 1)
        sender.join(10)
    assert status.startswith(b"HTTP/1.1 200")
    assert json.loads(body)["size"] == len(piece) * count
    assert held == [True]


def test_the_stream_yields_what_came_then_ends_or_aborts():
    async def read(stream: BodyStream) -> list[bytes]:
        return [piece async for piece in stream]

    async def scenario() -> None:
        calls: list[bool] = []
        stream = BodyStream(calls.append)
        stream.feed(b"a" * (HIGH_WATER + 1))
        stream.feed(b"b")
        stream.finish({"X-Name": "v"})
        assert await read(stream) == [b"a" * (HIGH_WATER + 1), b"b"]
        assert stream.trailers == {"x-name": "v"} and calls == [True, False]

        stream = BodyStream()
        stream.feed(b"kept")
        stream.abort()
        pieces = []
        with pytest.raises(BodyAborted):
            async for piece in stream:
                pieces.append(piece)
        assert pieces == [b"kept"]

        stream = BodyStream()
        stream.feed(b"dropped")
        stream.discard()
        stream.feed(b"also dropped")
        assert await read(stream) == []

    asyncio.run(scenario())
