"""The in-process LogSink (what Lambda writes its function logs through), seen through the API."""

from __future__ import annotations

import uuid

from cloudlet.services.logs.interface import log_sink


def test_sink_creates_group_and_stream_on_first_use(cloudlet, logs, now_ms):
    group = f"/aws/lambda/fn-{uuid.uuid4().hex[:8]}"
    stream = "2024/01/01/[$LATEST]abc"
    t = now_ms()
    events = [(t + 1, "END RequestId: r1"), (t, "START RequestId: r1 Version: $LATEST")]

    def write() -> int:
        return log_sink(cloudlet.app.runtime).put("000000000000", "us-east-1", group, stream, events)

    assert cloudlet.call(write) == 2
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["logGroupName"] == group
    got = logs.get_log_events(logGroupName=group, logStreamName=stream, startFromHead=True)["events"]
    assert [e["message"] for e in got] == ["START RequestId: r1 Version: $LATEST", "END RequestId: r1"]
    assert cloudlet.call(write) == 2  # the second time, group and stream already exist
    assert len(logs.filter_log_events(logGroupName=group, filterPattern="START")["events"]) == 2


def test_sink_drops_events_outside_the_window(cloudlet, logs, now_ms):
    group = f"/aws/lambda/old-{uuid.uuid4().hex[:8]}"
    t = now_ms()
    events = [(t - 15 * 86_400_000, "too old"), (t, "kept")]
    stored = cloudlet.call(
        lambda: log_sink(cloudlet.app.runtime).put("000000000000", "us-east-1", group, "s", events)
    )
    assert stored == 1
    got = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in got] == ["kept"]
