"""CBOR bodies on the ``json`` protocol (``Content-Type: application/x-amz-cbor-1.1``).

The AWS SDK for Java (v1 and v2, and so the KCL) talks to Kinesis this way by default: the
same ``X-Amz-Target`` RPC, with the request and answer bodies (errors too) in CBOR instead of
JSON. Blobs travel as CBOR byte strings. Timestamps are CBOR tag 1 around epoch
*milliseconds* (an integer), not RFC 8949's seconds: that is what those SDKs write and read
(aws/aws-sdk-java-v2#184 and #4661). An untagged number in a timestamp member is read as
epoch seconds, as in JSON.

A request that came in CBOR is answered in CBOR: :func:`mark` is called when the request is
parsed, :func:`take` when its answer (or error) is serialized. The flag is a context
variable, so an answer given in a task (an operation that waits) still sees its own
request's; the dispatcher clears it as each request arrives, every parse sets it and every
serialization clears it.
"""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

import cbor2

from cloudlet.gateway.request import Request
from cloudlet.protocol.common import bad_input

CONTENT_TYPE = "application/x-amz-cbor-1.1"

_answer_in_cbor: ContextVar[bool] = ContextVar("cloudlet_json_cbor", default=False)


def is_cbor(request: Request) -> bool:
    return request.content_type == CONTENT_TYPE


def mark(cbor: bool) -> None:
    """Remember whether the request being parsed came in CBOR (so its answer goes out so)."""
    _answer_in_cbor.set(cbor)


def take() -> bool:
    """Whether the answer being serialized goes out in CBOR (and forget it)."""
    cbor = _answer_in_cbor.get()
    if cbor:
        _answer_in_cbor.set(False)
    return cbor


def _millis(value: Any, _immutable: bool = False) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("tag 1 must hold a number")
    return datetime.fromtimestamp(value / 1000, UTC)


def loads(body: bytes) -> Any:
    """A CBOR request body (empty: an empty structure); bad input as SerializationException."""
    if not body:
        return {}
    try:
        return cbor2.loads(body, semantic_decoders={1: _millis})
    except Exception as exc:  # cbor2 raises several types for malformed input
        raise bad_input("The CBOR body could not be decoded.") from exc  # unverified wording


def _tagged(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _tagged(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_tagged(v) for v in value]
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return cbor2.CBORTag(1, round(moment.timestamp() * 1000))
    return value


def dumps(value: Any) -> bytes:
    """An answer body: ``value`` as ``json_codec.encode(..., binary=True)`` made it."""
    return cbor2.dumps(_tagged(value))
