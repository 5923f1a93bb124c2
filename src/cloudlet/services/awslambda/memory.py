"""The memory setting enforced on execution environments, and the memory they used.

Lambda kills an environment whose processes use more memory than the function's MemorySize
(the invocation fails with ``Runtime exited with error: signal: killed``, Runtime.ExitError)
and reports the peak as ``Max Memory Used``. Here a watcher samples the resident memory of
each busy environment's process tree from ``/proc`` every ``INTERVAL`` seconds and kills a
tree over its limit; a burst allocated and freed between two samples is not seen (Linux
without cgroups offers no cheaper exact bound for an unprivileged process tree).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

log = logging.getLogger("cloudlet.lambda")

INTERVAL = 0.05  # seconds between samples while an environment is busy
_PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


class Watched(Protocol):
    """What the watcher needs of an environment."""

    memory_limit_mb: int
    peak_mb: int

    @property
    def pid(self) -> int | None: ...

    def over_memory(self) -> None: ...


def _children(pid: int) -> list[int]:
    found: list[int] = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_rss_mb(pid: int) -> int:
    """Resident memory of ``pid`` and its descendants in MB (0 where /proc cannot say)."""
    total_kb, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            fields = Path(f"/proc/{current}/statm").read_text().split()
            total_kb += int(fields[1]) * _PAGE_KB
        except (OSError, ValueError, IndexError):
            continue
        todo += _children(current)
    return total_kb // 1024


class MemoryWatch:
    """Samples the busy environments ``busy()`` gives while any is busy."""

    def __init__(self, busy: Callable[[], Iterable[Watched]]) -> None:
        self.busy = busy
        self._task: asyncio.Task[None] | None = None

    def ensure(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._loop())

    def sample(self, env: Watched) -> None:
        pid = env.pid
        if pid is None:
            return
        used = tree_rss_mb(pid)
        env.peak_mb = max(env.peak_mb, used)
        if used > env.memory_limit_mb:
            log.info("Lambda environment %s used %d MB of %d MB: killed", pid, used, env.memory_limit_mb)
            env.over_memory()

    async def _loop(self) -> None:
        while True:
            envs = list(self.busy())
            if not envs:
                return
            for env in envs:
                self.sample(env)
            await asyncio.sleep(INTERVAL)

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
