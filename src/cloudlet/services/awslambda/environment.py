"""One execution environment: a child process running a function's runtime, and the Lambda
Runtime API it talks to, served on a loopback port of its own (its requests carry no
environment id, so the port is what tells environments apart). A response the runtime
streams (``Lambda-Runtime-Function-Response-Mode: streaming``) is read as it arrives and
passed on to the invocation's ``stream`` (response_stream.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.gateway.body_stream import BodyAborted
from cloudlet.gateway.entrypoints import Listener, listen
from cloudlet.gateway.request import Request
from cloudlet.protocol.common import Response
from cloudlet.services.awslambda.response_stream import MAX_STREAMED, stream_error, too_large

if TYPE_CHECKING:
    from cloudlet.services.awslambda.response_stream import ResponseStream

PREFIX = "/2018-06-01/runtime"
MARKER = b"\x00cloudlet-invocation-end "  # our bootstraps' end-of-output line (python, node)
_RESULT = re.compile(r"^/2018-06-01/runtime/invocation/([^/]+)/(response|error)$")
_ACCEPTED = b'{"status":"OK"}'
STREAM_PAUSE = 900.0  # seconds a streamed response may pause: as long as a function may run
# The Runtime API's header block limit: the official runtime clients send an error's X-Ray
# cause as a header (Python's up to 1 MiB); RAPID is a Go server, whose default is 1 MiB + 4 KiB
MAX_RUNTIME_HEAD = 1024 * 1024 + 4096  # unverified: Go's http.Server default, as RAPID's


@dataclass
class Invocation:
    """One invocation handed to an environment, and what came back."""

    request_id: str
    payload: bytes
    deadline_ms: int
    invoked_arn: str
    client_context: str | None = None
    result: asyncio.Future[tuple[str, bytes]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    output_done: asyncio.Event = field(default_factory=asyncio.Event)
    delivered: bool = False  # the runtime took it (``/next``)
    lines: list[tuple[int, str]] = field(default_factory=list)
    stream: ResponseStream | None = None  # where a streamed response goes as it arrives
    settled: asyncio.Future[None] = field(  # done once there is a result or the process ended
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    def answer(self, result: tuple[str, bytes]) -> None:
        """Take the runtime's answer (``kind``, body)."""
        self.result.set_result(result)
        self.settle()

    def settle(self) -> None:
        """Wake whoever waits on the invocation (an answer came or the process ended)."""
        if not self.settled.done():
            self.settled.set_result(None)


@dataclass
class Exited:
    """How the process ended: ``exit status N`` or ``signal: killed`` as AWS words it."""

    returncode: int

    def describe(self) -> str:
        if self.returncode < 0:
            name = signal.Signals(-self.returncode).name[3:].lower()
            return "signal: killed" if name == "kill" else f"signal: {name}"
        return f"exit status {self.returncode}"


