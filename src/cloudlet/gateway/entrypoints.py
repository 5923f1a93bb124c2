"""Entry points beyond the AWS API: requests a service claims by host, path or condition.

Some traffic is not an AWS API call: function URLs, API Gateway invoke URLs
(``{api-id}.execute-api.localhost``), S3 website endpoints, browser form uploads to a
bucket, browser requests to a bucket with its own CORS rules. A service declares such entry
points in a small module of its own (listed in ``services/registry.ENTRY_POINTS``), loaded
without the service's provider; the App asks the registry before the AWS dispatcher, so the
path every request walks names no service. Each entry point answers CORS itself (or not at
all); the global CORS headers of the AWS API are not added to its answers.

Protocols that need an endpoint of their own get an extra listening port (:func:`listen`):
each Lambda execution environment's Runtime API, whose requests carry no environment id.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response

if TYPE_CHECKING:
    from cloudlet.gateway.dispatch import Dispatcher
    from cloudlet.http_server import HttpServer
    from cloudlet.runtime import Runtime

Answer = Response | Awaitable[Response]


class Front(Protocol):
    """What an entry point's handler may use: the runtime and the AWS dispatcher."""

    runtime: Runtime
    dispatcher: Dispatcher


EntryHandler = Callable[[Front, Request], Answer]


@dataclass(frozen=True)
class EntryPoint:
    """What a service claims, and how it answers.

    A request is claimed when every given condition holds: ``host`` (an exact name, or
    ``*.suffix`` for any name under it; the port is ignored), ``path`` (a prefix),
    ``methods``, and ``when(front, request)`` (a check that must be cheap and must not
    load a provider that is not loaded yet)."""

    name: str
    handle: EntryHandler
    host: str | None = None
    path: str | None = None
    methods: frozenset[str] | None = None
    when: Callable[[Front, Request], bool] | None = None

    def claims(self, front: Front, request: Request) -> bool:
        if self.methods is not None and request.method not in self.methods:
            return False
        if self.path is not None and not request.path.startswith(self.path):
            return False
        if self.host is not None and not _host_matches(self.host, request.host):
            return False
        return self.when is None or self.when(front, request)


def _host_matches(pattern: str, host: str) -> bool:
    name = host.rsplit(":", 1)[0].lower() if not host.startswith("[") else host.lower()
    if pattern.startswith("*."):
        return name.endswith(pattern[1:]) and len(name) > len(pattern) - 1
    return name == pattern


class EntryPoints:
    """The entry points of every service, asked in the order they were added."""

    def __init__(self, front: Front) -> None:
        self.front = front
        self._entries: list[EntryPoint] = []

    @classmethod
    def declared(cls, front: Front, modules: dict[str, str]) -> EntryPoints:
        """The entry points the services' modules declare (``"module:NAME"`` each)."""
        entries = cls(front)
        for spec in modules.values():
            module_name, _, attr = spec.partition(":")
            for entry in getattr(importlib.import_module(module_name), attr):
                entries.add(entry)
        return entries

    def add(self, entry: EntryPoint) -> None:
        self._entries.append(entry)

    def remove(self, name: str) -> None:
        self._entries = [e for e in self._entries if e.name != name]

    def claim(self, request: Request) -> EntryPoint | None:
        """The entry point that takes ``request``, if any."""
        for entry in self._entries:
            if entry.claims(self.front, request):
                return entry
        return None


@dataclass
class Listener:
    """An extra listening port, serving one handler until closed."""

    server: HttpServer

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def address(self) -> str:
        """``host:port``, as the Lambda runtime clients take ``AWS_LAMBDA_RUNTIME_API``."""
        return f"{self.server.host}:{self.server.port}"

    async def close(self) -> None:
        await self.server.stop(grace=0.0)


async def listen(handler: Callable[[Request], Answer], host: str = "127.0.0.1", **options: Any) -> Listener:
    """Serve ``handler`` on a new port of ``host`` (chosen by the system)."""
    from cloudlet.http_server import HttpServer

    def too_large(request: Request) -> Response:
        return Response(413, [("Content-Type", "text/plain")], b"Request body too large")

    server = HttpServer(handler, too_large, host, 0, **options)
    await server.start()
    return Listener(server)
