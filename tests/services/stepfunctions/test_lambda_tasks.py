"""Task states that call Lambda functions: a function ARN and ``lambda:invoke``, success and
a raised exception caught, with the history AWS recorded for each
(``aws-reference/stepfunctions/v2/services/test_lambda_task*``, ``error_handling/test_task_lambda``)."""

from __future__ import annotations

import json

import pytest

from .conftest import history, python_function, wait_done

CODE = """
def handler(event, context):
    if event.get("fail"):
        raise Exception("Some exception was raised.")
    return {"Return": "HelloWorld", "got": event}
"""


@pytest.fixture(scope="module")
def function(cloudlet) -> str:
    return python_function(cloudlet.endpoint, CODE, "sfn-fn")


def test_function_arn_resource(sfn, make_machine, function):
    machine = {"StartAt": "step1", "States": {"step1": {"Type": "Task", "Resource": function, "End": True}}}
    arn = make_machine(machine)
    execution = sfn.start_execution(stateMachineArn=arn, input='{"a": 1}')["executionArn"]
    described = wait_done(sfn, execution)
    assert json.loads(described["output"]) == {"Return": "HelloWorld", "got": {"a": 1}}
    events = history(sfn, execution)
    assert [e["type"] for e in events] == [
        "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled", "LambdaFunctionStarted",
        "LambdaFunctionSucceeded", "TaskStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
    assert events[2]["lambdaFunctionScheduledEventDetails"] == {
        "resource": function,
        "input": {"a": 1},
        "inputDetails": {"truncated": False},
    }
    assert "lambdaFunctionStartedEventDetails" not in events[3]


def test_lambda_invoke_with_a_caught_exception(sfn, make_machine, function):
    machine = {
        "StartAt": "InvokeLambda",
        "States": {
            "InvokeLambda": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName.$": "$.FunctionName", "Payload.$": "$.Payload"},
                "Catch": [{"ErrorEquals": ["Exception"], "Next": "ErrorMatched"}],
                "Next": "Done",
            },
            "ErrorMatched": {"Type": "Pass", "End": True},
            "Done": {"Type": "Pass", "OutputPath": "$.Payload", "End": True},
        },
    }
    arn = make_machine(machine)
    ok = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"FunctionName": function, "Payload": {"x": 1}})
    )
    described = wait_done(sfn, ok["executionArn"])
    assert json.loads(described["output"]) == {"Return": "HelloWorld", "got": {"x": 1}}
    events = history(sfn, ok["executionArn"])
    succeeded = next(e for e in events if e["type"] == "TaskSucceeded")["taskSucceededEventDetails"]
    assert succeeded["resource"] == "invoke" and succeeded["resourceType"] == "lambda"
    assert {"ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata", "StatusCode"} <= set(
        succeeded["output"]
    )

    bad = sfn.start_execution(
        stateMachineArn=arn, input=json.dumps({"FunctionName": function, "Payload": {"fail": True}})
    )
    described = wait_done(sfn, bad["executionArn"])
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert output["Error"] == "Exception"
    assert json.loads(output["Cause"])["errorMessage"] == "Some exception was raised."
    types = [e["type"] for e in history(sfn, bad["executionArn"])]
    assert types == [
        "ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskFailed", "TaskStateExited",
        "PassStateEntered", "PassStateExited", "ExecutionSucceeded",
    ]  # fmt: skip
