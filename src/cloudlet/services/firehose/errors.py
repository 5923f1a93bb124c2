"""The errors Firehose answers (botocore ``firehose`` model error shapes)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.firehose.prefixes import invalid

__all__ = ["in_use", "invalid", "invalid_kms", "limit_exceeded", "not_found", "version_mismatch"]


def not_found(name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException", f"Firehose {name} under account {account} not found.", 400
    )


def in_use(name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceInUseException", f"Firehose {name} under accountId {account} already exists.", 400
    )  # unverified


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message, 400)


def version_mismatch(name: str, current: int, given: str) -> ServiceError:
    return ServiceError(
        "ConcurrentModificationException",
        f"Cannot update firehose {name}: the current version id is {current}, not {given}.",  # unverified
        400,
    )


def invalid_kms(refusal: ServiceError) -> ServiceError:
    """KMS's refusal of a stream's customer managed key (its code in the ``code`` member)."""
    return ServiceError(
        "InvalidKMSResourceException", refusal.message, 400, fields={"code": refusal.code}
    )  # unverified: the message and code AWS answers
