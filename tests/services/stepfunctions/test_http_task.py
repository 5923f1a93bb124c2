"""HTTP Tasks (``arn:aws:states:::http:invoke``) against an endpoint on loopback, authorized by
EventBridge connections."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from .conftest import history, unique, wait_done

RESOURCE = "arn:aws:states:::http:invoke"


class Endpoint:
    """A loopback HTTP server recording requests; paths choose the answer."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.release = threading.Event()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                endpoint.requests.append(
                    {
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qsl(parts.query, keep_blank_values=True),
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body.decode(),
                    }
                )
                if parts.path == "/token":
                    self._send(200, {"access_token": "tok-1", "expires_in": 3600})
                elif parts.path.startswith("/status/"):
                    self._send(int(parts.path.rsplit("/", 1)[1]), {"message": "nope"})
                elif parts.path == "/text":
                    self._send(200, "plain words", "text/plain")
                elif parts.path == "/slow":
                    endpoint.release.wait(10)
                    self._send(200, {})
                else:
                    self._send(200, {"ok": True, "n": 1})

            def _send(self, status: int, body: Any, content_type: str = "application/json") -> None:
                data = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("X-Answer", "yes")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_HEAD = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    server = Endpoint()
    yield server
    server.close()


@pytest.fixture
def events(aws_client):
    return aws_client("events")


def _connection(events, auth_type: str = "API_KEY", auth: dict[str, Any] | None = None) -> str:
    params = auth or {"ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-1"}}
    return events.create_connection(Name=unique("conn"), AuthorizationType=auth_type, AuthParameters=params)[
        "ConnectionArn"
    ]


def _machine(parameters: dict[str, Any], **state: Any) -> dict[str, Any]:
    return {
        "StartAt": "Call",
        "States": {
            "Call": {"Type": "Task", "Resource": RESOURCE, "Parameters": parameters, "End": True, **state}
        },
    }


def _run(sfn, make_machine, machine: dict[str, Any], value: Any = None) -> dict[str, Any]:
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(value or {}))["executionArn"]
    return wait_done(sfn, execution)


def test_get_with_api_key(sfn, make_machine, events, endpoint):
    connection = _connection(
        events,
        auth={
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "key-1"},
            "InvocationHttpParameters": {
                "HeaderParameters": [{"Key": "x-from-connection", "Value": "c"}],
                "QueryStringParameters": [{"Key": "cq", "Value": "1"}],
            },
        },
    )
    machine = _machine(
        {
            "ApiEndpoint.$": "$.url",
            "Method": "GET",
            "Authentication": {"ConnectionArn": connection},
            "Headers": {"x-custom": "h"},
            "QueryParameters": {"q": "a b", "many": ["1", "2"]},
        }
    )
    described = _run(sfn, make_machine, machine, {"url": f"{endpoint.url}/things?fixed=yes"})
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    assert output["StatusCode"] == 200 and output["StatusText"] == "OK"
    assert output["ResponseBody"] == {"ok": True, "n": 1}
    assert output["Headers"]["x-answer"] == ["yes"]
    request = endpoint.requests[-1]
    assert request["method"] == "GET" and request["path"] == "/things" and request["body"] == ""
    assert request["query"] == [("fixed", "yes"), ("q", "a b"), ("many", "1"), ("many", "2"), ("cq", "1")]
    headers = request["headers"]
    assert (
        headers["x-api-key"] == "key-1" and headers["x-custom"] == "h" and headers["x-from-connection"] == "c"
    )
    assert headers["user-agent"] == "Amazon|StepFunctions|HttpInvoke|us-east-1"
    types = [e["type"] for e in history(sfn, described["executionArn"])]
    assert types == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    scheduled = history(sfn, described["executionArn"])[2]["taskScheduledEventDetails"]
    assert (scheduled["resourceType"], scheduled["resource"]) == ("http", "invoke")


