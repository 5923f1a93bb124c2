"""Saturation throughput: one workload step run back to back by several client processes at once.

The serial workloads send one request at a time over one keep-alive connection, so their rate is
bounded by the whole round trip, the Python client's own cost included. Here `target.clients`
processes (forked, default 3) each open their own connection and run the same step as the serial loop,
so the server nearly always has a request waiting: when it is the bottleneck, the summed rate is what it
sustains. The clients warm up together, then count what completes inside one common window of
`target.duration` seconds (absolute `time.monotonic()` deadlines: CLOCK_MONOTONIC is one clock for
every process). Meanwhile the parent only sleeps and samples CPU at the window's edges: the server's
process tree, each client process, and the whole machine (/proc/stat), so the figures say whether the
server used a whole core (saturated) or was starved by the clients sharing the machine with it.

A workload gives a factory `make(index) -> Client`, called in each client process after the fork (so
the client's connection and requests are its own); whatever the factory captures (queue URLs, table
names, key lists) is set up by the parent beforehand.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from procs import cpu_seconds, machine_cpu_seconds, tree_cpu_seconds
from workloads import MAX_CALLS, Figures, Target

READY_TIMEOUT_S = 60.0  # how long a client process may take to connect and build its requests
# How long after the window the parent waits for a client's counts: a request in flight at the end of
# the window may take up to its socket timeout (10 s at most in these workloads).
REPORT_GRACE_S = 30.0
STOP_GRACE_S = 5.0  # how long a finished client process may take to exit before it is terminated


def _nothing() -> None:
    return None


def _no_totals() -> dict[str, int]:
    return {}


@dataclass
class Client:
    """What one client process runs, built in that process by the workload's factory."""

    step: Callable[[], bool]  # one step of the serial loop; True when it succeeded
    # Units done so far, when a step is not one unit of the rate (sqs_cycle: messages deleted);
    # None: each successful step is one unit.
    units: Callable[[], int] | None = None
    totals: Callable[[], dict[str, int]] = _no_totals  # counters kept since the start, warm-up included
    close: Callable[[], None] = _nothing


@dataclass
class SatResult:
    """What the clients did inside the window and the CPU the processes used meanwhile."""

    clients: int
    window_s: float  # length of the counting window
    sampled_s: float = 0.0  # wall time between the two CPU samples (≈ window_s)
    units: int = 0  # units completed inside the window, over all clients
    ok: int = 0  # successful steps completed inside the window
    errors: int = 0  # failed steps completed inside the window
    server_cpu_s: float = 0.0
    client_cpu_s: float = 0.0  # summed over the client processes
    machine_busy_s: float = 0.0  # every process on the machine, summed over its CPUs
    machine_steal_s: float = 0.0  # time the hypervisor gave to other guests
    totals: dict[str, int] = field(default_factory=dict)  # the clients' `totals`, summed
    per_client: list[dict[str, int]] = field(default_factory=list)  # and each client's, in index order


def saturate(target: Target, make: Callable[[int], Client]) -> SatResult:
    """Run `make(i).step` in `target.clients` processes at once; count what completes in the window."""
    context = multiprocessing.get_context("fork")  # the factory may be a closure: no pickling
    workers: list[tuple[BaseProcess, Connection]] = []
    finished = False
    try:
        for index in range(target.clients):
            ours, theirs = context.Pipe()
            proc = context.Process(
                target=_client_main, args=(make, index, theirs), name=f"bench-client-{index}", daemon=True
            )
            proc.start()
            theirs.close()
            workers.append((proc, ours))
        for _, pipe in workers:
            _receive(pipe, "ready", READY_TIMEOUT_S)
        start = time.monotonic() + target.warmup
        end = start + target.duration
        for _, pipe in workers:
            pipe.send((start, end))
        pids = [proc.pid for proc, _ in workers if proc.pid is not None]
        before = _sample(target.pid, pids, start)
        after = _sample(target.pid, pids, end)
        reports = [_receive(pipe, "done", target.duration + REPORT_GRACE_S) for _, pipe in workers]
        finished = True
    finally:
        _stop(workers, STOP_GRACE_S if finished else 0.0)  # on failure or Ctrl-C: terminate at once
    if not target.alive():
        raise RuntimeError("server exited during the saturation run")
    sampled, server, clients, busy, steal = (b - a for a, b in zip(before, after, strict=True))
    result = SatResult(
        clients=target.clients,
        window_s=end - start,
        sampled_s=sampled,
        server_cpu_s=server,
        client_cpu_s=clients,
        machine_busy_s=busy,
        machine_steal_s=steal,
    )
    for report in reports:
        result.units += report["units"]
        result.ok += report["ok"]
        result.errors += report["errors"]
        result.per_client.append(report["totals"])
        for key, value in report["totals"].items():
            result.totals[key] = result.totals.get(key, 0) + value
    return result


