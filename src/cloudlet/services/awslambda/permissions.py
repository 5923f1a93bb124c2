"""Resource-based policies: AddPermission / RemovePermission / GetPolicy on functions, versions
and aliases, and the statements of layer version policies."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.policy import PolicyError, Request, Source, context_of, evaluate, parse_policy
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.errors import conflict, invalid, not_found, precondition
from cloudlet.services.awslambda.names import LATEST, ref_of_arn
from cloudlet.services.awslambda.util import revision

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.base import RequestContext

_ACCOUNT = re.compile(r"^\d{12}$")
_NO_POLICY = "No policy is associated with the given resource."


def principal(value: str, partition: str = "aws") -> Any:
    """A Principal as AWS writes it into the policy."""
    if value == "*":
        return "*"
    if _ACCOUNT.match(value):
        return {"AWS": f"arn:{partition}:iam::{value}:root"}
    if value.startswith("arn:") and ":iam::" in value:
        return {"AWS": value}
    if re.match(r"^[a-z0-9.-]+\.amazonaws\.com(\.cn)?$", value) or re.match(
        r"^[a-z0-9-]+\.[a-z0-9.-]+$", value
    ):
        return {"Service": value}
    raise invalid("The provided principal was invalid. Please check the principal and try again.")


def exists(statements: list[dict[str, Any]], sid: str) -> None:
    if any(s["Sid"] == sid for s in statements):
        raise conflict(
            f"The statement id ({sid}) provided already exists. Please provide a new statement id, or remove "
            "the existing statement."
        )


def document(statements: list[dict[str, Any]]) -> str:
    return orjson.dumps({"Version": "2012-10-17", "Id": "default", "Statement": statements}).decode()


class Permissions:
    def _policy_target(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[Any, str, str]:
        """(ref, qualifier key '' for the function, the resource ARN) of a policy request."""
        ref = self.ref(ctx, params)
        self.function(ref)
        if ref.qualifier == LATEST:
            raise invalid("We currently do not support adding policies for $LATEST.")
        if ref.qualifier is not None:
            self.resolve(ref)
        return ref, ref.qualifier or "", ref.arn()

    def add_permission(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            ref, key, resource = self._policy_target(ctx, params)
            policy = self.db.setting(ref.account, ref.region, ref.name, "policy", key) or {"Statement": []}
            if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
                raise precondition("GetPolicy")
            exists(policy["Statement"], params["StatementId"])
            statement: dict[str, Any] = {
                "Sid": params["StatementId"],
                "Effect": "Allow",
                "Principal": principal(params["Principal"], ctx.partition),
                "Action": params["Action"],
                "Resource": resource,
            }
            condition: dict[str, dict[str, str]] = {}
            if params.get("SourceAccount"):
                condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = params["SourceAccount"]
            if params.get("PrincipalOrgID"):
                condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = params["PrincipalOrgID"]
            if params.get("EventSourceToken"):
                condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = params[
                    "EventSourceToken"
                ]
            if params.get("FunctionUrlAuthType"):
                condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = params[
                    "FunctionUrlAuthType"
                ]
            if params.get("InvokedViaFunctionUrl"):
                condition.setdefault("Bool", {})["lambda:InvokedViaFunctionUrl"] = "true"
            if params.get("SourceArn"):
                condition["ArnLike"] = {"AWS:SourceArn": params["SourceArn"]}
            if condition:
                statement["Condition"] = condition
            policy["Statement"].append(statement)
            policy["RevisionId"] = revision()
            self.db.put_setting(ref.account, ref.region, ref.name, "policy", key, policy)
        return {"Statement": orjson.dumps(statement).decode()}

    def remove_permission(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref, key, _ = self._policy_target(ctx, params)
            policy = self.db.setting(ref.account, ref.region, ref.name, "policy", key)
            if policy is None:
                raise not_found(_NO_POLICY)
            if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
                raise precondition("GetPolicy")
            kept = [s for s in policy["Statement"] if s["Sid"] != params["StatementId"]]
            if len(kept) == len(policy["Statement"]):
                raise not_found(f"Statement {params['StatementId']} is not found in resource policy.")
            if kept:
                policy.update(Statement=kept, RevisionId=revision())
                self.db.put_setting(ref.account, ref.region, ref.name, "policy", key, policy)
            else:
                self.db.delete_setting(ref.account, ref.region, ref.name, "policy", key)
        return {}

    def get_policy(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params)
        self.function(ref)
        if ref.qualifier is not None and ref.qualifier != LATEST:
            self.resolve(ref)
        policy = self.db.setting(ref.account, ref.region, ref.name, "policy", ref.qualifier or "")
        if policy is None or not policy["Statement"]:
            raise not_found(_NO_POLICY)
        return {"Policy": document(policy["Statement"]), "RevisionId": policy["RevisionId"]}

    def function_policy(
        self: LambdaProvider, account: str, region: str, name: str, qualifier: str = ""
    ) -> list[dict[str, Any]]:
        """The statements of a function's (or a qualifier's) resource policy, for invocation checks."""
        policy = self.db.setting(account, region, name, "policy", qualifier)
        return list(policy["Statement"]) if policy else []

    def service_may_invoke(
        self: LambdaProvider, function_arn: str, service: str, context: dict[str, str] | None = None
    ) -> bool:
        """Whether the function exists and its resource policy lets the service principal
        ``service`` call ``lambda:InvokeFunction``, with the condition keys in ``context``
        (``{"aws:SourceArn": ..., "aws:SourceAccount": ...}``)."""
        try:
            ref = ref_of_arn(function_arn)
            config, _ = self.resolve(ref)
        except (ServiceError, ValueError):
            return False
        statements = self.function_policy(ref.account, ref.region, ref.name, ref.qualifier or "")
        if not statements:
            return False
        try:
            policy = parse_policy(document(statements), "resource")
        except PolicyError:
            return False
        request = Request(
            "lambda:InvokeFunction",
            config["FunctionArn"],
            context_of(context or {}),
            service_principal=service,
        )
        return (
            evaluate(request, resource=[Source(policy, policy_type="Resource Policy")]).decision == "allowed"
        )
