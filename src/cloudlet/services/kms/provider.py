"""AWS KMS: keys (symmetric, RSA, ECC, HMAC), aliases, policies, grants, tags, rotation,
scheduled deletion on the Cloudlet clock, and real cryptography (crypto.py).

Also the in-process ``KeyService`` (interface.py) other services use for SSE and secrets.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import uuid
from typing import Any

import orjson

from cloudlet.core.arn import partition_for
from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.kms import crypto
from cloudlet.services.kms import errors as err
from cloudlet.services.kms import policy as policies
from cloudlet.services.kms.keys import (
    ALIAS_PREFIX,
    KEY_ID,
    MANAGED_PREFIX,
    MANAGED_SERVICES,
    SUPPORTED_SPECS,
    USAGE_SPECS,
    alias_arn,
    check_usable,
    key_arn,
    managed_service,
    metadata,
    parse_ref,
    when,
)
from cloudlet.services.kms.service import Keys
from cloudlet.services.kms.store import Grant, Key, KmsStore

DAY = 86400.0
DELETE_TIMER = "kms.delete"
ROTATE_TIMER = "kms.rotate"
MAX_PLAINTEXT = 4096
MAX_TAGS = 50
MAX_ON_DEMAND_ROTATIONS = 25  # recorded: test_key_rotations_limits
DEFAULT_ROTATION_DAYS = 365
_DRY_RUN = "The request would have succeeded, but the DryRun option is set."
_DIGEST_SIZES = {"256": 32, "384": 48, "512": 64}


def _page(
    items: list[Any], params: dict[str, Any], default: int, cap: int
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` by Limit and Marker, and the paging members of the answer."""
    start = 0
    marker = params.get("Marker")
    if marker is not None:
        try:
            start = int(base64.urlsafe_b64decode(marker.encode()).decode())
        except (ValueError, binascii.Error, UnicodeDecodeError):
            # unverified: AWS's answer to a marker it did not give
            raise ServiceError("InvalidMarkerException", "", 400) from None
    limit = min(params.get("Limit") or default, cap)
    page = items[start : start + limit]
    more = start + limit < len(items)
    extra: dict[str, Any] = {"Truncated": more}
    if more:
        extra["NextMarker"] = base64.urlsafe_b64encode(str(start + limit).encode()).decode()
    return page, extra


def _check_tags(tags: list[dict[str, str]], existing: int = 0) -> None:
    """Recorded TagException messages: reserved prefix, duplicates, too many."""
    keys = [t["TagKey"] for t in tags]
    if any(k.lower().startswith("aws:") for k in keys):
        raise err.tag_error("Tags beginning with aws: are reserved")
    if len(set(keys)) != len(keys):
        raise err.tag_error("Duplicate tag keys")
    if existing + len(keys) > MAX_TAGS:
        raise err.tag_error("Too many tags")


def _blob(params: dict[str, Any]) -> bytes:
    """CiphertextBlob, which the model leaves optional; unverified: AWS's answer without it."""
    blob = params.get("CiphertextBlob")
    if blob is None:
        raise err.validation(
            "1 validation error detected: Value null at 'ciphertextBlob' failed to satisfy constraint: "
            "Member must not be null"
        )
    return blob


def _context(params: dict[str, Any], name: str = "EncryptionContext") -> dict[str, str] | None:
    return params.get(name) or None


# What AWS managed keys describe themselves as (recorded: aws-reference/s3
# test_s3_bucket_encryption_sse_kms_aws_managed_key, aws-reference/dynamodb
# test_dynamodb_create_table_with_partial_sse_specification); others keep the generic form (unverified).
_MANAGED_DESCRIPTIONS = {
    "s3": "Default key that protects my S3 objects when no other key is defined",
    "dynamodb": "Default key that protects my DynamoDB data when no other key is defined",
}


