"""A rule target's input: what EventBridge hands the target instead of (or as) the event.

A target has at most one of ``Input`` (a JSON text, sent verbatim), ``InputPath`` (a JSONPath
selecting part of the event) and ``InputTransformer`` (``InputPathsMap`` variables filled into
``InputTemplate``); with none, the target gets the whole event as JSON.

Template rendering follows the behaviour AWS shows (recorded in
/work/shared/aws-reference/events/test_events_inputs.snapshot.json):

* A template that begins with ``{`` or ``[`` is a JSON template. A placeholder outside quotes
  takes the value as JSON (strings quoted, objects and arrays as JSON, a missing value as
  ``""``); inside quotes it takes the value's text (strings as they are, unescaped). The
  result must be JSON: a JSON template that renders to something else (an object or array
  placed inside quotes, say) is not delivered (``InputRenderError``).
* Any other template is a string template: every placeholder takes the value's text, objects
  and arrays as their JSON without quote marks (``{acc_id:0a787ecb-4015,sf_id:baz}``,
  ``[HIGH]``), a missing value as nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import orjson

from cloudlet.protocol.errors import ServiceError

MAX_INPUT_CHARS = 8192
MAX_TEMPLATE_CHARS = 8192
MAX_PATH_CHARS = 256
MAX_PATHS = 100
MAX_KEY_CHARS = 256
JACKSON_SOURCE_CHARS = 500  # unverified: where AWS's JSON parser cuts the quoted source

RULE_ARN = "aws.events.rule-arn"
RULE_NAME = "aws.events.rule-name"
INGESTION_TIME = "aws.events.event.ingestion-time"
EVENT = "aws.events.event"
EVENT_JSON = "aws.events.event.json"
PREDEFINED = frozenset({RULE_ARN, RULE_NAME, INGESTION_TIME, EVENT, EVENT_JSON})
RESERVED_PREFIX = "aws.events."  # unverified: the model says keys "cannot start with AWS."

_KEY = re.compile(r"[A-Za-z0-9_\-]+")
_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_\-.]+)>")
_NAME_STEP = re.compile(r"\.([^.\[\]\s'\"]+)")
_BRACKET_STEP = re.compile(r"\[(?:(\d+)|(\*)|'([^'\[\]]*)'|\"([^\"\[\]]*)\")\]")


class InputRenderError(ValueError):
    """The target input cannot be made from this event: AWS does not deliver it."""


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()

Step = tuple[str, Any]  # ("key", name) | ("index", n) | ("any", None)


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


# ---- JSONPath -----------------------------------------------------------------------------


def parse_path(path: str, *, names_in_brackets: bool = True) -> tuple[Step, ...] | None:
    """The steps of a JSONPath EventBridge evaluates (``$``, ``.name``, ``[0]``, ``[*]``,
    ``.*`` and, when ``names_in_brackets``, ``['name']``), or None when it is not one."""
    if not isinstance(path, str) or not path.startswith("$"):
        return None
    steps: list[Step] = []
    at = 1
    while at < len(path):
        name = _NAME_STEP.match(path, at)
        if name:
            steps.append(("any", None) if name.group(1) == "*" else ("key", name.group(1)))
            at = name.end()
            continue
        bracket = _BRACKET_STEP.match(path, at)
        if not bracket:
            return None
        index, star, single, double = bracket.groups()
        if index is not None:
            steps.append(("index", int(index)))
        elif star is not None:
            steps.append(("any", None))
        elif not names_in_brackets:
            return None
        else:
            steps.append(("key", single if single is not None else double))
        at = bracket.end()
    return tuple(steps)


def select(steps: tuple[Step, ...], document: Any) -> Any:
    """The value ``steps`` select in ``document``: one value, a list of the matches when a
    wildcard is used (unverified: AWS's answer for wildcards), or MISSING."""
    values = [document]
    many = False
    for kind, arg in steps:
        found: list[Any] = []
        for value in values:
            if kind == "key":
                if isinstance(value, dict) and arg in value:
                    found.append(value[arg])
            elif kind == "index":
                if isinstance(value, list) and arg < len(value):
                    found.append(value[arg])
            else:
                many = True
                if isinstance(value, dict):
                    found.extend(value.values())
                elif isinstance(value, list):
                    found.extend(value)
        values = found
        if not values:
            return MISSING
    return values if many else values[0]


# ---- PutTargets checks --------------------------------------------------------------------


def _json_syntax_error(target_id: str, text: str, error: orjson.JSONDecodeError) -> ServiceError:
    # AWS (recorded in aws-cli issue 6711): "JSON syntax error in input for target 1:
    # [Source: (String)"env:dev"; line: 1, column: 4]"; the position is its parser's
    shown = text if len(text) <= JACKSON_SOURCE_CHARS else text[:JACKSON_SOURCE_CHARS]
    if len(text) > JACKSON_SOURCE_CHARS:
        shown += f'"[truncated {len(text) - JACKSON_SOURCE_CHARS} chars]'  # unverified
    else:
        shown += '"'
    line, column = error.lineno, error.colno  # unverified: the column AWS's parser reports
    return _invalid(
        f'JSON syntax error in input for target {target_id}: [Source: (String)"{shown}; line: {line}, column: {column}]'
    )


def check_target_input(target: dict[str, Any]) -> None:
    """Refuse a PutTargets target whose Input, InputPath or InputTransformer AWS refuses."""
    target_id = target.get("Id")
    given = [k for k in ("Input", "InputPath", "InputTransformer") if target.get(k) is not None]
    if len(given) > 1:
        raise _invalid(
            f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
        )
    if not given:
        return
    kind = given[0]
    if kind == "Input":
        _check_input(target_id, target["Input"])
    elif kind == "InputPath":
        _check_input_path(target_id, target["InputPath"])
    else:
        _check_transformer(target_id, target["InputTransformer"])


def _check_input(target_id: Any, text: Any) -> None:
    if not isinstance(text, str):
        raise _invalid(f"Input for target {target_id} is not a valid JSON text.")  # unverified
    if len(text) > MAX_INPUT_CHARS:
        # unverified: the model's bound, which the spine's validation normally reports first
        raise _invalid(f"Input for target {target_id} is longer than {MAX_INPUT_CHARS} characters.")
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise _json_syntax_error(target_id, text, exc) from None


def _check_input_path(target_id: Any, path: Any) -> None:
    if not isinstance(path, str) or len(path) > MAX_PATH_CHARS or parse_path(path) is None:
        raise _invalid(f"InputPath for target {target_id} is not a valid JsonPath.")  # unverified


def _check_transformer(target_id: Any, transformer: Any) -> None:
    if not isinstance(transformer, dict):
        raise _invalid(f"InputTransformer for target {target_id} is not valid.")  # unverified
    paths = transformer.get("InputPathsMap")
    if paths is None:
        paths = {}
    if not isinstance(paths, dict):
        raise _invalid(f"InputPathsMap for target {target_id} is not valid.")  # unverified
    if len(paths) > MAX_PATHS:
        # unverified: the model's bound, which the spine's validation normally reports first
        raise _invalid(f"InputPathsMap for target {target_id} has more than {MAX_PATHS} entries.")
    for key, path in paths.items():
        if not isinstance(key, str):
            raise _invalid(f"InputPathsMap for target {target_id} has an invalid key.")  # unverified
        if key.lower().startswith("aws."):
            # unverified: the message for a reserved variable name
            raise _invalid(f"InputTransformer for target {target_id} contains reserved key {key}.")
        if len(key) > MAX_KEY_CHARS or not _KEY.fullmatch(key):
            # unverified: the message for a key outside [A-Za-z0-9\_\-]+
            raise _invalid(f"InputPathsMap for target {target_id} has invalid key {key}.")
        if (
            not isinstance(path, str)
            or len(path) > MAX_PATH_CHARS
            or parse_path(path, names_in_brackets=False) is None
        ):
            # unverified: the message for a value that is not a JsonPath
            raise _invalid(
                f"InputPathsMap for target {target_id} has an invalid JsonPath {path} for key {key}."
            )
    template = transformer.get("InputTemplate")
    if not isinstance(template, str) or not template:
        raise _invalid(f"InputTemplate for target {target_id} is not valid.")  # unverified
    if len(template) > MAX_TEMPLATE_CHARS:
        # unverified: the model's bound, which the spine's validation normally reports first
        raise _invalid(
            f"InputTemplate for target {target_id} is longer than {MAX_TEMPLATE_CHARS} characters."
        )
    for match in _PLACEHOLDER.finditer(template):
        name = match.group(1)
        if name not in paths and name not in PREDEFINED:
            raise _invalid(f"InputTemplate for target {target_id} contains invalid placeholder {name}.")


# ---- rendering ----------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    """Compact JSON; the standard library takes over past orjson's nesting limit (255)."""
    try:
        return orjson.dumps(value).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def render_input(
    target: dict[str, Any],
    event: dict[str, Any],
    *,
    rule_name: str,
    rule_arn: str,
    ingestion_time: float | None = None,
) -> str:
    """The text ``target`` receives for ``event`` (a target checked by ``check_target_input``).

    Raises InputRenderError when AWS delivers nothing: an InputPath that selects nothing
    (unverified) or a JSON template that does not render to JSON.
    """
    if target.get("Input") is not None:
        return target["Input"]
    if target.get("InputPath") is not None:
        steps = parse_path(target["InputPath"])
        value = select(steps, event) if steps is not None else MISSING
        if value is MISSING:
            raise InputRenderError(
                f"InputPath {target['InputPath']} selects nothing in the event"
            )  # unverified
        return _dumps(value)
    transformer = target.get("InputTransformer")
    if isinstance(transformer, dict):
        paths = transformer.get("InputPathsMap")
        values = _variables(
            paths if isinstance(paths, dict) else {}, event, rule_name, rule_arn, ingestion_time
        )
        return render_template(str(transformer.get("InputTemplate") or ""), values)
    return _dumps(event)


def _variables(
    paths: dict[str, str], event: dict[str, Any], rule_name: str, rule_arn: str, ingestion_time: float | None
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, path in paths.items():
        steps = parse_path(path, names_in_brackets=False) if isinstance(path, str) else None
        values[key] = select(steps, event) if steps is not None else MISSING
    when = (
        dt.datetime.fromtimestamp(int(ingestion_time), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if ingestion_time is not None
        else event.get("time", "")
    )
    values.update(
        {
            RULE_ARN: rule_arn,
            RULE_NAME: rule_name,
            INGESTION_TIME: when,
            EVENT: _event_without_detail(event),
            EVENT_JSON: event,
        }
    )
    return values


def _event_without_detail(event: dict[str, Any]) -> dict[str, Any]:
    """``<aws.events.event>``: the envelope without ``detail``, as AWS shows it (recorded:
    ``detailType`` for ``detail-type``, in this order)."""
    shown = {
        "id": event.get("id"),
        "account": event.get("account"),
        "detailType": event.get("detail-type"),
        "time": event.get("time"),  # unverified: recorded but masked in the snapshot
        "source": event.get("source"),
        "region": event.get("region"),
        "resources": event.get("resources", []),
        "version": event.get("version"),
    }
    return {k: v for k, v in shown.items() if v is not None}


def _text(value: Any) -> str:
    """A value written into text: strings as they are, objects and arrays without quote marks."""
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value  # unverified: AWS documents that it does not escape extracted values
    if isinstance(value, (dict, list)):
        return _dumps(value).replace('"', "")
    return _dumps(value)


def _json_in_quotes(value: Any) -> str:
    if value is MISSING:
        return ""
    if isinstance(value, str):
        return value  # unverified: not escaped, as in a string template
    return _dumps(value)  # objects and arrays stay JSON: the template no longer parses


def _json_bare(value: Any) -> str:
    if value is MISSING:
        return '""'  # recorded: a missing value outside quotes becomes an empty string
    return _dumps(value)


def render_template(template: str, values: dict[str, Any]) -> str:
    """``template`` with each known ``<name>`` filled from ``values`` (see the module doc)."""
    is_json = template.lstrip()[:1] in ("{", "[")
    out: list[str] = []
    in_quotes = False
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        literal = template[at : match.start()]
        out.append(literal)
        in_quotes = _quoted_after(literal, in_quotes)
        at = match.end()
        name = match.group(1)
        if name not in values:
            out.append(match.group(0))  # not a variable: left as written
        elif not is_json:
            out.append(_text(values[name]))
        elif in_quotes:
            out.append(_json_in_quotes(values[name]))
        else:
            out.append(_json_bare(values[name]))
    out.append(template[at:])
    rendered = "".join(out)
    if is_json:
        try:
            orjson.loads(rendered)
        except orjson.JSONDecodeError:
            raise InputRenderError("the input template did not render to valid JSON") from None
    return rendered


def _quoted_after(literal: str, in_quotes: bool) -> bool:
    """Whether the template is inside a quoted string after ``literal`` (``\\"`` escapes)."""
    escaped = False
    for char in literal:
        if escaped:
            escaped = False
        elif char == "\\" and in_quotes:
            escaped = True
        elif char == '"':
            in_quotes = not in_quotes
    return in_quotes
