"""Global tables, version 2019.11.21: UpdateTable ReplicaUpdates, replicated writes, Replicas.

Expectations come from the DynamoDB developer guide's global tables chapters and from AWS's
answers as users measured and published them (messages quoted in services/dynamodb/replicas.py);
what neither settles is marked ``# unverified``.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from tests.services.dynamodb.conftest import unique

HOME, WEST, EU = "us-east-1", "us-west-2", "eu-west-1"


@pytest.fixture
def clients(aws_client):
    return {region: aws_client("dynamodb", region_name=region) for region in (HOME, WEST, EU)}


def make_global(clients, name: str, **extra) -> None:
    clients[HOME].create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        **extra,
    )


def add_replica(clients, name: str, region: str, via: str = HOME) -> dict:
    return clients[via].update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": region}}])


def replica_regions(client, name: str) -> list[str]:
    table = client.describe_table(TableName=name)["Table"]
    return [r["RegionName"] for r in table.get("Replicas", [])]


def error_of(excinfo) -> tuple[str, str]:
    error = excinfo.value.response["Error"]
    return error["Code"], error["Message"]


def test_replica_created_with_existing_items_and_described_in_both_regions(clients):
    name = unique()
    make_global(clients, name)
    clients[HOME].put_item(TableName=name, Item={"pk": {"S": "before"}, "v": {"N": "1"}})
    add_replica(clients, name, WEST)

    home = clients[HOME].describe_table(TableName=name)["Table"]
    west = clients[WEST].describe_table(TableName=name)["Table"]
    assert home["GlobalTableVersion"] == west["GlobalTableVersion"] == "2019.11.21"
    assert home["Replicas"] == [{"RegionName": WEST, "ReplicaStatus": "ACTIVE"}]
    assert west["Replicas"] == [{"RegionName": HOME, "ReplicaStatus": "ACTIVE"}]  # the *other* members
    assert west["TableArn"].startswith(f"arn:aws:dynamodb:{WEST}:")
    assert west["TableId"] != home["TableId"]
    # AWS turns the stream on (NEW_AND_OLD_IMAGES) for the group
    assert home["StreamSpecification"] == {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert west["StreamSpecification"] == home["StreamSpecification"]
    item = clients[WEST].get_item(TableName=name, Key={"pk": {"S": "before"}})["Item"]
    assert item == {"pk": {"S": "before"}, "v": {"N": "1"}}


def test_writes_replicate_both_ways_with_stream_records(clients, aws_client):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    clients[HOME].put_item(TableName=name, Item={"pk": {"S": "a"}, "v": {"N": "1"}})
    clients[WEST].update_item(
        TableName=name,
        Key={"pk": {"S": "a"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    clients[WEST].put_item(TableName=name, Item={"pk": {"S": "b"}})
    clients[HOME].delete_item(TableName=name, Key={"pk": {"S": "b"}})
    for region in (HOME, WEST):
        client = clients[region]
        assert client.get_item(TableName=name, Key={"pk": {"S": "a"}}, ConsistentRead=True)["Item"]["v"] == {
            "N": "2"
        }
        assert "Item" not in client.get_item(TableName=name, Key={"pk": {"S": "b"}})

    # each replica's stream holds every change, wherever it was made
    for region in (HOME, WEST):
        arn = clients[region].describe_table(TableName=name)["Table"]["LatestStreamArn"]
        assert f":{region}:" in arn
        streams = aws_client("dynamodbstreams", region_name=region)
        shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")[
            "ShardIterator"
        ]
        records = streams.get_records(ShardIterator=iterator)["Records"]
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "INSERT", "REMOVE"]
        assert records[1]["dynamodb"]["OldImage"]["v"] == {"N": "1"}
        assert records[1]["dynamodb"]["NewImage"]["v"] == {"N": "2"}


def test_batch_and_transactions_replicate(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    clients[HOME].batch_write_item(
        RequestItems={name: [{"PutRequest": {"Item": {"pk": {"S": f"k{i}"}}}} for i in range(3)]}
    )
    clients[WEST].transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"pk": {"S": "t"}}}},
            {"Delete": {"TableName": name, "Key": {"pk": {"S": "k0"}}}},
        ]
    )
    clients[HOME].execute_statement(Statement=f"INSERT INTO \"{name}\" VALUE {{'pk': 'p'}}")
    for region in (HOME, WEST):
        keys = sorted(i["pk"]["S"] for i in clients[region].scan(TableName=name)["Items"])
        assert keys == ["k1", "k2", "p", "t"]


def test_third_replica_from_any_member_and_creation_order(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    add_replica(clients, name, EU, via=WEST)  # control is symmetric
    assert replica_regions(clients[HOME], name) == [WEST, EU]
    assert replica_regions(clients[WEST], name) == [HOME, EU]
    assert replica_regions(clients[EU], name) == [HOME, WEST]
    clients[EU].put_item(TableName=name, Item={"pk": {"S": "eu"}})
    assert "Item" in clients[HOME].get_item(TableName=name, Key={"pk": {"S": "eu"}})


def test_replica_deletion(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    add_replica(clients, name, EU)
    clients[HOME].update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    with pytest.raises(ClientError) as excinfo:
        clients[WEST].describe_table(TableName=name)
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert replica_regions(clients[HOME], name) == [EU]
    assert replica_regions(clients[EU], name) == [HOME]
    # a regional DeleteTable of a replica takes it out of the group too
    clients[EU].delete_table(TableName=name)
    home = clients[HOME].describe_table(TableName=name)["Table"]
    assert "Replicas" not in home and "GlobalTableVersion" not in home
    assert home["StreamSpecification"]["StreamEnabled"] is True  # kept after the last replica left
    clients[HOME].put_item(TableName=name, Item={"pk": {"S": "alone"}})  # nothing to replicate to


def test_replica_update_errors(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    home = clients[HOME]
    cases = [
        (
            [{"Create": {"RegionName": WEST}}],
            f"Failed to create a the new replica of table with name: \u2018{name}\u2019 because one or more "
            "replicas already existed as tables.",
        ),
        (
            [{"Delete": {"RegionName": "ca-central-1"}}],
            "Update global table operation failed because one or more replicas were not part of the global "
            "table. Please retry the request without these replicas: [ca-central-1].",
        ),
        (
            [{"Create": {"RegionName": HOME}}],
            "Cannot add or delete the local region through ReplicaUpdates. Use CreateTable, DeleteTable, or "
            "UpdateTable as required.",
        ),
        (
            [{"Create": {"RegionName": EU}}, {"Create": {"RegionName": "ap-south-1"}}],
            "Update table operation with more than one create or delete replica actions not allowed",
        ),
    ]
    for updates, message in cases:
        with pytest.raises(ClientError) as excinfo:
            home.update_table(TableName=name, ReplicaUpdates=updates)
        assert error_of(excinfo) == ("ValidationException", message)
    with pytest.raises(ClientError) as excinfo:
        home.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-east1"}}])
    code, message = error_of(excinfo)
    assert code == "ValidationException"
    assert message.startswith(
        "Region us-east1 is not supported. The latest version of global tables are only"
    )
    # a same-name table already in the target region
    clients[EU].create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    with pytest.raises(ClientError) as excinfo:
        add_replica(clients, name, EU)
    assert "already existed as tables" in error_of(excinfo)[1]
    # ReplicaUpdates must come alone (wording unverified)
    with pytest.raises(ClientError) as excinfo:
        home.update_table(
            TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}], DeletionProtectionEnabled=True
        )
    assert error_of(excinfo)[0] == "ValidationException"
    assert replica_regions(home, name) == [WEST]


def test_stream_cannot_be_disabled_on_a_global_table(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    with pytest.raises(ClientError) as excinfo:
        clients[WEST].update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert error_of(excinfo) == (
        "ValidationException",
        "One or more parameter values were invalid: Disabling Stream is not allowed for a Global Table replica.",
    )
    with pytest.raises(ClientError) as excinfo:
        clients[HOME].update_table(
            TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
        )
    assert error_of(excinfo) == (
        "ValidationException",
        f"Table already has an enabled stream: TableName: {name}",
    )


def test_stream_and_index_messages_as_measured(clients):
    name = unique()
    make_global(clients, name)
    with pytest.raises(ClientError) as excinfo:
        clients[HOME].update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    assert error_of(excinfo) == ("ValidationException", f"Table has no stream to disable: TableName: {name}")
    create = {
        "Create": {
            "IndexName": "by-pk",
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    }
    definitions = [{"AttributeName": "pk", "AttributeType": "S"}]
    clients[HOME].update_table(
        TableName=name, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[create]
    )
    with pytest.raises(ClientError) as excinfo:
        clients[HOME].update_table(
            TableName=name, AttributeDefinitions=definitions, GlobalSecondaryIndexUpdates=[create]
        )
    assert error_of(excinfo) == ("ValidationException", "Attempting to create an index which already exists")


def test_protected_replica_refuses_deletion(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    clients[WEST].update_table(TableName=name, DeletionProtectionEnabled=True)  # regional setting
    assert clients[HOME].describe_table(TableName=name)["Table"]["DeletionProtectionEnabled"] is False
    with pytest.raises(ClientError) as excinfo:
        clients[HOME].update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": WEST}}])
    assert error_of(excinfo) == (
        "ValidationException",
        f"Cannot delete table {name} in region {WEST} because it has deletion protection enabled. "
        "Disable deletion protection first.",
    )


def test_group_wide_settings_reach_every_replica(clients):
    name = unique()
    make_global(clients, name)
    add_replica(clients, name, WEST)
    clients[HOME].put_item(TableName=name, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    clients[HOME].update_table(
        TableName=name,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "by-g",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            }
        ],
    )
    west = clients[WEST].describe_table(TableName=name)["Table"]
    assert [g["IndexName"] for g in west["GlobalSecondaryIndexes"]] == ["by-g"]
    found = clients[WEST].query(
        TableName=name,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "x"}},
    )["Items"]
    assert [i["pk"]["S"] for i in found] == ["a"]
    assert clients[HOME].describe_table(TableName=name)["Table"]["Replicas"][0]["GlobalSecondaryIndexes"] == [
        {"IndexName": "by-g"}
    ]  # unverified: names only
    clients[WEST].update_time_to_live(
        TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    ttl = clients[HOME].describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires" and ttl["TimeToLiveStatus"] in ("ENABLED", "ENABLING")


def test_update_table_needs_a_change_message(clients):
    name = unique()
    make_global(clients, name)
    with pytest.raises(ClientError) as excinfo:
        clients[HOME].update_table(
            TableName=name, AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}]
        )
    assert error_of(excinfo) == (
        "ValidationException",
        "At least one of ProvisionedThroughput, BillingMode, UpdateStreamEnabled, GlobalSecondaryIndexUpdates, "
        "SSESpecification, ReplicaUpdates, MultiAccountReplicaReady, ReplicaTransitRoleArn, "
        "MultiRegionConsistency, DeletionProtectionEnabled, OnDemandThroughput, WarmThroughput or TableClass "
        "is required",
    )


def test_a_large_table_is_copied_into_its_replica_in_steps(clients, cloudlet):
    """Past the first 1,000 items the copy goes on in background steps on the clock: the replica
    is CREATING in its source's description meanwhile, and writes made during the copy end up
    in the replica once, as they are."""
    name = unique()
    make_global(clients, name)
    total = 2600
    for start in range(0, total, 25):
        clients[HOME].batch_write_item(
            RequestItems={
                name: [
                    {"PutRequest": {"Item": {"pk": {"S": f"p{i:05d}"}, "v": {"N": "0"}}}}
                    for i in range(start, min(start + 25, total))
                ]
            }
        )
    add_replica(clients, name, WEST)
    home = clients[HOME].describe_table(TableName=name)["Table"]
    assert home["Replicas"][0]["ReplicaStatus"] == "CREATING"
    # writes while the copy runs: a late item changed, an early one deleted, a new one
    clients[HOME].put_item(TableName=name, Item={"pk": {"S": f"p{total - 1:05d}"}, "v": {"N": "1"}})
    clients[HOME].delete_item(TableName=name, Key={"pk": {"S": "p00000"}})
    clients[WEST].put_item(TableName=name, Item={"pk": {"S": "new"}, "v": {"N": "2"}})
    cloudlet.advance_clock(5)
    home = clients[HOME].describe_table(TableName=name)["Table"]
    assert home["Replicas"][0]["ReplicaStatus"] == "ACTIVE"
    for region in (HOME, WEST):
        pages = clients[region].get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
        items = {i["pk"]["S"]: i["v"]["N"] for page in pages for i in page["Items"]}
        assert len(items) == total  # one deleted, one new
        assert "p00000" not in items and items["new"] == "2" and items[f"p{total - 1:05d}"] == "1"
        assert clients[region].describe_table(TableName=name)["Table"]["ItemCount"] == total
