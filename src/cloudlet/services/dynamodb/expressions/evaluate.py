"""Evaluating parsed conditions against an item, with DynamoDB's semantics.

A path that does not resolve, or comparing values of different types, makes a
comparison false (and ``<>`` true); functions on the wrong types are false.
"""

from __future__ import annotations

from collections.abc import Callable

from cloudlet.services.dynamodb.values import compare, value_type, values_equal

from .ast import And, Between, Compare, Elements, Function, In, Not, Or, Path, Size, Value


def resolve(elements: Elements, item: dict) -> dict | None:
    """The value at a document path in an item, or None when the path does not resolve."""
    value = item.get(elements[0])
    for element in elements[1:]:
        if value is None:
            return None
        if isinstance(element, int):
            items = value.get("L")
            value = items[element] if items is not None and element < len(items) else None
        else:
            members = value.get("M")
            value = members.get(element) if members is not None else None
    return value


def size_of(value: dict | None) -> dict | None:
    """``size()``: string length in UTF-16 code units, bytes of a binary, elements of a set, list or map."""
    if value is None:
        return None
    ((tag, inner),) = value.items()
    if tag == "S":
        return {"N": str(len(inner.encode("utf-16-le")) // 2)}
    if tag in ("B", "SS", "NS", "BS", "L", "M"):
        return {"N": str(len(inner))}
    return None


def operand_value(node: object, item: dict) -> dict | None:
    """The value of an operand (path, placeholder or size) for an item."""
    if isinstance(node, Path):
        return resolve(node.elements, item)
    if isinstance(node, Value):
        return node.value
    assert isinstance(node, Size)
    return size_of(operand_value(node.operand, item))


def _equal(a: dict | None, b: dict | None) -> bool:
    return a is not None and b is not None and values_equal(a, b)


_ORDER_TESTS: dict[str, Callable[[int], bool]] = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


def _compare(node: Compare, item: dict) -> bool:
    left = operand_value(node.left, item)
    right = operand_value(node.right, item)
    if node.op == "=":
        return _equal(left, right)
    if node.op == "<>":
        return not _equal(left, right)
    if left is None or right is None:
        return False
    order = compare(left, right)
    return order is not None and _ORDER_TESTS[node.op](order)


def _between(node: Between, item: dict) -> bool:
    value = operand_value(node.operand, item)
    low = operand_value(node.low, item)
    high = operand_value(node.high, item)
    if value is None or low is None or high is None:
        return False
    above, below = compare(value, low), compare(value, high)
    return above is not None and below is not None and above >= 0 and below <= 0


def _in(node: In, item: dict) -> bool:
    value = operand_value(node.operand, item)
    return value is not None and any(_equal(value, operand_value(c, item)) for c in node.candidates)


def begins_with(value: dict | None, prefix: dict | None) -> bool:
    """True for an S or B value starting with a prefix of the same type."""
    if value is None or prefix is None:
        return False
    ((tag, inner),) = value.items()
    return tag in ("S", "B") and tag in prefix and inner.startswith(prefix[tag])


_ELEMENT_TYPES = {"SS": "S", "NS": "N", "BS": "B"}


def contains(container: dict | None, operand: dict | None) -> bool:
    """``contains()``: substring of an S or B, member of a set, element of a list."""
    if container is None or operand is None:
        return False
    ((tag, inner),) = container.items()
    ((operand_tag, operand_inner),) = operand.items()
    if tag in ("S", "B"):
        return operand_tag == tag and operand_inner in inner
    if tag in _ELEMENT_TYPES:
        if operand_tag != _ELEMENT_TYPES[tag]:
            return False
        return any(values_equal({operand_tag: member}, operand) for member in inner)
    if tag == "L":
        return any(values_equal(element, operand) for element in inner)
    return False


def _function(node: Function, item: dict) -> bool:
    name, args = node.name, node.args
    if name == "attribute_exists":
        return operand_value(args[0], item) is not None
    if name == "attribute_not_exists":
        return operand_value(args[0], item) is None
    if name == "attribute_type":
        value = operand_value(args[0], item)
        wanted = operand_value(args[1], item)
        return value is not None and wanted is not None and value_type(value) == wanted.get("S")
    if name == "begins_with":
        return begins_with(operand_value(args[0], item), operand_value(args[1], item))
    return contains(operand_value(args[0], item), operand_value(args[1], item))


def evaluate(condition: object, item: dict) -> bool:
    """Whether an item satisfies a parsed condition (an empty dict stands for a missing item)."""
    if isinstance(condition, Compare):
        return _compare(condition, item)
    if isinstance(condition, And):
        return evaluate(condition.left, item) and evaluate(condition.right, item)
    if isinstance(condition, Or):
        return evaluate(condition.left, item) or evaluate(condition.right, item)
    if isinstance(condition, Not):
        return not evaluate(condition.operand, item)
    if isinstance(condition, Function):
        return _function(condition, item)
    if isinstance(condition, Between):
        return _between(condition, item)
    if isinstance(condition, In):
        return _in(condition, item)
    raise TypeError(f"not a condition: {condition!r}")
