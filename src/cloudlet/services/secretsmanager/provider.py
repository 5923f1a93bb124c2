"""AWS Secrets Manager: secrets, versions and staging labels, deletion windows, rotation,
resource policies, replication to other regions of this Cloudlet.

Values are stored only as KMS ciphertext (values.py); time is the Cloudlet clock, and the end
of a recovery window, scheduled rotations and rotations in progress are persisted timers.
"""

from __future__ import annotations

import base64
import re
import secrets as pysecrets
import string
from datetime import UTC, datetime
from typing import Any

import orjson

from cloudlet.core import ids
from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.secretsmanager import errors as err
from cloudlet.services.secretsmanager import managed, policies, replication, rotation, values
from cloudlet.services.secretsmanager.filters import matches
from cloudlet.services.secretsmanager.managed import ManagedSecretsApi
from cloudlet.services.secretsmanager.passwords import random_password
from cloudlet.services.secretsmanager.store import Secret, SecretsStore, Version

PURGE = "secretsmanager.purge"  # the end of a recovery window
ROTATE = "secretsmanager.rotate"  # a rotation to run (its four steps)
SCHEDULED = "secretsmanager.scheduled"  # the next scheduled rotation of a secret
DAY = 86400.0
VERSIONS_KEPT = 100  # AWS keeps 100 versions, and every version of the last 24 hours
MAX_STAGES_PER_VERSION = 20
_NAME = re.compile(r"^[A-Za-z0-9/_+=.@-]+$")
_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")
_SUFFIX_CHARS = string.ascii_letters + string.digits
CURRENT, PREVIOUS, PENDING = "AWSCURRENT", "AWSPREVIOUS", "AWSPENDING"


def _date(when: float | None) -> datetime | None:
    return datetime.fromtimestamp(when, UTC) if when is not None else None


