"""CloudWatch Contributor Insights for DynamoDB: Describe-, Update- and ListContributorInsights.

The state of the table and of each of its indexes lives in the table's stored definition
(``ContributorInsights``), durable with it and regional on a global table. Enabling answers
ENABLING and disabling DISABLING, as the AWS CLI reference shows; the change is in force at once
(DescribeContributorInsights answers ENABLED or DISABLED). No CloudWatch rule is created: the
rule names are reported in AWS's pattern only.
"""

from __future__ import annotations

import base64
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.tables import Table, invalid

KEY = "ContributorInsights"
DEFAULT_MODE = "ACCESSED_AND_THROTTLED_KEYS"  # unverified: the mode AWS reports when none was given


def no_such_index(name: str) -> ServiceError:
    # unverified wording (the form UpdateTable uses for a missing index)
    return ServiceError(
        "ResourceNotFoundException", f"Requested resource not found: Index: {name} not found", 400
    )


def _entry(table: Table, index: str | None) -> dict[str, Any] | None:
    state = table.definition.get(KEY) or {}
    return state.get("Table") if index is None else (state.get("Indexes") or {}).get(index)


def check_index(table: Table, index: str | None) -> None:
    if index is not None and index not in table.indexes:
        raise no_such_index(index)


def _rules(table: Table, index: str | None, mode: str, since: float) -> list[str]:
    """Rule names in the pattern AWS uses (unverified beyond the partition-key rules' pattern)."""
    has_sort = bool(table.indexes[index].range_keys if index else table.range_key)
    kinds = ["PKC", "PKT"] + (["SKC", "SKT"] if has_sort else [])
    if mode == "THROTTLED_KEYS":
        kinds = [k for k in kinds if k.endswith("T")]
    scope = f"{table.name}-{index}" if index else table.name
    return [f"DynamoDBContributorInsights-{kind}-{scope}-{int(since * 1000)}" for kind in kinds]


def describe(table: Table, index: str | None) -> dict[str, Any]:
    """DescribeContributorInsights' answer for the table or one of its indexes."""
    check_index(table, index)
    out: dict[str, Any] = {"TableName": table.name}
    if index is not None:
        out["IndexName"] = index
    entry = _entry(table, index)
    if entry is None:
        out["ContributorInsightsStatus"] = "DISABLED"  # as recorded, nothing else
        return out
    out["ContributorInsightsStatus"] = entry["Status"]
    out["LastUpdateDateTime"] = entry["Updated"]
    if entry["Status"] == "ENABLED":
        out["ContributorInsightsRuleList"] = _rules(table, index, entry["Mode"], entry["Updated"])
        out["ContributorInsightsMode"] = entry["Mode"]
    return out


def update(table: Table, index: str | None, action: str, mode: str | None, now: float) -> dict[str, Any]:
    """Enable or disable Contributor Insights (the caller saves the table); UpdateContributorInsights' answer."""
    check_index(table, index)
    if action == "ENABLE" and index is not None and table.indexes[index].status != "ACTIVE":
        raise invalid(  # as measured on AWS for an index still being created
            "Table or Index is not in a valid state to update Key Access Insights: IndexStatus must be ACTIVE "
            "to enable ContributorInsights."
        )
    state = table.definition.setdefault(KEY, {})
    entry = {
        "Status": "ENABLED" if action == "ENABLE" else "DISABLED",
        "Mode": mode or (_entry(table, index) or {}).get("Mode") or DEFAULT_MODE,
        "Updated": now,
    }
    if index is None:
        state["Table"] = entry
    else:
        state.setdefault("Indexes", {})[index] = entry
    out: dict[str, Any] = {"TableName": table.name}
    if index is not None:
        out["IndexName"] = index
    out["ContributorInsightsStatus"] = "ENABLING" if action == "ENABLE" else "DISABLING"
    if action == "ENABLE":
        out["ContributorInsightsMode"] = entry["Mode"]
    return out


def forget_index(definition: dict[str, Any], index: str) -> None:
    """Drop the state of a deleted index (a new index of that name starts disabled)."""
    (definition.get(KEY) or {}).get("Indexes", {}).pop(index, None)


def summaries(tables: list[Table], named: bool) -> list[dict[str, Any]]:
    """ContributorInsightsSummaries: for one table (``named``), the table and its indexes, each with
    its status; over the account, only what is enabled (unverified: AWS's choice of entries)."""
    out = []
    for table in tables:
        for index in (None, *table.indexes):
            entry = _entry(table, index)
            status = entry["Status"] if entry else "DISABLED"
            if named:
                listed = entry is not None or index is None or not table.indexes[index].local
            else:
                listed = status != "DISABLED"
            if not listed:
                continue
            summary: dict[str, Any] = {"TableName": table.name}
            if index is not None:
                summary["IndexName"] = index
            summary["ContributorInsightsStatus"] = status
            if entry and status == "ENABLED":
                summary["ContributorInsightsMode"] = entry["Mode"]
            out.append(summary)
    return out


def page(items: list[dict[str, Any]], token: str | None, limit: int | None) -> dict[str, Any]:
    """One page of summaries (NextToken is the position, opaque to clients)."""
    start = 0
    if token:
        try:
            start = int(base64.b64decode(token, validate=True).decode())
        except ValueError:
            start = -1
        if start < 0:
            raise invalid("Invalid NextToken")  # unverified wording
    size = limit or 100  # unverified: the default page size
    out: dict[str, Any] = {"ContributorInsightsSummaries": items[start : start + size]}
    if start + size < len(items):
        out["NextToken"] = base64.b64encode(str(start + size).encode()).decode()
    return out
