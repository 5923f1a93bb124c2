"""The data flow every state shares: its effective input and its output from a result.

JSONPath mode: InputPath then Parameters in; ResultSelector, ResultPath and OutputPath out.
JSONata mode: ``Arguments`` in (the input without it); ``Output`` out, with ``$states.result``.
Variables: a state's ``Assign`` runs once its output is known (OutputPath and JSONata
``Output`` read the variables as they were); in JSONPath mode its ``$`` is the state's result
(after ResultSelector; a Pass state's Result or Parameters; the effective input of a Choice or
Wait state; a Catch's error output), in JSONata mode it reads ``$states``.
Also the small values several engine modules write: history payload details, the
context object's times and a state's next state.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from cloudlet.services.stepfunctions.asl import jsonata, payload, variables
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.payload import Where
from cloudlet.services.stepfunctions.asl.variables import Scope

JSONATA = "JSONata"
NOT_TRUNCATED = {"truncated": False}


@dataclass
class Step:
    """What a state answered: its output, the state to go to (None: the block ends) and the
    variables its ``Assign`` set (the history's ``assignedVariables``)."""

    output: Any
    next: str | None
    assigned: dict[str, Any] | None = None


def iso_millis(when: float) -> str:
    """A time as the context object and Java dates show it: ISO 8601, milliseconds, ``Z``."""
    millis = int(when * 1000)
    return f"{_iso_second(millis // 1000)}.{millis % 1000:03d}Z"


@lru_cache(maxsize=64)
def _iso_second(second: int) -> str:
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")


def next_state(state: dict[str, Any]) -> str | None:
    """The state that follows ``state`` (None: it ends its block)."""
    return None if state.get("End") else state.get("Next")


def effective_input(
    state: dict[str, Any], env: Env, language: str, where: Where, field: str = "Arguments"
) -> Any:
    """What the state works on: InputPath + Parameters, or JSONata ``field`` (``Arguments``)."""
    if language == JSONATA:
        return jsonata.render(state[field], env, field, where=where) if field in state else env.input
    value = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    if "Parameters" in state:
        value = payload.render(
            state["Parameters"], dataclasses.replace(env, input=value), "Parameters", where=where
        )
    return value


def assign(node: dict[str, Any], env: Env, language: str, value: Any, where: Where) -> dict[str, Any] | None:
    """Run ``node``'s ``Assign`` (a state, Choice rule or catcher) into ``env``'s scope; what it set.

    JSONPath mode reads ``value`` as ``$``; JSONata mode reads ``env`` (``$states``).
    """
    block = node.get("Assign")
    if not block:
        return None
    scope = env.variables if isinstance(env.variables, Scope) else Scope(env.variables)
    source = env if language == JSONATA else dataclasses.replace(env, input=value)
    return variables.assign(scope, block, source, language, where=where)


def exit_step(state: dict[str, Any], env: Env, language: str, result: Any, where: Where) -> Step:
    """A Task, Parallel or Map state's step from its result: its output, then its ``Assign``."""
    if language == JSONATA:
        inner = dataclasses.replace(env, result=result, has_result=True)
        output = (
            jsonata.render(state["Output"], inner, "Output", where=where) if "Output" in state else result
        )
        return Step(output, next_state(state), assign(state, inner, language, result, where))
    selected = result
    if "ResultSelector" in state:
        selected = payload.render(
            state["ResultSelector"], dataclasses.replace(env, input=result), "ResultSelector", where=where
        )
    output = payload.apply_result_path(state.get("ResultPath", "$"), env.input, selected, where=where)
    output = payload.apply_output_path(state.get("OutputPath", "$"), output, env, where=where)
    return Step(output, next_state(state), assign(state, env, language, selected, where))
