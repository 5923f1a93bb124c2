"""Turn a real server's Step Functions answers into the recorded form, and diff them with a recording.

The recordings (``aws-reference/stepfunctions/v2``) went through a recorder that:

- replaced identifiers by placeholders: state machine names in ARNs ``<ArnPart_0idx>``, execution names
  ``<ExecArnPart_0idx>``, map runs ``<MapRunArnPart0_0idx>:<MapRunArnPart1_0idx>``, express runs
  ``<ExpressExecArn_Part1_0idx>`` / ``<SyncExecArn_Part1_0idx>``, other resources ``<resource:1>``,
  uuids ``<uuid:1>``, task tokens ``<task_token:1>``, the partition/region ``<partition>``/``<region>``,
  the account ``111111111111``, the execution role ``snf_role_arn``; dates ``datetime`` (API fields),
  ``timestamp`` (history events), and ``date``/``start-time``/... inside payloads (the context
  object's times; ISO times the test put in an input stay as they are, so the normaliser leaves ISO
  text alone and the comparison lets a recorded time word match any ISO time);
- blanked ``ResponseMetadata.HTTPHeaders``;
- decoded JSON text that holds an object (``input``, ``output``, ``cause``, ``assignedVariables``
  values ...) into that object; arrays and scalars mostly stay JSON text (a few recordings hold arrays);
- in histories of Parallel states whose branches ran concurrently, replaced the ``id`` of the branch
  events by ``[0]`` and their ``previousEventId`` by ``0``, sorted them, and left out
  ``ParallelStateSucceeded`` (never recorded; ids jump over it).

``Normaliser`` does the same to a live answer; ``compare`` / ``compare_history`` then match it against
the recording, treating a placeholder as "some value, the same one everywhere it appears" (a recorded
placeholder must stand for one value throughout a scenario; the numbers need not agree, since the
recorder numbered in the order its test registered values).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = re.compile(r"<[A-Za-z_][A-Za-z0-9_:.\-]*>")
# Stand-ins the recorder used for dates: a whole recorded string equal to one of these is "some time".
TIME_WORDS = frozenset(
    {"datetime", "timestamp", "date", "start-time", "entered-time", "start-date", "stop-date", "<timestamp>"}
)
ACCOUNT = "111111111111"
ROLE = "snf_role_arn"
UUID = re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")
DATE_LIKE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}|\d{2} [A-Z][a-z]{2} \d{4}")  # ISO-ish, HTTP
ARN = re.compile(
    r"arn:(aws[a-z\-]*):([a-z0-9\-]+):([a-z0-9\-]*):(\d{12})?:([A-Za-z0-9_\-+=.@:/$*]+)"
)  # no comma: a context object printed as {k=v, ...}
_NAME = r"[A-Za-z0-9_\-.]+"
# Events the recorder never kept (see the module docstring).
RECORDER_DROPPED = frozenset({"ParallelStateSucceeded"})
TOKEN_KEYS = frozenset({"TaskToken", "taskToken", "Token", "token"})


# ------------------------------------------------------------------------------------------ normalise


class Normaliser:
    """Maps one scenario's live answers into the recorded form; keep one instance per scenario.

    ``known`` maps values the runner created (a function name, a queue URL, the role ARN ...) to the
    placeholder the recording uses; everything else is recognised by shape.
    """

    def __init__(self, known: dict[str, str] | None = None, *, express_sync: bool = False) -> None:
        self.known: dict[str, str] = dict(known or {})
        self.express_sync = express_sync
        self.counters: dict[str, int] = {}

    def add(self, value: str, placeholder: str) -> None:
        self.known.setdefault(value, placeholder)

    def _number(self, kind: str, value: str, template: Callable[[int], str], start: int) -> str:
        if value not in self.known:
            index = self.counters.get(kind, start)
            self.counters[kind] = index + 1
            self.known[value] = template(index)
        return self.known[value]

    def __call__(self, answer: Any) -> Any:
        """The answer (a boto3 response, a list of events, any JSON value) in the recorded form."""
        decoded = _decode_objects(_dates(answer))
        self._register(decoded)
        return self._replace(decoded, key=None)

    # First pass: every ARN in order of appearance (keys sorted, as the recordings are), so names
    # get their placeholders before they are seen alone (describe_execution's ``name``).
    def _register(self, value: Any) -> None:
        if isinstance(value, dict):
            for key in sorted(value):
                self._register(value[key])
        elif isinstance(value, list):
            for item in value:
                self._register(item)
        elif isinstance(value, str):
            for match in ARN.finditer(value):
                self._register_arn(match)

    def _register_arn(self, match: re.Match[str]) -> None:
        service, resource = match.group(2), match.group(5)
        if service != "states":
            last = re.split(r"[:/]", resource, maxsplit=1)
            if len(last) == 2 and last[1] and last[1] not in self.known:
                name = last[1].split(":")[0]
                self._number("resource", name, lambda i: f"<resource:{i}>", 1)
            return
        parts = resource.split(":")
        kind = parts[0]
        if kind in ("stateMachine", "execution", "express", "mapRun", "activity") and len(parts) > 1:
            machine = parts[1].split("/")[0]
            if kind == "activity":
                self._number("resource", machine, lambda i: f"<resource:{i}>", 1)
                return
            self._number("machine", machine, lambda i: f"<ArnPart_{i}idx>", 0)
        if kind == "execution" and len(parts) > 2:
            self._number("execution", parts[2], lambda i: f"<ExecArnPart_{i}idx>", 0)
        elif kind == "express" and len(parts) > 3:
            prefix = "SyncExecArn_Part" if self.express_sync else "ExpressExecArn_Part"
            index = self.counters.get("express", 0)
            if parts[2] not in self.known:
                self.counters["express"] = index + 1
                self.known[parts[2]] = f"<{prefix}1_{index}idx>"
                self.known.setdefault(parts[3], f"<{prefix}2_{index}idx>")
        elif kind == "mapRun" and len(parts) > 2 and "/" in parts[1]:
            label = parts[1].split("/", 1)[1]
            index = self.counters.get("maprun", 0)
            if parts[2] not in self.known:
                self.counters["maprun"] = index + 1
                self.known.setdefault(label, f"<MapRunArnPart0_{index}idx>")
                self.known[parts[2]] = f"<MapRunArnPart1_{index}idx>"

    def _replace(self, value: Any, key: str | None) -> Any:
        if isinstance(value, dict):
            if key == "ResponseMetadata":
                return {"HTTPHeaders": {}, "HTTPStatusCode": value.get("HTTPStatusCode")}
            return {k: self._replace(value[k], k) for k in value}
        if isinstance(value, list):
            return [self._replace(item, key) for item in value]
        if not isinstance(value, str):
            return value
        if key == "roleArn" and value.startswith("arn:aws"):
            return ROLE
        if key == "region":
            return "<region>"
        if key in TOKEN_KEYS and len(value) > 40:
            return self._number("task_token", value, lambda i: f"<task_token:{i}>", 1)
        return self._text(value)

    def _text(self, text: str) -> str:
        if text in self.known:
            return self.known[text]
        text = ARN.sub(self._arn, text)
        for value in sorted(self.known, key=len, reverse=True):
            if len(value) >= 6 and value in text:
                text = text.replace(value, self.known[value])
        return UUID.sub(lambda m: self._number("uuid", m.group(0).lower(), lambda i: f"<uuid:{i}>", 1), text)

    def _arn(self, match: re.Match[str]) -> str:
        service, region, account, resource = match.group(2), match.group(3), match.group(4), match.group(5)
        pieces = re.split(r"([:/])", resource)
        out = [self.known.get(p, p) if i else p for i, p in enumerate(pieces)]
        region_part = "<region>" if region else ""
        account_part = ACCOUNT if account else ""
        return f"arn:<partition>:{service}:{region_part}:{account_part}:{''.join(out)}"


def _dates(value: Any, key: str | None = None) -> Any:
    if isinstance(value, dt.datetime):
        return "timestamp" if key == "timestamp" else "datetime"
    if isinstance(value, dict):
        return {k: _dates(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates(v, key) for v in value]
    return value


def _decode_objects(value: Any) -> Any:
    """JSON text holding an object becomes the object (one level, as the recorder did)."""
    if isinstance(value, dict):
        return {k: _decode_objects(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_objects(v) for v in value]
    if isinstance(value, str) and value.startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return value
        return decoded if isinstance(decoded, dict) else value
    return value


# -------------------------------------------------------------------------------------------- compare


@dataclass
class Difference:
    path: str
    expected: Any
    actual: Any
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: expected {_short(self.expected)}, got {_short(self.actual)}"
        return f"{text} ({self.note})" if self.note else text


@dataclass
class Report:
    """The differences between a recording and a (normalised) live answer."""

    differences: list[Difference] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # tolerated departures (events the recorder dropped)

    @property
    def ok(self) -> bool:
        return not self.differences

    def extend(self, other: Report) -> None:
        self.differences += other.differences
        self.notes += other.notes

    def text(self, limit: int = 40) -> str:
        if self.ok:
            lines = ["matches the recording"]
        else:
            lines = [f"{len(self.differences)} difference(s):"]
            lines += [f"  {d}" for d in self.differences[:limit]]
            if len(self.differences) > limit:
                lines.append(f"  ... {len(self.differences) - limit} more")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


def _short(value: Any, width: int = 160) -> str:
    text = json.dumps(value, sort_keys=True, default=str) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


class Matcher:
    """Compares values; ``bindings`` remembers what each recorded placeholder stood for."""

    def __init__(self) -> None:
        self.bindings: dict[str, str] = {}

    def compare(self, expected: Any, actual: Any, path: str = "$") -> Report:
        report = Report()
        self._value(expected, actual, path, report)
        return report

    def _value(self, expected: Any, actual: Any, path: str, report: Report) -> None:
        if isinstance(expected, str) and isinstance(actual, dict | list):
            decoded = _json(expected)
            if decoded is not _INVALID:
                self._value(decoded, actual, path, report)
                return
        if isinstance(actual, str) and isinstance(expected, dict | list | int | float):
            decoded = _json(actual)
            if decoded is not _INVALID:
                self._value(expected, decoded, path, report)
                return
        if (
            isinstance(expected, str)
            and expected in TIME_WORDS
            and isinstance(actual, list)
            and len(actual) == 1
        ):
            actual = actual[0]  # the recorder replaced a one-date header list by a time word
        if isinstance(expected, dict) and isinstance(actual, dict):
            self._dict(expected, actual, path, report)
        elif isinstance(expected, list) and isinstance(actual, list):
            if len(expected) != len(actual):
                report.differences.append(
                    Difference(path, expected, actual, f"{len(expected)} vs {len(actual)} items")
                )
                return
            for index, (e, a) in enumerate(zip(expected, actual, strict=True)):
                self._value(e, a, f"{path}[{index}]", report)
        elif isinstance(expected, str):
            if not self._text(expected, actual):
                report.differences.append(Difference(path, expected, actual))
        elif type(expected) is not type(actual) and not (
            isinstance(expected, int | float)
            and isinstance(actual, int | float)
            and not isinstance(expected, bool)
            and not isinstance(actual, bool)
        ):
            report.differences.append(Difference(path, expected, actual, "other type"))
        elif expected != actual:
            report.differences.append(Difference(path, expected, actual))

    def _dict(self, expected: dict[str, Any], actual: dict[str, Any], path: str, report: Report) -> None:
        if path.endswith("ResponseMetadata"):
            if expected.get("HTTPStatusCode") != actual.get("HTTPStatusCode"):
                report.differences.append(
                    Difference(
                        path + ".HTTPStatusCode", expected.get("HTTPStatusCode"), actual.get("HTTPStatusCode")
                    )
                )
            return
        for key in expected:
            if expected[key] == key and key in actual:  # the recorder put a header's name for its value
                continue
            if key not in actual:
                report.differences.append(Difference(f"{path}.{key}", expected[key], None, "missing"))
            else:
                self._value(expected[key], actual[key], f"{path}.{key}", report)
        for key in actual:
            if key not in expected:
                report.differences.append(Difference(f"{path}.{key}", None, actual[key], "not recorded"))

    def _text(self, expected: str, actual: Any) -> bool:
        if not isinstance(actual, str):
            decoded = _json(expected)
            return decoded is not _INVALID and not isinstance(decoded, str) and _same_json(decoded, actual)
        if ROLE in (expected, actual):  # the recorder named the execution role either way
            return expected == actual or ":role/" in expected + actual
        if expected in TIME_WORDS:  # the recorder replaced date-like text, valid ISO or not
            return (
                actual in TIME_WORDS
                or bool(ISO_TIME.match(actual) or DATE_LIKE.search(actual))
                or bool(PLACEHOLDER.fullmatch(actual))
            )
        expected = re.sub(r"<<([^<>]+)>:(\d+)>", r"<\1:\2>", expected)  # the recorder nested a few
        if PLACEHOLDER.search(expected):
            return self._pattern(expected, actual)
        if expected == actual:
            return True
        # JSON text on both sides may differ in spacing (the recorder kept the test's own text), and
        # may hold a time word or placeholder (an assigned variable's JSON text ``"date"``).
        left, right = _json(expected), _json(actual)
        if left is _INVALID or right is _INVALID:
            return False
        if isinstance(left, str):
            return isinstance(right, str) and left != expected and self._text(left, right)
        return self.compare(left, right).ok

    def _pattern(self, expected: str, actual: str) -> bool:
        pieces = PLACEHOLDER.split(expected)
        tokens = PLACEHOLDER.findall(expected)
        regex = re.escape(pieces[0])
        groups: list[str] = []
        for token, piece in zip(tokens, pieces[1:], strict=True):
            if token in self.bindings:
                regex += re.escape(self.bindings[token])
            elif token in groups:
                regex += f"(?P={_group(token, tokens)})"
            else:
                groups.append(token)
                regex += f"(?P<{_group(token, tokens)}><[^<>]+>|.+?)"  # a whole placeholder first
            regex += re.escape(piece)
        match = re.fullmatch(regex, actual, flags=re.DOTALL)
        if match is None:
            return False
        for token in groups:
            self.bindings[token] = match.group(_group(token, tokens))
        return True


def _group(token: str, tokens: list[str]) -> str:
    return f"g{sorted(set(tokens)).index(token)}"


_INVALID = object()


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return _INVALID
    try:
        return json.loads(text)
    except ValueError:
        return _INVALID


def _same_json(expected: Any, actual: Any) -> bool:
    return Matcher().compare(expected, actual).ok


def compare(expected: Any, actual: Any, matcher: Matcher | None = None, path: str = "$") -> Report:
    """Diff a recorded step with a normalised live answer (a history gets ``compare_history``)."""
    matcher = matcher or Matcher()
    if isinstance(expected, dict) and isinstance(expected.get("events"), list) and isinstance(actual, dict):
        report = compare_history(expected["events"], actual.get("events") or [], matcher, path + ".events")
        rest_expected = {k: v for k, v in expected.items() if k != "events"}
        rest_actual = {k: v for k, v in actual.items() if k not in ("events", "nextToken")}
        report.extend(matcher.compare(rest_expected, rest_actual, path))
        return report
    return matcher.compare(expected, actual, path)


def _masked(event: dict[str, Any]) -> bool:
    return isinstance(event.get("id"), list)


def _without_ids(event: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in event.items() if k not in ("id", "previousEventId")}


def compare_history(
    expected: list[dict[str, Any]],
    actual: list[dict[str, Any]],
    matcher: Matcher | None = None,
    path: str = "events",
) -> Report:
    """Diff recorded history events with normalised live ones.

    Unmasked recorded events are matched by ``id``; a run of masked ones (Parallel branches) with the
    live events whose ids fall between its neighbours, in any order. Live ``ParallelStateSucceeded``
    events are tolerated (the recorder dropped them), and so is a nested Parallel's exit inside a
    masked run; both are listed as notes.
    """
    matcher = matcher or Matcher()
    report = Report()
    position = {e.get("id"): i for i, e in enumerate(actual) if isinstance(e.get("id"), int)}
    used: set[int] = set()  # positions in ``actual``
    index = 0
    previous = -1  # position of the last live event matched by id
    while index < len(expected):
        event = expected[index]
        if not _masked(event):
            number = event.get("id")
            where = f"{path}[id={number}]"
            at = position.get(number)
            if at is None:
                report.differences.append(Difference(where, event.get("type"), None, "no such event"))
            else:
                live = actual[at]
                used.add(at)
                previous = at
                if live.get("type") != event.get("type"):
                    report.differences.append(
                        Difference(where + ".type", event.get("type"), live.get("type"))
                    )
                else:
                    report.extend(matcher.compare(event, live, where))
            index += 1
            continue
        end = index
        while end < len(expected) and _masked(expected[end]):
            end += 1
        next_id = next((e.get("id") for e in expected[end:] if not _masked(e)), None)
        stop = position.get(next_id, len(actual)) if next_id is not None else len(actual)
        window = [i for i in range(previous + 1, stop) if i not in used]
        report.extend(
            _match_unordered(
                expected[index:end],
                [actual[i] for i in window],
                matcher,
                f"{path}[masked {index}..{end - 1}]",
            )
        )
        used.update(window)
        index = end
    for at, live in enumerate(actual):
        if at in used:
            continue
        number = live.get("id")
        if live.get("type") in RECORDER_DROPPED:
            report.notes.append(
                f"event {number} {live['type']} is not in the recording (the recorder drops it)"
            )
        else:
            report.differences.append(
                Difference(f"{path}[id={number}]", None, live.get("type"), "not recorded")
            )
    return report


def _match_unordered(
    expected: list[dict[str, Any]], window: list[dict[str, Any]], matcher: Matcher, path: str
) -> Report:
    report = Report()
    remaining = list(window)
    for event in expected:
        found = None
        for live in remaining:
            trial = Matcher()
            trial.bindings = dict(matcher.bindings)
            if trial.compare(_without_ids(event), _without_ids(live)).ok:
                matcher.bindings = trial.bindings
                found = live
                break
        if found is None:
            report.differences.append(
                Difference(path, _without_ids(event), None, "no live event matches this masked event")
            )
        else:
            remaining.remove(found)
    for live in remaining:
        kind = live.get("type")
        if kind in RECORDER_DROPPED or kind in ("ParallelStateExited", "ParallelStateFailed"):
            report.notes.append(
                f"event {live.get('id')} {kind} is not in the recording (inside a masked run)"
            )
        else:
            report.differences.append(Difference(f"{path}[id={live.get('id')}]", None, kind, "not recorded"))
    return report


def compare_steps(
    recorded: dict[str, Any], live: dict[str, Any], normaliser: Normaliser | None = None
) -> dict[str, Report]:
    """Each recorded step that the live run also produced, normalised with one ``Normaliser``."""
    normaliser = normaliser or Normaliser()
    matcher = Matcher()
    reports = {}
    for step, expected in recorded.items():
        if step in live:
            reports[step] = compare(expected, normaliser(live[step]), matcher, step)
    return reports
