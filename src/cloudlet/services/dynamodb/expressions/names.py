"""ExpressionAttributeNames / ExpressionAttributeValues of one request."""

from __future__ import annotations

import re

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import validate_value

from .errors import invalid

_MAX_KEY_BYTES = 255
# Per operation, the expression parameters that take values, as AWS names them when
# ExpressionAttributeValues come without any ("...: ConditionExpression is null").
_VALUE_EXPRESSIONS = {
    "PutItem": ("ConditionExpression",),
    "DeleteItem": ("ConditionExpression",),
    "UpdateItem": ("UpdateExpression", "ConditionExpression"),
    "Query": ("FilterExpression", "KeyConditionExpression"),
    "Scan": ("FilterExpression",),
}
# Operations that accept names and values with no expression to use them.
_LENIENT = frozenset({"TransactWriteItems", "TransactGetItems"})
_NAME_KEY = re.compile(r"#[A-Za-z0-9_]+\Z")
_VALUE_KEY = re.compile(r":[A-Za-z0-9_]+\Z")


def _check_keys(label: str, keys: list[str], pattern: re.Pattern[str], size_detail: bool) -> None:
    for key in keys:
        size = len(key.encode("utf-8"))
        if size > _MAX_KEY_BYTES:
            detail = f" size of key: {size}" if size_detail else ""
            raise invalid(
                f"{label} contains invalid key: The expression attribute map contains a key that is too long;{detail}"
            )
        if not pattern.match(key):
            raise invalid(f'{label} contains invalid key: Syntax error; key: "{key}"')


class ExpressionContext:
    """Resolves ``#name`` and ``:value`` placeholders for every expression of one request.

    The maps are validated on construction (AWS's errors for empty maps, bad keys and bad
    values). Lookups record what was used; ``check_unused`` raises AWS's errors for
    names or values that no expression used, once every expression has been parsed.
    """

    __slots__ = ("_names", "_used_names", "_used_values", "_values", "expressions", "fingerprint")

    def __init__(self, names: dict[str, str] | None = None, values: dict[str, dict] | None = None) -> None:
        if names is not None and not names:
            raise invalid("ExpressionAttributeNames must not be empty")
        if values is not None and not values:
            raise invalid("ExpressionAttributeValues must not be empty")
        self._names = names or {}
        _check_keys("ExpressionAttributeNames", list(self._names), _NAME_KEY, True)
        for key, name in self._names.items():
            if not name:
                raise invalid(
                    f"ExpressionAttributeNames contains invalid value: Empty attribute name for key {key}"
                )
        raw_values = values or {}
        _check_keys("ExpressionAttributeValues", list(raw_values), _VALUE_KEY, False)
        self._values: dict[str, dict] = {}
        for key, value in raw_values.items():
            try:
                self._values[key] = validate_value(value)
            except ServiceError as error:
                raise invalid(
                    f"ExpressionAttributeValues contains invalid value: {error.message} for key {key}"
                ) from None
        self._used_names: set[str] = set()
        self._used_values: set[str] = set()
        self.expressions = 0  # how many expressions were parsed against this context
        # A hashable fingerprint of both maps, keying the cache of parsed expressions.
        self.fingerprint = (tuple(self._names.items()), repr(self._values))

    def name(self, placeholder: str) -> str | None:
        """The attribute name for ``#placeholder`` (None when undefined); marks it used."""
        name = self._names.get(placeholder)
        if name is not None:
            self._used_names.add(placeholder)
        return name

    def value(self, placeholder: str) -> dict | None:
        """The validated AttributeValue for ``:placeholder`` (None when undefined); marks it used."""
        value = self._values.get(placeholder)
        if value is not None:
            self._used_values.add(placeholder)
        return value

    def mark_used(self, names: frozenset[str], values: frozenset[str]) -> None:
        """Record placeholders used by an expression taken from the parse cache."""
        self._used_names |= names
        self._used_values |= values

    def check_unused(self, operation: str | None = None) -> None:
        """Raise AWS's error for names/values given without expressions, or left unused.

        ``operation`` (PutItem, UpdateItem, Query, ...) completes AWS's message for values
        given without any expression; transaction entries (TransactWriteItems,
        TransactGetItems) accept names and values with no expression at all.
        """
        if not self.expressions:
            if operation in _LENIENT:
                return
            if self._names:
                raise invalid("ExpressionAttributeNames can only be specified when using expressions")
            if self._values:
                absent = _VALUE_EXPRESSIONS.get(operation or "", ())
                detail = ""
                if absent:
                    verb = "is" if len(absent) == 1 else "are"
                    detail = f": {' and '.join(absent)} {verb} null"
                raise invalid(
                    "ExpressionAttributeValues can only be specified when using expressions" + detail
                )
            return
        unused = [key for key in self._names if key not in self._used_names]
        if unused:
            raise invalid(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {"
                + ", ".join(unused)
                + "}"
            )
        unused = [key for key in self._values if key not in self._used_values]
        if unused:
            raise invalid(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {"
                + ", ".join(unused)
                + "}"
            )
