"""Every workload the runner knows, by name, with the metrics its table shows."""

from __future__ import annotations

from dynamodb import ddb_get, ddb_put, ddb_query, ddb_update_cond
from sqs import sqs_cycle, sqs_longpoll, sqs_send
from workloads import Metric, Workload, startup, sts_rps, sts_rps_boto3

_RPS_METRICS = (
    Metric("rps", "req/s", True),
    Metric("p50_ms", "ms", False),
    Metric("p99_ms", "ms", False),
)
_OPS_METRICS = (
    Metric("ops_per_s", "op/s", True),
    Metric("p50_ms", "ms", False),
    Metric("p99_ms", "ms", False),
)

WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "startup",
            startup,
            (Metric("startup_s", "s", False), Metric("rss_mb", "MiB", False, "smaller", "larger")),
            fresh_server=True,
        ),
        Workload("sts_rps", sts_rps, _RPS_METRICS),
        Workload("sts_rps_boto3", sts_rps_boto3, _RPS_METRICS),
        Workload(
            "sqs_send",
            sqs_send,
            (
                Metric("msgs_per_s", "msg/s", True),
                Metric("p50_ms", "ms", False),
                Metric("p99_ms", "ms", False),
            ),
        ),
        Workload(
            "sqs_cycle",
            sqs_cycle,
            (
                Metric("msgs_per_s", "msg/s", True),
                Metric("cycle_p50_ms", "ms", False),
                Metric("cycle_p99_ms", "ms", False),
            ),
        ),
        Workload(
            "sqs_longpoll", sqs_longpoll, (Metric("p50_ms", "ms", False), Metric("p99_ms", "ms", False))
        ),
        Workload("ddb_put", ddb_put, _OPS_METRICS),
        Workload("ddb_get", ddb_get, _OPS_METRICS),
        Workload("ddb_update_cond", ddb_update_cond, _OPS_METRICS),
        Workload("ddb_query", ddb_query, _OPS_METRICS),
    )
}