def share(items: list[str], index: int, count: int) -> list[str]:
    """The `index`-th of `count` contiguous, nearly equal slices of `items` (a client's key range)."""
    return items[index * len(items) // count : (index + 1) * len(items) // count]


def sat_figures(result: SatResult, rate_key: str) -> Figures:
    """Summed rate, errors, and CPU per unit and per wall second of the server and the clients."""
    per_unit = 1000 / result.units if result.units else float("nan")
    per_wall = 1 / result.sampled_s if result.sampled_s > 0 else float("nan")
    # Everything else that ran meanwhile (other jobs, kernel threads, this parent), to within the ~0.05
    # core of tick accounting (hence never below 0): on a 2-core machine, server + clients + other ≈ 2
    # with server < 1 means the clients or other jobs starved the server.
    other_s = max(0.0, result.machine_busy_s - result.server_cpu_s - result.client_cpu_s)
    return {
        rate_key: result.units / result.window_s,
        "errors": result.errors,
        "server_cpu_ms_per_op": result.server_cpu_s * per_unit,
        "server_cpu_util": result.server_cpu_s * per_wall,
        "client_cpu_ms_per_op": result.client_cpu_s * per_unit,
        "client_cpu_util": result.client_cpu_s * per_wall,
        "other_cpu_util": other_s * per_wall,
        "cpu_steal": result.machine_steal_s * per_wall,
        "clients": result.clients,
    }


# --- inside a client process -------------------------------------------------------------------


def _client_main(make: Callable[[int], Client], index: int, pipe: Connection) -> None:
    """Build the client, say ready, wait for the window, run it, send the counts."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it stops us
    client: Client | None = None
    try:
        client = make(index)
        pipe.send(("ready", None))
        start, end = pipe.recv()
        pipe.send(("done", _run_window(client, start, end)))
    except EOFError:
        pass  # the parent gave up (another client failed, or Ctrl-C)
    except Exception as exc:  # reported to the parent, which fails the workload with it
        with contextlib.suppress(OSError):
            pipe.send(("error", f"client {index}: {type(exc).__name__}: {exc}"))
    finally:
        if client is not None:
            client.close()
        pipe.close()


def _run_window(client: Client, start: float, end: float) -> dict[str, Any]:
    """Step back to back until `end`; count the steps (and units) that complete in [start, end)."""
    clock = time.monotonic
    step, units = client.step, client.units
    ok = errors = done = calls = 0
    now = clock()
    while now < end and calls < MAX_CALLS:
        units_before = units() if units else 0
        success = step()
        now = clock()
        calls += 1
        if start <= now < end:
            ok += success
            errors += not success
            done += units() - units_before if units else success
    return {"ok": ok, "errors": errors, "units": done, "totals": client.totals()}


# --- in the parent -----------------------------------------------------------------------------


def _receive(pipe: Connection, expected: str, timeout: float) -> Any:
    """The next message of a client process, which must be `expected`; raise on error or silence."""
    if not pipe.poll(timeout):
        raise RuntimeError(f"a client process sent no {expected!r} within {timeout:.0f} s")
    try:
        kind, value = pipe.recv()
    except EOFError:
        raise RuntimeError(f"a client process exited before {expected!r}") from None
    if kind == "error":
        raise RuntimeError(value)
    if kind != expected:
        raise RuntimeError(f"a client process sent {kind!r} instead of {expected!r}")
    return value


def _sample(server_pid: int, client_pids: list[int], at: float) -> tuple[float, ...]:
    """At time `at`: (now, server tree CPU, summed client CPU, machine busy, machine steal), seconds."""
    time.sleep(max(0.0, at - time.monotonic()))
    now = time.monotonic()
    server = tree_cpu_seconds(server_pid)
    clients = sum(cpu_seconds(pid) for pid in client_pids)
    busy, steal = machine_cpu_seconds()
    return now, server, clients, busy, steal


def _stop(workers: list[tuple[BaseProcess, Connection]], grace: float) -> None:
    """Close the pipes (a waiting client then exits), join the processes, terminate any still running
    after `grace` seconds (SIGTERM: run.py's handler makes it a SystemExit, so the client closes)."""
    for _, pipe in workers:
        pipe.close()
    deadline = time.monotonic() + grace
    for proc, _ in workers:
        proc.join(max(0.0, deadline - time.monotonic()))
    for proc, _ in workers:
        if proc.is_alive():
            proc.terminate()
            proc.join(2.0)
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)
