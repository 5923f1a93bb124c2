"""Marker/MaxItems pagination, as every IAM List operation pages (default 100 items)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any, TypeVar

from cloudlet.services.iam.errors import validation

T = TypeVar("T")
DEFAULT_MAX_ITEMS = 100


def _decode(marker: str) -> int:
    try:
        start = int(base64.urlsafe_b64decode(marker.encode()).decode().removeprefix("m"))
    except ValueError:
        raise validation("Invalid Marker.") from None  # unverified: message
    if start < 0:
        raise validation("Invalid Marker.")
    return start


def page(items: Sequence[T], params: dict[str, Any]) -> tuple[list[T], dict[str, Any]]:
    """The page of ``items`` that ``Marker``/``MaxItems`` select, and IsTruncated/Marker."""
    start = _decode(params["Marker"]) if params.get("Marker") else 0
    size = params.get("MaxItems") or DEFAULT_MAX_ITEMS
    chunk = list(items[start : start + size])
    end = start + len(chunk)
    if end < len(items):
        marker = base64.urlsafe_b64encode(f"m{end}".encode()).decode()
        return chunk, {"IsTruncated": True, "Marker": marker}
    return chunk, {"IsTruncated": False}