class Environment:
    """A child process and its Runtime API endpoint; one invocation at a time."""

    def __init__(self, key: tuple[str, ...], stream: str, clock_ms: Any) -> None:
        self.key = key
        self.stream = stream  # its log stream
        self.clock_ms = clock_ms  # () -> epoch ms on the service clock
        self.listener: Listener | None = None
        self.process: asyncio.subprocess.Process | None = None
        self.tmpdir: Path | None = None
        self.ready = asyncio.Event()  # the runtime asked for its first invocation
        self.exited = asyncio.Event()
        self.init_error: bytes | None = None
        self.init_failed = asyncio.Event()
        self.init_lines: list[tuple[int, str]] = []  # output before the first invocation
        self.marks_end = True  # its runtime writes MARKER after each invocation's output
        self.current: Invocation | None = None
        self.last_used = time.monotonic()
        self.invocations = 0
        self.memory_limit_mb = 128  # the function's MemorySize (memory.py enforces it)
        self.peak_mb = 0  # the most its process tree was seen using
        self.killed_for_memory = False
        self.provisioned: tuple[str, str] | None = None  # (function, qualifier) it was pre-started for
        self.credentials_expire = float("inf")  # when its role credentials expire (service clock)
        self._queue: asyncio.Queue[Invocation] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def address(self) -> str:
        assert self.listener is not None
        return self.listener.address

    async def open(self) -> None:
        self.listener = await listen(
            self.handle, stream_bodies=_streamed, body_timeout=STREAM_PAUSE, max_head=MAX_RUNTIME_HEAD
        )

    async def spawn(self, argv: list[str], env: dict[str, str], cwd: Path, tmpdir: Path) -> None:
        self.tmpdir = tmpdir
        self.process = await asyncio.create_subprocess_exec(
            *argv,
            env=env,
            cwd=str(cwd),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        self._tasks = [asyncio.ensure_future(self._read()), asyncio.ensure_future(self._wait())]

    @property
    def alive(self) -> bool:
        return self.process is not None and not self.exited.is_set()

    def exit_status(self) -> Exited:
        assert self.process is not None
        return Exited(self.process.returncode if self.process.returncode is not None else -9)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None and not self.exited.is_set() else None

    def over_memory(self) -> None:
        """Its processes went over the memory setting: killed, as Lambda kills them."""
        self.killed_for_memory = True
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def max_memory_mb(self) -> int:
        """The peak resident memory in MB: the process's VmHWM, or what the memory watcher
        saw of its tree if more (at most the setting for a tree killed over it)."""
        peak = self.peak_mb
        if self.process is not None:
            try:
                for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) // 1024)
            except (OSError, ValueError):
                pass
        if self.killed_for_memory:
            peak = min(peak, self.memory_limit_mb)
        return max(1, peak) if self.process is not None else 0

    # ---- the process ------------------------------------------------------------------------

    async def _wait(self) -> None:
        assert self.process is not None
        await self.process.wait()
        self.exited.set()
        if self.current is not None:
            self.current.settle()

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        stdout = self.process.stdout
        while True:
            try:
                raw = await stdout.readline()
            except ValueError:  # a line over the stream limit: take what is there
                raw = await stdout.read(65536)
            if not raw:
                break
            if raw.startswith(MARKER):
                request_id = raw[len(MARKER) :].strip().decode(errors="replace")
                if self.current is not None and self.current.request_id == request_id:
                    self.current.output_done.set()
                continue
            text = raw.decode(errors="replace").rstrip("\n").replace("\r", "\n")
            line = (self.clock_ms(), text)
            (self.current.lines if self.current is not None else self.init_lines).append(line)

    async def kill(self) -> None:
        """End the process (SIGKILL to its session), the endpoint and the temporary directory."""
        if self.process is not None and self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.process.pid, signal.SIGKILL)
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self.exited.wait(), 5)
        for task in self._tasks:
            if task.done():
                continue
            task.cancel()
        if self.listener is not None:
            await self.listener.close()
            self.listener = None
        if self.tmpdir is not None:
            await asyncio.to_thread(shutil.rmtree, self.tmpdir, True)
            self.tmpdir = None

    # ---- handing out invocations ------------------------------------------------------------

    def give(self, invocation: Invocation) -> None:
        self.current = invocation
        self.invocations += 1
        self._queue.put_nowait(invocation)

    def finish(self) -> None:
        self.current = None
        self.last_used = time.monotonic()

    # ---- the Runtime API --------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        path = request.path
        if request.method == "GET" and path == PREFIX + "/invocation/next":
            self.ready.set()
            invocation = await self._queue.get()
            invocation.delivered = True
            headers = [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", invocation.request_id),
                ("Lambda-Runtime-Deadline-Ms", str(invocation.deadline_ms)),
                ("Lambda-Runtime-Invoked-Function-Arn", invocation.invoked_arn),
                (
                    "Lambda-Runtime-Trace-Id",
                    f"Root=1-{int(time.time()):08x}-{invocation.request_id.replace('-', '')[:24]};Sampled=0",
                ),
            ]
            if invocation.client_context:
                headers.append(("Lambda-Runtime-Client-Context", _ascii_json(invocation.client_context)))
            return Response(200, headers, invocation.payload)
        if request.method == "POST":
            m = _RESULT.match(path)
            if m is not None:
                current = self.current
                if current is None or current.request_id != m[1] or current.result.done():
                    body = {"errorMessage": "Invalid request ID", "errorType": "InvalidRequestID"}
                    return _json(400, body)
                if request.stream is not None:
                    return await self._streamed(current, request)
                current.answer((m[2], request.read_body()))
                return Response(202, [("Content-Type", "application/json")], _ACCEPTED)
            if path == PREFIX + "/init/error":
                self.init_error = request.read_body()
                self.init_failed.set()
                return Response(202, [("Content-Type", "application/json")], _ACCEPTED)
        return _json(404, {"errorMessage": "Not found", "errorType": "NotFound"})

    async def _streamed(self, invocation: Invocation, request: Request) -> Response:
        """A response streamed in chunks, passed on piece by piece to the invocation's stream
        (kept whole for a caller that does not stream: Invoke); an error after it began comes
        as trailers. A connection lost mid-stream sets no result: the process's exit or the
        timeout ends the invocation."""
        assert request.stream is not None
        sink = invocation.stream
        kept = bytearray()
        size = 0
        if sink is not None:
            sink.begin(request.headers.get("content-type"))
        try:
            async for piece in request.stream:
                size += len(piece)
                if size > MAX_STREAMED:
                    continue  # read to the end, dropped
                if sink is not None:
                    await sink.put(piece)
                else:
                    kept += piece
        except BodyAborted:
            return _json(400, {"errorMessage": "Truncated response", "errorType": "InvalidRequest"})
        trailers = request.stream.trailers
        error_type = trailers.get("lambda-runtime-function-error-type")
        if size > MAX_STREAMED:
            result = ("error", too_large(MAX_STREAMED))
        elif error_type:
            result = ("error", stream_error(error_type, trailers.get("lambda-runtime-function-error-body")))
        else:
            result = ("response", bytes(kept))
        if not invocation.result.done():
            invocation.answer(result)
        return Response(202, [("Content-Type", "application/json")], _ACCEPTED)


def _streamed(request: Request) -> bool:
    """Whether a request is a response the runtime streams (its body read as it arrives)."""
    return (
        request.method == "POST"
        and request.path.endswith("/response")
        and (request.headers.get("lambda-runtime-function-response-mode") or "").lower() == "streaming"
    )


def _ascii_json(text: str) -> str:
    """A header's JSON as ASCII (non-ASCII escaped as ``\\uXXXX``, compact): header bytes are
    Latin-1 here, which the official runtime clients would fail to read as UTF-8. Text that is
    not JSON is passed as it is."""
    try:
        return json.dumps(json.loads(text), separators=(",", ":"))
    except ValueError:
        return text


def _json(status: int, body: dict[str, Any]) -> Response:
    return Response(status, [("Content-Type", "application/json")], orjson.dumps(body))
