"""Applying UPDATE actions to an item, and the rows RETURNING gives back."""

from __future__ import annotations

import copy
from decimal import Decimal

from cloudlet.services.dynamodb.partiql import errors
from cloudlet.services.dynamodb.partiql.ast import (
    Arith,
    Call,
    Delete,
    Expr,
    Literal,
    Path,
    RemoveAction,
    SetAction,
    Step,
    Update,
)
from cloudlet.services.dynamodb.partiql.projection import project_paths, resolve
from cloudlet.services.dynamodb.values import arith, number_text, value_type, values_equal

_REMOVE = object()  # a set_delete that empties the set removes the attribute
_KEEP = object()  # a set_delete on an absent attribute changes nothing


def apply_update(update: Update, item: dict) -> tuple[dict, set[str]]:
    """The item after ``update``'s SET/REMOVE actions, and the names of the top-level attributes they touch.

    Every value is computed from the item as it was (as UpdateItem does); ``item`` is not changed.
    Raises AWS's update-expression errors (wrong operand types, absent operands, invalid paths).
    """
    values = [
        _compute(action.value, item, action.path) if isinstance(action, SetAction) else _REMOVE
        for action in update.actions
    ]
    new = copy.deepcopy(item)
    removals = []
    for action, value in zip(update.actions, values, strict=True):
        if isinstance(action, RemoveAction) or value is _REMOVE:
            removals.append(action.path)
        elif value is not _KEEP:
            _assign(new, action.path.steps, copy.deepcopy(value))  # type: ignore[arg-type]
    # List indexes name elements of the list as it was: remove the highest first.
    for path in sorted(
        removals, key=lambda p: tuple((1, -s) if isinstance(s, int) else (0, s) for s in p.steps)
    ):
        _remove(new, path.steps)
    return new, {action.path.name for action in update.actions}


def returning_values(statement: Update | Delete, old: dict | None, new: dict | None) -> dict | None:
    """The row RETURNING gives for a write from ``old`` to ``new`` (None: no row).

    ``ALL OLD``/``ALL NEW`` give the whole item; ``MODIFIED`` gives only the paths the
    statement set or removed, as they were (OLD) or are (NEW), and no row when none is there.
    """
    which = statement.returning
    source = old if which is not None and which.endswith("OLD") else new
    if which is None or source is None:
        return None
    if which.startswith("ALL"):
        return source
    paths = [action.path for action in statement.actions]  # type: ignore[union-attr]
    return project_paths(paths, source) or None


def _operand(node: Expr, item: dict) -> dict:
    if isinstance(node, Literal):
        return node.value
    value = resolve(item, node.steps)  # type: ignore[union-attr]
    if value is None:
        raise errors.invalid(errors.UPDATE_MISSING_ATTRIBUTE)
    return value


def _compute(node: Expr, item: dict, target: Path) -> object:
    if isinstance(node, Arith):
        left, right = _operand(node.left, item), _operand(node.right, item)
        if value_type(left) != "N" or value_type(right) != "N":
            raise errors.invalid(errors.UPDATE_OPERAND_TYPE)
        return {"N": number_text(arith(node.op, Decimal(left["N"]), Decimal(right["N"])))}
    if not isinstance(node, Call):
        return _operand(node, item)
    if node.name == "list_append":
        first, second = (_operand(arg, item) for arg in node.args)
        if value_type(first) != "L" or value_type(second) != "L":
            raise errors.invalid(errors.UPDATE_OPERAND_TYPE)
        return {"L": first["L"] + second["L"]}
    change = node.args[1].value  # type: ignore[union-attr]
    tag = value_type(change)
    current = resolve(item, target.steps)
    if current is None:
        return change if node.name == "set_add" else _KEEP
    if value_type(current) != tag:
        raise errors.invalid(errors.UPDATE_OPERAND_TYPE)
    scalar = tag[0]

    def member(element: object, elements: list) -> bool:
        return any(values_equal({scalar: element}, {scalar: other}) for other in elements)

    if node.name == "set_add":
        return {tag: current[tag] + [e for e in change[tag] if not member(e, current[tag])]}
    kept = [e for e in current[tag] if not member(e, change[tag])]
    return {tag: kept} if kept else _REMOVE


def _assign(item: dict, steps: tuple[Step, ...], value: dict) -> None:
    if len(steps) == 1:
        item[steps[0]] = value  # type: ignore[index]
        return
    parent, last = resolve(item, steps[:-1]), steps[-1]
    if isinstance(last, int):
        if parent is None or "L" not in parent:
            raise errors.invalid(errors.UPDATE_INVALID_PATH)
        elements = parent["L"]
        if last < len(elements):
            elements[last] = value
        else:
            elements.append(value)
    else:
        if parent is None or "M" not in parent:
            raise errors.invalid(errors.UPDATE_INVALID_PATH)
        parent["M"][last] = value


def _remove(item: dict, steps: tuple[Step, ...]) -> None:
    if len(steps) == 1:
        item.pop(steps[0], None)  # type: ignore[call-overload]
        return
    parent, last = resolve(item, steps[:-1]), steps[-1]
    tag = "L" if isinstance(last, int) else "M"
    if parent is None or tag not in parent:
        raise errors.invalid(errors.UPDATE_INVALID_PATH)
    if isinstance(last, int):
        if last < len(parent["L"]):
            del parent["L"][last]
    else:
        parent["M"].pop(last, None)
