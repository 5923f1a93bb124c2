"""CloudWatch Logs after kill -9 and a restart on the same data directory."""

from __future__ import annotations

from cloudlet.testing.server import ServerProcess, client


def test_groups_events_and_retention_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        logs = client("logs", server.endpoint)
        logs.create_log_group(logGroupName="/d/app", tags={"k": "v"})
        logs.create_log_stream(logGroupName="/d/app", logStreamName="s")
        logs.put_retention_policy(logGroupName="/d/app", retentionInDays=1)
        now = int(server.admin("/_cloudlet/clock")["now"] * 1000)
        logs.put_log_events(
            logGroupName="/d/app",
            logStreamName="s",
            logEvents=[{"timestamp": now - 1000 + i, "message": f"line {i}"} for i in range(100)],
        )
        logs.put_metric_filter(
            logGroupName="/d/app",
            filterName="f",
            filterPattern="line",
            metricTransformations=[{"metricName": "m", "metricNamespace": "n", "metricValue": "1"}],
        )
    finally:
        server.kill()
    server.start()
    try:
        logs = client("logs", server.endpoint)
        [g] = logs.describe_log_groups(logGroupNamePrefix="/d/")["logGroups"]
        assert g["retentionInDays"] == 1 and g["metricFilterCount"] == 1
        assert logs.list_tags_log_group(logGroupName="/d/app")["tags"] == {"k": "v"}
        got = logs.get_log_events(logGroupName="/d/app", logStreamName="s", startFromHead=True)["events"]
        assert [e["message"] for e in got] == [f"line {i}" for i in range(100)]
        server.admin("/_cloudlet/clock", {"advance": 86_400 + 60})
        assert logs.get_log_events(logGroupName="/d/app", logStreamName="s")["events"] == []
    finally:
        server.kill()
