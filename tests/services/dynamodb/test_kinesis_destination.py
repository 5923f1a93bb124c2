"""Kinesis Data Streams for DynamoDB: streaming destinations and the records they receive.

Expectations: the recorded AWS answers in ``test_dynamodb.snapshot.json``
(``test_kinesis_streaming_destination_crud``: statuses, the Update errors' messages), the
botocore model, and the developer guide's description of the record ("Kinesis Data Streams for
DynamoDB"). Messages neither confirms are checked by code and status only (``# unverified``).
"""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import code_of, error_of

REGION = "us-east-1"


@pytest.fixture
def kinesis(aws_client):
    return aws_client("kinesis")


@pytest.fixture
def stream(kinesis):
    """A one-shard Kinesis stream: its ARN."""
    name = f"ddb-kds-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    yield arn
    kinesis.delete_stream(StreamARN=arn)


@pytest.fixture
def table(make_table):
    return make_table(range_key="sk")


def read_all(kinesis, arn: str) -> list[dict[str, Any]]:
    """Every record of every shard of the stream, oldest first (per shard), data parsed."""
    out = []
    for shard in kinesis.list_shards(StreamARN=arn)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamARN=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records = kinesis.get_records(StreamARN=arn, ShardIterator=iterator)["Records"]
        out.extend({"partition_key": r["PartitionKey"], **json.loads(r["Data"])} for r in records)
    return out


def enable(ddb, table: str, arn: str, **config: str) -> dict[str, Any]:
    params: dict[str, Any] = {"TableName": table, "StreamArn": arn}
    if config:
        params["EnableKinesisStreamingConfiguration"] = config
    return ddb.enable_kinesis_streaming_destination(**params)


# ---- the control plane ------------------------------------------------------------------------


def test_enable_describe_update_disable(ddb, table, stream):
    answer = enable(ddb, table, stream)
    del answer["ResponseMetadata"]
    assert answer == {
        "TableName": table,
        "StreamArn": stream,
        "DestinationStatus": "ENABLING",
        "EnableKinesisStreamingConfiguration": {},
    }
    described = ddb.describe_kinesis_streaming_destination(TableName=table)
    assert described["TableName"] == table
    assert described["KinesisDataStreamDestinations"] == [
        {"StreamArn": stream, "DestinationStatus": "ACTIVE"}
    ]

    updated = ddb.update_kinesis_streaming_destination(
        TableName=table,
        StreamArn=stream,
        UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
    )
    assert updated["DestinationStatus"] == "UPDATING"
    assert updated["UpdateKinesisStreamingConfiguration"] == {
        "ApproximateCreationDateTimePrecision": "MICROSECOND"
    }
    assert ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"] == [
        {
            "StreamArn": stream,
            "DestinationStatus": "ACTIVE",
            "ApproximateCreationDateTimePrecision": "MICROSECOND",
        }
    ]

    disabled = ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream)
    assert (disabled["TableName"], disabled["StreamArn"], disabled["DestinationStatus"]) == (
        table,
        stream,
        "DISABLING",
    )
    listed = ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"]
    assert [(d["StreamArn"], d["DestinationStatus"]) for d in listed] == [(stream, "DISABLED")]


def test_describe_without_destinations_and_by_table_arn(ddb, table):
    arn = ddb.describe_table(TableName=table)["Table"]["TableArn"]
    described = ddb.describe_kinesis_streaming_destination(TableName=arn)
    assert described["KinesisDataStreamDestinations"] == []


def test_enable_with_precision_and_enable_again_after_disable(ddb, table, stream):
    answer = enable(ddb, table, stream, ApproximateCreationDateTimePrecision="MICROSECOND")
    assert answer["EnableKinesisStreamingConfiguration"] == {
        "ApproximateCreationDateTimePrecision": "MICROSECOND"
    }
    ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream)
    assert enable(ddb, table, stream)["DestinationStatus"] == "ENABLING"
    assert ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"] == [
        {"StreamArn": stream, "DestinationStatus": "ACTIVE"}
    ]


# ---- errors --------------------------------------------------------------------------------------


