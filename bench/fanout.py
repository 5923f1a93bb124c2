"""EventBridge and SNS fan-out (issue 15): delivery to SQS, and event-pattern matching in process.

Setup goes through boto3 (a queue policy lets events.amazonaws.com and sns.amazonaws.com send to
each queue, as AWS needs); the measured calls are raw pre-built requests over keep-alive
connections: PutEvents (JSON 1.1), SNS Publish (query protocol), SQS ReceiveMessage and
GetQueueAttributes (JSON 1.0).

- `eventbridge_to_sqs`: a custom bus, a rule whose pattern (source, detail-type, a numeric range
  on the detail) matches every event put, an SQS queue as its target. Latency: one event at a
  time, a long poll already waiting on the queue; from the start of PutEvents to the long poll
  returning that event (50 events after a first one, whose time is the `first_ms` note).
  Throughput: `max(--clients, 4)` processes put one event per PutEvents back to back
  (saturate.py) while one more process reads the queue's depth every ~0.1 s: `events_per_s` =
  events landed in the queue inside the window.
- `sns_fanout_filtered`: a topic with three raw-delivery SQS subscriptions, the third with the
  filter policy `{"parity": ["even"]}`; publishes alternate the message attribute `parity`
  between `even` and `odd`, so each publish makes 3 or 2 deliveries. Latency: publish to a long
  poll waiting on the first (unfiltered) queue returning the message (a first one unmeasured
  here too). Throughput: as above,
  `deliveries_per_s` = messages landed in the three queues inside the window; `filtered_share`
  = what the filtered queue got per publish (0.5 when the filter is applied, 1 when it is not).
- `pattern_match_1000_rules`: in process, no server: 1,000 EventBridge rules (a seeded mix of
  exact source/detail-type, prefixes, numeric ranges, anything-but, `$or`, and rules with no
  exact field) against 1,000 seeded events. For the Cloudlet peers, `PatternIndex.matching`;
  for moto, moto's own `EventPattern.load(...).matches_event(...)` over every rule, as moto's
  PutEvents does (moto has no index). MiniStack's matcher lives in its own venv and is not
  measured. The server the runner started is not used; the peer is told by its health path.

A peer that does not deliver within `FIRST_WAIT_S` gets a `delivered` note saying so instead of
latency figures; its throughput run still reports what landed (0 when nothing does).
"""

from __future__ import annotations

import dataclasses
import json
import random
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable, Hashable
from typing import Any

from identity import Json11Client
from saturate import Client, sat_figures, saturate
from sqs import LongPoll, SqsClient
from workloads import (
    FAKE_KEY_ID,
    FAKE_SECRET,
    NETWORK_ERRORS,
    REGION,
    Figures,
    KeepAliveConnection,
    Target,
    build_request,
    parse,
    percentile_ms,
)

CLIENTS = 4  # putting / publishing processes of the throughput runs (the figure)
LATENCY_ROUNDS = 50  # events (messages) sent one at a time, at most
LATENCY_BUDGET_S = 25.0  # and no new round once this much time has gone
FIRST_WAIT_S = 10  # how long a long poll waits for a delivery (WaitTimeSeconds)
SEND_AFTER_S = (0.02, 0.08)  # pause between writing the long poll and sending (seeded spread)
MAX_MISSES = 2  # rounds in a row without a delivery before a peer is marked "not delivered"
# How often the counting process reads the queues' depths. The window's count runs from the last
# reading before the window to the last one inside it: unbiased, within one interval's deliveries
# (±3% of a 3 s window); more often would load a slow peer (moto spends ~5-10 ms per request).
COUNT_EVERY_S = 0.1
SETTLE_S = 1.0  # after the window, depths unchanged this long count as settled
SETTLE_MAX_S = 15.0  # but stop waiting for late deliveries after this

SOURCE = "bench.orders"
DETAIL_TYPE = "OrderPlaced"
RULE_PATTERN = {
    "source": [SOURCE],
    "detail-type": [DETAIL_TYPE],
    "detail": {"amount": [{"numeric": [">", 0]}]},
}
FILTER_POLICY = {"parity": ["even"]}


