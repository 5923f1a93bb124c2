"""AWS managed policies (``arn:aws:iam::aws:policy/<path><name>``), as data.

Documents follow the ones AWS publishes in its managed policy reference; the large ones
(ReadOnlyAccess, AmazonDynamoDBFullAccess, SecretsManagerReadWrite) are abridged to their
main statements. Version ids and dates are fixed values.
# unverified: DefaultVersionId/CreateDate of each policy (AWS's real ones differ per policy).
"""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from cloudlet.services.iam.service_roles import SERVICE_ROLES

AWS_CREATED = 1423000000.0  # 2015-02-03T21:46:40Z: a fixed date for every AWS managed policy

_LOGS = ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"]


@dataclass(frozen=True)
class ManagedPolicy:
    name: str
    path: str
    document: str
    description: str = ""
    version: str = "v1"

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::aws:policy{self.path}{self.name}"

    @property
    def policy_id(self) -> str:
        import hashlib

        digest = hashlib.sha256(self.arn.encode()).hexdigest().upper()
        return "ANPA" + "".join(c for c in digest if c.isalnum())[:17]


def _doc(*statements: dict[str, object]) -> str:
    return orjson.dumps({"Version": "2012-10-17", "Statement": list(statements)}).decode()


def _allow(actions: str | list[str], resource: str | list[str] = "*", **extra: object) -> dict[str, object]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource, **extra}


