"""Mocked service integrations (engine/mocks.py): executions started on ``arn#TestCase`` take
their Task results from the mock configuration file (Step Functions Local's format).

The module runs its own server, its ``sfn_mock_config`` setting pointing at a file each test
rewrites (the file is read again at each execution start).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config as ClientConfig
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.services.stepfunctions.engine.mocks import ENV_VARIABLE, Mocks, split_test_case
from cloudlet.testing.server import ServerThread, free_port

from .conftest import ACCOUNT, REGION, history, unique, wait_done

LAMBDA_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:charge-card"


@pytest.fixture(scope="module")
def mock_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sfn-mocks") / "MockConfigFile.json"
    path.write_text("{}")
    return path


@pytest.fixture(scope="module")
def cloudlet(mock_file: Path) -> Iterator[ServerThread]:
    """This module's server: the mock configuration set through the setting."""
    config = Config(port=free_port(), in_memory=True, log_level="warning", sfn_mock_config=str(mock_file))
    server = ServerThread(config).start()
    try:
        yield server
    finally:
        server.stop()


def write(path: Path, config: dict[str, Any] | str) -> None:
    path.write_text(config if isinstance(config, str) else json.dumps(config))


def types(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"] for e in events]


def lambda_result(payload: Any) -> dict[str, Any]:
    return {"ExecutedVersion": "$LATEST", "Payload": payload, "StatusCode": 200}


def saga(name_suffix: str = "") -> dict[str, Any]:
    """Reserve (lambda:invoke, retried), Charge (a Lambda ARN, caught), Refund on failure."""
    return {
        "StartAt": "Reserve",
        "States": {
            "Reserve": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "reserve-stock", "Payload.$": "$"},
                "ResultSelector": {"reservation.$": "$.Payload.id"},
                "ResultPath": "$.reserve",
                "Retry": [
                    {
                        "ErrorEquals": ["Lambda.TooManyRequestsException"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 2,
                    }
                ],
                "Next": "Charge",
            },
            "Charge": {
                "Type": "Task",
                "Resource": LAMBDA_ARN,
                "ResultPath": "$.charge",
                "Catch": [{"ErrorEquals": ["PaymentDeclined"], "ResultPath": "$.error", "Next": "Refund"}],
                "End": True,
            },
            "Refund": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "release-stock", "Payload.$": "$.reserve"},
                "ResultPath": None,
                "Next": "SagaFailed",
            },
            "SagaFailed": {"Type": "Fail", "Error": "OrderFailed", "Cause": "payment declined"},
        },
    }


def saga_config(machine: str) -> dict[str, Any]:
    return {
        "StateMachines": {
            machine: {
                "TestCases": {
                    "HappyPath": {"Reserve": "ReserveThrottledOnce", "Charge": "ChargeOk"},
                    "Declined": {"Reserve": "ReserveOk", "Charge": "ChargeDeclined", "Refund": "RefundOk"},
                    "NotEnoughResponses": {"Reserve": "ReserveAlwaysThrottled"},
                }
            }
        },
        "MockedResponses": {
            "ReserveThrottledOnce": {
                "0": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate exceeded"}},
                "1": {"Return": lambda_result({"id": "r-1"})},
            },
            "ReserveOk": {"0": {"Return": lambda_result({"id": "r-2"})}},
            "ReserveAlwaysThrottled": {
                "0-2": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "Rate exceeded"}}
            },
            "ChargeOk": {"0": {"Return": {"charged": 42}}},
            "ChargeDeclined": {"0": {"Throw": {"Error": "PaymentDeclined", "Cause": "card expired"}}},
            "RefundOk": {"0": {"Return": lambda_result(None)}},
        },
    }


def run_to_end(sfn, cloudlet, execution: str) -> dict[str, Any]:
    for _ in range(4):  # retries wait on the service clock
        described = wait_done(sfn, execution, timeout=0.3)
        if described["status"] != "RUNNING":
            return described
        cloudlet.advance_clock(2)
    return wait_done(sfn, execution)


# ---- the seed workflow -----------------------------------------------------------------------


