"""Identifiers: request ids and the random ids AWS resources carry."""

from __future__ import annotations

import random
import secrets
import string

_UPPER_ALNUM = string.ascii_uppercase + string.digits


# The version (4) and variant (10xx) bits of a UUID, as ``uuid.UUID(version=4)`` sets them.
_UUID_CLEAR = ~((0xF000 << 64) | (0xC000 << 48)) & ((1 << 128) - 1)
_UUID_SET = (0x4000 << 64) | (0x8000 << 48)
_random = random.Random()  # ids need uniqueness, not secrecy: faster than os.urandom each time


def uuid4() -> str:
    """A random (version 4, RFC 4122 variant) UUID string."""
    h = "%032x" % (_random.getrandbits(128) & _UUID_CLEAR | _UUID_SET)
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def request_id() -> str:
    return uuid4()


def token(nbytes: int = 24) -> str:
    """Random hex for handles that must be unique (receipt handles, task handles)."""
    return _random.getrandbits(nbytes * 8).to_bytes(nbytes, "big").hex()


def random_upper(n: int) -> str:
    return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(n))


def access_key_id(prefix: str = "ASIA") -> str:
    return prefix + random_upper(16)


def secret_key() -> str:
    return secrets.token_urlsafe(30)[:40]
