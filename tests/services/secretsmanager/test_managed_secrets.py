"""Secrets another service manages (interface.py ``ManagedSecrets``), as the API shows them:
OwningService in DescribeSecret and ListSecrets, the ``owning-service`` filter, names with
``!``, values encrypted like any secret, the documented refusals when a customer changes them,
immediate deletion by the owner, and durability."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.services.secretsmanager.conftest import error_of

from cloudlet.services.secretsmanager.interface import managed_secrets
from cloudlet.testing.server import ServerProcess, client

ACCOUNT, REGION = "000000000000", "us-east-1"
# unverified: the message; AWS's API reference lists this cause for InvalidRequestException
MANAGED = (
    "InvalidRequestException",
    "The secret is managed by another service, and you must use that service to update it.",
)


@pytest.fixture
def managed(cloudlet):
    """Call the managed-secret interface on the server's loop: ``managed(method, *args)``."""

    def call(method: str, *args):
        return cloudlet.call(lambda: getattr(managed_secrets(cloudlet.app.runtime), method)(*args))

    return call


@pytest.fixture
def owned(managed):
    """A managed secret ``svc!thing/<uuid>``; its (name, ARN)."""
    name = f"svc!thing/{uuid.uuid4()}"
    return name, managed("create_managed_secret", ACCOUNT, REGION, name, '{"k": "v1"}', "svc")


