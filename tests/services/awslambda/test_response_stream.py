"""InvokeWithResponseStream: Node.js ``awslambda.streamifyResponse`` handlers and provided
runtimes streaming chunked responses (errors as trailers) through the Runtime API, functions
that answer in one piece, and the checks the operation shares with Invoke."""

from __future__ import annotations

import base64
import json
import os
import shutil
import sys
import time

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import error_of, make_zip
from tests.services.awslambda.test_runtimes import create

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no node executable")
in_process = pytest.mark.skipif(
    bool(os.environ.get("CLOUDLET_ENDPOINT")), reason="needs the in-process server"
)

NODE_STREAMING = """
exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  console.log("streaming for", context.awsRequestId);
  if (event.contentType) responseStream.setContentType(event.contentType);
  for (const word of event.words || []) {
    responseStream.write(word);
    await new Promise((resolve) => setTimeout(resolve, event.pause || 0));
  }
  if (event.fail) throw new Error(event.fail);
  if (event.crash) {
    setTimeout(() => { throw new TypeError(event.crash); }, 10);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  if (event.hang) await new Promise((resolve) => setTimeout(resolve, 60000));
  responseStream.end();
});
"""

NODE_HTTP = """
const { pipeline } = require("node:stream/promises");
const { Readable } = require("node:stream");
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const stream = awslambda.HttpResponseStream.from(responseStream, {
    statusCode: 201, headers: { "x-kind": "stream" }, cookies: ["a=1"],
  });
  if (event.empty) return stream.end();
  await pipeline(Readable.from(["<p>", "hello", "</p>"]), stream);
});
"""

# A provided runtime of the test's own: streams each piece as one chunk, then ends the body
# with or without the error trailers; prints the Runtime API's answer to the stream.
PROVIDED_STREAMING = f"""#!{sys.executable}
import base64, http.client, json, os, time

host, port = os.environ["AWS_LAMBDA_RUNTIME_API"].split(":")
while True:
    c = http.client.HTTPConnection(host, int(port))
    c.request("GET", "/2018-06-01/runtime/invocation/next")
    r = c.getresponse()
    rid = r.getheader("Lambda-Runtime-Aws-Request-Id")
    event = json.loads(r.read())
    c.close()
    c = http.client.HTTPConnection(host, int(port))
    c.putrequest("POST", f"/2018-06-01/runtime/invocation/{{rid}}/response")
    c.putheader("Lambda-Runtime-Function-Response-Mode", "streaming")
    c.putheader("Transfer-Encoding", "chunked")
    c.putheader("Trailer", "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body")
    c.putheader("Content-Type", "text/csv")
    c.endheaders()
    for piece in event["pieces"]:
        data = piece.encode()
        c.send(b"%x\\r\\n%s\\r\\n" % (len(data), data))
        time.sleep(event.get("pause", 0))
    if event.get("fail"):
        error = {{"errorType": "CsvError", "errorMessage": event["fail"]}}
        body = base64.b64encode(json.dumps(error).encode()).decode()
        c.send(("0\\r\\nLambda-Runtime-Function-Error-Type: CsvError\\r\\n"
                f"Lambda-Runtime-Function-Error-Body: {{body}}\\r\\n\\r\\n").encode())
    else:
        c.send(b"0\\r\\n\\r\\n")
    r = c.getresponse()
    print("runtime api answered", r.status, r.read().decode(), flush=True)
    c.close()
"""


def stream(lam, name, event=None, **extra) -> tuple[dict, list[tuple[float, dict]]]:
    """The response and its events, each with the time it arrived."""
    response = lam.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps(event if event is not None else {}), **extra
    )
    events = [(time.monotonic(), e) for e in response["EventStream"]]
    return response, events


def chunks(events) -> list[bytes]:
    return [e["PayloadChunk"]["Payload"] for _, e in events if "PayloadChunk" in e]


def complete(events) -> dict:
    last = events[-1][1]
    assert list(last) == ["InvokeComplete"], events
    assert sum(1 for _, e in events if "InvokeComplete" in e) == 1
    return last["InvokeComplete"]


# ---- Node.js streaming handlers ---------------------------------------------------------------


