"""DynamoDB value model: numbers, validation, equality, ordering, sizes, key encoding."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import (
    arith,
    compare,
    item_size,
    key_bytes,
    number_text,
    to_decimal,
    validate_item,
    validate_value,
    value_size,
    value_type,
    values_equal,
)


def error_of(fn, *args, **kwargs) -> str:
    with pytest.raises(ServiceError) as info:
        fn(*args, **kwargs)
    assert info.value.code == "ValidationException"
    assert info.value.status == 400
    return info.value.message


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("1.50", "1.5"),
        ("1E+2", "100"),
        ("1e2", "100"),
        ("0.00", "0"),
        ("-0", "0"),
        ("-0.0e5", "0"),
        ("+5", "5"),
        ("007", "7"),
        (".5", "0.5"),
        ("5.", "5"),
        ("-1.0E-5", "-0.00001"),
        ("1.5E+3", "1500"),
        ("1e-130", "0." + "0" * 129 + "1"),
        ("9.9999999999999999999999999999999999999E+125", "99999999999999999999999999999999999999" + "0" * 88),
        ("1" + "0" * 100, "1" + "0" * 100),
        ("12345678901234567890123456789012345678", "12345678901234567890123456789012345678"),
    ],
)
def test_number_canonical_text(text: str, canonical: str) -> None:
    assert number_text(to_decimal(text)) == canonical


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "The parameter cannot be converted to a numeric value: abc"),
        ("", "The parameter cannot be converted to a numeric value"),
        (" 1", "The parameter cannot be converted to a numeric value:  1"),
        ("1 ", "The parameter cannot be converted to a numeric value: 1 "),
        ("NaN", "The parameter cannot be converted to a numeric value: NaN"),
        ("Infinity", "The parameter cannot be converted to a numeric value: Infinity"),
        ("1_000", "The parameter cannot be converted to a numeric value: 1_000"),
        ("1e", "The parameter cannot be converted to a numeric value: 1e"),
        ("1.2.3", "The parameter cannot be converted to a numeric value: 1.2.3"),
        ("0x10", "The parameter cannot be converted to a numeric value: 0x10"),
        ("\u0661", "The parameter cannot be converted to a numeric value: \u0661"),
        ("1e126", "Number overflow. Attempting to store a number with magnitude larger than supported range"),
        (
            "-1e126",
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
        (
            "1e-131",
            "Number underflow. Attempting to store a number with magnitude smaller than supported range",
        ),
        ("1" * 39, "Attempting to store more than 38 significant digits in a Number"),
        ("0.1" + "1" * 38, "Attempting to store more than 38 significant digits in a Number"),
    ],
)
def test_number_errors(text: str, message: str) -> None:
    assert error_of(to_decimal, text) == message


def test_trailing_zeros_are_not_significant() -> None:
    assert to_decimal("1" + "0" * 60) == Decimal("1E+60")
    assert to_decimal("0.000" + "1" * 38) == Decimal("0.000" + "1" * 38)


def test_arith() -> None:
    assert number_text(arith("+", Decimal("1.5"), Decimal("2.5"))) == "4"
    assert number_text(arith("-", Decimal("1"), Decimal("3"))) == "-2"
    big = to_decimal("9.9999999999999999999999999999999999999E+125")
    assert error_of(arith, "+", big, Decimal("1E+125")).startswith("Number overflow.")
    assert error_of(arith, "-", to_decimal("1e-130"), Decimal("1.1e-130")).startswith("Number underflow.")
    assert error_of(arith, "+", Decimal("1E+30"), Decimal("1E-30")) == (
        "Attempting to store more than 38 significant digits in a Number"
    )


# ---------------------------------------------------------------- validation


def test_validate_normalizes_numbers_everywhere() -> None:
    item = {
        "n": {"N": "1.50"},
        "ns": {"NS": ["1E+2", "2.0"]},
        "m": {"M": {"x": {"N": "-0"}, "l": {"L": [{"N": "007"}, {"S": ""}]}}},
        "b": {"B": b""},
        "t": {"BOOL": True},
        "z": {"NULL": True},
    }
    snapshot = repr(item)
    assert validate_item(item) == {
        "n": {"N": "1.5"},
        "ns": {"NS": ["100", "2"]},
        "m": {"M": {"x": {"N": "0"}, "l": {"L": [{"N": "7"}, {"S": ""}]}}},
        "b": {"B": b""},
        "t": {"BOOL": True},
        "z": {"NULL": True},
    }
    assert repr(item) == snapshot


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ({}, "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"),
        (
            {"S": "a", "N": "1"},
            "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
        ),
        ({"NS": []}, "One or more parameter values were invalid: An number set  may not be empty"),
        ({"SS": []}, "One or more parameter values were invalid: An string set  may not be empty"),
        ({"BS": []}, "One or more parameter values were invalid: Binary sets should not be empty"),
        (
            {"SS": ["a", "a"]},
            "One or more parameter values were invalid: Input collection [a, a] contains duplicates.",
        ),
        (
            {"NS": ["1", "1.0"]},
            "Input collection contains duplicates",
        ),
        (
            {"BS": [b"b", b"b"]},
            "One or more parameter values were invalid: Input collection [Yg==, Yg==]of type BS contains duplicates.",
        ),
        ({"NS": ["x"]}, "The parameter cannot be converted to a numeric value: x"),
        (
            {"L": [{}]},
            "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes",
        ),
        (
            {"M": {"a": {"N": "1e200"}}},
            "Number overflow. Attempting to store a number with magnitude larger than supported range",
        ),
    ],
)
def test_validate_errors(value: dict, message: str) -> None:
    assert error_of(validate_value, value) == message


def test_key_values_refuse_empty() -> None:
    assert error_of(validate_value, {"S": ""}, key=True, name="pk") == (
        "One or more parameter values are not valid. "
        "The AttributeValue for a key attribute cannot contain an empty string value. Key: pk"
    )
    assert error_of(validate_value, {"B": b""}, key=True, name="sk") == (
        "One or more parameter values are not valid. "
        "The AttributeValue for a key attribute cannot contain an empty binary value. Key: sk"
    )
    assert validate_value({"S": ""}) == {"S": ""}


def nested(depth: int) -> dict:
    value: dict = {"S": "x"}
    for i in range(depth):
        value = {"M": {"a": value}} if i % 2 else {"L": [value]}
    return value


def test_nesting_limit() -> None:
    assert validate_value(nested(31)) == nested(31)
    assert error_of(validate_value, nested(32)) == (
        "Nesting Levels have exceeded supported limits: "
        "Attributes in the item have nested levels beyond supported limit"
    )


def test_null_false_is_stored_as_null_true() -> None:
    assert validate_value({"NULL": False}) == {"NULL": True}


def test_value_type() -> None:
    for tag, inner in [
        ("S", "a"),
        ("N", "1"),
        ("B", b""),
        ("M", {}),
        ("L", []),
        ("NULL", True),
        ("BOOL", False),
    ]:
        assert value_type({tag: inner}) == tag


# ---------------------------------------------------------------- equality and order


def test_values_equal() -> None:
    assert values_equal({"N": "1"}, {"N": "1.0"})
    assert not values_equal({"N": "1"}, {"S": "1"})
    assert values_equal({"SS": ["a", "b"]}, {"SS": ["b", "a"]})
    assert values_equal({"NS": ["1", "2"]}, {"NS": ["2.0", "1"]})
    assert not values_equal({"NS": ["1"]}, {"NS": ["1", "2"]})
    assert values_equal({"BS": [b"a", b"b"]}, {"BS": [b"b", b"a"]})
    assert values_equal({"M": {"a": {"L": [{"N": "1"}]}}}, {"M": {"a": {"L": [{"N": "1.00"}]}}})
    assert not values_equal({"M": {"a": {"N": "1"}}}, {"M": {"b": {"N": "1"}}})
    assert not values_equal({"L": [{"N": "1"}, {"N": "2"}]}, {"L": [{"N": "2"}, {"N": "1"}]})
    assert not values_equal({"L": [{"N": "1"}]}, {"L": [{"N": "1"}, {"N": "1"}]})
    assert values_equal({"NULL": True}, {"NULL": True})
    assert not values_equal({"BOOL": True}, {"BOOL": False})


def test_compare() -> None:
    assert compare({"N": "10"}, {"N": "9"}) == 1
    assert compare({"N": "-1"}, {"N": "1"}) == -1
    assert compare({"N": "1.0"}, {"N": "1"}) == 0
    assert compare({"S": "B"}, {"S": "a"}) == -1
    assert compare({"S": "\uffff"}, {"S": "\U00010000"}) == -1  # UTF-8 order, not UTF-16
    assert compare({"B": b"\xff"}, {"B": b"\x01"}) == 1
    assert compare({"S": "1"}, {"N": "1"}) is None
    assert compare({"BOOL": True}, {"BOOL": True}) is None
    assert compare({"SS": ["a"]}, {"SS": ["a"]}) is None


# ---------------------------------------------------------------- sizes


@pytest.mark.parametrize(
    ("value", "size"),
    [
        ({"S": "abc"}, 3),
        ({"S": "é"}, 2),
        ({"B": b"\x00\x01"}, 2),
        ({"BOOL": True}, 1),
        ({"NULL": True}, 1),
        ({"N": "0"}, 1),
        ({"N": "1"}, 2),
        ({"N": "12"}, 2),
        ({"N": "123"}, 3),
        ({"N": "1234"}, 3),
        ({"N": "12345678901234567890123456789012345678"}, 20),
        ({"N": "100"}, 2),
        ({"N": "1000"}, 2),
        ({"N": "1010"}, 3),
        ({"N": "0.0000001"}, 2),
        ({"N": "1" + "0" * 125}, 2),
        ({"N": "1.5"}, 3),
        ({"N": "0.15"}, 2),
        ({"N": "1.234"}, 4),
        ({"N": "3.14159"}, 5),
        ({"N": "123456"}, 4),
        ({"N": "100.5"}, 4),
        ({"N": "-42"}, 3),
        ({"N": "-1"}, 3),
        ({"SS": ["ab", "c"]}, 3),
        ({"NS": ["1", "123"]}, 5),
        ({"BS": [b"ab", b"c"]}, 3),
        ({"L": []}, 3),
        ({"M": {}}, 3),
        ({"L": [{"S": "ab"}, {"BOOL": True}]}, 3 + 3 + 2),
        ({"M": {"ab": {"S": "cd"}}}, 3 + 2 + 2 + 1),
    ],
)
def test_value_size(value: dict, size: int) -> None:
    assert value_size(value) == size


def test_item_size() -> None:
    assert item_size({"pk": {"S": "abc"}, "n": {"N": "12"}}) == 2 + 3 + 1 + 2
    assert item_size({}) == 0


# ---------------------------------------------------------------- key encoding


def test_key_bytes_number_order() -> None:
    ordered = [
        "-9.9E+125",
        "-1E+125",
        "-10",
        "-1.5",
        "-1",
        "-0.5",
        "-1E-130",
        "0",
        "1E-130",
        "0.5",
        "1",
        "1.5",
        "10",
        "9.9E+125",
    ]
    keys = [key_bytes({"N": number_text(to_decimal(t))}) for t in ordered]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)


def in_range(d: Decimal) -> bool:
    # copy_abs, not abs(): abs() rounds to the context's 28 digits, which took
    # 9.99...95E-131 (29 digits, out of range) for 1E-130 (in range).
    return d == 0 or Decimal("1E-130") <= d.copy_abs() <= Decimal("9.9E+125")


random_numbers = st.builds(
    lambda digits, exp, neg: Decimal(f"{'-' if neg else ''}{digits}E{exp}"),
    st.one_of(st.integers(min_value=0, max_value=10**38 - 1), st.integers(min_value=0, max_value=20)),
    st.one_of(st.integers(min_value=-168, max_value=88), st.integers(min_value=-3, max_value=3)),
    st.booleans(),
).filter(in_range)
numbers = random_numbers.map(lambda d: {"N": number_text(d)})


def sign(x: int) -> int:
    return (x > 0) - (x < 0)


def ordering_matches(a: dict, b: dict) -> None:
    ka, kb = key_bytes(a), key_bytes(b)
    assert sign((ka > kb) - (ka < kb)) == compare(a, b)


@given(numbers, numbers)
def test_key_bytes_orders_numbers_like_compare(a: dict, b: dict) -> None:
    ordering_matches(a, b)


@given(st.text(), st.text())
def test_key_bytes_orders_strings_like_compare(a: str, b: str) -> None:
    ordering_matches({"S": a}, {"S": b})


@given(st.binary(), st.binary())
def test_key_bytes_orders_binaries_like_compare(a: bytes, b: bytes) -> None:
    ordering_matches({"B": a}, {"B": b})
