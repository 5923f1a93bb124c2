"""Invoke: Python functions really run, in execution environments speaking the Runtime API."""

from __future__ import annotations

import base64
import json

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import create_python, error_of

HANDLER = """
import os, tempfile
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    print("hello from", context.function_name)
    path = os.path.join(tempfile.gettempdir(), "seen")
    kept = os.path.exists(path)
    open(path, "w").write("x")
    return {
        "event": event,
        "count": COUNT,
        "kept": kept,
        "tmp": tempfile.gettempdir() == os.environ["TMPDIR"],
        "name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "request_id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(),
        "stream": context.log_stream_name,
        "env": {k: os.environ.get(k) for k in (
            "AWS_LAMBDA_FUNCTION_NAME", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN",
            "AWS_LAMBDA_INITIALIZATION_TYPE", "TZ", "MY_VAR", "_HANDLER", "AWS_EXECUTION_ENV")},
    }
"""


def create(lam, role, name, code: str, **extra) -> None:
    create_python(lam, role, name, code, **extra)


def call(lam, name, event=None, **extra) -> tuple[dict, object]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}), **extra)
    return response, json.loads(response["Payload"].read() or b"null")


def test_handler_returns_json_and_stays_warm(lam, role, name):
    create(lam, role, name, HANDLER, Environment={"Variables": {"MY_VAR": "mine"}})
    response, body = call(lam, name, {"a": 1}, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in response
    assert body["event"] == {"a": 1}
    assert (body["count"], body["kept"], body["tmp"]) == (1, False, True)
    assert body["name"] == name and body["version"] == "$LATEST" and body["memory"] == "128"
    assert body["arn"].endswith(f":function:{name}")
    assert 0 < body["remaining"] <= 3000
    env = body["env"]
    assert env["AWS_LAMBDA_FUNCTION_NAME"] == name and env["MY_VAR"] == "mine"
    assert env["AWS_REGION"] == "us-east-1" and env["AWS_ENDPOINT_URL"].startswith("http://")
    assert env["AWS_SESSION_TOKEN"] and env["TZ"] == ":UTC" and env["_HANDLER"] == "index.handler"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    log = base64.b64decode(response["LogResult"]).decode()
    rid = body["request_id"]
    assert f"START RequestId: {rid} Version: $LATEST" in log
    assert f"hello from {name}" in log
    assert f"END RequestId: {rid}" in log
    report = next(line for line in log.splitlines() if line.startswith("REPORT"))
    assert report.startswith(f"REPORT RequestId: {rid}\tDuration: ")
    assert "\tMemory Size: 128 MB\tMax Memory Used: " in report and "\tInit Duration: " in report
    assert report.endswith(" ms\t")
    # warm: module state and /tmp kept, no Init Duration
    response, body = call(lam, name, LogType="Tail")
    assert (body["count"], body["kept"]) == (2, True)
    assert "Init Duration" not in base64.b64decode(response["LogResult"]).decode()
    stream = body["stream"]
    assert stream.count("/") == 3 and "/[$LATEST]" in stream and len(stream.rsplit("]", 1)[1]) == 32


def test_logs_readable_through_logs_api(lam, aws_client, role, name):
    create(lam, role, name, HANDLER)
    _, body = call(lam, name)
    logs = aws_client("logs")
    events = logs.get_log_events(logGroupName=f"/aws/lambda/{name}", logStreamName=body["stream"])["events"]
    messages = [e["message"] for e in events]
    # a cold start: INIT_START (recorded form), then the invocation's START
    assert messages[0].startswith("INIT_START Runtime Version: python:3.12.")
    assert "\tRuntime Version ARN: arn:aws:lambda:us-east-1::runtime:" in messages[0]
    assert messages[1] == f"START RequestId: {body['request_id']} Version: $LATEST"
    assert f"hello from {name}" in messages
    assert messages[-2] == f"END RequestId: {body['request_id']}"
    assert messages[-1].startswith(f"REPORT RequestId: {body['request_id']}\t")


def test_unhandled_exception(lam, role, name):
    code = (
        "class OrderFailed(Exception):\n    pass\n\ndef handler(e, c):\n    raise OrderFailed('no stock')\n"
    )
    create(lam, role, name, code)
    response, body = call(lam, name)
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "OrderFailed" and body["errorMessage"] == "no stock"
    assert body["requestId"]
    assert any("raise OrderFailed('no stock')" in line for line in body["stackTrace"])
    # as AWS's runtime shows it: only the function's frames, under /var/task
    (frame,) = body["stackTrace"]
    assert frame.startswith('  File "/var/task/') and ", in handler\n" in frame


def test_import_error_and_missing_handler(lam, role, name):
    create(lam, role, name, "def handler(e, c):\n    return 1\n", Handler="nothere.handler")
    response, body = call(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'nothere': No module named 'nothere'"
    create(lam, role, name + "-h", "def other(e, c):\n    return 1\n")
    response, body = call(lam, name + "-h")
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "Handler 'handler' missing on module 'index'"


def test_timeout_replaces_the_environment(lam, role, name):
    code = "import time\n\ndef handler(e, c):\n    time.sleep(e['sleep'])\n    return 'done'\n"
    create(lam, role, name, code, Timeout=1)
    response, body = call(lam, name, {"sleep": 3}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    assert "Task timed out after 1.00 seconds" in base64.b64decode(response["LogResult"]).decode()
    response, body = call(lam, name, {"sleep": 0})
    assert body == "done" and "FunctionError" not in response


def test_process_exit_is_runtime_exit_error(lam, role, name):
    create(lam, role, name, "import os\n\ndef handler(e, c):\n    os._exit(3)\n")
    response, body = call(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ExitError"
    assert body["errorMessage"].endswith("Error: Runtime exited with error: exit status 3")


def test_function_calls_sqs_without_endpoint_in_code(lam, aws_client, role, name):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    code = (
        "import boto3\n\ndef handler(e, c):\n"
        "    boto3.client('sqs').send_message(QueueUrl=e['url'], MessageBody='from lambda')\n"
        "    return 'sent'\n"
    )
    create(lam, role, name, code, Timeout=10)
    _, body = call(lam, name, {"url": url})
    assert body == "sent", body
    messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert messages[0]["Body"] == "from lambda"


def test_dry_run_and_alias(lam, role, name):
    create(lam, role, name, "def handler(e, c):\n    return c.invoked_function_arn\n", Publish=True)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    dry = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert dry["StatusCode"] == 204
    response, body = call(lam, name, Qualifier="live")
    assert response["ExecutedVersion"] == "1"
    assert body.endswith(f":function:{name}:live")
    response, _ = call(lam, f"{name}:1")
    assert response["ExecutedVersion"] == "1"


def test_payload_limits(lam, function):
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=function, Payload=b'"' + b"a" * 6291455 + b'"')
    code, message, status = error_of(exc)
    assert (code, status) == ("RequestEntityTooLargeException", 413)
    assert message == "Request must be smaller than 6291456 bytes for the InvokeFunction operation"
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=function, Payload=b"{not json")
    assert error_of(exc)[0] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName=function + "-missing", Payload=b"{}")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_response_too_large(lam, role, name):
    create(lam, role, name, "def handler(e, c):\n    return 'a' * 6291556\n")
    response, body = call(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Function.ResponseSizeTooLarge"