@needs_node
def test_node_stream_reaches_the_client_as_written(lam, role, name):
    create(lam, role, name, {"index.js": NODE_STREAMING}, Timeout=10)
    event = {"words": ["one", "two", "three"], "pause": 700, "contentType": "text/plain"}
    response, events = stream(lam, name, event, LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["ExecutedVersion"] == "$LATEST"
    assert response["ResponseStreamContentType"] == "application/vnd.amazon.eventstream"
    assert response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert chunks(events) == [b"one", b"two", b"three"]  # one event per write
    done = complete(events)
    assert set(done) == {"LogResult"}
    log = base64.b64decode(done["LogResult"]).decode()
    assert "START RequestId" in log and "streaming for" in log and "REPORT RequestId" in log
    # the first chunk came while the function still ran (it pauses 0.7 s after each write)
    first = next(t for t, e in events if "PayloadChunk" in e)
    assert events[-1][0] - first > 1.0


@needs_node
def test_node_stream_errors_timeouts_and_plain_invoke(lam, role, name):
    create(lam, role, name, {"index.js": NODE_STREAMING}, Timeout=2)
    _, events = stream(lam, name, {"words": ["partial"], "fail": "broke mid-stream"})
    assert chunks(events) == [b"partial"]
    assert complete(events) == {"ErrorCode": "Unhandled", "ErrorDetails": "broke mid-stream"}
    # the environment survives a failed stream; Invoke buffers a streamed response
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"words": ["a", "b"]}))
    assert answer["Payload"].read() == b"ab" and "FunctionError" not in answer
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"words": ["a"], "fail": "nope"}))
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read())["errorMessage"] == "nope"
    # a function that runs past its timeout: the chunks sent, then Lambda's own error
    _, events = stream(lam, name, {"words": ["early"], "hang": True})
    assert chunks(events) == [b"early"]
    done = complete(events)
    assert done["ErrorCode"] == "Sandbox.Timedout"
    assert done["ErrorDetails"].endswith("Task timed out after 2.00 seconds")
    _, events = stream(lam, name, {"words": ["again"]})  # a fresh environment
    assert chunks(events) == [b"again"] and complete(events) == {}
    # an uncaught exception mid-stream: the error, then the process exits and is replaced
    _, events = stream(lam, name, {"words": ["before"], "crash": "uncaught"})
    assert chunks(events) == [b"before"]
    assert complete(events) == {"ErrorCode": "Unhandled", "ErrorDetails": "uncaught"}
    _, events = stream(lam, name, {"words": ["after"]})
    assert chunks(events) == [b"after"] and complete(events) == {}


NODE_LARGE = """
const { once } = require("node:events");
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const piece = Buffer.alloc(65536, 97);
  for (let i = 0; i < event.pieces; i++) {
    if (!responseStream.write(piece)) await once(responseStream, "drain");
  }
  responseStream.end();
});
"""


@needs_node
def test_a_stream_larger_than_invoke_allows_arrives_whole(lam, role, name):
    create(lam, role, name, {"index.js": NODE_LARGE}, Timeout=30)
    _, events = stream(lam, name, {"pieces": 128})  # 8 MB: Invoke's answers stop at 6 MB
    body = b"".join(chunks(events))
    assert len(body) == 128 * 65536 and set(body) == {ord("a")}
    assert complete(events) == {}


@needs_node
def test_node_http_response_stream_prelude(lam, role, name):
    create(lam, role, name, {"index.js": NODE_HTTP})
    _, events = stream(lam, name)
    body = b"".join(chunks(events))
    prelude, _, rest = body.partition(b"\0" * 8)
    assert json.loads(prelude) == {"statusCode": 201, "headers": {"x-kind": "stream"}, "cookies": ["a=1"]}
    assert rest == b"<p>hello</p>"
    assert complete(events) == {}
    _, events = stream(lam, name, {"empty": True})  # ended without a byte: the prelude alone
    assert b"".join(chunks(events)).endswith(b"}" + b"\0" * 8)


NODE_MISUSED = """
const sync = awslambda.streamifyResponse((event, responseStream) => { responseStream.write("x"); });
const open = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write("started");
  return "ignored";
});
const never = awslambda.streamifyResponse(async () => {});
const late = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write("a");
  setTimeout(() => { responseStream.write("b"); responseStream.end(); }, 300);
});
const destroyed = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write("a");
  responseStream.destroy(new RangeError("gave up"));
});
module.exports = { sync, open, never, late, destroyed };
"""


