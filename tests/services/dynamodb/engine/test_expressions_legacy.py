"""Legacy parameters: Expected, filters, AttributesToGet, KeyConditions, AttributeUpdates, mixing rules."""

from __future__ import annotations

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import (
    apply_update,
    attribute_updates,
    attributes_to_get,
    check_parameters,
    evaluate,
    expected_condition,
    filter_condition,
    key_conditions,
    project,
)


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


def cond(value: str = "x") -> dict:
    return {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": value}]}


# ---------------------------------------------------------------- mixing and ConditionalOperator


def mixing(legacy: str, expressions: str) -> str:
    return (
        "Can not use both expression and non-expression parameters in the same request: "
        f"Non-expression parameters: {{{legacy}}} Expression parameters: {{{expressions}}}"
    )


@pytest.mark.parametrize(
    ("operation", "params", "message"),
    [
        (
            "GetItem",
            {"AttributesToGet": ["a"], "ProjectionExpression": "a"},
            mixing("AttributesToGet", "ProjectionExpression"),
        ),
        (
            "PutItem",
            {"Expected": {"a": {"Exists": False}}, "ConditionExpression": "x"},
            mixing("Expected", "ConditionExpression"),
        ),
        (
            "DeleteItem",
            {"ConditionalOperator": "AND", "ConditionExpression": "x"},
            mixing("ConditionalOperator", "ConditionExpression"),
        ),
        (
            "UpdateItem",
            {
                "AttributeUpdates": {"a": {}},
                "Expected": {"a": cond()},
                "ConditionalOperator": "AND",
                "UpdateExpression": "SET a = :v",
                "ConditionExpression": "x",
            },
            mixing(
                "AttributeUpdates, Expected, ConditionalOperator", "UpdateExpression, ConditionExpression"
            ),
        ),
        (
            "Scan",
            {
                "AttributesToGet": ["a"],
                "ScanFilter": {"a": cond()},
                "ConditionalOperator": "AND",
                "FilterExpression": "x",
                "ProjectionExpression": "b",
            },
            mixing(
                "AttributesToGet, ScanFilter, ConditionalOperator", "ProjectionExpression, FilterExpression"
            ),
        ),
        (
            "Query",
            {
                "KeyConditions": {"pk": cond()},
                "QueryFilter": {"a": cond()},
                "ConditionalOperator": "AND",
                "KeyConditionExpression": "pk = :p",
                "FilterExpression": "x",
                "ProjectionExpression": "b",
            },
            mixing(
                "QueryFilter, ConditionalOperator, KeyConditions",
                "ProjectionExpression, FilterExpression, KeyConditionExpression",
            ),
        ),
        (
            "Scan",
            {"ScanFilter": {"a": cond()}, "ProjectionExpression": "b"},
            mixing("ScanFilter", "ProjectionExpression"),
        ),
        (
            "Scan",
            {"ConditionalOperator": "AND"},
            "ConditionalOperator cannot be used without Filter or Expected",
        ),
        (
            "Scan",
            {"ConditionalOperator": "OR", "ScanFilter": {}},
            "ConditionalOperator cannot be used without Filter or Expected",
        ),
        (
            "Scan",
            {"ConditionalOperator": "AND", "ScanFilter": {"a": cond()}},
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        ),
        (
            "Query",
            {"ConditionalOperator": "AND"},
            "ConditionalOperator cannot be used without Filter or Expected",
        ),
        (
            "PutItem",
            {"ConditionalOperator": "AND", "Expected": {"a": cond()}},
            "ConditionalOperator can only be used when Filter or Expected has two or more elements",
        ),
        (
            "UpdateItem",
            {"ConditionalOperator": "AND"},
            "ConditionalOperator cannot be used without Filter or Expected",
        ),
    ],
)
def test_parameter_rules(operation: str, params: dict, message: str) -> None:
    assert error_of(check_parameters, operation, params) == message


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        (
            "Query",
            {"KeyConditions": {"pk": cond()}, "FilterExpression": "a = :v", "ProjectionExpression": "a"},
        ),
        ("Scan", {"ScanFilter": {"a": cond(), "b": cond()}, "ConditionalOperator": "OR"}),
        ("PutItem", {"ConditionExpression": "attribute_not_exists(pk)"}),
        ("GetItem", {}),
    ],
)
def test_accepted_parameter_sets(operation: str, params: dict) -> None:
    check_parameters(operation, params)


