"""Parameter policies: Expiration (enforced on the Cloudlet clock), ExpirationNotification and
NoChangeNotification (stored and reported)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import orjson

from cloudlet.protocol.errors import ServiceError

TYPES = ("Expiration", "ExpirationNotification", "NoChangeNotification")
UNITS = ("Days", "Hours")
MAX_POLICIES = 10  # unverified: AWS's limit on policies per parameter


def _attribute_error(message: str) -> ServiceError:
    return ServiceError("InvalidPolicyAttributeException", message, 400)


def parse_timestamp(text: Any) -> float | None:
    """An ISO 8601 timestamp (``2030-12-02T21:34:33.000Z``) as epoch seconds, or None."""
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.timestamp()


def _check(policy: dict[str, Any], now: float) -> None:
    kind = policy["Type"]
    attributes = policy.get("Attributes")
    if not isinstance(attributes, dict):
        raise _attribute_error(f"A policy of type {kind} requires Attributes.")  # unverified
    if kind == "Expiration":
        when = parse_timestamp(attributes.get("Timestamp"))
        if when is None:
            # unverified: message wording
            raise _attribute_error("Invalid Timestamp: expected an ISO 8601 date and time in UTC.")
        if when <= now:
            raise _attribute_error("The Expiration policy Timestamp must be in the future.")  # unverified
        return
    amount = attributes.get("Before" if kind == "ExpirationNotification" else "After")
    if not (isinstance(amount, str) and amount.isdigit() and int(amount) > 0):
        raise _attribute_error(f"Invalid attribute value for a {kind} policy.")  # unverified
    if attributes.get("Unit", "Days") not in UNITS:
        raise _attribute_error("The Unit attribute must be Days or Hours.")  # unverified


def parse(text: str, now: float) -> list[dict[str, Any]]:
    """The stored form (``PolicyText``, ``PolicyType``, ``PolicyStatus``) of a Policies document."""
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError:
        raise ServiceError(
            "InvalidPolicyTypeException", "The policy document is not valid JSON.", 400
        ) from None
    if not isinstance(document, list) or not all(isinstance(p, dict) for p in document):
        raise ServiceError(
            "InvalidPolicyTypeException", "The policy document must be a JSON array of policies.", 400
        )
    if len(document) > MAX_POLICIES:
        raise ServiceError(
            "PoliciesLimitExceededException", f"You can specify a maximum of {MAX_POLICIES} policies.", 400
        )
    seen: set[str] = set()
    out = []
    for policy in document:
        kind = policy.get("Type")
        if kind not in TYPES:
            raise ServiceError(
                "InvalidPolicyTypeException", f"The following policy type is not supported: {kind}", 400
            )
        if kind in seen:
            raise ServiceError(
                "IncompatiblePolicyException",
                "There is a conflict in the policies specified for this parameter. You can't, for example, "
                "specify two Expiration policies for a parameter.",
                400,
            )
        seen.add(kind)
        _check(policy, now)
        out.append(
            {"PolicyText": orjson.dumps(policy).decode(), "PolicyType": kind, "PolicyStatus": "Pending"}
        )
    return out


def expires_at(policies: list[dict[str, Any]] | None) -> float | None:
    """When an Expiration policy among ``policies`` deletes the parameter."""
    for policy in policies or ():
        if policy["PolicyType"] == "Expiration":
            return parse_timestamp(orjson.loads(policy["PolicyText"])["Attributes"]["Timestamp"])
    return None