@needs_node
def test_node_streaming_handlers_used_wrongly(lam, role, name):
    create(lam, role, name, {"index.js": NODE_MISUSED}, handler="index.sync", Timeout=1)
    _, events = stream(lam, name)
    assert complete(events) == {
        "ErrorCode": "Unhandled",
        "ErrorDetails": "Streaming does not support non-async handlers.",
    }
    for handler, expected, done in (
        # returned with its response open: as on AWS, that keeps the function running
        ("open", [b"started"], {"ErrorCode": "Sandbox.Timedout"}),
        # returned without a byte, nothing left that could end the stream
        ("never", [], {"ErrorCode": "Unhandled", "ErrorDetails": "Response stream is not finished."}),
        ("late", [b"a", b"b"], {}),  # returned before its stream ended: waited for
        ("destroyed", [b"a"], {"ErrorCode": "Unhandled", "ErrorDetails": "gave up"}),
    ):
        lam.update_function_configuration(FunctionName=name, Handler=f"index.{handler}")
        _, events = stream(lam, name, LogType="Tail")
        assert chunks(events) == expected, handler
        result = complete(events)
        log = base64.b64decode(result.pop("LogResult")).decode()
        if handler == "open":
            result.pop("ErrorDetails")
        assert result == done, handler
        if handler == "open":
            assert "Streaming handlers ignore return values." in log


@needs_node
def test_node_handler_without_streamify_answers_in_one_piece(lam, role, name):
    source = "exports.handler = async (event) => ({ got: event, list: [1, 2, 3] });"
    create(lam, role, name, {"index.js": source})
    _, events = stream(lam, name, {"x": 1})
    assert chunks(events) == [b'{"got":{"x":1},"list":[1,2,3]}']
    assert complete(events) == {}


@needs_node
def test_a_client_that_stops_reading_leaves_the_function_running(lam, role, name):
    create(lam, role, name, {"index.js": NODE_STREAMING}, Timeout=10)
    response = lam.invoke_with_response_stream(
        FunctionName=name, Payload=json.dumps({"words": ["one", "two"], "pause": 300})
    )
    events = iter(response["EventStream"])
    assert next(events) == {"PayloadChunk": {"Payload": b"one"}}
    response["EventStream"].close()
    _, events = stream(lam, name, {"words": ["next"]})
    assert chunks(events) == [b"next"] and complete(events) == {}


# ---- functions that do not stream -------------------------------------------------------------


def test_python_handler_answers_as_one_chunk(lam, function):
    _, events = stream(lam, function, {"a": [1, 2], "b": "x"}, LogType="Tail")
    assert chunks(events) == [b'{"a": [1, 2], "b": "x"}']
    done = complete(events)
    assert set(done) == {"LogResult"}
    assert "END RequestId" in base64.b64decode(done["LogResult"]).decode()


def test_python_errors_and_oversized_answers_end_the_stream(lam, role, name):
    code = (
        "def handler(event, context):\n"
        "    if event.get('big'):\n"
        "        return 'x' * 7000000\n"
        "    raise ValueError('bad input: ' + event['why'])\n"
    )
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": code})},
    )
    _, events = stream(lam, name, {"why": "none"})
    assert chunks(events) == []
    assert complete(events) == {"ErrorCode": "Unhandled", "ErrorDetails": "bad input: none"}
    _, events = stream(lam, name, {"big": True})
    assert chunks(events) == []
    done = complete(events)
    assert done["ErrorCode"] == "Function.ResponseSizeTooLarge"
    assert "(6291556 bytes)" in done["ErrorDetails"]


# ---- provided runtimes streaming themselves -----------------------------------------------------


