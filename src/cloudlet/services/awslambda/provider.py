"""AWS Lambda: functions, versions, aliases, permissions, layers, the settings stored for
invocation (concurrency, URLs, event invoke configs), and Invoke (invoke.py, executor.py).

Invoke runs Python functions synchronously (RequestResponse), answers DryRun, and queues Event
invocations (and InvokeAsync) on the delivery engine (async_invoke.py);
InvokeWithResponseStream streams the function's answer as it comes (stream_invoke.py).
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

from cloudlet.core.policy import PolicyError, Request, Source, evaluate, parse_policy
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda import configure, links, local_code
from cloudlet.services.awslambda.aliases import Aliases
from cloudlet.services.awslambda.async_invoke import AsyncInvoking
from cloudlet.services.awslambda.code import MAX_UNZIPPED, CodeStore, Package
from cloudlet.services.awslambda.concurrency import Concurrency
from cloudlet.services.awslambda.errors import conflict, function_not_found, invalid, precondition
from cloudlet.services.awslambda.event_source_mappings import EventSourceMappings
from cloudlet.services.awslambda.executor import Executor
from cloudlet.services.awslambda.invoke import Invoking
from cloudlet.services.awslambda.layers import Layers
from cloudlet.services.awslambda.names import LATEST, FunctionRef, function_arn, is_version, parse_function
from cloudlet.services.awslambda.permissions import Permissions
from cloudlet.services.awslambda.pollers import Pollers
from cloudlet.services.awslambda.rotation import LambdaRotationInvoker
from cloudlet.services.awslambda.settings import Settings
from cloudlet.services.awslambda.store import Doc, LambdaStore
from cloudlet.services.awslambda.stream_invoke import ResponseStreaming
from cloudlet.services.awslambda.util import page, public, revision, timestamp
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.iam.interface import directory
from cloudlet.services.logs.interface import log_sink
from cloudlet.services.s3.interface import read_object

ROLE_NOT_ASSUMABLE = "The role defined for the function cannot be assumed by Lambda."
_ROLE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::(\d{12}):role/(?:[^:]*/)?([^/]+)$")
# Members of $LATEST a published version copies, and that decide whether anything changed.
_VERSIONED = (
    "Runtime", "Role", "Handler", "CodeSize", "Timeout", "MemorySize", "CodeSha256", "VpcConfig",
    "DeadLetterConfig", "Environment", "KMSKeyArn", "TracingConfig", "Layers", "PackageType",
    "Architectures", "EphemeralStorage", "SnapStart", "LoggingConfig", "FileSystemConfigs",
    "ImageConfigResponse",
)  # fmt: skip
_CONFIGURABLE = (
    "Role", "Handler", "Description", "Timeout", "MemorySize", "VpcConfig", "Environment", "Runtime",
    "DeadLetterConfig", "KMSKeyArn", "TracingConfig", "Layers", "FileSystemConfigs", "EphemeralStorage",
    "SnapStart", "LoggingConfig",
)  # fmt: skip


class LambdaProvider(
    Invoking,
    ResponseStreaming,
    AsyncInvoking,
    Aliases,
    Permissions,
    Layers,
    Settings,
    EventSourceMappings,
    Provider,
):
    service = "lambda"
    # AWS answers a Runtime outside its list with InvalidParameterValueException (recorded),
    # not the front end's ValidationException: configure.check_runtime
    own_checks = frozenset({"Runtime"})

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = LambdaStore(self.store)
        config = runtime.config
        root = None if config.in_memory else Path(config.data_dir) / "lambda" / "code"
        self.codes = CodeStore(root)
        self.links = links.CodeLinks(self.store, self.clock)
        self.executor = Executor(lambda: log_sink(runtime), self.clock, config.lambda_idle_seconds)
        self.concurrency = Concurrency(config.lambda_account_concurrency)
        self._limits: dict[tuple[str, str], Any] = {}  # settings.limits' cache
        self.pollers = Pollers(self)
        self.register_async()

    async def start(self) -> None:
        self.codes.sweep(self.db.code_ids())  # packages written before a crash but never committed
        for account, region, name, qualifier in self.db.provisioned_everywhere():
            self.executor.later(self.allocate(FunctionRef(account, region, name, qualifier or None)))
        self.pollers.resume()

    async def stop(self) -> None:
        await self.pollers.close()
        await self.executor.close()

    def reset(self) -> None:
        self.pollers.forget()
        self.codes.clear()

    def resource_counts(self) -> dict[str, int]:
        count = self.db.count()
        return {"functions": count} if count else {}

    # ---- looking things up ------------------------------------------------------------------

    def ref(self, ctx: RequestContext, params: dict[str, Any], *, qualified: bool = True) -> FunctionRef:
        return parse_function(
            params["FunctionName"],
            ctx.account,
            ctx.region,
            params.get("Qualifier"),
            allow_qualified=qualified,
        )

    def function(self, ref: FunctionRef) -> Doc:
        doc = self.db.function(ref.account, ref.region, ref.name)
        if doc is None:
            raise function_not_found(ref.arn())
        return doc

    def latest(self, ref: FunctionRef) -> Doc:
        config = self.db.version(ref.account, ref.region, ref.name, LATEST)
        if config is None:
            raise function_not_found(ref.arn())
        return config

    def resolve(self, ref: FunctionRef) -> tuple[Doc, str | None]:
        """The version the reference names (and the alias it went through, if any)."""
        qualifier = ref.qualifier or LATEST
        alias = None
        if not is_version(qualifier):
            found = self.db.alias(ref.account, ref.region, ref.name, qualifier)
            if found is None:
                raise function_not_found(ref.arn())
            alias, qualifier = qualifier, found["FunctionVersion"]
        config = self.db.version(ref.account, ref.region, ref.name, qualifier)
        if config is None:
            raise function_not_found(ref.arn())
        return config, alias

    @staticmethod
    def answer(config: Doc, qualifier: str | None = None) -> Doc:
        """A stored configuration as answered, its ARN qualified by ``qualifier`` if given."""
        out = public(config)
        if qualifier:
            out["FunctionArn"] = f"{out['FunctionArn']}:{qualifier}"
        return out

    def rotation_invoker(self) -> LambdaRotationInvoker:
        """How Secrets Manager runs rotation functions (found by its ``invoker_for``)."""
        return LambdaRotationInvoker(self)

    def check_role(self, role_arn: str) -> None:
        """The role must exist and trust ``lambda.amazonaws.com``."""
        m = _ROLE.match(role_arn)
        iam = directory(self.runtime)
        role = iam.entity(m[1], "role", m[2]) if m and iam is not None else None
        if role is None or not _trusts_lambda(role, role_arn):
            raise invalid(ROLE_NOT_ASSUMABLE)

    def read_code(self, code: dict[str, Any]) -> bytes:
        """The zip a FunctionCode / LayerVersionContentInput gives, directly or from Cloudlet's S3."""
        if code.get("ZipFile") is not None:
            return bytes(code["ZipFile"])
        if code.get("ImageUri"):
            raise invalid(CONTAINER_IMAGES)
        bucket, key = code.get("S3Bucket"), code.get("S3Key")
        if not bucket or not key:
            # unverified: wording when neither ZipFile nor S3Bucket/S3Key is given
            raise invalid("Please provide a source for function code.")
        try:
            return read_object(self.runtime, bucket, key, code.get("S3ObjectVersion"))
        except ServiceError as error:
            raise invalid(
                f"Error occurred while GetObject. S3 Error Code: {error.code}. S3 Error Message: {error.message}"
            ) from None

    async def store_code(self, data: bytes, layers_size: int = 0) -> Package:
        package = await asyncio.to_thread(self.codes.put, data)
        if package.unzipped + layers_size > MAX_UNZIPPED:
            self.codes.remove(package.code_id)
            raise invalid(f"Unzipped size must be smaller than {MAX_UNZIPPED} bytes")
        self.store.after_rollback(lambda: self.codes.remove(package.code_id))
        return package

    def release_code(self, code_ids: set[str]) -> None:
        """Remove the packages no row refers to any more, once the transaction committed."""

        def drop() -> None:
            for code_id in code_ids:
                if code_id and not self.db.code_used(code_id):
                    self.codes.remove(code_id)

        self.store.after_commit(drop)

    # ---- CreateFunction -------------------------------------------------------------------------

    async def create_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = parse_function(params["FunctionName"], ctx.account, ctx.region, allow_qualified=False)
        if params.get("PackageType") == "Image":
            raise invalid(CONTAINER_IMAGES)
        runtime = params.get("Runtime")
        if not runtime:
            raise invalid(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages."
            )  # unverified
        configure.check_runtime(runtime)
        configure.check_handler(params.get("Handler"), runtime)
        configure.check_limits(params)
        variables = configure.check_environment(params.get("Environment"))
        tags = configure.check_tags(params.get("Tags"))
        configure.check_dead_letter(params.get("DeadLetterConfig"))
        logging = configure.logging_config(params.get("LoggingConfig"), ref.name)
        self.check_role(params["Role"])
        layers, layers_size = self.function_layers(ctx, params.get("Layers") or [])
        if self.db.function(ref.account, ref.region, ref.name) is not None:
            raise conflict(f"Function already exist: {ref.name}")  # unverified wording
        code = params.get("Code") or {}
        local = await local_code.requested(self.runtime.config, code)  # hot reload
        package = local or await self.store_code(self.read_code(code), layers_size)
        now = self.clock.now()
        config: Doc = {
            "FunctionName": ref.name,
            "FunctionArn": function_arn(ref.region, ref.account, ref.name),
            "Runtime": runtime,
            "Role": params["Role"],
            "Handler": params.get("Handler"),
            "CodeSize": package.size,
            "Description": params.get("Description") or "",
            "Timeout": params.get("Timeout") or 3,
            "MemorySize": params.get("MemorySize") or 128,
            "LastModified": timestamp(now),
            "CodeSha256": package.sha256,
            "Version": LATEST,
            "Environment": {"Variables": variables},
            "TracingConfig": {"Mode": (params.get("TracingConfig") or {}).get("Mode") or "PassThrough"},
            "RevisionId": revision(),
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": params.get("Architectures") or ["x86_64"],
            "EphemeralStorage": params.get("EphemeralStorage") or {"Size": 512},
            "SnapStart": {
                "ApplyOn": (params.get("SnapStart") or {}).get("ApplyOn") or "None",
                "OptimizationStatus": "Off",
            },
            "RuntimeVersionConfig": {"RuntimeVersionArn": configure.runtime_version_arn(ref.region, runtime)},
            "LoggingConfig": logging,
            "_code_id": package.code_id,
        }
        local_code.mark(config, local)
        for member in ("VpcConfig", "DeadLetterConfig", "KMSKeyArn", "FileSystemConfigs"):
            if params.get(member):
                config[member] = params[member]
        if layers:
            config["Layers"] = layers
        with self.store.transaction():
            if self.db.function(ref.account, ref.region, ref.name) is not None:
                raise conflict(f"Function already exist: {ref.name}")  # unverified wording
            self.db.put_function(
                ref.account, ref.region, ref.name, {"Tags": tags, "LastVersion": 0}, new=True
            )
            self.db.put_version(ref.account, ref.region, ref.name, config)
            if params.get("Publish"):
                self._publish(ref, config, config["Description"])
        out = self.answer(config)
        # AWS answers the new function as Pending, with a revision that changes once it is Active.
        del out["LastUpdateStatus"]
        out.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
        out["RevisionId"] = revision()
        if params.get("Publish"):
            out["Version"] = "1"
            out["FunctionArn"] += ":1"
        return out

    # ---- reading ------------------------------------------------------------------------------

    def get_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params)
        self.function(ref)
        config, alias = self.resolve(ref)
        out: dict[str, Any] = {
            "Configuration": self.answer(config, alias or (ref.qualifier if ref.qualifier else None)),
            "Code": local_code.code_answer(config)
            or {"RepositoryType": "S3", "Location": self.links.location(ctx, config["_code_id"])},
        }
        if ref.qualifier is None:
            out["Tags"] = self.function(ref).get("Tags") or {}
        concurrency = self.db.setting(ref.account, ref.region, ref.name, "concurrency", "")
        if concurrency is not None:
            out["Concurrency"] = concurrency
        return out

    def get_function_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params)
        config, alias = self.resolve(ref)
        return self.answer(config, alias or ref.qualifier)

    def list_functions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        configs: list[Doc] = []
        every = params.get("FunctionVersion") == "ALL"
        for name in self.db.functions(ctx.account, ctx.region):
            if every:
                for config in self.db.versions(ctx.account, ctx.region, name):
                    v = config["Version"]
                    configs.append(self.answer(config, v))
            else:
                latest = self.db.version(ctx.account, ctx.region, name, LATEST)
                if latest is not None:
                    configs.append(self.answer(latest))
        chunk, marker = page(
            configs, lambda c: c["FunctionArn"], params.get("Marker"), params.get("MaxItems")
        )
        out: dict[str, Any] = {"Functions": chunk}
        if marker:
            out["NextMarker"] = marker
        return out

    def list_versions_by_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        self.function(ref)
        versions = [self.answer(c, c["Version"]) for c in self.db.versions(ref.account, ref.region, ref.name)]
        chunk, marker = page(versions, lambda c: c["Version"], params.get("Marker"), params.get("MaxItems"))
        out: dict[str, Any] = {"Versions": chunk}
        if marker:
            out["NextMarker"] = marker
        return out

    # ---- updating -----------------------------------------------------------------------------

    async def update_function_code(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        latest = self.latest(ref)
        if params.get("ImageUri"):
            raise invalid("Please don't provide ImageUri when updating a function with packageType Zip.")
        self._check_revision(latest, params.get("RevisionId"), "GetFunction/GetAlias")
        layers_size = sum(self._layer_size(layer["Arn"]) for layer in latest.get("Layers") or [])
        local = await local_code.requested(self.runtime.config, params)  # hot reload
        data = b"" if local else self.read_code(params)
        if params.get("DryRun"):
            from cloudlet.services.awslambda.code import inspect, sha256

            out = self.answer(latest)
            if local is not None:
                out.update(CodeSha256=local.sha256, CodeSize=local.size)
                return out
            inspect(data)
            out.update(CodeSha256=sha256(data), CodeSize=len(data))
            return out
        package = local or await self.store_code(data, layers_size)
        with self.store.transaction():
            latest = self.latest(ref)
            old = latest.get("_code_id")
            latest.update(CodeSha256=package.sha256, CodeSize=package.size, _code_id=package.code_id)
            local_code.mark(latest, local)
            if params.get("Architectures"):
                latest["Architectures"] = params["Architectures"]
            out = self._save_latest(ref, latest)
            if params.get("Publish"):
                published = self._publish(ref, latest, latest.get("Description") or "")
                out = self.answer(published, published["Version"])
            self.release_code({old})
        return out

    def update_function_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        latest = self.latest(ref)
        self._check_revision(latest, params.get("RevisionId"), "GetFunction/GetAlias")
        if params.get("ImageConfig"):
            raise invalid(
                "Please provide ImageUri when updating a function with packageType Image."
            )  # unverified fit
        if "Runtime" in params:
            configure.check_runtime(params["Runtime"])
        configure.check_limits(params)
        if "Role" in params:
            self.check_role(params["Role"])
        configure.check_dead_letter(params.get("DeadLetterConfig"))
        changes: Doc = {}
        if "Environment" in params:
            changes["Environment"] = {"Variables": configure.check_environment(params["Environment"])}
        if "Layers" in params:
            layers, _ = self.function_layers(ctx, params["Layers"] or [])
            changes["Layers"] = layers
        if "LoggingConfig" in params:
            changes["LoggingConfig"] = configure.logging_config(
                params["LoggingConfig"], ref.name, latest.get("LoggingConfig")
            )
        if "SnapStart" in params:
            changes["SnapStart"] = {
                "ApplyOn": params["SnapStart"].get("ApplyOn") or "None",
                "OptimizationStatus": "Off",
            }
        if "TracingConfig" in params:
            changes["TracingConfig"] = {"Mode": params["TracingConfig"].get("Mode") or "PassThrough"}
        for member in _CONFIGURABLE:
            if member in params and member not in changes:
                changes[member] = params[member]
        if "Runtime" in changes:
            changes["RuntimeVersionConfig"] = {
                "RuntimeVersionArn": configure.runtime_version_arn(ref.region, changes["Runtime"])
            }
        with self.store.transaction():
            latest = self.latest(ref)
            self._check_revision(latest, params.get("RevisionId"), "GetFunction/GetAlias")
            latest.update(changes)
            for member in ("Layers", "VpcConfig", "DeadLetterConfig", "KMSKeyArn", "FileSystemConfigs"):
                if member in latest and not latest[member]:
                    del latest[member]
            return self._save_latest(ref, latest)

    def _save_latest(self, ref: FunctionRef, latest: Doc) -> Doc:
        """Store an updated $LATEST; answer it as AWS answers an update (InProgress)."""
        latest.update(LastModified=timestamp(self.clock.now()), RevisionId=revision())
        latest["LastUpdateStatus"] = "Successful"
        self.db.put_version(ref.account, ref.region, ref.name, latest)
        out = self.answer(latest)
        out.update(
            LastUpdateStatus="InProgress",
            LastUpdateStatusReason="The function is being created.",
            LastUpdateStatusReasonCode="Creating",
            RevisionId=revision(),
        )
        return out

    @staticmethod
    def _check_revision(doc: Doc, given: str | None, api: str) -> None:
        if given is not None and given != doc.get("RevisionId"):
            raise precondition(api)

    # ---- versions -----------------------------------------------------------------------------

    def publish_version(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params, qualified=False)
        with self.store.transaction():
            latest = self.latest(ref)
            sha = params.get("CodeSha256")
            if sha is not None and sha != latest["CodeSha256"]:
                raise invalid(
                    f"CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({latest['CodeSha256']}). "
                    "Please try again with the CodeSHA256 in $LATEST."
                )
            self._check_revision(latest, params.get("RevisionId"), "GetFunction/GetAlias")
            published = self._publish(ref, latest, params.get("Description"))
        return self.answer(published, published["Version"])

    def _publish(self, ref: FunctionRef, latest: Doc, description: str | None) -> Doc:
        """Publish $LATEST as a new version, unless the newest version already is it (as AWS does)."""
        versions = [v for v in self.db.versions(ref.account, ref.region, ref.name) if v["Version"] != LATEST]
        if versions and all(versions[-1].get(m) == latest.get(m) for m in _VERSIONED):
            return versions[-1]
        doc = self.function(ref)
        number = int(doc.get("LastVersion") or 0) + 1
        doc["LastVersion"] = number
        self.db.put_function(ref.account, ref.region, ref.name, doc)
        version = dict(latest)
        version.update(
            Version=str(number),
            RevisionId=revision(),
            LastModified=timestamp(self.clock.now()),
            State="Active",
            LastUpdateStatus="Successful",
            Description=latest.get("Description") if description is None else description,
        )
        self.db.put_version(ref.account, ref.region, ref.name, version)
        # Publishing changes the revision of $LATEST (recorded).
        latest["RevisionId"] = revision()
        self.db.put_version(ref.account, ref.region, ref.name, latest)
        return version

    # ---- deleting -----------------------------------------------------------------------------

    def delete_function(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ref = self.ref(ctx, params)
        with self.store.transaction():
            self.function(ref)
            if ref.qualifier is None:
                codes = {v.get("_code_id") for v in self.db.versions(ref.account, ref.region, ref.name)}
                self.db.delete_function(ref.account, ref.region, ref.name)
                self.executor.drop(ref.arn(""))
                self.deliveries.cancel(ref.arn(""))  # its queued Event invocations
                self.release_code({c for c in codes if c})
                return {}
            if ref.qualifier == LATEST:
                raise invalid("$LATEST version cannot be deleted without deleting the function.")
            config = self.db.version(ref.account, ref.region, ref.name, ref.qualifier)
            if config is None:
                if not ref.qualifier.isdigit():
                    # unverified: DeleteFunction with an alias as qualifier
                    raise invalid("Deletion of aliases is not supported. Please use DeleteAlias.")
                raise function_not_found(ref.arn())
            users = [
                a["Name"]
                for a in self.db.aliases(ref.account, ref.region, ref.name)
                if a["FunctionVersion"] == ref.qualifier
                or ref.qualifier in ((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
            ]
            if users:
                # unverified wording
                raise conflict(
                    f"Unable to delete version because the following aliases reference it: [{', '.join(users)}]"
                )
            self.db.delete_version(ref.account, ref.region, ref.name, ref.qualifier)
            self.db.delete_qualifier(ref.account, ref.region, ref.name, ref.qualifier)
            self.release_code({config.get("_code_id") or ""})
        return {}

    def download(self, token: str) -> bytes | None:
        """The package a Code.Location token names (None: bad or expired token, or gone)."""
        code_id = self.links.code_id(token)
        if code_id is None or not self.db.code_used(code_id):
            return None
        try:
            return self.codes.read(code_id)
        except OSError:
            return None

    # ---- for Secrets Manager and the next parts ---------------------------------------------

    def code_path(self, function_arn_: str) -> Path | None:
        """Where the unpacked code of the version an ARN names lives (None: no such function)."""
        m = re.match(r"^arn:[^:]+:lambda:([^:]+):(\d{12}):function:(.+)$", function_arn_)
        if m is None:
            return None
        try:
            config, _ = self.resolve(parse_function(m[3], m[2], m[1]))
        except ServiceError:
            return None
        return local_code.directory_of(config) or self.codes.unpacked(config["_code_id"])


CONTAINER_IMAGES = (
    "Cloudlet does not run container image functions (PackageType Image): they need Docker, which "
    "Cloudlet does not use. Use a .zip deployment package."
)  # unverified: Cloudlet's own wording


def _trusts_lambda(role: dict[str, Any], role_arn: str) -> bool:
    document = role.get("AssumeRolePolicyDocument")
    if not document:
        return False
    try:
        trust = parse_policy(document if isinstance(document, str) else _json(document), "trust")
    except PolicyError:
        return False
    request = Request("sts:AssumeRole", role_arn, {}, service_principal="lambda.amazonaws.com")
    return evaluate(request, resource=[Source(trust, policy_type="Trust Policy")]).decision == "allowed"


def _json(document: Any) -> str:
    import orjson

    return orjson.dumps(document).decode()
