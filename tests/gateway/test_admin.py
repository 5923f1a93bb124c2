"""The admin API: health (also LocalStack's path), the clock, reset and state.

The clock tests run on a server of their own, since moving time forward is for good.
"""

from __future__ import annotations

import json
import time

import boto3
import pytest

from cloudlet import __version__
from cloudlet.services.registry import PROVIDERS, SERVICES
from cloudlet.testing.server import ServerThread, client

from .botocalls import make_client, send


@pytest.fixture(scope="module")
def own_server():
    server = ServerThread().start()
    try:
        yield server
    finally:
        server.stop()


def post(endpoint: str, path: str, body: bytes | dict | None = None):
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    return send(endpoint, "POST", path, {"Content-Type": "application/json"}, data or b"")


@pytest.mark.parametrize("path", ["/_cloudlet/health", "/_localstack/health", "/_cloudlet/health/"])
def test_health(cloudlet, path):
    reply = send(cloudlet.endpoint, "GET", path)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    health = reply.json()
    assert health["version"] == __version__
    assert set(health["services"]) == set(SERVICES)
    for name, status in health["services"].items():
        assert status in ("available", "running") if name in PROVIDERS else status == "not implemented"


def test_health_shows_running_providers(cloudlet):
    make_client("sts", cloudlet.endpoint).get_caller_identity()
    assert send(cloudlet.endpoint, "GET", "/_cloudlet/health").json()["services"]["sts"] == "running"


def test_health_head(cloudlet):
    reply = send(cloudlet.endpoint, "HEAD", "/_cloudlet/health")
    assert reply.status == 200
    assert reply.body == b""


def test_clock_get(own_server):
    before = time.time()
    clock = send(own_server.endpoint, "GET", "/_cloudlet/clock").json()
    assert set(clock) == {"now", "offset"}
    assert before - 1 <= clock["now"] - clock["offset"] <= time.time() + 1


def test_clock_advance_moves_forward(own_server):
    endpoint = own_server.endpoint
    start = send(endpoint, "GET", "/_cloudlet/clock").json()
    reply = post(endpoint, "/_cloudlet/clock", {"advance": 3600})
    assert reply.status == 200
    advanced = reply.json()
    assert set(advanced) == {"now", "offset"}
    assert advanced["offset"] == pytest.approx(start["offset"] + 3600)
    assert advanced["now"] >= start["now"] + 3600
    again = post(endpoint, "/_cloudlet/clock", {"advance": 0.5}).json()
    assert again["offset"] == pytest.approx(advanced["offset"] + 0.5)
    assert send(endpoint, "GET", "/_cloudlet/clock").json()["offset"] == pytest.approx(again["offset"])


def test_clock_moves_service_time(own_server):
    """STS expirations follow the service clock."""
    sts = make_client("sts", own_server.endpoint)
    offset = post(own_server.endpoint, "/_cloudlet/clock", {"advance": 86400}).json()["offset"]
    creds = sts.get_session_token(DurationSeconds=900)["Credentials"]
    assert creds["Expiration"].timestamp() == pytest.approx(time.time() + offset + 900, abs=5)


@pytest.mark.parametrize(
    "body",
    [
        {"advance": -1},
        {"advance": "10"},
        {"advance": True},
        {"advance": None},
        {"advance": 1e300},
        {"forward": 10},
        [10],
        b"advance=10",
        b"{",
        b"",
        b"NaN",
    ],
)
def test_clock_advance_refuses_garbage(own_server, body):
    before = send(own_server.endpoint, "GET", "/_cloudlet/clock").json()["offset"]
    reply = post(
        own_server.endpoint,
        "/_cloudlet/clock",
        body if isinstance(body, dict | bytes) else json.dumps(body).encode(),
    )
    assert reply.status == 400
    assert reply.json()["message"]
    assert send(own_server.endpoint, "GET", "/_cloudlet/clock").json()["offset"] == before


def test_clock_helpers_of_the_plugin(own_server):
    offset = own_server.clock()["offset"]
    assert own_server.advance_clock(10)["offset"] == pytest.approx(offset + 10)


def _caller_account(endpoint: str, creds: dict) -> str:
    client = boto3.client(
        "sts",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    return client.get_caller_identity()["Account"]


def test_reset_wipes_state_and_clock():
    server = ServerThread().start()
    try:
        creds = client("sts", server.endpoint, aws_access_key_id="123456789012").get_session_token()[
            "Credentials"
        ]
        assert _caller_account(server.endpoint, creds) == "123456789012"
        post(server.endpoint, "/_cloudlet/clock", {"advance": 100})
        reply = post(server.endpoint, "/_cloudlet/reset", {})
        assert reply.status == 200
        assert reply.json() == {"reset": True}
        assert send(server.endpoint, "GET", "/_cloudlet/clock").json()["offset"] == 0
        # The issued key is forgotten: an unknown key belongs to the default account.
        assert _caller_account(server.endpoint, creds) == "000000000000"
        server.reset()  # the plugin's helper does the same
    finally:
        server.stop()


def test_state(cloudlet):
    make_client("sts", cloudlet.endpoint).get_caller_identity()
    reply = send(cloudlet.endpoint, "GET", "/_cloudlet/state")
    assert reply.status == 200
    state = reply.json()
    assert state["version"] == __version__
    assert state["store"] == "memory"
    assert state["uptime"] >= 0
    assert set(state["clock"]) == {"now", "offset"}
    assert isinstance(state["timers"], int)
    assert isinstance(state["resources"], dict)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/_cloudlet/nothing", 404),
        ("DELETE", "/_cloudlet/clock", 405),
        ("GET", "/_cloudlet/reset", 405),
        ("POST", "/_cloudlet/state", 405),
    ],
)
def test_unknown_admin_requests(cloudlet, method, path, status):
    reply = send(cloudlet.endpoint, method, path)
    assert reply.status == status
    assert reply.json()["message"]
