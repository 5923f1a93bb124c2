"""Index keys of one or several attributes: their bytes, and the range a Query's conditions select.

A key of one attribute is ``values.key_bytes`` of its value, as it always was (so index rows
written before multi-attribute keys existed stay valid). A key of several attributes (a GSI
with up to four HASH and four RANGE attributes) concatenates each value's key bytes with
every 0x00 escaped as 0x00 0xFF and ended by 0x00 0x00: the parts are self-delimiting and
memcmp order of the whole is the order of the tuple of values, attribute by attribute, so one
``isk`` column serves the left-to-right sort conditions of a Query as a byte range.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudlet.services.dynamodb.store import successor
from cloudlet.services.dynamodb.values import key_bytes

_END = b"\x00\x00"

Bound = tuple[bytes, bool] | None  # (bytes, inclusive), None for no bound


def _part(value: dict[str, Any]) -> bytes:
    return key_bytes(value).replace(b"\x00", b"\x00\xff")


def key_of(values: Sequence[dict[str, Any]]) -> bytes:
    """Bytes of an index partition or sort key made of ``values`` (in key-schema order)."""
    if len(values) == 1:
        return key_bytes(values[0])
    return b"".join(_part(v) + _END for v in values)


def _above(prefix: bytes, *, low: bool) -> Bound:
    """The bound just past every key that starts with ``prefix``: as a low bound (inclusive) or
    as a high bound (exclusive); None when nothing is past it."""
    upper = successor(prefix)
    return (upper, low) if upper is not None else None


def composite_bounds(
    prefix: Sequence[dict[str, Any]], op: str | None, values: Sequence[dict[str, Any]]
) -> tuple[Bound, Bound]:
    """The ``isk`` range of a multi-attribute sort key: equality on the ``prefix`` attributes,
    then ``op`` (``= < <= > >= BETWEEN begins_with``, or None) on the next one."""
    head = b"".join(_part(v) + _END for v in prefix)
    floor: Bound = (head, True) if head else None
    ceiling: Bound = _above(head, low=False) if head else None
    if op is None:
        return floor, ceiling
    first = head + _part(values[0]) + _END
    if op == "=":
        return (first, True), _above(first, low=False)
    if op == "<":
        return floor, (first, False)
    if op == "<=":
        return floor, _above(first, low=False)
    if op == ">":
        return _above(first, low=True), ceiling
    if op == ">=":
        return (first, True), ceiling
    if op == "BETWEEN":
        last = head + _part(values[1]) + _END
        return (first, True), _above(last, low=False)
    if op == "begins_with":
        start = head + _part(values[0])  # no terminator: any value that extends it
        return (start, True), _above(start, low=False)
    raise ValueError(f"unsupported key condition operator {op}")
