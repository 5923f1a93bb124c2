"""Lambda's advanced logging controls (a function's ``LoggingConfig``) acted on.

With ``LogFormat: JSON``:

- the runtime is told through ``AWS_LAMBDA_LOG_FORMAT=JSON`` and ``AWS_LAMBDA_LOG_LEVEL`` (the
  ApplicationLogLevel; AWS's guide: "Lambda sets the application log level in the runtime using
  the AWS_LAMBDA_LOG_LEVEL environment variable ... and your function's log format using the
  AWS_LAMBDA_LOG_FORMAT environment variable"); a Text function gets neither (recorded);
- system logs are the platform records of the Telemetry API's event schema
  (``{"time": ..., "type": "platform.start", "record": {...}}``) instead of the
  INIT_START/START/END/REPORT lines, each kept when its level (the guide's "system log level
  event mapping") is at or above SystemLogLevel;
- application log lines are kept when their level is at or above ApplicationLogLevel: a line
  that is a JSON object with a ``"level"`` key has that level (any case; Python's ``WARNING``
  and ``CRITICAL`` are WARN and FATAL), any other line (``print`` output included) is INFO, as
  the guide's "Log-level filtering" says.

Text functions keep the text lines exactly as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

Event = tuple[int, str]  # (epoch ms on the service clock, message)

LEVELS = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "ERROR": 4, "FATAL": 5}
_NAMES = {**LEVELS, "WARNING": 3, "CRITICAL": 5}  # what Python's logging calls two of them
DEBUG, INFO, WARN = LEVELS["DEBUG"], LEVELS["INFO"], LEVELS["WARN"]


class SystemLine(str):
    """A platform record the executor made (not function output: never filtered as such)."""


@dataclass(frozen=True)
class LogSettings:
    """A version's log format and the lowest application and system levels kept."""

    json: bool = False
    application: int = INFO
    system: int = INFO

    @classmethod
    def of(cls, config: dict[str, Any]) -> LogSettings:
        logging = config.get("LoggingConfig") or {}
        if logging.get("LogFormat") != "JSON":
            return cls()
        return cls(
            True,
            LEVELS.get(logging.get("ApplicationLogLevel") or "INFO", INFO),
            LEVELS.get(logging.get("SystemLogLevel") or "INFO", INFO),
        )


def environment(config: dict[str, Any]) -> dict[str, str]:
    """The variables that tell the runtime the format and level (JSON functions only)."""
    logging = config.get("LoggingConfig") or {}
    if logging.get("LogFormat") != "JSON":
        return {}
    return {
        "AWS_LAMBDA_LOG_FORMAT": "JSON",
        "AWS_LAMBDA_LOG_LEVEL": logging.get("ApplicationLogLevel") or "INFO",
    }


def level_of(message: str) -> int:
    """The level Lambda gives a line of function output: the ``"level"`` of a JSON object, else INFO."""
    text = message.lstrip()
    if not text.startswith("{"):
        return INFO
    try:
        doc = orjson.loads(text)
    except orjson.JSONDecodeError:
        return INFO
    level = doc.get("level") if isinstance(doc, dict) else None
    return _NAMES.get(level.upper(), INFO) if isinstance(level, str) else INFO


def application(settings: LogSettings, lines: list[Event]) -> list[Event]:
    """Function output kept at the application level (all of it with the Text format)."""
    if not settings.json:
        return lines
    return [(t, m) for t, m in lines if isinstance(m, SystemLine) or level_of(m) >= settings.application]


