"""DynamoDB Query and Scan: key conditions and sort order, paging, filters, Select, the 1 MB
page limit, parallel scan and the errors of each."""

from __future__ import annotations

from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from .conftest import code_of, put_all, query_all, scan_all

# Sort key values per type, in the order DynamoDB keeps them: numbers by value, strings by their
# UTF-8 bytes, binaries as unsigned bytes (API reference, Query: "If the data type of the sort key
# is Number, the results are returned in numeric order; otherwise, the results are returned in
# order of UTF-8 bytes").
ORDERED = {
    "N": ["-100", "-10", "-2.5", "-1", "-0.5", "0", "0.001", "0.5", "1", "2", "10", "10.5", "100", "1000"],
    # U+FF5E sorts before U+1D11E in UTF-8 (and in code points), after it in UTF-16.
    "S": ["A", "B", "Z", "a", "aa", "ab", "b", "z", "é", "€", "\uff5e", "\U0001d11e"],
    # 0x80 and above sort after 0x7f: bytes are unsigned.
    "B": [b"\x00", b"\x00\x00", b"\x01", b"\x01\x00", b"\x7f", b"\x80", b"\xfe", b"\xff", b"\xff\x00"],
}


def _order_key(kind, value):
    return Decimal(value) if kind == "N" else value


@pytest.fixture(params=["N", "S", "B"])
def sorted_table(request, ddb, make_table):
    """(table, type, values): partition "p" holds one item per value, shuffled on write."""
    kind = request.param
    table = make_table("pk", "S", "sk", kind)
    values = ORDERED[kind]
    shuffled = values[1::2] + values[::2]
    put_all(
        ddb,
        table,
        [{"pk": {"S": "p"}, "sk": {kind: v}, "i": {"N": str(values.index(v))}} for v in shuffled]
        + [{"pk": {"S": "other"}, "sk": {kind: v}} for v in values[:3]],
    )
    return table, kind, values


def _sk(items, kind):
    return [item["sk"][kind] for item in items]


def _query(ddb, table, condition, values, **kwargs):
    return ddb.query(
        TableName=table,
        KeyConditionExpression=condition,
        ExpressionAttributeValues=values,
        **kwargs,
    )


# ---------------------------------------------------------------- key conditions and order


def test_query_returns_the_partition_in_sort_order(ddb, sorted_table):
    table, kind, values = sorted_table
    response = _query(ddb, table, "pk = :p", {":p": {"S": "p"}})
    assert _sk(response["Items"], kind) == values
    assert response["Count"] == response["ScannedCount"] == len(values)
    assert "LastEvaluatedKey" not in response


def test_query_backwards(ddb, sorted_table):
    table, kind, values = sorted_table
    response = _query(ddb, table, "pk = :p", {":p": {"S": "p"}}, ScanIndexForward=False)
    assert _sk(response["Items"], kind) == values[::-1]


@pytest.mark.parametrize("operator", ["=", "<", "<=", ">", ">="])
def test_sort_key_comparisons(ddb, sorted_table, operator):
    table, kind, values = sorted_table
    pivot = values[len(values) // 2]
    key = _order_key(kind, pivot)
    check = {
        "=": lambda v: v == key,
        "<": lambda v: v < key,
        "<=": lambda v: v <= key,
        ">": lambda v: v > key,
        ">=": lambda v: v >= key,
    }[operator]
    expected = [v for v in values if check(_order_key(kind, v))]
    response = _query(ddb, table, f"pk = :p AND sk {operator} :v", {":p": {"S": "p"}, ":v": {kind: pivot}})
    assert _sk(response["Items"], kind) == expected
    backwards = _query(
        ddb,
        table,
        f"pk = :p AND sk {operator} :v",
        {":p": {"S": "p"}, ":v": {kind: pivot}},
        ScanIndexForward=False,
    )
    assert _sk(backwards["Items"], kind) == expected[::-1]


def test_sort_key_between(ddb, sorted_table):
    table, kind, values = sorted_table
    low, high = values[2], values[-3]
    response = _query(
        ddb,
        table,
        "pk = :p AND sk BETWEEN :lo AND :hi",
        {":p": {"S": "p"}, ":lo": {kind: low}, ":hi": {kind: high}},
    )
    assert _sk(response["Items"], kind) == values[2:-2]
    # Bounds between stored values.
    response = _query(
        ddb,
        table,
        "pk = :p AND sk BETWEEN :lo AND :lo",
        {":p": {"S": "p"}, ":lo": {kind: low}},
    )
    assert _sk(response["Items"], kind) == [low]


def test_key_condition_with_attribute_names(ddb, sorted_table):
    table, kind, values = sorted_table
    response = ddb.query(
        TableName=table,
        KeyConditionExpression="#p = :p AND #s >= :v",
        ExpressionAttributeNames={"#s": "sk", "#p": "pk"},
        ExpressionAttributeValues={":p": {"S": "p"}, ":v": {kind: values[-2]}},
    )
    assert _sk(response["Items"], kind) == values[-2:]


def test_key_condition_keywords_are_case_insensitive(ddb, sorted_table):
    table, kind, values = sorted_table
    response = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p and sk between :lo and :hi",
        ExpressionAttributeValues={":p": {"S": "p"}, ":lo": {kind: values[1]}, ":hi": {kind: values[2]}},
    )
    assert _sk(response["Items"], kind) == values[1:3]


