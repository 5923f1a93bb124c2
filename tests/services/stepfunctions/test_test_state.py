"""TestState: one state run once, at each inspection level, with each status AWS answers
(``aws-reference/stepfunctions/v2/test_state``), on real Cloudlet resources or a mock, and
the errors bad requests get."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from .conftest import ROLE, python_function

CODE = """
def handler(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise Exception("Some exception was raised.")
    return "HelloWorld!"
"""

PASS = {"Type": "Pass", "End": True}
IO_RESULT_PASS = {
    "Type": "Pass",
    "InputPath": "$.initialData",
    "Parameters": {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"},
    "Result": {"resultKey": "result value"},
    "ResultPath": "$.modifiedData",
    "End": True,
}
IO_RESULT_INPUT = {
    "initialData": {"fieldFromInput": "value from input", "otherField": "other"},
    "unrelatedData": {"someOtherField": 1234},
}
FAIL = {
    "Type": "Fail",
    "Error": "SomeFailure",
    "Cause": "This state machines raises a 'SomeFailure' failure.",
}
CHOICE = {
    "Type": "Choice",
    "Choices": [
        {
            "And": [
                {"Variable": "$.value", "NumericGreaterThanEquals": 20},
                {"Variable": "$.value", "NumericLessThan": 30},
            ],
            "Next": "ValueInTwenties",
        }
    ],
    "Default": "DefaultState",
}
MOCK_TASK = {"QueryLanguage": "JSONata", "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Arguments": {"FunctionName": "foo", "Payload": "bar"}}  # fmt: skip
RETRY = {**MOCK_TASK, "Retry": [{"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5,
                                 "BackoffRate": 2.0}], "End": True}  # fmt: skip
CATCH = {
    **MOCK_TASK,
    "Catch": [
        {"ErrorEquals": ["MockException"], "Output": "{% $states %}", "Next": "HandleMockError"},
        {"ErrorEquals": ["States.TaskFailed"], "Output": "{% $states %}", "Next": "HandleThreshold"},
    ],
    "End": True,
}


def run(sfn, state: dict[str, Any], value: Any = None, level: str = "INFO", **kwargs: Any) -> dict[str, Any]:
    """TestState's answer with its JSON text fields parsed."""
    if value is not None:
        kwargs["input"] = json.dumps(value)
    out = sfn.test_state(definition=json.dumps(state), inspectionLevel=level, **kwargs)
    out.pop("ResponseMetadata")
    if "output" in out:
        out["output"] = json.loads(out["output"])
    for key, item in out.get("inspectionData", {}).items():
        if isinstance(item, str):
            out["inspectionData"][key] = json.loads(item)
    return out


def error_of(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


@pytest.fixture
def sfn(aws_client):
    """TestState's endpoint has the host prefix "sync-": local clients turn it off."""
    return aws_client("stepfunctions", config=Config(inject_host_prefix=False))


@pytest.fixture(scope="module")
def function(cloudlet) -> str:
    return python_function(cloudlet.endpoint, CODE, "ts")


# ---- the levels ---------------------------------------------------------------------------------


def test_pass_info(sfn):
    assert run(sfn, PASS, {"Value": "HelloWorld"}) == {
        "output": {"Value": "HelloWorld"},
        "status": "SUCCEEDED",
    }


@pytest.mark.parametrize("level", ["DEBUG", "TRACE"])
def test_pass_inspection(sfn, level):
    value = {"Value": "HelloWorld"}
    assert run(sfn, PASS, value, level) == {
        "inspectionData": {"afterInputPath": value, "afterParameters": value, "afterResultPath": value,
                           "afterResultSelector": value, "input": value},
        "output": value,
        "status": "SUCCEEDED",
    }  # fmt: skip


def test_pass_with_result_inspection(sfn):
    out = run(sfn, IO_RESULT_PASS, IO_RESULT_INPUT, "TRACE")
    expected = {**IO_RESULT_INPUT, "modifiedData": {"resultKey": "result value"}}
    assert out == {
        "inspectionData": {"afterResultPath": expected, "afterResultSelector": {"resultKey": "result value"},
                           "input": IO_RESULT_INPUT, "result": {"resultKey": "result value"}},
        "output": expected,
        "status": "SUCCEEDED",
    }  # fmt: skip


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
def test_fail_state(sfn, level):
    out = run(sfn, FAIL, {"Value": "HelloWorld"}, level)
    expected: dict[str, Any] = {"cause": FAIL["Cause"], "error": "SomeFailure", "status": "FAILED"}
    if level == "DEBUG":
        expected["inspectionData"] = {
            "afterInputPath": {"Value": "HelloWorld"},
            "input": {"Value": "HelloWorld"},
        }
    assert out == expected


def test_succeed_state(sfn):
    out = run(sfn, {"Type": "Succeed"}, {"a": 1}, "DEBUG")
    assert out == {"inspectionData": {"afterInputPath": {"a": 1}, "input": {"a": 1}}, "output": {"a": 1},
                   "status": "SUCCEEDED"}  # fmt: skip


def test_choice_gives_the_next_state(sfn):
    value = {"type": "Private", "value": 22}
    assert run(sfn, CHOICE, value, "TRACE") == {
        "inspectionData": {"afterInputPath": value, "input": value},
        "nextState": "ValueInTwenties",
        "output": value,
        "status": "SUCCEEDED",
    }
    assert run(sfn, CHOICE, {"value": 5})["nextState"] == "DefaultState"


def test_choice_without_a_match_fails(sfn):
    state = {k: v for k, v in CHOICE.items() if k != "Default"}
    out = run(sfn, state, {"value": 5})
    assert out["status"] == "FAILED"
    assert out["error"] == "States.NoChoiceMatched"


def test_wait_does_not_wait(sfn):
    out = run(sfn, {"Type": "Wait", "Seconds": 3600, "Next": "After"}, {"a": 1}, "DEBUG")
    assert out == {"inspectionData": {"afterInputPath": {"a": 1}, "input": {"a": 1}}, "nextState": "After",
                   "output": {"a": 1}, "status": "SUCCEEDED"}  # fmt: skip


def test_jsonata_pass_with_variables(sfn):
    state = {
        "QueryLanguage": "JSONata",
        "Type": "Pass",
        "Output": {"ja_var_access": "{% $var_input_value %}", "ja_expr": "{% $sum($states.input.input_values) + $var_constant_1 %}",
                   "ja_states_input": "{% $states.input %}", "name": "{% $states.context.State.Name %}"},
        "End": True,
    }  # fmt: skip
    variables = {"var_input_value": "test_value", "var_constant_1": 10}
    out = run(sfn, state, {"input_values": [1, 2, 3]}, "DEBUG", variables=json.dumps(variables))
    assert out == {
        "inspectionData": {"input": {"input_values": [1, 2, 3]}, "variables": variables},
        "output": {"ja_var_access": "test_value", "ja_expr": 16, "ja_states_input": {"input_values": [1, 2, 3]},
                   "name": "StateName"},
        "status": "SUCCEEDED",
    }  # fmt: skip


def test_context_object_of_the_test(sfn):
    state = {"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": True}
    ctx = run(sfn, state, {"a": 1}, roleArn=ROLE)["output"]["ctx"]
    assert ctx["Execution"]["Input"] == {"a": 1}
    assert ctx["Execution"]["RoleArn"] == ROLE
    assert ":express:" in ctx["Execution"]["Id"]
    assert ctx["State"]["Name"] == "StateName"
    assert ctx["StateMachine"]["Id"].split(":")[5] == "stateMachine"


def test_given_context_object(sfn):
    state = {"Type": "Pass", "Parameters": {"ctx.$": "$$"}, "End": True}
    given = {"Execution": {"Name": "execution-name-12345"}, "State": {"Name": "MyState"}}
    assert run(sfn, state, {}, context=json.dumps(given))["output"] == {"ctx": given}
    assert run(sfn, state, {}, context="{}")["output"] == {"ctx": {}}


# ---- tasks on real resources ------------------------------------------------------------------


@pytest.mark.parametrize("level", ["INFO", "DEBUG", "TRACE"])
def test_lambda_function_task(sfn, function, level):
    state = {"Type": "Task", "Resource": function, "End": True}
    out = run(sfn, state, {"inputData": "HelloWorld"}, level, roleArn=ROLE)
    expected: dict[str, Any] = {"output": "HelloWorld!", "status": "SUCCEEDED"}
    if level != "INFO":
        i = {"inputData": "HelloWorld"}
        expected["inspectionData"] = {"afterInputPath": i, "afterParameters": i, "afterResultPath": "HelloWorld!",
                                      "afterResultSelector": "HelloWorld!", "input": i, "result": "HelloWorld!"}  # fmt: skip
    assert out == expected


def test_lambda_invoke_task(sfn, function):
    state = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
             "Parameters": {"FunctionName": function, "Payload.$": "$"}, "ResultSelector": {"p.$": "$.Payload"},
             "Next": "After"}  # fmt: skip
    out = run(sfn, state, {"x": 1}, "DEBUG", roleArn=ROLE)
    assert out["status"] == "SUCCEEDED"
    assert out["nextState"] == "After"
    assert out["output"] == {"p": "HelloWorld!"}
    assert out["inspectionData"]["result"]["StatusCode"] == 200
    assert out["inspectionData"]["afterResultSelector"] == {"p": "HelloWorld!"}


def test_task_failure_caught_and_uncaught(sfn, function):
    state = {"Type": "Task", "Resource": function, "End": True}
    out = run(sfn, state, {"fail": True}, roleArn=ROLE)
    assert out["status"] == "FAILED"
    assert out["error"] == "Exception"
    caught = {**state, "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.err", "Next": "Handle"}]}
    out = run(sfn, caught, {"fail": True}, "DEBUG", roleArn=ROLE)
    assert out["status"] == "CAUGHT_ERROR"
    assert out["nextState"] == "Handle"
    assert out["output"]["err"]["Error"] == "Exception"
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_sqs_task(sfn, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"ts-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    state = {"Type": "Task", "Resource": "arn:aws:states:::sqs:sendMessage",
             "Parameters": {"QueueUrl": url, "MessageBody.$": "$.msg"}, "End": True}  # fmt: skip
    out = run(sfn, state, {"msg": "hello"}, roleArn=ROLE)
    assert out["status"] == "SUCCEEDED"
    assert "MessageId" in out["output"]
    messages = sqs.receive_message(QueueUrl=url)["Messages"]
    assert messages[0]["Body"] == "hello"


