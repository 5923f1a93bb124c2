"""Workflow variables: ``Assign`` blocks, their scopes, names and size limits.

A ``Scope`` holds the variables one workflow level assigned; each Map iteration and Parallel
branch runs in a ``child()`` that reads its enclosing scopes' variables and whose own
assignments end with it. ``assign`` evaluates every value of a block against the variables as
they were before the block (AWS assigns them in parallel), then stores them all.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from . import jsonata, payload
from .env import Env
from .errors import DATA_LIMIT_EXCEEDED, RUNTIME, StatesError
from .payload import Where

JSONPATH = "JSONPath"
JSONATA = "JSONata"
MAX_NAME_LENGTH = 80
RESERVED = frozenset({"states"})
MAX_VARIABLE_BYTES = 256 * 1024  # one variable
MAX_ASSIGN_BYTES = 256 * 1024  # all the values of one Assign block
MAX_TOTAL_BYTES = 10 * 1024 * 1024  # every variable stored (here: every scope visible from a state)


class Scope(Mapping[str, Any]):
    """Variables by name; a name missing here is looked up in the enclosing scopes."""

    def __init__(self, values: Mapping[str, Any] | None = None, parent: Scope | None = None) -> None:
        self.parent = parent
        self._values: dict[str, Any] = {}
        self._sizes: dict[str, int] = {}
        for name, value in (values or {}).items():
            self.set(name, value)

    def child(self) -> Scope:
        """A scope for a Map iteration or Parallel branch, reading this one."""
        return Scope(parent=self)

    def set(self, name: str, value: Any) -> None:
        """Assign ``name`` in this scope (an enclosing scope's value is shadowed, not changed)."""
        self._values[name] = value
        self._sizes[name] = size_of(value)

    @property
    def own(self) -> dict[str, Any]:
        """The variables assigned in this scope only."""
        return dict(self._values)

    def visible(self) -> dict[str, Any]:
        """Every variable this scope can read, inner scopes winning."""
        outer = self.parent.visible() if self.parent else {}
        return {**outer, **self._values}

    def own_bytes(self, names: Iterable[str]) -> int:
        """The size of this scope's own values of ``names``."""
        return sum(self._sizes.get(name, 0) for name in names)

    def total_bytes(self) -> int:
        """The size of the variables this scope and its enclosing scopes hold."""
        return sum(self._sizes.values()) + (self.parent.total_bytes() if self.parent else 0)

    def __getitem__(self, name: str) -> Any:
        scope: Scope | None = self
        while scope is not None:
            if name in scope._values:
                return scope._values[name]
            scope = scope.parent
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        scope: Scope | None = self
        while scope is not None:
            if name in scope._values:
                return True
            scope = scope.parent
        return False

    def __iter__(self) -> Iterator[str]:
        return iter(self.visible())

    def __len__(self) -> int:
        return len(self.visible())

    def __repr__(self) -> str:
        return f"Scope({self._values!r}, parent={self.parent!r})"


def size_of(value: Any) -> int:
    """A value's size as AWS counts it: its compact JSON in UTF-8 (# unverified)."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def name_problem(name: str) -> str | None:
    """Why ``name`` can't be a variable (None when it can): Unicode identifier, ≤ 80, not ``states``."""
    if not name:
        return "a variable name must not be empty"  # unverified wording
    if len(name) > MAX_NAME_LENGTH:
        return f"a variable name must be at most {MAX_NAME_LENGTH} characters"  # unverified wording
    if not name.isidentifier():  # Unicode ID_Start then ID_Continue (Python also allows a leading _)
        return "a variable name must start with a letter and contain only letters, digits and _"  # unverified
    if name in RESERVED:
        return f"'{name}' is a reserved variable name"  # unverified wording
    return None


def assign(
    scope: Scope,
    assignments: Mapping[str, Any],
    env: Env,
    query_language: str = JSONPATH,
    *,
    where: Where | None = None,
    now: float | None = None,
) -> dict[str, Any]:
    """Evaluate an ``Assign`` block and store it in ``scope``; returns what it assigned.

    ``env`` gives the input (and ``$states.result``/``errorOutput``) the values read; its
    variables are replaced by ``scope``'s, as they are before the block. In JSONPath mode keys
    ending in ``.$`` hold paths or intrinsic functions; in JSONata mode ``{% %}`` strings are
    expressions. The result (names without ``.$``) is what the history's
    ``assignedVariables`` shows.
    """
    before = dataclasses.replace(env, variables=scope.visible())
    if query_language == JSONATA:
        values = jsonata.render(dict(assignments), before, "Assign", now=now, where=where)
    else:
        values = payload.render(dict(assignments), before, "Assign", where=where)
    _check(values, scope, where)
    for name, value in values.items():
        scope.set(name, value)
    return values


def _check(values: dict[str, Any], scope: Scope, where: Where | None) -> None:
    def fail(error: str, text: str) -> StatesError:
        return StatesError(error, where.cause(text) if where else text)

    block = 0
    for name, value in values.items():
        problem = name_problem(name)
        if problem:
            raise fail(RUNTIME, f"Invalid variable name '{name}': {problem}")  # unverified
        size = size_of(value)
        if size > MAX_VARIABLE_BYTES:
            raise fail(
                DATA_LIMIT_EXCEEDED,
                f"The variable '{name}' has a size of {size} bytes, exceeding the maximum of "
                f"{MAX_VARIABLE_BYTES} bytes.",  # unverified wording
            )
        block += size
    if block > MAX_ASSIGN_BYTES:
        raise fail(
            DATA_LIMIT_EXCEEDED,
            f"The Assign block has a size of {block} bytes, exceeding the maximum of "
            f"{MAX_ASSIGN_BYTES} bytes.",  # unverified wording
        )
    total = scope.total_bytes() - scope.own_bytes(values) + block
    if total > MAX_TOTAL_BYTES:
        raise fail(
            DATA_LIMIT_EXCEEDED,
            f"The variables have a total size of {total} bytes, exceeding the maximum of "
            f"{MAX_TOTAL_BYTES} bytes.",  # unverified wording
        )
