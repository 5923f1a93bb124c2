"""CloudWatch metrics that services emit, kept per minute as statistic sets.

Services call :meth:`Metrics.record` for each event (a message sent, an invocation) and
register gauge collectors (queue depth, age of the oldest message) that are sampled once
per minute of service time. Data points are aggregated in memory per minute and written
to the store every few seconds; CloudWatch reads them back with :meth:`Metrics.query`.
Metrics are telemetry, not acknowledged writes: a crash may lose the last few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import orjson

from cloudlet.core.background import BackgroundTask
from cloudlet.core.clock import Clock
from cloudlet.store.db import Store

log = logging.getLogger("cloudlet.metrics")

MIGRATIONS = [
    """
    CREATE TABLE metric_points (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        namespace TEXT NOT NULL,
        name TEXT NOT NULL,
        dimensions TEXT NOT NULL,
        minute INTEGER NOT NULL,
        unit TEXT NOT NULL,
        sample_count REAL NOT NULL,
        total REAL NOT NULL,
        minimum REAL NOT NULL,
        maximum REAL NOT NULL,
        PRIMARY KEY (account, region, namespace, name, dimensions, minute)
    );
    CREATE INDEX metric_points_minute ON metric_points (minute)
    """
]

FLUSH_SECONDS = 5.0
Key = tuple[str, str, str, str, str, int]


@dataclass
class Point:
    """One metric's statistic set for one minute."""

    account: str
    region: str
    namespace: str
    name: str
    dimensions: dict[str, str]
    minute: int
    unit: str
    sample_count: float
    total: float
    minimum: float
    maximum: float


def _dims(dimensions: dict[str, str] | None) -> str:
    """Dimensions as canonical JSON (sorted keys), the form they are stored and matched in."""
    if not dimensions:
        return "{}"
    if len(dimensions) == 1:  # the common case (QueueName, FunctionName, ...): no sorting
        return _dims_text(tuple(dimensions.items()))
    return _dims_text(tuple(sorted(dimensions.items())))


@lru_cache(maxsize=4096)
def _dims_text(items: tuple[tuple[str, str], ...]) -> str:
    return orjson.dumps(dict(items)).decode()


Collector = Callable[["Metrics"], None]
_SERIES_KEPT = 65_536  # Series kept for reuse by ``Metrics.series``


