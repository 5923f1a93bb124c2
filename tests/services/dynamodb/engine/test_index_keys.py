"""Multi-attribute index keys: the key-condition rules and the byte encoding of composite keys.

The encoding must order keys as the tuples of their values order (attribute by attribute, each
by DynamoDB's order for its type), and a Query's bounds must select exactly the keys whose
values satisfy the conditions: both are checked against brute force on generated values.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.expressions import ExpressionContext, parse_key_condition
from cloudlet.services.dynamodb.index_keys import composite_bounds, key_of
from cloudlet.services.dynamodb.values import compare, number_text, to_decimal, validate_value

MULTI = {"HASH": ("t", "g"), "RANGE": ("r", "b", "s")}
VALUES = {":t": {"S": "T"}, ":g": {"S": "G"}, ":r": {"S": "r"}, ":b": {"S": "b"}, ":s": {"N": "1"}}


def parse(text: str, values: dict | None = None):
    return parse_key_condition(text, ExpressionContext(None, values or VALUES), MULTI)


def key_error(text: str) -> str:
    with pytest.raises(ServiceError) as info:
        parse(text)
    assert (info.value.code, info.value.status) == ("ValidationException", 400)
    return info.value.message


def test_equality_on_every_partition_attribute_and_a_sort_prefix():
    keys = parse("t = :t AND g = :g AND r = :r AND b > :b")
    assert keys.hash_parts == (("t", {"S": "T"}), ("g", {"S": "G"}))
    assert keys.range_prefix == (("r", {"S": "r"}),)
    assert (keys.range_name, keys.range_op, keys.range_values) == ("b", ">", ({"S": "b"},))
    keys = parse("g = :g AND t = :t")
    assert (keys.range_name, keys.range_op, keys.range_prefix) == (None, None, ())
    keys = parse("t = :t AND g = :g AND r = :r AND b = :b AND s = :s")
    assert [name for name, _ in keys.range_prefix] == ["r", "b"]
    assert (keys.range_name, keys.range_op) == ("s", "=")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("t = :t", "Query condition missed key schema element: g"),
        ("t = :t AND r = :r", "Query condition missed key schema element: g"),
        ("t = :t AND g > :g", "Query key condition not supported"),
        ("t = :t AND g = :g AND r > :r AND b = :b", "Query key condition not supported"),
        ("t = :t AND g = :g AND x = :r", "Query condition missed key schema element: r"),
        (
            "t = :t AND g = :g AND r = :r AND b = :b AND s = :s AND x = :t",
            "Query key condition not supported",
        ),
    ],
)
def test_rule_violations(text, message):
    assert key_error(text) == message


def test_a_skipped_sort_attribute_is_named():
    message = key_error("t = :t AND g = :g AND r = :r AND s > :s")
    assert "b" in message.split() and "s" in message.split()


def test_single_attribute_schemas_keep_their_limits():
    with pytest.raises(ServiceError) as info:
        parse_key_condition(
            "pk = :p AND sk = :a AND x = :a",
            ExpressionContext(None, {":p": {"S": "p"}, ":a": {"S": "a"}}),
            {"HASH": "pk", "RANGE": "sk"},
        )
    assert info.value.message == "Conditions can be of length 1 or 2 only"


# ---------------------------------------------------------------- encoding

_strings = st.text(alphabet=st.sampled_from(["a", "b", "\x00", "\x01", "\xff", "é"]), min_size=1, max_size=4)
_binaries = st.binary(min_size=1, max_size=4).map(lambda b: b or b"\x00")
_numbers = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False, allow_infinity=False).map(
    lambda d: number_text(to_decimal(str(d)))
)
_kinds = st.lists(st.sampled_from("SNB"), min_size=2, max_size=4)


def _value(kind: str):
    if kind == "S":
        return _strings.map(lambda s: {"S": s})
    if kind == "N":
        return _numbers.map(lambda n: {"N": n})
    return _binaries.map(lambda b: {"B": b})


def _tuples(kinds: list[str], count: int):
    row = st.tuples(*(_value(k) for k in kinds)).map(lambda t: [validate_value(v) for v in t])
    return st.lists(row, min_size=count, max_size=count)


def _order(a: list[dict], b: list[dict]) -> int:
    for x, y in zip(a, b, strict=True):
        c = compare(x, y)
        if c:
            return c
    return 0


@settings(max_examples=300, deadline=None)
@given(_kinds.flatmap(lambda kinds: _tuples(kinds, 2)))
def test_composite_keys_order_as_tuples(pair):
    a, b = pair
    ka, kb = key_of(a), key_of(b)
    assert (ka > kb) - (ka < kb) == _order(a, b)


def _satisfies(row: list[dict], prefix: list[dict], op: str | None, values: list[dict]) -> bool:
    if any(compare(x, y) != 0 for x, y in zip(row, prefix, strict=False)):
        return False
    if op is None:
        return True
    v = row[len(prefix)]
    if op == "begins_with":
        (tag, inner), (_, start) = next(iter(v.items())), next(iter(values[0].items()))
        return tag in ("S", "B") and inner.startswith(start)
    c = compare(v, values[0])
    if op == "BETWEEN":
        return c >= 0 and compare(v, values[1]) <= 0
    return {"=": c == 0, "<": c < 0, "<=": c <= 0, ">": c > 0, ">=": c >= 0}[op]


def _within(key: bytes, low, high) -> bool:
    if low is not None and not (key >= low[0] if low[1] else key > low[0]):
        return False
    return high is None or (key <= high[0] if high[1] else key < high[0])


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_bounds_select_exactly_the_matching_keys(data):
    kinds = data.draw(_kinds)
    rows = data.draw(_tuples(kinds, 12))
    used = data.draw(st.integers(min_value=0, max_value=len(kinds) - 1))
    prefix = rows[0][:used] if data.draw(st.booleans()) else [data.draw(_value(k)) for k in kinds[:used]]
    prefix = [validate_value(v) for v in prefix]
    ops = ["=", "<", "<=", ">", ">=", "BETWEEN", None] + (["begins_with"] if kinds[used] != "N" else [])
    op = data.draw(st.sampled_from(ops))
    values = sorted(
        [validate_value(data.draw(_value(kinds[used]))) for _ in range(2)],
        key=lambda v: key_of([v]),
    )
    low, high = composite_bounds(prefix, op, values)
    for row in rows:
        assert _within(key_of(row), low, high) == _satisfies(row, prefix, op, values), (
            row,
            prefix,
            op,
            values,
        )
