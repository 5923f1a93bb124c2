"""What other services ask of Lambda, in process: S3 (bucket notifications) checks that it may
invoke a function and queues Event invocations of it; S3 Object Lambda runs a function and
waits for it. Implemented by the Lambda provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


class FunctionInvoker(Protocol):
    """Lambda functions as other services invoke them."""

    def service_may_invoke(
        self, function_arn: str, service: str, context: dict[str, str] | None = None
    ) -> bool:
        """Whether the function exists and its resource policy lets the service principal
        ``service`` (``s3.amazonaws.com``) invoke it, given condition keys such as
        ``aws:SourceArn`` and ``aws:SourceAccount``."""
        ...

    def enqueue_event(self, function_arn: str, payload: bytes, request_id: str) -> bool:
        """Queue an Event invocation on the delivery engine, inside the caller's transaction
        (durable with it); False when the function no longer exists."""
        ...

    async def invoke_function(self, function_arn: str, payload: bytes, request_id: str) -> tuple[bytes, bool]:
        """Run the function once, synchronously (RequestResponse): its answer and whether that
        is a function error. Raises Lambda's ServiceError (``ResourceNotFoundException``,
        ``TooManyRequestsException``, ``NotImplemented`` for a runtime Cloudlet cannot run)."""
        ...


def function_invoker(runtime: Runtime) -> FunctionInvoker | None:
    """The Lambda provider of ``runtime`` as the invoker other services use (None without Lambda)."""
    return runtime.load("lambda")  # type: ignore[return-value]
