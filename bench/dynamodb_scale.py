"""Does Cloudlet's DynamoDB stay as fast on a big table as on a small one? (Cloudlet only, file store.)

    python bench/dynamodb_scale.py [--items 1000000] [--threads 3] [--calls 3000] [--keep-data]

Starts Cloudlet with a file store, loads a small table (1,000 items) and a big one (`--items`, default
1,000,000) of ~100-byte items in partitions of 100 (hash key `pk`, numeric range key `sk`) with
BatchWriteItem of 25 items over `--threads` keep-alive connections, then measures GetItem and Query
(Limit 25 in one partition) at random keys on both tables, interleaved in rounds, and prints p50/p99
latency and the ratio big/small (target: within 1.5x), the load rate, the data directory's size and
the server's RSS after loading.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import procs
from dynamodb import COUNT_RE, DdbClient, batch_write
from peers import CloudletPeer
from run import Session
from workloads import NETWORK_ERRORS, percentile_ms, wait_ready

SMALL_ITEMS = 1_000
PARTITION_SIZE = 100  # items per partition (sk 0..99)
BATCH = 25  # items per BatchWriteItem
QUERY_LIMIT = 25
DATA = "v" * 82  # pk 2+8, sk 2+~2, data 4+82: ~100 bytes as DynamoDB counts item size
ROUNDS = 5  # the measured calls are split into rounds that alternate between the tables
WARMUP_CALLS = 200  # unmeasured calls per table and operation first
TARGET_RATIO = 1.5
PROGRESS_S = 5.0  # seconds between progress lines while loading


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--items", type=int, default=1_000_000, help="items in the big table")
    parser.add_argument("--threads", type=int, default=3, help="loading connections (default 3)")
    parser.add_argument("--calls", type=int, default=3000, help="measured calls per table and operation")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random keys")
    parser.add_argument(
        "--start-timeout", type=float, default=60.0, help="seconds Cloudlet may take to start"
    )
    parser.add_argument("--keep-data", action="store_true", help="keep the server's scratch dir and log")
    args = parser.parse_args(argv)
    if args.items < PARTITION_SIZE or args.items % PARTITION_SIZE:
        parser.error(f"--items must be a positive multiple of {PARTITION_SIZE}")
    if not 1 <= args.threads <= 8:
        parser.error("--threads must be 1..8")
    if not 100 <= args.calls <= 1_000_000:
        parser.error("--calls must be 100..1,000,000")
    # Session (run.py) reads these; this script has no timed loops of its own.
    args.duration, args.warmup, args.clients = 0.0, 0.0, 1
    return args


def partition_key(p: int) -> str:
    return f"p{p:07d}"


def item(p: int, sort: int) -> dict[str, dict[str, str]]:
    return {"pk": {"S": partition_key(p)}, "sk": {"N": str(sort)}, "data": {"S": DATA}}


# --- loading -----------------------------------------------------------------------------------


@dataclass
class Loader:
    """Loads `partitions` partitions of PARTITION_SIZE items over several connections, in threads."""

    session: Session
    table: str
    partitions: int
    threads: int
    written: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def work(self, first: int) -> None:
        """Thread body: partitions first, first + threads, ...; each in batches of BATCH items."""
        client = DdbClient(self.session.target, timeout=60.0)
        try:
            for p in range(first, self.partitions, self.threads):
                if self.errors:
                    return
                for start in range(0, PARTITION_SIZE, BATCH):
                    batch = [item(p, s) for s in range(start, min(start + BATCH, PARTITION_SIZE))]
                    sent = batch_write(client, self.table, batch)
                    with self.lock:
                        self.written += len(batch)
                        self.requests += sent
        except (RuntimeError, *NETWORK_ERRORS) as exc:
            with self.lock:
                self.errors.append(f"{type(exc).__name__}: {exc}")
        finally:
            client.close()

    def run(self) -> float:
        """Load everything, printing progress; items per second."""
        total = self.partitions * PARTITION_SIZE
        workers = [
            threading.Thread(target=self.work, args=(i,), daemon=True)
            for i in range(min(self.threads, self.partitions))
        ]
        started = time.perf_counter()
        for w in workers:
            w.start()
        next_progress = started + PROGRESS_S
        while alive := [w for w in workers if w.is_alive()]:
            alive[0].join(0.1)
            if time.perf_counter() >= next_progress:
                self.progress(total, time.perf_counter() - started)
                next_progress += PROGRESS_S
        elapsed = time.perf_counter() - started
        if self.errors:
            raise RuntimeError(f"loading {self.table} failed: {self.errors[0]}")
        if self.written != total:
            raise RuntimeError(f"loading {self.table} wrote {self.written} of {total} items")
        return total / elapsed if elapsed else float("nan")

    def progress(self, total: int, elapsed: float) -> None:
        written = self.written
        rate = written / elapsed if elapsed else 0.0
        eta = (total - written) / rate if rate else float("nan")
        rss = procs.tree_rss_mb(self.session.proc.pid)
        print(
            f"  {self.table}: {written:,}/{total:,} items ({100 * written / total:.0f}%), "
            f"{rate:,.0f} items/s, eta {eta:.0f} s, server rss {rss:.0f} MiB",
            flush=True,
        )


def load_table(session: Session, client: DdbClient, name: str, items: int, threads: int) -> tuple[str, float]:
    """Create and load a table; its name (as the server returned it) and the load rate in items/s."""
    table = client.create_table(name, "pk", ("sk", "N"))
    print(f"[scale] loading {items:,} items into {table} over {threads} connections ...", flush=True)
    loader = Loader(session, table, items // PARTITION_SIZE, threads)
    rate = loader.run()
    print(
        f"[scale] {table}: {items:,} items loaded at {rate:,.0f} items/s "
        f"({loader.requests:,} BatchWriteItem requests)",
        flush=True,
    )
    return table, rate


# --- measuring ---------------------------------------------------------------------------------


@dataclass
class Probe:
    """Random GetItem or Query requests on one table, pre-built, and the latencies measured."""

    client: DdbClient
    table: str
    partitions: int
    op: str
    rng: random.Random
    latencies_ns: list[int] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    def requests(self, n: int) -> list[tuple[bytes, bytes]]:
        """`n` pre-built requests at random keys, each with a fragment its answer must contain."""
        built = []
        for _ in range(n):
            p = self.rng.randrange(self.partitions)
            key = {"pk": {"S": partition_key(p)}}
            if self.op == "GetItem":
                sort = self.rng.randrange(PARTITION_SIZE)
                params = {"TableName": self.table, "Key": {**key, "sk": {"N": str(sort)}}}
            else:
                params = {
                    "TableName": self.table,
                    "KeyConditionExpression": "pk = :p",
                    "ExpressionAttributeValues": {":p": key["pk"]},
                    "Limit": QUERY_LIMIT,
                }
            built.append((self.client.request(self.op, params), json.dumps(partition_key(p)).encode()))
        return built

    def run(self, n: int, record: bool = True) -> None:
        """`n` calls at random keys; latencies of good answers are kept when `record`."""
        clock = time.perf_counter_ns
        for payload, fragment in self.requests(n):
            before = clock()
            status, body = self.client.post(payload)
            after = clock()
            if self.good(status, body, fragment):
                if record:
                    self.latencies_ns.append(after - before)
            elif record:
                self.errors += 1
                self.first_error = self.first_error or f"{self.op} answered {status}: {body[:200]!r}"

    def good(self, status: int, body: bytes, fragment: bytes) -> bool:
        if status != 200 or fragment not in body:
            return False
        if self.op == "GetItem":
            return b'"Item"' in body
        count = COUNT_RE.search(body)
        return count is not None and int(count.group(1)) == QUERY_LIMIT

    def p(self, q: float) -> float:
        return percentile_ms(sorted(self.latencies_ns), q)


def measure(
    client: DdbClient, tables: dict[str, tuple[str, int]], calls: int, seed: int
) -> dict[tuple[str, str], Probe]:
    """GetItem and Query on each table: a warm-up, then ROUNDS rounds that alternate between tables."""
    rng = random.Random(seed)
    probes = {
        (label, op): Probe(client, table, items // PARTITION_SIZE, op, rng)
        for label, (table, items) in tables.items()
        for op in ("GetItem", "Query")
    }
    for probe in probes.values():
        probe.run(WARMUP_CALLS, record=False)
    per_round = [calls // ROUNDS + (i < calls % ROUNDS) for i in range(ROUNDS)]
    for i, n in enumerate(per_round):
        # Alternate which table goes first, so a drift of the machine does not favour one.
        order = list(probes.items()) if i % 2 == 0 else list(reversed(probes.items()))
        for _, probe in order:
            probe.run(n)
    return probes


# --- report ------------------------------------------------------------------------------------


def dir_sizes(path: Path) -> dict[str, tuple[int, int]]:
    """Apparent size and allocated bytes of each file under a directory, by relative path."""
    sizes = {}
    for root, _, files in os.walk(path):
        for name in files:
            file = Path(root, name)
            try:
                st = file.stat()
            except OSError:
                continue
            sizes[str(file.relative_to(path))] = (st.st_size, st.st_blocks * 512)
    return sizes


def size_line(sizes: dict[str, tuple[int, int]]) -> str:
    """Total apparent and allocated MiB of a directory, and its biggest files."""
    apparent = sum(a for a, _ in sizes.values()) / 2**20
    allocated = sum(b for _, b in sizes.values()) / 2**20
    biggest = sorted(sizes.items(), key=lambda kv: -kv[1][0])[:3]
    files = ", ".join(f"{name} {a / 2**20:,.1f}" for name, (a, _) in biggest)
    return f"{apparent:,.1f} MiB (allocated {allocated:,.1f} MiB; {files})"


def report(probes: dict[tuple[str, str], Probe], big_items: int) -> None:
    print(f"\n== latency, small ({SMALL_ITEMS:,} items) vs big ({big_items:,} items) ==")
    print(f"  {'op':<8} {'table':<6} {'calls':>6} {'errors':>6} {'p50_ms':>8} {'p99_ms':>8}")
    for (label, op), probe in probes.items():
        print(
            f"  {op:<8} {label:<6} {len(probe.latencies_ns):>6} {probe.errors:>6} "
            f"{probe.p(0.50):>8.3f} {probe.p(0.99):>8.3f}"
        )
    for (_, op), probe in probes.items():
        if probe.first_error:
            print(f"  first error ({op}): {probe.first_error}")
    print(f"\n== ratio big/small (target: within {TARGET_RATIO}x) ==")
    for op in ("GetItem", "Query"):
        small, big = probes[("small", op)], probes[("big", op)]
        parts = []
        for name, q in (("p50", 0.50), ("p99", 0.99)):
            ratio = big.p(q) / small.p(q)
            verdict = "ok" if ratio <= TARGET_RATIO else "OVER"
            parts.append(f"{name} {ratio:.2f}x {verdict}")
        print(f"  {op:<8} " + ", ".join(parts))


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    peer = CloudletPeer("cloudlet-file", file_store=True)
    reason = peer.prepare()
    if reason:
        print(f"[scale] cannot run Cloudlet: {reason}", file=sys.stderr)
        return 1
    scratch = Path(tempfile.mkdtemp(prefix="cloudlet-ddb-scale-"))
    session: Session | None = None
    try:
        session = Session(peer, scratch, args)
        wait_ready(session.target)
        data_dir = session.workdir / "data"
        print(f"[scale] Cloudlet pid {session.proc.pid} on port {session.port}, data in {data_dir}")
        rss_idle = procs.tree_rss_mb(session.proc.pid)
        client = DdbClient(session.target, timeout=60.0)
        small, small_rate = load_table(session, client, "scale-small", SMALL_ITEMS, args.threads)
        big, big_rate = load_table(session, client, "scale-big", args.items, args.threads)
        rss_loaded = procs.tree_rss_mb(session.proc.pid)
        data_size = size_line(dir_sizes(data_dir))
        print(f"[scale] measuring {args.calls} GetItem and Query calls per table ...", flush=True)
        tables = {"small": (small, SMALL_ITEMS), "big": (big, args.items)}
        probes = measure(client, tables, args.calls, args.seed)
        rss_after = procs.tree_rss_mb(session.proc.pid)
        data_size_end = size_line(dir_sizes(data_dir))
        client.close()
    except (RuntimeError, TimeoutError, OSError) as exc:
        print(f"[scale] failed: {type(exc).__name__}: {exc}", file=sys.stderr)
        if session:
            print(f"[scale] server log tail:\n{session.log_tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\n[scale] interrupted; server stopped", file=sys.stderr)
        return 130
    finally:
        if session:
            session.close(keep=args.keep_data)
        procs.stop_all()
        if args.keep_data:
            print(f"[scale] data kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n== load ==")
    print(f"  small: {SMALL_ITEMS:,} items at {small_rate:,.0f} items/s")
    print(f"  big:   {args.items:,} items at {big_rate:,.0f} items/s")
    print(f"  data dir after loading: {data_size}")
    print(f"  data dir after measuring: {data_size_end}")
    print(
        f"  server rss: {rss_idle:.0f} MiB idle, {rss_loaded:.0f} MiB after loading, "
        f"{rss_after:.0f} MiB after measuring"
    )
    report(probes, args.items)
    return 0


if __name__ == "__main__":
    sys.exit(main())
