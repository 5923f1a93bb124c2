"""Test kit for the HTTP layer: a bare HttpServer in a thread, and a raw response reader."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable
from typing import Any

from cloudlet.gateway.request import Request
from cloudlet.http_server import HttpServer
from cloudlet.protocol.common import Response


class HttpServerThread:
    """A real HttpServer serving ``handler`` on a free loopback port, on its own event loop in
    a thread (uvloop where installed, as the server runs)."""

    def __init__(self, handler: Callable[[Request], Any], **options: Any) -> None:
        try:
            import uvloop

            self.loop = uvloop.new_event_loop()
        except ImportError:  # pragma: no cover
            self.loop = asyncio.new_event_loop()
        self.server = HttpServer(handler, lambda r: Response(413), "127.0.0.1", 0, **options)
        started = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.loop.run_until_complete(self.server.start())
            started.set()
            self.loop.run_forever()

        self.thread = threading.Thread(target=run, daemon=True)
        self.thread.start()
        assert started.wait(10)
        self.port = self.server.port

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=10)

    def call(self, coro: Any) -> Any:
        """Run a coroutine on the server's loop; its result."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def stop(self, grace: float = 2.0) -> None:
        self.call(self.server.stop(grace=grace))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


def read_responses(sock: socket.socket, count: int) -> list[tuple[bytes, dict[str, str], bytes]]:
    """``count`` complete responses (status line, headers, body by Content-Length)."""
    buffer = b""
    out = []
    while len(out) < count:
        while b"\r\n\r\n" not in buffer:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed after {len(out)} responses: {buffer[:200]!r}"
            buffer += chunk
        head, buffer = buffer.split(b"\r\n\r\n", 1)
        status, *lines = head.split(b"\r\n")
        headers = {k.decode().lower(): v.decode().strip() for k, v in (ln.split(b":", 1) for ln in lines)}
        length = int(headers.get("content-length", "0"))
        while len(buffer) < length:
            chunk = sock.recv(65536)
            assert chunk, "connection closed mid-body"
            buffer += chunk
        out.append((status, headers, buffer[:length]))
        buffer = buffer[length:]
    return out
