"""Input validation from the model's constraints, with the messages AWS front ends write.

Messages follow the Coral form: ``Value 'x' at 'memberName' failed to satisfy constraint:
Member must ...``. Paths use lower-camel member names, ``.N.member`` for the structures in
a list and ``.key.member`` for those in a map. A list or map of scalars gets one message at
its own path listing every constraint of its elements (``Member must satisfy constraint:
[...]``, ``Map value must ...``, ``Map keys must ...``), as AWS words it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from cloudlet.protocol.common import lower_first
from cloudlet.protocol.model import Shape

_MAX_ERRORS = 10
_FLOATS = ("float", "double")
_NUMBERS = ("integer", "long", "short", "byte", *_FLOATS)
_NOT_NULL = "Member must not be null"

# (message, check, is_bound): bounds are length and range, the rest pattern and enum
Constraint = tuple[str, Callable[[Any], bool], bool]


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # a Java-only construct: not checked


def _show(value: Any, shape: Shape | None = None) -> str:
    """A value as the Java front end prints it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, bytes):
        return f"java.nio.HeapByteBuffer[pos=0 lim={len(value)} cap={len(value)}]"
    if shape is not None and shape.type in _FLOATS and isinstance(value, int | float):
        return repr(float(value))
    if isinstance(value, list):
        member = shape.member if shape is not None and shape.type == "list" else None
        return "[" + ", ".join(_show(v, member) for v in value) + "]"
    if isinstance(value, dict):
        if shape is not None and shape.type == "structure":
            fields = (f"{lower_first(k)}={_show(value.get(k), m)}" for k, m in shape.members.items())
            return f"{shape.name}({', '.join(fields)})"
        vshape = shape.value if shape is not None and shape.type == "map" else None
        return "{" + ", ".join(f"{k}={_show(v, vshape)}" for k, v in value.items()) + "}"
    return str(value)


def _bound(value: Any, shape: Shape) -> str:
    return repr(float(value)) if shape.type in _FLOATS else str(value)


@lru_cache(maxsize=8192)
def _constraints(shape: Shape) -> tuple[Constraint, ...]:
    """The shape's own constraints in the order AWS lists them: bounds (max first), then values.
    Checks run only on values ``_checkable`` passes (bounds take ``len`` of strings, blobs,
    lists and maps)."""
    d = shape.defn
    found: list[Constraint] = []
    if shape.type in ("string", "blob", "list", "map"):
        if "max" in d:
            hi = d["max"]
            found.append(
                (f"Member must have length less than or equal to {hi}", lambda v: len(v) <= hi, True)
            )
        if "min" in d:
            lo = d["min"]
            found.append(
                (f"Member must have length greater than or equal to {lo}", lambda v: len(v) >= lo, True)
            )
    elif shape.type in _NUMBERS:
        if "max" in d:
            hi = d["max"]
            found.append(
                (f"Member must have value less than or equal to {_bound(hi, shape)}", lambda v: v <= hi, True)
            )
        if "min" in d:
            lo = d["min"]
            found.append(
                (
                    f"Member must have value greater than or equal to {_bound(lo, shape)}",
                    lambda v: v >= lo,
                    True,
                )
            )
    if shape.type == "string":
        compiled = _pattern(d["pattern"]) if "pattern" in d else None
        if compiled is not None:
            text = f"Member must satisfy regular expression pattern: {d['pattern']}"
            found.append((text, lambda v: compiled.fullmatch(v) is not None, False))
        enum = d.get("enum")
        if enum:
            found.append(
                (f"Member must satisfy enum value set: [{', '.join(enum)}]", lambda v: v in enum, False)
            )
    return tuple(found)


def _failed(value: Any, shape: Shape) -> list[str]:
    """The constraints ``value`` breaks: its pattern or enum first, then its bounds."""
    checks = _constraints(shape)
    if not checks or not _checkable(value, shape):
        return []
    if all(ok(value) for _, ok, _ in checks):
        return []
    broken = [(bound, text) for text, ok, bound in checks if not ok(value)]
    return [text for _, text in sorted(broken, key=lambda b: b[0])] if broken else []


_OWN_CONSTRAINTS = ("min", "max", "pattern", "enum", "required")
_SCALAR_TYPES = frozenset({"string", "blob", "boolean", "timestamp", *_NUMBERS})
_free_by_model: dict[int, frozenset[str]] = {}


