"""The ASGI application: AWS requests to the dispatcher, admin routes under ``/_cloudlet/``."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from cloudlet.config import Config
from cloudlet.core import ids
from cloudlet.gateway import cors
from cloudlet.gateway.detect import Router, parse_credentials
from cloudlet.gateway.dispatch import Dispatcher
from cloudlet.gateway.request import Headers, Request
from cloudlet.gateway.routing_index import load_index
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import ServiceError
from cloudlet.runtime import Runtime

log = logging.getLogger("cloudlet")

SPOOL_AT = 8 * 1024 * 1024  # bodies larger than this go to a temporary file
MAX_BODY = 5 * 1024**3 + 1024**2  # S3's 5 GiB single PUT, plus framing
_CHUNK = 256 * 1024
MAX_ADVANCE = 100 * 366 * 86400.0  # a century: far enough for any retention, near enough for dates

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _json(status: int, value: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], orjson.dumps(value))


class Admin:
    """The admin API under ``/_cloudlet/`` (health also at ``/_localstack/health``).

    ``GET|POST /_cloudlet/clock`` reads or advances the service clock, ``POST
    /_cloudlet/reset`` wipes all state, ``GET /_cloudlet/state`` reports what is held,
    ``GET /_cloudlet/metrics`` lists the CloudWatch metrics services recorded.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.routes: dict[tuple[str, str], Callable[[Request], Awaitable[Response]]] = {
            ("GET", "/_cloudlet/health"): self.health,
            ("HEAD", "/_cloudlet/health"): self.health,
            ("GET", "/_localstack/health"): self.health,
            ("HEAD", "/_localstack/health"): self.health,
            ("GET", "/_cloudlet/clock"): self.clock,
            ("POST", "/_cloudlet/clock"): self.advance_clock,
            ("POST", "/_cloudlet/reset"): self.reset,
            ("GET", "/_cloudlet/state"): self.state,
            ("GET", "/_cloudlet/metrics"): self.metrics,
        }

    async def handle(self, request: Request) -> Response | None:
        """The admin answer, or None for a path that is not the admin API's."""
        path = request.path.rstrip("/")
        handler = self.routes.get((request.method, path))
        if handler is not None:
            return await handler(request)
        if path.startswith("/_cloudlet"):
            allowed = sorted(m for m, p in self.routes if p == path)
            if allowed:
                return _json(
                    405, {"message": f"{request.method} is not allowed on {path}; use {', '.join(allowed)}"}
                )
            return _json(404, {"message": f"no admin route {request.method} {path}"})
        return None

    async def health(self, request: Request) -> Response:
        return _json(200, self.runtime.health())

    async def clock(self, request: Request) -> Response:
        clock = self.runtime.clock
        return _json(200, {"now": clock.now(), "offset": clock.offset})

    async def advance_clock(self, request: Request) -> Response:
        """``{"advance": seconds}``: move time forward, answering once due timers have fired."""
        try:
            seconds = _advance_seconds(request.read_body())
        except ValueError as exc:
            return _json(400, {"message": str(exc)})
        await self.runtime.clock.advance(seconds)
        return await self.clock(request)

    async def reset(self, request: Request) -> Response:
        await self.runtime.reset()
        return _json(200, {"reset": True})

    async def state(self, request: Request) -> Response:
        return _json(200, self.runtime.state())

    async def metrics(self, request: Request) -> Response:
        """Recorded metrics: ``?namespace=AWS/SQS[&name=...][&account=...][&region=...]``."""
        q = request.query
        account, region = q.get("account", "000000000000"), q.get("region", "us-east-1")
        metrics = self.runtime.metrics
        found = []
        for namespace, name, dims in metrics.names(account, region, q.get("namespace")):
            if q.get("name") not in (None, name):
                continue
            dimensions = orjson.loads(dims)
            points = metrics.query(account, region, namespace, name, 0, float("inf"), dimensions)
            found.append(
                {
                    "namespace": namespace,
                    "name": name,
                    "dimensions": dimensions,
                    "points": [
                        {
                            "timestamp": p.minute * 60,
                            "unit": p.unit,
                            "sampleCount": p.sample_count,
                            "sum": p.total,
                            "minimum": p.minimum,
                            "maximum": p.maximum,
                        }
                        for p in points
                    ],
                }
            )
        return _json(200, {"metrics": found})


def _advance_seconds(body: bytes) -> float:
    """The seconds of a clock advance request; ValueError says what is wrong."""
    expected = 'expected {"advance": <seconds, a number from 0 to ' + f"{MAX_ADVANCE:.0f}" + ">}"
    try:
        data = orjson.loads(body or b"{}")
    except orjson.JSONDecodeError as exc:
        raise ValueError(f"the body is not JSON; {expected}") from exc
    seconds = data.get("advance") if isinstance(data, dict) else None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise ValueError(expected)
    if not 0 <= seconds <= MAX_ADVANCE:  # also refuses NaN
        raise ValueError(f"the clock only moves forward, by at most {MAX_ADVANCE:.0f} s; {expected}")
    return float(seconds)


class BodyTooLarge(Exception):
    """The request body is larger than any AWS operation takes."""


class App:
    """The Cloudlet ASGI app."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.runtime = Runtime(config)
        self.router = Router(load_index())
        self.dispatcher = Dispatcher(self.runtime, self.router)
        self.admin = Admin(self.runtime)

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
            if not await self._read_body(request, receive):
                return  # the client went away
            response = await self._respond(request)
        except BodyTooLarge:
            error = ServiceError("RequestEntityTooLarge", "Request body too large", 413)
            response = self.dispatcher.answer_unrouted(
                request, parse_credentials(request), error, ids.request_id()
            )
        finally:
            if request.body_file is not None:
                request.body_file.close()
        await self._send(send, request, response)

    async def _respond(self, request: Request) -> Response:
        try:
            return await self.handle(request)
        except Exception:  # the dispatcher answers AWS errors itself; this is a last resort
            log.exception("unhandled error answering %s %s", request.method, request.path)
            return _json(500, {"message": "An internal error occurred."})

    async def _read_body(self, request: Request, receive: Receive) -> bool:
        """Read the body into memory, or a temporary file past ``SPOOL_AT``; False on disconnect."""
        chunks: list[bytes] = []
        size = 0
        spool = None
        try:
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return False
                chunk = message.get("body", b"")
                if chunk:
                    size += len(chunk)
                    if size > MAX_BODY:
                        raise BodyTooLarge
                    if spool is None and size > SPOOL_AT:
                        spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed after the response
                        spool.write(b"".join(chunks))
                        chunks = []
                    if spool is not None:
                        spool.write(chunk)
                    else:
                        chunks.append(chunk)
                if not message.get("more_body"):
                    break
        except BaseException:
            if spool is not None:
                spool.close()
            raise
        if spool is not None:
            spool.seek(0)
            request.body_file = spool
        else:
            request.body = b"".join(chunks)
        return True

    async def handle(self, request: Request) -> Response:
        """Answer one request: CORS preflight, admin routes, or an AWS operation."""
        if cors.is_preflight(request):
            return cors.preflight(request)
        response = None
        if request.path.startswith(("/_cloudlet/", "/_localstack/")):
            response = await self.admin.handle(request)
        if response is None:
            response = await self.dispatcher.handle(request)
        cors.add_cors(request, response)
        return response

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
