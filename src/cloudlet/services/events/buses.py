"""Event buses: create, describe, update, delete, list, resource policies (PutPermission), tags."""

from __future__ import annotations

import base64
import binascii
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.arn import parse_arn
from cloudlet.core.policy.document import PolicyError, parse_policy
from cloudlet.core.policy.evaluator import Request, Source, applicable
from cloudlet.services.events.errors import already_exists, bus_not_found, not_found, validation
from cloudlet.services.events.store import Bus

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.events.provider import EventsProvider

DEFAULT = "default"
PAGE = 100


def page_token(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode()).decode()


def page_after(token: str | None) -> str:
    if not token:
        return ""
    try:
        return base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise validation("The provided NextToken is not valid.") from None  # unverified


def bus_view(bus: Bus, *, listing: bool = False) -> dict[str, Any]:
    """DescribeEventBus's (or ListEventBuses' entry's) members."""
    out: dict[str, Any] = {"Name": bus.name, "Arn": bus.arn}
    for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig"):
        if key in bus.data and not (listing and key != "Description"):
            out[key] = bus.data[key]
    if "Policy" in bus.data:
        out["Policy"] = orjson.dumps(bus.data["Policy"]).decode()
    out["CreationTime"] = bus.created
    out["LastModifiedTime"] = bus.modified
    return out


