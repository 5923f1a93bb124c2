"""Read AWS's recorded executions (``<repo>/../shared/aws-reference/stepfunctions``) for unit tests.

A recording's ``get_execution_history`` holds the execution input and each state's output:
with the template's expression beside it, it is a test case of AWS's own behaviour.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

REFERENCE = Path(__file__).resolve().parents[5] / "shared" / "aws-reference" / "stepfunctions"


@dataclass(frozen=True)
class Execution:
    input: Any
    states: dict[str, Any]  # state name -> its recorded output
    output: Any = None
    error: str | None = None
    cause: str | None = None


@cache
def snapshot(relative: str) -> dict[str, Any]:
    """A recorded snapshot file (the test is skipped when the recordings are not beside the repo)."""
    path = REFERENCE / relative
    if not path.exists():
        pytest.skip(f"recording {relative} is not available")
    return json.loads(path.read_text())


def executions(relative: str, test: str) -> list[Execution]:
    """The executions recorded by the test whose id ends with ``::test`` (first such test)."""
    recorded = snapshot(relative)
    key = next((k for k in recorded if k.endswith("::" + test)), None)
    if key is None:
        raise KeyError(f"{test} is not recorded in {relative}")
    found = []
    for content in recorded[key]["recorded-content"].values():
        if isinstance(content, dict) and "events" in content:
            found.append(_execution(content["events"]))
    return found


def _execution(events: list[dict[str, Any]]) -> Execution:
    started: Any = None
    states: dict[str, Any] = {}
    output: Any = None
    error = cause = None
    for event in events:
        kind = event["type"]
        if kind == "ExecutionStarted":
            started = event["executionStartedEventDetails"].get("input")
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            states[details["name"]] = details.get("output")
        elif kind == "ExecutionSucceeded":
            output = event["executionSucceededEventDetails"].get("output")
        elif kind == "ExecutionFailed":
            details = event.get("executionFailedEventDetails", {})
            error, cause = details.get("error"), details.get("cause")
    return Execution(started, states, output, error, cause)
