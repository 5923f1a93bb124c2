"""ExpressionAttributeNames / ExpressionAttributeValues validation and usage tracking."""

from __future__ import annotations

import pytest

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import (
    ExpressionContext,
    parse_condition,
    parse_projection,
    parse_update,
)


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


@pytest.mark.parametrize(
    ("names", "values", "message"),
    [
        ({}, None, "ExpressionAttributeNames must not be empty"),
        ({}, {}, "ExpressionAttributeNames must not be empty"),
        (None, {}, "ExpressionAttributeValues must not be empty"),
        ({"a": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "a"'),
        ({"#": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#"'),
        ({"#a-b": "a"}, None, 'ExpressionAttributeNames contains invalid key: Syntax error; key: "#a-b"'),
        (
            {"#" + "a" * 255: "a"},
            None,
            "ExpressionAttributeNames contains invalid key: "
            "The expression attribute map contains a key that is too long; size of key: 256",
        ),
        (
            {"#" + "a" * 255 + "-x": "a"},
            None,
            "ExpressionAttributeNames contains invalid key: "
            "The expression attribute map contains a key that is too long; size of key: 258",
        ),
        (
            {"#a": ""},
            None,
            "ExpressionAttributeNames contains invalid value: Empty attribute name for key #a",
        ),
        (None, {"v": {"S": "x"}}, 'ExpressionAttributeValues contains invalid key: Syntax error; key: "v"'),
        (None, {":": {"S": "x"}}, 'ExpressionAttributeValues contains invalid key: Syntax error; key: ":"'),
        (
            None,
            {":" + "a" * 255: {"S": "x"}},
            "ExpressionAttributeValues contains invalid key: The expression attribute map contains a key that is too long;",
        ),
        (
            None,
            {":b": {"S": "a"}, "b": {}},
            'ExpressionAttributeValues contains invalid key: Syntax error; key: "b"',
        ),
        (
            None,
            {":v": {}},
            "ExpressionAttributeValues contains invalid value: "
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes for key :v",
        ),
        (
            None,
            {":v": {"S": "a", "N": "1"}},
            "ExpressionAttributeValues contains invalid value: Supplied AttributeValue has more than one "
            "datatypes set, must contain exactly one of the supported datatypes for key :v",
        ),
        (
            None,
            {":v": {"NS": []}},
            "ExpressionAttributeValues contains invalid value: "
            "One or more parameter values were invalid: An number set  may not be empty for key :v",
        ),
        (
            None,
            {":v": {"SS": ["a", "a"]}},
            "ExpressionAttributeValues contains invalid value: "
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates. for key :v",
        ),
        (
            None,
            {":v": {"NS": ["1", "1.0"]}},
            "ExpressionAttributeValues contains invalid value: Input collection contains duplicates for key :v",
        ),
        (
            None,
            {":v": {"N": "12e"}},
            "ExpressionAttributeValues contains invalid value: "
            "The parameter cannot be converted to a numeric value: 12e for key :v",
        ),
        (
            None,
            {":v": {"N": ""}},
            "ExpressionAttributeValues contains invalid value: "
            "The parameter cannot be converted to a numeric value for key :v",
        ),
    ],
)
def test_map_validation(names, values, message) -> None:
    assert error_of(ExpressionContext, names, values) == message


def test_values_are_normalized() -> None:
    ctx = ExpressionContext(None, {":v": {"N": "1.50"}})
    assert ctx.value(":v") == {"N": "1.5"}


def test_names_or_values_without_expressions() -> None:
    assert error_of(ExpressionContext({"#a": "a"}).check_unused) == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
    assert error_of(ExpressionContext(None, {":v": {"S": "x"}}).check_unused) == (
        "ExpressionAttributeValues can only be specified when using expressions"
    )
    assert error_of(ExpressionContext(None, {":v": {"S": "x"}}).check_unused, "PutItem") == (
        "ExpressionAttributeValues can only be specified when using expressions: ConditionExpression is null"
    )
    assert error_of(ExpressionContext(None, {":v": {"S": "x"}}).check_unused, "UpdateItem") == (
        "ExpressionAttributeValues can only be specified when using expressions: "
        "UpdateExpression and ConditionExpression are null"
    )
    assert error_of(ExpressionContext({"#a": "a"}, {":v": {"S": "x"}}).check_unused, "UpdateItem") == (
        "ExpressionAttributeNames can only be specified when using expressions"
    )
    ExpressionContext().check_unused()


def test_transactions_accept_names_and_values_without_expressions() -> None:
    ExpressionContext({"#n": "a"}, {":v": {"N": "1"}}).check_unused("TransactWriteItems")
    ctx = ExpressionContext({"#n": "a", "#u": "b"})
    parse_projection("#n", ctx)
    assert error_of(ctx.check_unused, "TransactGetItems") == (
        "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u}"
    )


def test_unused_names_and_values() -> None:
    ctx = ExpressionContext({"#a": "a", "#u": "u", "#w": "w"}, {":v": {"S": "x"}, ":u": {"S": "y"}})
    parse_condition("#a = :v", ctx)
    assert (
        error_of(ctx.check_unused)
        == "Value provided in ExpressionAttributeNames unused in expressions: keys: {#u, #w}"
    )
    ctx = ExpressionContext({"#a": "a"}, {":v": {"S": "x"}, ":u": {"S": "y"}})
    parse_condition("#a = :v", ctx)
    assert (
        error_of(ctx.check_unused)
        == "Value provided in ExpressionAttributeValues unused in expressions: keys: {:u}"
    )


def test_usage_spans_every_expression_of_a_request() -> None:
    ctx = ExpressionContext({"#a": "a", "#p": "p"}, {":v": {"S": "x"}, ":n": {"N": "1"}})
    parse_update("SET #a = :v", ctx)
    parse_condition("attribute_exists(#a) OR n < :n", ctx)
    parse_projection("#p", ctx)
    ctx.check_unused()


def test_usage_is_recorded_when_a_parse_comes_from_the_cache() -> None:
    for _ in range(2):
        ctx = ExpressionContext({"#a": "a"}, {":v": {"S": "x"}})
        parse_condition("#a = :v", ctx)
        ctx.check_unused()


def test_cache_does_not_mix_different_values() -> None:
    first = parse_condition("a = :v", ExpressionContext(None, {":v": {"S": "x"}}))
    second = parse_condition("a = :v", ExpressionContext(None, {":v": {"S": "y"}}))
    assert first != second