@pytest.mark.parametrize(
    ("kind", "prefix", "expected"),
    [
        ("S", "a", ["a", "aa", "ab"]),
        ("S", "A", ["A"]),  # case-sensitive
        ("S", "", ORDERED["S"]),
        ("S", "€", ["€"]),
        ("B", b"\x01", [b"\x01", b"\x01\x00"]),
        ("B", b"\xff", [b"\xff", b"\xff\x00"]),
        ("B", b"\x00", [b"\x00", b"\x00\x00"]),
    ],
)
def test_sort_key_begins_with(ddb, make_table, kind, prefix, expected):
    table = make_table("pk", "S", "sk", kind)
    put_all(ddb, table, [{"pk": {"S": "p"}, "sk": {kind: v}} for v in ORDERED[kind]])
    response = _query(ddb, table, "pk = :p AND begins_with(sk, :v)", {":p": {"S": "p"}, ":v": {kind: prefix}})
    assert _sk(response["Items"], kind) == expected


def test_begins_with_on_a_number_sort_key_is_refused(ddb, make_table):
    table = make_table("pk", "S", "sk", "N")
    with pytest.raises(ClientError) as exc:
        _query(ddb, table, "pk = :p AND begins_with(sk, :v)", {":p": {"S": "p"}, ":v": {"N": "1"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_number_hash_and_binary_hash(ddb, make_table):
    for kind, value, same in (("N", "1.50", "1.5"), ("B", b"\x00\xff", b"\x00\xff")):
        table = make_table("pk", kind, "sk", "S")
        put_all(ddb, table, [{"pk": {kind: value}, "sk": {"S": s}} for s in "cab"])
        response = _query(ddb, table, "pk = :p", {":p": {kind: same}})
        assert _sk(response["Items"], "S") == ["a", "b", "c"]


def test_query_of_an_empty_partition(ddb, sorted_table):
    table, _, _ = sorted_table
    response = _query(ddb, table, "pk = :p", {":p": {"S": "nobody"}})
    assert response["Items"] == []
    assert response["Count"] == response["ScannedCount"] == 0


def test_query_hash_only_table(ddb, make_table):
    table = make_table()
    put_all(ddb, table, [{"pk": {"S": str(i)}, "v": {"N": str(i)}} for i in range(5)])
    response = _query(ddb, table, "pk = :p", {":p": {"S": "3"}})
    assert response["Items"] == [{"pk": {"S": "3"}, "v": {"N": "3"}}]


def test_legacy_key_conditions(ddb, sorted_table):
    table, kind, values = sorted_table
    response = ddb.query(
        TableName=table,
        KeyConditions={
            "pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
            "sk": {"ComparisonOperator": "GE", "AttributeValueList": [{kind: values[-3]}]},
        },
    )
    assert _sk(response["Items"], kind) == values[-3:]


# ---------------------------------------------------------------- paging


@pytest.mark.parametrize("forward", [True, False])
def test_limit_and_exclusive_start_key(ddb, sorted_table, forward):
    table, kind, values = sorted_table
    params = {
        "TableName": table,
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": {":p": {"S": "p"}},
        "Limit": 3,
        "ScanIndexForward": forward,
    }
    items, pages = query_all(ddb, **params)
    assert _sk(items, kind) == (values if forward else values[::-1])
    for page in pages:
        assert page["Count"] <= 3
        if "LastEvaluatedKey" in page:
            last = page["Items"][-1]
            assert page["LastEvaluatedKey"] == {"pk": last["pk"], "sk": last["sk"]}
    assert len(pages) >= len(values) // 3


def test_exclusive_start_key_need_not_exist(ddb, make_table):
    table = make_table("pk", "S", "sk", "N")
    put_all(ddb, table, [{"pk": {"S": "p"}, "sk": {"N": str(i)}} for i in (1, 3, 5)])
    response = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        ExclusiveStartKey={"pk": {"S": "p"}, "sk": {"N": "2"}},
    )
    assert _sk(response["Items"], "N") == ["3", "5"]


def test_limit_counts_items_read_before_the_filter(ddb, sorted_table):
    table, kind, values = sorted_table
    response = ddb.query(
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="i >= :six",
        ExpressionAttributeValues={":p": {"S": "p"}, ":six": {"N": "6"}},
        Limit=4,
    )
    # The first 4 items (i = 0..3) are read and all filtered out: an empty page that goes on.
    assert response["Items"] == []
    assert response["Count"] == 0
    assert response["ScannedCount"] == 4
    assert response["LastEvaluatedKey"]["sk"] == {kind: values[3]}
    items, _ = query_all(
        ddb,
        TableName=table,
        KeyConditionExpression="pk = :p",
        FilterExpression="i >= :six",
        ExpressionAttributeValues={":p": {"S": "p"}, ":six": {"N": "6"}},
        Limit=4,
    )
    assert _sk(items, kind) == values[6:]


@pytest.mark.parametrize(
    "start",
    [
        pytest.param({"pk": {"S": "p"}}, id="sort-key-missing"),
        pytest.param({"pk": {"S": "p"}, "sk": {"N": "1"}, "x": {"S": "y"}}, id="extra-attribute"),
        pytest.param({"pk": {"N": "1"}, "sk": {"N": "1"}}, id="wrong-type"),
        pytest.param({"other": {"S": "p"}, "sk": {"N": "1"}}, id="wrong-name"),
    ],
)
def test_invalid_exclusive_start_key(ddb, make_table, start):
    table = make_table("pk", "S", "sk", "N")
    with pytest.raises(ClientError) as exc:
        _query(ddb, table, "pk = :p", {":p": {"S": "p"}}, ExclusiveStartKey=start)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName=table, ExclusiveStartKey=start)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize("limit", [0, -1])
def test_limit_must_be_positive(ddb_raw, make_table, limit):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb_raw.scan(TableName=table, Limit=limit)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb_raw.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            Limit=limit,
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


# ---------------------------------------------------------------- the 1 MB page


@pytest.fixture
def big_table(ddb, make_table):
    """310 items of about 10,000 bytes each (about 3 MB) in one partition."""
    table = make_table("pk", "S", "sk", "N")
    # "pk"(2) + "p"(1) + "sk"(2) + a number of 2 or 3 bytes + "d"(1) + 9990 bytes of padding
    put_all(
        ddb,
        table,
        ({"pk": {"S": "p"}, "sk": {"N": str(i)}, "d": {"S": "x" * 9990}} for i in range(310)),
    )
    return table


def _check_pages(items, pages, total):
    keys = [item["sk"]["N"] for item in items]
    assert len(keys) == total
    assert len(set(keys)) == total
    assert len(pages) >= 3
    # DynamoDB stops reading a page at 1 MB (1,048,576 bytes): about 104 of these items.
    first = pages[0]
    assert "LastEvaluatedKey" in first
    assert 95 <= first["ScannedCount"] <= 110
    for page in pages[:-1]:
        assert "LastEvaluatedKey" in page


def test_query_pages_at_one_megabyte(ddb, big_table):
    items, pages = query_all(
        ddb,
        TableName=big_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
    )
    _check_pages(items, pages, 310)
    assert [int(item["sk"]["N"]) for item in items] == list(range(310))


def test_scan_pages_at_one_megabyte(ddb, big_table):
    items, pages = scan_all(ddb, TableName=big_table)
    _check_pages(items, pages, 310)


def test_count_pages_at_one_megabyte_too(ddb, big_table):
    first = ddb.query(
        TableName=big_table,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "p"}},
        Select="COUNT",
    )
    assert "Items" not in first
    assert 95 <= first["Count"] <= 110
    assert "LastEvaluatedKey" in first
    # A filter that keeps nothing still reads (and pages over) the same megabyte.
    filtered = ddb.scan(
        TableName=big_table,
        FilterExpression="attribute_exists(nope)",
    )
    assert filtered["Count"] == 0
    assert 95 <= filtered["ScannedCount"] <= 110
    assert "LastEvaluatedKey" in filtered