class KmsProvider(Provider):
    service = "kms"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.kms = KmsStore(self.store)
        data_dir = None if self.store.in_memory else runtime.config.data_dir
        self.master = crypto.MasterKey.load(data_dir)
        self.scheduler.register(DELETE_TIMER, self._delete_due)
        self.scheduler.register(ROTATE_TIMER, self._rotate_due)
        self.keys = Keys(self)  # the in-process KeyService (interface.py)

    # ---- finding keys ------------------------------------------------------------------------

    def _managed_key(self, account: str, region: str, service: str) -> Key:
        """The AWS managed key ``aws/<service>``, created on first use as AWS does."""
        name = MANAGED_PREFIX + service
        alias = self.kms.get_alias(account, region, name)
        if alias is not None:
            key = self.kms.get_key(account, region, alias.key_id)
            if key is not None:
                return key
        now = self.clock.now()
        with self.store.transaction():
            key = self._new_key(
                account,
                region,
                spec="SYMMETRIC_DEFAULT",
                usage="ENCRYPT_DECRYPT",
                description=_MANAGED_DESCRIPTIONS.get(
                    service, f"Default key that protects my {service} data when no other key is defined"
                ),
                policy=policies.managed_policy(partition_for(region), account, region, service),
                manager="AWS",
                tags=[],
                multi_region=False,
                origin="AWS_KMS",
            )
            # AWS managed keys rotate every year (KMS developer guide, "AWS managed keys").
            key.rotation_enabled = True
            key.rotation_period = DEFAULT_ROTATION_DAYS
            key.next_rotation = now + DEFAULT_ROTATION_DAYS * DAY
            self.kms.update_key(key)
            self.scheduler.schedule(
                key.next_rotation, ROTATE_TIMER, self._payload(key), key=self._timer_key("rotate", key)
            )
            self.kms.put_alias(account, region, name, key.key_id, now)
        return key

    def _find(self, account: str, region: str, ref: str) -> Key:
        """The key ``ref`` names (any state); NotFoundException when there is none."""
        kind, owner, where, name = parse_ref(account, region, ref)
        if kind == "alias":
            alias = self.kms.get_alias(owner, where, name)
            if alias is None:
                service = managed_service(name)
                if service is not None and owner == account:
                    return self._managed_key(owner, where, service)
                raise err.alias_not_found(alias_arn(owner, where, name))
            name = alias.key_id
        key = self.kms.get_key(owner, where, name)
        if key is None:
            raise err.not_found(key_arn(owner, where, name))
        return key

    def _usable(self, ctx: RequestContext, ref: str) -> Key:
        key = self._find(ctx.account, ctx.region, ref)
        check_usable(key)
        return key

    def _customer_key(self, ctx: RequestContext, ref: str, action: str) -> Key:
        """A key whose settings the caller may change: AWS managed keys refuse (their key policy
        allows no such action; unverified: the exact message)."""
        key = self._find(ctx.account, ctx.region, ref)
        if key.manager == "AWS":
            raise ServiceError(
                "AccessDeniedException",
                f"User: arn:{ctx.partition}:iam::{ctx.account}:root is not authorized to perform: kms:{action} "
                f"on resource: {key.arn} because no resource-based policy allows the kms:{action} action",
                400,
            )
        return key

    def _material(self, key: Key, material_id: str | None = None) -> bytes:
        material_id = material_id or key.current_material
        wrapped = self.kms.material(key, material_id)
        if wrapped is None:
            raise err.invalid_ciphertext()
        return self.master.unwrap(wrapped, key.key_id, material_id)

    @staticmethod
    def _payload(key: Key) -> dict[str, str]:
        return {"account": key.account, "region": key.region, "key_id": key.key_id}

    @staticmethod
    def _timer_key(what: str, key: Key) -> str:
        return f"kms.{what}:{key.arn}"

    # ---- creating keys -------------------------------------------------------------------------

    def _new_key(
        self,
        account: str,
        region: str,
        *,
        spec: str,
        usage: str,
        description: str,
        policy: str,
        manager: str,
        tags: list[dict[str, str]],
        multi_region: bool,
        origin: str,
    ) -> Key:
        key_id = f"mrk-{uuid.uuid4().hex}" if multi_region else str(uuid.uuid4())
        now = self.clock.now()
        material_id = crypto.new_material_id() if origin == "AWS_KMS" else ""
        key = Key(
            account,
            region,
            key_id,
            key_arn(account, region, key_id),
            spec,
            usage,
            origin,
            manager,
            "Enabled" if origin == "AWS_KMS" else "PendingImport",
            description,
            now,
            None,
            None,
            multi_region,
            policy,
            tags,
            False,
            None,
            None,
            material_id,
        )
        with self.store.transaction():
            self.kms.insert_key(key)
            if material_id:
                material = crypto.generate_material(spec)
                self.kms.add_material(
                    key, material_id, self.master.wrap(material, key_id, material_id), now, None
                )
        return key

    def create_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        spec = params.get("KeySpec") or params.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT"
        usage = params.get("KeyUsage")
        if usage is None:
            if spec != "SYMMETRIC_DEFAULT":
                raise err.validation(
                    "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys."
                )
            usage = "ENCRYPT_DECRYPT"
        if spec not in SUPPORTED_SPECS or usage not in USAGE_SPECS:
            # unverified: Cloudlet does not implement SM2, ML-DSA, ML-KEM and Ed25519 keys
            raise err.unsupported(f"KeySpec {spec} with KeyUsage {usage} is not supported by Cloudlet.")
        if spec not in USAGE_SPECS[usage]:
            raise err.validation(f"KeyUsage {usage} is not compatible with KeySpec {spec}")
        origin = params.get("Origin") or "AWS_KMS"
        if origin not in ("AWS_KMS", "EXTERNAL"):
            raise err.unsupported(f"Origin {origin} is not supported by Cloudlet.")  # unverified
        if origin == "EXTERNAL" and spec != "SYMMETRIC_DEFAULT":
            raise err.unsupported(f"Origin {origin} with KeySpec {spec} is not supported by Cloudlet.")
        tags = params.get("Tags") or []
        _check_tags(tags)
        policy = params.get("Policy")
        if policy is not None:
            self._check_policy(policy)
        key = self._new_key(
            ctx.account,
            ctx.region,
            spec=spec,
            usage=usage,
            description=params.get("Description") or "",
            policy=policy or policies.default_policy(ctx.partition, ctx.account),
            manager="CUSTOMER",
            tags=[{"TagKey": t["TagKey"], "TagValue": t["TagValue"]} for t in tags],
            multi_region=bool(params.get("MultiRegion")),
            origin=origin,
        )
        return {"KeyMetadata": metadata(key)}

    def describe_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"KeyMetadata": metadata(self._find(ctx.account, ctx.region, params["KeyId"]))}

    def list_keys(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        keys = self.kms.list_keys(ctx.account, ctx.region)
        page, extra = _page(keys, params, 100, 1000)
        return {"Keys": [{"KeyId": k.key_id, "KeyArn": k.arn} for k in page], **extra}

    def update_key_description(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "UpdateKeyDescription")
        key.description = params["Description"]
        with self.store.transaction():
            self.kms.update_key(key)
        return {}

    # ---- key state ---------------------------------------------------------------------------

    def enable_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "EnableKey")
        self._settable(key)
        key.state = "Enabled"
        with self.store.transaction():
            self.kms.update_key(key)
        return {}

    def disable_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "DisableKey")
        self._settable(key)
        key.state = "Disabled"
        with self.store.transaction():
            self.kms.update_key(key)
        return {}

    @staticmethod
    def _settable(key: Key) -> None:
        if key.state == "PendingDeletion":
            raise err.pending_deletion(key.arn)
        if key.state == "PendingImport":
            raise err.invalid_state(f"{key.arn} is pending import.")

    def schedule_key_deletion(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "ScheduleKeyDeletion")
        days = params.get("PendingWindowInDays")
        days = 30 if days is None else days
        if days < 7:
            raise err.constraint(
                days, "pendingWindowInDays", "Member must have value greater than or equal to 7"
            )
        if days > 30:
            raise err.constraint(
                days, "pendingWindowInDays", "Member must have value less than or equal to 30"
            )
        if key.state == "PendingDeletion":
            raise err.pending_deletion(key.arn)
        key.state = "PendingDeletion"
        key.pending_days = days
        key.deletion_date = self.clock.now() + days * DAY
        with self.store.transaction():
            self.kms.update_key(key)
            self.scheduler.schedule(
                key.deletion_date, DELETE_TIMER, self._payload(key), key=self._timer_key("delete", key)
            )
        return {
            "KeyId": key.arn,
            "DeletionDate": when(key.deletion_date),
            "KeyState": "PendingDeletion",
            "PendingWindowInDays": days,
        }

    def cancel_key_deletion(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "CancelKeyDeletion")
        if key.state != "PendingDeletion":
            raise err.invalid_state(f"{key.arn} is not pending deletion.")  # unverified
        key.state = "Disabled"  # AWS leaves a key whose deletion is cancelled disabled
        key.deletion_date = None
        key.pending_days = None
        with self.store.transaction():
            self.kms.update_key(key)
            self.scheduler.cancel(self._timer_key("delete", key))
        return {"KeyId": key.arn}

    def _delete_due(self, payload: dict[str, str]) -> None:
        """The end of a key's waiting period: the key, its material, aliases and grants go."""
        key = self.kms.get_key(payload["account"], payload["region"], payload["key_id"])
        if key is None or key.state != "PendingDeletion" or key.deletion_date is None:
            return
        if key.deletion_date > self.clock.now():
            return
        with self.store.transaction():
            self.kms.delete_key(key.account, key.region, key.key_id)
            self.scheduler.cancel(self._timer_key("rotate", key))

    # ---- rotation ------------------------------------------------------------------------------

    def _rotatable(self, key: Key) -> None:
        if not key.symmetric or key.usage != "ENCRYPT_DECRYPT":
            raise err.unsupported("")  # recorded: RotateKeyOnDemand of a non-symmetric key
        if key.origin != "AWS_KMS":
            raise err.unsupported(f"{key.arn} origin is {key.origin} which is not valid for this operation.")
        check_usable(key)

    def enable_key_rotation(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "EnableKeyRotation")
        self._rotatable(key)
        period = params.get("RotationPeriodInDays") or DEFAULT_ROTATION_DAYS
        key.rotation_enabled = True
        key.rotation_period = period
        key.next_rotation = self.clock.now() + period * DAY
        with self.store.transaction():
            self.kms.update_key(key)
            self.scheduler.cancel(self._timer_key("rotate", key))
            self.scheduler.schedule(
                key.next_rotation, ROTATE_TIMER, self._payload(key), key=self._timer_key("rotate", key)
            )
        return {}

    def disable_key_rotation(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "DisableKeyRotation")
        self._rotatable(key)
        key.rotation_enabled = False
        key.next_rotation = None
        with self.store.transaction():
            self.kms.update_key(key)
            self.scheduler.cancel(self._timer_key("rotate", key))
        return {}

    def get_key_rotation_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        if not key.symmetric:
            raise err.unsupported(
                f"{key.arn} key spec {key.spec} is not valid for this operation."
            )  # unverified
        out: dict[str, Any] = {"KeyId": key.arn, "KeyRotationEnabled": key.rotation_enabled}
        if key.rotation_enabled:
            out["RotationPeriodInDays"] = key.rotation_period
            if key.next_rotation is not None:
                out["NextRotationDate"] = when(key.next_rotation)
        return out

    def _rotate(self, key: Key, rotation_type: str) -> None:
        material_id = crypto.new_material_id()
        now = self.clock.now()
        material = crypto.generate_material(key.spec)
        self.kms.add_material(
            key, material_id, self.master.wrap(material, key.key_id, material_id), now, rotation_type
        )
        key.current_material = material_id

    def rotate_key_on_demand(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "RotateKeyOnDemand")
        self._rotatable(key)
        if key.on_demand_rotations >= MAX_ON_DEMAND_ROTATIONS:
            raise ServiceError(
                "LimitExceededException",
                "The on-demand rotations limit has been reached for the given keyId. No more on-demand rotations "
                f"can be performed for this key: {key.arn}",
                400,
            )
        with self.store.transaction():
            self._rotate(key, "ON_DEMAND")
            key.on_demand_rotations += 1
            self.kms.update_key(key)
        return {"KeyId": key.arn}

    def _rotate_due(self, payload: dict[str, str]) -> None:
        key = self.kms.get_key(payload["account"], payload["region"], payload["key_id"])
        if key is None or not key.rotation_enabled or key.next_rotation is None:
            return
        if key.next_rotation > self.clock.now():
            return
        with self.store.transaction():
            if key.state == "Enabled":
                self._rotate(key, "AUTOMATIC")
            key.next_rotation += (key.rotation_period or DEFAULT_ROTATION_DAYS) * DAY
            self.kms.update_key(key)
            self.scheduler.schedule(
                key.next_rotation, ROTATE_TIMER, self._payload(key), key=self._timer_key("rotate", key)
            )

    def list_key_rotations(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        if not key.symmetric:
            raise err.unsupported(
                f"{key.arn} key spec {key.spec} is not valid for this operation."
            )  # unverified
        rotations = [
            {"KeyId": key.arn, "KeyMaterialId": m, "RotationDate": when(t), "RotationType": kind}
            for m, t, kind in self.kms.rotations(key)
        ]
        page, extra = _page(rotations, params, 100, 1000)
        return {"Rotations": page, **extra}

    # ---- policies ------------------------------------------------------------------------------

    @staticmethod
    def _check_policy(policy: str) -> None:
        try:
            document = orjson.loads(policy)
        except orjson.JSONDecodeError:
            document = None
        if not isinstance(document, dict) or "Statement" not in document:
            # unverified: AWS's message for a policy that is not a policy document
            raise ServiceError(
                "MalformedPolicyDocumentException",
                "The new key policy will not allow you to update the key policy in the future.",
                400,
            )

    def get_key_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        name = params.get("PolicyName") or "default"
        if name != "default":
            raise ServiceError("NotFoundException", "No such policy exists", 400)  # unverified
        return {"Policy": key.policy, "PolicyName": "default"}

    def put_key_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "PutKeyPolicy")
        name = params.get("PolicyName") or "default"
        if name != "default":
            raise ServiceError("NotFoundException", "No such policy exists", 400)  # unverified
        self._check_policy(params["Policy"])
        key.policy = params["Policy"]
        with self.store.transaction():
            self.kms.update_key(key)
        return {}

    def list_key_policies(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._find(ctx.account, ctx.region, params["KeyId"])
        page, extra = _page(["default"], params, 100, 1000)
        return {"PolicyNames": page, **extra}

    # ---- tags ----------------------------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "TagResource")
        new = params["Tags"]
        _check_tags(new)
        merged = {t["TagKey"]: t["TagValue"] for t in key.tags}
        added = [t for t in new if t["TagKey"] not in merged]
        _check_tags([], existing=len(merged) + len(added))
        for tag in new:
            merged[tag["TagKey"]] = tag["TagValue"]
        key.tags = [{"TagKey": k, "TagValue": v} for k, v in merged.items()]
        with self.store.transaction():
            self.kms.update_key(key)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._customer_key(ctx, params["KeyId"], "UntagResource")
        gone = set(params["TagKeys"])
        key.tags = [t for t in key.tags if t["TagKey"] not in gone]
        with self.store.transaction():
            self.kms.update_key(key)
        return {}

    def list_resource_tags(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        page, extra = _page(key.tags, params, 50, 50)
        return {"Tags": page, **extra}

    # ---- aliases -------------------------------------------------------------------------------

    @staticmethod
    def _check_alias_name(name: str, *, creating: bool) -> None:
        if not name.startswith(ALIAS_PREFIX):
            raise err.validation(
                'Alias must start with the prefix "alias/". Please see '
                "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html"
            )
        if name.startswith(MANAGED_PREFIX) and creating:
            # unverified: AWS's answer to an alias in the reserved alias/aws/ namespace
            raise ServiceError("NotAuthorizedException", "", 400)
        if name == ALIAS_PREFIX:
            raise ServiceError("InvalidAliasNameException", f"Alias {name} is invalid.", 400)  # unverified

    def _alias_target(self, ctx: RequestContext, ref: str) -> Key:
        kind = parse_ref(ctx.account, ctx.region, ref)[0]
        if kind == "alias":
            # unverified: AWS's answer to an alias naming an alias
            raise err.validation("Aliases must refer to keys. Not aliases")
        key = self._find(ctx.account, ctx.region, ref)
        if key.manager == "AWS":
            raise ServiceError("NotAuthorizedException", "", 400)  # unverified
        if key.state == "PendingDeletion":
            raise err.pending_deletion(key.arn)
        return key

    def create_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AliasName"]
        self._check_alias_name(name, creating=True)
        key = self._alias_target(ctx, params["TargetKeyId"])
        if self.kms.get_alias(ctx.account, ctx.region, name) is not None:
            raise ServiceError(
                "AlreadyExistsException",
                f"An alias with the name {alias_arn(ctx.account, ctx.region, name)} already exists",
                400,
            )
        with self.store.transaction():
            self.kms.put_alias(ctx.account, ctx.region, name, key.key_id, self.clock.now())
        return {}

    def update_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AliasName"]
        self._check_alias_name(name, creating=True)
        alias = self.kms.get_alias(ctx.account, ctx.region, name)
        if alias is None:
            raise err.alias_not_found(alias_arn(ctx.account, ctx.region, name))
        key = self._alias_target(ctx, params["TargetKeyId"])
        current = self.kms.get_key(ctx.account, ctx.region, alias.key_id)
        if current is not None and (current.usage != key.usage or current.symmetric != key.symmetric):
            # unverified: AWS's message for a new target of another type or usage
            raise err.validation(
                f"{key.arn} key usage {key.usage} and key spec {key.spec} do not match the alias's current key."
            )
        with self.store.transaction():
            self.kms.put_alias(ctx.account, ctx.region, name, key.key_id, self.clock.now())
        return {}

    def delete_alias(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AliasName"]
        self._check_alias_name(name, creating=True)
        if self.kms.get_alias(ctx.account, ctx.region, name) is None:
            raise err.alias_not_found(alias_arn(ctx.account, ctx.region, name))
        with self.store.transaction():
            self.kms.delete_alias(ctx.account, ctx.region, name)
        return {}

    def list_aliases(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key_id = None
        if params.get("KeyId"):
            key_id = self._find(ctx.account, ctx.region, params["KeyId"]).key_id
        aliases = {a.name: a for a in self.kms.list_aliases(ctx.account, ctx.region, key_id)}
        entries: list[dict[str, Any]] = []
        names = set(aliases)
        if key_id is None:  # AWS lists the predefined aliases of AWS managed keys not yet created
            names |= {MANAGED_PREFIX + s for s in MANAGED_SERVICES}
        for name in sorted(names):
            entry: dict[str, Any] = {"AliasName": name, "AliasArn": alias_arn(ctx.account, ctx.region, name)}
            alias = aliases.get(name)
            if alias is not None:
                entry["TargetKeyId"] = alias.key_id
                entry["CreationDate"] = when(alias.created)
                entry["LastUpdatedDate"] = when(alias.updated)
            entries.append(entry)
        page, extra = _page(entries, params, 100, 100)
        return {"Aliases": page, **extra}

    # ---- grants --------------------------------------------------------------------------------

    def create_grant(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        if key.state == "PendingDeletion":
            raise err.pending_deletion(key.arn)
        operations = list(dict.fromkeys(params["Operations"]))
        name = params.get("Name")
        constraints = params.get("Constraints") or None
        if name:
            for grant in self.kms.grants(key.account, key.region, key.key_id):
                if (
                    grant.name == name
                    and grant.grantee == params["GranteePrincipal"]
                    and grant.operations == operations
                    and grant.retiring == params.get("RetiringPrincipal")
                    and grant.constraints == constraints
                ):  # a retried CreateGrant answers the grant it made (CreateGrant API reference)
                    return {"GrantToken": grant.token, "GrantId": grant.grant_id}
        grant = Grant(
            secrets.token_hex(32),
            key.key_id,
            name,
            base64.urlsafe_b64encode(secrets.token_bytes(96)).decode().rstrip("="),
            params["GranteePrincipal"],
            params.get("RetiringPrincipal"),
            operations,
            constraints,
            ctx.account,
            self.clock.now(),
        )
        with self.store.transaction():
            self.kms.insert_grant(key.account, key.region, grant)
        return {"GrantToken": grant.token, "GrantId": grant.grant_id}

    @staticmethod
    def _grant_entry(key: Key, grant: Grant) -> dict[str, Any]:
        out: dict[str, Any] = {
            "KeyId": key.arn,
            "GrantId": grant.grant_id,
            "CreationDate": when(grant.created),
            "GranteePrincipal": grant.grantee,
            "IssuingAccount": f"arn:{partition_for(key.region)}:iam::{grant.issuing_account}:root",
            "Operations": grant.operations,
        }
        if grant.name:
            out["Name"] = grant.name
        if grant.retiring:
            out["RetiringPrincipal"] = grant.retiring
        if grant.constraints:
            out["Constraints"] = grant.constraints
        return out

    def list_grants(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        grants = self.kms.grants(key.account, key.region, key.key_id)
        if params.get("GrantId"):
            grants = [g for g in grants if g.grant_id == params["GrantId"]]
        if params.get("GranteePrincipal"):
            grants = [g for g in grants if g.grantee == params["GranteePrincipal"]]
        page, extra = _page(grants, params, 50, 100)
        return {"Grants": [self._grant_entry(key, g) for g in page], **extra}

    def list_retirable_grants(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        principal = params.get("RetiringPrincipal")
        if principal is None:  # required by AWS, optional in the model; wording unverified
            raise validation_error(
                ["Value null at 'retiringPrincipal' failed to satisfy constraint: Member must not be null"]
            )
        grants = [g for g in self.kms.grants(ctx.account, ctx.region) if g.retiring == principal]
        page, extra = _page(grants, params, 50, 100)
        entries = []
        for grant in page:
            key = self.kms.get_key(ctx.account, ctx.region, grant.key_id)
            if key is not None:
                entries.append(self._grant_entry(key, grant))
        return {"Grants": entries, **extra}

    def _grant_of(self, key: Key, grant_id: str) -> Grant:
        for grant in self.kms.grants(key.account, key.region, key.key_id):
            if grant.grant_id == grant_id:
                return grant
        # unverified: AWS's message for a grant id the key does not have
        raise ServiceError("NotFoundException", f"Grant ID {grant_id} not found", 400)

    def retire_grant(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        token = params.get("GrantToken")
        if token:
            found = self.kms.grant_by_token(token)
            if found is None:
                raise ServiceError("InvalidGrantTokenException", "Invalid grant token.", 400)  # unverified
            account, region, grant = found
        else:
            if not params.get("KeyId") or not params.get("GrantId"):
                # unverified: AWS's message when neither the token nor the key and grant id are given
                raise err.validation("Grant token OR (grant ID, key ID) must be specified")
            key = self._find(ctx.account, ctx.region, params["KeyId"])
            grant = self._grant_of(key, params["GrantId"])
            account, region = key.account, key.region
        with self.store.transaction():
            self.kms.delete_grant(account, region, grant.grant_id)
        return {}

    def revoke_grant(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._find(ctx.account, ctx.region, params["KeyId"])
        grant = self._grant_of(key, params["GrantId"])
        with self.store.transaction():
            self.kms.delete_grant(key.account, key.region, grant.grant_id)
        return {}

    # ---- symmetric and RSA encryption -----------------------------------------------------------

    @staticmethod
    def _dry_run(params: dict[str, Any]) -> None:
        if params.get("DryRun"):
            raise ServiceError("DryRunOperationException", _DRY_RUN, 400)

    def _encrypting_key(self, ctx: RequestContext, ref: str, operation: str) -> Key:
        key = self._usable(ctx, ref)
        if key.usage != "ENCRYPT_DECRYPT":
            raise err.wrong_usage(key.arn, key.usage, operation)
        return key

    def _encrypt(self, key: Key, plaintext: bytes, context: dict[str, str] | None, algorithm: str) -> bytes:
        if key.symmetric:
            if algorithm != "SYMMETRIC_DEFAULT":
                raise err.incompatible_algorithm(algorithm, key.spec)
            return crypto.seal(key.key_id, key.current_material, self._material(key), plaintext, context)
        if algorithm not in crypto.RSA_ENCRYPTION:
            raise err.incompatible_algorithm(algorithm, key.spec)
        limit = crypto.rsa_max_plaintext(key.spec, algorithm)
        if len(plaintext) > limit:
            raise err.validation(
                f"Algorithm {algorithm} and key spec {key.spec} cannot encrypt data larger than {limit} bytes."
            )
        return crypto.rsa_encrypt(self._material(key), algorithm, plaintext)

    def _decrypt(
        self,
        ctx: RequestContext,
        blob: bytes,
        context: dict[str, str] | None,
        ref: str | None,
        algorithm: str | None,
    ) -> tuple[bytes, Key, str | None]:
        """(plaintext, key, material id) of a blob; ``ref`` is the KeyId the request gave."""
        if ref is not None:
            key = self._find(ctx.account, ctx.region, ref)
            if key.usage != "ENCRYPT_DECRYPT":
                raise err.incorrect_key()
            if not key.symmetric:
                check_usable(key)
                if algorithm not in crypto.RSA_ENCRYPTION:
                    raise (
                        err.incorrect_key()
                        if algorithm is None
                        else err.incompatible_algorithm(algorithm, key.spec)
                    )
                try:
                    return crypto.rsa_decrypt(self._material(key), algorithm, blob), key, None
                except crypto.CiphertextError:
                    raise err.invalid_ciphertext() from None
        if algorithm not in (None, "SYMMETRIC_DEFAULT"):
            raise err.invalid_ciphertext()  # unverified: an asymmetric algorithm without its key
        try:
            header = crypto.read_header(blob)
        except crypto.CiphertextError:
            raise err.invalid_ciphertext() from None
        if ref is not None and header.key_id != key.key_id:
            raise err.incorrect_key()
        found = self.kms.get_key(ctx.account, ctx.region, header.key_id)
        if found is None:
            if not KEY_ID.match(header.key_id):
                raise err.invalid_ciphertext()
            raise err.not_found(key_arn(ctx.account, ctx.region, header.key_id))  # unverified
        check_usable(found)
        wrapped = self.kms.material(found, header.material_id)
        if wrapped is None:
            raise err.invalid_ciphertext()
        material = self.master.unwrap(wrapped, found.key_id, header.material_id)
        try:
            return crypto.open_blob(blob, material, context), found, header.material_id
        except crypto.CiphertextError:
            raise err.invalid_ciphertext() from None

    def encrypt(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._encrypting_key(ctx, params["KeyId"], "Encrypt")
        algorithm = params.get("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
        blob = self._encrypt(key, params["Plaintext"], _context(params), algorithm)
        self._dry_run(params)
        return {"CiphertextBlob": blob, "KeyId": key.arn, "EncryptionAlgorithm": algorithm}

    def decrypt(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plaintext, key, material_id = self._decrypt(
            ctx,
            _blob(params),
            _context(params),
            params.get("KeyId"),
            params.get("EncryptionAlgorithm"),
        )
        self._dry_run(params)
        out: dict[str, Any] = {
            "KeyId": key.arn,
            "Plaintext": plaintext,
            "EncryptionAlgorithm": params.get("EncryptionAlgorithm") or "SYMMETRIC_DEFAULT",
        }
        if material_id:
            out["KeyMaterialId"] = material_id
        return out

    def re_encrypt(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        plaintext, source, source_material = self._decrypt(
            ctx,
            _blob(params),
            _context(params, "SourceEncryptionContext"),
            params.get("SourceKeyId"),
            params.get("SourceEncryptionAlgorithm"),
        )
        destination = self._encrypting_key(ctx, params["DestinationKeyId"], "ReEncrypt")
        algorithm = params.get("DestinationEncryptionAlgorithm") or "SYMMETRIC_DEFAULT"
        blob = self._encrypt(
            destination, plaintext, _context(params, "DestinationEncryptionContext"), algorithm
        )
        self._dry_run(params)
        out: dict[str, Any] = {
            "CiphertextBlob": blob,
            "SourceKeyId": source.arn,
            "KeyId": destination.arn,
            "SourceEncryptionAlgorithm": params.get("SourceEncryptionAlgorithm") or "SYMMETRIC_DEFAULT",
            "DestinationEncryptionAlgorithm": algorithm,
        }
        if source_material:
            out["SourceKeyMaterialId"] = source_material
        if destination.symmetric:
            out["DestinationKeyMaterialId"] = destination.current_material
        return out

    # ---- data keys and random bytes ---------------------------------------------------------------

    def _data_key_length(self, params: dict[str, Any]) -> int:
        spec, count = params.get("KeySpec"), params.get("NumberOfBytes")
        if (spec is None) == (count is None):
            raise err.validation("Please specify either number of bytes or key spec.")  # unverified
        if count is not None:
            return count
        return 16 if spec == "AES_128" else 32

    def _symmetric_key(self, ctx: RequestContext, ref: str, operation: str) -> Key:
        key = self._encrypting_key(ctx, ref, operation)
        if not key.symmetric:
            # unverified: AWS's message for a data key under an asymmetric key
            raise ServiceError(
                "InvalidKeyUsageException",
                f"{key.arn} key spec {key.spec} is not valid for {operation}.",
                400,
            )
        return key

    def generate_data_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._symmetric_key(ctx, params["KeyId"], "GenerateDataKey")
        plaintext = secrets.token_bytes(self._data_key_length(params))
        blob = self._encrypt(key, plaintext, _context(params), "SYMMETRIC_DEFAULT")
        self._dry_run(params)
        return {
            "CiphertextBlob": blob,
            "Plaintext": plaintext,
            "KeyId": key.arn,
            "KeyMaterialId": key.current_material,
        }

    def generate_data_key_without_plaintext(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        out = self.generate_data_key(ctx, params)
        del out["Plaintext"]
        return out

    def generate_data_key_pair(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._symmetric_key(ctx, params["KeyId"], "GenerateDataKeyPair")
        spec = params["KeyPairSpec"]
        if spec not in crypto.RSA_SPECS and spec not in crypto.ECC_CURVES:
            raise err.unsupported(f"KeyPairSpec {spec} is not supported by Cloudlet.")  # unverified
        private, public = crypto.key_pair(spec)
        blob = self._encrypt(key, private, _context(params), "SYMMETRIC_DEFAULT")
        self._dry_run(params)
        return {
            "PrivateKeyCiphertextBlob": blob,
            "PrivateKeyPlaintext": private,
            "PublicKey": public,
            "KeyId": key.arn,
            "KeyPairSpec": spec,
            "KeyMaterialId": key.current_material,
        }

    def generate_data_key_pair_without_plaintext(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        out = self.generate_data_key_pair(ctx, params)
        del out["PrivateKeyPlaintext"]
        return out

    def generate_random(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        count = params.get("NumberOfBytes")
        if count is None:
            raise err.validation("NumberOfBytes is required.")
        return {"Plaintext": secrets.token_bytes(count)}

    # ---- signing and MACs ---------------------------------------------------------------------

    def _signing(
        self, ctx: RequestContext, params: dict[str, Any], operation: str
    ) -> tuple[Key, str, bytes, bool]:
        key = self._usable(ctx, params["KeyId"])
        if key.usage != "SIGN_VERIFY":
            raise err.wrong_usage(key.arn, key.usage, operation)
        algorithm = params["SigningAlgorithm"]
        allowed = crypto.RSA_SIGNING if key.spec in crypto.RSA_SPECS else crypto.ECC_SIGNING.get(key.spec, [])
        if algorithm not in allowed:
            raise err.incompatible_algorithm(algorithm, key.spec)
        digest = params.get("MessageType") == "DIGEST"
        message = params["Message"]
        if digest and len(message) != _DIGEST_SIZES[algorithm.rsplit("_", 1)[1]]:
            raise err.validation(f"Digest is invalid length for algorithm {algorithm}.")
        return key, algorithm, message, digest

    def sign(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key, algorithm, message, digest = self._signing(ctx, params, "Sign")
        signature = crypto.sign(self._material(key), algorithm, message, digest)
        self._dry_run(params)
        return {"KeyId": key.arn, "Signature": signature, "SigningAlgorithm": algorithm}

    def verify(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key, algorithm, message, digest = self._signing(ctx, params, "Verify")
        valid = crypto.verify(self._material(key), algorithm, message, digest, params["Signature"])
        self._dry_run(params)
        if not valid:
            raise ServiceError("KMSInvalidSignatureException", "", 400)
        return {"KeyId": key.arn, "SignatureValid": True, "SigningAlgorithm": algorithm}

    def get_public_key(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key = self._usable(ctx, params["KeyId"])
        if key.spec not in crypto.RSA_SPECS and key.spec not in crypto.ECC_CURVES:
            # unverified: AWS's message for GetPublicKey of a symmetric or HMAC key
            raise err.unsupported(f"{key.arn} key spec {key.spec} is not valid for GetPublicKey.")
        described = metadata(key)
        out: dict[str, Any] = {
            "KeyId": key.arn,
            "PublicKey": crypto.public_key_der(self._material(key)),
            "CustomerMasterKeySpec": key.spec,
            "KeySpec": key.spec,
            "KeyUsage": key.usage,
        }
        for member in ("EncryptionAlgorithms", "SigningAlgorithms", "KeyAgreementAlgorithms"):
            if member in described:
                out[member] = described[member]
        return out

    def _mac_key(self, ctx: RequestContext, params: dict[str, Any], operation: str) -> tuple[Key, str]:
        key = self._usable(ctx, params["KeyId"])
        if key.usage != "GENERATE_VERIFY_MAC":
            raise err.wrong_usage(key.arn, key.usage, operation)
        algorithm = params["MacAlgorithm"]
        if crypto.MAC_ALGORITHMS[key.spec] != algorithm:
            raise err.incompatible_algorithm(algorithm, key.spec)
        return key, algorithm

    def generate_mac(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key, algorithm = self._mac_key(ctx, params, "GenerateMac")
        mac = crypto.mac(self._material(key), algorithm, params["Message"])
        self._dry_run(params)
        return {"Mac": mac, "MacAlgorithm": algorithm, "KeyId": key.arn}

    def verify_mac(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        key, algorithm = self._mac_key(ctx, params, "VerifyMac")
        expected = crypto.mac(self._material(key), algorithm, params["Message"])
        self._dry_run(params)
        if not secrets.compare_digest(expected, params["Mac"]):
            raise ServiceError("KMSInvalidMacException", "", 400)
        return {"KeyId": key.arn, "MacValid": True, "MacAlgorithm": algorithm}

    # ---- the in-process KeyService (interface.py, served by service.py) ------------------------

    def service_key(self, account: str, region: str, key: str | None, managed_alias: str | None) -> Key:
        """The enabled symmetric key a service names, or its AWS managed key when ``key`` is None."""
        if key is None:
            service = (managed_alias or "").removeprefix(ALIAS_PREFIX).removeprefix("aws/")
            if service not in MANAGED_SERVICES:
                raise ValueError(f"no AWS managed key {managed_alias!r}")
            found = self._managed_key(account, region, service)
        else:
            found = self._find(account, region, key)
        check_usable(found)
        if found.usage != "ENCRYPT_DECRYPT" or not found.symmetric:
            raise err.wrong_usage(found.arn, found.usage, "Encrypt")
        return found

    def seal(self, key: Key, plaintext: bytes, context: dict[str, str] | None) -> bytes:
        """A symmetric ciphertext blob under ``key``'s current material."""
        if len(plaintext) > MAX_PLAINTEXT:
            raise err.validation(
                "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
                f"Member must have length less than or equal to {MAX_PLAINTEXT}"
            )
        return crypto.seal(key.key_id, key.current_material, self._material(key), plaintext, context)

    def unseal(
        self, account: str, region: str, blob: bytes, context: dict[str, str] | None
    ) -> tuple[bytes, Key]:
        ctx = RequestContext("kms", "Decrypt", account, region, "")
        plaintext, key, _ = self._decrypt(ctx, blob, context, None, None)
        return plaintext, key

    # ---- admin -----------------------------------------------------------------------------------

    def resource_counts(self) -> dict[str, int]:
        count = self.kms.count_keys()
        return {"keys": count} if count else {}
