"""DynamoDB Streams: the records writes leave, the four read operations, retention and iterator expiry.

Expected shapes, sizes and the unknown-stream message come from responses recorded against
real AWS (``/work/shared/aws-reference/dynamodb/test_dynamodb.snapshot.json``, scenarios
``test_dynamodb_stream_stream_view_type``, ``test_dynamodb_stream_records_with_update_item``,
``test_batch_write_items_streaming``, ``test_transact_write_items_streaming``, and
``dynamodbstreams/test_dynamodb_streams.snapshot.json``) and from the DynamoDB Streams API
reference. Errors whose exact message neither confirms are checked by code and status only.
"""

from __future__ import annotations

import asyncio
import base64
import re
import time
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import code_of, error_of

DAY = 24 * 3600
SHARD_ID = re.compile(r"shardId-\d{20}-[0-9a-f]{8}\Z")
RECORD_FIELDS = {"awsRegion", "dynamodb", "eventID", "eventName", "eventSource", "eventVersion"}
DESCRIPTION_FIELDS = {
    "CreationRequestDateTime",
    "KeySchema",
    "Shards",
    "StreamArn",
    "StreamLabel",
    "StreamStatus",
    "StreamViewType",
    "TableName",
}


@pytest.fixture
def streams(aws_client):
    return aws_client("dynamodbstreams")