# ---- mocks, retries and catchers --------------------------------------------------------------


def test_mock_result(sfn):
    state = {**MOCK_TASK, "Output": "{% $states.result.Payload %}", "End": True}
    out = run(sfn, state, {}, "DEBUG", mock={"result": '{"Payload": {"ok": true}}'})
    assert out == {
        "inspectionData": {"afterArguments": {"FunctionName": "foo", "Payload": "bar"}, "input": {},
                           "result": {"Payload": {"ok": True}}},
        "output": {"ok": True},
        "status": "SUCCEEDED",
    }  # fmt: skip


@pytest.mark.parametrize("level", ["INFO", "TRACE"])
def test_mock_error_caught(sfn, level):
    mock = {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}}
    out = run(sfn, CATCH, {"Value": "HelloWorld"}, level, roleArn=ROLE, mock=mock)
    assert out["status"] == "CAUGHT_ERROR"
    assert out["error"] == "MockException"
    assert out["cause"] == "Mock the cause of the error."
    assert out["nextState"] == "HandleMockError"
    assert out["output"]["errorOutput"] == {"Error": "MockException", "Cause": "Mock the cause of the error."}
    assert out["output"]["context"]["State"] == {
        **out["output"]["context"]["State"],
        "Name": "StateName",
        "RetryCount": 0,
    }
    if level == "TRACE":
        assert out["inspectionData"] == {"afterArguments": {"FunctionName": "foo", "Payload": "bar"},
                                         "errorDetails": {"catchIndex": 0}, "input": {"Value": "HelloWorld"}}  # fmt: skip
    mock = {"errorOutput": {"error": "States.TaskFailed", "cause": "The task failed."}}
    assert run(sfn, CATCH, {}, level, mock=mock)["nextState"] == "HandleThreshold"


