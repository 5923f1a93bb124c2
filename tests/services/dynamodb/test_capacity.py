"""Opt-in provisioned throughput (``--dynamodb-throttle``): over-capacity requests are throttled."""

from __future__ import annotations

import time
import uuid

import pytest
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.testing.server import ServerThread, client, free_port

KEY = [{"AttributeName": "pk", "KeyType": "HASH"}]
DEFS = [{"AttributeName": "pk", "AttributeType": "S"}]


@pytest.fixture(scope="module")
def server():
    config = Config(port=free_port(), in_memory=True, log_level="warning", dynamodb_throttle=True)
    thread = ServerThread(config).start()
    yield thread
    thread.stop()


@pytest.fixture
def ddb(server):
    # No retries: the SDK would otherwise back off until the bucket refilled.
    return client("dynamodb", server.endpoint, config=BotoConfig(retries={"total_max_attempts": 1}))


def make_table(ddb, read=1, write=1, **extra):
    name = f"cap-{uuid.uuid4().hex[:10]}"
    ddb.create_table(
        TableName=name,
        KeySchema=KEY,
        AttributeDefinitions=extra.pop("definitions", DEFS),
        ProvisionedThroughput={"ReadCapacityUnits": read, "WriteCapacityUnits": write},
        **extra,
    )
    return name


def throttled(call):
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]


def test_writes_over_capacity_are_throttled_until_the_bucket_refills(ddb, server):
    # The clock runs on in real time (2 units a second here): the writes that end a burst are
    # large, so the bucket is a few units short and stays so for more than a second however
    # slow the machine.
    table = make_table(ddb, write=2)

    def put(i: int, kib: int = 0) -> None:
        ddb.put_item(TableName=table, Item={"pk": {"S": str(i)}, "v": {"S": "x" * (kib * 1024)}})

    put(0)  # 1 unit: 2 - 1 = 1
    put(1, kib=3)  # 4 units: 1 - 4 = -3
    error = throttled(lambda: put(2))
    assert error["Code"] == "ProvisionedThroughputExceededException"
    assert error["Message"].startswith(
        "The level of configured provisioned throughput for the table was exceeded."
    )
    server.advance_clock(3)  # six more units: 3
    put(2)  # 2 left
    put(3, kib=4)  # 5 units: -3
    throttled(lambda: put(4))


def test_reads_have_their_own_bucket(ddb, server):
    # A ~40 KB item: a strongly consistent read of it costs 10 units, leaving the read bucket
    # 9 units short, so the next reads stay throttled for ~9 s of real time however slow the
    # machine (the clock runs on); the write (40 units) fits the write bucket (50).
    table = make_table(ddb, read=1, write=50)
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "v": {"S": "x" * 40_000}})
    ddb.get_item(TableName=table, Key={"pk": {"S": "a"}}, ConsistentRead=True)
    error = throttled(lambda: ddb.get_item(TableName=table, Key={"pk": {"S": "a"}}, ConsistentRead=True))
    assert error["Code"] == "ProvisionedThroughputExceededException"
    throttled(
        lambda: ddb.query(
            TableName=table, KeyConditionExpression="pk = :p", ExpressionAttributeValues={":p": {"S": "a"}}
        )
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}})  # writes are not affected
    server.advance_clock(10)
    ddb.scan(TableName=table)


def test_unused_capacity_bursts_up_to_five_minutes(ddb, server):
    table = make_table(ddb, write=1)
    server.advance_clock(600)  # only 300 seconds are kept
    started = time.monotonic()
    written = 0
    while True:
        try:
            ddb.put_item(TableName=table, Item={"pk": {"S": str(written)}})
        except ClientError as err:
            assert err.response["Error"]["Code"] == "ProvisionedThroughputExceededException"
            break
        written += 1
        assert written <= 400, "never throttled"
    # 300 banked units, plus the one a second that real time added while writing.
    assert 300 <= written <= 300 + int(time.monotonic() - started) + 1


def test_large_items_cost_more_units(ddb, server):
    table = make_table(ddb, write=1)
    ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "v": {"S": "x" * 5000}})  # 5 units: 1 - 5 = -4
    throttled(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": "small"}}))
    server.advance_clock(4)  # back to 0: a write needs a whole unit
    throttled(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": "small"}}))
    server.advance_clock(1)
    ddb.put_item(TableName=table, Item={"pk": {"S": "small"}})


def test_on_demand_tables_are_not_throttled(ddb):
    name = f"cap-{uuid.uuid4().hex[:10]}"
    ddb.create_table(TableName=name, KeySchema=KEY, AttributeDefinitions=DEFS, BillingMode="PAY_PER_REQUEST")
    for i in range(50):
        ddb.put_item(TableName=name, Item={"pk": {"S": str(i)}})


def test_a_gsi_over_capacity_throttles_table_writes(ddb):
    table = make_table(
        ddb,
        write=100,
        definitions=[*DEFS, {"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
                "ProvisionedThroughput": {"ReadCapacityUnits": 1, "WriteCapacityUnits": 1},
            }
        ],
    )
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    error = throttled(lambda: ddb.put_item(TableName=table, Item={"pk": {"S": "b"}, "g": {"S": "y"}}))
    assert "global secondary indexes" in error["Message"]


def test_batch_write_returns_throttled_tables_as_unprocessed(ddb):
    slow, fast = make_table(ddb, write=1), make_table(ddb, write=100)
    ddb.put_item(TableName=slow, Item={"pk": {"S": "first"}})  # spends the one unit
    requests = {
        slow: [{"PutRequest": {"Item": {"pk": {"S": "s"}}}}],
        fast: [{"PutRequest": {"Item": {"pk": {"S": "f"}}}}],
    }
    answer = ddb.batch_write_item(RequestItems=requests)
    assert answer["UnprocessedItems"] == {slow: requests[slow]}
    assert "Item" in ddb.get_item(TableName=fast, Key={"pk": {"S": "f"}})
    error = throttled(lambda: ddb.batch_write_item(RequestItems={slow: requests[slow]}))
    assert error["Code"] == "ProvisionedThroughputExceededException"


def test_transaction_on_a_throttled_table_is_cancelled(ddb):
    table = make_table(ddb, write=1)
    ddb.put_item(TableName=table, Item={"pk": {"S": "first"}})
    with pytest.raises(ClientError) as err:
        ddb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": {"pk": {"S": "t"}}}}])
    assert err.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert err.value.response["CancellationReasons"][0]["Code"] == "ProvisionedThroughputExceeded"
