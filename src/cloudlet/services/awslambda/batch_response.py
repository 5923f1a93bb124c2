"""A function's answer to a batch when its event source mapping has ``FunctionResponseTypes:
["ReportBatchItemFailures"]``: ``{"batchItemFailures": [{"itemIdentifier": "<id>"}]}``, the
id being an SQS message id or a stream record's sequence number.

AWS's rules (Lambda developer guide, and the stream scenarios recorded against AWS): an empty
or null answer, an empty object, an object without ``batchItemFailures`` or with it null or
empty is a complete success; an item whose ``itemIdentifier`` is missing, null, empty, under
another key, or names no record of the batch makes the whole batch a failure, as does an
answer that is not JSON.
"""

from __future__ import annotations

from collections.abc import Collection

import orjson


def failed_items(answer: bytes, identifiers: Collection[str]) -> set[str] | None:
    """The identifiers reported as failed (empty: all succeeded); None when the answer makes
    the whole batch a failure."""
    text = answer.strip()
    if not text:
        return set()
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return None
    if doc is None or doc == "":
        return set()
    if not isinstance(doc, dict):
        return None  # unverified: a list or a number as the whole answer
    failures = doc.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        return None
    failed: set[str] = set()
    for item in failures:
        identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in identifiers:
            return None
        failed.add(identifier)
    return failed
