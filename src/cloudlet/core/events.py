"""The internal event channel between services, on the delivery engine.

A producer publishes inside its own write transaction (an S3 object event, a DynamoDB
stream record, ...): one delivery per consumer subscribed to the topic, so an event
acknowledged before a crash is delivered after the restart. Consumers are named after
their service (``"events"``, ``"lambda"``) and declared up front with the topic prefixes
they take, so events wait for a consumer whose provider is not loaded yet (the engine
loads it). Each consumer's deliveries are independent: a failing event is retried with
backoff under the consumer's policy (by default for up to a day) while the others go on;
a publisher that needs order names an order key. A subscribed consumer may say which events
it wants (EventBridge: those a rule or archive of their bus takes): the others are not recorded.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from cloudlet.core.delivery import Attempt, Backoff, DeliveryEngine, Policy

Handler = Callable[[str, Any], Awaitable[None] | None]
Wants = Callable[[str, Any], bool]

# Events that earlier versions kept in a table of their own: no consumer was ever declared,
# so the table never held rows.
MIGRATIONS = [
    """
    CREATE TABLE channel_deliveries (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        consumer TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        created REAL NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt REAL NOT NULL
    );
    CREATE INDEX channel_deliveries_next ON channel_deliveries (next_attempt, id)
    """,
    "DROP TABLE channel_deliveries",
]

# A consumer's events are retried for up to a day, waiting 0.5 s doubling up to 5 minutes.
CHANNEL_POLICY = Policy(max_age=86400.0, backoff=Backoff(base=0.5, factor=2.0, cap=300.0))

# Events AWS services put on an account's EventBridge bus (S3 "Object Created", ...): topic
# ``events.bus.<source>``, payload :func:`bus_event`. EventBridge consumes the prefix.
BUS_TOPIC = "events.bus."


def bus_event(account: str, region: str, event: dict[str, Any], bus: str = "default") -> dict[str, Any]:
    """The payload handing ``event`` (EventBridge's whole envelope) to ``bus`` of an account."""
    return {"account": account, "region": region, "bus": bus, "event": event}


def target_of(consumer: str) -> str:
    """The delivery target that carries ``consumer``'s events."""
    return f"{consumer}.channel"


class EventChannel:
    """Fan-out of published events to named consumers, each event a delivery per consumer."""

    def __init__(self, engine: DeliveryEngine) -> None:
        self.engine = engine
        engine.store.migrate("events", MIGRATIONS)
        self.routes: dict[str, tuple[str, ...]] = {}  # consumer -> topic prefixes
        self.policies: dict[str, Policy] = {}
        self.wants: dict[str, Wants] = {}  # consumer -> which events it takes (all when absent)

    def declare(self, consumer: str, prefixes: tuple[str, ...], policy: Policy = CHANNEL_POLICY) -> None:
        """Say which topics ``consumer`` takes (before its handler exists)."""
        self.routes[consumer] = prefixes
        self.policies[consumer] = policy

    def undeclare(self, consumer: str) -> None:
        """Take no more events for ``consumer`` and stop delivering to it."""
        self.routes.pop(consumer, None)
        self.policies.pop(consumer, None)
        self.wants.pop(consumer, None)
        self.engine.unregister(target_of(consumer))

    def subscribe(self, consumer: str, handler: Handler, wants: Wants | None = None) -> None:
        """Deliver ``consumer``'s events to ``handler(topic, payload)``; ``wants(topic, payload)``
        (when given) filters them as they are published."""
        if wants is not None:
            self.wants[consumer] = wants

        def deliver(attempt: Attempt) -> Awaitable[None] | None:
            return handler(attempt.payload["topic"], attempt.payload["event"])

        self.engine.register(target_of(consumer), deliver)

    def consumers_of(self, topic: str) -> list[str]:
        return [c for c, prefixes in self.routes.items() if any(topic.startswith(p) for p in prefixes)]

    def put_on_bus(self, account: str, region: str, event: dict[str, Any], bus: str = "default") -> int:
        """Publish an AWS service's event for EventBridge (see :data:`BUS_TOPIC`)."""
        return self.publish(BUS_TOPIC + event["source"], bus_event(account, region, event, bus))

    def publish(self, topic: str, payload: Any, order_key: str | None = None) -> int:
        """Record the event for each consumer of ``topic``; returns how many take it."""
        consumers = [
            c for c in self.consumers_of(topic) if c not in self.wants or self.wants[c](topic, payload)
        ]
        if not consumers:
            return 0
        with self.engine.store.transaction():
            for consumer in consumers:
                self.engine.enqueue(
                    target_of(consumer),
                    {"topic": topic, "event": payload},
                    self.policies[consumer],
                    order_key=None if order_key is None else f"{consumer}:{order_key}",
                )
        return len(consumers)

    def pending(self, consumer: str | None = None) -> int:
        if consumer is None:
            return sum(self.engine.pending(target_of(c)) for c in self.routes)
        return self.engine.pending(target_of(consumer))

    async def drain(self) -> int:
        """Deliver what is due now; how many attempts started."""
        return await self.engine.run_due()
