"""Archives and replays: the recorded AWS answers and errors, archiving with a pattern,
replaying into a new rule (events carry ``replay-name``), a time window, cancelling,
retention on the service clock, bad input, and a replay that survives kill -9."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from botocore.exceptions import ClientError
from tests.services.events.conftest import error_of, unique
from tests.services.events.test_put_events import DETAIL, PATTERN, SOURCE, entry, receive

from cloudlet.services.events.archives import REPLAY_START_DELAY
from cloudlet.testing.server import ServerProcess, client

ARCHIVE_PATTERN = json.dumps(
    {"source": [SOURCE], "detail-type": [SOURCE], "detail": {"command": ["update-account"]}}
)
ACCOUNT = "000000000000"


def when(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


@pytest.fixture(params=["default", "custom"])
def bus(request, events):
    """(name, ARN) of the default bus or of a new custom bus."""
    if request.param == "default":
        yield "default", events.describe_event_bus()["Arn"]
        return
    name = unique("arch-bus")
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    yield name, arn
    for archive in events.list_archives(EventSourceArn=arn)["Archives"]:
        events.delete_archive(ArchiveName=archive["ArchiveName"])
    events.delete_event_bus(Name=name)


@pytest.fixture
def custom_bus(events):
    name = unique("arch-bus")
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    yield name, arn
    for archive in events.list_archives(EventSourceArn=arn)["Archives"]:
        events.delete_archive(ArchiveName=archive["ArchiveName"])
    for rule in events.list_rules(EventBusName=name)["Rules"]:
        ids = [t["Id"] for t in events.list_targets_by_rule(Rule=rule["Name"], EventBusName=name)["Targets"]]
        if ids:
            events.remove_targets(Rule=rule["Name"], EventBusName=name, Ids=ids)
        events.delete_rule(Name=rule["Name"], EventBusName=name)
    events.delete_event_bus(Name=name)


def wire_rule(events, bus_name: str, queue_arn: str) -> str:
    """A new rule on ``bus_name`` matching the test events, with the queue as its target."""
    rule = unique("replay-rule")
    arn = events.put_rule(Name=rule, EventBusName=bus_name, EventPattern=PATTERN)["RuleArn"]
    events.put_targets(Rule=rule, EventBusName=bus_name, Targets=[{"Id": "q", "Arn": queue_arn}])
    return arn


def wait_state(events, name: str, state: str, wait: float = 10.0) -> dict:
    deadline = time.monotonic() + wait
    while True:
        replay = events.describe_replay(ReplayName=name)
        if replay["State"] == state or time.monotonic() > deadline:
            return replay
        time.sleep(0.1)


def now_of(cloudlet) -> float:
    return cloudlet.clock()["now"]


# ---- archives -------------------------------------------------------------------------


def test_create_list_describe_update_delete_archive(events, bus):
    _, bus_arn = bus
    name = unique("archive")
    created = events.create_archive(
        ArchiveName=name,
        EventSourceArn=bus_arn,
        Description="description of the archive",
        EventPattern=ARCHIVE_PATTERN,
        RetentionDays=1,
    )
    assert created["ArchiveArn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:archive/{name}"
    assert created["State"] == "ENABLED" and isinstance(created["CreationTime"], dt.datetime)
    listed = events.list_archives(NamePrefix=name)["Archives"]
    assert listed == [
        {
            "ArchiveName": name,
            "EventSourceArn": bus_arn,
            "State": "ENABLED",
            "RetentionDays": 1,
            "SizeBytes": 0,
            "EventCount": 0,
            "CreationTime": created["CreationTime"],
        }
    ]
    described = events.describe_archive(ArchiveName=name)
    described.pop("ResponseMetadata")
    assert described == {
        "ArchiveArn": created["ArchiveArn"],
        "ArchiveName": name,
        "EventSourceArn": bus_arn,
        "Description": "description of the archive",
        "EventPattern": ARCHIVE_PATTERN,
        "State": "ENABLED",
        "RetentionDays": 1,
        "SizeBytes": 0,
        "EventCount": 0,
        "CreationTime": created["CreationTime"],
    }
    updated = events.update_archive(ArchiveName=name, Description="changed", RetentionDays=3)
    assert (updated["ArchiveArn"], updated["State"]) == (created["ArchiveArn"], "ENABLED")
    assert updated["CreationTime"] == created["CreationTime"]
    described = events.describe_archive(ArchiveName=name)
    assert (described["Description"], described["RetentionDays"]) == ("changed", 3)
    events.delete_archive(ArchiveName=name)
    assert events.list_archives(NamePrefix=name)["Archives"] == []


def test_archive_errors(events, events_raw, custom_bus):
    _, bus_arn = custom_bus
    missing = unique("nobus")
    with pytest.raises(ClientError) as exc:
        events.create_archive(
            ArchiveName=unique("a"), EventSourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{missing}"
        )
    assert error_of(exc) == ("ResourceNotFoundException", f"Event bus {missing} does not exist.", 400)
    name = unique("archive")
    events.create_archive(ArchiveName=name, EventSourceArn=bus_arn)
    with pytest.raises(ClientError) as exc:
        events.create_archive(ArchiveName=name, EventSourceArn=bus_arn)
    assert error_of(exc) == ("ResourceAlreadyExistsException", f"Archive {name} already exists.", 400)
    unknown = unique("noarchive")
    for call in (events.describe_archive, events.delete_archive):
        with pytest.raises(ClientError) as exc:
            call(ArchiveName=unknown)
        assert error_of(exc) == ("ResourceNotFoundException", f"Archive {unknown} does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        events.update_archive(ArchiveName=unknown)
    assert error_of(exc) == (
        "ValidationException",
        "At least one of EventPattern, RetentionDays or Description must be provided.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.update_archive(ArchiveName=unknown, Description="x")
    assert error_of(exc)[:2] == ("ResourceNotFoundException", f"Archive {unknown} does not exist.")
    with pytest.raises(ClientError) as exc:
        events.list_archives(EventSourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{missing}")
    assert error_of(exc) == ("ResourceNotFoundException", f"Event bus {missing} does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        events.create_archive(ArchiveName=unique("a"), EventSourceArn=bus_arn, EventPattern='{"source": "x"}')
    assert error_of(exc)[0] == "InvalidEventPatternException"
    with pytest.raises(ClientError) as exc:
        events_raw.create_archive(ArchiveName="a" * 49, EventSourceArn=bus_arn)
    assert error_of(exc)[0] == "ValidationException" and error_of(exc)[2] == 400
    with pytest.raises(ClientError) as exc:
        events_raw.describe_archive(ArchiveName="bad name!")
    assert error_of(exc)[0] == "ValidationException"


def test_list_archives_filters_and_pages(events, custom_bus):
    _, bus_arn = custom_bus
    prefix = unique("lst")
    names = [f"{prefix}-{i}" for i in range(5)]
    for name in names:
        events.create_archive(ArchiveName=name, EventSourceArn=bus_arn, RetentionDays=1)
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix=prefix)["Archives"]] == names
    assert [a["ArchiveName"] for a in events.list_archives(NamePrefix=names[2])["Archives"]] == [names[2]]
    assert events.list_archives(NamePrefix=unique("none"))["Archives"] == []
    by_source = events.list_archives(EventSourceArn=bus_arn)["Archives"]
    assert [a["ArchiveName"] for a in by_source] == names
    assert len(events.list_archives(NamePrefix=prefix, State="ENABLED")["Archives"]) == 5
    assert events.list_archives(NamePrefix=prefix, State="DISABLED")["Archives"] == []
    first = events.list_archives(NamePrefix=prefix, Limit=3)
    assert [a["ArchiveName"] for a in first["Archives"]] == names[:3]
    second = events.list_archives(NamePrefix=prefix, Limit=3, NextToken=first["NextToken"])
    assert [a["ArchiveName"] for a in second["Archives"]] == names[3:] and "NextToken" not in second


def test_archive_keeps_only_events_matching_its_pattern(events, custom_bus):
    bus_name, bus_arn = custom_bus
    filtered, everything = unique("pat"), unique("all")
    events.create_archive(ArchiveName=filtered, EventSourceArn=bus_arn, EventPattern=ARCHIVE_PATTERN)
    events.create_archive(ArchiveName=everything, EventSourceArn=bus_arn)
    events.put_events(Entries=[entry(bus_name) for _ in range(10)])
    other = entry(bus_name, Detail=json.dumps({"command": "other"}))
    events.put_events(Entries=[other, other])
    described = events.describe_archive(ArchiveName=filtered)
    assert described["EventCount"] == 10
    size = described["SizeBytes"]
    assert size == 10 * (14 + 2 * len(SOURCE) + len(json.dumps(DETAIL, separators=(",", ":"))))
    assert events.describe_archive(ArchiveName=everything)["EventCount"] == 12
    # a bus without archives archives nothing; deleting the archive stops archiving
    events.delete_archive(ArchiveName=filtered)
    events.put_events(Entries=[entry(bus_name)])
    assert events.describe_archive(ArchiveName=everything)["EventCount"] == 13


def test_retention_expires_old_events(events, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    short, forever = unique("short"), unique("forever")
    events.create_archive(ArchiveName=short, EventSourceArn=bus_arn, RetentionDays=1)
    events.create_archive(ArchiveName=forever, EventSourceArn=bus_arn, RetentionDays=0)
    events.put_events(Entries=[entry(bus_name), entry(bus_name)])
    cloudlet.advance_clock(3600)
    events.put_events(Entries=[entry(bus_name)])
    assert events.describe_archive(ArchiveName=short)["EventCount"] == 3
    cloudlet.advance_clock(86400 - 3600 + 10)
    assert events.describe_archive(ArchiveName=short)["EventCount"] == 1
    listed = {
        a["ArchiveName"]: a["EventCount"] for a in events.list_archives(EventSourceArn=bus_arn)["Archives"]
    }
    assert listed == {short: 1, forever: 3}


# ---- replays --------------------------------------------------------------------------


def test_replay_into_a_new_rule(events, sqs, make_queue, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    archive = unique("archive")
    archive_arn = events.create_archive(
        ArchiveName=archive, EventSourceArn=bus_arn, EventPattern=ARCHIVE_PATTERN
    )["ArchiveArn"]
    start = now_of(cloudlet) - 1
    put = events.put_events(Entries=[entry(bus_name) for _ in range(3)])
    ids = [e["EventId"] for e in put["Entries"]]
    url, queue_arn = make_queue()
    rule_arn = wire_rule(events, bus_name, queue_arn)  # made after the events were put
    name = unique("replay")
    started = events.start_replay(
        ReplayName=name,
        Description="description of the replay",
        EventSourceArn=archive_arn,
        EventStartTime=when(start),
        EventEndTime=when(now_of(cloudlet) + 1),
        Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )
    assert started["ReplayArn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:replay/{name}"
    assert started["State"] == "STARTING" and isinstance(started["ReplayStartTime"], dt.datetime)
    assert events.describe_replay(ReplayName=name)["State"] == "STARTING"  # until its start delay passed
    cloudlet.advance_clock(REPLAY_START_DELAY)
    got = receive(sqs, url, count=3)
    bodies = [json.loads(m["Body"]) for m in got]
    assert [b["id"] for b in bodies] == ids  # in archive order, the original ids
    assert list(bodies[0]) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "replay-name",
        "resources",
        "detail",
    ]
    assert all(b["replay-name"] == name and b["detail"] == DETAIL for b in bodies)
    replay = wait_state(events, name, "COMPLETED")
    replay.pop("ResponseMetadata")
    assert replay["State"] == "COMPLETED"
    assert replay["Destination"] == {"Arn": bus_arn, "FilterArns": [rule_arn]}
    assert replay["Description"] == "description of the replay"
    assert replay["EventSourceArn"] == archive_arn and replay["ReplayArn"] == started["ReplayArn"]
    assert {"EventLastReplayedTime", "ReplayEndTime", "EventStartTime", "EventEndTime"} <= set(replay)
    listed = events.list_replays(NamePrefix=name)["Replays"]
    assert len(listed) == 1 and listed[0]["State"] == "COMPLETED"
    assert "Destination" not in listed[0] and "Description" not in listed[0]
    assert events.list_replays(EventSourceArn=archive_arn)["Replays"] == listed
    assert events.list_replays(NamePrefix=name, State="RUNNING")["Replays"] == []
    # replayed events are not archived again
    assert events.describe_archive(ArchiveName=archive)["EventCount"] == 3


def test_replay_without_filter_reaches_matching_rules_only(events, sqs, make_queue, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    start = now_of(cloudlet) - 1
    events.put_events(Entries=[entry(bus_name), entry(bus_name, Source="other.source")])
    url, queue_arn = make_queue()
    wire_rule(events, bus_name, queue_arn)
    name = unique("replay")
    events.start_replay(
        ReplayName=name,
        EventSourceArn=archive_arn,
        EventStartTime=when(start),
        EventEndTime=when(now_of(cloudlet) + 1),
        Destination={"Arn": bus_arn},
    )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    got = receive(sqs, url, count=2, wait=2)
    assert [json.loads(m["Body"])["source"] for m in got] == [SOURCE]
    replay = wait_state(events, name, "COMPLETED")
    assert "FilterArns" not in replay["Destination"]


def test_replay_of_a_time_window_only(events, sqs, make_queue, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    events.put_events(Entries=[entry(bus_name, Detail=json.dumps({"n": "early"}))])
    cloudlet.advance_clock(600)
    window_start = now_of(cloudlet) - 1
    events.put_events(Entries=[entry(bus_name, Detail=json.dumps({"n": f"in-{i}"})) for i in range(2)])
    # the window is about the event's time: an entry's own Time counts, not when it was put
    events.put_events(
        Entries=[entry(bus_name, Detail=json.dumps({"n": "old"}), Time=when(window_start - 3600))]
    )
    window_end = now_of(cloudlet) + 1
    cloudlet.advance_clock(600)
    events.put_events(Entries=[entry(bus_name, Detail=json.dumps({"n": "late"}))])
    events.put_events(
        Entries=[entry(bus_name, Detail=json.dumps({"n": "dated"}), Time=when(window_end - 0.5))]
    )
    url, queue_arn = make_queue()
    wire_rule(events, bus_name, queue_arn)
    name = unique("window")
    events.start_replay(
        ReplayName=name,
        EventSourceArn=archive_arn,
        EventStartTime=when(window_start),
        EventEndTime=when(window_end),
        Destination={"Arn": bus_arn},
    )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    got = receive(sqs, url, count=5, wait=2)
    assert [json.loads(m["Body"])["detail"]["n"] for m in got] == ["in-0", "in-1", "dated"]
    assert wait_state(events, name, "COMPLETED")["State"] == "COMPLETED"


def test_replay_with_no_events_completes_without_last_replayed_time(events, custom_bus, cloudlet):
    _, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    name = unique("empty")
    now = now_of(cloudlet)
    events.start_replay(
        ReplayName=name,
        EventSourceArn=archive_arn,
        EventStartTime=when(now - 60),
        EventEndTime=when(now),
        Destination={"Arn": bus_arn},
    )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    replay = wait_state(events, name, "COMPLETED")
    assert (
        replay["State"] == "COMPLETED" and "EventLastReplayedTime" not in replay and "ReplayEndTime" in replay
    )


def test_replay_runs_in_batches_in_order(events, sqs, make_queue, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    start = now_of(cloudlet) - 1
    for batch in range(25):  # 250 events: three batches of the replay
        details = [json.dumps({"n": batch * 10 + i}) for i in range(10)]
        events.put_events(Entries=[entry(bus_name, Detail=d) for d in details])
    url, queue_arn = make_queue()
    wire_rule(events, bus_name, queue_arn)
    name = unique("batches")
    events.start_replay(
        ReplayName=name,
        EventSourceArn=archive_arn,
        EventStartTime=when(start),
        EventEndTime=when(now_of(cloudlet) + 1),
        Destination={"Arn": bus_arn},
    )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    assert wait_state(events, name, "COMPLETED")["State"] == "COMPLETED"
    got = receive(sqs, url, count=250, wait=20, delete=True)
    assert sorted(json.loads(m["Body"])["detail"]["n"] for m in got) == list(range(250))


def test_cancel_replay(events, sqs, make_queue, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    start = now_of(cloudlet) - 1
    events.put_events(Entries=[entry(bus_name)])
    url, queue_arn = make_queue()
    rule_arn = wire_rule(events, bus_name, queue_arn)
    name = unique("cancel")
    arn = events.start_replay(
        ReplayName=name,
        EventSourceArn=archive_arn,
        EventStartTime=when(start),
        EventEndTime=when(now_of(cloudlet) + 1),
        Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
    )["ReplayArn"]
    cancelled = events.cancel_replay(ReplayName=name)
    assert (cancelled["ReplayArn"], cancelled["State"]) == (arn, "CANCELLING")
    described = events.describe_replay(ReplayName=name)
    assert described["State"] == "CANCELLING"
    assert "ReplayEndTime" not in described and "EventLastReplayedTime" not in described
    cloudlet.advance_clock(REPLAY_START_DELAY)
    described = wait_state(events, name, "CANCELLED")
    assert described["State"] == "CANCELLED" and "ReplayEndTime" in described
    assert receive(sqs, url, wait=1) == []
    with pytest.raises(ClientError) as exc:
        events.cancel_replay(ReplayName=name)
    assert error_of(exc)[0] == "IllegalStatusException"
    unknown = unique("noreplay")
    with pytest.raises(ClientError) as exc:
        events.cancel_replay(ReplayName=unknown)
    assert error_of(exc) == ("ResourceNotFoundException", f"Replay {unknown} does not exist.", 400)


def test_start_replay_errors(events, events_raw, custom_bus, cloudlet):
    bus_name, bus_arn = custom_bus
    archive = unique("archive")
    archive_arn = events.create_archive(ArchiveName=archive, EventSourceArn=bus_arn)["ArchiveArn"]
    now = now_of(cloudlet)
    window = {"EventStartTime": when(now - 60), "EventEndTime": when(now)}
    missing_archive = unique("noarchive")
    with pytest.raises(ClientError) as exc:
        events.start_replay(
            ReplayName=unique("r"),
            EventSourceArn=f"arn:aws:events:us-east-1:{ACCOUNT}:archive/{missing_archive}",
            Destination={"Arn": bus_arn},
            **window,
        )
    assert error_of(exc) == (
        "ValidationException",
        f"Parameter EventSourceArn is not valid. Reason: Archive {missing_archive} does not exist.",
        400,
    )
    missing_bus = unique("nobus")
    with pytest.raises(ClientError) as exc:
        events.start_replay(
            ReplayName=unique("r"),
            EventSourceArn=archive_arn,
            Destination={"Arn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/{missing_bus}"},
            **window,
        )
    assert error_of(exc) == ("ResourceNotFoundException", f"Event bus {missing_bus} does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        events.start_replay(
            ReplayName=unique("r"),
            EventSourceArn=archive_arn,
            Destination={"Arn": events.describe_event_bus()["Arn"]},
            **window,
        )
    assert error_of(exc) == (
        "ValidationException",
        "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted.",
        400,
    )
    for end in (now - 60, now - 70):  # equal to the start, and before it
        with pytest.raises(ClientError) as exc:
            events.start_replay(
                ReplayName=unique("r"),
                EventSourceArn=archive_arn,
                Destination={"Arn": bus_arn},
                EventStartTime=when(now - 60),
                EventEndTime=when(end),
            )
        assert error_of(exc) == (
            "ValidationException",
            "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime.",
            400,
        )
    with pytest.raises(ClientError) as exc:
        events.start_replay(
            ReplayName=unique("r"),
            EventSourceArn=archive_arn,
            Destination={
                "Arn": bus_arn,
                "FilterArns": [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/{bus_name}/nope"],
            },
            **window,
        )
    assert error_of(exc)[0] == "ValidationException"
    name = unique("dup")
    events.start_replay(ReplayName=name, EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window)
    other_archive = events.create_archive(ArchiveName=unique("other"), EventSourceArn=bus_arn)["ArchiveArn"]
    for source in (archive_arn, other_archive):  # the same archive, and another one
        with pytest.raises(ClientError) as exc:
            events.start_replay(
                ReplayName=name, EventSourceArn=source, Destination={"Arn": bus_arn}, **window
            )
        assert error_of(exc) == ("ResourceAlreadyExistsException", f"Replay {name} already exists.", 400)
    unknown = unique("noreplay")
    with pytest.raises(ClientError) as exc:
        events.describe_replay(ReplayName=unknown)
    assert error_of(exc) == ("ResourceNotFoundException", f"Replay {unknown} does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        events_raw.start_replay(
            ReplayName="r" * 65, EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window
        )
    assert error_of(exc)[0] == "ValidationException"
    cloudlet.advance_clock(REPLAY_START_DELAY)
    assert wait_state(events, name, "COMPLETED")["State"] == "COMPLETED"


def test_too_many_active_replays(events, custom_bus, cloudlet):
    _, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    now = now_of(cloudlet)
    window = {"EventStartTime": when(now - 60), "EventEndTime": when(now)}
    names = [unique("busy") for _ in range(10)]
    for name in names:
        events.start_replay(
            ReplayName=name, EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window
        )
        events.cancel_replay(ReplayName=name)  # CANCELLING is still active until the replay's timer runs
    with pytest.raises(ClientError) as exc:
        events.start_replay(
            ReplayName=unique("busy"), EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window
        )
    assert error_of(exc) == (
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
        400,
    )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    for name in names:
        assert wait_state(events, name, "CANCELLED")["State"] == "CANCELLED"


def test_list_replays_pages(events, custom_bus, cloudlet):
    _, bus_arn = custom_bus
    archive_arn = events.create_archive(ArchiveName=unique("archive"), EventSourceArn=bus_arn)["ArchiveArn"]
    now = now_of(cloudlet)
    window = {"EventStartTime": when(now - 60), "EventEndTime": when(now)}
    prefix = unique("page")
    names = [f"{prefix}-test-replay-{i}" for i in range(6)]
    for name in names[:3]:
        events.start_replay(
            ReplayName=name, EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window
        )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    for name in names[3:]:
        events.start_replay(
            ReplayName=name, EventSourceArn=archive_arn, Destination={"Arn": bus_arn}, **window
        )
    cloudlet.advance_clock(REPLAY_START_DELAY)
    for name in names:
        wait_state(events, name, "COMPLETED")
    first = events.list_replays(NamePrefix=prefix, Limit=3)
    assert [r["ReplayName"] for r in first["Replays"]] == names[:3]
    second = events.list_replays(NamePrefix=prefix, Limit=3, NextToken=first["NextToken"])
    assert [r["ReplayName"] for r in second["Replays"]] == names[3:] and "NextToken" not in second
    assert {r["State"] for r in first["Replays"] + second["Replays"]} == {"COMPLETED"}


def test_replay_survives_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        sqs = client("sqs", server.endpoint)
        events = client("events", server.endpoint)
        bus_arn = events.describe_event_bus()["Arn"]
        archive_arn = events.create_archive(ArchiveName="kept", EventSourceArn=bus_arn)["ArchiveArn"]
        start = server.clock()["now"] - 1
        events.put_events(Entries=[entry() for _ in range(3)])
        url = sqs.create_queue(QueueName="replayed")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(Name="later", EventPattern=PATTERN)
        events.put_targets(Rule="later", Targets=[{"Id": "q", "Arn": queue_arn}])
        events.start_replay(
            ReplayName="survivor",
            EventSourceArn=archive_arn,
            EventStartTime=when(start),
            EventEndTime=when(server.clock()["now"] + 1),
            Destination={"Arn": bus_arn},
        )
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        events = client("events", server.endpoint)
        assert events.describe_archive(ArchiveName="kept")["EventCount"] == 3
        server.admin("/_cloudlet/clock", {"advance": REPLAY_START_DELAY})
        got = receive(sqs, url, count=3)
        assert len(got) == 3 and all(json.loads(m["Body"])["replay-name"] == "survivor" for m in got)
        assert wait_state(events, "survivor", "COMPLETED")["State"] == "COMPLETED"
        # the archive keeps archiving after the restart
        events.put_events(Entries=[entry()])
        assert events.describe_archive(ArchiveName="kept")["EventCount"] == 4
    finally:
        server.kill()