class Series:
    """A metric with fixed account, region, namespace, name and dimensions: ``add`` a sample."""

    __slots__ = ("_key", "_minute", "metrics", "prefix", "unit")

    def __init__(self, metrics: Metrics, prefix: tuple[str, str, str, str, str], unit: str) -> None:
        self.metrics = metrics
        self.prefix = prefix
        self.unit = unit
        self._minute = -1
        self._key: Key = (*prefix, -1)

    def add(self, value: float, timestamp: float | None = None) -> None:
        metrics = self.metrics
        minute = int((metrics.clock.now() if timestamp is None else timestamp) // 60)
        if minute != self._minute:
            self._minute, self._key = minute, (*self.prefix, minute)
        stats = metrics._pending.get(self._key)
        if stats is None:
            metrics._pending[self._key] = [self.unit, 1.0, value, value, value]
        else:
            stats[1] += 1
            stats[2] += value
            if value < stats[3]:
                stats[3] = value
            if value > stats[4]:
                stats[4] = value


class Metrics:
    """Per-minute statistic sets; gauges sampled once per service-time minute."""

    def __init__(self, clock: Clock, store: Store) -> None:
        self.clock = clock
        self.store = store
        store.migrate("metrics", MIGRATIONS)
        self._pending: dict[Key, list[Any]] = {}
        self._series: dict[tuple[tuple[str, str, str, str, str], str], Series] = {}
        self._collectors: list[Collector] = []
        self._sampled_minute = -1
        self._background = BackgroundTask(self._loop)
        clock.add_source(self)

    # -- emitting --
    def record(
        self,
        account: str,
        region: str,
        namespace: str,
        name: str,
        value: float,
        unit: str = "Count",
        dimensions: dict[str, str] | None = None,
        timestamp: float | None = None,
    ) -> None:
        self.series(account, region, namespace, name, unit, dimensions).add(value, timestamp)

    def series(
        self,
        account: str,
        region: str,
        namespace: str,
        name: str,
        unit: str = "Count",
        dimensions: dict[str, str] | None = None,
    ) -> Series:
        """One metric's identity, for callers recording it often (its key is built once; the
        same identity answers the same Series)."""
        prefix = (account, region, namespace, name, _dims(dimensions))
        series = self._series.get((prefix, unit))
        if series is None:
            if len(self._series) >= _SERIES_KEPT:
                self._series.clear()
            series = self._series[(prefix, unit)] = Series(self, prefix, unit)
        return series

    def add_collector(self, collector: Collector) -> None:
        """Call ``collector(metrics)`` once per minute to record gauges."""
        self._collectors.append(collector)

    def sample(self) -> None:
        """Run the gauge collectors if this minute was not sampled yet."""
        minute = int(self.clock.now() // 60)
        if minute == self._sampled_minute:
            return
        self._sampled_minute = minute
        for collector in self._collectors:
            try:
                collector(self)
            except Exception:
                log.exception("metric collector failed")

    # -- TimerSource: sampled after every clock advance, never a step target --
    def next_due(self) -> float | None:
        return None

    async def run_due(self) -> int:
        self.sample()
        return 0

    # -- storing and reading --
    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, {}
        with self.store.transaction():
            for (account, region, namespace, name, dims, minute), (unit, n, total, lo, hi) in pending.items():
                self.store.execute(
                    "INSERT INTO metric_points VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (account, region, namespace, name, dimensions, minute) DO UPDATE SET "
                    "sample_count = metric_points.sample_count + excluded.sample_count, "
                    "total = metric_points.total + excluded.total, "
                    "minimum = MIN(metric_points.minimum, excluded.minimum), "
                    "maximum = MAX(metric_points.maximum, excluded.maximum)",
                    (account, region, namespace, name, dims, minute, unit, n, total, lo, hi),
                )

    def query(
        self,
        account: str,
        region: str,
        namespace: str,
        name: str,
        start: float,
        end: float,
        dimensions: dict[str, str] | None = None,
    ) -> list[Point]:
        """Points of one metric (exact dimensions) with minutes in [start, end)."""
        self.flush()
        last = int(-(-end // 60)) if math.isfinite(end) else 2**62
        rows = self.store.all(
            "SELECT * FROM metric_points WHERE account = ? AND region = ? AND namespace = ? AND name = ? "
            "AND dimensions = ? AND minute >= ? AND minute < ? ORDER BY minute",
            (account, region, namespace, name, _dims(dimensions), int(start // 60), last),
        )
        return [self._point(r) for r in rows]

    def names(
        self, account: str, region: str, namespace: str | None = None
    ) -> Iterable[tuple[str, str, str]]:
        """Distinct (namespace, name, dimensions-json) recorded in an account and region."""
        self.flush()
        sql = (
            "SELECT DISTINCT namespace, name, dimensions FROM metric_points WHERE account = ? AND region = ?"
        )
        params: list[Any] = [account, region]
        if namespace is not None:
            sql += " AND namespace = ?"
            params.append(namespace)
        return [(r[0], r[1], r[2]) for r in self.store.all(sql, params)]

    @staticmethod
    def _point(row: Any) -> Point:
        return Point(
            row["account"],
            row["region"],
            row["namespace"],
            row["name"],
            orjson.loads(row["dimensions"]),
            row["minute"],
            row["unit"],
            row["sample_count"],
            row["total"],
            row["minimum"],
            row["maximum"],
        )

    # -- background --
    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.sample()
            try:
                self.flush()
            except Exception:
                log.exception("metric flush failed")

    def start(self) -> None:
        self._background.start()

    async def stop(self) -> None:
        await self._background.stop()
        self.flush()

    def clear(self) -> None:
        self._pending.clear()
        self._sampled_minute = -1
