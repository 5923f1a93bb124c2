"""Identifiers: request ids and the random ids AWS resources carry."""

from __future__ import annotations

import random
import secrets
import string
import uuid

_UPPER_ALNUM = string.ascii_uppercase + string.digits


_random = random.Random()  # ids need uniqueness, not secrecy: faster than os.urandom each time


def uuid4() -> str:
    """A random (version 4) UUID string."""
    return str(uuid.UUID(int=_random.getrandbits(128), version=4))


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
