"""State machine versions and aliases, ValidateStateMachineDefinition and
DescribeStateMachineForExecution: the operations of the Step Functions provider that know
qualified ARNs.

A version (``stateMachine:name:3``) is the machine's definition and settings as they were when
published; its number is never reused, even once deleted. An alias (``stateMachine:name:live``)
routes executions to one or two versions by weight. An execution started on either runs that
version's definition and remembers the version and alias (DescribeExecution, ListExecutions).
Deleting a machine deletes its versions and aliases.
"""

from __future__ import annotations

import dataclasses
import random
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.stepfunctions import errors
from cloudlet.services.stepfunctions.store import AliasRow, ExecutionRow, MachineRow, VersionRow

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.provider import StepFunctionsProvider

MAX_VERSIONS = 1000  # per state machine (AWS quota)
MAX_ALIASES = 100  # per state machine (AWS quota)
MAX_DIAGNOSTICS = 100  # ValidateStateMachineDefinition's default and largest maxResults
_DEFAULT_LOGGING = {"level": "OFF", "includeExecutionData": False}
_DEFAULT_TRACING = {"enabled": False}


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 400)


def resource_not_found() -> ServiceError:
    return ServiceError("ResourceNotFound", "Request references a resource that does not exist.", 400)


def _revision(m: MachineRow) -> str | None:
    """The machine's revision as AWS shows it: none until it is first updated."""
    return m.revision_id if m.updated is not None else None


def _is_version(qualifier: str) -> bool:
    return qualifier.isdigit()


