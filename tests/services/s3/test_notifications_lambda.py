"""S3 notifications to Lambda: the function must let ``s3.amazonaws.com`` invoke it (AWS's
error otherwise, recorded in ``aws-reference/s3/test_s3_notifications_lambda.snapshot.json``),
and object events become Event invocations of it on the delivery engine."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import TRUST, make_zip

ECHO = "def handler(event, context):\n    return event['Records'][0]['s3']['object']['key']\n"


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda")


@pytest.fixture
def role(aws_client) -> str:
    iam = aws_client("iam")
    name = f"s3-notify-role-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


@pytest.fixture
def bucket(s3) -> str:
    name = f"notify-{uuid.uuid4().hex[:10]}"
    s3.create_bucket(Bucket=name)
    return name


def create_function(lam, role: str) -> str:
    name = f"fn-{uuid.uuid4().hex[:10]}"
    return lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": ECHO})},
    )["FunctionArn"]


def configure(s3, bucket: str, function_arn: str) -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"Id": "to-lambda", "LambdaFunctionArn": function_arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )


def refusal(function_arn: str) -> dict[str, str]:
    return {  # recorded: test_invalid_lambda_arn, "lambda-does-not-exist"
        "Code": "InvalidArgument",
        "Message": "Unable to validate the following destination configurations",
        "ArgumentName1": f"{function_arn}, null",
        "ArgumentValue1": f"Not authorized to invoke function [{function_arn}]",
    }


def error_fields(exc: pytest.ExceptionInfo[ClientError]) -> dict[str, str]:
    error = exc.value.response["Error"]
    return {k: error[k] for k in ("Code", "Message", "ArgumentName1", "ArgumentValue1")}


def test_function_missing_or_without_permission_is_refused(s3, lam, role, bucket):
    missing = create_function(lam, role) + "-missing"
    with pytest.raises(ClientError) as exc:
        configure(s3, bucket, missing)
    assert error_fields(exc) == refusal(missing)

    arn = create_function(lam, role)
    with pytest.raises(ClientError) as exc:
        configure(s3, bucket, arn)
    assert error_fields(exc) == refusal(arn)

    # a permission for another bucket does not count
    lam.add_permission(
        FunctionName=arn,
        StatementId="other-bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::some-other-bucket",
    )
    with pytest.raises(ClientError) as exc:
        configure(s3, bucket, arn)
    assert error_fields(exc) == refusal(arn)
    assert "LambdaFunctionConfigurations" not in s3.get_bucket_notification_configuration(Bucket=bucket)


def test_upload_invokes_the_function_with_the_event(s3, sqs, lam, role, bucket):
    arn = create_function(lam, role)
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam.put_function_event_invoke_config(
        FunctionName=arn, DestinationConfig={"OnSuccess": {"Destination": queue_arn}}
    )
    account = arn.split(":")[4]
    lam.add_permission(
        FunctionName=arn,
        StatementId="s3-invoke",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
        SourceAccount=account,
    )
    configure(s3, bucket, arn)
    stored = s3.get_bucket_notification_configuration(Bucket=bucket)["LambdaFunctionConfigurations"]
    assert stored == [{"Id": "to-lambda", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]
    assert "Messages" not in sqs.receive_message(QueueUrl=url)  # no s3:TestEvent for functions

    s3.put_object(Bucket=bucket, Key="uploads/hello world.txt", Body=b"hello")

    record = None
    deadline = time.monotonic() + 15  # the function runs in a child process, in real time
    while record is None and time.monotonic() < deadline:
        got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
        record = json.loads(got[0]["Body"]) if got else None
    assert record is not None, "no invocation record arrived"
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["functionArn"] == arn + ":$LATEST"
    assert record["responsePayload"] == "uploads/hello+world.txt"  # keys are URL-encoded in records
    (event,) = record["requestPayload"]["Records"]
    assert event["eventSource"] == "aws:s3"
    assert event["eventName"] == "ObjectCreated:Put"
    assert event["s3"]["configurationId"] == "to-lambda"
    assert event["s3"]["bucket"]["name"] == bucket
    assert event["s3"]["object"]["size"] == 5
