"""Streams and events: describe streams, PutLogEvents rules, GetLogEvents tokens, FilterLogEvents."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of, raw_call

HOUR = 3_600_000
DAY = 24 * HOUR


def test_streams(logs, group):
    for name in ("b", "a", "c"):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
    with pytest.raises(ClientError) as exc:
        logs.create_log_stream(logGroupName=group, logStreamName="a")
    assert error_of(exc) == ("ResourceAlreadyExistsException", "The specified log stream already exists", 400)
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    assert [s["logStreamName"] for s in streams] == ["a", "b", "c"]
    assert streams[0]["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{group}:log-stream:a"
    assert streams[0]["storedBytes"] == 0
    assert "firstEventTimestamp" not in streams[0]
    by_arn = logs.describe_log_streams(
        logGroupIdentifier=f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    )
    assert len(by_arn["logStreams"]) == 3
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, logGroupIdentifier=group)
    assert error_of(exc) == (
        "ValidationException",
        "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
        400,
    )
    page = logs.describe_log_streams(logGroupName=group, limit=2, descending=True)
    assert [s["logStreamName"] for s in page["logStreams"]] == ["c", "b"]
    rest = logs.describe_log_streams(
        logGroupName=group, limit=2, descending=True, nextToken=page["nextToken"]
    )
    assert [s["logStreamName"] for s in rest["logStreams"]] == ["a"]
    assert "nextToken" not in rest
    with pytest.raises(ClientError) as exc:
        logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", logStreamNamePrefix="a")
    assert error_of(exc)[0] == "InvalidParameterException"
    logs.delete_log_stream(logGroupName=group, logStreamName="b")
    with pytest.raises(ClientError) as exc:
        logs.delete_log_stream(logGroupName=group, logStreamName="b")
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log stream does not exist.", 400)


def test_order_by_last_event_time(logs, group, now_ms):
    t = now_ms()
    for i, name in enumerate(("x", "y", "z")):
        logs.create_log_stream(logGroupName=group, logStreamName=name)
        logs.put_log_events(
            logGroupName=group,
            logStreamName=name,
            logEvents=[{"timestamp": t - (3 - i) * 1000 if name != "x" else t, "message": "m"}],
        )
    streams = logs.describe_log_streams(logGroupName=group, orderBy="LastEventTime", descending=True)[
        "logStreams"
    ]
    assert [s["logStreamName"] for s in streams] == ["x", "z", "y"]
    assert streams[0]["lastEventTimestamp"] == t
    assert streams[0]["uploadSequenceToken"]


def test_put_and_get_with_tokens(logs, group, now_ms):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms() - 60_000
    events = [{"timestamp": t + i, "message": f"event {i}"} for i in range(25)]
    answer = logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=events, sequenceToken="ignored"
    )
    assert answer["nextSequenceToken"]
    assert "rejectedLogEventsInfo" not in answer

    tail = logs.get_log_events(logGroupName=group, logStreamName="s", limit=10)
    assert [e["message"] for e in tail["events"]] == [f"event {i}" for i in range(15, 25)]
    assert tail["nextForwardToken"].startswith("f/") and tail["nextBackwardToken"].startswith("b/")
    assert tail["nextForwardToken"][2:].isdigit()
    back = logs.get_log_events(
        logGroupName=group, logStreamName="s", limit=10, nextToken=tail["nextBackwardToken"]
    )
    assert [e["message"] for e in back["events"]] == [f"event {i}" for i in range(5, 15)]
    e0 = back["events"][0]
    assert e0["timestamp"] == t + 5 and isinstance(e0["ingestionTime"], int)
    end = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=tail["nextForwardToken"])
    assert end["events"] == []
    assert end["nextForwardToken"] == tail["nextForwardToken"]

    head = logs.get_log_events(logGroupName=group, logStreamName="s", startFromHead=True, limit=10)
    assert [e["message"] for e in head["events"]] == [f"event {i}" for i in range(10)]
    collected, token = list(head["events"]), head["nextForwardToken"]
    while True:
        page = logs.get_log_events(
            logGroupName=group, logStreamName="s", startFromHead=True, limit=10, nextToken=token
        )
        if page["nextForwardToken"] == token:
            break
        collected += page["events"]
        token = page["nextForwardToken"]
    assert len(collected) == 25

    ranged = logs.get_log_events(
        logGroupName=group, logStreamName="s", startTime=t + 3, endTime=t + 6, startFromHead=True
    )
    assert [e["message"] for e in ranged["events"]] == ["event 3", "event 4", "event 5"]

    # new events appear after a forward token taken at the end
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t + 100, "message": "late"}]
    )
    later = logs.get_log_events(logGroupName=group, logStreamName="s", nextToken=token, startFromHead=True)
    assert [e["message"] for e in later["events"]] == ["late"]

    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["firstEventTimestamp"] == t and stream["lastEventTimestamp"] == t + 100
    assert stream["storedBytes"] == sum(len(e["message"]) for e in events) + 4
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["storedBytes"] == stream["storedBytes"]


def test_get_errors(logs, group):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=group, logStreamName="s", nextToken="f/nope")
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.", 400)
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=group, logStreamName="s", limit=10001)
    assert error_of(exc) == (
        "InvalidParameterException",
        "1 validation error detected: Value '10001' at 'limit' failed to satisfy constraint: "
        "Member must have value less than or equal to 10000",
        400,
    )
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=group + "x", logStreamName="s")
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log group does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        logs.get_log_events(logGroupName=group, logStreamName="nope")
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log stream does not exist.", 400)


def test_put_refusals(logs, logs_raw, group, now_ms, cloudlet):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms()
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": t, "message": "b"}, {"timestamp": t - 1, "message": "a"}],
        )
    assert error_of(exc) == (
        "InvalidParameterException",
        "Log events in a single PutLogEvents request must be in chronological order.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group, logStreamName="missing", logEvents=[{"timestamp": t, "message": "a"}]
        )
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log stream does not exist.", 400)
    big = "x" * (1_048_576 // 4)
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t, "message": big}] * 4
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs_raw.put_log_events(
            logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t, "message": "a"}] * 10_001
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs.put_log_events(
            logGroupName=group,
            logStreamName="s",
            logEvents=[{"timestamp": t - 2 * DAY, "message": "a"}, {"timestamp": t, "message": "b"}],
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs_raw.put_log_events(
            logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t, "message": None}]
        )
    assert error_of(exc)[0] == "InvalidParameterException"
    status, body = raw_call(
        cloudlet.endpoint, "PutLogEvents", {"logGroupName": group, "logStreamName": "s", "logEvents": [None]}
    )
    assert status == 400 and body["__type"].endswith("InvalidParameterException")
    status, body = raw_call(
        cloudlet.endpoint, "PutLogEvents", {"logGroupName": group, "logStreamName": "s", "logEvents": "x"}
    )
    assert status == 400
    # exactly at the limit is accepted
    exact = "y" * (1_048_576 - 26)
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t, "message": exact}])


def test_rejected_events(logs, group, now_ms):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms()
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": t - 15 * DAY, "message": "old"},
            {"timestamp": t - 15 * DAY + 1, "message": "old2"},
            {"timestamp": t, "message": "ok"},
            {"timestamp": t + 3 * HOUR, "message": "new"},
        ],
    )
    assert answer["rejectedLogEventsInfo"] == {"tooOldLogEventEndIndex": 2, "tooNewLogEventStartIndex": 3}
    got = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in got] == ["ok"]
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    answer = logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[{"timestamp": t - 2 * DAY, "message": "expired"}, {"timestamp": t, "message": "ok2"}],
    )
    assert answer["rejectedLogEventsInfo"] == {"expiredLogEventEndIndex": 1}


def test_retention_expiry_on_the_clock(logs, group, now_ms, cloudlet):
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_retention_policy(logGroupName=group, retentionInDays=1)
    t = now_ms()
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": t - HOUR, "message": "first"}]
    )
    cloudlet.advance_clock(12 * 3600)
    logs.put_log_events(
        logGroupName=group, logStreamName="s", logEvents=[{"timestamp": now_ms(), "message": "second"}]
    )
    cloudlet.advance_clock(12 * 3600)
    got = logs.get_log_events(logGroupName=group, logStreamName="s")["events"]
    assert [e["message"] for e in got] == ["second"]
    stream = logs.describe_log_streams(logGroupName=group)["logStreams"][0]
    assert stream["storedBytes"] == len("second")
    cloudlet.advance_clock(13 * 3600)
    assert logs.get_log_events(logGroupName=group, logStreamName="s")["events"] == []
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["storedBytes"] == 0


def test_thousand_events_in_one_call(logs, group, now_ms):
    logs.create_log_stream(logGroupName=group, logStreamName="bulk")
    t = now_ms()
    logs.put_log_events(
        logGroupName=group,
        logStreamName="bulk",
        logEvents=[{"timestamp": t, "message": f"m{i}"} for i in range(1000)],
    )
    got = logs.get_log_events(logGroupName=group, logStreamName="bulk", startFromHead=True)["events"]
    assert [e["message"] for e in got] == [f"m{i}" for i in range(1000)]


def test_filter_log_events(logs, group, now_ms):
    t = now_ms() - 10_000
    for stream in ("app-1", "app-2", "web"):
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    logs.put_log_events(
        logGroupName=group,
        logStreamName="app-1",
        logEvents=[
            {"timestamp": t, "message": "ERROR disk full"},
            {"timestamp": t + 2, "message": '{"level": "INFO", "latency": 50}'},
        ],
    )
    logs.put_log_events(
        logGroupName=group,
        logStreamName="app-2",
        logEvents=[
            {"timestamp": t + 1, "message": "WARN slow"},
            {"timestamp": t + 3, "message": '{"level": "ERROR", "latency": 500}'},
        ],
    )
    logs.put_log_events(
        logGroupName=group,
        logStreamName="web",
        logEvents=[
            {
                "timestamp": t + 4,
                "message": '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 404 2326',
            },
        ],
    )
    everything = logs.filter_log_events(logGroupName=group)["events"]
    assert [e["timestamp"] for e in everything] == [t, t + 1, t + 2, t + 3, t + 4]
    assert everything[0]["logStreamName"] == "app-1" and everything[0]["eventId"]

    def messages(**kwargs):
        return [e["message"] for e in logs.filter_log_events(logGroupName=group, **kwargs)["events"]]

    assert messages(filterPattern="ERROR") == ["ERROR disk full", '{"level": "ERROR", "latency": 500}']
    assert messages(filterPattern="?WARN ?disk") == ["ERROR disk full", "WARN slow"]
    assert messages(filterPattern="{ $.latency > 100 }") == ['{"level": "ERROR", "latency": 500}']
    assert messages(filterPattern="[ip, user, username, timestamp, request, status = 404, size > 1000]") == [
        '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a HTTP/1.0" 404 2326'
    ]
    assert messages(logStreamNamePrefix="app-") == [e["message"] for e in everything[:4]]
    assert messages(logStreamNames=["app-2"], filterPattern="WARN") == ["WARN slow"]
    assert messages(startTime=t + 1, endTime=t + 3) == ["WARN slow", '{"level": "INFO", "latency": 50}']

    first = logs.filter_log_events(logGroupName=group, limit=2)
    assert len(first["events"]) == 2 and first["nextToken"]
    second = logs.filter_log_events(logGroupName=group, limit=10, nextToken=first["nextToken"])
    assert [e["timestamp"] for e in second["events"]] == [t + 2, t + 3, t + 4]
    assert "nextToken" not in second
    paged = logs.get_paginator("filter_log_events").paginate(
        logGroupName=group, PaginationConfig={"PageSize": 2}
    )
    assert sum(len(p["events"]) for p in paged) == 5

    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group, nextToken="bogus")
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.", 400)
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group, limit=10001)
    assert error_of(exc)[1].endswith("Member must have value less than or equal to 10000")
    with pytest.raises(ClientError) as exc:
        logs.filter_log_events(logGroupName=group, filterPattern="{ $.a = ")
    assert error_of(exc)[0] == "InvalidParameterException"


def test_metric_filters(logs, group):
    transform = [{"metricName": "Errors", "metricNamespace": "App", "metricValue": "1", "defaultValue": 0.0}]
    logs.put_metric_filter(
        logGroupName=group, filterName="errors", filterPattern="ERROR", metricTransformations=transform
    )
    logs.put_metric_filter(
        logGroupName=group,
        filterName="json",
        filterPattern='{$.message = "test"}',
        metricTransformations=transform,
    )
    filters = logs.describe_metric_filters(logGroupName=group)["metricFilters"]
    assert [f["filterName"] for f in filters] == ["errors", "json"]
    assert filters[0]["metricTransformations"] == transform
    assert filters[0]["applyOnTransformedLogs"] is False
    assert filters[0]["logGroupName"] == group
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["metricFilterCount"] == 2
    assert len(logs.describe_metric_filters(metricName="Errors", metricNamespace="App")["metricFilters"]) >= 2
    assert [
        f["filterName"]
        for f in logs.describe_metric_filters(logGroupName=group, filterNamePrefix="j")["metricFilters"]
    ] == ["json"]
    logs.delete_metric_filter(logGroupName=group, filterName="errors")
    with pytest.raises(ClientError) as exc:
        logs.delete_metric_filter(logGroupName=group, filterName="errors")
    assert error_of(exc)[0] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as exc:
        logs.put_metric_filter(
            logGroupName=group, filterName="two", filterPattern="x", metricTransformations=transform * 2
        )
    assert error_of(exc)[1].endswith("Member must have length less than or equal to 1")
    matches = logs.test_metric_filter(filterPattern="ERROR", logEventMessages=["ERROR a", "ok", "ERROR b"])[
        "matches"
    ]
    assert [m["eventNumber"] for m in matches] == [1, 3]


def test_odd_tokens_and_times_answer_400_not_500(logs, group, cloudlet):
    import base64
    import json

    logs.create_log_stream(logGroupName=group, logStreamName="s")
    token = base64.urlsafe_b64encode(json.dumps(["a", "b", "c"]).encode()).decode()
    status, body = raw_call(cloudlet.endpoint, "FilterLogEvents", {"logGroupName": group, "nextToken": token})
    assert (status, body["message"]) == (400, "The specified nextToken is invalid.")
    status, body = raw_call(
        cloudlet.endpoint, "GetLogEvents", {"logGroupName": group, "logStreamName": "s", "startTime": 10**20}
    )
    assert status == 200 and body["events"] == []
