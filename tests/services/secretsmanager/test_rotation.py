"""Rotation: the four-step state machine, schedules on the Cloudlet clock, and the answer while
no Lambda function can be invoked.

Until Cloudlet has Lambda, a stand-in rotation function (``FakeFunction``) plays Lambda's side
through the RotationInvoker interface; it calls Secrets Manager back over the API as a real
rotation function does.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from cloudlet.services.secretsmanager import rotation
from cloudlet.testing.server import client

from .conftest import error_of

FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:rotator"


def wait_for(predicate, timeout: float = 10.0) -> None:
    """Function code runs in real time, after the clock advance that started it answered."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class FakeFunction:
    """A rotation function: puts AWSPENDING, then moves AWSCURRENT to it (AWS's template)."""

    def __init__(self, endpoint: str, fail_at: str | None = None) -> None:
        self.endpoint = endpoint
        self.fail_at = fail_at
        self.calls: list[str] = []

    def can_invoke(self, function_arn: str) -> bool:
        return function_arn == FUNCTION

    async def invoke(self, function_arn: str, payload: dict[str, str]) -> None:
        self.calls.append(payload["Step"])
        if payload["Step"] == self.fail_at:
            raise RuntimeError("boom")
        await asyncio.to_thread(self._step, payload)

    def _step(self, payload: dict[str, str]) -> None:
        sm = client("secretsmanager", self.endpoint)
        arn, token = payload["SecretId"], payload["ClientRequestToken"]
        if payload["Step"] == "createSecret":
            sm.put_secret_value(
                SecretId=arn,
                ClientRequestToken=token,
                SecretString=f"rotated-{token[:8]}",
                VersionStages=["AWSPENDING"],
            )
        elif payload["Step"] == "finishSecret":
            current = next(
                v
                for v in sm.list_secret_version_ids(SecretId=arn)["Versions"]
                if "AWSCURRENT" in v.get("VersionStages", [])
            )
            sm.update_secret_version_stage(
                SecretId=arn,
                VersionStage="AWSCURRENT",
                MoveToVersionId=token,
                RemoveFromVersionId=current["VersionId"],
            )


@pytest.fixture
def use_function(cloudlet):
    """Install a stand-in rotation function for the test, and remove it afterwards."""

    def provider():
        return cloudlet.app.runtime.load("secretsmanager")

    def install(fn):
        cloudlet.call(lambda: setattr(provider(), "invoker", fn))
        return fn

    yield install
    cloudlet.call(lambda: setattr(provider(), "invoker", None))


def test_no_lambda_answers_access_denied_and_keeps_secret(sm, name):
    v1 = sm.create_secret(Name=name, SecretString="v")["VersionId"]
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(
            SecretId=name, RotationLambdaARN=FUNCTION, RotationRules={"AutomaticallyAfterDays": 1}
        )
    assert error_of(exc) == ("AccessDeniedException", rotation.CANNOT_INVOKE)
    described = sm.describe_secret(SecretId=name)
    assert "RotationEnabled" not in described and described["VersionIdsToStages"] == {v1: ["AWSCURRENT"]}


def test_rotate_without_function(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name)
    assert error_of(exc) == (
        "InvalidRequestException",
        "No Lambda rotation function ARN is associated with this secret.",
    )


def test_rotate_immediately_runs_four_steps(sm, name, cloudlet, use_function):
    fn = use_function(FakeFunction(cloudlet.endpoint))
    v1 = sm.create_secret(Name=name, SecretString="v")["VersionId"]
    out = sm.rotate_secret(
        SecretId=name, RotationLambdaARN=FUNCTION, RotationRules={"AutomaticallyAfterDays": 1}
    )
    cloudlet.advance_clock(1)
    wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name))
    assert fn.calls == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    described = sm.describe_secret(SecretId=name)
    assert described["VersionIdsToStages"] == {v1: ["AWSPREVIOUS"], out["VersionId"]: ["AWSCURRENT"]}
    assert described["RotationEnabled"] is True and described["RotationRules"] == {
        "AutomaticallyAfterDays": 1
    }
    assert "LastRotatedDate" in described and "NextRotationDate" in described
    assert sm.get_secret_value(SecretId=name)["SecretString"].startswith("rotated-")
    # the schedule fires on the Cloudlet clock
    first = described["LastRotatedDate"]
    cloudlet.advance_clock(86400 + 60)
    wait_for(lambda: sm.describe_secret(SecretId=name)["LastRotatedDate"] != first)
    assert len(fn.calls) == 8
    sm.cancel_rotate_secret(SecretId=name)
    assert sm.describe_secret(SecretId=name)["RotationEnabled"] is False
    cloudlet.advance_clock(2 * 86400)
    assert len(fn.calls) == 8