@pytest.fixture
def streams_raw(aws_client):
    """A client that skips botocore's own parameter checks, so bad input reaches the server."""
    return aws_client(
        "dynamodbstreams",
        config=Config(parameter_validation=False, retries={"max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def stream_table(make_table, ddb):
    """``stream_table(view, **table_args)`` -> (table name, stream ARN)."""

    def make(view: str = "NEW_AND_OLD_IMAGES", **kwargs: Any) -> tuple[str, str]:
        name = make_table(StreamSpecification={"StreamEnabled": True, "StreamViewType": view}, **kwargs)
        return name, ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]

    return make


def shard_of(streams, arn: str) -> str:
    return streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]


def iterator(streams, arn: str, kind: str = "TRIM_HORIZON", **kwargs: Any) -> str:
    return streams.get_shard_iterator(
        StreamArn=arn, ShardId=shard_of(streams, arn), ShardIteratorType=kind, **kwargs
    )["ShardIterator"]


def read_all(streams, arn: str, kind: str = "TRIM_HORIZON", **kwargs: Any) -> list[dict[str, Any]]:
    """Every record from the iterator's position on, following NextShardIterator to an empty page."""
    it = iterator(streams, arn, kind, **kwargs)
    records: list[dict[str, Any]] = []
    for _ in range(100):
        page = streams.get_records(ShardIterator=it)
        records += page["Records"]
        if not page["Records"] or "NextShardIterator" not in page:
            return records
        it = page["NextShardIterator"]
    raise AssertionError("records never ended")


def summary(records: list[dict[str, Any]]) -> list[tuple[str, str, int]]:
    """(event name, hash key string, SizeBytes) of each record."""
    return [
        (r["eventName"], next(iter(r["dynamodb"]["Keys"].values()))["S"], r["dynamodb"]["SizeBytes"])
        for r in records
    ]


def S(value: str) -> dict[str, str]:
    return {"S": value}


# ---- records ----------------------------------------------------------------------------------


def test_describe_stream_of_a_new_table(streams, stream_table, ddb):
    name, arn = stream_table("KEYS_ONLY", range_key="sk")
    table = ddb.describe_table(TableName=name)["Table"]
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert set(description) == DESCRIPTION_FIELDS
    assert description["StreamArn"] == arn == f"{table['TableArn']}/stream/{table['LatestStreamLabel']}"
    assert description["StreamLabel"] == table["LatestStreamLabel"]
    assert description["StreamStatus"] == "ENABLED"
    assert description["StreamViewType"] == "KEYS_ONLY"
    assert description["TableName"] == name
    assert description["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    (shard,) = description["Shards"]
    assert set(shard) == {"ShardId", "SequenceNumberRange"}
    assert SHARD_ID.match(shard["ShardId"])
    assert set(shard["SequenceNumberRange"]) == {"StartingSequenceNumber"}
    assert re.fullmatch(r"\d{21,40}", shard["SequenceNumberRange"]["StartingSequenceNumber"])


def test_put_and_update_records_match_aws(ddb, streams, stream_table):
    # As recorded in test_dynamodb_stream_records_with_update_item: sizes 46 and 80.
    name, arn = stream_table("NEW_AND_OLD_IMAGES", hash_key="id")
    ddb.put_item(TableName=name, Item={"id": S("my-item-id"), "attr1": S("value1"), "attr2": S("value2")})
    ddb.update_item(
        TableName=name,
        Key={"id": S("my-item-id")},
        UpdateExpression="SET attr1 = :a, attr2 = :b",
        ExpressionAttributeValues={":a": S("value2"), ":b": S("value3")},
    )
    insert, modify = read_all(streams, arn)
    for record in (insert, modify):
        assert set(record) == RECORD_FIELDS
        assert record["awsRegion"] == "us-east-1"
        assert record["eventSource"] == "aws:dynamodb"
        assert record["eventVersion"] == "1.1"
        assert re.fullmatch(r"[0-9a-f]{32}", record["eventID"])
    assert insert["eventID"] != modify["eventID"]
    assert set(insert["dynamodb"]) == {
        "ApproximateCreationDateTime",
        "Keys",
        "NewImage",
        "SequenceNumber",
        "SizeBytes",
        "StreamViewType",
    }
    assert set(modify["dynamodb"]) == set(insert["dynamodb"]) | {"OldImage"}
    assert insert["eventName"] == "INSERT" and modify["eventName"] == "MODIFY"
    assert insert["dynamodb"]["Keys"] == {"id": S("my-item-id")}
    assert insert["dynamodb"]["NewImage"] == {
        "id": S("my-item-id"),
        "attr1": S("value1"),
        "attr2": S("value2"),
    }
    assert modify["dynamodb"]["OldImage"] == insert["dynamodb"]["NewImage"]
    assert modify["dynamodb"]["NewImage"] == {
        "id": S("my-item-id"),
        "attr1": S("value2"),
        "attr2": S("value3"),
    }
    assert [insert["dynamodb"]["SizeBytes"], modify["dynamodb"]["SizeBytes"]] == [46, 80]
    assert insert["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    created = insert["dynamodb"]["ApproximateCreationDateTime"]
    assert created.microsecond == 0  # rounded down to the second


def test_keys_only_records_match_aws(ddb, streams, stream_table):
    # As recorded in test_dynamodb_stream_stream_view_type.
    name, arn = stream_table("KEYS_ONLY", hash_key="Username")
    for user in ("Fred", "Alice"):
        ddb.put_item(TableName=name, Item={"Username": S(user)})
        ddb.update_item(
            TableName=name,
            Key={"Username": S(user)},
            UpdateExpression="SET friends = :f",
            ExpressionAttributeValues={":f": {"SS": ["Jane"]}},
        )
        ddb.delete_item(TableName=name, Key={"Username": S(user)})
    records = read_all(streams, arn)
    assert summary(records) == [
        ("INSERT", "Fred", 12),
        ("MODIFY", "Fred", 12),
        ("REMOVE", "Fred", 12),
        ("INSERT", "Alice", 13),
        ("MODIFY", "Alice", 13),
        ("REMOVE", "Alice", 13),
    ]
    for record in records:
        assert set(record["dynamodb"]) == {
            "ApproximateCreationDateTime",
            "Keys",
            "SequenceNumber",
            "SizeBytes",
            "StreamViewType",
        }


@pytest.mark.parametrize(
    ("view", "new", "old"),
    [
        ("KEYS_ONLY", False, False),
        ("NEW_IMAGE", True, False),
        ("OLD_IMAGE", False, True),
        ("NEW_AND_OLD_IMAGES", True, True),
    ],
)
def test_images_follow_the_view_type(ddb, streams, stream_table, view, new, old):
    name, arn = stream_table(view, range_key="sk", range_type="N")
    key = {"pk": S("a"), "sk": {"N": "1"}}
    first = {**key, "v": S("one"), "bin": {"B": b"\x00\xff"}}
    second = {**key, "v": S("two"), "l": {"L": [{"N": "1"}, {"BOOL": True}]}}
    ddb.put_item(TableName=name, Item=first)
    ddb.put_item(TableName=name, Item=second)
    ddb.delete_item(TableName=name, Key=key)
    insert, modify, remove = read_all(streams, arn)
    assert [r["eventName"] for r in (insert, modify, remove)] == ["INSERT", "MODIFY", "REMOVE"]
    keys_size = len("pk") + 1 + len("sk") + 2  # the number 1 takes two bytes
    sizes = {
        "first": keys_size + len("v") + 3 + len("bin") + 2,
        "second": keys_size + len("v") + 3 + len("l") + 3 + (2 + 1) + (1 + 1),
    }
    expected = [
        (insert, first, None, keys_size + (sizes["first"] if new else 0)),
        (
            modify,
            second,
            first,
            keys_size + (sizes["second"] if new else 0) + (sizes["first"] if old else 0),
        ),
        (remove, None, second, keys_size + (sizes["second"] if old else 0)),
    ]
    for record, new_image, old_image, size in expected:
        change = record["dynamodb"]
        assert change["Keys"] == key
        assert change["StreamViewType"] == view
        assert change.get("NewImage") == (new_image if new and new_image else None)
        assert change.get("OldImage") == (old_image if old and old_image else None)
        assert change["SizeBytes"] == size


def test_batch_write_records_match_aws(ddb, streams, stream_table):
    # As recorded in test_batch_write_items_streaming (AWS spreads keys over shards, so only
    # the order per key is comparable): sizes 12, 26 for Fred and 16, 16 for NewKey.
    name, arn = stream_table("NEW_AND_OLD_IMAGES", hash_key="id")
    ddb.put_item(TableName=name, Item={"id": S("Fred")})
    ddb.batch_write_item(
        RequestItems={
            name: [
                {"PutRequest": {"Item": {"id": S("Fred"), "name": S("Fred")}}},
                {"PutRequest": {"Item": {"id": S("NewKey")}}},
            ]
        }
    )
    ddb.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": {"id": S("NewKey")}}}]})
    records = summary(read_all(streams, arn))
    assert [r for r in records if r[1] == "Fred"] == [("INSERT", "Fred", 12), ("MODIFY", "Fred", 26)]
    assert [r for r in records if r[1] == "NewKey"] == [("INSERT", "NewKey", 16), ("REMOVE", "NewKey", 16)]


def test_transact_write_records_match_aws(ddb, streams, stream_table, make_table):
    # As recorded in test_transact_write_items_streaming and ..._for_different_tables.
    name, arn = stream_table("NEW_AND_OLD_IMAGES", hash_key="id")
    plain = make_table(hash_key="id")
    ddb.put_item(TableName=name, Item={"id": S("Fred")})
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": name, "Item": {"id": S("Fred"), "name": S("Fred")}}},
            {"Put": {"TableName": name, "Item": {"id": S("NewKey")}}},
            {"Put": {"TableName": plain, "Item": {"id": S("Elsewhere")}}},
        ]
    )
    ddb.transact_write_items(
        TransactItems=[
            {
                "Update": {
                    "TableName": name,
                    "Key": {"id": S("NewKey")},
                    "UpdateExpression": "SET attr1 = :a, attr2 = :b",
                    "ExpressionAttributeValues": {":a": S("value1"), ":b": S("value2")},
                }
            },
            {
                "Update": {
                    "TableName": name,
                    "Key": {"id": S("NonExistentKey")},
                    "UpdateExpression": "SET attr1 = :a",
                    "ExpressionAttributeValues": {":a": S("value1")},
                }
            },
        ]
    )
    ddb.transact_write_items(TransactItems=[{"Delete": {"TableName": name, "Key": {"id": S("NewKey")}}}])
    records = summary(read_all(streams, arn))
    assert [r for r in records if r[1] == "Fred"] == [("INSERT", "Fred", 12), ("MODIFY", "Fred", 26)]
    assert [r for r in records if r[1] == "NewKey"] == [
        ("INSERT", "NewKey", 16),
        ("MODIFY", "NewKey", 46),
        ("REMOVE", "NewKey", 38),
    ]
    assert [r for r in records if r[1] == "NonExistentKey"] == [("INSERT", "NonExistentKey", 43)]
    assert len(records) == 6  # nothing from the table without a stream


def test_writes_that_change_nothing_leave_no_record(ddb, streams, stream_table):
    name, arn = stream_table("NEW_AND_OLD_IMAGES")
    item = {"pk": S("a"), "v": {"N": "1"}}
    ddb.put_item(TableName=name, Item=item)
    ddb.put_item(TableName=name, Item=item)  # identical
    ddb.delete_item(TableName=name, Key={"pk": S("missing")})
    ddb.update_item(
        TableName=name,
        Key={"pk": S("a")},
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    with pytest.raises(ClientError):
        ddb.put_item(TableName=name, Item={"pk": S("a")}, ConditionExpression="attribute_not_exists(pk)")
    ddb.batch_write_item(RequestItems={name: [{"DeleteRequest": {"Key": {"pk": S("nothing")}}}]})
    assert summary(read_all(streams, arn)) == [("INSERT", "a", 3 + (3 + 3))]  # keys, then the new image


def test_ttl_deletions_name_the_service(ddb, streams, stream_table, cloudlet):
    name, arn = stream_table("OLD_IMAGE")
    ddb.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "exp"})
    expires = int(cloudlet.clock()["now"]) + 60
    ddb.put_item(TableName=name, Item={"pk": S("gone"), "exp": {"N": str(expires)}})
    ddb.delete_item(TableName=name, Key={"pk": S("gone")})
    ddb.put_item(TableName=name, Item={"pk": S("ttl"), "exp": {"N": str(expires)}})
    cloudlet.advance_clock(120)
    _insert, user_remove, _insert2, ttl_remove = read_all(streams, arn)
    assert "userIdentity" not in user_remove
    assert ttl_remove["eventName"] == "REMOVE"
    assert ttl_remove["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert ttl_remove["dynamodb"]["OldImage"] == {"pk": S("ttl"), "exp": {"N": str(expires)}}


def test_sequence_numbers_increase(ddb, streams, stream_table):
    name, arn = stream_table("KEYS_ONLY")
    for i in range(12):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{i % 4}"), "n": {"N": str(i)}})
    numbers = [r["dynamodb"]["SequenceNumber"] for r in read_all(streams, arn)]
    assert len(numbers) == 12
    assert all(re.fullmatch(r"\d{21,40}", n) for n in numbers)
    values = [int(n) for n in numbers]
    assert values == sorted(values) and len(set(values)) == 12
    start = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["SequenceNumberRange"]
    assert int(start["StartingSequenceNumber"]) <= values[0]


# ---- ListStreams and DescribeStream -------------------------------------------------------------


def test_list_streams_filters_and_pages(streams, stream_table, make_table):
    tables = [stream_table("KEYS_ONLY", prefix="lst") for _ in range(3)]
    make_table(prefix="lst")  # no stream
    listed = streams.list_streams()["Streams"]
    mine = [s for s in listed if s["StreamArn"] in {arn for _, arn in tables}]
    assert len(mine) == 3
    for entry in mine:
        assert set(entry) == {"StreamArn", "TableName", "StreamLabel"}
        assert entry["StreamArn"].endswith(f"table/{entry['TableName']}/stream/{entry['StreamLabel']}")
    name, arn = tables[1]
    assert streams.list_streams(TableName=name)["Streams"] == [
        {"StreamArn": arn, "TableName": name, "StreamLabel": arn.rsplit("/", 1)[1]}
    ]
    assert streams.list_streams(TableName="no-such-table")["Streams"] == []

    seen, params = [], {"Limit": 1}
    for _ in range(1000):
        page = streams.list_streams(**params)
        assert len(page["Streams"]) <= 1
        seen += [s["StreamArn"] for s in page["Streams"]]
        if "LastEvaluatedStreamArn" not in page:
            break
        assert page["LastEvaluatedStreamArn"] == page["Streams"][-1]["StreamArn"]
        params["ExclusiveStartStreamArn"] = page["LastEvaluatedStreamArn"]
    assert seen == [s["StreamArn"] for s in listed]


def test_list_and_describe_limits(streams_raw, stream_table):
    _name, arn = stream_table()
    for call in (
        lambda: streams_raw.list_streams(Limit=101),
        lambda: streams_raw.list_streams(Limit=0),
        lambda: streams_raw.describe_stream(StreamArn=arn, Limit=101),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == ("ValidationException", 400)


def test_describe_stream_pages_shards(streams, stream_table):
    _name, arn = stream_table()
    shard = shard_of(streams, arn)
    page = streams.describe_stream(StreamArn=arn, Limit=1)["StreamDescription"]
    assert [s["ShardId"] for s in page["Shards"]] == [shard]
    assert "LastEvaluatedShardId" not in page
    after = streams.describe_stream(StreamArn=arn, ExclusiveStartShardId=shard)["StreamDescription"]
    assert after["Shards"] == []
    assert "LastEvaluatedShardId" not in after
    children = streams.describe_stream(StreamArn=arn, ShardFilter={"Type": "CHILD_SHARDS", "ShardId": shard})
    assert children["StreamDescription"]["Shards"] == []


def test_unknown_streams(streams, stream_table):
    name, arn = stream_table()
    missing = arn.replace(name, "no-such-table")
    with pytest.raises(ClientError) as exc:
        streams.describe_stream(StreamArn=missing)
    # Recorded: test_non_existent_stream.
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Requested resource not found: Stream: {missing} not found",
        400,
    )
    for bad in (
        arn.replace("us-east-1", "eu-west-1"),
        "arn:aws:dynamodb:us-east-1:000000000000:table/x/stream",
    ):
        with pytest.raises(ClientError) as exc:
            streams.describe_stream(StreamArn=bad)
        assert code_of(exc) == ("ResourceNotFoundException", 400)
    with pytest.raises(ClientError) as exc:
        streams.get_shard_iterator(
            StreamArn=missing, ShardId=shard_of(streams, arn), ShardIteratorType="TRIM_HORIZON"
        )
    assert error_of(exc)[0] == "ResourceNotFoundException"


# ---- GetShardIterator and GetRecords -------------------------------------------------------------


def test_latest_and_trim_horizon(ddb, streams, stream_table):
    name, arn = stream_table("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("before")})
    latest = iterator(streams, arn, "LATEST")
    horizon = iterator(streams, arn, "TRIM_HORIZON")
    page = streams.get_records(ShardIterator=latest)
    assert page["Records"] == [] and page["NextShardIterator"]
    ddb.put_item(TableName=name, Item={"pk": S("after")})
    assert [
        r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=latest)["Records"]
    ] == ["after"]
    assert [
        r["dynamodb"]["Keys"]["pk"]["S"] for r in streams.get_records(ShardIterator=horizon)["Records"]
    ] == [
        "before",
        "after",
    ]
    # an empty page's NextShardIterator still sees what comes later
    empty = streams.get_records(ShardIterator=page["NextShardIterator"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in empty["Records"]] == ["after"]


def test_at_and_after_sequence_number(ddb, streams, stream_table):
    name, arn = stream_table("KEYS_ONLY")
    for key in "abcd":
        ddb.put_item(TableName=name, Item={"pk": S(key)})
    numbers = [r["dynamodb"]["SequenceNumber"] for r in read_all(streams, arn)]

    def keys(kind: str, number: str) -> list[str]:
        return [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn, kind, SequenceNumber=number)]

    assert keys("AT_SEQUENCE_NUMBER", numbers[1]) == ["b", "c", "d"]
    assert keys("AFTER_SEQUENCE_NUMBER", numbers[1]) == ["c", "d"]
    assert keys("AFTER_SEQUENCE_NUMBER", numbers[3]) == []
    assert keys("AT_SEQUENCE_NUMBER", numbers[0]) == ["a", "b", "c", "d"]


def test_limit_pages_records(ddb, streams, stream_table):
    name, arn = stream_table("KEYS_ONLY")
    for i in range(5):
        ddb.put_item(TableName=name, Item={"pk": S(f"k{i}")})
    it, pages = iterator(streams, arn), []
    for _ in range(4):
        page = streams.get_records(ShardIterator=it, Limit=2)
        pages.append([r["dynamodb"]["Keys"]["pk"]["S"] for r in page["Records"]])
        it = page["NextShardIterator"]
    assert pages == [["k0", "k1"], ["k2", "k3"], ["k4"], []]


def test_shard_iterator_validation(streams, streams_raw, stream_table, ddb):
    name, arn = stream_table("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    shard = shard_of(streams, arn)
    number = read_all(streams, arn)[0]["dynamodb"]["SequenceNumber"]
    bad_calls = [
        {"ShardIteratorType": "AT_SEQUENCE_NUMBER"},  # no SequenceNumber
        {"ShardIteratorType": "AFTER_SEQUENCE_NUMBER"},
        {"ShardIteratorType": "TRIM_HORIZON", "SequenceNumber": number},  # one it does not take
        {"ShardIteratorType": "LATEST", "SequenceNumber": number},
        {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": "9" * 30},  # beyond the shard
        {"ShardIteratorType": "AT_SEQUENCE_NUMBER", "SequenceNumber": "x" * 21},
        {"ShardIteratorType": "SOMEWHERE"},
    ]
    for params in bad_calls:
        with pytest.raises(ClientError) as exc:
            streams_raw.get_shard_iterator(StreamArn=arn, ShardId=shard, **params)
        assert code_of(exc) == ("ValidationException", 400), params
    with pytest.raises(ClientError) as exc:
        streams.get_shard_iterator(
            StreamArn=arn, ShardId="shardId-00000001700000000000-00000000", ShardIteratorType="LATEST"
        )
    assert code_of(exc) == ("ResourceNotFoundException", 400)


def test_bad_iterators_and_limits(streams_raw, streams, stream_table):
    _name, arn = stream_table()
    good = iterator(streams, arn)
    shard = shard_of(streams, arn)

    def forged(token: str) -> str:
        return f"{arn}|1|" + base64.urlsafe_b64encode(token.encode()).decode()

    crafted = [forged(f"{shard}|{10**30}|{time.time():.3f}"), forged(f"{shard}|1|nan"), forged("nonsense")]
    for bad in ("x", f"{arn}|1|", f"{arn}|1|!!!!", f"{arn}|2|{good.rsplit('|', 1)[1]}", "a" * 3000, *crafted):
        with pytest.raises(ClientError) as exc:
            streams_raw.get_records(ShardIterator=bad)
        assert code_of(exc) == ("ValidationException", 400), bad
    for limit in (0, 1001):
        with pytest.raises(ClientError) as exc:
            streams_raw.get_records(ShardIterator=good, Limit=limit)
        assert code_of(exc) == ("ValidationException", 400), limit
    assert streams.get_records(ShardIterator=good, Limit=1000)["Records"] == []


def test_at_timestamp(ddb, streams, stream_table, cloudlet):
    name, arn = stream_table("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("old")})
    cloudlet.advance_clock(10)
    mark = cloudlet.clock()["now"]
    cloudlet.advance_clock(2)
    ddb.put_item(TableName=name, Item={"pk": S("new")})
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn, "AT_TIMESTAMP", Timestamp=mark)]
    assert keys == ["new"]
    with pytest.raises(ClientError) as exc:
        iterator(streams, arn, "AT_TIMESTAMP", Timestamp=mark + 3600)
    assert code_of(exc) == ("ValidationException", 400)


# ---- the stream's life ------------------------------------------------------------------------------


def test_disable_closes_the_shard_and_reenable_starts_a_new_stream(ddb, streams, stream_table):
    name, arn = stream_table("NEW_IMAGE")
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    ddb.put_item(TableName=name, Item={"pk": S("b")})
    live = iterator(streams, arn)
    ddb.update_table(TableName=name, StreamSpecification={"StreamEnabled": False})
    ddb.put_item(TableName=name, Item={"pk": S("c")})  # no stream now

    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    numbers = description["Shards"][0]["SequenceNumberRange"]
    records = read_all(streams, arn)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in records] == ["a", "b"]
    assert numbers["EndingSequenceNumber"] == records[-1]["dynamodb"]["SequenceNumber"]

    # an iterator of the closed shard reads what is left, then ends
    page = streams.get_records(ShardIterator=live, Limit=1)
    assert len(page["Records"]) == 1 and "NextShardIterator" in page
    page = streams.get_records(ShardIterator=page["NextShardIterator"])
    assert len(page["Records"]) == 1 and "NextShardIterator" not in page
    page = streams.get_records(ShardIterator=iterator(streams, arn, "LATEST"))
    assert page["Records"] == [] and "NextShardIterator" not in page

    ddb.update_table(
        TableName=name, StreamSpecification={"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    )
    new_arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
    assert new_arn != arn
    assert streams.describe_stream(StreamArn=new_arn)["StreamDescription"]["StreamStatus"] == "ENABLED"
    assert {s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]} == {arn, new_arn}
    ddb.put_item(TableName=name, Item={"pk": S("d")})
    (record,) = read_all(streams, new_arn)
    assert record["dynamodb"]["StreamViewType"] == "KEYS_ONLY"
    assert int(record["dynamodb"]["SequenceNumber"]) > int(numbers["EndingSequenceNumber"])
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)] == ["a", "b"]


