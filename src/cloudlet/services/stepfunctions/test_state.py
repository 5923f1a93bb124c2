"""TestState: run one state of a definition once and answer what it did (issue 17).

The definition is one state (named ``StateName``, as AWS names it) or a whole state machine
with ``stateName`` choosing the state. The state runs as in an Express execution that never
stores anything: the same ``asl/`` data flow, the same Task resources (``engine/tasks.py``)
calling real Cloudlet services, or the ``mock`` answer instead of the call. Unlike an
execution, the state does not go on: a matching retrier answers ``RETRIABLE`` (with the
backoff it would wait, after ``stateConfiguration.retrierRetryCount`` retries), a catcher
``CAUGHT_ERROR`` with the catcher's output and next state, and a Wait state does not wait.

``inspectionLevel`` DEBUG and TRACE add ``inspectionData``: each data-flow step's value as
JSON text (``afterInputPath``, ``afterParameters``, ``result``, ``afterResultSelector``,
``afterResultPath``; JSONata ``afterArguments``), the variables, and ``errorDetails``.
Parallel and Map states need a ``mock`` (their result; Map iterations that failed come from
``stateConfiguration.mapIterationFailureCount``). A Task runs for at most five minutes
(``States.Timeout``). A mocked Task result is checked against the integration's API output
(``test_state_mock.py``). What is not done: HTTP Tasks do not give TRACE's
``request``/``response``.
"""

from __future__ import annotations

import dataclasses
import uuid
from typing import TYPE_CHECKING, Any, cast

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.stepfunctions import errors
from cloudlet.services.stepfunctions.asl import jsonata, payload, retry, validation
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.variables import Scope
from cloudlet.services.stepfunctions.engine.dataflow import Step, assign, iso_millis, next_state
from cloudlet.services.stepfunctions.engine.history import Thread
from cloudlet.services.stepfunctions.engine.values import dumps, loads

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.engine.interpreter import Run, Where
    from cloudlet.services.stepfunctions.engine.tasks import Tasks
    from cloudlet.services.stepfunctions.provider import StepFunctionsProvider

MAX_SECONDS = 300  # TestState runs a state for up to five minutes (then States.Timeout)
STATE_NAME = "StateName"  # the name AWS gives the state of a one-state definition
JSONATA = "JSONata"
_SUPPORTED = "[Task, Wait, Pass, Succeed, Fail, Choice]"
_MOCKABLE = frozenset({"Task", "Parallel", "Map"})
_CONTEXT_FIELDS = {
    "Execution": {"Id", "Input", "Name", "RoleArn", "StartTime", "RedriveCount", "RedriveTime"},
    "State": {"Name", "EnteredTime", "RetryCount"},
    "StateMachine": {"Id", "Name"},
    "Task": {"Token"},
}  # unverified: the fields besides those recorded


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _unsupported_type() -> ServiceError:
    return ServiceError(
        "InvalidDefinition",
        f"TestState API does not support Map or Parallel states. Supported state types include: {_SUPPORTED}",
        400,
    )


