"""Parallel and inline Map states: blocks of states run side by side.

A Parallel state runs every branch on its effective input; its result is the list of the
branches' outputs. A Map state runs its item processor once per item (``MaxConcurrency`` at
a time, 0 = no limit); its result is the list of the iterations' outputs. The first failure
ends the state with that failure; the branches or iterations still running are cancelled.

History, as recorded: ``ParallelStateStarted`` / ``MapStateStarted {length}``, then each
branch's events (a branch's first event follows ``…Started``), or ``MapIterationStarted
{index, name}`` … ``MapIterationSucceeded`` per item; then ``…StateSucceeded`` or
``…StateFailed``. ``MapIterationSucceeded``, ``MapIterationFailed`` and ``…StateSucceeded`` do
not become the previous event of what follows; iterations chain through one thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import TYPE_CHECKING, Any

from cloudlet.services.stepfunctions.asl import errors
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.errors import StatesError
from cloudlet.services.stepfunctions.asl.variables import Scope
from cloudlet.services.stepfunctions.engine.dataflow import Step, effective_input, exit_step
from cloudlet.services.stepfunctions.engine.history import Thread
from cloudlet.services.stepfunctions.engine.values import dumps

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.engine.interpreter import Interpreter, Run, Where

JSONATA = "JSONata"


async def _first_failure(tasks: list[asyncio.Task[Any]]) -> list[Any]:
    """The tasks' results in order; on the first failure the others are cancelled and it is raised."""
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except asyncio.CancelledError:
        for task in tasks:
            task.cancel()
        raise
    failed = next((t for t in tasks if t.done() and not t.cancelled() and t.exception() is not None), None)
    if failed is not None:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise failed.exception()  # type: ignore[misc]
    return [t.result() for t in tasks]