class BusesApi:
    """The event-bus operations of the EventBridge provider."""

    # -- lookups shared with the other operations --
    def bus_arn(self: EventsProvider, ctx: RequestContext, name: str | None) -> str:
        """The ARN of a bus given by name or ARN (the default bus when not given)."""
        name = name or DEFAULT
        if name.startswith("arn:"):
            return name
        return ctx.arn("events", f"event-bus/{name}")

    def find_bus(self: EventsProvider, arn: str) -> Bus | None:
        bus = self.db.bus(arn)
        if bus is None and arn.endswith(f":event-bus/{DEFAULT}"):
            parts = parse_arn(arn)
            now = self.clock.now()
            bus = Bus(arn, parts.account, parts.region, DEFAULT, {}, now, now)
            with self.store.transaction():
                self.db.put_bus(bus)
        return bus

    def get_bus(self: EventsProvider, ctx: RequestContext, name: str | None) -> Bus:
        arn = self.bus_arn(ctx, name)
        bus = self.find_bus(arn)
        if bus is None:
            raise bus_not_found(name or DEFAULT)
        return bus

    # -- operations --
    def create_event_bus(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if name == DEFAULT:
            raise already_exists(f"Event bus {name} already exists.")
        if "/" in name and not params.get("EventSourceName"):
            raise validation("Event bus name must not contain '/'.")  # unverified
        arn = ctx.arn("events", f"event-bus/{name}")
        data = {k: params[k] for k in ("Description", "KmsKeyIdentifier", "DeadLetterConfig") if k in params}
        now = self.clock.now()
        with self.store.transaction():
            if self.db.bus(arn) is not None:
                raise already_exists(f"Event bus {name} already exists.")
            self.db.put_bus(Bus(arn, ctx.account, ctx.region, name, data, now, now))
            self.db.tag(arn, {t["Key"]: t["Value"] for t in params.get("Tags") or []})
        return {"EventBusArn": arn, **data}

    def describe_event_bus(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return bus_view(self.get_bus(ctx, params.get("Name")))

    def update_event_bus(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bus = self.get_bus(ctx, params.get("Name"))
        for key in ("Description", "KmsKeyIdentifier", "DeadLetterConfig"):
            if key in params:
                bus.data[key] = params[key]
        bus.modified = self.clock.now()
        with self.store.transaction():
            self.db.put_bus(bus)
        out = {"Arn": bus.arn, "Name": bus.name}
        out.update(
            {k: bus.data[k] for k in ("Description", "KmsKeyIdentifier", "DeadLetterConfig") if k in bus.data}
        )
        return out

    def delete_event_bus(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if name == DEFAULT:
            raise validation("Cannot delete event bus default.")
        arn = self.bus_arn(ctx, name)
        if self.db.bus(arn) is None:
            raise bus_not_found(name)
        rules = self.routes.of_bus(arn)
        with self.store.transaction():
            # unverified: AWS deletes a bus's rules and their targets with it
            for rule in rules:
                self.db.delete_rule(rule.arn)
            self.db.delete_bus(arn)
            self.db.delete_tags(arn)
            self.store.after_commit(lambda: [self.routes.remove(r.arn) for r in rules])
        return {}

    def list_event_buses(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.find_bus(self.bus_arn(ctx, DEFAULT))
        limit = params.get("Limit") or PAGE
        buses = self.db.buses(
            ctx.account,
            ctx.region,
            params.get("NamePrefix") or "",
            page_after(params.get("NextToken")),
            limit + 1,
        )
        out: dict[str, Any] = {"EventBuses": [bus_view(b, listing=True) for b in buses[:limit]]}
        if len(buses) > limit:
            out["NextToken"] = page_token(buses[limit - 1].name)
        return out

    # -- resource policy --
    def put_permission(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bus = self.get_bus(ctx, params.get("EventBusName"))
        if params.get("Policy"):
            try:
                policy = orjson.loads(params["Policy"])
            except orjson.JSONDecodeError:
                raise validation("Policy is not valid JSON.") from None  # unverified
            if not isinstance(policy, dict):
                raise validation("Policy is not valid JSON.")  # unverified
            bus.data["Policy"] = policy
        else:
            action, principal, sid = params.get("Action"), params.get("Principal"), params.get("StatementId")
            if not (action and principal and sid):
                raise validation(
                    "Parameter(s) Action, Principal and StatementId must be specified."
                )  # unverified
            if action != "events:PutEvents":
                raise validation("Provided value in parameter 'action' is not supported.")  # unverified
            statement: dict[str, Any] = {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": "*"
                if principal == "*"
                else {"AWS": f"arn:{ctx.partition}:iam::{principal}:root"},
                "Action": action,
                "Resource": bus.arn,
            }
            if params.get("Condition"):
                condition = params["Condition"]
                statement["Condition"] = {condition["Type"]: {condition["Key"]: condition["Value"]}}
            policy = bus.data.get("Policy") or {"Version": "2012-10-17", "Statement": []}
            policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != sid] + [statement]
            bus.data["Policy"] = policy
        bus.modified = self.clock.now()
        with self.store.transaction():
            self.db.put_bus(bus)
        return {}

    def remove_permission(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bus = self.get_bus(ctx, params.get("EventBusName"))
        policy = bus.data.get("Policy")
        if params.get("RemoveAllPermissions"):
            bus.data.pop("Policy", None)
        else:
            sid = params.get("StatementId")
            statements = (policy or {}).get("Statement") or []
            kept = [s for s in statements if s.get("Sid") != sid]
            if policy is None or len(kept) == len(statements):
                raise not_found("Statement with the provided id does not exist.")
            if kept:
                policy["Statement"] = kept
            else:
                bus.data.pop("Policy", None)
        bus.modified = self.clock.now()
        with self.store.transaction():
            self.db.put_bus(bus)
        return {}

    def may_put(self: EventsProvider, bus: Bus, account: str) -> bool:
        """Whether ``account`` may put events on ``bus`` (its own, or allowed by the bus policy)."""
        if account == bus.account:
            return True
        policy_data = bus.data.get("Policy")
        if not policy_data:
            return False
        try:
            policy = parse_policy(orjson.dumps(policy_data).decode(), "resource")
        except PolicyError:
            return False
        request = Request(
            "events:PutEvents",
            bus.arn,
            {"aws:principalaccount": [account]},
            principal_arn=f"arn:aws:iam::{account}:root",
            principal_account=account,
        )
        matches = applicable([Source(policy)], request, set(), check_principal=True)
        allows = {m.statement.allow for m in matches}
        return True in allows and False not in allows

    # -- tags --
    def _tagged(self: EventsProvider, arn: str) -> None:
        """Refuse an ARN that names no bus or rule."""
        if ":rule/" in arn:
            if arn not in self.routes.rules:
                parts = arn.split(":rule/", 1)[1].split("/")
                raise not_found(
                    f"Rule {parts[-1]} does not exist on EventBus {parts[0] if len(parts) > 1 else DEFAULT}."
                )
            return
        if ":event-bus/" in arn:
            if self.find_bus(arn) is None:
                raise bus_not_found(arn.split(":event-bus/", 1)[1])
            return
        raise not_found(f"Resource {arn} does not exist.")  # unverified

    def tag_resource(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["ResourceARN"]
        self._tagged(arn)
        with self.store.transaction():
            self.db.tag(arn, {t["Key"]: t["Value"] for t in params["Tags"]})
        return {}

    def untag_resource(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params["ResourceARN"]
        self._tagged(arn)
        with self.store.transaction():
            self.db.untag(arn, params["TagKeys"])
        return {}

    def list_tags_for_resource(
        self: EventsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn = params["ResourceARN"]
        self._tagged(arn)
        return {"Tags": [{"Key": k, "Value": v} for k, v in self.db.tags(arn).items()]}
