"""The checks AWS runs on a definition: ValidateStateMachineDefinition's diagnostics and the
``InvalidDefinition`` of CreateStateMachine/UpdateStateMachine.

Three passes, as AWS reports them: the JSON text (``INVALID_JSON_DESCRIPTION``), the schema of
every block, state and field (``SCHEMA_VALIDATION_FAILED`` and kin), and, only when the schema
holds, the transitions (``MISSING_TRANSITION_TARGET``, ``MISSING_END_STATE``). Messages are AWS's
where recorded (``../shared/aws-reference/stepfunctions``) or reported verbatim by users; the
others are marked ``# unverified``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .definition import JSONPATH
from .schema import check_block

ERROR = "ERROR"
WARNING = "WARNING"


@dataclass(frozen=True)
class Diagnostic:
    """One ValidateStateMachineDefinitionDiagnostic."""

    severity: str
    code: str
    message: str
    location: str | None = None

    def to_dict(self) -> dict[str, str]:
        found = {"severity": self.severity, "code": self.code, "message": self.message}
        if self.location is not None:
            found["location"] = self.location
        return found

    def text(self) -> str:
        """The form CreateStateMachine joins into its message (``at null`` without a location)."""
        return f"{self.code}: {self.message} at {self.location if self.location is not None else 'null'}"


class _Object(dict):  # type: ignore[type-arg]
    """A JSON object that remembers the keys its text repeated (the last value wins, as Jackson)."""

    duplicates: tuple[str, ...] = ()


class JsonProblem(ValueError):
    """The definition is not JSON: Jackson's message and location."""

    def __init__(self, message: str, location: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location


def _object(pairs: list[tuple[str, Any]]) -> _Object:
    found = _Object(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        found.duplicates = tuple(k for k, _ in pairs if k in seen or seen.add(k))  # type: ignore[func-returns-value]
    return found


def _no_constant(name: str) -> Any:
    raise ValueError(f"Non-standard token '{name}'")


def load(text: str) -> Any:
    """The definition's JSON value (``JsonProblem`` with Jackson's wording when it isn't JSON)."""
    decoder = json.JSONDecoder(object_pairs_hook=_object, parse_constant=_no_constant)
    start = len(text) - len(text.lstrip(" \t\n\r"))
    try:
        # Jackson's default reads the first value and ignores what follows it (# unverified for AWS).
        return decoder.raw_decode(text, start)[0]
    except json.JSONDecodeError as exc:
        raise _jackson(text, exc.pos) from None
    except ValueError as exc:
        raise JsonProblem(str(exc), None) from None  # unverified


def _source(text: str) -> str:
    """Jackson's source description: the text, cut at 500 characters (# unverified beyond that)."""
    if len(text) <= 500:
        return f'[Source: (String)"{text}"'
    return f'[Source: (String)"{text[:500]}"[truncated {len(text) - 500} chars]'


def _jackson(text: str, pos: int) -> JsonProblem:
    """Jackson's message for the first problem at ``pos`` (recorded for an unrecognized token)."""
    token = re.match(r"[A-Za-z0-9_$]+", text[pos:])
    end = pos + (len(token.group(0)) if token else 1)
    line = text.count("\n", 0, end) + 1
    column = end - (text.rfind("\n", 0, end) + 1) + 1
    location = f"{_source(text)}; line: {line}, column: {column}]"
    if token:
        message = (
            f"Unrecognized token '{token.group(0)}': was expecting (JSON String, Number, Array, Object or "
            f"token 'null', 'true' or 'false')"
        )
    elif pos >= len(text):
        message = "Unexpected end-of-input"  # unverified
    else:
        char = text[pos]
        message = f"Unexpected character ('{char}' (code {ord(char)}))"  # unverified
    return JsonProblem(f"{message}\n at {location}", location)


def validate(text: str, machine_type: str = "STANDARD") -> list[Diagnostic]:
    """Every diagnostic for ``text`` as a ``machine_type`` (STANDARD or EXPRESS) machine."""
    if not isinstance(text, str) or not text.strip():
        return [Diagnostic(ERROR, "SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")]
    try:
        document = load(text)
    except JsonProblem as problem:
        return [Diagnostic(ERROR, "INVALID_JSON_DESCRIPTION", problem.message, problem.location)]
    if not isinstance(document, dict):
        # unverified: a JSON value that is not an object
        return [Diagnostic(ERROR, "SCHEMA_VALIDATION_FAILED", "Definition must be a valid JSON object")]
    found: list[Diagnostic] = []
    check_block(
        document,
        "",
        document.get("QueryLanguage") or JSONPATH,
        found,
        top=True,
        express=machine_type == "EXPRESS",
    )
    if not found:
        found.extend(_duplicate_names(document))
    if not found:
        _transitions(document, "", found)
    return found


def check(text: str, machine_type: str = "STANDARD") -> None:
    """Raise ``InvalidDefinition`` with AWS's message when ``text`` has any ERROR diagnostic."""
    problems = [d for d in validate(text, machine_type) if d.severity == ERROR]
    if problems:
        from cloudlet.services.stepfunctions.errors import invalid_definition

        raise invalid_definition(", ".join(d.text() for d in problems))


# ---------------------------------------------------------------------------------- names


def _blocks(block: dict[str, Any], location: str) -> list[tuple[dict[str, Any], str]]:
    """``block`` and every block nested in it (Parallel branches, Map processors), with locations."""
    found = [(block, location)]
    for name, state in (block.get("States") or {}).items():
        here = f"{location}/States/{name}"
        for i, branch in enumerate(state.get("Branches") or ()):
            found.extend(_blocks(branch, f"{here}/Branches[{i}]"))
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                found.extend(_blocks(state[key], f"{here}/{key}"))
    return found


def _duplicate_names(document: dict[str, Any]) -> list[Diagnostic]:
    """State names repeated in one ``States`` object or across blocks (``DUPLICATE_STATE_NAME``)."""
    seen: set[str] = set()
    found = []
    for block, location in _blocks(document, ""):
        states = block.get("States") or {}
        for name in getattr(states, "duplicates", ()):
            found.append(
                Diagnostic(
                    ERROR,
                    "DUPLICATE_STATE_NAME",
                    f"Duplicate State name: {name}",
                    f"{location}/States/{name}",
                )
            )  # unverified
        for name in states:
            if name in seen:
                found.append(
                    Diagnostic(
                        ERROR,
                        "DUPLICATE_STATE_NAME",
                        f"Duplicate State name: {name}",
                        f"{location}/States/{name}",
                    )
                )  # unverified
            seen.add(name)
    return found


# ---------------------------------------------------------------------------------- transitions


def _targets(state: dict[str, Any], here: str) -> list[tuple[str, str]]:
    """(target, location) of every transition out of ``state``."""
    found = []
    if "Next" in state:
        found.append((state["Next"], f"{here}/Next"))
    for i, rule in enumerate(state.get("Choices") or ()):
        if isinstance(rule, dict) and "Next" in rule:
            found.append((rule["Next"], f"{here}/Choices[{i}]/Next"))
    if "Default" in state:
        found.append((state["Default"], f"{here}/Default"))
    for i, catcher in enumerate(state.get("Catch") or ()):
        if isinstance(catcher, dict) and "Next" in catcher:
            found.append((catcher["Next"], f"{here}/Catch[{i}]/Next"))
    return found


def _terminal(state: dict[str, Any]) -> bool:
    return state.get("End") is True or state.get("Type") in ("Succeed", "Fail")


def _transitions(block: dict[str, Any], location: str, found: list[Diagnostic]) -> None:
    """Dangling targets, then no terminal state, else unreachable states (recorded order)."""
    states: dict[str, Any] = block["States"]
    if block["StartAt"] not in states:
        # unverified: the code and wording for a StartAt naming no state of its block
        found.append(
            Diagnostic(
                ERROR,
                "MISSING_TRANSITION_TARGET",
                f"Missing 'Next' target: {block['StartAt']}",
                f"{location}/StartAt",
            )
        )
    for name, state in states.items():
        for target, where in _targets(state, f"{location}/States/{name}"):
            if target not in states:
                found.append(
                    Diagnostic(ERROR, "MISSING_TRANSITION_TARGET", f"Missing 'Next' target: {target}", where)
                )
    if not any(_terminal(s) for s in states.values()):
        found.append(Diagnostic(ERROR, "MISSING_END_STATE", "Workflow has no terminal state"))
    else:
        reached = {block["StartAt"]} & states.keys()
        queue = list(reached)
        while queue:
            for target, _ in _targets(states[queue.pop()], ""):
                if target in states and target not in reached:
                    reached.add(target)
                    queue.append(target)
        for name in states:
            if name not in reached:
                found.append(
                    Diagnostic(
                        ERROR,
                        "MISSING_TRANSITION_TARGET",
                        f'State "{name}" is not reachable.',
                        f"{location}/States/{name}",
                    )
                )
    for name, state in states.items():
        here = f"{location}/States/{name}"
        for i, branch in enumerate(state.get("Branches") or ()):
            _transitions(branch, f"{here}/Branches[{i}]", found)
        for key in ("ItemProcessor", "Iterator"):
            if isinstance(state.get(key), dict):
                _transitions(state[key], f"{here}/{key}", found)