class FanoutError(RuntimeError):
    """A setup call of these workloads was not answered as expected."""


class EventsClient(Json11Client):
    service = "events"
    target_prefix = "AWSEvents."
    error = FanoutError


def _boto(target: Target, service: str) -> Any:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id=FAKE_KEY_ID, aws_secret_access_key=FAKE_SECRET, region_name=REGION
    )
    config = Config(retries={"total_max_attempts": 1}, connect_timeout=5, read_timeout=30)
    return session.client(service, endpoint_url=target.url, config=config)


def _queue(sqs: Any, name: str) -> tuple[str, str]:
    """A queue that EventBridge and SNS may send to: its URL and ARN."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": ["events.amazonaws.com", "sns.amazonaws.com"]},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


# --- raw requests ------------------------------------------------------------------------------


def put_events_request(client: EventsClient, bus: str, detail: dict[str, Any]) -> bytes:
    entry = {"Source": SOURCE, "DetailType": DETAIL_TYPE, "Detail": json.dumps(detail), "EventBusName": bus}
    return client.request("PutEvents", {"Entries": [entry]})


def put_ok(status: int, body: bytes) -> bool:
    """A PutEvents answer that accepted its entry."""
    return status == 200 and parse(body).get("FailedEntryCount") == 0


def publish_request(target: Target, topic_arn: str, message: str, parity: str) -> bytes:
    body = urllib.parse.urlencode(
        {
            "Action": "Publish",
            "Version": "2010-03-31",
            "TopicArn": topic_arn,
            "Message": message,
            "MessageAttributes.entry.1.Name": "parity",
            "MessageAttributes.entry.1.Value.DataType": "String",
            "MessageAttributes.entry.1.Value.StringValue": parity,
        }
    ).encode()
    return build_request(target.host, target.port, "sns", body)


def publish_ok(status: int, body: bytes) -> bool:
    return status == 200 and b"<MessageId>" in body


def depth(client: SqsClient, url: str) -> int:
    """ApproximateNumberOfMessages of a queue, or -1 when the call failed."""
    params = {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}
    status, body = client.post(client.request("GetQueueAttributes", params))
    value = parse(body).get("Attributes", {}).get("ApproximateNumberOfMessages") if status == 200 else None
    return int(value) if isinstance(value, str | int) and str(value).isdigit() else -1


# --- latency: one message at a time, a long poll waiting ---------------------------------------


@dataclasses.dataclass
class Latencies:
    samples_ns: list[int] = dataclasses.field(default_factory=list)
    missed: int = 0  # rounds whose long poll came back empty
    stale: int = 0  # deliveries of an earlier round that turned up late
    errors: list[str] = dataclasses.field(default_factory=list)
    not_delivered: bool = False
    first_ns: int = -1  # the first, unmeasured round (a cold path: lazy imports, first connections)


def measure_latency(
    target: Target,
    queue_url: str,
    send: Callable[[int], tuple[bytes, str]],
    post: Callable[[bytes], tuple[int, bytes]],
    accepted: Callable[[int, bytes], bool],
) -> Latencies:
    """A first round, then up to LATENCY_ROUNDS measured rounds: a long poll on `queue_url`, then
    `send(i)` (request, marker) posted; the latency of a round is from just before the post to the
    long poll returning the message holding its marker."""
    receiver = SqsClient(target, timeout=FIRST_WAIT_S + 5.0)
    receive = receiver.request(
        "ReceiveMessage", {"QueueUrl": queue_url, "MaxNumberOfMessages": 1, "WaitTimeSeconds": FIRST_WAIT_S}
    )
    pauses = random.Random(15)
    out = Latencies()
    misses_in_row = 0
    deadline = time.perf_counter() + LATENCY_BUDGET_S
    try:
        for index in range(LATENCY_ROUNDS + 1):
            if time.perf_counter() > deadline or len(out.errors) >= 3:
                break
            payload, marker = send(index)
            poll = LongPoll(receiver, receive)
            thread = threading.Thread(target=poll.run, daemon=True)
            thread.start()
            poll.written.wait(5.0)
            time.sleep(pauses.uniform(*SEND_AFTER_S))
            sent_ns = time.perf_counter_ns()
            status, body = post(payload)
            if not accepted(status, body):
                receiver.close()  # ends the long poll's read: nothing is coming
                thread.join(5.0)
                out.errors.append(f"send answered {status}: {body[:200]!r}")
                continue
            thread.join(FIRST_WAIT_S + 10.0)  # the receiver's socket times out before this
            if thread.is_alive():
                receiver.close()
                thread.join(1.0)
            if poll.error:
                out.errors.append(poll.error)
                continue
            messages = poll.answer.get("Messages") or []
            if not messages:
                out.missed += 1
                misses_in_row += 1
                if misses_in_row >= MAX_MISSES:
                    out.not_delivered = not out.samples_ns and out.first_ns < 0
                    break
                continue
            misses_in_row = 0
            message = messages[0]
            receiver.post(
                receiver.request(
                    "DeleteMessage",
                    {"QueueUrl": queue_url, "ReceiptHandle": message.get("ReceiptHandle", "")},
                )
            )
            if marker not in str(message.get("Body", "")):
                out.stale += 1
            elif index == 0 and out.first_ns < 0:
                out.first_ns = poll.returned_ns - sent_ns
            else:
                out.samples_ns.append(poll.returned_ns - sent_ns)
    finally:
        receiver.close()
    return out


def latency_figures(lat: Latencies) -> Figures:
    samples = sorted(lat.samples_ns)
    figures: Figures = {"rounds": len(samples), "missed": lat.missed, "stale": lat.stale}
    if lat.first_ns >= 0:
        figures["first_ms"] = lat.first_ns / 1e6
    if lat.errors:
        figures["error"] = lat.errors[0][:120]
    if not samples:
        figures["delivered"] = f"not within {FIRST_WAIT_S} s" if lat.not_delivered or lat.missed else "no"
        return figures
    figures["delivered"] = "yes"
    return {**figures, "p50_ms": percentile_ms(samples, 0.50), "p99_ms": percentile_ms(samples, 0.99)}


# --- throughput: several senders, one process counting what lands ----------------------------


def depth_counter(target: Target, urls: list[str]) -> Client:
    """A client process whose units are the messages in `urls` (read every COUNT_EVERY_S): the
    window's increments are what landed inside the window."""
    own = SqsClient(target)
    last = [sum(max(0, depth(own, url)) for url in urls)]  # the baseline, read before the window

    def step() -> bool:
        time.sleep(COUNT_EVERY_S)
        values = [depth(own, url) for url in urls]
        if min(values) < 0:
            return False
        last[0] = sum(values)
        return True

    return Client(step, units=lambda: last[0], close=own.close)


