"""AWS's public parameters under ``/aws/service/global-infrastructure``: the regions of the
request's partition (botocore's endpoint data) and the services Cloudlet serves. Read-only."""

from __future__ import annotations

from functools import cache

import orjson

from cloudlet.core.arn import partition_for
from cloudlet.protocol.model import botocore_data_dir

ROOT = "/aws/service/global-infrastructure"
# unverified: public parameters answer an ARN without an account, and this fixed date.
MODIFIED = 1704067200.0  # 2024-01-01T00:00:00Z: public parameters report a fixed date

# Service id under global-infrastructure/services -> (endpoints.json service, long name).
# unverified: the ids and long names AWS publishes for these services.
SERVICES: dict[str, tuple[str, str]] = {
    "apigateway": ("apigateway", "Amazon API Gateway"),
    "cloudformation": ("cloudformation", "AWS CloudFormation"),
    "cloudwatch": ("monitoring", "Amazon CloudWatch"),
    "dynamodb": ("dynamodb", "Amazon DynamoDB"),
    "eventbridge": ("events", "Amazon EventBridge"),
    "firehose": ("firehose", "Amazon Data Firehose"),
    "iam": ("iam", "AWS Identity and Access Management (IAM)"),
    "kinesis": ("kinesis", "Amazon Kinesis Data Streams"),
    "kms": ("kms", "AWS Key Management Service"),
    "lambda": ("lambda", "AWS Lambda"),
    "logs": ("logs", "Amazon CloudWatch Logs"),
    "s3": ("s3", "Amazon Simple Storage Service (S3)"),
    "secretsmanager": ("secretsmanager", "AWS Secrets Manager"),
    "sns": ("sns", "Amazon Simple Notification Service (SNS)"),
    "sqs": ("sqs", "Amazon Simple Queue Service (SQS)"),
    "ssm": ("ssm", "AWS Systems Manager"),
    "stepfunctions": ("states", "AWS Step Functions"),
    "sts": ("sts", "AWS Security Token Service (AWS STS)"),
    "xray": ("xray", "AWS X-Ray"),
}


@cache
def _partition(name: str) -> dict[str, str]:
    """Every public parameter of partition ``name``: parameter name -> value."""
    data = orjson.loads((botocore_data_dir() / "endpoints.json").read_bytes())
    partition = next((p for p in data["partitions"] if p["partition"] == name), None)
    out: dict[str, str] = {}
    if partition is None:
        return out
    regions = partition.get("regions", {})
    for region, info in regions.items():
        base = f"{ROOT}/regions/{region}"
        out[base] = region
        out[f"{base}/longName"] = info.get("description", region)
        out[f"{base}/partition"] = name
        out[f"{base}/domain"] = partition.get("dnsSuffix", "amazonaws.com")
    for service, (endpoint, long_name) in SERVICES.items():
        endpoints = partition.get("services", {}).get(endpoint, {}).get("endpoints", {})
        available = [r for r in regions if r in endpoints] or (list(regions) if endpoints else [])
        if not available:
            continue
        out[f"{ROOT}/services/{service}"] = service
        out[f"{ROOT}/services/{service}/longName"] = long_name
        for region in available:
            out[f"{ROOT}/services/{service}/regions/{region}"] = region
            out[f"{ROOT}/regions/{region}/services/{service}"] = service
    return dict(sorted(out.items()))


def parameters(region: str) -> dict[str, str]:
    """The public parameters a request in ``region`` sees, sorted by name."""
    return _partition(partition_for(region))


def is_public(name: str) -> bool:
    return name.startswith("/aws/")
