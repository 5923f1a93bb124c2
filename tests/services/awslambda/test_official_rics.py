"""AWS's own runtime interface clients, unmodified, as the ``bootstrap`` of provided.al2023
functions: ``awslambdaric`` (PyPI, the test extra) and ``aws-lambda-ric`` (npm, a native addon
built from source on install; installed once per version and Node.js into a cache outside the
repository, then shipped as a layer with ``bin/aws-lambda-ric`` on ``PATH``, as on AWS).
Both read the Runtime API strictly: the invocation headers, the status codes, the X-Ray error
cause header, the environment variables."""

from __future__ import annotations

import base64
import fcntl
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
import zipfile
from pathlib import Path

import pytest
from tests.services.awslambda.test_response_stream import chunks, complete, stream
from tests.services.awslambda.test_runtimes import call, create

NODE_RIC_VERSION = "4.0.2"
# what `npm install aws-lambda-ric` runs: tar -xJ (xz), curl's ./configure and make, cmake for
# aws-lambda-cpp, node-gyp (python3, a C++ compiler) for the addon
NODE_RIC_TOOLS = ("node", "npm", "xz", "make", "cmake", "cc", "c++", "python3")
BIG = 200_000  # an error message this long makes an X-Ray cause header over 64 KB


def provided(lam, role, name, files, handler, **extra) -> None:
    executable = ("bootstrap",) if "bootstrap" in files else ()
    create(lam, role, name, files, runtime="provided.al2023", handler=handler, executable=executable, **extra)


def log_of(response) -> list[str]:
    return base64.b64decode(response["LogResult"]).decode().splitlines()


def client_context(value: dict) -> str:
    return base64.b64encode(json.dumps(value, ensure_ascii=False).encode()).decode()


CONTEXT = {"custom": {"note": "café ✓"}, "env": {"locale": "fr"}, "client": {"installation_id": "i-1"}}


# ---- Python: awslambdaric --------------------------------------------------------------------

PY_BOOTSTRAP = f'#!/bin/sh\nexec {sys.executable} -m awslambdaric "$_HANDLER"\n'

PY_APP = """
import logging, os
count = 0
logger = logging.getLogger()
logger.setLevel(logging.INFO)

class OrderFailed(Exception):
    pass

def handler(event, context):
    global count
    count += 1
    print("hello from", context.function_name)
    logger.info("count is %d", count)
    if event.get("fail"):
        raise OrderFailed(event["fail"] * event.get("times", 1))
    cc = context.client_context
    return {
        "count": count, "event": event, "id": context.aws_request_id,
        "remaining": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn,
        "name": context.function_name, "version": context.function_version,
        "memory": context.memory_limit_in_mb, "group": context.log_group_name,
        "stream": context.log_stream_name, "identity": context.identity.cognito_identity_id,
        "custom": cc and cc.custom, "env": cc and cc.env, "client": cc and cc.client.installation_id,
        "trace": os.environ.get("_X_AMZN_TRACE_ID"), "cwd": os.getcwd(),
        "root": os.environ["LAMBDA_TASK_ROOT"],
    }

def unserializable(event, context):
    return {"when": object()}
"""


@pytest.fixture(scope="module")
def awslambdaric():
    return pytest.importorskip(
        "awslambdaric", reason="awslambdaric (the test extra, Linux only) is not installed"
    )


