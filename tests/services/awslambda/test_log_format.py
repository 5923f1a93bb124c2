"""Lambda's advanced logging controls acted on: LoggingConfig's JSON format (platform records
for system logs, JSON records from Python's logging and Node's console), ApplicationLogLevel and
SystemLogLevel filtering, AWS_LAMBDA_LOG_FORMAT / AWS_LAMBDA_LOG_LEVEL; Text stays as it was."""

from __future__ import annotations

import base64
import json
import re
import shutil
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import create_python, make_zip
from tests.services.awslambda.test_official_rics import NODE_BOOTSTRAP, PY_BOOTSTRAP
from tests.services.awslambda.test_runtimes import zip_of

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no node executable")

PLATFORM_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PYTHON_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")  # AWS's Python runtime: seconds
NODE_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

PYTHON = """
import json, logging, os, time
logging.getLogger().warning("at import")
log = logging.getLogger("orders")

def handler(event, context):
    print("plain print")
    print(json.dumps({"level": "debug", "msg": "printed debug"}))
    logging.debug("debug record")
    log.info("info %s", "record", extra={"orderId": 7})
    logging.warning("warning record")
    log.info({"structured": True})
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("caught")
    time.sleep(event.get("sleep", 0))
    if event.get("fail"):
        raise KeyError("missing")
    return {
        "stream": context.log_stream_name,
        "request_id": context.aws_request_id,
        "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL")},
        "root": logging.getLogger().level,
    }
"""


def create(lam, role, name, code=PYTHON, logging=None, **extra) -> None:
    create_python(lam, role, name, code, **({"LoggingConfig": logging} if logging else {}), **extra)


def call(lam, name, event=None, **extra) -> tuple[dict, object, list[str]]:
    """Invoke with LogType Tail: the answer, its payload and the log lines Tail carried."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail", **extra)
    tail = base64.b64decode(response["LogResult"]).decode().splitlines()
    return response, json.loads(response["Payload"].read() or b"null"), tail


def stream_lines(aws_client, name: str, stream: str) -> list[str]:
    events = aws_client("logs").get_log_events(
        logGroupName=f"/aws/lambda/{name}", logStreamName=stream, startFromHead=True
    )["events"]
    return [e["message"] for e in events]


def parsed(lines: list[str]) -> list[object]:
    """Each line as JSON when it is, else the text itself."""
    out: list[object] = []
    for line in lines:
        try:
            out.append(json.loads(line))
        except ValueError:
            out.append(line)
    return out


def platform(lines: list[str]) -> list[tuple[str, dict]]:
    """The platform records among ``lines``: (type, record), their time checked."""
    found = []
    for doc in parsed(lines):
        if isinstance(doc, dict) and str(doc.get("type", "")).startswith("platform."):
            assert set(doc) == {"time", "type", "record"} and PLATFORM_TIME.match(doc["time"]), doc
            found.append((doc["type"], doc["record"]))
    return found


def records(lines: list[str]) -> list[dict]:
    """The application's JSON records among ``lines`` (not platform records)."""
    return [d for d in parsed(lines) if isinstance(d, dict) and "type" not in d]


def without_time(record: dict, key: str = "timestamp") -> dict:
    return {k: v for k, v in record.items() if k != key}


# ---- Python ------------------------------------------------------------------------------------


