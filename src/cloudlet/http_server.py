"""Cloudlet's HTTP/1.1 server: httptools parsing on an asyncio (uvloop) event loop.

Each connection answers its requests in order, one at a time (pipelined requests wait
their turn). Bodies larger than ``SPOOL_AT`` go to a temporary file as they arrive, so an
upload of any size takes flat memory; a server given ``stream_bodies`` hands the requests it
picks over when their head ends, their body read as it comes (``gateway.body_stream``, with
trailers). Responses stream from files or async iterators with the transport's flow
control. A handler may accept a WebSocket upgrade (``cloudlet.websocket``). Slow or
oversized request heads are refused (408, 414, 431); one timer per server enforces every
connection's deadline. Why not an ASGI server: see docs/architecture.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from email.utils import formatdate
from http import HTTPStatus
from typing import Any

import httptools

from cloudlet import spool, websocket
from cloudlet.gateway.body_stream import BodyStream
from cloudlet.gateway.request import Headers, Request
from cloudlet.protocol.common import BodyCut, Response

log = logging.getLogger("cloudlet.http")

MAX_BODY = 5 * 1024**3 + 1024**2  # S3's 5 GiB single PUT, plus framing
KEEP_ALIVE_S = 65.0  # idle connections close after this long
HEAD_TIMEOUT_S = 30.0  # a request head must arrive within this long of its first byte (else 408)
BODY_TIMEOUT_S = 60.0  # a body may pause this long (up to twice, as checked) between chunks
# S3 keys are up to 1,024 bytes (~3 KB percent-encoded) and a presigned query adds ~1-2 KB;
# AWS's own front ends take far less than these (S3: 8 KB of request headers).
MAX_URL = 32 * 1024  # request target (path and query): longer answers 414
MAX_HEAD = 64 * 1024  # header block: larger answers 431, counted as it arrives
MAX_PIPELINED = 32  # complete requests queued on one connection before reading pauses
_CHUNK = 1024 * 1024
_NO_BODY_STATUSES = frozenset({204, 304})
_UPGRADE_BUFFER = 64 * 1024  # bytes a client may send after an upgrade request, before the 101
_LINGER_S = 2.0  # after refusing a request, how long what the client still sends is drained
_NEVER = math.inf

# What a connection is waiting for; its ``deadline`` says until when.
_IDLE, _HEAD, _BODY, _BUSY, _WS = range(5)

# Control characters never reach a response header: each becomes a space, so a value holding
# CR LF cannot start a header line of its own. Tab stays (it is valid in a field value).
_UNSAFE = {c: " " for c in (*range(0x20), 0x7F, *range(0x80, 0xA0)) if c != 0x09}

Handler = Callable[[Request], Response | Awaitable[Response]]
TooLarge = Callable[[Request], Response]
StreamBodies = Callable[[Request], bool]  # whether a request's body is read as it arrives


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


_STATUS_LINES = {s.value: f"HTTP/1.1 {s.value} {s.phrase}" for s in HTTPStatus}


class _Date:
    """The ``Date`` header line, formatted once per second."""

    second = -1
    line = ""

    @classmethod
    def now(cls) -> str:
        second = int(time.time())
        if second != cls.second:
            cls.second, cls.line = second, "date: " + formatdate(second, usegmt=True)
        return cls.line


class _Refused(Exception):
    """Raised in a parser callback to refuse the request with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def _header_block(headers: list[tuple[str, str]]) -> int:
    return sum(len(k) + len(v) + 4 for k, v in headers)


class _Incoming:
    """The request being received: head, then body (in memory, or spooled past 8 MiB, or
    streamed to its handler: ``stream``, with the number of head fields before trailers)."""

    __slots__ = ("body", "head_fields", "headers", "stream", "too_large", "url")

    def __init__(self) -> None:
        self.url = b""
        self.headers: list[tuple[str, str]] = []
        self.body = spool.Body()
        self.too_large = False
        self.stream: BodyStream | None = None
        self.head_fields = 0

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
        if self.stream is not None:
            self.stream.abort()


