"""DynamoDB secondary indexes: maintenance on writes, sparse GSIs, projections, queries and scans
of indexes, their errors, and a GSI added to a table that already has items."""

from __future__ import annotations

import time

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import code_of, gsi, lsi, put_all, query_all, scan_all


@pytest.fixture
def orders(ddb, make_table):
    """Table (customer, order N) with:

    - GSI ``by-status`` (status, placed N), ALL: sparse, only orders that have a status;
    - GSI ``by-sku`` (sku), KEYS_ONLY;
    - GSI ``by-region`` (region, placed N), INCLUDE total;
    - LSI ``by-placed`` (customer, placed N), KEYS_ONLY;
    - LSI ``by-total`` (customer, total N), INCLUDE note.
    """
    return make_table(
        "customer",
        "S",
        "order",
        "N",
        attributes={"status": "S", "placed": "N", "sku": "S", "region": "S", "total": "N"},
        gsis=[
            gsi("by-status", "status", "placed"),
            gsi("by-sku", "sku", projection="KEYS_ONLY"),
            gsi("by-region", "region", "placed", projection="INCLUDE", non_key=["total"]),
        ],
        lsis=[
            lsi("by-placed", "customer", "placed", projection="KEYS_ONLY"),
            lsi("by-total", "customer", "total", projection="INCLUDE", non_key=["note"]),
        ],
    )


def _order(customer, order, **attrs):
    item = {"customer": {"S": customer}, "order": {"N": str(order)}}
    for name, value in attrs.items():
        item[name] = {"N": str(value)} if isinstance(value, int) else {"S": value}
    return item


def _index_query(ddb, table, index, condition, values, **kwargs):
    return ddb.query(
        TableName=table,
        IndexName=index,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        **kwargs,
    )


def _orders_of(items):
    return [(item["customer"]["S"], item["order"]["N"]) for item in items]


# ---------------------------------------------------------------- maintenance


def test_gsi_follows_put_update_delete(ddb, orders):
    ddb.put_item(TableName=orders, Item=_order("ann", 1, status="OPEN", placed=10, total=5))
    ddb.put_item(TableName=orders, Item=_order("bob", 1, status="OPEN", placed=5, total=7))
    ddb.put_item(TableName=orders, Item=_order("ann", 2, status="SHIPPED", placed=20))

    def open_orders():
        response = _index_query(
            ddb,
            orders,
            "by-status",
            "#s = :s",
            {":s": {"S": "OPEN"}},
            ExpressionAttributeNames={"#s": "status"},
        )
        return _orders_of(response["Items"])

    assert open_orders() == [("bob", "1"), ("ann", "1")]  # ordered by the index sort key
    ddb.update_item(
        TableName=orders,
        Key={"customer": {"S": "bob"}, "order": {"N": "1"}},
        UpdateExpression="SET #s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "SHIPPED"}},
    )
    assert open_orders() == [("ann", "1")]
    ddb.update_item(
        TableName=orders,
        Key={"customer": {"S": "ann"}, "order": {"N": "1"}},
        UpdateExpression="SET placed = :p",
        ExpressionAttributeValues={":p": {"N": "1"}},
    )
    response = _index_query(
        ddb,
        orders,
        "by-status",
        "#s = :s AND placed < :p",
        {":s": {"S": "OPEN"}, ":p": {"N": "5"}},
        ExpressionAttributeNames={"#s": "status"},
    )
    assert _orders_of(response["Items"]) == [("ann", "1")]
    ddb.put_item(TableName=orders, Item=_order("ann", 1, placed=1))  # replaced without a status
    assert open_orders() == []
    ddb.put_item(TableName=orders, Item=_order("cat", 9, status="OPEN", placed=3))
    ddb.delete_item(TableName=orders, Key={"customer": {"S": "cat"}, "order": {"N": "9"}})
    assert open_orders() == []


