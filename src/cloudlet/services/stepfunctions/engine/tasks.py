r"""Task states: the data flow around an integration call, its patterns and its time limits.

A Task's effective input (InputPath and Parameters, or JSONata Arguments) goes to its
``Resource``; the raw result then goes through ResultSelector, ResultPath and OutputPath (or
JSONata Output). The resource kinds, and the history each records:

- a Lambda function ARN: ``LambdaFunctionScheduled/Started/Succeeded/Failed/TimedOut``, the
  function's answer as the result;
- ``arn:aws:states:::<service>:<action>[.waitForTaskToken|.sync|.sync:2]`` and
  ``arn:aws:states:::aws-sdk:<service>:<action>``: ``TaskScheduled`` (with
  ``timeoutInSeconds``/``heartbeatInSeconds`` when set), ``TaskStarted``, then for
  ``.waitForTaskToken`` and ``.sync`` ``TaskSubmitted`` with the call's answer, then
  ``TaskSucceeded`` / ``TaskFailed`` / ``TaskTimedOut``.

``.waitForTaskToken`` puts a new token in the context object (``$$.Task.Token``) before the
parameters are rendered and waits for SendTaskSuccess/Failure (``callbacks.py``);
``TimeoutSeconds`` bounds the whole task and ``HeartbeatSeconds`` the time between heartbeats,
on the service clock (both end the task with ``States.Timeout``: recorded for a heartbeat that
did not come, though the developer guide names ``States.HeartbeatTimeout``). ``states:startExecution.sync``
waits for the child execution and answers its description (``.sync:2`` with JSON input and
output instead of text).

A ``.waitForTaskToken`` task of a Standard execution's own block is ``suspend``\ ed once
submitted: its events, token and deadline are stored, so after a restart it waits on for the
same token (the answer given meanwhile included) instead of calling its resource again.
"""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.engine import integrations, mocks
from cloudlet.services.stepfunctions.engine.callbacks import Tokens
from cloudlet.services.stepfunctions.engine.dataflow import NOT_TRUNCATED, Step, effective_input, exit_step
from cloudlet.services.stepfunctions.engine.history import History, Thread
from cloudlet.services.stepfunctions.engine.integrations import IntegrationError
from cloudlet.services.stepfunctions.engine.values import MAX_PAYLOAD, dumps, loads

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.activities import ActivityQueues
    from cloudlet.services.stepfunctions.engine.interpreter import Run, Where
    from cloudlet.services.stepfunctions.engine.mocks import Mocks

DEFAULT_TIMEOUT_S = 99_999_999  # a Task without TimeoutSeconds (the States Language's default)