def test_python_json_default_levels(lam, aws_client, role, name):
    create(lam, role, name, logging={"LogFormat": "JSON"})
    response, body, tail = call(lam, name)
    assert "FunctionError" not in response, body
    rid = body["request_id"]
    assert body["env"] == {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "INFO"}
    assert body["root"] == 20  # the root logger at the application level (AWS's Python runtime)
    lines = stream_lines(aws_client, name, body["stream"])
    assert tail == lines  # Tail carries what was written
    assert not any(line.startswith(("INIT_START", "START", "END", "REPORT")) for line in lines)

    # system logs: initStart, start, report (INFO); runtimeDone is DEBUG
    kinds = platform(lines)
    assert [k for k, _ in kinds] == ["platform.initStart", "platform.start", "platform.report"]
    init = kinds[0][1]
    assert init["runtimeVersion"].startswith("python:3.12.")
    assert init["runtimeVersionArn"].startswith("arn:aws:lambda:us-east-1::runtime:")
    assert {k: init[k] for k in ("initializationType", "phase", "functionName", "functionVersion")} == {
        "initializationType": "on-demand",
        "phase": "init",
        "functionName": name,
        "functionVersion": "$LATEST",
    }
    assert kinds[1][1] == {"requestId": rid, "version": "$LATEST"}
    report = kinds[2][1]
    assert (report["requestId"], report["status"]) == (rid, "success")
    metrics = report["metrics"]
    assert set(metrics) == {
        "durationMs",
        "billedDurationMs",
        "memorySizeMB",
        "maxMemoryUsedMB",
        "initDurationMs",
    }
    assert metrics["memorySizeMB"] == 128 and isinstance(metrics["billedDurationMs"], int)
    assert metrics["billedDurationMs"] >= 1 and metrics["initDurationMs"] > 0

    # application logs: logging records as JSON objects, DEBUG dropped; print output as it is
    assert lines.index("plain print") > lines.index(next(x for x in lines if "platform.start" in x))
    assert not any("debug" in line for line in lines)  # logging.debug and the printed DEBUG object
    found = records(lines)
    assert all(PYTHON_TIME.match(r["timestamp"]) for r in found)
    assert [without_time(r) for r in found[:5]] == [
        {"level": "WARNING", "message": "at import", "logger": "root", "requestId": ""},
        {"level": "INFO", "message": "info record", "logger": "orders", "requestId": rid, "orderId": 7},
        {"level": "WARNING", "message": "warning record", "logger": "root", "requestId": rid},
        {"level": "INFO", "message": {"structured": True}, "logger": "orders", "requestId": rid},
        {
            "level": "ERROR",
            "message": "caught",
            "logger": "orders",
            "stackTrace": found[4]["stackTrace"],
            "errorType": "ValueError",
            "errorMessage": "bad value",
            "requestId": rid,
            "location": found[4]["location"],
        },
    ]
    assert 'raise ValueError("bad value")' in "".join(found[4]["stackTrace"])
    assert re.match(r"^/.*/index\.py:handler:\d+$", found[4]["location"])
    assert len(found) == 5

    # warm: no init record, no initDurationMs
    response, body, tail = call(lam, name)
    kinds = platform(tail)
    assert [k for k, _ in kinds] == ["platform.start", "platform.report"]
    assert "initDurationMs" not in kinds[1][1]["metrics"]
    assert stream_lines(aws_client, name, body["stream"])[-len(tail) :] == tail


