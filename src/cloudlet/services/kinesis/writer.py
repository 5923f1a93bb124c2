"""The in-process writer of Kinesis records (interface.RecordWriter), over the provider's put path.

A record goes through ``Streams.put``, the function PutRecord itself uses (shard choice by
partition key or explicit hash key, sequence numbers, retention sweeps, waking readers), inside
the caller's store transaction: the record commits, or rolls back, with the caller's write.
Writes from other services are never throttled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.kinesis.shards import MAX_HASH_KEY
from cloudlet.services.kinesis.streams import Put

if TYPE_CHECKING:
    from cloudlet.services.kinesis.provider import KinesisProvider


class ProviderRecordWriter:
    """RecordWriter of one runtime's Kinesis provider."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime

    def _provider(self) -> KinesisProvider | None:
        return self.runtime.load("kinesis")  # type: ignore[no-any-return]

    def exists(self, stream_arn: str) -> bool:
        provider = self._provider()
        return provider is not None and provider.streams.db.get(stream_arn) is not None

    def put_record(
        self, stream_arn: str, data: bytes, partition_key: str, explicit_hash_key: str | None = None
    ) -> bool:
        provider = self._provider()
        if provider is None:
            return False
        explicit = None
        if explicit_hash_key is not None:
            explicit = int(explicit_hash_key)
            if not 0 <= explicit <= MAX_HASH_KEY:
                raise ValueError(f"explicit hash key out of range: {explicit_hash_key}")
        with provider.store.transaction():
            stream = provider.streams.db.get(stream_arn)
            if stream is None:
                return False
            provider.streams.put(stream, [Put(partition_key, data, explicit)], throttle=False)
        return True
