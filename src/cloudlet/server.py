"""The Cloudlet application: AWS requests to the dispatcher, admin routes under ``/_cloudlet/``."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import re
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import orjson

from cloudlet import spool
from cloudlet.config import Config, private_dir, private_file
from cloudlet.core import ids
from cloudlet.core.delivery import Policy
from cloudlet.gateway import cors
from cloudlet.gateway.detect import Router, parse_credentials
from cloudlet.gateway.dispatch import Dispatcher
from cloudlet.gateway.entrypoints import EntryPoints
from cloudlet.gateway.request import Request
from cloudlet.gateway.routing_index import load_index
from cloudlet.http_server import HttpServer, install_signal_handlers
from cloudlet.protocol.common import Response
from cloudlet.protocol.errors import internal_failure
from cloudlet.runtime import Runtime
from cloudlet.services.registry import ENTRY_POINTS

log = logging.getLogger("cloudlet")

MAX_ADVANCE = 100 * 366 * 86400.0  # a century: far enough for any retention, near enough for dates
# Content types a web page can POST without a preflight (a form, a no-cors fetch).
_SIMPLE_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"})
_HOST = re.compile(r"(\[[^\]]*\]|[^:\[\]]*)(?::\d*)?\Z")  # name or [IPv6], then an optional port


def _json(status: int, value: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], orjson.dumps(value))


class Admin:
    """The admin API under ``/_cloudlet/`` (health also at ``/_localstack/health``).

    ``GET|POST /_cloudlet/clock`` reads or advances the service clock, ``POST
    /_cloudlet/reset`` wipes all state, ``GET /_cloudlet/state`` reports what is held,
    ``GET /_cloudlet/metrics`` lists the CloudWatch metrics services recorded.

    A web page must not drive it: requests whose Host is not one of the server's own names
    are refused (DNS rebinding), and so are preflights and, on routes
    that change state, anything a page could send (an Origin of another site, a form's
    content type, ``Sec-Fetch-Site`` of another site). Its answers carry no CORS headers.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        config = runtime.config
        self.hosts = {"localhost", "127.0.0.1", "::1", socket.gethostname().lower(), *config.extra_hosts}
        if config.host not in ("", "0.0.0.0", "::"):
            self.hosts.add(config.host.lower().strip("[]"))
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
            ("GET", "/_cloudlet/deliveries"): self.deliveries,
            ("POST", "/_cloudlet/deliveries"): self.deliver,
            ("GET", "/_cloudlet/sns/sent"): self.sns_sent,
            ("DELETE", "/_cloudlet/sns/sent"): self.sns_sent,
        }

    async def handle(self, request: Request) -> Response | None:
        """The admin answer, or None for a path that is not the admin API's."""
        path = request.path.rstrip("/")
        allowed = sorted(m for m, p in self.routes if p == path)
        if not allowed and not path.startswith("/_cloudlet"):
            return None
        if cors.is_preflight(request):
            return cors.admin_preflight()
        refused = self.refusal(request, path)
        if refused is not None:
            return _json(403, {"message": refused})
        handler = self.routes.get((request.method, path))
        if handler is not None:
            return await handler(request)
        if allowed:
            return _json(
                405, {"message": f"{request.method} is not allowed on {path}; use {', '.join(allowed)}"}
            )
        return _json(404, {"message": f"no admin route {request.method} {path}"})

    def refusal(self, request: Request, path: str) -> str | None:
        """Why a request a web page could have sent is refused (None: it is not).

        Health reads too answer only the server's own names: a container probe that reaches
        it under a name of its own adds that name with ``--allowed-hosts``.
        """
        host = request.headers.get("host")
        if host is not None and not self.own_host(host):
            return (
                f"the admin API answers to this machine's own names, not to Host {host!r}; "
                "add the name with --allowed-hosts (CLOUDLET_ALLOWED_HOSTS)"
            )
        if request.method in ("GET", "HEAD"):
            return None
        origin = request.headers.get("origin")
        if origin is not None and origin.lower() not in _origins_of(host):
            return f"the admin API takes no requests from web pages of other origins (Origin {origin!r})"
        if (request.headers.get("sec-fetch-site") or "").lower() in ("cross-site", "same-site"):
            return "the admin API takes no requests from web pages of other sites"
        media = (request.headers.get("content-type") or "").split(";", 1)[0].strip().lower()
        if media in _SIMPLE_TYPES:
            return f"the admin API takes JSON (Content-Type: application/json), not {media}"
        return None

    def own_host(self, host: str) -> bool:
        """Whether a Host header names this server: a name of its own or an IP address (which
        DNS rebinding cannot use: it needs a name that once pointed elsewhere)."""
        found = _HOST.match(host.strip().lower())
        if found is None:
            return False
        name = found.group(1).strip("[]").rstrip(".")
        if name in self.hosts or "*" in self.hosts:
            return True
        try:
            ipaddress.ip_address(name)
        except ValueError:
            return False
        return True

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

    async def deliveries(self, request: Request) -> Response:
        """Per delivery target: pending deliveries, attempts in flight and counters."""
        return _json(200, {"targets": self.runtime.deliveries.report()})

    async def deliver(self, request: Request) -> Response:
        """Make a delivery to a public target: ``{"target", "payload", "policy", "delay",
        "orderKey", "slot"}``; answers ``{"id"}`` once it is stored."""
        try:
            spec = orjson.loads(request.read_body() or b"{}")
            if not isinstance(spec, dict):
                raise ValueError("expected a JSON object")
            target = spec.get("target")
            if not isinstance(target, str) or not self.runtime.deliveries.is_public(target):
                raise ValueError(f"no public delivery target {target!r}")
            policy = Policy.from_dict(spec.get("policy") or {})
            delay = spec.get("delay", 0)
            if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay <= MAX_ADVANCE:
                raise ValueError("delay is a number of seconds from 0")
            keys = {k: spec.get(k) for k in ("orderKey", "slot")}
            if any(v is not None and not isinstance(v, str) for v in keys.values()):
                raise ValueError("orderKey and slot are strings")
        except (ValueError, orjson.JSONDecodeError) as exc:
            return _json(400, {"message": str(exc)})
        engine = self.runtime.deliveries
        with self.runtime.store.transaction():
            delivery_id = engine.enqueue(
                target,
                spec.get("payload"),
                policy,
                due=self.runtime.clock.now() + delay,
                order_key=keys["orderKey"],
                slot=keys["slot"],
            )
        return _json(200, {"id": delivery_id})

    async def sns_sent(self, request: Request) -> Response:
        """What SNS sent to email, SMS and mobile push endpoints (services/sns/sink.py)."""
        from cloudlet.services.sns.sink import admin

        return admin(self.runtime, request)

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


