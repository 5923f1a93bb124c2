"""Rules and their targets: PutRule, Describe/List/Delete/Enable/Disable, PutTargets,
RemoveTargets, ListTargetsByRule, ListRuleNamesByTarget, TestEventPattern."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.core.patterns.errors import PatternError
from cloudlet.core.patterns.match import match
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.events.buses import DEFAULT, PAGE, page_after, page_token
from cloudlet.services.events.errors import bus_not_found, limit_exceeded, rule_not_found, validation
from cloudlet.services.events.routing import compiled
from cloudlet.services.events.schedule import parse_schedule
from cloudlet.services.events.store import Rule
from cloudlet.services.events.transform import check_target_input

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.events.provider import EventsProvider

MAX_TARGETS = 5
RULE_FIELDS = ("EventPattern", "ScheduleExpression", "State", "Description", "RoleArn", "ManagedBy")
EVENT_FIELDS = ("id", "account", "source", "time", "region", "detail-type")


def check_pattern(pattern: str) -> None:
    """Refuse an event pattern as EventBridge does (InvalidEventPatternException); its length
    (4,096 at most) is checked from the model before the operation runs."""
    try:
        compiled(pattern)
    except PatternError as exc:
        raise ServiceError("InvalidEventPatternException", exc.events_message, 400) from None


def rule_view(rule: Rule, *, describe: bool = False) -> dict[str, Any]:
    out: dict[str, Any] = {"Name": rule.name, "Arn": rule.arn}
    for key in RULE_FIELDS:
        if key in rule.data:
            out[key] = rule.data[key]
    out["EventBusName"] = rule.bus_arn.split(":event-bus/", 1)[1]
    if describe:
        out["CreatedBy"] = rule.account
    return out


def _rule_arn(bus_arn: str, name: str) -> str:
    bus = bus_arn.split(":event-bus/", 1)[1]
    prefix = bus_arn.split(":event-bus/", 1)[0]
    return f"{prefix}:rule/{name}" if bus == DEFAULT else f"{prefix}:rule/{bus}/{name}"


class RulesApi:
    """The rule and target operations of the EventBridge provider."""

    def get_rule(self: EventsProvider, ctx: RequestContext, name: str, bus_name: str | None) -> Rule:
        bus_arn = self.bus_arn(ctx, bus_name)
        rule = self.routes.rules.get(_rule_arn(bus_arn, name))
        if rule is None:
            raise rule_not_found(name, bus_arn.split(":event-bus/", 1)[1])
        return rule

    def _save_rule(self: EventsProvider, rule: Rule) -> None:
        """Write ``rule`` (with its targets) and mirror it in the routes once committed."""
        self.db.put_rule(rule)
        snapshot = copy.deepcopy(rule)
        self.store.after_commit(lambda: self.routes.put(snapshot))
        self.schedule_rule(snapshot)

    def put_rule(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        pattern = params.get("EventPattern")
        schedule = params.get("ScheduleExpression")
        if not pattern and not schedule:
            raise validation(
                "Parameter(s) EventPattern or ScheduleExpression must be specified."
            )  # unverified
        bus_name = params.get("EventBusName") or DEFAULT
        bus = self.find_bus(self.bus_arn(ctx, bus_name))
        if bus is None:
            raise bus_not_found(bus_name)
        if schedule:
            if bus.name != DEFAULT:
                raise validation("ScheduleExpression is supported only on the default event bus.")
            parse_schedule(schedule)
        if pattern:
            check_pattern(pattern)
        arn = _rule_arn(bus.arn, name)
        existing = self.routes.rules.get(arn)
        data = {k: params[k] for k in RULE_FIELDS if params.get(k) is not None}
        data.setdefault("State", "ENABLED")
        rule = Rule(
            arn,
            bus.arn,
            name,
            data,
            existing.created if existing else self.clock.now(),
            dict(existing.targets) if existing else {},
        )
        with self.store.transaction():
            self._save_rule(rule)
            if params.get("Tags"):
                self.db.tag(arn, {t["Key"]: t["Value"] for t in params["Tags"]})
        return {"RuleArn": arn}

    def describe_rule(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return rule_view(self.get_rule(ctx, params["Name"], params.get("EventBusName")), describe=True)

    def list_rules(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bus_name = params.get("EventBusName") or DEFAULT
        bus = self.find_bus(self.bus_arn(ctx, bus_name))
        if bus is None:
            raise bus_not_found(bus_name)
        prefix = params.get("NamePrefix") or ""
        after = page_after(params.get("NextToken"))
        rules = [r for r in self.routes.of_bus(bus.arn) if r.name.startswith(prefix) and r.name > after]
        limit = params.get("Limit") or PAGE
        out: dict[str, Any] = {"Rules": [rule_view(r) for r in rules[:limit]]}
        if len(rules) > limit:
            out["NextToken"] = page_token(rules[limit - 1].name)
        return out

    def delete_rule(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            rule = self.get_rule(ctx, params["Name"], params.get("EventBusName"))
        except ServiceError as exc:
            if exc.code == "ResourceNotFoundException" and "Rule" in exc.message:
                return {}  # deleting a rule that is not there succeeds
            raise
        if rule.targets:
            raise validation("Rule can't be deleted since it has targets.")
        if rule.data.get("ManagedBy") and not params.get("Force"):
            raise ServiceError(
                "ManagedRuleException",
                f"Rule {rule.name} is managed by {rule.data['ManagedBy']} and cannot be deleted without Force.",
                400,
            )  # unverified
        with self.store.transaction():
            self.db.delete_rule(rule.arn)
            self.unschedule_rule(rule.arn)
            self.store.after_commit(lambda: self.routes.remove(rule.arn))
        return {}

    def _set_state(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any], state: str
    ) -> dict[str, Any]:
        rule = copy.deepcopy(self.get_rule(ctx, params["Name"], params.get("EventBusName")))
        rule.data["State"] = state
        with self.store.transaction():
            self._save_rule(rule)
        return {}

    def enable_rule(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(ctx, params, "ENABLED")

    def disable_rule(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._set_state(ctx, params, "DISABLED")

    # -- targets --
    def put_targets(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rule = copy.deepcopy(self.get_rule(ctx, params["Rule"], params.get("EventBusName")))
        failed: list[dict[str, Any]] = []
        accepted: list[dict[str, Any]] = []
        for target in params["Targets"]:
            check_target_input(target)
            try:
                _check_target(target)
            except ServiceError as exc:
                failed.append({"TargetId": target["Id"], "ErrorCode": exc.code, "ErrorMessage": exc.message})
                continue
            rule.targets[target["Id"]] = target
            accepted.append(target)
        if len(rule.targets) > MAX_TARGETS:
            raise limit_exceeded()
        with self.store.transaction():
            for target in accepted:
                self.db.put_target(rule.arn, target)
            self._save_rule(rule)
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def remove_targets(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        rule = copy.deepcopy(self.get_rule(ctx, params["Rule"], params.get("EventBusName")))
        with self.store.transaction():
            for target_id in params["Ids"]:
                # unverified: AWS answers an unknown id without a failed entry
                if rule.targets.pop(target_id, None) is not None:
                    self.db.delete_target(rule.arn, target_id)
            self._save_rule(rule)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def list_targets_by_rule(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        rule = self.get_rule(ctx, params["Rule"], params.get("EventBusName"))
        after = page_after(params.get("NextToken"))
        targets = [t for i, t in sorted(rule.targets.items()) if i > after]
        limit = params.get("Limit") or PAGE
        out: dict[str, Any] = {"Targets": targets[:limit]}
        if len(targets) > limit:
            out["NextToken"] = page_token(targets[limit - 1]["Id"])
        return out

    def list_rule_names_by_target(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bus_arn = self.bus_arn(ctx, params.get("EventBusName"))
        if self.find_bus(bus_arn) is None:
            raise bus_not_found(params.get("EventBusName") or DEFAULT)
        target_arn = params["TargetArn"]
        after = page_after(params.get("NextToken"))
        names = [
            r.name
            for r in self.routes.of_bus(bus_arn)
            if r.name > after and any(t["Arn"] == target_arn for t in r.targets.values())
        ]
        limit = params.get("Limit") or PAGE
        out: dict[str, Any] = {"RuleNames": names[:limit]}
        if len(names) > limit:
            out["NextToken"] = page_token(names[limit - 1])
        return out

    def test_event_pattern(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        pattern = params["EventPattern"]
        check_pattern(pattern)
        try:
            event = orjson.loads(params["Event"])
        except orjson.JSONDecodeError:
            raise validation("Parameter Event is not valid.") from None  # unverified
        if not isinstance(event, dict):
            raise validation("Parameter Event is not valid.")  # unverified
        for key in EVENT_FIELDS:
            if key not in event:
                raise validation(
                    f"Parameter Event is not valid. Reason: Provided Event must have '{key}' field."
                )  # unverified
        return {"Result": match(compiled(pattern), event)}


def _check_target(target: dict[str, Any]) -> None:
    """A target's ARN and parameters, checked as PutTargets does."""
    try:
        arn = parse_arn(target["Arn"])
    except ValueError:
        raise validation(f"Parameter {target['Arn']} is not valid.") from None  # unverified
    if (
        arn.service == "sqs"
        and arn.resource.endswith(".fifo")
        and not (target.get("SqsParameters") or {}).get("MessageGroupId")
    ):
        raise ServiceError(
            "ValidationException",
            f"Parameter(s) SqsParameters must be specified for target: {target['Id']}.",
            400,
        )  # unverified
    retry = target.get("RetryPolicy") or {}
    attempts = retry.get("MaximumRetryAttempts")
    if attempts is not None and not 0 <= attempts <= 185:
        raise validation("MaximumRetryAttempts must be between 0 and 185.")  # unverified
    age = retry.get("MaximumEventAgeInSeconds")
    if age is not None and not 60 <= age <= 86400:
        raise validation("MaximumEventAgeInSeconds must be between 60 and 86400.")  # unverified
    dead_letter = (target.get("DeadLetterConfig") or {}).get("Arn")
    if dead_letter is not None:
        try:
            dlq = parse_arn(dead_letter)
        except ValueError:
            dlq = None
        if dlq is None or dlq.service != "sqs":
            raise validation("The DeadLetterConfig.Arn is not a valid SQS queue ARN.")  # unverified