# ---------------------------------------------------------------- filters and Select


@pytest.fixture
def people(ddb, make_table):
    table = make_table("pk", "S", "sk", "N")
    put_all(
        ddb,
        table,
        [
            {
                "pk": {"S": "team"},
                "sk": {"N": str(i)},
                "name": {"S": f"person{i}"},
                "age": {"N": str(20 + i)},
                "tags": {"SS": ["even" if i % 2 == 0 else "odd", "all"]},
                **({"nick": {"S": f"n{i}"}} if i % 3 == 0 else {}),
            }
            for i in range(10)
        ],
    )
    return table


def test_filter_expression_counts(ddb, people):
    response = ddb.query(
        TableName=people,
        KeyConditionExpression="pk = :p",
        FilterExpression="contains(tags, :even) AND age > :min",
        ExpressionAttributeValues={":p": {"S": "team"}, ":even": {"S": "even"}, ":min": {"N": "22"}},
    )
    assert [item["sk"]["N"] for item in response["Items"]] == ["4", "6", "8"]
    assert response["Count"] == 3
    assert response["ScannedCount"] == 10
    scanned = ddb.scan(
        TableName=people,
        FilterExpression="attribute_exists(nick)",
    )
    assert sorted(int(item["sk"]["N"]) for item in scanned["Items"]) == [0, 3, 6, 9]
    assert scanned["Count"] == 4
    assert scanned["ScannedCount"] == 10