def test_post_json_with_basic_auth(sfn, make_machine, events, endpoint):
    connection = _connection(
        events,
        "BASIC",
        {
            "BasicAuthParameters": {"Username": "u", "Password": "p"},
            "InvocationHttpParameters": {"BodyParameters": [{"Key": "extra", "Value": "x"}]},
        },
    )
    machine = _machine(
        {
            "ApiEndpoint": f"{endpoint.url}/create",
            "Method": "POST",
            "Authentication": {"ConnectionArn": connection},
            "RequestBody": {"name.$": "$.name", "tags": ["a"]},
        }
    )
    described = _run(sfn, make_machine, machine, {"name": "n1"})
    assert described["status"] == "SUCCEEDED", described
    request = endpoint.requests[-1]
    assert request["headers"]["authorization"] == "Basic dTpw"
    assert request["headers"]["content-type"].startswith("application/json")
    assert json.loads(request["body"]) == {"name": "n1", "tags": ["a"], "extra": "x"}


@pytest.mark.parametrize(
    ("array_format", "expected"),
    [
        (None, [("a", "1"), ("arr[0]", "x"), ("arr[1]", "y"), ("o[k]", "v")]),
        ("INDICES", [("a", "1"), ("arr[0]", "x"), ("arr[1]", "y"), ("o[k]", "v")]),
        ("BRACKETS", [("a", "1"), ("arr[]", "x"), ("arr[]", "y"), ("o[k]", "v")]),
        ("REPEAT", [("a", "1"), ("arr", "x"), ("arr", "y"), ("o[k]", "v")]),
        ("COMMAS", [("a", "1"), ("arr", "x,y"), ("o[k]", "v")]),
    ],
)
def test_url_encoded_body(sfn, make_machine, events, endpoint, array_format, expected):
    transform: dict[str, Any] = {"RequestBodyEncoding": "URL_ENCODED"}
    if array_format:
        transform["RequestEncodingOptions"] = {"ArrayFormat": array_format}
    machine = _machine(
        {
            "ApiEndpoint": f"{endpoint.url}/form",
            "Method": "PUT",
            "Authentication": {"ConnectionArn": _connection(events)},
            "RequestBody": {"a": 1, "arr": ["x", "y"], "o": {"k": "v"}},
            "Transform": transform,
        }
    )
    described = _run(sfn, make_machine, machine)
    assert described["status"] == "SUCCEEDED", described
    request = endpoint.requests[-1]
    assert request["headers"]["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qsl(request["body"], keep_blank_values=True) == expected


def test_oauth_connection(sfn, make_machine, events, endpoint):
    connection = _connection(
        events,
        "OAUTH_CLIENT_CREDENTIALS",
        {
            "OAuthParameters": {
                "ClientParameters": {"ClientID": "id", "ClientSecret": "secret"},
                "AuthorizationEndpoint": f"{endpoint.url}/token",
                "HttpMethod": "POST",
            }
        },
    )
    machine = _machine(
        {
            "ApiEndpoint": f"{endpoint.url}/secure",
            "Method": "DELETE",
            "Authentication": {"ConnectionArn": connection},
        }
    )
    described = _run(sfn, make_machine, machine)
    assert described["status"] == "SUCCEEDED", described
    calls = [r for r in endpoint.requests if r["path"] == "/secure"]
    assert calls[-1]["headers"]["authorization"] == "Bearer tok-1" and calls[-1]["method"] == "DELETE"


def test_text_answer_and_jsonata_arguments(sfn, make_machine, events, endpoint):
    machine = {
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": RESOURCE,
                "Arguments": {
                    "ApiEndpoint": "{% $states.input.url %}",
                    "Method": "GET",
                    "Authentication": {"ConnectionArn": _connection(events)},
                },
                "Output": "{% $states.result.ResponseBody %}",
                "End": True,
            }
        },
    }
    described = _run(sfn, make_machine, machine, {"url": f"{endpoint.url}/text"})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == "plain words"


def test_error_status_is_catchable(sfn, make_machine, events, endpoint):
    machine = _machine(
        {
            "ApiEndpoint": f"{endpoint.url}/status/404",
            "Method": "GET",
            "Authentication": {"ConnectionArn": _connection(events)},
        }
    )
    described = _run(sfn, make_machine, machine)
    assert (described["status"], described["error"]) == ("FAILED", "States.Http.StatusCode.404")
    cause = json.loads(described["cause"])
    assert (cause["StatusCode"], cause["StatusText"], cause["ResponseBody"]) == (
        404,
        "Not Found",
        {"message": "nope"},
    )
    caught = _machine(
        {
            "ApiEndpoint": f"{endpoint.url}/status/500",
            "Method": "GET",
            "Authentication": {"ConnectionArn": _connection(events)},
        },
        Catch=[{"ErrorEquals": ["States.Http.StatusCode.500"], "ResultPath": "$.err", "Next": "Done"}],
    )
    caught["States"]["Done"] = {"Type": "Pass", "End": True}
    del caught["States"]["Call"]["End"]
    caught["States"]["Call"]["Next"] = "Done"
    described = _run(sfn, make_machine, caught)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"])["err"]["Error"] == "States.Http.StatusCode.500"


