"""What other services ask of Kinesis, in process: the feed of a data stream, which Lambda's
event source mappings, EventBridge Pipes and Firehose read (core/stream_feed.StreamFeed).
Implemented by the Kinesis provider's ``feed``; stream ARNs name the streams."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudlet.core.stream_feed import StreamFeed
    from cloudlet.runtime import Runtime


def kinesis_feed(runtime: Runtime) -> StreamFeed | None:
    """The feed of ``runtime``'s Kinesis data streams (None without the Kinesis provider)."""
    provider = runtime.load("kinesis")
    if provider is None:
        return None
    return provider.feed  # type: ignore[attr-defined, no-any-return]
