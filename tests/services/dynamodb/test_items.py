"""DynamoDB single-item operations: PutItem, GetItem, UpdateItem, DeleteItem.

Types and number canonicalization, key validation, the 400 KB item limit, condition expressions,
ReturnValues, update expressions, expression errors, the legacy parameters, projections and
consumed capacity.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from botocore.exceptions import ClientError

from .conftest import code_of, error_of

# Condition failures, as recorded from AWS (test_return_values_on_conditions_check_failure).
CONDITION_FAILED = ("ConditionalCheckFailedException", "The conditional request failed", 400)


@pytest.fixture
def table(make_table):
    return make_table()


@pytest.fixture
def composite(make_table):
    return make_table("pk", "S", "sk", "N")


def _get(ddb, table, key, **kwargs):
    return ddb.get_item(TableName=table, Key=key, **kwargs).get("Item")


def _key(value):
    return {"pk": {"S": value}}


# ---------------------------------------------------------------- types


def test_every_attribute_type_round_trips(ddb, table):
    item = {
        "pk": {"S": "types"},
        "s": {"S": "héllo ✓"},
        "n": {"N": "-12.5"},
        "b": {"B": b"\x00\x01\xfe\xff"},
        "ss": {"SS": ["a", "b", "c"]},
        "ns": {"NS": ["1", "-2", "3.25"]},
        "bs": {"BS": [b"\x00", b"\xff"]},
        "m": {"M": {"inner": {"S": "x"}, "deeper": {"M": {"n": {"N": "1"}}}}},
        "l": {"L": [{"S": "one"}, {"N": "2"}, {"L": []}, {"M": {}}, {"NULL": True}]},
        "null": {"NULL": True},
        "yes": {"BOOL": True},
        "no": {"BOOL": False},
        "empty_list": {"L": []},
        "empty_map": {"M": {}},
    }
    ddb.put_item(TableName=table, Item=item)
    got = _get(ddb, table, _key("types"))
    for name in ("ss", "ns", "bs"):  # sets come back in any order
        kind = next(iter(item[name]))
        assert sorted(got.pop(name)[kind]) == sorted(item.pop(name)[kind])
    assert got == item


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("1.50", "1.5"),
        ("0100", "100"),
        ("100", "100"),
        ("-0", "0"),
        ("0.000", "0"),
        ("1e2", "100"),
        ("1E+2", "100"),
        ("0.0010", "0.001"),
        ("-12.300", "-12.3"),
        ("2.5e-3", "0.0025"),
    ],
)
def test_numbers_are_stored_canonically(ddb, table, written, read):
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "num"}, "n": {"N": written}, "l": {"L": [{"N": written}]}},
    )
    got = _get(ddb, table, _key("num"))
    assert got["n"] == {"N": read}
    assert got["l"] == {"L": [{"N": read}]}


def test_number_set_elements_are_canonical(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "ns"}, "ns": {"NS": ["1.50", "020", "3"]}})
    assert sorted(_get(ddb, table, _key("ns"))["ns"]["NS"]) == ["1.5", "20", "3"]


def test_number_keys_match_by_value(ddb, make_table):
    table = make_table("pk", "N")
    ddb.put_item(TableName=table, Item={"pk": {"N": "1.50"}, "v": {"S": "x"}})
    assert _get(ddb, table, {"pk": {"N": "1.5"}}) == {"pk": {"N": "1.5"}, "v": {"S": "x"}}
    assert _get(ddb, table, {"pk": {"N": "001.500"}})["v"] == {"S": "x"}
    ddb.put_item(TableName=table, Item={"pk": {"N": "15e-1"}, "v": {"S": "y"}})  # same key
    assert ddb.scan(TableName=table)["Count"] == 1


@pytest.mark.parametrize(
    "number",
    [
        "12345678901234567890123456789012345678",  # 38 digits
        "-0.12345678901234567890123456789012345678",
        "9.9999999999999999999999999999999999999E+125",  # largest magnitude
        "-9.9999999999999999999999999999999999999E+125",
        "1E-130",  # smallest magnitude
        "100000000000000000000000000000000000000000000000",  # many digits, one significant
    ],
)
def test_numbers_at_the_limits_are_kept_exactly(ddb, table, number):
    # Developer guide, data types: up to 38 digits of precision; magnitudes 1E-130 to
    # 9.9999999999999999999999999999999999999E+125.
    ddb.put_item(TableName=table, Item={"pk": {"S": "big"}, "n": {"N": number}})
    assert Decimal(_get(ddb, table, _key("big"))["n"]["N"]) == Decimal(number)


@pytest.mark.parametrize(
    "number",
    [
        "123456789012345678901234567890123456789",  # 39 significant digits
        "1.23456789012345678901234567890123456789",
        "1E+126",
        "-1E+126",
        "1E-131",
        "abc",
        "1..2",
        "",
        "NaN",
        "Infinity",
        "-Infinity",
        "0x10",
        "1e",
        "--1",
    ],
)
def test_invalid_numbers_are_refused(ddb, table, number):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "bad"}, "n": {"N": number}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb, table, _key("bad")) is None


def test_empty_strings_and_binaries_outside_keys(ddb, table):
    # Non-key String and Binary attributes may be empty (developer guide, data types).
    item = {
        "pk": {"S": "empty"},
        "s": {"S": ""},
        "b": {"B": b""},
        "m": {"M": {"s": {"S": ""}}},
        "l": {"L": [{"S": ""}]},
    }
    ddb.put_item(TableName=table, Item=item)
    assert _get(ddb, table, _key("empty")) == item


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"SS": []}, id="empty-string-set"),
        pytest.param({"NS": []}, id="empty-number-set"),
        pytest.param({"BS": []}, id="empty-binary-set"),
        pytest.param({"SS": ["a", "a"]}, id="duplicate-strings"),
        pytest.param({"NS": ["1", "1"]}, id="duplicate-numbers"),
        pytest.param({"NS": ["1", "1.0"]}, id="numerically-equal-numbers"),
        pytest.param({"BS": [b"x", b"x"]}, id="duplicate-binaries"),
        pytest.param({"NS": ["1", "x"]}, id="invalid-number-in-set"),
    ],
)
def test_invalid_sets_are_refused(ddb, table, value):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "bad"}, "set": value})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({}, id="no-type"),
        pytest.param({"S": "a", "N": "1"}, id="two-types"),
    ],
)
def test_malformed_attribute_values_are_refused(ddb_raw, table, value):
    with pytest.raises(ClientError) as exc:
        ddb_raw.put_item(TableName=table, Item={"pk": {"S": "bad"}, "v": value})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_empty_attribute_name_is_refused(ddb, table):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "bad"}, "": {"S": "x"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def _nested(depth):
    value = {"S": "leaf"}
    for _ in range(depth):
        value = {"M": {"m": value}}
    return value


def test_nesting_depth(ddb, table):
    # Developer guide, quotas: nested attributes up to 32 levels deep.
    ddb.put_item(TableName=table, Item={"pk": {"S": "deep"}, "v": _nested(30)})
    assert _get(ddb, table, _key("deep"))["v"] == _nested(30)
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "deeper"}, "v": _nested(40)})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


# ---------------------------------------------------------------- keys


def test_put_and_get_on_composite_key(ddb, composite):
    ddb.put_item(TableName=composite, Item={"pk": {"S": "a"}, "sk": {"N": "1"}, "v": {"S": "one"}})
    ddb.put_item(TableName=composite, Item={"pk": {"S": "a"}, "sk": {"N": "2"}, "v": {"S": "two"}})
    assert _get(ddb, composite, {"pk": {"S": "a"}, "sk": {"N": "2"}})["v"] == {"S": "two"}
    assert _get(ddb, composite, {"pk": {"S": "a"}, "sk": {"N": "3"}}) is None


def test_put_replaces_the_whole_item(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "r"}, "a": {"S": "1"}, "b": {"S": "2"}})
    ddb.put_item(TableName=table, Item={"pk": {"S": "r"}, "c": {"S": "3"}})
    assert _get(ddb, table, _key("r")) == {"pk": {"S": "r"}, "c": {"S": "3"}}


def test_get_missing_item_has_no_item(ddb, table):
    response = ddb.get_item(TableName=table, Key=_key("nothing"))
    assert "Item" not in response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_empty_key_strings_and_binaries_are_refused(ddb, make_table, table):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": ""}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.get_item(TableName=table, Key={"pk": {"S": ""}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    binary = make_table("pk", "B")
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=binary, Item={"pk": {"B": b""}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize(
    "item",
    [
        pytest.param({"pk": {"N": "1"}}, id="number-for-string-key"),
        pytest.param({"pk": {"B": b"1"}}, id="binary-for-string-key"),
        pytest.param({"pk": {"SS": ["1"]}}, id="set-as-key"),
        pytest.param({"pk": {"L": [{"S": "1"}]}}, id="list-as-key"),
        pytest.param({"pk": {"NULL": True}}, id="null-as-key"),
        pytest.param({"pk": {"BOOL": True}}, id="bool-as-key"),
        pytest.param({"other": {"S": "1"}}, id="key-missing"),
    ],
)
def test_put_with_a_wrong_key_is_refused(ddb, table, item):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item=item)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert ddb.scan(TableName=table)["Count"] == 0


def test_put_without_the_range_key_is_refused(ddb, composite):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=composite, Item={"pk": {"S": "a"}, "v": {"S": "x"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


@pytest.mark.parametrize(
    "key",
    [
        pytest.param({"pk": {"S": "a"}}, id="range-missing"),
        pytest.param({"sk": {"N": "1"}}, id="hash-missing"),
        pytest.param({"pk": {"S": "a"}, "sk": {"N": "1"}, "extra": {"S": "x"}}, id="extra-attribute"),
        pytest.param({"pk": {"S": "a"}, "sk": {"S": "1"}}, id="wrong-range-type"),
        pytest.param({"pk": {"N": "1"}, "sk": {"N": "1"}}, id="wrong-hash-type"),
        pytest.param({"PK": {"S": "a"}, "sk": {"N": "1"}}, id="names-are-case-sensitive"),
    ],
)
def test_key_not_matching_schema(ddb, composite, key):
    for call in (
        lambda: ddb.get_item(TableName=composite, Key=key),
        lambda: ddb.delete_item(TableName=composite, Key=key),
        lambda: ddb.update_item(
            TableName=composite,
            Key=key,
            UpdateExpression="SET v = :v",
            ExpressionAttributeValues={":v": {"S": "x"}},
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert ddb.scan(TableName=composite)["Count"] == 0


def test_key_size_limits(ddb, make_table):
    # Developer guide, quotas: partition key values up to 2048 bytes, sort key values up to
    # 1024 bytes.
    table = make_table("pk", "S", "sk", "S")
    ddb.put_item(TableName=table, Item={"pk": {"S": "p" * 2048}, "sk": {"S": "s" * 1024}})
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "p" * 2049}, "sk": {"S": "s"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "p"}, "sk": {"S": "s" * 1025}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    # Sizes are UTF-8 bytes: 683 three-byte characters are 2049 bytes.
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "€" * 683}, "sk": {"S": "s"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_operations_on_a_missing_table(ddb):
    for call in (
        lambda: ddb.put_item(TableName="no-such-table", Item=_key("a")),
        lambda: ddb.get_item(TableName="no-such-table", Key=_key("a")),
        lambda: ddb.delete_item(TableName="no-such-table", Key=_key("a")),
        lambda: ddb.update_item(TableName="no-such-table", Key=_key("a")),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        code, message, status = error_of(exc)
        assert (code, status) == ("ResourceNotFoundException", 400)
        # Developer guide and the recorded TransactWriteItems answer both start so.
        assert message.startswith("Requested resource not found")


def test_table_arn_works_as_table_name(ddb, table):
    from .conftest import table_arn

    ddb.put_item(TableName=table_arn(table), Item={"pk": {"S": "arn"}})
    assert _get(ddb, table_arn(table), _key("arn")) == {"pk": {"S": "arn"}}


# ---------------------------------------------------------------- item size


def test_item_size_limit_is_400_kb(ddb, table):
    # Developer guide, quotas: an item is at most 400 KB, counting the UTF-8 bytes of the
    # attribute names and the values. Here: "pk"(2) + "k"(1) + "d"(1) + the string.
    ddb.put_item(TableName=table, Item={"pk": {"S": "k"}, "d": {"S": "x" * (409600 - 4)}})
    assert len(_get(ddb, table, _key("k"))["d"]["S"]) == 409596
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "k2"}, "d": {"S": "x" * (409600 - 4)}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb, table, _key("k2")) is None


def test_item_size_counts_names_and_binary(ddb, table):
    long_name = "n" * 1000
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "b"}, long_name: {"B": b"\x00" * (409600 - 1000 - 3)}},
    )
    with pytest.raises(ClientError) as exc:
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "b"}, long_name: {"B": b"\x00" * (409600 - 1000 - 2)}},
        )
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_update_that_grows_an_item_past_400_kb_is_refused(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "grow"}, "a": {"S": "x" * 300_000}})
    with pytest.raises(ClientError) as exc:
        ddb.update_item(
            TableName=table,
            Key=_key("grow"),
            UpdateExpression="SET b = :b",
            ExpressionAttributeValues={":b": {"S": "y" * 200_000}},
        )
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    # botocore model, TransactionCanceledException: listed ValidationError message.
    assert message.startswith("Item size to update has exceeded the maximum allowed size")
    assert "b" not in _get(ddb, table, _key("grow"))


# ---------------------------------------------------------------- conditions

COND_ITEM = {
    "pk": {"S": "cond"},
    "n": {"N": "5"},
    "s": {"S": "hello world"},
    "b": {"B": b"\x01\x02"},
    "ss": {"SS": ["a", "b"]},
    "ns": {"NS": ["1", "2", "3"]},
    "l": {"L": [{"N": "1"}, {"S": "two"}, {"M": {"three": {"N": "3"}}}]},
    "m": {"M": {"x": {"M": {"y": {"S": "z"}}}, "k": {"N": "1"}}},
    "nul": {"NULL": True},
    "t": {"BOOL": True},
    "blank": {"S": ""},
}

COND_VALUES = {
    ":zero": {"N": "0"},
    ":one": {"N": "1"},
    ":two": {"N": "2"},
    ":three": {"N": "3"},
    ":five": {"N": "5"},
    ":six": {"N": "6"},
    ":ten": {"N": "10"},
    ":eleven": {"N": "11"},
    ":str5": {"S": "5"},
    ":hello": {"S": "hello"},
    ":hel": {"S": "hel"},
    ":wor": {"S": "wor"},
    ":z": {"S": "z"},
    ":a": {"S": "a"},
    ":zz": {"S": "zz"},
    ":twos": {"S": "two"},
    ":b01": {"B": b"\x01"},
    ":true": {"BOOL": True},
    ":empty": {"S": ""},
    ":N": {"S": "N"},
    ":S": {"S": "S"},
    ":NULL": {"S": "NULL"},
    ":M": {"S": "M"},
    ":L": {"S": "L"},
    ":SS": {"S": "SS"},
    ":BOOL": {"S": "BOOL"},
    ":B": {"S": "B"},
}

CONDITIONS = [
    ("attribute_exists(pk)", True),
    ("attribute_not_exists(pk)", False),
    ("attribute_not_exists(nope)", True),
    ("attribute_exists(m.x.y)", True),
    ("attribute_exists(m.x.nope)", False),
    ("attribute_exists(l[2].three)", True),
    ("attribute_exists(l[3])", False),
    ("n = :five", True),
    ("n <> :five", False),
    ("n <> :six", True),
    ("n < :six", True),
    ("n <= :five", True),
    ("n > :five", False),
    ("n >= :six", False),
    ("n = :str5", False),  # different types are never equal
    ("n < :hello", False),  # and never ordered; not an error
    ("nope = :five", False),
    ("s > :hello", True),
    ("b = :b01", False),
    ("b > :b01", True),
    ("n BETWEEN :one AND :six", True),
    ("n BETWEEN :six AND :ten", False),
    ("n BETWEEN :five AND :five", True),
    ("n IN (:one, :five)", True),
    ("n IN (:one, :six)", False),
    ("s IN (:hello)", False),
    ("begins_with(s, :hel)", True),
    ("begins_with(s, :wor)", False),
    ("begins_with(b, :b01)", True),
    ("contains(s, :wor)", True),
    ("contains(ss, :a)", True),
    ("contains(ss, :zz)", False),
    ("contains(ns, :two)", True),
    ("contains(l, :twos)", True),
    ("contains(l, :one)", True),
    ("contains(l, :six)", False),
    ("size(s) = :eleven", True),
    ("size(ss) = :two", True),
    ("size(ns) = :three", True),
    ("size(l) = :three", True),
    ("size(m) = :two", True),
    ("size(b) = :two", True),
    ("size(blank) = :zero", True),
    ("size(s) > :ten", True),
    ("attribute_type(n, :N)", True),
    ("attribute_type(n, :S)", False),
    ("attribute_type(s, :S)", True),
    ("attribute_type(nul, :NULL)", True),
    ("attribute_type(m, :M)", True),
    ("attribute_type(l, :L)", True),
    ("attribute_type(ss, :SS)", True),
    ("attribute_type(t, :BOOL)", True),
    ("attribute_type(b, :B)", True),
    ("attribute_type(nope, :S)", False),
    ("m.x.y = :z", True),
    ("m.k = :one", True),
    ("l[0] = :one", True),
    ("l[1] = :twos", True),
    ("l[2].three = :three", True),
    ("t = :true", True),
    ("#t = :true", True),
    ("#m.#x.y = :z", True),
    ("blank = :empty", True),
    ("NOT n = :five", False),
    ("NOT (n = :one)", True),
    ("n = :five AND s = :hello", False),
    ("n = :five OR s = :hello", True),
    ("(n = :one OR n = :five) AND attribute_exists(m.k)", True),
    # Precedence: NOT, then AND, then OR (developer guide, condition expressions).
    ("n = :one OR n = :five AND s = :hello", False),
    ("n = :five OR n = :one AND s = :hello", True),
    ("NOT n = :one AND n = :five", True),
    ("not n = :one and n = :five", True),  # keywords are case-insensitive
]


def _used(expression, pool):
    return {k: v for k, v in pool.items() if re.search(re.escape(k) + r"(?![\w])", expression)}


@pytest.mark.parametrize(("expression", "holds"), CONDITIONS, ids=[c[0] for c in CONDITIONS])
def test_condition_expressions(ddb, table, expression, holds):
    ddb.put_item(TableName=table, Item=COND_ITEM)
    params = {"ConditionExpression": expression}
    values = _used(expression, COND_VALUES)
    if values:
        params["ExpressionAttributeValues"] = values
    names = {k: v for k, v in {"#t": "t", "#m": "m", "#x": "x"}.items() if k in expression}
    if names:
        params["ExpressionAttributeNames"] = names
    changed = dict(COND_ITEM, marker={"S": "written"})
    if holds:
        ddb.put_item(TableName=table, Item=changed, **params)
        assert _get(ddb, table, _key("cond"))["marker"] == {"S": "written"}
    else:
        with pytest.raises(ClientError) as exc:
            ddb.put_item(TableName=table, Item=changed, **params)
        assert error_of(exc) == CONDITION_FAILED
        assert "marker" not in _get(ddb, table, _key("cond"))


def test_attribute_not_exists_makes_puts_idempotent(ddb, table):
    item = {"pk": {"S": "once"}, "v": {"N": "1"}}
    ddb.put_item(TableName=table, Item=item, ConditionExpression="attribute_not_exists(pk)")
    with pytest.raises(ClientError) as exc:
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "once"}, "v": {"N": "2"}},
            ConditionExpression="attribute_not_exists(pk)",
        )
    assert error_of(exc) == CONDITION_FAILED
    assert "Item" not in exc.value.response  # not asked for
    assert _get(ddb, table, _key("once")) == item


@pytest.mark.parametrize("operation", ["put", "update", "delete"])
def test_condition_failure_returns_the_old_item_on_request(ddb, table, operation):
    old = {"pk": {"S": "456"}, "price": {"N": "650"}, "product": {"S": "sporting goods"}}
    ddb.put_item(TableName=table, Item=old)
    common = {
        "TableName": table,
        "ConditionExpression": "price < :limit",
        "ExpressionAttributeValues": {":limit": {"N": "500"}},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }
    with pytest.raises(ClientError) as exc:
        if operation == "put":
            ddb.put_item(Item={"pk": {"S": "456"}, "price": {"N": "1"}}, **common)
        elif operation == "update":
            common["ExpressionAttributeValues"][":p"] = {"N": "1"}
            ddb.update_item(Key=_key("456"), UpdateExpression="SET price = :p", **common)
        else:
            ddb.delete_item(Key=_key("456"), **common)
    # As recorded from AWS (test_return_values_on_conditions_check_failure).
    assert error_of(exc) == CONDITION_FAILED
    assert exc.value.response["Item"] == old
    assert _get(ddb, table, _key("456")) == old


def test_condition_failure_on_a_missing_item_returns_no_item(ddb, table):
    with pytest.raises(ClientError) as exc:
        ddb.update_item(
            TableName=table,
            Key=_key("ghost"),
            UpdateExpression="SET v = :v",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeValues={":v": {"S": "x"}},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    assert error_of(exc) == CONDITION_FAILED
    assert "Item" not in exc.value.response
    assert _get(ddb, table, _key("ghost")) is None


def test_condition_with_none_return_has_no_item(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}})
    with pytest.raises(ClientError) as exc:
        ddb.delete_item(
            TableName=table,
            Key=_key("x"),
            ConditionExpression="attribute_not_exists(pk)",
            ReturnValuesOnConditionCheckFailure="NONE",
        )
    assert error_of(exc) == CONDITION_FAILED
    assert "Item" not in exc.value.response


def test_conditional_delete(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "d"}, "v": {"N": "1"}})
    with pytest.raises(ClientError) as exc:
        ddb.delete_item(
            TableName=table,
            Key=_key("d"),
            ConditionExpression="v = :v",
            ExpressionAttributeValues={":v": {"N": "2"}},
        )
    assert error_of(exc) == CONDITION_FAILED
    ddb.delete_item(
        TableName=table,
        Key=_key("d"),
        ConditionExpression="v = :v",
        ExpressionAttributeValues={":v": {"N": "1"}},
    )
    assert _get(ddb, table, _key("d")) is None


# ---------------------------------------------------------------- ReturnValues


def test_put_return_values(ddb, table):
    first = {"pk": {"S": "id1"}, "data": {"S": "foobar"}}
    # As recorded from AWS (test_return_values_in_put_item): nothing for a new item, the old
    # item for an overwrite, nothing with NONE.
    response = ddb.put_item(TableName=table, Item=first, ReturnValues="ALL_OLD")
    assert "Attributes" not in response
    response = ddb.put_item(
        TableName=table, Item={"pk": {"S": "id1"}, "data": {"S": "other"}}, ReturnValues="ALL_OLD"
    )
    assert response["Attributes"] == first
    response = ddb.put_item(TableName=table, Item=first, ReturnValues="NONE")
    assert "Attributes" not in response
    assert "Attributes" not in ddb.put_item(TableName=table, Item=first)


@pytest.mark.parametrize("value", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "SOMETHING"])
def test_put_refuses_other_return_values(ddb_raw, table, value):
    # API reference, PutItem: "PutItem does not recognize any values other than NONE or ALL_OLD."
    with pytest.raises(ClientError) as exc:
        ddb_raw.put_item(TableName=table, Item={"pk": {"S": "rv"}}, ReturnValues=value)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb_raw, table, _key("rv")) is None


@pytest.mark.parametrize("value", ["ALL_NEW", "UPDATED_OLD", "UPDATED_NEW", "SOMETHING"])
def test_delete_refuses_other_return_values(ddb_raw, table, value):
    # API reference, DeleteItem: "DeleteItem does not recognize any values other than NONE or
    # ALL_OLD."
    ddb_raw.put_item(TableName=table, Item={"pk": {"S": "rv"}})
    with pytest.raises(ClientError) as exc:
        ddb_raw.delete_item(TableName=table, Key=_key("rv"), ReturnValues=value)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb_raw, table, _key("rv")) is not None


def test_update_refuses_unknown_return_values(ddb_raw, table):
    with pytest.raises(ClientError) as exc:
        ddb_raw.update_item(TableName=table, Key=_key("rv"), ReturnValues="EVERYTHING")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_delete_return_values(ddb, table):
    item = {"pk": {"S": "del"}, "v": {"S": "x"}}
    ddb.put_item(TableName=table, Item=item)
    assert ddb.delete_item(TableName=table, Key=_key("del"), ReturnValues="ALL_OLD")["Attributes"] == item
    response = ddb.delete_item(TableName=table, Key=_key("del"), ReturnValues="ALL_OLD")
    assert "Attributes" not in response  # deleting a missing item is not an error
    ddb.put_item(TableName=table, Item=item)
    assert "Attributes" not in ddb.delete_item(TableName=table, Key=_key("del"), ReturnValues="NONE")


BEFORE = {"pk": {"S": "u"}, "a": {"N": "1"}, "b": {"N": "2"}, "c": {"N": "3"}}
UPDATE = {
    "UpdateExpression": "SET a = :ten, d = :four REMOVE c",
    "ExpressionAttributeValues": {":ten": {"N": "10"}, ":four": {"N": "4"}},
}


@pytest.mark.parametrize(
    ("return_values", "expected"),
    [
        ("NONE", None),
        ("ALL_OLD", BEFORE),
        ("UPDATED_OLD", {"a": {"N": "1"}, "c": {"N": "3"}}),
        ("ALL_NEW", {"pk": {"S": "u"}, "a": {"N": "10"}, "b": {"N": "2"}, "d": {"N": "4"}}),
        ("UPDATED_NEW", {"a": {"N": "10"}, "d": {"N": "4"}}),
    ],
)
def test_update_return_values(ddb, table, return_values, expected):
    ddb.put_item(TableName=table, Item=BEFORE)
    response = ddb.update_item(TableName=table, Key=_key("u"), ReturnValues=return_values, **UPDATE)
    assert response.get("Attributes") == expected


@pytest.mark.parametrize(
    ("return_values", "expected"),
    [
        ("ALL_OLD", None),
        ("UPDATED_OLD", None),
        ("ALL_NEW", {"pk": {"S": "new"}, "a": {"N": "10"}, "d": {"N": "4"}}),
        ("UPDATED_NEW", {"a": {"N": "10"}, "d": {"N": "4"}}),
    ],
)
def test_update_return_values_when_the_item_is_created(ddb, table, return_values, expected):
    response = ddb.update_item(TableName=table, Key=_key("new"), ReturnValues=return_values, **UPDATE)
    assert response.get("Attributes") == expected


def test_updated_new_returns_only_the_updated_nested_paths(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={
            "pk": {"S": "n"},
            "m": {"M": {"x": {"N": "1"}, "y": {"N": "2"}}},
            "l": {"L": [{"N": "1"}, {"N": "2"}]},
        },
    )
    response = ddb.update_item(
        TableName=table,
        Key=_key("n"),
        UpdateExpression="SET m.x = :v, l[1] = :v",
        ExpressionAttributeValues={":v": {"N": "9"}},
        ReturnValues="UPDATED_NEW",
    )
    assert response["Attributes"] == {"m": {"M": {"x": {"N": "9"}}}, "l": {"L": [{"N": "9"}]}}
    response = ddb.update_item(
        TableName=table,
        Key=_key("n"),
        UpdateExpression="SET m.y = :v",
        ExpressionAttributeValues={":v": {"N": "7"}},
        ReturnValues="UPDATED_OLD",
    )
    assert response["Attributes"] == {"m": {"M": {"y": {"N": "2"}}}}


# ---------------------------------------------------------------- UpdateExpression


def _update(ddb, table, key, expression, values=None, names=None, **kwargs):
    params = {"TableName": table, "Key": key, "UpdateExpression": expression, "ReturnValues": "ALL_NEW"}
    if values:
        params["ExpressionAttributeValues"] = values
    if names:
        params["ExpressionAttributeNames"] = names
    params.update(kwargs)
    return ddb.update_item(**params).get("Attributes")


def test_update_creates_the_item(ddb, table):
    assert _update(ddb, table, _key("fresh"), "SET v = :v", {":v": {"S": "x"}}) == {
        "pk": {"S": "fresh"},
        "v": {"S": "x"},
    }


def test_update_without_expression_creates_a_key_only_item(ddb, table):
    ddb.update_item(TableName=table, Key=_key("bare"))
    assert _get(ddb, table, _key("bare")) == {"pk": {"S": "bare"}}


def test_update_set_and_remove_nested(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={
            "pk": {"S": "n"},
            "m": {"M": {"a": {"M": {"b": {"S": "old"}}}, "gone": {"S": "x"}}},
            "l": {"L": [{"S": "l0"}, {"S": "l1"}, {"S": "l2"}]},
            "drop": {"S": "x"},
        },
    )
    got = _update(
        ddb,
        table,
        _key("n"),
        "SET m.a.b = :new, m.a.c = :c, l[1] = :l1, #weird = :w REMOVE m.gone, #drop",
        {":new": {"S": "new"}, ":c": {"N": "3"}, ":l1": {"S": "L1"}, ":w": {"S": "w"}},
        {"#weird": "a.b", "#drop": "drop"},
    )
    assert got == {
        "pk": {"S": "n"},
        "m": {"M": {"a": {"M": {"b": {"S": "new"}, "c": {"N": "3"}}}}},
        "l": {"L": [{"S": "l0"}, {"S": "L1"}, {"S": "l2"}]},
        "a.b": {"S": "w"},  # a name with a dot, through an expression attribute name
    }


def test_update_remove_list_elements(ddb, table):
    items = [{"S": f"l{i}"} for i in range(5)]
    ddb.put_item(TableName=table, Item={"pk": {"S": "rl"}, "l": {"L": items}})
    # Developer guide, update expressions: REMOVE l[1], l[2] removes both elements as
    # numbered before the update; the rest shift down.
    got = _update(ddb, table, _key("rl"), "REMOVE l[1], l[3]")
    assert got["l"] == {"L": [items[0], items[2], items[4]]}
    got = _update(ddb, table, _key("rl"), "REMOVE l[0]")
    assert got["l"] == {"L": [items[2], items[4]]}
    got = _update(ddb, table, _key("rl"), "REMOVE l[9]")  # past the end: nothing to remove
    assert got["l"] == {"L": [items[2], items[4]]}


def test_update_set_past_the_end_of_a_list_appends(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "l"}, "l": {"L": [{"N": "0"}]}})
    got = _update(ddb, table, _key("l"), "SET l[10] = :v", {":v": {"N": "1"}})
    assert got["l"] == {"L": [{"N": "0"}, {"N": "1"}]}


def test_update_list_append_and_if_not_exists(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "la"}, "l": {"L": [{"N": "2"}]}})
    got = _update(
        ddb,
        table,
        _key("la"),
        "SET l = list_append(:front, l), l2 = list_append(if_not_exists(l2, :empty), :back), "
        "c = if_not_exists(c, :zero) + :one, keep = if_not_exists(pk, :other)",
        {
            ":front": {"L": [{"N": "1"}]},
            ":back": {"L": [{"N": "9"}]},
            ":empty": {"L": []},
            ":zero": {"N": "0"},
            ":one": {"N": "1"},
            ":other": {"S": "other"},
        },
    )
    assert got["l"] == {"L": [{"N": "1"}, {"N": "2"}]}
    assert got["l2"] == {"L": [{"N": "9"}]}
    assert got["c"] == {"N": "1"}
    assert got["keep"] == {"S": "la"}
    got = _update(
        ddb,
        table,
        _key("la"),
        "SET l = list_append(l, :back), c = if_not_exists(c, :zero) + :one",
        {":back": {"L": [{"N": "3"}]}, ":zero": {"N": "0"}, ":one": {"N": "1"}},
    )
    assert got["l"] == {"L": [{"N": "1"}, {"N": "2"}, {"N": "3"}]}
    assert got["c"] == {"N": "2"}


def test_update_arithmetic(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "a"}, "n": {"N": "10"}, "f": {"N": "0.1"}})
    got = _update(
        ddb,
        table,
        _key("a"),
        "SET n = n - :three, f = f + :f, g = :three + :three, h = n + n",
        {":three": {"N": "3"}, ":f": {"N": "0.2"}},
    )
    assert got["n"] == {"N": "7"}
    assert got["f"] == {"N": "0.3"}  # decimal arithmetic, not binary floating point
    assert got["g"] == {"N": "6"}
    assert got["h"] == {"N": "20"}  # operands read the item as it was before the update


def test_update_arithmetic_keeps_38_digits(ddb, table):
    ddb.put_item(
        TableName=table, Item={"pk": {"S": "p"}, "n": {"N": "9999999999999999999999999999999999999"}}
    )
    got = _update(ddb, table, _key("p"), "SET n = n + :one", {":one": {"N": "1"}})
    assert got["n"] == {"N": "10000000000000000000000000000000000000"}


def test_update_add_and_delete(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "ad"}, "n": {"N": "5"}, "ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2"]}},
    )
    got = _update(
        ddb,
        table,
        _key("ad"),
        "ADD n :two, fresh :two, ss :cd, newset :xs DELETE ns :one",
        {
            ":two": {"N": "2"},
            ":cd": {"SS": ["c", "d", "a"]},
            ":xs": {"BS": [b"x"]},
            ":one": {"NS": ["1", "7"]},
        },
    )
    assert got["n"] == {"N": "7"}
    assert got["fresh"] == {"N": "2"}  # ADD on a missing number starts from 0
    assert sorted(got["ss"]["SS"]) == ["a", "b", "c", "d"]
    assert got["newset"] == {"BS": [b"x"]}
    assert got["ns"] == {"NS": ["2"]}
    got = _update(ddb, table, _key("ad"), "DELETE ns :two", {":two": {"NS": ["2"]}})
    assert "ns" not in got  # a set emptied by DELETE disappears


def test_update_add_negative_number(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "neg"}, "n": {"N": "5"}})
    assert _update(ddb, table, _key("neg"), "ADD n :m", {":m": {"N": "-7.5"}})["n"] == {"N": "-2.5"}


def test_update_remove_missing_attribute_is_fine(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "rm"}, "m": {"M": {}}})
    assert _update(ddb, table, _key("rm"), "REMOVE nope, m.nope") == {"pk": {"S": "rm"}, "m": {"M": {}}}


def test_update_clauses_in_any_order_and_case(ddb, table):
    got = _update(
        ddb,
        table,
        _key("ord"),
        "remove x add n :one set s = :s",
        {":one": {"N": "1"}, ":s": {"S": "s"}},
    )
    assert got == {"pk": {"S": "ord"}, "n": {"N": "1"}, "s": {"S": "s"}}


def test_update_of_a_key_attribute_is_refused(ddb, composite):
    key = {"pk": {"S": "k"}, "sk": {"N": "1"}}
    ddb.put_item(TableName=composite, Item=key)
    for expression, values in (
        ("SET pk = :v", {":v": {"S": "other"}}),
        ("SET sk = :v", {":v": {"N": "2"}}),
        ("REMOVE sk", None),
        ("ADD sk :v", {":v": {"N": "1"}}),
    ):
        with pytest.raises(ClientError) as exc:
            _update(ddb, composite, key, expression, values)
        assert code_of(exc) == ("ValidationException", 400), expression  # message unverified
    assert _get(ddb, composite, key) == key


@pytest.mark.parametrize(
    ("expression", "values", "message"),
    [
        # Messages: botocore model, TransactionCanceledException, "Validation Error" messages.
        (
            "SET m.a.b = :v",
            {":v": {"S": "x"}},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET s.x = :v",
            {":v": {"S": "x"}},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET l[0] = :v",
            {":v": {"S": "x"}},
            "The document path provided in the update expression is invalid for update",
        ),
        (
            "SET n = nothere + :v",
            {":v": {"N": "1"}},
            "The provided expression refers to an attribute that does not exist in the item",
        ),
        (
            "SET n = s + :v",
            {":v": {"N": "1"}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET l = list_append(s, :v)",
            {":v": {"L": []}},
            "An operand in the update expression has an incorrect data type",
        ),
        (
            "SET n = n + :big",
            {":big": {"N": "9.9999999999999999999999999999999999999E+125"}},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
    ],
)
def test_update_errors_on_the_item(ddb, table, expression, values, message):
    item = {
        "pk": {"S": "e"},
        "s": {"S": "str"},
        "n": {"N": "9.9999999999999999999999999999999999999E+125"},
        "ss": {"SS": ["a"]},
        "m": {"M": {}},
    }
    ddb.put_item(TableName=table, Item=item)
    before = _get(ddb, table, _key("e"))
    with pytest.raises(ClientError) as exc:
        _update(ddb, table, _key("e"), expression, values)
    code, got, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert got.startswith(message)
    assert _get(ddb, table, _key("e")) == before


ITEM_FOR_TYPE_ERRORS = {
    "pk": {"S": "te"},
    "s": {"S": "str"},
    "n": {"N": "1"},
    "ss": {"SS": ["a"]},
    "m": {"M": {}},
}


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        pytest.param("ADD s :v", {":v": {"N": "1"}}, id="add-number-to-string"),
        pytest.param("ADD m :v", {":v": {"SS": ["x"]}}, id="add-set-to-map"),
        pytest.param("ADD n :v", {":v": {"SS": ["x"]}}, id="add-set-to-number"),
        pytest.param("ADD ss :v", {":v": {"NS": ["1"]}}, id="add-number-set-to-string-set"),
        pytest.param("ADD ss :v", {":v": {"N": "1"}}, id="add-number-to-string-set"),
        pytest.param("DELETE s :v", {":v": {"SS": ["x"]}}, id="delete-from-string"),
        pytest.param("DELETE ss :v", {":v": {"NS": ["1"]}}, id="delete-number-set-from-string-set"),
        pytest.param("SET x = list_append(m, :v)", {":v": {"L": []}}, id="list-append-to-map"),
        pytest.param("SET x = n - s", None, id="subtract-string"),
        pytest.param("SET ss[0] = :v", {":v": {"S": "x"}}, id="index-into-a-set"),
        pytest.param("SET n.x = :v", {":v": {"S": "x"}}, id="member-of-a-number"),
    ],
)
def test_update_type_errors_leave_the_item_alone(ddb, table, expression, values):
    ddb.put_item(TableName=table, Item=ITEM_FOR_TYPE_ERRORS)
    with pytest.raises(ClientError) as exc:
        _update(ddb, table, _key("te"), expression, values)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb, table, _key("te")) == ITEM_FOR_TYPE_ERRORS


@pytest.mark.parametrize(
    ("expression", "values"),
    [
        pytest.param("SET a = :v REMOVE a", {":v": {"N": "1"}}, id="overlapping-paths"),
        pytest.param("SET m.a = :v, m = :v", {":v": {"N": "1"}}, id="parent-and-child-paths"),
        pytest.param("SET a = :v SET b = :v", {":v": {"N": "1"}}, id="clause-twice"),
        pytest.param("SET a = :v, a = :v", {":v": {"N": "1"}}, id="same-path-twice"),
        pytest.param("SET a :v", {":v": {"N": "1"}}, id="missing-equals"),
        pytest.param("SET", None, id="empty-set"),
        pytest.param("SET a = ", None, id="missing-operand"),
        pytest.param("UPSERT a = :v", {":v": {"N": "1"}}, id="unknown-clause"),
        pytest.param("ADD a.b :v", {":v": {"N": "1"}}, id="add-under-a-missing-parent"),
        pytest.param("ADD a = :v", {":v": {"N": "1"}}, id="add-with-equals"),
        pytest.param("REMOVE a = :v", {":v": {"N": "1"}}, id="remove-with-value"),
        pytest.param("SET a = size(b)", None, id="size-in-update"),
        pytest.param("SET a = foo(b)", None, id="unknown-function"),
        pytest.param("SET a = :v + :v + :v", {":v": {"N": "1"}}, id="chained-arithmetic"),
        pytest.param("SET a = list_append(:v)", {":v": {"L": []}}, id="list-append-arity"),
        pytest.param("SET a = if_not_exists(:v, :v)", {":v": {"N": "1"}}, id="if-not-exists-on-value"),
        pytest.param("SET a[x] = :v", {":v": {"N": "1"}}, id="non-numeric-index"),
        pytest.param("SET a = :v", {":v": {"N": "1"}, ":unused": {"N": "2"}}, id="unused-value"),
        pytest.param("SET a = :undefined", {":v": {"N": "1"}}, id="undefined-value"),
        pytest.param("SET #undefined = :v", {":v": {"N": "1"}}, id="undefined-name"),
        pytest.param("SET comment = :v", {":v": {"N": "1"}}, id="reserved-word"),
        pytest.param("SET :v = a", {":v": {"N": "1"}}, id="value-as-path"),
        pytest.param("ADD a :v", {":v": {"L": [{"N": "1"}]}}, id="add-list"),
        pytest.param("DELETE a :v", {":v": {"N": "1"}}, id="delete-number"),
    ],
)
def test_update_expression_errors(ddb, table, expression, values):
    with pytest.raises(ClientError) as exc:
        _update(ddb, table, _key("bad"), expression, values)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb, table, _key("bad")) is None


# ---------------------------------------------------------------- expression errors


def test_syntax_errors_are_validation_errors(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "n": {"N": "1"}})
    for params in (
        {"ConditionExpression": "n = = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
        {"ConditionExpression": "attribute_exists(", "ExpressionAttributeValues": None},
        {"ConditionExpression": "n = :v AND", "ExpressionAttributeValues": {":v": {"N": "1"}}},
        {"ConditionExpression": "n BETWEEN :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
        {"ConditionExpression": "(n = :v", "ExpressionAttributeValues": {":v": {"N": "1"}}},
        {"ConditionExpression": "n IN ()", "ExpressionAttributeValues": None},
        {"ConditionExpression": "n", "ExpressionAttributeValues": None},
        {"ConditionExpression": "", "ExpressionAttributeValues": None},
    ):
        params = {k: v for k, v in params.items() if v is not None}
        with pytest.raises(ClientError) as exc:
            ddb.put_item(TableName=table, Item={"pk": {"S": "x"}, "changed": {"BOOL": True}}, **params)
        assert code_of(exc) == ("ValidationException", 400), params  # message unverified
    assert "changed" not in _get(ddb, table, _key("x"))


@pytest.mark.parametrize(
    ("expression", "values", "names"),
    [
        pytest.param("n = :v", {":v": {"N": "1"}, ":w": {"N": "2"}}, None, id="unused-value"),
        pytest.param("n = :w", {":v": {"N": "1"}}, None, id="undefined-value"),
        pytest.param("#n = :v", {":v": {"N": "1"}}, None, id="undefined-name"),
        pytest.param("n = :v", {":v": {"N": "1"}}, {"#unused": "n"}, id="unused-name"),
        pytest.param("Comment = :v", {":v": {"N": "1"}}, None, id="reserved-word-comment"),
        pytest.param("size = :v", {":v": {"N": "1"}}, None, id="reserved-word-size"),
        pytest.param("status = :v", {":v": {"N": "1"}}, None, id="reserved-word-status"),
        pytest.param("foo(n)", None, None, id="unknown-function"),
        pytest.param("size(n)", None, None, id="size-alone-is-not-a-condition"),
        pytest.param("attribute_exists(:v)", {":v": {"N": "1"}}, None, id="function-on-a-value"),
        pytest.param("begins_with(n)", None, None, id="wrong-arity"),
        pytest.param(
            "if_not_exists(n, :v) = :v", {":v": {"N": "1"}}, None, id="update-function-in-condition"
        ),
        pytest.param("attribute_type(n, :v)", {":v": {"S": "NOPE"}}, None, id="unknown-type-name"),
        pytest.param("n = :v", {":v": {"N": "x"}}, None, id="invalid-number-value"),
        pytest.param("n = :v", {":v": {"SS": []}}, None, id="empty-set-value"),
        pytest.param("n = n", None, None, id="both-sides-the-same-path"),
        pytest.param("n = :v", {}, None, id="empty-values-map"),
        pytest.param("n = :v", {":v": {"N": "1"}}, {}, id="empty-names-map"),
        pytest.param("n = :v", {"v": {"N": "1"}}, None, id="value-name-without-colon"),
        pytest.param(
            "n BETWEEN :six AND :one",
            {":six": {"N": "6"}, ":one": {"N": "1"}},
            None,
            id="between-bounds-reversed",
        ),
    ],
)
def test_condition_expression_errors(ddb_raw, table, expression, values, names):
    ddb_raw.put_item(TableName=table, Item={"pk": {"S": "x"}, "n": {"N": "1"}})
    params = {"ConditionExpression": expression}
    if values is not None:
        params["ExpressionAttributeValues"] = values
    if names is not None:
        params["ExpressionAttributeNames"] = names
    with pytest.raises(ClientError) as exc:
        ddb_raw.put_item(TableName=table, Item={"pk": {"S": "x"}, "changed": {"BOOL": True}}, **params)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert "changed" not in _get(ddb_raw, table, _key("x"))


def test_reserved_words_work_through_names(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "r"}, "Comment": {"S": "c"}, "status": {"S": "ok"}, "size": {"N": "1"}},
    )
    got = ddb.get_item(
        TableName=table,
        Key=_key("r"),
        ProjectionExpression="#c, #s",
        ExpressionAttributeNames={"#c": "Comment", "#s": "status"},
    )["Item"]
    assert got == {"Comment": {"S": "c"}, "status": {"S": "ok"}}
    with pytest.raises(ClientError) as exc:
        ddb.get_item(TableName=table, Key=_key("r"), ProjectionExpression="Comment")
    # Developer guide, expression attribute names: this projection fails (COMMENT is reserved).
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_names_and_values_without_an_expression_are_refused(ddb, table):
    with pytest.raises(ClientError) as exc:
        ddb.get_item(TableName=table, Key=_key("x"), ExpressionAttributeNames={"#a": "a"})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "x"}}, ExpressionAttributeValues={":a": {"S": "a"}})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    with pytest.raises(ClientError) as exc:
        ddb.delete_item(TableName=table, Key=_key("x"), ExpressionAttributeNames={"#a": "a"})
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_names_and_values_are_shared_by_all_expressions_of_a_request(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "sh"}, "n": {"N": "1"}})
    got = ddb.update_item(
        TableName=table,
        Key=_key("sh"),
        UpdateExpression="SET #n = #n + :one",
        ConditionExpression="#n = :one",
        ExpressionAttributeNames={"#n": "n"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert got["n"] == {"N": "2"}


# ---------------------------------------------------------------- legacy parameters


def test_legacy_expected(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "lg"}, "n": {"N": "5"}})
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "lg"}, "n": {"N": "6"}},
        Expected={"n": {"Value": {"N": "5"}}},
    )
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "lg"}, "n": {"N": "7"}},
        Expected={
            "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "1"}]},
            "nope": {"Exists": False},
        },
        ConditionalOperator="AND",
    )
    with pytest.raises(ClientError) as exc:
        ddb.put_item(
            TableName=table,
            Item={"pk": {"S": "lg"}, "n": {"N": "8"}},
            Expected={"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]}},
        )
    assert error_of(exc) == CONDITION_FAILED
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "lg"}, "n": {"N": "9"}},
        Expected={
            "n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "0"}]},
            "pk": {"ComparisonOperator": "NOT_NULL"},
        },
        ConditionalOperator="OR",
    )
    assert _get(ddb, table, _key("lg"))["n"] == {"N": "9"}
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "lg"}}, Expected={"pk": {"Exists": False}})
    assert error_of(exc) == CONDITION_FAILED


@pytest.mark.parametrize(
    "expected",
    [
        # API reference, ExpectedAttributeValue: Exists true without a Value is a
        # ValidationException.
        pytest.param({"n": {"Exists": True}}, id="exists-without-value"),
        pytest.param({"n": {"Exists": False, "Value": {"N": "1"}}}, id="not-exists-with-value"),
        pytest.param({"n": {"ComparisonOperator": "EQ"}}, id="operator-without-values"),
        pytest.param(
            {"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}]}},
            id="between-with-one-value",
        ),
        pytest.param(
            {"n": {"ComparisonOperator": "NULL", "AttributeValueList": [{"N": "1"}]}},
            id="null-with-a-value",
        ),
        pytest.param(
            {"n": {"Value": {"N": "1"}, "ComparisonOperator": "EQ", "AttributeValueList": [{"N": "1"}]}},
            id="value-and-value-list",
        ),
    ],
)
def test_legacy_expected_errors(ddb, table, expected):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "lge"}}, Expected=expected)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb, table, _key("lge")) is None


def test_conditional_operator_without_expected_is_refused(ddb, table):
    with pytest.raises(ClientError) as exc:
        ddb.put_item(TableName=table, Item={"pk": {"S": "co"}}, ConditionalOperator="AND")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


def test_legacy_attribute_updates(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={"pk": {"S": "au"}, "n": {"N": "1"}, "gone": {"S": "x"}, "ss": {"SS": ["a", "b"]}},
    )
    got = ddb.update_item(
        TableName=table,
        Key=_key("au"),
        AttributeUpdates={
            "s": {"Action": "PUT", "Value": {"S": "new"}},
            "n": {"Action": "ADD", "Value": {"N": "2"}},
            "gone": {"Action": "DELETE"},
            "ss": {"Action": "DELETE", "Value": {"SS": ["a"]}},
            "plain": {"Value": {"S": "put-is-the-default"}},
        },
        ReturnValues="ALL_NEW",
    )["Attributes"]
    assert got == {
        "pk": {"S": "au"},
        "s": {"S": "new"},
        "n": {"N": "3"},
        "ss": {"SS": ["b"]},
        "plain": {"S": "put-is-the-default"},
    }


def test_legacy_attributes_to_get(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "atg"}, "a": {"S": "1"}, "b": {"S": "2"}})
    got = ddb.get_item(TableName=table, Key=_key("atg"), AttributesToGet=["a", "missing"])["Item"]
    assert got == {"a": {"S": "1"}}


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (
            "get_item",
            {"AttributesToGet": ["a"], "ProjectionExpression": "a"},
        ),
        (
            "put_item",
            {
                "Item": {"pk": {"S": "mix"}},
                "Expected": {"a": {"Exists": False}},
                "ConditionExpression": "attribute_not_exists(a)",
            },
        ),
        (
            "update_item",
            {
                "AttributeUpdates": {"a": {"Value": {"S": "1"}}},
                "UpdateExpression": "SET b = :b",
                "ExpressionAttributeValues": {":b": {"S": "1"}},
            },
        ),
        (
            "update_item",
            {
                "Expected": {"a": {"Exists": False}},
                "UpdateExpression": "SET b = :b",
                "ExpressionAttributeValues": {":b": {"S": "1"}},
            },
        ),
        (
            "delete_item",
            {"Expected": {"a": {"Exists": False}}, "ConditionExpression": "attribute_not_exists(a)"},
        ),
        (
            "update_item",
            {
                "AttributeUpdates": {"a": {"Value": {"S": "1"}}},
                "ConditionExpression": "attribute_not_exists(a)",
            },
        ),
    ],
)
def test_mixing_legacy_and_expression_parameters_is_refused(ddb, table, operation, params):
    if operation != "put_item":
        params = dict(params, Key=_key("mix"))
    with pytest.raises(ClientError) as exc:
        getattr(ddb, operation)(TableName=table, **params)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
    assert _get(ddb, table, _key("mix")) is None


# ---------------------------------------------------------------- reads


def test_consistent_read(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "c"}, "v": {"N": "1"}})
    ddb.update_item(
        TableName=table,
        Key=_key("c"),
        UpdateExpression="SET v = :v",
        ExpressionAttributeValues={":v": {"N": "2"}},
    )
    assert _get(ddb, table, _key("c"), ConsistentRead=True)["v"] == {"N": "2"}
    assert _get(ddb, table, _key("c"), ConsistentRead=False)["v"] == {"N": "2"}


def test_projection_expression_with_nested_paths(ddb, table):
    ddb.put_item(
        TableName=table,
        Item={
            "pk": {"S": "p"},
            "a": {"S": "a"},
            "b": {"S": "b"},
            "m": {"M": {"x": {"M": {"y": {"S": "y"}, "z": {"S": "z"}}}, "w": {"S": "w"}}},
            "l": {"L": [{"S": "l0"}, {"M": {"k": {"S": "v"}, "j": {"S": "i"}}}, {"S": "l2"}]},
            "odd.name": {"S": "dot"},
        },
    )
    got = ddb.get_item(
        TableName=table,
        Key=_key("p"),
        ProjectionExpression="a, m.x.y, l[1].k, l[2], #odd, nothere, m.nothere, l[7]",
        ExpressionAttributeNames={"#odd": "odd.name"},
    )["Item"]
    assert got == {
        "a": {"S": "a"},
        "m": {"M": {"x": {"M": {"y": {"S": "y"}}}}},
        "l": {"L": [{"M": {"k": {"S": "v"}}}, {"S": "l2"}]},
        "odd.name": {"S": "dot"},
    }


def test_projection_of_only_missing_attributes_returns_an_empty_item(ddb, table):
    ddb.put_item(TableName=table, Item={"pk": {"S": "p"}})
    assert ddb.get_item(TableName=table, Key=_key("p"), ProjectionExpression="nope")["Item"] == {}


@pytest.mark.parametrize(
    "projection",
    [
        pytest.param("m, m.x", id="overlapping-paths"),
        pytest.param("a, a", id="same-path-twice"),
        pytest.param("a,", id="trailing-comma"),
        pytest.param("a b", id="missing-comma"),
        pytest.param("l[-1]", id="negative-index"),
        pytest.param("size(a)", id="function"),
        pytest.param("#undefined", id="undefined-name"),
    ],
)
def test_projection_expression_errors(ddb, table, projection):
    with pytest.raises(ClientError) as exc:
        ddb.get_item(TableName=table, Key=_key("p"), ProjectionExpression=projection)
    assert code_of(exc) == ("ValidationException", 400)  # message unverified


# ---------------------------------------------------------------- consumed capacity
# Developer guide, read/write capacity units: one write unit per 1 KB written (rounded up), one
# read unit per 4 KB read strongly consistently, half of that eventually consistently; a write
# that replaces an item is charged for the larger of the old and new item.


def _sized(key, total):
    """An item of exactly ``total`` bytes: "pk"(2) + key + "d"(1) + the padding."""
    return {"pk": {"S": key}, "d": {"S": "x" * (total - 3 - len(key))}}


def test_write_capacity(ddb, table):
    cc = ddb.put_item(TableName=table, Item=_sized("a", 100), ReturnConsumedCapacity="TOTAL")[
        "ConsumedCapacity"
    ]
    assert cc["TableName"] == table
    assert cc["CapacityUnits"] == 1.0
    cc = ddb.put_item(TableName=table, Item=_sized("b", 1024), ReturnConsumedCapacity="TOTAL")[
        "ConsumedCapacity"
    ]
    assert cc["CapacityUnits"] == 1.0
    cc = ddb.put_item(TableName=table, Item=_sized("c", 1025), ReturnConsumedCapacity="TOTAL")[
        "ConsumedCapacity"
    ]
    assert cc["CapacityUnits"] == 2.0
    cc = ddb.put_item(TableName=table, Item=_sized("d", 5000), ReturnConsumedCapacity="TOTAL")[
        "ConsumedCapacity"
    ]
    assert cc["CapacityUnits"] == 5.0
    # Overwriting the 5000-byte item with a small one is charged for the larger, old one.
    cc = ddb.put_item(TableName=table, Item=_sized("d", 10), ReturnConsumedCapacity="TOTAL")[
        "ConsumedCapacity"
    ]
    assert cc["CapacityUnits"] == 5.0
    cc = ddb.delete_item(TableName=table, Key=_key("c"), ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 2.0
    cc = ddb.update_item(
        TableName=table,
        Key=_key("b"),
        UpdateExpression="SET e = :e",
        ExpressionAttributeValues={":e": {"S": "y" * 1000}},
        ReturnConsumedCapacity="TOTAL",
    )["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 2.0  # 1024 + 1 + 1000 = 2025 bytes after the update


def test_read_capacity(ddb, table):
    ddb.put_item(TableName=table, Item=_sized("small", 1500))
    ddb.put_item(TableName=table, Item=_sized("large", 5000))
    cases = [("small", False, 0.5), ("small", True, 1.0), ("large", False, 1.0), ("large", True, 2.0)]
    for key, consistent, units in cases:
        cc = ddb.get_item(
            TableName=table, Key=_key(key), ConsistentRead=consistent, ReturnConsumedCapacity="TOTAL"
        )["ConsumedCapacity"]
        assert (key, consistent, cc["CapacityUnits"]) == (key, consistent, units)
    # A read of a missing item still costs the minimum.
    cc = ddb.get_item(TableName=table, Key=_key("none"), ReturnConsumedCapacity="TOTAL")["ConsumedCapacity"]
    assert cc["CapacityUnits"] == 0.5


def test_capacity_detail_levels(ddb, table):
    response = ddb.put_item(TableName=table, Item=_sized("a", 10), ReturnConsumedCapacity="NONE")
    assert "ConsumedCapacity" not in response
    assert "ConsumedCapacity" not in ddb.put_item(TableName=table, Item=_sized("a", 10))
    cc = ddb.put_item(TableName=table, Item=_sized("a", 10), ReturnConsumedCapacity="INDEXES")[
        "ConsumedCapacity"
    ]
    assert cc["TableName"] == table
    assert cc["CapacityUnits"] == 1.0
    assert cc["Table"]["CapacityUnits"] == 1.0
    cc = ddb.get_item(TableName=table, Key=_key("a"), ReturnConsumedCapacity="INDEXES", ConsistentRead=True)[
        "ConsumedCapacity"
    ]
    assert cc["CapacityUnits"] == 1.0
    assert cc["Table"]["CapacityUnits"] == 1.0


def test_unknown_consumed_capacity_level_is_refused(ddb_raw, table):
    with pytest.raises(ClientError) as exc:
        ddb_raw.put_item(TableName=table, Item=_sized("a", 10), ReturnConsumedCapacity="ALL")
    assert code_of(exc) == ("ValidationException", 400)  # message unverified
