"""A streamed answer whose body fails after its head went out: the connection closes without
the chunked body's end (no second answer is written into the first), and the server goes on."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import pytest

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import BodyCut, Response

from .httpkit import HttpServerThread, read_responses


async def _failing(problem: Exception) -> AsyncIterator[bytes]:
    yield b"abc"
    raise problem


@pytest.fixture(scope="module")
def server():
    def handle(request: Request) -> Response:
        if request.path == "/cut":
            return Response(200, [("content-type", "text/plain")], _failing(BodyCut("ended")))
        if request.path == "/bug":
            return Response(200, [("content-type", "text/plain")], _failing(ValueError("a bug")))
        return Response(200, [("content-type", "text/plain")], b"ok")

    srv = HttpServerThread(handle)
    yield srv
    srv.stop(grace=1)
    srv.close()


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.parametrize("path", ["/cut", "/bug"])
def test_a_body_that_fails_cuts_the_answer(server, path):
    sock = server.connect()
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    data = _read_all(sock)  # the server closes the connection
    sock.close()
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ") and b"transfer-encoding: chunked" in head.lower()
    assert body == b"3\r\nabc\r\n"  # no last chunk, no 500, no answer to the pipelined request
    sock = server.connect()
    sock.sendall(b"GET /next HTTP/1.1\r\nHost: x\r\n\r\n")
    [(status, _, body)] = read_responses(sock, 1)
    sock.close()
    assert status.startswith(b"HTTP/1.1 200") and body == b"ok"