def test_provided_runtime_streams_chunks_and_fails_with_trailers(lam, role, name):
    files = {"bootstrap": PROVIDED_STREAMING}
    create(lam, role, name, files, runtime="provided.al2023", handler="x", executable=("bootstrap",))
    event = {"pieces": ["id,name\n", "1,ann\n", "2,bob\n"], "pause": 0.5}
    _, events = stream(lam, name, event, LogType="Tail")
    assert chunks(events) == [b"id,name\n", b"1,ann\n", b"2,bob\n"]
    first = next(t for t, e in events if "PayloadChunk" in e)
    assert events[-1][0] - first > 0.7
    done = complete(events)
    assert "runtime api answered 202" in base64.b64decode(done["LogResult"]).decode()

    _, events = stream(lam, name, {"pieces": ["id,name\n", "1,ann\n"], "fail": "row 3 is bad"})
    assert chunks(events) == [b"id,name\n", b"1,ann\n"]
    assert complete(events) == {"ErrorCode": "Unhandled", "ErrorDetails": "row 3 is bad"}

    # Invoke gets the whole body, or the error the trailers carried
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"pieces": ["a", "b", "c"]}))
    assert answer["Payload"].read() == b"abc"
    answer = lam.invoke(FunctionName=name, Payload=json.dumps({"pieces": ["a"], "fail": "no"}))
    assert answer["FunctionError"] == "Unhandled"
    assert json.loads(answer["Payload"].read()) == {"errorType": "CsvError", "errorMessage": "no"}


@in_process
def test_a_stream_past_the_limit_is_cut(lam, role, name, monkeypatch):
    from cloudlet.services.awslambda import environment

    monkeypatch.setattr(environment, "MAX_STREAMED", 10)  # AWS's is 200 MB
    files = {"bootstrap": PROVIDED_STREAMING}
    create(lam, role, name, files, runtime="provided.al2023", handler="x", executable=("bootstrap",))
    _, events = stream(lam, name, {"pieces": ["12345", "67890", "abcde", "fghij"]})
    assert chunks(events) == [b"12345", b"67890"]
    done = complete(events)
    assert done["ErrorCode"] == "Function.ResponseSizeTooLarge"
    assert done["ErrorDetails"] == "Response payload size exceeded maximum allowed payload size (10 bytes)."


# ---- the checks shared with Invoke --------------------------------------------------------------


def test_qualifiers_pick_the_version(lam, role, name):
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": "def handler(e, c):\n    return c.function_version\n"})},
        Publish=True,
    )
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    for qualifier, version in (("live", "1"), ("1", "1"), ("$LATEST", "$LATEST")):
        response, events = stream(lam, name, Qualifier=qualifier)
        assert response["ExecutedVersion"] == version
        assert chunks(events) == [json.dumps(version).encode()]
    response, events = stream(lam, f"{name}:live")
    assert response["ExecutedVersion"] == "1"
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=name, Qualifier="nope")
    assert error_of(exc)[0] == "ResourceNotFoundException" and error_of(exc)[2] == 404
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=name + "-missing")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_dry_run_and_bad_input(lam, lam_raw, function, role, name):
    response = lam.invoke_with_response_stream(FunctionName=function, InvocationType="DryRun")
    assert response["StatusCode"] == 204
    assert list(response["EventStream"]) == []
    with pytest.raises(ClientError) as exc:
        lam_raw.invoke_with_response_stream(FunctionName=function, InvocationType="Event")
    assert error_of(exc)[0] == "ValidationException" and error_of(exc)[2] == 400
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=function, Payload=b"{not json")
    assert error_of(exc)[0] == "InvalidRequestContentException"
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=function, ClientContext="%%%")
    assert error_of(exc)[0] == "InvalidRequestContentException"
    for not_an_object in (b"not json", b"[1, 2]"):  # base64 of something other than a JSON object
        with pytest.raises(ClientError) as exc:
            lam.invoke(FunctionName=function, ClientContext=base64.b64encode(not_an_object).decode())
        assert error_of(exc)[:2] == (
            "InvalidRequestContentException",
            "Client context must be a valid Base64-encoded JSON object.",
        )
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=function, Payload=b'"' + b"x" * 6291456 + b'"')
    assert error_of(exc) == (
        "RequestEntityTooLargeException",
        "Request must be smaller than 6291456 bytes for the InvokeFunction operation",
        413,
    )
    java = name + "-java"
    lam.create_function(
        FunctionName=java, Runtime="java21", Role=role, Handler="a.B::h", Code={"ZipFile": make_zip()}
    )
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=java)
    code, message, status = error_of(exc)
    assert (code, status) == ("NotImplemented", 501)
    assert "InvokeWithResponseStream (runtime java21" in message


def test_throttles_answer_before_the_stream(lam, function):
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as exc:
        lam.invoke_with_response_stream(FunctionName=function)
    assert error_of(exc)[0] == "TooManyRequestsException" and error_of(exc)[2] == 429
    assert exc.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
