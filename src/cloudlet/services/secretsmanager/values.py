"""Secret values through KMS: encrypted with the secret's key, bound to AWS's encryption context.

KMS's errors become Secrets Manager's, as the service answers them.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.kms.interface import KeyRef, key_service
from cloudlet.services.secretsmanager.errors import invalid_parameter

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

MANAGED_ALIAS = "aws/secretsmanager"
DEFAULT_KEY_LABEL = "DefaultEncryptionKey"  # what ListSecretVersionIds reports for aws/secretsmanager
MAX_BYTES = 65536


def context(arn: str, version_id: str) -> dict[str, str]:
    return {"SecretARN": arn, "SecretVersionId": version_id}


def _encryption_error(exc: ServiceError) -> ServiceError:
    if exc.code == "AccessDeniedException":
        return ServiceError("AccessDeniedException", "Access to KMS is not allowed", 400)
    if exc.code in ("NotFoundException", "InvalidArnException"):
        # unverified: the code follows a 2018 report (boto/boto3#1533); the message is ours
        return invalid_parameter("The ARN, key ID, or alias of the KMS key is not valid.")
    # DisabledException, KMSInvalidStateException, IncorrectKeyException, ...
    # unverified: AWS's wording of EncryptionFailure
    return ServiceError(
        "EncryptionFailure", f"Secrets Manager can't encrypt the secret value: {exc.message}", 400
    )


def _decryption_error(exc: ServiceError) -> ServiceError:
    if exc.code == "AccessDeniedException":
        return ServiceError("AccessDeniedException", "Access to KMS is not allowed", 400)
    # unverified: AWS's wording of DecryptionFailure for a disabled or deleted key
    return ServiceError(
        "DecryptionFailure",
        "Secrets Manager can't decrypt the protected secret text using the provided KMS key.",
        400,
    )


def resolve_key(runtime: Runtime, account: str, region: str, key: str | None) -> KeyRef:
    """The key ``key`` names (None: aws/secretsmanager), or Secrets Manager's error."""
    try:
        return key_service(runtime).resolve(account, region, key, managed_alias=MANAGED_ALIAS)
    except ServiceError as exc:
        raise _encryption_error(exc) from None


def encrypt(
    runtime: Runtime, account: str, region: str, key: str | None, arn: str, version_id: str, plaintext: bytes
) -> tuple[str, KeyRef]:
    """(base64 ciphertext, key) of ``plaintext`` under ``key`` (None: aws/secretsmanager)."""
    try:
        blob, ref = key_service(runtime).encrypt(
            account, region, key, plaintext, context(arn, version_id), managed_alias=MANAGED_ALIAS
        )
    except ServiceError as exc:
        raise _encryption_error(exc) from None
    return base64.b64encode(blob).decode(), ref


def decrypt(runtime: Runtime, account: str, region: str, blob: str, arn: str, version_id: str) -> bytes:
    try:
        plaintext, _ = key_service(runtime).decrypt(
            account, region, base64.b64decode(blob), context(arn, version_id)
        )
    except ServiceError as exc:
        raise _decryption_error(exc) from None
    return plaintext


def check_size(kind: str, data: bytes) -> None:
    if len(data) > MAX_BYTES:
        # unverified: AWS's message for a value over 64 KB (the model caps characters, AWS bytes)
        raise invalid_parameter(f"The secret value exceeds the maximum size of {MAX_BYTES} bytes.")