def settle(target: Target, urls: list[str]) -> tuple[list[int], float]:
    """Wait until the queues' depths stop changing: the depths and how long that took."""
    client = SqsClient(target)
    started = time.perf_counter()
    try:
        values = [depth(client, url) for url in urls]
        still_since = time.perf_counter()
        while time.perf_counter() - started < SETTLE_MAX_S:
            time.sleep(0.1)
            now = [depth(client, url) for url in urls]
            if now != values:
                values, still_since = now, time.perf_counter()
            elif time.perf_counter() - still_since >= SETTLE_S:
                break
        return values, max(0.0, still_since - started)
    finally:
        client.close()


def senders_run(
    target: Target, urls: list[str], make_sender: Callable[[int], Client]
) -> tuple[Figures, dict[str, int], list[int], list[int], float]:
    """`max(--clients, 4)` sender processes and one depth counter; the figures, the senders' totals,
    the depths before and after settling, and how long the queues took to settle."""
    senders = max(target.clients, CLIENTS)
    run_target = dataclasses.replace(target, clients=senders + 1)
    before, _ = settle(target, urls)

    def make(index: int) -> Client:
        return make_sender(index) if index < senders else depth_counter(target, urls)

    result = saturate(run_target, make)
    after, late_s = settle(target, urls)
    figures = sat_figures(result, "rate")
    figures["clients"] = senders
    return figures, result.totals, before, after, late_s


