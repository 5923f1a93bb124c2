"""PutEvents: per-entry errors, the request's limits, the event envelope, and delivery to SQS
targets (plain, transformed, FIFO), bus-to-bus and cross-account."""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from botocore.exceptions import ClientError
from tests.services.events.conftest import error_of, unique

DETAIL = {"command": "update-account", "payload": {"acc_id": "0a787ecb-4015", "sf_id": "baz"}}
SOURCE = "core.update-account-command"
PATTERN = json.dumps({"source": [SOURCE], "detail-type": [SOURCE]})


def entry(bus: str | None = None, **extra):
    data = {"Source": SOURCE, "DetailType": SOURCE, "Detail": json.dumps(DETAIL)}
    if bus:
        data["EventBusName"] = bus
    data.update(extra)
    return data


def receive(sqs, url: str, count: int = 1, wait: float = 10.0, delete: bool = False) -> list[dict]:
    got: list[dict] = []
    deadline = time.monotonic() + wait
    while len(got) < count and time.monotonic() < deadline:
        batch = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
        for message in batch if delete else ():
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        got += batch
    return got


@pytest.fixture
def wired(events, make_queue):
    """A rule on a custom bus with an SQS target; returns (bus, rule, queue url, queue arn)."""

    def make(pattern: str = PATTERN, **target):
        bus = unique("bus")
        events.create_event_bus(Name=bus)
        rule = unique("rule")
        events.put_rule(Name=rule, EventBusName=bus, EventPattern=pattern)
        url, arn = make_queue()
        events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "sqs", "Arn": arn, **target}])
        return bus, rule, url, arn

    return make


def test_event_reaches_sqs_target_in_aws_envelope(events, sqs, wired):
    bus, _, url, _ = wired()
    answer = events.put_events(Entries=[entry(bus)])
    assert answer["FailedEntryCount"] == 0
    event_id = answer["Entries"][0]["EventId"]
    (message,) = receive(sqs, url)
    body = json.loads(message["Body"])
    assert list(body) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert body["id"] == event_id and body["version"] == "0"
    assert body["detail-type"] == SOURCE and body["source"] == SOURCE
    assert body["resources"] == [] and body["detail"] == DETAIL
    assert body["region"] == "us-east-1" and len(body["account"]) == 12
    dt.datetime.strptime(body["time"], "%Y-%m-%dT%H:%M:%SZ")


def test_time_given_on_the_entry_is_the_events_time(events, sqs, wired):
    bus, _, url, _ = wired()
    when = dt.datetime(2024, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    events.put_events(Entries=[entry(bus, Time=when, Resources=["arn:aws:s3:::b"])])
    (message,) = receive(sqs, url)
    body = json.loads(message["Body"])
    assert body["time"] == "2024-03-04T05:06:07Z"
    assert body["resources"] == ["arn:aws:s3:::b"]


def test_events_not_matching_are_not_delivered(events, sqs, wired):
    bus, _, url, _ = wired()
    events.put_events(Entries=[entry(bus, Source="other.source")])
    events.put_events(Entries=[entry(bus)])
    messages = receive(sqs, url, count=2, wait=3)
    assert [json.loads(m["Body"])["source"] for m in messages] == [SOURCE]


def test_disabled_rule_delivers_nothing(events, sqs, wired):
    bus, rule, url, _ = wired()
    events.disable_rule(Name=rule, EventBusName=bus)
    events.put_events(Entries=[entry(bus)])
    events.enable_rule(Name=rule, EventBusName=bus)
    events.put_events(Entries=[entry(bus, Detail='{"n": 2}')])
    messages = receive(sqs, url, count=2, wait=3)
    assert [json.loads(m["Body"])["detail"] for m in messages] == [{"n": 2}]


def test_entry_errors_are_reported_per_entry(events):
    answer = events.put_events(
        Entries=[
            {"DetailType": "x", "Detail": "{}"},
            {"Source": "s", "Detail": "{}"},
            {"Source": "s", "DetailType": "x"},
            {"Source": "s", "DetailType": "x", "Detail": '"a string"'},
            {"Source": "s", "DetailType": "x", "Detail": "[1, 2]"},
            {"Source": "s", "DetailType": "x", "Detail": "{not json"},
            {"Source": "s", "DetailType": "x", "Detail": "{}"},
        ]
    )
    assert answer["FailedEntryCount"] == 6
    assert answer["Entries"][:6] == [
        {
            "ErrorCode": "InvalidArgument",
            "ErrorMessage": "Parameter Source is not valid. Reason: Source is a required argument.",
        },
        {
            "ErrorCode": "InvalidArgument",
            "ErrorMessage": "Parameter DetailType is not valid. Reason: DetailType is a required argument.",
        },
        {
            "ErrorCode": "InvalidArgument",
            "ErrorMessage": "Parameter Detail is not valid. Reason: Detail is a required argument.",
        },
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
        {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."},
    ]
    assert "EventId" in answer["Entries"][6]


def test_request_limits(events, events_raw):
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry(Detail=json.dumps({"big": "x" * 262144}))])
    assert error_of(exc) == (
        "ValidationException",
        "Total size of the entries in the request is over the limit.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events_raw.put_events(Entries=[entry() for _ in range(11)])
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected") and "less than or equal to 10" in message
    missing = unique("missing")
    with pytest.raises(ClientError) as exc:
        events.put_events(Entries=[entry(), entry(missing)])
    assert error_of(exc) == ("ResourceNotFoundException", f"Event bus {missing} does not exist.", 400)


def test_input_and_input_path(events, sqs, wired):
    bus, rule, url, arn = wired(InputPath="$.detail.payload")
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, url)
    assert json.loads(message["Body"]) == DETAIL["payload"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    events.put_targets(
        Rule=rule, EventBusName=bus, Targets=[{"Id": "sqs", "Arn": arn, "Input": '{"fixed": true}'}]
    )
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, url)
    assert json.loads(message["Body"]) == {"fixed": True}


