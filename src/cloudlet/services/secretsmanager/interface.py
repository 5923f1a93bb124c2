"""What other services ask of Secrets Manager, in process (Parameter Store's
``/aws/reference/secretsmanager/`` names; CloudFormation's dynamic references later).
Implemented by the Secrets Manager provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


class SecretReader(Protocol):
    """Reading secrets as GetSecretValue does."""

    def read_secret(
        self,
        account: str,
        region: str,
        secret_id: str,
        version_id: str | None = None,
        stage: str | None = None,
    ) -> dict[str, Any]:
        """GetSecretValue's answer (``ARN``, ``Name``, ``VersionId``, ``SecretString`` or
        ``SecretBinary``, ``VersionStages``, ``CreatedDate`` as a datetime), or its
        ``ServiceError`` (ResourceNotFoundException, InvalidRequestException, DecryptionFailure)."""
        ...


def secret_reader(runtime: Runtime) -> SecretReader:
    """The Secrets Manager provider of ``runtime``, as the interface other services use."""
    return runtime.load("secretsmanager")  # type: ignore[return-value]
