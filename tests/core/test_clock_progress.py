"""The clock always makes progress: an advance answers, and the server keeps answering, even when
a source of due work is stuck (the two hangs found by probing a running server, and a guard
for any future one)."""

from __future__ import annotations

import asyncio
import threading
import time
import urllib.request
import uuid
from typing import Any

import pytest

from cloudlet.config import Config
from cloudlet.core.due import DueWork
from cloudlet.runtime import Runtime


@pytest.fixture
def server(cloudlet):
    if not hasattr(cloudlet, "app"):
        pytest.skip("needs the in-process test server")
    return cloudlet


def advance_in_thread(server, seconds: float, timeout: float = 20.0) -> float:
    """Advance the clock; fails (instead of hanging the test) if the answer does not come."""
    result: dict[str, Any] = {}

    def go() -> None:
        started = time.monotonic()
        server.advance_clock(seconds)
        result["took"] = time.monotonic() - started

    thread = threading.Thread(target=go, daemon=True)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"advancing the clock by {seconds} s did not answer in {timeout} s"
    return result["took"]


def health_answers(server) -> bool:
    with urllib.request.urlopen(server.endpoint + "/_cloudlet/health", timeout=5) as resp:
        return resp.status == 200


def test_events_waiting_for_a_failing_consumer_do_not_starve_a_healthy_one(server):
    """Was: the channel read only the oldest 200 rows across consumers, so with 200+ events
    waiting for a consumer in backoff a healthy consumer's events were never read, while the
    clock kept being told they were due and ``advance`` spun without yielding."""
    channel = server.app.runtime.channel
    sick, well = f"sick{uuid.uuid4().hex[:6]}", f"well{uuid.uuid4().hex[:6]}"
    got: list[int] = []

    def failing(topic: str, payload: Any) -> None:
        raise RuntimeError("down")

    def setup() -> None:
        channel.declare(sick, ("probe.sick.",))
        channel.subscribe(sick, failing)
        channel.declare(well, ("probe.well.",))
        channel.subscribe(well, lambda topic, payload: got.append(payload["n"]))
        for n in range(250):
            channel.publish("probe.sick.x", {"n": n})

    server.call(setup)
    try:
        advance_in_thread(server, 2)  # every sick event failed at least once and is backing off
        server.call(lambda: [channel.publish("probe.well.x", {"n": n}) for n in range(5)])
        deadline = time.monotonic() + 5
        while len(got) < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sorted(got) == [0, 1, 2, 3, 4]
        assert advance_in_thread(server, 60) < 10
        assert server.call(channel.pending, sick) == 250
    finally:
        server.call(server.app.runtime.deliveries.discard, f"{sick}.channel")
        server.call(channel.undeclare, sick)
        server.call(channel.undeclare, well)


def test_a_lifecycle_rule_with_a_tag_filter_does_not_hang_the_clock(server, aws_client):
    """Was: one untagged object under a tag-filtered rule's prefix kept the rule's due time in
    the past, so ``advance`` never answered and the health check stopped answering."""
    s3 = aws_client("s3")
    bucket = f"lc-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    rules = [
        {
            "ID": "tagged",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "expire", "Value": "yes"}]}},
            "Expiration": {"Days": 1},
        },
        {
            "ID": "big",
            "Status": "Enabled",
            "Filter": {"And": {"Prefix": "big/", "ObjectSizeGreaterThan": 10}},
            "Expiration": {"Days": 1},
        },
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    s3.put_object(Bucket=bucket, Key="logs/untagged", Body=b"keep me")
    s3.put_object(Bucket=bucket, Key="logs/tagged", Body=b"x", Tagging="expire=yes")
    s3.put_object(Bucket=bucket, Key="big/small", Body=b"tiny")
    s3.put_object(Bucket=bucket, Key="big/large", Body=b"x" * 100)
    assert advance_in_thread(server, 259200) < 10
    assert health_answers(server)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", []))
    assert keys == ["big/small", "logs/untagged"]


def test_objects_past_the_first_page_of_non_matching_ones_still_expire(server, aws_client):
    """The expiry scan pages past objects a rule's filter does not take (200 to a page)."""
    s3 = aws_client("s3")
    bucket = f"lc-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    for n in range(210):
        s3.put_object(Bucket=bucket, Key=f"p/{n:03}", Body=b"x")
    s3.put_object(Bucket=bucket, Key="p/zz-tagged", Body=b"x", Tagging="expire=yes")
    rule = {
        "ID": "r",
        "Status": "Enabled",
        "Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "expire", "Value": "yes"}]}},
        "Expiration": {"Days": 1},
    }
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    advance_in_thread(server, 3 * 86400)
    keys = {
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    }
    assert "p/zz-tagged" not in keys and len(keys) == 210


def test_retagging_an_object_brings_its_expiry_forward(server, aws_client):
    s3 = aws_client("s3")
    bucket = f"lc-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    rule = {
        "ID": "r",
        "Status": "Enabled",
        "Filter": {"Tag": {"Key": "tmp", "Value": "1"}},
        "Expiration": {"Days": 1},
    }
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    advance_in_thread(server, 60)  # the sweeper has looked, and found nothing to expire
    s3.put_object_tagging(Bucket=bucket, Key="k", Tagging={"TagSet": [{"Key": "tmp", "Value": "1"}]})
    advance_in_thread(server, 3 * 86400)
    assert s3.list_objects_v2(Bucket=bucket).get("KeyCount") == 0


class _Stuck(DueWork):
    """Reports work due in the past and never does it."""

    def __init__(self, clock) -> None:
        super().__init__(clock)
        self.calls = 0

    def next_due(self) -> float | None:
        return self.clock.now() - 10

    async def run_due(self) -> int:
        self.calls += 1
        return 0


def test_a_source_that_reports_due_work_it_never_does_is_left_out_with_an_error(caplog):
    async def go() -> None:
        rt = Runtime(Config(in_memory=True))
        stuck = _Stuck(rt.clock)
        fired: list[int] = []
        rt.scheduler.register("test.n", fired.append)
        rt.scheduler.schedule(rt.clock.now() + 30, "test.n", 1)
        await asyncio.wait_for(rt.clock.advance(60), 5)
        assert fired == [1]  # the rest of the clock's work still fires
        assert 3 <= stuck.calls < 10
        rt.store.close()

    asyncio.run(go())
    assert "does none" in caplog.text


def test_a_stuck_sweeper_loop_waits_instead_of_spinning():
    async def go() -> None:
        rt = Runtime(Config(in_memory=True))
        stuck = _Stuck(rt.clock)
        stuck.start()
        await asyncio.sleep(0.3)
        calls = stuck.calls
        await stuck.stop()
        rt.store.close()
        return calls

    assert asyncio.run(go()) < 15  # backs off 10 ms, 20 ms, 40 ms, ... instead of spinning