def test_python_ric_context_logs_and_warm_reuse(lam, role, name, awslambdaric):
    provided(lam, role, name, {"bootstrap": PY_BOOTSTRAP, "app.py": PY_APP}, "app.handler", Timeout=5)
    version = lam.publish_version(FunctionName=name)["Version"]
    response, body = call(lam, name, {"a": 1}, LogType="Tail", ClientContext=client_context(CONTEXT))
    assert "FunctionError" not in response, body
    assert body["count"] == 1 and body["event"] == {"a": 1}
    assert body["arn"].endswith(f":function:{name}") and body["name"] == name
    assert (body["version"], body["memory"]) == ("$LATEST", "128")
    assert body["group"] == f"/aws/lambda/{name}"
    assert re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", body["stream"])
    assert 0 < body["remaining"] <= 5000
    # the client context reaches the client whole, non-ASCII text included
    assert body["custom"] == CONTEXT["custom"] and body["env"] == CONTEXT["env"]
    assert body["client"] == "i-1" and body["identity"] is None
    assert body["trace"].startswith("Root=1-") and body["cwd"] == body["root"]
    log = log_of(response)
    request_id = body["id"]
    assert log[0].startswith("INIT_START Runtime Version: provided:al2023")
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert f"hello from {name}" in log
    info = next(line for line in log if line.startswith("[INFO]"))
    level, stamp, logged_id, message = info.split("\t")
    assert level == "[INFO]"
    assert stamp.endswith("Z") and logged_id == request_id and message == "count is 1"
    assert log[-2] == f"END RequestId: {request_id}"
    assert log[-1].startswith(f"REPORT RequestId: {request_id}\t") and "Init Duration" in log[-1]

    response, body = call(lam, name, {"a": 2}, LogType="Tail")  # warm: module state kept
    assert body["count"] == 2 and body["custom"] is None and body["id"] != request_id
    assert "Init Duration" not in log_of(response)[-1]
    _, body = call(lam, name, Qualifier=version)
    assert body["arn"].endswith(f":function:{name}:{version}") and body["version"] == version


