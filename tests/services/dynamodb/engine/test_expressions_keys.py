"""KeyConditionExpression: structure rules, key schema, sort-key matching."""

from __future__ import annotations

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import ExpressionContext, KeyCondition, parse_key_condition

COMPOSITE = {"HASH": "pk", "RANGE": "sk"}
HASH_ONLY = {"HASH": "pk"}
VALUES = {":p": {"S": "p1"}, ":a": {"S": "a"}, ":b": {"S": "b"}, ":n": {"N": "1"}}


def parse(
    text: str, schema: dict = COMPOSITE, values: dict | None = None, names: dict | None = None
) -> KeyCondition:
    return parse_key_condition(text, ExpressionContext(names, values or VALUES), schema)


def key_error(
    text: str, schema: dict = COMPOSITE, values: dict | None = None, names: dict | None = None
) -> str:
    with pytest.raises(ServiceError) as info:
        parse(text, schema, values, names)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


@pytest.mark.parametrize(
    ("text", "op", "values"),
    [
        ("pk = :p", None, ()),
        ("pk = :p AND sk = :a", "=", ({"S": "a"},)),
        ("sk < :a AND pk = :p", "<", ({"S": "a"},)),
        ("pk = :p AND sk <= :a", "<=", ({"S": "a"},)),
        ("pk = :p AND :a > sk", "<", ({"S": "a"},)),
        ("pk = :p AND :a <= sk", ">=", ({"S": "a"},)),
        ("pk = :p AND sk BETWEEN :a AND :b", "BETWEEN", ({"S": "a"}, {"S": "b"})),
        ("pk = :p AND begins_with(sk, :a)", "begins_with", ({"S": "a"},)),
        ("(pk = :p) AND (sk >= :a)", ">=", ({"S": "a"},)),
        (":p = pk", None, ()),
    ],
)
def test_key_conditions(text: str, op: str | None, values: tuple) -> None:
    condition = parse(text)
    assert condition.hash_name == "pk"
    assert condition.hash_value == {"S": "p1"}
    assert condition.range_op == op
    assert condition.range_values == values
    assert condition.range_name == ("sk" if op else None)


