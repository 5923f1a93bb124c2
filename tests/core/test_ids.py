"""Identifiers: request ids and message ids are RFC 4122 version-4 UUIDs, and unique."""

from __future__ import annotations

import uuid

from cloudlet.core import ids


def test_uuid4_is_a_version_4_rfc_4122_uuid():
    seen = set()
    for _ in range(5000):
        text = ids.uuid4()
        parsed = uuid.UUID(text)
        assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)
        assert str(parsed) == text
        seen.add(text)
    assert len(seen) == 5000


def test_tokens_are_hex_of_the_asked_length():
    assert len({ids.token(8) for _ in range(1000)}) == 1000
    assert all(len(ids.token(n)) == 2 * n for n in (1, 8, 24))
