"""What other services ask of KMS, in process (S3 SSE-KMS, DynamoDB SSE, Secrets Manager,
SSM SecureString): one typed interface, implemented by the KMS provider.

Services never touch key material: they name a key as a user gave it (key id, key ARN, alias
name or alias ARN; None for the service's AWS managed key such as ``alias/aws/secretsmanager``,
created on first use as AWS does) and get back AWS's errors as ``ServiceError``s
(``NotFoundException``, ``DisabledException``, ``KMSInvalidStateException``,
``InvalidCiphertextException``, ``IncorrectKeyException``, ``AccessDeniedException``) for the
caller to answer or translate, as the calling service does on AWS.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


@dataclass(frozen=True)
class KeyRef:
    """A resolved key: its ARN and id, as services report them."""

    arn: str
    key_id: str


class KeyService(Protocol):
    """KMS as other services use it."""

    def resolve(self, account: str, region: str, key: str | None, managed_alias: str | None = None) -> KeyRef:
        """The enabled symmetric key ``key`` names (or the AWS managed key ``managed_alias``,
        e.g. ``aws/s3``, when ``key`` is None); AWS's error when missing, disabled or pending
        deletion."""
        ...

    def encrypt(
        self,
        account: str,
        region: str,
        key: str | None,
        plaintext: bytes,
        context: dict[str, str] | None = None,
        managed_alias: str | None = None,
    ) -> tuple[bytes, KeyRef]:
        """A ciphertext blob only this Cloudlet's key can decrypt, bound to ``context``."""
        ...

    def decrypt(
        self, account: str, region: str, blob: bytes, context: dict[str, str] | None = None
    ) -> tuple[bytes, KeyRef]:
        """The plaintext of a blob ``encrypt`` made (the key is read from the blob)."""
        ...

    def generate_data_key(
        self,
        account: str,
        region: str,
        key: str | None,
        context: dict[str, str] | None = None,
        managed_alias: str | None = None,
    ) -> tuple[bytes, bytes, KeyRef]:
        """A 256-bit data key: (plaintext, its ciphertext blob, the key)."""
        ...


def key_service(runtime: Runtime) -> KeyService:
    """The KMS provider of ``runtime`` (loaded on first use), as the interface services use
    (service.Keys: the provider's own ``encrypt``/``decrypt`` are the API operations)."""
    provider = runtime.load("kms")
    if provider is None:
        raise RuntimeError("the KMS provider is not registered")
    return provider.keys  # type: ignore[attr-defined, no-any-return]
