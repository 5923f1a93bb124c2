"""Layers: published versions of shared code, and the layers a function references."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.services.awslambda.errors import invalid, not_found, precondition
from cloudlet.services.awslambda.names import layer_arn, parse_layer_arn
from cloudlet.services.awslambda.permissions import exists, principal
from cloudlet.services.awslambda.util import page, public, revision, timestamp

if TYPE_CHECKING:
    from pathlib import Path

    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.base import RequestContext

MAX_LAYERS = 5
_NOT_FOUND = "The resource you requested does not exist."
_LIST_MEMBERS = (
    "LayerVersionArn", "Version", "Description", "CreatedDate", "CompatibleArchitectures",
    "CompatibleRuntimes", "LicenseInfo",
)  # fmt: skip


def _version_number(value: int) -> int:
    if value < 1:
        raise invalid("Layer Version Cannot be less than 1")
    return value


class Layers:
    def _layer(self: LambdaProvider, account: str, region: str, name: str, version: int) -> dict[str, Any]:
        found = self.db.layer_version(account, region, name, _version_number(version))
        if found is None:
            raise not_found(_NOT_FOUND)
        return found

    def _layer_answer(self: LambdaProvider, ctx: RequestContext, doc: dict[str, Any]) -> dict[str, Any]:
        out = public(doc)
        out["Content"] = dict(out["Content"], Location=self.links.location(ctx, doc["_code_id"]))
        return out

    def _layer_size(self: LambdaProvider, arn: str) -> int:
        parsed = parse_layer_arn(arn)
        if parsed is None or parsed[3] is None:
            return 0
        found = self.db.layer_version(parsed[1], parsed[0], parsed[2], parsed[3])
        return int(found["_unzipped"]) if found and "_unzipped" in found else 0

    def layer_dir(self: LambdaProvider, arn: str) -> Path | None:
        """The unpacked directory of a layer version (None: no such layer version)."""
        parsed = parse_layer_arn(arn)
        if parsed is None or parsed[3] is None:
            return None
        found = self.db.layer_version(parsed[1], parsed[0], parsed[2], parsed[3])
        return self.codes.unpacked(found["_code_id"]) if found else None

    def function_layers(
        self: LambdaProvider, ctx: RequestContext, arns: list[str]
    ) -> tuple[list[dict[str, Any]], int]:
        """The ``Layers`` of a function configuration and their unzipped size, or AWS's error."""
        if len(arns) > MAX_LAYERS:
            raise invalid("Cannot reference more than 5 layers.")
        seen: dict[tuple[str, str], str] = {}
        layers, size = [], 0
        for arn in arns:
            parsed = parse_layer_arn(arn)
            if parsed is None or parsed[3] is None:
                raise invalid(f"Layer version {arn} does not exist.")  # the model's pattern comes first
            region, account, name, version = parsed
            if region != ctx.region:
                raise invalid(
                    f"Layers are not in the same region as the function. Layers are expected to be in region {ctx.region}."
                )
            if (account, name) in seen and seen[(account, name)] != arn:
                raise invalid(
                    "Two different versions of the same layer are not allowed to be referenced in the same "
                    f"function. {seen[(account, name)]} and {arn} are versions of the same layer."
                )
            seen[(account, name)] = arn
            found = self.db.layer_version(account, region, name, version)
            if found is None:
                raise invalid(f"Layer version {arn} does not exist.")
            layers.append({"Arn": arn, "CodeSize": found["Content"]["CodeSize"]})
            size += int(found.get("_unzipped") or 0)
        return layers, size

    async def publish_layer_version(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        name = params["LayerName"]
        parsed = parse_layer_arn(name)
        if parsed is not None:
            name = parsed[2]
        package = await self.store_code(self.read_code(params.get("Content") or {}))
        with self.store.transaction():
            version = self.db.next_layer_version(ctx.account, ctx.region, name)
            doc: dict[str, Any] = {
                "Content": {"CodeSha256": package.sha256, "CodeSize": package.size},
                "LayerArn": layer_arn(ctx.region, ctx.account, name),
                "LayerVersionArn": layer_arn(ctx.region, ctx.account, name, version),
                "Description": params.get("Description") or "",
                "CreatedDate": timestamp(self.clock.now()),
                "Version": version,
                "CompatibleArchitectures": params.get("CompatibleArchitectures") or [],
                "CompatibleRuntimes": params.get("CompatibleRuntimes") or [],
                "_code_id": package.code_id,
                "_unzipped": package.unzipped,
            }
            if params.get("LicenseInfo"):
                doc["LicenseInfo"] = params["LicenseInfo"]
            self.db.put_layer_version(ctx.account, ctx.region, name, doc)
        return self._layer_answer(ctx, doc)

    def get_layer_version(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._layer_answer(
            ctx, self._layer(ctx.account, ctx.region, params["LayerName"], params["VersionNumber"])
        )

    def get_layer_version_by_arn(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        parsed = parse_layer_arn(params["Arn"])
        if parsed is None or parsed[3] is None:
            raise not_found(_NOT_FOUND)
        region, account, name, version = parsed
        return self._layer_answer(ctx, self._layer(account, region, name, version))

    def list_layer_versions(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        items = [
            {k: d[k] for k in _LIST_MEMBERS if k in d}
            for d in self.db.layer_versions(ctx.account, ctx.region, params["LayerName"])
            if _compatible(d, params)
        ]
        chunk, marker = page(items, lambda d: str(d["Version"]), params.get("Marker"), params.get("MaxItems"))
        out: dict[str, Any] = {"LayerVersions": chunk}
        if marker:
            out["NextMarker"] = marker
        return out

    def list_layers(self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        newest: dict[str, dict[str, Any]] = {}
        for d in self.db.layer_versions(ctx.account, ctx.region):
            name = d["LayerArn"].rsplit(":", 1)[1]
            if name not in newest and _compatible(d, params):
                newest[name] = d
        items = [
            {
                "LayerName": name,
                "LayerArn": d["LayerArn"],
                "LatestMatchingVersion": {k: d[k] for k in _LIST_MEMBERS if k in d},
            }
            for name, d in sorted(newest.items())
        ]
        chunk, marker = page(items, lambda d: d["LayerName"], params.get("Marker"), params.get("MaxItems"))
        out: dict[str, Any] = {"Layers": chunk}
        if marker:
            out["NextMarker"] = marker
        return out

    def delete_layer_version(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        version = _version_number(params["VersionNumber"])
        with self.store.transaction():
            found = self.db.layer_version(ctx.account, ctx.region, params["LayerName"], version)
            if found is not None:  # deleting a missing version succeeds (unverified)
                self.db.delete_layer_version(ctx.account, ctx.region, params["LayerName"], version)
                self.release_code({found.get("_code_id") or ""})
        return {}

    def add_layer_version_permission(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self._layer(ctx.account, ctx.region, params["LayerName"], params["VersionNumber"])
            policy = doc.get("_policy") or {"Statement": []}
            if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
                raise precondition("GetLayerPolicy")
            exists(policy["Statement"], params["StatementId"])
            statement: dict[str, Any] = {
                "Sid": params["StatementId"],
                "Effect": "Allow",
                "Principal": principal(params["Principal"], ctx.partition),
                "Action": params["Action"],
                "Resource": doc["LayerVersionArn"],
            }
            if params.get("OrganizationId"):
                statement["Condition"] = {"StringEquals": {"aws:PrincipalOrgID": params["OrganizationId"]}}
            policy["Statement"].append(statement)
            policy["RevisionId"] = revision()
            doc["_policy"] = policy
            self.db.put_layer_version(ctx.account, ctx.region, params["LayerName"], doc)
        return {"Statement": orjson.dumps(statement).decode(), "RevisionId": policy["RevisionId"]}

    def get_layer_version_policy(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        doc = self._layer(ctx.account, ctx.region, params["LayerName"], params["VersionNumber"])
        policy = doc.get("_policy")
        if not policy or not policy["Statement"]:
            raise not_found("No policy is associated with the given resource.")
        text = orjson.dumps(
            {"Version": "2012-10-17", "Id": "default", "Statement": policy["Statement"]}
        ).decode()
        return {"Policy": text, "RevisionId": policy["RevisionId"]}

    def remove_layer_version_permission(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self._layer(ctx.account, ctx.region, params["LayerName"], params["VersionNumber"])
            policy = doc.get("_policy") or {"Statement": []}
            if params.get("RevisionId") is not None and params["RevisionId"] != policy.get("RevisionId"):
                raise precondition("GetLayerPolicy")
            kept = [s for s in policy["Statement"] if s["Sid"] != params["StatementId"]]
            if len(kept) == len(policy["Statement"]):
                raise not_found(f"Statement {params['StatementId']} is not found in resource policy.")
            policy.update(Statement=kept, RevisionId=revision())
            doc["_policy"] = policy if kept else None
            self.db.put_layer_version(ctx.account, ctx.region, params["LayerName"], doc)
        return {}


def _compatible(doc: dict[str, Any], params: dict[str, Any]) -> bool:
    runtime, arch = params.get("CompatibleRuntime"), params.get("CompatibleArchitecture")
    if runtime and runtime not in (doc.get("CompatibleRuntimes") or []):
        return False
    return not (arch and arch not in (doc.get("CompatibleArchitectures") or []))
