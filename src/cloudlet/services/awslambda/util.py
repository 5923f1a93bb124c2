"""Small helpers the Lambda operations share: timestamps, revision ids, paging."""

from __future__ import annotations

import base64
import binascii
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from cloudlet.services.awslambda.errors import invalid

T = TypeVar("T")


def timestamp(when: float) -> str:
    """Lambda's string timestamps: ``2024-05-01T12:00:00.000+0000``."""
    moment = datetime.fromtimestamp(when, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def revision() -> str:
    return str(uuid.uuid4())


def page(
    items: Sequence[T], key: Callable[[T], str], marker: str | None, size: int | None
) -> tuple[list[T], str | None]:
    """The page after ``marker`` (an opaque token naming the last key given) and the next marker."""
    start = 0
    if marker:
        try:
            after = base64.urlsafe_b64decode(marker.encode()).decode()
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise invalid("Invalid marker.") from None  # unverified wording
        keys = [key(i) for i in items]
        start = next((n + 1 for n, k in enumerate(keys) if k == after), len(keys))
    limit = size or 50
    chunk = list(items[start : start + limit])
    more = start + limit < len(items)
    token = base64.urlsafe_b64encode(key(chunk[-1]).encode()).decode() if more and chunk else None
    return chunk, token


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """A stored document without its internal (``_``) keys."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
