"""SimulatePrincipalPolicy and SimulateCustomPolicy on the policy evaluator (core.policy)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudlet.core.policy import PolicyError, Request, Result, Source, evaluate, parse_policy
from cloudlet.core.policy.document import Kind
from cloudlet.services.iam.errors import invalid_input, malformed
from cloudlet.services.iam.paging import page

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.iam.store import IamStore

IDENTITY = "IAM Policy"  # SourcePolicyType AWS reports for identity-based policies (recorded)
RESOURCE = "Resource Policy"  # unverified
BOUNDARY = "Permissions Boundary Policy"  # unverified


def _parse(text: str, kind: Kind) -> Any:
    try:
        return parse_policy(text, kind)
    except PolicyError as exc:
        raise malformed(exc.message) from None


def _position(pos: tuple[int, int]) -> dict[str, int]:
    return {"Line": pos[0], "Column": pos[1]}


def _matched(result: Result) -> list[dict[str, Any]]:
    return [
        {
            "SourcePolicyId": m.source.policy_id,
            "SourcePolicyType": m.source.policy_type,
            "StartPosition": _position(m.statement.start),
            "EndPosition": _position(m.statement.end),
        }
        for m in result.matched
    ]


class SimulationMixin:
    """The simulator operations of IamProvider."""

    iam: IamStore
    clock: Any

    def _policy(self, ctx: RequestContext, arn: str, *, attach: bool = False) -> dict[str, Any]:
        raise NotImplementedError

    def _default_document(self, ctx: RequestContext, data: dict[str, Any]) -> str:
        raise NotImplementedError

    # -- the principal's policies --
    def _managed_sources(self, ctx: RequestContext, kind: str, name: str) -> list[Source]:
        out = []
        for arn in self.iam.attached(ctx.account, kind, name):
            data = self._policy(ctx, arn)
            out.append(
                Source(_parse(self._default_document(ctx, data), "identity"), data["PolicyName"], IDENTITY)
            )
        return out

    def _inline_sources(self, ctx: RequestContext, kind: str, name: str) -> list[Source]:
        return [
            Source(_parse(doc, "identity"), policy_name, IDENTITY)
            for policy_name, doc in self.iam.inline(ctx.account, kind, name).items()
        ]

    def _principal(self, ctx: RequestContext, arn: str) -> tuple[list[Source], str | None, dict[str, Any]]:
        """(identity policies, boundary ARN, entity) of the user, group or role at ``arn``."""
        resource = arn.split(":", 5)[-1] if arn.count(":") >= 5 else ""
        kind = resource.split("/", 1)[0]
        name = resource.rsplit("/", 1)[-1]
        if kind not in ("user", "group", "role") or arn.split(":")[4] != ctx.account:
            raise invalid_input(f"Invalid ARN: {arn}")  # unverified: message
        data = self.iam.get(ctx.account, kind, name)
        if data is None or data["Arn"] != arn:
            from cloudlet.services.iam.errors import no_such_entity

            raise no_such_entity(f"The {kind} with name {name} cannot be found.")  # unverified for groups
        sources = self._inline_sources(ctx, kind, name) + self._managed_sources(ctx, kind, name)
        if kind == "user":
            for group in self.iam.groups_of(ctx.account, name):
                sources += self._inline_sources(ctx, "group", group) + self._managed_sources(
                    ctx, "group", group
                )
        return sources, data.get("PermissionsBoundary"), {"kind": kind, **data}

    # -- operations --
    def simulate_principal_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sources, boundary_arn, entity = self._principal(ctx, params["PolicySourceArn"])
        sources += [
            Source(_parse(t, "identity"), f"PolicyInputList.{i}", IDENTITY)
            for i, t in enumerate(params.get("PolicyInputList") or [], 1)
        ]
        boundary = self._boundary(params)
        if boundary is None and boundary_arn:
            data = self._policy(ctx, boundary_arn)
            boundary = [
                Source(_parse(self._default_document(ctx, data), "identity"), data["PolicyName"], BOUNDARY)
            ]
        kind = entity["kind"]
        principal = params.get("CallerArn") or entity["Arn"]
        base = {"aws:PrincipalArn": principal, "aws:PrincipalAccount": ctx.account}
        if kind == "user":
            base |= {
                "aws:username": entity["UserName"],
                "aws:userid": entity["UserId"],
                "aws:PrincipalType": "User",
            }
        return self._simulate(ctx, params, sources, boundary, base, principal)

    def simulate_custom_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sources = [
            Source(_parse(t, "identity"), f"PolicyInputList.{i}", IDENTITY)
            for i, t in enumerate(params["PolicyInputList"], 1)
        ]
        caller = params.get("CallerArn") or ""
        base = {"aws:PrincipalArn": caller} if caller else {}
        return self._simulate(ctx, params, sources, self._boundary(params), base, caller)

    @staticmethod
    def _boundary(params: dict[str, Any]) -> list[Source] | None:
        texts = params.get("PermissionsBoundaryPolicyInputList")
        if not texts:
            return None
        return [
            Source(_parse(t, "identity"), f"PermissionsBoundaryPolicyInputList.{i}", BOUNDARY)
            for i, t in enumerate(texts, 1)
        ]

    def _context(self, params: dict[str, Any], base: dict[str, str]) -> dict[str, list[str]]:
        now = self.clock.now()
        context: dict[str, list[str]] = {
            "aws:currenttime": [datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
            "aws:epochtime": [str(int(now))],
        }
        context |= {k.lower(): [v] for k, v in base.items()}
        for entry in params.get("ContextEntries") or []:
            values = entry.get("ContextKeyValues") or []
            context[entry["ContextKeyName"].lower()] = [str(v) for v in values]
        return context

    def _simulate(
        self,
        ctx: RequestContext,
        params: dict[str, Any],
        sources: list[Source],
        boundary: list[Source] | None,
        base: dict[str, str],
        caller: str,
    ) -> dict[str, Any]:
        resource_policy = (
            [Source(_parse(params["ResourcePolicy"], "resource"), "ResourcePolicy", RESOURCE)]
            if params.get("ResourcePolicy")
            else []
        )
        context = self._context(params, base)
        resources = params.get("ResourceArns") or []
        owner = params.get("ResourceOwner") or ctx.account
        account = caller.split(":")[4] if caller.count(":") >= 5 else ctx.account
        results = []
        for action in params["ActionNames"]:
            per_resource = []
            for resource in resources or ["*"]:
                request = Request(action, resource, context, caller, account or owner)
                per_resource.append((resource, evaluate(request, sources, resource_policy, boundary)))
            results.append(self._result(action, per_resource, bool(resources), boundary is not None))
        items, more = page(results, params)
        return {"EvaluationResults": items, **more}

    @staticmethod
    def _result(
        action: str, per_resource: list[tuple[str, Result]], resources_given: bool, bounded: bool
    ) -> dict[str, Any]:
        decisions = [r.decision for _, r in per_resource]
        decision = (
            "explicitDeny"
            if "explicitDeny" in decisions
            else "allowed"
            if all(d == "allowed" for d in decisions)
            else "implicitDeny"
        )
        # unverified: with several resources AWS names "*" at the top and details per resource.
        name = per_resource[0][0] if len(per_resource) == 1 else "*"
        matched: list[dict[str, Any]] = []
        missing: list[str] = []
        for _, result in per_resource:
            matched += [m for m in _matched(result) if m not in matched]
            missing += [k for k in result.missing if k not in missing]
        out: dict[str, Any] = {
            "EvalActionName": action,
            "EvalResourceName": name,
            "EvalDecision": decision,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
            "OrganizationsDecisionDetail": {"AllowedByOrganizations": True},
            "EvalDecisionDetails": {},
        }
        if bounded:
            allowed = all(r.boundary_allowed for _, r in per_resource)
            out["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": allowed}
        if resources_given:
            out["ResourceSpecificResults"] = [
                {
                    "EvalResourceName": resource,
                    "EvalResourceDecision": result.decision,
                    "MatchedStatements": _matched(result),
                    "MissingContextValues": result.missing,
                    **(
                        {
                            "PermissionsBoundaryDecisionDetail": {
                                "AllowedByPermissionsBoundary": bool(result.boundary_allowed)
                            }
                        }
                        if bounded
                        else {}
                    ),
                }
                for resource, result in per_resource
            ]
        return out
