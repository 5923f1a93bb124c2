"""Names, ARNs, errors and paging tokens of CloudWatch Logs."""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any

import orjson

from cloudlet.core.arn import make_arn
from cloudlet.protocol.errors import ServiceError

MAX_NAME = 512
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
_FORWARD = re.compile(r"^([fb])/(\d{28})(\d{28})$")


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidParameterException", message, 400)


def group_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log group does not exist.", 400)


def stream_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "The specified log stream does not exist.", 400)


def bad_token() -> ServiceError:
    return invalid("The specified nextToken is invalid.")


def check_lengths(params: dict[str, Any]) -> None:
    """AWS's own answer to a group or stream name over 512 characters (before model checks)."""
    for member in ("logGroupName", "logStreamName"):
        value = params.get(member)
        if isinstance(value, str) and len(value) > MAX_NAME:
            raise invalid("Invalid LogGroup or LogStream, both must have length less than or equal to 512.")


def group_arn(region: str, account: str, name: str) -> str:
    """The log group's ARN as ``logGroupArn`` (``arn`` adds ``:*``)."""
    return make_arn("logs", region, account, f"log-group:{name}")


def stream_arn(region: str, account: str, group: str, stream: str) -> str:
    return make_arn("logs", region, account, f"log-group:{group}:log-stream:{stream}")


def group_from_identifier(identifier: str) -> tuple[str | None, str]:
    """(account or None, group name) from a name or a log group ARN (with or without ``:*``)."""
    if not identifier.startswith("arn:"):
        return None, identifier
    parts = identifier.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or not parts[5] == "log-group":
        raise invalid(f"Invalid log group identifier: {identifier}")  # unverified: wording
    name = parts[6]
    if name.endswith(":*"):
        name = name[:-2]
    return parts[4], name


# -- tokens --


def encode(value: Any) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(value)).decode()


def decode(token: str) -> Any:
    try:
        return orjson.loads(base64.urlsafe_b64decode(token.encode()))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise bad_token() from None


def stream_token(direction: str, ts: int, seq: int) -> str:
    """GetLogEvents' ``f/<digits>`` / ``b/<digits>`` token for the position (ts, seq)."""
    return f"{direction}/{max(ts, 0):028d}{max(seq, 0):028d}"


def parse_stream_token(token: str) -> tuple[str, int, int]:
    m = _FORWARD.match(token)
    if m is None:
        raise bad_token()
    return m.group(1), int(m.group(2)), int(m.group(3))


def sequence_token(batches: int) -> str:
    """A PutLogEvents sequence token (accepted and ignored on input, as AWS does today)."""
    return f"{batches:056d}"