def test_gsi_keys_need_not_be_unique(ddb, orders):
    put_all(ddb, orders, [_order(c, o, sku="X1") for c in ("a", "b") for o in (1, 2)])
    response = _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "X1"}})
    assert sorted(_orders_of(response["Items"])) == [("a", "1"), ("a", "2"), ("b", "1"), ("b", "2")]
    assert response["Count"] == 4


def test_sparse_gsi_and_index_item_count(ddb, orders):
    put_all(
        ddb,
        orders,
        [_order("a", i, status="OPEN", placed=i) for i in range(3)] + [_order("b", i) for i in range(4)],
    )
    scanned = ddb.scan(TableName=orders, IndexName="by-status")
    assert scanned["Count"] == 3
    assert {item["customer"]["S"] for item in scanned["Items"]} == {"a"}
    described = ddb.describe_table(TableName=orders)["Table"]
    counts = {i["IndexName"]: i["ItemCount"] for i in described["GlobalSecondaryIndexes"]}
    assert counts == {"by-status": 3, "by-sku": 0, "by-region": 0}
    assert described["ItemCount"] == 7


def test_lsi_follows_writes_and_is_sparse(ddb, orders):
    put_all(
        ddb,
        orders,
        [
            _order("ann", 1, placed=30),
            _order("ann", 2, placed=10),
            _order("ann", 3),  # no "placed": not in the LSI
            _order("ann", 4, placed=20),
            _order("bob", 1, placed=5),
        ],
    )
    response = _index_query(ddb, orders, "by-placed", "customer = :c", {":c": {"S": "ann"}})
    assert [item["placed"]["N"] for item in response["Items"]] == ["10", "20", "30"]
    response = _index_query(
        ddb,
        orders,
        "by-placed",
        "customer = :c AND placed BETWEEN :a AND :b",
        {":c": {"S": "ann"}, ":a": {"N": "15"}, ":b": {"N": "40"}},
        ScanIndexForward=False,
    )
    assert [item["order"]["N"] for item in response["Items"]] == ["1", "4"]
    ddb.delete_item(TableName=orders, Key={"customer": {"S": "ann"}, "order": {"N": "2"}})
    response = _index_query(ddb, orders, "by-placed", "customer = :c", {":c": {"S": "ann"}})
    assert [item["order"]["N"] for item in response["Items"]] == ["4", "1"]


def test_writes_through_batch_and_transactions_update_indexes(ddb, orders):
    ddb.batch_write_item(RequestItems={orders: [{"PutRequest": {"Item": _order("a", 1, sku="S1")}}]})
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": orders, "Item": _order("b", 1, sku="S1")}},
            {
                "Update": {
                    "TableName": orders,
                    "Key": {"customer": {"S": "a"}, "order": {"N": "1"}},
                    "UpdateExpression": "SET sku = :s",
                    "ExpressionAttributeValues": {":s": {"S": "S2"}},
                }
            },
        ]
    )
    response = _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "S1"}})
    assert _orders_of(response["Items"]) == [("b", "1")]
    ddb.batch_write_item(
        RequestItems={orders: [{"DeleteRequest": {"Key": {"customer": {"S": "b"}, "order": {"N": "1"}}}}]}
    )
    assert _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "S1"}})["Items"] == []


# ---------------------------------------------------------------- projections


def test_keys_only_projection(ddb, orders):
    ddb.put_item(TableName=orders, Item=_order("a", 1, sku="K", placed=3, total=9, note="hi"))
    [item] = _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "K"}})["Items"]
    # Table key and index key only.
    assert item == {"customer": {"S": "a"}, "order": {"N": "1"}, "sku": {"S": "K"}}
    [item] = ddb.scan(TableName=orders, IndexName="by-sku")["Items"]
    assert set(item) == {"customer", "order", "sku"}