# ---------------------------------------------------------------- Expected and filters


ITEM = {"s": {"S": "hello"}, "n": {"N": "5"}, "ss": {"SS": ["a", "b"]}, "l": {"L": [{"N": "1"}]}}


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"s": {"Value": {"S": "hello"}}}, True),
        ({"s": {"Exists": True, "Value": {"S": "nope"}}}, False),
        ({"absent": {"Exists": False}}, True),
        ({"s": {"Exists": False}}, False),
        ({"n": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "5.0"}]}}, True),
        ({"n": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}}, False),
        ({"absent": {"ComparisonOperator": "NE", "AttributeValueList": [{"N": "5"}]}}, True),
        ({"n": {"ComparisonOperator": "LT", "AttributeValueList": [{"N": "6"}]}}, True),
        ({"n": {"ComparisonOperator": "LE", "AttributeValueList": [{"N": "4"}]}}, False),
        ({"n": {"ComparisonOperator": "GT", "Value": {"N": "4"}}}, True),
        ({"n": {"ComparisonOperator": "GE", "AttributeValueList": [{"N": "6"}]}}, False),
        ({"n": {"ComparisonOperator": "NOT_NULL"}}, True),
        ({"n": {"ComparisonOperator": "NULL"}}, False),
        ({"s": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "ell"}]}}, True),
        ({"ss": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "a"}]}}, True),
        ({"ss": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}}, True),
        ({"absent": {"ComparisonOperator": "NOT_CONTAINS", "AttributeValueList": [{"S": "z"}]}}, False),
        ({"s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}}, True),
        ({"n": {"ComparisonOperator": "IN", "AttributeValueList": [{"N": "1"}, {"N": "5"}]}}, True),
        ({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "4"}]}}, False),
        ({"n": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "5"}, {"N": "5"}]}}, True),
    ],
)
def test_expected_conditions(spec: dict, expected: bool) -> None:
    assert evaluate(expected_condition(spec), ITEM) is expected


def test_conditional_operator_combines() -> None:
    spec = {"s": {"Value": {"S": "nope"}}, "n": {"Value": {"N": "5"}}}
    assert not evaluate(expected_condition(spec), ITEM)
    assert not evaluate(expected_condition(spec, "AND"), ITEM)
    assert evaluate(expected_condition(spec, "OR"), ITEM)
    assert expected_condition({}) is None


def test_filters() -> None:
    conditions = {
        "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "h"}]},
        "n": {"ComparisonOperator": "GT", "AttributeValueList": [{"N": "9"}]},
    }
    assert not evaluate(filter_condition(conditions), ITEM)
    assert evaluate(filter_condition(conditions, "OR"), ITEM)
    assert filter_condition({}) is None


