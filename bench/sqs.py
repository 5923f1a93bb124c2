"""SQS workloads over the JSON protocol (what current boto3 speaks), sent as raw pre-built requests.

`sqs_send` measures SendMessage throughput, `sqs_cycle` the send-batch / receive / delete-batch cycle,
`sqs_longpoll` how soon a waiting ReceiveMessage returns once another connection sends a message.
`sqs_send_sat` and `sqs_cycle_sat` run the steps of the first two (`Sends.run`, `Cycle.run`) from
several client processes at once (saturate.py), each client on its own queue.
Each workload creates its own queue(s) and uses the QueueUrl the server returns.
"""

from __future__ import annotations

import hashlib
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from saturate import Client, sat_figures, saturate
from workloads import (
    NETWORK_ERRORS,
    Figures,
    JsonClient,
    LoopResult,
    Target,
    loop_figures,
    measured_loop,
    parse,
    percentile_ms,
)

BODY = "bench-message " + "x" * 86  # 100 bytes
BODY_MD5 = hashlib.md5(BODY.encode()).hexdigest()
BATCH = 10  # entries per SendMessageBatch / DeleteMessageBatch, and MaxNumberOfMessages per receive
MAX_RECEIVES_PER_CYCLE = 20  # a cycle gives up on messages it could not drain after this many receives
LONGPOLL_WAIT_S = 10  # WaitTimeSeconds of the long poll
# The sender waits 100..200 ms (evenly spread, fixed seed) after the long poll was written: the spread
# keeps a server that checks its queue on a timer from being sampled always at the same phase.
LONGPOLL_SEND_AFTER_S = (0.1, 0.2)
LONGPOLL_ROUNDS = 30  # long polls per run, at most
LONGPOLL_BUDGET_S = 40.0  # and no new long poll once less than one full wait is left of this budget
EARLY_WAKE_S = 1.0  # a long poll answered later than this after the send did not wake early


class SqsError(RuntimeError):
    """An SQS call that a workload needs for its setup was not answered with 200."""


