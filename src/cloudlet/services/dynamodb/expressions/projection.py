"""Projecting an item onto document paths, keeping the structure of nested paths as AWS does.

Selected list elements come back compacted, in the order of their original indexes;
maps keep only the selected keys; paths that do not resolve are left out.
"""

from __future__ import annotations

from .ast import Elements


def _tree(paths: list[Elements]) -> dict:
    """Paths as a tree of elements; None marks a selected subtree."""
    tree: dict = {}
    for elements in paths:
        node = tree
        for element in elements[:-1]:
            child = node.setdefault(element, {})
            if child is None:  # a shorter path already selects everything below
                break
            node = child
        else:
            node[elements[-1]] = None
    return tree


def _extract(value: dict, tree: dict | None) -> dict | None:
    if tree is None:
        return value
    if "M" in value:
        members = value["M"]
        picked = {}
        for key, subtree in tree.items():
            if isinstance(key, str) and key in members:
                child = _extract(members[key], subtree)
                if child is not None:
                    picked[key] = child
        return {"M": picked} if picked else None
    if "L" in value:
        elements = value["L"]
        chosen = []
        for index in sorted(k for k in tree if isinstance(k, int)):
            if index < len(elements):
                child = _extract(elements[index], tree[index])
                if child is not None:
                    chosen.append(child)
        return {"L": chosen} if chosen else None
    return None


def project(paths: list[Elements], item: dict) -> dict:
    """The parts of an item the paths select (the input is not modified)."""
    result = {}
    for name, subtree in _tree(paths).items():
        value = item.get(name)
        if value is not None:
            picked = _extract(value, subtree)
            if picked is not None:
                result[name] = picked
    return result