def _free(shape: Shape) -> frozenset[str]:
    """Names of the shapes of ``shape``'s model that nothing in them can violate.

    A shape is free when neither it nor anything it contains has constraints or required
    members (lists and maps of scalars are never free: a null element is an error).
    Validation skips free values whole, such as DynamoDB's items.
    """
    model = shape.model
    free = _free_by_model.get(id(model))
    if free is None:
        shapes = model.shapes
        found = {n for n, d in shapes.items() if not any(k in d for k in _OWN_CONSTRAINTS)}
        changed = True
        while changed:  # a fixpoint: recursive shapes are free unless something inside is not
            changed = False
            for name in list(found):
                d = shapes[name]
                if d["type"] == "structure":
                    refs = [m["shape"] for m in d.get("members", {}).values()]
                elif d["type"] == "list":
                    refs = [d["member"]["shape"]]
                elif d["type"] == "map":
                    refs = [d["key"]["shape"], d["value"]["shape"]]
                else:
                    continue
                scalar_items = d["type"] != "structure" and shapes[refs[-1]]["type"] in _SCALAR_TYPES
                if scalar_items or any(r not in found for r in refs):
                    found.discard(name)
                    changed = True
        free = _free_by_model[id(model)] = frozenset(found)
    return free


def _checkable(value: Any, shape: Shape) -> bool:
    """Whether ``value`` has the Python type the constraints of ``shape`` apply to."""
    t = shape.type
    if t in _NUMBERS:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == "string":
        return isinstance(value, str)
    return isinstance(value, bytes | list | dict) if t in ("blob", "list", "map") else False


def validate(
    value: dict[str, Any], shape: Shape, nulls_only: bool = False, skip: frozenset[str] = frozenset()
) -> list[str]:
    """All constraint violations of ``value`` (up to ten), as AWS words them.

    ``nulls_only``: report only null elements of lists and maps (for services that check
    the rest themselves, so that no provider ever meets a null where a value belongs).
    ``skip``: names of shapes whose values the service checks itself (answering its own error)."""
    errors: list[str] = []
    _check_structure(value, shape, "", errors, nulls_only, skip)
    return errors[:_MAX_ERRORS]


def _error(errors: list[str], value: Any, shape: Shape, where: str, constraint: str) -> None:
    if shape.defn.get("sensitive"):
        errors.append(f"Value at '{where}' failed to satisfy constraint: {constraint}")
    else:
        errors.append(
            f"Value '{_show(value, shape)}' at '{where}' failed to satisfy constraint: {constraint}"
        )


def _check_structure(
    value: dict[str, Any],
    shape: Shape,
    path: str,
    errors: list[str],
    nulls_only: bool = False,
    skip: frozenset[str] = frozenset(),
) -> None:
    if not nulls_only:
        for name in shape.required:
            if value.get(name) is None:
                where = f"{path}.{lower_first(name)}" if path else lower_first(name)
                errors.append(f"Value null at '{where}' failed to satisfy constraint: {_NOT_NULL}")
    members = shape.members
    free = () if nulls_only else _free(shape)
    for name, item in value.items():
        member = members.get(name)
        if member is None or item is None or member.name in free or member.name in skip:
            continue
        where = f"{path}.{lower_first(name)}" if path else lower_first(name)
        _check(item, member, where, errors, nulls_only, skip)


def _is_scalar(shape: Shape) -> bool:
    return shape.type not in ("structure", "list", "map")


def _all_of(shape: Shape, not_null: bool) -> str:
    texts = [text for text, _, _ in _constraints(shape)] + ([_NOT_NULL] if not_null else [])
    return "[" + ", ".join(texts) + "]"


def _check(
    value: Any,
    shape: Shape,
    where: str,
    errors: list[str],
    nulls_only: bool = False,
    skip: frozenset[str] = frozenset(),
) -> None:
    if len(errors) >= _MAX_ERRORS:
        return
    t = shape.type
    if t == "structure":
        if isinstance(value, dict) and not shape.is_document:
            _check_structure(value, shape, where, errors, nulls_only, skip)
        return
    failed = (lambda v, s: []) if nulls_only else _failed
    for text in failed(value, shape):
        _error(errors, value, shape, where, text)
    if t == "list" and isinstance(value, list):
        member = shape.member
        if _is_scalar(member):
            if any(item is None or failed(item, member) for item in value):
                _error(
                    errors, value, shape, where, f"Member must satisfy constraint: {_all_of(member, True)}"
                )
            return
        for i, item in enumerate(value, 1):
            if item is None:  # (message unverified: Coral's wording for a null element)
                errors.append(f"Value null at '{where}.{i}.member' failed to satisfy constraint: {_NOT_NULL}")
            else:
                _check(item, member, f"{where}.{i}.member", errors, nulls_only, skip)
    elif t == "map" and isinstance(value, dict):
        if any(failed(key, shape.key) for key in value):
            _error(
                errors, value, shape, where, f"Map keys must satisfy constraint: {_all_of(shape.key, False)}"
            )
        vshape = shape.value
        if _is_scalar(vshape):
            if any(item is None or failed(item, vshape) for item in value.values()):
                text = f"Map value must satisfy constraint: {_all_of(vshape, True)}"
                _error(errors, value, shape, where, text)
            return
        for key, item in value.items():
            if item is None:  # (message unverified, as above)
                errors.append(
                    f"Value null at '{where}.{key}.member' failed to satisfy constraint: {_NOT_NULL}"
                )
            else:
                _check(item, vshape, f"{where}.{key}.member", errors, nulls_only, skip)
