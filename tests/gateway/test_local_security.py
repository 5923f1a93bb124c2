"""Local security: what a web page next to Cloudlet can send changes nothing.

XML is parsed with DTDs refused in any encoding; the admin API answers no preflight, sends no
CORS headers, refuses what a page could send to a route that changes state and answers only
to the server's own names (DNS rebinding); the data directory is its owner's; the last-resort
500 speaks the protocol of the request.
"""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudlet.config import Config
from cloudlet.testing.server import ServerThread, free_port

from .botocalls import make_client, parse_reply, send

_SIGNATURE = "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64


def scoped(service: str) -> dict[str, str]:
    """A credential scope for ``service``, of an access key whose secret Cloudlet does not know
    (so its signature is not checked)."""
    scope = f"AKIDUNKNOWNSECRET/20240101/us-east-1/{service}/aws4_request"
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, {_SIGNATURE}",
        "X-Amz-Date": "20240101T000000Z",
    }


@pytest.fixture(scope="module")
def own_server() -> Iterator[ServerThread]:
    """A server of this module's own: the tests try to reset it and move its clock."""
    server = ServerThread().start()
    try:
        yield server
    finally:
        server.stop()


def _port(server: ServerThread) -> int:
    return server.config.port


# ---- XML ------------------------------------------------------------------------------------

_LAUGHS = '<!DOCTYPE Tagging [<!ENTITY a "{a}">]>'.format(a="ha" * 500)
_TAGGING = "<Tagging><TagSet><Tag><Key>k</Key><Value>{value}</Value></Tag></TagSet></Tagging>"


def _bomb(encoding: str) -> bytes:
    """An entity expanded many times (expat's own amplification limit lets this one through)."""
    text = f'<?xml version="1.0" encoding="{encoding}"?>' + _LAUGHS + _TAGGING.format(value="&a;" * 400)
    return text.encode(encoding)


@pytest.fixture
def tagged_bucket(cloudlet) -> Iterator[str]:
    s3 = make_client("s3", cloudlet.endpoint)
    name = f"xml-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=name)
    yield name
    s3.delete_bucket(Bucket=name)


@pytest.mark.parametrize("encoding", ["UTF-8", "UTF-16", "UTF-16-LE"])
def test_xml_with_entities_is_malformed_in_any_encoding(cloudlet, tagged_bucket, encoding):
    body = _bomb(encoding)
    if encoding == "UTF-16-LE":
        body = b"\xff\xfe" + body  # with a byte order mark
    reply = send(cloudlet.endpoint, "PUT", f"/{tagged_bucket}?tagging", scoped("s3"), body)
    parsed = parse_reply(reply, "rest-xml")
    assert (parsed.status, parsed.code) == (400, "MalformedXML")
    assert parsed.message == (
        "The XML you provided was not well-formed or did not validate against our published schema"
    )
    tags = send(cloudlet.endpoint, "GET", f"/{tagged_bucket}?tagging", scoped("s3"))
    assert parse_reply(tags, "rest-xml").code == "NoSuchTagSet"


def test_a_dtd_without_entities_is_refused_too(cloudlet, tagged_bucket):
    body = ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Tagging>' + _TAGGING.format(value="v")).encode(
        "utf-16"
    )
    reply = send(cloudlet.endpoint, "PUT", f"/{tagged_bucket}?tagging", scoped("s3"), body)
    assert parse_reply(reply, "rest-xml").code == "MalformedXML"


def test_utf16_xml_without_a_dtd_still_parses(cloudlet, tagged_bucket):
    body = ('<?xml version="1.0" encoding="UTF-16"?>' + _TAGGING.format(value="wide")).encode("utf-16")
    reply = send(cloudlet.endpoint, "PUT", f"/{tagged_bucket}?tagging", scoped("s3"), body)
    assert reply.status in (200, 204), reply.body
    s3 = make_client("s3", cloudlet.endpoint)
    assert s3.get_bucket_tagging(Bucket=tagged_bucket)["TagSet"] == [{"Key": "k", "Value": "wide"}]


