"""What other services ask of SNS, in process: S3 bucket notifications publish their event
records to topics (the delivery engine's ``sns`` sender does the same for Lambda's
destinations and dead-letter topics). Implemented by the SNS provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


class TopicPublisher(Protocol):
    """SNS topics as other services publish to them."""

    def publish_message(
        self,
        topic_arn: str,
        message: str,
        subject: str | None = None,
        attributes: dict[str, dict[str, Any]] | None = None,
        group_id: str | None = None,
    ) -> bool:
        """Publish inside the caller's transaction, as Publish would (fan-out durable with it);
        False when the topic does not exist."""
        ...


def topic_publisher(runtime: Runtime) -> TopicPublisher | None:
    """The SNS provider of ``runtime`` as the publisher other services use (None without SNS)."""
    return runtime.load("sns")  # type: ignore[return-value]
