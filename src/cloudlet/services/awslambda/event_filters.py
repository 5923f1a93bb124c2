"""FilterCriteria of event source mappings: a record goes to the function when any filter's
pattern (the EventBridge pattern language, core/patterns) matches it.

Patterns see the record as the function would, except that a body that is JSON is matched as
the JSON it holds (an SQS message's ``body``, a Kinesis record's base64 ``data``). A
pattern that expects JSON therefore never matches a plain-string body, and a plain-string
pattern never matches a JSON body, as AWS documents.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import orjson

from cloudlet.core.patterns.compile import ObjectMatcher, compile_pattern
from cloudlet.core.patterns.match import match


def compile_filters(mapping: dict[str, Any]) -> list[ObjectMatcher]:
    """The mapping's filters, compiled (checked when the mapping was created or updated)."""
    filters = (mapping.get("FilterCriteria") or {}).get("Filters") or []
    return [compile_pattern(item["Pattern"]) for item in filters if item.get("Pattern")]


def passes(filters: list[ObjectMatcher], view: dict[str, Any]) -> bool:
    return not filters or any(match(pattern, view) for pattern in filters)


def _json(text: str) -> Any:
    """The JSON object or array ``text`` holds, else None."""
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict | list) else None  # unverified: bare JSON scalars


def sqs_view(record: dict[str, Any]) -> dict[str, Any]:
    """An SQS record as filters see it: ``body`` parsed when it is JSON."""
    parsed = _json(record["body"])
    return record if parsed is None else {**record, "body": parsed}


def stream_view(record: dict[str, Any], kinesis: bool) -> dict[str, Any]:
    """A stream record as filters see it: a DynamoDB record whole; a Kinesis record's ``kinesis``
    object (``data``, ``partitionKey``, ...) with ``data`` decoded and parsed when it is JSON."""
    if not kinesis:
        return record
    inner = record["kinesis"]
    try:
        parsed = _json(base64.b64decode(inner["data"]).decode())
    except (binascii.Error, UnicodeDecodeError):
        parsed = None
    return inner if parsed is None else {**inner, "data": parsed}
