"""The ASGI application: AWS requests to the dispatcher, admin routes under ``/_cloudlet/``."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from cloudlet.config import Config
from cloudlet.gateway import cors
from cloudlet.gateway.detect import Router
from cloudlet.gateway.dispatch import Dispatcher
from cloudlet.gateway.request import Headers, Request
from cloudlet.gateway.routing_index import load_index
from cloudlet.protocol.common import Response
from cloudlet.runtime import Runtime

log = logging.getLogger("cloudlet")

SPOOL_AT = 8 * 1024 * 1024  # bodies larger than this go to a temporary file
MAX_BODY = 5 * 1024**3 + 1024**2  # S3's 5 GiB single PUT, plus framing
_CHUNK = 256 * 1024

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _json(status: int, value: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], orjson.dumps(value))


class BodyTooLarge(Exception):
    pass


class App:
    """The Cloudlet ASGI app."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.runtime = Runtime(config)
        self.router = Router(load_index())
        self.dispatcher = Dispatcher(self.runtime, self.router)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.runtime.start()
                except Exception as exc:  # pragma: no cover - reported to the server
                    log.exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.runtime.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers([(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]])
        raw_path = scope.get("raw_path")
        path = raw_path.decode("latin-1") if raw_path else scope["path"]
        request = Request(
            method=scope["method"],
            path=path,
            query_string=scope.get("query_string", b"").decode("latin-1"),
            headers=headers,
        )
        try:
            await self._read_body(request, receive)
        except BodyTooLarge:
            await self._send(send, request, _json(413, {"message": "Request body too large"}))
            return
        try:
            response = await self.handle(request)
        finally:
            if request.body_file is not None:
                request.body_file.close()
        await self._send(send, request, response)

    async def _read_body(self, request: Request, receive: Receive) -> None:
        chunks: list[bytes] = []
        size = 0
        spool = None
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            if chunk:
                size += len(chunk)
                if size > MAX_BODY:
                    raise BodyTooLarge
                if spool is None and size > SPOOL_AT:
                    spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed after the response
                    for c in chunks:
                        spool.write(c)
                    chunks = []
                if spool is not None:
                    spool.write(chunk)
                else:
                    chunks.append(chunk)
            if not message.get("more_body"):
                break
        if spool is not None:
            spool.seek(0)
            request.body_file = spool
        else:
            request.body = b"".join(chunks)

    async def handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/_cloudlet/") or path.startswith("/_localstack/"):
            admin = await self._admin(request)
            if admin is not None:
                return admin
        if cors.is_preflight(request):
            return cors.preflight(request)
        response = await self.dispatcher.handle(request)
        cors.add_cors(request, response)
        return response

    async def _admin(self, request: Request) -> Response | None:
        path = request.path.split("?", 1)[0].rstrip("/")
        method = request.method
        if path in ("/_cloudlet/health", "/_localstack/health") and method in ("GET", "HEAD"):
            return _json(200, self.runtime.health())
        if path == "/_cloudlet/clock":
            if method == "GET":
                return _json(200, self._clock())
            if method == "POST":
                try:
                    data = orjson.loads(request.read_body() or b"{}")
                    seconds = float(data["advance"])
                    if seconds < 0 or seconds != seconds or seconds == float("inf"):
                        raise ValueError
                except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
                    return _json(400, {"message": 'expected {"advance": <non-negative seconds>}'})
                await self.runtime.clock.advance(seconds)
                return _json(200, self._clock())
        if path == "/_cloudlet/reset" and method == "POST":
            await self.runtime.reset()
            return _json(200, {"reset": True})
        if path == "/_cloudlet/state" and method == "GET":
            return _json(200, self.runtime.state())
        if path.startswith("/_cloudlet"):
            return _json(404, {"message": f"no admin route {method} {path}"})
        return None

    def _clock(self) -> dict[str, float]:
        return {"now": self.runtime.clock.now(), "offset": self.runtime.clock.offset}

    async def _send(self, send: Send, request: Request, response: Response) -> None:
        headers = [(k.encode("latin-1"), str(v).encode("latin-1", "replace")) for k, v in response.headers]
        body = response.body
        head = request.method == "HEAD"
        if isinstance(body, bytes | bytearray):
            if not any(k.lower() == b"content-length" for k, _ in headers):
                headers.append((b"content-length", str(len(body)).encode()))
            await send({"type": "http.response.start", "status": response.status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head else bytes(body)})
            return
        await send({"type": "http.response.start", "status": response.status, "headers": headers})
        if head:
            await send({"type": "http.response.body", "body": b""})
            return
        if hasattr(body, "read"):
            try:
                while chunk := body.read(_CHUNK):  # type: ignore[union-attr]
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            finally:
                body.close()  # type: ignore[union-attr]
        else:
            async for chunk in body:  # type: ignore[union-attr]
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})


def create_app(config: Config) -> App:
    return App(config)


def serve(config: Config) -> None:
    """Run the server in the foreground until interrupted."""
    import uvicorn

    app = create_app(config)
    uv_config = uvicorn.Config(
        app,
        host=config.host,
        port=config.port,
        log_level=config.log_level.lower(),
        access_log=config.log_level.lower() == "debug",
        lifespan="on",
        loop="auto",
        http="auto",
        server_header=False,
        date_header=True,
        timeout_keep_alive=65,
    )
    server = uvicorn.Server(uv_config)
    server.run()
