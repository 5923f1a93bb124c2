"""StartLiveTail through boto3: the event stream read while other threads put log events."""

from __future__ import annotations

import os
import queue
import threading
import time
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, EventStreamError
from tests.services.logs.conftest import error_of

ACCOUNT = "000000000000"
# StartLiveTail's host prefix (``stream-``) would make a host name no resolver knows
LIVE = Config(inject_host_prefix=False, retries={"max_attempts": 1}, read_timeout=30)


@pytest.fixture
def live(aws_client):
    return aws_client("logs", config=LIVE)


@pytest.fixture
def live_raw(aws_client):
    return aws_client("logs", config=LIVE.merge(Config(parameter_validation=False)))


def arn(group: str, region: str = "us-east-1", account: str = ACCOUNT) -> str:
    return f"arn:aws:logs:{region}:{account}:log-group:{group}"


class Reader:
    """Reads a session's events in a thread, so a test can wait for them with a deadline."""

    def __init__(self, response: dict[str, Any]) -> None:
        self.stream = response["responseStream"]
        self.events: queue.Queue[Any] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        try:
            for event in self.stream:
                self.events.put(event)
        except Exception as exc:
            self.events.put(exc)
        self.events.put(None)

    def next(self, within: float = 10.0) -> Any:
        item = self.events.get(timeout=within)
        if isinstance(item, Exception):
            raise item
        return item

    def results(self, count: int, within: float = 10.0) -> list[dict[str, Any]]:
        """Log events from the updates until ``count`` came (checking each update's shape)."""
        found: list[dict[str, Any]] = []
        deadline = time.monotonic() + within
        while len(found) < count:
            event = self.next(max(0.1, deadline - time.monotonic()))
            assert event is not None, "the stream ended"
            update = event["sessionUpdate"]
            assert update["sessionMetadata"] == {"sampled": False}
            found += update["sessionResults"]
        return found

    def close(self) -> None:
        self.stream.close()


@pytest.fixture
def readers() -> Any:
    opened: list[Reader] = []
    yield opened
    for reader in opened:
        reader.close()


def start(live, readers, **params) -> Reader:
    reader = Reader(live.start_live_tail(**params))
    readers.append(reader)
    return reader


def put(logs, group: str, stream: str, messages: list[str], now_ms: int) -> None:
    try:
        logs.create_log_stream(logGroupName=group, logStreamName=stream)
    except ClientError:
        pass
    logs.put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": now_ms + i, "message": m} for i, m in enumerate(messages)],
    )


def later(seconds: float, work) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(seconds), work()))
    thread.start()
    return thread


def test_events_are_pushed_as_they_are_ingested(live, logs, group, now_ms, readers):
    reader = start(live, readers, logGroupIdentifiers=[arn(group)])
    first = reader.next()["sessionStart"]
    assert first["logGroupIdentifiers"] == [arn(group)]
    assert first["requestId"] and first["sessionId"]
    assert set(first) == {"requestId", "sessionId", "logGroupIdentifiers"}
    stamp = now_ms()
    later(0.2, lambda: put(logs, group, "s1", ["hello", "world"], stamp)).join()
    found = reader.results(2)
    assert [(e["message"], e["logStreamName"], e["timestamp"]) for e in found] == [
        ("hello", "s1", stamp),
        ("world", "s1", stamp + 1),
    ]
    assert all(e["logGroupIdentifier"] == arn(group) for e in found)
    assert all(e["ingestionTime"] >= stamp for e in found)
    # then an update every second, empty when nothing came
    began = time.monotonic()
    assert reader.next()["sessionUpdate"]["sessionResults"] == []
    assert reader.next()["sessionUpdate"]["sessionResults"] == []
    assert 0.5 < time.monotonic() - began < 5


def test_events_before_the_session_are_not_sent(live, logs, group, now_ms, readers):
    put(logs, group, "s", ["old"], now_ms())
    reader = start(live, readers, logGroupIdentifiers=[group])  # a name works too (Cloudlet)
    reader.next()
    put(logs, group, "s", ["new"], now_ms())
    assert [e["message"] for e in reader.results(1)] == ["new"]
    assert reader.next()["sessionUpdate"]["sessionResults"] == []


