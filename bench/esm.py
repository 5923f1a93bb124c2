"""Event source mappings and Kinesis (issue 16): SQS and Kinesis to a function, Kinesis writes.

Setup goes through boto3 (an IAM role trusting lambda.amazonaws.com, a python3.12 function, the
queue or stream, the mapping, waited for until `Enabled`); the measured calls are raw pre-built
requests over keep-alive connections: SQS SendMessage / SendMessageBatch (JSON 1.0), Kinesis
PutRecords (JSON 1.1).

What reaches the function is counted without asking the server: the handler's first line takes
`time.time()`, and it sends one UDP datagram per invocation (`<that time> <records in the batch>
<first SQS body>`) to a socket the workload bound on 127.0.0.1. That costs the server nothing
beyond the handler's own `sendto` (no extra requests, no queue or log reads), and the handler's
clock is this machine's clock, the same the sender reads.

- `sqs_to_function`: a queue (VisibilityTimeout 60, the function's timeout) and a mapping with
  BatchSize 10, ScalingConfig MaximumConcurrency 5. Latency: one message at a time (a first one
  unmeasured, `first_ms`): from just before SendMessage is written to the handler starting
  (`p50_ms`, `p99_ms`; `seen_p50_ms` is when this process got the datagram). Throughput:
  `--clients` processes send SendMessageBatch of 10 back to back while one more process reads the
  datagrams: `msgs_per_s` = messages handed to the handler inside the window. The run then waits
  for the backlog to drain and checks the books: `unprocessed` = messages sent minus messages the
  handler saw, `left_in_queue` = the queue's visible + in-flight messages (0: every processed
  message was also deleted), so the processed rate is also the deleted rate, give or take the
  batches (at most 5 x 10 messages) between a handler's start and its batch's deletion.
- `kinesis_to_function`: a 1-shard stream, a mapping with BatchSize 100 and StartingPosition
  LATEST (probe records are put every 0.5 s until one reaches the handler, so the mapping is
  reading). `--clients` processes put 500 records of 100 bytes per PutRecords back to back:
  `records_per_s` = records handed to the handler inside the window; `put_records_per_s` = the
  records the senders got accepted meanwhile; `undelivered` after the drain.
  `kinesis_to_function_4` is the same with a 4-shard stream.
- `kinesis_put_records`: PutRecords of 500 records of 100 bytes (distinct partition keys) into a
  1-shard stream from `max(--clients, 3)` processes, no mapping: `records_per_s` accepted (a
  record with an `ErrorCode` does not count), server CPU per record.

A peer that cannot make the function, the mapping or the stream, or whose function never
receives the first message or record within FIRST_WAIT_S, gets a text note (`unsupported` or
`delivered`) instead of figures; nothing fails.
"""

from __future__ import annotations

import base64
import dataclasses
import random
import socket
import time
import uuid
from collections.abc import Callable
from typing import Any

from fanout import _boto
from functions import _create
from saturate import Client, sat_figures, saturate
from sqs import SqsClient
from workloads import NETWORK_ERRORS, Figures, JsonClient, KeepAliveConnection, Target, percentile_ms

LATENCY_ROUNDS = 50  # measured messages, after a first unmeasured one
LATENCY_BUDGET_S = 25.0  # no new round once this much time has gone
ROUND_WAIT_S = 10.0  # how long a round waits for its message to reach the handler
FIRST_WAIT_S = 20.0  # how long the first message (record) may take: a cold start, a slow poller
PAUSE_S = (0.02, 0.08)  # between the handler's datagram and the next send (seeded spread)
SETTLE_S = 1.5  # after the window, no datagram for this long: the backlog is drained
SETTLE_MAX_S = 20.0  # but stop waiting after this
MAPPING_WAIT_S = 30.0  # for a mapping to become Enabled
SQS_BATCH = 10
KINESIS_BATCH = 100
RECORDS_PER_PUT = 500
RECORD_BYTES = 100
PUT_CLIENTS = 3  # at least this many putting processes in kinesis_put_records

HANDLER = """import socket, time
_SOCK = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
_TO = ("127.0.0.1", {port})


def handler(event, context):
    started = time.time()
    records = event.get("Records") or []
    first = str(records[0].get("body", ""))[:60] if records else ""
    _SOCK.sendto(("%.6f %d %s" % (started, len(records), first)).encode(), _TO)
    return {{}}
"""


class EsmError(RuntimeError):
    """A setup step of these workloads was not answered as expected."""


class KinesisClient(JsonClient):
    service = "kinesis"
    target_prefix = "Kinesis_20131202."
    error = EsmError

    def raw_request(self, op: str, body: bytes) -> bytes:
        from workloads import build_request

        return build_request(
            self.target.host,
            self.target.port,
            self.service,
            body,
            "application/x-amz-json-1.1",
            (f"X-Amz-Target: {self.target_prefix}{op}",),
        )


