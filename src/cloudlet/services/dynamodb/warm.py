"""WarmThroughput of tables and GSIs: the values AWS reports, and the checks of requested ones.

Recorded AWS answers (aws-reference test_dynamodb: test_table_crud, test_table_warm_throughput,
test_gsi_with_billing_mode): DescribeTable always reports WarmThroughput, 12000/4000 reads and
writes a second for on-demand tables and GSIs and the provisioned capacity for provisioned ones;
CreateTable's answer has it only when it was asked for (Status UPDATING), DeleteTable's never.
Published measurements of live AWS give the rest: a member left out takes the default, a value
below the default or below the current one is refused, an UpdateTable answers the values in
force with Status UPDATING while the table stays ACTIVE. Warming takes minutes on AWS; here the
new values are in force at once (DescribeTable answers them ACTIVE).
"""

from __future__ import annotations

from typing import Any

from cloudlet.protocol.errors import ServiceError

READ, WRITE = "ReadUnitsPerSecond", "WriteUnitsPerSecond"
ON_DEMAND = {READ: 12000, WRITE: 4000}
ON_DEMAND_DOC = (
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/on-demand-capacity-mode.html"
    "#on-demand-capacity-mode-initial"
)
_CAPACITY = {READ: "ReadCapacityUnits", WRITE: "WriteCapacityUnits"}


def invalid_parameters(message: str) -> ServiceError:
    return ServiceError("ValidationException", f"One or more parameter values were invalid: {message}", 400)


def default(billing: str, throughput: dict[str, int] | None) -> dict[str, int]:
    """What AWS reports for a table or GSI whose warm throughput was never raised."""
    if billing == "PAY_PER_REQUEST" or not throughput:
        return dict(ON_DEMAND)
    return {READ: throughput["ReadCapacityUnits"], WRITE: throughput["WriteCapacityUnits"]}


def current(stored: dict[str, int] | None, billing: str, throughput: dict[str, int] | None) -> dict[str, int]:
    """The warm throughput in force: what was asked for, never below the mode's default."""
    base = default(billing, throughput)
    # unverified: after a billing-mode switch or a capacity increase AWS may report other values
    return {k: max(v, (stored or {}).get(k, 0)) for k, v in base.items()}


def description(values: dict[str, int], status: str = "ACTIVE") -> dict[str, Any]:
    return {READ: values[READ], WRITE: values[WRITE], "Status": status}


def _what(index: str | None) -> str:
    return f"index {index}" if index else "table"


def requested(
    spec: dict[str, Any], billing: str, throughput: dict[str, int] | None, index: str | None = None
) -> dict[str, int]:
    """CreateTable's WarmThroughput for the table (or GSI ``index``): checked, members filled in."""
    base = default(billing, throughput)
    out = {k: spec[k] if spec.get(k) is not None else v for k, v in base.items()}
    for member in (READ, WRITE):
        if out[member] >= base[member]:
            continue
        if billing == "PAY_PER_REQUEST":
            raise invalid_parameters(
                f"Requested {member} for WarmThroughput for {_what(index)} is lower than initial throughput "
                f"for OnDemand. See: {ON_DEMAND_DOC}"
            )  # unverified: measured for the table's ReadUnitsPerSecond only (not WriteUnitsPerSecond, GSIs)
        raise invalid_parameters(
            f"Requested {member} for WarmThroughput for {_what(index)} is lower than {_CAPACITY[member]} of "
            "ProvisionedThroughput"
        )  # unverified: measured for the table's ReadUnitsPerSecond only (not WriteUnitsPerSecond, GSIs)
    return out


def raised(spec: dict[str, Any], in_force: dict[str, int], index: str | None = None) -> dict[str, int]:
    """UpdateTable's WarmThroughput: the new values (members left out keep theirs); no decrease."""
    if spec.get(READ) is None and spec.get(WRITE) is None:
        if index:  # measured
            raise invalid_parameters(
                "WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond "
                f"specified for index: {index}"
            )
        # AWS answers HTTP 500 InternalFailure here (measured); a ValidationException instead.
        raise invalid_parameters(  # unverified: AWS's own answer is a 500
            "WarmThroughput must have at least one of ReadUnitsPerSecond or WriteUnitsPerSecond specified"
        )
    out = dict(in_force)
    for member in (READ, WRITE):
        value = spec.get(member)
        if value is None:
            continue
        if value < in_force[member]:
            raise invalid_parameters(
                f"Requested {member} for WarmThroughput for {_what(index)} is lower than current "
                "WarmThroughput, decreasing WarmThroughput is not supported"
            )
        out[member] = value
    return out
