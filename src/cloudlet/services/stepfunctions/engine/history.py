"""The history of one execution: events with ids from 1, each naming the event before it.

Events are numbered in the order they happen. ``previousEventId`` is the last event of the
same thread of control: a state's events follow each other; the branches of a Parallel
state and the iterations of a Map state are threads of their own, starting after their
state's ``…Started`` event. Event details follow GetExecutionHistory's shapes (payloads as
JSON text, with their ``…Details: {truncated}``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudlet.services.stepfunctions.store import EventRow


@dataclass
class Thread:
    """Where one thread of control is in the history (its last event's id)."""

    last: int = 0
    aborts: bool = False  # a Parallel branch: a state that fails or is cancelled records ``…StateAborted``


class History:
    """The events of one execution, kept in order; ``pending`` are those not yet stored."""

    def __init__(self, now: Callable[[], float], first_id: int = 1) -> None:
        self.now = now
        self.next_id = first_id
        self.pending: list[EventRow] = []
        self.kept: list[EventRow] = []  # every event (Express executions keep them here only)
        # what sees each event as it is recorded: the execution's log, its task metrics
        self.observers: list[Callable[[EventRow], None]] = []

    def add(
        self, thread: Thread, event_type: str, details: dict[str, Any] | None = None, advance: bool = True
    ) -> int:
        """Record an event after ``thread``'s last one; returns its id. An event that does not
        ``advance`` the thread is not the previous one of the next (as AWS chains
        ``MapIterationSucceeded``, ``…StateSucceeded`` and ``…StateAborted``)."""
        event = EventRow(self.next_id, thread.last, self.now(), event_type, details or {})
        self.next_id += 1
        if advance:
            thread.last = event.id
        self.pending.append(event)
        self.kept.append(event)
        for observe in self.observers:
            observe(event)
        return event.id

    def take(self) -> list[EventRow]:
        """The events recorded since the last call (to be written to the store)."""
        out, self.pending = self.pending, []
        return out
