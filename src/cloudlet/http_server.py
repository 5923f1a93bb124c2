"""Cloudlet's HTTP/1.1 server: httptools parsing on an asyncio (uvloop) event loop.

Each connection answers its requests in order, one at a time (pipelined requests wait
their turn). Bodies larger than ``SPOOL_AT`` go to a temporary file as they arrive, so an
upload of any size takes flat memory; responses stream from files or async iterators
with the transport's flow control. Why not an ASGI server: see docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httptools

from cloudlet import spool
from cloudlet.gateway.request import Headers, Request
from cloudlet.protocol.common import Response

log = logging.getLogger("cloudlet.http")

MAX_BODY = 5 * 1024**3 + 1024**2  # S3's 5 GiB single PUT, plus framing
KEEP_ALIVE_S = 65.0  # idle connections close after this long
MAX_PIPELINED = 32  # complete requests queued on one connection before reading pauses
_CHUNK = 1024 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})

Handler = Callable[[Request], Response | Awaitable[Response]]
TooLarge = Callable[[Request], Response]


def _reason(status: int) -> bytes:
    try:
        return HTTPStatus(status).phrase.encode()
    except ValueError:
        return b"Unknown"


_STATUS_LINES = {s.value: b"HTTP/1.1 %d %s\r\n" % (s.value, s.phrase.encode()) for s in HTTPStatus}


class _Date:
    """The ``Date`` header value, formatted once per second."""

    second = -1
    value = b""

    @classmethod
    def now(cls) -> bytes:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.value = second, formatdate(second, usegmt=True).encode()
        return cls.value


class _Incoming:
    """The request being received: head, then body (in memory, or spooled past 8 MiB)."""

    __slots__ = ("body", "headers", "too_large", "url")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.body = spool.Body()
        self.too_large = False

    def add(self, chunk: bytes) -> None:
        if self.too_large:
            return
        if self.body.size + len(chunk) > MAX_BODY:
            self.too_large = True
            self.discard()
            return
        self.body.write(chunk)

    def discard(self) -> None:
        self.body.close()


class Connection(asyncio.Protocol):
    """One client connection: parses requests and writes their answers in order."""

    def __init__(self, server: HttpServer) -> None:
        self.server = server
        self.loop = asyncio.get_running_loop()
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpRequestParser(self)
        self.peer = ""
        self.incoming = _Incoming()
        self.ready: deque[tuple[Request, bool, bool]] = deque()  # (request, keep-alive, too large)
        self.task: asyncio.Task[None] | None = None
        self.closing = False
        self.last_request = False  # close once the queued requests are answered
        self.paused_reading = False
        self.writable = asyncio.Event()
        self.writable.set()
        self.idle_timer: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        self.server.connections.add(self)
        self._arm_idle_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.server.connections.discard(self)
        self._cancel_idle_timer()
        if self.task is not None and not self.task.done():
            self.task.cancel()  # e.g. a long poll whose client went away
        self.incoming.discard()
        while self.ready:
            request = self.ready.popleft()[0]
            if request.body_file is not None:
                request.body_file.close()
        self.writable.set()

    def data_received(self, data: bytes) -> None:
        self._cancel_idle_timer()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # Upgrades (WebSocket) are not served: the request is answered as plain HTTP,
            # and the connection closes after it, since what follows is not HTTP.
            self.last_request = True
            if self.task is None and not self.ready:
                self._close()
        except httptools.HttpParserError as exc:
            self._fail(400, f"Malformed HTTP request: {exc}")

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    # -- httptools callbacks --
    def on_message_begin(self) -> None:
        self.incoming = _Incoming()

    def on_url(self, url: bytes) -> None:
        self.incoming.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.incoming.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        incoming = self.incoming
        expect = next((v for k, v in incoming.headers if k.lower() == "expect"), None)
        continuing = expect is not None and expect.lower() == "100-continue"
        declared = next((v for k, v in incoming.headers if k.lower() == "content-length"), "")
        if declared.strip().isdigit() and int(declared) > MAX_BODY:
            incoming.too_large = True  # refused without reading (or keeping) the body
            if continuing and self.task is None and not self.ready:
                # The client waits for a go-ahead before sending: answer now, and end here.
                self.last_request = True
                request = self._request(incoming)
                self._finish(request, self.server.too_large(request), False)
                return
        if continuing and self.transport is not None:
            self.transport.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def on_body(self, body: bytes) -> None:
        self.incoming.add(body)

    def _request(self, incoming: _Incoming) -> Request:
        path, _, query = incoming.url.decode("latin-1").partition("?")
        return Request(
            method=self.parser.get_method().decode("latin-1"),
            path=path,
            query_string=query,
            headers=Headers(incoming.headers),
            client=self.peer,
        )

    def on_message_complete(self) -> None:
        if self.closing:
            return
        incoming = self.incoming
        request = self._request(incoming)
        body = incoming.body.value()
        if isinstance(body, bytes):
            request.body = body
        else:
            request.body_file = body
        self.incoming = _Incoming()
        self.ready.append((request, self.parser.should_keep_alive(), incoming.too_large))
        if len(self.ready) >= MAX_PIPELINED and self.transport is not None and not self.paused_reading:
            self.paused_reading = True
            self.transport.pause_reading()
        if self.task is None:
            self._next()

    # -- answering --
    def _next(self) -> None:
        """Answer the queued requests in order: at once when the handler can, else in a task."""
        while self.ready and not self.closing:
            if self.paused_reading and len(self.ready) < MAX_PIPELINED // 2 and self.transport is not None:
                self.paused_reading = False
                self.transport.resume_reading()
            request, keep_alive, too_large = self.ready.popleft()
            if too_large:
                self._finish(request, self.server.too_large(request), False)
                continue
            answer = self.server.handler(request)
            if isinstance(answer, Response) and (isinstance(answer.body, bytes | bytearray)):
                self._finish(request, answer, keep_alive)
                continue
            self.task = self.loop.create_task(self._answer_later(request, answer, keep_alive))
            return
        self.task = None
        if not self.closing:
            self._arm_idle_timer()

    def _finish(self, request: Request, response: Response, keep_alive: bool) -> None:
        """Write a response whose body is in memory, then close if the connection ends here."""
        if request.body_file is not None:
            request.body_file.close()
        self._write_whole(request, response, keep_alive)
        if not keep_alive or (self.last_request and not self.ready):
            self._close()

    async def _answer_later(
        self, request: Request, answer: Response | Awaitable[Response], keep_alive: bool
    ) -> None:
        try:
            response = answer if isinstance(answer, Response) else await answer
            if isinstance(response.body, bytes | bytearray):
                self._write_whole(request, response, keep_alive)
            else:
                await self._stream(request, response, keep_alive)
        except asyncio.CancelledError:
            return
        except Exception:  # the handler answers AWS errors itself; this is a last resort
            log.exception("failed answering %s %s", request.method, request.path)
            keep_alive = False
            body = b'{"message":"An internal error occurred."}'
            head = self._head(
                500, [("content-type", "application/json"), ("content-length", len(body))], False
            )
            self._write_bytes(head + body)
        finally:
            if request.body_file is not None:
                request.body_file.close()
        if not keep_alive or (self.last_request and not self.ready):
            self._close()
            return
        self._next()

    def _log(self, request: Request, status: int) -> None:
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s %d", self.peer, request.method, request.path, status)

    def _write_whole(self, request: Request, response: Response, keep_alive: bool) -> None:
        self._log(request, response.status)
        body = bytes(response.body)  # type: ignore[arg-type]
        headers = response.headers
        no_body = response.status in _NO_BODY_STATUSES
        if not no_body and not _has(headers, "content-length"):
            headers = [*headers, ("content-length", len(body))]
        head = self._head(response.status, headers, keep_alive)
        self._write_bytes(head if no_body or request.method == "HEAD" or not body else head + body)

    async def _stream(self, request: Request, response: Response, keep_alive: bool) -> None:
        """Write a response whose body is a file or an async iterator, minding flow control."""
        self._log(request, response.status)
        body = response.body
        headers = response.headers
        head_only = request.method == "HEAD" or response.status in _NO_BODY_STATUSES
        chunked = not _has(headers, "content-length")
        if chunked and not head_only:
            headers = [*headers, ("transfer-encoding", "chunked")]
        self._write_bytes(self._head(response.status, headers, keep_alive))
        if head_only:
            _close_body(body)
            return
        async for chunk in _chunks(body):
            if self.closing:
                return
            if chunk:
                self._write_bytes(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                if not self.writable.is_set():
                    await self.writable.wait()
        if chunked:
            self._write_bytes(b"0\r\n\r\n")

    @staticmethod
    def _head(status: int, headers: list[tuple[str, Any]], keep_alive: bool) -> bytes:
        """Status line and headers, with ``date`` and, when the connection ends, ``connection: close``."""
        lines = [_STATUS_LINES.get(status) or b"HTTP/1.1 %d %s\r\n" % (status, _reason(status))]
        for name, value in headers:
            lines.append(f"{name}: {value}\r\n".encode("latin-1", "replace"))
        lines.append(b"date: " + _Date.now() + b"\r\n")
        if not keep_alive:
            lines.append(b"connection: close\r\n")
        lines.append(b"\r\n")
        return b"".join(lines)

    def _write_bytes(self, data: bytes) -> None:
        if self.transport is not None and not self.closing:
            self.transport.write(data)

    def _fail(self, status: int, message: str) -> None:
        """Answer a request that could not be parsed, then close the connection."""
        if self.task is None and not self.closing:
            body = message.encode()
            headers = [("content-type", "text/plain"), ("content-length", len(body))]
            self._write_bytes(self._head(status, headers, False) + body)
        self._close()

    def _close(self) -> None:
        self.closing = True
        self._cancel_idle_timer()
        if self.transport is not None:
            self.transport.close()

    def _arm_idle_timer(self) -> None:
        self._cancel_idle_timer()
        self.idle_timer = self.loop.call_later(KEEP_ALIVE_S, self._close)

    def _cancel_idle_timer(self) -> None:
        if self.idle_timer is not None:
            self.idle_timer.cancel()
            self.idle_timer = None

    def close_when_idle(self) -> None:
        """Shut down: close now unless a request is being answered."""
        if self.task is None:
            self._close()


def _has(headers: list[tuple[str, Any]], name: str) -> bool:
    return any(k.lower() == name for k, _ in headers)


async def _chunks(body: Any) -> AsyncIterator[bytes | memoryview]:
    """The pieces of a streamed body: a readable file (closed afterwards) or an async iterator.

    A body with ``mapped`` (S3's blob readers) gives views of the file mapped into memory,
    which the transport sends without copying them first.
    """
    if hasattr(body, "mapped"):
        try:
            while piece := body.mapped(_CHUNK):
                yield piece
        finally:
            body.close()
    elif hasattr(body, "read"):
        try:
            while chunk := body.read(_CHUNK):
                yield chunk
        finally:
            body.close()
    else:
        async for chunk in body:
            yield chunk


def _close_body(body: Any) -> None:
    """Release a streamed body that is not sent (HEAD): files are closed, iterators dropped."""
    if hasattr(body, "read"):
        body.close()


class HttpServer:
    """Serves ``handler`` on ``host:port`` until :meth:`stop`."""

    def __init__(self, handler: Handler, too_large: TooLarge, host: str, port: int) -> None:
        self.handler = handler
        self.too_large = too_large
        self.host = host
        self.port = port
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.get_running_loop().create_server(
            lambda: Connection(self), self.host, self.port, reuse_address=True, backlog=1024
        )

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, close idle connections, give busy ones ``grace`` seconds."""
        if self._server is not None:
            self._server.close()
        for conn in list(self.connections):
            conn.close_when_idle()
        deadline = time.monotonic() + grace
        while any(c.task is not None for c in self.connections) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            if conn.task is not None:
                conn.task.cancel()
            conn._close()


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set ``stop``."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