def test_unknown_table(ddb, stream):
    for call in (ddb.enable_kinesis_streaming_destination, ddb.disable_kinesis_streaming_destination):
        with pytest.raises(ClientError) as err:
            call(TableName="bad-table", StreamArn=stream)
        assert error_of(err) == (  # as recorded from AWS
            "ResourceNotFoundException",
            "Requested resource not found: Table: bad-table not found",
            400,
        )
    with pytest.raises(ClientError) as err:
        ddb.describe_kinesis_streaming_destination(TableName="bad-table")
    assert code_of(err) == ("ResourceNotFoundException", 400)


def test_unknown_stream(ddb, table):
    missing = f"arn:aws:kinesis:{REGION}:000000000000:stream/no-such-stream"
    with pytest.raises(ClientError) as err:
        enable(ddb, table, missing)
    assert code_of(err) == ("ResourceNotFoundException", 400)  # message unverified
    assert ddb.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"] == []


def test_double_enable(ddb, table, stream):
    enable(ddb, table, stream)
    with pytest.raises(ClientError) as err:
        enable(ddb, table, stream)
    assert code_of(err) == ("ResourceInUseException", 400)  # unverified


def test_disable_and_update_when_not_enabled(ddb, table, stream):
    with pytest.raises(ClientError) as err:
        ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream)
    assert code_of(err) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as err:
        ddb.update_kinesis_streaming_destination(
            TableName=table,
            StreamArn=stream,
            UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
        )
    assert error_of(err) == (  # as recorded from AWS
        "ValidationException",
        "Table is not in a valid state to enable Kinesis Streaming Destination: No streaming destination "
        f"with streamArn: {stream} found for table with tableName: {table}",
        400,
    )
    enable(ddb, table, stream)
    ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream)
    with pytest.raises(ClientError) as err:  # disabled twice
        ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream)
    assert code_of(err) == ("ValidationException", 400)


def test_update_errors(ddb, ddb_raw, table, stream):
    enable(ddb, table, stream)
    with pytest.raises(ClientError) as err:
        ddb.update_kinesis_streaming_destination(
            TableName=table, StreamArn=stream, UpdateKinesisStreamingConfiguration={}
        )
    assert error_of(err) == (  # as recorded from AWS
        "ValidationException",
        "Streaming destination cannot be updated with given parameters: UpdateKinesisStreamingConfiguration "
        "cannot be null or contain only null values",
        400,
    )
    with pytest.raises(ClientError) as err:
        ddb_raw.update_kinesis_streaming_destination(
            TableName=table,
            StreamArn=stream,
            UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "SECOND"},
        )
    assert error_of(err) == (  # as recorded from AWS
        "ValidationException",
        "1 validation error detected: Value 'SECOND' at "
        "'updateKinesisStreamingConfiguration.approximateCreationDateTimePrecision' failed to satisfy "
        "constraint: Member must satisfy enum value set: [MILLISECOND, MICROSECOND]",
        400,
    )
    with pytest.raises(ClientError) as err:  # the default precision, asked for again
        ddb.update_kinesis_streaming_destination(
            TableName=table,
            StreamArn=stream,
            UpdateKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MILLISECOND"},
        )
    table_id = ddb.describe_table(TableName=table)["Table"]["TableId"]
    assert error_of(err) == (  # as recorded from AWS (for MICROSECOND)
        "ValidationException",
        f"Invalid Request: Precision is already set to the desired value of MILLISECOND for tableId: "
        f"{table_id}, kdsArn: {stream}",
        400,
    )


def test_bad_precision_on_enable(ddb_raw, table, stream):
    with pytest.raises(ClientError) as err:
        ddb_raw.enable_kinesis_streaming_destination(
            TableName=table,
            StreamArn=stream,
            EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "NANOSECOND"},
        )
    code, message, status = error_of(err)
    assert (code, status) == ("ValidationException", 400)
    assert "enableKinesisStreamingConfiguration.approximateCreationDateTimePrecision" in message
    assert (
        ddb_raw.describe_kinesis_streaming_destination(TableName=table)["KinesisDataStreamDestinations"] == []
    )


# ---- the records -----------------------------------------------------------------------------------


