"""Step Functions' API errors, worded as AWS answers them (recorded unless marked)."""

from __future__ import annotations

import re

from cloudlet.protocol.errors import ServiceError

# A name AWS refuses: whitespace, brackets, wildcards, special and control characters.
_BAD_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")


def invalid_arn(text: str) -> ServiceError:
    return ServiceError("InvalidArn", f"Invalid Arn: '{text}'", 400)


def invalid_name(name: str) -> ServiceError:
    return ServiceError("InvalidName", f"Invalid Name: '{name}'", 400)


def check_name(name: str) -> None:
    if not 1 <= len(name) <= 80 or _BAD_NAME.search(name):
        raise invalid_name(name)


def machine_not_found(arn: str) -> ServiceError:
    return ServiceError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'", 400)


def machine_exists(arn: str) -> ServiceError:
    return ServiceError("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'", 400)


def execution_not_found(arn: str) -> ServiceError:
    return ServiceError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'", 400)


def execution_exists(arn: str) -> ServiceError:
    return ServiceError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'", 400)


def invalid_input(reason: str) -> ServiceError:
    return ServiceError("InvalidExecutionInput", f"Invalid State Machine Execution Input: '{reason}'", 400)


def invalid_definition(reason: str) -> ServiceError:
    return ServiceError("InvalidDefinition", f"Invalid State Machine Definition: '{reason}'", 400)


def type_not_supported() -> ServiceError:
    return ServiceError(
        "StateMachineTypeNotSupported", "This operation is not supported by this type of state machine", 400
    )


def missing_update() -> ServiceError:
    return ServiceError(
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be "
        "specified",
        400,
    )


def invalid_logging(reason: str) -> ServiceError:
    return ServiceError("InvalidLoggingConfiguration", f"Invalid Logging Configuration: {reason}", 400)
