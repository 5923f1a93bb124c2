"""What other services ask of SQS, in process: Lambda's event source mappings (and later
EventBridge Pipes) consume queues as ReceiveMessage/DeleteMessage would, without HTTP.
Implemented by the SQS provider (``consumer.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


class QueueConsumer(Protocol):
    """SQS queues as in-process pollers consume them."""

    def queue_exists(self, queue_arn: str) -> bool:
        """Whether the queue exists."""
        ...

    def visibility_timeout(self, queue_arn: str) -> int | None:
        """The queue's VisibilityTimeout in seconds (None: no such queue)."""
        ...

    async def receive_messages(self, queue_arn: str, count: int, until: float) -> list[dict[str, Any]] | None:
        """Up to ``count`` messages as ReceiveMessage returns them with every system and message
        attribute, as soon as there are some; an empty list once the service clock reaches
        ``until`` without any. Counted in the queue's metrics like a ReceiveMessage. None when
        the queue does not exist (any more)."""
        ...

    def delete_messages(self, queue_arn: str, receipt_handles: list[str]) -> int:
        """Delete received messages (DeleteMessageBatch without its answer); handles that are
        no longer valid are skipped. The number deleted."""
        ...


def queue_consumer(runtime: Runtime) -> QueueConsumer | None:
    """The SQS provider of ``runtime`` as the consumer other services use (None without SQS)."""
    return runtime.load("sqs")  # type: ignore[return-value]