class TestStateOperations:
    """The TestState operation of :class:`StepFunctionsProvider`."""

    async def test_state(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        name, state, language = _state_of(params)
        kind = state["Type"]
        mock = _mock(params, state, kind)
        config = params.get("stateConfiguration") or {}
        if config.get("mapIterationFailureCount") is not None and mock is None:
            raise _invalid(
                "TestState does not support MapIterationFailureCount when a mock is not specified."
            )
        if kind in ("Map", "Parallel") and mock is None:
            raise _unsupported_type()
        if kind == "Task" and mock is None:
            if not params.get("roleArn"):
                raise _invalid("RoleArn must be specified when testing a Task state")
            if _needs_mock(state):
                raise _invalid(
                    "TestState only supports Activity tasks and the .sync or .waitForTaskToken "
                    "integration patterns when a mock is specified."
                )  # unverified
        value = _json(params.get("input"), "{}", errors.invalid_input)  # unverified: InvalidExecutionInput
        variables = _json(params.get("variables"), "{}", lambda r: _invalid(f"Invalid variables: {r}"))
        if not isinstance(variables, dict):
            raise _invalid("Invalid variables: the variables must be a JSON object")  # unverified
        context = _context(self, ctx, params, name, state, value)
        test = _Test(self, ctx, params, name, state, language, value, context, Scope(variables), mock, config)
        return await test.run()


# ---- the request --------------------------------------------------------------------------------


def _state_of(params: dict[str, Any]) -> tuple[str, dict[str, Any], str]:
    """The state to test, its name and its query language; InvalidDefinition for a bad one."""
    text = params.get("definition")
    try:
        document = validation.load(text) if isinstance(text, str) else None
    except validation.JsonProblem as problem:
        raise errors.invalid_definition(
            f"INVALID_JSON_DESCRIPTION: {problem.message}"
        ) from None  # unverified
    if not isinstance(document, dict):
        raise errors.invalid_definition("SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object")
    name = params.get("stateName")
    if name is not None:
        validation.check(text)
        found_state = _find_state(document, name, document.get("QueryLanguage") or "JSONPath")
        if found_state is None:
            raise _invalid("State not found in definition")
        state, machine_language = found_state
    else:
        from cloudlet.services.stepfunctions.asl.schema import check_block

        name, machine_language = STATE_NAME, "JSONPath"
        found: list[validation.Diagnostic] = []
        check_block({"StartAt": name, "States": {name: document}}, "", machine_language, found, top=True)
        problems = [d for d in found if d.severity == validation.ERROR]
        if problems:
            raise errors.invalid_definition(", ".join(d.text() for d in problems))
        state = document
    return name, dict(state), state.get("QueryLanguage") or machine_language


def _find_state(block: Any, name: str, language: str) -> tuple[dict[str, Any], str] | None:
    """The state called ``name`` in ``block`` or a block nested in its Parallel and Map states,
    with the query language it inherits."""
    if not isinstance(block, dict) or not isinstance(block.get("States"), dict):
        return None
    language = block.get("QueryLanguage") or language
    states = block["States"]
    if isinstance(states.get(name), dict):
        return states[name], language
    for state in states.values():
        if not isinstance(state, dict):
            continue
        inner_language = state.get("QueryLanguage") or language
        inner = [*(state.get("Branches") or []), state.get("ItemProcessor"), state.get("Iterator")]
        for child in inner:
            found = _find_state(child, name, inner_language)
            if found is not None:
                return found
    return None


def _json(text: Any, default: str, error: Any) -> Any:
    try:
        return loads(text if text is not None else default)
    except ValueError as exc:
        raise error(str(exc)) from None


def _needs_mock(state: dict[str, Any]) -> bool:
    resource = str(state.get("Resource", ""))
    parts = resource.split(":")
    activity = len(parts) == 7 and parts[2] == "states" and parts[5] == "activity"
    return activity or resource.endswith((".sync", ".sync:2", ".waitForTaskToken"))


def _mock(params: dict[str, Any], state: dict[str, Any], kind: str) -> dict[str, Any] | None:
    """The checked ``mock``: ``{"result": value}`` or ``{"error": …, "cause": …}``."""
    mock = params.get("mock")
    if not mock or ("result" not in mock and "errorOutput" not in mock):
        return None
    if "result" in mock and "errorOutput" in mock:
        raise _invalid("A test mock should have only one of the following fields: [result, errorOutput].")
    if kind not in _MOCKABLE:
        raise _invalid(f"State type '{kind}' is not supported when a mock is specified")
    if params.get("revealSecrets"):
        raise _invalid("TestState does not support RevealSecrets when a mock is specified.")
    if "errorOutput" in mock:
        out = mock["errorOutput"] or {}
        return {"error": out.get("error") or "", "cause": out.get("cause") or ""}
    try:
        result = loads(mock["result"])
    except ValueError:
        raise _invalid("Mocked result must be valid JSON") from None
    if kind == "Task":
        from cloudlet.services.stepfunctions import test_state_mock

        test_state_mock.check(str(state.get("Resource", "")), result, mock.get("fieldValidationMode"))
    elif kind == "Parallel":
        if not isinstance(result, list):
            raise _invalid("Mocked result must be an array.")
        if len(result) != len(state.get("Branches") or []):
            raise _invalid(
                "Mocked result must contain the same number of items as number of Parallel branches."
            )
    elif kind == "Map":
        if "ResultWriter" in state and not isinstance(result, dict):
            raise _invalid("Mocked result must be a JSON object.")
        if "ResultWriter" not in state and not isinstance(result, list):
            raise _invalid("Mocked result must be an array.")
        failures = (params.get("stateConfiguration") or {}).get("mapIterationFailureCount")
        if isinstance(result, list) and failures is not None and failures > len(result):
            raise _invalid(
                "Map iteration failure count must be less than or equal to the number of Map iterations"
            )
    return {"result": result}


def _context(
    self: StepFunctionsProvider,
    ctx: RequestContext,
    params: dict[str, Any],
    name: str,
    state: dict[str, Any],
    value: Any,
) -> dict[str, Any]:
    """The context object: the one given (checked), or an Express execution's."""
    text = params.get("context")
    if text is None:
        machine, execution = str(uuid.uuid4()), str(uuid.uuid4())
        now = iso_millis(self.clock.now())
        state_context: dict[str, Any] = {"Name": name, "EnteredTime": now}
        if state["Type"] in _MOCKABLE:
            state_context["RetryCount"] = (params.get("stateConfiguration") or {}).get(
                "retrierRetryCount"
            ) or 0
        prefix = f"arn:aws:states:{ctx.region}:{ctx.account}"
        return {
            "Execution": {
                "Id": f"{prefix}:express:{machine}:{execution}",
                "Input": value,
                "Name": execution,
                "RoleArn": params.get("roleArn"),
                "StartTime": now,
            },
            "StateMachine": {"Id": f"{prefix}:stateMachine:{machine}", "Name": machine},
            "State": state_context,
        }
    try:
        given = loads(text)
    except ValueError:
        raise _invalid(
            "Invalid Context object provided: the context must be valid JSON"
        ) from None  # unverified
    if not isinstance(given, dict):
        raise _invalid("Invalid Context object provided: the context must be a JSON object")  # unverified
    for field, inner in given.items():
        if field == "Map":
            raise _invalid(
                "Invalid Context object provided: 'Map' field is not supported when mocking a Context object"
            )
        if field not in _CONTEXT_FIELDS:
            raise _invalid(f"Invalid Context object provided: Field '{field}' is not allowed")
        if field == "Task" and not (state["Type"] == "Task" and _needs_mock(state)):
            raise _invalid(
                "Invalid Context object provided: Context object contains 'Task' when state is not a Task "
                "state with a '.sync' or '.waitForTaskToken' service integration pattern"
            )
        if isinstance(inner, dict):
            for key, item in inner.items():
                if key not in _CONTEXT_FIELDS[field]:
                    raise _invalid(f"Invalid Context object provided: Field '{key}' is not allowed")
                if key in ("Id", "Name", "RoleArn", "StartTime", "EnteredTime", "Token") and not isinstance(
                    item, str
                ):
                    raise _invalid(f"Invalid Context object provided: {field}.{key} must be a string")
    return given


# ---- the run ----------------------------------------------------------------------------------


class _Test:
    """One TestState call: runs the state and builds the answer."""

    def __init__(
        self,
        provider: StepFunctionsProvider,
        ctx: RequestContext,
        params: dict[str, Any],
        name: str,
        state: dict[str, Any],
        language: str,
        value: Any,
        context: dict[str, Any],
        scope: Scope,
        mock: dict[str, Any] | None,
        config: dict[str, Any],
    ) -> None:
        from cloudlet.services.stepfunctions.engine.interpreter import Where

        self.provider = provider
        self.ctx = ctx
        self.name = name
        self.state = state
        self.language = language
        self.input = value
        self.scope = scope
        self.mock = mock
        self.config = config
        self.debug = params.get("inspectionLevel", "INFO") in ("DEBUG", "TRACE")
        self.env = Env(input=value, context=context, variables=scope)
        self.where: Where = Where(name, 2)  # unverified: the event id AWS's causes name
        self.data: dict[str, Any] = {"input": dumps(value)}
        self.details: dict[str, Any] = {}

    def note(self, field: str, value: Any) -> Any:
        self.data[field] = dumps(value)
        return value

    async def run(self) -> dict[str, Any]:
        kind = self.state["Type"]
        out: dict[str, Any]
        try:
            step = await getattr(self, f"_{kind.lower()}")()
            out = {"status": "SUCCEEDED", "output": dumps(step.output)}
            if step.next is not None:
                out["nextState"] = step.next
        except StatesError as failure:
            out = self._failed(failure)
        if self.debug:
            if self.scope.visible():
                self.data["variables"] = dumps(self.scope.visible())  # unverified: after Assign
            if self.details:
                self.data["errorDetails"] = self.details
            out["inspectionData"] = self.data
        return out

    def _failed(self, failure: StatesError) -> dict[str, Any]:
        """A failure: RETRIABLE while a retrier has attempts left, else CAUGHT_ERROR or FAILED."""
        out: dict[str, Any] = {}
        if failure.error:
            out["error"] = failure.error
        if failure.cause:
            out["cause"] = failure.cause
        kind = self.state["Type"]
        if kind not in _MOCKABLE:
            return {**out, "status": "FAILED"}
        retriers = self.state.get("Retry") or []
        index = retry.find_retrier(failure.error, retriers) if retriers else None
        if index is not None:
            self.details["retryIndex"] = index
            done = int(self.config.get("retrierRetryCount") or 0)
            if done < retry.max_attempts(retriers[index]):
                self.details["retryBackoffIntervalSeconds"] = int(retry.delay(retriers[index], done + 1))
                return {**out, "status": "RETRIABLE"}
        catchers = self.state.get("Catch") or []
        index = retry.find_catcher(failure.error, catchers) if catchers else None
        if index is None:
            return {**out, "status": "FAILED"}
        self.details["catchIndex"] = index
        step = self.provider.interpreter.caught(catchers[index], failure, self.env, self.language, self.where)
        return {**out, "status": "CAUGHT_ERROR", "output": dumps(step.output), "nextState": step.next}

    # ---- the states ---------------------------------------------------------------------------

    def _input_path(self) -> Any:
        return self.note(
            "afterInputPath", payload.apply_input_path(self.state.get("InputPath", "$"), self.env, self.where)
        )

    def _rendered(self, field: str = "Output", default: Any = None) -> Any:
        if field not in self.state:
            return self.input if default is None else default
        return jsonata.render(self.state[field], self.env, field, where=self.where)

    async def _pass(self) -> Step:
        state, env = self.state, self.env
        if self.language == JSONATA:
            return Step(
                self._rendered(), next_state(state), assign(state, env, JSONATA, self.input, self.where)
            )
        if "Result" in state:
            result = self.note("result", state["Result"])
        else:
            effective = self._input_path()
            if "Parameters" in state:
                effective = payload.render(
                    state["Parameters"], dataclasses.replace(env, input=effective), "Parameters", self.where
                )
            result = self.note("afterParameters", effective)
        self.note("afterResultSelector", result)
        output = self.note(
            "afterResultPath",
            payload.apply_result_path(state.get("ResultPath", "$"), self.input, result, self.where),
        )
        output = payload.apply_output_path(state.get("OutputPath", "$"), output, env, self.where)
        return Step(output, next_state(state), assign(state, env, self.language, result, self.where))

    async def _succeed(self) -> Step:
        if self.language == JSONATA:
            return Step(self._rendered(), None)
        effective = self._input_path()
        return Step(
            payload.apply_output_path(self.state.get("OutputPath", "$"), effective, self.env, self.where),
            None,
        )

    async def _fail(self) -> Step:
        from cloudlet.services.stepfunctions.engine.interpreter import HANDLERS

        if self.language != JSONATA:
            self._input_path()  # as recorded, DEBUG shows it
        await HANDLERS["Fail"](
            self.provider.interpreter, self._run(), self.state, self.env, Thread(), self.language, self.where
        )
        raise AssertionError("a Fail state always fails")  # pragma: no cover

    async def _choice(self) -> Step:
        from cloudlet.services.stepfunctions.engine.interpreter import HANDLERS

        if self.language != JSONATA:
            self._input_path()
        return await HANDLERS["Choice"](
            self.provider.interpreter, self._run(), self.state, self.env, Thread(), self.language, self.where
        )

    async def _wait(self) -> Step:
        """As the Wait state's data flow, without waiting (its time is still evaluated)."""
        # unverified: AWS's docs do not say whether TestState waits
        from cloudlet.services.stepfunctions.engine.waits import wait_until

        state, env = self.state, self.env
        wait_until(state, env, self.language, self.provider.clock.now(), self.where)
        if self.language == JSONATA:
            return Step(
                self._rendered(), next_state(state), assign(state, env, JSONATA, self.input, self.where)
            )
        effective = self._input_path()
        output = payload.apply_output_path(state.get("OutputPath", "$"), effective, env, self.where)
        return Step(output, next_state(state), assign(state, env, self.language, effective, self.where))

    async def _task(self) -> Step:
        value = self._effective("Arguments")
        if self.mock is not None:
            result = self._mocked()
        else:
            tasks = cast("Tasks", self.provider.interpreter.task)
            run = self._run()
            limits = tasks.limits(self.state, self.env, self.language, self.where)
            limits = dataclasses.replace(limits, timeout=min(limits.timeout or MAX_SECONDS, MAX_SECONDS))
            result = await tasks.call(run, self.state, value, self.where, run.thread, limits, None)
        return self._exit(self.note("result", result))

    async def _parallel(self) -> Step:
        """As recorded, DEBUG shows no effective input and no result for a Parallel state."""
        saved = dict(self.data)
        self._effective("Arguments")
        self.data = saved
        return self._exit(self._mocked())

    async def _map(self) -> Step:
        state, env = self.state, self.env
        if self.language == JSONATA:
            items = self._rendered("Items", self.input) if "Items" in state else self.input
        else:
            effective = self._input_path()
            items = payload.apply_input_path(
                state.get("ItemsPath", "$"), dataclasses.replace(env, input=effective), self.where
            )
            self.data["afterItemsPath"] = dumps(items)
        self._map_limits()
        result = self._mocked()
        failed = int(self.config.get("mapIterationFailureCount") or 0)
        if failed:
            self._map_threshold(result, failed)
        return self._exit(result)

    # ---- helpers ------------------------------------------------------------------------------

    def _effective(self, field: str) -> Any:
        """The effective input: InputPath + Parameters, or JSONata ``field``."""
        state = self.state
        if self.language == JSONATA:
            value = self._rendered(field, self.input)
            if field in state:
                self.note(f"after{field}", value)
            return value
        value = self._input_path()
        if "Parameters" in state:
            value = payload.render(
                state["Parameters"], dataclasses.replace(self.env, input=value), "Parameters", self.where
            )
        return self.note("afterParameters", value)

    def _mocked(self) -> Any:
        assert self.mock is not None
        if "error" in self.mock:
            raise StatesError(self.mock["error"], self.mock["cause"])
        return self.mock["result"]

    def _exit(self, result: Any) -> Step:
        """A Task, Parallel or Map state's output from its result (as ``dataflow.exit_step``)."""
        state, env = self.state, self.env
        if self.language == JSONATA:
            inner = dataclasses.replace(env, result=result, has_result=True)
            output = (
                jsonata.render(state["Output"], inner, "Output", where=self.where)
                if "Output" in state
                else result
            )
            return Step(output, next_state(state), assign(state, inner, JSONATA, result, self.where))
        selected = result
        if "ResultSelector" in state:
            selected = payload.render(
                state["ResultSelector"], dataclasses.replace(env, input=result), "ResultSelector", self.where
            )
        self.note("afterResultSelector", selected)
        output = self.note(
            "afterResultPath",
            payload.apply_result_path(state.get("ResultPath", "$"), env.input, selected, self.where),
        )
        output = payload.apply_output_path(state.get("OutputPath", "$"), output, env, self.where)
        return Step(output, next_state(state), assign(state, env, self.language, selected, self.where))

    def _map_limits(self) -> None:
        state = self.state
        concurrency = state.get("MaxConcurrency", 0)
        if isinstance(concurrency, int):
            self.data["maxConcurrency"] = concurrency
        if isinstance(state.get("ToleratedFailureCount"), int):
            self.data["toleratedFailureCount"] = state["ToleratedFailureCount"]
        if isinstance(state.get("ToleratedFailurePercentage"), int | float):
            self.data["toleratedFailurePercentage"] = float(state["ToleratedFailurePercentage"])

    def _map_threshold(self, result: Any, failed: int) -> None:
        """Fail the Map state when ``failed`` iterations exceed what it tolerates."""
        total = len(result) if isinstance(result, list) else failed
        count = self.state.get("ToleratedFailureCount")
        percentage = self.state.get("ToleratedFailurePercentage")
        tolerated = (isinstance(count, int) and failed <= count) or (
            isinstance(percentage, int | float) and total and failed * 100 / total <= percentage
        )
        if not tolerated:
            raise StatesError(
                "States.ExceedToleratedFailureThreshold",
                "The specified tolerated failure threshold was exceeded",
            )

    def _run(self) -> Run:
        from cloudlet.services.stepfunctions.engine.history import History
        from cloudlet.services.stepfunctions.engine.interpreter import Run

        execution = self.env.context.get("Execution") if isinstance(self.env.context, dict) else None
        arn = execution.get("Id") if isinstance(execution, dict) else None
        if not isinstance(arn, str) or arn.count(":") < 6 or not arn.split(":")[3]:
            arn = f"arn:aws:states:{self.ctx.region}:{self.ctx.account}:express:test:{uuid.uuid4()}"
        return Run(arn, {"StartAt": self.name, "States": {self.name: self.state}}, self.input,
                   dict(self.env.context), History(self.provider.clock.now), variables=self.scope)  # fmt: skip
