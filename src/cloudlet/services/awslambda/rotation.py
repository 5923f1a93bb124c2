"""Secrets Manager's rotation steps run as Lambda invocations (the ``RotationInvoker`` of
services/secretsmanager/rotation.py): a function Secrets Manager may call is one whose resource
policy lets ``secretsmanager.amazonaws.com`` invoke it, as AWS requires; each step is a
synchronous invocation, and a function error fails the step."""

from __future__ import annotations

from typing import TYPE_CHECKING

import orjson

from cloudlet.core import ids
from cloudlet.services.awslambda.names import parse_function

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
        parts = function_arn.split(":")
        ref = parse_function(function_arn, parts[4], parts[3])
        config, alias = self.provider.resolve(ref)
        if alias is not None:
            config = self.provider._weighted(ref.account, ref.region, ref.name, alias, config)
        invoked = ref.arn() if ref.qualifier else config["FunctionArn"]
        outcome = await self.provider.executor.invoke(
            self.provider._launch(config), ids.uuid4(), orjson.dumps(payload), invoked, None
        )
        if outcome.error:
            raise RotationFunctionError(outcome.payload.decode(errors="replace"))
