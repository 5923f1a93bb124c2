"""Enhanced fan-out: the consumers registered with a stream, and SubscribeToShard.

A consumer is ``ACTIVE`` as soon as RegisterStreamConsumer answers (AWS answers ``CREATING``
and turns ``ACTIVE`` after seconds; recorded answers show only ``ACTIVE``), and is gone as soon
as DeregisterStreamConsumer answers. Its ARN is AWS's
``arn:aws:kinesis:<region>:<account>:stream/<stream>/consumer/<name>:<creation epoch seconds>``.
A stream takes 20 consumers.

A subscription is an async iterator of ``SubscribeToShardEvent`` events (the spine frames them
on the event stream): one at once with what is already there, then one whenever records are
put (it waits on the stream's signal, through the service clock), and an empty one after 5
seconds of service time without records (unverified: keeps ``ContinuationSequenceNumber``
moving, as AWS's idle events do). At the end of a closed shard the last event carries
``ChildShards`` and no ``ContinuationSequenceNumber`` (what the KCL reads as the shard's end).
A subscription lasts 5 minutes of service time. Subscribing the same consumer to the same shard
again within 5 seconds of a successful call is ``ResourceInUseException``; later, the new
subscription takes over and the old one ends with ``ResourceInUseException``. Deleting the
stream or deregistering the consumer ends it with ``ResourceNotFoundException``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.kinesis import errors
from cloudlet.services.kinesis.shards import sequence_number
from cloudlet.services.kinesis.store import ConsumerRow, ShardRow, StreamRow

if TYPE_CHECKING:
    from cloudlet.services.kinesis.streams import Streams

CONSUMER_LIMIT = 20  # per stream (provisioned and on-demand standard streams)
SUBSCRIPTION_S = 300.0
RESUBSCRIBE_S = 5.0
IDLE_EVENT_S = 5.0  # unverified: how often an idle subscription gets an empty event
EVENT_RECORDS = 10_000


def consumer_arn(stream_arn: str, name: str, created: float) -> str:
    return f"{stream_arn}/consumer/{name}:{int(created)}"


def parse_consumer_arn(arn: str) -> tuple[str, str] | None:
    """(stream ARN, consumer name) of a consumer ARN; None when ``arn`` is not one."""
    try:
        parsed = parse_arn(arn)
    except ValueError:
        return None
    stream_part, sep, rest = parsed.resource.partition("/consumer/")
    name, colon, stamp = rest.rpartition(":")
    if (
        parsed.service != "kinesis"
        or not sep
        or not stream_part.startswith("stream/")
        or not colon
        or not name
        or not stamp.isdigit()
    ):
        return None
    stream_arn = f"arn:{parsed.partition}:kinesis:{parsed.region}:{parsed.account}:{stream_part}"
    return stream_arn, name


def consumer_view(consumer: ConsumerRow, with_stream: bool = False) -> dict[str, Any]:
    """A consumer as ListStreamConsumers (and, ``with_stream``, DescribeStreamConsumer) shows it."""
    out: dict[str, Any] = {
        "ConsumerName": consumer.name,
        "ConsumerARN": consumer.arn,
        "ConsumerStatus": "ACTIVE",
        "ConsumerCreationTimestamp": consumer.created,
    }
    if with_stream:
        out["StreamARN"] = consumer.stream_arn
    return out


@dataclass
class Subscription:
    consumer_arn: str
    shard_id: str
    started: float
    replaced: bool = False
    done: bool = False


def _busy() -> ServiceError:
    # AWS's words as quoted from real answers in daangn/kinesumer#16 and #19
    return errors.in_use("Another active subscription exists for this consumer")


class Subscriptions:
    """The SubscribeToShard subscriptions of one provider, by (consumer ARN, shard id)."""

    def __init__(self, streams: Streams) -> None:
        self.streams = streams
        self.clock = streams.clock
        self.latest: dict[tuple[str, str], Subscription] = {}

    def reset(self) -> None:
        for sub in self.latest.values():
            sub.replaced = True
        self.latest.clear()

    def start(
        self, stream: StreamRow, consumer: ConsumerRow, shard: ShardRow, position: int
    ) -> AsyncIterator[dict[str, Any]]:
        """Take the subscription of ``consumer`` to ``shard`` (AWS's 5 s rule) and give its
        events, starting after ``position``."""
        now = self.clock.now()
        for key, old in list(self.latest.items()):
            if old.done and now - old.started >= RESUBSCRIBE_S:
                del self.latest[key]
        key = (consumer.arn, shard.shard_id)
        previous = self.latest.get(key)
        if previous is not None:
            if now - previous.started < RESUBSCRIBE_S:
                raise _busy()
            previous.replaced = True
            self.streams.wake(stream.arn)
        sub = self.latest[key] = Subscription(consumer.arn, shard.shard_id, now)
        return self._run(sub, stream.arn, position)

    async def _run(self, sub: Subscription, stream_arn: str, position: int) -> AsyncIterator[dict[str, Any]]:
        ends = sub.started + SUBSCRIPTION_S
        idle_until = 0.0  # the first event goes at once
        try:
            while True:
                if sub.replaced:
                    raise _busy()  # unverified: the taken-over subscription's words
                stream = self.streams.get(stream_arn)
                if self.streams.db.consumer(sub.consumer_arn) is None:
                    raise errors.consumer_not_found(sub.consumer_arn, stream.name, stream.account)
                shard = self.streams.shard(stream, sub.shard_id, expired_ok=True)
                records, position, behind, drained = self.streams.read_after(
                    stream, shard, position, EVENT_RECORDS
                )
                now = self.clock.now()
                if records or drained or now >= idle_until:
                    event: dict[str, Any] = {"Records": records, "MillisBehindLatest": behind}
                    if drained:
                        event["ChildShards"] = self.streams.children(stream, shard)
                    else:
                        event["ContinuationSequenceNumber"] = sequence_number(position, shard.index)
                    yield {"SubscribeToShardEvent": event}
                    if drained:
                        return
                    idle_until = self.clock.now() + IDLE_EVENT_S
                    if records:
                        continue  # more may be waiting
                if self.clock.now() >= ends:
                    return
                await self.streams.wait(stream_arn, min(ends, idle_until))
        finally:
            sub.done = True
