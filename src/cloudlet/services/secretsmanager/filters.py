"""ListSecrets / BatchGetSecretValue filters: prefix matches with ``!`` negation."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from cloudlet.services.secretsmanager.store import Secret

_WORD = re.compile(r"[\s/_+=.@:-]+")


def _prefixed(candidates: Iterable[str], value: str, fold: bool) -> bool:
    if fold:
        value = value.lower()
        return any(c.lower().startswith(value) for c in candidates)
    return any(c.startswith(value) for c in candidates)


def _attributes(secret: Secret, key: str) -> tuple[list[str], bool]:
    """The strings a filter key is matched against, and whether the match ignores case."""
    tags = secret.tags or []
    if key == "name":
        return [secret.name], False
    if key == "description":
        return [secret.description or ""], True
    if key == "tag-key":
        return [t["Key"] for t in tags], False
    if key == "tag-value":
        return [t["Value"] for t in tags], False
    if key == "primary-region":
        return [secret.primary_region or secret.region], False
    if key == "owning-service":
        return ([secret.owning_service] if secret.owning_service else []), False
    # all: every attribute, and each word of it, not case-sensitive
    values = [secret.name, secret.description or "", secret.primary_region or secret.region]
    values += [t["Key"] for t in tags] + [t["Value"] for t in tags]
    return values + [w for v in values for w in _WORD.split(v) if w], True


def _value_matches(secret: Secret, key: str, value: str) -> bool:
    candidates, fold = _attributes(secret, key)
    if key == "all":
        return all(_prefixed(candidates, word, fold) for word in value.split() or [""])
    return _prefixed(candidates, value, fold)


def matches(secret: Secret, filters: list[dict[str, Any]]) -> bool:
    """Every filter matches: one of its plain values matches and none of its ``!`` values.

    # unverified: how AWS combines plain and negated values of one filter.
    """
    for flt in filters:
        key, values = flt.get("Key"), flt.get("Values") or []
        if key is None:
            continue
        plain = [v for v in values if not v.startswith("!")]
        negated = [v[1:] for v in values if v.startswith("!")]
        if plain and not any(_value_matches(secret, key, v) for v in plain):
            return False
        if any(_value_matches(secret, key, v) for v in negated):
            return False
    return True
