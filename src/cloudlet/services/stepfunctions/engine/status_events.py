"""``Step Functions Execution Status Change`` events on the account's default EventBridge bus:
one when a Standard execution starts (RUNNING) and one when it ends, as recorded
(``aws-reference/stepfunctions/v2/base/test_base.snapshot.json``, test_event_bridge_events_base)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.events.envelope import service_event

if TYPE_CHECKING:
    from cloudlet.core.events import EventChannel
    from cloudlet.services.stepfunctions.store import ExecutionRow


def _reason(status: str) -> str:
    if status in ("FAILED", "TIMED_OUT", "ABORTED"):
        return f"Execution is {status} and can be redriven"  # unverified: recorded only for RUNNING/SUCCEEDED
    return f"Execution is {status} and cannot be redriven"


def status_event(
    row: ExecutionRow,
    status: str,
    now: float,
    output: str | None = None,
    error: str | None = None,
    cause: str | None = None,
) -> dict[str, Any]:
    """The event for ``row`` reaching ``status`` (dates in epoch milliseconds, payloads as text)."""
    ended = status != "RUNNING"
    detail = {
        "executionArn": row.arn,
        "stateMachineArn": row.machine_arn,
        "name": row.name,
        "status": status,
        "startDate": int(row.started * 1000),
        "stopDate": int(now * 1000) if ended else None,
        "input": row.input,
        "output": output,
        "stateMachineVersionArn": row.version_arn,
        "stateMachineAliasArn": row.alias_arn,
        "redriveCount": row.extra.get("redriveCount", 0),
        "redriveDate": row.extra.get("redriveDate"),
        "redriveStatus": "REDRIVABLE" if status in ("FAILED", "TIMED_OUT", "ABORTED") else "NOT_REDRIVABLE",
        "redriveStatusReason": _reason(status),
        "inputDetails": {"included": True},
        "outputDetails": {"included": True} if output is not None else None,
        "error": error,
        "cause": cause,
    }
    _, _, _, region, account, _ = row.arn.split(":", 5)
    return service_event(
        "aws.states", "Step Functions Execution Status Change", detail, account, region, now, [row.arn]
    )


def send(channel: EventChannel, event: dict[str, Any]) -> None:
    """Put ``event`` on its account's default bus (in the caller's transaction)."""
    channel.put_on_bus(event["account"], event["region"], event)