# --- the handler's datagrams ---------------------------------------------------------------------


class Beacon:
    """The UDP socket the handler reports to: (handler start time, records, first body) per invocation."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]

    def receive(self, timeout: float) -> tuple[float, int, str, float] | None:
        """The next datagram as (handler start, records, first body, time received), None on timeout."""
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(1024)
        except TimeoutError:
            return None
        received = time.time()
        started, count, first = [*data.decode(errors="replace").split(" ", 2), "", ""][:3]
        return float(started), int(count), first, received

    def drain(self, quiet_s: float = SETTLE_S, max_s: float = SETTLE_MAX_S) -> tuple[int, float]:
        """Read datagrams until none came for `quiet_s` (or `max_s` passed): records seen, seconds taken."""
        records = 0
        began = time.monotonic()
        last = began
        while time.monotonic() - began < max_s:
            got = self.receive(min(quiet_s, max_s - (time.monotonic() - began)))
            if got is None:
                break
            records += got[1]
            last = time.monotonic()
        return records, last - began

    def counter(self) -> Client:
        """A client process (saturate.py) whose units are the records the handler reports."""
        seen = [0]
        sock = self.sock
        sock.settimeout(0.2)

        def step() -> bool:
            try:
                data = sock.recv(1024)
            except TimeoutError:
                return True
            seen[0] += int(data.split(b" ", 2)[1])
            return True

        return Client(step, units=lambda: seen[0], totals=lambda: {"processed": seen[0]})

    def close(self) -> None:
        self.sock.close()


def _function(target: Target, beacon: Beacon) -> str:
    name, _ = _create(target, HANDLER.format(port=beacon.port))
    return name


def _unsupported(exc: Exception) -> Figures:
    return {"unsupported": f"{type(exc).__name__}: {exc}"[:160]}


def _wait_enabled(lam: Any, uuid_: str) -> str:
    """Poll the mapping until Enabled (or MAPPING_WAIT_S): its last state."""
    deadline = time.monotonic() + MAPPING_WAIT_S
    state = ""
    while time.monotonic() < deadline:
        state = lam.get_event_source_mapping(UUID=uuid_).get("State", "")
        if state == "Enabled":
            break
        time.sleep(0.1)
    return state


def _remove_mapping(lam: Any, uuid_: str) -> None:
    """Delete the mapping so its poller stops loading the server for the next workload."""
    try:
        lam.delete_event_source_mapping(UUID=uuid_)
    except Exception:  # best effort: the server is stopped after its workloads anyway
        return


def _senders_and_counter(
    target: Target, beacon: Beacon, make_sender: Callable[[int], Client]
) -> tuple[Figures, dict[str, int], int, float]:
    """`--clients` senders plus the datagram counter, then the drain: figures, totals (the
    counter's `processed`, the senders' own), records seen while draining, and drain seconds."""
    senders = target.clients
    run_target = dataclasses.replace(target, clients=senders + 1)

    def make(index: int) -> Client:
        return make_sender(index) if index < senders else beacon.counter()

    result = saturate(run_target, make)
    late, drain_s = beacon.drain()
    figures = sat_figures(result, "rate")
    figures["clients"] = senders
    return figures, result.totals, late, drain_s


# --- sqs_to_function ------------------------------------------------------------------------------


def _send_ok(status: int, body: bytes) -> bool:
    return status == 200 and b'"MessageId"' in body


def _batch_ok(status: int, body: bytes) -> bool:
    """A SendMessageBatch answer with every entry successful."""
    return status == 200 and (b'"Failed"' not in body or b'"Failed":[]' in body.replace(b" ", b""))


@dataclasses.dataclass
class Rounds:
    samples_ms: list[float] = dataclasses.field(default_factory=list)
    seen_ms: list[float] = dataclasses.field(default_factory=list)
    first_ms: float = -1.0
    missed: int = 0
    errors: list[str] = dataclasses.field(default_factory=list)


def sqs_latency(target: Target, beacon: Beacon, url: str) -> Rounds:
    """One message at a time: SendMessage written → handler start (the handler's time.time())."""
    client = SqsClient(target, timeout=10.0)
    nonce = uuid.uuid4().hex[:8]
    pauses = random.Random(16)
    out = Rounds()
    deadline = time.monotonic() + LATENCY_BUDGET_S
    try:
        for index in range(LATENCY_ROUNDS + 1):
            if index and (time.monotonic() > deadline or len(out.errors) >= 3 or out.missed >= 2):
                break
            marker = f"lat-{nonce}-{index}"
            payload = client.request("SendMessage", {"QueueUrl": url, "MessageBody": marker})
            sent = time.time()
            status, body = client.post(payload)
            if not _send_ok(status, body):
                out.errors.append(f"SendMessage answered {status}: {body[:120]!r}")
                continue
            wait_until = time.monotonic() + (FIRST_WAIT_S if index == 0 else ROUND_WAIT_S)
            got = None
            while time.monotonic() < wait_until:
                got = beacon.receive(wait_until - time.monotonic())
                if got is None or got[2] == marker:
                    break  # other datagrams are late duplicates of earlier rounds
            if got is None or got[2] != marker:
                out.missed += 1
                if index == 0:
                    break  # nothing reaches the function: no rounds
                continue
            started, _, _, received = got
            if index == 0:
                out.first_ms = (started - sent) * 1000
            else:
                out.samples_ms.append((started - sent) * 1000)
                out.seen_ms.append((received - sent) * 1000)
            time.sleep(pauses.uniform(*PAUSE_S))
    finally:
        client.close()
    return out


def _ms_percentile(values: list[float], q: float) -> float:
    return percentile_ms([int(v * 1e6) for v in sorted(values)], q)


def sqs_to_function(target: Target) -> Figures:
    lam, sqs = _boto(target, "lambda"), _boto(target, "sqs")
    beacon = Beacon()
    try:
        try:
            name = _function(target, beacon)
            url = sqs.create_queue(
                QueueName=f"bench-esm-{uuid.uuid4().hex[:8]}", Attributes={"VisibilityTimeout": "60"}
            )["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                "QueueArn"
            ]
            mapping = lam.create_event_source_mapping(
                EventSourceArn=arn,
                FunctionName=name,
                BatchSize=SQS_BATCH,
                ScalingConfig={"MaximumConcurrency": 5},
            )["UUID"]
        except Exception as exc:  # a peer without Lambda or mappings: a note, not a failure
            return _unsupported(exc)
        state = _wait_enabled(lam, mapping)
        try:
            return _sqs_measure(target, beacon, sqs, url, state)
        finally:
            _remove_mapping(lam, mapping)
    finally:
        beacon.close()


def _sqs_measure(target: Target, beacon: Beacon, sqs: Any, url: str, state: str) -> Figures:
    rounds = sqs_latency(target, beacon, url)
    figures: Figures = {"mapping_state": state or "?"}
    if rounds.errors:
        figures["error"] = rounds.errors[0][:120]
    if rounds.first_ms < 0 and not rounds.samples_ms:
        figures["delivered"] = f"not within {FIRST_WAIT_S:.0f} s"
        return figures
    figures["delivered"] = "yes"
    samples = rounds.samples_ms
    figures.update(
        {
            "p50_ms": _ms_percentile(samples, 0.50),
            "p99_ms": _ms_percentile(samples, 0.99),
            "seen_p50_ms": _ms_percentile(rounds.seen_ms, 0.50),
            "first_ms": rounds.first_ms,
            "rounds": len(samples),
            "missed": rounds.missed,
        }
    )
    beacon.drain(0.3, 5.0)

    def make_sender(index: int) -> Client:
        own = SqsClient(target)
        entries = [{"Id": str(i), "MessageBody": f"sat-{index}-{i}-" + "x" * 90} for i in range(SQS_BATCH)]
        payload = own.request("SendMessageBatch", {"QueueUrl": url, "Entries": entries})
        conn = own.conn
        accepted = [0]

        def step() -> bool:
            try:
                status, body = conn.exchange(payload)
            except NETWORK_ERRORS:
                conn.close()
                return False
            good = _batch_ok(status, body)
            accepted[0] += SQS_BATCH * good
            return good

        return Client(step, units=lambda: 0, totals=lambda: {"sent": accepted[0]}, close=own.close)

    sat, totals, late, drain_s = _senders_and_counter(target, beacon, make_sender)
    sent, processed = totals.get("sent", 0), totals.get("processed", 0) + late
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    left = sum(int(v) for v in attributes.values())
    sqs.purge_queue(QueueUrl=url)
    figures["msgs_per_s"] = sat.pop("rate")
    return {
        **figures,
        **sat,
        "sent": sent,
        "unprocessed": sent - processed,  # after the drain (0: the handler saw every message)
        "left_in_queue": left,  # 0: every message was deleted after its batch
        "drain_s": drain_s,  # how long the backlog took to reach the handler after the window
    }


# --- Kinesis ----------------------------------------------------------------------------------------


def _record_data(index: int) -> str:
    raw = f"rec-{index:06d}-".encode().ljust(RECORD_BYTES, b"x")
    return base64.b64encode(raw).decode()


def put_records_request(client: KinesisClient, stream: str, tag: int) -> bytes:
    records = [{"Data": _record_data(i), "PartitionKey": f"pk-{tag}-{i}"} for i in range(RECORDS_PER_PUT)]
    return client.request("PutRecords", {"StreamName": stream, "Records": records})


def accepted_records(status: int, body: bytes) -> int:
    """Records a PutRecords answer accepted (those without an ErrorCode)."""
    return RECORDS_PER_PUT - body.count(b'"ErrorCode"') if status == 200 else 0


class Putter:
    """PutRecords of one pre-built 500-record request over its own connection."""

    def __init__(self, target: Target, stream: str, tag: int) -> None:
        self.conn = KeepAliveConnection(target, timeout=30.0)
        self.payload = put_records_request(KinesisClient(target), stream, tag)
        self.records = 0
        self.failed = 0

    def run(self) -> bool:
        try:
            status, body = self.conn.exchange(self.payload)
        except NETWORK_ERRORS:
            self.conn.close()
            return False
        accepted = accepted_records(status, body)
        self.records += accepted
        self.failed += RECORDS_PER_PUT - accepted
        return accepted == RECORDS_PER_PUT

    def client(self, counts: bool) -> Client:
        return Client(
            self.run,
            units=(lambda: self.records) if counts else (lambda: 0),
            totals=lambda: {"accepted": self.records, "failed_records": self.failed},
            close=self.conn.close,
        )


def _stream(kinesis: Any, shards: int) -> tuple[str, str]:
    """A new ACTIVE stream: its name and ARN."""
    name = f"bench-stream-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    deadline = time.monotonic() + 30.0
    while time.monotonic() < deadline:
        description = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
        if description["StreamStatus"] == "ACTIVE":
            return name, description["StreamARN"]
        time.sleep(0.1)
    raise EsmError(f"stream {name} not ACTIVE after 30 s")


def _first_record(kinesis: Any, beacon: Beacon, stream: str) -> float:
    """Put a probe record every 0.5 s until one reaches the handler: seconds taken, -1 if none did."""
    began = time.monotonic()
    while time.monotonic() - began < FIRST_WAIT_S:
        kinesis.put_record(StreamName=stream, Data=b"probe", PartitionKey="probe")
        if beacon.receive(0.5) is not None:
            return time.monotonic() - began
    return -1.0


def kinesis_to_function(target: Target, shards: int = 1) -> Figures:
    lam, kinesis = _boto(target, "lambda"), _boto(target, "kinesis")
    beacon = Beacon()
    try:
        try:
            name = _function(target, beacon)
            stream, arn = _stream(kinesis, shards)
            mapping = lam.create_event_source_mapping(
                EventSourceArn=arn, FunctionName=name, BatchSize=KINESIS_BATCH, StartingPosition="LATEST"
            )["UUID"]
        except Exception as exc:
            return _unsupported(exc)
        state = _wait_enabled(lam, mapping)
        try:
            first_s = _first_record(kinesis, beacon, stream)
            if first_s < 0:
                return {"mapping_state": state or "?", "delivered": f"not within {FIRST_WAIT_S:.0f} s"}
            beacon.drain(0.5, 5.0)

            def make_sender(index: int) -> Client:
                return Putter(target, stream, index).client(counts=False)

            sat, totals, late, drain_s = _senders_and_counter(target, beacon, make_sender)
        finally:
            _remove_mapping(lam, mapping)
    finally:
        beacon.close()
    accepted, delivered = totals.get("accepted", 0), totals.get("processed", 0) + late
    return {
        "records_per_s": sat.pop("rate"),
        **sat,
        "shards": shards,
        "mapping_state": state or "?",
        "first_record_s": first_s,
        "put_records": accepted,
        "put_records_per_s": accepted / (target.warmup + target.duration),  # approximate: whole run
        "failed_records": totals.get("failed_records", 0),
        "undelivered": accepted - delivered,  # after the drain (0: every accepted record arrived)
        "drain_s": drain_s,
    }


def kinesis_to_function_4(target: Target) -> Figures:
    return kinesis_to_function(target, shards=4)


def kinesis_put_records(target: Target) -> Figures:
    kinesis = _boto(target, "kinesis")
    try:
        stream, _ = _stream(kinesis, 1)
    except Exception as exc:
        return _unsupported(exc)
    check = KinesisClient(target, timeout=30.0)
    try:
        status, body = check.post(put_records_request(check, stream, 99))
        if accepted_records(status, body) != RECORDS_PER_PUT:
            raise EsmError(f"PutRecords answered {status}: {body[:200]!r}")
    finally:
        check.close()
    run_target = dataclasses.replace(target, clients=max(target.clients, PUT_CLIENTS))

    def make(index: int) -> Client:
        return Putter(run_target, stream, index).client(counts=True)

    result = saturate(run_target, make)
    figures = sat_figures(result, "records_per_s")
    return {
        **figures,
        "server_cpu_us_per_record": figures["server_cpu_ms_per_op"] * 1000,
        "requests": result.ok,
        "failed_records": result.totals.get("failed_records", 0),
    }
