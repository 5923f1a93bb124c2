"""Tumbling windows of stream event source mappings (``TumblingWindowInSeconds``).

Records fall into fixed windows by their arrival time (windows start at multiples of the
window's length). Each invocation for a window carries the window, the ``state`` the previous
invocation for it answered (``{}`` at first), the shard and the stream; when the window's end
has passed, a last invocation with no records and ``isFinalInvokeForWindow`` hands the function
the final state. A state over 1 MB ends the window at once (``isWindowTerminatedEarly``).
The open window and its state are kept with the shard's checkpoint, so a restart goes on with
them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

MAX_STATE = 1024 * 1024


def _iso(when: float) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_start(arrival: float, length: int) -> float:
    return math.floor(arrival / length) * length


@dataclass
class Window:
    start: float
    end: float
    state: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, doc: dict[str, Any]) -> Window | None:
        """The open window kept with a checkpoint (None: none open)."""
        found = doc.get("window")
        return cls(found["start"], found["end"], found["state"]) if found else None

    def dump(self) -> dict[str, Any]:
        return {"window": {"start": self.start, "end": self.end, "state": self.state}}

    def fields(
        self, shard_id: str, stream_arn: str, *, final: bool = False, early: bool = False
    ) -> dict[str, Any]:
        """What an invocation for this window carries besides its records."""
        return {
            "window": {"start": _iso(self.start), "end": _iso(self.end)},
            "state": self.state,
            "shardId": shard_id,
            "eventSourceARN": stream_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": early,
        }

    def take_state(self, answer: bytes) -> None:
        """Keep the state the function answered (``{"state": {...}}``), if it answered one."""
        try:
            doc = orjson.loads(answer) if answer.strip() else None
        except orjson.JSONDecodeError:
            return
        if isinstance(doc, dict) and isinstance(doc.get("state"), dict):
            self.state = doc["state"]

    @property
    def too_big(self) -> bool:
        return len(orjson.dumps(self.state)) > MAX_STATE