def test_input_transformer(events, sqs, wired):
    bus, rule, url, _ = wired(
        InputTransformer={
            "InputPathsMap": {"cmd": "$.detail.command", "id": "$.detail.payload.acc_id"},
            "InputTemplate": '{"command": <cmd>, "account": "<id>", "rule": "<aws.events.rule-name>"}',
        }
    )
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, url)
    assert json.loads(message["Body"]) == {
        "command": "update-account",
        "account": "0a787ecb-4015",
        "rule": rule,
    }


def test_fifo_queue_target_keeps_order(events, sqs, make_queue):
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    rule = unique("rule")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    url, arn = make_queue(FifoQueue="true")
    events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[{"Id": "f", "Arn": arn, "SqsParameters": {"MessageGroupId": "g1"}}],
    )
    for i in range(5):
        events.put_events(Entries=[entry(bus, Detail=json.dumps({"n": i}))])
    got = receive(sqs, url, count=5, delete=True)
    assert [json.loads(m["Body"])["detail"]["n"] for m in got] == list(range(5))


def test_bus_to_bus(events, sqs, make_queue):
    source, target = unique("src"), unique("dst")
    events.create_event_bus(Name=source)
    target_arn = events.create_event_bus(Name=target)["EventBusArn"]
    forward = unique("fwd")
    events.put_rule(Name=forward, EventBusName=source, EventPattern=PATTERN)
    events.put_targets(Rule=forward, EventBusName=source, Targets=[{"Id": "bus", "Arn": target_arn}])
    final = unique("final")
    events.put_rule(Name=final, EventBusName=target, EventPattern=PATTERN)
    url, arn = make_queue()
    events.put_targets(Rule=final, EventBusName=target, Targets=[{"Id": "q", "Arn": arn}])
    event_id = events.put_events(Entries=[entry(source)])["Entries"][0]["EventId"]
    (message,) = receive(sqs, url)
    body = json.loads(message["Body"])
    assert body["id"] == event_id and body["detail"] == DETAIL


def test_cross_account_put_needs_the_bus_policy(aws_client, events, sqs, make_queue):
    other = aws_client("events", aws_access_key_id="111122223333", aws_secret_access_key="x")
    bus = unique("shared")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    rule = unique("rule")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["partner"]}))
    url, arn = make_queue()
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": arn}])
    refused = other.put_events(Entries=[entry(bus_arn, Source="partner")])
    assert refused["FailedEntryCount"] == 1
    events.put_permission(
        EventBusName=bus, Action="events:PutEvents", Principal="111122223333", StatementId="p"
    )
    accepted = other.put_events(Entries=[entry(bus_arn, Source="partner")])
    assert accepted["FailedEntryCount"] == 0
    (message,) = receive(sqs, url)
    body = json.loads(message["Body"])
    assert body["account"] == "111122223333" and body["source"] == "partner"


def test_sqs_targets_are_sent_inside_put_events(events, sqs, wired, cloudlet):
    """A standard queue target gets its event inside the PutEvents call (no engine round trip);
    the engine counts those deliveries as made at once."""
    before = cloudlet.admin("/_cloudlet/deliveries")["targets"].get("events.target", {})
    bus, _, url, _ = wired()
    events.put_events(Entries=[entry(bus)])
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages")  # already there
    after = cloudlet.admin("/_cloudlet/deliveries")["targets"]["events.target"]
    assert after.get("delivered-at-once", 0) == before.get("delivered-at-once", 0) + 1
