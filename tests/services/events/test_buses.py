"""Event buses: create, describe, list, update, delete, permissions and tags, with AWS's errors."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from tests.services.events.conftest import error_of, unique


def test_bus_lifecycle(events):
    name = unique("bus")
    created = events.create_event_bus(Name=name, Description="test bus")
    assert created["EventBusArn"].endswith(f":event-bus/{name}")
    assert created["Description"] == "test bus"
    described = events.describe_event_bus(Name=name)
    assert described["Name"] == name and described["Arn"] == created["EventBusArn"]
    assert described["Description"] == "test bus"
    assert "CreationTime" in described and "LastModifiedTime" in described
    listed = events.list_event_buses(NamePrefix=name)["EventBuses"]
    assert [b["Name"] for b in listed] == [name]
    events.update_event_bus(Name=name, Description="changed")
    assert events.describe_event_bus(Name=name)["Description"] == "changed"
    events.delete_event_bus(Name=name)
    assert events.list_event_buses(NamePrefix=name)["EventBuses"] == []


def test_default_bus_exists_and_cannot_be_deleted(events):
    described = events.describe_event_bus()
    assert described["Name"] == "default"
    assert described["Arn"].endswith(":event-bus/default")
    assert "default" in [b["Name"] for b in events.list_event_buses()["EventBuses"]]
    with pytest.raises(ClientError) as exc:
        events.delete_event_bus(Name="default")
    assert error_of(exc) == ("ValidationException", "Cannot delete event bus default.", 400)


def test_bus_errors(events):
    name = unique("bus")
    events.create_event_bus(Name=name)
    with pytest.raises(ClientError) as exc:
        events.create_event_bus(Name=name)
    assert error_of(exc) == ("ResourceAlreadyExistsException", f"Event bus {name} already exists.", 400)
    missing = unique("missing")
    for call in (events.describe_event_bus, events.delete_event_bus):
        with pytest.raises(ClientError) as exc:
            call(Name=missing)
        assert error_of(exc) == ("ResourceNotFoundException", f"Event bus {missing} does not exist.", 400)


def test_list_buses_pages(events):
    prefix = unique("page")
    names = sorted(f"{prefix}-{i}" for i in range(3))
    for name in names:
        events.create_event_bus(Name=name)
    first = events.list_event_buses(NamePrefix=prefix, Limit=2)
    assert [b["Name"] for b in first["EventBuses"]] == names[:2]
    second = events.list_event_buses(NamePrefix=prefix, Limit=2, NextToken=first["NextToken"])
    assert [b["Name"] for b in second["EventBuses"]] == names[2:]
    assert "NextToken" not in second


def test_put_and_remove_permission(events):
    name = unique("bus")
    arn = events.create_event_bus(Name=name)["EventBusArn"]
    events.put_permission(
        EventBusName=name, Action="events:PutEvents", Principal="111122223333", StatementId="one"
    )
    events.put_permission(EventBusName=name, Action="events:PutEvents", Principal="*", StatementId="all")
    policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
    assert policy["Version"] == "2012-10-17"
    assert policy["Statement"][0] == {
        "Sid": "one",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "events:PutEvents",
        "Resource": arn,
    }
    assert policy["Statement"][1]["Principal"] == "*"
    events.remove_permission(EventBusName=name, StatementId="one")
    policy = json.loads(events.describe_event_bus(Name=name)["Policy"])
    assert [s["Sid"] for s in policy["Statement"]] == ["all"]
    with pytest.raises(ClientError) as exc:
        events.remove_permission(EventBusName=name, StatementId="nope")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "Statement with the provided id does not exist.",
        400,
    )
    events.remove_permission(EventBusName=name, RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus(Name=name)
    with pytest.raises(ClientError) as exc:
        events.put_permission(
            EventBusName=unique("missing"), Action="events:PutEvents", Principal="*", StatementId="x"
        )
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_tags_on_buses_and_rules(events):
    name = unique("bus")
    arn = events.create_event_bus(Name=name, Tags=[{"Key": "a", "Value": "1"}])["EventBusArn"]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "b", "Value": "2"}])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "a", "Value": "1"},
        {"Key": "b", "Value": "2"},
    ]
    events.untag_resource(ResourceARN=arn, TagKeys=["a", "not-there"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    rule = unique("rule")
    rule_arn = events.put_rule(
        Name=rule, EventBusName=name, EventPattern='{"source": ["x"]}', Tags=[{"Key": "r", "Value": "1"}]
    )["RuleArn"]
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == [{"Key": "r", "Value": "1"}]
    events.delete_rule(Name=rule, EventBusName=name)
    events.put_rule(Name=rule, EventBusName=name, EventPattern='{"source": ["x"]}')
    assert events.list_tags_for_resource(ResourceARN=rule_arn)["Tags"] == []
    with pytest.raises(ClientError) as exc:
        events.list_tags_for_resource(ResourceARN=arn.replace(name, unique("missing")))
    assert error_of(exc)[0] == "ResourceNotFoundException"