def test_several_groups_and_a_filter_pattern(live, logs, now_ms, readers):
    a, b, other = (f"/lt/{uuid.uuid4().hex[:8]}" for _ in range(3))
    for g in (a, b, other):
        logs.create_log_group(logGroupName=g)
    reader = start(
        live, readers, logGroupIdentifiers=[arn(a), b], logEventFilterPattern='{ $.level = "ERROR" }'
    )
    started = reader.next()["sessionStart"]
    assert started["logEventFilterPattern"] == '{ $.level = "ERROR" }'
    put(logs, a, "x", ['{"level": "INFO"}', '{"level": "ERROR", "n": 1}'], now_ms())
    put(logs, other, "x", ['{"level": "ERROR", "n": 9}'], now_ms())
    put(logs, b, "y", ["not json", '{"level": "ERROR", "n": 2}'], now_ms())
    found = reader.results(2)
    assert sorted((e["logGroupIdentifier"], e["message"]) for e in found) == sorted(
        [(arn(a), '{"level": "ERROR", "n": 1}'), (b, '{"level": "ERROR", "n": 2}')]
    )


def test_stream_names_and_prefixes(live, logs, group, now_ms, readers):
    named = start(live, readers, logGroupIdentifiers=[arn(group)], logStreamNames=["keep", "also"])
    prefixed = start(live, readers, logGroupIdentifiers=[arn(group)], logStreamNamePrefixes=["app/"])
    assert named.next()["sessionStart"]["logStreamNames"] == ["keep", "also"]
    assert prefixed.next()["sessionStart"]["logStreamNamePrefixes"] == ["app/"]
    for stream in ("keep", "drop", "app/1", "also", "keeper"):
        put(logs, group, stream, [f"in {stream}"], now_ms())
    assert sorted(e["message"] for e in named.results(2)) == ["in also", "in keep"]
    assert [e["message"] for e in prefixed.results(1)] == ["in app/1"]
    assert named.next()["sessionUpdate"]["sessionResults"] == []


in_process = pytest.mark.skipif(
    bool(os.environ.get("CLOUDLET_ENDPOINT")), reason="reaches into an in-process server"
)


@in_process
def test_lambda_logs_reach_a_session(live, group, readers, cloudlet):
    """The in-process LogSink (Lambda's log delivery) pushes to sessions as PutLogEvents does."""
    from cloudlet.services.logs.interface import log_sink

    reader = start(live, readers, logGroupIdentifiers=[group])
    reader.next()
    runtime = cloudlet.app.runtime
    stamp = int(cloudlet.clock()["now"] * 1000)
    cloudlet.call(lambda: log_sink(runtime).put(ACCOUNT, "us-east-1", group, "fn/stream", [(stamp, "START")]))
    assert [(e["logStreamName"], e["message"]) for e in reader.results(1)] == [("fn/stream", "START")]


def test_more_than_500_a_second_are_sampled(live, logs, group, now_ms, readers):
    reader = start(live, readers, logGroupIdentifiers=[group])
    reader.next()
    stamp = now_ms()
    put(logs, group, "busy", [f"m{i:05d}" for i in range(1200)], stamp)
    while True:
        update = reader.next()["sessionUpdate"]
        if update["sessionResults"]:
            break
    assert update["sessionMetadata"] == {"sampled": True}
    messages = [e["message"] for e in update["sessionResults"]]
    assert len(messages) == 500 and messages == sorted(messages)
    assert messages[0] == "m00000"
    following = reader.next()["sessionUpdate"]
    assert following == {"sessionMetadata": {"sampled": False}, "sessionResults": []}


