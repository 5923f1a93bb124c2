"""State machine definitions: parsed into typed, frozen states, and validated as AWS does.

``parse`` gives a ``Machine`` (the interpreter's view: every state typed, its query language
resolved from the enclosing blocks, its raw dict kept for the templates as written).
``validate`` gives the diagnostics of ValidateStateMachineDefinition and ``check`` raises
CreateStateMachine's ``InvalidDefinition``; their rules live in ``validation.py``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

JSONPATH = "JSONPath"
JSONATA = "JSONata"
STATE_TYPES = ("Task", "Wait", "Pass", "Succeed", "Fail", "Choice", "Parallel", "Map")

Raw = Mapping[str, Any]


@dataclass(frozen=True)
class Retrier:
    """One ``Retry`` entry, with AWS's defaults filled in."""

    error_equals: tuple[str, ...]
    interval_seconds: float = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: float | None = None
    jitter_strategy: str = "NONE"
    comment: str | None = None
    raw: Raw = field(default_factory=dict)


@dataclass(frozen=True)
class Catcher:
    """One ``Catch`` entry: where an error goes and what the state's output becomes."""

    error_equals: tuple[str, ...]
    next: str
    result_path: str | None = "$"  # None: ``"ResultPath": null`` (keep the input)
    output: Any = None
    assign: Raw | None = None
    comment: str | None = None
    raw: Raw = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class State:
    """The fields every state type may have (absent ones None)."""

    name: str
    type: str
    raw: Raw
    query_language: str = JSONPATH
    comment: str | None = None
    next: str | None = None
    end: bool = False
    input_path: str | None = "$"
    output_path: str | None = "$"
    parameters: Any = None
    result_selector: Any = None
    result_path: str | None = "$"
    arguments: Any = None
    output: Any = None
    assign: Raw | None = None
    retry: tuple[Retrier, ...] = ()
    catch: tuple[Catcher, ...] = ()

    @property
    def is_jsonata(self) -> bool:
        return self.query_language == JSONATA

    @property
    def terminal(self) -> bool:
        return self.end or self.type in ("Succeed", "Fail")


@dataclass(frozen=True, kw_only=True)
class Task(State):
    resource: str = ""
    timeout_seconds: Any = None  # int, or a JSONata string
    timeout_seconds_path: str | None = None
    heartbeat_seconds: Any = None
    heartbeat_seconds_path: str | None = None
    credentials: Raw | None = None


@dataclass(frozen=True, kw_only=True)
class Pass(State):
    result: Any = None
    has_result: bool = False


@dataclass(frozen=True)
class ChoiceRule:
    """A top-level ``Choices`` entry: the rule as written (``choice.evaluate`` reads it) and where it goes."""

    next: str
    raw: Raw
    condition: Any = None  # JSONata
    output: Any = None
    assign: Raw | None = None
    comment: str | None = None


@dataclass(frozen=True, kw_only=True)
class Choice(State):
    choices: tuple[ChoiceRule, ...] = ()
    default: str | None = None


@dataclass(frozen=True, kw_only=True)
class Wait(State):
    seconds: Any = None
    seconds_path: str | None = None
    timestamp: Any = None
    timestamp_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class Succeed(State):
    pass


@dataclass(frozen=True, kw_only=True)
class Fail(State):
    error: Any = None
    error_path: str | None = None
    cause: Any = None
    cause_path: str | None = None