class Sender:
    """One sender process: a ring of pre-built requests over its own connection, counting the
    requests accepted per slot of the ring."""

    def __init__(self, target: Target, payloads: list[bytes], accepted: Callable[[int, bytes], bool]) -> None:
        self.conn = KeepAliveConnection(target)
        self.payloads = payloads
        self.accepted = accepted
        self.sent = 0
        self.ok: list[int] = [0] * len(payloads)

    def run(self) -> bool:
        slot = self.sent % len(self.payloads)
        self.sent += 1
        try:
            status, body = self.conn.exchange(self.payloads[slot])
        except NETWORK_ERRORS:
            self.conn.close()
            return False
        good = self.accepted(status, body)
        self.ok[slot] += good
        return good

    def as_client(self, totals: Callable[[], dict[str, int]]) -> Client:
        # units 0: a sender's steps are not the rate; the depth counter's are
        return Client(self.run, units=lambda: 0, totals=totals, close=self.conn.close)


# --- eventbridge_to_sqs -------------------------------------------------------------------------


def eventbridge_to_sqs(target: Target) -> Figures:
    events, sqs = _boto(target, "events"), _boto(target, "sqs")
    bus = _name("bench-bus")
    events.create_event_bus(Name=bus)
    url, arn = _queue(sqs, _name("bench-eb"))
    rule = _name("bench-rule")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps(RULE_PATTERN))
    answer = events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "queue", "Arn": arn}])
    if answer.get("FailedEntryCount"):
        raise FanoutError(f"PutTargets failed: {answer.get('FailedEntries')}")

    client = EventsClient(target)
    nonce = uuid.uuid4().hex[:8]
    try:

        def send(index: int) -> tuple[bytes, str]:
            marker = f"lat-{nonce}-{index}"
            return put_events_request(client, bus, {"marker": marker, "amount": 10 + index}), marker

        lat = measure_latency(target, url, send, client.post, put_ok)
    finally:
        client.close()

    def make_sender(index: int) -> Client:
        payloads = [put_events_request(EventsClient(target), bus, {"marker": f"sat-{index}", "amount": 42.5})]
        sender = Sender(target, payloads, put_ok)
        return sender.as_client(lambda: {"accepted": sum(sender.ok)})

    figures, totals, before, after, late_s = senders_run(target, [url], make_sender)
    accepted = totals.get("accepted", 0)
    delivered = after[0] - before[0]
    figures["events_per_s"] = figures.pop("rate")
    return {
        **figures,
        **latency_figures(lat),
        "puts_accepted": accepted,
        "undelivered": accepted - delivered,  # after settling (0: every accepted event landed)
        "settle_s": late_s,  # how long deliveries kept landing after the window
    }


# --- sns_fanout_filtered -----------------------------------------------------------------------


def sns_fanout_filtered(target: Target) -> Figures:
    sns, sqs = _boto(target, "sns"), _boto(target, "sqs")
    topic = sns.create_topic(Name=_name("bench-fanout"))["TopicArn"]
    queues = [_queue(sqs, _name(f"bench-sub{i}")) for i in range(3)]
    for index, (_, arn) in enumerate(queues):
        attributes = {"RawMessageDelivery": "true"}
        if index == 2:
            attributes["FilterPolicy"] = json.dumps(FILTER_POLICY)
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    urls = [url for url, _ in queues]

    client = SqsClient(target)
    nonce = uuid.uuid4().hex[:8]
    try:

        def send(index: int) -> tuple[bytes, str]:
            marker = f"lat-{nonce}-{index}"
            return publish_request(target, topic, marker, "even"), marker

        lat = measure_latency(target, urls[0], send, client.post, publish_ok)
    finally:
        client.close()

    def make_sender(index: int) -> Client:
        message = f"sat-{index}-" + "x" * 80
        payloads = [publish_request(target, topic, message, p) for p in ("even", "odd")]
        sender = Sender(target, payloads, publish_ok)
        return sender.as_client(lambda: {"even": sender.ok[0], "odd": sender.ok[1]})

    figures, totals, before, after, late_s = senders_run(target, urls, make_sender)
    even, odd = totals.get("even", 0), totals.get("odd", 0)
    landed = [a - b for a, b in zip(after, before, strict=True)]
    expected = 2 * (even + odd) + even
    figures["deliveries_per_s"] = figures.pop("rate")
    return {
        **figures,
        **latency_figures(lat),
        "publishes": even + odd,
        "undelivered": expected - sum(landed),
        "filtered_share": landed[2] / (even + odd) if even + odd else float("nan"),
        "settle_s": late_s,
    }


