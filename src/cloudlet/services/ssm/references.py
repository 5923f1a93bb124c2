"""Secrets Manager secrets read through Parameter Store (Systems Manager User Guide,
"Referencing AWS Secrets Manager secrets from Parameter Store parameters"): GetParameter and
GetParameters of ``/aws/reference/secretsmanager/<secret id>[:<version id or stage>]`` answer
the secret as a SecureString, with GetSecretValue's answer as ``SourceResult``. Parameter
Store keeps nothing of it (the reference is stateless), and only those two operations take it.
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.secretsmanager.interface import secret_reader

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

PREFIX = "/aws/reference/secretsmanager/"


def is_reference(name: str) -> bool:
    return name.startswith(PREFIX)


def _split(rest: str) -> tuple[str, str | None]:
    """(secret id, selector): a secret ARN has six colons of its own."""
    if rest.startswith("arn:"):
        parts = rest.split(":")
        return ":".join(parts[:7]), ":".join(parts[7:]) if len(parts) > 7 else None
    secret_id, sep, selector = rest.partition(":")
    return secret_id, selector if sep else None


def read(runtime: Runtime, account: str, region: str, name: str, decrypt: bool) -> dict[str, Any]:
    """The Parameter GetParameter answers for a reference name, or AWS's error."""
    if not decrypt:
        # unverified wording (the guide: a reference needs WithDecryption)
        raise ServiceError(
            "ValidationException",
            "WithDecryption flag must be True for retrieving a Secret Manager secret.",
            400,
        )
    secret_id, selector = _split(name[len(PREFIX) :])
    reader = secret_reader(runtime)
    try:
        if selector is None:
            value = reader.read_secret(account, region, secret_id)
        else:
            try:  # a version stage (AWSCURRENT, a custom label), else a version id
                value = reader.read_secret(account, region, secret_id, stage=selector)
            except ServiceError as exc:
                if exc.code != "ResourceNotFoundException":
                    raise
                value = reader.read_secret(account, region, secret_id, version_id=selector)
    except ServiceError as exc:
        if exc.code == "ResourceNotFoundException":
            raise ServiceError("ParameterNotFound", "", 400) from None  # unverified: the message
        raise
    created: datetime = value["CreatedDate"]
    source: dict[str, Any] = {
        "CreatedDate": created.timestamp(),
        "Name": value["Name"],
        "VersionId": value["VersionId"],
    }
    if "SecretString" in value:
        source["SecretString"] = value["SecretString"]
        text = value["SecretString"]
    else:  # unverified: how a binary secret is answered (base64, as GetSecretValue's JSON has it)
        source["SecretBinary"] = base64.b64encode(value["SecretBinary"]).decode()
        text = source["SecretBinary"]
    source["VersionStages"] = value["VersionStages"]
    source["ARN"] = value["ARN"]
    out: dict[str, Any] = {
        "Name": PREFIX + secret_id,
        "Type": "SecureString",
        "Value": text,
        "LastModifiedDate": created,
        "ARN": value["ARN"],
        "SourceResult": orjson.dumps(source).decode(),
    }
    if selector is not None:
        out["Selector"] = ":" + selector
    return out
