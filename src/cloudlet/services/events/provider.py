"""Amazon EventBridge: event buses, PutEvents, rules (event patterns and schedules) and their
targets, delivered through the delivery engine with each target's retry policy and DLQ.

An accepted event is matched against its bus's rules in memory (:mod:`routing`) and every
matched target becomes a delivery in the PutEvents transaction, so an acknowledged event
reaches its targets across a kill -9. Schedules are timers on the service clock.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.core.delivery import DeliveryFailure, Outbound, Target
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.events import envelope
from cloudlet.services.events.archives import ArchivesApi
from cloudlet.services.events.buses import DEFAULT, BusesApi
from cloudlet.services.events.connections import ConnectionsApi
from cloudlet.services.events.envelope import EntryError
from cloudlet.services.events.errors import bus_not_found, validation
from cloudlet.services.events.metrics import EventsMetrics
from cloudlet.services.events.routing import Routes
from cloudlet.services.events.rules import RulesApi
from cloudlet.services.events.schedule import parse_schedule
from cloudlet.services.events.store import Bus, EventsStore, Rule
from cloudlet.services.events.targets import MAX_HOPS, TARGET, TargetDelivery, body_of, delivery_policy
from cloudlet.services.events.transform import InputRenderError, parse_path, render_input, select

log = logging.getLogger("cloudlet.events")

SCHEDULE_TIMER = "events.schedule"
MAX_ENTRIES = 10


class EventsProvider(BusesApi, RulesApi, ConnectionsApi, ArchivesApi, Provider):
    service = "events"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = EventsStore(self.store)
        self._init_connections()
        self._init_archives()
        self.routes = Routes()
        self.routes.load(self.db.all_rules())
        self.event_metrics = EventsMetrics(self.metrics, self.clock)
        delivery = self.target_delivery = TargetDelivery(self)
        self.deliveries.register(
            TARGET,
            Target(
                handler=delivery.deliver, dead_letter=delivery.dead_letter, observe=self.event_metrics.observe
            ),
        )
        self.deliveries.register_sender("events", self.send_outbound)
        self.scheduler.register(SCHEDULE_TIMER, self._fire_schedule)
        self.channel.subscribe("events", self._from_channel, self._wants)

    def resource_counts(self) -> dict[str, int]:
        counts = {**self.db.total(), **self.connection_counts()}
        return {k: v for k, v in counts.items() if v}

    def reset(self) -> None:
        self.routes.load([])
        self._reset_connections()
        self._load_archives()

    # ---- PutEvents ------------------------------------------------------------------------

    def put_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        entries = params["Entries"]
        if len(entries) > MAX_ENTRIES:
            raise validation(
                f"1 validation error detected: Value '{entries}' at 'entries' failed to satisfy "
                "constraint: Member must have length less than or equal to 10"
            )  # the value's rendering is Java's, not reproduced
        envelope.check_request_size(entries)
        now = self.clock.now()
        buses: dict[str | None, Bus] = {}
        for entry in entries:  # a missing bus fails the whole request, as recorded
            name = entry.get("EventBusName")
            if name not in buses:
                bus = self.find_bus(self.bus_arn(ctx, name))
                if bus is None:
                    raise bus_not_found(name or DEFAULT)
                buses[name] = bus
        started = time.perf_counter()
        results: list[dict[str, Any]] = []
        failed = 0
        with self.store.transaction():
            for entry in entries:
                bus = buses[entry.get("EventBusName")]
                try:
                    if not self.may_put(bus, ctx.account):
                        # unverified: the entry error for a bus whose policy refuses the account
                        raise EntryError(
                            "AccessDeniedException", f"User is not authorized to put events on {bus.arn}."
                        )
                    event = envelope.event_of(entry, ctx.account, ctx.region, now)
                except EntryError as exc:
                    failed += 1
                    results.append({"ErrorCode": exc.code, "ErrorMessage": exc.message})
                    continue
                self.route(bus, event, now)
                results.append({"EventId": event["id"]})
        self.event_metrics.put_events(ctx.account, ctx.region, (time.perf_counter() - started) * 1000)
        return {"FailedEntryCount": failed, "Entries": results}

    # ---- routing --------------------------------------------------------------------------

    def route(
        self,
        bus: Bus,
        event: dict[str, Any],
        now: float,
        *,
        hops: int = 0,
        rules: list[Rule] | None = None,
    ) -> int:
        """Make the deliveries of ``event`` on ``bus`` (inside the caller's transaction): one per
        target of each matching rule (``rules`` when given: a schedule's or a replay's); how
        many rules matched."""
        if "replay-name" not in event:  # a replayed event is not archived again
            self.archive_event(bus, event, now)
        matched = self.routes.matching(bus.arn, event) if rules is None else rules
        self.event_metrics.matched(bus, matched)
        for rule in matched:
            for target in rule.targets.values():
                self._enqueue(rule, target, event, now, hops)
        return len(matched)

    def _enqueue(
        self, rule: Rule, target: dict[str, Any], event: dict[str, Any], now: float, hops: int
    ) -> None:
        payload: dict[str, Any] = {"rule": rule.arn, "id": target["Id"], "arn": target["Arn"], "event": event}
        if any(k in target for k in ("Input", "InputPath", "InputTransformer")):
            try:
                payload["body"] = render_input(
                    target, event, rule_name=rule.name, rule_arn=rule.arn, ingestion_time=now
                )
            except InputRenderError:
                # AWS delivers nothing when a target's input cannot be rendered from the event
                self.event_metrics.failed(rule)
                return
        group = (target.get("SqsParameters") or {}).get("MessageGroupId")
        if group:
            payload["group"] = group
        key_path = (target.get("KinesisParameters") or {}).get("PartitionKeyPath")
        steps = parse_path(key_path) if key_path else None
        key = select(steps, event) if steps else None
        if key is not None:
            payload["partition_key"] = key if isinstance(key, str) else orjson.dumps(key).decode()
        if hops:
            payload["hops"] = hops
        policy = delivery_policy(target)
        if group:  # FIFO: a group's events wait behind its pending deliveries
            order_key = f"{rule.arn}/{target['Id']}/{group}"
            self.deliveries.enqueue(TARGET, payload, policy, created=now, order_key=order_key)
        elif target["Arn"].startswith("arn:") and target["Arn"].split(":", 3)[2] == "sqs":
            went = self.deliveries.deliver_or_enqueue(
                lambda: self.target_delivery.to_sqs(payload), TARGET, payload, policy, created=now
            )
            if went is None:
                self.event_metrics.invoked_at_once(rule)
        else:
            self.deliveries.enqueue(TARGET, payload, policy, created=now)

    def forward_to_bus(self, payload: dict[str, Any]) -> None:
        """A bus target: put the event on the target bus (in another account or Region too)."""
        target_arn = payload["arn"]
        event = dict(payload["event"])
        hops = payload.get("hops", 0) + 1
        if hops > MAX_HOPS:
            raise DeliveryFailure(
                "THIRD_ACCOUNT_HOP_DETECTED", "Event has already crossed two buses.", final=True
            )
        bus = self.find_bus(target_arn)
        if bus is None:
            raise DeliveryFailure("NO_RESOURCE", f"Event bus {target_arn} does not exist.", final=True)
        source_account = payload["rule"].split(":")[4]
        if not self.may_put(bus, source_account):
            raise DeliveryFailure(
                "NO_PERMISSIONS", f"Not authorized to put events on {target_arn}.", final=True
            )
        if parse_arn(payload["rule"]).region != bus.region:
            event["id"] = str(
                uuid.uuid4()
            )  # recorded: a cross-Region hop is a new event, a cross-account one is not
        with self.store.transaction():
            self.route(bus, event, self.clock.now(), hops=hops)

    async def call_api_destination(self, payload: dict[str, Any]) -> None:
        from cloudlet.services.events.api_destination_call import call_api_destination

        rule = self.routes.rules.get(payload["rule"])
        target = (rule.targets.get(payload["id"]) if rule else None) or {}
        await call_api_destination(self, payload["arn"], body_of(payload), target.get("HttpParameters"))

    # ---- events from AWS services, and destinations ------------------------------------

    @staticmethod
    def _channel_bus(payload: dict[str, Any]) -> str:
        return f"arn:aws:events:{payload['region']}:{payload['account']}:event-bus/{payload.get('bus') or DEFAULT}"

    def _wants(self, topic: str, payload: dict[str, Any]) -> bool:
        """A service's event is kept only when a rule or an archive of its bus takes it now (as
        AWS matches an event when it reaches the bus); the rest cost nothing."""
        arn = self._channel_bus(payload)
        return bool(self.bus_archives.get(arn)) or bool(self.routes.matching(arn, payload["event"]))

    def _from_channel(self, topic: str, payload: dict[str, Any]) -> None:
        bus = self.find_bus(self._channel_bus(payload))
        if bus is None:
            return
        with self.store.transaction():
            self.route(bus, payload["event"], self.clock.now())

    def send_outbound(self, bus_arn: str, message: Outbound) -> None:
        """A Lambda destination record put on the bus ``bus_arn`` (the engine's ``events`` sender)."""
        bus = self.find_bus(bus_arn)
        if bus is None:
            raise LookupError(f"Event bus {bus_arn} does not exist")
        record = orjson.loads(message.body)
        context = record.get("requestContext") or {}
        condition = "Success" if context.get("condition") == "Success" else "Failure"
        resources = [bus_arn] + ([context["functionArn"]] if context.get("functionArn") else [])
        now = self.clock.now()
        event = envelope.service_event(
            "lambda",
            f"Lambda Function Invocation Result - {condition}",
            record,
            bus.account,
            bus.region,
            now,
            resources,
        )
        with self.store.transaction():
            self.route(bus, event, now)

    # ---- schedules ---------------------------------------------------------------------

    def schedule_rule(self, rule: Rule) -> None:
        """(Re)arm the timer of a schedule rule (inside the caller's transaction)."""
        self.unschedule_rule(rule.arn)
        expression = rule.data.get("ScheduleExpression")
        if not expression or not rule.enabled:
            return
        due = parse_schedule(expression).next_after(self.clock.now(), anchor=rule.created)
        if due is not None:
            self.scheduler.schedule(
                due, SCHEDULE_TIMER, {"rule": rule.arn, "due": due}, key=_timer_key(rule.arn)
            )

    def unschedule_rule(self, rule_arn: str) -> None:
        self.scheduler.cancel(_timer_key(rule_arn))

    def _fire_schedule(self, payload: dict[str, Any]) -> None:
        rule = self.routes.rules.get(payload["rule"])
        if rule is None or not rule.enabled or not rule.data.get("ScheduleExpression"):
            return
        bus = self.find_bus(rule.bus_arn)
        if bus is None:
            return
        fired = payload["due"]
        event = envelope.service_event(
            "aws.events", "Scheduled Event", {}, rule.account, rule.region, fired, [rule.arn]
        )
        due = parse_schedule(rule.data["ScheduleExpression"]).next_after(fired, anchor=rule.created)
        with self.store.transaction():
            self.route(bus, event, self.clock.now(), rules=[rule])
            if due is not None:
                self.scheduler.schedule(
                    due, SCHEDULE_TIMER, {"rule": rule.arn, "due": due}, key=_timer_key(rule.arn)
                )


def _timer_key(rule_arn: str) -> str:
    return f"events.schedule:{rule_arn}"
