"""The Step Functions API: state machines and Standard executions, against the answers
recorded in ``aws-reference/stepfunctions/v2/test_sfn_api.snapshot.json``."""

from __future__ import annotations

import json

import pytest
from botocore.config import Config

from .conftest import ACCOUNT, PASS_MACHINE, REGION, ROLE, history, unique, wait_done


def _error(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_create_describe_delete(sfn, make_machine):
    name = unique()
    arn = make_machine(PASS_MACHINE, name=name)
    assert arn == f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{name}"
    described = sfn.describe_state_machine(stateMachineArn=arn)
    described.pop("ResponseMetadata")
    created = described.pop("creationDate")
    assert json.loads(described.pop("definition")) == PASS_MACHINE
    assert described == {
        "stateMachineArn": arn,
        "name": name,
        "status": "ACTIVE",
        "roleArn": ROLE,
        "type": "STANDARD",
        "loggingConfiguration": {"level": "OFF", "includeExecutionData": False},
        "tracingConfiguration": {"enabled": False},
    }
    assert created.year >= 2024
    sfn.delete_state_machine(stateMachineArn=arn)
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as info:
        sfn.describe_state_machine(stateMachineArn=arn)
    assert _error(info) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'", 400)
    sfn.delete_state_machine(stateMachineArn=arn)  # recorded: deleting a missing one succeeds


def test_create_is_idempotent_only_for_the_same_machine(sfn, make_machine):
    name = unique()
    arn = make_machine(PASS_MACHINE, name=name)
    assert make_machine(PASS_MACHINE, name=name) == arn
    with pytest.raises(sfn.exceptions.StateMachineAlreadyExists) as info:
        make_machine(json.dumps(PASS_MACHINE, indent=2), name=name)  # another definition format
    assert _error(info) == ("StateMachineAlreadyExists", f"State Machine Already Exists: '{arn}'", 400)


def test_invalid_arns_and_names(sfn, sfn_raw):
    with pytest.raises(sfn.exceptions.InvalidArn) as info:
        sfn.describe_state_machine(stateMachineArn="not_a_valid_arn")
    assert _error(info) == ("InvalidArn", "Invalid Arn: 'Invalid ARN prefix: not_a_valid_arn'", 400)
    with pytest.raises(sfn.exceptions.InvalidArn) as info:
        sfn.describe_execution(executionArn="invalid_state_machine_arn")
    assert _error(info)[1] == "Invalid Arn: 'Invalid ARN prefix: invalid_state_machine_arn'"
    for bad in ("machine name", "machine#name", "machine:name", "machine\x7f"):
        with pytest.raises(sfn.exceptions.InvalidName) as info:
            sfn.create_state_machine(name=bad, definition=json.dumps(PASS_MACHINE), roleArn=ROLE)
        assert _error(info) == ("InvalidName", f"Invalid Name: '{bad}'", 400)


def test_list_state_machines_pages_by_name(sfn, make_machine):
    prefix = unique("page")
    arns = [make_machine(PASS_MACHINE, name=f"{prefix}-{i}") for i in range(13)]
    seen: list[str] = []
    token = None
    while True:
        kwargs = {"maxResults": 10} | ({"nextToken": token} if token else {})
        page = sfn.list_state_machines(**kwargs)
        seen += [m["stateMachineArn"] for m in page["stateMachines"] if m["name"].startswith(prefix)]
        token = page.get("nextToken")
        if not token:
            break
    assert seen == sorted(arns, key=lambda a: a.rpartition(":")[2])
    item = next(
        m
        for m in sfn.list_state_machines(maxResults=1000)["stateMachines"]
        if m["stateMachineArn"] == arns[0]
    )
    assert set(item) == {"stateMachineArn", "name", "type", "creationDate"}
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.list_state_machines(nextToken="x" * 10)
    for arn in arns:
        sfn.delete_state_machine(stateMachineArn=arn)


def test_update_needs_something_to_change(sfn, sfn_raw, make_machine):
    arn = make_machine(PASS_MACHINE)
    with pytest.raises(sfn.exceptions.MissingRequiredParameter) as info:
        sfn.update_state_machine(stateMachineArn=arn)
    assert _error(info) == (
        "MissingRequiredParameter",
        "Either the definition, the role ARN, the LoggingConfiguration, or the TracingConfiguration must be specified",
        400,
    )
    changed = {**PASS_MACHINE, "Comment": "changed"}
    updated = sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(changed))
    assert updated["revisionId"]
    assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == changed


