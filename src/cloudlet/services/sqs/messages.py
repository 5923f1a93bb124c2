"""Message rules: character set, sizes, attributes, FIFO ids, and the received form."""

from __future__ import annotations

import base64
import re
from typing import Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sqs.errors import invalid_parameter, invalid_parameters, missing_parameter, sqs_error

_INVALID_CHARS = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# Letters and digits of any script, "_", "-" and "."; AWS took "attr.1øßä" and refused "§"
# (published tests run against AWS: invalid string attributes).
_ATTR_NAME = re.compile(r"^[\w.-]{1,256}$")
_ID_CHARS = re.compile(r"^[!-~]{1,128}$")  # alphanumeric and punctuation, no spaces
MAX_ATTRIBUTES = 10
SEQUENCE_BASE = 18_000_000_000_000_000_000

SYSTEM_ATTRIBUTE_NAMES = (
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
)


def check_body(body: str | None) -> str:
    if not body:
        raise missing_parameter("MessageBody")
    if _INVALID_CHARS.search(body):
        raise sqs_error(
            "InvalidMessageContents",
            "Invalid characters found. Valid unicode characters are #x9 | #xA | #xD | #x20 to #xD7FF | "
            "#xE000 to #xFFFD | #x10000 to #x10FFFF",
        )
    return body


def check_attributes(attributes: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """Validate message attributes; returns them keeping only the value that matters.

    AWS words these errors without SendMessage's "One or more parameters are invalid." prefix
    (recorded: test_send_message_with_empty_string_attribute; the type-prefix message as SDK
    users report it). unverified: the exact words of the other messages here.
    """
    if not attributes:
        return {}
    if len(attributes) > MAX_ATTRIBUTES:
        raise _attribute_error(
            f"Number of message attributes [{len(attributes)}] exceeds the allowed maximum [{MAX_ATTRIBUTES}]."
        )
    out: dict[str, dict[str, Any]] = {}
    for name, attr in attributes.items():
        if (
            not _ATTR_NAME.match(name)
            or name.lower().startswith((".", "aws.", "amazon."))
            or name.endswith(".")
            or ".." in name
        ):
            raise _attribute_error(f"Message (user) attribute name '{name}' is invalid.")
        data_type = (attr or {}).get("DataType") or ""
        base = data_type.split(".", 1)[0]
        if not data_type:
            raise _attribute_error(
                f"The message attribute '{name}' must contain non-empty message attribute type."
            )
        if base not in ("String", "Number", "Binary") or len(data_type) > 256:
            raise _attribute_error(
                f"The type of message (user) attribute '{name}' is invalid. You must use only the following "
                "supported type prefixes: Binary, Number, String."
            )
        if attr.get("StringListValues") or attr.get("BinaryListValues"):
            raise _attribute_error(f"Message attribute list values in '{name}' are not supported.")
        if base == "Binary":
            value = attr.get("BinaryValue")
            if not value:
                raise _attribute_error(
                    f"Message (user) attribute '{name}' must contain a non-empty value of type 'Binary'."
                )
            out[name] = {"DataType": data_type, "BinaryValue": bytes(value)}
            continue
        text = attr.get("StringValue")
        if text is None or text == "":
            raise _attribute_error(
                f"Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
            )
        if _INVALID_CHARS.search(text):
            raise _attribute_error(f"Message (user) attribute '{name}' contains invalid characters.")
        if base == "Number" and not _is_number(text):
            raise _attribute_error(f"Could not cast message attribute '{name}' value to number.")
        out[name] = {"DataType": data_type, "StringValue": text}
    return out


def _attribute_error(message: str) -> ServiceError:
    return sqs_error("InvalidParameterValueException", message)


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def attributes_size(attributes: dict[str, dict[str, Any]]) -> int:
    """Bytes the attributes count toward the message size: name, type and value."""
    size = 0
    for name, attr in attributes.items():
        size += len(name.encode()) + len(attr["DataType"].encode())
        if "BinaryValue" in attr:
            size += len(attr["BinaryValue"])
        else:
            size += len(attr["StringValue"].encode())
    return size


def check_fifo_id(name: str, value: str) -> str:
    if not _ID_CHARS.match(value):
        raise invalid_parameter(
            name,
            value,
            f"{name} can only include alphanumeric and punctuation characters. 1 to 128 in length.",
        )
    return value


def check_system_attributes(attributes: dict[str, dict[str, Any]] | None) -> dict[str, dict[str, Any]]:
    """MessageSystemAttributes: only ``AWSTraceHeader``, of type String (SendMessage's API
    reference). Its size does not count toward the message's. AWS takes a value that is not
    a well-formed X-Ray header ("Root=1-abc-def", as users validated against AWS), so the
    value's form is not checked. unverified: the words of these errors."""
    if not attributes:
        return {}
    out = {}
    for name, attr in attributes.items():
        if name != "AWSTraceHeader":
            raise invalid_parameters(f"Message system attribute name '{name}' is invalid.")
        value = (attr or {}).get("StringValue")
        if attr.get("DataType") != "String" or not value:
            raise invalid_parameters("Message system attribute 'AWSTraceHeader' must be of type 'String'.")
        if _INVALID_CHARS.search(value):
            raise invalid_parameters("Message system attribute 'AWSTraceHeader' contains invalid characters.")
        out[name] = {"DataType": "String", "StringValue": value}
    return out


# -- storage form (JSON, binaries in base64) --


def dump_attributes(attributes: dict[str, dict[str, Any]]) -> str | None:
    if not attributes:
        return None
    stored = {
        name: (
            {"DataType": a["DataType"], "Binary": base64.b64encode(a["BinaryValue"]).decode()}
            if "BinaryValue" in a
            else a
        )
        for name, a in attributes.items()
    }
    return orjson.dumps(stored).decode()


def load_attributes(text: str | None) -> dict[str, dict[str, Any]]:
    if not text:
        return {}
    out = {}
    for name, a in orjson.loads(text).items():
        if "Binary" in a:
            out[name] = {"DataType": a["DataType"], "BinaryValue": base64.b64decode(a["Binary"])}
        else:
            out[name] = a
    return out


# -- selection on receive --


def wanted_system_attributes(names: list[str]) -> set[str]:
    if "All" in names:
        return set(SYSTEM_ATTRIBUTE_NAMES)
    return {n for n in names if n in SYSTEM_ATTRIBUTE_NAMES}


def select_message_attributes(attributes: dict[str, Any], names: list[str]) -> dict[str, Any]:
    if not names or not attributes:
        return {}
    if "All" in names or ".*" in names:
        return attributes
    out = {}
    for name, value in attributes.items():
        for wanted in names:
            if name == wanted or (wanted.endswith(".*") and name.startswith(wanted[:-1])):
                out[name] = value
                break
    return out


def sequence_number(seq: int) -> str:
    return str(SEQUENCE_BASE + seq)
