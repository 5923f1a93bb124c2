"""Connections and API destinations through the API: what AWS recorded for create, describe,
list, update, delete and deauthorize, the validation errors it answers, and an event delivered
to an API destination (a local HTTP server) with the connection's authorization."""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError
from tests.services.events.conftest import error_of, unique
from tests.services.events.test_put_events import PATTERN, entry

BASIC = {"BasicAuthParameters": {"Username": "user", "Password": "pass"}}
API_KEY = {"ApiKeyAuthParameters": {"ApiKeyName": "ApiKey", "ApiKeyValue": "secret"}}
ACCOUNT = "000000000000"


def oauth(endpoint: str = "http://127.0.0.1:9/token") -> dict:
    """OAuth parameters (by default an endpoint nothing listens on: no call leaves the machine)."""
    return {
        "OAuthParameters": {
            "AuthorizationEndpoint": endpoint,
            "ClientParameters": {"ClientID": "client_id", "ClientSecret": "client_secret"},
            "HttpMethod": "POST",
        }
    }


def create(events, auth_type: str, auth: dict, name: str | None = None) -> tuple[str, dict]:
    name = name or unique("conn")
    return name, events.create_connection(Name=name, AuthorizationType=auth_type, AuthParameters=auth)


def wait_state(events, name: str, state: str, timeout: float = 10.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        described = events.describe_connection(Name=name)
        if described["ConnectionState"] == state or time.monotonic() > deadline:
            return described
        time.sleep(0.05)


# ---- connections -------------------------------------------------------------------------------


def test_create_and_describe_api_key_connection(events):
    name, created = create(events, "API_KEY", {**API_KEY, "InvocationHttpParameters": {}})
    arn = created["ConnectionArn"]
    assert re.fullmatch(rf"arn:aws:events:us-east-1:{ACCOUNT}:connection/{name}/[0-9a-f-]{{36}}", arn)
    assert created["ConnectionState"] == "AUTHORIZED"
    assert set(created) - {"ResponseMetadata"} == {
        "ConnectionArn",
        "ConnectionState",
        "CreationTime",
        "LastModifiedTime",
    }
    described = events.describe_connection(Name=name)
    described.pop("ResponseMetadata")
    secret_arn = described.pop("SecretArn")
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:events!connection/{name}/[0-9a-f-]{{36}}-\w{{6}}",
        secret_arn,
    )
    for key in ("CreationTime", "LastModifiedTime", "LastAuthorizedTime"):
        assert described.pop(key)
    assert described == {
        "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "ApiKey"}, "InvocationHttpParameters": {}},
        "AuthorizationType": "API_KEY",
        "ConnectionArn": arn,
        "ConnectionState": "AUTHORIZED",
        "Name": name,
    }


def test_basic_connection_hides_the_password_and_secret_parameters(events):
    auth = {
        **BASIC,
        "InvocationHttpParameters": {
            "HeaderParameters": [
                {"Key": "x-secret", "Value": "hidden", "IsValueSecret": True},
                {"Key": "x-plain", "Value": "shown", "IsValueSecret": False},
            ]
        },
    }
    name, created = create(events, "BASIC", auth)
    assert created["ConnectionState"] == "AUTHORIZED"
    described = events.describe_connection(Name=name)
    assert described["AuthParameters"] == {
        "BasicAuthParameters": {"Username": "user"},
        "InvocationHttpParameters": {
            "HeaderParameters": [
                {"Key": "x-secret", "IsValueSecret": True},
                {"Key": "x-plain", "Value": "shown", "IsValueSecret": False},
            ]
        },
    }
    assert (
        "InvocationHttpParameters"
        not in events.describe_connection(Name=create(events, "BASIC", BASIC)[0])["AuthParameters"]
    )