# ---- admin API: CORS ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/_cloudlet/reset", "/_cloudlet/clock", "/_cloudlet/health", "/_localstack/health"]
)
def test_admin_preflights_allow_nothing(own_server, path):
    reply = send(
        own_server.endpoint,
        "OPTIONS",
        path,
        {"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
    )
    assert reply.status == 403
    assert not [h for h in reply.headers if h.startswith("access-control-")]
    assert reply.json()["message"]


@pytest.mark.parametrize("path", ["/_cloudlet/health", "/_cloudlet/state", "/_localstack/health"])
def test_admin_answers_carry_no_cors_headers(own_server, path):
    reply = send(own_server.endpoint, "GET", path, {"Origin": "http://evil.example"})
    assert reply.status == 200
    assert not [h for h in reply.headers if h.startswith("access-control-")]


def test_the_aws_api_keeps_its_cors(own_server):
    reply = send(
        own_server.endpoint,
        "OPTIONS",
        "/some-bucket/key",
        {"Origin": "http://app.example", "Access-Control-Request-Method": "PUT"},
    )
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "http://app.example"


# ---- admin API: requests a page can send ----------------------------------------------------


def _offset(server: ServerThread) -> float:
    return send(server.endpoint, "GET", "/_cloudlet/clock").json()["offset"]


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "application/x-www-form-urlencoded"},  # an HTML form, no Origin sent
        {"Content-Type": "text/plain;charset=UTF-8"},
        {"Content-Type": "multipart/form-data; boundary=x"},
        {"Content-Type": "application/json", "Origin": "http://evil.example"},
        {"Content-Type": "application/json", "Origin": "null"},
        {"Content-Type": "application/json", "Origin": "http://localhost:3000"},  # another local app
        {"Content-Type": "application/json", "Sec-Fetch-Site": "cross-site"},
        {"Content-Type": "application/json", "Sec-Fetch-Site": "same-site"},
    ],
)
def test_state_changing_admin_requests_a_page_could_send_are_refused(own_server, headers):
    before = _offset(own_server)
    reply = send(own_server.endpoint, "POST", "/_cloudlet/clock", headers, b'{"advance": 60}')
    assert reply.status == 403
    assert reply.json()["message"]
    assert not [h for h in reply.headers if h.startswith("access-control-")]
    assert _offset(own_server) == before


def test_a_form_post_cannot_reset(own_server):
    sts = make_client("sts", own_server.endpoint)
    sts.get_session_token()
    form = {"Content-Type": "application/x-www-form-urlencoded", "Origin": "http://evil.example"}
    reply = send(own_server.endpoint, "POST", "/_cloudlet/reset", form, b"x=1")
    assert reply.status == 403
    state = send(own_server.endpoint, "GET", "/_cloudlet/state").json()
    assert state["resources"], "nothing may have been wiped"


def test_a_page_of_the_server_itself_and_tools_may_change_state(own_server):
    port = _port(own_server)
    for headers in (
        {"Content-Type": "application/json"},  # curl, the CLI, SDK-based tools
        {},  # no body type at all
        {"Content-Type": "application/json", "Origin": f"http://127.0.0.1:{port}"},
        {
            "Content-Type": "application/json",
            "Origin": f"http://localhost:{port}",
            "Host": f"localhost:{port}",
        },
        {"Content-Type": "application/json", "Sec-Fetch-Site": "same-origin"},
    ):
        before = _offset(own_server)
        reply = send(own_server.endpoint, "POST", "/_cloudlet/clock", headers, b'{"advance": 1}')
        assert reply.status == 200, (headers, reply.body)
        assert reply.json()["offset"] == pytest.approx(before + 1)


def test_the_plugin_helpers_keep_working(own_server):
    offset = own_server.clock()["offset"]
    assert own_server.advance_clock(5)["offset"] == pytest.approx(offset + 5)


# ---- admin API: DNS rebinding ---------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    ["evil.example:{port}", "evil.example", "bucket.localhost:{port}", "localhost.evil.example", "a@b"],
)
def test_admin_requests_for_other_names_are_refused(own_server, host):
    host = host.format(port=_port(own_server))
    for method, path in (
        ("GET", "/_cloudlet/state"),
        ("GET", "/_cloudlet/clock"),
        ("POST", "/_cloudlet/reset"),
    ):
        reply = send(
            own_server.endpoint, method, path, {"Host": host, "Content-Type": "application/json"}, b"{}"
        )
        assert reply.status == 403, (method, path, reply.body)
        assert "--allowed-hosts" in reply.json()["message"]


@pytest.mark.parametrize(
    "host",
    [
        "localhost:{port}",
        "LOCALHOST",
        "127.0.0.1:{port}",
        "[::1]:{port}",
        "192.168.0.7:{port}",  # an address, which rebinding cannot use
        socket.gethostname() + ":{port}",
    ],
)
def test_admin_requests_for_own_names_are_answered(own_server, host):
    reply = send(
        own_server.endpoint, "GET", "/_cloudlet/health", {"Host": host.format(port=_port(own_server))}
    )
    assert reply.status == 200


@pytest.mark.parametrize("path", ["/_cloudlet/health", "/_localstack/health"])
def test_health_answers_only_own_names_too(own_server, path):
    """A probe under a name of its own adds it with --allowed-hosts (tested below)."""
    assert send(own_server.endpoint, "GET", path, {"Host": "docker:32768"}).status == 403


