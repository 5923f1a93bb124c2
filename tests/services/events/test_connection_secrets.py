"""A connection's secret in Secrets Manager, as AWS keeps it: GetSecretValue on the connection's
SecretArn answers the JSON recorded in test_connection_secrets (basic, api-key, oauth),
DescribeSecret shows OwningService ``events``, UpdateConnection writes a new version,
DeleteConnection removes the secret, and calls to the endpoint read it from there."""

from __future__ import annotations

import json
import re
import time

import pytest
from botocore.exceptions import ClientError
from tests.services.events.conftest import unique
from tests.services.events.test_connections import API_KEY, BASIC
from tests.services.events.test_put_events import PATTERN, entry, receive

ACCOUNT = "000000000000"

# AWS recorded "https://example.com/oauth"; an endpoint nothing listens on keeps the background
# authorization on this machine.
OAUTH_ENDPOINT = "http://127.0.0.1:9/oauth"
# test_connection_secrets[...]: "connection-secret" SecretString (keys in recorded order)
RECORDED = {
    "BASIC": (BASIC, {"username": "user", "password": "pass"}),
    "API_KEY": (API_KEY, {"api_key_name": "ApiKey", "api_key_value": "secret"}),
    "OAUTH_CLIENT_CREDENTIALS": (
        {
            "OAuthParameters": {
                "AuthorizationEndpoint": OAUTH_ENDPOINT,
                "ClientParameters": {"ClientID": "client_id", "ClientSecret": "client_secret"},
                "HttpMethod": "POST",
            }
        },
        {
            "client_id": "client_id",
            "client_secret": "client_secret",
            "authorization_endpoint": OAUTH_ENDPOINT,
            "http_method": "POST",
        },
    ),
}


@pytest.fixture
def sm(aws_client):
    return aws_client("secretsmanager")


def _connection(events, auth_type: str, auth: dict) -> tuple[str, str]:
    name = unique("conn")
    events.create_connection(Name=name, AuthorizationType=auth_type, AuthParameters=auth)
    return name, events.describe_connection(Name=name)["SecretArn"]


@pytest.mark.parametrize("auth_type", list(RECORDED))
def test_secret_value_is_the_recorded_json(events, sm, auth_type):
    auth, expected = RECORDED[auth_type]
    name, secret_arn = _connection(events, auth_type, auth)
    assert re.fullmatch(
        rf"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:events!connection/{name}/[0-9a-f-]{{36}}-\w{{6}}",
        secret_arn,
    )
    value = sm.get_secret_value(SecretId=secret_arn)
    value.pop("ResponseMetadata")
    assert value.pop("CreatedDate")
    assert re.fullmatch(r"[0-9a-f-]{36}", value.pop("VersionId"))
    secret_string = json.loads(value.pop("SecretString"))
    assert secret_string == expected
    assert list(secret_string) == list(expected)
    assert value == {
        "ARN": secret_arn,
        "Name": secret_arn.split(":secret:")[1][:-7],
        "VersionStages": ["AWSCURRENT"],
    }
    # the name works as a SecretId too ("!" is allowed in lookups)
    assert sm.get_secret_value(SecretId=value["Name"])["ARN"] == secret_arn


def test_describe_secret_shows_the_owning_service(events, sm):
    name, secret_arn = _connection(events, "BASIC", BASIC)
    described = sm.describe_secret(SecretId=secret_arn)
    assert described["OwningService"] == "events"
    assert described["Name"].startswith(f"events!connection/{name}/")
    assert {"Key": "aws:secretsmanager:owningService", "Value": "events"} in described["Tags"]
    assert "KmsKeyId" not in described  # the managed key aws/secretsmanager, as for any secret
    listed = sm.list_secrets(Filters=[{"Key": "owning-service", "Values": ["events"]}])["SecretList"]
    entry_ = next(s for s in listed if s["ARN"] == secret_arn)
    assert entry_["OwningService"] == "events"
    versions = sm.list_secret_version_ids(SecretId=secret_arn)["Versions"]
    assert [v["KmsKeyIds"] for v in versions] == [["DefaultEncryptionKey"]]


def test_update_connection_writes_a_new_version(events, sm):
    name, secret_arn = _connection(events, "BASIC", BASIC)
    first = sm.get_secret_value(SecretId=secret_arn)["VersionId"]
    events.update_connection(
        Name=name, AuthParameters={"BasicAuthParameters": {"Username": "other", "Password": "new"}}
    )
    assert events.describe_connection(Name=name)["SecretArn"] == secret_arn
    current = sm.get_secret_value(SecretId=secret_arn)
    assert json.loads(current["SecretString"]) == {"username": "other", "password": "new"}
    assert current["VersionId"] != first
    previous = sm.get_secret_value(SecretId=secret_arn, VersionStage="AWSPREVIOUS")
    assert previous["VersionId"] == first
    assert json.loads(previous["SecretString"]) == {"username": "user", "password": "pass"}


