"""GetRandomPassword: AWS's character sets and options, drawn with ``secrets``."""

from __future__ import annotations

import secrets
import string
from typing import Any

from cloudlet.services.secretsmanager.errors import invalid_parameter

DEFAULT_LENGTH = 32
PUNCTUATION = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"  # the set AWS's documentation lists


def random_password(params: dict[str, Any]) -> str:
    """A password following GetRandomPassword's parameters, or InvalidParameterException."""
    length = params.get("PasswordLength")
    length = DEFAULT_LENGTH if length is None else int(length)
    exclude = set(params.get("ExcludeCharacters") or "")
    classes: list[str] = []
    if not params.get("ExcludeLowercase"):
        classes.append(string.ascii_lowercase)
    if not params.get("ExcludeUppercase"):
        classes.append(string.ascii_uppercase)
    if not params.get("ExcludeNumbers"):
        classes.append(string.digits)
    if not params.get("ExcludePunctuation"):
        classes.append(PUNCTUATION)
    if params.get("IncludeSpace"):
        classes.append(" ")
    classes = ["".join(c for c in chars if c not in exclude) for chars in classes]
    classes = [c for c in classes if c]
    pool = "".join(classes)
    if not pool:
        # unverified: AWS's message when every character is excluded
        raise invalid_parameter("The password cannot be generated because all character types are excluded.")
    require_each = params.get("RequireEachIncludedType", True) is not False
    if require_each and length < len(classes):
        # unverified: AWS's message when the length cannot hold one of each type
        raise invalid_parameter("The password length is too short to include every required character type.")
    chars = [secrets.choice(pool) for _ in range(length)]
    if require_each:
        slots = list(range(length))
        for chars_of_type in classes:
            slot = slots.pop(secrets.randbelow(len(slots)))
            chars[slot] = secrets.choice(chars_of_type)
    return "".join(chars)