def test_include_projection(ddb, orders):
    ddb.put_item(TableName=orders, Item=_order("a", 1, region="EU", placed=3, total=9, note="hi"))
    [item] = _index_query(
        ddb, orders, "by-region", "#r = :r", {":r": {"S": "EU"}}, ExpressionAttributeNames={"#r": "region"}
    )["Items"]
    assert item == {
        "customer": {"S": "a"},
        "order": {"N": "1"},
        "region": {"S": "EU"},
        "placed": {"N": "3"},
        "total": {"N": "9"},
    }


def test_all_projection(ddb, orders):
    full = _order("a", 1, status="NEW", placed=3, total=9, note="hi", sku="K")
    ddb.put_item(TableName=orders, Item=full)
    [item] = _index_query(
        ddb, orders, "by-status", "#s = :s", {":s": {"S": "NEW"}}, ExpressionAttributeNames={"#s": "status"}
    )["Items"]
    assert item == full


def test_select_on_indexes(ddb, orders):
    full = _order("a", 1, sku="K", placed=3, total=9, note="hi")
    ddb.put_item(TableName=orders, Item=full)
    [item] = _index_query(
        ddb, orders, "by-sku", "sku = :s", {":s": {"S": "K"}}, Select="ALL_PROJECTED_ATTRIBUTES"
    )["Items"]
    assert set(item) == {"customer", "order", "sku"}
    # API reference, Select: an LSI query may fetch unprojected attributes from the table.
    [item] = _index_query(
        ddb, orders, "by-placed", "customer = :c", {":c": {"S": "a"}}, Select="ALL_ATTRIBUTES"
    )["Items"]
    assert item == full
    [item] = _index_query(
        ddb,
        orders,
        "by-total",
        "customer = :c",
        {":c": {"S": "a"}},
        ProjectionExpression="note, sku",
    )["Items"]
    assert item == {"note": {"S": "hi"}, "sku": {"S": "K"}}
    response = _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "K"}}, Select="COUNT")
    assert response["Count"] == 1 and "Items" not in response


def test_gsi_cannot_return_unprojected_attributes(ddb, orders):
    # API reference, Select: global secondary index queries cannot fetch attributes from the
    # parent table.
    ddb.put_item(TableName=orders, Item=_order("a", 1, sku="K"))
    with pytest.raises(ClientError) as exc:
        _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "K"}}, Select="ALL_ATTRIBUTES")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=orders, IndexName="by-sku", Select="ALL_ATTRIBUTES")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


# ---------------------------------------------------------------- index key values


@pytest.mark.parametrize(
    "attrs",
    [
        pytest.param({"sku": {"N": "1"}}, id="gsi-hash-of-wrong-type"),
        pytest.param({"status": {"S": "OPEN"}, "placed": {"S": "yesterday"}}, id="gsi-range-of-wrong-type"),
        pytest.param({"total": {"S": "lots"}}, id="lsi-key-of-wrong-type"),
        pytest.param({"sku": {"S": ""}}, id="empty-gsi-key"),
        pytest.param({"region": {"S": ""}}, id="empty-gsi-key-with-include"),
        pytest.param({"sku": {"B": b""}}, id="empty-binary-for-string-gsi-key"),
    ],
)
def test_invalid_index_key_values_are_refused(ddb, orders, attrs):
    item = {**_order("a", 1), **attrs}
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=orders, Item=item)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    ddb.put_item(TableName=orders, Item=_order("a", 2))
    with pytest.raises(ClientError) as exc:
        name, value = list(attrs.items())[-1]  # the invalid one
        ddb.update_item(
            TableName=orders,
            Key={"customer": {"S": "a"}, "order": {"N": "2"}},
            UpdateExpression="SET #a = :v",
            ExpressionAttributeNames={"#a": name},
            ExpressionAttributeValues={":v": value},
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert ddb.scan(TableName=orders)["Items"] == [_order("a", 2)]


# ---------------------------------------------------------------- index queries: errors


def test_consistent_read_on_a_gsi_is_refused(ddb, orders):
    # API reference, Query/Scan ConsistentRead: true on a global secondary index is a
    # ValidationException.
    with pytest.raises(ClientError) as exc:
        _index_query(ddb, orders, "by-sku", "sku = :s", {":s": {"S": "K"}}, ConsistentRead=True)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=orders, IndexName="by-sku", ConsistentRead=True)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_consistent_read_on_an_lsi_is_allowed(ddb, orders):
    ddb.put_item(TableName=orders, Item=_order("a", 1, placed=1))
    response = _index_query(
        ddb, orders, "by-placed", "customer = :c", {":c": {"S": "a"}}, ConsistentRead=True
    )
    assert response["Count"] == 1
    assert ddb.scan(TableName=orders, IndexName="by-placed", ConsistentRead=True)["Count"] == 1


