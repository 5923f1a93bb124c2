"""Task ``Resource`` ARNs: which forms Step Functions accepts, and what EXPRESS machines refuse.

Forms: ``arn:<partition>:states:::<service>:<action>[.sync|.sync:2|.waitForTaskToken]`` (an
optimized integration), ``arn:<partition>:states:::aws-sdk:<service>:<action>[.waitForTaskToken]``,
``arn:<partition>:states:::http:invoke``, a Lambda function ARN (optionally qualified) and an
activity ARN.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PARTITION = r"aws(?:-cn|-us-gov|-iso|-iso-b)?"
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d"
_ACCOUNT = r"\d{12}"
_LAMBDA = re.compile(
    rf"arn:{_PARTITION}:lambda:{_REGION}:{_ACCOUNT}:function:[A-Za-z0-9_-]{{1,140}}(:[A-Za-z0-9$_-]+)?"
)
_ACTIVITY = re.compile(rf"arn:{_PARTITION}:states:{_REGION}:{_ACCOUNT}:activity:[^\s:]{{1,80}}")
_INTEGRATION = re.compile(
    rf"arn:{_PARTITION}:states:::(?P<service>[a-z0-9-]+):(?P<action>[A-Za-z0-9:-]+?)"
    rf"(?P<pattern>\.sync:2|\.sync|\.waitForTaskToken)?"
)
_SDK_ACTION = re.compile(r"[a-z0-9-]+:[a-z][A-Za-z0-9]*")

# The optimized integrations (developer guide, "Integrating services"): service -> actions.
OPTIMIZED: dict[str, frozenset[str]] = {
    name: frozenset(actions.split())
    for name, actions in {
        "lambda": "invoke",
        "sns": "publish",
        "sqs": "sendMessage",
        "dynamodb": "getItem putItem updateItem deleteItem",
        "states": "startExecution",
        "events": "putEvents",
        "apigateway": "invoke",
        "http": "invoke",
        "ecs": "runTask",
        "batch": "submitJob",
        "glue": "startJobRun",
        "databrew": "startJobRun",
        "athena": "startQueryExecution stopQueryExecution getQueryExecution getQueryResults",
        "codebuild": "startBuild stopBuild batchDeleteBuilds batchGetReports startBuildBatch stopBuildBatch "
        "retryBuildBatch retryBuild deleteBuildBatch",
        "eks": "createCluster deleteCluster createFargateProfile deleteFargateProfile createNodegroup "
        "deleteNodegroup runJob call",
        "elasticmapreduce": "createCluster terminateCluster addStep cancelStep setClusterTerminationProtection "
        "modifyInstanceFleetByName modifyInstanceGroupByName",
        "emr-containers": "startJobRun createVirtualCluster deleteVirtualCluster",
        "emr-serverless": "createApplication startApplication stopApplication deleteApplication startJobRun "
        "cancelJobRun",
        "sagemaker": "createTrainingJob createTransformJob createModel createEndpoint createEndpointConfig "
        "updateEndpoint createHyperParameterTuningJob createLabelingJob createProcessingJob "
        "startPipelineExecution",
        "bedrock": "invokeModel createModelCustomizationJob",
        "mediaconvert": "createJob",
    }.items()
}


@dataclass(frozen=True)
class Resource:
    """A recognized ``Resource``: its kind (lambda, activity, integration, sdk) and parts."""

    kind: str
    service: str = ""
    action: str = ""
    pattern: str = ""  # "", ".sync", ".sync:2" or ".waitForTaskToken"


def parse(resource: str) -> Resource | None:
    """The recognized form of ``resource`` (None when Step Functions would not recognize it)."""
    if _LAMBDA.fullmatch(resource):
        return Resource("lambda")
    if _ACTIVITY.fullmatch(resource):
        return Resource("activity")
    match = _INTEGRATION.fullmatch(resource)
    if not match:
        return None
    service, action, pattern = match["service"], match["action"], match["pattern"] or ""
    if service == "aws-sdk":
        if not _SDK_ACTION.fullmatch(action) or pattern.startswith(".sync"):
            return None  # unverified: AWS SDK integrations have no .sync
        sdk_service, sdk_action = action.split(":")
        return Resource("sdk", sdk_service, sdk_action, pattern)
    if action not in OPTIMIZED.get(service, ()):
        return None
    return Resource("integration", service, action, pattern)


def not_recognized(resource: str) -> str:
    """AWS's message for a Resource it does not know (recorded)."""
    return (
        f"The resource provided {resource} is not recognized. The value is not a valid resource ARN, or the "
        "resource is not available in this region."
    )


def resource_problem(resource: str, express: bool) -> str | None:
    """Why ``resource`` is refused (AWS's message), or None."""
    found = parse(resource)
    if found is None:
        return not_recognized(resource)
    if express and found.kind == "activity":
        return "Express state machine does not support Activity ARN"  # recorded
    if express and found.pattern.startswith(".sync"):
        return "Express state machine does not support '.sync' service integration"  # recorded (.sync:2 unverified)
    if express and found.pattern == ".waitForTaskToken":
        return "Express state machine does not support '.waitForTaskToken' service integration "  # recorded
    return None
