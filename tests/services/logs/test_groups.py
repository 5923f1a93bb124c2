"""Log groups: create, describe (prefix, pattern, paging, fields), delete, retention, tags."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_create_describe_delete(logs):
    name = f"/app/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name, tags={"env": "testing"})
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert len(groups) == 1
    g = groups[0]
    assert g["logGroupName"] == name
    assert g["arn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{name}:*"
    assert g["logGroupArn"] == f"arn:aws:logs:us-east-1:000000000000:log-group:{name}"
    assert g["logGroupClass"] == "STANDARD"
    assert g["metricFilterCount"] == 0
    assert g["storedBytes"] == 0
    assert g["deletionProtectionEnabled"] is False
    assert "retentionInDays" not in g
    assert isinstance(g["creationTime"], int)
    assert logs.list_tags_log_group(logGroupName=name)["tags"] == {"env": "testing"}
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=name)
    assert error_of(exc) == ("ResourceAlreadyExistsException", "The specified log group already exists", 400)
    logs.delete_log_group(logGroupName=name)
    assert logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"] == []
    with pytest.raises(ClientError) as exc:
        logs.delete_log_group(logGroupName=name)
    assert error_of(exc) == ("ResourceNotFoundException", "The specified log group does not exist.", 400)


def test_group_class(logs):
    name = f"/ia/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name, logGroupClass="INFREQUENT_ACCESS")
    [g] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert g["logGroupClass"] == "INFREQUENT_ACCESS"
    assert logs.describe_log_groups(logGroupNamePrefix=name, logGroupClass="STANDARD")["logGroups"] == []


def test_bad_names(logs_raw):
    with pytest.raises(ClientError) as exc:
        logs_raw.create_log_group(logGroupName="x" * 513)
    assert error_of(exc) == (
        "InvalidParameterException",
        "Invalid LogGroup or LogStream, both must have length less than or equal to 512.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        logs_raw.create_log_group(logGroupName="bad name!")
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidParameterException", 400)
    assert message.startswith("1 validation error detected: Value 'bad name!' at 'logGroupName'")
    with pytest.raises(ClientError) as exc:
        logs_raw.create_log_group(logGroupName="")
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs_raw.create_log_group(logGroupName=None)
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        logs_raw.create_log_group(logGroupName="g", logGroupClass="NOPE")
    assert error_of(exc)[0] == "InvalidParameterException"


def test_prefix_pattern_and_paging(logs):
    base = f"/p{uuid.uuid4().hex[:8]}"
    names = [f"{base}/svc-{i:02d}" for i in range(7)]
    for n in names:
        logs.create_log_group(logGroupName=n)
    seen, token = [], None
    while True:
        kwargs = {"logGroupNamePrefix": base, "limit": 3}
        if token:
            kwargs["nextToken"] = token
        page = logs.describe_log_groups(**kwargs)
        assert len(page["logGroups"]) <= 3
        seen += [g["logGroupName"] for g in page["logGroups"]]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == names
    matched = logs.describe_log_groups(logGroupNamePattern=f"{base[2:]}/svc-03")["logGroups"]
    assert [g["logGroupName"] for g in matched] == [names[3]]
    assert set(matched[0]) == {
        "logGroupName",
        "creationTime",
        "metricFilterCount",
        "arn",
        "logGroupClass",
        "logGroupArn",
    }
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(logGroupNamePrefix=base, logGroupNamePattern="x")
    assert error_of(exc) == (
        "InvalidParameterException",
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        logs.describe_log_groups(nextToken="garbage!")
    assert error_of(exc) == ("InvalidParameterException", "The specified nextToken is invalid.", 400)
    paginated = logs.get_paginator("describe_log_groups").paginate(
        logGroupNamePrefix=base, PaginationConfig={"PageSize": 2}
    )
    assert [g["logGroupName"] for p in paginated for g in p["logGroups"]] == names


def test_retention_policy_values(logs, group):
    logs.put_retention_policy(logGroupName=group, retentionInDays=7)
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert g["retentionInDays"] == 7
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=group, retentionInDays=2)
    code, message, _ = error_of(exc)
    assert code == "InvalidParameterException"
    assert "Member must satisfy enum value set: [1, 3, 5, 7, 14," in message
    logs.delete_retention_policy(logGroupName=group)
    [g] = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
    assert "retentionInDays" not in g
    with pytest.raises(ClientError) as exc:
        logs.put_retention_policy(logGroupName=group + "-missing", retentionInDays=1)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_tags_both_apis(logs, group):
    arn = f"arn:aws:logs:us-east-1:000000000000:log-group:{group}"
    logs.tag_resource(resourceArn=arn, tags={"env": "testing1", "test1": "val1"})
    logs.tag_log_group(logGroupName=group, tags={"test2": "val2"})
    expected = {"env": "testing1", "test1": "val1", "test2": "val2"}
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == expected
    assert logs.list_tags_log_group(logGroupName=group)["tags"] == expected
    logs.untag_resource(resourceArn=arn, tagKeys=["env"])
    logs.untag_log_group(logGroupName=group, tags=["test1"])
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"test2": "val2"}
    with pytest.raises(ClientError) as exc:
        logs.list_tags_for_resource(resourceArn=arn + "-missing")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_kms_key(logs, aws_client):
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    name = f"/k/{uuid.uuid4().hex[:8]}"
    logs.create_log_group(logGroupName=name, kmsKeyId=key)
    [g] = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    assert g["kmsKeyId"] == key
    with pytest.raises(ClientError) as exc:
        logs.create_log_group(logGroupName=name + "x", kmsKeyId=key.replace(key[-6:], "ffffff"))
    assert error_of(exc)[0] == "InvalidParameterException"