def test_oauth_connection_is_authorizing_then_authorized(events, http_endpoint):
    http_endpoint.delay = 0.5
    name, created = create(events, "OAUTH_CLIENT_CREDENTIALS", oauth(f"{http_endpoint.url}/token"))
    assert created["ConnectionState"] == "AUTHORIZING"  # recorded
    described = events.describe_connection(Name=name)
    assert described["ConnectionState"] == "AUTHORIZING"
    assert described["LastAuthorizedTime"]  # recorded, even while authorizing
    assert described["AuthParameters"] == {
        "OAuthParameters": {
            "AuthorizationEndpoint": f"{http_endpoint.url}/token",
            "ClientParameters": {"ClientID": "client_id"},
            "HttpMethod": "POST",
        }
    }
    assert wait_state(events, name, "AUTHORIZED")["ConnectionState"] == "AUTHORIZED"
    (token_request,) = http_endpoint.requests
    assert token_request["method"] == "POST"


def test_oauth_connection_refused_is_deauthorized(events):
    # nothing listens on port 9 of localhost: the authorization fails
    name, _ = create(events, "OAUTH_CLIENT_CREDENTIALS", oauth("http://127.0.0.1:9/token"))
    described = wait_state(events, name, "DEAUTHORIZED")
    assert described["ConnectionState"] == "DEAUTHORIZED"
    assert described["StateReason"]


def test_list_connections_filters_and_pages(events):
    prefix = unique("lst")
    names = [f"{prefix}-{i}" for i in range(3)]
    for name in names:
        create(events, "BASIC", {**BASIC, "InvocationHttpParameters": {}}, name)
    listed = events.list_connections(NamePrefix=prefix)["Connections"]
    assert [c["Name"] for c in listed] == names
    entry_ = listed[0]
    assert set(entry_) == {
        "AuthorizationType",
        "ConnectionArn",
        "ConnectionState",
        "CreationTime",
        "LastAuthorizedTime",
        "LastModifiedTime",
        "Name",
    }  # recorded
    assert entry_["AuthorizationType"] == "BASIC" and entry_["ConnectionState"] == "AUTHORIZED"
    first = events.list_connections(NamePrefix=prefix, Limit=2)
    assert [c["Name"] for c in first["Connections"]] == names[:2]
    rest = events.list_connections(NamePrefix=prefix, Limit=2, NextToken=first["NextToken"])
    assert [c["Name"] for c in rest["Connections"]] == names[2:]
    assert "NextToken" not in rest
    assert events.list_connections(NamePrefix=prefix, ConnectionState="DEAUTHORIZED")["Connections"] == []


def test_update_connection(events):
    name, created = create(events, "BASIC", {**BASIC, "InvocationHttpParameters": {}})
    before = events.describe_connection(Name=name)
    updated = events.update_connection(
        Name=name,
        AuthorizationType="BASIC",
        AuthParameters={
            "BasicAuthParameters": {"Username": "new_user", "Password": "new_pass"},
            "InvocationHttpParameters": {},
        },
    )
    assert updated["ConnectionArn"] == created["ConnectionArn"]
    assert updated["ConnectionState"] == "AUTHORIZED"
    assert set(updated) - {"ResponseMetadata"} == {
        "ConnectionArn",
        "ConnectionState",
        "CreationTime",
        "LastAuthorizedTime",
        "LastModifiedTime",
    }
    after = events.describe_connection(Name=name)
    assert after["AuthParameters"] == {
        "BasicAuthParameters": {"Username": "new_user"},
        "InvocationHttpParameters": {},
    }
    assert after["SecretArn"] == before["SecretArn"]
    events.update_connection(Name=name, Description="described")
    assert events.describe_connection(Name=name)["Description"] == "described"
    # another kind of authorization needs its parameters (message unverified)
    with pytest.raises(ClientError) as caught:
        events.update_connection(Name=name, AuthorizationType="API_KEY")
    assert error_of(caught)[0] == "ValidationException"
    events.update_connection(Name=name, AuthorizationType="API_KEY", AuthParameters=API_KEY)
    assert events.describe_connection(Name=name)["AuthParameters"] == {
        "ApiKeyAuthParameters": {"ApiKeyName": "ApiKey"},
        "InvocationHttpParameters": {},
    }


