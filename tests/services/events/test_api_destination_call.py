"""Calling API destinations (api_destination_call.py) in process, against a local HTTP server:
what arrives (authorization, path, query and header parameters, the body) and how failures
are reported to the delivery engine (retried, final, throttled)."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from cloudlet.config import Config
from cloudlet.core.delivery import DeliveryFailure
from cloudlet.runtime import Runtime
from cloudlet.services.base import RequestContext
from cloudlet.services.events.api_destination_call import call_api_destination, invocation_rate
from cloudlet.services.events.connections import ConnectionsApi


class Host(ConnectionsApi):
    """The mixin on its own, as the provider holds it."""

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.store = runtime.store
        self.clock = runtime.clock
        self._init_connections()


def ctx(operation: str) -> RequestContext:
    return RequestContext("events", operation, "000000000000", "us-east-1", "r")


class Endpoint:
    """A local HTTP server recording requests; ``/token`` hands out OAuth tokens."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.tokens = 0
        self.token_status = 200
        self.server: asyncio.AbstractServer | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
        request_line, *lines = head.split("\r\n")
        method, target, _ = request_line.split(" ")
        headers = {}
        for line in lines:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        parts = urlsplit(target)
        self.requests.append(
            {
                "method": method,
                "path": parts.path,
                "query": dict(parse_qsl(parts.query)),
                "headers": headers,
                "body": body.decode(),
            }
        )
        if parts.path == "/token":
            self.tokens += 1
            status = self.token_status
            answer = json.dumps({"access_token": f"tok-{self.tokens}", "expires_in": 60}).encode()
        else:
            status, answer = self.status, b"{}"
        writer.write(
            f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(answer)}\r\n\r\n".encode()
            + answer
        )
        await writer.drain()
        writer.close()


def scenario(body):
    """Run ``body(host, endpoint, base_url)`` on a fresh in-memory runtime."""

    async def run() -> None:
        runtime = Runtime(Config(in_memory=True))
        host = Host(runtime)
        endpoint = Endpoint()
        base = await endpoint.start()
        try:
            await body(host, endpoint, base)
        finally:
            await endpoint.stop()
            await runtime.stop()

    asyncio.run(run())


def make_destination(
    host: Host, name: str, auth_type: str, auth: dict, endpoint: str, method: str = "POST"
) -> str:
    connection = host.create_connection(
        ctx("CreateConnection"), {"Name": name, "AuthorizationType": auth_type, "AuthParameters": auth}
    )
    return host.create_api_destination(
        ctx("CreateApiDestination"),
        {
            "Name": name,
            "ConnectionArn": connection["ConnectionArn"],
            "InvocationEndpoint": endpoint,
            "HttpMethod": method,
            "InvocationRateLimitPerSecond": 7,
        },
    )["ApiDestinationArn"]


def test_api_key_and_parameters_arrive():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        arn = make_destination(
            host,
            "key",
            "API_KEY",
            {
                "ApiKeyAuthParameters": {"ApiKeyName": "x-my-key", "ApiKeyValue": "s3cret"},
                "InvocationHttpParameters": {
                    "HeaderParameters": [{"Key": "x-conn", "Value": "c", "IsValueSecret": True}],
                    "QueryStringParameters": [{"Key": "cq", "Value": "1"}],
                    "BodyParameters": [{"Key": "added", "Value": "yes"}],
                },
            },
            f"{base}/orders/*/items/*?fixed=f",
        )
        assert invocation_rate(host, arn) == 7
        assert invocation_rate(host, arn + "x") is None
        await call_api_destination(
            host,
            arn,
            '{"detail": {"a": 1}}',
            {
                "PathParameterValues": ["o1", "i2"],
                "HeaderParameters": {"x-target": "t", "x-conn": "target-loses"},
                "QueryStringParameters": {"tq": "2"},
            },
        )
        (request,) = endpoint.requests
        assert request["method"] == "POST"
        assert request["path"] == "/orders/o1/items/i2"
        assert request["query"] == {"fixed": "f", "tq": "2", "cq": "1"}
        headers = request["headers"]
        assert headers["x-my-key"] == "s3cret"
        assert headers["x-target"] == "t"
        assert headers["x-conn"] == "c"
        assert headers["content-type"] == "application/json; charset=utf-8"
        assert headers["user-agent"] == "Amazon/EventBridge/ApiDestinations"
        assert "authorization" not in headers
        assert json.loads(request["body"]) == {"detail": {"a": 1}, "added": "yes"}

    scenario(body)


def test_basic_authorization_and_get_without_body():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        arn = make_destination(
            host, "basic", "BASIC", {"BasicAuthParameters": {"Username": "u", "Password": "p:w"}}, base, "GET"
        )
        await call_api_destination(host, arn, "{}", None, {"x-extra": "1"})
        (request,) = endpoint.requests
        assert request["method"] == "GET"
        assert request["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p:w").decode()
        assert request["headers"]["x-extra"] == "1"
        assert request["body"] == ""

    scenario(body)


