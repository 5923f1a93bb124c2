"""Errors a provider raises; each protocol serializer renders them in its own form."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """An AWS error answer.

    ``code`` is the error shape's name in the service model where there is one (the
    serializers map it to the query code, ``__type`` and status the model declares);
    ``status`` overrides the model's status; ``fields`` fills other members of the
    error shape (e.g. ``CancellationReasons``).
    """

    def __init__(
        self,
        code: str,
        message: str = "",
        status: int | None = None,
        *,
        sender_fault: bool | None = None,
        fields: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status
        self.sender_fault = sender_fault
        self.fields = fields or {}
        self.headers = headers or {}


class ValidationError(ServiceError):
    """Input that fails the model's constraints."""


def validation_error(messages: list[str], code: str = "ValidationException") -> ServiceError:
    """The Coral-style validation message AWS front ends produce."""
    n = len(messages)
    noun = "error" if n == 1 else "errors"
    return ValidationError(code, f"{n} validation {noun} detected: " + "; ".join(messages), 400)


def not_implemented(service: str, operation: str) -> ServiceError:
    return ServiceError(
        "NotImplemented",
        f"The operation {operation} of service {service} is not implemented by Cloudlet yet.",
        501,
        sender_fault=False,
    )


def internal_failure(message: str = "An internal error occurred.") -> ServiceError:
    return ServiceError("InternalFailure", message, 500, sender_fault=False)
