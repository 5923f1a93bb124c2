"""Process helpers for the benchmark: free ports, spawning servers, /proc memory, clean shutdown."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
from pathlib import Path

_LIVE: dict[int, subprocess.Popen[bytes]] = {}


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(cmd: list[str], env: dict[str, str], log_path: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start `cmd` in its own session (so its whole group can be killed), output to `log_path`."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _LIVE[proc.pid] = proc
    return proc


def _children_map() -> dict[int, list[int]]:
    """Map each pid to the pids of its direct children, read from /proc/<pid>/stat."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name sits in parentheses and may hold spaces: split after the last ')'.
        fields = stat.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    return children


def process_tree(pid: int) -> list[int]:
    """Return `pid` and all its live descendants."""
    children = _children_map()
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS of one process in KiB (0 if it is gone or is a zombie)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def tree_rss_mb(pid: int) -> float:
    """Summed VmRSS of a process and its descendants, in MiB (shared pages count once per process)."""
    return sum(rss_kib(p) for p in process_tree(pid)) / 1024.0


def _cpu_ticks(pid: int) -> int:
    """User plus system CPU clock ticks used so far by one process (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time used so far by one process (not its children), in seconds."""
    return _cpu_ticks(pid) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """User plus system CPU time used so far by a process and its live descendants, in seconds."""
    return sum(_cpu_ticks(p) for p in process_tree(pid)) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> tuple[float, float]:
    """CPU seconds of the whole machine so far, summed over its CPUs: (busy, stolen by the host).

    From the `cpu` line of /proc/stat: busy is everything but idle, iowait and steal; (0, 0) when it
    cannot be read.
    """
    try:
        with open("/proc/stat") as stat:
            values = [int(v) for v in stat.readline().split()[1:]]
    except (OSError, ValueError):
        return 0.0, 0.0
    values += [0] * (8 - len(values))
    idle, iowait, steal = values[3], values[4], values[7]
    # The first 8 columns are user nice system idle iowait irq softirq steal; guest time is inside user.
    busy = sum(values[:8]) - idle - iowait - steal
    tick = os.sysconf("SC_CLK_TCK")
    return busy / tick, steal / tick


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop(proc: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """Stop a spawned server: SIGTERM its process group, then SIGKILL the group and any stray descendant."""
    try:
        tree = process_tree(proc.pid) if proc.poll() is None else [proc.pid]
        _signal_group(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            _signal_group(proc.pid, signal.SIGKILL)
            proc.wait(timeout=grace)
        _signal_group(proc.pid, signal.SIGKILL)
        for pid in tree[1:]:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    finally:
        if proc.returncode is not None:
            _LIVE.pop(proc.pid, None)


def stop_all() -> None:
    """Stop every server still running (used on exit, error and Ctrl-C)."""
    for proc in list(_LIVE.values()):
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            stop(proc, grace=2.0)