def invalid(message: str) -> str:
    return "One or more parameter values were invalid: " + message


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"a": {}}, invalid("Value must be provided when Exists is null for Attribute: a")),
        ({"a": {"Exists": True}}, invalid("Value must be provided when Exists is true for Attribute: a")),
        (
            {"a": {"Exists": False, "Value": {"S": "a"}}},
            invalid("Value cannot be used when Exists is false for Attribute: a"),
        ),
        (
            {"a": {"Value": {"S": "a"}, "AttributeValueList": [{"S": "a"}], "ComparisonOperator": "EQ"}},
            invalid("Value and AttributeValueList cannot be used together for Attribute: a"),
        ),
        (
            {"a": {"Exists": True, "ComparisonOperator": "EQ", "Value": {"S": "a"}}},
            invalid("Exists and ComparisonOperator cannot be used together for Attribute: a"),
        ),
        (
            {"a": {"ComparisonOperator": "EQ"}},
            invalid("Value or AttributeValueList must be used with ComparisonOperator: EQ for Attribute: a"),
        ),
        (
            {"a": {"AttributeValueList": [{"S": "a"}]}},
            invalid("AttributeValueList can only be used with a ComparisonOperator for Attribute: a"),
        ),
        (
            {"a": {"ComparisonOperator": "BETWEEN", "Value": {"S": "a"}}},
            invalid("Invalid number of argument(s) for the BETWEEN ComparisonOperator"),
        ),
        (
            {"a": {"ComparisonOperator": "NULL", "Value": {"S": "a"}}},
            invalid("Invalid number of argument(s) for the NULL ComparisonOperator"),
        ),
        (
            {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}, {"S": "b"}]}},
            invalid("Invalid number of argument(s) for the EQ ComparisonOperator"),
        ),
        (
            {"a": {"ComparisonOperator": "IN", "AttributeValueList": []}},
            invalid("Invalid number of argument(s) for the IN ComparisonOperator"),
        ),
        (
            {"a": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"N": "1"}]}},
            invalid("ComparisonOperator BEGINS_WITH is not valid for N AttributeValue type"),
        ),
        (
            {"a": {"ComparisonOperator": "LT", "AttributeValueList": [{"BOOL": True}]}},
            invalid("ComparisonOperator LT is not valid for BOOL AttributeValue type"),
        ),
        (
            {"a": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"SS": ["a"]}]}},
            invalid("ComparisonOperator CONTAINS is not valid for SS AttributeValue type"),
        ),
        (
            {"a": {"ComparisonOperator": "IN", "AttributeValueList": [{"S": "b"}, {"N": "1"}]}},
            invalid("AttributeValues inside AttributeValueList must be of same type"),
        ),
        (
            {"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]}},
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
        (
            {"a": {"ComparisonOperator": "EQ", "AttributeValueList": [{"N": "x"}]}},
            "The parameter cannot be converted to a numeric value: x",
        ),
    ],
)
def test_expected_errors(spec: dict, message: str) -> None:
    assert error_of(expected_condition, spec) == message


def test_filter_errors() -> None:
    spec = {"a": {"ComparisonOperator": "GT", "AttributeValueList": [{"M": {}}]}}
    assert error_of(filter_condition, spec) == invalid(
        "ComparisonOperator GT is not valid for M AttributeValue type"
    )


# ---------------------------------------------------------------- AttributesToGet


def test_attributes_to_get() -> None:
    paths = attributes_to_get(["a", "b.c", "status"])
    assert project(paths, {"a": {"S": "1"}, "b.c": {"S": "2"}, "status": {"S": "3"}, "z": {"S": "4"}}) == {
        "a": {"S": "1"},
        "b.c": {"S": "2"},
        "status": {"S": "3"},
    }
    assert error_of(attributes_to_get, ["a", "b", "a"]) == invalid("Duplicate value in attribute name: a")


# ---------------------------------------------------------------- KeyConditions


SCHEMA = {"HASH": "pk", "RANGE": "sk"}


def test_key_conditions() -> None:
    condition = key_conditions(
        {"pk": cond("p"), "sk": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "a"}]}},
        SCHEMA,
    )
    assert (condition.hash_value, condition.range_op, condition.range_values) == (
        {"S": "p"},
        "begins_with",
        ({"S": "a"},),
    )
    condition = key_conditions(
        {
            "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "2"}]},
            "pk": cond("p"),
        },
        SCHEMA,
    )
    assert condition.range_op == "BETWEEN"
    assert key_conditions({"pk": cond("p")}, SCHEMA).range_op is None


@pytest.mark.parametrize(
    ("conditions", "message"),
    [
        ({}, "Conditions can be of length 1 or 2 only"),
        ({"a": cond(), "b": cond(), "c": cond()}, "Conditions can be of length 1 or 2 only"),
        ({"sk": cond()}, "Query condition missed key schema element: pk"),
        ({"pk": cond(), "x": cond()}, "Query condition missed key schema element: sk"),
        (
            {"pk": {"ComparisonOperator": "GT", "AttributeValueList": [{"S": "a"}]}},
            "Query key condition not supported",
        ),
        (
            {"pk": cond(), "sk": {"ComparisonOperator": "CONTAINS", "AttributeValueList": [{"S": "a"}]}},
            "Query key condition not supported",
        ),
        (
            {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "a"}, {"S": "b"}]}},
            invalid("Invalid number of argument(s) for the EQ ComparisonOperator"),
        ),
        (
            {
                "pk": cond(),
                "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"S": "b"}, {"S": "a"}]},
            },
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound",
        ),
        (
            {"pk": cond(), "sk": {"ComparisonOperator": "LT", "AttributeValueList": [{"NULL": True}]}},
            invalid("ComparisonOperator LT is not valid for NULL AttributeValue type"),
        ),
    ],
)
def test_key_condition_errors(conditions: dict, message: str) -> None:
    assert error_of(key_conditions, conditions, SCHEMA) == message


