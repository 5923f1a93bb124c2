"""Point-in-time recovery: DescribeContinuousBackups and UpdateContinuousBackups.

The setting lives in the table's stored definition (``PointInTimeRecovery``), so it is durable
with the table and stays regional on a global table. No backup is taken: the restorable window
is reported as AWS reports it (recorded: test_continuous_backup_update), but nothing can be
restored from it yet.
"""

from __future__ import annotations

from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.tables import Table, invalid

KEY = "PointInTimeRecovery"
DEFAULT_PERIOD_DAYS = 35  # "If no value is provided, the value will default to 35" (API reference)
LATEST_LAG_S = 300.0  # "LatestRestorableDateTime is typically 5 minutes before the current time"


def table_not_found(name: str) -> ServiceError:
    """What the continuous-backups operations answer for a missing table (as users quote AWS)."""
    return ServiceError("TableNotFoundException", f"Table not found: {name}", 400)


def description(table: Table, now: float) -> dict[str, Any]:
    """ContinuousBackupsDescription: continuous backups are always on; PITR as set."""
    pitr = table.definition.get(KEY) or {}
    if not pitr.get("Enabled"):
        # unverified: the API reference examples show this shape for a table without PITR
        return {
            "ContinuousBackupsStatus": "ENABLED",
            "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "DISABLED"},
        }
    period = pitr["RecoveryPeriodInDays"]
    earliest = max(pitr["Since"], now - period * 86400.0)
    return {
        "ContinuousBackupsStatus": "ENABLED",
        "PointInTimeRecoveryDescription": {
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": period,
            "EarliestRestorableDateTime": earliest,
            # unverified: right after enabling, AWS's value may precede the earliest one
            "LatestRestorableDateTime": max(earliest, now - LATEST_LAG_S),
        },
    }


def update(table: Table, spec: dict[str, Any], now: float) -> None:
    """Apply a PointInTimeRecoverySpecification to the table's definition (saved by the caller)."""
    period = spec.get("RecoveryPeriodInDays")
    if not spec["PointInTimeRecoveryEnabled"]:
        if period is not None:  # as measured on AWS
            raise invalid(
                "Invalid Request: Cannot specify RecoveryPeriodInDays when disabling point-in-time recovery."
            )
        table.definition.pop(KEY, None)
        return
    current = table.definition.get(KEY) or {}
    table.definition[KEY] = {
        "Enabled": True,
        "RecoveryPeriodInDays": period or DEFAULT_PERIOD_DAYS,
        "Since": current.get("Since", now),  # a period change keeps the window's start
    }
