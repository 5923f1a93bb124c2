"""Replicas of a secret in other regions of this Cloudlet: read-only copies kept in sync.

A replica has the primary's name and random suffix in its own region, its own KMS key there,
and every version and label of the primary, re-encrypted. The primary lists its replicas
with their status; every change to the primary is copied to the replicas in the same
transaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import make_arn
from cloudlet.core.regions import is_region
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.secretsmanager import values
from cloudlet.services.secretsmanager.errors import invalid_parameter, invalid_request
from cloudlet.services.secretsmanager.store import Secret, Version

if TYPE_CHECKING:
    from cloudlet.services.secretsmanager.provider import SecretsManagerProvider

IN_SYNC, FAILED = "InSync", "Failed"


def replica_read_only() -> ServiceError:
    # unverified: recalled wording of AWS's answer to a write on a replica
    return invalid_request(
        "Operation not permitted on a replica secret. Call must be made in primary secret's region."
    )


def check_regions(secret: Secret, replicas: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for replica in replicas:
        region = replica["Region"]
        if region == secret.region or not is_region(region) or region in seen:
            raise invalid_parameter("Invalid replica region.")  # unverified: AWS's wording
        seen.add(region)


def statuses(secret: Secret) -> list[dict[str, Any]]:
    return [dict(r) for r in secret.replicas]


def _replica_arn(primary: Secret, region: str) -> str:
    return make_arn("secretsmanager", region, primary.account, f"secret:{primary.name}-{primary.arn[-6:]}")


def _copy(provider: SecretsManagerProvider, primary: Secret, replica: Secret) -> None:
    """Make ``replica``'s metadata and versions those of ``primary`` (values re-encrypted)."""
    replica.description, replica.tags, replica.policy = primary.description, primary.tags, primary.policy
    replica.last_changed = primary.last_changed
    provider.db.save(replica)
    kept = {v.version_id: v for v in provider.db.versions(replica.id)}
    for version in provider.db.versions(primary.id):
        mine = kept.pop(version.version_id, None)
        if mine is not None:
            if mine.stages != version.stages:
                mine.stages = list(version.stages)
                provider.db.set_stages(mine)
            continue
        data = values.decrypt(
            provider.runtime, primary.account, primary.region, version.blob, primary.arn, version.version_id
        )
        blob, key = values.encrypt(
            provider.runtime,
            replica.account,
            replica.region,
            replica.kms_key_id,
            replica.arn,
            version.version_id,
            data,
        )
        label = values.DEFAULT_KEY_LABEL if replica.kms_key_id is None else key.arn
        provider.db.add_version(
            Version(
                replica.id,
                version.version_id,
                0,
                version.created,
                None,
                list(version.stages),
                version.kind,
                blob,
                label,
            )
        )
    for gone in kept:
        provider.db.remove_version(replica.id, gone)


def add(
    provider: SecretsManagerProvider, primary: Secret, regions: list[dict[str, Any]], force: bool, now: float
) -> None:
    """Create replicas in ``regions`` (inside the caller's transaction)."""
    known = {r["Region"] for r in primary.replicas}
    for wanted in regions:
        region = wanted["Region"]
        if region in known:
            continue
        entry: dict[str, Any] = {"Region": region}
        if wanted.get("KmsKeyId"):
            entry["KmsKeyId"] = wanted["KmsKeyId"]
        existing = provider.db.by_name(primary.account, region, primary.name)
        if existing is not None and not force:
            entry.update(
                Status=FAILED,
                StatusMessage="Replication failed: Secret name already exists in destination region.",
            )  # unverified
            primary.replicas.append(entry)
            continue
        try:
            key_arn = (
                values.resolve_key(provider.runtime, primary.account, region, wanted["KmsKeyId"]).arn
                if wanted.get("KmsKeyId")
                else None
            )
            if existing is not None:
                provider.db.delete(existing.id)
            replica = Secret(
                id=0,
                account=primary.account,
                region=region,
                name=primary.name,
                arn=_replica_arn(primary, region),
                description=None,
                kms_key_id=key_arn,
                tags=None,
                policy=None,
                created=now,
                last_changed=now,
                last_accessed=None,
                deleted=None,
                deletion_date=None,
                primary_region=primary.region,
            )
            provider.db.insert(replica)
            _copy(provider, primary, replica)
            entry["Status"] = IN_SYNC
        except ServiceError as exc:
            entry.update(Status=FAILED, StatusMessage=f"Replication failed: {exc.message}")
        primary.replicas.append(entry)
    provider.db.save(primary)


def sync(provider: SecretsManagerProvider, primary: Secret, now: float) -> None:
    """Carry the primary's state to its replicas in sync."""
    if primary.primary_region is not None:
        return
    for entry in primary.replicas:
        if entry.get("Status") != IN_SYNC:
            continue
        replica = provider.db.by_name(primary.account, entry["Region"], primary.name)
        if replica is not None and replica.primary_region == primary.region:
            _copy(provider, primary, replica)


def remove(provider: SecretsManagerProvider, primary: Secret, regions: list[str]) -> None:
    """Delete the replicas in ``regions`` at once (AWS deletes a removed replica immediately)."""
    for region in regions:
        replica = provider.db.by_name(primary.account, region, primary.name)
        if replica is not None and replica.primary_region == primary.region:
            provider.db.delete(replica.id)
    primary.replicas = [r for r in primary.replicas if r["Region"] not in set(regions)]
    provider.db.save(primary)


def promote(provider: SecretsManagerProvider, replica: Secret) -> None:
    """StopReplicationToReplica: the replica becomes a standalone secret."""
    assert replica.primary_region is not None
    primary = provider.db.by_name(replica.account, replica.primary_region, replica.name)
    if primary is not None:
        primary.replicas = [r for r in primary.replicas if r["Region"] != replica.region]
        provider.db.save(primary)
    replica.primary_region = None
    provider.db.save(replica)
