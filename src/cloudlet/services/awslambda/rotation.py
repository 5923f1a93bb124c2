"""Secrets Manager's rotation steps run as Lambda invocations (the ``RotationInvoker`` of
services/secretsmanager/rotation.py): a function Secrets Manager may call is one whose resource
policy lets ``secretsmanager.amazonaws.com`` invoke it, as AWS requires; each step is a
synchronous invocation, and a function error fails the step."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from cloudlet.core import ids
from cloudlet.services.awslambda.names import ref_of_arn

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider

PRINCIPAL = "secretsmanager.amazonaws.com"


class RotationFunctionError(Exception):
    """A rotation step's function answered an error (its payload is the message)."""


class LambdaRotationInvoker:
    """Invokes rotation functions for Secrets Manager."""

    def __init__(self, provider: LambdaProvider) -> None:
        self.provider = provider

    def can_invoke(self, function_arn: str) -> bool:
        return self.provider.service_may_invoke(function_arn, PRINCIPAL)

    async def invoke(self, function_arn: str, payload: dict[str, str]) -> None:
        ref = ref_of_arn(function_arn)
        config, alias = self.provider.resolve(ref)
        outcome, _ = await self.provider.run(ref, config, alias, orjson.dumps(payload), ids.uuid4())
        if outcome.error:
            raise RotationFunctionError(outcome.payload.decode(errors="replace"))