async def parallel(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    try:
        value = effective_input(state, env, language, where)
    except StatesError as failure:
        self.unstarted.add(failure)
        raise
    started = run.history.add(thread, "ParallelStateStarted")
    branches = []
    for branch in state["Branches"]:
        branch_thread = Thread(last=started, aborts=True)
        branches.append((branch_thread, branch))
    tasks = [
        asyncio.ensure_future(self.block(run, branch, value, branch_thread, language, scope=_inner(env)))
        for branch_thread, branch in branches
    ]
    try:
        results = await _first_failure(tasks)
    except StatesError:
        thread.last = max(b.last for b, _ in branches)
        raise  # ParallelStateFailed: the interpreter's, unless the state is retried
    thread.last = max(b.last for b, _ in branches)
    run.history.add(thread, "ParallelStateSucceeded", advance=False)
    return exit_step(state, env, language, results, where)


def _inner(env: Env) -> Scope:
    """The variables of a branch or iteration: its own, reading (not changing) the state's."""
    outer = env.variables
    return outer.child() if isinstance(outer, Scope) else Scope(outer)


def map_items(state: dict[str, Any], env: Env, language: str, where: Where) -> list[Any]:
    """A Map state's items: JSONata `Items` (or the input), or ItemsPath over the effective input."""
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        if "Items" not in state:
            if not isinstance(env.input, list):
                raise StatesError(
                    errors.QUERY_EVALUATION_ERROR,
                    where.cause(f"Map state input must be an array but was: {dumps(env.input)}"),
                )  # recorded
            return env.input
        items = state["Items"]
        value = jsonata.evaluate(items, env, "Items", where=where) if jsonata.is_expression(items) else items
        if not isinstance(value, list):
            text = jsonata.expression_text(items) if jsonata.is_expression(items) else dumps(items)
            raise StatesError(
                errors.QUERY_EVALUATION_ERROR,
                where.cause(
                    f"The JSONata expression '{text}' specified for the field 'Items' returned an unexpected "
                    f"result type. Expected 'array', but was '{_json_type(value)}' for value: {dumps(value)}"
                ),
            )  # recorded
        return value
    from cloudlet.services.stepfunctions.asl import intrinsics, payload

    effective = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    path = state.get("ItemsPath", "$")
    try:
        value = intrinsics.resolve_path(path, dataclasses.replace(env, input=effective))
    except StatesError:
        raise StatesError(
            errors.RUNTIME, where.cause(f"Invalid path '{path}' : No results for path: {path}")
        ) from None  # unverified
    if not isinstance(value, list):
        raise StatesError(
            errors.RUNTIME,
            where.cause(
                f"Item selector and/or items path failed to return an array: {path} == {dumps(value)}"
            ),
        )  # unverified
    return value


def _json_type(value: Any) -> str:
    """A JSON value's type as JSONata names it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object"}.get(type(value), "unknown")


def max_concurrency(state: dict[str, Any], env: Env, language: str, where: Where) -> int:
    """MaxConcurrency, MaxConcurrencyPath or a JSONata MaxConcurrency (0: no limit)."""
    value: Any = state.get("MaxConcurrency", 0)
    if language == JSONATA and isinstance(value, str):
        from cloudlet.services.stepfunctions.asl import jsonata

        value = jsonata.evaluate(value, env, "MaxConcurrency", where=where)
        field, shown = "MaxConcurrency", value  # unverified: the JSONata field's failure cause
    elif "MaxConcurrencyPath" in state:
        from cloudlet.services.stepfunctions.asl import intrinsics

        field, shown = "MaxConcurrencyPath", state["MaxConcurrencyPath"]
        try:
            value = intrinsics.resolve_path(shown, env)
        except StatesError:
            value = None  # unverified: a path that selects nothing
    else:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)  # as recorded: a variable holding "1"
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        text = value if isinstance(value, str) else dumps(value)
        raise StatesError(
            errors.RUNTIME,
            where.cause(f'The {field} field refers to value "{text}" which is not a valid integer: {shown}'),
        )  # recorded for a string and an object; a negative number # unverified
    return value


def item_input(state: dict[str, Any], env: Env, language: str, index: int, item: Any, where: Where) -> Any:
    """An iteration's input: the item, or ItemSelector (Parameters) rendered with ``$$.Map.Item``."""
    selector = state.get("ItemSelector", state.get("Parameters"))
    if selector is None:
        return item
    context = {**env.context, "Map": {"Item": {"Index": index, "Value": item}}}
    inner = dataclasses.replace(env, context=context)
    if language == JSONATA:
        from cloudlet.services.stepfunctions.asl import jsonata

        return jsonata.render(selector, inner, "ItemSelector", where=where)
    from cloudlet.services.stepfunctions.asl import payload

    effective = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    return payload.render(selector, dataclasses.replace(inner, input=effective), "ItemSelector", where=where)


async def map_state(
    self: Interpreter, run: Run, state: dict[str, Any], env: Env, thread: Thread, language: str, where: Where
) -> Step:
    processor = state.get("ItemProcessor") or state.get("Iterator")
    config = (processor or {}).get("ProcessorConfig") or {}
    if config.get("Mode") == "DISTRIBUTED":  # a map run of child executions (distributed.py)
        from cloudlet.services.stepfunctions.engine.distributed import distributed_map

        return await distributed_map(self, run, state, env, thread, language, where)
    try:
        items = map_items(state, env, language, where)
        limit = max_concurrency(state, env, language, where) or len(items) or 1
    except StatesError as failure:
        self.unstarted.add(failure)
        raise
    name = where.state
    run.history.add(thread, "MapStateStarted", {"mapStateStartedEventDetails": {"length": len(items)}})
    gate = asyncio.Semaphore(limit)
    succeeded: list[int] = []  # MapIterationSucceeded events: the state's end follows the last

    failed: list[StatesError] = []  # once an iteration fails, no other starts (as recorded)

    async def iteration(index: int, item: Any) -> Any:
        async with gate:
            if failed:
                raise failed[0]
            detail = {"index": index, "name": name}
            run.history.add(thread, "MapIterationStarted", {"mapIterationStartedEventDetails": detail})
            try:
                value = item_input(state, env, language, index, item, where)
                result = await self.block(run, processor, value, thread, language, scope=_inner(env))
            except StatesError as failure:
                failed.append(failure)
                run.history.add(
                    thread, "MapIterationFailed", {"mapIterationFailedEventDetails": detail}, advance=False
                )
                raise
            except asyncio.CancelledError:
                run.history.add(
                    thread, "MapIterationAborted", {"mapIterationAbortedEventDetails": detail}, advance=False
                )
                raise
            succeeded.append(
                run.history.add(
                    thread,
                    "MapIterationSucceeded",
                    {"mapIterationSucceededEventDetails": detail},
                    advance=False,
                )
            )
            return result

    tasks = [asyncio.ensure_future(iteration(i, item)) for i, item in enumerate(items)]
    try:
        results = await _first_failure(tasks) if tasks else []
    except StatesError:
        raise  # MapStateFailed: the interpreter's, unless the state is retried
    thread.last = max(succeeded, default=thread.last)
    run.history.add(thread, "MapStateSucceeded", advance=False)
    return exit_step(state, env, language, results, where)
