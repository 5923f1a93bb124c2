"""Reading document paths out of items: SELECT lists and RETURNING MODIFIED projections."""

from __future__ import annotations

from cloudlet.services.dynamodb.partiql.ast import Path, Step


def resolve(item: dict, steps: tuple[Step, ...]) -> dict | None:
    """The value at ``steps`` in ``item`` (attribute name first), or None where nothing is."""
    value = item.get(steps[0])  # type: ignore[call-overload]
    for step in steps[1:]:
        if value is None:
            return None
        if isinstance(step, int):
            elements = value.get("L")
            value = elements[step] if elements is not None and step < len(elements) else None
        else:
            value = value.get("M", {}).get(step)
    return value


def projection_names(paths: list[Path]) -> list[str]:
    """The attribute each SELECT path comes back as: its last name, ``_<position>`` after an index."""
    names = []
    for position, path in enumerate(paths, 1):
        last = path.steps[-1]
        names.append(last if isinstance(last, str) else f"_{position}")
    return names


def project(paths: list[Path] | None, item: dict) -> dict:
    """A SELECT result row: ``*`` (None) is the whole item, else each present path under its name."""
    if paths is None:
        return item
    row = {}
    for name, path in zip(projection_names(paths), paths, strict=True):
        value = resolve(item, path.steps)
        if value is not None:
            row[name] = value
    return row


def project_paths(paths: list[Path], item: dict) -> dict:
    """The parts of ``item`` at ``paths`` in their nesting; list elements packed in index order."""
    tree: dict = {}
    for path in paths:
        picked = _pick({"M": item}, path.steps)
        if picked is not None:
            tree = _merge(tree, picked)
    return _finish(tree)["M"] if tree else {}


def _pick(value: dict, steps: tuple[Step, ...]) -> dict | None:
    if not steps:
        return value
    step, rest = steps[0], steps[1:]
    if isinstance(step, int):
        elements = value.get("L")
        if elements is None or step >= len(elements):
            return None
        inner = _pick(elements[step], rest)
        return None if inner is None else {"_L": {step: inner}}
    members = value.get("M")
    if members is None or step not in members:
        return None
    inner = _pick(members[step], rest)
    return None if inner is None else {"M": {step: inner}}


def _merge(a: dict, b: dict) -> dict:
    if not a:
        return b
    if "_L" in a and "_L" in b:
        merged = dict(a["_L"])
        for index, inner in b["_L"].items():
            merged[index] = _merge(merged[index], inner) if index in merged else inner
        return {"_L": merged}
    if "M" in a and "M" in b:
        members = dict(a["M"])
        for name, inner in b["M"].items():
            members[name] = _merge(members[name], inner) if name in members else inner
        return {"M": members}
    return b


def _finish(value: dict) -> dict:
    if "_L" in value:
        return {"L": [_finish(value["_L"][i]) for i in sorted(value["_L"])]}
    if "M" in value:
        return {"M": {name: _finish(inner) for name, inner in value["M"].items()}}
    return value
