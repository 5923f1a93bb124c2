"""Rotation: schedules (AutomaticallyAfterDays, rate(), cron()) and the four-step state machine.

Secrets Manager rotates a secret by invoking its rotation function four times, with
``{"Step": ..., "SecretId": <arn>, "ClientRequestToken": <version id>}``: ``createSecret``
(the function puts an AWSPENDING version under the token), ``setSecret``, ``testSecret`` and
``finishSecret`` (the function moves AWSCURRENT to the token's version). The function is
reached through :class:`RotationInvoker`, the one interface the Lambda service implements;
until it does, :class:`NoLambda` answers that no function can be invoked.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.secretsmanager.errors import invalid_parameter

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

STEPS = ("createSecret", "setSecret", "testSecret", "finishSecret")
DAY = 86400.0
HOUR = 3600.0
CANNOT_INVOKE = (
    "Secrets Manager cannot invoke the specified Lambda function. Ensure that the function policy grants "
    "access to the principal secretsmanager.amazonaws.com."
)  # recorded from AWS (test_rotate_secret_invalid_lambda_arn)
_RATE = re.compile(r"^rate\((\d+) (hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((.+)\)$")


class RotationFailed(Exception):
    """A step of the rotation function failed."""

    def __init__(self, step: str, reason: str) -> None:
        super().__init__(f"{step}: {reason}")
        self.step = step
        self.reason = reason


class RotationInvoker(Protocol):
    """How Secrets Manager calls a rotation function (implemented by the Lambda service)."""

    def can_invoke(self, function_arn: str) -> bool:
        """Whether the function exists and Secrets Manager may invoke it."""
        ...

    def invoke(self, function_arn: str, payload: dict[str, str]) -> Awaitable[None] | None:
        """Invoke the function synchronously with ``payload``; raise when it fails."""
        ...


class NoLambda:
    """The invoker while Cloudlet has no Lambda service: no function can be invoked."""

    def can_invoke(self, function_arn: str) -> bool:
        return False

    def invoke(self, function_arn: str, payload: dict[str, str]) -> None:
        raise RotationFailed(payload.get("Step", ""), CANNOT_INVOKE)


def invoker_for(runtime: Runtime) -> RotationInvoker:
    """The Lambda service's invoker (``rotation_invoker()`` of its provider), else NoLambda."""
    provider = runtime.load("lambda")
    make = getattr(provider, "rotation_invoker", None)
    return make() if callable(make) else NoLambda()


async def run_steps(invoker: RotationInvoker, function_arn: str, secret_arn: str, token: str) -> None:
    """Invoke the four steps in order; the first that fails stops the rotation (RotationFailed)."""
    for step in STEPS:
        payload = {"Step": step, "SecretId": secret_arn, "ClientRequestToken": token}
        try:
            result = invoker.invoke(function_arn, payload)
            if isinstance(result, Awaitable):
                await result
        except RotationFailed:
            raise
        except Exception as exc:  # the function's error, whatever form the invoker gives it
            raise RotationFailed(step, str(exc) or type(exc).__name__) from exc


# ---- schedules ----------------------------------------------------------------------


def check_rules(rules: dict[str, Any]) -> None:
    """AWS's checks of RotationRules beyond the model's constraints."""
    days, expression = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    if days is not None and expression is not None:
        # unverified: AWS's message for both forms at once
        raise invalid_parameter(
            "You cannot specify both rotation frequency and schedule expression together."
        )
    if expression is not None:
        rate = _RATE.match(expression)
        if rate:
            count, unit = int(rate.group(1)), rate.group(2)
            if unit.startswith("hour") and (count < 4 or count > 24 * 1000):
                # unverified: AWS rotates at most every four hours
                raise invalid_parameter("The schedule expression rate must be between 4 hours and 1000 days.")
            if unit.startswith("day") and not 1 <= count <= 1000:
                raise invalid_parameter("The schedule expression rate must be between 4 hours and 1000 days.")
        elif _CRON.match(expression):
            _croniter(expression, 0.0)
        else:
            # unverified: message for an expression that is neither rate() nor cron()
            raise invalid_parameter("Invalid ScheduleExpression format.")
    duration = rules.get("Duration")
    if duration is not None and not 1 <= int(duration[:-1]) <= 24:
        raise invalid_parameter(
            "Invalid Duration: the rotation window must be between 1h and 24h."
        )  # unverified


def _aws_cron_to_croniter(fields: list[str]) -> str:
    """AWS's ``min hour day-of-month month day-of-week year`` as croniter's five fields."""
    minute, hour, dom, month, dow = fields[:5]
    dom = "*" if dom == "?" else dom
    if dow == "?":
        dow = "*"
    else:  # AWS counts 1 (Sunday) to 7, croniter 0 (Sunday) to 6
        dow = re.sub(r"\d+", lambda m: str((int(m.group(0)) - 1) % 7), dow.split("#")[0]) + (
            "#" + dow.split("#")[1] if "#" in dow else ""
        )
    return f"{minute} {hour} {dom} {month} {dow}"


def _croniter(expression: str, start: float) -> Any:
    from croniter import croniter  # imported only for cron() schedules

    inner = _CRON.match(expression)
    fields = inner.group(1).split() if inner else []
    if len(fields) != 6:
        raise invalid_parameter("Invalid cron expression.")  # unverified
    try:
        return croniter(_aws_cron_to_croniter(fields), datetime.fromtimestamp(start, UTC))
    except (ValueError, KeyError) as exc:
        raise invalid_parameter("Invalid cron expression.") from exc  # unverified


def next_rotation(rules: dict[str, Any], after: float) -> float:
    """When the next rotation window after ``after`` opens (the date DescribeSecret reports).

    # unverified: AWS reports the window's start; AutomaticallyAfterDays counts from the
    # last rotation at day granularity, rotating by the end of that UTC day.
    """
    days, expression = rules.get("AutomaticallyAfterDays"), rules.get("ScheduleExpression")
    if expression:
        rate = _RATE.match(expression)
        if rate:
            count, unit = int(rate.group(1)), rate.group(2)
            return after + count * (HOUR if unit.startswith("hour") else DAY)
        return float(_croniter(expression, after).get_next(float))
    if days:
        return after + int(days) * DAY
    return after


def window_end(rules: dict[str, Any], start: float) -> float:
    """When the rotation window opened at ``start`` closes (Duration, else AWS's defaults)."""
    duration = rules.get("Duration")
    if duration:
        return start + int(duration[:-1]) * HOUR
    expression = rules.get("ScheduleExpression") or ""
    if "hour" in expression:
        return start + HOUR
    return (start // DAY + 1) * DAY


def cannot_invoke() -> ServiceError:
    return ServiceError("AccessDeniedException", CANNOT_INVOKE, 400)


async def run_test_step(invoker: RotationInvoker, function_arn: str, secret_arn: str, token: str) -> None:
    """RotateImmediately=false: only the testSecret step checks the configuration.

    # unverified: which steps AWS runs to test a rotation configuration.
    """
    payload = {"Step": "testSecret", "SecretId": secret_arn, "ClientRequestToken": token}
    try:
        result = invoker.invoke(function_arn, payload)
        if isinstance(result, Awaitable):
            await result
    except RotationFailed:
        raise
    except Exception as exc:
        raise RotationFailed("testSecret", str(exc) or type(exc).__name__) from exc
