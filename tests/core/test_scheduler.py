"""Clock, persisted timers and the event channel, on a real store (memory and file)."""

from __future__ import annotations

import asyncio
import time

import pytest

from cloudlet.config import Config
from cloudlet.runtime import Runtime


def run(coro):
    return asyncio.run(coro)


def _runtime(tmp_path=None) -> Runtime:
    if tmp_path is None:
        return Runtime(Config(in_memory=True))
    return Runtime(Config(data_dir=str(tmp_path)))


def test_clock_advances_forward_only():
    async def go():
        rt = _runtime()
        before = rt.clock.now()
        await rt.clock.advance(3600)
        assert rt.clock.now() - before >= 3600
        with pytest.raises(ValueError):
            await rt.clock.advance(-1)
        rt.store.close()

    run(go())


def test_timers_fire_in_order_on_advance():
    async def go():
        rt = _runtime()
        fired: list[str] = []
        rt.scheduler.register("test.note", lambda payload: fired.append(payload))
        now = rt.clock.now()
        rt.scheduler.schedule(now + 30, "test.note", "c")
        rt.scheduler.schedule(now + 10, "test.note", "a")
        rt.scheduler.schedule(now + 20, "test.note", "b")
        rt.scheduler.schedule(now + 1000, "test.note", "later")
        await rt.clock.advance(60)
        assert fired == ["a", "b", "c"]
        await rt.clock.advance(1000)
        assert fired == ["a", "b", "c", "later"]
        rt.store.close()

    run(go())


def test_timer_scheduled_while_firing_fires_in_the_same_advance():
    async def go():
        rt = _runtime()
        fired: list[int] = []

        def step(n: int) -> None:
            fired.append(n)
            if n < 3:
                rt.scheduler.schedule(rt.clock.now() + 5, "test.step", n + 1)

        rt.scheduler.register("test.step", step)
        rt.scheduler.schedule(rt.clock.now() + 5, "test.step", 1)
        await rt.clock.advance(100)
        assert fired == [1, 2, 3]
        rt.store.close()

    run(go())


def test_cancelled_timer_does_not_fire():
    async def go():
        rt = _runtime()
        fired: list[str] = []
        rt.scheduler.register("test.note", fired.append)
        rt.scheduler.schedule(rt.clock.now() + 5, "test.note", "x", key="k1")
        rt.scheduler.cancel("k1")
        await rt.clock.advance(10)
        assert fired == []
        rt.store.close()

    run(go())


def test_timers_fire_in_real_time_when_background_loop_runs():
    async def go():
        rt = _runtime()
        done = asyncio.Event()
        rt.scheduler.register("test.done", lambda _: done.set())
        await rt.start()
        rt.scheduler.schedule(rt.clock.now() + 0.05, "test.done")
        await asyncio.wait_for(done.wait(), 5)
        await rt.stop()

    run(go())


def test_sleep_until_wakes_on_advance():
    async def go():
        rt = _runtime()
        start = time.monotonic()
        sleeper = asyncio.create_task(rt.clock.sleep(3600))
        await asyncio.sleep(0.01)
        await rt.clock.advance(3600)
        await asyncio.wait_for(sleeper, 2)
        assert time.monotonic() - start < 2
        rt.store.close()

    run(go())


def test_timers_and_clock_offset_survive_restart(tmp_path):
    async def first():
        rt = _runtime(tmp_path)
        await rt.clock.advance(500)
        rt.scheduler.schedule(rt.clock.now() + 60, "test.note", {"n": 1})
        offset = rt.clock.offset
        rt.store.close()  # no stop(): as if the process died after the commit
        return offset

    async def second(offset: float):
        rt = _runtime(tmp_path)
        assert rt.clock.offset == offset
        fired: list[dict] = []
        rt.scheduler.register("test.note", fired.append)
        await rt.clock.advance(61)
        assert fired == [{"n": 1}]
        rt.store.close()

    run(second(run(first())))


def _flaky_consumer(rt: Runtime, got: list[int]) -> None:
    failures = {"left": 1}

    def handler(topic: str, payload: dict) -> None:
        if payload["n"] == 2 and failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("transient")
        got.append(payload["n"])

    rt.channel.declare("consumer", ("s3.",))
    rt.channel.subscribe("consumer", handler)


