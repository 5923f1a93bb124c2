"""Queue attributes: defaults, documented ranges, and the checks AWS applies to them."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.services.sqs.errors import sqs_error

# Settable attributes: name -> (default, (min, max) for integers or None).
INTEGER_RANGES: dict[str, tuple[int, int]] = {
    "DelaySeconds": (0, 900),
    "MaximumMessageSize": (1024, 1048576),
    "MessageRetentionPeriod": (60, 1209600),
    "ReceiveMessageWaitTimeSeconds": (0, 20),
    "VisibilityTimeout": (0, 43200),
    "KmsDataKeyReusePeriodSeconds": (60, 86400),
}
DEFAULTS: dict[str, str] = {
    "DelaySeconds": "0",
    "MaximumMessageSize": "1048576",
    "MessageRetentionPeriod": "345600",
    "ReceiveMessageWaitTimeSeconds": "0",
    "VisibilityTimeout": "30",
    "SqsManagedSseEnabled": "true",
}
FIFO_DEFAULTS: dict[str, str] = {
    "FifoQueue": "true",
    "ContentBasedDeduplication": "false",
    "DeduplicationScope": "queue",
    "FifoThroughputLimit": "perQueue",
}
SETTABLE = {
    *INTEGER_RANGES,
    "Policy",
    "RedrivePolicy",
    "RedriveAllowPolicy",
    "KmsMasterKeyId",
    "SqsManagedSseEnabled",
}
FIFO_ONLY = {"ContentBasedDeduplication", "DeduplicationScope", "FifoThroughputLimit"}
READ_ONLY = {
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
}
ALL_NAMES = SETTABLE | FIFO_ONLY | READ_ONLY | {"FifoQueue"}
ENUMS = {
    "DeduplicationScope": ("messageGroup", "queue"),
    "FifoThroughputLimit": ("perQueue", "perMessageGroupId"),
}
BOOLEANS = {"ContentBasedDeduplication", "SqsManagedSseEnabled", "FifoQueue"}


def invalid_value(name: str, reason: str | None = None) -> Exception:
    text = f"Invalid value for the parameter {name}."
    if reason:
        text = f"Invalid value for the parameter {name}. Reason: {reason}"
    return sqs_error("InvalidAttributeValue", text)


def unknown_attribute(name: str) -> Exception:
    return sqs_error("InvalidAttributeName", f"Unknown Attribute {name}.")


def check(attributes: dict[str, str], fifo: bool, creating: bool) -> dict[str, str]:
    """Validate attributes being set; returns them normalized (booleans lower-case)."""
    out: dict[str, str] = {}
    for name, value in attributes.items():
        if name == "FifoQueue":
            # Recorded (test_set_unsupported_attribute_*): a standard queue knows no FifoQueue;
            # a FIFO queue takes "true" again but refuses any other value.
            if not fifo:
                raise unknown_attribute(name)
            if not creating and value.lower() != "true":
                raise invalid_value(name, "Modifying queue type is not supported.")
        elif name in FIFO_ONLY:
            if not fifo:
                if creating and name in ("DeduplicationScope", "FifoThroughputLimit"):
                    raise sqs_error(
                        "InvalidAttributeName",
                        f"You can specify the {name} only when FifoQueue is set to true.",
                    )
                raise unknown_attribute(name)
        elif name not in SETTABLE:
            raise unknown_attribute(name)
        out[name] = _check_value(name, value)
    return out


def _check_value(name: str, value: str) -> str:
    if name in INTEGER_RANGES:
        lo, hi = INTEGER_RANGES[name]
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid_value(name) from None
        if not lo <= number <= hi:
            raise invalid_value(name)
        return str(number)
    if name in BOOLEANS:
        if value.lower() not in ("true", "false"):
            raise invalid_value(name)
        return value.lower()
    if name in ENUMS:
        if value not in ENUMS[name]:
            raise invalid_value(name)
        return value
    if name == "Policy" and value:
        _json_object(name, value)
    if name == "RedrivePolicy" and value:
        check_redrive_policy(value)
    if name == "RedriveAllowPolicy" and value:
        check_redrive_allow_policy(value)
    return value


def _json_object(name: str, value: str) -> dict[str, Any]:
    try:
        data = orjson.loads(value)
    except orjson.JSONDecodeError:
        raise invalid_value(name) from None
    if not isinstance(data, dict):
        raise invalid_value(name)
    return data


def check_redrive_policy(value: str) -> dict[str, Any]:
    """The parsed RedrivePolicy (``deadLetterTargetArn``, ``maxReceiveCount``)."""
    data = _json_object("RedrivePolicy", value)
    arn = data.get("deadLetterTargetArn")
    count = data.get("maxReceiveCount")
    if arn is None or count is None:
        raise invalid_value(
            "RedrivePolicy",
            "Redrive policy is not a valid JSON map or it lacks deadLetterTargetArn or maxReceiveCount.",
        )
    try:
        parsed = parse_arn(str(arn))
        if parsed.service != "sqs":
            raise ValueError
    except ValueError:
        raise invalid_value("RedrivePolicy", "Invalid value for deadLetterTargetArn.") from None
    reason = f"Invalid value for maxReceiveCount: {count}, valid values are from 1 to 1000 both inclusive."
    try:
        number = int(count)
    except (TypeError, ValueError):
        raise invalid_value("RedrivePolicy", reason) from None
    if not 1 <= number <= 1000:
        raise invalid_value("RedrivePolicy", reason)
    return {"deadLetterTargetArn": str(arn), "maxReceiveCount": number}


def check_redrive_allow_policy(value: str) -> dict[str, Any]:
    data = _json_object("RedriveAllowPolicy", value)
    permission = data.get("redrivePermission")
    if permission not in ("allowAll", "denyAll", "byQueue"):
        raise invalid_value("RedriveAllowPolicy", "Invalid value for redrivePermission.")
    sources = data.get("sourceQueueArns") or []
    if permission == "byQueue":
        if not sources or len(sources) > 10:
            raise invalid_value(
                "RedriveAllowPolicy",
                "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.",
            )
    elif sources:
        raise invalid_value(
            "RedriveAllowPolicy",
            "Amazon SQS can't create the redrive allow policy, as it's in an unsupported format.",
        )
    return data
