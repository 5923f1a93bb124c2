"""The delivery engine through a real server: retries on the clock, dead-letter queues, maximum
age, final errors, throttling, ordering, concurrency, destinations, and no head-of-line blocking.

Targets are registered in the server's own event loop (the test server runs in a thread of
this process); what they receive is read back here, and dead-letter queues through boto3.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from typing import Any

import orjson
import pytest

from cloudlet.core.delivery import (
    AGE_EXCEEDED,
    NOT_RETRYABLE,
    RETRIES_EXHAUSTED,
    Attempt,
    Backoff,
    DeliveryFailure,
    Outbound,
    Outcome,
    Policy,
    Target,
)

FIXED = Backoff(base=10.0, factor=1.0)


@pytest.fixture
def server(cloudlet):
    if not hasattr(cloudlet, "app"):
        pytest.skip("needs the in-process test server")
    return cloudlet


class Recorder:
    """A target that fails the first ``fail`` attempts of each payload and records the clock
    time of every attempt."""

    def __init__(self, server, fail: int = 0, error: DeliveryFailure | None = None, **target: Any) -> None:
        self.server = server
        self.engine = server.app.runtime.deliveries
        self.name = f"test.{uuid.uuid4().hex[:10]}"
        self.fail = fail
        self.error = error
        self.attempts: list[tuple[float, int, Any]] = []
        self.lock = threading.Lock()
        server.call(self.engine.register, self.name, Target(handler=self._handle, **target))

    def _handle(self, attempt: Attempt) -> Any:
        with self.lock:
            self.attempts.append((self.engine.clock.now(), attempt.number, attempt.payload))
            failing = attempt.number <= self.fail
        if failing:
            raise self.error or DeliveryFailure("Boom", f"attempt {attempt.number} failed")
        return {"ok": attempt.payload}

    def enqueue(self, payload: Any, policy: Policy, **kwargs: Any) -> int:
        return self.server.call(lambda: self.engine.enqueue(self.name, payload, policy, **kwargs))

    def times(self) -> list[float]:
        with self.lock:
            return [t for t, _, _ in self.attempts]

    def wait_for(self, count: int, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.attempts) >= count:
                    return
            time.sleep(0.005)
        raise AssertionError(f"{len(self.attempts)} attempts, {count} expected")

    def pending(self) -> int:
        return self.server.call(self.engine.pending, self.name)

    def stats(self) -> dict[str, int]:
        return dict(self.server.call(lambda: dict(self.engine.stats.get(self.name, {}))))

    def close(self) -> None:
        self.server.call(self.engine.unregister, self.name)


def make_queue(aws_client) -> tuple[Any, str, str]:
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs, url, arn


def receive_all(sqs, url: str, expected: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    got: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while len(got) < expected and time.monotonic() < deadline:
        answer = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], WaitTimeSeconds=1
        )
        got.extend(answer.get("Messages", []))
    return got


# ---------------------------------------------------------------- policy arithmetic


def test_backoff_exponential_is_capped():
    backoff = Backoff(base=1.0, factor=2.0, cap=30.0)
    assert [backoff.delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_backoff_schedule_repeats_its_last_step():
    backoff = Backoff(schedule=(60.0, 120.0))
    assert [backoff.delay(n) for n in (1, 2, 3, 4)] == [60, 120, 120, 120]


def test_backoff_in_sns_delivery_policy_phases():
    # SNS's managed-endpoint policy: 3 immediate, 2 at 1 s, 10 rising 1 s -> 20 s, then 20 s.
    backoff = Backoff.phased(
        retries=100, no_delay=3, at_min=2, min_delay=1, max_delay=20, at_max=85, function="exponential"
    )
    delays = [backoff.delay(n) for n in range(1, 101)]
    assert delays[:5] == [0, 0, 0, 1, 1]
    rising = delays[5:15]
    assert rising == sorted(rising) and rising[0] > 1 and rising[-1] == 20
    assert delays[15:] == [20] * 85
    linear = Backoff.phased(retries=4, min_delay=10, max_delay=50)
    assert [linear.delay(n) for n in range(1, 5)] == [20, 30, 40, 50]


def test_backoff_jitter_stays_within_its_range():
    full, equal = Backoff(base=8.0, factor=1.0, jitter="full"), Backoff(base=8.0, factor=1.0, jitter="equal")
    assert full.delay(1, lambda: 0.0) == 0 and full.delay(1, lambda: 0.999) < 8
    assert equal.delay(1, lambda: 0.0) == 4 and equal.delay(1, lambda: 1.0) == 8


def test_policy_survives_its_json_form():
    policy = Policy(
        max_retries=185,
        max_age=60.0,
        backoff=Backoff(schedule=(60.0, 120.0), jitter="full"),
        throttle_backoff=Backoff(base=1.0, cap=300.0),
        dead_letter="arn:aws:sqs:us-east-1:000000000000:q",
        on_failure="arn:aws:sqs:us-east-1:000000000000:f",
    )
    assert Policy.from_json(policy.to_json()) == policy
    assert Policy.from_json(Policy().to_json()) == Policy()


# ---------------------------------------------------------------- retries on the clock


def test_a_delivery_that_fails_twice_then_succeeds_waits_exactly_its_backoff(server):
    target = Recorder(server, fail=2)
    try:
        target.enqueue({"n": 1}, Policy(max_retries=5, backoff=Backoff(base=10.0, factor=3.0)))
        target.wait_for(1)
        server.advance_clock(9.5)
        assert len(target.times()) == 1  # the first retry waits 10 s
        server.advance_clock(1)
        target.wait_for(2)
        server.advance_clock(29)
        assert len(target.times()) == 2  # the second waits 30 s
        server.advance_clock(1.5)
        target.wait_for(3)
        first, second, third = target.times()
        assert second - first == pytest.approx(10, abs=0.2)
        assert third - second == pytest.approx(30, abs=0.2)
        assert target.pending() == 0
        stats = target.stats()
        assert (stats["attempt"], stats["failure"], stats["retry"], stats["success"]) == (3, 2, 2, 1)
    finally:
        target.close()


def test_exhausted_retries_land_in_the_dead_letter_queue_with_their_attributes(server, aws_client):
    sqs, url, arn = make_queue(aws_client)

    def dead_letter(attempt: Attempt, outcome: Outcome) -> Outbound:
        return Outbound(
            orjson.dumps(attempt.payload).decode(),
            {
                "ERROR_CODE": {"DataType": "String", "StringValue": outcome.code},
                "RETRY_ATTEMPTS": {"DataType": "Number", "StringValue": str(outcome.attempts - 1)},
                "CONDITION": {"DataType": "String", "StringValue": outcome.reason},
            },
        )

    target = Recorder(server, fail=99, dead_letter=dead_letter)
    try:
        target.enqueue({"order": 42}, Policy(max_retries=2, backoff=FIXED, dead_letter=arn))
        target.wait_for(1)
        server.advance_clock(25)
        assert len(target.times()) == 3
        [message] = receive_all(sqs, url, 1)
        assert orjson.loads(message["Body"]) == {"order": 42}
        attrs = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
        assert attrs == {"ERROR_CODE": "Boom", "RETRY_ATTEMPTS": "2", "CONDITION": RETRIES_EXHAUSTED}
        assert target.pending() == 0
        assert target.stats()["dead-lettered"] == 1
    finally:
        target.close()


def test_a_delivery_older_than_its_maximum_age_is_not_attempted_again(server, aws_client):
    sqs, url, arn = make_queue(aws_client)
    target = Recorder(server, fail=99)
    try:
        policy = Policy(max_age=60.0, backoff=Backoff(base=45.0, factor=1.0), dead_letter=arn)
        target.enqueue("too old", policy)
        target.wait_for(1)
        server.advance_clock(200)
        assert len(target.times()) == 2  # at 0 s and 45 s; at 90 s it is past 60 s of age
        [message] = receive_all(sqs, url, 1)
        assert message["Body"] == "too old"
        assert target.stats()[AGE_EXCEEDED] == 1
    finally:
        target.close()


def test_a_final_error_is_not_retried(server, aws_client):
    sqs, url, arn = make_queue(aws_client)
    target = Recorder(server, fail=1, error=DeliveryFailure("BadRequest", "400", final=True))
    try:
        target.enqueue("x", Policy(max_retries=10, backoff=FIXED, dead_letter=arn))
        target.wait_for(1)
        server.advance_clock(100)
        assert len(target.times()) == 1
        assert len(receive_all(sqs, url, 1)) == 1
        assert target.stats()[NOT_RETRYABLE] == 1
    finally:
        target.close()


def test_throttled_attempts_do_not_count_against_the_retries(server):
    target = Recorder(server, fail=3, error=DeliveryFailure("TooManyRequests", throttled=True))
    try:
        policy = Policy(max_retries=0, backoff=FIXED, throttle_backoff=Backoff(base=1.0, factor=2.0))
        target.enqueue("x", policy)
        target.wait_for(1)
        server.advance_clock(10)
        times = target.times()
        assert len(times) == 4  # three throttled (1 s, 2 s, 4 s apart), then one that succeeds
        assert [round(b - a) for a, b in itertools.pairwise(times)] == [1, 2, 4]
        assert target.stats()["success"] == 1
    finally:
        target.close()


def test_retry_after_overrides_the_policy(server):
    target = Recorder(server, fail=1, error=DeliveryFailure("Later", retry_after=3.0))
    try:
        target.enqueue("x", Policy(backoff=FIXED))
        target.wait_for(1)
        server.advance_clock(3.1)
        target.wait_for(2)
    finally:
        target.close()


# ---------------------------------------------------------------- destinations


def test_success_and_failure_records_go_to_their_destinations(server, aws_client):
    sqs, ok_url, ok_arn = make_queue(aws_client)
    _, bad_url, bad_arn = make_queue(aws_client)

    def success(attempt: Attempt, result: Any) -> Outbound:
        return Outbound(orjson.dumps({"condition": "Success", "result": result}).decode())

    def failure(attempt: Attempt, outcome: Outcome) -> Outbound:
        return Outbound(orjson.dumps({"condition": outcome.reason, "attempts": outcome.attempts}).decode())

    good = Recorder(server, success_record=success, failure_record=failure)
    bad = Recorder(server, fail=99, success_record=success, failure_record=failure)
    try:
        policy = Policy(max_retries=1, backoff=FIXED, on_success=ok_arn, on_failure=bad_arn)
        good.enqueue("fine", policy)
        bad.enqueue("broken", policy)
        good.wait_for(1)
        bad.wait_for(1)
        server.advance_clock(11)
        [ok] = receive_all(sqs, ok_url, 1)
        assert orjson.loads(ok["Body"]) == {"condition": "Success", "result": {"ok": "fine"}}
        [failed] = receive_all(sqs, bad_url, 1)
        assert orjson.loads(failed["Body"]) == {"condition": RETRIES_EXHAUSTED, "attempts": 2}
    finally:
        good.close()
        bad.close()


def test_a_dead_letter_queue_that_does_not_exist_is_counted_not_fatal(server):
    target = Recorder(server, fail=99)
    try:
        missing = "arn:aws:sqs:us-east-1:000000000000:no-such-queue-" + uuid.uuid4().hex[:8]
        target.enqueue("x", Policy(max_retries=0, dead_letter=missing))
        target.wait_for(1)
        deadline = time.monotonic() + 5
        while target.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        stats = target.stats()
        assert stats["dead-letter-failed"] == 1 and "destination-failed" not in stats
        assert target.pending() == 0
    finally:
        target.close()


# ---------------------------------------------------------------- isolation, order, concurrency


def test_pending_retries_of_a_failing_target_do_not_hold_up_a_healthy_one(server):
    failing = Recorder(server, fail=10**9)
    healthy = Recorder(server)
    try:

        def flood() -> None:
            with server.app.runtime.store.transaction():
                for n in range(1000):
                    failing.engine.enqueue(failing.name, n, Policy(backoff=Backoff(base=1.0, cap=60.0)))

        server.call(flood)
        failing.wait_for(1000, timeout=20)
        server.advance_clock(1)  # all 1,000 come due for their first retry at once
        started = time.monotonic()
        for n in range(20):
            healthy.enqueue(n, Policy())
        healthy.wait_for(20)
        assert time.monotonic() - started < 5
        assert sorted(p for _, _, p in healthy.attempts) == list(range(20))
    finally:
        assert server.call(failing.engine.discard, failing.name) == 1000
        failing.close()
        healthy.close()


def test_deliveries_with_one_order_key_wait_for_a_failing_head(server):
    target = Recorder(server, fail=2)
    try:
        policy = Policy(backoff=FIXED)
        for n in (1, 2, 3):
            target.enqueue(n, policy, order_key="group-a")
        target.enqueue("other", policy, order_key="group-b")
        target.wait_for(2)
        time.sleep(0.05)
        assert sorted(map(str, (p for _, _, p in target.attempts))) == ["1", "other"]  # 2 and 3 wait
        for _ in range(6):
            server.advance_clock(10)
        target.wait_for(12)
        ordered = [p for _, _, p in target.attempts if p != "other"]
        assert ordered == [1, 1, 1, 2, 2, 2, 3, 3, 3]  # each fails twice; the next waits for it
    finally:
        target.close()


def test_a_slot_runs_at_most_its_limit_at_once(server):
    engine = server.app.runtime.deliveries
    name = f"test.{uuid.uuid4().hex[:10]}"
    state = {"running": 0, "peak": 0, "done": 0}
    release = threading.Event()

    async def handler(attempt: Attempt) -> None:
        state["running"] += 1
        state["peak"] = max(state["peak"], state["running"])
        while not release.is_set():
            await asyncio.sleep(0.005)
        state["running"] -= 1
        state["done"] += 1

    server.call(engine.register, name, Target(handler=handler, limit=lambda slot: 2))
    try:
        for n in range(6):
            server.call(lambda n=n: engine.enqueue(name, n, Policy(), slot="fn-1"))
        time.sleep(0.2)
        assert server.call(lambda: state["running"]) == 2
        release.set()
        deadline = time.monotonic() + 5
        while server.call(lambda: state["done"]) < 6 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert state["done"] == 6 and state["peak"] == 2
    finally:
        release.set()
        server.call(engine.unregister, name)


def test_a_cancelled_delivery_is_not_attempted(server):
    target = Recorder(server)
    try:
        target.enqueue(
            "later", Policy(), due=server.call(server.app.runtime.clock.now) + 30, cancel_key="k-x"
        )
        assert server.call(server.app.runtime.deliveries.cancel, "k-x") == 1
        server.advance_clock(60)
        assert target.times() == []
    finally:
        target.close()


def test_the_clock_does_not_wait_for_an_attempt_that_takes_real_time(server):
    engine = server.app.runtime.deliveries
    name = f"test.{uuid.uuid4().hex[:10]}"
    finished = threading.Event()

    async def slow(attempt: Attempt) -> None:
        await asyncio.sleep(1.5)  # real work, e.g. a function running
        finished.set()

    server.call(engine.register, name, slow)
    try:
        server.call(lambda: engine.enqueue(name, None, Policy(), due=engine.clock.now() + 10))
        started = time.monotonic()
        server.advance_clock(3600)
        assert time.monotonic() - started < 1.0
        assert not finished.is_set()
        assert server.clock()["offset"] > 0
        assert finished.wait(5)
    finally:
        server.call(engine.unregister, name)


def test_a_timer_whose_handler_raises_is_retried(server):
    scheduler = server.app.runtime.scheduler
    kind = f"test.{uuid.uuid4().hex[:10]}"
    calls: list[float] = []

    def flaky(payload: Any) -> None:
        calls.append(scheduler.engine.clock.now())
        if len(calls) < 3:
            raise RuntimeError("not yet")

    server.call(scheduler.register, kind, flaky)
    server.call(lambda: scheduler.schedule(scheduler.engine.clock.now() + 5, kind, {"x": 1}))
    server.advance_clock(5)
    server.advance_clock(1)
    server.advance_clock(2)
    assert len(calls) == 3
    assert [round(b - a) for a, b in itertools.pairwise(calls)] == [1, 2]
    assert server.call(scheduler.engine.pending, kind) == 0
    server.call(scheduler.engine.unregister, kind)
