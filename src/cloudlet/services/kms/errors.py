"""KMS's errors, in AWS's words (recorded in aws-reference/kms/test_kms.snapshot.json unless
marked ``unverified``)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError


def not_found(arn: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Key '{arn}' does not exist", 400)


def invalid_key_id(key_id: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Invalid keyId '{key_id}'", 400)


def invalid_arn(region: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Invalid arn {region}", 400)


def alias_not_found(alias_arn: str) -> ServiceError:
    # unverified: AWS's wording for a missing alias
    return ServiceError("NotFoundException", f"Alias {alias_arn} is not found.", 400)


def disabled(arn: str) -> ServiceError:
    return ServiceError("DisabledException", f"{arn} is disabled.", 400)


def pending_deletion(arn: str) -> ServiceError:
    return ServiceError("KMSInvalidStateException", f"{arn} is pending deletion.", 400)


def invalid_state(message: str) -> ServiceError:
    return ServiceError("KMSInvalidStateException", message, 400)


def invalid_ciphertext() -> ServiceError:
    return ServiceError("InvalidCiphertextException", "", 400)


def incorrect_key() -> ServiceError:
    return ServiceError(
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
        400,
    )


def wrong_usage(arn: str, usage: str, operation: str) -> ServiceError:
    return ServiceError(
        "InvalidKeyUsageException", f"{arn} key usage is {usage} which is not valid for {operation}.", 400
    )


def incompatible_algorithm(algorithm: str, spec: str) -> ServiceError:
    return ServiceError(
        "InvalidKeyUsageException", f"Algorithm {algorithm} is incompatible with key spec {spec}.", 400
    )


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def unsupported(message: str = "") -> ServiceError:
    return ServiceError("UnsupportedOperationException", message, 400)


def tag_error(message: str) -> ServiceError:
    return ServiceError("TagException", message, 400)


def constraint(value: object, member: str, rule: str) -> ServiceError:
    """A Coral-style single validation error."""
    return validation(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {rule}"
    )