def test_querying_a_missing_index(ddb, orders, make_table):
    with pytest.raises(ClientError) as exc:
        _index_query(ddb, orders, "no-such-index", "sku = :s", {":s": {"S": "K"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=orders, IndexName="no-such-index")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    plain = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=plain, IndexName="by-sku")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize(
    ("index", "condition", "values"),
    [
        pytest.param("by-sku", "customer = :c", {":c": {"S": "a"}}, id="table-hash-key-on-a-gsi"),
        pytest.param(
            "by-status",
            "#s = :s AND #o = :o",
            {":s": {"S": "x"}, ":o": {"N": "1"}},
            id="table-range-on-a-gsi",
        ),
        pytest.param("by-placed", "placed = :p", {":p": {"N": "1"}}, id="lsi-without-hash"),
        pytest.param(
            "by-placed",
            "customer = :c AND #o = :o",
            {":c": {"S": "a"}, ":o": {"N": "1"}},
            id="table-range-on-an-lsi",
        ),
        pytest.param("by-sku", "sku = :n", {":n": {"N": "1"}}, id="index-key-of-wrong-type"),
        pytest.param(
            "by-sku", "sku = :s AND customer = :c", {":s": {"S": "K"}, ":c": {"S": "a"}}, id="non-key"
        ),
    ],
)
def test_index_key_condition_errors(ddb, orders, index, condition, values):
    names = {k: v for k, v in {"#s": "status", "#o": "order"}.items() if k in condition}
    params = {"ExpressionAttributeNames": names} if names else {}
    with pytest.raises(ClientError) as exc:
        _index_query(ddb, orders, index, condition, values, **params)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_filter_on_a_gsi_may_use_table_keys(ddb, orders):
    put_all(ddb, orders, [_order(c, 1, sku="K") for c in ("a", "b", "c")])
    response = _index_query(
        ddb,
        orders,
        "by-sku",
        "sku = :s",
        {":s": {"S": "K"}, ":c": {"S": "b"}},
        FilterExpression="customer <> :c",
    )
    assert sorted(_orders_of(response["Items"])) == [("a", "1"), ("c", "1")]
    assert response["ScannedCount"] == 3


# ---------------------------------------------------------------- paging on indexes


def test_gsi_query_paging_keys(ddb, orders):
    put_all(ddb, orders, [_order(f"c{i % 3}", i, status="OPEN", placed=i % 4) for i in range(12)])
    items, pages = query_all(
        ddb,
        TableName=orders,
        IndexName="by-status",
        KeyConditionExpression="#s = :s",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":s": {"S": "OPEN"}},
        Limit=5,
    )
    assert len(items) == 12
    assert len(set(_orders_of(items))) == 12
    assert [item["placed"]["N"] for item in items] == sorted((item["placed"]["N"] for item in items), key=int)
    for page in pages:
        if "LastEvaluatedKey" in page:
            # The table key and the index key (API reference, Query LastEvaluatedKey).
            assert set(page["LastEvaluatedKey"]) == {"customer", "order", "status", "placed"}
            last = page["Items"][-1]
            assert page["LastEvaluatedKey"] == {k: last[k] for k in ("customer", "order", "status", "placed")}