def test_saga_happy_path_throw_then_return_across_retries(sfn, make_machine, cloudlet, mock_file):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, saga_config(name))
    started = sfn.start_execution(stateMachineArn=f"{arn}#HappyPath", name="happy", input='{"order": 7}')
    execution = started["executionArn"]
    # as Step Functions Local answers: the execution of the machine itself, no test case in it
    assert execution == f"arn:aws:states:{REGION}:{ACCOUNT}:execution:{name}:happy"
    described = run_to_end(sfn, cloudlet, execution)
    assert described["status"] == "SUCCEEDED", described
    assert described["stateMachineArn"] == arn
    assert json.loads(described["output"]) == {
        "order": 7,
        "reserve": {"reservation": "r-1"},  # ResultSelector and ResultPath applied to the Return
        "charge": {"charged": 42},
    }
    events = history(sfn, execution)
    assert types(events) == [
        "ExecutionStarted",
        "TaskStateEntered",
        "TaskScheduled",
        "TaskStarted",
        "TaskFailed",
        "TaskScheduled",
        "TaskStarted",
        "TaskSucceeded",
        "TaskStateExited",
        "TaskStateEntered",
        "LambdaFunctionScheduled",
        "LambdaFunctionStarted",
        "LambdaFunctionSucceeded",
        "TaskStateExited",
        "ExecutionSucceeded",
    ]
    assert events[2]["taskScheduledEventDetails"] == {
        "resource": "invoke",
        "resourceType": "lambda",
        "region": REGION,
        "parameters": {"FunctionName": "reserve-stock", "Payload": {"order": 7}},
    }
    assert events[3]["taskStartedEventDetails"] == {"resource": "invoke", "resourceType": "lambda"}
    assert events[4]["taskFailedEventDetails"] == {
        "resource": "invoke",
        "resourceType": "lambda",
        "error": "Lambda.TooManyRequestsException",
        "cause": "Rate exceeded",
    }
    assert events[7]["taskSucceededEventDetails"]["output"] == lambda_result({"id": "r-1"})
    assert events[10]["lambdaFunctionScheduledEventDetails"] == {
        "resource": LAMBDA_ARN,
        "input": {"order": 7, "reserve": {"reservation": "r-1"}},
        "inputDetails": {"truncated": False},
    }
    assert events[12]["lambdaFunctionSucceededEventDetails"]["output"] == {"charged": 42}


def test_saga_catch_path(sfn, make_machine, cloudlet, mock_file):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, saga_config(name))
    execution = sfn.start_execution(stateMachineArn=f"{arn}#Declined", input='{"order": 8}')["executionArn"]
    described = run_to_end(sfn, cloudlet, execution)
    assert described["status"] == "FAILED"
    assert (described["error"], described["cause"]) == ("OrderFailed", "payment declined")
    events = history(sfn, execution)
    assert "LambdaFunctionFailed" in types(events)
    failed = next(e for e in events if e["type"] == "LambdaFunctionFailed")
    assert failed["lambdaFunctionFailedEventDetails"] == {"error": "PaymentDeclined", "cause": "card expired"}
    refund = [e for e in events if e["type"] == "TaskScheduled"][-1]["taskScheduledEventDetails"]
    assert refund["parameters"] == {"FunctionName": "release-stock", "Payload": {"reservation": "r-2"}}
    entered = [e["stateEnteredEventDetails"]["name"] for e in events if e["type"].endswith("StateEntered")]
    assert entered == ["Reserve", "Charge", "Refund", "SagaFailed"]
    refund_input = next(
        e
        for e in events
        if e["type"] == "TaskStateEntered" and e["stateEnteredEventDetails"]["name"] == "Refund"
    )["stateEnteredEventDetails"]["input"]
    assert refund_input["error"] == {"Error": "PaymentDeclined", "Cause": "card expired"}


def test_an_invocation_without_a_response_fails_the_execution(sfn, make_machine, cloudlet, mock_file):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, saga_config(name))
    execution = sfn.start_execution(stateMachineArn=f"{arn}#NotEnoughResponses")["executionArn"]
    described = run_to_end(sfn, cloudlet, execution)
    # invocations 0-2 throw (the first try and two retries); the Retry is then exhausted
    assert described["status"] == "FAILED"
    assert described["error"] == "Lambda.TooManyRequestsException"
    # one more retry than responses: States.Runtime, which no Retry or Catch handles
    machine = saga()
    machine["States"]["Reserve"]["Retry"][0]["MaxAttempts"] = 5
    name2 = unique("saga")
    arn2 = make_machine(machine, name=name2)
    write(mock_file, saga_config(name2))
    execution = sfn.start_execution(stateMachineArn=f"{arn2}#NotEnoughResponses")["executionArn"]
    described = run_to_end(sfn, cloudlet, execution)
    assert described["status"] == "FAILED"
    assert described["error"] == "States.Runtime"
    assert "ReserveAlwaysThrottled" in described["cause"] and "invocation 3" in described["cause"]
    assert types(history(sfn, execution)).count("TaskFailed") == 3