class TimedOut(Exception):
    """A task went over its ``TimeoutSeconds`` (``States.Timeout``) or ``HeartbeatSeconds``."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


@dataclass(frozen=True)
class Limits:
    """A task's time limits on the service clock."""

    timeout: int | None
    heartbeat: int | None

    def details(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.timeout is not None:
            out["timeoutInSeconds"] = self.timeout
        if self.heartbeat is not None:
            out["heartbeatInSeconds"] = self.heartbeat
        return out


class Tasks:
    """Runs Task states for one provider."""

    def __init__(
        self,
        runtime: Any,
        now: Callable[[], float],
        wait: Callable[[asyncio.Event, float | None], Awaitable[None]],
        tokens: Tokens,
        child: Callable[[str], Awaitable[dict[str, Any]]] | None = None,
        activities: ActivityQueues | None = None,
        activity_exists: Callable[[str], bool] | None = None,
    ) -> None:
        self.runtime = runtime
        self.now = now
        self.wait = wait  # the clock's wait(event, until)
        self.tokens = tokens
        self.child = child  # a child execution's DescribeExecution once it has ended
        self.activities = activities
        self.activity_exists = activity_exists
        # a top-level task waiting for its token: (run, where, {token, deadline, details}) to store
        self.suspend: Callable[[Run, Where, dict[str, Any]], None] | None = None
        self.mocks: Mocks | None = None  # mocked service integrations (mocks.py)

    async def __call__(
        self, run: Run, language: str, state: dict[str, Any], where: Where, env: Env, thread: Thread
    ) -> Step:
        token = None
        resumed = where.task
        if resumed is not None:  # waiting when the server stopped: on for the same token
            token = resumed["token"]
            self.tokens.restore(token, run.arn, resumed.get("answer"))
        elif state["Resource"].endswith(".waitForTaskToken"):
            token = self.tokens.new(run.arn)
        if token is not None:
            env = dataclasses.replace(env, context={**env.context, "Task": {"Token": token}})
        try:
            limits = self.limits(state, env, language, where)
            if resumed is not None and "activity" in resumed:
                result = await self._activity_task(run, where, thread, limits, resumed)
            elif resumed is not None:
                details = resumed["details"]
                result = await self._closing(
                    run.history, thread, details, self._answer(token, resumed["deadline"], limits)
                )
            else:
                value = effective_input(state, env, language, where)
                result = await self.call(run, state, value, where, thread, limits, token)
            return exit_step(state, env, language, result, where)
        finally:
            if token is not None:
                self.tokens.close(token)

    def limits(self, state: dict[str, Any], env: Env, language: str, where: Where) -> Limits:
        return Limits(
            self._seconds(state, "TimeoutSeconds", env, language, where),
            self._seconds(state, "HeartbeatSeconds", env, language, where),
        )

    @staticmethod
    def _seconds(state: dict[str, Any], field: str, env: Env, language: str, where: Where) -> int | None:
        value = state.get(field)
        if language == "JSONata" and isinstance(value, str):
            from cloudlet.services.stepfunctions.asl import jsonata

            value = jsonata.evaluate(value, env, field, where=where)
        elif f"{field}Path" in state:
            from cloudlet.services.stepfunctions.asl import intrinsics

            path = state[f"{field}Path"]
            value = intrinsics.resolve_path(path, env)
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise StatesError(
                    errors.RUNTIME,
                    where.cause(
                        f"The {field}Path parameter does not reference a positive integer: {path} == {dumps(value)}"
                    ),
                )  # unverified
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise StatesError(
                errors.QUERY_EVALUATION_ERROR,
                where.cause(f"The value for the field '{field}' must be a positive integer: {dumps(value)}"),
            )  # unverified
        return int(value)

    # ---- waiting on the clock ----------------------------------------------------------------

    async def _bounded(
        self, work: Awaitable[Any], deadline: float | None, heartbeat: int | None, beat: asyncio.Event | None
    ) -> Any:
        """``work``'s result, unless the clock passes ``deadline`` or ``heartbeat`` seconds pass
        without ``beat`` being set (``TimedOut``)."""
        task = asyncio.ensure_future(work)
        wake = beat if beat is not None else asyncio.Event()
        task.add_done_callback(lambda _: wake.set())
        beat_deadline = self.now() + heartbeat if heartbeat is not None else None
        try:
            while not task.done():
                if wake.is_set():
                    wake.clear()
                    if task.done():
                        break
                    if heartbeat is not None:  # a heartbeat
                        beat_deadline = self.now() + heartbeat
                until = min((d for d in (deadline, beat_deadline) if d is not None), default=None)
                if until is not None and self.now() >= until:
                    raise TimedOut(errors.TIMEOUT)  # recorded, for a missed heartbeat too
                await self.wait(wake, until)
            return task.result()
        finally:
            if not task.done():
                task.cancel()

    # ---- the resource kinds ------------------------------------------------------------------

    async def call(
        self,
        run: Run,
        state: dict[str, Any],
        value: Any,
        where: Where,
        thread: Thread,
        limits: Limits,
        token: str | None,
    ) -> Any:
        resource: str = state["Resource"]
        mocked = self.mocks.next(run, where) if self.mocks is not None else None
        if mocked is not None:  # a test case's mocked response instead of the call
            return mocks.replay(run, resource, value, thread, limits.details(), mocked)
        parts = resource.split(":")
        if parts[2:] == ["states", "", "", "http", "invoke"]:  # an HTTP Task (http_task.py)
            return await self._service(run, "http", "invoke", "", "invoke", value, thread, limits, None)
        if len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function":
            return await self._lambda_function(run, resource, value, thread, limits)
        if len(parts) == 7 and parts[2] == "states" and parts[5] == "activity" and parts[3]:
            return await self._activity(run, resource, value, where, thread, limits)
        if len(parts) >= 7 and parts[2] == "states" and parts[5] != "activity":
            if parts[5] == "aws-sdk" and len(parts) >= 8:
                kind, action = f"aws-sdk:{parts[6]}", ":".join(parts[7:])
            else:
                kind, action = parts[5], ":".join(parts[6:])
            base, _, pattern = action.partition(".")
            supported = (
                kind.startswith("aws-sdk:")
                or (kind == "lambda" and base == "invoke")
                or (kind in integrations.OPTIMIZED and base in integrations.ACTIONS[kind])
            )
            if (supported and pattern in ("", "waitForTaskToken")) or (kind, base, pattern) in _SYNC:
                return await self._service(
                    run, kind, base, pattern, action, value, thread, limits, token, where
                )
        raise StatesError(
            errors.RUNTIME, where.cause(f"The resource {resource} is not supported by Cloudlet yet.")
        )  # unverified: in progress (issue 17)

    async def _request(self, run: Run, kind: str, action: str, value: Any) -> Any:
        """One request-response call of a service integration."""
        _, _, _, region, account, _ = run.arn.split(":", 5)
        if kind == "lambda":
            return await self._lambda_invoke(value, account, region)
        if kind == "http":
            from cloudlet.services.stepfunctions.engine import http_task

            return await http_task.invoke(self.runtime, value, region)
        if kind.startswith("aws-sdk:"):
            return await integrations.aws_sdk(self.runtime, kind[8:], action, value, account, region)
        return await integrations.optimized(self.runtime, kind, action, value, account, region)

    async def _service(
        self,
        run: Run,
        kind: str,
        base: str,
        pattern: str,
        action: str,
        value: Any,
        thread: Thread,
        limits: Limits,
        token: str | None,
        where: Where | None = None,
    ) -> Any:
        details = {"resource": action, "resourceType": kind}
        history = run.history
        region = run.arn.split(":")[3]
        scheduled = {**details, "region": region, "parameters": dumps(value), **limits.details()}
        history.add(thread, "TaskScheduled", {"taskScheduledEventDetails": scheduled})
        history.add(thread, "TaskStarted", {"taskStartedEventDetails": dict(details)})
        deadline = self.now() + (limits.timeout or DEFAULT_TIMEOUT_S)

        async def work() -> Any:
            result = await self._bounded(self._request(run, kind, base, value), deadline, None, None)
            if not pattern:
                return result
            submitted = {**details, "output": dumps(result), "outputDetails": NOT_TRUNCATED}
            history.add(thread, "TaskSubmitted", {"taskSubmittedEventDetails": submitted})
            if token is None:
                return await self._bounded(self._sync(result, pattern), deadline, None, None)
            if where is not None and where.top and self.suspend is not None:
                self.suspend(run, where, {"token": token, "deadline": deadline, "details": details})
            return await self._answer(token, deadline, limits)

        return await self._closing(history, thread, details, work())

    async def _answer(self, token: str, deadline: float, limits: Limits) -> Any:
        """The output SendTaskSuccess gives ``token`` (IntegrationError for SendTaskFailure)."""
        waiter = self.tokens.waiter(token)
        ok, output, error, cause = await self._bounded(waiter.answer, deadline, limits.heartbeat, waiter.beat)
        if not ok:
            raise IntegrationError(error or "", cause or "")
        return output

    async def _closing(
        self, history: History, thread: Thread, details: dict[str, Any], work: Awaitable[Any]
    ) -> Any:
        """``work``'s result, recorded as ``TaskSucceeded`` (or ``TaskFailed``/``TaskTimedOut``)."""
        try:
            result = await work
        except TimedOut as timeout:
            history.add(
                thread, "TaskTimedOut", {"taskTimedOutEventDetails": {**details, "error": timeout.error}}
            )
            raise StatesError(timeout.error, "") from None
        except IntegrationError as failure:
            failed: dict[str, Any] = dict(details)
            if failure.error:
                failed["error"] = failure.error
            if failure.cause:
                failed["cause"] = failure.cause
            history.add(thread, "TaskFailed", {"taskFailedEventDetails": failed})
            raise StatesError(failure.error, failure.cause) from None
        succeeded = {**details, "output": dumps(result), "outputDetails": NOT_TRUNCATED}
        history.add(thread, "TaskSucceeded", {"taskSucceededEventDetails": succeeded})
        return result

    async def _sync(self, started: Any, pattern: str) -> Any:
        """``startExecution.sync``: the child's description once it ends (TaskFailed otherwise)."""
        if self.child is None or not isinstance(started, dict):
            raise IntegrationError(errors.RUNTIME, "Nested executions are not available.")  # unverified
        described = await self.child(started["ExecutionArn"])
        out = {_pascal(k): v for k, v in described.items() if k not in ("redriveCount", "redriveStatus")}
        for key in ("InputDetails", "OutputDetails"):
            if isinstance(out.get(key), dict):
                out[key] = {_pascal(k): v for k, v in out[key].items()}
        if pattern == "sync:2":
            for key in ("Input", "Output"):
                if isinstance(out.get(key), str):
                    out[key] = loads(out[key])
        if out.get("Status") != "SUCCEEDED":
            raise IntegrationError(errors.TASK_FAILED, dumps(out))
        return out

    # ---- activities --------------------------------------------------------------------------

    async def _activity(
        self, run: Run, arn: str, value: Any, where: Where, thread: Thread, limits: Limits
    ) -> Any:
        if self.activities is None or self.activity_exists is None or not self.activity_exists(arn):
            raise StatesError(errors.RUNTIME, where.cause(f"The activity {arn} does not exist."))
        text = dumps(value)
        scheduled = {"resource": arn, "input": text, "inputDetails": NOT_TRUNCATED, **limits.details()}
        run.history.add(thread, "ActivityScheduled", {"activityScheduledEventDetails": scheduled})
        token = self.tokens.new(run.arn)
        task = {"token": token, "deadline": self.now() + (limits.timeout or DEFAULT_TIMEOUT_S)}
        return await self._activity_task(run, where, thread, limits, {**task, "activity": arn, "input": text})

    async def _activity_task(
        self, run: Run, where: Where, thread: Thread, limits: Limits, task: dict[str, Any]
    ) -> Any:
        """An activity task scheduled (or resumed after a restart): a worker takes it, then answers."""
        assert self.activities is not None
        history = run.history
        arn, token, deadline = task["activity"], task["token"], task["deadline"]
        waiter = self.tokens.waiter(token)
        item = None if "worker" in task else self.activities.schedule(arn, token, task["input"])
        suspend = self.suspend if where.top else None
        try:
            if item is not None:
                if suspend is not None:
                    suspend(run, where, task)
                    # stored as the worker takes it, before GetActivityTask answers
                    item.on_taken = lambda worker: suspend(run, where, {**task, "worker": worker})
                task = {
                    **task,
                    "worker": await self._bounded(asyncio.shield(item.taken), deadline, None, None),
                }
            if not task.get("started"):
                started = {"workerName": task["worker"]} if task["worker"] else {}
                history.add(thread, "ActivityStarted", {"activityStartedEventDetails": started})
                task = {**task, "started": True}
                if suspend is not None:
                    suspend(run, where, task)
            ok, output, error, cause = await self._bounded(
                waiter.answer, deadline, limits.heartbeat, waiter.beat
            )
        except TimedOut as timeout:
            history.add(
                thread, "ActivityTimedOut", {"activityTimedOutEventDetails": {"error": timeout.error}}
            )
            raise StatesError(timeout.error, "") from None
        finally:
            if item is not None:
                self.activities.withdraw(arn, item)
            self.tokens.close(token)
        if not ok:
            failed = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
            history.add(thread, "ActivityFailed", {"activityFailedEventDetails": failed})
            raise StatesError(error or "", cause or "")
        succeeded = {"output": dumps(output), "outputDetails": NOT_TRUNCATED}
        history.add(thread, "ActivitySucceeded", {"activitySucceededEventDetails": succeeded})
        return output

    # ---- Lambda ------------------------------------------------------------------------------

    async def _invoke(self, function: str, payload: Any) -> tuple[Any, bytes, bool]:
        from cloudlet.services.awslambda.interface import function_invoker

        invoker = function_invoker(self.runtime)
        if invoker is None:
            raise ServiceError("ResourceNotFoundException", f"Function not found: {function}", 404)
        answer, is_error = await invoker.invoke_function(function, dumps(payload).encode(), str(uuid.uuid4()))
        try:
            value = loads(answer) if answer.strip() else None
        except ValueError:
            value = answer.decode(errors="replace")
        return value, answer, is_error

    async def _lambda_invoke(self, value: Any, account: str, region: str) -> Any:
        """``lambda:invoke``: the Invoke API's answer, as the SDK for Java 1.x shows it."""
        function = value.get("FunctionName") if isinstance(value, dict) else None
        try:
            if not isinstance(function, str):
                raise ServiceError(
                    "InvalidParameterValueException", "FunctionName is required.", 400
                )  # unverified
            result, raw, is_error = await self._invoke(
                _function_arn(function, account, region), value.get("Payload")
            )
        except ServiceError as exc:
            raise IntegrationError(f"Lambda.{exc.code}", exc.message) from None  # unverified: the cause
        if len(raw) > MAX_PAYLOAD:
            raise IntegrationError(errors.DATA_LIMIT_EXCEEDED, _too_large("lambda"))
        if is_error:
            error = result.get("errorType", "Exception") if isinstance(result, dict) else "Exception"
            raise IntegrationError(error, dumps(result) if not isinstance(result, str) else result)
        request_id = str(uuid.uuid4())
        headers = {  # as recorded (the trace id's form # unverified)
            "Connection": "keep-alive",
            "Content-Length": str(len(raw)),
            "Content-Type": "application/json",
            "Date": formatdate(self.now(), usegmt=True),
            "X-Amz-Executed-Version": "$LATEST",
            "x-amzn-Remapped-Content-Length": "0",
            "x-amzn-RequestId": request_id,
            "X-Amzn-Trace-Id": f"Root=1-{int(self.now()):08x}-{uuid.uuid4().hex[:24]}",
        }
        return {
            "ExecutedVersion": "$LATEST",
            "Payload": result,
            "SdkHttpMetadata": {
                "AllHttpHeaders": {k: [v] for k, v in headers.items()},
                "HttpHeaders": headers,
                "HttpStatusCode": 200,
            },
            "SdkResponseMetadata": {"RequestId": request_id},
            "StatusCode": 200,
        }

    async def _lambda_function(self, run: Run, arn: str, value: Any, thread: Thread, limits: Limits) -> Any:
        history = run.history
        scheduled = {"resource": arn, "input": dumps(value), "inputDetails": NOT_TRUNCATED}
        if limits.timeout is not None:
            scheduled["timeoutInSeconds"] = limits.timeout
        history.add(thread, "LambdaFunctionScheduled", {"lambdaFunctionScheduledEventDetails": scheduled})
        history.add(thread, "LambdaFunctionStarted")
        deadline = self.now() + (limits.timeout or DEFAULT_TIMEOUT_S)
        try:
            result, raw, is_error = await self._bounded(self._invoke(arn, value), deadline, None, None)
        except TimedOut as timeout:
            history.add(
                thread,
                "LambdaFunctionTimedOut",
                {"lambdaFunctionTimedOutEventDetails": {"error": timeout.error}},
            )
            raise StatesError(timeout.error, "") from None
        except ServiceError as exc:
            error, cause = f"Lambda.{exc.code}", exc.message  # unverified: the cause's wording
            history.add(
                thread,
                "LambdaFunctionFailed",
                {"lambdaFunctionFailedEventDetails": {"error": error, "cause": cause}},
            )
            raise StatesError(error, cause) from None
        if len(raw) > MAX_PAYLOAD:
            error, cause = errors.DATA_LIMIT_EXCEEDED, _too_large(arn)
            history.add(
                thread,
                "LambdaFunctionFailed",
                {"lambdaFunctionFailedEventDetails": {"error": error, "cause": cause}},
            )
            raise StatesError(error, cause)
        if is_error:
            error = result.get("errorType", "Exception") if isinstance(result, dict) else "Exception"
            cause = raw.decode(errors="replace")
            history.add(
                thread,
                "LambdaFunctionFailed",
                {"lambdaFunctionFailedEventDetails": {"error": error, "cause": cause}},
            )
            raise StatesError(error, cause)
        succeeded = {"output": dumps(result), "outputDetails": NOT_TRUNCATED}
        history.add(thread, "LambdaFunctionSucceeded", {"lambdaFunctionSucceededEventDetails": succeeded})
        return result


_SYNC = {("states", "startExecution", "sync"), ("states", "startExecution", "sync:2")}


def _function_arn(function: str, account: str, region: str) -> str:
    """A Lambda function's ARN from ``FunctionName`` as Invoke takes it: a name (with a
    qualifier), a partial ARN (``account:function:name``) or an ARN."""
    if function.startswith("arn:"):
        return function
    if ":function:" in function:
        return f"arn:aws:lambda:{region}:{function}"
    return f"arn:aws:lambda:{region}:{account}:function:{function}"


def _too_large(task: str) -> str:
    """The cause of a task result over the payload limit (recorded)."""
    return f"The state/task '{task}' returned a result with a size exceeding the maximum number of bytes service limit."


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]
