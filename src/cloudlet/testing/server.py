"""A real Cloudlet server for tests: in a background thread, on a free port."""

from __future__ import annotations

import asyncio
import inspect
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Callable
from typing import Any

from cloudlet.config import Config

REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AdminClient:
    """The admin API of a running server at ``endpoint``."""

    @property
    def endpoint(self) -> str:
        raise NotImplementedError

    def admin(self, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            self.endpoint + path, data=data, method="POST" if data is not None else "GET"
        )
        if data is not None:  # urllib would say a form, which the admin API refuses
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=60) as resp:
            return json.loads(resp.read() or b"null")

    def advance_clock(self, seconds: float) -> dict[str, float]:
        """Move the service clock forward; returns once due timers have fired."""
        return self.admin("/_cloudlet/clock", {"advance": seconds})

    def clock(self) -> dict[str, float]:
        return self.admin("/_cloudlet/clock")

    def reset(self) -> None:
        self.admin("/_cloudlet/reset", {})


class ServerThread(AdminClient):
    """Runs Cloudlet in a thread with its own event loop; ``endpoint`` is its URL once started."""

    def __init__(self, config: Config | None = None) -> None:
        self.config = config or Config(port=free_port(), in_memory=True, log_level="warning")
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def endpoint(self) -> str:
        return self.config.endpoint

    def start(self, timeout: float = 20.0) -> ServerThread:
        from cloudlet.server import create_app

        self.app = create_app(self.config)
        self._thread = threading.Thread(target=self._run, name="cloudlet-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._started.wait(0.02):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("Cloudlet test server did not start")
        return self

    def _run(self) -> None:
        from cloudlet.server import run

        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            await self.app.serve(self._stop, self._started.set)

        run(main())

    def call(self, fn: Callable[..., Any], *args: Any, timeout: float = 30.0) -> Any:
        """Run ``fn(*args)`` on the server's event loop thread (awaiting it if it is a
        coroutine function) and return its result: for tests that reach into the runtime."""
        if self._loop is None:
            raise RuntimeError("the server is not running")

        async def run() -> Any:
            value = fn(*args)
            return await value if inspect.isawaitable(value) else value

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout)

    def stop(self) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)


def client(service: str, endpoint: str, region: str = REGION, **kwargs: Any) -> Any:
    """A boto3 client pointed at ``endpoint`` with dummy credentials and no retries."""
    import boto3
    from botocore.config import Config as BotoConfig

    region = kwargs.pop("region_name", region)
    kwargs.setdefault("aws_access_key_id", "test")
    kwargs.setdefault("aws_secret_access_key", "test")
    config = kwargs.pop("config", None) or BotoConfig(retries={"max_attempts": 1, "mode": "standard"})
    return boto3.client(service, endpoint_url=endpoint, region_name=region, config=config, **kwargs)


class ServerProcess(AdminClient):
    """Cloudlet in a child process with a file store, for crash and restart tests."""

    def __init__(self, data_dir: str, port: int | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.proc: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 20.0) -> ServerProcess:
        import subprocess
        import sys

        argv = [
            sys.executable,
            "-m",
            "cloudlet",
            "start",
            "--port",
            str(self.port),
            "--data-dir",
            self.data_dir,
        ]
        argv += ["--log-level", "warning"]
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Cloudlet exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(self.endpoint + "/_cloudlet/health", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("Cloudlet did not come up")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks run, as in a crash."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait(timeout=10)
