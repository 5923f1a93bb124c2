"""Nodes of parsed expressions.

A document path is a tuple of elements: ``str`` for a map key (or top-level attribute),
``int`` for a list index.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, fields

Elements = tuple[str | int, ...]


# ---------------------------------------------------------------- operands


@dataclass(frozen=True, slots=True)
class Path:
    elements: Elements


@dataclass(frozen=True, slots=True)
class Value:
    value: dict  # the validated AttributeValue; empty when the placeholder is undefined


@dataclass(frozen=True, slots=True)
class Size:
    operand: Operand


# ---------------------------------------------------------------- conditions


@dataclass(frozen=True, slots=True)
class Compare:
    op: str  # = <> < <= > >=
    left: Operand
    right: Operand


@dataclass(frozen=True, slots=True)
class Between:
    operand: Operand
    low: Operand
    high: Operand


@dataclass(frozen=True, slots=True)
class In:
    operand: Operand
    candidates: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class Function:
    """A boolean function: attribute_exists, attribute_not_exists, attribute_type, begins_with, contains."""

    name: str
    args: tuple[Operand, ...]


@dataclass(frozen=True, slots=True)
class And:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Or:
    left: Condition
    right: Condition


@dataclass(frozen=True, slots=True)
class Not:
    operand: Condition


# ---------------------------------------------------------------- update values


@dataclass(frozen=True, slots=True)
class Arith:
    op: str  # + or -
    left: UpdateOperand
    right: UpdateOperand


@dataclass(frozen=True, slots=True)
class IfNotExists:
    path: Path
    default: UpdateOperand


@dataclass(frozen=True, slots=True)
class ListAppend:
    left: UpdateOperand
    right: UpdateOperand


# ---------------------------------------------------------------- update actions


@dataclass(frozen=True, slots=True)
class SetAction:
    path: Path
    value: UpdateOperand


@dataclass(frozen=True, slots=True)
class RemoveAction:
    path: Path


@dataclass(frozen=True, slots=True)
class AddAction:
    """ADD: add a number or union a set. ``legacy`` selects AttributeUpdates semantics (list append, messages)."""

    path: Path
    value: Value
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class DeleteAction:
    """DELETE: remove elements from a set. ``legacy`` selects AttributeUpdates messages."""

    path: Path
    value: Value
    legacy: bool = False


@dataclass(frozen=True, slots=True)
class Update:
    """A parsed update: its actions in order (SET, REMOVE, ADD, DELETE as written)."""

    actions: tuple[SetAction | RemoveAction | AddAction | DeleteAction, ...]

    @property
    def paths(self) -> list[Elements]:
        """The document paths the update writes (for ReturnValues UPDATED_*)."""
        return [action.path.elements for action in self.actions]


Operand = Path | Value | Size
Condition = Compare | Between | In | Function | And | Or | Not
UpdateOperand = Path | Value | Arith | IfNotExists | ListAppend


def paths_in(node: object) -> Iterator[Elements]:
    """Every document path an expression tree (condition, update or operand) mentions."""
    if isinstance(node, Path):
        yield node.elements
    elif isinstance(node, tuple):
        for child in node:
            yield from paths_in(child)
    elif hasattr(node, "__dataclass_fields__") and not isinstance(node, Value):
        for field in fields(node):
            yield from paths_in(getattr(node, field.name))
