"""Mocked service integrations, in Step Functions Local's mock configuration format.

The file (setting ``sfn_mock_config`` / ``CLOUDLET_SFN_MOCK_CONFIG``, else ``SFN_MOCK_CONFIG``)
holds ``StateMachines`` (machine name -> ``TestCases`` -> test case -> Task state name ->
mocked response name) and ``MockedResponses`` (name -> invocation keys ``"0"`` or inclusive
ranges ``"1-2"`` -> ``{"Return": value}`` or ``{"Throw": {"Error": ..., "Cause": ...}}``).

StartExecution/StartSyncExecution on ``arn:...:stateMachine:Name#TestCase`` runs the machine
with that test case: the file is read at each such start (parsed again when it has changed),
its shape checked, and the test case looked up (errors answer the start request). The
execution's ARN and description are those of the machine itself, as Step Functions Local
answers. ``.waitForTaskToken`` and ``.sync`` tasks record ``TaskSubmitted`` and take their
mocked response at once; an Activity state cannot be mocked (``States.Runtime``). In the execution, each invocation of a Task
state the test case names (a retry, a loop's next visit and a Map iteration each count, per
state name, from 0) takes the response of that invocation's key instead of calling its
resource: ``Return`` is the task's result, ``Throw`` its failure; the history records the
resource's events as a call would. Like Step Functions Local, a mocked response is resolved
only when used: an invocation without a response (or an unknown response name) fails the
execution with ``States.Runtime``. Tasks the test case does not name run for real.
"""

from __future__ import annotations

import json
import os
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.engine.dataflow import NOT_TRUNCATED
from cloudlet.services.stepfunctions.engine.values import dumps

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.engine.executions import Live
    from cloudlet.services.stepfunctions.engine.history import Thread
    from cloudlet.services.stepfunctions.engine.interpreter import Run, Where

ENV_VARIABLE = "SFN_MOCK_CONFIG"  # Step Functions Local's variable, accepted too
_KEY = re.compile(r"^(\d+)(?:-(\d+))?$")
ACTIVITY_CAUSE = "Activity state cannot be mocked. Please remove mocks mapped for all activity state in the mock config file."  # as Step Functions Local words it


@dataclass(frozen=True)
class Response:
    """One invocation's mocked response: ``Return`` (``value``) or ``Throw`` (error, cause)."""

    returns: bool
    value: Any = None
    error: str = ""
    cause: str = ""


@dataclass
class MockConfig:
    """A parsed mock configuration file."""

    machines: dict[str, dict[str, dict[str, str]]]  # machine -> test case -> state -> response
    responses: dict[str, list[tuple[int, int, Response]]]  # response -> (first, last, response)


@dataclass
class TestCase:
    """A test case selected for an execution, and how often each of its states was invoked."""

    __test__ = False  # not a pytest class

    machine: str
    name: str
    states: dict[str, str]
    config: MockConfig
    invocations: dict[str, int] = field(default_factory=dict)

    def next(self, state: str) -> Response | None:
        """The response of ``state``'s next invocation; None when the test case does not mock
        it. An invocation without a response is ``States.Runtime`` (the execution fails)."""
        name = self.states.get(state)
        if name is None:
            return None
        n = self.invocations.get(state, 0)
        self.invocations[state] = n + 1
        for first, last, response in self.config.responses.get(name, []):
            if first <= n <= last:
                return response
        if name not in self.config.responses:
            text = f"The mocked response '{name}' of state '{state}' is not defined in MockedResponses."
        else:
            text = f"The mocked response '{name}' of state '{state}' has no response for invocation {n}."
        raise StatesError(errors.RUNTIME, text)  # unverified: Step Functions Local's wording