def test_delete_connection(events):
    name, _ = create(events, "API_KEY", {**API_KEY, "InvocationHttpParameters": {}})
    created = events.describe_connection(Name=name)
    deleted = events.delete_connection(Name=name)
    assert deleted["ConnectionState"] == "DELETING"  # recorded
    assert deleted["ConnectionArn"] == created["ConnectionArn"]
    assert deleted["LastAuthorizedTime"] == created["LastAuthorizedTime"]
    with pytest.raises(ClientError) as caught:
        events.describe_connection(Name=name)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        f"Failed to describe the connection(s). Connection '{name}' does not exist.",
        400,
    )
    for call in (events.delete_connection, events.deauthorize_connection, events.update_connection):
        with pytest.raises(ClientError) as caught:
            call(Name=name)
        assert error_of(caught)[0] == "ResourceNotFoundException"


def test_deauthorize_connection(events):
    name, created = create(events, "BASIC", BASIC)
    destination = unique("dest")
    events.create_api_destination(
        Name=destination,
        ConnectionArn=created["ConnectionArn"],
        HttpMethod="POST",
        InvocationEndpoint="https://example.com/api",
    )
    answer = events.deauthorize_connection(Name=name)
    assert answer["ConnectionArn"] == created["ConnectionArn"]
    assert events.describe_connection(Name=name)["ConnectionState"] == "DEAUTHORIZED"
    assert events.describe_api_destination(Name=destination)["ApiDestinationState"] == "INACTIVE"
    assert [
        c["Name"]
        for c in events.list_connections(NamePrefix=name, ConnectionState="DEAUTHORIZED")["Connections"]
    ] == [name]
    events.update_connection(Name=name, AuthParameters={"BasicAuthParameters": {"Password": "again"}})
    assert events.describe_connection(Name=name)["ConnectionState"] == "AUTHORIZED"
    assert events.describe_api_destination(Name=destination)["ApiDestinationState"] == "ACTIVE"


def test_create_connection_twice_is_refused(events):
    name, _ = create(events, "BASIC", BASIC)
    with pytest.raises(ClientError) as caught:
        create(events, "BASIC", BASIC, name)
    assert error_of(caught)[0] == "ResourceAlreadyExistsException"


# ---- validation (recorded messages) --------------------------------------------------------------


def test_create_connection_validations(events_raw):
    name = "This should fail with two errors 123467890123412341234123412341234"
    with pytest.raises(ClientError) as caught:
        events_raw.create_connection(Name=name, AuthorizationType="INVALID", AuthParameters={})
    assert error_of(caught) == (
        "ValidationException",
        f"3 validation errors detected: Value '{name}' at 'name' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; "
        f"Value '{name}' at 'name' failed to satisfy constraint: Member must have length less than or equal "
        "to 64; Value 'INVALID' at 'authorizationType' failed to satisfy constraint: Member must satisfy enum "
        "value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]",
        400,
    )


def test_create_connection_invalid_auth_type_and_name(events_raw):
    with pytest.raises(ClientError) as caught:
        events_raw.create_connection(
            Name=unique("c"), AuthorizationType="INVALID_AUTH_TYPE", AuthParameters={}
        )
    assert error_of(caught) == (
        "ValidationException",
        "1 validation error detected: Value 'INVALID_AUTH_TYPE' at 'authorizationType' failed to satisfy "
        "constraint: Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]",
        400,
    )
    with pytest.raises(ClientError) as caught:
        events_raw.create_connection(
            Name="Invalid Name With Spaces!",
            AuthorizationType="API_KEY",
            AuthParameters={**API_KEY, "InvocationHttpParameters": {}},
        )
    assert error_of(caught) == (
        "ValidationException",
        "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        400,
    )


@pytest.mark.parametrize(
    ("auth_type", "auth"),
    [
        ("BASIC", {}),
        ("BASIC", API_KEY),
        ("API_KEY", {"ApiKeyAuthParameters": {"ApiKeyName": "k"}}),
        ("BASIC", {**BASIC, **API_KEY}),
        (
            "OAUTH_CLIENT_CREDENTIALS",
            {"OAuthParameters": {"AuthorizationEndpoint": "https://e.com", "HttpMethod": "POST"}},
        ),
        ("OAUTH_CLIENT_CREDENTIALS", oauth("not a url")),
    ],
)
def test_create_connection_needs_its_auth_parameters(events_raw, auth_type, auth):
    # messages unverified
    with pytest.raises(ClientError) as caught:
        events_raw.create_connection(Name=unique("c"), AuthorizationType=auth_type, AuthParameters=auth)
    assert error_of(caught)[0::2] == ("ValidationException", 400)