def test_the_aws_api_answers_any_name(own_server):
    headers = {
        **scoped("sts"),
        "Host": "cloudlet.internal:4566",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    reply = send(own_server.endpoint, "POST", "/", headers, b"Action=GetCallerIdentity&Version=2011-06-15")
    assert reply.status == 200, reply.body


def test_allowed_hosts_adds_names():
    server = ServerThread(
        Config(
            port=free_port(),
            in_memory=True,
            log_level="warning",
            allowed_hosts="cloudlet.internal, Proxy.Example",
        )
    ).start()
    try:
        for host in ("cloudlet.internal:4566", "proxy.example", "localhost"):
            assert send(server.endpoint, "GET", "/_cloudlet/state", {"Host": host}).status == 200
        assert send(server.endpoint, "GET", "/_cloudlet/state", {"Host": "other.example"}).status == 403
    finally:
        server.stop()


def test_allowed_hosts_from_the_environment():
    config = Config.from_env({"CLOUDLET_ALLOWED_HOSTS": "a.example,b.example"})
    assert config.extra_hosts == {"a.example", "b.example"}


# ---- file permissions -----------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_is_the_owners_only(tmp_path):
    data = tmp_path / "new" / "data"
    server = ServerThread(Config(port=free_port(), data_dir=str(data), log_level="warning")).start()
    try:
        make_client("sts", server.endpoint).get_session_token()  # a write: the WAL holds it
        assert _mode(data) == 0o700
        for name in ("cloudlet.db", "cloudlet.db-wal", "cloudlet.db-shm"):
            assert _mode(data / name) == 0o600, name
    finally:
        server.stop()


def test_an_existing_data_directory_is_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    for name in ("cloudlet.db", "cloudlet.db-wal"):
        (data / name).touch()
        (data / name).chmod(0o644)
    server = ServerThread(Config(port=free_port(), data_dir=str(data), log_level="warning")).start()
    try:
        assert _mode(data) == 0o700
        assert _mode(data / "cloudlet.db") == 0o600
        assert _mode(data / "cloudlet.db-wal") == 0o600
    finally:
        server.stop()


def test_a_detached_server_keeps_its_pid_and_log_files_private(tmp_path):
    data = tmp_path / "detached"
    args = ["--port", str(free_port()), "--data-dir", str(data)]

    def cli(*argv: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "cloudlet", *argv],
            capture_output=True,
            text=True,
            timeout=60,
            env=os.environ,
        )

    started = cli("start", "--detach", *args)
    assert started.returncode == 0, started.stderr
    try:
        assert _mode(data) == 0o700
        for name in ("cloudlet.pid", "cloudlet.log", "cloudlet.db"):
            assert _mode(data / name) == 0o600, name
        assert cli("clock", "advance", "60", *args).returncode == 0  # the CLI still drives the admin API
        assert cli("reset", "--yes", *args).returncode == 0
    finally:
        cli("stop", *args)


# ---- the last-resort 500 --------------------------------------------------------------------


@pytest.fixture
def failing_server() -> Iterator[ServerThread]:
    """A server whose dispatcher fails (at once or later) on paths under ``/boom``."""
    server = ServerThread().start()
    handle = server.app.dispatcher.handle

    def failing(request):
        if request.path.startswith("/boom-now"):
            raise RuntimeError("boom")
        if request.path.startswith("/boom-later"):

            async def later():
                raise RuntimeError("boom")

            return later()
        return handle(request)

    server.app.dispatcher.handle = failing
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize("path", ["/boom-now/key", "/boom-later/key"])
def test_internal_error_is_xml_for_s3(failing_server, path):
    reply = send(failing_server.endpoint, "GET", path)
    assert reply.status == 500
    assert reply.body.startswith(b"<?xml") and b"<Error>" in reply.body
    parsed = parse_reply(reply, "rest-xml")
    assert parsed.code == "InternalFailure"
    assert "x-amz-request-id" in reply.headers


def test_internal_error_is_json_for_json_services(failing_server):
    headers = {**scoped("dynamodb"), "X-Amz-Target": "DynamoDB_20120810.ListTables"}
    headers["Content-Type"] = "application/x-amz-json-1.0"
    reply = send(failing_server.endpoint, "POST", "/boom-now", headers, b"{}")
    assert reply.status == 500
    assert parse_reply(reply, "json").code == "InternalFailure"


def test_internal_error_is_an_error_response_for_query_services(failing_server):
    headers = {**scoped("sts"), "Content-Type": "application/x-www-form-urlencoded"}
    reply = send(
        failing_server.endpoint, "POST", "/boom-now", headers, b"Action=GetCallerIdentity&Version=2011-06-15"
    )
    assert reply.status == 500
    assert b"<ErrorResponse" in reply.body
    assert parse_reply(reply, "query").code == "InternalFailure"


def test_internal_error_of_the_admin_api_is_json(own_server, monkeypatch):
    async def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setitem(own_server.app.admin.routes, ("GET", "/_cloudlet/state"), broken)
    reply = send(own_server.endpoint, "GET", "/_cloudlet/state")
    assert reply.status == 500
    assert reply.json() == {"message": "An internal error occurred."}
