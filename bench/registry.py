"""Every workload the runner knows, by name, with the metrics its table shows."""

from __future__ import annotations

from dynamodb import (
    ddb_get,
    ddb_get_sat,
    ddb_put,
    ddb_put_sat,
    ddb_query,
    ddb_update_cond,
    ddb_update_cond_sat,
)
from esm import kinesis_put_records, kinesis_to_function, kinesis_to_function_4, sqs_to_function
from fanout import eventbridge_to_sqs, pattern_match_1000_rules, sns_fanout_filtered
from functions import lambda_async_dest, lambda_cold, lambda_invoke, lambda_invoke_sat, lambda_warm_rss
from identity import kms_decrypt_sat, kms_encrypt_sat, secrets_get_sat, ssm_get_sat
from s3 import (
    s3_get_1k,
    s3_get_1k_sat,
    s3_get_100m,
    s3_get_100m_curl,
    s3_multipart_2g,
    s3_put_1k,
    s3_put_1k_sat,
    s3_put_100m,
    s3_put_100m_curl,
)
from sqs import sqs_cycle, sqs_cycle_sat, sqs_longpoll, sqs_send, sqs_send_sat
from stepfunctions import sfn_express_sync, sfn_map_10k, sfn_standard_sat
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

# Saturation workloads (saturate.py): the summed rate of several client processes, the server's CPU per
# unit of that rate, and how much of one core the server used (≈ 1: it was the bottleneck).
_SAT_CPU = (
    Metric("server_cpu_ms_per_op", "ms", False, "cheaper", "costlier"),
    Metric("server_cpu_util", "cores", True, ratio=False),
)
# Large transfers: MB/s over one connection, and the server's peak resident memory meanwhile.
_LARGE = (Metric("mb_per_s", "MB/s", True), Metric("peak_rss_mb", "MiB", False, "smaller", "larger"))
_SAT_MSGS = (Metric("msgs_per_s", "msg/s", True), *_SAT_CPU)
_SAT_OPS = (Metric("ops_per_s", "op/s", True), *_SAT_CPU)

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
        Workload("sqs_send_sat", sqs_send_sat, _SAT_MSGS),
        Workload("sqs_cycle_sat", sqs_cycle_sat, _SAT_MSGS),
        Workload("ddb_put_sat", ddb_put_sat, _SAT_OPS),
        Workload("ddb_get_sat", ddb_get_sat, _SAT_OPS),
        Workload("ddb_update_cond_sat", ddb_update_cond_sat, _SAT_OPS),
        Workload("secrets_get_sat", secrets_get_sat, _SAT_OPS),
        Workload("lambda_invoke", lambda_invoke, _OPS_METRICS),
        Workload("lambda_invoke_sat", lambda_invoke_sat, _SAT_OPS),
        Workload(
            "lambda_cold",
            lambda_cold,
            (
                Metric("cold_p50_ms", "ms", False),
                Metric("start_p50_ms", "ms", False),
                Metric("start_max_ms", "ms", False),
            ),
        ),
        Workload(
            "lambda_async_dest",
            lambda_async_dest,
            (Metric("p50_ms", "ms", False), Metric("p99_ms", "ms", False)),
        ),
        Workload(
            "lambda_warm_rss",
            lambda_warm_rss,
            (
                Metric("per_env_mb", "MiB", False, "smaller", "larger"),
                Metric("rss_after_mb", "MiB", False, "smaller", "larger"),
            ),
            fresh_server=True,
        ),
        Workload(
            "eventbridge_to_sqs",
            eventbridge_to_sqs,
            (
                Metric("p50_ms", "ms", False),
                Metric("p99_ms", "ms", False),
                Metric("events_per_s", "ev/s", True),
                *_SAT_CPU,
            ),
        ),
        Workload(
            "sns_fanout_filtered",
            sns_fanout_filtered,
            (
                Metric("p50_ms", "ms", False),
                Metric("p99_ms", "ms", False),
                Metric("deliveries_per_s", "msg/s", True),
                *_SAT_CPU,
            ),
        ),
        Workload(
            "pattern_match_1000_rules",
            pattern_match_1000_rules,
            (Metric("events_per_s", "ev/s", True), Metric("us_per_event", "us", False)),
        ),
        Workload(
            "sqs_to_function",
            sqs_to_function,
            (
                Metric("p50_ms", "ms", False),
                Metric("p99_ms", "ms", False),
                Metric("msgs_per_s", "msg/s", True),
                *_SAT_CPU,
            ),
        ),
        Workload(
            "kinesis_to_function", kinesis_to_function, (Metric("records_per_s", "rec/s", True), *_SAT_CPU)
        ),
        Workload(
            "kinesis_to_function_4",
            kinesis_to_function_4,
            (Metric("records_per_s", "rec/s", True), *_SAT_CPU),
        ),
        Workload(
            "kinesis_put_records", kinesis_put_records, (Metric("records_per_s", "rec/s", True), *_SAT_CPU)
        ),
        Workload("ssm_get_sat", ssm_get_sat, _SAT_OPS),
        Workload("kms_encrypt_sat", kms_encrypt_sat, _SAT_OPS),
        Workload("kms_decrypt_sat", kms_decrypt_sat, _SAT_OPS),
        Workload(
            "sfn_standard_sat",
            sfn_standard_sat,
            (
                Metric("executions_per_s", "exec/s", True),
                Metric("state_transitions_per_s", "tr/s", True),
                Metric("server_cpu_ms_per_exec", "ms", False, "cheaper", "costlier"),
                Metric("server_cpu_util", "cores", True, ratio=False),
            ),
        ),
        Workload("sfn_express_sync", sfn_express_sync, _OPS_METRICS),
        Workload(
            "sfn_map_10k",
            sfn_map_10k,
            (
                Metric("wall_s", "s", False),
                Metric("server_s", "s", False),
                Metric("server_cpu_s", "s", False, "cheaper", "costlier"),
            ),
        ),
        Workload("s3_put_1k", s3_put_1k, _OPS_METRICS),
        Workload("s3_get_1k", s3_get_1k, _OPS_METRICS),
        Workload("s3_put_1k_sat", s3_put_1k_sat, _SAT_OPS),
        Workload("s3_get_1k_sat", s3_get_1k_sat, _SAT_OPS),
        Workload("s3_put_100m", s3_put_100m, _LARGE),
        Workload("s3_get_100m", s3_get_100m, _LARGE),
        Workload("s3_put_100m_curl", s3_put_100m_curl, _LARGE),
        Workload("s3_get_100m_curl", s3_get_100m_curl, _LARGE),
        Workload(
            "s3_multipart_2g",
            s3_multipart_2g,
            (*_LARGE, Metric("rss_before_mb", "MiB", False, "smaller", "larger")),
        ),
    )
}