def test_scan_filter_may_use_key_attributes(ddb, people):
    response = ddb.scan(
        TableName=people,
        FilterExpression="sk < :three AND pk = :p",
        ExpressionAttributeValues={":three": {"N": "3"}, ":p": {"S": "team"}},
    )
    assert response["Count"] == 3


def test_query_filter_on_a_key_attribute_is_refused(ddb, people):
    # API reference, Query: "A FilterExpression cannot contain partition key or sort key
    # attributes."
    for filter_expression in ("sk > :v", "pk = :p"):
        with pytest.raises(ClientError) as exc:
            ddb.query(
                TableName=people,
                KeyConditionExpression="pk = :p",
                FilterExpression=filter_expression,
                ExpressionAttributeValues={":p": {"S": "team"}, ":v": {"N": "1"}}
                if ":v" in filter_expression
                else {":p": {"S": "team"}},
            )
        assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_select_count(ddb, people):
    response = ddb.query(
        TableName=people,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "team"}},
        Select="COUNT",
    )
    assert "Items" not in response
    assert response["Count"] == response["ScannedCount"] == 10
    response = ddb.scan(
        TableName=people,
        Select="COUNT",
        FilterExpression="attribute_exists(nick)",
    )
    assert "Items" not in response
    assert (response["Count"], response["ScannedCount"]) == (4, 10)


