"""SQS errors, raised by their JSON ``__type`` (the protocol layer maps query codes)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError

# Statuses the SQS model does not declare (its query codes live in protocol.base).
_STATUS = {"ResourceNotFoundException": 404}


def sqs_error(code: str, message: str) -> ServiceError:
    """An SQS error by its JSON ``__type``; query clients get the legacy code for it."""
    return ServiceError(code, message, _STATUS.get(code))


def invalid_parameter(name: str, value: object, reason: str) -> ServiceError:
    return sqs_error(
        "InvalidParameterValueException", f"Value {value} for parameter {name} is invalid. Reason: {reason}"
    )


def invalid_parameters(reason: str) -> ServiceError:
    return sqs_error(
        "InvalidParameterValueException", f"One or more parameters are invalid. Reason: {reason}"
    )


def missing_parameter(name: str) -> ServiceError:
    return sqs_error("MissingRequiredParameterException", f"The request must contain the parameter {name}.")


def queue_does_not_exist(query: bool) -> ServiceError:
    suffix = " for this wsdl version." if query else "."
    return sqs_error("QueueDoesNotExist", f"The specified queue does not exist{suffix}")
