"""The schema pass of definition validation: blocks, states and their fields.

Appends ``validation.Diagnostic``s to ``found``. Locations are JSON-pointer-like as AWS gives
them: ``/States/<name>/<Field>``, ``[i]`` for array items (``/States/C/Choices[0]/Next``),
``/`` for the top level. Recorded messages are marked as such; the rest are ``# unverified``.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from .definition import JSONATA, JSONPATH, STATE_TYPES

if TYPE_CHECKING:
    from .validation import Diagnostic

MAX_STATE_NAME = 80
MAX_LABEL = 40
MAX_SECONDS = 99_999_999  # TimeoutSeconds, HeartbeatSeconds, IntervalSeconds, MaxAttempts (docs)
MAX_DELAY_SECONDS = 31_622_400  # Retry MaxDelaySeconds (docs)
_LABEL_FORBIDDEN = re.compile(r"[\s?*<>{}\[\]:;,\\|^~$#%&`\"\x00-\x1f\x7f-\x9f]")

_COMMON = {"Type", "Comment", "QueryLanguage"}
_JSONPATH_ONLY = {
    "InputPath", "OutputPath", "Parameters", "ResultSelector", "ResultPath", "Result", "ItemsPath",
    "SecondsPath", "TimestampPath", "ErrorPath", "CausePath", "TimeoutSecondsPath", "HeartbeatSecondsPath",
    "MaxConcurrencyPath", "ToleratedFailureCountPath", "ToleratedFailurePercentagePath",
}  # fmt: skip
_JSONATA_ONLY = {"Arguments", "Output", "Items"}
_IO = {"InputPath", "OutputPath", "Output", "Assign"}
_RESULT = {"Parameters", "ResultSelector", "ResultPath", "Arguments"}
_FIELDS: dict[str, set[str]] = {
    "Task": _IO | _RESULT | {"Next", "End", "Resource", "Retry", "Catch", "TimeoutSeconds", "TimeoutSecondsPath",
                             "HeartbeatSeconds", "HeartbeatSecondsPath", "Credentials"},
    "Pass": _IO | {"Next", "End", "Parameters", "Result", "ResultPath"},
    "Choice": _IO | {"Choices", "Default"},
    "Wait": _IO | {"Next", "End", "Seconds", "SecondsPath", "Timestamp", "TimestampPath"},
    "Succeed": {"InputPath", "OutputPath", "Output"},
    "Fail": {"Error", "ErrorPath", "Cause", "CausePath"},
    "Parallel": _IO | _RESULT | {"Next", "End", "Branches", "Retry", "Catch"},
    "Map": _IO | {"Next", "End", "ItemProcessor", "Iterator", "ItemReader", "ItemSelector", "Parameters",
                  "ItemBatcher", "ResultWriter", "MaxConcurrency", "MaxConcurrencyPath", "ToleratedFailureCount",
                  "ToleratedFailureCountPath", "ToleratedFailurePercentage", "ToleratedFailurePercentagePath",
                  "ItemsPath", "Items", "Label", "Retry", "Catch", "ResultSelector", "ResultPath"},
}  # fmt: skip
_FLOWING = {"Task", "Pass", "Wait", "Parallel", "Map"}  # need exactly one of Next / End
_ROOT_FIELDS = {"Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"}
_BLOCK_FIELDS = {"Comment", "StartAt", "States"}
_RETRIER_FIELDS = {
    "ErrorEquals",
    "IntervalSeconds",
    "MaxAttempts",
    "BackoffRate",
    "MaxDelaySeconds",
    "JitterStrategy",
    "Comment",
}
_CATCHER_FIELDS = {"ErrorEquals", "Next", "ResultPath", "Output", "Assign", "Comment"}
_COMPARISONS = {
    **dict.fromkeys(["StringEquals", "StringLessThan", "StringGreaterThan", "StringLessThanEquals",
                     "StringGreaterThanEquals", "StringMatches"], "string"),
    **dict.fromkeys(["NumericEquals", "NumericLessThan", "NumericGreaterThan", "NumericLessThanEquals",
                     "NumericGreaterThanEquals"], "number"),
    **dict.fromkeys(["BooleanEquals", "IsNull", "IsPresent", "IsNumeric", "IsString", "IsBoolean",
                     "IsTimestamp"], "boolean"),
    **dict.fromkeys(["TimestampEquals", "TimestampLessThan", "TimestampGreaterThan", "TimestampLessThanEquals",
                     "TimestampGreaterThanEquals"], "timestamp"),
}  # fmt: skip
_COMPARISONS.update(
    {
        f"{op}Path": "path"
        for op, kind in list(_COMPARISONS.items())
        if op != "StringMatches" and not op.startswith("Is")
    }
)
_ALL = "States.ALL"


class _Checker:
    """Walks one definition, appending diagnostics; ``machine_language`` is the top level's."""

    def __init__(self, found: list[Diagnostic], machine_language: str, express: bool) -> None:
        self.found = found
        self.machine_language = machine_language
        self.express = express

    def error(self, message: str, location: str | None, code: str = "SCHEMA_VALIDATION_FAILED") -> None:
        from .validation import ERROR, Diagnostic

        self.found.append(Diagnostic(ERROR, code, message, location))

    # ---- generic field checks

    def required(self, obj: dict[str, Any], names: list[str], location: str) -> bool:
        missing = [n for n in names if n not in obj]
        if missing:
            self.error(f"These fields are required: [{', '.join(missing)}]", location)  # recorded
        return not missing

    def unsupported(self, obj: dict[str, Any], allowed: set[str], location: str) -> None:
        for key in obj:
            if key not in allowed:
                self.error(f"Field '{key}' is not supported", location)  # reported by users

    def typed(self, obj: dict[str, Any], key: str, kind: str, location: str) -> bool:
        """Whether ``obj[key]`` (present) is of ``kind``; an error at ``location/key`` otherwise."""
        value = obj[key]
        ok = {
            "string": isinstance(value, str),
            "boolean": isinstance(value, bool),
            "integer": isinstance(value, int) and not isinstance(value, bool),
            "number": isinstance(value, int | float) and not isinstance(value, bool),
            "object": isinstance(value, dict),
            "array": isinstance(value, list),
        }[kind]
        if not ok:
            article = "an" if kind[0] in "aeiou" else "a"
            self.error(
                f"The value for the field '{key}' must be {article} {kind.upper()}", f"{location}/{key}"
            )  # unverified
        return ok

    def one_of(self, obj: dict[str, Any], key: str, values: tuple[str, ...], location: str) -> bool:
        if obj[key] not in values:
            self.error(
                f"The field '{key}' should have one of these values: [{', '.join(values)}]",
                f"{location}/{key}",
            )  # recorded form
            return False
        return True

    def bounded(
        self,
        obj: dict[str, Any],
        key: str,
        location: str,
        low: float,
        high: float,
        kind: str = "integer",
        language: str = JSONPATH,
    ) -> None:
        """An integer (or number) in [low, high]; a JSONata expression string in JSONata mode."""
        if language == JSONATA and _is_jsonata(obj[key]):
            return
        if not self.typed(obj, key, kind, location):
            return
        if not low <= obj[key] <= high:
            self.error(
                f"The value for the field '{key}' must be between {_num(low)} and {_num(high)}",
                f"{location}/{key}",
            )  # unverified

    def exclusive(self, obj: dict[str, Any], names: tuple[str, ...], location: str) -> None:
        present = [n for n in names if n in obj]
        if len(present) > 1:
            self.error(f"These fields are mutually exclusive: [{', '.join(present)}]", location)  # unverified

    def path(
        self, obj: dict[str, Any], key: str, location: str, reference: bool = False, intrinsic: bool = False
    ) -> None:
        value = obj[key]
        if value is None and key in ("InputPath", "OutputPath", "ResultPath"):
            return
        ok = isinstance(value, str) and (
            (_is_reference_path(value) if reference else _is_path(value))
            or (intrinsic and _is_intrinsic(value))
        )
        if not ok:
            what = "a valid ReferencePath" if reference else "a valid JSONPath"
            if intrinsic:
                what += " or a valid intrinsic function call"
            self.error(f"The value for the field '{key}' must be {what}", f"{location}/{key}")  # unverified

    def template(self, value: Any, field: str, location: str) -> None:
        """``.$`` keys of a JSONPath-mode template need a path or an intrinsic (recorded message)."""
        if isinstance(value, dict):
            for key, item in value.items():
                if key.endswith(".$") and not (
                    isinstance(item, str) and (_is_path(item) or _is_intrinsic(item))
                ):
                    self.error(
                        f"The value for the field '{key}' must be a valid JSONPath or a valid intrinsic function call",
                        f"{location}/{field}",
                    )  # recorded
                else:
                    self.template(item, field, location)
        elif isinstance(value, list):
            for item in value:
                self.template(item, field, location)

    def assign(self, obj: dict[str, Any], location: str, language: str) -> None:
        if not self.typed(obj, "Assign", "object", location):
            return
        for key in obj["Assign"]:
            problem = _variable_problem(key.removesuffix(".$") if language == JSONPATH else key)
            if problem:
                self.error(f"Invalid variable name '{key}': {problem}", f"{location}/Assign")  # unverified
        if language == JSONPATH:
            self.template(obj["Assign"], "Assign", location)

    def jsonata(self, value: Any, location: str) -> None:
        """Every ``{% %}`` string inside ``value`` must parse."""
        if isinstance(value, str):
            if _is_jsonata(value):
                problem = _jsonata_problem(value)
                if problem:
                    self.error(problem[1], location, problem[0])
        elif isinstance(value, dict):
            for key, item in value.items():
                self.jsonata(item, f"{location}/{key}")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                self.jsonata(item, f"{location}[{i}]")

    # ---- blocks and states

    def block(self, block: dict[str, Any], location: str, allowed: set[str], top: bool = False) -> None:
        where = location or "/"
        if "QueryLanguage" in block and top and isinstance(block["QueryLanguage"], str):
            self.one_of(block, "QueryLanguage", (JSONPATH, JSONATA), "")
        self.unsupported(block, allowed, where)
        if not self.required(block, ["States", "StartAt"], where):
            return
        if not self.typed(block, "StartAt", "string", location) or not self.typed(
            block, "States", "object", location
        ):
            return
        if "Comment" in block:
            self.typed(block, "Comment", "string", location)
        if top and "TimeoutSeconds" in block:
            self.bounded(block, "TimeoutSeconds", location, 1, MAX_SECONDS)
        if top and "Version" in block:
            self.typed(block, "Version", "string", location)
        if not block["States"]:
            self.error("Value cannot be empty", f"{location}/States")  # recorded form (Branches)
        for name, state in block["States"].items():
            self.state(name, state, f"{location}/States/{name}")

    def state(self, name: str, state: Any, location: str) -> None:
        if not name:
            self.error("State name cannot be empty", location, "INVALID_STATE_NAME")  # unverified
        elif len(name) > MAX_STATE_NAME:
            self.error(
                f"State name cannot be longer than {MAX_STATE_NAME} characters",
                location,
                "INVALID_STATE_NAME",
            )  # unverified
        if not isinstance(state, dict):
            self.error("The value for the field 'State' must be an OBJECT", location)  # unverified
            return
        if not self.required(state, ["Type"], location):
            return
        kind = state["Type"]
        if kind not in STATE_TYPES:
            self.error(
                f"The field 'Type' should have one of these values: [{', '.join(STATE_TYPES)}]",
                f"{location}/Type",
            )  # recorded
            return
        language = self.machine_language
        if "QueryLanguage" in state:
            if not self.one_of(state, "QueryLanguage", (JSONPATH, JSONATA), location):
                return
            if state["QueryLanguage"] == JSONPATH and self.machine_language == JSONATA:
                self.error(
                    "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
                    location,
                )  # recorded
                return
            language = state["QueryLanguage"]
        self.fields(state, kind, language, location)
        getattr(self, f"_{kind.lower()}")(state, location, language)
        if kind in _FLOWING:
            self.flow(state, location)
        self.io(state, location, language)

    def fields(self, state: dict[str, Any], kind: str, language: str, location: str) -> None:
        allowed = _COMMON | _FIELDS[kind]
        for key in state:
            if language == JSONPATH and key in _JSONATA_ONLY:
                self.error(
                    f"The QueryLanguage is set to 'JSONPath', but field '{key}' is only supported for the 'JSONata' QueryLanguage",
                    location,
                )  # reported by users
            elif language == JSONATA and key in _JSONPATH_ONLY:
                self.error(
                    f"The QueryLanguage is set to 'JSONata', but field '{key}' is only supported for the 'JSONPath' QueryLanguage",
                    location,
                )  # unverified (mirror of the above)
            elif key not in allowed:
                self.error(f"Field '{key}' is not supported", location)  # reported by users

    def flow(self, state: dict[str, Any], location: str) -> None:
        if "Next" in state:
            self.typed(state, "Next", "string", location)
        if (
            "End" in state
            and self.typed(state, "End", "boolean", location)
            and "Next" in state
            and state["End"]
        ):
            self.error("Only one of 'Next' or 'End' can be specified", location)  # unverified
        if "Next" not in state and state.get("End") is not True:
            self.error("These fields are required: [Next]", location)  # unverified (either Next or End)

    def io(self, state: dict[str, Any], location: str, language: str) -> None:
        if language == JSONPATH:
            for key in ("InputPath", "OutputPath"):
                if key in state:
                    self.path(state, key, location)
            if "ResultPath" in state:
                self.path(state, "ResultPath", location, reference=True)
            for key in ("Parameters", "ResultSelector", "ItemSelector"):
                if key in state:
                    self.template(state[key], key, location)
            if "ResultSelector" in state:
                self.typed(state, "ResultSelector", "object", location)
        else:
            for key, value in state.items():
                if key not in ("Branches", "ItemProcessor", "Iterator", "Choices", "Catch"):
                    self.jsonata(value, f"{location}/{key}")
        if "Assign" in state:
            self.assign(state, location, language)
        if "Retry" in state:
            self.retry(state, location)
        if "Catch" in state:
            self.catch(state, location, language)
        if "Comment" in state:
            self.typed(state, "Comment", "string", location)

    # ---- Retry and Catch

    def error_equals(self, entry: dict[str, Any], location: str, last: bool) -> None:
        if not self.typed(entry, "ErrorEquals", "array", location):
            return
        errors = entry["ErrorEquals"]
        if not errors:
            self.error("Value cannot be empty", f"{location}/ErrorEquals")  # recorded form
        elif not all(isinstance(e, str) for e in errors):
            self.error(
                "The value for the field 'ErrorEquals' must be an array of STRING", f"{location}/ErrorEquals"
            )  # unverified
        elif _ALL in errors and len(errors) > 1:
            self.error(f"{_ALL} must appear alone in ErrorEquals", f"{location}/ErrorEquals")  # unverified
        elif _ALL in errors and not last:
            self.error(
                f"{_ALL} must appear in the last retrier or catcher", f"{location}/ErrorEquals"
            )  # unverified

    def retry(self, state: dict[str, Any], location: str) -> None:
        if not self.typed(state, "Retry", "array", location):
            return
        retriers = state["Retry"]
        for i, retrier in enumerate(retriers):
            here = f"{location}/Retry[{i}]"
            if not isinstance(retrier, dict):
                self.error(
                    "The value for the field 'Retry' must be an array of OBJECT", f"{location}/Retry"
                )  # unverified
                continue
            self.unsupported(retrier, _RETRIER_FIELDS, here)
            if self.required(retrier, ["ErrorEquals"], here):
                self.error_equals(retrier, here, i == len(retriers) - 1)
            if "IntervalSeconds" in retrier:
                self.bounded(retrier, "IntervalSeconds", here, 1, MAX_SECONDS)
            if "MaxAttempts" in retrier:
                self.bounded(retrier, "MaxAttempts", here, 0, MAX_SECONDS)
            if "MaxDelaySeconds" in retrier:
                self.bounded(retrier, "MaxDelaySeconds", here, 1, MAX_DELAY_SECONDS)
            if "BackoffRate" in retrier:
                self.bounded(retrier, "BackoffRate", here, 1.0, MAX_SECONDS, kind="number")
            if "JitterStrategy" in retrier:
                self.one_of(retrier, "JitterStrategy", ("FULL", "NONE"), here)
            if "Comment" in retrier:
                self.typed(retrier, "Comment", "string", here)

    def catch(self, state: dict[str, Any], location: str, language: str) -> None:
        if not self.typed(state, "Catch", "array", location):
            return
        catchers = state["Catch"]
        for i, catcher in enumerate(catchers):
            here = f"{location}/Catch[{i}]"
            if not isinstance(catcher, dict):
                self.error(
                    "The value for the field 'Catch' must be an array of OBJECT", f"{location}/Catch"
                )  # unverified
                continue
            for key in catcher:
                if (language == JSONPATH and key == "Output") or (
                    language == JSONATA and key == "ResultPath"
                ):
                    other = JSONATA if key == "Output" else JSONPATH
                    self.error(
                        f"The QueryLanguage is set to '{language}', but field '{key}' is only supported for the '{other}' QueryLanguage",
                        here,
                    )  # unverified
                elif key not in _CATCHER_FIELDS:
                    self.error(f"Field '{key}' is not supported", here)  # reported by users
            if self.required(catcher, ["ErrorEquals", "Next"], here):
                self.error_equals(catcher, here, i == len(catchers) - 1)
                self.typed(catcher, "Next", "string", here)
            if language == JSONPATH and "ResultPath" in catcher:
                self.path(catcher, "ResultPath", here, reference=True)
            if language == JSONATA:
                self.jsonata(catcher.get("Output"), f"{here}/Output")
                self.jsonata(catcher.get("Assign"), f"{here}/Assign")
            if "Assign" in catcher:
                self.assign(catcher, here, language)

    # ---- per state type

    def _pass(self, state: dict[str, Any], location: str, language: str) -> None:
        pass

    def _succeed(self, state: dict[str, Any], location: str, language: str) -> None:
        pass

    def _task(self, state: dict[str, Any], location: str, language: str) -> None:
        if not self.required(state, ["Resource"], location) or not self.typed(
            state, "Resource", "string", location
        ):
            return
        from .resources import resource_problem

        problem = resource_problem(state["Resource"], self.express)
        if problem:
            self.error(problem, f"{location}/Resource")  # recorded
        for key in ("TimeoutSeconds", "HeartbeatSeconds"):
            self.exclusive(state, (key, f"{key}Path"), location)
            if key in state:
                self.bounded(state, key, location, 1, MAX_SECONDS, language=language)
            if f"{key}Path" in state:
                self.path(state, f"{key}Path", location, reference=True)
        timeout, heartbeat = state.get("TimeoutSeconds"), state.get("HeartbeatSeconds")
        if _is_int(timeout) and _is_int(heartbeat) and heartbeat >= timeout:
            self.error(
                "HeartbeatSeconds must be smaller than TimeoutSeconds", f"{location}/HeartbeatSeconds"
            )  # unverified
        if "Credentials" in state and self.typed(state, "Credentials", "object", location):
            credentials = state["Credentials"]
            if "RoleArn" not in credentials and "RoleArn.$" not in credentials:
                self.error(
                    "The field 'RoleArn' is required but was missing", f"{location}/Credentials"
                )  # recorded
            elif language == JSONPATH:
                self.template(credentials, "Credentials", location)

    def _wait(self, state: dict[str, Any], location: str, language: str) -> None:
        present = [k for k in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if k in state]
        if len(present) != 1:
            # unverified wording
            self.error(
                "A Wait state must have exactly one of these fields: [Seconds, SecondsPath, Timestamp, TimestampPath]",
                location,
            )
            return
        key = present[0]
        if key == "Seconds":
            self.bounded(state, key, location, 0, MAX_SECONDS, language=language)
        elif key == "Timestamp" and not (language == JSONATA and _is_jsonata(state[key])):
            if not isinstance(state[key], str) or not _is_timestamp(state[key]):
                self.error("String does not match RFC3339 timestamp", f"{location}/Timestamp")  # recorded
        elif key.endswith("Path"):
            self.path(state, key, location, reference=True)

    def _fail(self, state: dict[str, Any], location: str, language: str) -> None:
        for key in ("Error", "Cause"):
            self.exclusive(state, (key, f"{key}Path"), location)
            if key in state and not (language == JSONATA and _is_jsonata(state[key])):
                self.typed(state, key, "string", location)
            if f"{key}Path" in state:
                self.path(state, f"{key}Path", location, intrinsic=True)

    def _choice(self, state: dict[str, Any], location: str, language: str) -> None:
        if not self.required(state, ["Choices"], location) or not self.typed(
            state, "Choices", "array", location
        ):
            return
        if not state["Choices"]:
            self.error("Value cannot be empty", f"{location}/Choices")  # recorded form
        for i, rule in enumerate(state["Choices"]):
            here = f"{location}/Choices[{i}]"
            if not isinstance(rule, dict):
                self.error(
                    "The value for the field 'Choices' must be an array of OBJECT", f"{location}/Choices"
                )  # unverified
                continue
            if self.required(rule, ["Next"], here):  # recorded (CloudFormation report)
                self.typed(rule, "Next", "string", here)
            if language == JSONATA:
                self.unsupported(rule, {"Condition", "Next", "Comment", "Output", "Assign"}, here)
                if self.required(rule, ["Condition"], here) and not isinstance(rule["Condition"], bool):
                    if not _is_jsonata(rule["Condition"]):
                        self.error(
                            "The value for the field 'Condition' must be a JSONata expression",
                            f"{here}/Condition",
                        )  # unverified
                    self.jsonata(rule["Condition"], f"{here}/Condition")
                self.jsonata(rule.get("Output"), f"{here}/Output")
                self.jsonata(rule.get("Assign"), f"{here}/Assign")
            else:
                if "Output" in rule:
                    self.error(
                        "The QueryLanguage is set to 'JSONPath', but field 'Output' is only supported for the 'JSONata' QueryLanguage",
                        here,
                    )  # reported by users
                self.rule({k: v for k, v in rule.items() if k not in ("Next", "Assign", "Output")}, here)
            if "Assign" in rule:
                self.assign(rule, here, language)
        if "Default" in state:
            self.typed(state, "Default", "string", location)

    def rule(self, rule: dict[str, Any], location: str) -> None:
        """A JSONPath-mode rule: And/Or/Not, or a Variable with exactly one comparison."""
        rule = {k: v for k, v in rule.items() if k != "Comment"}
        combinators = [k for k in ("And", "Or", "Not") if k in rule]
        if combinators:
            extra = [k for k in rule if k not in combinators]
            if len(combinators) > 1 or extra:
                self.error(
                    "A choice rule must have exactly one of And, Or, Not or a comparison", location
                )  # unverified
            for key in combinators:
                value = rule[key]
                if key == "Not":
                    if isinstance(value, dict):
                        self.nested_rule(value, f"{location}/Not")
                    else:
                        self.typed(rule, key, "object", location)
                elif not isinstance(value, list) or not value:
                    self.error("Value cannot be empty", f"{location}/{key}")  # unverified
                else:
                    for i, inner in enumerate(value):
                        self.nested_rule(inner, f"{location}/{key}[{i}]")
            return
        for key in rule:
            if key != "Variable" and key not in _COMPARISONS:
                self.error(f"Field '{key}' is not supported", location)  # reported by users
        if not self.required(rule, ["Variable"], location):
            return
        if isinstance(rule["Variable"], str) and not _is_path(rule["Variable"]):
            self.path(rule, "Variable", location)
        operators = [k for k in rule if k in _COMPARISONS]
        if len(operators) != 1:
            self.error("A choice rule must have exactly one comparison operator", location)  # unverified
            return
        operator = operators[0]
        kind = _COMPARISONS[operator]
        value = rule[operator]
        if kind == "path":
            self.path(rule, operator, location)
        elif kind == "timestamp":
            if not isinstance(value, str) or not _is_timestamp(value):
                self.error(
                    "String does not match RFC3339 timestamp", f"{location}/{operator}"
                )  # recorded (Wait's)
        else:
            self.typed(rule, operator, kind, location)

    def nested_rule(self, rule: Any, location: str) -> None:
        if not isinstance(rule, dict):
            self.error("The value for the field 'rule' must be an OBJECT", location)  # unverified
            return
        if "Next" in rule:
            self.error("Field 'Next' is not supported", location)  # unverified (nested rules have no Next)
        self.rule({k: v for k, v in rule.items() if k != "Next"}, location)

    def _parallel(self, state: dict[str, Any], location: str, language: str) -> None:
        if not self.required(state, ["Branches"], location) or not self.typed(
            state, "Branches", "array", location
        ):
            return
        if not state["Branches"]:
            self.error("Value cannot be empty", f"{location}/Branches")  # recorded
        for i, branch in enumerate(state["Branches"]):
            here = f"{location}/Branches[{i}]"
            if isinstance(branch, dict):
                self.block(branch, here, _BLOCK_FIELDS)
            else:
                self.error(
                    "The value for the field 'Branches' must be an array of OBJECT", f"{location}/Branches"
                )  # unverified

    def _map(self, state: dict[str, Any], location: str, language: str) -> None:
        self.exclusive(state, ("ItemProcessor", "Iterator"), location)
        self.exclusive(state, ("ItemSelector", "Parameters"), location)
        key = "ItemProcessor" if "ItemProcessor" in state else "Iterator"
        if not self.required(state, [key], location) or not self.typed(state, key, "object", location):
            return
        processor = state[key]
        here = f"{location}/{key}"
        self.block(processor, here, _BLOCK_FIELDS | {"ProcessorConfig"})
        if "ProcessorConfig" in processor and self.typed(processor, "ProcessorConfig", "object", here):
            config = processor["ProcessorConfig"]
            config_here = f"{here}/ProcessorConfig"
            self.unsupported(config, {"Mode", "ExecutionType"}, config_here)
            if "Mode" in config:
                self.one_of(config, "Mode", ("INLINE", "DISTRIBUTED"), config_here)
            if config.get("Mode") == "DISTRIBUTED" and self.required(config, ["ExecutionType"], config_here):
                self.one_of(config, "ExecutionType", ("STANDARD", "EXPRESS"), config_here)
        for name, low, high, kind in (
            ("MaxConcurrency", 0, MAX_SECONDS, "integer"),
            ("ToleratedFailureCount", 0, MAX_SECONDS, "integer"),
            ("ToleratedFailurePercentage", 0, 100, "number"),
        ):
            self.exclusive(state, (name, f"{name}Path"), location)
            if name in state:
                self.bounded(state, name, location, low, high, kind, language)
            if f"{name}Path" in state:
                self.path(state, f"{name}Path", location, reference=True)
        if "ItemsPath" in state:
            self.path(state, "ItemsPath", location, reference=True)
        if "Label" in state and self.typed(state, "Label", "string", location):
            self.label(state["Label"], f"{location}/Label")

    def label(self, label: str, location: str) -> None:
        if not label:
            self.error("Label cannot be empty", location, "INVALID_LABEL_NAME")  # unverified
        elif len(label) > MAX_LABEL:
            self.error(
                f"Label cannot exceed {MAX_LABEL} characters", location, "INVALID_LABEL_NAME"
            )  # unverified
        elif bad := _LABEL_FORBIDDEN.search(label):
            self.error(
                f"Label contains invalid character: {bad.group(0)!r}", location, "INVALID_LABEL_NAME"
            )  # unverified


