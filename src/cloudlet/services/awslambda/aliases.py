"""Aliases: a name for a version, optionally routing a share of traffic to one other version."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.awslambda.errors import conflict, function_not_found, invalid, not_found, precondition
from cloudlet.services.awslambda.names import LATEST, FunctionRef, check_alias_name, function_arn
from cloudlet.services.awslambda.util import page, revision

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.base import RequestContext


class Aliases:
    def _alias_doc(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        found = self.db.alias(ref.account, ref.region, ref.name, params["Name"])
        if found is None:
            raise not_found(f"Cannot find alias arn: {ref.arn(params['Name'])}")
        return ref, found

    def _check_routing(self: LambdaProvider, ref: Any, version: str, routing: dict[str, Any] | None) -> None:
        if version != LATEST and self.db.version(ref.account, ref.region, ref.name, version) is None:
            raise function_not_found(ref.arn(version))
        weights = (routing or {}).get("AdditionalVersionWeights") or {}
        if len(weights) > 1:
            raise invalid("Number of items in AdditionalVersionWeights cannot be greater than 1")
        for extra in weights:
            if version == LATEST:
                raise invalid("$LATEST is not supported for an alias pointing to more than 1 version")
            if extra == version:
                raise invalid(
                    f"Invalid function version {extra}. Function version {extra} is already included in "
                    "routing configuration."
                )
            if self.db.version(ref.account, ref.region, ref.name, extra) is None:
                raise function_not_found(ref.arn(extra))  # unverified for a missing weighted version

    def create_alias(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        check_alias_name(params["Name"])
        with self.store.transaction():
            self.function(ref)
            self._check_routing(ref, params["FunctionVersion"], params.get("RoutingConfig"))
            if self.db.alias(ref.account, ref.region, ref.name, params["Name"]) is not None:
                raise conflict(f"Alias already exists: {ref.arn(params['Name'])}")
            doc = {
                "AliasArn": function_arn(ref.region, ref.account, ref.name, params["Name"]),
                "Name": params["Name"],
                "FunctionVersion": params["FunctionVersion"],
                "Description": params.get("Description") or "",
                "RevisionId": revision(),
            }
            if params.get("RoutingConfig"):
                doc["RoutingConfig"] = params["RoutingConfig"]
            self.db.put_alias(ref.account, ref.region, ref.name, doc)
        return doc

    def get_alias(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._alias_doc(ctx, params)[1]

    def update_alias(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            ref, doc = self._alias_doc(ctx, params)
            if params.get("RevisionId") is not None and params["RevisionId"] != doc["RevisionId"]:
                raise precondition("GetFunction/GetAlias")
            version = params.get("FunctionVersion") or doc["FunctionVersion"]
            routing = params["RoutingConfig"] if "RoutingConfig" in params else doc.get("RoutingConfig")
            self._check_routing(ref, version, routing)
            doc["FunctionVersion"] = version
            if "Description" in params:
                doc["Description"] = params["Description"]
            if routing and routing.get("AdditionalVersionWeights"):
                doc["RoutingConfig"] = routing
            else:
                doc.pop("RoutingConfig", None)
            doc["RevisionId"] = revision()
            self.db.put_alias(ref.account, ref.region, ref.name, doc)
            if self.db.setting(ref.account, ref.region, ref.name, "provisioned", doc["Name"]) is not None:
                # its provisioned environments move to the version it now points to
                moved = FunctionRef(ref.account, ref.region, ref.name, doc["Name"])
                self.store.after_commit(lambda: self.executor.unprovision((moved.arn(""), doc["Name"])))
                self.store.after_commit(lambda: self.executor.later(self.allocate(moved)))
        return doc

    def delete_alias(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        with self.store.transaction():
            self.function(ref)
            # AWS answers success for an alias that does not exist (unverified)
            self.db.delete_alias(ref.account, ref.region, ref.name, params["Name"])
            self.db.delete_qualifier(ref.account, ref.region, ref.name, params["Name"])
        return {}

    def list_aliases(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        aliases = self.db.aliases(ref.account, ref.region, ref.name)
        if params.get("FunctionVersion"):
            aliases = [a for a in aliases if a["FunctionVersion"] == params["FunctionVersion"]]
        chunk, marker = page(aliases, lambda a: a["Name"], params.get("Marker"), params.get("MaxItems"))
        out: dict[str, Any] = {"Aliases": chunk}
        if marker:
            out["NextMarker"] = marker
        return out
