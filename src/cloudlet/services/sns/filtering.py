"""Subscription filter policies: checked when set (Subscribe, SetSubscriptionAttributes) and
applied in the fan-out, through the event-pattern engine (core/patterns/sns.py).

A policy is compiled once per (policy text, scope) and kept in an LRU cache, so a changed
``FilterPolicy`` or ``FilterPolicyScope`` is simply a new key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import jackson
from cloudlet.core.patterns.compile import Leaf, ObjectMatcher
from cloudlet.core.patterns.conditions import Exact, Exists
from cloudlet.core.patterns.errors import PatternError
from cloudlet.core.patterns.match import match
from cloudlet.core.patterns.sns import NESTED_IN_ATTRIBUTES, compile_filter_policy
from cloudlet.services.sns import messages
from cloudlet.services.sns import metrics as sns_metrics
from cloudlet.services.sns.errors import invalid

if TYPE_CHECKING:
    from cloudlet.services.sns.provider import SnsProvider
    from cloudlet.services.sns.store import Subscription, Topic

ATTRIBUTES = "MessageAttributes"
BODY = "MessageBody"
MAX_POLICY_BYTES = 256 * 1024  # "The maximum size of a filter policy is 256 KB" (SNS developer guide)

# Why a message was filtered out: the NumberOfNotificationsFilteredOut-<reason> metric ("" none).
MISMATCH = ""
NO_ATTRIBUTES = "NoMessageAttributes"
INVALID_ATTRIBUTES = "InvalidAttributes"
INVALID_BODY = "InvalidMessageBody"

_JACKSON_SOURCE = "REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled)"


# ---- checking a policy ---------------------------------------------------------------------


def check_policy(policy: str | None, scope: str | None, *, creating: bool) -> None:
    """Raise AWS's InvalidParameter for a bad ``policy`` under ``scope`` (None: no policy)."""
    if not policy:
        return
    prefix = "Attributes Reason: FilterPolicy: " if creating else "FilterPolicy: "
    try:
        _compile(policy, scope or ATTRIBUTES)
    except PatternError as err:
        if err.reason == NESTED_IN_ATTRIBUTES:
            raise invalid(NESTED_IN_ATTRIBUTES) from None  # recorded for SetSubscriptionAttributes
        raise invalid(prefix + err.reason) from None


def _compile(policy: str, scope: str) -> ObjectMatcher:
    """Parse, check and compile a policy, raising PatternError with SNS's reason."""
    if len(policy.encode()) > MAX_POLICY_BYTES:
        raise PatternError("Filter policy is too large")  # unverified wording
    try:
        source = json.loads(policy)
    except json.JSONDecodeError as exc:
        raise PatternError(_parse_error(policy, exc)) from None
    if not isinstance(source, Mapping):  # (a JSON string would be parsed a second time)
        raise PatternError("Filter is not an object")  # unverified: EventBridge's wording
    _refuse_sns_unsupported(source)
    return compile_filter_policy(source, scope)


def _refuse_sns_unsupported(node: Any, in_array: bool = False) -> None:
    """Where SNS's anything-but differs from EventBridge's (both recorded): it takes ``prefix``
    but not ``suffix``, and words a bad prefix "prefix match pattern must be a string".
    (Match expressions are the objects inside a field's array.)"""
    if isinstance(node, Mapping):
        inner = node.get("anything-but") if in_array and len(node) == 1 else None
        if isinstance(inner, Mapping) and len(inner) == 1:
            if "suffix" in inner:
                raise PatternError("Unsupported anything-but pattern: suffix")
            if "prefix" in inner and not isinstance(inner["prefix"], str):
                raise PatternError("prefix match pattern must be a string")
        for value in node.values():
            _refuse_sns_unsupported(value)
    elif isinstance(node, list):
        for value in node:
            _refuse_sns_unsupported(value, in_array=True)