def test_unreachable_endpoint(sfn, make_machine, events):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    machine = _machine(
        {
            "ApiEndpoint": f"http://127.0.0.1:{port}/x",
            "Method": "GET",
            "Authentication": {"ConnectionArn": _connection(events)},
        }
    )
    described = _run(sfn, make_machine, machine)
    assert (described["status"], described["error"]) == ("FAILED", "States.Http.Socket")


def test_task_timeout_on_the_clock(sfn, make_machine, events, endpoint, cloudlet):
    machine = _machine(
        {
            "ApiEndpoint": f"{endpoint.url}/slow",
            "Method": "GET",
            "Authentication": {"ConnectionArn": _connection(events)},
        },
        TimeoutSeconds=5,
    )
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    wait_done(sfn, execution, timeout=0.3)
    cloudlet.advance_clock(6)
    described = wait_done(sfn, execution)
    endpoint.release.set()
    assert (described["status"], described["error"]) == ("FAILED", "States.Timeout")
    assert [e["type"] for e in history(sfn, execution)][-2] == "TaskTimedOut"


@pytest.mark.parametrize(
    ("parameters", "error"),
    [
        ({"Method": "GET"}, "States.Runtime"),  # no ApiEndpoint
        ({"ApiEndpoint": "URL", "Method": "FETCH"}, "States.Runtime"),
        ({"ApiEndpoint": "not a url", "Method": "GET"}, "States.Runtime"),
        ({"ApiEndpoint": "URL", "Method": "GET", "Headers": {"Host": "elsewhere"}}, "States.Runtime"),
        ({"ApiEndpoint": "URL", "Method": "GET", "Headers": {"X-Amz-Date": "x"}}, "States.Runtime"),
        ({"ApiEndpoint": "URL", "Method": "GET", "Headers": "x"}, "States.Runtime"),
        (
            {
                "ApiEndpoint": "URL",
                "Method": "POST",
                "RequestBody": [1],
                "Transform": {"RequestBodyEncoding": "URL_ENCODED"},
            },
            "States.Runtime",
        ),
        (
            {
                "ApiEndpoint": "URL",
                "Method": "POST",
                "RequestBody": {},
                "Transform": {
                    "RequestBodyEncoding": "URL_ENCODED",
                    "RequestEncodingOptions": {"ArrayFormat": "X"},
                },
            },
            "States.Runtime",
        ),
        ({"ApiEndpoint": "URL", "Method": "GET", "Authentication": None}, "States.Runtime"),
        (
            {
                "ApiEndpoint": "URL",
                "Method": "GET",
                "Authentication": {
                    "ConnectionArn": "arn:aws:events:us-east-1:000000000000:connection/none/x"
                },
            },
            "Events.ConnectionResource.ResourceNotFound",
        ),
    ],
)
def test_bad_parameters_fail_the_task(sfn, make_machine, events, endpoint, parameters, error):
    parameters = json.loads(json.dumps(parameters).replace('"URL"', json.dumps(endpoint.url)))
    parameters.setdefault("Authentication", {"ConnectionArn": _connection(events)})
    if parameters["Authentication"] is None:
        del parameters["Authentication"]
    described = _run(sfn, make_machine, _machine(parameters))
    assert (described["status"], described["error"]) == ("FAILED", error), described
    assert endpoint.requests == []
    assert [e["type"] for e in history(sfn, described["executionArn"])][-2] == "TaskFailed"


def test_deauthorized_connection(sfn, make_machine, events, endpoint):
    connection = _connection(events)
    events.deauthorize_connection(Name=connection.split("/")[1])
    machine = _machine(
        {"ApiEndpoint": endpoint.url, "Method": "GET", "Authentication": {"ConnectionArn": connection}}
    )
    described = _run(sfn, make_machine, machine)
    assert (described["status"], described["error"]) == (
        "FAILED",
        "Events.ConnectionResource.InvalidConnectionState",
    )
    assert endpoint.requests == []