def test_select_specific_and_all_attributes(ddb, people):
    response = ddb.query(
        TableName=people,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "team"}},
        Select="SPECIFIC_ATTRIBUTES",
        ProjectionExpression="#n, nick",
        ExpressionAttributeNames={"#n": "name"},
    )
    assert response["Items"][0] == {"name": {"S": "person0"}, "nick": {"S": "n0"}}
    assert response["Items"][1] == {"name": {"S": "person1"}}
    response = ddb.scan(TableName=people, ProjectionExpression="age")
    assert sorted(item["age"]["N"] for item in response["Items"]) == [str(20 + i) for i in range(10)]
    response = ddb.query(
        TableName=people,
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": "team"}},
        Select="ALL_ATTRIBUTES",
    )
    assert set(response["Items"][0]) == {"pk", "sk", "name", "age", "tags", "nick"}


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"Select": "SPECIFIC_ATTRIBUTES"}, id="specific-without-projection"),
        pytest.param({"Select": "ALL_ATTRIBUTES", "ProjectionExpression": "age"}, id="all-with-projection"),
        pytest.param({"Select": "COUNT", "ProjectionExpression": "age"}, id="count-with-projection"),
        pytest.param({"Select": "ALL_PROJECTED_ATTRIBUTES"}, id="all-projected-on-a-table"),
        pytest.param({"Select": "EVERYTHING"}, id="unknown-select"),
        pytest.param(
            {"Select": "ALL_ATTRIBUTES", "AttributesToGet": ["age"]}, id="all-with-attributes-to-get"
        ),
        pytest.param({"AttributesToGet": ["age"], "ProjectionExpression": "age"}, id="legacy-and-expression"),
    ],
)
def test_select_errors(ddb_raw, people, params):
    # API reference, Query/Scan Select: ALL_PROJECTED_ATTRIBUTES only on an index; with a
    # ProjectionExpression, Select may only be SPECIFIC_ATTRIBUTES.
    with pytest.raises(ClientError) as exc:
        ddb_raw.query(
            TableName=people,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "team"}},
            **params,
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb_raw.scan(TableName=people, **params)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_filter_expression_errors(ddb, people):
    for params in (
        {"FilterExpression": "age >", "ExpressionAttributeValues": None},
        {"FilterExpression": "age > :v", "ExpressionAttributeValues": None},
        {"FilterExpression": "age > :v", "ExpressionAttributeValues": {":v": {"N": "1"}, ":x": {"N": "2"}}},
        {"FilterExpression": "name = :v", "ExpressionAttributeValues": {":v": {"S": "x"}}},  # reserved
        {"FilterExpression": "", "ExpressionAttributeValues": None},
    ):
        params = {k: v for k, v in params.items() if v is not None}
        with pytest.raises(ClientError) as exc:
            ddb.scan(TableName=people, **params)
        assert code_of(exc) == ("ValidationException", 400), params  # message unverified


def test_legacy_scan_filter_and_query_filter(ddb, people):
    response = ddb.scan(
        TableName=people,
        ScanFilter={"age": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "23"}]}},
    )
    assert response["Count"] == 3
    response = ddb.query(
        TableName=people,
        KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "team"}]}},
        QueryFilter={"nick": {"ComparisonOperator": "NOT_NULL"}},
    )
    assert response["Count"] == 4
    with pytest.raises(ClientError) as exc:
        ddb.scan(
            TableName=people,
            ScanFilter={"age": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "23"}]}},
            FilterExpression="age < :v",
            ExpressionAttributeValues={":v": {"N": "23"}},
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_query_consumed_capacity_sums_item_sizes(ddb, make_table):
    # Developer guide, read capacity: a Query is charged for the total size of the items read,
    # rounded up to 4 KB (half for eventually consistent reads).
    table = make_table("pk", "S", "sk", "N")
    # Each item: "pk"(2) + "p"(1) + "sk"(2) + 1-digit number (2) + "d"(1) + 992 = 1000 bytes.
    put_all(ddb, table, [{"pk": {"S": "p"}, "sk": {"N": str(i)}, "d": {"S": "x" * 992}} for i in range(10)])
    strong = _query(
        ddb, table, "pk = :p", {":p": {"S": "p"}}, ConsistentRead=True, ReturnConsumedCapacity="TOTAL"
    )
    assert strong["ConsumedCapacity"]["CapacityUnits"] == 3.0
    assert strong["ConsumedCapacity"]["TableName"] == table
    eventual = _query(ddb, table, "pk = :p", {":p": {"S": "p"}}, ReturnConsumedCapacity="TOTAL")
    assert eventual["ConsumedCapacity"]["CapacityUnits"] == 1.5