def test_retriable_then_failed(sfn):
    mock = {"errorOutput": {"error": "MockException", "cause": "Mock the cause of the error."}}
    out = run(sfn, RETRY, {"Values": [1]}, "TRACE", mock=mock, stateConfiguration={"retrierRetryCount": 4})
    assert out == {
        "cause": "Mock the cause of the error.",
        "error": "MockException",
        "inspectionData": {"afterArguments": {"FunctionName": "foo", "Payload": "bar"},
                           "errorDetails": {"retryBackoffIntervalSeconds": 16, "retryIndex": 0},
                           "input": {"Values": [1]}},
        "status": "RETRIABLE",
    }  # fmt: skip
    out = run(sfn, RETRY, {"Values": [1]}, "TRACE", mock=mock, stateConfiguration={"retrierRetryCount": 5})
    assert out["status"] == "FAILED"
    assert out["inspectionData"]["errorDetails"] == {"retryIndex": 0}


def test_parallel_with_mock(sfn):
    state = {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
        {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}},
    ]}  # fmt: skip
    assert run(sfn, state, {}, mock={"result": "[1, 2]"}) == {"output": [1, 2], "status": "SUCCEEDED"}
    code, message = error_of(lambda: run(sfn, state, {}, mock={"result": "[1]"}))
    assert (code, message) == (
        "ValidationException",
        "Mocked result must contain the same number of items as number of Parallel branches.",
    )
    code, message = error_of(lambda: run(sfn, state, {}, mock={"result": "{}"}))
    assert message == "Mocked result must be an array."
    code, message = error_of(lambda: run(sfn, state, {}))
    assert code == "InvalidDefinition"
    assert message.startswith("TestState API does not support Map or Parallel states.")