def _parse_error(text: str, exc: json.JSONDecodeError) -> str:
    """The reason SNS gives for policy text that is not JSON: its (Jackson) parser's words."""
    reason, line, column = jackson.describe(text, exc)
    return f"failed to parse JSON. {reason}{jackson.location(_JACKSON_SOURCE, line, column)}"


# ---- applying a policy ---------------------------------------------------------------------


def accepts(provider: SnsProvider, topic: Topic, sub: Subscription, entry: dict[str, Any]) -> bool:
    """Whether ``sub``'s filter policy lets the message through (recording the filtered-out
    metrics when it does not). A subscription without a policy takes every message."""
    policy = sub.attributes.get("FilterPolicy")
    if not policy:
        return True
    scope = sub.attributes.get("FilterPolicyScope") or ATTRIBUTES
    reason = rejection(policy, scope, sub.protocol, entry)
    if reason is None:
        return True
    sns_metrics.filtered_out(provider.metrics, topic.arn, reason, scope)
    return False


def rejection(policy: str, scope: str, protocol: str, entry: dict[str, Any]) -> str | None:
    """None when the message matches ``policy``; else why not (a metric suffix)."""
    compiled = _compiled(policy, scope)
    if scope == BODY:
        body = _body_event(messages.message_for(entry["Message"], entry.get("Structure"), protocol))
        if body is None:
            return INVALID_BODY
        event = body
    else:
        attributes = entry.get("Attributes")
        if not attributes:
            if compiled is not None and match(compiled, {}):
                return None  # a policy of only exists:false / anything-but conditions
            return NO_ATTRIBUTES
        event = _attributes_event(attributes)  # type: ignore[assignment]
        if event is None:
            return INVALID_ATTRIBUTES
    if compiled is None or not match(compiled, event):
        return MISMATCH
    return None


@lru_cache(maxsize=1024)
def _compiled(policy: str, scope: str) -> ObjectMatcher | None:
    """The compiled policy; None for one stored before it was checked (it matches nothing)."""
    try:
        compiled = _compile(policy, scope)
    except PatternError:
        return None
    return compiled if scope == BODY else _null_is_absent(compiled)


def _null_is_absent(node: ObjectMatcher) -> ObjectMatcher:
    """In attribute scope ``null`` matches a message without that attribute (recorded: a
    message with no attributes passes ``{"attr1": [null, {"anything-but": "whatever"}]}``);
    attribute values are never JSON null."""
    fields = tuple(
        (key, _leaf_null_is_absent(value) if isinstance(value, Leaf) else _null_is_absent(value))
        for key, value in node.fields
    )
    alternatives = tuple(tuple(_null_is_absent(alt) for alt in group) for group in node.alternatives)
    return ObjectMatcher(fields, alternatives)


def _leaf_null_is_absent(leaf: Leaf) -> Leaf:
    return Leaf(
        tuple(Exists(False) if isinstance(c, Exact) and c.value is None else c for c in leaf.conditions)
    )


@lru_cache(maxsize=16)
def _body_event(body: str) -> dict[str, Any] | None:
    """A message body as a JSON object (parsed once for all the topic's body-scope
    subscribers); None when it is not one. The dict is shared: never modified."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None


def _attributes_event(attributes: Mapping[str, Mapping[str, Any]]) -> dict[str, Any] | None:
    """Message attributes as the object a policy matches: String as text, Number as a number,
    String.Array as its array; Binary left out. None when an attribute is malformed."""
    event: dict[str, Any] = {}
    for name, attr in attributes.items():
        data_type = attr.get("DataType") or ""
        value = attr.get("StringValue")
        if data_type.startswith("Binary") or value is None:
            continue
        if data_type.startswith("Number"):
            try:
                event[name] = float(value)
            except ValueError:
                return None
        elif data_type == "String.Array":
            try:
                array = orjson.loads(value)
            except orjson.JSONDecodeError:
                return None
            if not isinstance(array, list):
                return None
            event[name] = array
        else:
            event[name] = value
    return event