def test_insert_modify_remove_records(ddb, kinesis, table, stream, cloudlet):
    enable(ddb, table, stream)
    before = cloudlet.clock()["now"]
    key = {"pk": {"S": "a"}, "sk": {"S": "1"}}
    ddb.put_item(TableName=table, Item={**key, "n": {"N": "1"}, "b": {"B": b"\x00\xff"}})
    ddb.update_item(
        TableName=table,
        Key=key,
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    ddb.update_item(  # no change: no record
        TableName=table,
        Key=key,
        UpdateExpression="SET n = :n",
        ExpressionAttributeValues={":n": {"N": "2"}},
    )
    ddb.delete_item(TableName=table, Key=key)
    ddb.delete_item(TableName=table, Key=key)  # nothing deleted: no record
    after = cloudlet.clock()["now"]
    records = read_all(kinesis, stream)
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    b64 = base64.b64encode(b"\x00\xff").decode()
    first_image = {**key, "n": {"N": "1"}, "b": {"B": b64}}
    second_image = {**key, "n": {"N": "2"}, "b": {"B": b64}}
    insert, modify, remove = records
    assert list(insert) == [
        "partition_key",
        "awsRegion",
        "eventID",
        "eventName",
        "userIdentity",
        "recordFormat",
        "tableName",
        "dynamodb",
        "eventSource",
    ]
    assert insert["awsRegion"] == REGION
    assert insert["recordFormat"] == "application/json"
    assert insert["tableName"] == table
    assert insert["eventSource"] == "aws:dynamodb"
    assert insert["userIdentity"] is None
    assert len({r["eventID"] for r in records}) == 3
    change = insert["dynamodb"]
    assert change["Keys"] == key
    assert change["NewImage"] == first_image
    assert "OldImage" not in change
    assert change["ApproximateCreationDateTimePrecision"] == "MILLISECOND"
    assert int(before * 1000) <= change["ApproximateCreationDateTime"] <= int(after * 1000) + 1
    assert change["SizeBytes"] > 0
    assert modify["dynamodb"]["OldImage"] == first_image  # both images, whatever the stream view
    assert modify["dynamodb"]["NewImage"] == second_image
    assert remove["dynamodb"]["OldImage"] == second_image
    assert "NewImage" not in remove["dynamodb"]
    # Every change of an item has the same partition key (so the same shard, in order).
    assert len({r["partition_key"] for r in records}) == 1


def test_microsecond_precision(ddb, kinesis, table, stream, cloudlet):
    enable(ddb, table, stream, ApproximateCreationDateTimePrecision="MICROSECOND")
    before = cloudlet.clock()["now"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    change = read_all(kinesis, stream)[0]["dynamodb"]
    assert change["ApproximateCreationDateTimePrecision"] == "MICROSECOND"
    assert abs(change["ApproximateCreationDateTime"] - before * 1_000_000) < 60 * 1_000_000


def test_records_stop_when_disabled_and_start_when_enabled(ddb, kinesis, table, stream):
    ddb.put_item(TableName=table, Item={"pk": {"S": "before"}, "sk": {"S": "1"}})
    enable(ddb, table, stream)
    ddb.put_item(TableName=table, Item={"pk": {"S": "during"}, "sk": {"S": "1"}})
    ddb.disable_kinesis_streaming_destination(TableName=table, StreamArn=stream)
    ddb.put_item(TableName=table, Item={"pk": {"S": "after"}, "sk": {"S": "1"}})
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(kinesis, stream)] == ["during"]


def test_transactions_batches_and_partiql(ddb, kinesis, table, stream):
    enable(ddb, table, stream)
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": table, "Item": {"pk": {"S": "t1"}, "sk": {"S": "1"}}}},
            {"Put": {"TableName": table, "Item": {"pk": {"S": "t2"}, "sk": {"S": "1"}}}},
        ]
    )
    with pytest.raises(ClientError):  # a cancelled transaction writes no record
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {"pk": {"S": "t3"}, "sk": {"S": "1"}}}},
                {
                    "Put": {
                        "TableName": table,
                        "Item": {"pk": {"S": "t1"}, "sk": {"S": "1"}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
    ddb.batch_write_item(
        RequestItems={
            table: [
                {"PutRequest": {"Item": {"pk": {"S": "b1"}, "sk": {"S": "1"}}}},
                {"DeleteRequest": {"Key": {"pk": {"S": "t2"}, "sk": {"S": "1"}}}},
            ]
        }
    )
    ddb.execute_statement(Statement=f"INSERT INTO \"{table}\" VALUE {{'pk': 'p1', 'sk': '1'}}")
    ddb.execute_statement(Statement=f"UPDATE \"{table}\" SET v = 5 WHERE pk = 'p1' AND sk = '1'")
    got = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in read_all(kinesis, stream)]
    assert got == [
        ("INSERT", "t1"),
        ("INSERT", "t2"),
        ("INSERT", "b1"),
        ("REMOVE", "t2"),
        ("INSERT", "p1"),
        ("MODIFY", "p1"),
    ]


def test_ttl_deletion_names_dynamodb(ddb, kinesis, table, stream, cloudlet):
    ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"}
    )
    enable(ddb, table, stream)
    now = cloudlet.clock()["now"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "sk": {"S": "1"}, "exp": {"N": str(int(now + 10))}})
    cloudlet.advance_clock(60)
    records = read_all(kinesis, stream)
    assert [r["eventName"] for r in records] == ["INSERT", "REMOVE"]
    assert records[0]["userIdentity"] is None
    assert records[1]["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def test_partition_key_follows_the_item_partition_key(ddb, kinesis, make_table, stream):
    name = make_table(range_key="sk")
    enable(ddb, name, stream)
    for pk, sk in (("a", "1"), ("a", "2"), ("b", "1")):
        ddb.put_item(TableName=name, Item={"pk": {"S": pk}, "sk": {"S": sk}})
    keys = [r["partition_key"] for r in read_all(kinesis, stream)]
    assert keys[0] == keys[1] != keys[2]


def test_deleted_stream_takes_nothing_and_writes_go_on(ddb, kinesis, table):
    name = f"ddb-kds-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    enable(ddb, table, arn)
    kinesis.delete_stream(StreamARN=arn)
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "sk": {"S": "1"}})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}, "sk": {"S": "1"}})["Item"]


