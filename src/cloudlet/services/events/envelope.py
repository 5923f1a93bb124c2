"""PutEvents entries: AWS's per-entry checks, the request's size limit, and the event envelope."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import orjson

from cloudlet.services.events.errors import validation

MAX_REQUEST_BYTES = 256 * 1024
TIME_BYTES = (
    14  # what an entry's Time counts for in the size (AWS's "Calculating PutEvents event entry size")
)


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as AWS counts it: Time, Source, DetailType, Detail and Resources."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        value = entry.get(key)
        if isinstance(value, str):
            size += len(value.encode())
    for resource in entry.get("Resources") or ():
        if isinstance(resource, str):
            size += len(resource.encode())
    return size


def check_request_size(entries: list[dict[str, Any]]) -> None:
    if sum(entry_size(e) for e in entries) > MAX_REQUEST_BYTES:
        raise validation("Total size of the entries in the request is over the limit.")


class EntryError(Exception):
    """A PutEvents entry refused on its own (reported in the response's Entries)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _required(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if value is None or value == "":
        raise EntryError(
            "InvalidArgument", f"Parameter {key} is not valid. Reason: {key} is a required argument."
        )
    return value


def iso_time(seconds: float) -> str:
    """An event's ``time``: UTC to the second, ``2024-01-02T03:04:05Z``."""
    return dt.datetime.fromtimestamp(int(seconds), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_of(entry: dict[str, Any], account: str, region: str, now: float) -> dict[str, Any]:
    """The event an accepted entry becomes (raises EntryError for a refused entry)."""
    source = _required(entry, "Source")
    detail_type = _required(entry, "DetailType")
    text = _required(entry, "Detail")
    try:
        detail = orjson.loads(text)
    except orjson.JSONDecodeError:
        detail = None
    if not isinstance(detail, dict):
        raise EntryError("MalformedDetail", "Detail is malformed.")
    if source.startswith("aws."):
        # unverified: the code and message for a reserved source
        raise EntryError("NotAuthorizedForSourceException", "Not authorized for the source.")
    when = entry.get("Time")
    seconds = when.timestamp() if isinstance(when, dt.datetime) else float(when) if when is not None else now
    return service_event(
        source, detail_type, detail, account, region, seconds, list(entry.get("Resources") or [])
    )


def service_event(
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    account: str,
    region: str,
    now: float,
    resources: list[str] | None = None,
) -> dict[str, Any]:
    """An event an AWS service (or a schedule) puts on a bus."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account,
        "time": iso_time(now),
        "region": region,
        "resources": resources or [],
        "detail": detail,
    }
