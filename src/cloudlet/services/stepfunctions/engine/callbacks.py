"""Task tokens: ``.waitForTaskToken`` tasks wait for SendTaskSuccess/Failure, and
SendTaskHeartbeat keeps them alive; activities hand their tokens to workers the same way.

A token is opaque to callers (AWS's are long base64 strings). Each open token has a
:class:`Waiter` the task awaits; its ``heartbeat`` moves the deadline the task's
``HeartbeatSeconds`` sets. A token that is answered, timed out or whose execution ended is
no longer open: calls with it answer ``TaskTimedOut`` (the execution or task is over) as AWS
does for a token it knew (unverified: AWS's choice between TaskTimedOut and TaskDoesNotExist
for a finished task). ``on_answer`` sees each answer as it is given (in the request's
transaction), so a Standard execution's waiting task keeps it across a restart; ``restore``
reopens such a token after one.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudlet.protocol.errors import ServiceError


def invalid_token() -> ServiceError:
    return ServiceError("InvalidToken", "Invalid Token: 'Invalid token'", 400)


Answer = tuple[bool, Any, str | None, str | None]  # succeeded, output, error, cause


@dataclass
class Waiter:
    """What a waiting task learns: an answer (``output`` or ``error``/``cause``) or a heartbeat."""

    execution_arn: str
    answer: asyncio.Future[Answer] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    beat: asyncio.Event = field(default_factory=asyncio.Event)  # set by each heartbeat


class Tokens:
    """The open task tokens of one provider."""

    def __init__(self) -> None:
        self.open: dict[str, Waiter] = {}
        self.closed: set[str] = set()
        self.answered: dict[str, Waiter] = {}  # answered, until their task takes the answer
        self.on_answer: Callable[[str, Answer], None] | None = None

    def new(self, execution_arn: str) -> str:
        token = base64.b64encode(secrets.token_bytes(48) + execution_arn.encode()).decode()
        self.open[token] = Waiter(execution_arn)
        return token

    def restore(self, token: str, execution_arn: str, answer: Answer | None = None) -> None:
        """Reopen ``token`` (a waiting task resumed after a restart), answered if it was."""
        waiter = Waiter(execution_arn)
        self.closed.discard(token)
        if answer is None:
            self.open[token] = waiter
        else:
            waiter.answer.set_result(tuple(answer))  # type: ignore[arg-type]
            self._answered(token, waiter)

    def answer_of(self, token: str) -> Answer | None:
        """The answer ``token`` was given, if it was and its task has not taken it yet."""
        waiter = self.answered.get(token) or self.open.get(token)
        if waiter is None or not waiter.answer.done():
            return None
        return waiter.answer.result()

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
        self._answer(token, (True, output, None, None))

    def fail(self, token: str, error: str | None, cause: str | None) -> None:
        self._answer(token, (False, None, error, cause))

    def _answer(self, token: str, answer: Answer) -> None:
        waiter = self._waiter(token)
        if not waiter.answer.done():
            if self.on_answer is not None:
                self.on_answer(token, answer)
            waiter.answer.set_result(answer)
        self._answered(token, waiter)

    def heartbeat(self, token: str) -> None:
        self._waiter(token).beat.set()
