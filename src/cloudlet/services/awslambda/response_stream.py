"""One invocation's answer as it streams, from the Runtime API to whoever reads it.

A runtime streams by POSTing its response with ``Lambda-Runtime-Function-Response-Mode:
streaming`` and ``Transfer-Encoding: chunked`` (environment.py); each piece goes into the
invocation's :class:`ResponseStream` as it arrives, and its reader (the InvokeWithResponseStream
answer, stream_invoke.py, or a function URL) takes it from there. An error after the stream
began comes as the trailers ``Lambda-Runtime-Function-Error-Type`` and
``Lambda-Runtime-Function-Error-Body`` (base64). A function that answers in one piece (any
Python handler, a Node.js handler not wrapped in ``awslambda.streamifyResponse``) streams as
that one piece.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from cloudlet.services.awslambda.executor import Outcome

log = logging.getLogger("cloudlet.lambda")

# AWS's limit on a streamed response since 2025-07-31 (20 MB before): what goes past it is
# dropped and the invocation ends with Function.ResponseSizeTooLarge. AWS also caps the rate
# past the first 6 MB at 2 MB/s, which Cloudlet does not.
MAX_STREAMED = 200 * 1024 * 1024
DEFAULT_TYPE = "application/octet-stream"  # a streamed response that names no Content-Type
HIGH_WATER = 1024 * 1024  # bytes waiting for the reader before the runtime's side waits
# errorTypes Lambda itself reports (ErrorCode names them); others are the function's ("Unhandled")
_PLATFORM_ERRORS = frozenset({"Sandbox.Timedout", "Runtime.ExitError", "Function.ResponseSizeTooLarge"})
_RUNNING: set[asyncio.Future[Any]] = set()  # invocations whose reader may have gone


def too_large(limit: int) -> bytes:
    """The error payload of an answer over ``limit`` bytes (Invoke's wording: unverified)."""
    return orjson.dumps(
        {
            "errorMessage": f"Response payload size exceeded maximum allowed payload size ({limit} bytes).",
            "errorType": "Function.ResponseSizeTooLarge",
        }
    )


def stream_error(error_type: str, encoded: str | None) -> bytes:
    """The error payload of a stream that failed after it began: the trailer
    ``Lambda-Runtime-Function-Error-Body`` (base64 of the JSON error), else an object naming
    the ``Lambda-Runtime-Function-Error-Type``."""
    message = ""
    if encoded:
        try:
            raw = base64.b64decode(encoded.strip())
        except (binascii.Error, ValueError):
            raw = b""
        try:
            if isinstance(orjson.loads(raw), dict):
                return raw
        except orjson.JSONDecodeError:
            message = raw.decode(errors="replace")
    return orjson.dumps({"errorType": error_type, "errorMessage": message})


@dataclass
class StreamEnd:
    """How a streamed invocation ended: its outcome (log, duration) and, when it failed, the
    ``ErrorCode`` and ``ErrorDetails`` of InvokeWithResponseStream's ``InvokeComplete``."""

    outcome: Outcome
    error_code: str | None = None
    error_details: str | None = None


def _error_of(payload: bytes) -> tuple[str, str]:
    """(ErrorCode, ErrorDetails) of an error payload: ``Unhandled`` and the ``errorMessage`` for
    the function's errors, the ``errorType`` for Lambda's own (timeouts, exits, sizes).
    Unverified: AWS's exact split between the two fields."""
    try:
        body = orjson.loads(payload)
    except orjson.JSONDecodeError:
        body = None
    if not isinstance(body, dict):
        return "Unhandled", payload.decode(errors="replace")
    kind = str(body.get("errorType") or "")
    message = body.get("errorMessage")
    details = message if isinstance(message, str) else payload.decode(errors="replace")
    return (kind if kind in _PLATFORM_ERRORS else "Unhandled"), details


class ResponseStream:
    """One invocation's answer, piece by piece.

    The reader awaits :meth:`started` (optional: the Content-Type the function streams, or
    None for an answer in one piece), iterates with ``async for`` (bytes, in the order and
    pieces the function sent them, as they arrive), then finds :attr:`end`. A reader that stops
    early calls :meth:`detach`: the function runs on and what it still sends is dropped.
    """

    def __init__(self, buffered_limit: int) -> None:
        self.buffered_limit = buffered_limit  # an answer in one piece may be this long
        self.version = ""  # the version that runs (an alias's weights picked it)
        self.content_type: str | None = None
        self.streamed = False  # the runtime answered in streaming mode
        self.end: StreamEnd | None = None
        self._pieces: deque[bytes] = deque()
        self._waiting = 0
        self._arrived = asyncio.Event()
        self._drained = asyncio.Event()
        self._drained.set()
        self._began = asyncio.Event()
        self._admitted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        # a refusal nobody awaits any more (the caller went away) is not an unretrieved error
        self._admitted.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._reading = False  # a reader is iterating: the runtime's side waits for it
        self._detached = False

    # ---- the run's side (invoke.py, stream_invoke.py) -------------------------------------

    def admit(self, version: str) -> None:
        """The invocation passed its concurrency checks and runs ``version``."""
        self.version = version
        if not self._admitted.done():
            self._admitted.set_result(None)

    def follow(self, run: asyncio.Future[tuple[Outcome, Any]]) -> None:
        """``run`` is the invocation (``LambdaProvider.run``): its end ends the stream."""
        _RUNNING.add(run)
        run.add_done_callback(self._ran)

    async def admitted(self) -> None:
        """Wait until the invocation runs; raises what refused it (a throttle, ...)."""
        await asyncio.shield(self._admitted)

    def _ran(self, run: asyncio.Future[tuple[Outcome, Any]]) -> None:
        _RUNNING.discard(run)
        if run.cancelled():
            if not self._admitted.done():
                self._admitted.cancel()
            self._close(None, "ServiceException", "The invocation was cancelled.")
            return
        problem = run.exception()
        if problem is not None:
            if not self._admitted.done():
                self._admitted.set_exception(problem)
            else:  # a bug of ours after the answer began: the stream still ends
                log.error("streamed invocation failed", exc_info=problem)
            self._close(None, "ServiceException", "An internal error occurred.")
            return
        outcome, _config = run.result()
        if outcome.error:
            self._close(outcome, *_error_of(outcome.payload))
        elif not self.streamed and len(outcome.payload) > self.buffered_limit:
            self._close(outcome, *_error_of(too_large(self.buffered_limit)))
        else:
            if not self.streamed and outcome.payload and not self._detached:
                self._pieces.append(outcome.payload)
            self._close(outcome)

    def _close(self, outcome: Outcome | None, code: str | None = None, details: str | None = None) -> None:
        if outcome is None:
            from cloudlet.services.awslambda.executor import Outcome

            outcome = Outcome(b"", error=True)
        self.end = StreamEnd(outcome, code, details)
        self._arrived.set()
        self._began.set()
        self._drained.set()

    # ---- the runtime's side (environment.py) -------------------------------------------------

    def begin(self, content_type: str | None) -> None:
        """The runtime began a streamed response (its head, naming its Content-Type)."""
        self.streamed = True
        self.content_type = content_type or DEFAULT_TYPE
        self._began.set()

    async def put(self, piece: bytes) -> None:
        """One piece, as it came (the Runtime API keeps to MAX_STREAMED). Waits while the
        reader is more than HIGH_WATER behind (a reader yet to start is not waited for)."""
        if self._detached or self.end is not None or not piece:
            return
        self._pieces.append(piece)
        self._waiting += len(piece)
        self._arrived.set()
        if self._waiting > HIGH_WATER and self._reading:
            self._drained.clear()
            await self._drained.wait()

    # ---- the reader's side -------------------------------------------------------------------

    async def started(self) -> str | None:
        """Wait until the answer begins: the Content-Type the function streams under, or None
        when it answered in one piece (or failed before streaming)."""
        await self._began.wait()
        return self.content_type if self.streamed else None

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._read()

    async def _read(self) -> AsyncIterator[bytes]:
        self._reading = True
        try:
            while True:
                while self._pieces:
                    piece = self._pieces.popleft()
                    self._waiting -= len(piece)
                    if self._waiting <= HIGH_WATER // 4:
                        self._drained.set()
                    yield piece
                if self.end is not None:
                    return
                self._arrived.clear()
                await self._arrived.wait()
        finally:
            self._reading = False
            if self.end is None:  # the reader left early (its client went away)
                self.detach()

    def detach(self) -> None:
        """The reader went away: what the function still sends is dropped."""
        self._detached = True
        self._pieces.clear()
        self._waiting = 0
        self._drained.set()