def test_start_execution_runs_to_success_with_the_recorded_history(sfn, make_machine):
    arn = make_machine(PASS_MACHINE)
    started = sfn.start_execution(stateMachineArn=arn)
    execution = started["executionArn"]
    name = execution.rpartition(":")[2]
    assert execution == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{arn.rpartition(':')[2]}:{name}"
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"Arg1": "argument1"}
    assert described["input"] == "{}" and described["inputDetails"] == {"included": True}
    assert (described["redriveCount"], described["redriveStatus"]) == (0, "NOT_REDRIVABLE")
    assert history(sfn, execution) == [
        {
            "type": "ExecutionStarted",
            "id": 1,
            "previousEventId": 0,
            "executionStartedEventDetails": {
                "input": {},
                "inputDetails": {"truncated": False},
                "roleArn": ROLE,
            },
        },
        {
            "type": "PassStateEntered",
            "id": 2,
            "previousEventId": 0,
            "stateEnteredEventDetails": {
                "name": "State_1",
                "input": {},
                "inputDetails": {"truncated": False},
            },
        },
        {
            "type": "PassStateExited",
            "id": 3,
            "previousEventId": 2,
            "stateExitedEventDetails": {
                "name": "State_1",
                "output": {"Arg1": "argument1"},
                "outputDetails": {"truncated": False},
            },
        },
        {
            "type": "ExecutionSucceeded",
            "id": 4,
            "previousEventId": 3,
            "executionSucceededEventDetails": {
                "output": {"Arg1": "argument1"},
                "outputDetails": {"truncated": False},
            },
        },
    ]
    listed = sfn.list_executions(stateMachineArn=arn)["executions"]
    assert [e["executionArn"] for e in listed] == [execution]
    assert listed[0]["status"] == "SUCCEEDED" and listed[0]["redriveCount"] == 0
    assert sfn.list_executions(stateMachineArn=arn, statusFilter="RUNNING")["executions"] == []
    reverse = sfn.get_execution_history(executionArn=execution, reverseOrder=True)["events"]
    assert [e["id"] for e in reverse] == [4, 3, 2, 1]


def test_execution_input_is_checked(sfn, sfn_raw, make_machine):
    arn = make_machine(PASS_MACHINE)
    recorded = {
        "not json": "Unrecognized token 'not': was expecting (JSON String, Number, Array, Object or token 'null', "
        "'true' or 'false')",
        "{'not': 'json'}": "Unexpected character (''' (code 39)): was expecting double-quote to start field name",
        "": "Invalid execution input.",
    }
    for text, reason in recorded.items():
        with pytest.raises(sfn.exceptions.InvalidExecutionInput) as info:
            sfn_raw.start_execution(stateMachineArn=arn, input=text)
        assert _error(info) == (
            "InvalidExecutionInput",
            f"Invalid State Machine Execution Input: '{reason}'",
            400,
        )
    for text in ("2", '"text"', "null"):  # recorded: any JSON value is an input
        execution = sfn.start_execution(stateMachineArn=arn, input=text)["executionArn"]
        assert wait_done(sfn, execution)["status"] == "SUCCEEDED"


def test_start_execution_is_idempotent_while_running_with_the_same_input(sfn, make_machine, cloudlet):
    waiting = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 60, "End": True}}}
    arn = make_machine(waiting)
    first = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a":1}')
    again = sfn.start_execution(stateMachineArn=arn, name="once", input='{"a":1}')
    assert again["executionArn"] == first["executionArn"]
    with pytest.raises(sfn.exceptions.ExecutionAlreadyExists) as info:
        sfn.start_execution(stateMachineArn=arn, name="once", input='{"a":2}')
    assert _error(info) == (
        "ExecutionAlreadyExists",
        f"Execution Already Exists: '{first['executionArn']}'",
        400,
    )
    cloudlet.advance_clock(61)
    assert wait_done(sfn, first["executionArn"])["status"] == "SUCCEEDED"


def test_missing_things(sfn, make_machine):
    arn = make_machine(PASS_MACHINE)
    gone = f"{arn}-gone"
    with pytest.raises(sfn.exceptions.StateMachineDoesNotExist) as info:
        sfn.start_execution(stateMachineArn=gone)
    assert _error(info) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{gone}'", 400)
    missing = arn.replace(":stateMachine:", ":execution:") + ":nope"
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist) as info:
        sfn.describe_execution(executionArn=missing)
    assert _error(info) == ("ExecutionDoesNotExist", f"Execution Does Not Exist: '{missing}'", 400)
    with pytest.raises(sfn.exceptions.ExecutionDoesNotExist):
        sfn.get_execution_history(executionArn=missing)