def check_block(
    document: dict[str, Any],
    location: str,
    machine_language: str,
    found: list[Diagnostic],
    *,
    top: bool = False,
    express: bool = False,
) -> None:
    """Append the schema diagnostics of ``document`` (the whole definition when ``top``)."""
    language = machine_language if machine_language in (JSONPATH, JSONATA) else JSONPATH
    checker = _Checker(found, language, express)
    checker.block(document, location, _ROOT_FIELDS if top else _BLOCK_FIELDS, top=top)


# ---------------------------------------------------------------------------------- helpers


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_jsonata(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= 4 and value.startswith("{%") and value.endswith("%}")


def _is_path(path: str) -> bool:
    """A JSONPath-mode path: ``$…`` on the input, ``$$…`` on the context, ``$name…`` a variable."""
    try:
        from . import jsonpath
    except ImportError:  # another module's absence must not refuse definitions
        return isinstance(path, str) and path.startswith("$")
    if not isinstance(path, str):
        return False
    if path.startswith("$$"):
        return jsonpath.is_path(path[1:])
    variable = re.match(r"\$([^\W\d]\w*)", path)
    if variable:
        return jsonpath.is_path("$" + path[variable.end() :])
    return jsonpath.is_path(path)


def _is_reference_path(path: str) -> bool:
    try:
        from . import jsonpath
    except ImportError:
        return isinstance(path, str) and path.startswith("$")
    if not isinstance(path, str):
        return False
    if path.startswith("$$"):
        return jsonpath.is_reference_path(path[1:])
    variable = re.match(r"\$([^\W\d]\w*)", path)
    if variable:
        return jsonpath.is_reference_path("$" + path[variable.end() :])
    return jsonpath.is_reference_path(path)


def _is_intrinsic(text: str) -> bool:
    try:
        from . import intrinsics
    except ImportError:
        return isinstance(text, str) and text.startswith("States.")
    return intrinsics.is_intrinsic(text)


def _is_timestamp(text: str) -> bool:
    try:
        from .choice import parse_timestamp
    except ImportError:
        return bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)", text))
    return parse_timestamp(text) is not None