def _record(settings: LogSettings, time_ms: int, kind: str, level: int, body: dict[str, Any]) -> list[Event]:
    """One platform record, or none below the system level."""
    if level < settings.system:
        return []
    stamp = datetime.fromtimestamp(time_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    line = orjson.dumps({"time": stamp, "type": f"platform.{kind}", "record": body}).decode()
    return [(time_ms, SystemLine(line))]


def init_start(
    settings: LogSettings,
    config: dict[str, Any],
    time_ms: int,
    runtime_version: str,
    runtime_version_arn: str,
    initialization: str,
) -> list[Event]:
    """A cold start's first event: INIT_START (recorded form) or ``platform.initStart`` (INFO:
    the runtime version is set)."""
    if not settings.json:
        text = f"INIT_START Runtime Version: {runtime_version}\tRuntime Version ARN: {runtime_version_arn}"
        return [(time_ms, text)]
    body = {
        "initializationType": initialization,
        "phase": "init",
        "runtimeVersion": runtime_version,
        "runtimeVersionArn": runtime_version_arn,
        "functionName": config["FunctionName"],
        "functionVersion": config["Version"],
    }
    return _record(settings, time_ms, "initStart", INFO, body)


def _outcome(body: bytes, error: bool) -> tuple[str, dict[str, str]]:
    """A record's ``status`` and its ``errorType`` member (for errors other than timeouts)."""
    if not error:
        return "success", {}
    try:
        error_type = orjson.loads(body).get("errorType")
    except (orjson.JSONDecodeError, AttributeError):
        error_type = None
    if error_type == "Sandbox.Timedout":
        return "timeout", {}
    # unverified: the status AWS gives a function's own error ("error") and its errorType member
    return "error", ({"errorType": error_type} if isinstance(error_type, str) else {})


def init_done(
    settings: LogSettings,
    init: list[Event],
    time_ms: int,
    init_ms: float | None,
    failure: bytes | None,
    initialization: str = "on-demand",
) -> list[Event]:
    """An init phase's events (``init``: INIT_START and the runtime's output) kept at their levels;
    with JSON, then ``platform.initRuntimeDone`` (DEBUG, WARN when it failed) and
    ``platform.initReport`` (DEBUG on demand, INFO for provisioned concurrency, WARN when it failed)."""
    if not settings.json:
        return init
    if init_ms is None:  # a warm start: nothing but output left over from before
        return [(t, str(m)) for t, m in application(settings, init)]
    # unverified: that CloudWatch gets these two records (the Telemetry API has them; at DEBUG
    # on demand they show only with SystemLogLevel DEBUG)
    status, extra = _outcome(failure or b"", failure is not None)
    failed = status != "success"
    phase = {"initializationType": initialization, "phase": "init"}
    events = application(settings, init)
    events += _record(
        settings, time_ms, "initRuntimeDone", WARN if failed else DEBUG, {**phase, "status": status, **extra}
    )
    level = WARN if failed else (DEBUG if initialization == "on-demand" else INFO)
    metrics = {"durationMs": round(init_ms or 0.0, 2)}
    events += _record(
        settings, time_ms, "initReport", level, {**phase, "status": status, **extra, "metrics": metrics}
    )
    return [(t, str(m)) for t, m in events]


def invocation(
    settings: LogSettings,
    config: dict[str, Any],
    request_id: str,
    init: list[Event],
    lines: list[Event],
    start_ms: int,
    end_ms: int,
    body: bytes,
    error: bool,
    duration: float,
    init_ms: float | None,
    memory: int,
    init_failed: bool = False,
) -> list[Event]:
    """An invocation's JSON log: the init phase's events on a cold start, ``platform.start``
    (INFO), the function's output, ``platform.runtimeDone`` (DEBUG, WARN when it failed; none
    after a failed init) and ``platform.report`` (INFO, WARN when it failed: unverified).
    AWS's JSON logs have no record for END."""
    status, extra = _outcome(body, error)
    level = INFO if status == "success" else WARN  # unverified: a failed invocation's report at WARN
    events = init_done(settings, init, start_ms, init_ms, body if init_failed else None)
    events += _record(
        settings, start_ms, "start", INFO, {"requestId": request_id, "version": config["Version"]}
    )
    events += application(settings, lines)
    if not init_failed:
        # unverified: producedBytes of a streamed response (its bytes are not counted here)
        metrics = {"durationMs": round(duration, 2), "producedBytes": len(body)}
        done = {"requestId": request_id, "status": status, **extra, "metrics": metrics}
        events += _record(settings, end_ms, "runtimeDone", DEBUG if status == "success" else WARN, done)
    report: dict[str, Any] = {
        "durationMs": round(duration, 2),
        "billedDurationMs": max(1, math.ceil(duration)),
        "memorySizeMB": int(config.get("MemorySize") or 128),
        "maxMemoryUsedMB": memory,
    }
    if init_ms is not None:
        report["initDurationMs"] = round(init_ms, 2)
    events += _record(
        settings,
        end_ms,
        "report",
        level,
        {"requestId": request_id, "metrics": report, "status": status, **extra},
    )
    return [(t, str(m)) for t, m in events]