class Mocks:
    """The mock configuration of one provider and the test cases of running executions."""

    def __init__(self, setting: str = "") -> None:
        self.setting = setting  # the configured path ("" -> $SFN_MOCK_CONFIG)
        self._lock = threading.Lock()
        self._loaded: tuple[str, str, MockConfig] | None = None  # path, text, parsed
        self.running: dict[str, TestCase] = {}  # execution ARN -> its test case

    @property
    def path(self) -> str:
        return self.setting or os.environ.get(ENV_VARIABLE, "")

    def config(self) -> MockConfig:
        """The configuration file's content, read at each execution start and parsed again when
        it has changed (ValidationException when there is none or it is malformed)."""
        path = self.path
        if not path:
            raise _invalid(
                "No mock configuration file is set (setting sfn_mock_config, "
                f"CLOUDLET_SFN_MOCK_CONFIG or {ENV_VARIABLE})."
            )
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else str(exc)
            raise _invalid(f"Cannot read the mock configuration file {path}: {reason}.") from None
        with self._lock:
            if self._loaded is not None and self._loaded[:2] == (path, text):
                return self._loaded[2]
            config = parse(text, path)
            self._loaded = (path, text, config)
            return config

    def test_case(self, machine: str, name: str | None) -> TestCase | None:
        """The test case ``name`` of state machine ``machine`` (None: no ``#TestCase`` given)."""
        if name is None:
            return None
        config = self.config()
        cases = config.machines.get(machine)
        if cases is None:
            raise _not_found(f"State machine '{machine}' is not in the mock configuration file {self.path}.")
        if name not in cases:
            raise _not_found(
                f"Test case '{name}' of state machine '{machine}' is not in the mock configuration file {self.path}."
            )
        return TestCase(machine, name, dict(cases[name]), config)

    def attach(self, live: Live | None, case: TestCase | None) -> None:
        """Run ``live`` with ``case`` (until it ends)."""
        if live is None or case is None:
            return
        arn = live.run.arn
        self.running[arn] = case
        live.done.add_done_callback(lambda _: self.running.pop(arn, None))

    def next(self, run: Run, where: Where) -> Response | None:
        """The mocked response of this invocation of Task ``where.state``, if mocked."""
        case = self.running.get(run.arn)
        return None if case is None else case.next(where.state)


def split_test_case(arn: str) -> tuple[str, str | None]:
    """A state machine ARN without its ``#TestCase`` suffix, and the test case's name."""
    base, sep, case = arn.partition("#")
    return (base, case) if sep else (arn, None)


def parse(text: str, path: str = "the mock configuration file") -> MockConfig:
    """Check and parse a mock configuration (ValidationException naming the problem)."""
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _invalid(f"{path} is not valid JSON: {exc}.") from None
    if not isinstance(doc, dict):
        raise _invalid(f"{path}: the mock configuration must be a JSON object.")
    unknown = sorted(set(doc) - {"StateMachines", "MockedResponses"})
    if unknown:
        raise _invalid(f"{path}: unknown top-level field '{unknown[0]}'.")
    machines: dict[str, dict[str, dict[str, str]]] = {}
    for machine, body in _object(doc.get("StateMachines", {}), "StateMachines", path).items():
        where = f"StateMachines.{machine}"
        body = _object(body, where, path)
        if set(body) != {"TestCases"}:
            raise _invalid(f"{path}: {where} must have exactly one field, TestCases.")
        cases = machines[machine] = {}
        for case, states in _object(body["TestCases"], f"{where}.TestCases", path).items():
            mapping = _object(states, f"{where}.TestCases.{case}", path)
            for state, response in mapping.items():
                if not isinstance(response, str):
                    raise _invalid(
                        f"{path}: {where}.TestCases.{case}.{state} must name a mocked response (a string)."
                    )
            cases[case] = mapping
    responses: dict[str, list[tuple[int, int, Response]]] = {}
    for name, attempts in _object(doc.get("MockedResponses", {}), "MockedResponses", path).items():
        responses[name] = _attempts(_object(attempts, f"MockedResponses.{name}", path), name, path)
    return MockConfig(machines, responses)


