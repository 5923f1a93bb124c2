"""Fixtures for the Step Functions tests: clients, a state machine factory, waiting for an
execution to end, and the recorded answers (``/work/shared/aws-reference/stepfunctions``).

The service clock is shared by the session: tests only move it forward.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.config import Config

ACCOUNT = "000000000000"
REGION = "us-east-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sfn-role"

PASS_MACHINE = {
    "Comment": "BASE_PASS_RESULT",
    "StartAt": "State_1",
    "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}},
}


def unique(prefix: str = "sm") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def sfn(aws_client):
    return aws_client("stepfunctions")


@pytest.fixture
def sfn_raw(aws_client):
    """A client that skips botocore's own parameter checks, so bad input reaches the server."""
    return aws_client("stepfunctions", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def make_machine(sfn) -> Callable[..., str]:
    """Create a state machine from a definition (a dict or text); its ARN."""

    def make(definition: dict[str, Any] | str, name: str | None = None, **kwargs: Any) -> str:
        text = definition if isinstance(definition, str) else json.dumps(definition)
        return sfn.create_state_machine(name=name or unique(), definition=text, roleArn=ROLE, **kwargs)[
            "stateMachineArn"
        ]

    return make


def wait_done(sfn, execution_arn: str, timeout: float = 10.0) -> dict[str, Any]:
    """DescribeExecution once the execution has ended (it runs in the background)."""
    deadline = time.monotonic() + timeout
    while True:
        described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] != "RUNNING" or time.monotonic() > deadline:
            return described
        time.sleep(0.01)


def history(sfn, execution_arn: str) -> list[dict[str, Any]]:
    """The execution's events without timestamps, payloads parsed (as the recordings show them)."""
    events = sfn.get_execution_history(executionArn=execution_arn)["events"]
    out = []
    for event in events:
        event = {k: v for k, v in event.items() if k != "timestamp"}
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                for field in ("input", "output", "parameters"):
                    if isinstance(details.get(field), str):
                        details[field] = json.loads(details[field])
        out.append(event)
    return out


def assert_replays(sfn, snapshot: str, test: str) -> None:
    """Run the recorded flow-only scenario ``test`` of ``snapshot`` (its template, its input) and
    assert that its history and description match what AWS recorded."""
    from .corpus import compare, scenarios

    item = next(s for s in scenarios.load() if s.snapshot == snapshot and s.id.endswith("::" + test))
    (template,) = item.templates
    arn = sfn.create_state_machine(name=unique(), definition=json.dumps(template.definition), roleArn=ROLE)[
        "stateMachineArn"
    ]
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(item.input))["executionArn"]
    wait_done(sfn, execution)
    recorded = {k: v for k, v in item.steps.items() if k in ("get_execution_history", "describe_execution")}
    live = {"get_execution_history": sfn.get_execution_history(executionArn=execution)}
    if "describe_execution" in recorded:
        live["describe_execution"] = sfn.describe_execution(executionArn=execution)
    reports = compare.compare_steps(recorded, live)
    assert reports and all(r.ok for r in reports.values()), {k: r.text() for k, r in reports.items()}


def python_function(endpoint: str, code: str, prefix: str = "sfn-fn") -> str:
    """Create an active Python Lambda function (its role too) running ``code``; its ARN."""
    from tests.services.awslambda.conftest import TRUST, create_python

    from cloudlet.testing.server import client

    role = client("iam", endpoint).create_role(
        RoleName=f"{prefix}-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    lam = client("lambda", endpoint)
    name = f"{prefix}-{uuid.uuid4().hex[:8]}"
    create_python(lam, role["Role"]["Arn"], name, code)
    lam.get_waiter("function_active_v2").wait(FunctionName=name)
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
