"""The recorded Step Functions scenarios (``<repo>/../shared/aws-reference/stepfunctions``) as a corpus.

Each snapshot file holds, per test id, what AWS answered (histories, describe_execution, errors ...),
but not which template ran nor with which input. This module reads the snapshots and the templates
(``templates/**/statemachines/*.json5``) and pairs every recorded execution with the template whose
states it went through:

- hard evidence from the history: every state entered (name and type, inside Parallel branches and Map
  iterations too) must be a state of the template, the first state entered must be the StartAt, the
  Task integrations scheduled (``resourceType``/``resource``) must be in the template (unless it has a
  templated ``Resource``), and an execution that fails in a Fail state must fail with that state's
  literal Error/Cause;
- then, among the templates that fit, the one whose states were all visited, then the test id's words
  against the template's file name (and folder) as a tie-breaker.

Where several templates still fit equally, or none does, the scenario says so (``ambiguous`` /
``unmatched``) instead of guessing. Nothing here needs a server.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[4]
FALLBACK_REFERENCE = Path("/work/shared/aws-reference")

STATE_TYPES = ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
FLOW_TYPES = frozenset(STATE_TYPES) - {"Task"}

# Placeholders the templates carry for values the recording test filled in before creating the machine.
TEMPLATE_PLACEHOLDER = re.compile(r"_+tb[dc]_+|%[A-Z0-9_]+%|<%[A-Za-z0-9_]+%>", re.IGNORECASE)
# Placeholders the recorder put in the recorded answers.
RECORDED_PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_:.\-]*>")


# ---------------------------------------------------------------------------------------------- files


def reference_root() -> Path | None:
    """``<repo root>/../shared/aws-reference`` (the CI layout), else ``/work/shared/aws-reference``."""
    for candidate in (REPO_ROOT.parent / "shared" / "aws-reference", FALLBACK_REFERENCE):
        if (candidate / "stepfunctions").is_dir():
            return candidate
    return None


def strip_json5(text: str) -> str:
    """The JSON inside a ``.json5`` template: comments and trailing commas removed, bare keys quoted.

    Only what the corpus uses: ``//`` and ``/* */`` comments, trailing commas, identifier keys,
    double-quoted strings.
    """
    out: list[str] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif (ch.isalpha() or ch in "_$") and (
            not out or not (out[-1][-1:].isalnum() or out[-1][-1:] in "_$")
        ):
            j = i
            while j < n and (text[j].isalnum() or text[j] in "_$"):
                j += 1
            k = j
            while k < n and text[k] in " \t":
                k += 1
            word = text[i:j]
            out.append(f'"{word}"' if k < n and text[k] == ":" else word)
            i = j
        elif ch == ",":
            j = i + 1
            while j < n:
                if text[j].isspace():
                    j += 1
                elif text.startswith("//", j):
                    while j < n and text[j] != "\n":
                        j += 1
                elif text.startswith("/*", j):
                    end = text.find("*/", j + 2)
                    j = n if end < 0 else end + 2
                else:
                    break
            if j >= n or text[j] not in "]}":
                out.append(ch)
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def load_definition(path: Path) -> Any:
    """A template's definition: JSON5 (this module's subset) or YAML."""
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_load(text)
    return json.loads(strip_json5(text))


# ------------------------------------------------------------------------------------------ templates


@dataclass(frozen=True, eq=False)
class Template:
    """One template file and what the pairing reads from it."""

    path: str  # relative to the stepfunctions reference folder
    definition: Any
    error: str | None = None  # why it could not be parsed
    start_at: str | None = None
    states: frozenset[tuple[str, str]] = frozenset()  # (name, type), nested branches included
    fail_states: dict[str, tuple[Any, Any]] = field(default_factory=dict)  # Error, Cause: text, ANY or None
    state_defs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # name -> its definitions
    resources: tuple[str, ...] = ()  # every Task Resource
    placeholders: tuple[str, ...] = ()  # _tbd_, %X%, <%X%> found in the text
    distributed: bool = False

    @property
    def stem(self) -> str:
        return Path(self.path).stem

    @property
    def task_keys(self) -> frozenset[tuple[str, str]]:
        """(resourceType, resource) of the optimised/aws-sdk integrations, as TaskScheduled names them."""
        keys = set()
        for resource in self.resources:
            match = re.fullmatch(r"arn:aws:states:::(aws-sdk:[^:]+|[^:]+):(.+)", resource)
            if match:
                keys.add((match.group(1), match.group(2)))
        return frozenset(keys)

    @property
    def templated_resource(self) -> bool:
        """A Task whose Resource is filled in at test time (a placeholder, a JSONata or path value)."""
        return any(not r.startswith("arn:aws:states:::") for r in self.resources)


def _walk_states(states: Any, found: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    if not isinstance(states, dict):
        return
    for name, state in states.items():
        if not isinstance(state, dict):
            continue
        yield name, state
        for branch in state.get("Branches") or []:
            if isinstance(branch, dict):
                yield from _walk_states(branch.get("States"), found)
        for key in ("Iterator", "ItemProcessor"):
            inner = state.get(key)
            if isinstance(inner, dict):
                mode = (inner.get("ProcessorConfig") or {}).get("Mode")
                if mode == "DISTRIBUTED":
                    found["distributed"] = True
                yield from _walk_states(inner.get("States"), found)


def parse_template(path: Path, base: Path) -> Template:
    relative = path.relative_to(base).as_posix()
    text = path.read_text()
    placeholders = tuple(sorted(set(TEMPLATE_PLACEHOLDER.findall(text))))
    try:
        definition = load_definition(path)
    except Exception as error:  # a template kept broken on purpose, or a JSON5 feature not handled
        return Template(relative, None, error=f"{type(error).__name__}: {error}", placeholders=placeholders)
    if not isinstance(definition, dict):
        return Template(relative, definition, error="not an object", placeholders=placeholders)
    found: dict[str, Any] = {}
    states: set[tuple[str, str]] = set()
    fails: dict[str, tuple[Any, Any]] = {}
    resources: list[str] = []
    defs: dict[str, list[dict[str, Any]]] = {}
    for name, state in _walk_states(definition.get("States"), found):
        kind = state.get("Type")
        states.add((name, str(kind)))
        defs.setdefault(name, []).append(state)
        if kind == "Fail":
            fails[name] = (_fail_field(state, "Error"), _fail_field(state, "Cause"))
        if kind == "Task" and isinstance(state.get("Resource"), str):
            resources.append(state["Resource"])
    return Template(
        relative,
        definition,
        start_at=definition.get("StartAt"),
        states=frozenset(states),
        fail_states=fails,
        resources=tuple(resources),
        state_defs=defs,
        placeholders=placeholders,
        distributed=bool(found.get("distributed")),
    )


ANY = object()  # a Fail field whose value comes from the input (ErrorPath, JSONata, a placeholder)


def _fail_field(state: dict[str, Any], key: str) -> Any:
    value = state.get(key)
    if f"{key}Path" in state or (value is not None and not _literal(value)):
        return ANY
    return value


def _literal(value: Any) -> bool:
    return isinstance(value, str) and not value.startswith("{%") and not TEMPLATE_PLACEHOLDER.search(value)


@cache
def templates(root: Path | None = None) -> tuple[Template, ...]:
    root = root or reference_root()
    if root is None:
        return ()
    base = root / "stepfunctions"
    files = [
        p
        for p in sorted((base / "templates").rglob("*"))
        if p.suffix in (".json5", ".yaml", ".yml") and "statemachines" in p.parts
    ]
    return tuple(parse_template(p, base) for p in files)


# ---------------------------------------------------------------------------------------- executions


@dataclass(frozen=True)
class Execution:
    """One recorded history (a ``get_execution_history``-like step) and what it shows."""

    step: str
    events: tuple[dict[str, Any], ...]
    input: Any  # ExecutionStarted's input as recorded (an object, or JSON text for other values)
    entered: tuple[tuple[str, str], ...]  # (name, type) of every state entered, in order
    first_state: str | None
    task_keys: frozenset[tuple[str, str]]
    lambda_raw: bool  # LambdaFunctionScheduled: a Task with a Lambda function ARN as Resource
    activity: bool
    status: str  # SUCCEEDED / FAILED / TIMED_OUT / ABORTED / RUNNING (no end event recorded)
    error: str | None = None
    cause: Any = None


_END_EVENTS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


def read_execution(step: str, events: list[dict[str, Any]]) -> Execution:
    entered: list[tuple[str, str]] = []
    task_keys: set[tuple[str, str]] = set()
    lambda_raw = activity = False
    started: Any = None
    status, error, cause = "RUNNING", None, None
    for event in events:
        kind = event.get("type", "")
        if kind == "ExecutionStarted":
            started = (event.get("executionStartedEventDetails") or {}).get("input")
        elif kind.endswith("StateEntered"):
            state_type = kind[: -len("StateEntered")]
            entered.append((event["stateEnteredEventDetails"]["name"], state_type))
        elif kind == "TaskScheduled":
            details = event["taskScheduledEventDetails"]
            task_keys.add((details["resourceType"], details["resource"]))
        elif kind == "LambdaFunctionScheduled":
            lambda_raw = True
        elif kind == "ActivityScheduled":
            activity = True
        if kind in _END_EVENTS:
            status = _END_EVENTS[kind]
            details = next((v for k, v in event.items() if k.endswith(("EventDetails", "details"))), {}) or {}
            error, cause = details.get("error"), details.get("cause")
    return Execution(
        step,
        tuple(events),
        started,
        tuple(entered),
        entered[0][0] if entered else None,
        frozenset(task_keys),
        lambda_raw,
        activity,
        status,
        error,
        cause,
    )


# ----------------------------------------------------------------------------------------- scenarios


@dataclass
class Pairing:
    """Which template an execution ran: ``paired`` (with ``basis``), ``ambiguous`` or ``unmatched``.

    ``named``: the recording shows no state, and only the test id names a template (its file name or
    Comment); a hint, not evidence.
    """

    status: str
    template: Template | None = None
    basis: str = ""  # history / history+shape / history+name / equivalent-definitions
    candidates: tuple[str, ...] = ()  # template paths that fit the history
    edited: tuple[str, ...] = ()  # what the paired template does not produce as written (edited at run time?)


@dataclass
class Scenario:
    """One recorded test id."""

    id: str
    snapshot: str  # relative to the stepfunctions reference folder
    recorded_date: str
    steps: dict[str, Any]  # every recorded step, as recorded
    executions: list[Execution]
    pairings: list[Pairing]  # one per execution
    kind: str  # execution / express / api
    mode: str | None  # STANDARD / EXPRESS for runs, None for api-only scenarios
    needs: frozenset[str] = frozenset()
    placeholders: tuple[str, ...] = ()  # recorder placeholders seen in the steps

    @property
    def test(self) -> str:
        return self.id.split("::")[-1]

    @property
    def input(self) -> Any:
        """The first execution's input, from its ExecutionStarted event."""
        return self.executions[0].input if self.executions else None

    @property
    def describe_execution(self) -> dict[str, Any] | None:
        value = self.steps.get("describe_execution")
        return value if isinstance(value, dict) else None

    @property
    def histories(self) -> dict[str, list[dict[str, Any]]]:
        """The recorded ``get_execution_history``-like steps (express runs have none: see ``executions``)."""
        return dict(_histories(self.steps))

    @property
    def templates(self) -> tuple[Template, ...]:
        seen: dict[str, Template] = {}
        for pairing in self.pairings:
            if pairing.template is not None:
                seen.setdefault(pairing.template.path, pairing.template)
        return tuple(seen.values())

    @property
    def pairing(self) -> str:
        """``paired`` when every execution is paired, else the worst of ``named``/``ambiguous``/``unmatched``.

        ``n/a`` for api-only scenarios.
        """
        if not self.pairings:
            return "n/a"
        statuses = {p.status for p in self.pairings}
        for status in ("unmatched", "ambiguous", "named"):
            if status in statuses:
                return status
        return "paired"

    @property
    def state_types(self) -> frozenset[str]:
        """State types of the paired templates, or of the states entered where a run is not paired."""
        types = {kind for t in self.templates for _, kind in t.states}
        for execution, pairing in zip(self.executions, self.pairings, strict=False):
            if pairing.template is None:
                types |= {kind for _, kind in execution.entered}
        return frozenset(types)

    @property
    def flow_only(self) -> bool:
        """A run that needs nothing beyond Pass/Choice/Wait/Succeed/Fail/Parallel/Map (no Task, no service)."""
        types = self.state_types
        return self.kind != "api" and not self.needs and bool(types) and types <= FLOW_TYPES

    @property
    def template_substitutions(self) -> tuple[str, ...]:
        """Placeholders in the paired templates that the recording test replaced before running them."""
        return tuple(sorted({p for t in self.templates for p in t.placeholders}))


