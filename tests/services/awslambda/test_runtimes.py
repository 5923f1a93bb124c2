"""Node.js functions (our own JavaScript bootstrap) and provided runtimes (the function's own
``bootstrap``); other runtimes answer NotImplemented at invoke."""

from __future__ import annotations

import base64
import io
import json
import shutil
import zipfile

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import error_of

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no node executable")

NODE_ASYNC = """
let count = 0;
exports.handler = async (event, context) => {
  count += 1;
  console.log("hello from", context.functionName, { n: count });
  return {
    event, count,
    name: context.functionName, version: context.functionVersion,
    arn: context.invokedFunctionArn, memory: context.memoryLimitInMB,
    requestId: context.awsRequestId, group: context.logGroupName, stream: context.logStreamName,
    remaining: context.getRemainingTimeInMillis(),
    env: Object.fromEntries(["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_SESSION_TOKEN", "_HANDLER",
      "AWS_EXECUTION_ENV", "NODE_PATH", "LAMBDA_TASK_ROOT", "MY_VAR"].map((k) => [k, process.env[k]])),
  };
};
"""


def zip_of(files: dict[str, str], executable: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in files.items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o755 if name in executable else 0o644) << 16
            archive.writestr(info, body)
    return buffer.getvalue()


def create(lam, role, name, files, runtime="nodejs20.x", handler="index.handler", **extra) -> None:
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=role,
        Handler=handler,
        Code={"ZipFile": zip_of(files, extra.pop("executable", ()))},
        **extra,
    )


def call(lam, name, event=None, **extra) -> tuple[dict, object]:
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event if event is not None else {}), **extra)
    return response, json.loads(response["Payload"].read() or b"null")