def test_without_the_suffix_tasks_run_for_real(sfn, make_machine, mock_file):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, saga_config(name))
    execution = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "FAILED"  # no function reserve-stock: the real call fails
    assert described["error"].startswith("Lambda.")


def test_tasks_not_in_the_test_case_run_for_real(sfn, make_machine, mock_file, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=unique("mocks-hybrid"))["QueueUrl"]
    machine = {
        "StartAt": "Lookup",
        "States": {
            "Lookup": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "no-such-table", "Key": {"id": {"S": "1"}}},
                "ResultSelector": {"name.$": "$.Item.name.S"},
                "Next": "Notify",
            },
            "Notify": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Parameters": {"QueueUrl": url, "MessageBody.$": "$.name"},
                "End": True,
            },
        },
    }
    name = unique("hybrid")
    arn = make_machine(machine, name=name)
    write(
        mock_file,
        {
            "StateMachines": {name: {"TestCases": {"HybridPath": {"Lookup": "Found"}}}},
            "MockedResponses": {"Found": {"0": {"Return": {"Item": {"name": {"S": "Ada"}}}}}},
        },
    )
    execution = sfn.start_execution(stateMachineArn=f"{arn}#HybridPath")["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert "MessageId" in json.loads(described["output"])
    messages = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in messages] == ["Ada"]


def test_wait_for_task_token_mocked_answers_at_once(sfn, make_machine, mock_file):
    machine = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": "https://sqs.us-east-1.amazonaws.com/000000000000/nowhere",
                    "MessageBody": {"TaskToken.$": "$$.Task.Token"},
                },
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}],
                "End": True,
            },
            "Caught": {"Type": "Pass", "End": True},
        },
    }
    name = unique("callback")
    arn = make_machine(machine, name=name)
    write(
        mock_file,
        {
            "StateMachines": {
                name: {"TestCases": {"Approved": {"Ask": "Approved"}, "Refused": {"Ask": "Refused"}}}
            },
            "MockedResponses": {
                "Approved": {"0": {"Return": "string-literal"}},
                "Refused": {"0": {"Throw": {"Error": "Failure error", "Cause": "Failure cause"}}},
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=f"{arn}#Approved", input="{}")["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED" and json.loads(described["output"]) == "string-literal"
    events = history(sfn, execution)
    # the recorded sequence (test_sqs_wait_for_task_token)
    assert types(events)[2:6] == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert events[5]["taskSucceededEventDetails"]["resource"] == "sendMessage.waitForTaskToken"
    assert events[5]["taskSucceededEventDetails"]["resourceType"] == "sqs"
    execution = sfn.start_execution(stateMachineArn=f"{arn}#Refused", input="{}")["executionArn"]
    described = wait_done(sfn, execution)
    # as recorded (test_sqs_wait_for_task_token_task_failure): caught, the error in the output
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"]) == {"error": {"Error": "Failure error", "Cause": "Failure cause"}}
    events = history(sfn, execution)
    assert types(events)[2:7] == [
        "TaskScheduled",
        "TaskStarted",
        "TaskSubmitted",
        "TaskFailed",
        "TaskStateExited",
    ]
    assert events[5]["taskFailedEventDetails"] == {
        "resource": "sendMessage.waitForTaskToken",
        "resourceType": "sqs",
        "error": "Failure error",
        "cause": "Failure cause",
    }


def test_loop_invocations_are_counted_per_state(sfn, make_machine, mock_file):
    # the recording test_numbered_mock_responses_multiple_success_invocations
    machine = {
        "StartAt": "LambdaState",
        "States": {
            "LambdaState": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": "poll", "Payload.$": "$"},
                "Next": "CheckCompleted",
            },
            "CheckCompleted": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.Payload.status", "StringEquals": "completed", "Next": "Finish"}],
                "Default": "LambdaState",
            },
            "Finish": {"Type": "Succeed"},
        },
    }
    name = unique("poll")
    arn = make_machine(machine, name=name)
    write(
        mock_file,
        {
            "StateMachines": {name: {"TestCases": {"Poll": {"LambdaState": "Statuses"}}}},
            "MockedResponses": {
                "Statuses": {
                    "0": {"Return": lambda_result({"status": "running"})},
                    "1": {"Return": lambda_result({"status": "completed"})},
                }
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=f"{arn}#Poll")["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["Payload"] == {"status": "completed"}
    events = history(sfn, execution)
    assert types(events).count("TaskSucceeded") == 2
    scheduled = [e["taskScheduledEventDetails"]["parameters"] for e in events if e["type"] == "TaskScheduled"]
    assert scheduled[1]["Payload"]["Payload"] == {"status": "running"}


def test_express_sync_and_async_executions_are_mocked(sfn, make_machine, mock_file, aws_client):
    sync = aws_client("stepfunctions", config=ClientConfig(inject_host_prefix=False))
    machine = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"},
                "End": True,
            }
        },
    }
    name = unique("express")
    arn = make_machine(machine, name=name, type="EXPRESS")
    write(
        mock_file,
        {
            "StateMachines": {name: {"TestCases": {"Base": {"Start": "Invoked"}}}},
            "MockedResponses": {"Invoked": {"0": {"Return": lambda_result({"body": "string body"})}}},
        },
    )
    given = {"FunctionName": "lambda_function_name", "Payload": {"body": "string body"}}
    answer = sync.start_sync_execution(stateMachineArn=f"{arn}#Base", input=json.dumps(given))
    assert answer["status"] == "SUCCEEDED", answer
    assert answer["stateMachineArn"] == arn
    assert answer["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:{name}:")
    assert json.loads(answer["output"]) == lambda_result({"body": "string body"})
    started = sfn.start_execution(stateMachineArn=f"{arn}#Base", input=json.dumps(given))
    assert started["executionArn"].startswith(f"arn:aws:states:{REGION}:{ACCOUNT}:express:{name}:")


# ---- bad input -------------------------------------------------------------------------------


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str]:
    return exc.value.response["Error"]["Code"], exc.value.response["Error"]["Message"]