def test_created_secret_reads_and_describes_as_managed(sm, owned):
    name, arn = owned
    assert (
        arn.startswith(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-")
        and len(arn) == len(f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:{name}-") + 6
    )
    value = sm.get_secret_value(SecretId=name)
    assert (value["ARN"], value["Name"], value["SecretString"]) == (arn, name, '{"k": "v1"}')
    assert value["VersionStages"] == ["AWSCURRENT"]
    described = sm.describe_secret(SecretId=arn)
    assert described["OwningService"] == "svc"
    assert described["Tags"] == [{"Key": "aws:secretsmanager:owningService", "Value": "svc"}]
    assert list(described["VersionIdsToStages"].values()) == [["AWSCURRENT"]]
    versions = sm.list_secret_version_ids(SecretId=arn)["Versions"]
    assert versions[0]["KmsKeyIds"] == ["DefaultEncryptionKey"]  # aws/secretsmanager


def test_customer_secrets_have_no_owning_service(sm, make_secret):
    arn = make_secret()["ARN"]
    assert "OwningService" not in sm.describe_secret(SecretId=arn)
    listed = sm.list_secrets(Filters=[{"Key": "name", "Values": [sm.describe_secret(SecretId=arn)["Name"]]}])
    assert "OwningService" not in listed["SecretList"][0]


def test_list_secrets_shows_and_filters_by_owning_service(sm, owned, make_secret):
    _, arn = owned
    mine = make_secret()["ARN"]
    by_owner = sm.list_secrets(Filters=[{"Key": "owning-service", "Values": ["svc"]}])["SecretList"]
    assert arn in [s["ARN"] for s in by_owner] and mine not in [s["ARN"] for s in by_owner]
    assert next(s for s in by_owner if s["ARN"] == arn)["OwningService"] == "svc"
    others = sm.list_secrets(Filters=[{"Key": "owning-service", "Values": ["!svc"]}])["SecretList"]
    assert arn not in [s["ARN"] for s in others]


def test_put_value_moves_awscurrent(sm, managed, owned):
    name, arn = owned
    first = sm.get_secret_value(SecretId=arn)["VersionId"]
    version = managed("put_managed_secret_value", arn, '{"k": "v2"}')
    current = sm.get_secret_value(SecretId=name)
    assert (current["VersionId"], current["SecretString"]) == (version, '{"k": "v2"}')
    previous = sm.get_secret_value(SecretId=arn, VersionStage="AWSPREVIOUS")
    assert (previous["VersionId"], previous["SecretString"]) == (first, '{"k": "v1"}')


def test_delete_is_immediate(sm, managed, owned):
    name, arn = owned
    managed("delete_managed_secret", arn)
    with pytest.raises(ClientError) as exc:
        sm.describe_secret(SecretId=arn)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    managed("delete_managed_secret", arn)  # deleting again is nothing
    # the name is free at once (no recovery window)
    assert managed("create_managed_secret", ACCOUNT, REGION, name, "{}", "svc") != arn


def test_interface_refusals(cloudlet, managed, owned, make_secret):
    name, arn = owned

    def code_of(method: str, *args) -> str:
        try:
            managed(method, *args)
        except Exception as exc:  # the ServiceError raised on the server's loop
            return exc.code  # type: ignore[attr-defined]
        raise AssertionError("not refused")

    assert code_of("create_managed_secret", ACCOUNT, REGION, name, "{}", "svc") == "ResourceExistsException"
    assert code_of("create_managed_secret", ACCOUNT, REGION, "bad name", "{}", "svc") == "ValidationException"
    assert code_of("put_managed_secret_value", arn + "x", "{}") == "ResourceNotFoundException"
    customer = make_secret()["ARN"]
    assert code_of("put_managed_secret_value", customer, "{}") == "InvalidRequestException"
    managed("delete_managed_secret", customer)  # not the service's to delete: left alone


def test_customers_cannot_update_a_managed_secret(sm, owned):
    name, arn = owned
    calls = [
        lambda: sm.put_secret_value(SecretId=arn, SecretString="x"),
        lambda: sm.update_secret(SecretId=arn, Description="mine now"),
        lambda: sm.update_secret(SecretId=name, SecretString="x"),
        lambda: sm.update_secret_version_stage(SecretId=arn, VersionStage="MINE"),
        lambda: sm.rotate_secret(
            SecretId=arn, RotationLambdaARN=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"
        ),
        lambda: sm.cancel_rotate_secret(SecretId=arn),
        lambda: sm.replicate_secret_to_regions(SecretId=arn, AddReplicaRegions=[{"Region": "eu-west-1"}]),
        lambda: sm.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == MANAGED
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == '{"k": "v1"}'
    assert "Description" not in sm.describe_secret(SecretId=arn)


def test_customers_may_tag_and_schedule_deletion(sm, managed, owned):
    _, arn = owned
    sm.tag_resource(SecretId=arn, Tags=[{"Key": "team", "Value": "a"}])
    assert {"Key": "team", "Value": "a"} in sm.describe_secret(SecretId=arn)["Tags"]
    sm.delete_secret(SecretId=arn, RecoveryWindowInDays=7)
    assert "DeletedDate" in sm.describe_secret(SecretId=arn)
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=arn)
    assert error_of(exc)[0] == "InvalidRequestException"  # marked for deletion
    with pytest.raises(Exception) as refused:
        managed("put_managed_secret_value", arn, "{}")
    assert refused.value.code == "InvalidRequestException"  # type: ignore[attr-defined]
    sm.restore_secret(SecretId=arn)
    assert sm.get_secret_value(SecretId=arn)["SecretString"] == '{"k": "v1"}'


def test_customers_still_cannot_create_names_with_bang(sm):
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=f"events!connection/{uuid.uuid4()}", SecretString="x")
    assert error_of(exc)[0] == "ValidationException"


def test_lookup_of_a_missing_bang_name_is_not_found(sm):
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId="events!connection/none")
    assert error_of(exc)[0] == "ResourceNotFoundException"


def test_connection_secret_survives_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        events = client("events", server.endpoint)
        events.create_connection(
            Name="durable",
            AuthorizationType="BASIC",
            AuthParameters={"BasicAuthParameters": {"Username": "user", "Password": "pass"}},
        )
        arn = events.describe_connection(Name="durable")["SecretArn"]
    finally:
        server.kill()
    server.start()
    try:
        sm = client("secretsmanager", server.endpoint)
        assert json.loads(sm.get_secret_value(SecretId=arn)["SecretString"]) == {
            "username": "user",
            "password": "pass",
        }
        assert sm.describe_secret(SecretId=arn)["OwningService"] == "events"
    finally:
        server.kill()
