"""What other services ask of Step Functions, in process: starting an execution of a state
machine (EventBridge rule targets; later Pipes and Scheduler), as StartExecution would for the
machine's own account and Region."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.core.arn import parse_arn
from cloudlet.gateway import internal

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime


async def start_execution(runtime: Runtime, machine_arn: str, input_text: str) -> str:
    """Start an execution of ``machine_arn`` (Standard or Express) with ``input_text``; its ARN.

    Raises ``ServiceError`` as StartExecution answers (``StateMachineDoesNotExist``,
    ``InvalidArn``, ``InvalidExecutionInput`` ...).
    """
    parts = parse_arn(machine_arn)
    answer = await internal.call(
        runtime,
        "stepfunctions",
        "StartExecution",
        {"stateMachineArn": machine_arn, "input": input_text},
        account=parts.account,
        region=parts.region,
    )
    return str(answer["executionArn"])