# ---------------------------------------------------------------- key condition errors


@pytest.mark.parametrize(
    ("condition", "values"),
    [
        pytest.param("sk = :n", {":n": {"N": "1"}}, id="hash-key-missing"),
        pytest.param("pk = :p AND extra = :s", {":p": {"S": "p"}, ":s": {"S": "x"}}, id="non-key-attribute"),
        pytest.param(
            "pk = :p AND pk = :q", {":p": {"S": "p"}, ":q": {"S": "q"}}, id="two-conditions-on-hash"
        ),
        pytest.param(
            "pk = :p AND sk > :n AND sk < :m",
            {":p": {"S": "p"}, ":n": {"N": "1"}, ":m": {"N": "5"}},
            id="two-conditions-on-range",
        ),
        pytest.param("pk <> :p", {":p": {"S": "p"}}, id="not-equal-on-hash"),
        pytest.param("pk = :p AND sk <> :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="not-equal-on-range"),
        pytest.param("pk < :p", {":p": {"S": "p"}}, id="less-than-on-hash"),
        pytest.param("pk BETWEEN :p AND :q", {":p": {"S": "p"}, ":q": {"S": "q"}}, id="between-on-hash"),
        pytest.param("begins_with(pk, :p)", {":p": {"S": "p"}}, id="begins-with-on-hash"),
        pytest.param("pk = :p OR sk = :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="or"),
        pytest.param("pk = :p AND NOT sk = :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="not"),
        pytest.param("pk = :p AND sk IN (:n)", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="in"),
        pytest.param("pk = :p AND contains(sk, :n)", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="contains"),
        pytest.param("pk = :p AND attribute_exists(sk)", {":p": {"S": "p"}}, id="attribute-exists"),
        pytest.param("pk = :p AND size(sk) = :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="size"),
        pytest.param("pk = :p AND sk.x = :n", {":p": {"S": "p"}, ":n": {"N": "1"}}, id="nested-path"),
        pytest.param("pk = :n", {":n": {"N": "1"}}, id="hash-value-of-wrong-type"),
        pytest.param(
            "pk = :p AND sk = :s", {":p": {"S": "p"}, ":s": {"S": "1"}}, id="range-value-of-wrong-type"
        ),
        pytest.param(
            "pk = :p AND sk BETWEEN :hi AND :lo",
            {":p": {"S": "p"}, ":hi": {"N": "5"}, ":lo": {"N": "1"}},
            id="between-bounds-reversed",
        ),
        pytest.param("pk = :p AND", {":p": {"S": "p"}}, id="syntax-error"),
        pytest.param("pk = :undefined", {":p": {"S": "p"}}, id="undefined-value"),
        pytest.param("pk = :p", {":p": {"S": "p"}, ":unused": {"S": "x"}}, id="unused-value"),
        pytest.param("pk = pk", None, id="path-on-both-sides"),
        pytest.param("pk = :p AND sk = sk", {":p": {"S": "p"}}, id="range-path-on-both-sides"),
        pytest.param("", {":p": {"S": "p"}}, id="empty-expression"),
    ],
)
def test_key_condition_errors(ddb, make_table, condition, values):
    table = make_table("pk", "S", "sk", "N")
    params = {"TableName": table, "KeyConditionExpression": condition}
    if values is not None:
        params["ExpressionAttributeValues"] = values
    with pytest.raises(ClientError) as exc:
        ddb.query(**params)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_query_needs_a_key_condition(ddb, make_table):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.query(TableName=table)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_range_condition_on_a_hash_only_table_is_refused(ddb, make_table):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        _query(ddb, table, "pk = :p AND sk = :s", {":p": {"S": "p"}, ":s": {"S": "s"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_key_conditions_and_expression_together_are_refused(ddb, make_table):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb.query(
            TableName=table,
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": "p"}},
            KeyConditions={"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]}},
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize(
    "key_conditions",
    [
        pytest.param({"pk": {"ComparisonOperator": "NE", "AttributeValueList": [{"S": "p"}]}}, id="ne"),
        pytest.param({"pk": {"ComparisonOperator": "EQ", "AttributeValueList": []}}, id="no-value"),
        pytest.param({"sk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "s"}]}}, id="no-hash"),
    ],
)
def test_legacy_key_condition_errors(ddb, make_table, key_conditions):
    table = make_table("pk", "S", "sk", "S")
    with pytest.raises(ClientError) as exc:
        ddb.query(TableName=table, KeyConditions=key_conditions)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_query_and_scan_on_a_missing_table(ddb):
    with pytest.raises(ClientError) as exc:
        _query(ddb, "no-such-table", "pk = :p", {":p": {"S": "p"}})
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.scan(TableName="no-such-table")
    assert code_of(exc) == ("ResourceNotFoundException", 400)  # message unverified


# ---------------------------------------------------------------- Scan


def test_scan_everything_with_paging(ddb, make_table):
    table = make_table("pk", "S", "sk", "N")
    put_all(ddb, table, [{"pk": {"S": f"p{i % 7}"}, "sk": {"N": str(i)}} for i in range(60)])
    items, pages = scan_all(ddb, TableName=table, Limit=8)
    assert sorted(int(item["sk"]["N"]) for item in items) == list(range(60))
    assert all(page["Count"] <= 8 for page in pages)
    for page in pages:
        if "LastEvaluatedKey" in page:
            assert set(page["LastEvaluatedKey"]) == {"pk", "sk"}


def test_scan_of_an_empty_table(ddb, make_table):
    response = ddb.scan(TableName=make_table())
    assert response["Items"] == []
    assert response["Count"] == response["ScannedCount"] == 0
    assert "LastEvaluatedKey" not in response


@pytest.mark.parametrize("total", [1, 4, 7])
def test_parallel_scan_segments_cover_the_table_once(ddb, make_table, total):
    table = make_table()
    put_all(ddb, table, [{"pk": {"S": f"item-{i}"}} for i in range(200)])
    seen = []
    for segment in range(total):
        items, _ = scan_all(ddb, TableName=table, Segment=segment, TotalSegments=total, Limit=9)
        seen += [item["pk"]["S"] for item in items]
    assert len(seen) == 200
    assert set(seen) == {f"item-{i}" for i in range(200)}


def test_parallel_scan_with_more_segments_than_items(ddb, make_table):
    table = make_table()
    put_all(ddb, table, [{"pk": {"S": f"item-{i}"}} for i in range(5)])
    seen = []
    for segment in range(20):
        seen += [
            item["pk"]["S"] for item in scan_all(ddb, TableName=table, Segment=segment, TotalSegments=20)[0]
        ]
    assert sorted(seen) == [f"item-{i}" for i in range(5)]


def test_parallel_scan_segments_are_stable(ddb, make_table):
    table = make_table()
    put_all(ddb, table, [{"pk": {"S": f"item-{i}"}} for i in range(50)])
    first = [item["pk"]["S"] for item in ddb.scan(TableName=table, Segment=1, TotalSegments=3)["Items"]]
    again = [item["pk"]["S"] for item in ddb.scan(TableName=table, Segment=1, TotalSegments=3)["Items"]]
    assert sorted(first) == sorted(again)


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"Segment": 4, "TotalSegments": 4}, id="segment-equals-total"),
        pytest.param({"Segment": 5, "TotalSegments": 4}, id="segment-above-total"),
        pytest.param({"Segment": 0}, id="segment-without-total"),
        pytest.param({"TotalSegments": 4}, id="total-without-segment"),
        pytest.param({"Segment": -1, "TotalSegments": 4}, id="negative-segment"),
        pytest.param({"Segment": 0, "TotalSegments": 0}, id="zero-total"),
        pytest.param({"Segment": 0, "TotalSegments": 1000001}, id="total-above-1000000"),
    ],
)
def test_parallel_scan_validation(ddb_raw, make_table, params):
    table = make_table()
    with pytest.raises(ClientError) as exc:
        ddb_raw.scan(TableName=table, **params)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_scan_consistent_read_on_a_table(ddb, make_table):
    table = make_table()
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}})
    assert ddb.scan(TableName=table, ConsistentRead=True)["Count"] == 1
