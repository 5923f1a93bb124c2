"""Shard arithmetic, directly: hash key ranges, MD5 routing and sequence numbers."""

from __future__ import annotations

import hashlib
import itertools

from hypothesis import given
from hypothesis import strategies as st

from cloudlet.services.kinesis.shards import (
    MAX_HASH_KEY,
    MAX_POSITION,
    SEQUENCE_LENGTH,
    hash_key,
    hash_ranges,
    parse_sequence_number,
    sequence_number,
    shard_id,
)


@given(st.integers(min_value=1, max_value=10_000))
def test_ranges_cover_the_space_without_gaps(count):
    ranges = hash_ranges(count)
    assert len(ranges) == count
    assert ranges[0][0] == 0 and ranges[-1][1] == MAX_HASH_KEY
    for (_, end), (start, _) in itertools.pairwise(ranges):
        assert start == end + 1
    sizes = {end - start + 1 for start, end in ranges[:-1]}
    assert len(sizes) <= 1  # even, the last one taking the remainder


def test_known_splits():
    assert hash_ranges(1) == [(0, 2**128 - 1)]
    assert [start for start, _ in hash_ranges(4)] == [0, 2**126, 2**127, 3 * 2**126]
    assert hash_ranges(3)[0][1] == 113427455640312821154458202477256070484


@given(st.text(min_size=1, max_size=256))
def test_hash_key_is_the_md5_of_the_utf8_key(key):
    assert hash_key(key) == int(hashlib.md5(key.encode()).hexdigest(), 16)
    assert 0 <= hash_key(key) <= MAX_HASH_KEY


@given(
    st.integers(min_value=0, max_value=MAX_POSITION),
    st.integers(min_value=0, max_value=MAX_POSITION),
    st.integers(min_value=0, max_value=10_000),
)
def test_sequence_numbers_round_trip_and_order_within_a_shard(a, b, index):
    sa, sb = sequence_number(a, index), sequence_number(b, index)
    assert len(sa) == SEQUENCE_LENGTH and sa.isdigit()
    assert parse_sequence_number(sa) == (a, index)
    assert (int(sa) < int(sb)) == (a < b)


def test_foreign_sequence_numbers_are_refused():
    for text in ("", "0", "12345", "x" * SEQUENCE_LENGTH, "1" * SEQUENCE_LENGTH, "٤٩" + "0" * 54):
        assert parse_sequence_number(text) is None
    assert parse_sequence_number("49" + "9" * 24 + "0" * 30) is None  # past a BIGINT


def test_shard_ids():
    assert shard_id(0) == "shardId-000000000000"
    assert shard_id(12) == "shardId-000000000012"
