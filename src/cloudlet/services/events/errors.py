"""EventBridge's error answers, in AWS's words (recorded in /work/shared/aws-reference/events/)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def bus_not_found(name: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Event bus {name} does not exist.", 400)


def rule_not_found(name: str, bus: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus}.", 400)


def already_exists(message: str) -> ServiceError:
    return ServiceError("ResourceAlreadyExistsException", message, 400)


def limit_exceeded(
    message: str = "The requested resource exceeds the maximum number allowed.",
) -> ServiceError:
    return ServiceError("LimitExceededException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)
