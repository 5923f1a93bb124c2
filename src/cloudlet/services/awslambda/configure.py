"""Checks of a function's configuration (CreateFunction, UpdateFunctionConfiguration) beyond
what the model's constraints cover, with AWS's errors."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

from cloudlet.services.awslambda.errors import coral, invalid

# Runtimes AWS accepts for new functions, in the order its error message lists them (recorded).
SUPPORTED = (
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x",
    "nodejs22.x", "java25", "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4", "ruby3.2",
    "python3.8", "python3.9", "java17", "nodejs16.x", "dotnet10", "dotnet8", "java11", "dotnet6",
    "nodejs18.x", "provided.al2", "java8.al2",
)  # fmt: skip
# Runtimes past their block-create date (recorded for several of them; the rest unverified).
DEPRECATED = frozenset(
    {
        "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x", "nodejs12.x",
        "nodejs14.x", "java8", "python2.7", "python3.6", "python3.7", "dotnetcore1.0", "dotnetcore2.0",
        "dotnetcore2.1", "dotnetcore3.1", "go1.x", "ruby2.5", "ruby2.7", "provided",
    }
)  # fmt: skip
MAX_TIMEOUT = 900
MIN_MEMORY, MAX_MEMORY = 128, 10240
MAX_ENV = 4096
MAX_LAYERS = 5
MAX_TAGS = 50
RESERVED_ENV = frozenset(
    {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR",
    }
)  # fmt: skip


def check_runtime(runtime: str) -> None:
    if runtime in DEPRECATED:
        raise invalid(
            f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda "
            "functions. We recommend you use a supported runtime while creating or updating functions."
        )
    if runtime not in SUPPORTED:
        raise invalid(
            f"Value {runtime} at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: "
            f"[{', '.join(SUPPORTED)}] or be a valid ARN"
        )


def runtime_version_arn(region: str, runtime: str) -> str:
    digest = hashlib.sha256(runtime.encode()).hexdigest()
    return f"arn:aws:lambda:{region}::runtime:{digest}"


def check_handler(handler: str | None, runtime: str | None) -> None:
    """Zip functions need a handler (unverified wording)."""
    if not handler:
        raise invalid("Handler is required for functions with package type Zip.")  # unverified


def check_limits(params: dict[str, Any]) -> None:
    timeout = params.get("Timeout")
    if timeout is not None and timeout > MAX_TIMEOUT:
        # unverified: the front end's wording for Timeout above 900
        raise coral(str(timeout), "timeout", f"Member must have value less than or equal to {MAX_TIMEOUT}")
    memory = params.get("MemorySize")
    if memory is not None and memory > MAX_MEMORY:
        # unverified: AWS's wording for MemorySize above the account's 10240 MB
        raise invalid(
            f"'MemorySize' value failed to satisfy constraint: Member must have value less than or equal to {MAX_MEMORY}"
        )


def check_environment(environment: dict[str, Any] | None) -> dict[str, str]:
    variables: dict[str, str] = dict((environment or {}).get("Variables") or {})
    reserved = sorted(k for k in variables if k in RESERVED_ENV)
    if reserved:
        # unverified: wording of the reserved-keys refusal
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment variables you "
            "have provided contains reserved keys that are currently not supported for modification. Reserved "
            f"keys used in this request: {','.join(reserved)}"
        )
    measured = orjson.dumps(variables).decode()
    if len(measured.encode()) > MAX_ENV:
        raise invalid(
            "Lambda was unable to configure your environment variables because the environment variables you "
            f"have provided exceeded the 4KB limit. String measured: {measured}"
        )
    return variables


def check_tags(tags: dict[str, str] | None) -> dict[str, str]:
    tags = dict(tags or {})
    if len(tags) > MAX_TAGS:
        raise invalid("Number of tags exceeds resource tag limit.")
    return tags


def logging_config(
    given: dict[str, Any] | None, name: str, current: dict[str, Any] | None = None
) -> dict[str, Any]:
    """LoggingConfig as answered: LogFormat Text by default, levels (INFO) only with JSON."""
    config = dict(current or {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"})
    config.update(given or {})
    if config.get("LogFormat") == "JSON":
        config.setdefault("ApplicationLogLevel", "INFO")
        config.setdefault("SystemLogLevel", "INFO")
    elif given and ("ApplicationLogLevel" in given or "SystemLogLevel" in given):
        # unverified: wording when log levels come with the Text format
        raise invalid("ApplicationLogLevel and SystemLogLevel can only be set when LogFormat is JSON.")
    else:
        config.pop("ApplicationLogLevel", None)
        config.pop("SystemLogLevel", None)
    config.setdefault("LogGroup", f"/aws/lambda/{name}")
    return config


def check_dead_letter(config: dict[str, Any] | None) -> None:
    target = (config or {}).get("TargetArn")
    if target and not (target.startswith("arn:") and (":sqs:" in target or ":sns:" in target)):
        # unverified: wording for a dead-letter target that is neither SQS nor SNS
        raise invalid(
            "The provided target arn is invalid. Please provide a valid Amazon SNS topic or Amazon SQS queue."
        )
