"""What other services ask of CloudWatch Logs, in process: Lambda writes its function logs (and
other services their vended logs) through one typed interface, implemented by the Logs provider.

``put`` creates the group and stream on first use, as Lambda's own log delivery does, and stores
events as PutLogEvents would (sorted by time; events too old or too new dropped).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


class LogSink(Protocol):
    """CloudWatch Logs as other services use it."""

    def put(self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> int:
        """Store ``events`` ((epoch ms, message) pairs) in ``group``/``stream``, creating either
        on first use, inside the caller's transaction when there is one; how many were stored."""
        ...


def log_sink(runtime: Runtime) -> LogSink:
    """The Logs provider of ``runtime`` (loaded on first use), as the interface services use."""
    provider = runtime.load("logs")
    if provider is None:
        raise RuntimeError("the CloudWatch Logs provider is not registered")
    return provider.sink  # type: ignore[attr-defined, no-any-return]
