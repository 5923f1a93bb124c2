"""What every provider shares: the request context and the base class."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import make_arn, partition_for
from cloudlet.gateway.detect import signature_error
from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from collections.abc import Awaitable

    from cloudlet.gateway.detect import Credentials
    from cloudlet.gateway.request import Request
    from cloudlet.protocol.common import Response
    from cloudlet.runtime import Runtime


@dataclass
class RequestContext:
    """Who asked for what, and where."""

    service: str
    operation: str
    account: str
    region: str
    request_id: str
    access_key: str = ""
    protocol: str = ""
    request: Request | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def partition(self) -> str:
        return partition_for(self.region)

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        """An ARN in this request's account (and region unless ``region`` says otherwise)."""
        return make_arn(service, self.region if region is None else region, self.account, resource)


class Provider:
    """Base of every service provider: one method per implemented operation.

    An operation ``SendMessage`` is served by ``def send_message(self, ctx, params)``
    (sync or async) returning the output shape as a dict; a missing method answers
    ``NotImplemented`` (501). Providers are created on first use.
    """

    service = ""
    # Coral-style input validation from the model, and the error code it answers.
    validate_input = True
    own_checks: frozenset[str] = frozenset()  # shapes the provider checks itself (its own errors)
    validation_code: str | None = None  # None: ValidationError (query) or ValidationException

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.clock = runtime.clock
        self.scheduler = runtime.scheduler
        self.deliveries = runtime.deliveries
        self.channel = runtime.channel
        self.metrics = runtime.metrics

    def check_request(self, ctx: RequestContext) -> None:
        """Refuse a request before its operation runs (e.g. an expired presigned URL); raises ServiceError."""

    def signature_error(self, creds: Credentials) -> ServiceError:
        """The error for a request whose signature cannot be read, in this service's words."""
        return signature_error(creds)

    def no_operation(self, request: Request) -> Response | Awaitable[Response] | None:
        """Answer a request routed here that no operation describes (None: the protocol's
        unknown-operation error)."""
        return None

    def too_large(self, request: Request) -> ServiceError:
        """The error for a body larger than any operation of this service takes."""
        return ServiceError("RequestEntityTooLarge", "Request body too large", 413)

    async def start(self) -> None:
        """Resume background work after a (re)start; called once, after creation."""

    async def stop(self) -> None:
        """Stop background work."""

    def reset(self) -> None:
        """Forget in-memory state (the store was wiped)."""

    def resource_counts(self) -> dict[str, int]:
        """Counts of this service's resources, for ``cloudlet status``."""
        return {}
