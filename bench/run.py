"""Benchmark Cloudlet against other local AWS servers, interleaved and repeated.

    python bench/run.py [--repeat N] [--workloads startup,sts_rps] [--peers cloudlet,moto] [--json out.json]

Every repetition starts each peer afresh, one at a time, in round-robin order (rotated by one peer each
repetition), runs the chosen workloads against it, and stops it. All traffic goes to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import procs
from peers import PEERS, REPO, Peer
from registry import WORKLOADS
from report import Run, ratios, summarize, table
from workloads import Target, Workload, choose_op, wait_ready

DEFAULT_PEERS = "cloudlet,cloudlet-file,moto,ministack"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=5, help="repetitions per peer (default 5)")
    parser.add_argument("--workloads", default=",".join(WORKLOADS), help="comma list (default: all)")
    parser.add_argument("--peers", default=DEFAULT_PEERS, help=f"comma list (default: {DEFAULT_PEERS})")
    parser.add_argument("--baseline", default="cloudlet", help="peer the ratios compare against")
    parser.add_argument("--json", type=Path, help="also write the runs and summary to this file")
    parser.add_argument("--duration", type=float, default=3.0, help="seconds measured per rps loop")
    parser.add_argument("--warmup", type=float, default=0.5, help="seconds of warm-up before each loop")
    parser.add_argument(
        "--clients", type=int, default=3, help="client processes of the *_sat workloads (default 3)"
    )
    parser.add_argument(
        "--start-timeout", type=float, default=60.0, help="seconds a server may take to start"
    )
    parser.add_argument(
        "--no-prime", action="store_true", help="skip the unmeasured first start of each peer"
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' scratch dirs and logs")
    args = parser.parse_args(argv)
    args.workloads = _pick(args.workloads, WORKLOADS, "workload", parser)
    args.peers = _pick(args.peers, PEERS, "peer", parser)
    if not 1 <= args.repeat <= 100:
        parser.error("--repeat must be 1..100")
    if not (0 < args.duration <= 60 and 0 <= args.warmup <= 10):
        parser.error("--duration must be in (0, 60] and --warmup in [0, 10]")
    if not 1 <= args.clients <= 32:
        parser.error("--clients must be 1..32")
    return args


def _pick(spec: str, known: dict[str, Any], kind: str, parser: argparse.ArgumentParser) -> list[str]:
    names = [n.strip() for n in spec.split(",") if n.strip()]
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        parser.error(f"unknown {kind}(s) {unknown}; choose from {', '.join(known)}")
    return names


class Session:
    """One spawned server: its process, port and scratch directory."""

    def __init__(self, peer: Peer, scratch: Path, args: argparse.Namespace) -> None:
        self.peer = peer
        self.port = procs.free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix=f"{peer.name}-", dir=scratch))
        self.log = self.workdir / "server.log"
        spawned_at = time.perf_counter()
        self.proc = procs.spawn(
            peer.command(self.port, self.workdir), peer.env(self.port, self.workdir), self.log, self.workdir
        )
        self.target = Target(
            host="127.0.0.1",
            port=self.port,
            pid=self.proc.pid,
            spawned_at=spawned_at,
            alive=lambda: self.proc.poll() is None,
            health_path=peer.health_path,
            health_any_status=peer.health_any_status,
            duration=args.duration,
            warmup=args.warmup,
            start_timeout=args.start_timeout,
            clients=args.clients,
        )

    def log_tail(self, lines: int = 8) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def close(self, keep: bool) -> None:
        procs.stop(self.proc)
        if not keep:
            shutil.rmtree(self.workdir, ignore_errors=True)


def run_one(
    peer: Peer, rep: int, workloads: list[Workload], scratch: Path, args: argparse.Namespace
) -> list[Run]:
    """Start `peer`, run every workload against it, stop it; one Run per workload."""
    try:
        session = Session(peer, scratch, args)
    except OSError as exc:
        return [_failed(w.name, peer.name, rep, f"cannot start: {exc}") for w in workloads]
    runs: list[Run] = []
    try:
        for w in workloads:
            if not w.fresh_server and session.target.op is None:
                wait_ready(session.target)
                session.target.op = choose_op(session.target)
            runs.append(_measure(w, session, rep))
            if w.fresh_server and "error" in runs[-1]:
                raise RuntimeError(runs[-1]["error"])
    except (RuntimeError, TimeoutError) as exc:
        done = {r["workload"] for r in runs}
        runs += [
            _failed(w.name, peer.name, rep, f"server not usable: {exc}")
            for w in workloads
            if w.name not in done
        ]
        print(f"  [{peer.name}] server log tail:\n{session.log_tail()}", flush=True)
    finally:
        session.close(args.keep_logs)
    return runs


def _measure(w: Workload, session: Session, rep: int) -> Run:
    try:
        figures = w.run(session.target)
    except Exception as exc:  # one failed workload must not end the benchmark
        if not isinstance(exc, RuntimeError | TimeoutError):
            traceback.print_exc()
        return _failed(w.name, session.peer.name, rep, f"{type(exc).__name__}: {exc}")
    shown = ", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in figures.items())
    print(f"  rep {rep} {session.peer.name:<14} {w.name:<14} {shown}", flush=True)
    return {"rep": rep, "peer": session.peer.name, "workload": w.name, "figures": figures}


def _failed(workload: str, peer: str, rep: int, error: str) -> Run:
    print(f"  rep {rep} {peer:<14} {workload:<14} FAILED: {error}", flush=True)
    return {"rep": rep, "peer": peer, "workload": workload, "error": error}


def prime(peer: Peer, scratch: Path, args: argparse.Namespace) -> str | None:
    """Start a peer once, unmeasured, and call it, so bytecode and file caches are warm for every rep."""
    try:
        session = Session(peer, scratch, args)
    except OSError as exc:
        return f"cannot start: {exc}"
    try:
        wait_ready(session.target)
        choose_op(session.target)  # imports the modules that serve STS (and the fallback)
        return None
    except (RuntimeError, TimeoutError) as exc:
        return f"{exc}; log tail:\n{session.log_tail()}"
    finally:
        session.close(args.keep_logs)


def ready_peers(
    names: list[str], scratch: Path, args: argparse.Namespace
) -> tuple[list[str], dict[str, str]]:
    """Prepare (and prime) each peer; return those that can run and why the others cannot."""
    usable, skipped = [], {}
    for name in names:
        reason = PEERS[name].prepare()
        if reason is None and not args.no_prime:
            print(f"[bench] priming {name} ...", flush=True)
            reason = prime(PEERS[name], scratch, args)
        if reason:
            print(f"[bench] skipping {name}: {reason}", flush=True)
            skipped[name] = reason
        else:
            usable.append(name)
    return usable, skipped


def run_all(
    peers: list[str], workloads: list[Workload], scratch: Path, args: argparse.Namespace
) -> list[Run]:
    """Every repetition runs every peer once, round-robin, starting one peer later each time."""
    runs: list[Run] = []
    for rep in range(1, args.repeat + 1):
        shift = (rep - 1) % max(len(peers), 1)
        for name in peers[shift:] + peers[:shift]:
            runs += run_one(PEERS[name], rep, workloads, scratch, args)
    return runs


def results(
    runs: list[Run], workloads: list[Workload], skipped: dict[str, str], args: argparse.Namespace
) -> dict[str, Any]:
    """Everything worth keeping from a benchmark, as written to --json (NaN becomes null)."""
    summary = summarize(runs, workloads, args.peers)
    data = {
        "meta": _meta(args),
        "skipped": skipped,
        "summary": summary,
        "ratios": ratios(summary, workloads, args.baseline),
        "runs": runs,
    }
    return json.loads(json.dumps(data), parse_constant=lambda _: None)


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _git_commit(),
        "python": sys.version.split()[0],
        "machine": platform.platform(),
        "cpus": _cpu_count(),
        "repeat": args.repeat,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "clients": args.clients,
        "baseline": args.baseline,
        "versions": {name: PEERS[name].version() for name in args.peers},
    }


def _git_commit() -> str | None:
    done = subprocess.run(
        ["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False
    )
    dirty = subprocess.run(
        ["git", "-C", str(REPO), "status", "--porcelain"], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "") if done.returncode == 0 else None


def _cpu_count() -> int | None:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    workloads = sorted((WORKLOADS[n] for n in args.workloads), key=lambda w: not w.fresh_server)
    scratch = Path(tempfile.mkdtemp(prefix="cloudlet-bench-"))
    try:
        peers, skipped = ready_peers(args.peers, scratch, args)
        runs = run_all(peers, workloads, scratch, args)
    except KeyboardInterrupt:
        print("\n[bench] interrupted; servers stopped", file=sys.stderr)
        return 130
    finally:
        procs.stop_all()
        if args.keep_logs:
            print(f"[bench] logs kept in {scratch}", file=sys.stderr)
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results(runs, workloads, skipped, args), indent=2) + "\n")
    print(table(runs, workloads, args.peers, args.baseline))
    for name, reason in skipped.items():
        print(f"  skipped {name}: {reason.splitlines()[0]}")
    if args.json:
        print(f"[bench] wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
