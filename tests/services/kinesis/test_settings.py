"""Retention periods, tags, server-side encryption and resource policies."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, code_of, read_all, stream_arn


def test_retention_period_bounds_and_direction(kinesis, make_stream):
    name = make_stream()
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=8760)
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 8760
    kinesis.decrease_stream_retention_period(StreamARN=stream_arn(name), RetentionPeriodHours=24)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["RetentionPeriodHours"] == 24
    for call, hours in (
        (kinesis.increase_stream_retention_period, 8761),
        (kinesis.increase_stream_retention_period, 23),
        (kinesis.decrease_stream_retention_period, 23),
        (kinesis.decrease_stream_retention_period, 48),  # longer than now
    ):
        with pytest.raises(ClientError) as exc:
            call(StreamName=name, RetentionPeriodHours=hours)
        assert code_of(exc) == ("InvalidArgumentException", 400)  # messages unverified
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    with pytest.raises(ClientError) as exc:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=30)
    assert code_of(exc) == ("InvalidArgumentException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.increase_stream_retention_period(StreamName="nope", RetentionPeriodHours=30)
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def test_stream_tags(kinesis, kinesis_raw, make_stream):
    name = make_stream(Tags={"team": "a"})
    kinesis.add_tags_to_stream(StreamName=name, Tags={"env": "dev", "team": "b"})
    got = kinesis.list_tags_for_stream(StreamName=name)
    assert got["Tags"] == [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "b"}]
    assert got["HasMoreTags"] is False
    page = kinesis.list_tags_for_stream(StreamName=name, Limit=1)
    assert page["Tags"] == [{"Key": "env", "Value": "dev"}] and page["HasMoreTags"] is True
    page = kinesis.list_tags_for_stream(StreamName=name, ExclusiveStartTagKey="env")
    assert page["Tags"] == [{"Key": "team", "Value": "b"}] and page["HasMoreTags"] is False
    kinesis.remove_tags_from_stream(StreamARN=stream_arn(name), TagKeys=["team", "absent"])
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as exc:
        kinesis.add_tags_to_stream(StreamName=name, Tags={f"k{i}": "v" for i in range(50)})
    assert code_of(exc) == ("InvalidArgumentException", 400)  # over 50 tags; message unverified
    with pytest.raises(ClientError) as exc:
        kinesis_raw.add_tags_to_stream(StreamName=name, Tags={})
    assert code_of(exc) == ("ValidationException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.add_tags_to_stream(StreamName="nope", Tags={"a": "b"})
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def test_resource_tags(kinesis, kinesis_raw, make_stream):
    name = make_stream()
    arn = stream_arn(name)
    kinesis.tag_resource(ResourceARN=arn, Tags={"a": "1", "b": "2"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["a"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "b", "Value": "2"}]
    assert kinesis.list_tags_for_stream(StreamName=name)["Tags"] == [{"Key": "b", "Value": "2"}]
    with pytest.raises(ClientError) as exc:
        kinesis.list_tags_for_resource(ResourceARN=stream_arn("nope"))
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis_raw.tag_resource(ResourceARN="not-an-arn", Tags={"a": "1"})
    assert code_of(exc) == ("ValidationException", 400)


def test_encryption_is_stored_and_marks_records(kinesis, aws_client, make_stream):
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    name = make_stream()
    kinesis.put_record(StreamName=name, Data=b"plain", PartitionKey="k")
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    d = kinesis.describe_stream(StreamName=name)["StreamDescription"]
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == key
    out = kinesis.put_record(StreamName=name, Data=b"secret", PartitionKey="k")
    assert out["EncryptionType"] == "KMS"
    batch = kinesis.put_records(StreamName=name, Records=[{"Data": b"secret2", "PartitionKey": "k"}])
    assert batch["EncryptionType"] == "KMS"
    records = read_all(kinesis, name, "shardId-000000000000")
    assert [r.get("EncryptionType") for r in records] == [None, "KMS", "KMS"]
    assert [r["Data"] for r in records] == [b"plain", b"secret", b"secret2"]
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as exc:
        kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")
    assert code_of(exc) == ("KMSDisabledException", 400)
    kinesis.stop_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId=key)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["EncryptionType"] == "NONE" and "KeyId" not in summary
    assert "EncryptionType" not in kinesis.put_record(StreamName=name, Data=b"x", PartitionKey="k")


def test_encryption_errors(kinesis, make_stream):
    name = make_stream()
    kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["KeyId"] == "alias/aws/kinesis"
    with pytest.raises(ClientError) as exc:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="KMS", KeyId="alias/missing")
    assert code_of(exc) == ("KMSNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.start_stream_encryption(StreamName=name, EncryptionType="NONE", KeyId="alias/aws/kinesis")
    assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        kinesis.start_stream_encryption(StreamName="nope", EncryptionType="KMS", KeyId="alias/aws/kinesis")
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def policy_for(arn: str, actions) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AllowCrossAccountWrite",
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                    "Action": actions,
                    "Resource": arn,
                }
            ],
        }
    )


def test_resource_policy_crud(kinesis, make_stream):
    # recorded: test_resource_policy_crud
    arn = stream_arn(make_stream())
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    first = policy_for(arn, "kinesis:PutRecord")
    kinesis.put_resource_policy(ResourceARN=arn, Policy=first)
    assert json.loads(kinesis.get_resource_policy(ResourceARN=arn)["Policy"]) == json.loads(first)
    second = policy_for(arn, ["kinesis:PutRecord", "kinesis:GetRecords"])
    kinesis.put_resource_policy(ResourceARN=arn, Policy=second)
    assert json.loads(kinesis.get_resource_policy(ResourceARN=arn)["Policy"]) == json.loads(second)
    kinesis.delete_resource_policy(ResourceARN=arn)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"


def test_resource_policy_errors(kinesis, make_stream):
    arn = stream_arn(make_stream())
    for bad in ("not json", "[]", json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe"}]})):
        with pytest.raises(ClientError) as exc:
            kinesis.put_resource_policy(ResourceARN=arn, Policy=bad)
        assert code_of(exc) == ("InvalidArgumentException", 400)  # message unverified
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    with pytest.raises(ClientError) as exc:
        kinesis.get_resource_policy(ResourceARN=stream_arn("nope"))
    assert code_of(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        kinesis.get_resource_policy(ResourceARN=f"{arn}/consumer/c:1")
    assert code_of(exc) == ("ResourceNotFoundException", 400)
