"""Secrets other services manage (``OwningService``): the in-process calls of interface.py's
``ManagedSecrets``, a mixin of the Secrets Manager provider, and the refusals customers get.

A managed secret is an ordinary row of ``sm_secrets`` with ``owning_service`` set: encrypted
with ``aws/secretsmanager``, durable, readable with GetSecretValue like any secret. AWS's user
guide ("Secrets managed by other AWS services") says such services "restrict you from
updating them or deleting them without a recovery period", and its API reference lists "The
secret is managed by another service, and you must use that service to update it" among the
causes of InvalidRequestException; Cloudlet answers that for the operations in ``REFUSED`` and
for DeleteSecret with ForceDeleteWithoutRecovery.
"""

from __future__ import annotations

import re
import secrets as pysecrets
import uuid
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import make_arn
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.secretsmanager import errors as err
from cloudlet.services.secretsmanager import values
from cloudlet.services.secretsmanager.store import Secret

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.runtime import Runtime
    from cloudlet.services.secretsmanager.store import SecretsStore, Version
    from cloudlet.store.db import Store

# Names of managed secrets may hold "!" (``events!connection/...``); customers' may not.
MANAGED_NAME = re.compile(r"^[A-Za-z0-9/_+=.@!-]+$")
MAX_NAME = 512  # the model's NameType
OWNER_TAG = "aws:secretsmanager:owningService"  # documented for finding managed secrets
_SUFFIX_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
# Operations a customer may not call on a managed secret (unverified: the exact list; tags,
# resource policies, scheduled deletion and restoring stay allowed).
REFUSED = frozenset(
    {
        "PutSecretValue",
        "UpdateSecret",
        "UpdateSecretVersionStage",
        "RotateSecret",
        "CancelRotateSecret",
        "ReplicateSecretToRegions",
    }
)
# The cause AWS's API reference lists for InvalidRequestException (unverified: the message
# AWS answers with).
MANAGED_MESSAGE = "The secret is managed by another service, and you must use that service to update it."


def managed_by_service() -> ServiceError:
    return err.invalid_request(MANAGED_MESSAGE)


def check_customer_call(secret: Secret, operation: str, *, force_delete: bool = False) -> None:
    """AWS's refusal when a customer changes a secret another service manages."""
    if secret.owning_service is None:
        return
    if operation in REFUSED or (operation == "DeleteSecret" and force_delete):
        raise managed_by_service()


class ManagedSecretsApi:
    """``ManagedSecrets`` (interface.py) for the Secrets Manager provider."""

    db: SecretsStore
    store: Store
    clock: Clock
    runtime: Runtime

    if TYPE_CHECKING:  # provided by the provider

        def _add_version(
            self,
            secret: Secret,
            version_id: str,
            kind: str,
            data: bytes,
            stages: list[str] | None,
            now: float,
        ) -> Version: ...

        def _purge(self, secret: Secret) -> None: ...

        def _changed(self, secret: Secret, now: float) -> None: ...

    def create_managed_secret(
        self, account: str, region: str, name: str, value: str, owning_service: str
    ) -> str:
        if not MANAGED_NAME.match(name) or len(name) > MAX_NAME:
            raise err.invalid_name()
        data = value.encode()
        values.check_size("string", data)
        if self.db.by_name(account, region, name) is not None:
            raise err.exists(name)
        now = self.clock.now()
        suffix = "".join(pysecrets.choice(_SUFFIX_CHARS) for _ in range(6))
        secret = Secret(
            id=0,
            account=account,
            region=region,
            name=name,
            arn=make_arn("secretsmanager", region, account, f"secret:{name}-{suffix}"),
            description=None,
            kms_key_id=None,
            # unverified for EventBridge: the tag AWS's guide filters managed secrets by
            tags=[{"Key": OWNER_TAG, "Value": owning_service}],
            policy=None,
            created=now,
            last_changed=now,
            last_accessed=None,
            deleted=None,
            deletion_date=None,
            owning_service=owning_service,
        )
        with self.store.transaction():
            self.db.insert(secret)
            self._add_version(secret, str(uuid.uuid4()), "string", data, None, now)
        return secret.arn

    def _managed(self, arn: str) -> Secret:
        secret = self.db.by_arn(arn)
        if secret is None:
            raise err.not_found()
        if secret.owning_service is None:
            # unverified: a service asking to manage a customer's secret (no AWS counterpart)
            raise err.invalid_request(f"The secret {secret.name} is not managed by a service.")
        if secret.deleted is not None:
            raise err.marked_for_deletion()
        return secret

    def put_managed_secret_value(self, arn: str, value: str) -> str:
        secret = self._managed(arn)
        data = value.encode()
        values.check_size("string", data)
        now = self.clock.now()
        version_id = str(uuid.uuid4())
        with self.store.transaction():
            self._add_version(secret, version_id, "string", data, None, now)
            self._changed(secret, now)
        return version_id

    def delete_managed_secret(self, arn: str) -> None:
        secret = self.db.by_arn(arn)
        if secret is None or secret.owning_service is None:
            return
        with self.store.transaction():
            self._purge(secret)


def owning_service_entry(secret: Secret) -> dict[str, Any]:
    """DescribeSecret / ListSecrets' ``OwningService`` member, when a service manages it."""
    return {"OwningService": secret.owning_service} if secret.owning_service else {}
