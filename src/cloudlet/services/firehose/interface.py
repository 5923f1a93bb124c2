"""What other services ask of Firehose, in process: SNS subscriptions and EventBridge targets
put records into DirectPut delivery streams. Implemented by the Firehose provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


class RecordSink(Protocol):
    """Delivery streams as other services put records into them."""

    def put_record_in(self, stream_arn: str, data: bytes) -> bool:
        """Buffer one record as PutRecord would, inside the caller's transaction (durable with
        it); False when there is no such DirectPut delivery stream."""
        ...


def record_sink(runtime: Runtime) -> RecordSink | None:
    """The Firehose provider of ``runtime`` as the sink other services use (None without it)."""
    return runtime.load("firehose")  # type: ignore[return-value]