def test_unknown_test_case_or_machine_is_refused(sfn, make_machine, mock_file, aws_client):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, saga_config(name))
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=f"{arn}#NoSuchCase")
    code, message = error_of(exc)
    assert code == "StateMachineDoesNotExist" and "NoSuchCase" in message
    other = make_machine(saga())
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=f"{other}#HappyPath")
    assert error_of(exc)[0] == "StateMachineDoesNotExist"
    with pytest.raises(ClientError) as exc:  # the machine is looked up first
        sfn.start_execution(stateMachineArn=f"{arn}-gone#HappyPath")
    assert error_of(exc) == ("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}-gone'")
    with pytest.raises(ClientError) as exc:
        aws_client("stepfunctions", config=ClientConfig(inject_host_prefix=False)).start_sync_execution(
            stateMachineArn=f"{arn}#HappyPath"
        )  # a Standard machine
    assert error_of(exc)[0] == "StateMachineTypeNotSupported"
    assert sfn.list_executions(stateMachineArn=arn)["executions"] == []


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        ("{not json", "is not valid JSON"),
        ("[]", "must be a JSON object"),
        ({"StateMachines": {}, "Extra": 1}, "unknown top-level field 'Extra'"),
        ({"StateMachines": {"M": {"Cases": {}}}}, "StateMachines.M must have exactly one field, TestCases"),
        ({"StateMachines": {"M": {"TestCases": {"T": {"S": 1}}}}}, "must name a mocked response"),
        ({"MockedResponses": {"R": {"first": {"Return": 1}}}}, "an invocation key is a number or a range"),
        ({"MockedResponses": {"R": {"2-1": {"Return": 1}}}}, "the range's end is before its start"),
        (
            {"MockedResponses": {"R": {"0-2": {"Return": 1}, "2": {"Return": 2}}}},
            "invocation 2 has two responses",
        ),
        ({"MockedResponses": {"R": {"0": {"Return": 1, "Throw": {}}}}}, "exactly one field, Return or Throw"),
        ({"MockedResponses": {"R": {"0": {"Throw": {"Cause": "c"}}}}}, "a string Error and a string Cause"),
    ],
)
def test_malformed_configuration_is_refused(sfn, make_machine, mock_file, config, problem):
    arn = make_machine(saga())
    write(mock_file, config)
    with pytest.raises(ClientError) as exc:
        sfn.start_execution(stateMachineArn=f"{arn}#HappyPath")
    code, message = error_of(exc)
    assert code == "ValidationException"
    assert problem in message and str(mock_file) in message


