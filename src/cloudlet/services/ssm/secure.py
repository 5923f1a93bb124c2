"""SecureString values through KMS (in process), bound to the parameter's ARN as AWS binds them:
encryption context ``{"PARAMETER_ARN": <parameter ARN>}``, the AWS managed key ``alias/aws/ssm``
unless the request names a key."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.kms.interface import key_service

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

DEFAULT_KEY = "alias/aws/ssm"
MANAGED_ALIAS = "aws/ssm"
# KMS errors that mean the key cannot be used; Parameter Store answers them as InvalidKeyId.
_KEY_ERRORS = frozenset(
    {
        "NotFoundException",
        "DisabledException",
        "KMSInvalidStateException",
        "InvalidKeyUsageException",
        "IncorrectKeyException",
        "InvalidCiphertextException",
        "InvalidArnException",
        "ValidationException",
    }
)


def _translate(exc: ServiceError) -> ServiceError:
    # unverified: AWS answers InvalidKeyId for a missing, disabled or pending-deletion key; the
    # message here is KMS's own.
    if exc.code in _KEY_ERRORS:
        return ServiceError("InvalidKeyId", exc.message, 400)
    return exc


def _context(arn: str) -> dict[str, str]:
    return {"PARAMETER_ARN": arn}


def encrypt(runtime: Runtime, account: str, region: str, key: str | None, arn: str, value: str) -> str:
    """The stored form of a SecureString value: base64 of the KMS ciphertext blob."""
    try:
        blob, _ = key_service(runtime).encrypt(
            account, region, key, value.encode(), _context(arn), managed_alias=MANAGED_ALIAS
        )
    except ServiceError as exc:
        raise _translate(exc) from None
    return base64.b64encode(blob).decode()


def decrypt(runtime: Runtime, account: str, region: str, arn: str, stored: str) -> str:
    """The plaintext of a stored SecureString value."""
    try:
        blob = base64.b64decode(stored)
    except (binascii.Error, ValueError):
        raise ServiceError("InvalidKeyId", "The ciphertext of this parameter cannot be read.", 400) from None
    try:
        plaintext, _ = key_service(runtime).decrypt(account, region, blob, _context(arn))
    except ServiceError as exc:
        raise _translate(exc) from None
    return plaintext.decode()
