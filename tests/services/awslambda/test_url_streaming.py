"""Function URLs with ``InvokeMode: RESPONSE_STREAM``: the answer streams as the function writes
it (Node.js ``streamifyResponse``), status and headers from an ``HttpResponseStream`` prelude,
502 for a failure before the first byte and a cut answer after it; functions that do not stream
answer their raw result; BUFFERED URLs still answer once the function is done."""

from __future__ import annotations

import base64
import http.client
import json
import shutil
import time
from urllib.parse import urlsplit

import pytest
from tests.services.awslambda.test_function_urls import create as create_python
from tests.services.awslambda.test_function_urls import public_url
from tests.services.awslambda.test_runtimes import create

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="no node executable")

# One streaming handler, told what to do by the request's x-plan header (base64 of JSON).
NODE_URL = """
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  const plan = JSON.parse(Buffer.from(event.headers["x-plan"] || "e30=", "base64").toString());
  let out = responseStream;
  if (plan.prelude) out = awslambda.HttpResponseStream.from(responseStream, plan.prelude);
  else if (plan.contentType) responseStream.setContentType(plan.contentType);
  if (plan.failFirst) throw new Error(plan.failFirst);
  if (plan.echo) out.write(JSON.stringify(event));
  for (let i = 0; i < (plan.big || 0); i++) out.write(Buffer.alloc(65536, 97));
  for (const word of plan.words || []) {
    out.write(word);
    await sleep(plan.pause || 0);
  }
  if (plan.fail) throw new Error(plan.fail);
  if (plan.hang) await sleep(60000);
  out.end();
});
"""


class Streamed:
    """An answer read piece by piece as it arrives, each piece with its arrival time."""

    def __init__(self, response: http.client.HTTPResponse, sent: float) -> None:
        self.status = response.status
        self.headers = response.getheaders()
        self.sent = sent
        self.pieces: list[tuple[float, bytes]] = []
        self.complete = True
        try:
            while data := response.read1(1 << 20):
                self.pieces.append((time.monotonic(), data))
        except http.client.IncompleteRead:  # the connection closed before the body's end
            self.complete = False
        self.ended = time.monotonic()

    @property
    def body(self) -> bytes:
        return b"".join(data for _, data in self.pieces)

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]


