"""Runs a state machine definition: the states in order, their data flow, their errors.

One :class:`Run` is one execution. :meth:`Interpreter.run` walks its states from
``StartAt``, recording each step in the run's :class:`History`, and answers an
:class:`Outcome`. States read and write JSON values; ``asl/`` evaluates paths, templates,
JSONata and Choice rules, and raises ``StatesError`` (error name, AWS's cause), which a
state's ``Retry``/``Catch`` handle or which fails the execution.

Waits and retry delays are on the service clock. Task states call integrations
(``tasks.py``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.payload import Where as PathWhere
from cloudlet.services.stepfunctions.asl.variables import Scope
from cloudlet.services.stepfunctions.engine import fanout
from cloudlet.services.stepfunctions.engine.dataflow import (
    NOT_TRUNCATED,
    Step,
    assign,
    iso_millis,
    next_state,
)
from cloudlet.services.stepfunctions.engine.history import History, Thread
from cloudlet.services.stepfunctions.engine.values import dumps

JSONPATH = "JSONPath"
JSONATA = "JSONata"
# States that may wait on something outside the interpreter: a checkpoint is stored before them
# (a Wait stores its own). Between them, Pass/Choice/Succeed/Fail states run without yielding,
# so a checkpoint kept in memory until then is one nothing could have observed; every
# _PAUSE_EVERY transitions one is stored anyway and the loop runs its other work.
_SUSPENDING = frozenset({"Task", "Parallel", "Map"})
_PAUSE_EVERY = 256


@dataclass
class Outcome:
    """How an execution ended."""

    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED
    output: Any = None
    error: str | None = None
    cause: str | None = None


@dataclass
class Run:
    """One execution being interpreted."""

    arn: str
    definition: dict[str, Any]
    input: Any
    context: dict[str, Any]  # the context object: Execution, StateMachine (State is per state)
    history: History
    variables: Scope = field(default_factory=Scope)  # the machine's own scope
    resume_at: str | None = None  # the state a resumed execution continues with (its input is ``input``)
    resume_entered: tuple[int, float | None] | None = (
        None  # a state resumed: its Entered event id, a Wait's end
    )
    resume_task: dict[str, Any] | None = None  # a Task resumed waiting for its token (tasks.py)
    thread: Thread = field(default_factory=Thread)  # the top-level thread of control
    transitions: int = 0
    deadline: float | None = None  # when the execution times out (service clock)


class Interpreter:
    """Runs definitions; ``now`` is the service clock, ``sleep_until`` waits on it."""

    def __init__(
        self,
        now: Callable[[], float],
        sleep_until: Callable[[float], Awaitable[None]],
        task: Callable[[Run, str, dict[str, Any], Where, Env, Thread], Awaitable[Step]] | None = None,
        checkpoint: Callable[[Run, str, Any, bool], None] | None = None,
    ) -> None:
        self.now = now
        self.sleep_until = sleep_until
        self.task = task
        # after each top-level transition: (run, next state, its input, whether it must be stored now)
        self.checkpoint = checkpoint
        # a top-level Wait state entered: (run, state, input, Entered event id, end)
        self.checkpoint_wait: Callable[[Run, str, Any, int, float], None] | None = None
        self._recorded: weakref.WeakSet[StatesError] = weakref.WeakSet()  # EvaluationFailed written
        # failures of a Parallel/Map state before its …Started event: no …Failed (as recorded),
        # unless they are evaluation failures
        self.unstarted: weakref.WeakSet[StatesError] = weakref.WeakSet()

    async def run(self, run: Run) -> Outcome:
        """Run the execution to its end; past its ``deadline`` it ends TIMED_OUT."""
        if run.deadline is None:
            return await self._run(run)
        body = asyncio.ensure_future(self._run(run))
        timer = asyncio.ensure_future(self.sleep_until(run.deadline))
        try:
            await asyncio.wait((body, timer), return_when=asyncio.FIRST_COMPLETED)
        finally:
            timer.cancel()
            if not body.done():
                body.cancel()
                await asyncio.gather(body, return_exceptions=True)
        if not body.cancelled():
            return body.result()
        details = {"error": errors.TIMEOUT}  # unverified: AWS's details of ExecutionTimedOut
        run.history.add(run.thread, "ExecutionTimedOut", {"executionTimedOutEventDetails": details})
        return Outcome("TIMED_OUT", error=errors.TIMEOUT)

    async def _run(self, run: Run) -> Outcome:
        thread = run.thread
        try:
            output = await self.block(
                run, run.definition, run.input, thread, run.definition.get("QueryLanguage"), top=True
            )
        except StatesError as failure:
            details: dict[str, Any] = {}
            if failure.error:
                details["error"] = failure.error
            if failure.cause:
                details["cause"] = failure.cause
            run.history.add(thread, "ExecutionFailed", {"executionFailedEventDetails": details})
            return Outcome("FAILED", error=failure.error or None, cause=failure.cause or None)
        run.history.add(
            thread,
            "ExecutionSucceeded",
            {"executionSucceededEventDetails": {"output": dumps(output), "outputDetails": NOT_TRUNCATED}},
        )
        return Outcome("SUCCEEDED", output=output)

    async def block(
        self,
        run: Run,
        block: dict[str, Any],
        value: Any,
        thread: Thread,
        language: str | None,
        top: bool = False,
        scope: Scope | None = None,
    ) -> Any:
        """Run a block of states (the machine, a Parallel branch, a Map's item processor) with
        the variables of ``scope`` (the machine's own by default)."""
        name: str | None = (run.resume_at or block["StartAt"]) if top else block["StartAt"]
        language = block.get("QueryLanguage") or language or JSONPATH
        scope = run.variables if scope is None else scope
        while name is not None:
            state = block["States"][name]
            step = await self.state(
                run, name, state, value, thread, state.get("QueryLanguage") or language, scope
            )
            value, name = step.output, step.next
            if name is None:
                break
            run.transitions += 1
            pause = run.transitions % _PAUSE_EVERY == 0
            if top and self.checkpoint is not None:
                self.checkpoint(run, name, value, pause or block["States"][name]["Type"] in _SUSPENDING)
            if pause:  # a long run of quick states lets the other work of the loop in
                await asyncio.sleep(0)
        return value

    async def state(
        self,
        run: Run,
        name: str,
        state: dict[str, Any],
        value: Any,
        thread: Thread,
        language: str,
        scope: Scope,
    ) -> Step:
        kind = state["Type"]
        resumed, run.resume_entered = run.resume_entered, None
        task, run.resume_task = run.resume_task, None
        before = thread.last
        if resumed is not None:  # a Wait state entered before a restart
            entered = resumed[0]
        else:
            entered = run.history.add(
                thread,
                f"{kind}StateEntered",
                {
                    "stateEnteredEventDetails": {
                        "name": name,
                        "input": dumps(value),
                        "inputDetails": NOT_TRUNCATED,
                    }
                },
            )
        # as recorded: RetryCount only where a state can retry (# unverified for Parallel and Map)
        state_context: dict[str, Any] = {"Name": name, "EnteredTime": iso_millis(self.now())}
        if kind in _RETRYING:
            state_context["RetryCount"] = 0
        context = {**run.context, "State": state_context}
        env = Env(input=value, context=context, variables=scope)
        until = resumed[1] if resumed is not None else None
        where = Where(
            name, entered, until, thread is run.thread, task, before if resumed is None else entered
        )
        try:
            step = await self._attempts(run, state, env, thread, language, where)
        except (StatesError, asyncio.CancelledError) as failure:
            if isinstance(failure, StatesError):  # as recorded, a Wait's follows its Entered event
                self.evaluation_failed(run, thread, where, failure, where.entered if kind == "Wait" else None)
            if thread.aborts and kind != "Fail":
                run.history.add(thread, f"{kind}StateAborted", advance=False)
            raise
        exited: dict[str, Any] = {"name": name, "output": dumps(step.output), "outputDetails": NOT_TRUNCATED}
        if step.assigned:
            exited["assignedVariables"] = {k: dumps(step.assigned[k]) for k in sorted(step.assigned)}
            exited["assignedVariablesDetails"] = NOT_TRUNCATED
        run.history.add(thread, f"{kind}StateExited", {"stateExitedEventDetails": exited})
        return step

    async def _attempts(
        self, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
    ) -> Step:
        """Run the state, retried by its ``Retry`` and caught by its ``Catch``. A Parallel or Map
        state that fails for good (caught or not) records ``…StateFailed``; one that is retried
        does not (as recorded)."""
        from cloudlet.services.stepfunctions.asl import retry

        kind = state["Type"]
        handler = HANDLERS[kind]
        retried: dict[int, int] = {}
        while True:
            try:
                return await handler(self, run, state, env, thread, language, where)
            except StatesError as failure:
                retriers = (state.get("Retry") or []) if kind != "Fail" else []
                index = retry.find_retrier(failure.error, retriers) if retriers else None
                if index is not None and retried.get(index, 0) < int(retriers[index].get("MaxAttempts", 3)):
                    retried[index] = retried.get(index, 0) + 1
                    delay = retry.delay(retriers[index], retried[index], self.random())
                    await self.sleep_until(self.now() + delay)
                    state_context = dict(
                        env.context["State"], RetryCount=env.context["State"]["RetryCount"] + 1
                    )
                    env = dataclasses.replace(env, context={**env.context, "State": state_context})
                    continue
                if kind in ("Parallel", "Map") and (
                    failure not in self.unstarted or failure.error == errors.QUERY_EVALUATION_ERROR
                ):
                    self.evaluation_failed(run, thread, where, failure)
                    run.history.add(thread, f"{kind}StateFailed")
                catchers = (state.get("Catch") or []) if kind != "Fail" else []
                index = retry.find_catcher(failure.error, catchers) if catchers else None
                if index is None:
                    raise
                return self.caught(catchers[index], failure, env, language, where)

    def caught(
        self, catcher: dict[str, Any], failure: StatesError, env: Env, language: str, where: Where
    ) -> Step:
        """The step a ``Catch`` takes: the error output into the state's output, on to ``Next``."""
        error_output = {"Error": failure.error, "Cause": failure.cause}
        if language == JSONATA:
            from cloudlet.services.stepfunctions.asl import jsonata

            inner = dataclasses.replace(env, error_output=error_output, has_error_output=True)
            output = (
                jsonata.render(catcher["Output"], inner, "Output", where=where)
                if "Output" in catcher
                else error_output
            )
            return Step(output, catcher["Next"], assign(catcher, inner, language, error_output, where))
        from cloudlet.services.stepfunctions.asl import payload

        output = payload.apply_result_path(
            catcher.get("ResultPath", "$"), env.input, error_output, where=where
        )
        return Step(output, catcher["Next"], assign(catcher, env, language, error_output, where))

    def evaluation_failed(
        self, run: Run, thread: Thread, where: Where, failure: StatesError, previous: int | None = None
    ) -> None:
        """Record ``EvaluationFailed`` for an uncaught ``States.QueryEvaluationError`` (once): the
        field it names as ``location``; as recorded, it follows the event before the state's
        Entered event (``previous`` when given) and the failure's next event follows it."""
        if failure.error != errors.QUERY_EVALUATION_ERROR or failure in self._recorded:
            return
        self._recorded.add(failure)
        details: dict[str, Any] = {"error": failure.error, "cause": failure.cause, "state": where.state}
        found = _LOCATION.search(failure.cause)
        if found:
            details["location"] = found.group(1) or found.group(2)
        thread.last = where.before if previous is None else previous
        run.history.add(thread, "EvaluationFailed", {"evaluationFailedEventDetails": details})

    def random(self) -> float:
        return random.random()


@dataclass(frozen=True)
class Where(PathWhere):
    """The state an evaluation belongs to (its name and Entered event, as AWS's causes name
    them), and what the interpreter keeps with it."""

    until: float | None = None  # a resumed Wait state's end
    top: bool = False  # a state of the machine's own block (checkpointed)
    task: dict[str, Any] | None = None  # a resumed Task's token, deadline and details (tasks.py)
    before: int = 0  # the event before the state's Entered event

    @property
    def entered(self) -> int:
        return self.entered_event_id


# ---- the states -------------------------------------------------------------------------------


async def _pass(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        output = (
            jsonata.render(state["Output"], env, "Output", where=where) if "Output" in state else env.input
        )
        return Step(output, next_state(state), assign(state, env, language, env.input, where))
    from cloudlet.services.stepfunctions.asl import payload

    effective = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    if "Parameters" in state:
        effective = payload.render(
            state["Parameters"], dataclasses.replace(env, input=effective), "Parameters", where=where
        )
    result = state.get("Result", effective)
    output = payload.apply_result_path(state.get("ResultPath", "$"), env.input, result, where=where)
    output = payload.apply_output_path(state.get("OutputPath", "$"), output, env, where=where)
    return Step(output, next_state(state), assign(state, env, language, result, where))


async def _succeed(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        output = (
            jsonata.render(state["Output"], env, "Output", where=where) if "Output" in state else env.input
        )
        return Step(output, None)
    from cloudlet.services.stepfunctions.asl import payload

    effective = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    return Step(payload.apply_output_path(state.get("OutputPath", "$"), effective, env, where=where), None)


async def _fail(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    error, cause = state.get("Error"), state.get("Cause")
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        if isinstance(error, str) and jsonata.is_expression(error):
            error = jsonata.evaluate(error, env, "Error", where=where)
        if isinstance(cause, str) and jsonata.is_expression(cause):
            cause = jsonata.evaluate(cause, env, "Cause", where=where)
    else:
        if "ErrorPath" in state:
            error = _path_text("ErrorPath", state["ErrorPath"], env, where)
        if "CausePath" in state:
            cause = _path_text("CausePath", state["CausePath"], env, where)
    raise StatesError(error or "", cause or "")


def _path_text(field: str, path: str, env: Env, where: Where) -> str:
    """ErrorPath/CausePath: a path (or an intrinsic function) that must give a string."""
    from cloudlet.services.stepfunctions.asl import intrinsics

    if intrinsics.is_intrinsic(path):
        value = intrinsics.evaluate(path, env)
    else:
        try:
            value = intrinsics.resolve_path(path, env)
        except StatesError:
            raise StatesError(
                errors.RUNTIME,
                where.cause(
                    f"The JSONPath '{path}' specified for the field '{field}' could not be found in the "
                    f"input '{dumps(env.input)}'"
                ),
            ) from None  # recorded
    if not isinstance(value, str):
        raise StatesError(errors.RUNTIME, f"The value at path {path} is not a string.")  # unverified
    return value


async def _wait(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    from cloudlet.services.stepfunctions.engine.waits import wait_until

    until = where.until if where.until is not None else wait_until(state, env, language, self.now(), where)
    if where.top and self.checkpoint_wait is not None:
        self.checkpoint_wait(run, where.state, env.input, where.entered, until)
    await self.sleep_until(until)
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        output = (
            jsonata.render(state["Output"], env, "Output", where=where) if "Output" in state else env.input
        )
        return Step(output, next_state(state), assign(state, env, language, env.input, where))
    from cloudlet.services.stepfunctions.asl import payload

    effective = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    return Step(
        payload.apply_output_path(state.get("OutputPath", "$"), effective, env, where=where),
        next_state(state),
        assign(state, env, language, effective, where),
    )


async def _choice(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    """The first rule that matches gives the next state; its ``Output``/``Assign`` (JSONata
    ``Output``; both modes ``Assign``) replace the state's (# unverified: a matching rule without
    ``Assign`` falls back to the state's)."""
    rules = state.get("Choices", [])
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        rule = next((r for r in rules if _condition(jsonata, r, env, where)), None)
        node = rule if rule is not None and "Output" in rule else state
        output = jsonata.render(node["Output"], env, "Output", where=where) if "Output" in node else env.input
        effective = env.input
    else:
        from cloudlet.services.stepfunctions.asl import choice, payload

        effective = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
        inner = dataclasses.replace(env, input=effective)
        rule = next((r for r in rules if choice.evaluate(r, inner, where=where)), None)
        output = payload.apply_output_path(state.get("OutputPath", "$"), effective, env, where=where)
    chosen = rule["Next"] if rule is not None else state.get("Default")
    if chosen is None:
        raise StatesError(errors.NO_CHOICE_MATCHED, "")  # unverified: the cause AWS gives
    node = rule if rule is not None and "Assign" in rule else state
    return Step(output, chosen, assign(node, env, language, effective, where))


def _condition(jsonata: Any, rule: dict[str, Any], env: Env, where: Where) -> bool:
    """A JSONata Choice rule's ``Condition``: it must give a boolean."""
    condition = rule["Condition"]
    verdict = (
        jsonata.evaluate(condition, env, "Condition", where=where)
        if jsonata.is_expression(condition)
        else condition
    )
    if not isinstance(verdict, bool):
        raise StatesError(
            errors.QUERY_EVALUATION_ERROR,
            where.cause(f"The Condition '{condition}' returned a non-boolean result."),
        )  # unverified
    return verdict


async def _task(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    if self.task is None:
        raise StatesError(errors.RUNTIME, where.cause("Task states are not supported yet."))  # unverified
    return await self.task(run, language, state, where, env, thread)


_RETRYING = frozenset({"Task", "Parallel", "Map"})
# the field an evaluation failure names (its ``location``)
_LOCATION = re.compile(r"specified for the field '([^']+)'|The (\w+) field cannot be parsed")
Handler = Callable[[Interpreter, Run, dict[str, Any], Env, Thread, str, Where], Awaitable[Step]]
HANDLERS: dict[str, Handler] = {
    "Pass": _pass,
    "Succeed": _succeed,
    "Fail": _fail,
    "Wait": _wait,
    "Choice": _choice,
    "Task": _task,
    "Parallel": fanout.parallel,
    "Map": fanout.map_state,
}