def _day(when: float) -> float:
    """AWS keeps LastAccessedDate at day resolution."""
    return (when // DAY) * DAY


def _value_of(params: dict[str, Any]) -> tuple[str, bytes] | None:
    """(kind, plaintext bytes) of SecretString / SecretBinary, or None when neither is given."""
    text, binary = params.get("SecretString"), params.get("SecretBinary")
    if text is not None and binary is not None:
        # unverified: recalled wording
        raise err.invalid_parameter(
            "You can't specify both a binary secret value and a string secret value in the same secret."
        )
    if text is not None:
        data = text.encode()
        values.check_size("string", data)
        return "string", data
    if binary is not None:
        values.check_size("binary", binary)
        return "binary", binary
    return None


def _sorted_stages(stages: list[str]) -> list[str]:
    return sorted(stages)


def _page_token(offset: int) -> str:
    return base64.urlsafe_b64encode(orjson.dumps({"o": offset})).decode()


def _page_offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        offset = orjson.loads(base64.urlsafe_b64decode(token.encode()))["o"]
        if isinstance(offset, int) and offset >= 0:
            return offset
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        pass
    raise ServiceError("InvalidNextTokenException", "The NextToken value is invalid.", 400)  # unverified


class SecretsManagerProvider(ManagedSecretsApi, Provider):
    service = "secretsmanager"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = SecretsStore(self.store)
        self.invoker: rotation.RotationInvoker | None = None  # None: ask the Lambda service
        self.scheduler.register(PURGE, self._purge_due)
        self.scheduler.register(ROTATE, self._rotate_due)
        self.scheduler.register(SCHEDULED, self._scheduled_due)

    def resource_counts(self) -> dict[str, int]:
        count = self.db.count()
        return {"secrets": count} if count else {}

    def rotation_invoker(self) -> rotation.RotationInvoker:
        return self.invoker or rotation.invoker_for(self.runtime)

    # ---- lookup ----------------------------------------------------------------------

    def find(self, account: str, region: str, secret_id: str) -> Secret | None:
        """The secret a name, full ARN or partial ARN (no random suffix) names, as AWS finds it."""
        if secret_id.startswith("arn:"):
            try:
                arn = parse_arn(secret_id)
            except ValueError:
                return None
            if arn.service != "secretsmanager" or arn.account != account or arn.region != region:
                return None
            found = self.db.by_arn(secret_id)
            if found is not None or _SUFFIX.search(secret_id):
                return found
            candidates = self.db.by_arn_prefix(account, region, secret_id)
            return candidates[0] if len(candidates) == 1 else None
        if not managed.MANAGED_NAME.match(secret_id):  # "!" names a managed secret
            raise err.invalid_name()
        return self.db.by_name(account, region, secret_id)

    def _secret(self, ctx: RequestContext, secret_id: str, *, deleted_ok: bool = False) -> Secret:
        return self._found(ctx.account, ctx.region, secret_id, deleted_ok)

    def _found(self, account: str, region: str, secret_id: str, deleted_ok: bool = False) -> Secret:
        """The secret ``secret_id`` names, or AWS's error (not found, marked for deletion)."""
        secret = self.find(account, region, secret_id)
        if secret is None:
            raise err.not_found()
        if secret.deleted is not None and not deleted_ok:
            raise err.marked_for_deletion()
        return secret

    def _writable(self, ctx: RequestContext, secret_id: str) -> Secret:
        secret = self._secret(ctx, secret_id)
        if secret.primary_region is not None:
            raise replication.replica_read_only()
        managed.check_customer_call(secret, ctx.operation)
        return secret

    # ---- versions --------------------------------------------------------------------

    def _current(self, secret: Secret) -> Version | None:
        return next((v for v in self.db.versions(secret.id) if CURRENT in v.stages), None)

    def _decrypt(self, secret: Secret, version: Version) -> bytes:
        return values.decrypt(
            self.runtime, secret.account, secret.region, version.blob, secret.arn, version.version_id
        )

    def _same_value(self, secret: Secret, version: Version, kind: str, data: bytes) -> bool:
        return version.kind == kind and self._decrypt(secret, version) == data

    def _add_version(
        self, secret: Secret, version_id: str, kind: str, data: bytes, stages: list[str] | None, now: float
    ) -> Version:
        """Encrypt and store a version, moving its labels (and AWSPREVIOUS) from other versions."""
        versions = self.db.versions(secret.id)
        stages = list(dict.fromkeys(stages if stages is not None else [CURRENT]))
        if not versions and CURRENT not in stages:
            stages.append(CURRENT)  # the first version is always AWSCURRENT
        blob, key = values.encrypt(
            self.runtime, secret.account, secret.region, secret.kms_key_id, secret.arn, version_id, data
        )
        label = values.DEFAULT_KEY_LABEL if secret.kms_key_id is None else key.arn
        version = Version(secret.id, version_id, 0, now, None, [], kind, blob, label)
        self.db.add_version(version)
        for stage in stages:
            self._move_stage(secret, stage, version_id, [*versions, version])
        self._prune(secret, now)
        return version

    def _move_stage(
        self, secret: Secret, stage: str, to_version: str | None, versions: list[Version]
    ) -> None:
        """Attach ``stage`` to ``to_version`` alone (None: detach it); AWSCURRENT leaves AWSPREVIOUS."""
        old = next((v for v in versions if stage in v.stages), None)
        if old is not None and old.version_id == to_version:
            return
        if old is not None:
            old.stages.remove(stage)
            self.db.set_stages(old)
        target = next((v for v in versions if v.version_id == to_version), None)
        if target is not None:
            if len(target.stages) >= MAX_STAGES_PER_VERSION:
                # unverified: AWS's message for a 21st label on a version
                raise err.limit_exceeded("You can attach at most 20 staging labels to a version.")
            target.stages.append(stage)
            self.db.set_stages(target)
        if stage == CURRENT and old is not None and target is not None:
            self._move_stage(secret, PREVIOUS, old.version_id, versions)

    def _prune(self, secret: Secret, now: float) -> None:
        """Remove deprecated versions past the 100 most recent, if older than 24 hours."""
        versions = self.db.versions(secret.id)
        excess = len(versions) - VERSIONS_KEPT
        for version in versions:
            if excess <= 0:
                break
            if not version.stages and version.created <= now - DAY:
                self.db.remove_version(secret.id, version.version_id)
                excess -= 1

    def _version_for(self, secret: Secret, version_id: str | None, stage: str | None) -> Version:
        if version_id:
            version = self.db.version(secret.id, version_id)
            if version is None:
                raise err.not_found(
                    f"Secrets Manager can't find the specified secret value for VersionId: {version_id}"
                )
            if stage and stage not in version.stages:
                raise err.invalid_request(
                    "You provided a VersionStage that is not associated to the provided VersionId."
                )
            return version
        stage = stage or CURRENT
        version = next((v for v in self.db.versions(secret.id) if stage in v.stages), None)
        if version is None:
            raise err.not_found(
                f"Secrets Manager can't find the specified secret value for staging label: {stage}"
            )
        return version

    def _value_entry(self, secret: Secret, version: Version, now: float) -> dict[str, Any]:
        data = self._decrypt(secret, version)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name, "VersionId": version.version_id}
        if version.kind == "string":
            out["SecretString"] = data.decode()
        else:
            out["SecretBinary"] = data
        out["VersionStages"] = _sorted_stages(version.stages)
        out["CreatedDate"] = _date(version.created)
        day = _day(now)
        with self.store.transaction():
            if secret.last_accessed != day:
                secret.last_accessed = day
                self.db.save(secret)
            if version.last_accessed != day:
                self.db.touch_version(version, day)
        return out

    def _changed(self, secret: Secret, now: float) -> None:
        """Persist a change of the secret and carry it to its replicas."""
        secret.last_changed = now
        self.db.save(secret)
        replication.sync(self, secret, now)

    # ---- create / read / update -------------------------------------------------------

    def create_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        if not _NAME.match(name):
            raise err.invalid_name()
        value = _value_of(params)
        token = params.get("ClientRequestToken")
        if value is not None and not token:
            raise err.invalid_request(err.NEED_TOKEN)
        existing = self.db.by_name(ctx.account, ctx.region, name)
        if existing is not None:
            if existing.deleted is not None:
                raise err.invalid_request(
                    "You can't create this secret because a secret with this name is already scheduled for deletion."
                )
            version = self.db.version(existing.id, token) if token else None
            if value is not None and version is not None and self._same_value(existing, version, *value):
                return {"ARN": existing.arn, "Name": existing.name, "VersionId": version.version_id}
            raise err.exists(name)
        now = self.clock.now()
        kms_key = params.get("KmsKeyId") or None
        key_arn = values.resolve_key(self.runtime, ctx.account, ctx.region, kms_key).arn if kms_key else None
        suffix = "".join(pysecrets.choice(_SUFFIX_CHARS) for _ in range(6))
        secret = Secret(
            id=0,
            account=ctx.account,
            region=ctx.region,
            name=name,
            arn=ctx.arn("secretsmanager", f"secret:{name}-{suffix}"),
            description=params.get("Description"),
            kms_key_id=key_arn,
            tags=_checked_tags(params["Tags"]) if params.get("Tags") else None,
            policy=None,
            created=now,
            last_changed=now,
            last_accessed=None,
            deleted=None,
            deletion_date=None,
        )
        replicas = params.get("AddReplicaRegions") or []
        replication.check_regions(secret, replicas)
        with self.store.transaction():
            self.db.insert(secret)
            out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
            if value is not None:
                assert token is not None
                self._add_version(secret, token, *value, None, now)
                out["VersionId"] = token
            if replicas:
                replication.add(self, secret, replicas, bool(params.get("ForceOverwriteReplicaSecret")), now)
                out["ReplicationStatus"] = replication.statuses(secret)
        return out

    def read_secret(
        self,
        account: str,
        region: str,
        secret_id: str,
        version_id: str | None = None,
        stage: str | None = None,
    ) -> dict[str, Any]:
        """GetSecretValue for another service (interface.py)."""
        secret = self._found(account, region, secret_id)
        version = self._version_for(secret, version_id, stage)
        return self._value_entry(secret, version, self.clock.now())

    def get_secret_value(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._secret(ctx, params["SecretId"])
        version = self._version_for(secret, params.get("VersionId"), params.get("VersionStage"))
        return self._value_entry(secret, version, self.clock.now())

    def put_secret_value(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        value = _value_of(params)
        if value is None:
            # unverified: AWS's message when neither value is given
            raise err.invalid_request("You must provide either SecretString or SecretBinary.")
        token = params.get("ClientRequestToken")
        if not token:
            raise err.invalid_request(err.NEED_TOKEN)
        existing = self.db.version(secret.id, token)
        if existing is not None:
            if not self._same_value(secret, existing, *value):
                # unverified: recalled wording
                raise ServiceError(
                    "ResourceExistsException",
                    "You can't modify an existing version, you can only create new versions.",
                    400,
                )
            return {
                "ARN": secret.arn,
                "Name": secret.name,
                "VersionId": existing.version_id,
                "VersionStages": _sorted_stages(existing.stages),
            }
        now = self.clock.now()
        with self.store.transaction():
            version = self._add_version(secret, token, *value, params.get("VersionStages"), now)
            self._changed(secret, now)
        return {
            "ARN": secret.arn,
            "Name": secret.name,
            "VersionId": version.version_id,
            "VersionStages": _sorted_stages(version.stages),
        }

    def update_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        value = _value_of(params)
        token = params.get("ClientRequestToken")
        if value is not None and not token:
            raise err.invalid_request(err.NEED_TOKEN)
        now = self.clock.now()
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if "KmsKeyId" in params:
            kms_key = params.get("KmsKeyId") or None
            secret.kms_key_id = (
                values.resolve_key(self.runtime, ctx.account, ctx.region, kms_key).arn if kms_key else None
            )
        if "Description" in params:
            secret.description = params["Description"]
        with self.store.transaction():
            if value is not None:
                assert token is not None
                existing = self.db.version(secret.id, token)
                if existing is not None:
                    if not self._same_value(secret, existing, *value):
                        raise ServiceError(
                            "ResourceExistsException",
                            "You can't modify an existing version, you can only create new versions.",
                            400,
                        )  # unverified: recalled wording
                else:
                    self._add_version(secret, token, *value, None, now)
                out["VersionId"] = token
            self._changed(secret, now)
        return out

    def update_secret_version_stage(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        stage = params["VersionStage"]
        remove_from, move_to = params.get("RemoveFromVersionId"), params.get("MoveToVersionId")
        versions = self.db.versions(secret.id)
        holder = next((v for v in versions if stage in v.stages), None)
        if move_to and not any(v.version_id == move_to for v in versions):
            raise err.not_found(
                f"Secrets Manager can't find the specified secret value for VersionId: {move_to}"
            )
        if remove_from and (holder is None or holder.version_id != remove_from):
            # unverified: AWS's wording
            raise err.invalid_parameter(
                f"The parameter RemoveFromVersionId doesn't match the version that the staging label {stage} "
                "is attached to."
            )
        if move_to and holder is not None and holder.version_id != move_to and not remove_from:
            # unverified: recalled wording
            raise err.invalid_parameter(
                f"The parameter RemoveFromVersionId can't be empty. Staging label {stage} is currently attached "
                f"to version {holder.version_id}, so you must explicitly reference that version in "
                "RemoveFromVersionId."
            )
        now = self.clock.now()
        with self.store.transaction():
            self._move_stage(secret, stage, move_to, versions)
            self._prune(secret, now)
            self._changed(secret, now)
        return {"ARN": secret.arn, "Name": secret.name}

    def describe_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._secret(ctx, params["SecretId"], deleted_ok=True)
        return self._describe(secret, "VersionIdsToStages")

    def _describe(self, secret: Secret, stages_key: str) -> dict[str, Any]:
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.description is not None:
            out["Description"] = secret.description
        if secret.kms_key_id:
            out["KmsKeyId"] = secret.kms_key_id
        rot = secret.rotation
        if "RotationEnabled" in rot:
            out["RotationEnabled"] = rot["RotationEnabled"]
        if rot.get("RotationLambdaARN"):
            out["RotationLambdaARN"] = rot["RotationLambdaARN"]
        if rot.get("RotationRules"):
            out["RotationRules"] = rot["RotationRules"]
        if rot.get("LastRotatedDate"):
            out["LastRotatedDate"] = _date(rot["LastRotatedDate"])
        out["LastChangedDate"] = _date(secret.last_changed)
        if secret.last_accessed is not None:
            out["LastAccessedDate"] = _date(secret.last_accessed)
        if secret.deleted is not None:
            out["DeletedDate"] = _date(secret.deleted)
        if rot.get("RotationEnabled") and rot.get("NextRotationDate"):
            out["NextRotationDate"] = _date(rot["NextRotationDate"])
        if secret.tags is not None:
            out["Tags"] = secret.tags
        staged = {v.version_id: _sorted_stages(v.stages) for v in self.db.versions(secret.id) if v.stages}
        if staged:
            out[stages_key] = staged
        out.update(managed.owning_service_entry(secret))
        out["CreatedDate"] = _date(secret.created)
        if secret.primary_region is not None:
            out["PrimaryRegion"] = secret.primary_region
        elif secret.replicas:
            out["PrimaryRegion"] = secret.region
            out["ReplicationStatus"] = replication.statuses(secret)
        return out

    def list_secret_version_ids(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._secret(ctx, params["SecretId"], deleted_ok=True)
        versions = self.db.versions(secret.id)
        if not params.get("IncludeDeprecated"):
            versions = [v for v in versions if v.stages]
        offset, size = _page_offset(params.get("NextToken")), params.get("MaxResults") or 100
        entries = []
        for v in versions[offset : offset + size]:
            entry: dict[str, Any] = {"VersionId": v.version_id}
            if v.stages:
                entry["VersionStages"] = _sorted_stages(v.stages)
            if v.last_accessed is not None:
                entry["LastAccessedDate"] = _date(v.last_accessed)
            entry["CreatedDate"] = _date(v.created)
            entry["KmsKeyIds"] = [v.key_arn]
            entries.append(entry)
        out: dict[str, Any] = {"Versions": entries, "ARN": secret.arn, "Name": secret.name}
        if offset + size < len(versions):
            out["NextToken"] = _page_token(offset + size)
        return out

    def list_secrets(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        found = self._filtered(ctx, params.get("Filters") or [], bool(params.get("IncludePlannedDeletion")))
        sort_by = params.get("SortBy") or "created-date"
        key = {
            "name": lambda s: s.name,
            "last-accessed-date": lambda s: s.last_accessed or 0.0,
            "last-changed-date": lambda s: s.last_changed,
        }.get(sort_by, lambda s: s.created)
        found.sort(key=key, reverse=params.get("SortOrder") == "desc")
        offset, size = _page_offset(params.get("NextToken")), params.get("MaxResults") or 100
        page = found[offset : offset + size]
        out: dict[str, Any] = {"SecretList": [self._describe(s, "SecretVersionsToStages") for s in page]}
        if offset + size < len(found):
            out["NextToken"] = _page_token(offset + size)
        return out

    def _filtered(self, ctx: RequestContext, filters: list[dict[str, Any]], deleted: bool) -> list[Secret]:
        return [
            s
            for s in self.db.list(ctx.account, ctx.region)
            if (deleted or s.deleted is None) and matches(s, filters)
        ]

    def batch_get_secret_value(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        ids_, filters = params.get("SecretIdList"), params.get("Filters")
        if (ids_ is None) == (filters is None):
            # unverified: AWS's wording
            raise err.invalid_parameter("Either 'SecretIdList' or 'Filters' must be provided, but not both.")
        now = self.clock.now()
        found: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        out: dict[str, Any] = {}
        if ids_ is not None:
            if params.get("MaxResults") is not None:
                # unverified: AWS's wording
                raise err.invalid_parameter("'MaxResults' is only valid together with 'Filters'.")
            targets: list[tuple[str, Secret | None]] = []
            for secret_id in ids_:
                try:
                    targets.append((secret_id, self._secret(ctx, secret_id)))
                except ServiceError as exc:
                    failed.append({"SecretId": secret_id, "ErrorCode": exc.code, "Message": exc.message})
        else:
            secrets_ = self._filtered(ctx, filters or [], False)
            offset, size = _page_offset(params.get("NextToken")), params.get("MaxResults") or 20
            if offset + size < len(secrets_):
                out["NextToken"] = _page_token(offset + size)
            targets = [(s.arn, s) for s in secrets_[offset : offset + size]]
        for secret_id, secret in targets:
            assert secret is not None
            try:
                found.append(self._value_entry(secret, self._version_for(secret, None, None), now))
            except ServiceError as exc:
                failed.append({"SecretId": secret_id, "ErrorCode": exc.code, "Message": exc.message})
        out["SecretValues"] = found
        out["Errors"] = failed
        return out

    # ---- deletion ---------------------------------------------------------------------

    def delete_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        window, force = params.get("RecoveryWindowInDays"), bool(params.get("ForceDeleteWithoutRecovery"))
        if window is not None and force:
            # unverified: recalled wording
            raise err.invalid_parameter(
                "You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays."
            )
        if window is not None and not 7 <= window <= 30:
            # unverified: AWS's wording
            raise err.invalid_parameter(
                "The RecoveryWindowInDays value must be between 7 and 30 days (inclusive)."
            )
        now = self.clock.now()
        secret = self.find(ctx.account, ctx.region, params["SecretId"])
        if secret is None:
            if force:  # AWS does not answer ResourceNotFoundException to a forced delete
                return {
                    "Name": params["SecretId"],
                    "DeletionDate": _date(now),
                }  # unverified: the fields given
            raise err.not_found()
        if secret.primary_region is not None:
            raise replication.replica_read_only()
        managed.check_customer_call(secret, "DeleteSecret", force_delete=force)
        if secret.replicas:
            # unverified: AWS's wording
            raise err.invalid_request(
                f"You can't delete secret {secret.name} that still has replica regions "
                f"[{', '.join(r['Region'] for r in secret.replicas)}]"
            )
        if force:
            with self.store.transaction():
                self._purge(secret)
            return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": _date(now)}
        if secret.deleted is not None:
            raise err.marked_for_deletion()
        when = now + (window or 30) * DAY
        with self.store.transaction():
            secret.deleted, secret.deletion_date = now, when
            self.db.save(secret)
            self.scheduler.schedule(when, PURGE, {"id": secret.id, "due": when}, key=f"{PURGE}:{secret.id}")
        return {"ARN": secret.arn, "Name": secret.name, "DeletionDate": _date(when)}

    def _purge(self, secret: Secret) -> None:
        self.scheduler.cancel(f"{PURGE}:{secret.id}")
        self.scheduler.cancel(f"{SCHEDULED}:{secret.id}")
        self.db.delete(secret.id)

    def _purge_due(self, payload: dict[str, Any]) -> None:
        secret = self.db.by_id(payload["id"])
        if secret is None or secret.deleted is None or secret.deletion_date != payload["due"]:
            return  # restored (or purged) meanwhile
        with self.store.transaction():
            self._purge(secret)

    def restore_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._secret(ctx, params["SecretId"], deleted_ok=True)
        if secret.deleted is not None:
            with self.store.transaction():
                secret.deleted = secret.deletion_date = None
                self.scheduler.cancel(f"{PURGE}:{secret.id}")
                self.db.save(secret)
        return {"ARN": secret.arn, "Name": secret.name}

    # ---- tags and policies ------------------------------------------------------------

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        tags = {t["Key"]: t["Value"] for t in secret.tags or []}
        tags.update({t["Key"]: t["Value"] for t in _checked_tags(params["Tags"])})
        secret.tags = [{"Key": k, "Value": v} for k, v in tags.items()]
        with self.store.transaction():
            self._changed(secret, self.clock.now())
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        drop = set(params.get("TagKeys") or [])
        secret.tags = [t for t in secret.tags or [] if t["Key"] not in drop]
        with self.store.transaction():
            self._changed(secret, self.clock.now())
        return {}

    def put_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        document = policies.parse_policy(params["ResourcePolicy"])
        if params.get("BlockPublicPolicy") and policies.is_public(document):
            # unverified: AWS's wording
            raise ServiceError(
                "PublicPolicyException",
                "This resource policy will grant public access to the secret. "
                "Use BlockPublicPolicy to prevent public access.",
                400,
            )
        secret.policy = params["ResourcePolicy"]
        with self.store.transaction():
            self._changed(secret, self.clock.now())
        return {"ARN": secret.arn, "Name": secret.name}

    def get_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._secret(ctx, params["SecretId"])
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if secret.policy is not None:
            out["ResourcePolicy"] = secret.policy
        return out

    def delete_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        secret.policy = None
        with self.store.transaction():
            self._changed(secret, self.clock.now())
        return {"ARN": secret.arn, "Name": secret.name}

    def validate_resource_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("SecretId"):
            self._secret(ctx, params["SecretId"])
        document = policies.parse_policy(params["ResourcePolicy"])
        problems = []
        if policies.is_public(document):
            # unverified: the check's name and wording
            problems.append(
                {"CheckName": "public_access_check", "ErrorMessage": "The policy grants public access."}
            )
        out: dict[str, Any] = {"PolicyValidationPassed": not problems}
        if problems:
            out["ValidationErrors"] = problems
        return out

    def get_random_password(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"RandomPassword": random_password(params)}

    # ---- replication ------------------------------------------------------------------

    def replicate_secret_to_regions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        replication.check_regions(secret, params["AddReplicaRegions"])
        with self.store.transaction():
            replication.add(
                self,
                secret,
                params["AddReplicaRegions"],
                bool(params.get("ForceOverwriteReplicaSecret")),
                self.clock.now(),
            )
        return {"ARN": secret.arn, "ReplicationStatus": replication.statuses(secret)}

    def remove_regions_from_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        with self.store.transaction():
            replication.remove(self, secret, params["RemoveReplicaRegions"])
        return {"ARN": secret.arn, "ReplicationStatus": replication.statuses(secret)}

    def stop_replication_to_replica(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._secret(ctx, params["SecretId"])
        if secret.primary_region is None:
            # unverified: AWS's wording
            raise err.invalid_request("This secret is not a replica secret.")
        with self.store.transaction():
            replication.promote(self, secret)
        return {"ARN": secret.arn}

    # ---- rotation ---------------------------------------------------------------------

    def rotate_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        token = params.get("ClientRequestToken")
        if not token:
            raise err.invalid_parameter(err.NEED_TOKEN)  # recorded: InvalidParameterException here
        function = params.get("RotationLambdaARN") or secret.rotation.get("RotationLambdaARN")
        if not function:
            raise err.invalid_request("No Lambda rotation function ARN is associated with this secret.")
        rules = params.get("RotationRules") or secret.rotation.get("RotationRules") or {}
        rotation.check_rules(rules)
        versions = self.db.versions(secret.id)
        pending = next((v for v in versions if PENDING in v.stages and CURRENT not in v.stages), None)
        if pending is not None and pending.version_id != token:
            # unverified: recalled wording
            raise err.invalid_request(
                "A previous rotation isn't complete. That rotation will be reattempted."
            )
        if not self.rotation_invoker().can_invoke(function):
            raise rotation.cannot_invoke()
        now = self.clock.now()
        immediately = params.get("RotateImmediately") is not False
        with self.store.transaction():
            secret.rotation.update(RotationEnabled=True, RotationLambdaARN=function)
            if rules:
                secret.rotation["RotationRules"] = rules
                self._schedule_rotation(secret, now)
            self._changed(secret, now)
            payload = {"id": secret.id, "token": token, "function": function, "test_only": not immediately}
            self.scheduler.schedule(now, ROTATE, payload)
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        if immediately:
            out["VersionId"] = token
        return out

    def cancel_rotate_secret(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        secret = self._writable(ctx, params["SecretId"])
        out: dict[str, Any] = {"ARN": secret.arn, "Name": secret.name}
        pending = next(
            (v for v in self.db.versions(secret.id) if PENDING in v.stages and CURRENT not in v.stages), None
        )
        if pending is not None:
            out["VersionId"] = pending.version_id
        with self.store.transaction():
            secret.rotation["RotationEnabled"] = False
            secret.rotation.pop("NextRotationDate", None)
            self.scheduler.cancel(f"{SCHEDULED}:{secret.id}")
            self._changed(secret, self.clock.now())
        return out

    def _schedule_rotation(self, secret: Secret, now: float) -> None:
        base = secret.rotation.get("LastRotatedDate") or now
        due = rotation.next_rotation(secret.rotation["RotationRules"], base)
        if due <= now:
            due = rotation.next_rotation(secret.rotation["RotationRules"], now)
        secret.rotation["NextRotationDate"] = due
        self.scheduler.cancel(f"{SCHEDULED}:{secret.id}")
        self.scheduler.schedule(due, SCHEDULED, {"id": secret.id, "due": due}, key=f"{SCHEDULED}:{secret.id}")

    def _scheduled_due(self, payload: dict[str, Any]) -> None:
        secret = self.db.by_id(payload["id"])
        if secret is None or not secret.rotation.get("RotationEnabled") or secret.deleted is not None:
            return
        if secret.rotation.get("NextRotationDate") != payload["due"]:
            return
        now = self.clock.now()
        with self.store.transaction():
            function = secret.rotation.get("RotationLambdaARN")
            if function:
                token = ids.uuid4()
                self.scheduler.schedule(now, ROTATE, {"id": secret.id, "token": token, "function": function})
            self._schedule_rotation(secret, now)
            self.db.save(secret)

    async def _rotate_due(self, payload: dict[str, Any]) -> None:
        """Run a rotation's steps; the outcome is recorded, never retried by the timer."""
        secret = self.db.by_id(payload["id"])
        if secret is None or secret.deleted is not None:
            return
        invoker = self.rotation_invoker()
        try:
            if payload.get("test_only"):
                await rotation.run_test_step(invoker, payload["function"], secret.arn, payload["token"])
            else:
                await rotation.run_steps(invoker, payload["function"], secret.arn, payload["token"])
        except rotation.RotationFailed as exc:
            secret = self.db.by_id(payload["id"])
            if secret is not None:
                with self.store.transaction():
                    secret.rotation["LastFailure"] = {"Step": exc.step, "Reason": exc.reason}
                    self.db.save(secret)
            return
        secret = self.db.by_id(payload["id"])
        if secret is None or payload.get("test_only"):
            return
        now = self.clock.now()
        with self.store.transaction():
            versions = self.db.versions(secret.id)
            done = next((v for v in versions if v.version_id == payload["token"]), None)
            if done is not None and CURRENT in done.stages and PENDING in done.stages:
                self._move_stage(
                    secret, PENDING, None, versions
                )  # unverified: AWS clears it after finishSecret
            secret.rotation["LastRotatedDate"] = now
            secret.rotation.pop("LastFailure", None)
            if secret.rotation.get("RotationRules") and secret.rotation.get("RotationEnabled"):
                self._schedule_rotation(secret, now)
            self._changed(secret, now)


def _checked_tags(tags: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Tags as given, each with a Key and a Value (the model leaves both optional)."""
    for tag in tags:
        if tag.get("Key") is None or tag.get("Value") is None:
            # unverified: AWS's wording for a tag without a key or value
            raise err.invalid_parameter("You must specify both a key and a value for each tag.")
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags]
