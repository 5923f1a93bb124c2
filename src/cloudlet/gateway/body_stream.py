"""A request body read while it arrives: the pieces of a chunked upload as the client sends
them, then its trailers. The HTTP server hands a request over with such a body (at the end of
its head) when the server's ``stream_bodies`` check says so; the Lambda Runtime API uses it
for a runtime's streamed response (``Lambda-Runtime-Function-Response-Mode: streaming``).
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable

HIGH_WATER = 1024 * 1024  # bytes waiting for the reader before reading from the client pauses
LOW_WATER = 256 * 1024  # ... and resumes once the reader took this far down


class BodyAborted(ConnectionError):
    """The connection ended before the body did."""


class BodyStream:
    """Body pieces in the order they came; ``async for`` yields each (bytes), then ends, or
    raises :class:`BodyAborted` when the connection was lost first. ``trailers`` (names in
    lower case) are the trailer fields after the last piece.

    ``hold(True)`` is called when more than ``HIGH_WATER`` bytes wait for the reader, and
    ``hold(False)`` once it caught up (the server pauses reading from the client meanwhile).
    """

    def __init__(self, hold: Callable[[bool], None] | None = None) -> None:
        self.trailers: dict[str, str] = {}
        self._hold = hold
        self._held = False
        self._pieces: deque[bytes] = deque()
        self._waiting = 0  # bytes in ``_pieces``
        self._arrived = asyncio.Event()
        self._ended = False
        self._aborted = False
        self._discarded = False

    # -- the server's side --
    def feed(self, data: bytes) -> None:
        if self._discarded or self._ended or not data:
            return
        self._pieces.append(data)
        self._waiting += len(data)
        self._arrived.set()
        if self._waiting > HIGH_WATER:
            self._set_held(True)

    def finish(self, trailers: dict[str, str]) -> None:
        """The body ended (the zero-length chunk), with these trailer fields."""
        self.trailers = {k.lower(): v for k, v in trailers.items()}
        self._ended = True
        self._arrived.set()

    def abort(self) -> None:
        """The connection was lost before the body ended."""
        if not self._ended:
            self._aborted = True
            self._arrived.set()

    def discard(self) -> None:
        """Nobody will read what is left (the request was answered): drop it as it comes."""
        self._discarded = True
        self._pieces.clear()
        self._waiting = 0
        self._set_held(False)

    @property
    def ended(self) -> bool:
        return self._ended

    def _set_held(self, held: bool) -> None:
        if held != self._held and self._hold is not None:
            self._held = held
            self._hold(held)

    # -- the reader's side --
    def __aiter__(self) -> BodyStream:
        return self

    async def __anext__(self) -> bytes:
        while not self._pieces:
            if self._aborted:
                raise BodyAborted("the connection ended before the request body did")
            if self._ended or self._discarded:
                raise StopAsyncIteration
            self._arrived.clear()
            await self._arrived.wait()
        piece = self._pieces.popleft()
        self._waiting -= len(piece)
        if self._waiting < LOW_WATER:
            self._set_held(False)
        return piece
