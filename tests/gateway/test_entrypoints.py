"""Entry points beyond the AWS API: claimed by host, path or condition before the AWS
dispatcher (and its S3 fallback), with their own CORS; extra listening ports."""

from __future__ import annotations

import http.client
import socket
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest

from cloudlet.gateway.entrypoints import EntryPoint, listen
from cloudlet.protocol.common import Response


@pytest.fixture
def server(cloudlet):
    if not hasattr(cloudlet, "app"):
        pytest.skip("needs the in-process test server")
    return cloudlet


def request(
    endpoint: str, method: str, path: str, headers: dict[str, str]
) -> tuple[int, dict[str, str], bytes]:
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def answer(text: str):
    def handle(front, req) -> Response:
        return Response(200, [("Content-Type", "text/plain")], f"{text} {req.method} {req.path}".encode())

    return handle


@pytest.fixture
def entries(server):
    added: list[str] = []

    def add(entry: EntryPoint) -> None:
        server.call(server.app.entry_points.add, entry)
        added.append(entry.name)

    yield add
    for name in added:
        server.call(server.app.entry_points.remove, name)


def test_a_host_pattern_is_claimed_before_the_s3_fallback(server, entries):
    entries(EntryPoint("test.hosts", answer("api"), host="*.execute-test.localhost"))
    status, _, body = request(
        server.endpoint, "GET", "/prod/pets", {"Host": "a1b2c3.execute-test.localhost:4566"}
    )
    assert (status, body) == (200, b"api GET /prod/pets")
    # The bare suffix is not a name under it: that stays with the AWS API (S3's bucket host).
    status, _, body = request(server.endpoint, "GET", "/prod/pets", {"Host": "execute-test.localhost"})
    assert not body.startswith(b"api")


def test_a_path_prefix_and_methods_are_claimed(server, entries):
    entries(EntryPoint("test.paths", answer("hook"), path="/_test_hooks/", methods=frozenset({"POST"})))
    status, _, body = request(server.endpoint, "POST", "/_test_hooks/x", {"Content-Length": "0"})
    assert (status, body) == (200, b"hook POST /_test_hooks/x")
    status, _, body = request(server.endpoint, "GET", "/_test_hooks/x", {})
    assert b"NoSuchBucket" in body  # GET is not claimed: S3 answers


def test_an_entry_point_gets_no_global_cors(server, entries):
    entries(EntryPoint("test.cors", answer("own"), host="*.cors-test.localhost"))
    status, headers, _ = request(
        server.endpoint, "GET", "/", {"Host": "x.cors-test.localhost", "Origin": "http://evil.example"}
    )
    assert status == 200
    assert "access-control-allow-origin" not in headers
    # The AWS API itself keeps answering browsers' CORS.
    _, headers, _ = request(server.endpoint, "GET", "/", {"Origin": "http://app.example"})
    assert headers.get("access-control-allow-origin") == "http://app.example"


def test_a_condition_that_does_not_hold_leaves_the_request_to_the_api(server, entries):
    entries(EntryPoint("test.when", answer("cond"), when=lambda front, req: "x-test-claim" in req.headers))
    _, _, body = request(server.endpoint, "GET", "/whatever", {"X-Test-Claim": "1"})
    assert body.startswith(b"cond")
    _, _, body = request(server.endpoint, "GET", "/whatever", {})
    assert not body.startswith(b"cond")


def test_an_extra_port_serves_its_own_handler_until_closed(server):
    def handler(req) -> Response:
        return Response(200, [], f"runtime api {req.path}".encode())

    listener = server.call(listen, handler)
    try:
        assert listener.port != urlsplit(server.endpoint).port
        url = f"http://{listener.address}/2018-06-01/runtime/invocation/next"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert resp.read() == b"runtime api /2018-06-01/runtime/invocation/next"
    finally:
        server.call(listener.close)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(url, timeout=2)


class _Echo:
    """A WebSocket handler that echoes, as an API Gateway WebSocket API will be reached."""

    async def on_open(self, ws) -> None:
        await ws.send("hello " + ws.request.host.split(".")[0])

    async def on_message(self, ws, data) -> None:
        await ws.send(data)

    async def on_close(self, ws, code: int, reason: str) -> None:
        pass


def test_a_websocket_entry_point_on_the_main_port(server, entries):
    from websockets.sync.client import connect

    entries(
        EntryPoint(
            "test.ws",
            lambda front, req: Response(101, [], b"", websocket=_Echo()),
            host="*.ws-test.localhost",
        )
    )
    port = urlsplit(server.endpoint).port
    sock = socket.create_connection(("127.0.0.1", port))
    with connect(f"ws://abc123.ws-test.localhost:{port}/prod", sock=sock) as ws:
        assert ws.recv(timeout=5) == "hello abc123"
        big = "x" * (1024 * 1024)
        ws.send(big)
        assert ws.recv(timeout=10) == big
        ws.send(b"\x00\x01")
        assert ws.recv(timeout=5) == b"\x00\x01"
