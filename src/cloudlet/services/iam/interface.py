"""What other services ask of IAM, in process (STS today; enforcement later): entities by
account and name, and the use of a role. Implemented by the IAM provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

Kind = Literal["user", "role", "group", "policy", "oidc", "profile"]


class Directory(Protocol):
    """IAM's entities as other services read them."""

    def entity(self, account: str, kind: Kind, name: str) -> dict[str, Any] | None:
        """The stored entity (``RoleId``, ``Arn``, ``AssumeRolePolicyDocument``, ``Tags``, ...) or
        None; an OIDC provider is named by its URL without the scheme."""
        ...

    def role_used(self, account: str, name: str, region: str, when: float) -> None:
        """Record that the role was assumed (``RoleLastUsed``)."""
        ...


def directory(runtime: Runtime) -> Directory | None:
    """The IAM provider of ``runtime`` as the directory other services use (None without IAM)."""
    return runtime.load("iam")  # type: ignore[return-value]
