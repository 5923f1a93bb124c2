"""Execution history in CloudWatch Logs (``loggingConfiguration``), for Standard and Express
executions, against the log events AWS recorded (``aws-reference/stepfunctions/v2/logs``)."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from .conftest import ROLE, unique, wait_done

REFERENCE = Path("/work/shared/aws-reference/stepfunctions/v2")
PASS = {
    "Comment": "BASE_PASS_RESULT",
    "StartAt": "State_1",
    "States": {"State_1": {"Type": "Pass", "Result": {"Arg1": "argument1"}, "End": True}},
}
FAIL = {
    "Comment": "BASE_RAISE_FAILURE",
    "StartAt": "FailState",
    "States": {
        "FailState": {
            "Type": "Fail",
            "Error": "SomeFailure",
            "Cause": "This state machines raises a 'SomeFailure' failure.",
        }
    },
}
WAIT_PATH = {
    "Comment": "WAIT_SECONDS_PATH",
    "StartAt": "WaitState",
    "States": {"WaitState": {"Type": "Wait", "SecondsPath": "$.input.waitSeconds", "End": True}},
}
TEMPLATES = {"pass_result": PASS, "raise_failure": FAIL, "wait_seconds_path": WAIT_PATH}


def _recorded(file: str, test: str) -> dict[str, Any]:
    data = json.loads((REFERENCE / file).read_text())
    return data[next(k for k in data if k.endswith(test))]["recorded-content"]


@pytest.fixture
def logs(aws_client):
    return aws_client("logs")


@pytest.fixture
def log_group(logs):
    name = unique("sfn-logs")
    logs.create_log_group(logGroupName=name)
    arn = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"][0]["arn"]
    return name, arn


def _config(arn: str, level: str = "ALL", data: bool = False) -> dict[str, Any]:
    return {
        "level": level,
        "includeExecutionData": data,
        "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": arn}}],
    }


def _streams(logs, group: str) -> list[str]:
    return [s["logStreamName"] for s in logs.describe_log_streams(logGroupName=group)["logStreams"]]


def _logged(logs, group: str, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
    """The events of the group's execution stream once ``count`` are there (as recorded: the
    payloads parsed, event_timestamp and the role replaced)."""
    deadline = time.monotonic() + timeout
    events: list[dict[str, Any]] = []
    while True:
        names = [n for n in _streams(logs, group) if n.startswith("states/")]
        if names:
            raw = logs.get_log_events(logGroupName=group, logStreamName=names[-1], startFromHead=True)[
                "events"
            ]
            events = [json.loads(e["message"]) for e in raw]
        if len(events) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    for event in events:
        assert event["event_timestamp"].isdigit()
        event["event_timestamp"] = "timestamp"
        details = event["details"]
        for key in ("input", "output"):
            if isinstance(details.get(key), str):
                details[key] = json.loads(details[key])
        if details.get("roleArn") == ROLE:
            details["roleArn"] = "snf_role_arn"
    return events


def _expected(events: list[dict[str, Any]], arns: list[str]) -> list[dict[str, Any]]:
    text = json.dumps(events)
    for i, arn in enumerate(arns):
        text = text.replace(
            f"arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_{i}idx>", arn
        )
    return json.loads(text)


def _same(got: list[dict[str, Any]], expected: list[dict[str, Any]], template: str) -> None:
    if template == "wait_seconds_path":  # the Wait state's cause is worded by waits.py (not the log's part)
        for event in got + expected:
            event["details"].pop("cause", None)
    assert got == expected


def _run(sfn, make_machine, definition: dict[str, Any], config: dict[str, Any]) -> str:
    arn = make_machine(definition, loggingConfiguration=config)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    wait_done(sfn, execution)
    return execution


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("data", [False, True])
def test_all_level_as_recorded(sfn, logs, log_group, make_machine, template, data):
    group, group_arn = log_group
    execution = _run(sfn, make_machine, TEMPLATES[template], _config(group_arn, "ALL", data))
    recorded = _recorded("logs/test_logs.snapshot.json", f"test_base[{template}.json5_ALL_{data}]")
    expected = _expected(recorded["logged_execution_events"], [execution])
    _same(_logged(logs, group, len(expected)), expected, template)
    names = _streams(logs, group)
    assert names[0] == "log_stream_created_by_aws_to_validate_log_delivery_subscriptions"
    machine_name = execution.split(":")[-2]
    parts = names[-1].split("/")
    assert parts[:2] == ["states", machine_name] and len(parts) == 4
    assert len(parts[2]) == len("2024-06-10-13") and len(parts[3]) == 8


@pytest.mark.parametrize("template", sorted(TEMPLATES))
@pytest.mark.parametrize("level", ["ERROR", "FATAL", "OFF"])
@pytest.mark.parametrize("data", [False, True])
def test_partial_levels_as_recorded(sfn, logs, log_group, make_machine, template, level, data):
    group, group_arn = log_group
    execution = _run(sfn, make_machine, TEMPLATES[template], _config(group_arn, level, data))
    recorded = _recorded(
        "logs/test_logs.snapshot.json", f"test_partial_log_levels[{template}.json5_{level}_{data}]"
    )
    expected = _expected(recorded.get("logged_execution_events", []), [execution])
    if not expected:  # nothing logged: no execution stream either
        time.sleep(0.1)
        assert [n for n in _streams(logs, group) if n.startswith("states/")] == []
        return
    _same(_logged(logs, group, len(expected)), expected, template)


def test_runs_share_the_stream(sfn, logs, log_group, make_machine):
    group, group_arn = log_group
    arn = make_machine(PASS, loggingConfiguration=_config(group_arn))
    executions = []
    for i in range(3):
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps({"ExecutionNumber": i}))
        executions.append(execution["executionArn"])
        wait_done(sfn, executions[-1])
    recorded = _recorded("logs/test_logs.snapshot.json", "test_log_group_with_multiple_runs")
    expected = _expected(recorded["logged_execution_events"], executions)
    assert _logged(logs, group, 12) == expected


def test_deleted_group_drops_the_logs(sfn, logs, log_group, make_machine):
    group, group_arn = log_group
    arn = make_machine(PASS, loggingConfiguration=_config(group_arn))
    logs.delete_log_group(logGroupName=group)
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
    assert len(sfn.get_execution_history(executionArn=execution)["events"]) == 4
    time.sleep(0.1)
    assert logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"] == []  # not made again


def test_express_async_and_sync(sfn, aws_client, logs, log_group, make_machine):
    group, group_arn = log_group
    arn = make_machine(PASS, type="EXPRESS", loggingConfiguration=_config(group_arn, "ALL", True))
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    events = _logged(logs, group, 4)
    recorded = _recorded("express/test_express_async.snapshot.json", "test_base[BASE_PASS_RESULT]")[
        "end_event"
    ]
    expected = {**recorded, "execution_arn": execution}
    assert events[-1] == expected
    assert [e["type"] for e in events] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    sync = aws_client("stepfunctions", config=Config(inject_host_prefix=False))
    synced = sync.start_sync_execution(stateMachineArn=arn, input="{}")
    events = _logged(logs, group, 8)
    assert [e["execution_arn"] for e in events[4:]] == [synced["executionArn"]] * 4
    assert events[-1]["details"]["output"] == {"Arg1": "argument1"}


def test_express_failure_at_error_level(sfn, logs, log_group, make_machine):
    group, group_arn = log_group
    arn = make_machine(FAIL, type="EXPRESS", loggingConfiguration=_config(group_arn, "ERROR", True))
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    events = _logged(logs, group, 2)
    recorded = _recorded("express/test_express_async.snapshot.json", "test_base[BASE_RAISE_FAILURE]")[
        "end_event"
    ]
    assert events[-1] == {**recorded, "execution_arn": execution}
    assert [e["type"] for e in events] == ["FailStateEntered", "ExecutionFailed"]


def test_stop_and_redrive_are_logged(sfn, logs, log_group, make_machine, cloudlet):
    group, group_arn = log_group
    machine = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1000, "End": True}}}
    arn = make_machine(machine, loggingConfiguration=_config(group_arn, "FATAL"))
    execution = sfn.start_execution(stateMachineArn=arn, input="{}")["executionArn"]
    time.sleep(0.05)
    sfn.stop_execution(executionArn=execution, error="Stopped", cause="by the test")
    events = _logged(logs, group, 1)
    assert [(e["type"], e["details"], e["redrive_count"]) for e in events] == [
        ("ExecutionAborted", {"error": "Stopped", "cause": "by the test"}, "0")
    ]
    sfn.redrive_execution(executionArn=execution)
    time.sleep(0.05)
    sfn.stop_execution(executionArn=execution)
    events = _logged(logs, group, 2)
    assert [(e["type"], e["redrive_count"]) for e in events] == [
        ("ExecutionAborted", "0"),
        ("ExecutionAborted", "1"),
    ]


# ---- the configuration -------------------------------------------------------------------------


def test_configuration_is_described(sfn, log_group, make_machine):
    _, group_arn = log_group
    for level in ("ALL", "ERROR", "FATAL", "OFF"):
        arn = make_machine(PASS, loggingConfiguration=_config(group_arn, level, True))
        assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == _config(
            group_arn, level, True
        )


def test_missing_group_is_refused(sfn_raw, logs, log_group):
    group, group_arn = log_group
    logs.delete_log_group(logGroupName=group)
    recorded = _recorded("test_sfn_api_logs.snapshot.json", "test_deleted_log_group")["exception"]
    with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
        sfn_raw.create_state_machine(
            name=unique(), definition=json.dumps(PASS), roleArn=ROLE, loggingConfiguration=_config(group_arn)
        )
    assert str(caught.value) == recorded["exception_value"]


@pytest.mark.parametrize(
    "config", [{"level": "ALL"}, {"level": "FATAL"}, {"level": "ERROR", "destinations": []}]
)
def test_destination_required(sfn_raw, config):
    recorded = _recorded(
        "test_sfn_api_logs.snapshot.json", "test_invalid_logging_configuration[logging_configuration0]"
    )
    with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
        sfn_raw.create_state_machine(
            name=unique(), definition=json.dumps(PASS), roleArn=ROLE, loggingConfiguration=config
        )
    assert str(caught.value) == recorded["exception"]["exception_value"]


def test_two_destinations_refused(sfn_raw, log_group):
    _, group_arn = log_group
    config = _config(group_arn)
    config["destinations"] *= 2
    with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
        sfn_raw.create_state_machine(
            name=unique(), definition=json.dumps(PASS), roleArn=ROLE, loggingConfiguration=config
        )
    recorded = _recorded("test_sfn_api_logs.snapshot.json", "test_multiple_destinations")["exception"]
    assert str(caught.value) == recorded["exception_value"]


@pytest.mark.parametrize(
    "bad",
    [
        "arn:aws:logs:us-east-1:000000000000:log-group:nope",  # no :*
        "arn:aws:s3:::bucket:*",
        "not-an-arn",
    ],
)
def test_bad_group_arn_refused(sfn_raw, bad):
    with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
        sfn_raw.create_state_machine(
            name=unique(), definition=json.dumps(PASS), roleArn=ROLE, loggingConfiguration=_config(bad)
        )
    assert caught.value.response["Error"]["Code"] == "InvalidLoggingConfiguration"


def test_incomplete_configurations(sfn, make_machine):
    arn = make_machine(PASS, loggingConfiguration={})
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == {
        "level": "OFF",
        "includeExecutionData": False,
    }
    arn = make_machine(PASS, loggingConfiguration={"destinations": []})
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"] == {
        "level": "OFF",
        "includeExecutionData": False,
        "destinations": [],
    }


def test_update_configuration(sfn, sfn_raw, logs, log_group, make_machine):
    group, group_arn = log_group
    arn = make_machine(PASS, loggingConfiguration=_config(group_arn, "ALL", True))
    sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=_config(group_arn, "FATAL", True))
    assert sfn.describe_state_machine(stateMachineArn=arn)["loggingConfiguration"]["level"] == "FATAL"
    sfn.update_state_machine(stateMachineArn=arn, loggingConfiguration=_config(group_arn, "FATAL", False))
    described = sfn.describe_state_machine(stateMachineArn=arn)
    assert described["loggingConfiguration"] == _config(group_arn, "FATAL", False)
    recorded = _recorded("test_sfn_api_logs.snapshot.json", "test_update_logging_configuration")
    two = _config(group_arn)
    two["destinations"] *= 2
    for config, key in ((two, "exception_multiple_endpoints"), ({"level": "ALL"}, "exception_invalid")):
        with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
            sfn_raw.update_state_machine(stateMachineArn=arn, loggingConfiguration=config)
        assert str(caught.value) == recorded[key]["exception_value"]
    # logging switched on by an update applies to the next execution
    off = make_machine(PASS)
    sfn.update_state_machine(stateMachineArn=off, loggingConfiguration=_config(group_arn, "ALL"))
    execution = sfn.start_execution(stateMachineArn=off, input="{}")["executionArn"]
    wait_done(sfn, execution)
    assert [e["type"] for e in _logged(logs, group, 4)][-1] == "ExecutionSucceeded"
    logs.delete_log_group(logGroupName=group)
    with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
        sfn_raw.update_state_machine(stateMachineArn=arn, loggingConfiguration=_config(group_arn))
    assert str(caught.value).endswith("Invalid Logging Configuration: Log Destination not found.")


def test_update_of_a_missing_machine(sfn_raw, log_group):
    _, group_arn = log_group
    arn = "arn:aws:states:us-east-1:000000000000:stateMachine:no-such-machine"
    with pytest.raises(sfn_raw.exceptions.ClientError) as caught:
        sfn_raw.update_state_machine(stateMachineArn=arn, loggingConfiguration=_config(group_arn))
    assert caught.value.response["Error"]["Code"] == "StateMachineDoesNotExist"