def test_lsi_query_paging_keys(ddb, orders):
    put_all(ddb, orders, [_order("a", i, placed=100 - i) for i in range(7)])
    items, pages = query_all(
        ddb,
        TableName=orders,
        IndexName="by-placed",
        KeyConditionExpression="customer = :c",
        ExpressionAttributeValues={":c": {"S": "a"}},
        Limit=2,
    )
    assert [item["placed"]["N"] for item in items] == [str(100 - i) for i in range(6, -1, -1)]
    assert set(pages[0]["LastEvaluatedKey"]) == {"customer", "order", "placed"}


def test_index_scan_paging_keys(ddb, orders):
    put_all(ddb, orders, [_order(f"c{i}", i, sku=f"s{i % 2}") for i in range(9)])
    items, pages = scan_all(ddb, TableName=orders, IndexName="by-sku", Limit=4)
    assert sorted(_orders_of(items)) == sorted((f"c{i}", str(i)) for i in range(9))
    assert set(pages[0]["LastEvaluatedKey"]) == {"customer", "order", "sku"}
    seen = []
    for segment in range(3):
        seen += _orders_of(
            scan_all(ddb, TableName=orders, IndexName="by-sku", Segment=segment, TotalSegments=3)[0]
        )
    assert sorted(seen) == sorted(_orders_of(items))


def test_index_consumed_capacity(ddb, make_table):
    table = make_table(attributes={"g": "S"}, gsis=[gsi("by-g", "g")])
    response = ddb.put_item(
        TableName=table, Item={"pk": {"S": "a"}, "g": {"S": "x"}}, ReturnConsumedCapacity="INDEXES"
    )
    cc = response["ConsumedCapacity"]
    # Developer guide, GSI: a write to the table that writes the index is also charged there.
    assert cc["Table"]["CapacityUnits"] == 1.0
    assert set(cc["GlobalSecondaryIndexes"]) == {"by-g"}
    assert cc["GlobalSecondaryIndexes"]["by-g"]["CapacityUnits"] == 1.0
    assert cc["CapacityUnits"] == 2.0
    response = ddb.put_item(
        TableName=table, Item={"pk": {"S": "b"}}, ReturnConsumedCapacity="INDEXES"
    )  # not in the sparse index
    assert response["ConsumedCapacity"]["CapacityUnits"] == 1.0
    response = _index_query(
        ddb, table, "by-g", "g = :g", {":g": {"S": "x"}}, ReturnConsumedCapacity="INDEXES"
    )
    cc = response["ConsumedCapacity"]
    assert cc["GlobalSecondaryIndexes"]["by-g"]["CapacityUnits"] == 0.5
    assert cc["CapacityUnits"] == 0.5


# ---------------------------------------------------------------- a GSI added later


def _wait_active(ddb, table, index):
    """Describe until the index is ACTIVE: at most 50 quick describes."""
    for _ in range(50):
        described = ddb.describe_table(TableName=table)["Table"]
        for candidate in described.get("GlobalSecondaryIndexes", []):
            if candidate["IndexName"] == index and candidate["IndexStatus"] == "ACTIVE":
                return candidate
        time.sleep(0.05)
    raise AssertionError(f"{index} never became ACTIVE")


def test_gsi_added_to_a_table_with_items_is_backfilled(ddb, make_table):
    table = make_table("pk", "S", "sk", "N")
    put_all(
        ddb,
        table,
        [
            {"pk": {"S": f"p{i}"}, "sk": {"N": str(i)}, "color": {"S": ["red", "blue"][i % 2]}}
            for i in range(20)
        ]
        + [{"pk": {"S": "plain"}, "sk": {"N": "0"}}],
    )
    ddb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "color", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-color", "color", "sk", projection="KEYS_ONLY")}],
    )
    index = _wait_active(ddb, table, "by-color")
    assert index["ItemCount"] == 20
    response = _index_query(ddb, table, "by-color", "color = :c", {":c": {"S": "red"}})
    assert [item["sk"]["N"] for item in response["Items"]] == [str(i) for i in range(0, 20, 2)]
    assert set(response["Items"][0]) == {"pk", "sk", "color"}
    # New writes after the backfill are indexed too.
    ddb.put_item(TableName=table, Item={"pk": {"S": "new"}, "sk": {"N": "100"}, "color": {"S": "red"}})
    response = _index_query(ddb, table, "by-color", "color = :c", {":c": {"S": "red"}})
    assert response["Items"][-1]["pk"] == {"S": "new"}


