"""The AWS/States metrics in CloudWatch: executions by state machine, Lambda functions called by
ARN, service integrations, from the executions' histories."""

from __future__ import annotations

import json
import urllib.request

from .conftest import python_function, wait_done

CODE = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("no")
    return event
"""


def _sums(cloudlet, dimension: str, value: str) -> dict[str, float]:
    """Each AWS/States metric of that dimension value, summed over all time (through the admin
    API: Cloudlet has no CloudWatch metrics API yet)."""
    with urllib.request.urlopen(f"{cloudlet.endpoint}/_cloudlet/metrics?namespace=AWS/States") as answer:
        found = json.loads(answer.read())["metrics"]
    return {
        m["name"]: sum(p["sum"] for p in m["points"]) for m in found if m["dimensions"] == {dimension: value}
    }


def test_execution_lambda_and_integration_metrics(sfn, make_machine, cloudlet):
    function = python_function(cloudlet.endpoint, CODE, "m")
    machine = {
        "StartAt": "ByArn",
        "States": {
            "ByArn": {"Type": "Task", "Resource": function, "Next": "Invoke"},
            "Invoke": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function, "Payload.$": "$"},
                "OutputPath": "$.Payload",
                "End": True,
            },
        },
    }
    arn = make_machine(machine)
    for given in ({"ok": 1}, {"ok": 2}, {"fail": True}):
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(given))["executionArn"]
        wait_done(sfn, execution)

    executions = _sums(cloudlet, "StateMachineArn", arn)
    assert executions["ExecutionsStarted"] == 3
    assert executions["ExecutionsSucceeded"] == 2
    assert executions["ExecutionsFailed"] == 1
    assert "ExecutionTime" in executions and "ExecutionsAborted" not in executions

    lambdas = _sums(cloudlet, "LambdaFunctionArn", function)
    assert lambdas["LambdaFunctionsScheduled"] == 3
    assert lambdas["LambdaFunctionsStarted"] == 3
    assert lambdas["LambdaFunctionsSucceeded"] == 2
    assert lambdas["LambdaFunctionsFailed"] == 1
    assert {"LambdaFunctionTime", "LambdaFunctionRunTime", "LambdaFunctionScheduleTime"} <= set(lambdas)
    assert "LambdaFunctionsTimedOut" not in lambdas

    integration = _sums(cloudlet, "ServiceIntegrationResourceArn", "arn:aws:states:::lambda:invoke")
    assert integration["ServiceIntegrationsScheduled"] >= 2
    assert integration["ServiceIntegrationsSucceeded"] >= 2
    assert {"ServiceIntegrationTime", "ServiceIntegrationRunTime"} <= set(integration)