class Connection(asyncio.Protocol):
    """One client connection: parses requests and writes their answers in order.

    ``phase`` says what the connection waits for and ``deadline`` until when; the server's
    sweep calls :meth:`expire` past it. Requests cost no timer handle of their own.
    """

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
        self.body_held = False  # a streamed body's reader is behind: reading paused for it
        self.writable = asyncio.Event()
        self.writable.set()
        self.phase = _IDLE
        self.deadline = _NEVER
        self.progress = 0  # body chunks received, so a slow but steady body is not cut
        self.seen = 0  # ``progress`` when the body deadline was last set
        self.head_bytes = 0  # bytes received since a head ended or body data came
        self.diverted = False  # what arrives is not for the parser (an upgrade, or a refusal)
        self.upgrade_tail: bytearray | None = None  # early bytes, kept until the answer
        self.ws: websocket.WebSocket | None = None

    # -- asyncio.Protocol --
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        peer = transport.get_extra_info("peername")
        self.peer = peer[0] if isinstance(peer, tuple) else ""
        self.server.connections.add(self)
        self.deadline = self.loop.time() + self.server.head_timeout  # the first request's head

    def connection_lost(self, exc: Exception | None) -> None:
        self.closing = True
        self.deadline = _NEVER
        self.server.connections.discard(self)
        if self.task is not None and not self.task.done():
            self.task.cancel()  # e.g. a long poll whose client went away
        self.incoming.discard()
        while self.ready:
            request = self.ready.popleft()[0]
            if request.body_file is not None:
                request.body_file.close()
        self.writable.set()
        if self.ws is not None:
            self.ws.lost()

    def data_received(self, data: bytes) -> None:
        if self.diverted:
            self._diverted(data)
            return
        self.head_bytes += len(data)  # reset by a completed head and by body data
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:
            self._upgrade_requested(data[exc.args[0] :])
            return
        except httptools.HttpParserError as exc:
            refused = exc.__context__
            if isinstance(refused, _Refused):
                self._fail(refused.status, str(refused))
            else:
                self._fail(400, f"Malformed HTTP request: {exc}")
            return
        if self.head_bytes - len(self.incoming.url) > self.server.max_head + 64 and not self.closing:
            # That much arrived with no head completed and no body data (a head, or trailers):
            # refuse before the parser buffers more.
            self._fail(431, "Request header fields too large")

    def pause_writing(self) -> None:
        self.writable.clear()

    def resume_writing(self) -> None:
        self.writable.set()

    # -- httptools callbacks --
    def on_message_begin(self) -> None:
        self.incoming = _Incoming()
        self.phase = _HEAD
        self.deadline = self.loop.time() + self.server.head_timeout

    def on_url(self, url: bytes) -> None:
        self.incoming.url += url
        if len(self.incoming.url) > self.server.max_url:
            raise _Refused(414, "Request-URI too long")

    def on_header(self, name: bytes, value: bytes) -> None:
        self.incoming.headers.append((name.decode("latin-1"), value.decode("latin-1")))

    def on_headers_complete(self) -> None:
        incoming = self.incoming
        if self.head_bytes > self.server.max_head and _header_block(incoming.headers) > self.server.max_head:
            raise _Refused(431, "Request header fields too large")
        if sum(1 for k, _ in incoming.headers if len(k) == 4 and k.lower() == "host") > 1:
            # RFC 9112 3.2: two Host lines would let parts of the server see different hosts.
            raise _Refused(400, "More than one Host header")
        self.head_bytes = 0
        self.phase = _BODY
        self.deadline = self.loop.time() + self.server.body_timeout
        self.seen = self.progress
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
        if self.server.stream_bodies is not None and not incoming.too_large:
            request = self._request(incoming)
            if self.server.stream_bodies(request):
                incoming.stream = request.stream = BodyStream(self._hold_body)
                incoming.head_fields = len(incoming.headers)
                self._queue(request, self.parser.should_keep_alive(), False)

    def on_body(self, body: bytes) -> None:
        self.progress += 1
        self.head_bytes = 0
        if self.incoming.stream is not None:
            self.incoming.stream.feed(body)
        else:
            self.incoming.add(body)

    def _hold_body(self, held: bool) -> None:
        """Pause (or resume) reading while a streamed body's reader is behind."""
        if self.transport is None or self.closing or held == self.body_held:
            return
        self.body_held = held
        if held:
            self.transport.pause_reading()
        elif not self.paused_reading:
            self.transport.resume_reading()

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
        self.phase = _BUSY
        self.deadline = _NEVER
        if self.closing:
            return
        incoming = self.incoming
        self.incoming = _Incoming()
        if incoming.stream is not None:  # handed over with its head: the body ends here
            incoming.stream.finish(dict(incoming.headers[incoming.head_fields :]))
            if self.task is None and not self.ready:  # already answered
                self.phase = _IDLE
                self.deadline = self.loop.time() + self.server.keep_alive
            return
        request = self._request(incoming)
        body = incoming.body.value()
        if isinstance(body, bytes):
            request.body = body
        else:
            request.body_file = body
        # After an upgrade request the parser stops: answered as plain HTTP, the connection ends.
        keep_alive = self.parser.should_keep_alive() and not self.parser.should_upgrade()
        self._queue(request, keep_alive, incoming.too_large)

    def _queue(self, request: Request, keep_alive: bool, too_large: bool) -> None:
        """A request to answer in its turn."""
        self.ready.append((request, keep_alive, too_large))
        if len(self.ready) >= MAX_PIPELINED and self.transport is not None and not self.paused_reading:
            self.paused_reading = True
            self.transport.pause_reading()
        if self.task is None:
            self._next()

    # -- deadlines --
    def expire(self, now: float) -> None:
        """The current wait ran out: close an idle connection, answer 408 to a stalled request."""
        if self.phase == _BODY and self.progress != self.seen:
            self.seen = self.progress
            self.deadline = now + self.server.body_timeout
        elif self.paused_reading or self.body_held:  # our own back-pressure holds it back, not the client
            self.deadline = now + self.server.head_timeout
        elif self.phase == _IDLE:
            self._close()
        elif self.phase in (_HEAD, _BODY):
            self._fail(408, "Request timed out")
        else:
            self.deadline = _NEVER

    # -- upgrades --
    def _upgrade_requested(self, tail: bytes) -> None:
        """The parser stopped after an upgrade request; ``tail`` is what followed it."""
        self.diverted = True
        self.last_request = True
        if self.ws is not None:  # the handler already accepted (it answered at once)
            if tail:
                self.ws.feed(tail)
        elif self.task is None and not self.ready:
            self._close()  # already answered as plain HTTP: what follows is not HTTP
        else:
            self.upgrade_tail = bytearray(tail)

    def _diverted(self, data: bytes) -> None:
        if self.ws is not None:
            self.ws.feed(data)
        elif self.closing:
            pass  # refused: drained until the client hangs up or the linger ends
        elif self.upgrade_tail is not None and len(self.upgrade_tail) + len(data) <= _UPGRADE_BUFFER:
            self.upgrade_tail += data  # a client should wait for the 101; keep a little
        else:
            self._close()

    def _switch(self, request: Request, response: Response) -> None:
        """The handler accepts a WebSocket: answer 101 and hand the connection over (or 400/426)."""
        self.task = None
        problem = websocket.handshake_problem(request)
        if problem is not None or self.transport is None:
            if problem is not None:
                self._write_whole(request, problem, False)
            self._close()
            return
        self._log(request, 101)
        self._write_bytes(self._head(101, websocket.accept_headers(request, response.headers), True))
        self.diverted = True  # also when the parser has yet to report the upgrade
        self.phase = _WS
        self.deadline = _NEVER
        handler = response.websocket
        server = self.server
        self.ws = websocket.WebSocket(
            request,
            handler,
            self.transport,
            self.writable,
            max_message=getattr(handler, "max_message_size", None) or server.ws_max_message,
            max_frame=getattr(handler, "max_frame_size", None) or server.ws_max_frame,
            idle_timeout=getattr(handler, "idle_timeout", None) or server.ws_idle_timeout,
        )
        tail, self.upgrade_tail = self.upgrade_tail, None
        if tail:
            self.ws.feed(bytes(tail))

    # -- answering --
    def _next(self) -> None:
        """Answer the queued requests in order: at once when the handler can, else in a task."""
        while self.ready and not self.closing:
            if self.paused_reading and len(self.ready) < MAX_PIPELINED // 2 and self.transport is not None:
                self.paused_reading = False
                if not self.body_held:
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
        if self.phase == _BUSY and not self.closing:
            self.phase = _IDLE
            self.deadline = self.loop.time() + self.server.keep_alive

    def _finish(self, request: Request, response: Response, keep_alive: bool) -> None:
        """Write a response whose body is in memory, then close if the connection ends here."""
        if request.body_file is not None:
            request.body_file.close()
        if request.stream is not None:
            request.stream.discard()
        if response.websocket is not None:
            self._switch(request, response)
            return
        self._write_whole(request, response, keep_alive)
        if not keep_alive or (self.last_request and not self.ready):
            self._close()

    async def _answer_later(
        self, request: Request, answer: Response | Awaitable[Response], keep_alive: bool
    ) -> None:
        try:
            response = answer if isinstance(answer, Response) else await answer
            if response.websocket is not None:
                self._switch(request, response)
                return
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
            if request.stream is not None:
                request.stream.discard()
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
        try:
            async for chunk in _chunks(body):
                if self.closing:
                    return
                if chunk:
                    self._write_bytes(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk)
                    if not self.writable.is_set():
                        await self.writable.wait()
        except Exception as exc:  # the head went out: no other answer can follow, the body ends cut
            if not isinstance(exc, BodyCut):
                log.exception("failed streaming the answer to %s %s", request.method, request.path)
            self._close()
            return
        if chunked:
            self._write_bytes(b"0\r\n\r\n")

    @staticmethod
    def _head(status: int, headers: list[tuple[str, Any]], keep_alive: bool) -> bytes:
        """Status line and headers, with ``date`` and, when the connection ends, ``connection: close``.

        The one place header lines are written: control characters in a name or value
        (CR, LF, NUL, ...; not tab) become spaces, so no value can add a header line.
        """
        lines = [_STATUS_LINES.get(status) or f"HTTP/1.1 {status} {_reason(status)}"]
        for name, value in headers:
            line = f"{name}: {value}"
            if not line.isprintable():  # rare: only then look for control characters
                line = line.translate(_UNSAFE)
            lines.append(line)
        lines.append(_Date.now())
        if not keep_alive:
            lines.append("connection: close")
        lines.append("\r\n")
        return "\r\n".join(lines).encode("latin-1", "replace")

    def _write_bytes(self, data: bytes) -> None:
        if self.transport is not None and not self.closing:
            self.transport.write(data)

    def _fail(self, status: int, message: str) -> None:
        """Answer a request that could not be parsed or was refused, then close the connection.

        Our side ends at once, but what the client still sends is read and dropped for up to
        ``_LINGER_S``: closing outright would reset a client still sending (a huge header)
        before it read the answer.
        """
        if self.task is not None or self.closing or self.transport is None:
            self._close()
            return
        body = message.encode()
        headers = [("content-type", "text/plain"), ("content-length", len(body))]
        self._write_bytes(self._head(status, headers, False) + body)
        self.closing = self.diverted = True
        if not self.transport.can_write_eof():
            self._close()
            return
        self.transport.write_eof()
        self.phase = _IDLE
        self.deadline = self.loop.time() + _LINGER_S

    def _close(self) -> None:
        self.closing = True
        self.deadline = _NEVER
        if self.transport is not None:
            self.transport.close()

    def close_when_idle(self) -> None:
        """Shut down: close now unless a request is being answered; WebSockets close with 1001."""
        if self.ws is not None:
            self.ws.going_away()
        elif self.task is None:
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
    """Serves ``handler`` on ``host:port`` until :meth:`stop`.

    Timeouts are in seconds: ``head_timeout`` for a request head from its first byte (and
    for a new connection's first byte), ``body_timeout`` between body chunks (a stall is
    noticed within one to two times it), ``keep_alive`` between requests. ``max_url`` and
    ``max_head`` cap the request target and the header block in bytes. ``stream_bodies``
    picks the requests handed over as soon as their head ends, with ``request.stream`` to
    read the body as it arrives (their body is not limited by ``MAX_BODY``). ``ws_*`` are the
    WebSocket defaults a handler may override (see ``cloudlet.websocket``); WebSocket
    connections have no idle timeout unless given one.
    """

    def __init__(
        self,
        handler: Handler,
        too_large: TooLarge,
        host: str,
        port: int,
        *,
        head_timeout: float = HEAD_TIMEOUT_S,
        body_timeout: float = BODY_TIMEOUT_S,
        keep_alive: float = KEEP_ALIVE_S,
        max_url: int = MAX_URL,
        max_head: int = MAX_HEAD,
        ws_max_message: int = websocket.MAX_MESSAGE,
        ws_max_frame: int = websocket.MAX_FRAME,
        ws_idle_timeout: float | None = None,
        stream_bodies: StreamBodies | None = None,
    ) -> None:
        self.handler = handler
        self.too_large = too_large
        self.host = host
        self.port = port
        self.head_timeout = head_timeout
        self.body_timeout = body_timeout
        self.keep_alive = keep_alive
        self.max_url = max_url
        self.max_head = max_head
        self.ws_max_message = ws_max_message
        self.ws_max_frame = ws_max_frame
        self.ws_idle_timeout = ws_idle_timeout
        self.stream_bodies = stream_bodies
        self.connections: set[Connection] = set()
        self._server: asyncio.Server | None = None
        self._sweeper: asyncio.TimerHandle | None = None
        # Deadlines are checked this often: a quarter of the shortest timeout, at most 1 s.
        self._sweep_every = min(1.0, max(0.01, min(head_timeout, body_timeout, keep_alive) / 4))

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(
            lambda: Connection(self), self.host, self.port, reuse_address=True, backlog=1024
        )
        if not self.port and self._server.sockets:
            self.port = self._server.sockets[0].getsockname()[1]
        self._sweeper = loop.call_later(self._sweep_every, self._sweep)

    def _sweep(self) -> None:
        """Expire the connections whose deadline has passed (one timer for all of them)."""
        loop = asyncio.get_running_loop()
        self._sweeper = loop.call_later(self._sweep_every, self._sweep)
        now = loop.time()
        for conn in tuple(self.connections):
            if conn.deadline <= now:
                try:
                    conn.expire(now)
                except Exception:
                    log.exception("failed expiring a connection")

    async def stop(self, grace: float = 5.0) -> None:
        """Stop accepting, close idle connections (WebSockets with 1001), give busy ones ``grace`` seconds."""
        if self._server is not None:
            self._server.close()
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        ws_tasks = [c.ws.task for c in self.connections if c.ws is not None]
        for conn in list(self.connections):
            conn.close_when_idle()
        deadline = time.monotonic() + grace
        while (
            any(c.task is not None or c.ws is not None for c in self.connections)
            and time.monotonic() < deadline
        ):
            await asyncio.sleep(0.02)
        for conn in list(self.connections):
            if conn.task is not None:
                conn.task.cancel()
            conn._close()
        if ws_tasks:  # let WebSocket handlers see on_close
            _, pending = await asyncio.wait(ws_tasks, timeout=max(0.1, deadline - time.monotonic()))
            for task in pending:
                task.cancel()


def install_signal_handlers(stop: asyncio.Event) -> None:
    """SIGINT and SIGTERM set ``stop``."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