def test_a_deleted_gsi_can_no_longer_be_queried(ddb, make_table):
    table = make_table(attributes={"g": "S"}, gsis=[gsi("by-g", "g")])
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "g": {"S": "x"}})
    ddb.update_table(TableName=table, GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by-g"}}])
    for _ in range(50):
        described = ddb.describe_table(TableName=table)["Table"]
        if "by-g" not in [i["IndexName"] for i in described.get("GlobalSecondaryIndexes", [])]:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("index was never removed")
    with pytest.raises(ClientError) as exc:
        _index_query(ddb, table, "by-g", "g = :g", {":g": {"S": "x"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    # The attribute is an ordinary attribute again: any type is accepted.
    ddb.put_item(TableName=table, Item={"pk": {"S": "b"}, "g": {"N": "1"}})


def test_a_gsi_on_a_large_table_is_backfilled_in_the_background(ddb, aws_client, make_table):
    """Past the first 1,000 items the backfill runs in background steps: the index is CREATING
    (Backfilling) meanwhile, cannot be read, blocks another index change, and writes made during
    the backfill end up in it exactly once."""
    table = make_table("pk", "S")
    total = 3000
    put_all(ddb, table, ({"pk": {"S": f"p{i:05d}"}, "g": {"S": f"g{i % 7}"}} for i in range(total)))
    once = aws_client("dynamodb", config=Config(retries={"total_max_attempts": 1}))
    once.describe_table(TableName=table)  # a warm client: the steps below race the backfill
    answer = ddb.update_table(
        TableName=table,
        AttributeDefinitions=[{"AttributeName": "g", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[{"Create": gsi("by-g", "g", projection="KEYS_ONLY")}],
    )
    index = answer["TableDescription"]["GlobalSecondaryIndexes"][0]
    assert (index["IndexStatus"], index["Backfilling"]) == ("CREATING", True)
    with pytest.raises(ClientError) as exc:
        once.update_table(  # the SDK would retry LimitExceededException, until the backfill is over
            TableName=table,
            AttributeDefinitions=[{"AttributeName": "h", "AttributeType": "S"}],
            GlobalSecondaryIndexUpdates=[{"Create": gsi("by-h", "h")}],
        )
    assert code_of(exc) == ("LimitExceededException", 400)
    assert "Only 1 online index can be created or deleted simultaneously" in str(exc.value)
    with pytest.raises(ClientError) as exc:
        _index_query(ddb, table, "by-g", "g = :g", {":g": {"S": "g0"}})
    assert code_of(exc) == ("ValidationException", 400)
    # Writes while the backfill runs: new items, changed keys, deletions.
    for i in range(0, total, 300):
        ddb.put_item(TableName=table, Item={"pk": {"S": f"p{i:05d}"}, "g": {"S": "moved"}})
        ddb.delete_item(TableName=table, Key={"pk": {"S": f"p{i + 1:05d}"}})
        ddb.put_item(TableName=table, Item={"pk": {"S": f"new{i:05d}"}, "g": {"S": "moved"}})
    index = _wait_active(ddb, table, "by-g")
    assert "Backfilling" not in index
    assert index["ItemCount"] == total
    moved = _index_query(ddb, table, "by-g", "g = :g", {":g": {"S": "moved"}}, Select="COUNT")
    assert moved["Count"] == 20
    g0, _ = query_all(
        ddb,
        TableName=table,
        IndexName="by-g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": "g0"}},
    )
    expected = {f"p{i:05d}" for i in range(0, total, 7) if i % 300 not in (0, 1)}
    assert {item["pk"]["S"] for item in g0} == expected
