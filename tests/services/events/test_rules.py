"""Rules and targets: PutRule, describe/list/delete/enable/disable, PutTargets/RemoveTargets,
ListRuleNamesByTarget and TestEventPattern, with AWS's recorded answers and errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from tests.services.events.conftest import error_of, unique

PATTERN = {"source": ["core.update-account-command"], "detail-type": ["core.update-account-command"]}


def test_rule_lifecycle_on_custom_bus(events):
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    name = unique("rule")
    arn = events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(PATTERN))["RuleArn"]
    assert arn.endswith(f":rule/{bus}/{name}")
    assert events.put_rule(Name=name, EventBusName=bus, EventPattern=json.dumps(PATTERN))["RuleArn"] == arn
    described = events.describe_rule(Name=name, EventBusName=bus)
    assert {k: v for k, v in described.items() if k != "ResponseMetadata"} == {
        "Name": name,
        "Arn": arn,
        "EventPattern": json.dumps(PATTERN),
        "State": "ENABLED",
        "EventBusName": bus,
        "CreatedBy": arn.split(":")[4],
    }
    listed = events.list_rules(EventBusName=bus, NamePrefix=name)["Rules"]
    assert [r["Name"] for r in listed] == [name] and "CreatedBy" not in listed[0]
    events.disable_rule(Name=name, EventBusName=bus)
    assert events.describe_rule(Name=name, EventBusName=bus)["State"] == "DISABLED"
    events.enable_rule(Name=name, EventBusName=bus)
    assert events.describe_rule(Name=name, EventBusName=bus)["State"] == "ENABLED"
    events.delete_rule(Name=name, EventBusName=bus)
    assert events.list_rules(EventBusName=bus)["Rules"] == []


def test_rule_on_default_bus_has_short_arn(events):
    name = unique("rule")
    arn = events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))["RuleArn"]
    assert arn.endswith(f":rule/{name}")
    assert events.describe_rule(Name=name)["EventBusName"] == "default"


def test_rule_errors(events, make_queue):
    missing = unique("missing")
    with pytest.raises(ClientError) as exc:
        events.describe_rule(Name=missing)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Rule {missing} does not exist on EventBus default.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("r"), EventBusName=missing, EventPattern=json.dumps(PATTERN))
    assert error_of(exc) == ("ResourceNotFoundException", f"Event bus {missing} does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("r"), EventPattern='{"int": 42}')
    assert error_of(exc) == (
        "InvalidEventPatternException",
        'Event pattern is not valid. Reason: "int" must be an object or an array',
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("r"))
    assert error_of(exc)[0] == "ValidationException"
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("r"), EventBusName=bus, ScheduleExpression="rate(1 minute)")
    assert error_of(exc) == (
        "ValidationException",
        "ScheduleExpression is supported only on the default event bus.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("r"), ScheduleExpression="cron(0 1 * * * *)")
    assert error_of(exc) == ("ValidationException", "Parameter ScheduleExpression is not valid.", 400)
    name = unique("r")
    events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))
    _, queue_arn = make_queue()
    events.put_targets(Rule=name, Targets=[{"Id": "t1", "Arn": queue_arn}])
    with pytest.raises(ClientError) as exc:
        events.delete_rule(Name=name)
    assert error_of(exc) == ("ValidationException", "Rule can't be deleted since it has targets.", 400)
    events.delete_rule(Name=unique("never-there"))  # succeeds


def test_targets(events, make_queue):
    name = unique("rule")
    events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))
    _, queue_arn = make_queue()
    answer = events.put_targets(Rule=name, Targets=[{"Id": "t1", "Arn": queue_arn}])
    assert answer["FailedEntryCount"] == 0 and answer["FailedEntries"] == []
    assert events.list_targets_by_rule(Rule=name)["Targets"] == [{"Id": "t1", "Arn": queue_arn}]
    # the same id again replaces the target
    events.put_targets(Rule=name, Targets=[{"Id": "t1", "Arn": queue_arn, "InputPath": "$.detail"}])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == [
        {"Id": "t1", "Arn": queue_arn, "InputPath": "$.detail"}
    ]
    assert name in events.list_rule_names_by_target(TargetArn=queue_arn)["RuleNames"]
    events.remove_targets(Rule=name, Ids=["t1"])
    assert events.list_targets_by_rule(Rule=name)["Targets"] == []
    assert events.list_rule_names_by_target(TargetArn=queue_arn)["RuleNames"] == []


def test_at_most_five_targets(events, make_queue):
    name = unique("rule")
    events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))
    _, queue_arn = make_queue()
    events.put_targets(Rule=name, Targets=[{"Id": f"t{i}", "Arn": queue_arn} for i in range(5)])
    with pytest.raises(ClientError) as exc:
        events.put_targets(Rule=name, Targets=[{"Id": "t5", "Arn": queue_arn}])
    assert error_of(exc) == (
        "LimitExceededException",
        "The requested resource exceeds the maximum number allowed.",
        400,
    )


def test_target_id_is_checked(events_raw, make_queue):
    name = unique("rule")
    events_raw.put_rule(Name=name, EventPattern=json.dumps(PATTERN))
    _, queue_arn = make_queue()
    with pytest.raises(ClientError) as exc:
        events_raw.put_targets(Rule=name, Targets=[{"Id": "!@#$@!#$", "Arn": queue_arn}])
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value '!@#$@!#$' at 'targets.1.member.id' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        400,
    )


def test_list_rule_names_by_target_pages(events, make_queue):
    _, queue_arn = make_queue()
    prefix = unique("r")
    for i in range(3):
        events.put_rule(Name=f"{prefix}{i}", EventPattern=json.dumps(PATTERN))
        events.put_targets(Rule=f"{prefix}{i}", Targets=[{"Id": "t", "Arn": queue_arn}])
    first = events.list_rule_names_by_target(TargetArn=queue_arn, Limit=2)
    assert first["RuleNames"] == [f"{prefix}0", f"{prefix}1"]
    second = events.list_rule_names_by_target(TargetArn=queue_arn, Limit=2, NextToken=first["NextToken"])
    assert second["RuleNames"] == [f"{prefix}2"]


def _event(**extra):
    event = {
        "id": "1",
        "source": "test-source",
        "detail-type": "test-detail-type",
        "account": "123456789012",
        "region": "us-east-1",
        "time": "2022-01-01T00:00:00Z",
        "detail": {"status": "ok", "amount": 150},
    }
    event.update(extra)
    return json.dumps(event)


def test_test_event_pattern(events):
    assert (
        events.test_event_pattern(EventPattern='{"source": ["test-source"]}', Event=_event())["Result"]
        is True
    )
    assert events.test_event_pattern(EventPattern='{"source": ["other"]}', Event=_event())["Result"] is False
    numeric = '{"detail": {"amount": [{"numeric": [">", 100, "<=", 200]}]}}'
    assert events.test_event_pattern(EventPattern=numeric, Event=_event())["Result"] is True
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(
            EventPattern='{"detail": {"c": [{"numeric": [">", 0, "<"]}]}}', Event=_event()
        )
    assert error_of(exc) == (
        "InvalidEventPatternException",
        "Event pattern is not valid. Reason: Value of < must be numeric",
        400,
    )
    with pytest.raises(ClientError) as exc:
        events.test_event_pattern(EventPattern='{"source": ["x"]}', Event="not json")
    assert error_of(exc)[0] == "ValidationException"


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [
        (
            "this is valid json but not a dict",
            "Unrecognized token 'this': was expecting (JSON String, Number, Array, Object or token "
            "'null', 'true' or 'false')\n at [Source: (String)\"this is valid json but not a dict\"; line: 1, column: 5]",
        ),
        (
            "{'bad': 'quotation'}",
            "Unexpected character (''' (code 39)): was expecting double-quote to start field name\n"
            " at [Source: (String)\"{'bad': 'quotation'}\"; line: 1, column: 2]",
        ),
        (
            '{"not": closed mark"',
            "Unrecognized token 'closed': was expecting (JSON String, Number, Array, Object or token "
            "'null', 'true' or 'false')\n at [Source: (String)\"{\"not\": closed mark\"\"; line: 1, column: 15]",
        ),
        (
            '["not", "a", "dict", "but valid json"]',
            'Filter is not an object\n at [Source: (String)"["not", "a", "dict", "but valid json"]"; line: 1, column: 2]',
        ),
    ],
)
def test_pattern_that_is_not_a_json_object(events, pattern, reason):
    """AWS quotes its JSON parser, with the location (recorded)."""
    with pytest.raises(ClientError) as exc:
        events.put_rule(Name=unique("r"), EventPattern=pattern)
    assert error_of(exc) == (
        "InvalidEventPatternException",
        f"Event pattern is not valid. Reason: {reason}",
        400,
    )
