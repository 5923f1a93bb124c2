"""IAM's errors (model shape names; the query codes come from the model) and input checks
beyond what the model's constraints cover."""

from __future__ import annotations

from typing import Any

from cloudlet.core.policy import PolicyError, parse_policy, policy_size
from cloudlet.core.policy.document import Kind
from cloudlet.protocol.errors import ServiceError


def no_such_entity(message: str) -> ServiceError:
    return ServiceError("NoSuchEntityException", message)


def already_exists(message: str) -> ServiceError:
    return ServiceError("EntityAlreadyExistsException", message)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message)


def delete_conflict(message: str) -> ServiceError:
    return ServiceError("DeleteConflictException", message)


def invalid_input(message: str) -> ServiceError:
    return ServiceError("InvalidInputException", message)


def malformed(message: str) -> ServiceError:
    return ServiceError("MalformedPolicyDocumentException", message)


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationError", message, 400)


def check_document(text: str, kind: Kind, limit: int, limit_message: str) -> None:
    """Parse ``text`` as a policy of ``kind``; refuse it as IAM does (size first)."""
    if policy_size(text) > limit:
        raise limit_exceeded(limit_message)
    try:
        parse_policy(text, kind)
    except PolicyError as exc:
        raise malformed(exc.message) from None


def check_tags(tags: list[dict[str, Any]] | None) -> None:
    keys = [t["Key"].lower() for t in tags or []]
    if len(keys) != len(set(keys)):
        raise invalid_input("Duplicate tag keys found. Please note that Tag keys are case insensitive.")


def merge_tags(existing: list[dict[str, str]], new: list[dict[str, str]]) -> list[dict[str, str]]:
    """``existing`` with ``new`` added or replacing tags of the same key (keys case-insensitive)."""
    check_tags(new)
    # unverified: whether a key differing only in case replaces the old tag or is refused.
    replaced = {t["Key"].lower(): t for t in new}
    merged = [replaced.pop(t["Key"].lower(), t) for t in existing]
    merged.extend(replaced.values())
    if len(merged) > 50:
        raise limit_exceeded("The number of tags has reached the maximum limit.")  # unverified: message
    return merged