def test_event_channel_retries_a_failed_event_without_holding_up_the_others():
    async def go():
        rt = _runtime()
        got: list[int] = []
        _flaky_consumer(rt, got)
        for n in (1, 2, 3):
            assert rt.channel.publish("s3.object", {"n": n}) == 1
        assert rt.channel.publish("sqs.other", {"n": 9}) == 0  # nobody takes it
        await rt.channel.drain()
        assert got == [1, 3]  # 2 failed and waits for its retry
        await rt.clock.advance(1)
        assert got == [1, 3, 2]
        assert rt.channel.pending() == 0
        rt.store.close()

    run(go())


def test_event_channel_keeps_order_per_key():
    async def go():
        rt = _runtime()
        got: list[int] = []
        _flaky_consumer(rt, got)
        for n in (1, 2, 3):
            rt.channel.publish("s3.object", {"n": n}, order_key="bucket-a")
        await rt.channel.drain()
        assert got == [1]  # 2 failed; 3 waits behind it to keep order
        await rt.clock.advance(1)
        assert got == [1, 2, 3]
        assert rt.channel.pending() == 0
        rt.store.close()

    run(go())


def test_event_channel_keeps_events_for_a_consumer_not_loaded_yet(tmp_path):
    async def produce():
        rt = _runtime(tmp_path)
        rt.channel.declare("late", ("ddb.",))
        rt.channel.publish("ddb.stream", {"k": "v"})
        rt.store.close()

    async def consume():
        rt = _runtime(tmp_path)
        rt.channel.declare("late", ("ddb.",))
        assert rt.channel.pending("late") == 1
        got: list = []
        rt.channel.subscribe("late", lambda topic, payload: got.append((topic, payload)))
        await rt.channel.drain()
        assert got == [("ddb.stream", {"k": "v"})]
        rt.store.close()

    run(produce())
    run(consume())


def test_store_schema_versions_apply_once(tmp_path):
    from cloudlet.store.db import Store

    store = Store(tmp_path / "x.db")
    migrations = ["CREATE TABLE a (x INTEGER)", "ALTER TABLE a ADD COLUMN y TEXT"]
    store.migrate("comp", migrations)
    store.migrate("comp", migrations)
    store.execute("INSERT INTO a (x, y) VALUES (1, 'z')")
    store.close()
    store = Store(tmp_path / "x.db")
    store.migrate("comp", [*migrations, "CREATE INDEX a_x ON a (x)"])
    assert store.one("SELECT version FROM schema_versions WHERE component = 'comp'")[0] == 3
    with pytest.raises(RuntimeError):
        store.migrate("comp", migrations[:1])
    store.close()


def test_store_transaction_rolls_back_on_error():
    from cloudlet.store.db import Store

    store = Store(None)
    store.execute("CREATE TABLE t (x INTEGER)")
    with pytest.raises(ZeroDivisionError), store.transaction():
        store.execute("INSERT INTO t VALUES (1)")
        1 / 0  # noqa: B018
    assert store.one("SELECT COUNT(*) FROM t")[0] == 0


def test_advance_does_not_spin_on_events_nobody_can_take():
    async def go():
        rt = _runtime()
        rt.channel.declare("ghost", ("x.",))  # declared, but no provider ever subscribes
        rt.channel.publish("x.thing", {})
        fired: list[int] = []
        rt.scheduler.register("test.n", fired.append)
        rt.scheduler.schedule(rt.clock.now() + 10, "test.n", 1)
        await asyncio.wait_for(rt.clock.advance(20), 5)
        assert fired == [1]
        assert rt.channel.pending("ghost") == 1
        rt.store.close()

    run(go())


def test_a_timer_whose_handler_was_cut_short_fires_again_after_restart(tmp_path):
    """At least once: the timer row goes only after its handler ran (a crash mid-way keeps it)."""

    async def first():
        rt = _runtime(tmp_path)
        started = asyncio.Event()

        async def hangs(payload):
            started.set()
            await asyncio.Event().wait()  # the process dies while the handler runs

        rt.scheduler.register("test.note", hangs)
        rt.scheduler.schedule(rt.clock.now() + 5, "test.note", "again")
        await rt.clock.advance(10)
        assert started.is_set()
        rt.store.close()  # no stop(): as if killed

    async def second():
        rt = _runtime(tmp_path)
        fired: list[str] = []
        rt.scheduler.register("test.note", fired.append)
        await rt.deliveries.run_due()
        assert fired == ["again"]
        rt.store.close()

    run(first())
    run(second())