def test_python_levels_application_warn_system_debug(lam, aws_client, role, name):
    create(
        lam,
        role,
        name,
        logging={"LogFormat": "JSON", "ApplicationLogLevel": "WARN", "SystemLogLevel": "DEBUG"},
    )
    response, body, tail = call(lam, name)
    rid = body["request_id"]
    assert body["env"] == {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"}
    assert body["root"] == 30
    kinds = platform(tail)
    assert [k for k, _ in kinds] == [
        "platform.initStart",
        "platform.initRuntimeDone",
        "platform.initReport",
        "platform.start",
        "platform.runtimeDone",
        "platform.report",
    ]
    assert kinds[1][1] == {"initializationType": "on-demand", "phase": "init", "status": "success"}
    init_report = kinds[2][1]
    assert without_time(init_report, "metrics") == {
        "initializationType": "on-demand",
        "phase": "init",
        "status": "success",
    }
    assert init_report["metrics"]["durationMs"] > 0
    done = kinds[4][1]
    assert (done["requestId"], done["status"]) == (rid, "success")
    assert set(done["metrics"]) == {"durationMs", "producedBytes"}
    assert done["metrics"]["producedBytes"] == len(json.dumps(body))
    # WARN and above only: print output (INFO, having no level) and INFO records dropped
    assert "plain print" not in tail
    assert [(r["level"], r["message"]) for r in records(tail)] == [
        ("WARNING", "at import"),
        ("WARNING", "warning record"),
        ("ERROR", "caught"),
    ]

    # the function's error: logged as AWS's runtime logs it, runtimeDone and report say so
    response, body, tail = call(lam, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "KeyError"
    error = records(tail)[-1]
    assert PYTHON_TIME.match(error["timestamp"])
    assert without_time(error) == {
        "level": "ERROR",
        "errorMessage": "'missing'",
        "errorType": "KeyError",
        "requestId": body["requestId"],
        "stackTrace": body["stackTrace"],
    }
    kinds = dict(platform(tail))
    assert (kinds["platform.runtimeDone"]["status"], kinds["platform.runtimeDone"]["errorType"]) == (
        "error",
        "KeyError",
    )
    assert (kinds["platform.report"]["status"], kinds["platform.report"]["errorType"]) == (
        "error",
        "KeyError",
    )


def test_python_system_warn_application_error(lam, aws_client, role, name):
    create(
        lam,
        role,
        name,
        logging={"LogFormat": "JSON", "ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN"},
        Timeout=1,
    )
    _, body, tail = call(lam, name)
    lines = stream_lines(aws_client, name, body["stream"])
    assert tail == lines
    assert platform(lines) == []  # initStart, start and report are INFO, runtimeDone DEBUG
    assert [(r["level"], r["message"]) for r in records(lines)] == [("ERROR", "caught")]
    assert lines == [json.dumps(records(lines)[0], ensure_ascii=False)]  # nothing else at all

    # failures are WARN: runtimeDone and report appear
    _, _, tail = call(lam, name, {"fail": True})
    assert [k for k, _ in platform(tail)] == ["platform.runtimeDone", "platform.report"]
    assert all(r["status"] == "error" for _, r in platform(tail))
    # a timeout: status "timeout"
    _, body, tail = call(lam, name, {"sleep": 2})
    assert body["errorType"] == "Sandbox.Timedout"
    kinds = platform(tail)
    assert [k for k, _ in kinds] == ["platform.runtimeDone", "platform.report"]
    assert [r["status"] for _, r in kinds] == ["timeout", "timeout"]
    assert kinds[1][1]["metrics"]["durationMs"] == 1000.0


def test_python_init_error_in_json(lam, role, name):
    create(lam, role, name, "raise RuntimeError('broken init')\n", logging={"LogFormat": "JSON"})
    response, body, tail = call(lam, name)
    assert response["FunctionError"] == "Unhandled" and body["errorType"] == "RuntimeError"
    (error,) = records(tail)
    assert without_time(error) == {
        "level": "ERROR",
        "errorMessage": "broken init",
        "errorType": "RuntimeError",
        "requestId": "",
        "stackTrace": body["stackTrace"],
    }
    kinds = platform(tail)
    # a failed init is WARN: initRuntimeDone and initReport show at the default INFO
    assert [k for k, _ in kinds] == [
        "platform.initStart",
        "platform.initRuntimeDone",
        "platform.initReport",
        "platform.start",
        "platform.report",
    ]
    assert kinds[1][1] == {
        "initializationType": "on-demand",
        "phase": "init",
        "status": "error",
        "errorType": "RuntimeError",
    }
    assert kinds[2][1]["status"] == "error" and kinds[4][1]["status"] == "error"


def test_text_format_unchanged_and_switching(lam, aws_client, role, name):
    create(lam, role, name, logging={"LogFormat": "Text"})
    _, body, tail = call(lam, name)
    rid = body["request_id"]
    assert body["env"] == {"AWS_LAMBDA_LOG_FORMAT": None, "AWS_LAMBDA_LOG_LEVEL": None}  # recorded
    assert body["root"] == 30
    lines = stream_lines(aws_client, name, body["stream"])
    assert tail == lines
    assert lines[0].startswith(
        "INIT_START Runtime Version: python:3.12.v1\tRuntime Version ARN: arn:aws:lambda:"
    )
    assert re.match(r"^\[WARNING\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t\tat import$", lines[1])
    assert lines[2] == f"START RequestId: {rid} Version: $LATEST"
    assert lines[3:5] == ["plain print", '{"level": "debug", "msg": "printed debug"}']  # not filtered
    assert re.match(rf"^\[WARNING\]\t\S+\t{rid}\twarning record$", lines[5])
    assert re.match(rf"^\[ERROR\]\t\S+\t{rid}\tcaught$", lines[6])  # its traceback follows
    assert lines[-2] == f"END RequestId: {rid}"
    assert lines[-1].startswith(f"REPORT RequestId: {rid}\tDuration: ") and "\tInit Duration: " in lines[-1]

    # to JSON: the next invocation starts a new environment that logs JSON
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "JSON"})
    _, body, tail = call(lam, name)
    assert body["env"]["AWS_LAMBDA_LOG_FORMAT"] == "JSON"
    assert platform(tail)[0][0] == "platform.initStart"
    # and back: Text again, levels gone from the configuration
    answer = lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    assert answer["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    _, body, tail = call(lam, name)
    assert body["env"]["AWS_LAMBDA_LOG_FORMAT"] is None
    assert tail[0].startswith("INIT_START ") and platform(tail) == []


def test_custom_log_group_gets_json(lam, aws_client, role, name):
    group = f"/custom/{name}"
    create(lam, role, name, logging={"LogFormat": "JSON", "LogGroup": group})
    _, body, tail = call(lam, name)
    events = aws_client("logs").get_log_events(logGroupName=group, logStreamName=body["stream"])["events"]
    assert [e["message"] for e in events] == tail
    assert platform(tail)[0][0] == "platform.initStart"


def test_logging_config_bad_levels(lam, lam_raw, role, name):
    with pytest.raises(ClientError) as exc:
        create(lam_raw, role, name, logging={"LogFormat": "JSON", "ApplicationLogLevel": "VERBOSE"})
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        create(
            lam_raw, role, name, logging={"LogFormat": "JSON", "SystemLogLevel": "ERROR"}
        )  # DEBUG|INFO|WARN
    assert exc.value.response["Error"]["Code"] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        create(lam, role, name, logging={"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"


# ---- provided runtimes and provisioned concurrency -------------------------------------------

PROVIDED = """#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
    for line in (
        "plain text",
        '{"level": "debug", "msg": "a debug object"}',
        '{"level": "Warning", "msg": "a warning object"}',
        '{"level": "error", "msg": "an error object"}',
        '{"level": 50, "msg": "a number is no level"}',
        '{"level": "NOTICE", "msg": "nor is an unknown name"}',
        '["level", "ERROR"]',
        '{"level": "ERROR"',
    ):
        print(line, flush=True)
    env = {k: os.environ.get(k) for k in ("AWS_LAMBDA_LOG_FORMAT", "AWS_LAMBDA_LOG_LEVEL")}
    urllib.request.urlopen(urllib.request.Request(api + rid + "/response", json.dumps(env).encode()))
"""


def test_provided_runtime_output_filtered_by_its_level_key(lam, role, name):
    lam.create_function(
        FunctionName=name,
        Runtime="provided.al2023",
        Role=role,
        Handler="x",
        Code={"ZipFile": zip_of({"bootstrap": PROVIDED}, ("bootstrap",))},
        LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"},
    )
    _, body, tail = call(lam, name)
    assert body == {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": "WARN"}
    app = [line for line in tail if not line.startswith('{"time":')]
    assert app == [
        '{"level": "Warning", "msg": "a warning object"}',
        '{"level": "error", "msg": "an error object"}',
    ]


def test_provisioned_environment_logs_json(lam, aws_client, role, name):
    create(lam, role, name, logging={"LogFormat": "JSON", "SystemLogLevel": "INFO"})
    lam.publish_version(FunctionName=name)
    lam.put_provisioned_concurrency_config(
        FunctionName=name, Qualifier="1", ProvisionedConcurrentExecutions=1
    )
    deadline = time.monotonic() + 30
    while lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="1")["Status"] != "READY":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    _, body, tail = call(lam, name, Qualifier="1")
    lines = stream_lines(aws_client, name, body["stream"])
    kinds = platform(lines)
    # the init phase, written when it ran: initReport is INFO for provisioned concurrency
    assert [k for k, _ in kinds] == [
        "platform.initStart",
        "platform.initReport",
        "platform.start",
        "platform.report",
    ]
    assert kinds[0][1]["initializationType"] == "provisioned-concurrency"
    assert kinds[0][1]["functionVersion"] == "1"
    assert without_time(kinds[1][1], "metrics") == {
        "initializationType": "provisioned-concurrency",
        "phase": "init",
        "status": "success",
    }
    assert kinds[2][1] == {"requestId": body["request_id"], "version": "1"}
    assert "initDurationMs" not in kinds[3][1]["metrics"]
    assert [k for k, _ in platform(tail)] == ["platform.start", "platform.report"]


# ---- Node.js -----------------------------------------------------------------------------------

NODE = """
console.log("at init");
exports.handler = async (event, context) => {
  console.log("hello", { n: 1 });
  console.info({ structured: true });
  console.debug("debug dropped");
  console.trace("trace dropped");
  console.warn("careful");
  console.error("failed:", new TypeError("bad type"));
  console.fatal("the end");
  console.log(new RangeError("lone error"));
  if (event.fail) throw new SyntaxError("thrown");
  return {
    stream: context.logStreamName, requestId: context.awsRequestId,
    env: { format: process.env.AWS_LAMBDA_LOG_FORMAT, level: process.env.AWS_LAMBDA_LOG_LEVEL },
  };
};
"""


def create_node(lam, role, name, logging) -> None:
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": zip_of({"index.js": NODE})},
        LoggingConfig=logging,
    )


@needs_node
def test_node_json_console(lam, aws_client, role, name):
    create_node(lam, role, name, {"LogFormat": "JSON"})
    response, body, tail = call(lam, name)
    assert "FunctionError" not in response, body
    rid = body["requestId"]
    assert body["env"] == {"format": "JSON", "level": "INFO"}
    lines = stream_lines(aws_client, name, body["stream"])
    assert tail == lines
    assert [k for k, _ in platform(lines)] == ["platform.initStart", "platform.start", "platform.report"]
    assert platform(lines)[0][1]["runtimeVersion"].startswith("nodejs:20.")
    found = records(lines)
    assert all(NODE_TIME.match(r["timestamp"]) for r in found)
    assert [without_time(r) for r in found[:5]] == [
        {"level": "INFO", "message": "at init"},  # no request id during init
        {"level": "INFO", "requestId": rid, "message": "hello { n: 1 }"},
        {"level": "INFO", "requestId": rid, "message": {"structured": True}},
        {"level": "WARN", "requestId": rid, "message": "careful"},
        {
            "level": "ERROR",
            "requestId": rid,
            "message": found[4]["message"],
            "errorType": "TypeError",
            "errorMessage": "bad type",
            "stackTrace": found[4]["stackTrace"],
        },
    ]
    assert found[4]["message"].startswith("failed: TypeError: bad type\n    at ")
    assert found[4]["stackTrace"][0] == "TypeError: bad type" and "index.js" in found[4]["stackTrace"][1]
    assert without_time(found[5]) == {"level": "FATAL", "requestId": rid, "message": "the end"}
    lone = found[6]["message"]
    assert (lone["errorType"], lone["errorMessage"]) == ("RangeError", "lone error")
    assert lone["stackTrace"][0] == "RangeError: lone error"
    assert len(found) == 7  # console.debug and console.trace are below INFO

    response, body, tail = call(lam, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    error = records(tail)[-1]
    assert (error["level"], error["requestId"]) == ("ERROR", records(tail)[0]["requestId"])
    assert {k: error["message"][k] for k in ("errorType", "errorMessage")} == {
        "errorType": "SyntaxError",
        "errorMessage": "thrown",
    }
    assert error["message"]["stackTrace"] == body["trace"]
    report = dict(platform(tail))["platform.report"]
    assert (report["status"], report["errorType"]) == ("error", "SyntaxError")


@needs_node
def test_node_application_level_error_and_text(lam, role, name):
    create_node(
        lam, role, name, {"LogFormat": "JSON", "ApplicationLogLevel": "ERROR", "SystemLogLevel": "WARN"}
    )
    _, body, tail = call(lam, name)
    assert body["env"] == {"format": "JSON", "level": "ERROR"}
    assert platform(tail) == []
    assert [r["level"] for r in records(tail)] == ["ERROR", "FATAL"]
    assert len(tail) == 2

    # Text: every console method, tab-separated lines as before, no variables
    create_node(lam, role, name + "-t", {"LogFormat": "Text"})
    _, body, tail = call(lam, name + "-t")
    assert body["env"] == {}
    levels = [line.split("\t")[2] for line in tail if re.match(r"^\d{4}-\d\d-\d\dT", line)]
    assert levels == ["INFO", "INFO", "INFO", "DEBUG", "TRACE", "WARN", "ERROR", "FATAL", "INFO"]
    assert (
        tail[0]
        == "INIT_START Runtime Version: nodejs:20.v1\tRuntime Version ARN: " + tail[0].split("ARN: ")[1]
    )
    assert tail[1].endswith("\tundefined\tINFO\tat init")


# ---- the same records as AWS's own runtime clients write ---------------------------------------

SAME_PY = """
import logging
logging.getLogger().warning("at import")
log = logging.getLogger("orders")

def handler(event, context):
    print("plain print")
    logging.debug("debug record")
    log.info("info %s", "record", extra={"orderId": 7, "tags": ["a"]})
    log.warning({"structured": True})
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("caught")
    if event.get("fail"):
        raise KeyError("missing")
    return {"id": context.aws_request_id, "stream": context.log_stream_name}
"""


def comparable(lines: list[str]) -> list[object]:
    """Function output with what differs by run or by runtime (times, request ids, file paths,
    stack frames) reduced to its form."""
    out: list[object] = []
    for doc in parsed(lines):
        if isinstance(doc, dict) and "type" in doc:
            continue  # Cloudlet's platform records, the same for both
        if isinstance(doc, dict):
            doc = dict(doc)
            stamp = doc.pop("timestamp")
            assert PYTHON_TIME.match(stamp) or NODE_TIME.match(stamp), stamp
            # none during init: absent (ours), "" (awslambdaric), "-" (aws-lambda-ric 4)
            doc["requestId"] = doc.get("requestId") not in (None, "", "-")
            if "stackTrace" in doc:
                mine = [line for line in doc["stackTrace"] if "/app." in line or "index.js" in line][:1]
                doc["stackTrace"] = [re.sub(r"/\S*/", "/", line) for line in mine]
            if "location" in doc:
                doc["location"] = doc["location"].rsplit("/", 1)[1]
        out.append(doc)
    return out


def test_python_records_match_awslambdaric(lam, aws_client, role, name):
    pytest.importorskip("awslambdaric", reason="awslambdaric (the test extra, Linux only) is not installed")
    logging = {"LogFormat": "JSON", "ApplicationLogLevel": "INFO"}
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": make_zip({"app.py": SAME_PY})},
        LoggingConfig=logging,
    )
    lam.create_function(
        FunctionName=name + "-ric",
        Runtime="provided.al2023",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_of({"bootstrap": PY_BOOTSTRAP, "app.py": SAME_PY}, ("bootstrap",))},
        LoggingConfig=logging,
    )
    _, ours, _ = call(lam, name)
    _, theirs, _ = call(lam, name + "-ric")
    call(lam, name, {"fail": True})
    call(lam, name + "-ric", {"fail": True})  # on the same (warm) environments
    mine = stream_lines(aws_client, name, ours["stream"])
    reference = stream_lines(aws_client, name + "-ric", theirs["stream"])
    assert comparable(mine) == comparable(reference), (mine, reference)
    assert len(comparable(mine)) == 1 + 4 + 4 + 1  # at import, each invocation's four, the error
    assert comparable(mine)[-1] == {
        "level": "ERROR",
        "errorMessage": "'missing'",
        "errorType": "KeyError",
        "requestId": True,
        "stackTrace": comparable(mine)[-1]["stackTrace"],
    }


SAME_NODE = """
console.log("at init");
exports.handler = async (event, context) => {
  console.log("hello", { n: 1 });
  console.info({ structured: true, list: [1, "two"] });
  console.debug("debug kept at DEBUG");
  console.trace("trace dropped");
  console.warn("careful %d", 3);
  console.error("failed:", new TypeError("bad type"));
  console.log(new RangeError("lone error"));
  if (event.fail) throw new SyntaxError("thrown");
  return { id: context.awsRequestId, stream: context.logStreamName };
};
"""


def test_node_records_match_aws_lambda_ric(lam, aws_client, role, name):
    if shutil.which("node") is None:
        pytest.skip("no node executable")
    layer = node_ric_layer(lam)
    logging = {"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"}
    lam.create_function(
        FunctionName=name,
        Runtime="nodejs20.x",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": zip_of({"index.js": SAME_NODE})},
        LoggingConfig=logging,
    )
    lam.create_function(
        FunctionName=name + "-ric",
        Runtime="provided.al2023",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": zip_of({"bootstrap": NODE_BOOTSTRAP, "index.js": SAME_NODE}, ("bootstrap",))},
        Layers=[layer],
        LoggingConfig=logging,
    )
    _, ours, _ = call(lam, name)
    _, theirs, _ = call(lam, name + "-ric")
    call(lam, name, {"fail": True})
    call(lam, name + "-ric", {"fail": True})  # on the same (warm) environments
    mine = comparable(stream_lines(aws_client, name, ours["stream"]))
    reference = comparable(stream_lines(aws_client, name + "-ric", theirs["stream"]))
    for records_ in (mine, reference):  # util.format's stack frames differ: keep the first line
        for doc in records_:
            if isinstance(doc, dict) and isinstance(doc.get("message"), str):
                doc["message"] = doc["message"].split("\n")[0]
            if isinstance(doc, dict) and "stackTrace" in (doc.get("message") or ()):
                doc["message"]["stackTrace"] = doc["message"]["stackTrace"][:1]
    assert mine == reference
    assert len(mine) == 1 + 6 + 6 + 1  # at init, each invocation's six, the error
    assert [d["level"] for d in mine if isinstance(d, dict)][-1] == "ERROR"
    assert "debug kept at DEBUG" in [d["message"] for d in mine if isinstance(d, dict)]


def node_ric_layer(lam) -> str:
    """A layer with AWS's Node.js runtime client (built once into the test cache; skips when the
    tools to build it are missing)."""
    from tests.services.awslambda.test_official_rics import _install_node_ric, _layer_zip

    package = _install_node_ric()
    layer = lam.publish_layer_version(
        LayerName=f"aws-lambda-ric-{uuid.uuid4().hex[:8]}",
        Content={"ZipFile": _layer_zip(package)},
        CompatibleRuntimes=["provided.al2023"],
    )
    return layer["LayerVersionArn"]