@needs_node
def test_node_async_handler_context_logs_and_warm_state(lam, role, name):
    create(lam, role, name, {"index.js": NODE_ASYNC}, Environment={"Variables": {"MY_VAR": "mine"}})
    response, body = call(lam, name, {"a": 1}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body["event"] == {"a": 1} and body["count"] == 1
    assert body["name"] == name and body["version"] == "$LATEST" and body["memory"] == "128"
    assert body["arn"].endswith(f":function:{name}") and body["group"] == f"/aws/lambda/{name}"
    assert 0 < body["remaining"] <= 3000
    env = body["env"]
    assert env["AWS_ENDPOINT_URL"].startswith("http://") and env["AWS_SESSION_TOKEN"]
    assert env["AWS_REGION"] == "us-east-1" and env["_HANDLER"] == "index.handler"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_nodejs20.x" and env["MY_VAR"] == "mine"
    assert env["NODE_PATH"].split(":")[-1] == env["LAMBDA_TASK_ROOT"]
    log = base64.b64decode(response["LogResult"]).decode()
    line = next(x for x in log.splitlines() if "hello from" in x)
    stamp, request_id, level, message = line.split("\t")
    assert stamp.endswith("Z") and request_id == body["requestId"] and level == "INFO"
    assert message == f"hello from {name} {{ n: 1 }}"
    assert log.splitlines()[-2] == f"END RequestId: {request_id}"
    _, body = call(lam, name, {"a": 2})
    assert body["count"] == 2 and body["event"] == {"a": 2}


@needs_node
def test_node_callback_esm_and_module_packages(lam, role, name):
    callback = """
exports.handler = function (event, context, callback) {
  setTimeout(() => console.log("after the callback"), 50);
  callback(null, { sum: event.a + event.b });
};
exports.quick = (event, context, callback) => {
  context.callbackWaitsForEmptyEventLoop = false;
  setTimeout(() => {}, 2000);
  callback(null, "quick");
};
exports.failing = (event, context, callback) => callback(new TypeError("bad input"));
"""
    create(lam, role, name, {"index.js": callback})
    response, body = call(lam, name, {"a": 2, "b": 3}, LogType="Tail")
    assert body == {"sum": 5}
    assert "after the callback" in base64.b64decode(response["LogResult"]).decode()
    create(lam, role, name + "-q", {"index.js": callback}, handler="index.quick")
    _, body = call(lam, name + "-q")
    assert body == "quick"
    create(lam, role, name + "-f", {"index.js": callback}, handler="index.failing")
    response, body = call(lam, name + "-f")
    assert response["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("TypeError", "bad input")
    esm = "export const handler = async (event) => ({ esm: true, got: event.x });\n"
    create(lam, role, name + "-m", {"app/main.mjs": esm}, runtime="nodejs22.x", handler="app/main.handler")
    _, body = call(lam, name + "-m", {"x": 7})
    assert body == {"esm": True, "got": 7}
    typed = {"package.json": '{"type": "module"}', "index.js": esm.replace("true", "'typed'")}
    create(lam, role, name + "-t", typed)
    _, body = call(lam, name + "-t", {"x": 1})
    assert body == {"esm": "typed", "got": 1}


@needs_node
def test_node_errors(lam, role, name):
    thrown = """
class OrderFailed extends Error { constructor(m) { super(m); this.name = "OrderFailed"; } }
exports.handler = async () => { throw new OrderFailed("no stock"); };
exports.other = 1;
"""
    create(lam, role, name, {"index.js": thrown})
    response, body = call(lam, name, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("OrderFailed", "no stock")
    assert body["trace"][0] == "OrderFailed: no stock" and "index.js" in body["trace"][1]
    assert "\tERROR\tInvoke Error \t" in base64.b64decode(response["LogResult"]).decode()
    create(lam, role, name + "-i", {"index.js": thrown}, handler="nothere.handler")
    _, body = call(lam, name + "-i")
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Error: Cannot find module 'nothere'\nRequire stack:")
    create(lam, role, name + "-h", {"index.js": thrown}, handler="index.other")
    _, body = call(lam, name + "-h")
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "index.other is undefined or not exported"
    assert body["trace"][0] == "Runtime.HandlerNotFound: index.other is undefined or not exported"
    crash = "exports.handler = (e, c, cb) => { setTimeout(() => { throw new RangeError('late'); }, 10); };"
    create(lam, role, name + "-c", {"index.js": crash})
    for _ in range(2):  # the process exits after answering; the next invocation starts anew
        response, body = call(lam, name + "-c")
        assert (body["errorType"], body["errorMessage"]) == ("RangeError", "late")
    create(lam, role, name + "-s", {"index.js": "exports.handler = async () => {;"})
    _, body = call(lam, name + "-s")
    assert body["errorType"] == "Runtime.UserCodeSyntaxError"
    assert body["errorMessage"].startswith("SyntaxError: ")


PROVIDED = """#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    print("custom runtime got", event, flush=True)
    if event.get("fail"):
        body, kind = {"errorType": "Custom", "errorMessage": "asked to fail"}, "error"
    else:
        body, kind = {"handler": os.environ["_HANDLER"], "event": event}, "response"
    urllib.request.urlopen(urllib.request.Request(api + rid + "/" + kind, json.dumps(body).encode()))
"""


def test_provided_bootstrap(lam, role, name):
    files = {"bootstrap": PROVIDED}
    create(lam, role, name, files, runtime="provided.al2023", handler="my.handler", executable=("bootstrap",))
    response, body = call(lam, name, {"x": 1}, LogType="Tail")
    assert "FunctionError" not in response, body
    assert body == {"handler": "my.handler", "event": {"x": 1}}
    assert "custom runtime got {'x': 1}" in base64.b64decode(response["LogResult"]).decode()
    response, body = call(lam, name, {"fail": True})
    assert response["FunctionError"] == "Unhandled"
    assert body == {"errorType": "Custom", "errorMessage": "asked to fail"}


def test_provided_without_bootstrap_and_unsupported_runtimes(lam, role, name):
    create(lam, role, name, {"main.sh": "echo hi\n"}, runtime="provided.al2", handler="x")
    response, body = call(lam, name)
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].endswith(
        "Error: Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
    )
    create(lam, role, name + "-x", {"bootstrap": "#!/bin/sh\n"}, runtime="provided.al2023", handler="x")
    _, body = call(lam, name + "-x")
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"].endswith("/bootstrap: permission denied")
    create(lam, role, name + "-j", {"A.class": ""}, runtime="java21", handler="A::handle")
    with pytest.raises(ClientError) as exc:
        call(lam, name + "-j")
    code, message, status = error_of(exc)
    assert (code, status) == ("NotImplemented", 501)
    assert "java21" in message
