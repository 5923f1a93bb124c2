"""What other services ask of Secrets Manager, in process (Parameter Store's
``/aws/reference/secretsmanager/`` names; CloudFormation's dynamic references later; the
secrets a service manages itself, such as EventBridge connections').
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


class ManagedSecrets(SecretReader, Protocol):
    """Secrets another service creates and keeps (``OwningService``), as AWS's services keep
    theirs: stored, encrypted and durable like any secret, read with ``read_secret``, and
    changed only through these calls (Secrets Manager's own operations refuse to)."""

    def create_managed_secret(
        self, account: str, region: str, name: str, value: str, owning_service: str
    ) -> str:
        """Create the secret ``name`` (``!`` allowed, as in ``events!connection/...``) with the
        string ``value`` as its AWSCURRENT version; its ARN. ``ServiceError`` when the name is
        taken (ResourceExistsException) or invalid, or the value cannot be encrypted."""
        ...

    def put_managed_secret_value(self, arn: str, value: str) -> str:
        """Store ``value`` as a new AWSCURRENT version of the managed secret ``arn``; its
        VersionId. ``ServiceError`` when it does not exist (ResourceNotFoundException), is not
        managed by a service or is marked for deletion (InvalidRequestException)."""
        ...

    def delete_managed_secret(self, arn: str) -> None:
        """Delete the managed secret ``arn`` at once (no recovery window); nothing if it is gone."""
        ...


def managed_secrets(runtime: Runtime) -> ManagedSecrets | None:
    """The Secrets Manager provider of ``runtime`` as the managed-secret interface, or None when
    this Cloudlet does not serve Secrets Manager."""
    return runtime.load("secretsmanager")  # type: ignore[return-value]
