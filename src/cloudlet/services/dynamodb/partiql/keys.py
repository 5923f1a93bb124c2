"""What a WHERE clause says about the primary key: point reads, queries, and the key DML needs."""

from __future__ import annotations

from dataclasses import dataclass, field

from cloudlet.services.dynamodb.partiql import errors
from cloudlet.services.dynamodb.partiql.ast import (
    Between,
    Call,
    Compare,
    Exists,
    Expr,
    In,
    Literal,
    Logical,
    Path,
    Select,
)
from cloudlet.services.dynamodb.values import value_type

_KEY_TYPES = ("S", "N", "B")
_MIRROR = {"=": "=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class KeyCondition:
    """How a SELECT can be read as Query(s): partition-key values and an optional sort-key condition.

    ``range_op`` is one of ``= < <= > >= BETWEEN BEGINS_WITH`` over ``range_values``. It only
    narrows the read: the provider still filters every item with ``evaluate_where``.
    """

    hash_values: list[dict]
    range_op: str | None = None
    range_values: list[dict] = field(default_factory=list)


def _conjuncts(expr: Expr | None) -> list[Expr]:
    """The terms ANDed at the top level of a condition."""
    if expr is None:
        return []
    if isinstance(expr, Logical) and expr.op == "AND":
        return _conjuncts(expr.left) + _conjuncts(expr.right)
    return [expr]


def _attribute(node: Expr) -> str | None:
    return node.name if isinstance(node, Path) and len(node.steps) == 1 else None


def _values(*nodes: Expr) -> list[dict] | None:
    return [node.value for node in nodes] if all(isinstance(n, Literal) for n in nodes) else None  # type: ignore[union-attr]


def _key_term(node: Expr) -> tuple[str, str, list[dict]] | None:
    """``(attribute, op, values)`` for a comparison of a top-level attribute with literals."""
    name, op, values = None, "", None
    if isinstance(node, Compare) and node.op in _MIRROR:
        name, op, values = _attribute(node.left), node.op, _values(node.right)
        if name is None:
            name, op, values = _attribute(node.right), _MIRROR[node.op], _values(node.left)
    elif isinstance(node, Between):
        name, op, values = _attribute(node.operand), "BETWEEN", _values(node.low, node.high)
    elif isinstance(node, In):
        name, op, values = _attribute(node.operand), "IN", _values(*node.options)
    elif isinstance(node, Call) and node.name == "begins_with":
        name, op, values = _attribute(node.args[0]), "BEGINS_WITH", _values(node.args[1])
    return None if name is None or values is None else (name, op, values)


def key_equalities(expr: Expr | None, attribute_names: set[str]) -> dict[str, dict]:
    """The ``attribute = literal`` terms ANDed at the top level of ``expr`` for the given attributes."""
    found: dict[str, dict] = {}
    for term in _conjuncts(expr):
        parts = _key_term(term)
        if parts and parts[1] == "=" and parts[0] in attribute_names:
            found.setdefault(parts[0], parts[2][0])
    return found


def require_key(expr: Expr | None, key_names: list[str], message: str = errors.INCOMPLETE_KEY) -> dict:
    """The full primary key a WHERE names by equality, or AWS's ValidationException.

    ``message`` is the error when a key attribute has no equality (UPDATE/DELETE by default;
    pass ``errors.TRANSACTION_SELECT_KEY``/``errors.BATCH_SELECT_KEY`` for those reads).
    """
    terms = [parts for parts in map(_key_term, _conjuncts(expr)) if parts and parts[0] in key_names]
    for name in key_names:
        if sum(parts[0] == name for parts in terms) > 1:
            raise errors.invalid(errors.MULTIPLE_KEY_CONDITIONS.format(name))
    key = key_equalities(expr, set(key_names))
    if len(key) != len(key_names):
        raise errors.invalid(message)
    for name in key_names:
        if value_type(key[name]) not in _KEY_TYPES:
            raise errors.invalid(errors.KEY_TYPE.format(name, value_type(key[name])))
    return {name: key[name] for name in key_names}


def residual_condition(expr: Expr | None, key_names: list[str]) -> Expr | None:
    """``expr`` without the key equalities ``require_key`` used: the condition left on the item."""
    used = set()
    rest: Expr | None = None
    for term in _conjuncts(expr):
        parts = _key_term(term)
        if parts and parts[1] == "=" and parts[0] in key_names and parts[0] not in used:
            used.add(parts[0])
            continue
        rest = term if rest is None else Logical("AND", rest, term)
    return rest


def exists_key(exists: Exists, key_names: list[str]) -> dict:
    """The key an ``EXISTS(SELECT ...)`` checks; it must name the full key and one more condition."""
    key = require_key(exists.select.where, key_names, errors.EXISTS_SHAPE)
    if residual_condition(exists.select.where, key_names) is None:
        raise errors.invalid(errors.EXISTS_SHAPE)
    return key


def _hash_values(node: Expr, hash_key: str) -> list[dict] | None:
    if isinstance(node, Logical) and node.op == "OR":
        left, right = _hash_values(node.left, hash_key), _hash_values(node.right, hash_key)
        return None if left is None or right is None else left + [v for v in right if v not in left]
    parts = _key_term(node)
    if parts and parts[0] == hash_key and parts[1] in ("=", "IN"):
        return parts[2]
    return None


def key_condition(expr: Expr | None, hash_key: str, range_key: str | None = None) -> KeyCondition | None:
    """How to read a SELECT's WHERE by key (``hash_key`` = or IN, OR of those), or None for a scan."""
    terms = _conjuncts(expr)
    for term in terms:
        values = _hash_values(term, hash_key)
        if values is not None and all(value_type(v) in _KEY_TYPES for v in values):
            break
    else:
        return None
    for term in terms:
        parts = _key_term(term)
        if not (range_key and parts and parts[0] == range_key and parts[1] != "IN"):
            continue
        if all(value_type(v) in _KEY_TYPES for v in parts[2]):
            return KeyCondition(values, parts[1], parts[2])
    return KeyCondition(values)


def check_order_by(select: Select, hash_key: str, range_key: str | None = None) -> None:
    """Refuse an ORDER BY DynamoDB cannot serve from the key schema of the table or index read."""
    names = [name for name, _ in select.order_by]
    if not names:
        return
    for name in names:
        if name not in (hash_key, range_key):
            raise errors.invalid(errors.ORDER_BY_NOT_KEY.format(name))
    condition = key_condition(select.where, hash_key, range_key)
    if condition is None:
        raise errors.invalid(errors.ORDER_BY_NO_HASH)
    if len(condition.hash_values) > 1 and hash_key not in names:
        raise errors.invalid(errors.ORDER_BY_HASH_NEEDED)


def insert_key(item: dict, key_types: dict[str, str]) -> dict:
    """The key of an INSERT's item, given each key attribute's type (S, N or B) in the schema."""
    for name, kind in key_types.items():
        if name not in item:
            raise errors.invalid(errors.KEY_ABSENT.format(name))
        if value_type(item[name]) != kind:
            raise errors.invalid(errors.KEY_SCHEMA_MISMATCH.format(name))
    return {name: item[name] for name in key_types}
