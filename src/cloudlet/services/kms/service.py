"""The in-process ``KeyService`` (interface.py) over the KMS provider: what S3, DynamoDB,
Secrets Manager and SSM call for their keys, never over HTTP."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from cloudlet.services.kms.interface import KeyRef

if TYPE_CHECKING:
    from cloudlet.services.kms.provider import KmsProvider


class Keys:
    """KMS as other services use it (implements interface.KeyService)."""

    def __init__(self, provider: KmsProvider) -> None:
        self.provider = provider

    def resolve(self, account: str, region: str, key: str | None, managed_alias: str | None = None) -> KeyRef:
        found = self.provider.service_key(account, region, key, managed_alias)
        return KeyRef(found.arn, found.key_id)

    def encrypt(
        self,
        account: str,
        region: str,
        key: str | None,
        plaintext: bytes,
        context: dict[str, str] | None = None,
        managed_alias: str | None = None,
    ) -> tuple[bytes, KeyRef]:
        found = self.provider.service_key(account, region, key, managed_alias)
        return self.provider.seal(found, plaintext, context), KeyRef(found.arn, found.key_id)

    def decrypt(
        self, account: str, region: str, blob: bytes, context: dict[str, str] | None = None
    ) -> tuple[bytes, KeyRef]:
        plaintext, found = self.provider.unseal(account, region, blob, context)
        return plaintext, KeyRef(found.arn, found.key_id)

    def generate_data_key(
        self,
        account: str,
        region: str,
        key: str | None,
        context: dict[str, str] | None = None,
        managed_alias: str | None = None,
    ) -> tuple[bytes, bytes, KeyRef]:
        plaintext = secrets.token_bytes(32)
        blob, ref = self.encrypt(account, region, key, plaintext, context, managed_alias)
        return plaintext, blob, ref
