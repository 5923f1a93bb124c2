"""Dynamic references to Parameter Store, as CloudFormation resolves them:
``{{resolve:ssm:name}}``, ``{{resolve:ssm:name:version}}`` (or ``:label``) and
``{{resolve:ssm-secure:name[:version]}}`` (a SecureString, decrypted)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.ssm import names

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime
    from cloudlet.services.ssm.provider import SsmProvider

_REFERENCE = re.compile(r"\{\{resolve:(ssm|ssm-secure):([^{}]+?)\}\}")


def _provider(runtime: Runtime) -> SsmProvider:
    provider = runtime.load("ssm")
    if provider is None:
        raise RuntimeError("the SSM provider is not registered")
    return provider  # type: ignore[return-value]


def resolve_reference(runtime: Runtime, account: str, region: str, text: str) -> str:
    """``text`` with every ``{{resolve:ssm…}}`` reference replaced by the parameter's value.

    Raises ``ServiceError`` (ValidationException) for a reference to a parameter, version or
    label that does not exist, ``ssm`` naming a SecureString or ``ssm-secure`` naming another
    type; KMS's refusals come as ``InvalidKeyId``.
    """
    provider = _provider(runtime)
    ctx = RequestContext(
        service="ssm", operation="ResolveReference", account=account, region=region, request_id=""
    )

    def value(match: re.Match[str]) -> str:
        kind, reference = match.group(1), match.group(2).strip()
        try:
            version = provider.find(ctx, names.parse_reference(reference))
        except ServiceError as exc:
            if exc.code in ("ParameterNotFound", "ParameterVersionNotFound", "ValidationException"):
                # unverified: CloudFormation's wording for an unresolvable reference
                raise ServiceError(
                    "ValidationException",
                    f"Unable to fetch parameters [{reference}] from parameter store.",
                    400,
                ) from None
            raise
        secure = version.type == "SecureString"
        if secure != (kind == "ssm-secure"):
            # unverified: CloudFormation's wording for a reference of the wrong type
            wanted = "SecureString" if kind == "ssm-secure" else "String or StringList"
            raise ServiceError(
                "ValidationException",
                f"Parameter {version.name} referenced by {match.group(0)} is of type {version.type}; "
                f"{kind} references take {wanted} parameters.",
                400,
            )
        return provider.value_of(version, decrypt=True)

    return _REFERENCE.sub(value, text)


def has_reference(text: str) -> bool:
    """Whether ``text`` holds a Parameter Store dynamic reference."""
    return _REFERENCE.search(text) is not None