def test_express_machines(sfn, make_machine, aws_client):
    # StartSyncExecution's endpoint has the host prefix "sync-": botocore would call
    # sync-127.0.0.1, so local clients turn the prefix off
    sync = aws_client("stepfunctions", config=Config(inject_host_prefix=False))
    arn = make_machine(PASS_MACHINE, type="EXPRESS")
    answer = sync.start_sync_execution(stateMachineArn=arn, input='{"x": 1}')
    assert answer["status"] == "SUCCEEDED"
    assert json.loads(answer["output"]) == {"Arg1": "argument1"}
    assert answer["executionArn"].startswith(arn.replace(":stateMachine:", ":express:") + ":")
    assert answer["billingDetails"] == {"billedMemoryUsedInMB": 64, "billedDurationInMilliseconds": 100}
    failing = make_machine(
        {"StartAt": "F", "States": {"F": {"Type": "Fail", "Error": "E", "Cause": "C"}}}, type="EXPRESS"
    )
    failed = sync.start_sync_execution(stateMachineArn=failing)
    assert (failed["status"], failed["error"], failed["cause"]) == (
        "FAILED",
        "E",
        "C",
    ) and "output" not in failed
    started = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    for call in (sfn.describe_execution, sfn.stop_execution, sfn.get_execution_history):
        with pytest.raises(sfn.exceptions.InvalidArn) as info:
            call(executionArn=started)
        assert _error(info)[1] == "Invalid Arn: 'Resource type not valid in this context: express'"
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported) as info:
        sfn.list_executions(stateMachineArn=arn)
    assert _error(info)[1] == "This operation is not supported by this type of state machine"
    standard = make_machine(PASS_MACHINE)
    with pytest.raises(sfn.exceptions.StateMachineTypeNotSupported):
        sync.start_sync_execution(stateMachineArn=standard)


def test_stop_execution(sfn, make_machine):
    waiting = {"StartAt": "State_1", "States": {"State_1": {"Type": "Wait", "Seconds": 3600, "End": True}}}
    arn = make_machine(waiting)
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    wait_done(sfn, execution, timeout=0.2)
    sfn.stop_execution(executionArn=execution, error="Halt", cause="by hand")
    described = sfn.describe_execution(executionArn=execution)
    assert (described["status"], described["error"], described["cause"]) == ("ABORTED", "Halt", "by hand")
    events = history(sfn, execution)
    assert [e["type"] for e in events] == ["ExecutionStarted", "WaitStateEntered", "ExecutionAborted"]
    assert events[-1] == {
        "type": "ExecutionAborted",
        "id": 3,
        "previousEventId": 0,
        "executionAbortedEventDetails": {"error": "Halt", "cause": "by hand"},
    }


def test_status_change_events_reach_eventbridge(sfn, make_machine, aws_client):
    events, sqs = aws_client("events"), aws_client("sqs")
    url = sqs.create_queue(QueueName=unique("sfn-events"))["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = make_machine(PASS_MACHINE)
    rule = unique("sfn-rule")
    pattern = {"source": ["aws.states"], "detail": {"stateMachineArn": [arn]}}
    events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    execution = sfn.start_execution(stateMachineArn=arn, name="evented")["executionArn"]
    wait_done(sfn, execution)
    got: list[dict] = []
    for _ in range(20):
        got += [
            json.loads(m["Body"])
            for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get(
                "Messages", []
            )
        ]
        if len(got) >= 2:
            break
    got.sort(key=lambda e: e["detail"]["status"] != "RUNNING")
    assert [e["detail"]["status"] for e in got] == ["RUNNING", "SUCCEEDED"]
    running, succeeded = got
    assert (
        running["detail-type"] == "Step Functions Execution Status Change"
        and running["source"] == "aws.states"
    )
    assert running["resources"] == [execution]
    assert running["detail"]["stopDate"] is None and running["detail"]["output"] is None
    assert running["detail"]["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven"
    assert json.loads(succeeded["detail"]["output"]) == {"Arg1": "argument1"}
    assert succeeded["detail"]["outputDetails"] == {"included": True}
    assert set(succeeded["detail"]) == set(running["detail"])
