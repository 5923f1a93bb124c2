"""Naming keys (key id, key ARN, alias name, alias ARN) and describing them as KMS does."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from cloudlet.core.arn import parse_arn, partition_for
from cloudlet.services.kms import crypto
from cloudlet.services.kms import errors as err
from cloudlet.services.kms.store import Key

KEY_ID = re.compile(r"(?:[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}|mrk-[0-9a-f]{32})\Z")
ALIAS_PREFIX = "alias/"
MANAGED_PREFIX = "alias/aws/"
# AWS managed keys a service creates on first use (ListAliases shows their aliases before).
# unverified: the full list AWS answers in a new account.
MANAGED_SERVICES = (
    "acm",
    "dynamodb",
    "ebs",
    "elasticfilesystem",
    "es",
    "glue",
    "kinesis",
    "kinesisvideo",
    "lambda",
    "rds",
    "redshift",
    "s3",
    "secretsmanager",
    "sns",
    "sqs",
    "ssm",
    "xray",
)

# What each key usage takes (CreateKey API reference, "KeySpec").
USAGE_SPECS: dict[str, tuple[str, ...]] = {
    "ENCRYPT_DECRYPT": ("SYMMETRIC_DEFAULT", *crypto.RSA_SPECS),
    "SIGN_VERIFY": (*crypto.RSA_SPECS, *crypto.ECC_CURVES),
    "GENERATE_VERIFY_MAC": tuple(crypto.HMAC_SPECS),
    "KEY_AGREEMENT": tuple(crypto.ECC_CURVES),
}
SUPPORTED_SPECS = ("SYMMETRIC_DEFAULT", *crypto.RSA_SPECS, *crypto.ECC_CURVES, *crypto.HMAC_SPECS)


def key_arn(account: str, region: str, key_id: str) -> str:
    return f"arn:{partition_for(region)}:kms:{region}:{account}:key/{key_id}"


def alias_arn(account: str, region: str, name: str) -> str:
    return f"arn:{partition_for(region)}:kms:{region}:{account}:{name}"


def parse_ref(account: str, region: str, ref: str) -> tuple[str, str, str, str]:
    """(kind "key" or "alias", account, region, id or alias name) of a key as a request names it, with
    the errors AWS gives for a malformed one (recorded: ``Invalid keyId``, ``Invalid arn``)."""
    if ref.startswith("arn:"):
        try:
            arn = parse_arn(ref)
        except ValueError:
            raise err.invalid_key_id(ref) from None
        if arn.service != "kms" or not arn.account:
            raise err.invalid_key_id(ref)
        if arn.region != region:
            raise err.invalid_arn(arn.region)
        if arn.resource.startswith("key/") and KEY_ID.match(arn.resource[4:]):
            return "key", arn.account, region, arn.resource[4:]
        if arn.resource.startswith(ALIAS_PREFIX) and len(arn.resource) > len(ALIAS_PREFIX):
            return "alias", arn.account, region, arn.resource
        raise err.invalid_key_id(ref)
    if ref.startswith(ALIAS_PREFIX) and len(ref) > len(ALIAS_PREFIX):
        return "alias", account, region, ref
    if not KEY_ID.match(ref):
        raise err.invalid_key_id(ref)
    return "key", account, region, ref


def managed_service(alias: str) -> str | None:
    """The service of an AWS managed alias (``alias/aws/s3`` → ``s3``), if it is one."""
    if alias.startswith(MANAGED_PREFIX) and alias[len(MANAGED_PREFIX) :] in MANAGED_SERVICES:
        return alias[len(MANAGED_PREFIX) :]
    return None


def check_usable(key: Key) -> None:
    """Refuse a cryptographic operation with a key that is not enabled."""
    if key.state == "Disabled":
        raise err.disabled(key.arn)
    if key.state == "PendingDeletion":
        raise err.pending_deletion(key.arn)
    if key.state == "PendingImport":
        raise err.invalid_state(f"{key.arn} is pending import.")


def when(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def metadata(key: Key) -> dict[str, Any]:
    """KeyMetadata (recorded: describe-key of test_create_key, test_hmac_create_key)."""
    out: dict[str, Any] = {
        "AWSAccountId": key.account,
        "KeyId": key.key_id,
        "Arn": key.arn,
        "CreationDate": when(key.created),
        "Enabled": key.state == "Enabled",
        "Description": key.description,
        "KeyUsage": key.usage,
        "KeyState": key.state,
        "Origin": key.origin,
        "KeyManager": key.manager,
        "CustomerMasterKeySpec": key.spec,
        "KeySpec": key.spec,
        "MultiRegion": key.multi_region,
    }
    if key.state == "PendingDeletion" and key.deletion_date is not None:
        out["DeletionDate"] = when(key.deletion_date)
        out["PendingDeletionWindowInDays"] = key.pending_days
    if key.usage == "ENCRYPT_DECRYPT":
        out["EncryptionAlgorithms"] = ["SYMMETRIC_DEFAULT"] if key.symmetric else list(crypto.RSA_ENCRYPTION)
    elif key.usage == "SIGN_VERIFY":
        out["SigningAlgorithms"] = (
            list(crypto.RSA_SIGNING) if key.spec in crypto.RSA_SPECS else crypto.ECC_SIGNING[key.spec]
        )
    elif key.usage == "GENERATE_VERIFY_MAC":
        out["MacAlgorithms"] = [crypto.MAC_ALGORITHMS[key.spec]]
    elif key.usage == "KEY_AGREEMENT":
        out["KeyAgreementAlgorithms"] = ["ECDH"]
    if key.symmetric and key.current_material:
        out["CurrentKeyMaterialId"] = key.current_material
    if key.multi_region:
        out["MultiRegionConfiguration"] = {
            "MultiRegionKeyType": "PRIMARY",
            "PrimaryKey": {"Arn": key.arn, "Region": key.region},
            "ReplicaKeys": [],
        }
    return out
