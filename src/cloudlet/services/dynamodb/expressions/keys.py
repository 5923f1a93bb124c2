"""KeyConditionExpression: the partition key value and an optional sort-key condition."""

from __future__ import annotations

from dataclasses import dataclass

from cloudlet.services.dynamodb.values import compare, values_equal

from .ast import And, Between, Compare, Function, Path, Size, Value
from .errors import invalid
from .evaluate import begins_with
from .names import ExpressionContext
from .parser import CONDITION_KEYWORDS, parse_cached

_FLIPPED = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
_RANGE_TESTS = {
    "<": lambda c: c < 0,
    "<=": lambda c: c <= 0,
    ">": lambda c: c > 0,
    ">=": lambda c: c >= 0,
}


@dataclass(frozen=True, slots=True)
class KeyCondition:
    """What a Query selects: one partition key value, optionally narrowed on the sort key.

    ``range_op`` is one of ``= < <= > >= BETWEEN begins_with`` (None without a sort-key
    condition); ``range_values`` holds its one value, or the two bounds of BETWEEN.
    """

    hash_name: str
    hash_value: dict
    range_name: str | None = None
    range_op: str | None = None
    range_values: tuple[dict, ...] = ()

    def matches_range(self, value: dict | None) -> bool:
        """Whether a sort-key value satisfies the sort-key condition (True when there is none)."""
        if self.range_op is None:
            return True
        if value is None:
            return False
        if self.range_op == "=":
            return values_equal(value, self.range_values[0])
        if self.range_op == "begins_with":
            return begins_with(value, self.range_values[0])
        if self.range_op == "BETWEEN":
            low, high = compare(value, self.range_values[0]), compare(value, self.range_values[1])
            return low is not None and high is not None and low >= 0 and high <= 0
        order = compare(value, self.range_values[0])
        return order is not None and _RANGE_TESTS[self.range_op](order)


@dataclass(frozen=True, slots=True)
class KeyPart:
    """One key attribute's condition: its name, operator and values."""

    name: str
    op: str
    values: tuple[dict, ...]


def _unsupported(node: object) -> str | None:
    """The first operator a key condition may not use, in AWS's reading order."""
    if isinstance(node, And):
        return _unsupported(node.left) or _unsupported(node.right)
    if isinstance(node, Compare):
        return "<>" if node.op == "<>" else None
    if isinstance(node, Between):
        return None
    if isinstance(node, Function):
        return None if node.name == "begins_with" else node.name
    return type(node).__name__.upper()  # Or, Not, In


def _flatten(node: object) -> list:
    if isinstance(node, And):
        return _flatten(node.left) + _flatten(node.right)
    return [node]


def _part(node: object) -> KeyPart:
    if isinstance(node, Compare):
        operands, op = (node.left, node.right), node.op
    elif isinstance(node, Between):
        operands, op = (node.operand, node.low, node.high), "BETWEEN"
    else:
        operands, op = node.args, "begins_with"
    if op in ("BETWEEN", "begins_with") and not isinstance(operands[0], Path):
        raise invalid(
            f"Invalid condition in KeyConditionExpression: {op} operator must have the key attribute as its first operand"
        )
    key: Path | None = None
    for operand in operands:
        if isinstance(operand, Size):
            raise invalid("KeyConditionExpressions cannot contain nested operations")
        if isinstance(operand, Path):
            if key is not None:
                raise invalid(
                    "Invalid condition in KeyConditionExpression: Multiple attribute names used in one condition"
                )
            if len(operand.elements) > 1:
                raise invalid("KeyConditionExpressions cannot have conditions on nested attributes")
            key = operand
    if key is None:
        raise invalid("Invalid condition in KeyConditionExpression: No key attribute specified")
    if op in _FLIPPED and operands[1] is key:
        op = _FLIPPED[op]
    values = tuple(o.value for o in operands if isinstance(o, Value))
    return KeyPart(key.elements[0], op, values)


def key_condition(condition: object, key_schema: dict[str, str]) -> KeyCondition:
    """Check a parsed condition against AWS's key-condition rules and the key schema."""
    operator = _unsupported(condition)
    if operator is not None:
        raise invalid(f"Invalid operator used in KeyConditionExpression: {operator}")
    parts = [_part(node) for node in _flatten(condition)]
    names = [part.name for part in parts]
    if len(set(names)) != len(names):
        raise invalid("KeyConditionExpressions must only contain one condition per key")
    if len(parts) > 2:
        raise invalid("Conditions can be of length 1 or 2 only")
    return resolve_key_schema(parts, key_schema)


def resolve_key_schema(parts: list[KeyPart], key_schema: dict[str, str]) -> KeyCondition:
    hash_name, range_name = key_schema["HASH"], key_schema.get("RANGE")
    hash_part = next((part for part in parts if part.name == hash_name), None)
    if hash_part is None:
        raise invalid(f"Query condition missed key schema element: {hash_name}")
    if hash_part.op != "=":
        raise invalid("Query key condition not supported")
    others = [part for part in parts if part is not hash_part]
    if not others:
        return KeyCondition(hash_name, hash_part.values[0])
    (other,) = others
    if other.name != range_name:
        if range_name is None:
            raise invalid("Query key condition not supported")
        raise invalid(f"Query condition missed key schema element: {range_name}")
    return KeyCondition(hash_name, hash_part.values[0], range_name, other.op, other.values)


def parse_key_condition(text: str, ctx: ExpressionContext, key_schema: dict[str, str]) -> KeyCondition:
    """Parse a KeyConditionExpression for a table or index whose key schema maps HASH/RANGE to names."""
    condition = parse_cached("KeyConditionExpression", text, ctx, CONDITION_KEYWORDS, "condition")
    return key_condition(condition, key_schema)