# --- pattern_match_1000_rules ------------------------------------------------------------------

RULES = 1000
EVENTS = 1000
SERVICES = [f"com.acme.{name}" for name in ("orders", "billing", "shipping", "users", "search", "stock")]
SOURCES = [f"{service}.{n}" for service in SERVICES for n in range(7)]  # 42 sources
TYPES = [
    f"{verb} {noun}"
    for verb in ("Created", "Updated", "Deleted", "Failed")
    for noun in ("Order", "Invoice", "Parcel", "Account", "Item", "Refund")
]  # 24 detail-types
STATUSES = ["pending", "active", "cancelled", "failed", "done"]
REGIONS = ["eu-west-1", "eu-central-1", "us-east-1", "us-west-2", "ap-south-1"]


def make_rules(seed: int = 7) -> list[dict[str, Any]]:
    """A seeded, realistic mix of patterns (the share of each kind in the comments)."""
    rng = random.Random(seed)
    rules: list[dict[str, Any]] = []
    for index in range(RULES):
        kind = index % 20
        source, kind_type = rng.choice(SOURCES), rng.choice(TYPES)
        low = rng.randrange(0, 900)
        if kind < 8:  # 40%: exact source and detail-type
            rule: dict[str, Any] = {"source": [source], "detail-type": [kind_type]}
        elif kind < 11:  # 15%: exact source, numeric range on the detail
            rule = {"source": [source], "detail": {"amount": [{"numeric": [">=", low, "<", low + 100]}]}}
        elif kind < 13:  # 10%: source prefix, exact detail-type
            rule = {"source": [{"prefix": rng.choice(SERVICES)}], "detail-type": [kind_type]}
        elif kind < 15:  # 10%: exact source, anything-but on the status
            rule = {"source": [source], "detail": {"status": [{"anything-but": ["cancelled", "failed"]}]}}
        elif kind < 17:  # 10%: exact detail-type, region prefix
            rule = {"detail-type": [kind_type], "detail": {"region": [{"prefix": "eu-"}]}}
        elif kind < 18:  # 5%: exact source, $or of a numeric bound and a priority
            rule = {
                "source": [source],
                "$or": [
                    {"detail": {"amount": [{"numeric": [">", 900]}]}},
                    {"detail": {"priority": ["high"]}},
                ],
            }
        elif kind < 19:  # 5%: anything-but source, exact detail-type and priority
            rule = {
                "source": [{"anything-but": ["aws.ec2", "aws.s3"]}],
                "detail-type": [kind_type],
                "detail": {"priority": ["high"]},
            }
        else:  # 5%: no exact field at all (scanned): numeric range and region prefix
            rule = {
                "detail": {
                    "amount": [{"numeric": [">", low, "<=", low + 50]}],
                    "region": [{"prefix": rng.choice(REGIONS)[:5]}],
                }
            }
        rules.append(rule)
    return rules


