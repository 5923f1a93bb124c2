"""WHERE evaluation with DynamoDB condition semantics (two-valued; a missing attribute compares false)."""

from __future__ import annotations

from cloudlet.services.dynamodb.partiql.ast import (
    Between,
    Call,
    Compare,
    Expr,
    In,
    Is,
    Literal,
    Logical,
    Not,
    Path,
)
from cloudlet.services.dynamodb.partiql.projection import resolve
from cloudlet.services.dynamodb.values import compare, value_type, values_equal

# What each IS type name holds, as AttributeValue tags.
_IS_TAGS = {
    "NULL": ("NULL",),
    "BOOLEAN": ("BOOL",),
    "BLOB": ("B",),
    "STRING": ("S",),
    "NUMERIC": ("N",),
    "STRUCT": ("M",),
    "TUPLE": ("M",),
    "LIST": ("L",),
}
_ORDER = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def evaluate_where(expr: Expr | None, item: dict) -> bool:
    """Whether ``item`` satisfies a parsed WHERE condition (None: no WHERE, every item does)."""
    return expr is None or _truth(expr, item)


def operand(node: Expr, item: dict) -> dict | None:
    """The value of a path, literal or ``size(path)`` against ``item``; None when absent."""
    if isinstance(node, Literal):
        return node.value
    if isinstance(node, Path):
        return resolve(item, node.steps)
    if isinstance(node, Call) and node.name == "size":
        return _size(operand(node.args[0], item))
    return None


def _size(value: dict | None) -> dict | None:
    """A string's length in UTF-16 code units, a binary's bytes, a set's, list's or map's members."""
    if value is None:
        return None
    tag = value_type(value)
    if tag == "S":
        return {"N": str(len(value["S"].encode("utf-16-le")) // 2)}
    if tag in ("B", "SS", "NS", "BS", "L", "M"):
        return {"N": str(len(value[tag]))}
    return None


def _truth(node: Expr, item: dict) -> bool:
    if isinstance(node, Logical):
        if node.op == "AND":
            return _truth(node.left, item) and _truth(node.right, item)
        return _truth(node.left, item) or _truth(node.right, item)
    if isinstance(node, Not):
        return not _truth(node.operand, item)
    if isinstance(node, Compare):
        left, right = operand(node.left, item), operand(node.right, item)
        if node.op in ("=", "<>", "!="):
            equal = left is not None and right is not None and values_equal(left, right)
            return equal if node.op == "=" else not equal
        order = None if left is None or right is None else compare(left, right)
        return order is not None and _ORDER[node.op](order)
    if isinstance(node, Between):
        value = operand(node.operand, item)
        low, high = operand(node.low, item), operand(node.high, item)
        if value is None or low is None or high is None:
            return False
        above, below = compare(value, low), compare(value, high)
        return above is not None and below is not None and above >= 0 and below <= 0
    if isinstance(node, In):
        value = operand(node.operand, item)
        options = [operand(option, item) for option in node.options]
        return value is not None and any(o is not None and values_equal(value, o) for o in options)
    if isinstance(node, Is):
        return _is(operand(node.operand, item), node.type_name) != node.negated
    if isinstance(node, Call):
        return _function(node, item)
    return False


def _is(value: dict | None, type_name: str) -> bool:
    if type_name == "MISSING":
        return value is None
    return value is not None and value_type(value) in _IS_TAGS[type_name]


def _function(call: Call, item: dict) -> bool:
    value = operand(call.args[0], item)
    if call.name == "attribute_exists":
        return value is not None
    if call.name == "attribute_not_exists":
        return value is None
    other = operand(call.args[1], item)
    if value is None or other is None:
        return False
    tag, other_tag = value_type(value), value_type(other)
    if call.name == "attribute_type":
        return other_tag == "S" and tag == other["S"]
    if call.name == "begins_with":
        return tag == other_tag and tag in ("S", "B") and value[tag].startswith(other[tag])
    # contains: a substring of a string, an element of a set, or a member of a list.
    if tag == "S":
        return other_tag == "S" and other["S"] in value["S"]
    if tag in ("SS", "NS", "BS"):
        return tag[0] == other_tag and any(values_equal({other_tag: m}, other) for m in value[tag])
    if tag == "L":
        return any(values_equal(member, other) for member in value["L"])
    return False
