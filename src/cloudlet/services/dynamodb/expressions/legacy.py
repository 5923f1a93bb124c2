"""The legacy (pre-expression) parameters, converted into the same trees expressions parse to.

Covers Expected (+ConditionalOperator), QueryFilter/ScanFilter (+ConditionalOperator),
AttributesToGet, KeyConditions and AttributeUpdates, with AWS's validation messages,
and the rule that one request may not mix legacy and expression parameters.
"""

from __future__ import annotations

from cloudlet.services.dynamodb.values import compare, validate_value

from .ast import (
    AddAction,
    And,
    Between,
    Compare,
    DeleteAction,
    Elements,
    Function,
    In,
    Not,
    Or,
    Path,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from .errors import invalid, invalid_param
from .keys import KeyCondition, KeyPart, KeySchema, is_multi, resolve_key_schema

# Per operation: legacy parameters, then expression parameters, in the order AWS lists them.
_PARAMETERS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "GetItem": (("AttributesToGet",), ("ProjectionExpression",)),
    "PutItem": (("Expected", "ConditionalOperator"), ("ConditionExpression",)),
    "DeleteItem": (("Expected", "ConditionalOperator"), ("ConditionExpression",)),
    "UpdateItem": (
        ("AttributeUpdates", "Expected", "ConditionalOperator"),
        ("UpdateExpression", "ConditionExpression"),
    ),
    "Query": (
        ("AttributesToGet", "QueryFilter", "ConditionalOperator", "KeyConditions"),
        ("ProjectionExpression", "FilterExpression", "KeyConditionExpression"),
    ),
    "Scan": (
        ("AttributesToGet", "ScanFilter", "ConditionalOperator"),
        ("ProjectionExpression", "FilterExpression"),
    ),
}
_CONDITIONS_PARAMETER = {"Query": "QueryFilter", "Scan": "ScanFilter"}

_ARGUMENTS = {
    "EQ": 1,
    "NE": 1,
    "LE": 1,
    "LT": 1,
    "GE": 1,
    "GT": 1,
    "CONTAINS": 1,
    "NOT_CONTAINS": 1,
    "BEGINS_WITH": 1,
    "NULL": 0,
    "NOT_NULL": 0,
    "BETWEEN": 2,
}
_SCALARS = frozenset({"S", "N", "B"})
_ALLOWED_TYPES = {
    "LE": _SCALARS,
    "LT": _SCALARS,
    "GE": _SCALARS,
    "GT": _SCALARS,
    "IN": _SCALARS,
    "BETWEEN": _SCALARS,
    "BEGINS_WITH": frozenset({"S", "B"}),
    "CONTAINS": frozenset({"S", "N", "B", "BOOL", "NULL"}),
    "NOT_CONTAINS": frozenset({"S", "N", "B", "BOOL", "NULL"}),
}
_COMPARATORS = {"EQ": "=", "NE": "<>", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">"}
_KEY_OPERATORS = {"EQ": "=", "LE": "<=", "LT": "<", "GE": ">=", "GT": ">", "BETWEEN": "BETWEEN"}
_SET_TYPES = frozenset({"SS", "NS", "BS"})


def check_parameters(operation: str, params: dict) -> None:
    """Refuse a request mixing legacy and expression parameters, or misusing ConditionalOperator.

    ``operation`` is GetItem (also for BatchGetItem / TransactGetItems entries), PutItem,
    DeleteItem, UpdateItem, Query or Scan.
    """
    legacy_names, expression_names = _PARAMETERS[operation]
    has_key_expression = params.get("KeyConditionExpression") is not None
    legacy = [
        name
        for name in legacy_names
        if params.get(name) is not None and (name != "KeyConditions" or has_key_expression)
    ]
    expressions = [name for name in expression_names if params.get(name) is not None]
    if legacy and expressions:
        raise invalid(
            "Can not use both expression and non-expression parameters in the same request: "
            f"Non-expression parameters: {{{', '.join(legacy)}}} "
            f"Expression parameters: {{{', '.join(expressions)}}}"
        )
    if params.get("ConditionalOperator") is not None:
        conditions = params.get(_CONDITIONS_PARAMETER.get(operation, "Expected"))
        if not conditions:
            raise invalid("ConditionalOperator cannot be used without Filter or Expected")
        if len(conditions) < 2:
            raise invalid(
                "ConditionalOperator can only be used when Filter or Expected has two or more elements"
            )


def _values(name: str, spec: dict) -> list[dict]:
    """The validated values of one ComparisonOperator entry, after AWS's structural checks."""
    has_list, has_value = "AttributeValueList" in spec, "Value" in spec
    if has_list and has_value:
        raise invalid_param(f"Value and AttributeValueList cannot be used together for Attribute: {name}")
    raw = spec.get("AttributeValueList") if has_list else [spec["Value"]] if has_value else []
    operator = spec["ComparisonOperator"]
    if "Exists" in spec:
        raise invalid_param(f"Exists and ComparisonOperator cannot be used together for Attribute: {name}")
    if operator not in ("NULL", "NOT_NULL") and not (has_list or has_value):
        raise invalid_param(
            f"Value or AttributeValueList must be used with ComparisonOperator: {operator} for Attribute: {name}"
        )
    wanted = _ARGUMENTS.get(operator)
    if (len(raw) != wanted) if wanted is not None else not raw:
        raise invalid_param(f"Invalid number of argument(s) for the {operator} ComparisonOperator")
    return [validate_value(value) for value in raw]