@dataclass(frozen=True, kw_only=True)
class Parallel(State):
    branches: tuple[Machine, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Map(State):
    processor: Machine | None = None  # ItemProcessor, or the older Iterator
    mode: str = "INLINE"
    execution_type: str | None = None  # DISTRIBUTED: STANDARD or EXPRESS
    item_reader: Raw | None = None
    item_selector: Any = None  # ItemSelector, or the older Parameters
    item_batcher: Raw | None = None
    result_writer: Raw | None = None
    max_concurrency: Any = 0
    max_concurrency_path: str | None = None
    tolerated_failure_count: Any = None
    tolerated_failure_count_path: str | None = None
    tolerated_failure_percentage: Any = None
    tolerated_failure_percentage_path: str | None = None
    items_path: str | None = "$"
    items: Any = None
    label: str | None = None


@dataclass(frozen=True)
class Machine:
    """A block of states: the whole machine, a Parallel branch or a Map's processor."""

    start_at: str
    states: Mapping[str, State]
    query_language: str = JSONPATH
    comment: str | None = None
    timeout_seconds: int | None = None
    version: str | None = None
    raw: Raw = field(default_factory=dict)

    def __getitem__(self, name: str) -> State:
        return self.states[name]


_STATE_CLASSES: dict[str, type[State]] = {
    "Task": Task,
    "Pass": Pass,
    "Choice": Choice,
    "Wait": Wait,
    "Succeed": Succeed,
    "Fail": Fail,
    "Parallel": Parallel,
    "Map": Map,
}


def parse(text: str, machine_type: str = "STANDARD") -> Machine:
    """The definition ``text`` as a ``Machine``; ``InvalidDefinition`` (AWS's message) when invalid."""
    check(text, machine_type)
    from cloudlet.services.stepfunctions.asl.validation import load

    return build(load(text))


def validate(text: str, machine_type: str = "STANDARD") -> list[Any]:
    """ValidateStateMachineDefinition's diagnostics for ``text`` (errors and warnings)."""
    from cloudlet.services.stepfunctions.asl.validation import validate as run

    return run(text, machine_type)


def check(text: str, machine_type: str = "STANDARD") -> None:
    """Raise CreateStateMachine's ``InvalidDefinition`` when ``text`` has errors."""
    from cloudlet.services.stepfunctions.asl.validation import check as run

    run(text, machine_type)


def build(document: Raw, language: str | None = None) -> Machine:
    """A ``Machine`` from an already valid definition (or block) as a JSON object."""
    own = document.get("QueryLanguage")
    language = own or language or JSONPATH
    states = {name: _state(name, raw, language) for name, raw in (document.get("States") or {}).items()}
    return Machine(
        start_at=document.get("StartAt", ""),
        states=states,
        query_language=language,
        comment=document.get("Comment"),
        timeout_seconds=document.get("TimeoutSeconds"),
        version=document.get("Version"),
        raw=document,
    )


def _errors(raw: Any) -> tuple[str, ...]:
    return tuple(raw or ())


def _retrier(raw: Raw) -> Retrier:
    return Retrier(
        error_equals=_errors(raw.get("ErrorEquals")),
        interval_seconds=raw.get("IntervalSeconds", 1),
        max_attempts=raw.get("MaxAttempts", 3),
        backoff_rate=raw.get("BackoffRate", 2.0),
        max_delay_seconds=raw.get("MaxDelaySeconds"),
        jitter_strategy=raw.get("JitterStrategy", "NONE"),
        comment=raw.get("Comment"),
        raw=raw,
    )


def _catcher(raw: Raw) -> Catcher:
    return Catcher(
        error_equals=_errors(raw.get("ErrorEquals")),
        next=raw.get("Next", ""),
        result_path=raw.get("ResultPath", "$"),
        output=raw.get("Output"),
        assign=raw.get("Assign"),
        comment=raw.get("Comment"),
        raw=raw,
    )


def _common(name: str, raw: Raw, language: str) -> dict[str, Any]:
    return {
        "name": name,
        "type": raw.get("Type", ""),
        "raw": raw,
        "query_language": language,
        "comment": raw.get("Comment"),
        "next": raw.get("Next"),
        "end": bool(raw.get("End", False)),
        "input_path": raw.get("InputPath", "$"),
        "output_path": raw.get("OutputPath", "$"),
        "parameters": raw.get("Parameters"),
        "result_selector": raw.get("ResultSelector"),
        "result_path": raw.get("ResultPath", "$"),
        "arguments": raw.get("Arguments"),
        "output": raw.get("Output"),
        "assign": raw.get("Assign"),
        "retry": tuple(_retrier(r) for r in raw.get("Retry") or ()),
        "catch": tuple(_catcher(c) for c in raw.get("Catch") or ()),
    }


def _state(name: str, raw: Raw, block_language: str) -> State:
    language = raw.get("QueryLanguage") or block_language
    kind = raw.get("Type", "")
    fields = _common(name, raw, language)
    if kind == "Task":
        return Task(
            **fields,
            resource=raw.get("Resource", ""),
            timeout_seconds=raw.get("TimeoutSeconds"),
            timeout_seconds_path=raw.get("TimeoutSecondsPath"),
            heartbeat_seconds=raw.get("HeartbeatSeconds"),
            heartbeat_seconds_path=raw.get("HeartbeatSecondsPath"),
            credentials=raw.get("Credentials"),
        )
    if kind == "Pass":
        return Pass(**fields, result=raw.get("Result"), has_result="Result" in raw)
    if kind == "Choice":
        rules = tuple(
            ChoiceRule(
                next=rule.get("Next", ""),
                raw=rule,
                condition=rule.get("Condition"),
                output=rule.get("Output"),
                assign=rule.get("Assign"),
                comment=rule.get("Comment"),
            )
            for rule in raw.get("Choices") or ()
        )
        return Choice(**fields, choices=rules, default=raw.get("Default"))
    if kind == "Wait":
        return Wait(
            **fields,
            seconds=raw.get("Seconds"),
            seconds_path=raw.get("SecondsPath"),
            timestamp=raw.get("Timestamp"),
            timestamp_path=raw.get("TimestampPath"),
        )
    if kind == "Fail":
        return Fail(
            **fields,
            error=raw.get("Error"),
            error_path=raw.get("ErrorPath"),
            cause=raw.get("Cause"),
            cause_path=raw.get("CausePath"),
        )
    if kind == "Parallel":
        return Parallel(**fields, branches=tuple(build(b, block_language) for b in raw.get("Branches") or ()))
    if kind == "Map":
        return _map(fields, raw, block_language)
    return _STATE_CLASSES.get(kind, State)(**fields)


def _map(fields: dict[str, Any], raw: Raw, block_language: str) -> Map:
    block = raw.get("ItemProcessor") or raw.get("Iterator")
    config = (block or {}).get("ProcessorConfig") or {}
    # Inside a Map or Parallel the states inherit the machine's language, not the state's own
    # (measured against AWS by users, # unverified here).
    return Map(
        **fields,
        processor=build(block, block_language) if block else None,
        mode=config.get("Mode", "INLINE"),
        execution_type=config.get("ExecutionType"),
        item_reader=raw.get("ItemReader"),
        item_selector=raw.get("ItemSelector", raw.get("Parameters")),
        item_batcher=raw.get("ItemBatcher"),
        result_writer=raw.get("ResultWriter"),
        max_concurrency=raw.get("MaxConcurrency", 0),
        max_concurrency_path=raw.get("MaxConcurrencyPath"),
        tolerated_failure_count=raw.get("ToleratedFailureCount"),
        tolerated_failure_count_path=raw.get("ToleratedFailureCountPath"),
        tolerated_failure_percentage=raw.get("ToleratedFailurePercentage"),
        tolerated_failure_percentage_path=raw.get("ToleratedFailurePercentagePath"),
        items_path=raw.get("ItemsPath", "$"),
        items=raw.get("Items"),
        label=raw.get("Label"),
    )