# ---- API destinations ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("auth_type", "auth", "state"),
    [
        ("BASIC", BASIC, "ACTIVE"),
        ("API_KEY", API_KEY, "ACTIVE"),
        ("OAUTH_CLIENT_CREDENTIALS", oauth(), "INACTIVE"),
    ],
)
def test_api_destinations(events, auth_type, auth, state):
    _, connection = create(events, auth_type, auth)
    connection_arn = connection["ConnectionArn"]
    name = unique("dest")
    created = events.create_api_destination(
        Name=name,
        ConnectionArn=connection_arn,
        HttpMethod="POST",
        InvocationEndpoint="https://example.com/api",
        Description="Test API destination",
    )
    arn = created["ApiDestinationArn"]
    assert re.fullmatch(rf"arn:aws:events:us-east-1:{ACCOUNT}:api-destination/{name}/[0-9a-f-]{{36}}", arn)
    assert created["ApiDestinationState"] == state
    assert set(created) - {"ResponseMetadata"} == {
        "ApiDestinationArn",
        "ApiDestinationState",
        "CreationTime",
        "LastModifiedTime",
    }
    described = events.describe_api_destination(Name=name)
    described.pop("ResponseMetadata")
    assert described.pop("CreationTime") and described.pop("LastModifiedTime")
    if state == "INACTIVE":  # an unreachable OAuth endpoint: AUTHORIZING, then DEAUTHORIZED
        assert described["ApiDestinationState"] == "INACTIVE"
    assert described == {
        "ApiDestinationArn": arn,
        "ApiDestinationState": state,
        "ConnectionArn": connection_arn,
        "Description": "Test API destination",
        "HttpMethod": "POST",
        "InvocationEndpoint": "https://example.com/api",
        "InvocationRateLimitPerSecond": 300,
        "Name": name,
    }
    (listed,) = events.list_api_destinations(NamePrefix=name)["ApiDestinations"]
    assert "Description" not in listed  # recorded
    assert listed["ApiDestinationArn"] == arn and listed["InvocationRateLimitPerSecond"] == 300
    updated = events.update_api_destination(
        Name=name,
        ConnectionArn=connection_arn,
        HttpMethod="PUT",
        InvocationEndpoint="https://example.com/api/v2",
        Description="Updated API destination",
    )
    assert updated["ApiDestinationState"] == state
    described = events.describe_api_destination(Name=name)
    assert (described["HttpMethod"], described["InvocationEndpoint"], described["Description"]) == (
        "PUT",
        "https://example.com/api/v2",
        "Updated API destination",
    )
    events.update_api_destination(Name=name, InvocationRateLimitPerSecond=5)
    assert events.describe_api_destination(Name=name)["InvocationRateLimitPerSecond"] == 5
    assert events.list_api_destinations(ConnectionArn=connection_arn)["ApiDestinations"][0]["Name"] == name
    events.delete_api_destination(Name=name)
    with pytest.raises(ClientError) as caught:
        events.describe_api_destination(Name=name)
    assert error_of(caught) == (
        "ResourceNotFoundException",
        f"Failed to describe the api-destination(s). An api-destination '{name}' does not exist.",
        400,
    )
    with pytest.raises(ClientError) as caught:
        events.delete_api_destination(Name=name)
    assert error_of(caught)[0] == "ResourceNotFoundException"


