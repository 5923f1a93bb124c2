"""Operations called in process, as a request would call them: for services that act on
behalf of a caller through any other service's API (Step Functions' ``aws-sdk`` and optimized
integrations), where a typed interface per operation would be the whole API again.

The parameters are the operation's input as the protocols parse it (member names as in the
model; blobs as bytes, timestamps as datetimes); they are validated against the model, as a
request's are, and the provider's method answers its output shape or raises ``ServiceError``.
There is no HTTP request behind the call (``ctx.request`` is None).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.gateway.dispatch import snake_case
from cloudlet.protocol.errors import ServiceError, not_implemented, validation_error
from cloudlet.protocol.model import Operation, service_model
from cloudlet.protocol.validate import validate
from cloudlet.services.base import RequestContext

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


def operation(service: str, name: str) -> Operation | None:
    """The model's operation ``name`` of ``service`` (a botocore model name), None if unknown."""
    try:
        model = service_model(service)
    except Exception:  # an unknown service: botocore's own errors vary
        return None
    return model.operation(name) if model.has_operation(name) else None


async def call(
    runtime: Runtime, service: str, name: str, params: dict[str, Any], *, account: str, region: str
) -> dict[str, Any]:
    """Run ``service``'s operation ``name`` with ``params``; its output, or ``ServiceError``."""
    op = operation(service, name)
    if op is None:
        raise ServiceError(
            "UnknownOperationException", f"Unknown operation {service}.{name}", 400
        )  # unverified
    provider = runtime.load(service)
    method = getattr(provider, snake_case(op.name), None) if provider is not None else None
    if method is None:
        raise not_implemented(service, op.name)
    if op.input is not None:
        problems = validate(
            params, op.input, nulls_only=not provider.validate_input, skip=provider.own_checks
        )
        if problems:
            raise validation_error(problems, provider.validation_code or "ValidationException")
    ctx = RequestContext(
        service=service, operation=op.name, account=account, region=region, request_id=ids.request_id()
    )
    provider.check_request(ctx)
    result = method(ctx, params)
    if asyncio.iscoroutine(result):
        result = await result
    return result or {}