_POLICIES = [
    ManagedPolicy(
        "AWSLambdaBasicExecutionRole",
        "/service-role/",
        _doc(_allow(_LOGS)),
        "Provides write permissions to CloudWatch Logs.",
    ),
    ManagedPolicy(
        "AWSLambdaSQSQueueExecutionRole",
        "/service-role/",
        _doc(_allow(["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes", *_LOGS])),
        "Provides receive message, delete message, and read attribute access to SQS queues, "
        "and write permissions to CloudWatch logs.",
    ),
    ManagedPolicy(
        "AWSLambdaDynamoDBExecutionRole",
        "/service-role/",
        _doc(
            _allow(
                [
                    "dynamodb:DescribeStream",
                    "dynamodb:GetRecords",
                    "dynamodb:GetShardIterator",
                    "dynamodb:ListStreams",
                    *_LOGS,
                ]
            )
        ),
        "Provides list and read access to DynamoDB streams and write permissions to CloudWatch logs.",
    ),
    ManagedPolicy(
        "AWSLambdaKinesisExecutionRole",
        "/service-role/",
        _doc(
            _allow(
                [
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kinesis:GetRecords",
                    "kinesis:GetShardIterator",
                    "kinesis:ListShards",
                    "kinesis:ListStreams",
                    "kinesis:SubscribeToShard",
                    *_LOGS,
                ]
            )
        ),
        "Provides list and read access to Kinesis streams and write permissions to CloudWatch logs.",
    ),
    ManagedPolicy(
        "AWSLambdaVPCAccessExecutionRole",
        "/service-role/",
        _doc(
            _allow(
                [
                    *_LOGS,
                    "ec2:CreateNetworkInterface",
                    "ec2:DescribeNetworkInterfaces",
                    "ec2:DescribeSubnets",
                    "ec2:DeleteNetworkInterface",
                    "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ]
            )
        ),
        "Provides minimum permissions for a Lambda function to execute while accessing a resource "
        "within a VPC - create, describe, delete network interfaces and write permissions to "
        "CloudWatch Logs. ",
    ),
    ManagedPolicy(
        "AWSLambdaRole",
        "/service-role/",
        _doc(_allow(["lambda:InvokeFunction"])),
        "Default policy for AWS Lambda service role.",
    ),
    ManagedPolicy(
        "AWSXRayDaemonWriteAccess",
        "/",
        _doc(
            _allow(
                [
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                    "xray:GetSamplingStatisticSummaries",
                ]
            )
        ),
        "Allow the AWS X-Ray Daemon to relay raw trace segments data to the service's API and "
        "retrieve sampling data (rules, targets, etc.) to be used by the X-Ray SDK.",
    ),
    ManagedPolicy(
        "AmazonS3ReadOnlyAccess",
        "/",
        _doc(
            _allow(["s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*", "s3-object-lambda:List*"])
        ),
        "Provides read only access to all buckets via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonS3FullAccess",
        "/",
        _doc(_allow(["s3:*", "s3-object-lambda:*"])),
        "Provides full access to all buckets via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonDynamoDBFullAccess",
        "/",
        _doc(
            _allow(
                [
                    "dynamodb:*",
                    "dax:*",
                    "application-autoscaling:DeleteScalingPolicy",
                    "application-autoscaling:DeregisterScalableTarget",
                    "application-autoscaling:DescribeScalableTargets",
                    "application-autoscaling:DescribeScalingActivities",
                    "application-autoscaling:DescribeScalingPolicies",
                    "application-autoscaling:PutScalingPolicy",
                    "application-autoscaling:RegisterScalableTarget",
                    "cloudwatch:DeleteAlarms",
                    "cloudwatch:DescribeAlarmHistory",
                    "cloudwatch:DescribeAlarms",
                    "cloudwatch:DescribeAlarmsForMetric",
                    "cloudwatch:GetMetricStatistics",
                    "cloudwatch:ListMetrics",
                    "cloudwatch:PutMetricAlarm",
                    "cloudwatch:GetMetricData",
                    "kinesis:ListStreams",
                    "kinesis:DescribeStream",
                    "kinesis:DescribeStreamSummary",
                    "kms:DescribeKey",
                    "kms:ListAliases",
                    "lambda:CreateFunction",
                    "lambda:ListFunctions",
                    "lambda:ListEventSourceMappings",
                    "lambda:CreateEventSourceMapping",
                    "lambda:DeleteEventSourceMapping",
                    "lambda:GetFunctionConfiguration",
                    "lambda:DeleteFunction",
                    "resource-groups:ListGroups",
                    "resource-groups:ListGroupResources",
                    "resource-groups:GetGroup",
                    "resource-groups:GetGroupQuery",
                    "resource-groups:DeleteGroup",
                    "resource-groups:CreateGroup",
                    "tag:GetResources",
                ]
            ),
            _allow(
                "iam:PassRole",
                Condition={"StringLike": {"iam:PassedToService": ["application-autoscaling.amazonaws.com"]}},
            ),
        ),
        "Provides full access to Amazon DynamoDB via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonSQSFullAccess",
        "/",
        _doc(_allow(["sqs:*"])),
        "Provides full access to Amazon SQS via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonSNSFullAccess",
        "/",
        _doc(_allow(["sns:*"])),
        "Provides full access to Amazon SNS via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonKinesisFullAccess",
        "/",
        _doc(_allow("kinesis:*")),
        "Provides full access to all streams via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonEventBridgeFullAccess",
        "/",
        _doc(_allow(["events:*", "schemas:*", "scheduler:*", "pipes:*"])),
        "Provides full access to Amazon EventBridge.",  # unverified: abridged
    ),
    ManagedPolicy(
        "AdministratorAccess",
        "/",
        _doc(_allow("*")),
        "Provides full access to AWS services and resources.",
    ),
    ManagedPolicy(
        "ReadOnlyAccess",
        "/",
        # unverified: abridged; AWS's lists read actions of every service one by one.
        _doc(
            _allow(
                [
                    "*:Describe*",
                    "*:Get*",
                    "*:List*",
                    "*:BatchGet*",
                    "dynamodb:Query",
                    "dynamodb:Scan",
                    "logs:FilterLogEvents",
                    "logs:StartQuery",
                    "logs:StopQuery",
                    "s3:Head*",
                    "sqs:ReceiveMessage",
                    "xray:BatchGetTraces",
                ]
            )
        ),
        "Provides read-only access to AWS services and resources.",
    ),
    ManagedPolicy(
        "PowerUserAccess",
        "/",
        _doc(
            {"Effect": "Allow", "NotAction": ["iam:*", "organizations:*", "account:*"], "Resource": "*"},
            _allow(
                [
                    "account:GetAccountInformation",
                    "account:GetPrimaryEmail",
                    "account:ListRegions",
                    "iam:CreateServiceLinkedRole",
                    "iam:DeleteServiceLinkedRole",
                    "iam:ListRoles",
                    "organizations:DescribeOrganization",
                ]
            ),
        ),
        "Provides full access to AWS services and resources, but does not allow management of Users and groups.",
    ),
    ManagedPolicy(
        "CloudWatchLogsFullAccess",
        "/",
        _doc(_allow(["logs:*", "cloudwatch:GenerateQuery"])),
        "Provides full access to CloudWatch Logs",
    ),
    ManagedPolicy(
        "SecretsManagerReadWrite",
        "/",
        # unverified: abridged to its main statements.
        _doc(
            _allow(
                [
                    "secretsmanager:*",
                    "cloudformation:CreateChangeSet",
                    "cloudformation:DescribeChangeSet",
                    "cloudformation:DescribeStackResource",
                    "cloudformation:DescribeStacks",
                    "cloudformation:ExecuteChangeSet",
                    "ec2:DescribeSecurityGroups",
                    "ec2:DescribeSubnets",
                    "ec2:DescribeVpcs",
                    "kms:DescribeKey",
                    "kms:ListAliases",
                    "kms:ListKeys",
                    "lambda:ListFunctions",
                    "rds:DescribeDBClusters",
                    "rds:DescribeDBInstances",
                    "redshift:DescribeClusters",
                    "tag:GetResources",
                ]
            ),
            _allow(
                [
                    "lambda:AddPermission",
                    "lambda:CreateFunction",
                    "lambda:GetFunction",
                    "lambda:InvokeFunction",
                ],
                "arn:aws:lambda:*:*:function:SecretsManager*",
            ),
            _allow(["serverlessrepo:CreateCloudFormationChangeSet", "serverlessrepo:GetApplication"]),
            _allow(["s3:GetObject"], "arn:aws:s3:::awsserverlessrepo-changesets*"),
        ),
        "Provides read/write access to AWS Secrets Manager via the AWS Management Console. "
        "Note: this exludes IAM actions, so combine with IAMFullAccess if rotation configuration is required.",
    ),
    ManagedPolicy(
        "AWSStepFunctionsFullAccess",
        "/",
        _doc(
            _allow("states:*"),
            _allow("iam:PassRole", "arn:aws:iam::*:role/service-role/StepFunctions*"),
            _allow(["lambda:ListFunctions", "iam:ListRoles"]),
        ),
        "An access policy for providing a user/role/etc access to the AWS StepFunctions API. "
        "For full access, in addition to this policy, a user MUST have iam:PassRole permission "
        "on at least one IAM role that can be assumed by the service.",
    ),
    ManagedPolicy(
        "IAMFullAccess",
        "/",
        _doc(_allow(["iam:*", "organizations:DescribeAccount", "organizations:DescribeOrganization"])),
        "Provides full access to IAM via the AWS Management Console.",
    ),
    ManagedPolicy(
        "IAMReadOnlyAccess",
        "/",
        _doc(_allow(["iam:GenerateCredentialReport", "iam:Get*", "iam:List*", "iam:SimulateCustomPolicy"])),
        "Provides read only access to IAM via the AWS Management Console.",
    ),
    ManagedPolicy(
        "AmazonAPIGatewayPushToCloudWatchLogs",
        "/service-role/",
        _doc(
            _allow(
                [
                    "logs:CreateLogGroup",
                    "logs:CreateLogStream",
                    "logs:DescribeLogGroups",
                    "logs:DescribeLogStreams",
                    "logs:PutLogEvents",
                    "logs:GetLogEvents",
                    "logs:FilterLogEvents",
                ]
            )
        ),
        "Allows API Gateway to push logs to user's account.",
    ),
]

# Service-linked role policies: attachable only by IAM itself, documents not reproduced.
_SERVICE_ROLE_POLICIES = [
    ManagedPolicy(
        spec.policy,
        "/aws-service-role/",
        # unverified: placeholder document; AWS's grants the service what it manages.
        _doc(_allow(f"{spec.service.split('.')[0]}:*")),
    )
    for spec in SERVICE_ROLES.values()
]

MANAGED: dict[str, ManagedPolicy] = {p.arn: p for p in (*_POLICIES, *_SERVICE_ROLE_POLICIES)}


def managed(arn: str) -> ManagedPolicy | None:
    """The AWS managed policy at ``arn`` (any partition), if Cloudlet knows it."""
    parts = arn.split(":", 5)
    if len(parts) != 6:
        return None
    return MANAGED.get(f"arn:aws:iam::aws:{parts[5]}") if parts[4] == "aws" else None
