"""State machine versions and aliases, ValidateStateMachineDefinition and
DescribeStateMachineForExecution, against the answers recorded in
``aws-reference/stepfunctions/v2/test_sfn_api_{versioning,aliasing,validation}.snapshot.json``."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config

from .conftest import PASS_MACHINE, ROLE, unique, wait_done


def _error(info: pytest.ExceptionInfo) -> tuple[str, str]:
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def _with_comment(comment: str) -> str:
    return json.dumps({**PASS_MACHINE, "Comment": comment})


def _create(sfn, **kwargs) -> dict:
    return sfn.create_state_machine(
        name=unique(), definition=json.dumps(PASS_MACHINE), roleArn=ROLE, **kwargs
    )


def _strip(answer: dict) -> dict:
    answer = dict(answer)
    answer.pop("ResponseMetadata", None)
    return answer


# ---- versions ------------------------------------------------------------------------------------


def test_create_with_publish_and_describe_the_version(sfn):
    created = _create(sfn, publish=True, versionDescription="HelloWorld!")
    arn = created["stateMachineArn"]
    assert created["stateMachineVersionArn"] == f"{arn}:1"
    version = _strip(sfn.describe_state_machine(stateMachineArn=f"{arn}:1"))
    version.pop("creationDate")
    assert json.loads(version.pop("definition")) == PASS_MACHINE
    assert version == {
        "stateMachineArn": f"{arn}:1",
        "name": arn.rpartition(":")[2],
        "status": "ACTIVE",
        "roleArn": ROLE,
        "type": "STANDARD",
        "description": "HelloWorld!",
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }  # recorded: no revisionId before the machine is updated
    machine = sfn.describe_state_machine(stateMachineArn=arn)
    assert "description" not in machine and "revisionId" not in machine


def test_create_without_publish_answers_no_version(sfn):
    created = _create(sfn)
    assert "stateMachineVersionArn" not in created
    assert (
        sfn.list_state_machine_versions(stateMachineArn=created["stateMachineArn"])["stateMachineVersions"]
        == []
    )


def test_version_description_needs_publish(sfn):
    with pytest.raises(sfn.exceptions.ValidationException) as info:
        _create(sfn, versionDescription="HelloWorld!")
    assert _error(info) == ("ValidationException", "Version description can only be set when publish is true")
    arn = _create(sfn)["stateMachineArn"]
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("x"), versionDescription="d")


def test_update_with_publish_lists_versions_newest_first(sfn):
    arn = _create(sfn)["stateMachineArn"]
    first = sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R1"), publish=True)
    assert first["stateMachineVersionArn"] == f"{arn}:1" and first["revisionId"]
    second = sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R2"), publish=True)
    assert second["stateMachineVersionArn"] == f"{arn}:2" and second["revisionId"] != first["revisionId"]
    listed = sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]
    assert [v["stateMachineVersionArn"] for v in listed] == [f"{arn}:2", f"{arn}:1"]
    for kwargs in ({}, {"publish": True}):  # recorded: a version ARN is no machine to update
        with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as info:
            sfn.update_state_machine(stateMachineArn=f"{arn}:2", definition=_with_comment("R3"), **kwargs)
        assert _error(info) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}:2'")


def test_publish_versions_with_revisions_and_conflict(sfn):
    arn = _create(sfn)["stateMachineArn"]
    r1 = sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R1"))["revisionId"]
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:1"
    v1 = sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    assert v1["revisionId"] == r1 and json.loads(v1["definition"])["Comment"] == "R1"
    r2 = sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R2"))["revisionId"]
    published = sfn.publish_state_machine_version(stateMachineArn=arn, description="PublishedV2Description")
    assert published["stateMachineVersionArn"] == f"{arn}:2"
    v2 = sfn.describe_state_machine(stateMachineArn=f"{arn}:2")
    assert (v2["revisionId"], v2["description"]) == (r2, "PublishedV2Description")
    r3 = sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R3"))["revisionId"]
    with pytest.raises(sfn.exceptions.ConflictException) as info:
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=r2)
    assert _error(info) == (
        "ConflictException",
        f"Failed to publish the State Machine version for revision {r2}. The current State Machine revision is {r3}.",
    )
    assert (
        sfn.publish_state_machine_version(stateMachineArn=arn, revisionId=r3)["stateMachineVersionArn"]
        == f"{arn}:3"
    )


def test_publish_is_idempotent_for_an_unchanged_revision(sfn):
    arn = _create(sfn)["stateMachineArn"]
    first = sfn.publish_state_machine_version(stateMachineArn=arn)
    second = sfn.publish_state_machine_version(stateMachineArn=arn)
    assert first["stateMachineVersionArn"] == second["stateMachineVersionArn"] == f"{arn}:1"
    assert first["creationDate"] == second["creationDate"]
    assert len(sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"]) == 1


@pytest.mark.parametrize("publish_on_creation", [True, False])
def test_update_without_change_keeps_the_revision(sfn, publish_on_creation):
    created = _create(sfn, publish=publish_on_creation)
    arn = created["stateMachineArn"]
    for _ in range(2):  # recorded: same definition, no revision, the same version
        updated = _strip(
            sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(PASS_MACHINE), publish=True)
        )
        assert set(updated) == {"updateDate", "stateMachineVersionArn"}
        assert updated["stateMachineVersionArn"] == f"{arn}:1"


def test_version_numbers_are_not_reused(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R2"), publish=True)
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:2")
    assert sfn.publish_state_machine_version(stateMachineArn=arn)["stateMachineVersionArn"] == f"{arn}:3"


def test_delete_version_then_again(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    assert sfn.list_state_machine_versions(stateMachineArn=arn)["stateMachineVersions"] == []
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")  # recorded: fine
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=f"{arn}:1")


def test_publish_errors(sfn):
    with pytest.raises(sfn.exceptions.InvalidArn) as info:
        sfn.publish_state_machine_version(stateMachineArn="invalid_arn")
    assert _error(info) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: invalid_arn'")
    missing = _create(sfn)["stateMachineArn"] + "-missing"
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as info:
        sfn.publish_state_machine_version(stateMachineArn=missing)
    assert _error(info) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{missing}'")


def test_list_versions_pages(sfn, sfn_raw):
    arn = _create(sfn)["stateMachineArn"]
    for n in range(13):
        sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment(f"R{n}"), publish=True)
    page = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=10)
    assert [v["stateMachineVersionArn"] for v in page["stateMachineVersions"]] == [
        f"{arn}:{n}" for n in range(13, 3, -1)
    ]
    rest = sfn.list_state_machine_versions(stateMachineArn=arn, maxResults=10, nextToken=page["nextToken"])
    assert [v["stateMachineVersionArn"] for v in rest["stateMachineVersions"]] == [
        f"{arn}:3",
        f"{arn}:2",
        f"{arn}:1",
    ]
    assert "nextToken" not in rest
    with pytest.raises(sfn.exceptions.ValidationException) as info:
        sfn_raw.list_state_machine_versions(stateMachineArn=arn, maxResults=1001)
    assert _error(info) == (
        "ValidationException",
        "1 validation error detected: Value '1001' at 'maxResults' failed to satisfy constraint: "
        "Member must have value less than or equal to 1000",
    )
    with pytest.raises(sfn.exceptions.ValidationException) as info:
        sfn_raw.list_state_machine_versions(stateMachineArn=arn, nextToken="t" * 1025)
    assert "Member must have length less than or equal to 1024" in _error(info)[1]


def test_deleting_the_machine_deletes_versions_and_aliases(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    alias = sfn.create_state_machine_alias(
        name="live", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    )["stateMachineAliasArn"]
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.describe_state_machine(stateMachineArn=f"{arn}:1")
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=alias)
    name = arn.rpartition(":")[2]  # a new machine of the same name starts at version 1
    again = sfn.create_state_machine(
        name=name, definition=json.dumps(PASS_MACHINE), roleArn=ROLE, publish=True
    )
    assert again["stateMachineVersionArn"] == f"{arn}:1"


# ---- executions of versions and aliases ----------------------------------------------------------


def test_start_execution_of_a_version_runs_its_definition(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps({**PASS_MACHINE, "States": {
        "State_1": {"Type": "Pass", "Result": "new", "End": True}}}))  # fmt: skip
    on_machine = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    on_version = sfn.start_execution(stateMachineArn=f"{arn}:1")["executionArn"]
    assert json.loads(wait_done(sfn, on_machine)["output"]) == "new"
    described = wait_done(sfn, on_version)
    assert json.loads(described["output"]) == {"Arg1": "argument1"}
    assert described["stateMachineArn"] == arn
    assert described["stateMachineVersionArn"] == f"{arn}:1"
    assert "stateMachineAliasArn" not in described
    listed = sfn.list_executions(stateMachineArn=f"{arn}:1")["executions"]
    assert [e["executionArn"] for e in listed] == [on_version]
    assert listed[0]["stateMachineVersionArn"] == f"{arn}:1"
    both = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert {e["executionArn"] for e in both} == {on_machine, on_version}
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as info:
        sfn.start_execution(stateMachineArn=f"{arn}:9")
    assert _error(info) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}:9'")


def test_start_execution_through_an_alias(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    alias = sfn.create_state_machine_alias(
        name="state_machine_alias_name",
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}],
    )["stateMachineAliasArn"]
    assert alias == f"{arn}:state_machine_alias_name"
    execution = sfn.start_execution(stateMachineArn=alias)["executionArn"]
    described = _strip(wait_done(sfn, execution))
    assert described["stateMachineAliasArn"] == alias
    assert described["stateMachineVersionArn"] == f"{arn}:1"
    assert described["stateMachineArn"] == arn
    listed = sfn.list_executions(stateMachineArn=alias)["executions"]
    assert [(e["executionArn"], e["stateMachineAliasArn"]) for e in listed] == [(execution, alias)]
    machine = sfn.describe_state_machine_for_execution(executionArn=execution)
    assert machine["stateMachineArn"] == arn and json.loads(machine["definition"]) == PASS_MACHINE
    started = sfn.get_execution_history(executionArn=execution)["events"][0]["executionStartedEventDetails"]
    assert (started["stateMachineVersionArn"], started["stateMachineAliasArn"]) == (f"{arn}:1", alias)


def test_versions_and_aliases_have_no_tags(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    with pytest.raises(sfn.exceptions.ResourceNotFound) as info:
        sfn.tag_resource(resourceArn=f"{arn}:1", tags=[{"key": "k", "value": "v"}])
    assert _error(info) == ("ResourceNotFound", f"Resource not found: '{arn}:1'")
    sfn.tag_resource(resourceArn=arn, tags=[{"key": "k", "value": "v"}])
    assert sfn.list_tags_for_resource(resourceArn=arn)["tags"] == [{"key": "k", "value": "v"}]


def test_alias_routes_by_weight(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R2"), publish=True)
    alias = sfn.create_state_machine_alias(
        name="split",
        routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 50},
            {"stateMachineVersionArn": f"{arn}:2", "weight": 50},
        ],
    )["stateMachineAliasArn"]
    seen = set()
    for _ in range(40):
        execution = sfn.start_execution(stateMachineArn=alias)["executionArn"]
        seen.add(sfn.describe_execution(executionArn=execution)["stateMachineVersionArn"])
    assert seen == {f"{arn}:1", f"{arn}:2"}
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[
            {"stateMachineVersionArn": f"{arn}:1", "weight": 0},
            {"stateMachineVersionArn": f"{arn}:2", "weight": 100},
        ],
    )
    for _ in range(10):
        execution = sfn.start_execution(stateMachineArn=alias)["executionArn"]
        assert sfn.describe_execution(executionArn=execution)["stateMachineVersionArn"] == f"{arn}:2"


def test_express_version_and_sync_execution(sfn, aws_client):
    created = _create(sfn, type="EXPRESS", publish=True)
    assert created["stateMachineVersionArn"] == created["stateMachineArn"] + ":1"
    sync = aws_client("stepfunctions", config=Config(inject_host_prefix=False))
    done = sync.start_sync_execution(stateMachineArn=created["stateMachineVersionArn"])
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == {"Arg1": "argument1"}
    assert done["stateMachineArn"] == created["stateMachineArn"]


def test_describe_state_machine_for_execution(sfn):
    arn = _create(sfn)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_done(sfn, execution)
    described = _strip(sfn.describe_state_machine_for_execution(executionArn=execution))
    described.pop("updateDate")
    assert json.loads(described.pop("definition")) == PASS_MACHINE
    assert described == {
        "stateMachineArn": arn,
        "name": arn.rpartition(":")[2],
        "roleArn": ROLE,
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.describe_state_machine_for_execution(executionArn=execution + "-missing")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine_for_execution(executionArn=arn)


def test_describe_state_machine_for_execution_of_a_version_with_revision(sfn):
    arn = _create(sfn)["stateMachineArn"]
    revision = sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R2"), publish=True)[
        "revisionId"
    ]
    sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment("R3"))
    execution = sfn.start_execution(stateMachineArn=f"{arn}:1")["executionArn"]
    wait_done(sfn, execution)
    described = sfn.describe_state_machine_for_execution(executionArn=execution)
    assert described["revisionId"] == revision
    assert json.loads(described["definition"])["Comment"] == "R2"
    assert described["stateMachineArn"] == arn


# ---- aliases -------------------------------------------------------------------------------------


def _machine_with_versions(sfn, count: int) -> str:
    arn = _create(sfn, publish=True)["stateMachineArn"]
    for n in range(2, count + 1):
        sfn.update_state_machine(stateMachineArn=arn, definition=_with_comment(f"R{n}"), publish=True)
    return arn


def test_alias_lifecycle(sfn):
    arn = _machine_with_versions(sfn, 2)
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []
    alias = sfn.create_state_machine_alias(
        name="state_machine_alias_name",
        description="create state machine alias description",
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}],
    )["stateMachineAliasArn"]
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, description="new description")
    described = _strip(sfn.describe_state_machine_alias(stateMachineAliasArn=alias))
    assert described.pop("creationDate") <= described.pop("updateDate")
    assert described == {
        "stateMachineAliasArn": alias,
        "name": "state_machine_alias_name",
        "description": "new description",
        "routingConfiguration": [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}],
    }
    routing = [
        {"stateMachineVersionArn": f"{arn}:1", "weight": 50},
        {"stateMachineVersionArn": f"{arn}:2", "weight": 50},
    ]
    sfn.update_state_machine_alias(stateMachineAliasArn=alias, routingConfiguration=routing)
    assert sfn.describe_state_machine_alias(stateMachineAliasArn=alias)["routingConfiguration"] == routing
    listed = sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"]
    assert [a["stateMachineAliasArn"] for a in listed] == [alias]
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)
    sfn.delete_state_machine_alias(stateMachineAliasArn=alias)  # recorded: a missing alias is fine
    assert sfn.list_state_machine_aliases(stateMachineArn=arn)["stateMachineAliases"] == []
    with pytest.raises(sfn.exceptions.ResourceNotFound) as info:
        sfn.update_state_machine_alias(stateMachineAliasArn=alias, description="x")
    assert _error(info) == ("ResourceNotFound", "Request references a resource that does not exist.")


def test_create_alias_is_idempotent_only_for_the_same_alias(sfn):
    arn = _machine_with_versions(sfn, 2)
    routing = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    first = sfn.create_state_machine_alias(name="a", description="d", routingConfiguration=routing)
    again = sfn.create_state_machine_alias(name="a", description="d", routingConfiguration=routing)
    assert first["stateMachineAliasArn"] == again["stateMachineAliasArn"]
    assert first["creationDate"] == again["creationDate"]
    message = (
        "Failed to create alias because an alias with the same name and a different routing configuration "
        "already exists."
    )
    with pytest.raises(sfn.exceptions.ConflictException) as info:
        sfn.create_state_machine_alias(name="a", description="other", routingConfiguration=routing)
    assert _error(info) == ("ConflictException", message)
    with pytest.raises(sfn.exceptions.ConflictException) as info:
        sfn.create_state_machine_alias(
            name="a",
            description="d",
            routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}],
        )
    assert _error(info) == ("ConflictException", message)


def test_create_alias_bad_routing(sfn, sfn_raw):
    arn = _machine_with_versions(sfn, 3)
    v1, v2, v3 = (f"{arn}:{n}" for n in (1, 2, 3))

    def create(routing):
        with pytest.raises(sfn.exceptions.ValidationException) as info:
            sfn_raw.create_state_machine_alias(name="alias", routingConfiguration=routing)
        return _error(info)[1]

    assert create([{"stateMachineVersionArn": arn, "weight": 100}]) == (
        f"Routing configuration must contain state machine version ARNs. Received: [{arn}]"
    )
    assert create(
        [{"stateMachineVersionArn": arn, "weight": 50}, {"stateMachineVersionArn": v2, "weight": 50}]
    ) == (f"Routing configuration must contain state machine version ARNs. Received: [{arn}, {v2}]")
    assert create(
        [{"stateMachineVersionArn": v1, "weight": 50}, {"stateMachineVersionArn": v1, "weight": 50}]
    ) == (f"Routing configuration must contain distinct state machine version ARNs. Received: [{v1}, {v1}]")
    assert create(
        [{"stateMachineVersionArn": v1, "weight": 70}, {"stateMachineVersionArn": v2, "weight": 29}]
    ) == ("Sum of routing configuration weights must equal 100. Received: [70, 29]")
    assert create(
        [{"stateMachineVersionArn": v1, "weight": 70}, {"stateMachineVersionArn": v2, "weight": 31}]
    ) == ("Sum of routing configuration weights must equal 100. Received: [70, 31]")
    assert create([{"stateMachineVersionArn": v1, "weight": 101}]) == (
        "1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy "
        "constraint: Member must have value less than or equal to 100"
    )
    three = [
        {"stateMachineVersionArn": v1, "weight": 50},
        {"stateMachineVersionArn": v2, "weight": 30},
        {"stateMachineVersionArn": v3, "weight": 20},
    ]
    assert create(three) == (
        "1 validation error detected: Value '[RoutingConfigurationListItem(stateMachineVersionArn="
        f"{v1}, weight=50), RoutingConfigurationListItem(stateMachineVersionArn={v2}, weight=30), "
        f"RoutingConfigurationListItem(stateMachineVersionArn={v3}, weight=20)]' at 'routingConfiguration' "
        "failed to satisfy constraint: Member must have length less than or equal to 2"
    )


@pytest.mark.parametrize("name", ["123", "A" * 81, "INVALID ALIAS", "!INVALID", "ALIAS@"])
def test_create_alias_bad_name(sfn, sfn_raw, name):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    with pytest.raises(sfn.exceptions.ValidationException) as info:
        sfn_raw.create_state_machine_alias(
            name=name, routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
        )
    constraint = (
        "Member must have length less than or equal to 80"
        if len(name) > 80
        else r"Member must satisfy regular expression pattern: ^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$"
    )
    assert _error(info) == (
        "ValidationException",
        f"1 validation error detected: Value '{name}' at 'name' failed to satisfy constraint: {constraint}",
    )


def test_delete_version_an_alias_routes_to(sfn):
    arn = _machine_with_versions(sfn, 2)
    alias = sfn.create_state_machine_alias(
        name="state_machine_alias_name",
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:1", "weight": 100}],
    )["stateMachineAliasArn"]
    with pytest.raises(sfn.exceptions.ConflictException) as info:
        sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")
    assert _error(info) == (
        "ConflictException",
        "Version to be deleted must not be referenced by an alias. "
        "Current list of aliases referencing this version: [state_machine_alias_name]",
    )
    sfn.update_state_machine_alias(
        stateMachineAliasArn=alias,
        routingConfiguration=[{"stateMachineVersionArn": f"{arn}:2", "weight": 100}],
    )
    sfn.delete_state_machine_version(stateMachineVersionArn=f"{arn}:1")


def test_list_aliases_pages(sfn, sfn_raw):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    routing = [{"stateMachineVersionArn": f"{arn}:1", "weight": 100}]
    aliases = [
        sfn.create_state_machine_alias(name=f"AliasName-{n}", routingConfiguration=routing)[
            "stateMachineAliasArn"
        ]
        for n in (1, 2, 3)
    ]
    page = sfn.list_state_machine_aliases(stateMachineArn=arn, maxResults=1)
    assert [a["stateMachineAliasArn"] for a in page["stateMachineAliases"]] == aliases[:1]
    rest = sfn.list_state_machine_aliases(stateMachineArn=arn, nextToken=page["nextToken"])
    assert [a["stateMachineAliasArn"] for a in rest["stateMachineAliases"]] == aliases[1:]
    everything = sfn.list_state_machine_aliases(stateMachineArn=arn, maxResults=0)
    assert [a["stateMachineAliasArn"] for a in everything["stateMachineAliases"]] == aliases
    with pytest.raises(sfn.exceptions.InvalidToken) as info:
        sfn.list_state_machine_aliases(stateMachineArn=arn, nextToken="invalid_next_token")
    assert _error(info) == ("InvalidToken", "Invalid Token: 'Invalid token'")
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn_raw.list_state_machine_aliases(stateMachineArn=arn, maxResults=1001)


def test_alias_errors(sfn):
    arn = _create(sfn, publish=True)["stateMachineArn"]
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.describe_state_machine_alias(stateMachineAliasArn=f"{arn}:nope")
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist):
        sfn.start_execution(stateMachineArn=f"{arn}:nope")
    with pytest.raises(sfn.exceptions.InvalidArn):
        sfn.describe_state_machine_alias(stateMachineAliasArn="not-an-arn")
    with pytest.raises(sfn.exceptions.ResourceNotFound):
        sfn.create_state_machine_alias(
            name="gone", routingConfiguration=[{"stateMachineVersionArn": f"{arn}:7", "weight": 100}]
        )


# ---- ValidateStateMachineDefinition --------------------------------------------------------------


def _validate(sfn, definition: str, **kwargs) -> dict:
    return _strip(sfn.validate_state_machine_definition(definition=definition, **kwargs))


@pytest.mark.parametrize("machine_type", ["STANDARD", "EXPRESS"])
def test_validate_definitions(sfn, machine_type):
    assert _validate(sfn, json.dumps(PASS_MACHINE), type=machine_type) == {
        "result": "OK",
        "diagnostics": [],
        "truncated": False,
    }
    no_start = {k: v for k, v in PASS_MACHINE.items() if k != "StartAt"}
    assert _validate(sfn, json.dumps(no_start), type=machine_type) == {
        "result": "FAIL",
        "diagnostics": [
            {
                "severity": "ERROR",
                "code": "SCHEMA_VALIDATION_FAILED",
                "message": "These fields are required: [StartAt]",
                "location": "/",
            }
        ],
        "truncated": False,
    }
    downgrade = {
        "QueryLanguage": "JSONata",
        "StartAt": "Pass",
        "States": {"Pass": {"Type": "Pass", "QueryLanguage": "JSONPath", "End": True}},
    }
    assert _validate(sfn, json.dumps(downgrade), type=machine_type)["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
            "location": "/States/Pass",
        }
    ]


def test_validate_not_a_definition(sfn):
    assert _validate(sfn, "{}")["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "These fields are required: [States, StartAt]",
            "location": "/",
        }
    ]
    answer = _validate(sfn, "not a definition")
    assert answer["result"] == "FAIL"
    assert answer["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "INVALID_JSON_DESCRIPTION",
            "message": "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token "
            "'null', 'true' or 'false')\n at [Source: (String)\"not a definition\"; line: 1, column: 4]",
            "location": '[Source: (String)"not a definition"; line: 1, column: 4]',
        }
    ]


def test_validate_express_wait_for_task_token(sfn):
    definition = {
        "StartAt": "SendMessageWithWait",
        "States": {
            "SendMessageWithWait": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody": {"t.$": "$$.Task.Token"}},
                "End": True,
            }
        },
    }
    assert _validate(sfn, json.dumps(definition), type="STANDARD")["result"] == "OK"
    assert _validate(sfn, json.dumps(definition), type="EXPRESS")["diagnostics"] == [
        {
            "severity": "ERROR",
            "code": "SCHEMA_VALIDATION_FAILED",
            "message": "Express state machine does not support '.waitForTaskToken' service integration ",
            "location": "/States/SendMessageWithWait/Resource",
        }
    ]


def test_validate_max_results_truncates(sfn, sfn_raw):
    states = {f"S{n}": {"Type": "Pass", "Next": f"Missing{n}"} for n in range(3)}
    definition = json.dumps({"StartAt": "S0", "States": {**states, "End": {"Type": "Succeed"}}})
    full = _validate(sfn, definition)
    assert full["result"] == "FAIL" and len(full["diagnostics"]) >= 3 and not full["truncated"]
    cut = _validate(sfn, definition, maxResults=1)
    assert cut["diagnostics"] == full["diagnostics"][:1] and cut["truncated"] is True
    with pytest.raises(sfn.exceptions.ValidationException):
        sfn_raw.validate_state_machine_definition(definition=definition, maxResults=101)


def test_executions_stored_before_versions_stay_readable():
    from cloudlet.services.stepfunctions import store as sfn_store
    from cloudlet.store.db import Store

    db = Store(":memory:")
    db.migrate("stepfunctions", sfn_store.MIGRATIONS[:2])  # the schema before versions
    db.execute(
        "INSERT INTO sfn_executions (arn, machine_arn, name, status, started, stopped, input, output, error, "
        "cause, definition, role_arn, extra) VALUES ('e', 'm', 'n', 'SUCCEEDED', 1, 2, '{}', '{}', NULL, NULL, "
        "'{}', 'r', '{}')"
    )
    row = sfn_store.StepFunctionsStore(db).execution("e")
    assert row is not None and row.status == "SUCCEEDED"
    assert (row.version_arn, row.alias_arn, row.revision_id) == (None, None, None)