class SqsClient(JsonClient):
    """Raw JSON-protocol SQS calls over one keep-alive connection."""

    service = "sqs"
    target_prefix = "AmazonSQS."
    error = SqsError

    def create_queue(self, name: str) -> str:
        """Create a standard queue and return the QueueUrl the server gives for it."""
        url = self.call("CreateQueue", {"QueueName": name}).get("QueueUrl")
        if not isinstance(url, str):
            raise SqsError("CreateQueue answered without a QueueUrl")
        return url

    def depth(self, url: str) -> int:
        """ApproximateNumberOfMessages of a queue (-1 when the answer does not say)."""
        params = {"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}
        value = (
            self.call("GetQueueAttributes", params).get("Attributes", {}).get("ApproximateNumberOfMessages")
        )
        return int(value) if isinstance(value, str | int) and str(value).isdigit() else -1


def receipts(answer: dict[str, Any]) -> tuple[list[str], int]:
    """Receipt handles of the messages in a ReceiveMessage answer, and how many had a wrong body."""
    messages = answer.get("Messages") or []
    handles = [m["ReceiptHandle"] for m in messages if isinstance(m, dict) and "ReceiptHandle" in m]
    wrong = sum(1 for m in messages if not isinstance(m, dict) or m.get("Body") != BODY)
    return handles, wrong


def delete_params(url: str, handles: list[str]) -> dict[str, Any]:
    """DeleteMessageBatch parameters for up to BATCH receipt handles."""
    return {"QueueUrl": url, "Entries": [{"Id": str(i), "ReceiptHandle": h} for i, h in enumerate(handles)]}


# --- sqs_send ----------------------------------------------------------------------------------


class Sends:
    """SendMessage of BODY to one queue, one pre-built request; counts the messages acknowledged."""

    def __init__(self, client: SqsClient, url: str) -> None:
        self.client = client
        self.payload = client.request("SendMessage", {"QueueUrl": url, "MessageBody": BODY})
        self.accepted = 0

    def check(self) -> None:
        """Send once and check the answer carries a MessageId and the right MD5 of the body."""
        status, body = self.client.post(self.payload)
        answer = parse(body)
        if status != 200 or "MessageId" not in answer:
            raise SqsError(f"SendMessage answered {status}: {body[:200]!r}")
        if answer.get("MD5OfMessageBody") != BODY_MD5:
            raise SqsError(f"SendMessage answered MD5OfMessageBody={answer.get('MD5OfMessageBody')!r}")
        self.accepted += 1

    def run(self) -> bool:
        """One SendMessage; True when answered 200 with a MessageId."""
        status, body = self.client.post(self.payload)
        ok = status == 200 and b'"MessageId"' in body
        self.accepted += ok
        return ok


def sqs_send(target: Target) -> Figures:
    """SendMessage calls/s over one raw keep-alive connection, then a check of the queue's depth."""
    client = SqsClient(target)
    try:
        url = client.create_queue("bench-send")
        sends = Sends(client, url)
        sends.check()
        result = measured_loop(target, sends.run, client.conn.reset_count)
        depth = client.depth(url)
        connections = client.conn.connects
    finally:
        client.close()
    figures = {**loop_figures(result, rate_key="msgs_per_s"), "connections": connections}
    # Messages the server acknowledged but does not count in the queue (0 when nothing was lost).
    return {**figures, "missing_in_queue": sends.accepted - depth} if depth >= 0 else figures


def sqs_send_sat(target: Target) -> Figures:
    """SendMessage from `target.clients` processes at once, each to its own queue; then the depths."""
    client = SqsClient(target)
    try:
        urls = [client.create_queue(f"bench-send-sat-{i}") for i in range(target.clients)]
        for url in urls:
            Sends(client, url).check()  # one message in each queue before the run

        def make(index: int) -> Client:
            own = SqsClient(target)
            sends = Sends(own, urls[index])
            return Client(sends.run, totals=lambda: {"accepted": sends.accepted}, close=own.close)

        client.close()  # idle meanwhile (a server may time it out); reconnects afterwards
        result = saturate(target, make)
        depths = [client.depth(url) for url in urls]
    finally:
        client.close()
    figures = {**sat_figures(result, "msgs_per_s"), "requests": result.ok}
    if min(depths) < 0:
        return figures
    # Messages the server acknowledged but does not count in the queues (0 when nothing was lost).
    return {**figures, "missing_in_queue": len(urls) + result.totals.get("accepted", 0) - sum(depths)}


# --- sqs_cycle ---------------------------------------------------------------------------------


@dataclass
class Cycle:
    """SendMessageBatch of BATCH messages, then receive and delete-batch until all of them are gone."""

    client: SqsClient
    url: str
    send_payload: bytes = b""
    receive_payload: bytes = b""
    deleted: int = 0
    receives: int = 0
    wrong_bodies: int = 0

    def __post_init__(self) -> None:
        entries = [{"Id": str(i), "MessageBody": BODY} for i in range(BATCH)]
        self.send_payload = self.client.request(
            "SendMessageBatch", {"QueueUrl": self.url, "Entries": entries}
        )
        receive = {"QueueUrl": self.url, "MaxNumberOfMessages": BATCH, "WaitTimeSeconds": 0}
        self.receive_payload = self.client.request("ReceiveMessage", receive)

    def reset(self) -> None:
        self.deleted = self.receives = self.wrong_bodies = 0

    def run(self) -> bool:
        """One cycle; True when all BATCH messages were sent, received and deleted."""
        status, body = self.client.post(self.send_payload)
        sent = len(parse(body).get("Successful") or []) if status == 200 else 0
        deleted = receives = 0
        while deleted < sent and receives < MAX_RECEIVES_PER_CYCLE:
            receives += 1
            deleted += self._receive_and_delete()
        self.deleted += deleted
        self.receives += receives
        return sent == BATCH and deleted >= sent

    def _receive_and_delete(self) -> int:
        """One ReceiveMessage and a DeleteMessageBatch of what it returned; the count deleted."""
        status, body = self.client.post(self.receive_payload)
        if status != 200:
            return 0
        handles, wrong = receipts(parse(body))
        self.wrong_bodies += wrong
        if not handles:
            return 0
        status, body = self.client.post(
            self.client.request("DeleteMessageBatch", delete_params(self.url, handles))
        )
        return len(parse(body).get("Successful") or []) if status == 200 else 0


def sqs_cycle(target: Target) -> Figures:
    """Messages/s through send-batch, receive and delete-batch, over one raw keep-alive connection."""
    client = SqsClient(target)
    try:
        cycle = Cycle(client, client.create_queue("bench-cycle"))

        def after_warmup() -> None:
            cycle.reset()
            client.conn.reset_count()

        result = measured_loop(target, cycle.run, after_warmup)
        connections = client.conn.connects
    finally:
        client.close()
    return cycle_figures(result, cycle, connections)


def cycle_figures(result: LoopResult, cycle: Cycle, connections: int) -> Figures:
    """Deleted messages/s, cycle latency, and per-cycle counts of one sqs_cycle run."""
    lat = sorted(result.latencies_ns)
    cycles = result.ok + result.errors
    cpu_ms = 1000 * result.server_cpu_s
    return {
        "msgs_per_s": cycle.deleted / result.elapsed if result.elapsed else 0.0,
        "cycle_p50_ms": percentile_ms(lat, 0.50),
        "cycle_p99_ms": percentile_ms(lat, 0.99),
        "cycles": cycles,
        "failed_cycles": result.errors,
        "receives_per_cycle": cycle.receives / cycles if cycles else float("nan"),
        "wrong_bodies": cycle.wrong_bodies,
        "server_cpu_ms_per_msg": cpu_ms / cycle.deleted if cycle.deleted else float("nan"),
        "connections": connections,
    }


def sqs_cycle_sat(target: Target) -> Figures:
    """Messages/s through the sqs_cycle cycle from `target.clients` processes, each on its own queue."""
    client = SqsClient(target)
    try:
        urls = [client.create_queue(f"bench-cycle-sat-{i}") for i in range(target.clients)]
    finally:
        client.close()

    def make(index: int) -> Client:
        own = SqsClient(target)
        cycle = Cycle(own, urls[index])
        return Client(
            cycle.run,
            units=lambda: cycle.deleted,
            totals=lambda: {"wrong_bodies": cycle.wrong_bodies},
            close=own.close,
        )

    result = saturate(target, make)
    return {
        **sat_figures(result, "msgs_per_s"),
        "cycles": result.ok + result.errors,  # errors: cycles that did not send and delete all 10
        "wrong_bodies": result.totals.get("wrong_bodies", 0),
    }


# --- sqs_longpoll ------------------------------------------------------------------------------


@dataclass
class LongPoll:
    """One long poll: when its request was written and when its answer arrived (perf_counter_ns)."""

    client: SqsClient
    payload: bytes
    written: threading.Event = field(default_factory=threading.Event)
    returned_ns: int = 0
    answer: dict[str, Any] = field(default_factory=dict)
    error: str = ""

    def run(self) -> None:
        """Thread body: write the ReceiveMessage, signal, and wait for its answer."""
        try:
            self.client.conn.send(self.payload)
            self.written.set()
            status, body = self.client.conn.read()
            self.returned_ns = time.perf_counter_ns()
            self.answer = parse(body) if status == 200 else {}
            self.error = "" if status == 200 else f"ReceiveMessage answered {status}"
        except NETWORK_ERRORS as exc:
            self.client.conn.close()
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.written.set()


@dataclass
class LongPollStats:
    """What the long polls of one run gave: latencies of woken polls and the odd cases."""

    latencies_ns: list[int] = field(default_factory=list)
    early: int = 0  # answered within EARLY_WAKE_S of the send
    not_held: int = 0  # answered without the message (returned before the send, or empty)
    errors: list[str] = field(default_factory=list)


def one_long_poll(
    receiver: SqsClient, sender: SqsClient, url: str, send_payload: bytes, pause: float
) -> tuple[int, str]:
    """Long-poll on `receiver`, send on `sender` `pause` s later; (latency ns or -1, error)."""
    receive = {"QueueUrl": url, "MaxNumberOfMessages": 1, "WaitTimeSeconds": LONGPOLL_WAIT_S}
    poll = LongPoll(receiver, receiver.request("ReceiveMessage", receive))
    thread = threading.Thread(target=poll.run, daemon=True)
    thread.start()
    poll.written.wait(5.0)
    time.sleep(pause)
    sent_ns = time.perf_counter_ns()
    status, _ = sender.post(send_payload)
    thread.join(LONGPOLL_WAIT_S + 10.0)  # the receiver's socket times out before this
    if thread.is_alive():
        receiver.close()  # ends the read, so the next poll cannot share the connection with this one
        thread.join(1.0)
    if thread.is_alive() or poll.error or status != 200:
        return -1, poll.error or (f"SendMessage answered {status}" if status != 200 else "no answer")
    handles, _ = receipts(poll.answer)
    if not handles or poll.returned_ns < sent_ns:
        return -1, ""
    receiver.post(receiver.request("DeleteMessageBatch", delete_params(url, handles)))
    return poll.returned_ns - sent_ns, ""


def drain(client: SqsClient, url: str) -> None:
    """Receive (without waiting) and delete whatever is left in the queue, a few batches at most."""
    receive = client.request("ReceiveMessage", {"QueueUrl": url, "MaxNumberOfMessages": BATCH})
    for _ in range(5):
        status, body = client.post(receive)
        handles, _ = receipts(parse(body)) if status == 200 else ([], 0)
        if not handles:
            return
        client.post(client.request("DeleteMessageBatch", delete_params(url, handles)))


def run_long_polls(receiver: SqsClient, sender: SqsClient, url: str) -> LongPollStats:
    """Up to LONGPOLL_ROUNDS long polls, starting none that could overrun LONGPOLL_BUDGET_S."""
    stats = LongPollStats()
    send_payload = sender.request("SendMessage", {"QueueUrl": url, "MessageBody": BODY})
    deadline = time.perf_counter() + LONGPOLL_BUDGET_S
    pauses = random.Random(42)
    for _ in range(LONGPOLL_ROUNDS):
        if deadline - time.perf_counter() < LONGPOLL_WAIT_S + 1.0 or len(stats.errors) >= 3:
            break
        pause = pauses.uniform(*LONGPOLL_SEND_AFTER_S)
        latency_ns, error = one_long_poll(receiver, sender, url, send_payload, pause)
        if error:
            stats.errors.append(error)
        elif latency_ns < 0:
            stats.not_held += 1
        else:
            stats.latencies_ns.append(latency_ns)
            stats.early += latency_ns <= EARLY_WAKE_S * 1e9
        if error or latency_ns < 0:
            drain(sender, url)
    return stats


def wake_note(stats: LongPollStats) -> str:
    """'early', 'no early wake', or how many of the polls woke early."""
    woken = len(stats.latencies_ns)
    if woken and stats.early == woken:
        return "early"
    if woken and stats.early == 0:
        return "no early wake"
    return f"early {stats.early}/{woken}"


def sqs_longpoll(target: Target) -> Figures:
    """Latency from the start of a SendMessage to the return of a long poll waiting on that queue."""
    sender = SqsClient(target)
    receiver = SqsClient(target, timeout=LONGPOLL_WAIT_S + 5.0)
    try:
        url = sender.create_queue("bench-longpoll")
        stats = run_long_polls(receiver, sender, url)
    finally:
        sender.close()
        receiver.close()
    if not stats.latencies_ns:
        raise SqsError(f"no long poll returned the message: {stats.errors[:1] or 'polls not held'}")
    lat = sorted(stats.latencies_ns)
    return {
        "p50_ms": percentile_ms(lat, 0.50),
        "p99_ms": percentile_ms(lat, 0.99),
        "polls": len(lat),
        "not_held": stats.not_held,
        "errors": len(stats.errors),
        "wake": wake_note(stats),
    }