def test_python_ric_function_errors(lam, role, name, awslambdaric):
    provided(lam, role, name, {"bootstrap": PY_BOOTSTRAP, "app.py": PY_APP}, "app.handler")
    response, body = call(lam, name, {"fail": "no stock"}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("OrderFailed", "no stock")
    assert body["requestId"] and body["stackTrace"][0].startswith('  File "')
    assert "app.py" in body["stackTrace"][0] and "raise OrderFailed" in body["stackTrace"][0]
    log = log_of(response)
    assert "[ERROR] OrderFailed: no stock" in log
    assert log[log.index("[ERROR] OrderFailed: no stock") + 1] == "Traceback (most recent call last):"
    # the X-Ray cause header carries the message: a long one still reaches the Runtime API,
    # and the environment stays warm
    response, body = call(lam, name, {"fail": "x", "times": BIG})
    assert response["FunctionError"] == "Unhandled", body
    assert body["errorType"] == "OrderFailed" and len(body["errorMessage"]) == BIG
    _, body = call(lam, name)
    assert body["count"] == 3
    provided(lam, role, name + "-m", {"bootstrap": PY_BOOTSTRAP, "app.py": PY_APP}, "app.unserializable")
    response, body = call(lam, name + "-m")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.MarshalError"
    assert body["errorMessage"].startswith("Unable to marshal response: ")


@pytest.mark.parametrize(
    ("files", "handler", "error_type", "message"),
    [
        (
            {},
            "nothere.handler",
            "Runtime.ImportModuleError",
            "Unable to import module 'nothere': No module named 'nothere'",
        ),
        (
            {"app.py": PY_APP},
            "app.missing",
            "Runtime.HandlerNotFound",
            "Handler 'missing' missing on module 'app'",
        ),
        (
            {"bad.py": "def handler(:\n"},
            "bad.handler",
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module 'bad': ",
        ),
        ({"app.py": PY_APP}, "nodot", "Runtime.MalformedHandlerName", "Bad handler 'nodot': "),
    ],
    ids=["import", "handler", "syntax", "malformed"],
)
def test_python_ric_init_errors(lam, role, name, awslambdaric, files, handler, error_type, message):
    provided(lam, role, name, {"bootstrap": PY_BOOTSTRAP, **files}, handler)
    for _ in range(2):  # posted to /init/error each time: the failed environment is not kept
        response, body = call(lam, name, LogType="Tail")
        assert response["FunctionError"] == "Unhandled"
        assert body["errorType"] == error_type and body["errorMessage"].startswith(message)
        log = log_of(response)
        assert any(line.startswith(f"[ERROR] {error_type}: {message}") for line in log), log


# ---- Node.js: aws-lambda-ric -----------------------------------------------------------------


def _cache_root() -> Path:
    """Where built test dependencies are kept between runs: outside the repository and outside
    /tmp (an environment's process sees its own /tmp, not the host's)."""
    configured = os.environ.get("CLOUDLET_TEST_CACHE")
    if configured:
        return Path(configured)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "cloudlet-tests"


def _install_node_ric() -> Path:
    """``aws-lambda-ric`` installed with npm (its native addon compiled, ~45 s on 2 cores) once
    per version and Node.js; the package directory."""
    missing = [tool for tool in NODE_RIC_TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(
            f"npm install aws-lambda-ric@{NODE_RIC_VERSION} builds curl, aws-lambda-cpp and a "
            f"node-gyp addon from source; missing on PATH: {', '.join(missing)}"
        )
    node_version = subprocess.run(
        ["node", "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()
    home = _cache_root() / f"aws-lambda-ric-{NODE_RIC_VERSION}-node-{node_version}"
    package = home / "node_modules" / "aws-lambda-ric"
    home.parent.mkdir(parents=True, exist_ok=True)
    with open(home.parent / f"{home.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build for every xdist worker
        if (package / "rapid-client.node").is_file():
            return package
        staging = home.with_name(f"{home.name}.building-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        # npm 11 lists install scripts no allowScripts entry covers; a later npm blocks them
        manifest = {"private": True, "allowScripts": {f"aws-lambda-ric@{NODE_RIC_VERSION}": True}}
        (staging / "package.json").write_text(json.dumps(manifest))
        command = ["npm", "install", "--no-audit", "--no-fund", f"aws-lambda-ric@{NODE_RIC_VERSION}"]
        started = time.monotonic()
        try:
            done = subprocess.run(command, cwd=staging, capture_output=True, text=True, timeout=1200)
        except subprocess.TimeoutExpired:
            pytest.fail(f"{' '.join(command)} took over 20 minutes")
        built = staging / "node_modules" / "aws-lambda-ric" / "rapid-client.node"
        if done.returncode != 0 or not built.is_file():
            output = (done.stdout + done.stderr)[-4000:]
            pytest.fail(f"{' '.join(command)} failed (exit status {done.returncode}):\n{output}")
        sys.stderr.write(f"built aws-lambda-ric {NODE_RIC_VERSION} in {time.monotonic() - started:.0f} s\n")
        shutil.rmtree(home, ignore_errors=True)
        os.replace(staging, home)
        return package


def _layer_zip(package: Path) -> bytes:
    """The client as a runtime layer: its bundle and addon, and ``bin/aws-lambda-ric`` (what
    npm links into ``node_modules/.bin``), on ``PATH`` as /opt/bin is on AWS."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in ("index.mjs", "package.json", "rapid-client.node"):
            info = zipfile.ZipInfo(f"aws-lambda-ric/{file}")
            info.external_attr = 0o644 << 16
            archive.writestr(info, (package / file).read_bytes())
        info = zipfile.ZipInfo("bin/aws-lambda-ric")
        info.external_attr = 0o755 << 16
        archive.writestr(info, '#!/bin/sh\nexec node "$(dirname "$0")/../aws-lambda-ric/index.mjs" "$@"\n')
    return buffer.getvalue()


@pytest.fixture(scope="session")
def node_ric_layer(cloudlet) -> str:
    """The ARN of a layer version holding the built Node.js runtime client."""
    from cloudlet.testing.server import client

    package = _install_node_ric()
    lam = client("lambda", cloudlet.endpoint)
    layer = lam.publish_layer_version(
        LayerName=f"aws-lambda-ric-{uuid.uuid4().hex[:8]}",
        Content={"ZipFile": _layer_zip(package)},
        CompatibleRuntimes=["provided.al2023"],
    )
    return layer["LayerVersionArn"]


NODE_BOOTSTRAP = '#!/bin/sh\nexec aws-lambda-ric "$_HANDLER"\n'

NODE_APP = """
let count = 0;
class OrderFailed extends Error { constructor(m) { super(m); this.name = "OrderFailed"; } }
exports.handler = async (event, context) => {
  count += 1;
  console.log("hello from", context.functionName, { n: count });
  if (event.fail) throw new OrderFailed(event.fail.repeat(event.times || 1));
  return {
    count, event, id: context.awsRequestId, arn: context.invokedFunctionArn,
    remaining: context.getRemainingTimeInMillis(), name: context.functionName,
    version: context.functionVersion, memory: context.memoryLimitInMB,
    group: context.logGroupName, stream: context.logStreamName,
    clientContext: context.clientContext ?? null, identity: context.identity ?? null,
    trace: process.env._X_AMZN_TRACE_ID,
  };
};
exports.streaming = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.setContentType("text/plain");
  for (const word of event.words) {
    responseStream.write(word);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  if (event.fail) throw new OrderFailed(event.fail);
  responseStream.end();
});
"""


def node_function(lam, role, name, handler, layer, files=None, **extra) -> None:
    files = {"bootstrap": NODE_BOOTSTRAP, "index.js": NODE_APP} if files is None else files
    provided(lam, role, name, files, handler, Layers=[layer], **extra)


def test_node_ric_context_logs_and_warm_reuse(lam, role, name, node_ric_layer):
    node_function(lam, role, name, "index.handler", node_ric_layer, Timeout=5)
    response, body = call(lam, name, {"a": 1}, LogType="Tail", ClientContext=client_context(CONTEXT))
    assert "FunctionError" not in response, body
    assert body["count"] == 1 and body["event"] == {"a": 1}
    assert body["arn"].endswith(f":function:{name}") and body["name"] == name
    assert (body["version"], body["memory"], body["group"]) == ("$LATEST", "128", f"/aws/lambda/{name}")
    assert 0 < body["remaining"] <= 5000
    assert body["clientContext"] == CONTEXT and body["identity"] is None
    assert body["trace"].startswith("Root=1-")
    request_id = body["id"]
    log = log_of(response)
    line = next(x for x in log if "hello from" in x)
    stamp, logged_id, level, message = line.split("\t")
    assert stamp.endswith("Z") and logged_id == request_id and level == "INFO"
    assert message == f"hello from {name} {{ n: 1 }}"
    assert f"START RequestId: {request_id} Version: $LATEST" in log
    assert log[-2] == f"END RequestId: {request_id}" and "Init Duration" in log[-1]
    response, body = call(lam, name, {"a": 2}, LogType="Tail")
    assert body["count"] == 2 and body["clientContext"] is None
    assert "Init Duration" not in log_of(response)[-1]


def test_node_ric_errors(lam, role, name, node_ric_layer):
    node_function(lam, role, name, "index.handler", node_ric_layer)
    response, body = call(lam, name, {"fail": "no stock"}, LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert (body["errorType"], body["errorMessage"]) == ("OrderFailed", "no stock")
    assert body["trace"][0] == "OrderFailed: no stock" and "index.js" in body["trace"][1]
    assert any("\tERROR\tInvoke Error \t" in line for line in log_of(response))
    response, body = call(lam, name, {"fail": "x", "times": BIG})  # a long X-Ray cause header
    assert response["FunctionError"] == "Unhandled", body
    assert body["errorType"] == "OrderFailed" and len(body["errorMessage"]) == BIG
    _, body = call(lam, name)
    assert body["count"] == 3  # the same environment throughout
    node_function(lam, role, name + "-i", "nothere.handler", node_ric_layer)
    response, body = call(lam, name + "-i", LogType="Tail")
    assert response["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Error: Cannot find module 'nothere'")
    assert any("\tERROR\tInit Error \t" in line for line in log_of(response))
    node_function(lam, role, name + "-h", "index.missing", node_ric_layer)
    _, body = call(lam, name + "-h")
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "index.missing is undefined or not exported"


def test_node_ric_streams_a_response(lam, role, name, node_ric_layer):
    node_function(lam, role, name, "index.streaming", node_ric_layer, Timeout=10)
    response, events = stream(lam, name, {"words": ["one", "two", "three"]})
    assert response["StatusCode"] == 200
    assert b"".join(chunks(events)) == b"onetwothree"
    assert len(chunks(events)) == 3  # each write reached the caller as it was made
    assert complete(events) == {}
    _, events = stream(lam, name, {"words": ["half"], "fail": "broken"})
    assert b"".join(chunks(events)) == b"half"
    assert complete(events) == {"ErrorCode": "Unhandled", "ErrorDetails": "broken"}  # as for our Node runtime
