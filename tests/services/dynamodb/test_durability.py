"""DynamoDB after kill -9 and a restart on the same data directory."""

from __future__ import annotations

from cloudlet.testing.server import ServerProcess, client


def test_items_indexes_and_counts_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        ddb = client("dynamodb", server.endpoint)
        ddb.create_table(
            TableName="orders",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "N"},
                {"AttributeName": "status", "AttributeType": "S"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": "by-status",
                    "KeySchema": [{"AttributeName": "status", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        for i in range(20):
            ddb.put_item(
                TableName="orders",
                Item={"pk": {"S": f"c{i % 4}"}, "sk": {"N": str(i)}, "status": {"S": "PENDING"}},
            )
        ddb.update_item(
            TableName="orders",
            Key={"pk": {"S": "c1"}, "sk": {"N": "5"}},
            UpdateExpression="SET #s = :taken",
            ConditionExpression="#s = :pending",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":taken": {"S": "TAKEN"}, ":pending": {"S": "PENDING"}},
        )
        ddb.delete_item(TableName="orders", Key={"pk": {"S": "c0"}, "sk": {"N": "0"}})
    finally:
        server.kill()
    server.start()
    try:
        ddb = client("dynamodb", server.endpoint)
        table = ddb.describe_table(TableName="orders")["Table"]
        assert table["ItemCount"] == 19
        assert table["GlobalSecondaryIndexes"][0]["ItemCount"] == 19
        got = ddb.get_item(TableName="orders", Key={"pk": {"S": "c1"}, "sk": {"N": "5"}})["Item"]
        assert got["status"] == {"S": "TAKEN"}
        taken = ddb.query(
            TableName="orders",
            IndexName="by-status",
            KeyConditionExpression="#s = :v",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":v": {"S": "TAKEN"}},
        )["Items"]
        assert [(i["pk"]["S"], i["sk"]["N"]) for i in taken] == [("c1", "5")]
        partition = ddb.query(
            TableName="orders",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "c0"}},
        )["Items"]
        assert [i["sk"]["N"] for i in partition] == ["4", "8", "12", "16"]
    finally:
        server.kill()


def test_global_table_keeps_replicating_after_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        home = client("dynamodb", server.endpoint)
        home.create_table(
            TableName="shared",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        home.update_table(TableName="shared", ReplicaUpdates=[{"Create": {"RegionName": "eu-west-1"}}])
        home.put_item(TableName="shared", Item={"pk": {"S": "before"}})
    finally:
        server.kill()
    server.start()
    try:
        home = client("dynamodb", server.endpoint)
        west = client("dynamodb", server.endpoint, region_name="eu-west-1")
        assert west.describe_table(TableName="shared")["Table"]["Replicas"] == [
            {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"}
        ]
        west.put_item(TableName="shared", Item={"pk": {"S": "after"}})
        keys = sorted(i["pk"]["S"] for i in home.scan(TableName="shared", ConsistentRead=True)["Items"])
        assert keys == ["after", "before"]
    finally:
        server.kill()