def test_deleting_the_table_disables_its_stream(ddb, streams, stream_table, cloudlet):
    name, arn = stream_table("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    ddb.delete_table(TableName=name)
    description = streams.describe_stream(StreamArn=arn)["StreamDescription"]
    assert description["StreamStatus"] == "DISABLED"
    assert "EndingSequenceNumber" in description["Shards"][0]["SequenceNumberRange"]
    assert len(read_all(streams, arn)) == 1
    assert [s["StreamArn"] for s in streams.list_streams(TableName=name)["Streams"]] == [arn]
    cloudlet.advance_clock(DAY + 1)
    with pytest.raises(ClientError) as exc:
        streams.describe_stream(StreamArn=arn)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert streams.list_streams(TableName=name)["Streams"] == []


def test_records_are_kept_24_hours(ddb, streams, stream_table, cloudlet):
    name, arn = stream_table("KEYS_ONLY")
    ddb.put_item(TableName=name, Item={"pk": S("first")})
    first = read_all(streams, arn)[0]["dynamodb"]["SequenceNumber"]
    cloudlet.advance_clock(DAY / 2)
    ddb.put_item(TableName=name, Item={"pk": S("second")})
    cloudlet.advance_clock(DAY / 2 - 300)
    horizon = iterator(streams, arn)  # still sees "first", 5 minutes before it goes
    cloudlet.advance_clock(600)

    assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in read_all(streams, arn)] == ["second"]
    for kind in ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER"):
        with pytest.raises(ClientError) as exc:
            iterator(streams, arn, kind, SequenceNumber=first)
        assert error_of(exc) == (
            "TrimmedDataAccessException",
            "The data you are trying to access has been trimmed.",
            400,
        )
    with pytest.raises(ClientError) as exc:
        streams.get_records(ShardIterator=horizon)  # its next record was trimmed meanwhile
    assert error_of(exc)[0] == "TrimmedDataAccessException"
    cloudlet.advance_clock(DAY / 2)
    assert read_all(streams, arn) == []