def _origins_of(host: str | None) -> tuple[str, ...]:
    """The origins of pages served by this server under Host ``host``."""
    host = (host or "").strip().lower()
    return (f"http://{host}", f"https://{host}") if host else ()


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


class App:
    """Cloudlet: the runtime, the admin API and the AWS dispatcher behind one HTTP server."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # Large bodies spool beside the data (one file system: S3 links them in, no copy).
        spool.configure(None if config.in_memory else private_dir(config.data_dir) / "tmp")
        self.runtime = Runtime(config)
        self.router = Router(load_index())
        self.dispatcher = Dispatcher(self.runtime, self.router)
        self.admin = Admin(self.runtime)
        self.entry_points = EntryPoints.declared(self, ENTRY_POINTS)

    def handle(self, request: Request) -> Response | Awaitable[Response]:
        """Answer one request: admin routes, a service's entry point, or an AWS operation
        (with CORS preflights answered for the AWS API).

        Most operations answer at once; one that has to wait (a long poll, the admin
        API) gives an awaitable instead, so the HTTP server only starts a task for those.
        """
        try:
            if cors.is_admin(request):  # no CORS: a web page must not drive the admin API
                return self._complete(request, self._admin_or_aws(request), False)
            entry = self.entry_points.claim(request)
            if entry is not None:  # answers CORS itself, if at all
                answer = entry.handle(self, request)
                return answer if isinstance(answer, Response) else self._complete(request, answer, False)
            if cors.is_preflight(request):
                return cors.preflight(request)
            response = self.dispatcher.handle(request)
            if not isinstance(response, Response):
                return self._complete(request, response)
            cors.add_cors(request, response)
            return response
        except Exception:
            return self._internal_error(request)

    async def _admin_or_aws(self, request: Request) -> Response:
        response = await self.admin.handle(request)
        if response is None:
            response = self.dispatcher.handle(request)
            if not isinstance(response, Response):
                response = await response
        return response

    async def _complete(
        self, request: Request, pending: Awaitable[Response], with_cors: bool = True
    ) -> Response:
        try:
            response = await pending
        except Exception:
            return self._internal_error(request)
        if with_cors:
            cors.add_cors(request, response)
        return response

    def _internal_error(self, request: Request) -> Response:
        """The last resort (the dispatcher answers AWS errors itself): an InternalFailure in
        the protocol the request looks like (JSON for the admin API)."""
        log.exception("unhandled error answering %s %s", request.method, request.path)
        if not cors.is_admin(request):
            try:
                creds = parse_credentials(request)
                return self.dispatcher.answer_unrouted(request, creds, internal_failure(), ids.request_id())
            except Exception:
                log.exception("answering the internal error failed")
        return _json(500, {"message": "An internal error occurred."})

    def too_large(self, request: Request) -> Response:
        """The answer to a body larger than any AWS operation takes, in the terms of the
        service it is for (S3's EntityTooLarge)."""
        return self.dispatcher.too_large(request)

    async def serve(self, stop: asyncio.Event, started: Callable[[], None] | None = None) -> None:
        """Start the runtime and the HTTP server, serve until ``stop`` is set, then shut down."""
        await self.runtime.start()
        server = HttpServer(self.handle, self.too_large, self.config.host, self.config.port)
        try:
            await server.start()
            log.info("Cloudlet listening on %s", self.config.endpoint)
            if started is not None:
                started()
            await stop.wait()
        finally:
            await server.stop()
            await self.runtime.stop()


def create_app(config: Config) -> App:
    return App(config)


def serve(config: Config, detached: bool = False) -> None:
    """Run the server until SIGINT or SIGTERM, announced in the data directory's server file
    while it runs (``cloudlet env``, ``status``, ``stop`` and ``clock`` read it)."""
    logging.basicConfig(level=config.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_app(config)
    announced = {"pid": os.getpid(), "endpoint": config.endpoint, "detached": detached}

    def started() -> None:
        try:
            private_dir(config.data_dir)
            private_file(config.server_file).write_text(orjson.dumps(announced).decode())
        except OSError as exc:  # a read-only data dir: the server still runs
            log.warning("could not write %s: %s", config.server_file, exc)

    async def main() -> None:
        stop = asyncio.Event()
        install_signal_handlers(stop)
        await app.serve(stop, started)

    try:
        run(main())
    finally:
        with contextlib.suppress(OSError, ValueError):
            if orjson.loads(config.server_file.read_bytes()).get("pid") == os.getpid():
                config.server_file.unlink()


def run(main: Coroutine[Any, Any, None]) -> None:
    """Run ``main`` on uvloop where it is installed, else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is a dependency except on Windows
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)
