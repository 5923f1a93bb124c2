"""Executions in progress: one task each, their history written to the store as they go.

A Standard execution's row and ``ExecutionStarted`` event are written in StartExecution's
transaction. Its task then runs the interpreter; after every state it leaves, the new
history events and a checkpoint (the state to run next and its input, the variables, the
history's position) are written in one transaction. After a restart, every RUNNING execution
continues from its checkpoint: the last completed transition.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.services.stepfunctions.asl.variables import Scope
from cloudlet.services.stepfunctions.engine import status_events
from cloudlet.services.stepfunctions.engine.callbacks import Tokens
from cloudlet.services.stepfunctions.engine.dataflow import iso_millis
from cloudlet.services.stepfunctions.engine.history import History, Thread
from cloudlet.services.stepfunctions.engine.interpreter import Interpreter, Outcome, Run
from cloudlet.services.stepfunctions.engine.metrics import ExecutionMetrics, TaskMetrics
from cloudlet.services.stepfunctions.engine.tasks import Tasks
from cloudlet.services.stepfunctions.engine.values import dumps, loads
from cloudlet.services.stepfunctions.store import ExecutionRow, StepFunctionsStore

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.core.events import EventChannel
    from cloudlet.core.metrics import Metrics
    from cloudlet.services.stepfunctions.engine.execution_logs import ExecutionLogs
    from cloudlet.services.stepfunctions.engine.interpreter import Where
    from cloudlet.store.db import Store

log = logging.getLogger("cloudlet.stepfunctions")
EXPRESS_LIMIT_S = 300.0  # an Express execution runs for at most five minutes


@dataclass
class Live:
    """An execution whose task is running."""

    run: Run
    started: float = 0.0
    task: asyncio.Task[None] | None = None
    done: asyncio.Future[Outcome] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class Executions:
    """Starts, resumes and stops executions."""

    def __init__(
        self,
        store: Store,
        db: StepFunctionsStore,
        clock: Clock,
        interpreter: Interpreter,
        channel: EventChannel,
        metrics: Metrics,
    ) -> None:
        self.channel = channel
        self.metrics = ExecutionMetrics(metrics)
        self.store = store
        self.db = db
        self.clock = clock
        self.interpreter = interpreter
        interpreter.checkpoint = self.checkpoint
        interpreter.checkpoint_wait = self.checkpoint_wait
        tasks = interpreter.task
        self.tokens: Tokens | None = None
        if isinstance(tasks, Tasks):
            tasks.suspend = self.suspend
            tasks.tokens.on_answer = self.answered
            self.tokens = tasks.tokens
        self.waiting: dict[str, tuple[str, dict[str, Any]]] = {}  # token -> execution, its stored mark
        self.stored: dict[str, dict[str, Any]] = {}  # execution -> its last stored checkpoint
        self.live: dict[str, Live] = {}
        self.durable: set[str] = set()  # the Standard executions among them
        self.unstored: dict[str, dict[str, Any]] = {}  # their last checkpoint, when not stored yet
        self.logs: ExecutionLogs | None = None  # CloudWatch Logs of executions (set by the provider)

    def context(self, row: ExecutionRow, machine_name: str) -> dict[str, Any]:
        """The context object's Execution and StateMachine parts."""
        return {
            "Execution": {
                "Id": row.arn,
                "Input": loads(row.input),
                "Name": row.name,
                "RoleArn": row.role_arn,
                "StartTime": iso_millis(row.started),
                "RedriveCount": row.extra.get("redriveCount", 0),
            },
            "StateMachine": {"Id": row.machine_arn, "Name": machine_name},
        }

    def start(self, row: ExecutionRow, machine_name: str, durable: bool) -> Live:
        """Record ``ExecutionStarted`` (in the caller's transaction when ``durable``) and run it."""
        history = self._history(row, machine_name, 1)
        run = self._run(row, machine_name, history)
        history.add(
            Thread(),
            "ExecutionStarted",
            {
                "executionStartedEventDetails": {
                    "input": row.input,
                    "inputDetails": {"truncated": False},
                    "roleArn": row.role_arn,
                    **({"stateMachineVersionArn": row.version_arn} if row.version_arn else {}),
                    **({"stateMachineAliasArn": row.alias_arn} if row.alias_arn else {}),
                }
            },
        )
        if durable:
            self.db.add_events(row.arn, history.take())
            self.durable.add(row.arn)
            status_events.send(self.channel, status_events.status_event(row, "RUNNING", self.clock.now()))
            self.metrics.started(row.machine_arn)
        live = self.live[row.arn] = Live(run, row.started)
        self.store.after_commit(lambda: self._launch(live, durable))
        return live

    def _run(self, row: ExecutionRow, machine_name: str, history: History) -> Run:
        """The run of ``row``: its definition, input and context object, and when it times out
        (the definition's ``TimeoutSeconds``; an Express execution's five minutes)."""
        definition = loads(row.definition)
        limits = [float(definition["TimeoutSeconds"])] if "TimeoutSeconds" in definition else []
        if row.arn.split(":")[5] == "express":
            limits.append(EXPRESS_LIMIT_S)
        run = Run(row.arn, definition, loads(row.input), self.context(row, machine_name), history)
        run.deadline = row.started + min(limits) if limits else None
        return run

    def _history(self, row: ExecutionRow, machine_name: str, first_id: int) -> History:
        """The execution's history from event ``first_id``, observed by its log (when its machine
        logs) and its task metrics."""
        history = History(self.clock.now, first_id)
        if self.logs is not None and "logging" in row.extra:
            history.observers.append(self.logs.open(row.arn, row.machine_arn, machine_name, row.extra))
        history.observers.append(TaskMetrics(self.metrics.metrics, row.machine_arn).observe)
        return history

    def checkpoint(self, run: Run, next_state: str, value: Any, store: bool) -> None:
        """After a top-level transition of a Standard execution: where it is. Stored with its new
        events in one transaction when ``store``, else kept until the next stored one or the
        execution's end (Express runs are not in ``durable``)."""
        if run.arn not in self.durable:
            return
        mark = {"state": next_state, "input": dumps(value), "variables": run.variables.own}
        if store:
            self._mark(run, mark)
        else:
            self.unstored[run.arn] = mark

    def checkpoint_wait(self, run: Run, state: str, value: Any, entered: int, until: float) -> None:
        """A top-level Wait state entered: resumed after a restart, it waits for the rest."""
        self._mark(run, {"state": state, "input": dumps(value), "entered": entered, "until": until})

    def suspend(self, run: Run, where: Where, task: dict[str, Any]) -> None:
        """A top-level task waits for its token: its events and the task stored, to wait on after
        a restart."""
        if run.arn not in self.durable:
            return
        last = self.stored.get(run.arn)  # stored before the state was entered, unless it is the first
        value = last["input"] if last is not None and last["state"] == where.state else dumps(run.input)
        answer = self.tokens.answer_of(task["token"]) if self.tokens is not None else None
        if answer is not None:  # answered before the task was stored
            task = {**task, "answer": list(answer)}
        mark = {"state": where.state, "input": value, "entered": where.entered, "task": task}
        self._mark(run, mark)
        if answer is None:
            self.waiting[task["token"]] = (run.arn, mark)

    def answered(self, token: str, answer: Any) -> None:
        """SendTaskSuccess/Failure for a stored waiting task: the answer stored with it (in the
        request's transaction), so it is not lost to a restart before the task goes on."""
        found = self.waiting.pop(token, None)
        if found is None:
            return
        arn, mark = found
        mark["task"] = {**mark["task"], "answer": list(answer)}
        with self.store.transaction():
            self.db.set_checkpoint(arn, mark)

    def _mark(self, run: Run, mark: dict[str, Any]) -> None:
        if run.arn not in self.durable:
            return
        self.unstored.pop(run.arn, None)
        mark.setdefault("variables", run.variables.own)
        mark.update(last=run.thread.last, next_id=run.history.next_id)
        with self.store.transaction():
            self.db.add_events(run.arn, run.history.take())
            self.db.set_checkpoint(run.arn, mark)
        self.stored[run.arn] = mark

    def resume(self, row: ExecutionRow, machine_name: str) -> None:
        """Continue a RUNNING Standard execution after a restart, from its checkpoint."""
        mark = row.extra.get("checkpoint")
        events = self.db.events(row.arn) if mark is None else []
        next_id = mark["next_id"] if mark else (events[-1].id + 1 if events else 1)
        history = self._history(row, machine_name, next_id)
        run = self._run(row, machine_name, history)
        if mark is not None:
            run.resume_at, run.input = mark["state"], loads(mark["input"])
            run.variables = Scope(mark["variables"])
            run.thread.last = mark["last"]
            if "entered" in mark:
                run.resume_entered = (mark["entered"], mark.get("until"))
            if "task" in mark:
                run.resume_task = mark["task"]
                if "answer" not in mark["task"]:
                    self.waiting[mark["task"]["token"]] = (row.arn, mark)
            self.stored[row.arn] = mark
        self.durable.add(row.arn)
        live = self.live[row.arn] = Live(run, row.started)
        self._launch(live, durable=True)

    def redrive(self, row: ExecutionRow, machine_name: str, count: int) -> None:
        """RedriveExecution (in the caller's transaction): ``ExecutionRedriven``, then the run
        continues from the state that did not complete (its checkpoint), or from the start."""
        mark = row.extra.get("checkpoint")
        events = self.db.events(row.arn)
        history = self._history(row, machine_name, events[-1].id + 1 if events else 1)
        run = self._run(row, machine_name, history)
        run.thread.last = events[-1].id if events else 0
        if mark is not None:
            run.resume_at, run.input = mark["state"], loads(mark["input"])
            run.variables = Scope(mark["variables"])
        history.add(
            run.thread, "ExecutionRedriven", {"executionRedrivenEventDetails": {"redriveCount": count}}
        )
        self.db.add_events(row.arn, history.take())
        self.durable.add(row.arn)
        live = self.live[row.arn] = Live(run, row.started)
        self.store.after_commit(lambda: self._launch(live, True))

    def _launch(self, live: Live, durable: bool) -> None:
        live.task = asyncio.get_running_loop().create_task(self._drive(live, durable))

    async def _drive(self, live: Live, durable: bool) -> None:
        run = live.run
        try:
            outcome = await self.interpreter.run(run)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a bug must fail the execution, not leave it running
            log.exception("execution %s: the interpreter failed", run.arn)
            outcome = Outcome("FAILED", error="States.Runtime", cause=f"Internal error: {exc}")  # unverified
        if self.live.get(run.arn) is not live:
            return  # stopped meanwhile: StopExecution wrote its end
        self._forget(run.arn)
        mark = self.unstored.pop(run.arn, None)
        if durable:
            with self.store.transaction():
                self.db.add_events(run.arn, run.history.take())
                if mark is not None and outcome.status != "SUCCEEDED":  # where a redrive starts
                    self.db.set_checkpoint(run.arn, mark)
                output = dumps(outcome.output) if outcome.status == "SUCCEEDED" else None
                now = self.clock.now()
                self.db.finish_execution(run.arn, outcome.status, now, output, outcome.error, outcome.cause)
                row = self.db.execution(run.arn)
                if row is not None:
                    event = status_events.status_event(
                        row, outcome.status, now, output, outcome.error, outcome.cause
                    )
                    status_events.send(self.channel, event)
                    self.metrics.ended(row.machine_arn, outcome.status, now - row.started)
        if not live.done.done():
            live.done.set_result(outcome)

    def abort(self, row: ExecutionRow, error: str | None, cause: str | None) -> float:
        """StopExecution: ``ExecutionAborted`` recorded and the execution ABORTED (in the
        caller's transaction); its task is cancelled once that commits. Returns the stop time."""
        live = self.live.get(row.arn)
        self._forget(row.arn)
        self.unstored.pop(row.arn, None)
        if live is not None:
            history = live.run.history
        else:
            events = self.db.events(row.arn)
            history = History(self.clock.now, first_id=events[-1].id + 1 if events else 1)
        details = {k: v for k, v in (("error", error), ("cause", cause)) if v is not None}
        history.add(Thread(), "ExecutionAborted", {"executionAbortedEventDetails": details})
        self.db.add_events(row.arn, history.take())
        stopped = self.clock.now()
        self.db.finish_execution(row.arn, "ABORTED", stopped, None, error, cause)
        status_events.send(
            self.channel, status_events.status_event(row, "ABORTED", stopped, None, error, cause)
        )
        self.metrics.ended(row.machine_arn, "ABORTED", stopped - row.started)
        if live is not None:
            self.store.after_commit(lambda: self._cancel(live))
        return stopped

    def _forget(self, arn: str) -> None:
        """The execution ends: nothing of it is kept for its task any more."""
        self.live.pop(arn, None)
        self.durable.discard(arn)
        self.stored.pop(arn, None)
        for token in [t for t, (a, _) in self.waiting.items() if a == arn]:
            del self.waiting[token]

    @staticmethod
    def _cancel(live: Live) -> None:
        if live.task is not None:
            live.task.cancel()
        if not live.done.done():
            live.done.set_result(Outcome("ABORTED"))

    async def stop_all(self) -> None:
        tasks = [live.task for live in self.live.values() if live.task is not None]
        for task in tasks:
            task.cancel()
        for task in tasks:
            try:
                await task
            except BaseException:  # stopping: whatever the task ended with
                pass
        self.live.clear()
