"""WebSocket connections (RFC 6455) on Cloudlet's HTTP server; wsproto does the framing.

A handler accepts an upgrade request by answering ``Response(websocket=<WebSocketHandler>)``
(its other headers, such as ``Sec-WebSocket-Protocol``, go out on the 101); anything else
it answers is written as plain HTTP. Refusing a connection (API Gateway's authorizer and
``$connect`` route) is therefore the handler's business before it answers. The server then
drives the connection: it reassembles fragmented messages, answers pings, enforces the
message and frame size limits, runs the closing handshake and hands the handler one
message at a time, in order.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections import deque
from typing import TYPE_CHECKING, Any, Protocol

from wsproto.connection import Connection, ConnectionState, ConnectionType
from wsproto.events import BytesMessage, CloseConnection, Message, Ping, TextMessage
from wsproto.utilities import generate_accept_token

from cloudlet.protocol.common import Response

if TYPE_CHECKING:
    from cloudlet.gateway.request import Request

log = logging.getLogger("cloudlet.websocket")

MAX_MESSAGE = 4 * 1024**2  # bytes (characters for text) of one reassembled message
MAX_FRAME = MAX_MESSAGE  # payload bytes of one frame
CLOSE_TIMEOUT_S = 5.0  # how long a closing handshake may wait for the client
_INBOX_HIGH = 16  # received messages waiting for the handler before reading pauses

# Close codes a server may send (RFC 6455 section 7.4); 1005, 1006 and 1015 are never sent.
_SENDABLE = frozenset((1000, 1001, 1002, 1003, *range(1007, 1015), *range(3000, 5000)))
# Headers of the 101 that the handshake owns; a handler's copies are dropped.
_OWN_HEADERS = frozenset(
    {
        "upgrade",
        "connection",
        "sec-websocket-accept",
        "sec-websocket-extensions",
        "content-length",
        "transfer-encoding",
        "content-type",
    }
)


class WebSocketClosed(Exception):
    """The connection is closing or closed: nothing more can be sent on it."""


class WebSocketHandler(Protocol):
    """What a service implements to serve WebSocket connections.

    For one connection the calls never overlap and come in order: ``on_open``, then
    ``on_message`` per message as received, then ``on_close`` exactly once, after the
    connection has ended (code 1006 when it ended without a closing handshake). An
    exception closes the connection with 1011. Optional attributes override the server's
    limits for the connections the handler serves: ``max_message_size`` and
    ``max_frame_size`` (bytes), ``idle_timeout`` (seconds; closes with 1001 when nothing
    is sent or received for that long).
    """

    async def on_open(self, ws: WebSocket) -> None: ...

    async def on_message(self, ws: WebSocket, data: str | bytes) -> None: ...

    async def on_close(self, ws: WebSocket, code: int, reason: str) -> None: ...


def handshake_problem(request: Request) -> Response | None:
    """The answer to a request that is not a valid opening handshake; None when it is."""
    headers = request.headers
    if "websocket" not in _tokens(headers.get("upgrade")) or "upgrade" not in _tokens(
        headers.get("connection")
    ):
        return _refusal(426, "Expected a WebSocket upgrade.", (("upgrade", "websocket"),))
    if request.method != "GET":
        return _refusal(400, "A WebSocket handshake is a GET request.")
    if "transfer-encoding" in headers or (headers.get("content-length") or "0").strip() != "0":
        return _refusal(400, "A WebSocket handshake has no body.")  # (it would be read as frames)
    version = headers.get("sec-websocket-version")
    if version is None or version.strip() != "13":
        return _refusal(426 if version else 400, "Sec-WebSocket-Version 13 is required.")
    try:
        key_ok = len(base64.b64decode(headers.get("sec-websocket-key") or "", validate=True)) == 16
    except (binascii.Error, ValueError):
        key_ok = False
    if not key_ok:
        return _refusal(400, "Missing or invalid Sec-WebSocket-Key.")
    return None


def accept_headers(request: Request, extra: list[tuple[str, str]]) -> list[tuple[str, Any]]:
    """The headers of the 101 answering a valid handshake, with the handler's own (subprotocol)."""
    key = (request.headers.get("sec-websocket-key") or "").strip()
    headers: list[tuple[str, Any]] = [
        ("upgrade", "websocket"),
        ("connection", "Upgrade"),
        ("sec-websocket-accept", generate_accept_token(key.encode()).decode()),
    ]
    headers.extend((k, v) for k, v in extra if k.lower() not in _OWN_HEADERS)
    return headers


