"""Secrets, parameters and keys (issue 13): reads of a secret and a parameter, KMS encrypt and decrypt.

Each workload runs from `max(target.clients, 4)` client processes at once (saturate.py), each over its
own keep-alive connection with pre-built JSON 1.1 requests:

- `secrets_get_sat`: GetSecretValue of one secret made first (its value checked in every answer).
- `ssm_get_sat`: GetParameter of one String parameter made first (its value checked).
- `kms_encrypt_sat`: Encrypt of 64 bytes under a symmetric key made first (a `CiphertextBlob` in
  every answer).
- `kms_decrypt_sat`: Decrypt of a blob Encrypt made first (the plaintext checked in every answer).
"""

from __future__ import annotations

import base64
import dataclasses
import uuid
from collections.abc import Callable
from typing import Any

from saturate import Client, sat_figures, saturate
from workloads import Figures, JsonClient, Target, parse

CLIENTS = 4  # the figure: four clients
SECRET_VALUE = '{"username":"bench","password":"correct horse battery staple"}'
PARAMETER_VALUE = "postgres://bench.internal:5432/app"
PLAINTEXT = bytes(range(64))


class IdentityError(RuntimeError):
    """A setup call of these workloads was not answered as expected."""


class Json11Client(JsonClient):
    """A JSON 1.1 service (Secrets Manager, SSM, KMS)."""

    error = IdentityError

    def raw_request(self, op: str, body: bytes) -> bytes:
        from workloads import build_request

        return build_request(
            self.target.host,
            self.target.port,
            self.service,
            body,
            "application/x-amz-json-1.1",
            (f"X-Amz-Target: {self.target_prefix}{op}",),
        )


class SecretsClient(Json11Client):
    service = "secretsmanager"
    target_prefix = "secretsmanager."


class SsmClient(Json11Client):
    service = "ssm"
    target_prefix = "AmazonSSM."


class KmsClient(Json11Client):
    service = "kms"
    target_prefix = "TrentService."


def _repeat(
    target: Target,
    factory: type[Json11Client],
    op: str,
    params: dict[str, Any],
    ok: Callable[[dict[str, Any]], bool],
) -> Figures:
    """`op` with `params` back to back from CLIENTS processes; a step counts when `ok(answer)`."""
    target = dataclasses.replace(target, clients=max(target.clients, CLIENTS))

    def make(index: int) -> Client:
        own = factory(target)
        payload = own.request(op, params)

        def step() -> bool:
            status, body = own.post(payload)
            return status == 200 and ok(parse(body))

        return Client(step, close=own.close)

    result = saturate(target, make)
    return {**sat_figures(result, "ops_per_s"), "requests": result.ok}


def secrets_get_sat(target: Target) -> Figures:
    setup = SecretsClient(target)
    try:
        name = "bench/db-credentials"
        create = {"Name": name, "SecretString": SECRET_VALUE, "ClientRequestToken": str(uuid.uuid4())}
        status, _ = setup.post(setup.request("CreateSecret", create))  # SDKs fill the token in
        if status not in (200, 400):  # 400: made by an earlier repetition
            raise IdentityError(f"CreateSecret answered {status}")
        if setup.call("GetSecretValue", {"SecretId": name}).get("SecretString") != SECRET_VALUE:
            raise IdentityError("GetSecretValue did not answer the secret's value")
    finally:
        setup.close()
    return _repeat(
        target,
        SecretsClient,
        "GetSecretValue",
        {"SecretId": name},
        lambda a: a.get("SecretString") == SECRET_VALUE,
    )


def ssm_get_sat(target: Target) -> Figures:
    setup = SsmClient(target)
    try:
        name = "/bench/app/database-url"
        setup.call(
            "PutParameter", {"Name": name, "Value": PARAMETER_VALUE, "Type": "String", "Overwrite": True}
        )
        if setup.call("GetParameter", {"Name": name})["Parameter"]["Value"] != PARAMETER_VALUE:
            raise IdentityError("GetParameter did not answer the parameter's value")
    finally:
        setup.close()
    return _repeat(
        target,
        SsmClient,
        "GetParameter",
        {"Name": name},
        lambda a: (a.get("Parameter") or {}).get("Value") == PARAMETER_VALUE,
    )


def _bench_key(client: KmsClient) -> str:
    return client.call("CreateKey", {"Description": "bench"})["KeyMetadata"]["KeyId"]


def kms_encrypt_sat(target: Target) -> Figures:
    setup = KmsClient(target)
    try:
        key = _bench_key(setup)
    finally:
        setup.close()
    params = {"KeyId": key, "Plaintext": base64.b64encode(PLAINTEXT).decode()}
    return _repeat(target, KmsClient, "Encrypt", params, lambda a: bool(a.get("CiphertextBlob")))


def kms_decrypt_sat(target: Target) -> Figures:
    setup = KmsClient(target)
    try:
        key = _bench_key(setup)
        blob = setup.call("Encrypt", {"KeyId": key, "Plaintext": base64.b64encode(PLAINTEXT).decode()})[
            "CiphertextBlob"
        ]
    finally:
        setup.close()
    expected = base64.b64encode(PLAINTEXT).decode()
    return _repeat(
        target, KmsClient, "Decrypt", {"CiphertextBlob": blob}, lambda a: a.get("Plaintext") == expected
    )
