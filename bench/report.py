"""Summaries of benchmark runs: medians per peer, the results table and baseline ratios."""

from __future__ import annotations

import math
import statistics
from typing import Any

from workloads import Metric, Workload

Run = dict[str, Any]  # {"rep", "peer", "workload", "figures" | "error"}


def fmt(value: float) -> str:
    """A number with about three significant figures, never in exponent form."""
    if not math.isfinite(value):
        return str(value)
    size = abs(value)
    if value == int(value) and size < 1e15:
        return str(int(value))
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


def _numbers(runs: list[Run], workload: str, peer: str, key: str) -> list[float]:
    values = []
    for run in runs:
        if run["workload"] == workload and run["peer"] == peer and "figures" in run:
            value = run["figures"].get(key)
            if isinstance(value, int | float) and math.isfinite(value):
                values.append(float(value))
    return values


def stats(values: list[float]) -> dict[str, float] | None:
    if not values:
        return None
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def summarize(runs: list[Run], workloads: list[Workload], peers: list[str]) -> dict[str, Any]:
    """{workload: {metric: {peer: {median, min, max, n}}}} over every successful run."""
    return {
        w.name: {m.key: {p: stats(_numbers(runs, w.name, p, m.key)) for p in peers} for m in w.metrics}
        for w in workloads
    }


def ratio_text(metric: Metric, baseline: float, other: float) -> str:
    """How the baseline compares with another peer on one metric, e.g. '3.2x faster'."""
    if baseline <= 0 or other <= 0:
        return "n/a"
    ratio = baseline / other if metric.higher_is_better else other / baseline
    return f"{ratio:.1f}x {metric.better}" if ratio >= 1 else f"{1 / ratio:.1f}x {metric.worse}"


def ratios(summary: dict[str, Any], workloads: list[Workload], baseline: str) -> dict[str, Any]:
    """{workload: {peer: {metric: text}}} comparing each peer's median with the baseline's."""
    out: dict[str, Any] = {}
    for w in workloads:
        per_peer: dict[str, dict[str, str]] = {}
        for m in (m for m in w.metrics if m.ratio):
            base = summary[w.name][m.key].get(baseline)
            for peer, st in summary[w.name][m.key].items():
                if peer != baseline and base and st:
                    per_peer.setdefault(peer, {})[m.key] = ratio_text(m, base["median"], st["median"])
        out[w.name] = per_peer
    return out


def _notes(runs: list[Run], workload: str, peer: str, metric_keys: set[str]) -> str:
    """Distinct text figures, medians of the other numeric figures, and failures of one peer."""
    mine = [r for r in runs if r["workload"] == workload and r["peer"] == peer]
    texts: dict[str, set[str]] = {}
    extra: dict[str, list[float]] = {}
    for run in mine:
        for key, value in run.get("figures", {}).items():
            if isinstance(value, str):
                texts.setdefault(key, set()).add(value)
            elif key not in metric_keys and math.isfinite(value):
                extra.setdefault(key, []).append(float(value))
    parts = [f"{k}={'|'.join(sorted(v))}" for k, v in texts.items()]
    parts += [f"{k}~{fmt(statistics.median(v))}" for k, v in extra.items()]
    failed = [r["error"] for r in mine if "error" in r]
    if failed:
        parts.append(f"FAILED {len(failed)}/{len(mine)}: {failed[0]}")
    return ", ".join(parts)


def table(runs: list[Run], workloads: list[Workload], peers: list[str], baseline: str) -> str:
    """The human-readable results: one block per workload, then baseline ratios and notes."""
    summary = summarize(runs, workloads, peers)
    rat = ratios(summary, workloads, baseline)
    width = max([len(p) for p in peers] + [8]) + 2
    lines: list[str] = []
    for w in workloads:
        lines.append(f"\n== {w.name} ==  (median [min..max] over the repetitions)")
        heads = [f"{m.key} ({m.unit})" for m in w.metrics]
        lines.append("  " + "peer".ljust(width) + "".join(h.ljust(26) for h in heads))
        for peer in peers:
            cells = []
            for m in w.metrics:
                st = summary[w.name][m.key][peer]
                cells.append(f"{fmt(st['median'])} [{fmt(st['min'])}..{fmt(st['max'])}]" if st else "-")
            lines.append("  " + peer.ljust(width) + "".join(c.ljust(26) for c in cells))
        for peer, texts in rat[w.name].items():
            lines.append(f"  {baseline}/{peer}: " + ", ".join(f"{k} {v}" for k, v in texts.items()))
        keys = {m.key for m in w.metrics}
        for peer in peers:
            note = _notes(runs, w.name, peer, keys)
            if note:
                lines.append(f"  note {peer}: {note}")
    if baseline not in peers:
        lines.append(f"\n(no ratios: the baseline {baseline!r} is not among the peers; see --baseline)")
    return "\n".join(line.rstrip() for line in lines)
