"""Identifiers: request ids and the random ids AWS resources carry."""

from __future__ import annotations

import secrets
import string
import uuid

_UPPER_ALNUM = string.ascii_uppercase + string.digits


def request_id() -> str:
    return str(uuid.uuid4())


def random_upper(n: int) -> str:
    return "".join(secrets.choice(_UPPER_ALNUM) for _ in range(n))


def access_key_id(prefix: str = "ASIA") -> str:
    return prefix + random_upper(16)


def secret_key() -> str:
    return secrets.token_urlsafe(30)[:40]