def _histories(steps: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    for step, value in steps.items():
        if isinstance(value, dict) and isinstance(value.get("events"), list):
            yield step, value["events"]


def _logged_events(steps: dict[str, Any]) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """CloudWatch Logs events (express runs, logging tests) in the history's shape where they can be."""
    for step, value in steps.items():
        if step.startswith("logged_execution_events") and isinstance(value, list):
            converted = []
            for event in value:
                kind = event.get("type", "")
                details = event.get("details") or {}
                if kind.endswith("StateEntered"):
                    converted.append(
                        {"type": kind, "stateEnteredEventDetails": {"name": details.get("name")}}
                    )
                elif kind in _END_EVENTS:
                    converted.append({"type": kind, "details": details})
            yield step, converted


_SERVICE_NEEDS = {
    "lambda": "lambda",
    "sqs": "sqs",
    "sns": "sns",
    "dynamodb": "dynamodb",
    "events": "eventbridge",
    "states": "stepfunctions",
    "sfn": "stepfunctions",
    "apigateway": "apigateway",
    "ecs": "ecs",
    "batch": "batch",
    "glue": "glue",
    "s3": "s3",
    "http": "http",
    "secretsmanager": "secretsmanager",
    "kms": "kms",
    "athena": "athena",
    "eks": "eks",
    "sagemaker": "sagemaker",
    "codebuild": "codebuild",
    "emr": "emr",
    "bedrock": "bedrock",
}


def _resource_needs(resource: str) -> set[str]:
    needs: set[str] = set()
    match = re.fullmatch(r"arn:aws:states:::(aws-sdk:)?([^:]+):([^:]+).*", resource)
    if match:
        if match.group(1):
            needs.add("aws-sdk")
        service, action = match.group(2), match.group(3)
        needs.add(_SERVICE_NEEDS.get(service, f"other:{service}"))
        if action.endswith(".waitForTaskToken"):
            needs.add("callback")
        if ".sync" in action:
            needs.add("sync-job")
        if service == "sfn" and action.startswith(("sendTask", "getActivityTask")):
            needs.add("callback")
    elif ":activity:" in resource:
        needs.add("activity")
    elif ":lambda:" in resource or ":function:" in resource:
        needs.add("lambda")
    return needs


def _needs(scenario_id: str, snapshot: str, executions: list[Execution], chosen: list[Template]) -> set[str]:
    needs: set[str] = set()
    for template in chosen:
        for resource in template.resources:
            if resource.startswith("arn:"):
                needs |= _resource_needs(resource)
            else:  # filled in by the recording test: an activity in the activity tests, else a function
                needs.add("activity" if "activit" in template.path else "lambda")
        if template.distributed:
            needs.add("distributed-map")
        definition = json.dumps(template.definition)
        if '"ItemReader"' in definition or '"ResultWriter"' in definition:
            needs.add("s3")
        if '"Credentials"' in definition:
            needs.add("credentials")
    for execution in executions:
        for resource_type, resource in execution.task_keys:
            needs |= _resource_needs(f"arn:aws:states:::{resource_type}:{resource}")
        if execution.lambda_raw:
            needs.add("lambda")
        if execution.activity:
            needs.add("activity")
        if any(e.get("type") == "MapRunStarted" for e in execution.events):
            needs.add("distributed-map")
    if "local_mocking" in snapshot or "mock" in scenario_id.split("::")[-1].lower():
        needs.add("mocks")
    if "/callback/" in snapshot:
        needs.add("callback")
    if "/activities/" in snapshot:
        needs.add("activity")
    return needs


def _kind(steps: dict[str, Any], executions: list[Execution]) -> tuple[str, str | None]:
    express = any(
        step.startswith(("start_execution_sync", "end_event"))
        or (isinstance(v, dict) and ":express:" in str(v.get("executionArn", "")))
        for step, v in steps.items()
    )
    if express:
        return "express", "EXPRESS"
    if executions:
        return "execution", "STANDARD"
    return "api", None


def _placeholders(value: Any) -> tuple[str, ...]:
    return tuple(sorted(set(RECORDED_PLACEHOLDER.findall(json.dumps(value)))))


def load(root: Path | None = None) -> list[Scenario]:
    """Every recorded test id of ``stepfunctions/v2``, with its executions paired to templates."""
    root = root or reference_root()
    if root is None:
        return []
    return list(_load(root))


@cache
def _load(root: Path) -> tuple[Scenario, ...]:
    base = root / "stepfunctions"
    pool = templates(root)
    found = []
    for path in sorted(base.glob("v2/**/*.snapshot.json")):
        snapshot = path.relative_to(base).as_posix()
        for scenario_id, record in json.loads(path.read_text()).items():
            steps = record.get("recorded-content") or {}
            executions = [read_execution(s, ev) for s, ev in _histories(steps)]
            kind, mode = _kind(steps, executions)
            if kind == "express" and not executions:
                executions = [read_execution(s, ev) for s, ev in _logged_events(steps)]
                executions += _express_end(steps)
            pairings = [pair(scenario_id, snapshot, e, pool) for e in executions] if kind != "api" else []
            chosen = [p.template for p in pairings if p.template is not None]
            found.append(
                Scenario(
                    id=scenario_id,
                    snapshot=snapshot,
                    recorded_date=record.get("recorded-date", ""),
                    steps=steps,
                    executions=executions,
                    pairings=pairings,
                    kind=kind,
                    mode=mode,
                    needs=frozenset(_needs(scenario_id, snapshot, executions, chosen)),
                    placeholders=_placeholders(steps),
                )
            )
    return tuple(found)


def _express_end(steps: dict[str, Any]) -> list[Execution]:
    """An express run recorded only by its end (StartSyncExecution's answer, or the last logged event)."""
    found = []
    for step, value in steps.items():
        if not isinstance(value, dict):
            continue
        if step.startswith("start_execution_sync"):
            status = value.get("status", "")
            event_type = {"SUCCEEDED": "ExecutionSucceeded", "FAILED": "ExecutionFailed"}.get(
                status, "ExecutionTimedOut"
            )
            started = {
                "type": "ExecutionStarted",
                "executionStartedEventDetails": {"input": value.get("input")},
            }
            end = {"type": event_type, "details": {"error": value.get("error"), "cause": value.get("cause")}}
            found.append(read_execution(step, [started, end]))
        elif step.startswith("end_event"):
            found.append(read_execution(step, [value]))
    return found


# ------------------------------------------------------------------------------------------- pairing


def words(text: str) -> set[str]:
    """Lower-case words of a test id or a path (split on ``_``, punctuation, camelCase); no noise words."""
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    found = {w for w in re.split(r"[^a-z0-9]+", text.lower()) if w}
    return found - {"test", "tests", "json5", "py", "aws", "services", "stepfunctions", "v2", "statemachines"}


def _variant(scenario_id: str) -> str:
    match = re.search(r"\[(.*)\]$", scenario_id)
    return match.group(1) if match else ""


def _folder_key(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower()).rstrip("s")


def name_score(scenario_id: str, snapshot: str, template: Template) -> tuple[int, int, float, float, float]:
    """How well the test id names the template.

    (variant or test name is the file name (2) or the Comment (1), same folder, shared words with the
    test function's name, with the variant, with the snapshot file's name).
    """
    test = scenario_id.split("::")[-1]
    function = re.sub(r"\[.*\]$", "", test).removeprefix("test_")
    variant = _variant(scenario_id)
    stem = template.stem.lower()
    comment = template.definition.get("Comment") if isinstance(template.definition, dict) else None
    exact = 0
    variant_parts = [v for v in re.split(r"[-\s]", variant) if v] + re.findall(r"(\w+)\.json5", variant)
    if any(v.lower().removesuffix(".json5") == stem for v in variant_parts) or function.lower() == stem:
        exact = 2
    elif isinstance(comment, str) and comment and (comment == variant or comment.lower() == function.lower()):
        exact = 1
    snapshot_folder = Path(snapshot).parts[1] if len(Path(snapshot).parts) > 2 else ""
    template_folder = Path(template.path).parts[1]
    same_folder = int(bool(snapshot_folder) and _folder_key(snapshot_folder) == _folder_key(template_folder))
    template_words = words(template.stem) | {stem.replace("_", "")}
    variant_words = words(variant) | ({variant.lower().replace("_", "")} if variant else set())
    snapshot_words = words(Path(snapshot).name.removesuffix(".snapshot.json"))
    return (
        exact,
        same_folder,
        _jaccard(words(function), template_words),
        _jaccard(variant_words, template_words),
        _jaccard(snapshot_words, template_words),
    )


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def fits(execution: Execution, template: Template) -> bool:
    """Hard evidence: the history could have been produced by this template."""
    if template.definition is None or not template.states:
        return False
    if execution.first_state is not None and execution.first_state != template.start_at:
        return False
    if not set(execution.entered) <= template.states:
        return False
    if (
        execution.task_keys
        and not template.templated_resource
        and not execution.task_keys <= template.task_keys
    ):
        return False
    if execution.lambda_raw and not any(
        ":function:" in r or not r.startswith("arn:aws:states:::") for r in template.resources
    ):
        return False
    return not (execution.activity and not template.templated_resource)


def mismatches(execution: Execution, template: Template) -> list[str]:
    """Softer evidence: details of the history this template would not produce as written.

    The recording tests sometimes edited a template before running it (a field added or dropped), so
    these rank the templates that fit rather than rule any out.
    """
    found = []
    if execution.status == "FAILED" and execution.entered and execution.entered[-1][1] == "Fail":
        expected = template.fail_states.get(execution.entered[-1][0])
        if expected is not None and not _fail_fits(expected, execution):
            found.append(f"Fail state {execution.entered[-1][0]!r}: other Error/Cause")
    tasks = [d for defs in template.state_defs.values() for d in defs if d.get("Type") == "Task"]
    for event in execution.events:
        scheduled = event.get("taskScheduledEventDetails")
        if scheduled is not None and tasks and not any(_task_fits(scheduled, d) for d in tasks):
            found.append(f"event {event.get('id')}: TaskScheduled fields (timeouts, parameter names)")
        exited = event.get("stateExitedEventDetails")
        if exited is not None and not any(
            _exit_fits(exited, d) for d in template.state_defs.get(exited.get("name"), [])
        ):
            found.append(f"event {event.get('id')}: {exited.get('name')!r} output or assigned variables")
    return found


def confirmations(execution: Execution, template: Template) -> int:
    """Details of the history the template's literal values account for (a Fail's Error, a Pass's Result)."""
    count = 0
    if execution.status == "FAILED" and execution.entered and execution.entered[-1][1] == "Fail":
        expected = template.fail_states.get(execution.entered[-1][0])
        if expected is not None:
            count += sum(
                1
                for value, recorded in zip(expected, (execution.error, execution.cause), strict=True)
                if value is not ANY and value == recorded
            )
    for event in execution.events:
        exited = event.get("stateExitedEventDetails")
        if exited is None:
            continue
        for state in template.state_defs.get(exited.get("name"), []):
            if (
                state.get("Type") == "Pass"
                and "Result" in state
                and _decoded(exited.get("output")) == state["Result"]
            ):
                count += 1
                break
    return count


def _decoded(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _fail_fits(expected: tuple[Any, Any], execution: Execution) -> bool:
    for value, recorded in zip(expected, (execution.error, execution.cause), strict=True):
        if value is ANY:
            continue
        if value is None and recorded not in (None, ""):
            return False
        if isinstance(value, str) and isinstance(recorded, str) and value != recorded:
            return False
    return True


def _keys(template: Any) -> set[str] | None:
    """The keys a Parameters/Arguments/Assign object produces, or None when it is not a literal object."""
    if not isinstance(template, dict):
        return None
    return {k.removesuffix(".$") for k in template}


def _task_fits(scheduled: dict[str, Any], state: dict[str, Any]) -> bool:
    resource = state.get("Resource")
    literal = isinstance(resource, str) and resource.startswith("arn:aws:states:::")
    if literal:
        match = re.fullmatch(r"arn:aws:states:::(aws-sdk:[^:]+|[^:]+):(.+)", resource)
        if match and (match.group(1), match.group(2)) != (
            scheduled.get("resourceType"),
            scheduled.get("resource"),
        ):
            return False
    for field_name, detail in (
        ("HeartbeatSeconds", "heartbeatInSeconds"),
        ("TimeoutSeconds", "timeoutInSeconds"),
    ):
        value = state.get(field_name)
        if isinstance(value, int) and not isinstance(value, bool) and scheduled.get(detail) != value:
            return False
    if "heartbeatInSeconds" in scheduled and not any(k.startswith("HeartbeatSeconds") for k in state):
        return False
    if "TimeoutSecondsPath" in state and "timeoutInSeconds" not in scheduled:
        return False
    expected = _keys(state.get("Parameters", state.get("Arguments")))
    parameters = scheduled.get("parameters")
    written = state.get("Parameters", state.get("Arguments"))
    if isinstance(written, dict) and isinstance(parameters, dict):
        for key, value in written.items():  # an ARN the test filled in shows as an ARN
            if (
                isinstance(value, str)
                and "ARN_LITERAL_PLACEHOLDER" in value
                and not str(parameters.get(key, "arn:")).startswith("arn:")
            ):
                return False
    return expected is None or not isinstance(parameters, dict) or not literal or set(parameters) == expected


def _assign_keys(state: dict[str, Any]) -> set[str] | None:
    """Every variable name a state can assign (its Assign, its Choice rules' and Catchers'), None if open."""
    names: set[str] = set()
    blocks = [state.get("Assign")]
    blocks += [rule.get("Assign") for rule in state.get("Choices") or [] if isinstance(rule, dict)]
    blocks += [catcher.get("Assign") for catcher in state.get("Catch") or [] if isinstance(catcher, dict)]
    if isinstance(state.get("Default"), dict):
        blocks.append(state["Default"].get("Assign"))
    for block in blocks:
        if block is None:
            continue
        keys = _keys(block)
        if keys is None:
            return None
        names |= keys
    return names


def _exit_fits(exited: dict[str, Any], state: dict[str, Any]) -> bool:
    assigned = exited.get("assignedVariables")
    if isinstance(assigned, dict):
        allowed = _assign_keys(state)
        if allowed is not None and not set(assigned) <= allowed:
            return False
    if (
        state.get("Type") == "Pass"
        and "Result" in state
        and not {"ResultPath", "OutputPath", "Parameters", "InputPath", "Output", "Assign"} & set(state)
        and "output" in exited
        and not TEMPLATE_PLACEHOLDER.search(json.dumps(state["Result"]))
    ):
        output = exited["output"]
        if isinstance(output, str):
            try:
                output = json.loads(output)
            except ValueError:
                return True
        if output != state["Result"] and not RECORDED_PLACEHOLDER.search(json.dumps(output)):
            return False
    # A Pass state's Parameters give its output's keys (unless a path reshapes the output).
    parameters = _keys(state.get("Parameters"))
    output = _decoded(exited.get("output"))
    if state.get("Type") != "Pass" or parameters is None or {"ResultPath", "OutputPath"} & set(state):
        return True
    return not isinstance(output, dict) or set(output) == parameters


def _canonical(definition: Any) -> str:
    """A definition without what does not change a run (its Comment, ``Version: "1.0"``)."""
    if isinstance(definition, dict):
        definition = {k: v for k, v in definition.items() if k != "Comment"}
        if definition.get("Version") == "1.0":
            del definition["Version"]
    return json.dumps(definition, sort_keys=True)


def pair(scenario_id: str, snapshot: str, execution: Execution, pool: tuple[Template, ...]) -> Pairing:
    """The template this execution ran (see the module docstring for the rules)."""
    if not execution.entered:
        named = [t for t in pool if t.definition is not None and name_score(scenario_id, snapshot, t)[0]]
        if len(named) == 1:
            return Pairing("named", named[0], "test id only (no state in the recording)", (named[0].path,))
        return Pairing("unmatched", basis="no state entered in the recording")
    candidates = [t for t in pool if fits(execution, t)]
    paths = tuple(t.path for t in candidates)
    if not candidates:
        return Pairing("unmatched", basis="no template fits the history")
    visited = set(execution.entered)
    # Rank: fewest details the template would not produce, then every state visited (nothing left over).
    ranked = {
        t.path: (len(mismatches(execution, t)), -confirmations(execution, t), not t.states <= visited)
        for t in candidates
    }
    best_rank = min(ranked.values())
    narrowed = [t for t in candidates if ranked[t.path] == best_rank]
    basis = "history"
    if len(narrowed) < len(candidates):
        if any(r[:2] != best_rank[:2] for r in ranked.values()):
            basis += "+details"
        else:
            basis += "+shape"
    edited = tuple(mismatches(execution, narrowed[0])) if best_rank[0] else ()
    if len(narrowed) == 1:
        return Pairing("paired", narrowed[0], basis, paths, edited)
    scored = sorted(
        ((name_score(scenario_id, snapshot, t), t) for t in narrowed), key=lambda x: x[0], reverse=True
    )
    best_score = scored[0][0]
    best = [t for s, t in scored if s == best_score]
    if len(best) == 1 and any(best_score):
        return Pairing("paired", best[0], basis + "+name", paths, edited)
    if len({_canonical(t.definition) for t in best}) == 1:
        return Pairing("paired", best[0], basis + "+equivalent-definitions", paths, edited)
    return Pairing("ambiguous", basis=basis, candidates=tuple(t.path for t in best))


def scenario(test_id_suffix: str, snapshot: str | None = None) -> Scenario:
    """The scenario whose id ends with ``test_id_suffix`` (in ``snapshot`` if given)."""
    for item in load():
        if item.id.endswith(test_id_suffix) and (snapshot is None or item.snapshot == snapshot):
            return item
    raise KeyError(test_id_suffix)
