"""Lambda's errors, worded as AWS words them (recorded in ../shared/aws-reference/lambda_)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError

_USER = {"Type": "User"}


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, 400, fields=_USER)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 404, fields=_USER)


def function_not_found(arn: str) -> ServiceError:
    return not_found(f"Function not found: {arn}")


def conflict(message: str) -> ServiceError:
    return ServiceError("ResourceConflictException", message, 409, fields=_USER)


def precondition(api: str) -> ServiceError:
    return ServiceError(
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. "
        f"Call the {api} API to retrieve the latest Revision Id",
        412,
        fields=_USER,
    )


def too_large(message: str) -> ServiceError:
    # recorded as RequestEntityTooLargeException (413), which the model names RequestTooLargeException
    return ServiceError("RequestEntityTooLargeException", message, 413, fields=_USER)


def coral(value: str, member: str, constraint: str, code: str = "ValidationException") -> ServiceError:
    """A Coral-style validation message the service writes itself."""
    message = f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: {constraint}"
    return ServiceError(code, message, 400, fields=_USER if code != "ValidationException" else None)
