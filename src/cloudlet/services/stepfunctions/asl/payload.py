"""JSONPath-mode data flow: InputPath, payload templates, ResultPath and OutputPath.

Templates (``Parameters``, ``ItemSelector``, ``ResultSelector``) copy their values except
under keys ending in ``.$``, whose string is a path (``$…`` the input, ``$$…`` the context
object, ``$name…`` a variable) or an intrinsic function; the key loses its ``.$``. Failures
carry AWS's causes; give ``where`` (the state and the id of its entered event) to get the
``An error occurred while executing the state …`` prefix AWS puts in front of them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from . import intrinsics, jsonpath
from .env import Env
from .errors import INTRINSIC_FAILURE, RESULT_PATH_MATCH_FAILURE, RUNTIME, StatesError
from .jsonpath import PathNotFound


@dataclass(frozen=True)
class Where:
    """The state a failure happens in, as AWS names it in causes."""

    state: str
    entered_event_id: int

    def cause(self, text: str) -> str:
        return (
            f"An error occurred while executing the state '{self.state}' "
            f"(entered at the event id #{self.entered_event_id}). {text}"
        )


def _fail(error: str, text: str, where: Where | None) -> StatesError:
    return StatesError(error, where.cause(text) if where else text)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _invalid_path(path: str, exc: PathNotFound, where: Where | None) -> StatesError:
    return _fail(RUNTIME, f"Invalid path '{path}' : {exc.detail}", where)


def apply_input_path(path: str | None, env: Env, where: Where | None = None) -> Any:
    """The effective input: ``InputPath`` applied (``None`` gives ``{}``)."""
    if path is None:
        return {}
    try:
        return intrinsics.resolve_path(path, env)
    except PathNotFound as exc:
        raise _invalid_path(path, exc, where) from None


def render(template: Any, env: Env, field: str = "Parameters", where: Where | None = None) -> Any:
    """A payload template with its ``.$`` keys evaluated, recursively (a new value)."""
    if isinstance(template, dict):
        out: dict[str, Any] = {}
        for key, value in template.items():
            if key.endswith(".$") and isinstance(value, str):
                out[key[:-2]] = _dynamic(key, value, env, where)
            else:
                out[key] = render(value, env, field, where)
        return out
    if isinstance(template, list):
        return [render(item, env, field, where) for item in template]
    return template


def _dynamic(key: str, expression: str, env: Env, where: Where | None) -> Any:
    try:
        if intrinsics.is_intrinsic(expression):
            return intrinsics.evaluate(expression, env)
        return intrinsics.resolve_path(expression, env)
    except PathNotFound as exc:
        path = getattr(exc, "path", None) or expression
        text = (
            f"The JSONPath '{path}' specified for the field '{key}' could not be found "
            f"in the input '{_compact(env.input)}'"  # the input's rendering is unverified
        )
        raise _fail(RUNTIME, text, where) from None
    except StatesError as exc:
        if exc.error == INTRINSIC_FAILURE and where and not exc.cause.startswith("An error occurred"):
            raise StatesError(exc.error, where.cause(exc.cause)) from None  # unverified prefix
        raise


def apply_result_path(path: str | None, raw_input: Any, result: Any, where: Where | None = None) -> Any:
    """``ResultPath``: ``None`` keeps the raw input, ``$`` is the result, else merged in."""
    if path is None:
        return raw_input
    if path == "$":
        return result
    try:
        return jsonpath.assign(raw_input, path, result)
    except StatesError:
        text = f"Unable to apply ReferencePath {path} to input {_compact(raw_input)}"
        raise _fail(RESULT_PATH_MATCH_FAILURE, text, where) from None


def apply_output_path(path: str | None, value: Any, env: Env, where: Where | None = None) -> Any:
    """``OutputPath`` over the state's output (``None`` gives ``{}``); ``$$``/``$var`` read ``env``."""
    if path is None:
        return {}
    scoped = Env(input=value, context=env.context, variables=env.variables)
    try:
        return intrinsics.resolve_path(path, scoped)
    except PathNotFound as exc:
        raise _invalid_path(path, exc, where) from None