def test_iterators_expire_after_15_minutes(ddb, streams, stream_table, cloudlet):
    name, arn = stream_table("KEYS_ONLY")
    it = iterator(streams, arn)
    cloudlet.advance_clock(14 * 60)
    ddb.put_item(TableName=name, Item={"pk": S("a")})
    page = streams.get_records(ShardIterator=it)
    assert len(page["Records"]) == 1
    cloudlet.advance_clock(2 * 60)
    with pytest.raises(ClientError) as exc:
        streams.get_records(ShardIterator=it)
    assert error_of(exc)[0] == "ExpiredIteratorException"
    assert streams.get_records(ShardIterator=page["NextShardIterator"])["Records"] == []  # fresh one


# ---- the in-process feed ------------------------------------------------------------------------------


def test_feed_for_in_process_consumers():
    from cloudlet.config import Config
    from cloudlet.runtime import Runtime
    from cloudlet.services.base import RequestContext

    async def scenario() -> None:
        runtime = Runtime(Config(in_memory=True))
        ddb = runtime.load("dynamodb")
        ctx = RequestContext("dynamodb", "PutItem", "000000000000", "us-east-1", "r")
        table = ddb.create_table(
            ctx,
            {
                "TableName": "feed",
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            },
        )["TableDescription"]
        arn = table["LatestStreamArn"]
        feed = ddb.streams
        (shard,) = feed.shards(arn)
        shard_id = shard["ShardId"]
        assert feed.latest_sequence(arn, shard_id) is None
        assert feed.sequence_before(arn, shard_id, 0) is None
        assert feed.read(arn, shard_id, None, 10) == []

        waiter = asyncio.ensure_future(feed.wait(arn, runtime.clock.now() + 60))
        await asyncio.sleep(0)
        ddb.put_item(ctx, {"TableName": "feed", "Item": {"pk": {"S": "a"}, "b": {"B": b"\x01"}}})
        await asyncio.wait_for(waiter, 5)
        (record,) = feed.read(arn, shard_id, None, 10)
        assert record["eventName"] == "INSERT"
        assert record["dynamodb"]["NewImage"]["b"] == {"B": b"\x01"}
        assert (
            feed.latest_sequence(arn, shard_id)
            == feed.sequence_of(record)
            == record["dynamodb"]["SequenceNumber"]
        )
        assert feed.read(arn, shard_id, feed.sequence_before(arn, shard_id, 0), 10) == [record]
        ddb.put_item(ctx, {"TableName": "feed", "Item": {"pk": {"S": "b"}}})
        after = feed.read(arn, shard_id, record["dynamodb"]["SequenceNumber"], 10)
        assert [r["dynamodb"]["Keys"]["pk"]["S"] for r in after] == ["b"]

        # no record: the wait ends when the service clock reaches its deadline
        waiter = asyncio.ensure_future(feed.wait(arn, runtime.clock.now() + 30))
        await asyncio.sleep(0)
        await runtime.clock.advance(31)
        await asyncio.wait_for(waiter, 5)
        assert not feed.closed(arn, shard_id)
        ddb.delete_table(ctx, {"TableName": "feed"})
        assert feed.closed(arn, shard_id)
        assert "EndingSequenceNumber" in feed.shards(arn)[0]["SequenceNumberRange"]
        await runtime.stop()

    asyncio.run(scenario())


# ---- durability ----------------------------------------------------------------------------------------


def test_records_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    name = f"durable-{uuid.uuid4().hex[:8]}"
    try:
        ddb = client("dynamodb", server.endpoint)
        ddb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
        )
        arn = ddb.describe_table(TableName=name)["Table"]["LatestStreamArn"]
        ddb.put_item(TableName=name, Item={"pk": S("a"), "v": {"B": b"\x00\x01"}})
        ddb.put_item(TableName=name, Item={"pk": S("a"), "v": {"N": "2"}})
    finally:
        server.kill()
    server.start()
    try:
        ddb = client("dynamodb", server.endpoint)
        streams = client("dynamodbstreams", server.endpoint)
        ddb.delete_item(TableName=name, Key={"pk": S("a")})
        records = read_all(streams, arn)
        assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
        assert records[0]["dynamodb"]["NewImage"]["v"] == {"B": b"\x00\x01"}
        numbers = [int(r["dynamodb"]["SequenceNumber"]) for r in records]
        assert numbers == sorted(numbers) and len(set(numbers)) == 3
    finally:
        server.kill()
