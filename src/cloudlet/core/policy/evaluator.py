"""IAM policy evaluation within one account, as the IAM User Guide's "Policy evaluation
logic" describes it:

1. an explicit ``Deny`` in any applicable policy wins (``explicitDeny``);
2. with a permissions boundary, an action the boundary does not allow is denied
   (``implicitDeny``), unless a resource-based policy grants it;
3. an ``Allow`` in an identity-based or resource-based policy allows it (``allowed``);
4. anything else is an ``implicitDeny``.

Pure and synchronous: callers pass parsed policies (document.parse_policy, cached) and a
request; nothing here reads the store or the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from cloudlet.core.policy.conditions import check, substitute
from cloudlet.core.policy.document import Policy, Statement
from cloudlet.core.policy.matching import arn_matcher

Decision = Literal["allowed", "explicitDeny", "implicitDeny"]


@dataclass(slots=True)
class Request:
    """What is asked: ``context`` keys are lower case, values lists of strings."""

    action: str
    resource: str = "*"
    context: Mapping[str, Sequence[str]] = field(default_factory=dict)
    principal_arn: str = ""
    principal_account: str = ""
    service_principal: str = ""  # "lambda.amazonaws.com" when a service asks
    federated_provider: str = ""


@dataclass(frozen=True, slots=True)
class Source:
    """A policy with where it came from (SimulatePolicy's SourcePolicyId / SourcePolicyType)."""

    policy: Policy
    policy_id: str = ""
    policy_type: str = "IAM Policy"


@dataclass(frozen=True, slots=True)
class Match:
    source: Source
    statement: Statement


@dataclass(slots=True)
class Result:
    decision: Decision
    matched: list[Match]
    missing: list[str]
    boundary_allowed: bool | None = None  # None: no boundary applied


def context_of(values: Mapping[str, str | Sequence[str]]) -> dict[str, list[str]]:
    """A request context from ``{"aws:SourceIp": "1.2.3.4", ...}`` (keys lower-cased)."""
    return {k.lower(): [v] if isinstance(v, str) else list(v) for k, v in values.items()}


def _action_matches(statement: Statement, action: str) -> bool:
    hit = any(m(action) for m in statement.actions)
    return not hit if statement.not_action else hit


def _resource_matches(statement: Statement, request: Request, variables: bool) -> bool:
    if not statement.has_resource:
        return True  # trust policies: the role itself
    matchers = statement.resource_matchers
    if matchers is None:
        resolved = (substitute(r, request.context) if variables else r for r in statement.resources)
        matchers = tuple(arn_matcher(r) for r in resolved if r is not None)
    hit = any(m(request.resource) for m in matchers)
    return not hit if statement.not_resource else hit


def _principal_matches(statement: Statement, request: Request) -> bool:
    principals = statement.principals
    if principals is None:
        return True
    hit = _principal_hit(principals, request)
    return not hit if statement.not_principal else hit


def _principal_hit(principals: Mapping[str, Sequence[str]], request: Request) -> bool:
    if "*" in principals:
        return True
    for wanted in principals.get("AWS", ()):
        if wanted == "*" or wanted == request.principal_arn:
            return True
        account = request.principal_account
        if account and (wanted == account or wanted.endswith(f":{account}:root")):
            return True
        if ":role/" in wanted and request.principal_arn.startswith("arn:"):
            account = wanted.split(":")[4]
            name = wanted.rsplit("/", 1)[-1]
            prefix = f"{wanted.split(':')[0]}:{wanted.split(':')[1]}:sts::{account}:assumed-role/{name}/"
            if request.principal_arn.startswith(prefix):
                return True
    if request.service_principal and request.service_principal in principals.get("Service", ()):
        return True
    return bool(request.federated_provider) and request.federated_provider in principals.get("Federated", ())


def applicable(
    sources: Sequence[Source], request: Request, missing: set[str], *, check_principal: bool = False
) -> list[Match]:
    """The statements of ``sources`` that apply to ``request`` (action, resource, principal
    for resource policies, conditions)."""
    out: list[Match] = []
    action = request.action
    for source in sources:
        variables = source.policy.version == "2012-10-17"
        for statement in source.policy.statements:
            if not _action_matches(statement, action):
                continue
            if not _resource_matches(statement, request, variables):
                continue
            if check_principal and not _principal_matches(statement, request):
                continue
            if statement.conditions and not all(
                check(c, request.context, variables, missing) for c in statement.conditions
            ):
                continue
            out.append(Match(source, statement))
    return out


def evaluate(
    request: Request,
    identity: Sequence[Source] = (),
    resource: Sequence[Source] = (),
    boundary: Sequence[Source] | None = None,
) -> Result:
    """The decision for ``request`` given the principal's identity-based policies, the
    resource's policies and the principal's permissions boundary (None: no boundary)."""
    missing: set[str] = set()
    ident = applicable(identity, request, missing)
    res = applicable(resource, request, missing, check_principal=True)
    bound = applicable(boundary, request, missing) if boundary is not None else []
    denies = [m for m in (*ident, *res, *bound) if not m.statement.allow]
    boundary_allowed = None if boundary is None else any(m.statement.allow for m in bound)
    missing_list = sorted(missing)
    if denies:
        return Result("explicitDeny", denies, missing_list, boundary_allowed)
    resource_allows = [m for m in res if m.statement.allow]
    identity_allows = [m for m in ident if m.statement.allow]
    if boundary_allowed is False:
        identity_allows = []
    allows = identity_allows + resource_allows
    if allows:
        return Result("allowed", allows, missing_list, boundary_allowed)
    return Result("implicitDeny", [], missing_list, boundary_allowed)