def test_names_resolve_key_attributes() -> None:
    condition = parse("#h = :p AND #r > :a", names={"#h": "pk", "#r": "sk"})
    assert (condition.hash_name, condition.range_name, condition.range_op) == ("pk", "sk", ">")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("sk = :a", "Query condition missed key schema element: pk"),
        ("attr1 = :a", "Query condition missed key schema element: pk"),
        ("pk = :p AND foo = :a", "Query condition missed key schema element: sk"),
        ("pk > :p", "Query key condition not supported"),
        ("begins_with(pk, :p)", "Query key condition not supported"),
        ("pk BETWEEN :a AND :b", "Query key condition not supported"),
        ("pk = :p AND pk = :a", "KeyConditionExpressions must only contain one condition per key"),
        (
            "sk > :a AND sk < :b AND pk = :p AND x = :a",
            "KeyConditionExpressions must only contain one condition per key",
        ),
        ("pk = :p AND sk = :a AND x = :b", "Conditions can be of length 1 or 2 only"),
        ("pk = :p OR sk = :a", "Invalid operator used in KeyConditionExpression: OR"),
        ("pk = :p AND sk IN (:a, :b)", "Invalid operator used in KeyConditionExpression: IN"),
        ("NOT pk = :p", "Invalid operator used in KeyConditionExpression: NOT"),
        ("pk <> :p", "Invalid operator used in KeyConditionExpression: <>"),
        ("attribute_exists(pk)", "Invalid operator used in KeyConditionExpression: attribute_exists"),
        ("contains(pk, :p)", "Invalid operator used in KeyConditionExpression: contains"),
        ("pk = :p AND size(sk) > :n", "KeyConditionExpressions cannot contain nested operations"),
        ("pk.foo = :p", "KeyConditionExpressions cannot have conditions on nested attributes"),
        ("pk[0] = :p", "KeyConditionExpressions cannot have conditions on nested attributes"),
        (
            "pk = :p AND begins_with(sk.foo, :a)",
            "KeyConditionExpressions cannot have conditions on nested attributes",
        ),
        ("pk = :p AND :a < sk.foo", "KeyConditionExpressions cannot have conditions on nested attributes"),
        (
            "pk = sk",
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
        ),
        (
            "pk = :p AND sk BETWEEN c[1] AND :a",
            "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition",
        ),
        (":a = :b AND pk = :p", "Invalid condition in KeyConditionExpression: No key attribute specified"),
        (
            "pk = :p AND :a BETWEEN sk AND :b",
            "Invalid condition in KeyConditionExpression: BETWEEN operator must have the key attribute as its first operand",
        ),
        (
            "pk = :p AND begins_with(:a, sk)",
            "Invalid condition in KeyConditionExpression: begins_with operator must have the key attribute as its first operand",
        ),
        ("", "Invalid KeyConditionExpression: The expression can not be empty;"),
        ("pk = ", 'Invalid KeyConditionExpression: Syntax error; token: "<EOF>", near: "="'),
        (
            "pk = :p AND sk BETWEEN :b AND :a",
            "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to "
            "lower bound; lower bound operand: AttributeValue: {S:b}, upper bound operand: AttributeValue: {S:a}",
        ),
        (
            "pk = :p AND sk BETWEEN :n AND :a",
            "Invalid KeyConditionExpression: The BETWEEN operator requires same data type for lower and upper "
            "bounds; lower bound operand: AttributeValue: {N:1}, upper bound operand: AttributeValue: {S:a}",
        ),
        (
            "pk = :p AND begins_with(sk, :n)",
            "Invalid KeyConditionExpression: Incorrect operand type for operator or function; "
            "operator or function: begins_with, operand type: N",
        ),
        (
            "data.foo = :p",
            "Invalid KeyConditionExpression: Attribute name is a reserved keyword; reserved keyword: data",
        ),
    ],
)
def test_key_condition_errors(text: str, message: str) -> None:
    assert key_error(text) == message


def test_hash_only_schema_refuses_a_second_condition() -> None:
    assert parse("pk = :p", HASH_ONLY).range_op is None
    assert key_error("pk = :p AND sk = :a", HASH_ONLY) == "Query key condition not supported"


@pytest.mark.parametrize(
    ("text", "candidate", "expected"),
    [
        ("pk = :p", {"S": "anything"}, True),
        ("pk = :p AND sk = :a", {"S": "a"}, True),
        ("pk = :p AND sk = :a", {"S": "b"}, False),
        ("pk = :p AND sk < :b", {"S": "a"}, True),
        ("pk = :p AND sk < :b", {"S": "b"}, False),
        ("pk = :p AND sk <= :b", {"S": "b"}, True),
        ("pk = :p AND sk > :a", {"S": "b"}, True),
        ("pk = :p AND sk >= :b", {"S": "a"}, False),
        ("pk = :p AND sk BETWEEN :a AND :b", {"S": "aa"}, True),
        ("pk = :p AND sk BETWEEN :a AND :b", {"S": "bb"}, False),
        ("pk = :p AND begins_with(sk, :a)", {"S": "abc"}, True),
        ("pk = :p AND begins_with(sk, :a)", {"S": "cba"}, False),
        ("pk = :p AND sk > :a", {"N": "5"}, False),
        ("pk = :p AND sk > :a", None, False),
    ],
)
def test_matches_range(text: str, candidate: dict | None, expected: bool) -> None:
    assert parse(text).matches_range(candidate) is expected


def test_numeric_sort_keys() -> None:
    condition = parse(
        "pk = :p AND sk BETWEEN :lo AND :hi",
        values={":p": {"S": "p"}, ":lo": {"N": "-1.5"}, ":hi": {"N": "10"}},
    )
    assert condition.matches_range({"N": "2"})
    assert not condition.matches_range({"N": "-2"})
    assert condition.matches_range({"N": "10.0"})