def _attempts(attempts: dict[str, Any], name: str, path: str) -> list[tuple[int, int, Response]]:
    out: list[tuple[int, int, Response]] = []
    for key, body in attempts.items():
        where = f"MockedResponses.{name}.{key}"
        match = _KEY.match(key)
        if match is None:
            raise _invalid(f'{path}: {where}: an invocation key is a number or a range such as "1-2".')
        first = int(match.group(1))
        last = int(match.group(2)) if match.group(2) is not None else first
        if last < first:
            raise _invalid(f"{path}: {where}: the range's end is before its start.")
        for other_first, other_last, _ in out:
            if first <= other_last and other_first <= last:
                raise _invalid(f"{path}: {where}: invocation {max(first, other_first)} has two responses.")
        body = _object(body, where, path)
        if len(body) != 1 or next(iter(body)) not in ("Return", "Throw"):
            raise _invalid(f"{path}: {where} must have exactly one field, Return or Throw.")
        if "Return" in body:
            out.append((first, last, Response(True, body["Return"])))
            continue
        thrown = _object(body["Throw"], f"{where}.Throw", path)
        error, cause = thrown.get("Error"), thrown.get("Cause", "")
        if not isinstance(error, str) or not isinstance(cause, str) or set(thrown) - {"Error", "Cause"}:
            raise _invalid(f"{path}: {where}.Throw must have a string Error and a string Cause.")
        out.append((first, last, Response(False, error=error, cause=cause)))
    return out


def _object(value: Any, where: str, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _invalid(f"{path}: {where} must be a JSON object.")
    return value


def _invalid(text: str) -> ServiceError:
    return ServiceError("ValidationException", text, 400)  # unverified: Step Functions Local's answer


def _not_found(text: str) -> ServiceError:
    return ServiceError("StateMachineDoesNotExist", text, 400)  # unverified: Step Functions Local's answer


# ---- the history of a mocked task ----------------------------------------------------------------


def replay(
    run: Run, resource: str, value: Any, thread: Thread, limits: dict[str, Any], mocked: Response
) -> Any:
    """Record the events of ``resource`` answering ``mocked``; its result (``Return``) or the
    ``StatesError`` of its failure (``Throw``), so Retry and Catch apply as usual."""
    history = run.history
    parts = resource.split(":")
    if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
        scheduled = {"resource": resource, "input": dumps(value), "inputDetails": NOT_TRUNCATED}
        if "timeoutInSeconds" in limits:
            scheduled["timeoutInSeconds"] = limits["timeoutInSeconds"]
        history.add(thread, "LambdaFunctionScheduled", {"lambdaFunctionScheduledEventDetails": scheduled})
        history.add(thread, "LambdaFunctionStarted")
        if not mocked.returns:
            failed = {"error": mocked.error, "cause": mocked.cause}
            history.add(thread, "LambdaFunctionFailed", {"lambdaFunctionFailedEventDetails": failed})
            raise StatesError(mocked.error, mocked.cause)
        succeeded = {"output": dumps(mocked.value), "outputDetails": NOT_TRUNCATED}
        history.add(thread, "LambdaFunctionSucceeded", {"lambdaFunctionSucceededEventDetails": succeeded})
        return mocked.value
    if len(parts) == 7 and parts[2] == "states" and parts[5] == "activity":
        raise StatesError(errors.RUNTIME, ACTIVITY_CAUSE)
    if parts[5:6] == ["aws-sdk"] and len(parts) >= 8:
        kind, action = f"aws-sdk:{parts[6]}", ":".join(parts[7:])
    else:
        kind, action = (parts[5], ":".join(parts[6:])) if len(parts) >= 7 else ("", resource)
    details = {"resource": action, "resourceType": kind}
    scheduled = {**details, "region": run.arn.split(":")[3], "parameters": dumps(value), **limits}
    history.add(thread, "TaskScheduled", {"taskScheduledEventDetails": scheduled})
    history.add(thread, "TaskStarted", {"taskStartedEventDetails": dict(details)})
    if action.partition(".")[2]:  # .waitForTaskToken, .sync: submitted, then answered at once
        submitted = {**details, "output": "{}", "outputDetails": NOT_TRUNCATED}  # unverified: the output
        history.add(thread, "TaskSubmitted", {"taskSubmittedEventDetails": submitted})
    if not mocked.returns:
        failed = {**details, **{k: v for k, v in (("error", mocked.error), ("cause", mocked.cause)) if v}}
        history.add(thread, "TaskFailed", {"taskFailedEventDetails": failed})
        raise StatesError(mocked.error, mocked.cause)
    succeeded = {**details, "output": dumps(mocked.value), "outputDetails": NOT_TRUNCATED}
    history.add(thread, "TaskSucceeded", {"taskSucceededEventDetails": succeeded})
    return mocked.value