# ---------------------------------------------------------------- AttributeUpdates


def test_attribute_updates() -> None:
    item = {
        "pk": {"S": "k"},
        "gone": {"S": "x"},
        "n": {"N": "1"},
        "ss": {"SS": ["a", "b"]},
        "l": {"L": [{"N": "1"}]},
    }
    update = attribute_updates(
        {
            "new": {"Value": {"S": "v"}},
            "put": {"Action": "PUT", "Value": {"N": "7"}},
            "gone": {"Action": "DELETE"},
            "n": {"Action": "ADD", "Value": {"N": "2"}},
            "ss": {"Action": "DELETE", "Value": {"SS": ["a", "z"]}},
            "l": {"Action": "ADD", "Value": {"L": [{"N": "2"}]}},
            "fresh": {"Action": "ADD", "Value": {"NS": ["1"]}},
        }
    )
    new, names = apply_update(update, item)
    assert new == {
        "pk": {"S": "k"},
        "new": {"S": "v"},
        "put": {"N": "7"},
        "n": {"N": "3"},
        "ss": {"SS": ["b"]},
        "l": {"L": [{"N": "1"}, {"N": "2"}]},
        "fresh": {"NS": ["1"]},
    }
    assert names == ["new", "put", "gone", "n", "ss", "l", "fresh"]
    emptied, _ = apply_update(
        attribute_updates({"ss": {"Action": "DELETE", "Value": {"SS": ["a", "b"]}}}), item
    )
    assert "ss" not in emptied


@pytest.mark.parametrize(
    ("updates", "message"),
    [
        (
            {"a": {"Action": "PUT"}},
            invalid("Only DELETE action is allowed when no attribute value is specified"),
        ),
        (
            {"a": {"Action": "ADD"}},
            invalid("Only DELETE action is allowed when no attribute value is specified"),
        ),
        ({"a": {}}, invalid("Only DELETE action is allowed when no attribute value is specified")),
        (
            {"a": {"Action": "DELETE", "Value": {"N": "1"}}},
            invalid("DELETE action with value is not supported for the type N"),
        ),
        (
            {"a": {"Action": "DELETE", "Value": {"L": []}}},
            invalid("DELETE action with value is not supported for the type L"),
        ),
        (
            {"a": {"Action": "ADD", "Value": {"S": "1"}}},
            invalid("ADD action is not supported for the type S"),
        ),
        (
            {"a": {"Action": "ADD", "Value": {"B": b"b"}}},
            invalid("ADD action is not supported for the type B"),
        ),
        ({"a": {"Action": "ADD", "Value": {"M": {}}}}, invalid("ADD action is not supported for the type M")),
        (
            {"a": {"Action": "PUT", "Value": {"N": "abc"}}},
            "The parameter cannot be converted to a numeric value: abc",
        ),
        ({"a": {"Action": "PUT", "Value": {"SS": []}}}, invalid("An string set  may not be empty")),
    ],
)
def test_attribute_update_errors(updates: dict, message: str) -> None:
    assert error_of(attribute_updates, updates) == message


@pytest.mark.parametrize(
    "updates",
    [
        {"ss": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"n": {"Action": "DELETE", "Value": {"NS": ["1"]}}},
        {"ss": {"Action": "ADD", "Value": {"NS": ["1"]}}},
        {"ns": {"Action": "ADD", "Value": {"N": "1"}}},
    ],
)
def test_attribute_update_type_mismatch(updates: dict) -> None:
    item = {"ss": {"SS": ["1"]}, "n": {"N": "1"}, "ns": {"NS": ["1"]}}
    assert error_of(apply_update, attribute_updates(updates), item) == "Type mismatch for attribute to update"
