"""The MD5 digests SQS returns for bodies and (system) message attributes.

SDKs recompute and compare them, so they follow AWS's encoding exactly: attributes sorted
by name; for each, the name, the data type, a transport byte (1 for String and Number,
2 for Binary) and the value, every string and binary prefixed with its 4-byte big-endian
length.
"""

from __future__ import annotations

import hashlib
import struct
from typing import Any

_STRING, _BINARY = 1, 2


def md5_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _chunk(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_attributes(attributes: dict[str, dict[str, Any]]) -> str | None:
    """MD5 of message attributes; None when there are none."""
    if not attributes:
        return None
    digest = hashlib.md5()
    for name in sorted(attributes):
        attr = attributes[name]
        data_type = attr["DataType"]
        digest.update(_chunk(name.encode("utf-8")))
        digest.update(_chunk(data_type.encode("utf-8")))
        if data_type.split(".", 1)[0] == "Binary":
            digest.update(bytes([_BINARY]))
            digest.update(_chunk(bytes(attr.get("BinaryValue") or b"")))
        else:
            digest.update(bytes([_STRING]))
            digest.update(_chunk(str(attr.get("StringValue", "")).encode("utf-8")))
    return digest.hexdigest()