def test_failed_step_leaves_pending_and_blocks_next(sm, name, cloudlet, use_function):
    fn = use_function(FakeFunction(cloudlet.endpoint, fail_at="testSecret"))
    v1 = sm.create_secret(Name=name, SecretString="v")["VersionId"]
    token = sm.rotate_secret(SecretId=name, RotationLambdaARN=FUNCTION)["VersionId"]
    cloudlet.advance_clock(1)
    wait_for(lambda: len(fn.calls) == 3)
    time.sleep(0.1)
    assert fn.calls == ["createSecret", "setSecret", "testSecret"]
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages == {v1: ["AWSCURRENT"], token: ["AWSPENDING"]}
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name, ClientRequestToken=str(uuid.uuid4()))
    assert error_of(exc)[0] == "InvalidRequestException"


def test_schedule_expressions(sm, name, cloudlet, use_function):
    fn = use_function(FakeFunction(cloudlet.endpoint))
    sm.create_secret(Name=name, SecretString="v")
    sm.rotate_secret(
        SecretId=name,
        RotationLambdaARN=FUNCTION,
        RotationRules={"ScheduleExpression": "rate(6 hours)"},
        RotateImmediately=False,
    )
    cloudlet.advance_clock(1)
    wait_for(lambda: fn.calls == ["testSecret"])
    cloudlet.advance_clock(6 * 3600 + 60)
    wait_for(lambda: "LastRotatedDate" in sm.describe_secret(SecretId=name))
    assert fn.calls[1:] == ["createSecret", "setSecret", "testSecret", "finishSecret"]
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name, RotationRules={"ScheduleExpression": "rate(1 hours)"})
    assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm.rotate_secret(SecretId=name, RotationRules={"ScheduleExpression": "cron(0 99 * * ? *)"})
    assert error_of(exc)[0] == "InvalidParameterException"
    sm.rotate_secret(
        SecretId=name,
        RotationRules={"ScheduleExpression": "cron(0 12 ? * MON *)", "Duration": "2h"},
        RotateImmediately=False,
    )
    next_date = sm.describe_secret(SecretId=name)["NextRotationDate"]
    assert next_date.weekday() == 0 and next_date.hour == 12


def test_state_machine_order_and_failure():
    class Recorder:
        def __init__(self, fail_at=None):
            self.steps, self.fail_at = [], fail_at

        def can_invoke(self, arn):
            return True

        def invoke(self, arn, payload):
            self.steps.append((arn, payload["Step"], payload["ClientRequestToken"]))
            if payload["Step"] == self.fail_at:
                raise ValueError("bad credentials")

    ok = Recorder()
    asyncio.run(rotation.run_steps(ok, FUNCTION, "arn:s", "tok"))
    assert [s[1] for s in ok.steps] == list(rotation.STEPS)
    assert {s[2] for s in ok.steps} == {"tok"}
    failing = Recorder(fail_at="setSecret")
    with pytest.raises(rotation.RotationFailed) as exc:
        asyncio.run(rotation.run_steps(failing, FUNCTION, "arn:s", "tok"))
    assert exc.value.step == "setSecret" and "bad credentials" in exc.value.reason
    assert [s[1] for s in failing.steps] == ["createSecret", "setSecret"]
    with pytest.raises(rotation.RotationFailed):
        asyncio.run(rotation.run_steps(rotation.NoLambda(), FUNCTION, "arn:s", "tok"))


def test_next_rotation_dates():
    day = 86400.0
    assert rotation.next_rotation({"AutomaticallyAfterDays": 3}, 0.0) == 3 * day
    assert rotation.next_rotation({"ScheduleExpression": "rate(10 days)"}, 0.0) == 10 * day
    assert rotation.next_rotation({"ScheduleExpression": "rate(4 hours)"}, 0.0) == 4 * 3600
    # 1970-01-01 was a Thursday; AWS's day 2 is Monday
    assert (
        rotation.next_rotation({"ScheduleExpression": "cron(30 8 ? * 2 *)"}, 0.0) == 4 * day + 8 * 3600 + 1800
    )
