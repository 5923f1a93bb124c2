"""Applying a parsed update to an item, with DynamoDB's semantics and runtime errors.

Every right-hand side reads the item as it was before the update. Containers on a
written path are copied, so the input item is never modified.
"""

from __future__ import annotations

from decimal import Decimal

from cloudlet.services.dynamodb.values import arith, number_text

from .ast import (
    AddAction,
    Arith,
    DeleteAction,
    Elements,
    IfNotExists,
    ListAppend,
    Path,
    RemoveAction,
    SetAction,
    Update,
    Value,
)
from .errors import invalid
from .evaluate import resolve

_SET_TYPES = ("SS", "NS", "BS")


def _invalid_path() -> Exception:
    return invalid("The document path provided in the update expression is invalid for update")


def _bad_type(legacy: bool = False) -> Exception:
    if legacy:
        return invalid("Type mismatch for attribute to update")
    return invalid("An operand in the update expression has an incorrect data type")


def _missing() -> Exception:
    return invalid("The provided expression refers to an attribute that does not exist in the item")


def _operand(node: object, item: dict) -> dict:
    """The value of a SET right-hand side."""
    if isinstance(node, Value):
        return node.value
    if isinstance(node, Path):
        value = resolve(node.elements, item)
        if value is None:
            raise _missing()
        return value
    if isinstance(node, IfNotExists):
        value = resolve(node.path.elements, item)
        return value if value is not None else _operand(node.default, item)
    if isinstance(node, ListAppend):
        left, right = _operand(node.left, item), _operand(node.right, item)
        if "L" not in left or "L" not in right:
            raise _bad_type()
        return {"L": left["L"] + right["L"]}
    assert isinstance(node, Arith)
    left, right = _operand(node.left, item), _operand(node.right, item)
    if "N" not in left or "N" not in right:
        raise _bad_type()
    return {"N": number_text(arith(node.op, Decimal(left["N"]), Decimal(right["N"])))}


def _copy(value: dict) -> dict:
    if "M" in value:
        return {"M": dict(value["M"])}
    if "L" in value:
        return {"L": list(value["L"])}
    return value


def _parent(root: dict, elements: Elements) -> dict | list:
    """The container holding the last element of a nested path, copied for writing."""
    name = elements[0]
    current = root.get(name)
    if current is None:
        raise _invalid_path()
    current = _copy(current)
    root[name] = current
    for element in elements[1:-1]:
        container = current.get("L") if isinstance(element, int) else current.get("M")
        if container is None:
            raise _invalid_path()
        if isinstance(element, int):
            if element >= len(container):
                raise _invalid_path()
        elif element not in container:
            raise _invalid_path()
        child = _copy(container[element])
        container[element] = child
        current = child
    container = current.get("L") if isinstance(elements[-1], int) else current.get("M")
    if container is None:
        raise _invalid_path()
    return container


def _assign(root: dict, elements: Elements, value: dict) -> None:
    if len(elements) == 1:
        root[elements[0]] = value
        return
    container = _parent(root, elements)
    last = elements[-1]
    if isinstance(container, list):
        if last >= len(container):
            container.append(value)
        else:
            container[last] = value
    else:
        container[last] = value


def _remove(root: dict, elements: Elements) -> None:
    if len(elements) == 1:
        root.pop(elements[0], None)
        return
    container = _parent(root, elements)
    last = elements[-1]
    if isinstance(container, list):
        if last < len(container):
            del container[last]
    else:
        container.pop(last, None)


def _add(action: AddAction, current: dict | None) -> dict:
    addend = action.value.value
    if current is None:
        return addend
    ((tag, existing),) = current.items()
    ((addend_tag, extra),) = addend.items()
    if tag != addend_tag:
        raise _bad_type(action.legacy)
    if tag == "N":
        return {"N": number_text(arith("+", Decimal(existing), Decimal(extra)))}
    if tag in _SET_TYPES:
        present = set(existing)
        return {tag: existing + [x for x in extra if x not in present]}
    if tag == "L" and action.legacy:
        return {"L": existing + extra}
    raise _bad_type(action.legacy)


def _delete(action: DeleteAction, current: dict) -> dict | None:
    ((tag, existing),) = current.items()
    ((removed_tag, removed),) = action.value.value.items()
    if tag != removed_tag:
        raise _bad_type(action.legacy)
    gone = set(removed)
    remaining = [x for x in existing if x not in gone]
    return {tag: remaining} if remaining else None


def _removal_order(elements: Elements) -> tuple:
    # Later list indexes first, so removing one never shifts another still to remove.
    return tuple((1, e) if isinstance(e, int) else (0, e) for e in elements)


def apply_update(update: Update, item: dict) -> tuple[dict, list[str]]:
    """Apply an update to an item (``{}`` when absent).

    Returns the new item and the top-level attribute names the update wrote, in the
    order first written (for ReturnValues UPDATED_OLD / UPDATED_NEW).
    """
    new = dict(item)
    removals: list[Elements] = []
    updated: dict[str, None] = {}
    for action in update.actions:
        elements = action.path.elements
        updated[elements[0]] = None
        if isinstance(action, SetAction):
            _assign(new, elements, _operand(action.value, item))
        elif isinstance(action, RemoveAction):
            removals.append(elements)
        elif isinstance(action, AddAction):
            _assign(new, elements, _add(action, resolve(elements, new)))
        else:
            current = resolve(elements, new)
            if current is None:
                if len(elements) > 1:
                    _parent(new, elements)  # a nested path still needs a valid parent
                continue
            remaining = _delete(action, current)
            if remaining is None:
                _remove(new, elements)
            else:
                _assign(new, elements, remaining)
    for elements in sorted(removals, key=_removal_order, reverse=True):
        _remove(new, elements)
    return new, list(updated)
