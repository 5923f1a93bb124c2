"""Time to live: expired items are deleted on the service clock, others are left alone."""

from __future__ import annotations

import time
import uuid

import pytest


@pytest.fixture
def ddb(aws_client):
    return aws_client("dynamodb")


@pytest.fixture
def ttl_table(ddb):
    name = f"ttl-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    ddb.delete_table(TableName=name)


def keys(ddb, table):
    return sorted(i["pk"]["S"] for i in ddb.scan(TableName=table, ConsistentRead=True)["Items"])


def service_now(cloudlet) -> float:
    return cloudlet.clock()["now"]


def test_ttl_description_and_toggling(ddb, ttl_table):
    assert ddb.describe_time_to_live(TableName=ttl_table)["TimeToLiveDescription"] == {
        "TimeToLiveStatus": "DISABLED"
    }
    spec = {"Enabled": True, "AttributeName": "expires"}
    assert (
        ddb.update_time_to_live(TableName=ttl_table, TimeToLiveSpecification=spec)["TimeToLiveSpecification"]
        == spec
    )
    description = ddb.describe_time_to_live(TableName=ttl_table)["TimeToLiveDescription"]
    assert description == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    with pytest.raises(ddb.exceptions.ClientError) as err:
        ddb.update_time_to_live(TableName=ttl_table, TimeToLiveSpecification=spec)
    assert err.value.response["Error"]["Code"] == "ValidationException"
    assert err.value.response["Error"]["Message"] == "TimeToLive is already enabled"


def test_expired_items_are_deleted_as_the_clock_moves(ddb, ttl_table, cloudlet):
    ddb.update_time_to_live(
        TableName=ttl_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    now = service_now(cloudlet)
    items = {
        "soon": {"N": str(int(now + 100))},
        "later": {"N": str(int(now + 10_000))},
        "text": {"S": "not a number"},
        "ancient": {"N": str(int(now - 6 * 365 * 86400))},  # older than five years: ignored
    }
    for key, exp in items.items():
        ddb.put_item(TableName=ttl_table, Item={"pk": {"S": key}, "exp": exp})
    ddb.put_item(TableName=ttl_table, Item={"pk": {"S": "none"}})
    assert keys(ddb, ttl_table) == ["ancient", "later", "none", "soon", "text"]
    cloudlet.advance_clock(101)
    assert keys(ddb, ttl_table) == ["ancient", "later", "none", "text"]
    cloudlet.advance_clock(10_000)
    assert keys(ddb, ttl_table) == ["ancient", "none", "text"]
    assert ddb.describe_table(TableName=ttl_table)["Table"]["ItemCount"] == 3


def test_enabling_ttl_applies_to_items_already_there(ddb, ttl_table, cloudlet):
    now = service_now(cloudlet)
    ddb.put_item(TableName=ttl_table, Item={"pk": {"S": "old"}, "exp": {"N": str(int(now + 50))}})
    cloudlet.advance_clock(60)
    assert keys(ddb, ttl_table) == ["old"]  # TTL is not enabled yet
    ddb.update_time_to_live(
        TableName=ttl_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    deadline = time.monotonic() + 5
    while keys(ddb, ttl_table) and time.monotonic() < deadline:
        time.sleep(0.02)  # the sweeper runs in the background, right away for a past expiry
    assert keys(ddb, ttl_table) == []


def test_updating_the_ttl_attribute_postpones_expiry(ddb, ttl_table, cloudlet):
    ddb.update_time_to_live(
        TableName=ttl_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    now = service_now(cloudlet)
    ddb.put_item(TableName=ttl_table, Item={"pk": {"S": "k"}, "exp": {"N": str(int(now + 30))}})
    ddb.update_item(
        TableName=ttl_table,
        Key={"pk": {"S": "k"}},
        UpdateExpression="SET exp = :e",
        ExpressionAttributeValues={":e": {"N": str(int(now + 3000))}},
    )
    cloudlet.advance_clock(60)
    assert keys(ddb, ttl_table) == ["k"]
    cloudlet.advance_clock(3000)
    assert keys(ddb, ttl_table) == []


def test_enabling_ttl_on_a_large_table_covers_every_item(ddb, ttl_table, cloudlet):
    """Past the first 1,000 items the expiry times are set by background steps: every item still
    expires, and items without the attribute are kept."""
    now = service_now(cloudlet)
    for start in range(0, 1500, 25):
        ddb.batch_write_item(
            RequestItems={
                ttl_table: [
                    {"PutRequest": {"Item": {"pk": {"S": f"k{i:05d}"}, "exp": {"N": str(int(now + 100))}}}}
                    for i in range(start, start + 25)
                ]
            }
        )
    ddb.put_item(TableName=ttl_table, Item={"pk": {"S": "zz-kept"}})
    ddb.update_time_to_live(
        TableName=ttl_table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    cloudlet.advance_clock(101)
    deadline = time.monotonic() + 10
    while len(keys(ddb, ttl_table)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)  # the last background steps run in real time
    assert keys(ddb, ttl_table) == ["zz-kept"]
