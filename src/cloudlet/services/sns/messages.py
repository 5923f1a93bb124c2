"""Publishing: message and attribute checks, and the notification shapes SNS delivers."""

from __future__ import annotations

import base64
import math
import re
import time
from functools import lru_cache
from typing import Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sns.errors import invalid

MAX_MESSAGE = 262_144  # bytes: the message, its attributes' names, types and values together
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_.\-]")


def attribute_error(message: str) -> ServiceError:
    return ServiceError("InvalidParameterValueException", message, 400)


def check_attributes(attributes: dict[str, dict[str, Any]]) -> int:
    """Check message attributes as SNS does; their size in bytes."""
    size = 0
    for name, attr in attributes.items():
        if len(name.encode()) >= 256:
            raise attribute_error("Length of message attribute name must be less than 256 bytes.")
        bad = _NAME_CHARS.search(name)
        if bad:
            raise attribute_error(
                f"Invalid non-alphanumeric character '#x{ord(bad.group()):X}' was found in the message "
                "attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots."
            )
        if name.startswith("."):
            raise attribute_error("Invalid message attribute name starting with character '.' was found.")
        if name.endswith("."):
            raise attribute_error("Invalid message attribute name ending with character '.' was found.")
        if ".." in name:
            raise attribute_error("Message attribute name can not have successive '.' character.")
        data_type = attr.get("DataType") or ""
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise attribute_error(
                f"The message attribute '{name}' has an invalid message attribute type, the set of "
                "supported type prefixes is Binary, Number, and String."
            )
        field = "Binary" if base == "Binary" else "String"
        value = attr.get("BinaryValue") if field == "Binary" else attr.get("StringValue")
        other = attr.get("StringValue") if field == "Binary" else attr.get("BinaryValue")
        if value is None and other is not None:
            raise attribute_error(
                f"The message attribute '{name}' with type '{base}' must use field '{field}'."
            )
        if not value:
            raise attribute_error(
                f"The message attribute '{name}' must contain non-empty message attribute value for "
                f"message attribute type '{base}'."
            )
        if base == "Number":
            _check_number(name, value)
        if data_type == "String.Array":
            _check_array(name, value)
        size += len(name.encode()) + len(data_type.encode())
        size += len(value) if isinstance(value, bytes) else len(value.encode())
    return size


def _check_number(name: str, value: str) -> None:
    try:
        number = float(value)
    except ValueError:
        number = None
    if number is None or number != number or abs(number) > 1e308:
        raise attribute_error(f"Could not cast message attribute '{name}' value to number.")  # unverified


def _check_array(name: str, value: str) -> None:
    try:
        parsed = orjson.loads(value)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, list) or any(isinstance(v, (list, dict)) for v in parsed):
        raise attribute_error(
            f"The message attribute '{name}' with type 'String.Array' has an invalid value."
        )  # unverified


def message_for(message: str, structure: str | None, protocol: str) -> str:
    """The text a subscriber of ``protocol`` gets (MessageStructure ``json`` picks per protocol)."""
    if structure != "json":
        return message
    parsed = orjson.loads(message)
    value = parsed.get(protocol, parsed["default"])
    return value if isinstance(value, str) else orjson.dumps(value).decode()


def check_structure(message: str, structure: str | None) -> None:
    if structure is None:
        return
    if structure != "json":
        raise invalid("MessageStructure")  # unverified
    try:
        parsed = orjson.loads(message)
    except orjson.JSONDecodeError:
        raise invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict):
        raise invalid("Message Structure - JSON message body failed to parse")  # unverified
    if "default" not in parsed:
        raise invalid("Message Structure - No default entry in JSON message body")


@lru_cache(maxsize=64)
def timestamp(now: float) -> str:
    """``2024-01-02T03:04:05.678Z``: UTC to the millisecond."""
    fraction, whole = math.modf(now)  # rounded to the microsecond first, as datetime does
    micros = round(fraction * 1_000_000)
    if micros >= 1_000_000:
        whole, micros = whole + 1, micros - 1_000_000
    t = time.gmtime(whole)
    millis = micros // 1000
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}"
        f".{millis:03d}Z"
    )


def envelope_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Message attributes as SNS writes them in a notification: ``{Type, Value}``."""
    out = {}
    for name, attr in attributes.items():
        if "BinaryValue" in attr:
            value = base64.b64encode(bytes(attr["BinaryValue"])).decode()
        else:
            value = attr["StringValue"]
        out[name] = {"Type": attr["DataType"], "Value": value}
    return out


def sqs_attributes(attributes: dict[str, dict[str, Any]]) -> dict[str, dict[str, str]]:
    """Message attributes as SQS message attributes (binary base64, for a JSON payload)."""
    out = {}
    for name, attr in attributes.items():
        if "BinaryValue" in attr:
            out[name] = {
                "DataType": attr["DataType"],
                "Binary": base64.b64encode(bytes(attr["BinaryValue"])).decode(),
            }
        else:
            out[name] = {"DataType": attr["DataType"], "StringValue": attr["StringValue"]}
    return out


def from_payload(attributes: dict[str, dict[str, str]]) -> dict[str, dict[str, Any]]:
    """SQS message attributes back from :func:`sqs_attributes`."""
    out: dict[str, dict[str, Any]] = {}
    for name, attr in attributes.items():
        if "Binary" in attr:
            out[name] = {"DataType": attr["DataType"], "BinaryValue": base64.b64decode(attr["Binary"])}
        else:
            out[name] = dict(attr)
    return out


def envelope_json(fields: dict[str, Any]) -> str:
    """The notification JSON as SNS lays it out (``"Key" : value``, one member a line)."""
    # unverified: the exact whitespace of SNS's layout
    lines = []
    for key, value in fields.items():
        if key == "MessageAttributes":
            inner = ",\n".join(
                f"    {orjson.dumps(name).decode()} : {orjson.dumps(attr).decode()}"
                for name, attr in value.items()
            )
            lines.append(f'  "MessageAttributes" : {{\n{inner}\n  }}')
        else:
            lines.append(f"  {orjson.dumps(key).decode()} : {orjson.dumps(value).decode()}")
    return "{\n" + ",\n".join(lines) + "\n}"