def test_create_api_destination_invalid_parameters(events_raw):
    with pytest.raises(ClientError) as caught:
        events_raw.create_api_destination(
            Name=unique("dest"),
            ConnectionArn="invalid-connection-arn",
            HttpMethod="INVALID_METHOD",
            InvocationEndpoint="invalid-endpoint",
        )
    assert error_of(caught) == (
        "ValidationException",
        "2 validation errors detected: Value 'invalid-connection-arn' at 'connectionArn' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: "
        "^arn:aws([a-z]|\\-)*:events:([a-z]|\\d|\\-)*:([0-9]{12})?:connection\\/[\\.\\-_A-Za-z0-9]+\\/"
        "[\\-A-Za-z0-9]+$; Value 'INVALID_METHOD' at 'httpMethod' failed to satisfy constraint: Member must "
        "satisfy enum value set: [HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]",
        400,
    )


def test_create_api_destination_name_validation_and_missing_connection(events, events_raw):
    _, connection = create(events, "BASIC", BASIC)
    with pytest.raises(ClientError) as caught:
        events_raw.create_api_destination(
            Name="Invalid Name With Spaces!",
            ConnectionArn=connection["ConnectionArn"],
            HttpMethod="POST",
            InvocationEndpoint="https://example.com/api",
        )
    assert error_of(caught) == (
        "ValidationException",
        "1 validation error detected: Value 'Invalid Name With Spaces!' at 'name' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+",
        400,
    )
    missing = connection["ConnectionArn"].replace(":connection/", ":connection/x")
    with pytest.raises(ClientError) as caught:
        events.create_api_destination(
            Name=unique("d"),
            ConnectionArn=missing,
            HttpMethod="POST",
            InvocationEndpoint="https://example.com",
        )
    assert error_of(caught)[0] == "ResourceNotFoundException"
    name = unique("d")
    events.create_api_destination(
        Name=name,
        ConnectionArn=connection["ConnectionArn"],
        HttpMethod="POST",
        InvocationEndpoint="https://e.com",
    )
    with pytest.raises(ClientError) as caught:
        events.create_api_destination(
            Name=name,
            ConnectionArn=connection["ConnectionArn"],
            HttpMethod="POST",
            InvocationEndpoint="https://e.com",
        )
    assert error_of(caught)[0] == "ResourceAlreadyExistsException"
    with pytest.raises(ClientError) as caught:
        events_raw.update_api_destination(Name=name, HttpMethod="TRACE")
    assert "[HEAD, POST, PATCH, DELETE, PUT, GET, OPTIONS]" in error_of(caught)[1]


# ---- delivery ------------------------------------------------------------------------------------


def test_event_reaches_api_destination_with_api_key(events, http_endpoint):
    _, connection = create(
        events,
        "API_KEY",
        {
            "ApiKeyAuthParameters": {"ApiKeyName": "x-api-key", "ApiKeyValue": "k3y"},
            "InvocationHttpParameters": {"QueryStringParameters": [{"Key": "from", "Value": "connection"}]},
        },
    )
    destination = events.create_api_destination(
        Name=unique("dest"),
        ConnectionArn=connection["ConnectionArn"],
        HttpMethod="PUT",
        InvocationEndpoint=f"{http_endpoint.url}/hook/*",
    )["ApiDestinationArn"]
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    rule = unique("rule")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[
            {
                "Id": "api",
                "Arn": destination,
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events-invoke",
                "HttpParameters": {
                    "PathParameterValues": ["p1"],
                    "HeaderParameters": {"x-target": "t"},
                    "QueryStringParameters": {"q": "v"},
                },
            }
        ],
    )
    assert events.put_events(Entries=[entry(bus)])["FailedEntryCount"] == 0
    deadline = time.monotonic() + 10
    while not http_endpoint.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    (request,) = http_endpoint.requests
    assert request["method"] == "PUT"
    assert request["path"].startswith("/hook/p1?")
    assert "q=v" in request["path"] and "from=connection" in request["path"]
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["x-api-key"] == "k3y"
    assert headers["x-target"] == "t"
    event = json.loads(request["body"])
    assert event["source"] == "core.update-account-command"


def test_bad_next_token_is_refused(events):
    for call in (events.list_connections, events.list_api_destinations):
        with pytest.raises(ClientError) as caught:
            call(NextToken="%%%")
        assert error_of(caught)[0::2] == ("ValidationException", 400)  # message unverified
