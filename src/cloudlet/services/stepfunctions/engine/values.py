"""JSON values as Step Functions writes them: compact text, as its history and answers show."""

from __future__ import annotations

from typing import Any

import orjson

MAX_PAYLOAD = 256 * 1024  # bytes: a state's input or output, an execution's input


def dumps(value: Any) -> str:
    """Compact JSON text (``{"a":1}``), non-ASCII kept as it is."""
    return orjson.dumps(value).decode()


def loads(text: str) -> Any:
    return orjson.loads(text)
