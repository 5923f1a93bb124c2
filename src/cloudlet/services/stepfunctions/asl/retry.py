"""``Retry`` and ``Catch``: which entry handles an error, and how long a retry waits.

Entries are the definition's dicts as written or ``definition.Retrier``/``Catcher``. The first
entry whose ``ErrorEquals`` names the error (or ``States.ALL``) handles it. Nothing handles
``States.Runtime`` (developer guide; recorded: not even a catcher naming it). The guide says
``States.ALL`` does not match ``States.DataLimitExceeded`` either, but AWS's recorded executions
show a ``States.ALL`` catcher catching a Task's ``States.DataLimitExceeded``, so here it does.
``States.TaskFailed`` handles every error but ``States.Timeout`` (developer guide).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .errors import ALL, RUNTIME, TASK_FAILED, TIMEOUT

DEFAULT_INTERVAL_SECONDS = 1
DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_BACKOFF_RATE = 2.0
_UNCATCHABLE = frozenset({RUNTIME})

_ATTRIBUTES = {
    "ErrorEquals": "error_equals",
    "IntervalSeconds": "interval_seconds",
    "MaxAttempts": "max_attempts",
    "BackoffRate": "backoff_rate",
    "MaxDelaySeconds": "max_delay_seconds",
    "JitterStrategy": "jitter_strategy",
}


def _get(entry: Any, field: str, default: Any = None) -> Any:
    if isinstance(entry, Mapping):
        value = entry.get(field, default)
    else:
        value = getattr(entry, _ATTRIBUTES[field], default)
    return default if value is None else value


def matches(error: str, error_equals: Sequence[str]) -> bool:
    """Whether an ``ErrorEquals`` list handles ``error``."""
    if error in _UNCATCHABLE:
        return False
    if error in error_equals or ALL in error_equals:
        return True
    # developer guide: ``States.TaskFailed`` "acts as a wildcard that matches any known error name
    # except for States.Timeout" (recorded: a Lambda function's ``Exception``)
    return TASK_FAILED in error_equals and error != TIMEOUT


def _find(error: str, entries: Sequence[Any] | None) -> int | None:
    for index, entry in enumerate(entries or ()):
        if matches(error, _get(entry, "ErrorEquals", ())):
            return index
    return None


def find_retrier(error: str, retriers: Sequence[Any] | None) -> int | None:
    """The index of the first retrier for ``error`` (None: no retrier applies).

    The caller counts attempts per retrier and stops at ``max_attempts`` of it (``MaxAttempts``
    0: never retried); a matched retrier that is exhausted still ends the retrying.
    """
    return _find(error, retriers)


def find_catcher(error: str, catchers: Sequence[Any] | None) -> int | None:
    """The index of the first catcher for ``error`` (None: the error propagates)."""
    return _find(error, catchers)


def max_attempts(retrier: Any) -> int:
    return int(_get(retrier, "MaxAttempts", DEFAULT_MAX_ATTEMPTS))


def delay(retrier: Any, attempt: int, random01: float = 1.0) -> float:
    """Seconds to wait before retry number ``attempt`` (1-based) of ``retrier``.

    ``IntervalSeconds * BackoffRate ** (attempt - 1)``, capped at ``MaxDelaySeconds``; with
    ``JitterStrategy: FULL`` a random part of that (``random01`` in [0, 1)).
    """
    interval = float(_get(retrier, "IntervalSeconds", DEFAULT_INTERVAL_SECONDS))
    rate = float(_get(retrier, "BackoffRate", DEFAULT_BACKOFF_RATE))
    try:
        wait = interval * rate ** max(attempt - 1, 0)
    except OverflowError:
        wait = float("inf")
    cap = _get(retrier, "MaxDelaySeconds")
    if cap is not None:
        wait = min(wait, float(cap))
    if _get(retrier, "JitterStrategy", "NONE") == "FULL":
        wait *= min(max(random01, 0.0), 1.0)
    return wait
