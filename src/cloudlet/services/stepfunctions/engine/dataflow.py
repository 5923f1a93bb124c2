"""The data flow every state shares: its effective input and its output from a result.

JSONPath mode: InputPath then Parameters in; ResultSelector, ResultPath and OutputPath out.
JSONata mode: ``Arguments`` in (the input without it); ``Output`` out, with ``$states.result``.
Also the small values several engine modules write: history payload details, the
context object's times and a state's next state.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

from cloudlet.services.stepfunctions.asl import jsonata, payload
from cloudlet.services.stepfunctions.asl.env import Env
from cloudlet.services.stepfunctions.asl.payload import Where

JSONATA = "JSONata"
NOT_TRUNCATED = {"truncated": False}


def iso_millis(when: float) -> str:
    """A time as the context object and Java dates show it: ISO 8601, milliseconds, ``Z``."""
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def next_state(state: dict[str, Any]) -> str | None:
    """The state that follows ``state`` (None: it ends its block)."""
    return None if state.get("End") else state.get("Next")


def effective_input(
    state: dict[str, Any], env: Env, language: str, where: Where, field: str = "Arguments"
) -> Any:
    """What the state works on: InputPath + Parameters, or JSONata ``field`` (``Arguments``)."""
    if language == JSONATA:
        return jsonata.render(state[field], env, field) if field in state else env.input
    value = payload.apply_input_path(state.get("InputPath", "$"), env, where=where)
    if "Parameters" in state:
        value = payload.render(
            state["Parameters"], dataclasses.replace(env, input=value), "Parameters", where=where
        )
    return value


def state_output(state: dict[str, Any], env: Env, language: str, result: Any, where: Where) -> Any:
    """The state's output from its result: ResultSelector, ResultPath, OutputPath, or JSONata ``Output``."""
    if language == JSONATA:
        inner = dataclasses.replace(env, result=result, has_result=True)
        return jsonata.render(state["Output"], inner, "Output") if "Output" in state else result
    if "ResultSelector" in state:
        result = payload.render(
            state["ResultSelector"], dataclasses.replace(env, input=result), "ResultSelector", where=where
        )
    output = payload.apply_result_path(state.get("ResultPath", "$"), env.input, result, where=where)
    return payload.apply_output_path(state.get("OutputPath", "$"), output, env, where=where)