def _tokens(value: str | None) -> list[str]:
    return [t.strip().lower() for t in value.split(",")] if value else []


def _refusal(status: int, message: str, extra: tuple[tuple[str, str], ...] = ()) -> Response:
    headers = [*extra, ("sec-websocket-version", "13"), ("content-type", "text/plain")]
    return Response(status, headers, message.encode())


class WebSocket:
    """The server side of one WebSocket connection, given to its handler.

    ``send`` and ``close`` may be called from any task on the server's loop at any time
    (API Gateway's PostToConnection pushes from outside the handler).
    """

    def __init__(
        self,
        request: Request,
        handler: WebSocketHandler,
        transport: asyncio.Transport,
        writable: asyncio.Event,
        *,
        max_message: int = MAX_MESSAGE,
        max_frame: int = MAX_FRAME,
        idle_timeout: float | None = None,
    ) -> None:
        self.request = request
        self.handler = handler
        self._transport = transport
        self._writable = writable  # set while the transport takes more writes
        self._loop = asyncio.get_running_loop()
        self._proto = Connection(ConnectionType.SERVER)
        self._max_message = max_message
        self._max_frame = max_frame
        self._parts: list[Any] = []  # pieces of the message being received
        self._size = 0
        self._frame_size = 0
        self._inbox: deque[str | bytes] = deque()
        self._queued = 0  # bytes (characters) waiting in the inbox
        self._wakeup: asyncio.Future[None] | None = None
        self._paused = False
        self._closing = False  # a close began, from either side, or the transport ended
        self._failed = False  # failed by us: what still arrives is discarded
        self._ended = asyncio.Event()  # the transport is gone
        self._status: tuple[int, str] | None = None  # what on_close will be told
        self._close_timer: asyncio.TimerHandle | None = None
        self._idle_timeout = idle_timeout
        self._idle_timer: asyncio.TimerHandle | None = None
        self._last_activity = self._loop.time()
        if idle_timeout:
            self._idle_timer = self._loop.call_later(idle_timeout, self._check_idle)
        self.task = self._loop.create_task(self._run())

    # -- the handler's interface --
    @property
    def closed(self) -> bool:
        """True once the connection is closing or closed (``send`` then raises)."""
        return self._closing

    async def send(self, data: str | bytes) -> None:
        """Send one message: text for ``str``, binary for bytes; waits while the client is slow."""
        if self._closing:
            raise WebSocketClosed("the WebSocket connection is closed")
        event = TextMessage(data=data) if isinstance(data, str) else BytesMessage(data=bytes(data))
        self._write(self._proto.send(event))
        if self._idle_timeout:
            self._last_activity = self._loop.time()
        if not self._writable.is_set():
            await self._writable.wait()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Start the closing handshake (once) and wait until the connection has ended."""
        self._start_close(code, reason)
        await self._ended.wait()

    # -- driven by the HTTP connection --
    def feed(self, data: bytes) -> None:
        """Bytes received from the client."""
        proto = self._proto
        if self._failed or proto.state is ConnectionState.CLOSED:
            return
        if self._idle_timeout:
            self._last_activity = self._loop.time()
        proto.receive_data(data)
        for event in proto.events():
            if isinstance(event, Message):
                self._take(event)
                if self._failed:
                    return
            elif isinstance(event, Ping):
                if proto.state is ConnectionState.OPEN:
                    self._write(proto.send(event.response()))
            elif isinstance(event, CloseConnection):
                self._closed_by_client(event)
                return

    def going_away(self) -> None:
        """The server is shutting down: close with 1001."""
        self._start_close(1001, "Going away")

    def lost(self) -> None:
        """The transport has ended."""
        self._closing = True
        if self._status is None:
            self._status = (1006, "")
        for timer in (self._close_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._ended.set()
        self._wake()

    # -- receiving --
    def _take(self, event: Message[Any]) -> None:
        if self._closing:
            return
        data = event.data
        self._size += len(data)
        self._frame_size += len(data)
        if self._size > self._max_message or self._frame_size > self._max_frame:
            self._fail(1009, "Message too big")
            return
        if event.frame_finished:
            self._frame_size = 0
        if not event.message_finished:
            self._parts.append(data)
            return
        if self._parts:
            self._parts.append(data)
            data = data[:0].join(self._parts)
            self._parts = []
        self._size = 0
        self._inbox.append(data)
        self._queued += len(data)
        if not self._paused and (len(self._inbox) >= _INBOX_HIGH or self._queued > self._max_message):
            self._paused = True
            self._transport.pause_reading()
        self._wake()

    def _closed_by_client(self, event: CloseConnection) -> None:
        state = self._proto.state
        if state is ConnectionState.REMOTE_CLOSING:  # the client closes: answer, then hang up
            if self._status is None:
                self._status = (event.code, event.reason or "")
            self._closing = True
            self._write(self._proto.send(event.response()))
            self._transport.close()
        elif state is ConnectionState.CLOSED:  # the client answered our close
            self._transport.close()
        elif state is ConnectionState.OPEN:  # a protocol violation wsproto reports as a close
            self._fail(event.code, event.reason or "")
        else:  # a violation after our close: nothing more to say
            self._transport.close()

    # -- closing --
    def _start_close(self, code: int, reason: str) -> None:
        if code not in _SENDABLE:
            raise ValueError(f"{code} is not a close code a server may send")
        if self._closing:
            return
        self._closing = True
        self._status = (code, reason)
        self._drop_inbox()
        self._write(self._proto.send(CloseConnection(code=code, reason=reason)))
        self._close_timer = self._loop.call_later(CLOSE_TIMEOUT_S, self._transport.close)

    def _fail(self, code: int, reason: str) -> None:
        """Fail the connection (RFC 6455 7.1.7): close frame, end our side, discard the rest."""
        self._failed = True
        if not self._closing:
            self._closing = True
            self._status = (code, reason)
            self._drop_inbox()
            if self._proto.state is ConnectionState.OPEN:
                self._write(self._proto.send(CloseConnection(code=code, reason=reason)))
        if not self._transport.is_closing():
            # Half-close: the client reads the close frame, answers, and hangs up; closing
            # outright could reset the connection before it read the frame.
            if self._transport.can_write_eof():
                self._transport.write_eof()
            if self._close_timer is None:
                self._close_timer = self._loop.call_later(CLOSE_TIMEOUT_S, self._transport.close)

    def _drop_inbox(self) -> None:
        self._inbox.clear()
        self._parts = []
        self._queued = 0
        self._resume()

    def _check_idle(self) -> None:
        assert self._idle_timeout
        idle = self._loop.time() - self._last_activity
        if idle >= self._idle_timeout:
            self._idle_timer = None
            self._start_close(1001, "Going away")
        else:
            self._idle_timer = self._loop.call_later(self._idle_timeout - idle, self._check_idle)

    # -- plumbing --
    def _write(self, data: bytes | bytearray) -> None:
        if not self._transport.is_closing():
            self._transport.write(data)

    def _wake(self) -> None:
        if self._wakeup is not None and not self._wakeup.done():
            self._wakeup.set_result(None)

    def _resume(self) -> None:
        if self._paused:
            self._paused = False
            if not self._transport.is_closing():
                self._transport.resume_reading()

    async def _run(self) -> None:
        """Calls the handler: on_open, each message in order, then on_close."""
        handler = self.handler
        try:
            await handler.on_open(self)
        except Exception:
            self._handler_failed("on_open")
        while True:
            if self._inbox:
                data = self._inbox.popleft()
                self._queued -= len(data)
                if self._paused and len(self._inbox) <= _INBOX_HIGH // 4:
                    self._resume()
                try:
                    await handler.on_message(self, data)
                except Exception:
                    self._handler_failed("on_message")
            elif self._ended.is_set():
                break
            else:
                self._wakeup = self._loop.create_future()
                await self._wakeup
                self._wakeup = None
        code, reason = self._status or (1006, "")
        try:
            await handler.on_close(self, code, reason)
        except Exception:
            log.exception("WebSocket handler failed in on_close (%s)", self.request.path)

    def _handler_failed(self, where: str) -> None:
        log.exception("WebSocket handler failed in %s (%s)", where, self.request.path)
        self._start_close(1011, "Internal server error")