class VersionOperations:
    """Versions, aliases, definition validation and DescribeStateMachineForExecution."""

    # ---- qualified ARNs ----------------------------------------------------------------------

    def _split(self: StepFunctionsProvider, arn: str) -> tuple[str, str | None]:
        """(machine ARN, qualifier or None) of a state machine, version or alias ARN."""
        _, parts = self._arn_of(arn, "stateMachine")
        if len(parts) == 2:
            return arn, None
        if len(parts) == 3 and parts[2]:
            return arn.rpartition(":")[0], parts[2]
        raise errors.invalid_arn(f"Invalid ARN prefix: {arn}")  # unverified

    def _version_of(self: StepFunctionsProvider, arn: str) -> VersionRow:
        """A version ARN's version; StateMachineDoesNotExist otherwise (as for a machine)."""
        base, qualifier = self._split(arn)
        found = self.db.version(arn) if qualifier is not None and _is_version(qualifier) else None
        if found is None or self.db.machine(base) is None:
            raise errors.machine_not_found(arn)
        return found

    def _runnable(
        self: StepFunctionsProvider, ctx: RequestContext, arn: str
    ) -> tuple[MachineRow, dict[str, Any]]:
        """What StartExecution runs for ``arn``: the machine (with a version's definition and
        settings when ``arn`` names a version or an alias) and the ExecutionRow fields that
        remember it (``version_arn``, ``alias_arn``, ``revision_id``)."""
        base, qualifier = self._split(arn)
        if qualifier is None:
            m = self._machine(ctx, arn)
            return m, {"revision_id": _revision(m)}
        machine = self.db.machine(base)
        if machine is None:
            raise errors.machine_not_found(arn)
        alias_arn = None
        version_arn = arn
        if not _is_version(qualifier):
            alias = self.db.alias(arn)
            if alias is None:
                raise errors.machine_not_found(arn)  # unverified: an alias that does not exist
            version_arn, alias_arn = _route(alias.routing), arn
        version = self.db.version(version_arn)
        if version is None:
            raise errors.machine_not_found(arn)
        run = dataclasses.replace(
            machine,
            definition=version.definition,
            role_arn=version.role_arn,
            settings={**machine.settings, **version.settings},
        )
        return run, {"version_arn": version.arn, "alias_arn": alias_arn, "revision_id": version.revision_id}

    def _listed(
        self: StepFunctionsProvider, ctx: RequestContext, arn: str
    ) -> tuple[MachineRow, tuple[str, str] | None]:
        """ListExecutions' machine and, for a version or alias ARN, the executions it keeps."""
        base, qualifier = self._split(arn)
        if qualifier is None:
            return self._machine(ctx, arn), None
        machine = self.db.machine(base)
        if machine is None:
            raise errors.machine_not_found(arn)
        if _is_version(qualifier):
            self._version_of(arn)
            return machine, ("version_arn", arn)
        if self.db.alias(arn) is None:
            raise resource_not_found()  # unverified
        return machine, ("alias_arn", arn)

    def _taggable(self: StepFunctionsProvider, ctx: RequestContext, arn: str) -> MachineRow:
        """The machine whose tags TagResource and kin touch; versions and aliases have none."""
        if self._split(arn)[1] is not None:
            raise ServiceError(
                "ResourceNotFound", f"Resource not found: '{arn}'", 400
            )  # recorded (a version)
        return self._machine(ctx, arn)

    # ---- versions ----------------------------------------------------------------------------

    def _publish(self: StepFunctionsProvider, m: MachineRow, description: str | None) -> VersionRow:
        """Publish the machine's current revision (in the caller's transaction); the latest
        version when it already holds that revision."""
        revision = _revision(m)
        versions = self.db.versions(m.arn)
        if versions and versions[0].revision_id == revision:
            return versions[0]  # recorded: publishing an unchanged revision answers its version
        if len(versions) >= MAX_VERSIONS:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"Maximum number of versions ({MAX_VERSIONS}) for the state machine reached.",
                400,
            )  # unverified
        number = self.db.next_version(m.arn)
        settings = {
            "loggingConfiguration": m.settings.get("loggingConfiguration") or dict(_DEFAULT_LOGGING),
            "tracingConfiguration": m.settings.get("tracingConfiguration") or dict(_DEFAULT_TRACING),
        }
        version = VersionRow(
            f"{m.arn}:{number}", m.arn, number, m.definition, m.role_arn, revision, description,
            self.clock.now(), settings,
        )  # fmt: skip
        self.db.add_version(version)
        return version

    def _published(self: StepFunctionsProvider, m: MachineRow, params: dict[str, Any]) -> dict[str, Any]:
        """CreateStateMachine's and UpdateStateMachine's ``publish``: the version's ARN."""
        if not params.get("publish"):
            return {}
        return {"stateMachineVersionArn": self._publish(m, params.get("versionDescription")).arn}

    @staticmethod
    def _check_publish(params: dict[str, Any]) -> None:
        """``versionDescription`` needs ``publish`` (CreateStateMachine, UpdateStateMachine)."""
        if params.get("versionDescription") is not None and not params.get("publish"):
            raise validation("Version description can only be set when publish is true")

    def publish_state_machine_version(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            m = self._machine(ctx, params["stateMachineArn"])
            given = params.get("revisionId")
            if given is not None and given != m.revision_id:
                raise conflict(
                    f"Failed to publish the State Machine version for revision {given}. "
                    f"The current State Machine revision is {m.revision_id}."
                )
            version = self._publish(m, params.get("description"))
        return {"creationDate": version.created, "stateMachineVersionArn": version.arn}

    def list_state_machine_versions(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        m = self._machine(ctx, params["stateMachineArn"])
        items = [
            {"stateMachineVersionArn": v.arn, "creationDate": v.created} for v in self.db.versions(m.arn)
        ]
        return self._page("stateMachineVersions", items, params)

    def delete_state_machine_version(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn = params["stateMachineVersionArn"]
        base, qualifier = self._split(arn)
        if qualifier is None or not _is_version(qualifier):
            raise validation(f"Invalid state machine version ARN: {arn}")  # unverified
        with self.store.transaction():
            routed = [
                a.name
                for a in self.db.aliases(base)
                if any(r["stateMachineVersionArn"] == arn for r in a.routing)
            ]
            if routed:
                raise conflict(
                    "Version to be deleted must not be referenced by an alias. "
                    f"Current list of aliases referencing this version: [{', '.join(routed)}]"
                )
            self.db.drop_version(arn)  # recorded: a missing version is fine
        return {}

    def _describe_version(self: StepFunctionsProvider, arn: str) -> dict[str, Any]:
        """DescribeStateMachine of a version ARN."""
        v = self._version_of(arn)
        machine = self.db.machine(v.machine_arn)
        assert machine is not None  # _version_of checked it
        out: dict[str, Any] = {
            "stateMachineArn": v.arn,
            "name": machine.name,
            "status": "ACTIVE",
            "definition": v.definition,
            "roleArn": v.role_arn,
            "type": machine.machine_type,
            "creationDate": v.created,
            "loggingConfiguration": v.settings.get("loggingConfiguration") or dict(_DEFAULT_LOGGING),
            "tracingConfiguration": v.settings.get("tracingConfiguration") or dict(_DEFAULT_TRACING),
        }
        if v.revision_id is not None:
            out["revisionId"] = v.revision_id
        if v.description is not None:
            out["description"] = v.description
        return out

    # ---- aliases -----------------------------------------------------------------------------

    def _routing(self: StepFunctionsProvider, routing: list[dict[str, Any]]) -> str:
        """Check a routing configuration; the machine ARN its versions belong to."""
        arns = [r["stateMachineVersionArn"] for r in routing]
        machines = set()
        for arn in arns:
            base, qualifier = self._split(arn)
            if qualifier is None or not _is_version(qualifier):
                raise validation(
                    f"Routing configuration must contain state machine version ARNs. Received: [{', '.join(arns)}]"
                )
            machines.add(base)
        if len(set(arns)) != len(arns):
            raise validation(
                "Routing configuration must contain distinct state machine version ARNs. "
                f"Received: [{', '.join(arns)}]"
            )
        weights = [int(r["weight"]) for r in routing]
        if sum(weights) != 100:
            raise validation(
                f"Sum of routing configuration weights must equal 100. Received: [{', '.join(map(str, weights))}]"
            )
        if len(machines) != 1:
            raise validation(
                "Routing configuration must contain state machine version ARNs of the same state machine. "
                f"Received: [{', '.join(arns)}]"
            )  # unverified
        (base,) = machines
        if self.db.machine(base) is None:
            raise errors.machine_not_found(base)  # unverified
        for arn in arns:
            if self.db.version(arn) is None:
                raise resource_not_found()  # unverified
        return base

    def _alias_of(self: StepFunctionsProvider, arn: str) -> AliasRow:
        _, qualifier = self._split(arn)
        if qualifier is None or _is_version(qualifier):
            raise errors.invalid_arn(f"Invalid ARN prefix: {arn}")  # unverified
        found = self.db.alias(arn)
        if found is None:
            raise resource_not_found()
        return found

    def create_state_machine_alias(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        routing = [
            {"stateMachineVersionArn": r["stateMachineVersionArn"], "weight": r["weight"]}
            for r in params["routingConfiguration"]
        ]
        description = params.get("description")
        with self.store.transaction():
            base = self._routing(routing)
            arn = f"{base}:{params['name']}"
            existing = self.db.alias(arn)
            if existing is not None:
                if existing.routing == routing and existing.description == description:
                    return {"stateMachineAliasArn": arn, "creationDate": existing.created}  # recorded
                raise conflict(
                    "Failed to create alias because an alias with the same name and a different routing "
                    "configuration already exists."
                )
            if len(self.db.aliases(base)) >= MAX_ALIASES:
                raise ServiceError(
                    "ServiceQuotaExceededException",
                    f"Maximum number of aliases ({MAX_ALIASES}) for the state machine reached.",
                    400,
                )  # unverified
            now = self.clock.now()
            self.db.add_alias(AliasRow(arn, base, params["name"], description, routing, now, now))
        return {"stateMachineAliasArn": arn, "creationDate": now}

    def describe_state_machine_alias(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        a = self._alias_of(params["stateMachineAliasArn"])
        out: dict[str, Any] = {
            "stateMachineAliasArn": a.arn,
            "name": a.name,
            "routingConfiguration": a.routing,
            "creationDate": a.created,
            "updateDate": a.updated,
        }
        if a.description is not None:
            out["description"] = a.description
        return out

    def update_state_machine_alias(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        if params.get("description") is None and params.get("routingConfiguration") is None:
            raise validation(
                "Either the description or the RoutingConfiguration must be specified"
            )  # unverified
        with self.store.transaction():
            a = self._alias_of(params["stateMachineAliasArn"])
            if params.get("routingConfiguration") is not None:
                routing = [
                    {"stateMachineVersionArn": r["stateMachineVersionArn"], "weight": r["weight"]}
                    for r in params["routingConfiguration"]
                ]
                if self._routing(routing) != a.machine_arn:
                    raise validation(
                        "Routing configuration must contain state machine version ARNs of the alias's state machine"
                    )  # unverified
                a.routing = routing
            if params.get("description") is not None:
                a.description = params["description"]
            a.updated = self.clock.now()
            self.db.update_alias(a)
        return {"updateDate": a.updated}

    def list_state_machine_aliases(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        m = self._machine(ctx, params["stateMachineArn"])
        items = [{"stateMachineAliasArn": a.arn, "creationDate": a.created} for a in self.db.aliases(m.arn)]
        return self._page("stateMachineAliases", items, params)

    def delete_state_machine_alias(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn = params["stateMachineAliasArn"]
        _, qualifier = self._split(arn)
        if qualifier is None or _is_version(qualifier):
            raise errors.invalid_arn(f"Invalid ARN prefix: {arn}")  # unverified
        with self.store.transaction():
            self.db.drop_alias(arn)  # recorded: a missing alias is fine
        return {}

    # ---- definitions and executions ----------------------------------------------------------

    def validate_state_machine_definition(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        from cloudlet.services.stepfunctions.asl import definition

        found = definition.validate(params["definition"], params.get("type") or "STANDARD")
        failed = any(d.severity == "ERROR" for d in found)
        if (params.get("severity") or "ERROR") == "ERROR":
            found = [d for d in found if d.severity == "ERROR"]
        limit = params.get("maxResults") or MAX_DIAGNOSTICS
        return {
            "result": "FAIL" if failed else "OK",
            "diagnostics": [d.to_dict() for d in found[:limit]],
            "truncated": len(found) > limit,
        }

    def describe_state_machine_for_execution(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        e = self._execution(ctx, params["executionArn"])
        return self._machine_for(e)

    def _machine_for(self: StepFunctionsProvider, e: ExecutionRow) -> dict[str, Any]:
        """The machine (or version) an execution ran, as DescribeStateMachineForExecution tells it."""
        machine = self.db.machine(e.machine_arn)
        version = self.db.version(e.version_arn) if e.version_arn else None
        settings: dict[str, Any] = version.settings if version else machine.settings if machine else {}
        if version is not None:
            updated = version.created  # unverified: a version's date
        elif machine is not None:
            updated = machine.updated if machine.updated is not None else machine.created
        else:
            updated = e.started  # unverified: the machine was deleted since
        out: dict[str, Any] = {
            "stateMachineArn": e.machine_arn,
            "name": e.machine_arn.rpartition(":")[2],
            "definition": e.definition,
            "roleArn": e.role_arn,
            "updateDate": updated,
            "loggingConfiguration": settings.get("loggingConfiguration") or dict(_DEFAULT_LOGGING),
            "tracingConfiguration": settings.get("tracingConfiguration") or dict(_DEFAULT_TRACING),
        }
        if e.revision_id is not None:
            out["revisionId"] = e.revision_id
        return out


def _route(routing: list[dict[str, Any]]) -> str:
    """The version an alias sends one execution to: chosen by the weights (summing to 100)."""
    pick = random.uniform(0, 100)
    for item in routing:
        pick -= item["weight"]
        if pick < 0:
            return str(item["stateMachineVersionArn"])
    return str(next(r for r in reversed(routing) if r["weight"] > 0)["stateMachineVersionArn"])
