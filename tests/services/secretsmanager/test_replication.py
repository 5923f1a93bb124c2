"""Replicas in other regions of the same Cloudlet: created, read-only, kept in sync, removed, promoted."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


@pytest.fixture
def west(aws_client):
    return aws_client("secretsmanager", region_name="eu-west-1")


def test_replica_lifecycle(sm, west, name):
    created = sm.create_secret(Name=name, SecretString="v1", AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert created["ReplicationStatus"] == [{"Region": "eu-west-1", "Status": "InSync"}]
    replica = west.describe_secret(SecretId=name)
    assert replica["PrimaryRegion"] == "us-east-1"
    assert replica["ARN"] == created["ARN"].replace("us-east-1", "eu-west-1")
    assert west.get_secret_value(SecretId=name)["SecretString"] == "v1"
    primary = sm.describe_secret(SecretId=name)
    assert (
        primary["PrimaryRegion"] == "us-east-1" and primary["ReplicationStatus"][0]["Region"] == "eu-west-1"
    )
    # kept in sync
    sm.put_secret_value(SecretId=name, SecretString="v2")
    sm.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}])
    assert west.get_secret_value(SecretId=name)["SecretString"] == "v2"
    assert west.get_secret_value(SecretId=name, VersionStage="AWSPREVIOUS")["SecretString"] == "v1"
    assert west.describe_secret(SecretId=name)["Tags"] == [{"Key": "k", "Value": "v"}]
    # read-only
    with pytest.raises(ClientError) as exc:
        west.put_secret_value(SecretId=name, SecretString="nope")
    assert error_of(exc)[0] == "InvalidRequestException"
    # the primary cannot be deleted while it has replicas
    with pytest.raises(ClientError) as exc:
        sm.delete_secret(SecretId=name)
    assert error_of(exc)[0] == "InvalidRequestException"
    out = sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["eu-west-1"])
    assert out["ReplicationStatus"] == []
    with pytest.raises(ClientError) as exc:
        west.describe_secret(SecretId=name)
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_replicate_later_and_promote(sm, west, aws_client, name):
    sm.create_secret(Name=name, SecretString="v1")
    out = sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "eu-west-1"}])
    assert out["ReplicationStatus"][0]["Status"] == "InSync"
    west.stop_replication_to_replica(SecretId=name)
    assert "PrimaryRegion" not in west.describe_secret(SecretId=name)
    assert "ReplicationStatus" not in sm.describe_secret(SecretId=name)
    west.put_secret_value(SecretId=name, SecretString="independent")
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v1"


def test_existing_name_in_region(sm, aws_client, name):
    east2 = aws_client("secretsmanager", region_name="us-east-2")
    east2.create_secret(Name=name, SecretString="theirs")
    out = sm.create_secret(Name=name, SecretString="mine", AddReplicaRegions=[{"Region": "us-east-2"}])
    assert out["ReplicationStatus"][0]["Status"] == "Failed"
    assert east2.get_secret_value(SecretId=name)["SecretString"] == "theirs"
    sm.remove_regions_from_replication(SecretId=name, RemoveReplicaRegions=["us-east-2"])
    sm.replicate_secret_to_regions(
        SecretId=name, AddReplicaRegions=[{"Region": "us-east-2"}], ForceOverwriteReplicaSecret=True
    )
    assert east2.get_secret_value(SecretId=name)["SecretString"] == "mine"
    with pytest.raises(ClientError) as exc:
        sm.replicate_secret_to_regions(SecretId=name, AddReplicaRegions=[{"Region": "us-east-1"}])
    assert error_of(exc)[0] == "InvalidParameterException"
