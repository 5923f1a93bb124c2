"""What Lambda stores for invocation: reserved and provisioned concurrency, function URLs,
event invoke configs; plus tags and the account's settings."""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.code import MAX_UNZIPPED, MAX_ZIPPED
from cloudlet.services.awslambda.concurrency import Limits, min_unreserved
from cloudlet.services.awslambda.configure import check_tags
from cloudlet.services.awslambda.errors import conflict, function_not_found, invalid, not_found
from cloudlet.services.awslambda.names import LATEST, FunctionRef, parse_function
from cloudlet.services.awslambda.util import timestamp

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.base import RequestContext

TOTAL_CODE_SIZE = 80_530_636_800
_URL_ID = string.ascii_lowercase + string.digits
_MAPPING_RESOURCE = re.compile(
    r"^arn:aws[a-zA-Z-]*:lambda:([a-z0-9-]+):(\d{12}):event-source-mapping:([0-9a-f-]{36})$"
)
_FUNCTION_RESOURCE = re.compile(r"^arn:[^:]+:lambda:([^:]+):(\d{12}):function:(.+)$")


class Settings:
    # ---- reserved concurrency -----------------------------------------------------------------

    def put_function_concurrency(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        wanted = params["ReservedConcurrentExecutions"]
        with self.store.transaction():
            self.function(ref)
            others = self.db.reserved_total(ref.account, ref.region, skip=ref.name)
            floor = min_unreserved(self.concurrency.account_limit)
            if self.concurrency.account_limit - others - wanted < floor:
                raise invalid(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of [{floor}]."
                )
            doc = {"ReservedConcurrentExecutions": wanted}
            self.db.put_setting(ref.account, ref.region, ref.name, "concurrency", "", doc)
        return doc

    def get_function_concurrency(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        return self.db.setting(ref.account, ref.region, ref.name, "concurrency", "") or {}

    def delete_function_concurrency(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        with self.store.transaction():
            self.function(ref)
            self.db.delete_setting(ref.account, ref.region, ref.name, "concurrency", "")
        return {}

    def get_account_settings(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        reserved = self.db.reserved_total(ctx.account, ctx.region)
        return {
            "AccountLimit": {
                "TotalCodeSize": TOTAL_CODE_SIZE,
                "CodeSizeUnzipped": MAX_UNZIPPED,
                "CodeSizeZipped": MAX_ZIPPED,
                "ConcurrentExecutions": self.concurrency.account_limit,
                "UnreservedConcurrentExecutions": self.concurrency.account_limit - reserved,
            },
            "AccountUsage": {
                "TotalCodeSize": self.db.total_code_size(ctx.account, ctx.region),
                "FunctionCount": len(self.db.functions(ctx.account, ctx.region)),
            },
        }

    def limits(self: LambdaProvider, account: str, region: str, name: str) -> Limits:
        """What bounds the invocations of function ``name`` (settings cached until they change)."""
        cached = self._limits.get((account, region))
        if cached is None or cached[0] != self.db.settings_generation:
            reserved: dict[str, int] = {}
            provisioned: dict[str, dict[str, int]] = {}
            for function, kind, qualifier, doc in self.db.concurrency_settings(account, region):
                if kind == "concurrency":
                    reserved[function] = int(doc["ReservedConcurrentExecutions"])
                else:
                    wanted = int(doc["RequestedProvisionedConcurrentExecutions"])
                    provisioned.setdefault(function, {})[qualifier] = wanted
            taken = sum(reserved.values()) + sum(
                sum(p.values()) for f, p in provisioned.items() if f not in reserved
            )
            cached = (
                self.db.settings_generation,
                reserved,
                provisioned,
                self.concurrency.account_limit - taken,
            )
            self._limits[(account, region)] = cached
        _, reserved, provisioned, pool = cached
        return Limits(reserved.get(name), provisioned.get(name, {}), pool)

    # ---- provisioned concurrency --------------------------------------------------------------

    def _published(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> FunctionRef:
        ref = self.ref(ctx, params)
        self.function(ref)
        if ref.qualifier == LATEST:
            raise invalid(
                "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
            )
        if ref.qualifier is None:
            raise invalid(
                "The function resource provided must be an alias or a published version."
            )  # unverified fit
        self.resolve(ref)
        return ref

    def put_provisioned_concurrency_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref = self._published(ctx, params)
            wanted = params["ProvisionedConcurrentExecutions"]
            doc = {
                "RequestedProvisionedConcurrentExecutions": wanted,
                "AvailableProvisionedConcurrentExecutions": 0,
                "AllocatedProvisionedConcurrentExecutions": 0,
                "Status": "IN_PROGRESS",
                "LastModified": timestamp(self.clock.now()),
            }
            self.db.put_setting(ref.account, ref.region, ref.name, "provisioned", ref.qualifier or "", doc)
            self.store.after_commit(lambda: self.executor.later(self.allocate(ref)))
        return doc

    async def allocate(self: LambdaProvider, ref: FunctionRef) -> None:
        """Start the environments of a provisioned concurrency config (READY once they are
        initialized, FAILED with the init error's reason otherwise)."""
        doc = self.db.setting(ref.account, ref.region, ref.name, "provisioned", ref.qualifier or "")
        if doc is None:
            return
        wanted = doc["RequestedProvisionedConcurrentExecutions"]
        try:
            config, _ = self.resolve(ref)
        except ServiceError:
            return
        tag = (ref.arn(""), ref.qualifier or "")
        problem = await self.executor.provision(self._launch(config), tag, wanted)
        with self.store.transaction():
            now = self.db.setting(ref.account, ref.region, ref.name, "provisioned", ref.qualifier or "")
            if now is None or now["RequestedProvisionedConcurrentExecutions"] != wanted:
                return  # changed or deleted meanwhile: that change allocates
            ready = 0 if problem else wanted
            now.update(
                AvailableProvisionedConcurrentExecutions=ready,
                AllocatedProvisionedConcurrentExecutions=ready,
                Status="FAILED" if problem else "READY",
                LastModified=timestamp(self.clock.now()),
            )
            if problem:
                now["StatusReason"] = f"FUNCTION_ERROR_INIT_FAILURE: {problem[:200]}"  # unverified
            self.db.put_setting(ref.account, ref.region, ref.name, "provisioned", ref.qualifier or "", now)

    def _provisioned(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[FunctionRef, dict[str, Any]]:
        ref = self._published(ctx, params)
        doc = self.db.setting(ref.account, ref.region, ref.name, "provisioned", ref.qualifier or "")
        if doc is None:
            raise ServiceError(
                "ProvisionedConcurrencyConfigNotFoundException",
                "No Provisioned Concurrency Config found for this function",
                404,
                fields={"Type": "User"},
            )
        return ref, doc

    def get_provisioned_concurrency_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._provisioned(ctx, params)[1]

    def delete_provisioned_concurrency_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref, _ = self._provisioned(ctx, params)
            self.db.delete_setting(ref.account, ref.region, ref.name, "provisioned", ref.qualifier or "")
            tag = (ref.arn(""), ref.qualifier or "")
            self.store.after_commit(lambda: self.executor.unprovision(tag))
        return {}

    def list_provisioned_concurrency_configs(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        configs = [
            dict(doc, FunctionArn=ref.arn(q))
            for q, doc in self.db.settings(ref.account, ref.region, ref.name, "provisioned").items()
        ]
        return {"ProvisionedConcurrencyConfigs": configs}

    # ---- function URLs (served with invocation, in the next part) --------------------------

    def _url_target(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> FunctionRef:
        ref = self.ref(ctx, params)
        self.function(ref)
        if ref.qualifier is not None:
            if ref.qualifier == LATEST or ref.qualifier.isdigit():
                # unverified wording: URLs take the unqualified function or an alias
                raise invalid("The function resource provided must be an alias or the unqualified function.")
            self.resolve(ref)
        return ref

    def create_function_url_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref = self._url_target(ctx, params)
            key = ref.qualifier or ""
            if self.db.setting(ref.account, ref.region, ref.name, "url", key) is not None:
                raise conflict(
                    f"Failed to create function url config for [functionArn = {ref.arn()}]. Error message:  "
                    "FunctionUrlConfig exists for this Lambda function"
                )
            now = timestamp(self.clock.now())
            host = ctx.request.host if ctx.request is not None else ""
            port = host.rsplit(":", 1)[1] if ":" in host and not host.endswith("]") else ""
            url_id = "".join(secrets.choice(_URL_ID) for _ in range(32))
            doc: dict[str, Any] = {
                "FunctionUrl": f"http://{url_id}.lambda-url.{ref.region}.localhost{':' + port if port else ''}/",
                "FunctionArn": ref.arn(),
                "AuthType": params["AuthType"],
                "CreationTime": now,
                "LastModifiedTime": now,
                "InvokeMode": params.get("InvokeMode") or "BUFFERED",
            }
            if params.get("Cors"):
                doc["Cors"] = params["Cors"]
            self.db.put_setting(ref.account, ref.region, ref.name, "url", key, doc)
        return {k: v for k, v in doc.items() if k != "LastModifiedTime"}

    def _url(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> tuple[FunctionRef, dict[str, Any]]:
        ref = self._url_target(ctx, params)
        doc = self.db.setting(ref.account, ref.region, ref.name, "url", ref.qualifier or "")
        if doc is None:
            raise not_found("The resource you requested does not exist.")
        return ref, doc

    def get_function_url_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._url(ctx, params)[1]

    def update_function_url_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref, doc = self._url(ctx, params)
            for member in ("AuthType", "Cors", "InvokeMode"):
                if member in params:
                    doc[member] = params[member]
            doc["LastModifiedTime"] = timestamp(self.clock.now())
            self.db.put_setting(ref.account, ref.region, ref.name, "url", ref.qualifier or "", doc)
        return doc

    def delete_function_url_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref, _ = self._url(ctx, params)
            self.db.delete_setting(ref.account, ref.region, ref.name, "url", ref.qualifier or "")
        return {}

    def list_function_url_configs(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        return {
            "FunctionUrlConfigs": list(self.db.settings(ref.account, ref.region, ref.name, "url").values())
        }

    # ---- event invoke configs -----------------------------------------------------------------

    def _invoke_target(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> FunctionRef:
        ref = self.ref(ctx, params)
        self.function(ref)
        if ref.qualifier is not None and ref.qualifier != LATEST:
            self.resolve(ref)
        return ref

    def _check_destinations(self: LambdaProvider, ref: FunctionRef, config: dict[str, Any] | None) -> None:
        for side in ("OnSuccess", "OnFailure"):
            arn = ((config or {}).get(side) or {}).get("Destination")
            if not arn:
                continue
            service = arn.split(":")[2] if arn.count(":") >= 5 else ""
            if service not in ("sqs", "sns", "lambda", "events", "s3"):
                shown = {s: (config or {}).get(s, {}).get("Destination") for s in ("OnSuccess", "OnFailure")}
                parts = ", ".join(
                    f"{s[0].lower() + s[1:]}={s}(destination={shown[s]})"
                    if shown[s]
                    else f"{s[0].lower() + s[1:]}=null"
                    for s in ("OnSuccess", "OnFailure")
                )
                raise invalid(f"The provided destination config DestinationConfig({parts}) is invalid.")
            if service == "lambda":
                target = parse_function(arn.split(":function:", 1)[-1], arn.split(":")[4], arn.split(":")[3])
                if target.name == ref.name:
                    raise invalid("You can't specify the function as a destination for itself.")
                if self.db.function(target.account, target.region, target.name) is None:
                    raise invalid(f"The destination ARN {arn} is invalid.")

    def _invoke_doc(self: LambdaProvider, ref: FunctionRef, doc: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in doc.items() if not k.startswith("_")}
        out["FunctionArn"] = ref.arn(ref.qualifier or LATEST)
        return out

    def put_function_event_invoke_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._write_invoke_config(ctx, params, replace=True)

    def update_function_event_invoke_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._write_invoke_config(ctx, params, replace=False)

    def _write_invoke_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any], *, replace: bool
    ) -> dict[str, Any]:
        members = ("MaximumRetryAttempts", "MaximumEventAgeInSeconds", "DestinationConfig")
        if not any(m in params for m in members):
            raise invalid("You must specify at least one of error handling or destination setting.")
        with self.store.transaction():
            ref = self._invoke_target(ctx, params)
            self._check_destinations(ref, params.get("DestinationConfig"))
            key = ref.qualifier or LATEST
            current = self.db.setting(ref.account, ref.region, ref.name, "invoke", key)
            if current is None and not replace:
                # unverified: UpdateFunctionEventInvokeConfig without a config creates it on AWS too
                current = {}
            doc: dict[str, Any] = {} if replace else dict(current or {})
            for m in members:
                if m in params:
                    doc[m] = params[m]
            destinations = doc.get("DestinationConfig") or {}
            doc["DestinationConfig"] = {
                "OnSuccess": destinations.get("OnSuccess") or {},
                "OnFailure": destinations.get("OnFailure") or {},
            }
            doc["LastModified"] = self.clock.now()
            self.db.put_setting(ref.account, ref.region, ref.name, "invoke", key, doc)
        return self._invoke_doc(ref, doc)

    def get_function_event_invoke_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self._invoke_target(ctx, params)
        doc = self.db.setting(ref.account, ref.region, ref.name, "invoke", ref.qualifier or LATEST)
        if doc is None:
            raise not_found(
                f"The function {ref.arn(ref.qualifier or LATEST)} doesn't have an EventInvokeConfig"
            )
        return self._invoke_doc(ref, doc)

    def delete_function_event_invoke_config(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            ref = self._invoke_target(ctx, params)
            key = ref.qualifier or LATEST
            if self.db.setting(ref.account, ref.region, ref.name, "invoke", key) is None:
                raise not_found(f"The function {ref.arn(key)} doesn't have an EventInvokeConfig")
            self.db.delete_setting(ref.account, ref.region, ref.name, "invoke", key)
        return {}

    def list_function_event_invoke_configs(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        found = self.db.settings(ref.account, ref.region, ref.name, "invoke")
        configs = []
        for q, doc in found.items():
            out = {k: v for k, v in doc.items() if not k.startswith("_")}
            out["FunctionArn"] = ref.arn(q)
            configs.append(out)
        return {"FunctionEventInvokeConfigs": configs}

    # ---- tags -----------------------------------------------------------------------------------

    def _tagged(
        self: LambdaProvider, ctx: RequestContext, resource: str
    ) -> tuple[FunctionRef, dict[str, Any]]:
        m = _FUNCTION_RESOURCE.match(resource)
        if m is None:
            raise not_found("The resource you requested does not exist.")  # unverified: layers, mappings
        ref = parse_function(m[3], m[2], m[1])
        if ref.region != ctx.region:
            raise not_found(
                f"Functions from '{ref.region}' are not reachable in this region ('{ctx.region}')"
            )
        if ref.qualifier is not None:
            raise invalid(
                "Tags on function aliases and versions are not supported. Please specify a function ARN."
            )
        doc = self.db.function(ref.account, ref.region, ref.name)
        if doc is None:
            raise function_not_found(ref.arn())
        return ref, doc

    def _tags(
        self: LambdaProvider, ctx: RequestContext, resource: str
    ) -> tuple[dict[str, str], Callable[[dict[str, str]], None]]:
        """The tags of a function or an event source mapping, and how to store them changed."""
        m = _MAPPING_RESOURCE.match(resource)
        if m is None:
            ref, doc = self._tagged(ctx, resource)

            def save_function(tags: dict[str, str]) -> None:
                doc["Tags"] = tags
                self.db.put_function(ref.account, ref.region, ref.name, doc)

            return doc.get("Tags") or {}, save_function
        region, account, mapping_id = m[1], m[2], m[3]
        mapping = self.db.setting(account, region, "", "esm", mapping_id) if region == ctx.region else None
        if mapping is None:
            raise not_found("The resource you requested does not exist.")

        def save_mapping(tags: dict[str, str]) -> None:
            mapping["_tags"] = tags
            self.db.put_setting(account, region, "", "esm", mapping_id, mapping)

        return mapping.get("_tags") or {}, save_mapping

    def tag_resource(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            tags, save = self._tags(ctx, params["Resource"])
            save(check_tags({**tags, **params["Tags"]}))
        return {}

    def untag_resource(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            tags, save = self._tags(ctx, params["Resource"])
            save({k: v for k, v in tags.items() if k not in params["TagKeys"]})
        return {}

    def list_tags(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Tags": self._tags(ctx, params["Resource"])[0]}