def test_global_table_destination_is_regional(aws_client, ddb, kinesis, make_table, stream):
    name = make_table()
    enable(ddb, name, stream)
    ddb.update_table(TableName=name, ReplicaUpdates=[{"Create": {"RegionName": "us-west-2"}}])
    west = aws_client("dynamodb", region_name="us-west-2")
    try:
        assert (
            west.describe_kinesis_streaming_destination(TableName=name)["KinesisDataStreamDestinations"] == []
        )
        west.put_item(TableName=name, Item={"pk": {"S": "from-west"}})  # replicated home: one record
        ddb.put_item(TableName=name, Item={"pk": {"S": "from-home"}})
        got = [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(kinesis, stream)]
        assert got == ["from-west", "from-home"]
        assert {r["awsRegion"] for r in read_all(kinesis, stream)} == {REGION}
    finally:
        ddb.update_table(TableName=name, ReplicaUpdates=[{"Delete": {"RegionName": "us-west-2"}}])


# ---- durability -----------------------------------------------------------------------------------


def test_destination_and_records_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        ddb = client("dynamodb", server.endpoint)
        kinesis = client("kinesis", server.endpoint)
        ddb.create_table(
            TableName="orders",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        kinesis.create_stream(StreamName="changes", ShardCount=1)
        arn = kinesis.describe_stream_summary(StreamName="changes")["StreamDescriptionSummary"]["StreamARN"]
        ddb.enable_kinesis_streaming_destination(
            TableName="orders",
            StreamArn=arn,
            EnableKinesisStreamingConfiguration={"ApproximateCreationDateTimePrecision": "MICROSECOND"},
        )
        ddb.put_item(TableName="orders", Item={"pk": {"S": "before"}})
    finally:
        server.kill()
    server.start()
    try:
        ddb = client("dynamodb", server.endpoint)
        kinesis = client("kinesis", server.endpoint)
        assert ddb.describe_kinesis_streaming_destination(TableName="orders")[
            "KinesisDataStreamDestinations"
        ] == [
            {
                "StreamArn": arn,
                "DestinationStatus": "ACTIVE",
                "ApproximateCreationDateTimePrecision": "MICROSECOND",
            }
        ]
        ddb.put_item(TableName="orders", Item={"pk": {"S": "after"}})
        records = read_all(kinesis, arn)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["before", "after"]
        assert {r["dynamodb"]["ApproximateCreationDateTimePrecision"] for r in records} == {"MICROSECOND"}
    finally:
        server.kill()