def _check_types(operator: str, values: list[dict]) -> None:
    types = [next(iter(value)) for value in values]
    if len(set(types)) > 1:
        raise invalid_param("AttributeValues inside AttributeValueList must be of same type")
    allowed = _ALLOWED_TYPES.get(operator)
    if allowed is not None and types and types[0] not in allowed:
        raise invalid_param(f"ComparisonOperator {operator} is not valid for {types[0]} AttributeValue type")
    if operator == "BETWEEN" and (compare(values[0], values[1]) or 0) > 0:
        raise invalid(
            "The BETWEEN condition was provided a range where the lower bound is greater than the upper bound"
        )


def _node(name: str, operator: str, values: list[dict]) -> object:
    path = Path((name,))
    operands = tuple(Value(value) for value in values)
    if operator in _COMPARATORS:
        return Compare(_COMPARATORS[operator], path, operands[0])
    if operator == "NULL":
        return Function("attribute_not_exists", (path,))
    if operator == "NOT_NULL":
        return Function("attribute_exists", (path,))
    if operator == "CONTAINS":
        return Function("contains", (path, operands[0]))
    if operator == "NOT_CONTAINS":
        return And(Function("attribute_exists", (path,)), Not(Function("contains", (path, operands[0]))))
    if operator == "BEGINS_WITH":
        return Function("begins_with", (path, operands[0]))
    if operator == "IN":
        return In(path, operands)
    return Between(path, operands[0], operands[1])


def _combine(nodes: list, conditional_operator: str | None) -> object:
    joiner = Or if conditional_operator == "OR" else And
    result = nodes[0]
    for node in nodes[1:]:
        result = joiner(result, node)
    return result


def expected_condition(expected: dict, conditional_operator: str | None = None) -> object | None:
    """The condition an ``Expected`` map stands for (None when it is empty)."""
    nodes = []
    for name, spec in expected.items():
        if "ComparisonOperator" in spec:
            operator = spec["ComparisonOperator"]
            values = _values(name, spec)
            _check_types(operator, values)
            nodes.append(_node(name, operator, values))
            continue
        if "AttributeValueList" in spec:
            raise invalid_param(
                f"AttributeValueList can only be used with a ComparisonOperator for Attribute: {name}"
            )
        exists = spec.get("Exists")
        if exists is False:
            if "Value" in spec:
                raise invalid_param(f"Value cannot be used when Exists is false for Attribute: {name}")
            nodes.append(Function("attribute_not_exists", (Path((name,)),)))
            continue
        if "Value" not in spec:
            state = "null" if exists is None else "true"
            raise invalid_param(f"Value must be provided when Exists is {state} for Attribute: {name}")
        nodes.append(Compare("=", Path((name,)), Value(validate_value(spec["Value"]))))
    return _combine(nodes, conditional_operator) if nodes else None


def filter_condition(conditions: dict, conditional_operator: str | None = None) -> object | None:
    """The condition a ``QueryFilter`` / ``ScanFilter`` map stands for (None when it is empty)."""
    nodes = []
    for name, spec in conditions.items():
        operator = spec["ComparisonOperator"]
        values = _values(name, spec)
        _check_types(operator, values)
        nodes.append(_node(name, operator, values))
    return _combine(nodes, conditional_operator) if nodes else None


def attributes_to_get(names: list[str]) -> list[Elements]:
    """``AttributesToGet`` as projection paths."""
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise invalid_param(f"Duplicate value in attribute name: {name}")
        seen.add(name)
    return [(name,) for name in names]


def key_conditions(conditions: dict, key_schema: KeySchema) -> KeyCondition:
    """``KeyConditions`` as a KeyCondition for a key schema mapping HASH/RANGE to names."""
    if not conditions or (len(conditions) > 2 and not is_multi(key_schema)):
        raise invalid("Conditions can be of length 1 or 2 only")
    parts = []
    for name, spec in conditions.items():
        operator = spec["ComparisonOperator"]
        values = _values(name, spec)
        _check_types(operator, values)
        if operator == "BEGINS_WITH":
            parts.append(KeyPart(name, "begins_with", tuple(values)))
        elif operator in _KEY_OPERATORS:
            parts.append(KeyPart(name, _KEY_OPERATORS[operator], tuple(values)))
        else:
            raise invalid("Query key condition not supported")
    return resolve_key_schema(parts, key_schema)


def attribute_updates(updates: dict) -> Update:
    """``AttributeUpdates`` as an Update (PUT sets, DELETE removes or subtracts from a set, ADD adds)."""
    actions: list = []
    for name, spec in updates.items():
        action = spec.get("Action") or "PUT"
        raw = spec.get("Value")
        if raw is None:
            if action != "DELETE":
                raise invalid_param("Only DELETE action is allowed when no attribute value is specified")
            actions.append(RemoveAction(Path((name,))))
            continue
        value = validate_value(raw)
        type_name = next(iter(value))
        if action == "DELETE":
            if type_name not in _SET_TYPES:
                raise invalid_param(f"DELETE action with value is not supported for the type {type_name}")
            actions.append(DeleteAction(Path((name,)), Value(value), legacy=True))
        elif action == "ADD":
            if type_name not in _SET_TYPES and type_name not in ("N", "L"):
                raise invalid_param(f"ADD action is not supported for the type {type_name}")
            actions.append(AddAction(Path((name,)), Value(value), legacy=True))
        else:
            actions.append(SetAction(Path((name,)), Value(value)))
    return Update(tuple(actions))