def test_oauth_token_fetched_cached_and_renewed():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        arn = make_destination(
            host,
            "oauth",
            "OAUTH_CLIENT_CREDENTIALS",
            {
                "OAuthParameters": {
                    "AuthorizationEndpoint": f"{base}/token",
                    "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
                    "HttpMethod": "POST",
                    "OAuthHttpParameters": {
                        "BodyParameters": [{"Key": "grant_type", "Value": "client_credentials"}],
                        "HeaderParameters": [{"Key": "x-oauth", "Value": "h"}],
                        "QueryStringParameters": [{"Key": "aud", "Value": "api"}],
                    },
                }
            },
            f"{base}/hook",
        )
        described = host.describe_connection(ctx("DescribeConnection"), {"Name": "oauth"})
        assert described["ConnectionState"] == "AUTHORIZING"
        assert (
            host.describe_api_destination(ctx("DescribeApiDestination"), {"Name": "oauth"})[
                "ApiDestinationState"
            ]
            == "INACTIVE"
        )

        await call_api_destination(host, arn, "{}", None)
        token_request, call = endpoint.requests
        assert token_request["method"] == "POST"
        assert token_request["query"] == {"aud": "api"}
        assert token_request["headers"]["authorization"] == "Basic " + base64.b64encode(b"id:secret").decode()
        assert token_request["headers"]["x-oauth"] == "h"
        assert dict(parse_qsl(token_request["body"])) == {"grant_type": "client_credentials"}
        assert call["path"] == "/hook"
        assert call["headers"]["authorization"] == "Bearer tok-1"
        assert host.describe_connection(ctx("DescribeConnection"), {"Name": "oauth"})["ConnectionState"] == (
            "AUTHORIZED"
        )
        assert (
            host.describe_api_destination(ctx("DescribeApiDestination"), {"Name": "oauth"})[
                "ApiDestinationState"
            ]
            == "ACTIVE"
        )

        await call_api_destination(host, arn, "{}", None)  # the token is reused
        assert endpoint.tokens == 1
        assert endpoint.requests[-1]["headers"]["authorization"] == "Bearer tok-1"

        await host.clock.advance(61)  # expired on the service clock
        await call_api_destination(host, arn, "{}", None)
        assert endpoint.tokens == 2
        assert endpoint.requests[-1]["headers"]["authorization"] == "Bearer tok-2"

        endpoint.status = 401  # refused: the token is dropped, the call retried
        with pytest.raises(DeliveryFailure) as failed:
            await call_api_destination(host, arn, "{}", None)
        assert not failed.value.final
        endpoint.status = 200
        await call_api_destination(host, arn, "{}", None)
        assert endpoint.requests[-1]["headers"]["authorization"] == "Bearer tok-3"

    scenario(body)


def test_oauth_refused_deauthorizes_the_connection():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        endpoint.token_status = 400
        arn = make_destination(
            host,
            "refused",
            "OAUTH_CLIENT_CREDENTIALS",
            {
                "OAuthParameters": {
                    "AuthorizationEndpoint": f"{base}/token",
                    "ClientParameters": {"ClientID": "id", "ClientSecret": "bad"},
                    "HttpMethod": "GET",
                }
            },
            f"{base}/hook",
        )
        with pytest.raises(DeliveryFailure) as failed:
            await call_api_destination(host, arn, "{}", None)
        assert failed.value.final
        assert endpoint.requests[0]["method"] == "GET"
        described = host.describe_connection(ctx("DescribeConnection"), {"Name": "refused"})
        assert described["ConnectionState"] == "DEAUTHORIZED"
        assert "400" in described["StateReason"]
        assert [r["path"] for r in endpoint.requests] == ["/token"]

    scenario(body)


@pytest.mark.parametrize(
    ("status", "final", "throttled"),
    [
        (500, False, False),
        (503, False, False),
        (429, False, True),
        (409, False, False),
        (400, True, False),
        (404, True, False),
        (302, True, False),
    ],
)
def test_answers_become_delivery_failures(status, final, throttled):
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        arn = make_destination(
            host, "s", "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}, base
        )
        endpoint.status = status
        with pytest.raises(DeliveryFailure) as failed:
            await call_api_destination(host, arn, "{}", None)
        assert failed.value.final is final
        assert failed.value.throttled is throttled
        assert str(status) in failed.value.message

    scenario(body)


def test_unreachable_endpoint_and_missing_destination():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        await endpoint.stop()
        endpoint.server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)  # for the final stop
        arn = make_destination(
            host, "gone", "API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k", "ApiKeyValue": "v"}}, base
        )
        with pytest.raises(DeliveryFailure) as failed:
            await call_api_destination(host, arn, "{}", None)
        assert not failed.value.final  # a connection refused is retried
        with pytest.raises(DeliveryFailure) as missing:
            await call_api_destination(host, arn.replace("gone", "other"), "{}", None)
        assert missing.value.final

    scenario(body)


def test_deauthorized_connection_is_not_called():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        arn = make_destination(
            host, "d", "BASIC", {"BasicAuthParameters": {"Username": "u", "Password": "p"}}, base
        )
        host.deauthorize_connection(ctx("DeauthorizeConnection"), {"Name": "d"})
        with pytest.raises(DeliveryFailure) as failed:
            await call_api_destination(host, arn, "{}", None)
        assert failed.value.final
        assert endpoint.requests == []
        host.update_connection(
            ctx("UpdateConnection"),
            {"Name": "d", "AuthParameters": {"BasicAuthParameters": {"Password": "p2"}}},
        )
        await call_api_destination(host, arn, "{}", None)
        assert (
            endpoint.requests[0]["headers"]["authorization"] == "Basic " + base64.b64encode(b"u:p2").decode()
        )

    scenario(body)


def test_counts_and_reset():
    async def body(host: Host, endpoint: Endpoint, base: str) -> None:
        assert host.connection_counts() == {}
        make_destination(
            host, "c", "BASIC", {"BasicAuthParameters": {"Username": "u", "Password": "p"}}, base
        )
        assert host.connection_counts() == {"connections": 1, "api_destinations": 1}
        host.oauth_tokens["x"] = ("t", None)
        host._reset_connections()
        assert host.oauth_tokens == {}

    scenario(body)
