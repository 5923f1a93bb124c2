"""PutLogEvents' batch rules: order, size and span refused; too old, too new and expired events
dropped and reported in ``rejectedLogEventsInfo``."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

from cloudlet.services.logs.names import invalid
from cloudlet.services.logs.store import DAY_MS

MAX_BATCH_BYTES = 1_048_576
EVENT_OVERHEAD = 26
MAX_AGE_MS = 14 * DAY_MS
MAX_AHEAD_MS = 2 * 3_600_000
MAX_SPAN_MS = DAY_MS


@dataclass
class Batch:
    """The events to store and what was rejected."""

    accepted: list[tuple[int, str]] = field(default_factory=list)
    rejected: dict[str, int] = field(default_factory=dict)


def check_batch(events: list[dict[str, Any]], now_ms: int, retention_days: int | None) -> Batch:
    """Sort out a PutLogEvents batch as AWS does, or raise its InvalidParameterException."""
    stamps = [int(e["timestamp"]) for e in events]
    if any(b < a for a, b in pairwise(stamps)):
        raise invalid("Log events in a single PutLogEvents request must be in chronological order.")
    size = sum(len(e["message"].encode()) + EVENT_OVERHEAD for e in events)
    if size > MAX_BATCH_BYTES:
        # unverified: AWS's wording for an oversized batch
        raise invalid(f"Upload too large: {size} bytes exceeds limit of {MAX_BATCH_BYTES}")
    batch = Batch()
    too_old = now_ms - MAX_AGE_MS
    expired = now_ms - retention_days * DAY_MS if retention_days else None
    too_new = now_ms + MAX_AHEAD_MS
    old_end = expired_end = 0
    new_start: int | None = None
    for i, ts in enumerate(stamps):
        if ts < too_old:
            old_end = i + 1
        elif expired is not None and ts < expired:
            expired_end = i + 1
        elif ts > too_new:
            if new_start is None:
                new_start = i
        else:
            batch.accepted.append((ts, events[i]["message"]))
    if old_end:
        batch.rejected["tooOldLogEventEndIndex"] = old_end
    if expired_end:
        batch.rejected["expiredLogEventEndIndex"] = expired_end
    if new_start is not None:
        batch.rejected["tooNewLogEventStartIndex"] = new_start
    if batch.accepted and batch.accepted[-1][0] - batch.accepted[0][0] > MAX_SPAN_MS:
        # unverified: AWS's wording for a batch spanning more than 24 hours
        raise invalid(
            "The batch of log events in a single PutLogEvents request cannot span more than 24 hours."
        )
    return batch