def _variable_problem(name: str) -> str | None:
    try:
        from .variables import name_problem
    except ImportError:
        return None
    return name_problem(name)


def _jsonata_problem(expression: str) -> tuple[str, str] | None:
    """(code, message) when the ``{% %}`` text is refused; None when it parses (or can't be checked).

    A path that starts from a bare name (not ``$states`` or a variable) reads nothing at the top
    level: AWS refuses it with ``UNSUPPORTED_JSONATA_EXPRESSION`` (reported by users).
    """
    text = expression[2:-2].strip()
    try:
        from jsonata import Jsonata
        from jsonata.jexception import JException
    except ImportError:
        return None
    try:
        tree = Jsonata(text).ast
    except JException as exc:
        # Users report AWS's text is the parser's message without the JSONata code (# unverified).
        return "INVALID_JSONATA_EXPRESSION", str(exc)
    except Exception as exc:  # the library's own parser failures
        return "INVALID_JSONATA_EXPRESSION", str(exc)  # unverified wording
    name = _top_level_name(tree)
    if name is not None:
        return "UNSUPPORTED_JSONATA_EXPRESSION", f"Reference to '{name}' at the top level is not supported."
    return None


_CHILDREN = (
    "lhs", "rhs", "expression", "expressions", "arguments", "procedure", "body", "condition", "then", "_else", "lhs_object",
)  # fmt: skip


def _top_level_name(node: Any) -> str | None:
    """The first bare name a path starts from, outside predicates and later path steps."""
    if isinstance(node, list | tuple):
        for item in node:
            found = _top_level_name(item)
            if found is not None:
                return found
        return None
    if not hasattr(node, "type"):
        return None
    if node.type == "path":
        steps = getattr(node, "steps", None) or []
        if steps and steps[0].type == "name":
            return str(steps[0].value)
        return _top_level_name(steps[:1]) if steps and steps[0].type != "variable" else None
    if node.type == "name":
        return str(node.value)
    for attr in _CHILDREN:
        found = _top_level_name(getattr(node, attr, None))
        if found is not None:
            return found
    return None
