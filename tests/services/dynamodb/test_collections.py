"""ReturnItemCollectionMetrics on tables with local secondary indexes."""

from __future__ import annotations

import uuid

import pytest


@pytest.fixture
def lsi_table(ddb):
    name = f"coll-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "ls", "AttributeType": "N"},
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by-ls",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "ls", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    ddb.delete_table(TableName=name)


def test_writes_report_the_item_collection(ddb, lsi_table):
    item = {"pk": {"S": "p"}, "sk": {"S": "1"}, "ls": {"N": "1"}}
    answer = ddb.put_item(TableName=lsi_table, Item=item, ReturnItemCollectionMetrics="SIZE")
    assert answer["ItemCollectionMetrics"] == {
        "ItemCollectionKey": {"pk": {"S": "p"}},
        "SizeEstimateRangeGB": [0.0, 1.0],
    }
    answer = ddb.update_item(
        TableName=lsi_table,
        Key={"pk": {"S": "p"}, "sk": {"S": "1"}},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"S": "x"}},
        ReturnItemCollectionMetrics="SIZE",
    )
    assert answer["ItemCollectionMetrics"]["ItemCollectionKey"] == {"pk": {"S": "p"}}
    answer = ddb.batch_write_item(
        RequestItems={lsi_table: [{"PutRequest": {"Item": {"pk": {"S": "q"}, "sk": {"S": "1"}}}}]},
        ReturnItemCollectionMetrics="SIZE",
    )
    assert answer["ItemCollectionMetrics"][lsi_table][0]["ItemCollectionKey"] == {"pk": {"S": "q"}}
    answer = ddb.transact_write_items(
        TransactItems=[{"Delete": {"TableName": lsi_table, "Key": {"pk": {"S": "q"}, "sk": {"S": "1"}}}}],
        ReturnItemCollectionMetrics="SIZE",
    )
    assert answer["ItemCollectionMetrics"][lsi_table][0]["ItemCollectionKey"] == {"pk": {"S": "q"}}
    answer = ddb.delete_item(
        TableName=lsi_table, Key={"pk": {"S": "p"}, "sk": {"S": "1"}}, ReturnItemCollectionMetrics="SIZE"
    )
    assert answer["ItemCollectionMetrics"]["SizeEstimateRangeGB"] == [0.0, 1.0]


def test_no_metrics_without_local_indexes_or_without_asking(ddb, make_table, lsi_table):
    item = {"pk": {"S": "p"}, "sk": {"S": "2"}}
    assert "ItemCollectionMetrics" not in ddb.put_item(TableName=lsi_table, Item=item)
    plain = make_table()
    answer = ddb.put_item(TableName=plain, Item={"pk": {"S": "p"}}, ReturnItemCollectionMetrics="SIZE")
    assert "ItemCollectionMetrics" not in answer