def test_no_more_than_5000_wait_for_an_update(live, logs, group, now_ms, readers):
    reader = start(live, readers, logGroupIdentifiers=[group])
    reader.next()
    # 7,500 events before the next update: the oldest 2,500 are dropped, as AWS's buffer does
    put(logs, group, "s", [f"b{i // 2500}-{i % 2500:04d}" for i in range(7500)], now_ms())
    while True:
        update = reader.next()["sessionUpdate"]
        if update["sessionResults"]:
            break
    messages = [e["message"] for e in update["sessionResults"]]
    assert len(messages) == 500 and update["sessionMetadata"]["sampled"]
    assert messages[0] == "b1-0000"  # the first 2,500 were dropped


def test_a_session_times_out_after_three_hours(live, group, readers, cloudlet):
    reader = start(live, readers, logGroupIdentifiers=[group])
    reader.next()
    cloudlet.advance_clock(2 * 3600)
    assert "sessionUpdate" in reader.next()
    cloudlet.advance_clock(3600)
    with pytest.raises(EventStreamError) as exc:
        while True:
            reader.next()
    assert exc.value.response["Error"]["Code"] == "SessionTimeoutException"


@in_process
def test_a_closed_session_stops_watching(live, logs, group, readers, cloudlet, now_ms):
    reader = start(live, readers, logGroupIdentifiers=[group])
    reader.next()
    tails = cloudlet.call(lambda: cloudlet.app.runtime.load("logs").tails)
    assert cloudlet.call(lambda: tails.watching(ACCOUNT, "us-east-1", group))
    reader.close()
    deadline = time.monotonic() + 10
    while cloudlet.call(lambda: tails.watching(ACCOUNT, "us-east-1", group)):
        assert time.monotonic() < deadline, "the session outlived its reader"
        time.sleep(0.05)
    put(logs, group, "s", ["nobody listens"], now_ms())


@pytest.mark.parametrize(
    ("params", "code", "message"),
    [
        ({"logGroupIdentifiers": ["/no/such/group"]}, "ResourceNotFoundException", "does not exist"),
        ({"logGroupIdentifiers": [arn("/no/such/group")]}, "ResourceNotFoundException", "does not exist"),
        ({"logGroupIdentifiers": []}, "InvalidParameterException", "length greater than or equal to 1"),
        ({"logGroupIdentifiers": [f"/g{i}" for i in range(11)]}, "InvalidParameterException", "less than or equal to 10"),
        ({"logGroupIdentifiers": [arn("g") + ":*"]}, "InvalidParameterException", "regular expression pattern"),
        ({"logGroupIdentifiers": ["arn:aws:logs:us-east-1:000000000000:thing/x"]}, "InvalidParameterException", "Invalid log group identifier"),
        ({"logGroupIdentifiers": ["GROUP"], "logStreamNames": ["a"], "logStreamNamePrefixes": ["b"]}, "InvalidParameterException", "mutually exclusive"),
        ({"logGroupIdentifiers": ["GROUP", "/other"], "logStreamNames": ["a"]}, "InvalidParameterException", "exactly one log group"),
        ({"logGroupIdentifiers": ["GROUP"], "logEventFilterPattern": "{ $.x = "}, "InvalidParameterException", "Invalid filter pattern"),
        ({"logGroupIdentifiers": ["GROUP"], "logStreamNames": ["a:b"]}, "InvalidParameterException", "regular expression pattern"),
    ],
)  # fmt: skip
def test_bad_requests(live_raw, group, params, code, message):
    params = {
        k: [group if v == "GROUP" else v for v in val] if isinstance(val, list) else val
        for k, val in params.items()
    }
    with pytest.raises(ClientError) as exc:
        live_raw.start_live_tail(**params)
    got_code, got_message, status = error_of(exc)
    assert (got_code, status) == (code, 400)
    assert message in got_message


def test_groups_of_other_accounts_and_regions_are_not_found(live, group):
    for other in (arn(group, account="111122223333"), arn(group, region="eu-west-1")):
        with pytest.raises(ClientError) as exc:
            live.start_live_tail(logGroupIdentifiers=[other])
        assert error_of(exc)[0] == "ResourceNotFoundException"
