"""Shard arithmetic: ids, hash key ranges, partition key hashing and sequence numbers.

- Shard ids are AWS's ``shardId-<12 digits>`` (the shard's index in its stream).
- A stream of n shards splits the 128-bit hash key space evenly: shard i covers
  ``[i * (2**128 // n), (i + 1) * (2**128 // n) - 1]``, the last one up to ``2**128 - 1``.
- A partition key's hash key is the MD5 of its UTF-8 bytes read as a big-endian integer.
- Sequence numbers are 56-digit decimal strings, as AWS's are: ``49``, the position within
  the shard (24 digits; positions start from the shard's creation time in microseconds-ish
  units and only grow), then the shard's index (30 digits). Within a shard a larger number is
  a later record; the shard a number belongs to can be read back from it.
"""

from __future__ import annotations

import hashlib

HASH_SPACE = 1 << 128
MAX_HASH_KEY = HASH_SPACE - 1
_PREFIX = "49"
_POSITION_DIGITS = 24
_INDEX_DIGITS = 30
SEQUENCE_LENGTH = len(_PREFIX) + _POSITION_DIGITS + _INDEX_DIGITS
MAX_POSITION = (1 << 63) - 1  # a BIGINT


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def hash_ranges(count: int) -> list[tuple[int, int]]:
    """The (start, end) hash key ranges of ``count`` shards splitting the space evenly."""
    size = HASH_SPACE // count
    ranges = [(i * size, (i + 1) * size - 1) for i in range(count)]
    ranges[-1] = (ranges[-1][0], MAX_HASH_KEY)
    return ranges


def hash_key(partition_key: str) -> int:
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def sequence_number(position: int, index: int) -> str:
    return f"{_PREFIX}{position:0{_POSITION_DIGITS}d}{index:0{_INDEX_DIGITS}d}"


def parse_sequence_number(text: str) -> tuple[int, int] | None:
    """(position, shard index) of a sequence number this service issued; None otherwise."""
    if (
        len(text) != SEQUENCE_LENGTH
        or not text.isascii()
        or not text.isdigit()
        or not text.startswith(_PREFIX)
    ):
        return None
    position = int(text[len(_PREFIX) : len(_PREFIX) + _POSITION_DIGITS])
    index = int(text[len(_PREFIX) + _POSITION_DIGITS :])
    if position > MAX_POSITION:
        return None
    return position, index