def test_update_connection_changing_its_type_rewrites_the_secret(events, sm):
    name, secret_arn = _connection(events, "BASIC", BASIC)
    events.update_connection(Name=name, AuthorizationType="API_KEY", AuthParameters=API_KEY)
    assert json.loads(sm.get_secret_value(SecretId=secret_arn)["SecretString"]) == {
        "api_key_name": "ApiKey",
        "api_key_value": "secret",
    }


def test_update_without_auth_leaves_the_secret(events, sm):
    name, secret_arn = _connection(events, "BASIC", BASIC)
    first = sm.get_secret_value(SecretId=secret_arn)["VersionId"]
    events.update_connection(Name=name, Description="only the description")
    assert sm.get_secret_value(SecretId=secret_arn)["VersionId"] == first


def test_invocation_parameters_are_kept_in_the_secret(events, sm):
    auth = {
        **API_KEY,
        "InvocationHttpParameters": {
            "HeaderParameters": [{"Key": "x-secret", "Value": "hidden", "IsValueSecret": True}]
        },
    }
    _, secret_arn = _connection(events, "API_KEY", auth)
    value = json.loads(sm.get_secret_value(SecretId=secret_arn)["SecretString"])
    assert value["invocation_http_parameters"] == {
        "header_parameters": [{"key": "x-secret", "value": "hidden", "is_value_secret": True}]
    }


def test_delete_connection_removes_the_secret(events, sm):
    name, secret_arn = _connection(events, "API_KEY", API_KEY)
    events.delete_connection(Name=name)
    for call in (sm.get_secret_value, sm.describe_secret):
        with pytest.raises(ClientError) as exc:
            call(SecretId=secret_arn)
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
    # no recovery window: the name is free again at once
    assert all(s["ARN"] != secret_arn for s in sm.list_secrets(IncludePlannedDeletion=True)["SecretList"])


def test_customers_cannot_change_the_connection_secret(events, sm):
    _, secret_arn = _connection(events, "BASIC", BASIC)
    with pytest.raises(ClientError) as exc:
        sm.put_secret_value(SecretId=secret_arn, SecretString='{"username": "x", "password": "y"}')
    # unverified: the message (AWS documents the cause for InvalidRequestException)
    assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    assert "managed by another service" in exc.value.response["Error"]["Message"]
    assert json.loads(sm.get_secret_value(SecretId=secret_arn)["SecretString"])["username"] == "user"


def test_calls_read_the_secret_from_secrets_manager(events, sqs, sm, make_queue, http_endpoint):
    """A secret a customer scheduled for deletion can no longer be read: the call fails (to the
    dead-letter queue) rather than using a copy kept elsewhere; restored, calls work again."""
    name, secret_arn = _connection(events, "API_KEY", API_KEY)
    destination = events.create_api_destination(
        Name=unique("dest"),
        ConnectionArn=events.describe_connection(Name=name)["ConnectionArn"],
        InvocationEndpoint=f"{http_endpoint.url}/hook",
        HttpMethod="POST",
    )["ApiDestinationArn"]
    dlq_url, dlq_arn = make_queue("dlq")
    bus, rule = unique("bus"), unique("rule")
    events.create_event_bus(Name=bus)
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)
    events.put_targets(
        Rule=rule,
        EventBusName=bus,
        Targets=[
            {
                "Id": "api",
                "Arn": destination,
                "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events",
                "DeadLetterConfig": {"Arn": dlq_arn},
            }
        ],
    )
    sm.delete_secret(SecretId=secret_arn, RecoveryWindowInDays=7)
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, dlq_url, wait=10)
    assert message["MessageAttributes"]["ERROR_CODE"]["StringValue"] == "NO_RESOURCE"  # unverified
    assert http_endpoint.requests == []
    sm.restore_secret(SecretId=secret_arn)
    events.put_events(Entries=[entry(bus)])
    deadline = time.monotonic() + 10
    while not http_endpoint.requests and time.monotonic() < deadline:
        time.sleep(0.05)
    (request,) = http_endpoint.requests
    assert {k.lower(): v for k, v in request["headers"].items()}["apikey"] == "secret"
