"""The delivery engine's own figures (Cloudlet only: the peers have no durable delivery engine).

    python bench/delivery.py [--store file|memory] [--count N]

Runs in process on a real store (a file store in a temporary directory by default):

- throughput: deliveries per second to an in-process target that returns at once, each
  delivery enqueued in its own transaction (as a request would) and removed after its attempt;
- latency from enqueue (after its commit) to the target's start, when the target is idle;
- ``advance(86400)`` over 10,000 timers spread over the day: wall time;
- event-loop lag (p50/p99 of a 5 ms ticker's overshoot) while 1,000 deliveries fail and retry
  every second of real time, beside the same ticker with nothing else running.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from cloudlet.config import Config
from cloudlet.core.delivery import Backoff, Policy
from cloudlet.runtime import Runtime
from cloudlet.server import run


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * p))]


async def throughput(rt: Runtime, count: int) -> float:
    engine = rt.deliveries
    done = asyncio.Event()
    seen = 0

    def handler(attempt) -> None:
        nonlocal seen
        seen += 1
        if seen == count:
            done.set()

    engine.register("bench.sink", handler)
    started = time.perf_counter()
    for n in range(count):
        with rt.store.transaction():
            engine.enqueue("bench.sink", {"n": n})
        if n % 64 == 0:
            await asyncio.sleep(0)  # let attempts run, as between requests
    await done.wait()
    while engine.pending("bench.sink"):
        await asyncio.sleep(0.001)
    return count / (time.perf_counter() - started)


async def latency(rt: Runtime, samples: int) -> tuple[float, float]:
    engine = rt.deliveries
    arrived = asyncio.Event()
    marks: list[float] = []

    def handler(attempt) -> None:
        marks.append(time.perf_counter())
        arrived.set()

    engine.register("bench.idle", handler)
    waits: list[float] = []
    for n in range(samples):
        arrived.clear()
        with rt.store.transaction():
            engine.enqueue("bench.idle", n)
        committed = time.perf_counter()
        await arrived.wait()
        waits.append((marks[-1] - committed) * 1000)
        await asyncio.sleep(0.001)  # idle between deliveries
    return statistics.median(waits), pct(waits, 0.99)


async def advance_day(rt: Runtime, timers: int) -> float:
    fired = 0

    def handler(payload) -> None:
        nonlocal fired
        fired += 1

    rt.scheduler.register("bench.timer", handler)
    now = rt.clock.now()
    with rt.store.transaction():
        for n in range(timers):
            rt.scheduler.schedule(now + 1 + n * (86000 / timers), "bench.timer", n)
    started = time.perf_counter()
    await rt.clock.advance(86400)
    took = time.perf_counter() - started
    assert fired == timers, (fired, timers)
    return took


async def ticker_lag(seconds: float) -> list[float]:
    """How late a 5 ms sleep wakes (ms), sample by sample, for ``seconds``."""
    lags: list[float] = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        before = time.perf_counter()
        await asyncio.sleep(0.005)
        lags.append((time.perf_counter() - before - 0.005) * 1000)
    return lags


async def lag_while_retrying(rt: Runtime, count: int, seconds: float) -> tuple[float, float, int]:
    engine = rt.deliveries
    attempts = 0

    def failing(attempt) -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("down")

    engine.register("bench.failing", failing)
    with rt.store.transaction():
        for n in range(count):
            engine.enqueue("bench.failing", n, Policy(backoff=Backoff(base=1.0, factor=1.0)))
    lags = await ticker_lag(seconds)
    return statistics.median(lags), pct(lags, 0.99), attempts


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(in_memory=args.store == "memory", data_dir=tmp)
        rt = Runtime(config)
        await rt.start()
        try:
            rate = await throughput(rt, args.count)
            print(f"throughput: {rate:,.0f} deliveries/s ({args.count:,} deliveries, {args.store} store)")
            p50, p99 = await latency(rt, 2000)
            print(f"enqueue -> target start, idle target: p50 {p50:.3f} ms, p99 {p99:.3f} ms")
            took = await advance_day(rt, 10_000)
            print(f"advance(86400) over 10,000 timers: {took:.2f} s")
            idle = await ticker_lag(5.0)
            print(
                f"event-loop lag, idle (the machine's own): p50 {statistics.median(idle):.2f} ms, p99 {pct(idle, 0.99):.2f} ms"
            )
            p50, p99, attempts = await lag_while_retrying(rt, 1000, 5.0)
            print(
                f"event-loop lag while 1,000 deliveries retry every second: p50 {p50:.2f} ms, "
                f"p99 {p99:.2f} ms ({attempts:,} attempts in 5 s)"
            )
        finally:
            await rt.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--store", choices=("file", "memory"), default="file")
    parser.add_argument("--count", type=int, default=20_000)

    async def entry() -> None:
        await main(parser.parse_args())

    run(entry())