def request(url: str, plan: dict | None = None, method: str = "GET", headers=None):
    """The response to a request to the URL's host, not yet read."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=60)
    sent = {"Host": parts.netloc, **(headers or {})}
    if plan is not None:
        sent["x-plan"] = base64.b64encode(json.dumps(plan).encode()).decode()
    started = time.monotonic()
    conn.request(method, "/path?q=1", headers=sent)
    return conn, conn.getresponse(), started


def fetch(url: str, plan: dict | None = None, method: str = "GET", headers=None) -> Streamed:
    conn, response, started = request(url, plan, method, headers)
    try:
        return Streamed(response, started)
    finally:
        conn.close()


@pytest.fixture
def streaming(lam, role, name) -> str:
    create(lam, role, name, {"index.js": NODE_URL}, Timeout=3)
    return public_url(lam, name, InvokeMode="RESPONSE_STREAM")


# ---- streaming ----------------------------------------------------------------------------------


@needs_node
def test_pieces_reach_the_client_as_written(streaming):
    answer = fetch(streaming, {"words": ["one", "two", "three"], "pause": 700, "contentType": "text/plain"})
    assert answer.status == 200 and answer.complete
    assert answer.header("Content-Type") == "text/plain"
    assert answer.header("Transfer-Encoding") == "chunked" and answer.header("Content-Length") is None
    assert answer.header("x-amzn-RequestId") and answer.header("X-Amzn-Trace-Id")
    assert answer.body == b"onetwothree"
    # the first piece came while the function still ran (it pauses 0.7 s after each write)
    first, last = answer.pieces[0], answer.pieces[-1]
    assert first[1] == b"one"
    assert last[0] - first[0] > 1.0


@needs_node
def test_plain_stream_defaults_to_octet_stream_and_sees_the_url_event(streaming):
    answer = fetch(streaming, {"echo": True}, headers={"Cookie": "a=1; b=2"})
    assert answer.status == 200 and answer.complete
    assert answer.header("Content-Type") == "application/octet-stream"
    event = json.loads(answer.body)
    assert event["version"] == "2.0" and event["rawPath"] == "/path"
    assert event["queryStringParameters"] == {"q": "1"} and event["cookies"] == ["a=1", "b=2"]
    assert event["requestContext"]["requestId"] == answer.header("x-amzn-RequestId")


@needs_node
def test_http_response_stream_prelude(streaming):
    prelude = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/html", "x-kind": "stream", "Content-Length": "999"},
        "cookies": ["a=1; Path=/", "b=2"],
    }
    answer = fetch(streaming, {"prelude": prelude, "words": ["<p>", "hello", "</p>"], "pause": 300})
    assert answer.status == 201 and answer.complete
    assert answer.header("Content-Type") == "text/html"
    assert answer.header("x-kind") == "stream"
    assert answer.all("Set-Cookie") == ["a=1; Path=/", "b=2"]
    assert answer.header("Content-Length") is None  # the function's framing headers are dropped
    assert answer.body == b"<p>hello</p>"  # the prelude and its 8 null bytes are not sent
    assert answer.pieces[-1][0] - answer.pieces[0][0] > 0.4
    # no body: the prelude alone; no statusCode or Content-Type: 200, octet-stream
    answer = fetch(streaming, {"prelude": {"headers": {"x-kind": "empty"}}})
    assert (answer.status, answer.body, answer.complete) == (200, b"", True)
    assert answer.header("Content-Type") == "application/octet-stream"
    assert answer.header("x-kind") == "empty"


@needs_node
def test_prelude_statuses_without_a_body(streaming):
    answer = fetch(streaming, {"prelude": {"statusCode": 204}, "words": ["dropped"]})
    assert answer.status == 204 and answer.body == b""
    answer = fetch(streaming, {"prelude": {"statusCode": "404"}, "words": ["missing"]})
    assert (answer.status, answer.body) == (404, b"missing")


@needs_node
@pytest.mark.parametrize(
    "prelude",
    [
        {"statusCode": 200, "headers": {"x-evil": "a\r\nSet-Cookie: stolen=1"}},
        {"statusCode": 200, "headers": {"bad name": "x"}},
        {"statusCode": 99},
        {"statusCode": "teapot"},
        {"statusCode": 200, "headers": ["x-a", "b"]},
        {"statusCode": 200, "cookies": "a=1"},
        {"statusCode": 200, "headers": {"x-a": {"nested": True}}},
    ],
)
def test_preludes_that_cannot_be_answered_are_502(streaming, prelude):
    answer = fetch(streaming, {"prelude": prelude, "words": ["body"]})
    assert answer.status == 502 and answer.body == b"Internal Server Error"
    assert answer.header("Set-Cookie") is None


@needs_node
def test_a_stream_larger_than_a_buffered_answer_arrives_whole(streaming):
    answer = fetch(streaming, {"big": 128})  # 8 MB: a BUFFERED URL stops at 6 MB
    assert answer.status == 200 and answer.complete
    assert len(answer.body) == 128 * 65536 and set(answer.body) == {ord("a")}


@needs_node
def test_cors_headers_apply_to_streamed_answers(lam, role, name):
    create(lam, role, name, {"index.js": NODE_URL})
    url = public_url(
        lam,
        name,
        InvokeMode="RESPONSE_STREAM",
        Cors={"AllowOrigins": ["https://app.example"], "ExposeHeaders": ["x-kind"]},
    )
    prelude = {"statusCode": 200, "headers": {"x-kind": "s", "Access-Control-Allow-Origin": "*"}}
    answer = fetch(url, {"prelude": prelude, "words": ["a"]}, headers={"Origin": "https://app.example"})
    assert answer.status == 200 and answer.body == b"a"
    assert answer.all("Access-Control-Allow-Origin") == ["https://app.example"]
    assert answer.header("Access-Control-Expose-Headers") == "x-kind"
    failed = fetch(url, {"failFirst": "no"}, headers={"Origin": "https://app.example"})
    assert failed.status == 502
    assert failed.header("Access-Control-Allow-Origin") == "https://app.example"


# ---- failures -----------------------------------------------------------------------------------


@needs_node
def test_failure_before_the_first_byte_is_502(streaming):
    for plan in (
        {"failFirst": "before anything"},
        {"prelude": {"statusCode": 201}, "failFirst": "after the prelude"},
        {"contentType": "text/plain", "fail": "nothing written"},
    ):
        answer = fetch(streaming, plan)
        assert answer.status == 502, plan
        assert answer.body == b"Internal Server Error" and answer.complete
        assert answer.header("Content-Type") == "application/json"
        assert answer.header("x-amzn-RequestId")


@needs_node
def test_failure_after_the_first_byte_cuts_the_answer(streaming):
    answer = fetch(streaming, {"words": ["partial", "more"], "pause": 200, "fail": "broke mid-stream"})
    assert answer.status == 200
    assert answer.body == b"partialmore"
    assert not answer.complete  # the connection closed before the chunked body's end
    # the function's timeout (3 s) mid-stream ends it the same way
    answer = fetch(streaming, {"words": ["early"], "hang": True})
    assert (answer.status, answer.body, answer.complete) == (200, b"early", False)
    assert answer.ended - answer.sent > 2.5
    # the URL keeps working afterwards
    answer = fetch(streaming, {"words": ["fine"]})
    assert (answer.status, answer.body, answer.complete) == (200, b"fine", True)


@needs_node
def test_a_client_that_leaves_early_leaves_the_function_running(streaming):
    conn, response, _ = request(streaming, {"words": ["one", "two", "three"], "pause": 300})
    assert response.status == 200
    assert response.read1(1 << 20) == b"one"
    conn.close()
    answer = fetch(streaming, {"words": ["next"]})
    assert (answer.status, answer.body, answer.complete) == (200, b"next", True)


@needs_node
def test_head_gets_the_head_alone(streaming):
    conn, response, _ = request(streaming, {"contentType": "text/csv", "words": ["a,b"]}, method="HEAD")
    assert response.status == 200
    assert response.getheader("Content-Type") == "text/csv"
    assert response.read() == b""
    conn.close()
    assert fetch(streaming, {"words": ["after"]}).body == b"after"


@needs_node
def test_throttled_before_the_stream(lam, streaming, name):
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    answer = fetch(streaming, {"words": ["x"]})
    assert answer.status == 429
    assert answer.header("x-amzn-ErrorType") == "TooManyRequestsException"
    assert answer.header("Content-Length") is not None


# ---- functions that do not stream, and BUFFERED URLs ---------------------------------------------


def test_python_function_under_a_streaming_url(lam, role, name):
    create_python(lam, role, name)
    url = public_url(lam, name, InvokeMode="RESPONSE_STREAM")
    answer = fetch(url, headers={"x-return": base64.b64encode(b'{"statusCode": 418, "body": "t"}').decode()})
    assert answer.status == 200 and answer.complete  # the result as it is, not its statusCode
    assert answer.header("Content-Type") == "application/octet-stream"
    assert answer.header("Content-Length") == str(len(answer.body))
    assert json.loads(answer.body) == {"statusCode": 418, "body": "t"}
    answer = fetch(url, headers={"x-fail": "1"})
    assert answer.status == 502 and answer.body == b"Internal Server Error"


@needs_node
def test_node_function_that_does_not_stream_under_a_streaming_url(lam, role, name):
    source = "exports.handler = async (event) => ({ statusCode: 418, body: event.rawPath });"
    create(lam, role, name, {"index.js": source})
    url = public_url(lam, name, InvokeMode="RESPONSE_STREAM")
    answer = fetch(url)
    assert answer.status == 200
    assert json.loads(answer.body) == {"statusCode": 418, "body": "/path"}


@needs_node
def test_buffered_url_answers_once_the_function_is_done(lam, role, name):
    create(lam, role, name, {"index.js": NODE_URL})
    url = public_url(lam, name)  # BUFFERED, the default
    answer = fetch(url, {"words": ["one", "two", "three"], "pause": 400})
    assert answer.status == 200 and answer.complete
    assert answer.body == b"onetwothree"
    assert answer.header("Content-Length") == "11" and answer.header("Transfer-Encoding") is None
    assert answer.pieces[0][0] - answer.sent > 1.0  # nothing arrived before the function ended
    answer = fetch(url, {"words": ["partial"], "fail": "broke"})
    assert answer.status == 502 and answer.body == b"Internal Server Error"