def test_configuration_is_read_again_when_it_changes(sfn, make_machine, mock_file):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, "{broken")
    with pytest.raises(ClientError):
        sfn.start_execution(stateMachineArn=f"{arn}#Declined")
    write(mock_file, saga_config(name))
    execution = sfn.start_execution(stateMachineArn=f"{arn}#Declined")["executionArn"]
    assert wait_done(sfn, execution)["error"] == "OrderFailed"


def test_unknown_mocked_response_fails_when_used(sfn, make_machine, mock_file):
    name = unique("saga")
    arn = make_machine(saga(), name=name)
    write(mock_file, {"StateMachines": {name: {"TestCases": {"T": {"Reserve": "Missing"}}}}})
    execution = sfn.start_execution(stateMachineArn=f"{arn}#T")["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"
    assert "'Missing'" in described["cause"]


def test_activity_states_cannot_be_mocked(sfn, make_machine, mock_file):
    activity = sfn.create_activity(name=unique("act"))["activityArn"]
    name = unique("activity")
    arn = make_machine(
        {"StartAt": "Work", "States": {"Work": {"Type": "Task", "Resource": activity, "End": True}}},
        name=name,
    )
    write(
        mock_file,
        {
            "StateMachines": {name: {"TestCases": {"T": {"Work": "Done"}}}},
            "MockedResponses": {"Done": {"0": {"Return": {}}}},
        },
    )
    described = wait_done(sfn, sfn.start_execution(stateMachineArn=f"{arn}#T")["executionArn"])
    assert described["status"] == "FAILED" and described["error"] == "States.Runtime"
    assert described["cause"].startswith("Activity state cannot be mocked.")


def test_no_configuration_file(tmp_path, monkeypatch):
    mocks = Mocks("")
    monkeypatch.delenv(ENV_VARIABLE, raising=False)
    assert mocks.test_case("M", None) is None  # no suffix: no configuration needed
    with pytest.raises(Exception, match="No mock configuration file is set"):
        mocks.test_case("M", "T")
    with pytest.raises(Exception, match="Cannot read the mock configuration file"):
        Mocks(str(tmp_path / "missing.json")).test_case("M", "T")
    path = tmp_path / "env.json"
    path.write_text(json.dumps({"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}}}))
    monkeypatch.setenv(ENV_VARIABLE, str(path))  # Step Functions Local's variable
    case = Mocks("").test_case("M", "T")
    assert case is not None and case.states == {"S": "R"}
    assert Config.from_env({"CLOUDLET_SFN_MOCK_CONFIG": "/x.json"}).sfn_mock_config == "/x.json"
    assert split_test_case("arn:aws:states:us-east-1:1:stateMachine:M#T") == (
        "arn:aws:states:us-east-1:1:stateMachine:M",
        "T",
    )
    assert split_test_case("arn:aws:states:us-east-1:1:stateMachine:M") == (
        "arn:aws:states:us-east-1:1:stateMachine:M",
        None,
    )


# ---- the recordings ----------------------------------------------------------------------------

REFERENCE = Path("/work/shared/aws-reference/stepfunctions")


def recorded_events(test: str) -> list[dict[str, Any]]:
    data = json.loads((REFERENCE / "v2/local_mocking/test_base_scenarios.snapshot.json").read_text())
    content = data[next(k for k in data if k.endswith(f"::{test}"))]["recorded-content"]
    return content["get_execution_history"]["events"]


def as_recorded(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our history with the recording's placeholders."""
    for event in events:
        if "executionStartedEventDetails" in event:
            event["executionStartedEventDetails"]["roleArn"] = "snf_role_arn"
        if "taskScheduledEventDetails" in event:
            event["taskScheduledEventDetails"]["region"] = "<region>"
    return events


def test_recorded_lambda_service_invoke(sfn, make_machine, mock_file):
    expected = recorded_events("test_lambda_service_invoke")
    machine = {
        "StartAt": "Start",
        "States": {
            "Start": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"},
                "Next": "EndWithFinal",
            },
            "EndWithFinal": {"Type": "Pass", "ResultPath": "$.final", "End": True},
        },
    }
    name = unique("recorded")
    arn = make_machine(machine, name=name)
    answer = expected[4]["taskSucceededEventDetails"]["output"]  # the recorded Invoke answer
    write(
        mock_file,
        {
            "StateMachines": {name: {"TestCases": {"BaseScenario": {"Start": "Invoked"}}}},
            "MockedResponses": {"Invoked": {"0": {"Return": answer}}},
        },
    )
    given = expected[0]["executionStartedEventDetails"]["input"]
    execution = sfn.start_execution(stateMachineArn=f"{arn}#BaseScenario", input=json.dumps(given))[
        "executionArn"
    ]
    assert wait_done(sfn, execution)["status"] == "SUCCEEDED"
    recorded = [{k: v for k, v in e.items() if k != "timestamp"} for e in expected]
    assert as_recorded(history(sfn, execution)) == recorded


def test_docs_retry_path_on_the_recorded_template(sfn, make_machine, cloudlet, mock_file):
    # templates/local_mocked/statemachines/lambda_sqs_integration.json5 with the AWS guide's
    # RetryPath test case: three failures ("0", "1-2") and a success ("3") over four retries
    text = (REFERENCE / "templates/local_mocked/statemachines/lambda_sqs_integration.json5").read_text()
    definition = json.loads(
        "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    )
    name = unique("LambdaSQSIntegration")
    arn = make_machine(definition, name=name)
    success = {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}
    write(
        mock_file,
        {
            "StateMachines": {
                name: {
                    "TestCases": {
                        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
                    }
                }
            },
            "MockedResponses": {
                "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb", "MessageId": "3bcb-8b51"}}},
                "MockedLambdaRetry": {
                    "0": {
                        "Throw": {
                            "Error": "Lambda.ResourceNotReadyException",
                            "Cause": "Lambda resource is not ready.",
                        }
                    },
                    "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
                    "3": {"Return": success},
                },
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=f"{arn}#RetryPath", input="{}")["executionArn"]
    for _ in range(10):
        if wait_done(sfn, execution, timeout=0.3)["status"] != "RUNNING":
            break
        cloudlet.advance_clock(10)
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {"MD5OfMessageBody": "3bcb", "MessageId": "3bcb-8b51"}
    events = history(sfn, execution)
    failures = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failures == [
        "Lambda.ResourceNotReadyException",
        "Lambda.TimeoutException",
        "Lambda.TimeoutException",
    ]
    sqs_input = [e for e in events if e["type"] == "TaskScheduled"][-1]["taskScheduledEventDetails"]
    assert sqs_input["parameters"]["MessageBody"] == success
    assert sqs_input["resourceType"] == "sqs"


def test_map_iterations_and_parallel_branches_are_mocked(sfn, make_machine, mock_file):
    invoke = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "f", "Payload.$": "$"},
        "OutputPath": "$.Payload",
        "End": True,
    }
    machine = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "MaxConcurrency": 1,
                "ItemProcessor": {"StartAt": "Item", "States": {"Item": invoke}},
                "Next": "Both",
            },
            "Both": {
                "Type": "Parallel",
                "Branches": [
                    {"StartAt": "Branch1", "States": {"Branch1": invoke}},
                    {"StartAt": "Branch2", "States": {"Branch2": invoke}},
                ],
                "End": True,
            },
        },
    }
    name = unique("fanout")
    arn = make_machine(machine, name=name)
    write(
        mock_file,
        {
            "StateMachines": {
                name: {"TestCases": {"T": {"Item": "Items", "Branch1": "One", "Branch2": "Two"}}}
            },
            "MockedResponses": {
                "Items": {"0": {"Return": lambda_result("first")}, "1-2": {"Return": lambda_result("later")}},
                "One": {"0": {"Return": lambda_result(1)}},
                "Two": {"0": {"Return": lambda_result(2)}},
            },
        },
    )
    execution = sfn.start_execution(stateMachineArn=f"{arn}#T", input="[1, 2, 3]")["executionArn"]
    described = wait_done(sfn, execution)
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == [1, 2]
    events = history(sfn, execution)
    outputs = [
        e["taskSucceededEventDetails"]["output"]["Payload"] for e in events if e["type"] == "TaskSucceeded"
    ]
    assert outputs[:3] == ["first", "later", "later"]
    assert sorted(outputs[3:]) == [1, 2]
