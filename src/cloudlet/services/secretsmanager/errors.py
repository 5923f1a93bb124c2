"""Secrets Manager's errors, with AWS's codes and messages."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError

NOT_FOUND = "Secrets Manager can't find the specified secret."
MARKED_FOR_DELETION = "You can't perform this operation on the secret because it was marked for deletion."
NEED_TOKEN = "You must provide a ClientRequestToken value. We recommend a UUID-type value."
INVALID_NAME = (
    "Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!"
)


def not_found(message: str = NOT_FOUND) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequestException", message, 400)


def invalid_parameter(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def marked_for_deletion() -> ServiceError:
    return invalid_request(MARKED_FOR_DELETION)


def exists(name: str) -> ServiceError:
    return ServiceError(
        "ResourceExistsException", f"The operation failed because the secret {name} already exists.", 400
    )


def invalid_name() -> ServiceError:
    # Recorded from AWS for every operation given a bad name (test_invalid_secret_name).
    return ServiceError("ValidationException", INVALID_NAME, 400)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message, 400)
