"""DynamoDB BatchWriteItem and BatchGetItem."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import code_of, error_of, put_all, table_arn


def _put(key, **extra):
    return {"PutRequest": {"Item": {"pk": {"S": key}, **extra}}}


def _delete(key):
    return {"DeleteRequest": {"Key": {"pk": {"S": key}}}}


def _keys(ddb, table):
    return sorted(item["pk"]["S"] for item in ddb.scan(TableName=table)["Items"])


# ---------------------------------------------------------------- BatchWriteItem


def test_batch_write_puts_and_deletes_across_tables(ddb, make_table):
    first, second = make_table(), make_table()
    put_all(ddb, first, [{"pk": {"S": k}} for k in ("a", "b", "c")])
    response = ddb.batch_write_item(
        RequestItems={
            first: [_delete("a"), _put("d", v={"N": "1"}), _delete("not-there")],
            second: [_put("x", b={"B": b"\x90"}), _put("y", bs={"BS": [b"1", b"2"]})],
        }
    )
    # As recorded from AWS (test_batch_write_items, test_batch_write_binary).
    assert response["UnprocessedItems"] == {}
    assert _keys(ddb, first) == ["b", "c", "d"]
    assert _keys(ddb, second) == ["x", "y"]
    assert ddb.get_item(TableName=second, Key={"pk": {"S": "x"}})["Item"]["b"] == {"B": b"\x90"}


def test_batch_write_overwrites_like_put(ddb, make_table):
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "old": {"S": "x"}})
    ddb.batch_write_item(RequestItems={table: [_put("a", new={"S": "y"})]})
    assert ddb.get_item(TableName=table, Key={"pk": {"S": "a"}})["Item"] == {
        "pk": {"S": "a"},
        "new": {"S": "y"},
    }


def test_batch_write_accepts_a_table_arn(ddb, make_table):
    table = make_table()
    assert ddb.batch_write_item(RequestItems={table_arn(table): [_put("a")]})["UnprocessedItems"] == {}
    assert _keys(ddb, table) == ["a"]


def test_batch_write_of_25_requests(ddb, make_table):
    first, second = make_table(), make_table()
    response = ddb.batch_write_item(
        RequestItems={
            first: [_put(f"k{i}") for i in range(15)],
            second: [_put(f"k{i}") for i in range(10)],
        }
    )
    assert response["UnprocessedItems"] == {}
    assert len(_keys(ddb, first)) == 15
    assert len(_keys(ddb, second)) == 10


@pytest.mark.parametrize("split", [False, True])
def test_batch_write_of_26_requests_is_refused(ddb, make_table, split):
    # API reference, BatchWriteItem: up to 25 put or delete requests in one call.
    first, second = make_table(), make_table()
    if split:
        request = {first: [_put(f"k{i}") for i in range(13)], second: [_put(f"k{i}") for i in range(13)]}
    else:
        request = {first: [_put(f"k{i}") for i in range(26)]}
    with pytest.raises(ClientError) as exc:
        ddb.batch_write_item(RequestItems=request)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _keys(ddb, first) == []
    assert _keys(ddb, second) == []


@pytest.mark.parametrize(
    "requests",
    [
        pytest.param([_put("a"), _put("a", v={"N": "1"})], id="two-puts"),
        pytest.param([_put("a"), _delete("a")], id="put-and-delete"),
        pytest.param([_delete("a"), _delete("a")], id="two-deletes"),
    ],
)
def test_batch_write_with_duplicate_keys_is_refused(ddb, make_table, requests):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.batch_write_item(RequestItems={table: [*requests, _put("other")]})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _keys(ddb, table) == []


def test_batch_write_duplicate_keys_with_number_forms(ddb, make_table):
    table = make_table("pk", "N")
    with pytest.raises(ClientError) as exc:
        ddb.batch_write_item(
            RequestItems={table: [{"PutRequest": {"Item": {"pk": {"N": n}}}} for n in ("1.5", "1.50")]}
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_batch_write_same_key_in_two_tables_is_fine(ddb, make_table):
    first, second = make_table(), make_table()
    ddb.batch_write_item(RequestItems={first: [_put("a")], second: [_put("a")]})
    assert _keys(ddb, first) == _keys(ddb, second) == ["a"]


def test_batch_write_item_not_matching_the_schema(ddb, make_table):
    table = make_table("id", "S", "sortKey", "S")
    with pytest.raises(ClientError) as exc:
        ddb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": {"nonKey": {"S": "hello"}}}}]})
    # As recorded from AWS (test_batch_write_not_matching_schema).
    assert error_of(exc) == (
        "ValidationException",
        "The provided key element does not match the schema",
        400,
    )


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param({"PutRequest": {"Item": {"pk": {"N": "1"}}}}, id="put-wrong-key-type"),
        pytest.param({"PutRequest": {"Item": {"pk": {"S": ""}}}}, id="put-empty-key"),
        pytest.param({"DeleteRequest": {"Key": {"pk": {"N": "1"}}}}, id="delete-wrong-key-type"),
        pytest.param({"DeleteRequest": {"Key": {"other": {"S": "1"}}}}, id="delete-wrong-key-name"),
        pytest.param(
            {"DeleteRequest": {"Key": {"pk": {"S": "1"}, "extra": {"S": "x"}}}}, id="delete-extra-attribute"
        ),
        pytest.param({"PutRequest": {"Item": {"pk": {"S": "k"}, "n": {"N": "abc"}}}}, id="invalid-number"),
        pytest.param({"PutRequest": {"Item": {"pk": {"S": "k"}, "s": {"SS": []}}}}, id="empty-set"),
        pytest.param(
            {"PutRequest": {"Item": {"pk": {"S": "k"}, "d": {"S": "x" * 409600}}}}, id="item-over-400-kb"
        ),
    ],
)
def test_batch_write_invalid_requests_write_nothing(ddb, make_table, request_):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.batch_write_item(RequestItems={table: [_put("fine"), request_]})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _keys(ddb, table) == []


@pytest.mark.parametrize(
    "request_items",
    [
        pytest.param({}, id="no-tables"),
        pytest.param({"TABLE": []}, id="no-requests"),
        pytest.param({"TABLE": [{}]}, id="empty-request"),
        pytest.param(
            {
                "TABLE": [
                    {"PutRequest": {"Item": {"pk": {"S": "a"}}}, "DeleteRequest": {"Key": {"pk": {"S": "b"}}}}
                ]
            },
            id="put-and-delete-in-one-request",
        ),
    ],
)
def test_batch_write_malformed_requests(ddb_raw, make_table, request_items):
    table = make_table()
    request_items = {table if k == "TABLE" else k: v for k, v in request_items.items()}
    with pytest.raises(ClientError) as exc:
        ddb_raw.batch_write_item(RequestItems=request_items)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_batch_write_to_a_missing_table(ddb, make_table):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.batch_write_item(RequestItems={table: [_put("a")], "no-such-table": [_put("a")]})
    code, message, status = error_of(exc)
    assert (code, status) == ("ResourceNotFoundException", 400)
    # The recorded TransactWriteItems answer for a missing table is exactly this text.
    assert message.startswith("Requested resource not found")
    assert _keys(ddb, table) == []


def test_batch_write_consumed_capacity(ddb, make_table):
    first, second = make_table(), make_table()
    response = ddb.batch_write_item(
        RequestItems={first: [_put("a"), _put("b"), _put("c")], second: [_put("d", d={"S": "x" * 1500})]},
        ReturnConsumedCapacity="TOTAL",
    )
    units = {cc["TableName"]: cc["CapacityUnits"] for cc in response["ConsumedCapacity"]}
    assert units == {first: 3.0, second: 2.0}


# ---------------------------------------------------------------- BatchGetItem


@pytest.fixture
def two_tables(ddb, make_table):
    first, second = make_table(), make_table("pk", "S", "sk", "N")
    put_all(ddb, first, [{"pk": {"S": k}, "v": {"S": k.upper()}, "w": {"N": "1"}} for k in "abc"])
    put_all(ddb, second, [{"pk": {"S": "p"}, "sk": {"N": str(i)}, "v": {"N": str(i)}} for i in range(3)])
    return first, second


def test_batch_get_across_tables(ddb, two_tables):
    first, second = two_tables
    response = ddb.batch_get_item(
        RequestItems={
            first: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "c"}}, {"pk": {"S": "missing"}}]},
            second: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "2"}}], "ConsistentRead": True},
        }
    )
    assert response["UnprocessedKeys"] == {}
    assert sorted(i["pk"]["S"] for i in response["Responses"][first]) == ["a", "c"]
    assert response["Responses"][second] == [{"pk": {"S": "p"}, "sk": {"N": "2"}, "v": {"N": "2"}}]


def test_batch_get_of_nothing_found(ddb, two_tables):
    first, _ = two_tables
    response = ddb.batch_get_item(RequestItems={first: {"Keys": [{"pk": {"S": "missing"}}]}})
    # As recorded from AWS (test_dynamodb_get_batch_items).
    assert response["Responses"] == {first: []}
    assert response["UnprocessedKeys"] == {}


def test_batch_get_with_projection(ddb, two_tables):
    first, second = two_tables
    response = ddb.batch_get_item(
        RequestItems={
            first: {
                "Keys": [{"pk": {"S": "a"}}],
                "ProjectionExpression": "#k, v",
                "ExpressionAttributeNames": {"#k": "pk"},
            },
            second: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "1"}}], "AttributesToGet": ["v"]},
        }
    )
    assert response["Responses"][first] == [{"pk": {"S": "a"}, "v": {"S": "A"}}]
    assert response["Responses"][second] == [{"v": {"N": "1"}}]


def test_batch_get_accepts_a_table_arn(ddb, two_tables):
    first, _ = two_tables
    response = ddb.batch_get_item(RequestItems={table_arn(first): {"Keys": [{"pk": {"S": "b"}}]}})
    [items] = response["Responses"].values()
    assert items == [{"pk": {"S": "b"}, "v": {"S": "B"}, "w": {"N": "1"}}]


def test_batch_get_of_100_keys(ddb, make_table):
    table = make_table()
    put_all(ddb, table, [{"pk": {"S": f"k{i}"}} for i in range(100)])
    response = ddb.batch_get_item(
        RequestItems={table: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(100)]}}
    )
    assert len(response["Responses"][table]) == 100
    assert response["UnprocessedKeys"] == {}


@pytest.mark.parametrize("split", [False, True])
def test_batch_get_of_101_keys_is_refused(ddb, make_table, split):
    first, second = make_table(), make_table()
    if split:
        request = {
            first: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(50)]},
            second: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(51)]},
        }
    else:
        request = {first: {"Keys": [{"pk": {"S": f"k{i}"}} for i in range(101)]}}
    with pytest.raises(ClientError) as exc:
        ddb.batch_get_item(RequestItems=request)
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    if split:
        # API reference, BatchGetItem: 'If you request more than 100 items, BatchGetItem returns
        # a ValidationException with the message "Too many items requested for the BatchGetItem
        # call."' (One table's 101 keys may instead fail the model's 100-key list constraint
        # first: that message is unverified.)
        assert message.startswith("Too many items requested for the BatchGetItem call")


def test_batch_get_with_duplicate_keys_is_refused(ddb, two_tables):
    # API reference, BatchGetItem: "BatchGetItem will result in a ValidationException if the
    # same key is specified multiple times."
    first, _ = two_tables
    with pytest.raises(ClientError) as exc:
        ddb.batch_get_item(RequestItems={first: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "a"}}]}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize(
    "keys_and_attributes",
    [
        pytest.param({"Keys": [{"pk": {"N": "1"}}]}, id="wrong-key-type"),
        pytest.param({"Keys": [{"other": {"S": "a"}}]}, id="wrong-key-name"),
        pytest.param({"Keys": [{"pk": {"S": "a"}, "x": {"S": "y"}}]}, id="extra-key-attribute"),
        pytest.param({"Keys": [{"pk": {"S": ""}}]}, id="empty-key"),
        pytest.param(
            {"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "v", "AttributesToGet": ["v"]},
            id="projection-and-attributes-to-get",
        ),
        pytest.param({"Keys": [{"pk": {"S": "a"}}], "ProjectionExpression": "v,"}, id="projection-syntax"),
        pytest.param(
            {
                "Keys": [{"pk": {"S": "a"}}],
                "ProjectionExpression": "v",
                "ExpressionAttributeNames": {"#x": "x"},
            },
            id="unused-name",
        ),
        pytest.param({"Keys": []}, id="no-keys"),
    ],
)
def test_batch_get_invalid_requests(ddb_raw, two_tables, keys_and_attributes):
    first, _ = two_tables
    with pytest.raises(ClientError) as exc:
        ddb_raw.batch_get_item(RequestItems={first: keys_and_attributes})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_batch_get_without_tables_is_refused(ddb_raw):
    with pytest.raises(ClientError) as exc:
        ddb_raw.batch_get_item(RequestItems={})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_batch_get_from_a_missing_table(ddb, two_tables):
    first, _ = two_tables
    with pytest.raises(ClientError) as exc:
        ddb.batch_get_item(
            RequestItems={
                first: {"Keys": [{"pk": {"S": "a"}}]},
                "no-such-table": {"Keys": [{"pk": {"S": "a"}}]},
            }
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("ResourceNotFoundException", 400)
    assert message.startswith("Requested resource not found")


def test_batch_get_consumed_capacity(ddb, two_tables):
    first, second = two_tables
    response = ddb.batch_get_item(
        RequestItems={
            first: {"Keys": [{"pk": {"S": "a"}}, {"pk": {"S": "b"}}]},
            second: {"Keys": [{"pk": {"S": "p"}, "sk": {"N": "0"}}], "ConsistentRead": True},
        },
        ReturnConsumedCapacity="TOTAL",
    )
    units = {cc["TableName"]: cc["CapacityUnits"] for cc in response["ConsumedCapacity"]}
    # Each small item is a 4 KB read unit: eventually consistent halves it.
    assert units == {first: 1.0, second: 1.0}


@pytest.mark.slow
def test_batch_get_returns_at_most_16_mb_and_the_rest_as_unprocessed_keys(ddb, make_table):
    # API reference, BatchGetItem: up to 16 MB per call; asking for 100 items of 300 KB returns
    # part of them and the others in UnprocessedKeys.
    table = make_table()
    padding = "x" * (300 * 1024 - 10)
    for start in range(0, 100, 20):
        put_all(
            ddb, table, [{"pk": {"S": f"k{i:03d}"}, "d": {"S": padding}} for i in range(start, start + 20)]
        )
    request = {table: {"Keys": [{"pk": {"S": f"k{i:03d}"}} for i in range(100)]}}
    response = ddb.batch_get_item(RequestItems=request)
    returned = [item["pk"]["S"] for item in response["Responses"][table]]
    assert 1 <= len(returned) <= 55
    unprocessed = response["UnprocessedKeys"][table]["Keys"]
    assert len(returned) + len(unprocessed) == 100
    seen = list(returned)
    for _ in range(10):
        if not unprocessed:
            break
        response = ddb.batch_get_item(RequestItems={table: {"Keys": unprocessed}})
        seen += [item["pk"]["S"] for item in response["Responses"][table]]
        unprocessed = response["UnprocessedKeys"].get(table, {}).get("Keys", [])
    assert sorted(seen) == [f"k{i:03d}" for i in range(100)]
