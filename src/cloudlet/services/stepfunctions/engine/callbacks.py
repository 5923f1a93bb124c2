"""Task tokens: ``.waitForTaskToken`` tasks wait for SendTaskSuccess/Failure, and
SendTaskHeartbeat keeps them alive; activities hand their tokens to workers the same way.

A token is opaque to callers (AWS's are long base64 strings). Each open token has a
:class:`Waiter` the task awaits; its ``heartbeat`` moves the deadline the task's
``HeartbeatSeconds`` sets. A token that is answered, timed out or whose execution ended is
no longer open: calls with it answer ``TaskTimedOut`` (the execution or task is over) as AWS
does for a token it knew (unverified: AWS's choice between TaskTimedOut and TaskDoesNotExist
for a finished task).
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from dataclasses import dataclass, field
from typing import Any

from cloudlet.protocol.errors import ServiceError


def invalid_token() -> ServiceError:
    return ServiceError("InvalidToken", "Invalid Token: 'Invalid token'", 400)


@dataclass
class Waiter:
    """What a waiting task learns: an answer (``output`` or ``error``/``cause``) or a heartbeat."""

    execution_arn: str
    answer: asyncio.Future[tuple[bool, Any, str | None, str | None]] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )
    beat: asyncio.Event = field(default_factory=asyncio.Event)  # set by each heartbeat


class Tokens:
    """The open task tokens of one provider."""

    def __init__(self) -> None:
        self.open: dict[str, Waiter] = {}
        self.closed: set[str] = set()
        self.answered: dict[str, Waiter] = {}  # answered, until their task takes the answer

    def new(self, execution_arn: str) -> str:
        token = base64.b64encode(secrets.token_bytes(48) + execution_arn.encode()).decode()
        self.open[token] = Waiter(execution_arn)
        return token

    def waiter(self, token: str) -> Waiter:
        """The waiter of a token this provider handed out (answered or not)."""
        return self.open.get(token) or self.answered[token]

    def close(self, token: str) -> None:
        """The token's task is over: later calls with it answer TaskTimedOut."""
        self.answered.pop(token, None)
        if self.open.pop(token, None) is not None:
            self.closed.add(token)

    def _answered(self, token: str, waiter: Waiter) -> None:
        self.open.pop(token, None)
        self.answered[token] = waiter
        self.closed.add(token)

    def _waiter(self, token: str) -> Waiter:
        waiter = self.open.get(token)
        if waiter is not None:
            return waiter
        if token in self.closed:
            raise ServiceError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'", 400)
        try:
            base64.b64decode(token, validate=True)
        except ValueError:
            raise invalid_token() from None
        raise ServiceError("TaskDoesNotExist", "Task does not exist anymore", 400)  # unverified

    def succeed(self, token: str, output: Any) -> None:
        waiter = self._waiter(token)
        if not waiter.answer.done():
            waiter.answer.set_result((True, output, None, None))
        self._answered(token, waiter)

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        waiter = self._waiter(token)
        if not waiter.answer.done():
            waiter.answer.set_result((False, None, error, cause))
        self._answered(token, waiter)

    def heartbeat(self, token: str) -> None:
        self._waiter(token).beat.set()