def make_events(seed: int = 11) -> list[dict[str, Any]]:
    """Seeded EventBridge envelopes; one in ten from a source no rule names."""
    rng = random.Random(seed)
    events = []
    for index in range(EVENTS):
        source = rng.choice(["aws.ec2", "aws.s3"]) if index % 10 == 9 else rng.choice(SOURCES)
        events.append(
            {
                "version": "0",
                "id": str(uuid.UUID(int=rng.getrandbits(128))),
                "detail-type": rng.choice(TYPES),
                "source": source,
                "account": "000000000000",
                "time": "2026-12-05T00:00:00Z",
                "region": "us-east-1",
                "resources": [],
                "detail": {
                    "orderId": f"o-{index}",
                    "amount": rng.choice([rng.randrange(0, 1000), round(rng.uniform(0, 1000), 2)]),
                    "status": rng.choice(STATUSES),
                    "region": rng.choice(REGIONS),
                    "priority": rng.choice(["low", "normal", "high"]),
                },
            }
        )
    return events


def cloudlet_matcher(rules: list[dict[str, Any]]) -> Callable[[dict[str, Any]], set[Hashable]]:
    from cloudlet.core.patterns import compile_pattern
    from cloudlet.core.patterns.index import PatternIndex

    index = PatternIndex()
    for number, rule in enumerate(rules):
        index.add(number, compile_pattern(json.dumps(rule)))
    return index.matching


def moto_matcher(rules: list[dict[str, Any]]) -> Callable[[dict[str, Any]], set[Hashable]]:
    from moto.events.models import EventPattern

    patterns = [(number, EventPattern.load(json.dumps(rule))) for number, rule in enumerate(rules)]

    def matching(event: dict[str, Any]) -> set[Hashable]:
        return {number for number, pattern in patterns if pattern.matches_event(event)}

    return matching


def _peer_of(target: Target) -> str:
    return {"/_cloudlet/health": "cloudlet", "/moto-api/": "moto"}.get(target.health_path, "other")


def _src_on_path() -> None:
    """Let this process import Cloudlet from the repository's src/ (the runner itself may not)."""
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[1] / "src")
    if src not in sys.path:
        sys.path.insert(0, src)


def pattern_match_1000_rules(target: Target) -> Figures:
    peer = _peer_of(target)
    rules, events = make_rules(), make_events()
    if peer == "other":
        return {"matcher": "not measured: no in-process matcher for this peer"}
    _src_on_path()
    built = time.perf_counter()
    if peer == "cloudlet":
        matching = cloudlet_matcher(rules)
    else:
        try:
            matching = moto_matcher(rules)
        except ImportError as exc:
            return {"matcher": f"not measured: {exc}"}
    build_ms = (time.perf_counter() - built) * 1000
    reference = cloudlet_matcher(rules) if peer == "moto" else None
    matches = 0
    disagree = 0
    for event in events:  # warm-up pass, and the checks
        found = matching(event)
        matches += len(found)
        if reference is not None:
            disagree += found != reference(event)
    if peer == "cloudlet":  # the index against testing every rule
        disagree = _index_mismatches(rules, events, matching)
    done = 0
    started = time.perf_counter()
    deadline = started + target.duration
    while time.perf_counter() < deadline:
        matching(events[done % EVENTS])
        done += 1
    elapsed = time.perf_counter() - started
    return {
        "events_per_s": done / elapsed,
        "us_per_event": elapsed / done * 1e6,
        "rules": RULES,
        "matches_per_event": matches / EVENTS,
        "build_ms": build_ms,
        # cloudlet: events where the index and a scan of every rule differ; moto: events where
        # moto's matches differ from Cloudlet's
        "mismatched_events": disagree,
        "matcher": "PatternIndex" if peer == "cloudlet" else "moto EventPattern.matches_event per rule",
    }


def _index_mismatches(
    rules: list[dict[str, Any]],
    events: list[dict[str, Any]],
    matching: Callable[[dict[str, Any]], set[Hashable]],
) -> int:
    from cloudlet.core.patterns import compile_pattern, match

    compiled = [compile_pattern(json.dumps(rule)) for rule in rules]
    return sum(matching(event) != {n for n, c in enumerate(compiled) if match(c, event)} for event in events)
