"""What other services ask of DynamoDB, in process: the feed of its tables' streams, which
Lambda's event source mappings and EventBridge Pipes read (core/stream_feed.StreamFeed).
Implemented by the DynamoDB provider's ``streams``; stream ARNs name the streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudlet.core.stream_feed import StreamFeed
    from cloudlet.runtime import Runtime


def table_stream_feed(runtime: Runtime) -> StreamFeed | None:
    """The feed of ``runtime``'s DynamoDB streams (None without the DynamoDB provider)."""
    provider = runtime.load("dynamodb")
    if provider is None:
        return None
    return provider.streams  # type: ignore[attr-defined, no-any-return]