def test_map_with_mock_and_failures(sfn):
    state = {"Type": "Map", "ItemsPath": "$.Values", "ToleratedFailureCount": 1, "End": True,
             "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}}  # fmt: skip
    out = run(sfn, state, {"Values": [1, 2, 3]}, "DEBUG", mock={"result": "[1, 1, 1]"})
    assert out["status"] == "SUCCEEDED"
    assert out["inspectionData"]["afterItemsPath"] == [1, 2, 3]
    assert out["inspectionData"]["toleratedFailureCount"] == 1
    assert out["inspectionData"]["maxConcurrency"] == 0
    config = {"mapIterationFailureCount": 2}
    out = run(sfn, state, {"Values": [1, 2, 3]}, mock={"result": "[1, 1, 1]"}, stateConfiguration=config)
    assert out["status"] == "FAILED"
    assert out["error"] == "States.ExceedToleratedFailureThreshold"
    _, message = error_of(lambda: run(sfn, state, {}, mock={"result": "[1]"}, stateConfiguration=config))
    assert message == "Map iteration failure count must be less than or equal to the number of Map iterations"
    _, message = error_of(lambda: run(sfn, PASS, {}, stateConfiguration=config))
    assert message == "TestState does not support MapIterationFailureCount when a mock is not specified."


# ---- a state of a whole machine ---------------------------------------------------------------


def test_state_name_of_a_machine(sfn):
    machine = {"StartAt": "State0", "States": {"State0": {"Type": "Pass", "Next": "State1"}, "State1": FAIL}}
    out = run(sfn, machine, {"Value": "HelloWorld"}, stateName="State0")
    assert out == {"nextState": "State1", "output": {"Value": "HelloWorld"}, "status": "SUCCEEDED"}
    assert run(sfn, machine, {}, stateName="State1")["status"] == "FAILED"
    assert error_of(lambda: run(sfn, machine, {}, stateName="Nope")) == (
        "ValidationException",
        "State not found in definition",
    )
    with pytest.raises(ParamValidationError):
        run(sfn, machine, {}, stateName="")
    bad = {"StartAt": "S", "States": {"S": PASS, "ExistingButInvalidState": {"Type": "Invalid", "End": True}}}
    code, message = error_of(lambda: run(sfn, bad, {}, stateName="S"))
    assert code == "InvalidDefinition"
    assert "/States/ExistingButInvalidState/Type" in message


# ---- bad requests ------------------------------------------------------------------------------


def test_task_without_role(sfn, function):
    state = {"Type": "Task", "Resource": function, "End": True}
    assert error_of(lambda: run(sfn, state, {})) == (
        "ValidationException",
        "RoleArn must be specified when testing a Task state",
    )


@pytest.mark.parametrize("kind", ["Pass", "Fail", "Succeed"])
def test_mock_on_a_state_without_a_resource(sfn, kind):
    assert error_of(lambda: run(sfn, {"Type": kind, "End": True} if kind == "Pass" else {"Type": kind}, {},
                                mock={"result": "{}"})) == (
        "ValidationException", f"State type '{kind}' is not supported when a mock is specified")  # fmt: skip


def test_bad_mocks(sfn):
    both = {"result": "{}", "errorOutput": {"error": "E"}}
    assert error_of(lambda: run(sfn, RETRY, {}, mock=both))[1] == (
        "A test mock should have only one of the following fields: [result, errorOutput]."
    )
    assert (
        error_of(lambda: run(sfn, RETRY, {}, mock={"result": "{nope"}))[1]
        == "Mocked result must be valid JSON"
    )
    assert error_of(lambda: run(sfn, RETRY, {}, mock={"result": "{}"}, revealSecrets=True))[1] == (
        "TestState does not support RevealSecrets when a mock is specified."
    )


def test_bad_definitions(sfn):
    code, message = error_of(lambda: sfn.test_state(definition='{"Type": "Nope", "End": true}'))
    assert code == "InvalidDefinition"
    assert "/States/StateName/Type" in message
    code, _ = error_of(lambda: sfn.test_state(definition="{not json"))
    assert code == "InvalidDefinition"
    state = {"Type": "Parallel", "Branches": [], "End": True}
    assert error_of(lambda: run(sfn, state, {}, mock={"result": "[]"})) == (
        "InvalidDefinition",
        "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/StateName/Branches'",
    )


def test_bad_context_objects(sfn):
    def message(context: dict[str, Any], state: dict[str, Any] = PASS) -> str:
        return error_of(lambda: run(sfn, state, {}, context=json.dumps(context)))[1]

    prefix = "Invalid Context object provided: "
    assert message({"Execution": {"Id": 1}}) == prefix + "Execution.Id must be a string"
    assert message({"Map": {}}) == prefix + "'Map' field is not supported when mocking a Context object"
    assert message({"Execution": {"pokemon": 1}}) == prefix + "Field 'pokemon' is not allowed"
    assert message({"Pokedex": {}}) == prefix + "Field 'Pokedex' is not allowed"
    assert message({"Task": {"Token": "t"}}).startswith(prefix + "Context object contains 'Task'")


def test_bad_input_and_variables(sfn):
    assert (
        error_of(lambda: sfn.test_state(definition=json.dumps(PASS), input="{bad"))[0]
        == "InvalidExecutionInput"
    )
    assert (
        error_of(lambda: sfn.test_state(definition=json.dumps(PASS), variables="[1]"))[0]
        == "ValidationException"
    )


def test_parallel_inspection_as_recorded(sfn):
    state = {"Type": "Parallel", "InputPath": "$.parallelInput", "ResultPath": "$.parallelResult", "End": True,
             "Branches": [{"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": True}}},
                          {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": True}}}]}  # fmt: skip
    value = {"parallelInput": {"data": "input_value"}}
    mocked = [{"branch1": "result"}, {"branch2": "result"}]
    out = run(sfn, state, value, "DEBUG", mock={"result": json.dumps(mocked)})
    expected = {**value, "parallelResult": mocked}
    assert out == {
        "inspectionData": {"afterResultPath": expected, "afterResultSelector": mocked, "input": value},
        "output": expected,
        "status": "SUCCEEDED",
    }


def test_map_threshold_retried_and_caught(sfn):
    state = {"Type": "Map", "ItemsPath": "$.Values", "ToleratedFailureCount": 1, "End": True,
             "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
             "Retry": [{"ErrorEquals": ["Nope"]}, {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"]}],
             "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "HandleThreshold"}]}  # fmt: skip
    config = {"mapIterationFailureCount": 2}
    value, mock = {"Values": ["first", "second", "third"]}, {"result": "[1, 1, 1]"}
    out = run(sfn, state, value, "TRACE", mock=mock, stateConfiguration=config)
    assert out["status"] == "RETRIABLE"
    assert out["cause"] == "The specified tolerated failure threshold was exceeded"
    assert out["inspectionData"]["errorDetails"] == {"retryBackoffIntervalSeconds": 1, "retryIndex": 1}
    config["retrierRetryCount"] = 3
    out = run(sfn, state, value, "TRACE", mock=mock, stateConfiguration=config)
    assert out["status"] == "CAUGHT_ERROR"
    assert out["nextState"] == "HandleThreshold"
    assert out["inspectionData"]["errorDetails"] == {"catchIndex": 0, "retryIndex": 1}


def test_jsonata_map_inspection(sfn):
    state = {"QueryLanguage": "JSONata", "Type": "Map", "Items": "{% $states.input.Values %}", "MaxConcurrency": 1,
             "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, "End": True}  # fmt: skip
    out = run(sfn, state, {"Values": [1, 2, 3]}, "DEBUG", mock={"result": "[1, 1, 1]"})
    assert out == {"inspectionData": {"input": {"Values": [1, 2, 3]}, "maxConcurrency": 1}, "output": [1, 1, 1],
                   "status": "SUCCEEDED"}  # fmt: skip


def test_state_nested_in_a_map(sfn):
    machine = {"StartAt": "M", "States": {"M": {"Type": "Map", "ItemsPath": "$.Values", "End": True,
               "ItemProcessor": {"StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "End": True}}}}}}  # fmt: skip
    value = {"Value": "HelloWorld"}
    out = run(sfn, machine, value, "TRACE", stateName="HandleItem")
    assert out == {
        "inspectionData": {"afterInputPath": value, "afterParameters": value, "afterResultPath": value,
                           "afterResultSelector": value, "input": value},
        "output": value,
        "status": "SUCCEEDED",
    }  # fmt: skip


# ---- mocked results checked against the API (fieldValidationMode) ----------------------------

PUT_EVENTS = {"Type": "Task", "Resource": "arn:aws:states:::events:putEvents", "End": True}
START = {"Type": "Task", "Resource": "arn:aws:states:::states:startExecution", "End": True}


def mock_error(sfn, state: dict[str, Any], result: Any, mode: str | None = None) -> str:
    mock: dict[str, Any] = {"result": json.dumps(result)}
    if mode:
        mock["fieldValidationMode"] = mode
    code, message = error_of(lambda: run(sfn, state, {}, mock=mock))
    assert code == "ValidationException"
    return message.removeprefix("Mock result schema validation error: ")


@pytest.mark.parametrize("mode", [None, "STRICT", "PRESENT"])
def test_mock_result_types(sfn, mode):
    assert mock_error(sfn, PUT_EVENTS, {"Entries": "x"}, mode) == "Field 'Entries' must be an array"
    assert mock_error(sfn, PUT_EVENTS, {"Entries": [{"EventId": "a"}, {"EventId": 1}]}, mode) == (
        "Field 'EventId' must be a string"
    )
    assert (
        mock_error(sfn, START, {"ExecutionArn": "a", "StartDate": True}, mode)
        == "Field 'StartDate' must be a string"
    )
    s3 = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject", "End": True}
    assert mock_error(sfn, s3, {"ContentLength": "1"}, mode) == "Field 'ContentLength' must be a number"
    assert (
        mock_error(sfn, s3, {"StorageClass": "NOPE"}, mode) == "Field 'StorageClass' is not an expected value"
    )
    kms = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:kms:encrypt", "End": True}
    assert (
        mock_error(sfn, kms, {"CiphertextBlob": ""}, mode)
        == "Field 'CiphertextBlob' is smaller than the minimum length"
    )
    fn = {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:lambda:getFunction", "End": True}
    assert mock_error(sfn, fn, {"Configuration": {"MemorySize": 1}}, mode) == (
        "Field 'MemorySize' is less than the minimum value"
    )
    assert mock_error(sfn, fn, {"Configuration": {"MemorySize": 10**6}}, mode) == (
        "Field 'MemorySize' exceeds the maximum value"
    )
    out = run(
        sfn,
        PUT_EVENTS,
        {},
        mock={"result": '{"random": "json"}', **({"fieldValidationMode": mode} if mode else {})},
    )
    assert out == {"output": {"random": "json"}, "status": "SUCCEEDED"}


def test_mock_required_fields_by_mode(sfn):
    assert mock_error(sfn, START, {}) == "Required field 'ExecutionArn' is missing"
    assert mock_error(sfn, START, {"executionArn": "a", "startDate": "b"}, "STRICT") == (
        "Required field 'ExecutionArn' is missing"
    )
    for mode in ("PRESENT", "NONE"):
        out = run(sfn, START, {}, mock={"result": "{}", "fieldValidationMode": mode})
        assert out == {"output": {}, "status": "SUCCEEDED"}
    out = run(sfn, START, {}, mock={"result": '{"StartDate": true}', "fieldValidationMode": "NONE"})
    assert out["output"] == {"StartDate": True}
