"""AWS's recorded history events, state by state, for the JSONata and variables unit tests.

Complements ``recorded.py``: here each state exit keeps its ``assignedVariables``, and a failed
evaluation keeps its field (``location``) and cause. Recorded outputs and variable values are
JSON text when they are scalars or arrays; ``decode`` turns them back into values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from .recorded import snapshot as _snapshot


@dataclass(frozen=True)
class Exit:
    """One state's exit: its name, output and the variables it assigned (decoded)."""

    name: str
    output: Any
    assigned: dict[str, Any] | None


@dataclass
class Run:
    """One recorded execution."""

    input: Any
    exits: list[Exit] = field(default_factory=list)
    failure: dict[str, Any] | None = None  # evaluationFailedEventDetails (error, cause, location, state)
    output: Any = None
    entered: dict[str, int] = field(default_factory=dict)  # state name -> id of its last entered event

    def exit(self, name: str) -> Exit:
        return next(e for e in self.exits if e.name == name)


def decode(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def runs(relative: str, test: str) -> list[Run]:
    """The executions of the recorded test whose id ends with ``::test``."""
    snapshot = _snapshot(relative)
    key = next((k for k in snapshot if k.endswith("::" + test)), None)
    if key is None:
        pytest.skip(f"{test} is not recorded in {relative}")
    found = []
    for content in snapshot[key]["recorded-content"].values():
        if isinstance(content, dict) and "events" in content:
            found.append(_run(content["events"]))
    return found


def _run(events: list[dict[str, Any]]) -> Run:
    run = Run(input=None)
    for event in events:
        kind = event["type"]
        if kind == "ExecutionStarted":
            run.input = decode(event["executionStartedEventDetails"].get("input"))
        elif kind.endswith("StateEntered"):
            run.entered[event["stateEnteredEventDetails"]["name"]] = event["id"]
        elif kind.endswith("StateExited"):
            details = event["stateExitedEventDetails"]
            assigned = details.get("assignedVariables")
            if assigned is not None:
                assigned = {name: decode(value) for name, value in assigned.items()}
            run.exits.append(Exit(details["name"], decode(details.get("output")), assigned))
        elif kind == "EvaluationFailed":
            run.failure = event["evaluationFailedEventDetails"]
        elif kind == "ExecutionSucceeded":
            run.output = decode(event["executionSucceededEventDetails"].get("output"))
    return run
