"""Targets beyond SQS (Lambda, SNS, CloudWatch Logs), failures into the target's dead-letter
queue with AWS's attributes, Lambda destinations on a bus, and S3 events on the default bus."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from tests.services.awslambda.conftest import TRUST, make_zip
from tests.services.events.conftest import unique
from tests.services.events.test_put_events import DETAIL, PATTERN, entry, receive

RECORDER = """
import json, os, boto3
def handler(event, context):
    sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
    sqs.send_message(QueueUrl=os.environ["QUEUE"], MessageBody=json.dumps(event))
    return event
"""


@pytest.fixture
def lam(aws_client):
    return aws_client("lambda")


@pytest.fixture
def role(aws_client) -> str:
    iam = aws_client("iam")
    name = f"events-role-{uuid.uuid4().hex[:8]}"
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]["Arn"]


def make_rule(events, target: dict) -> tuple[str, str]:
    bus = unique("bus")
    events.create_event_bus(Name=bus)
    rule = unique("rule")
    rule_arn = events.put_rule(Name=rule, EventBusName=bus, EventPattern=PATTERN)["RuleArn"]
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "t", **target}])
    return bus, rule_arn


def test_lambda_target_gets_the_event(events, sqs, lam, role, make_queue, cloudlet):
    url, _ = make_queue()
    arn = lam.create_function(
        FunctionName=unique("fn"),
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": RECORDER})},
        Environment={"Variables": {"QUEUE": url, "AWS_ENDPOINT_URL": cloudlet.endpoint}},
    )["FunctionArn"]
    bus, rule_arn = make_rule(events, {"Arn": arn})
    lam.add_permission(
        FunctionName=arn,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    (message,) = receive(sqs, url, wait=30)
    body = json.loads(message["Body"])
    assert body["id"] == event_id and body["detail"] == DETAIL


def test_lambda_target_without_permission_goes_to_the_dlq(events, sqs, lam, role, make_queue):
    dlq_url, dlq_arn = make_queue("dlq")
    arn = lam.create_function(
        FunctionName=unique("fn"),
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": "def handler(e, c):\n    return e\n"})},
    )["FunctionArn"]
    bus, rule_arn = make_rule(events, {"Arn": arn, "DeadLetterConfig": {"Arn": dlq_arn}})
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    (message,) = receive(sqs, dlq_url)
    assert json.loads(message["Body"])["id"] == event_id
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["RULE_ARN"] == rule_arn and attributes["TARGET_ARN"] == arn
    assert attributes["ERROR_CODE"] == "NO_PERMISSIONS" and attributes["RETRY_ATTEMPTS"] == "0"
    assert attributes["ERROR_MESSAGE"]


def test_missing_queue_target_goes_to_the_dlq(events, sqs, make_queue):
    dlq_url, dlq_arn = make_queue("dlq")
    _, gone = make_queue("gone")
    sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=gone.split(":")[-1])["QueueUrl"])
    bus, _ = make_rule(events, {"Arn": gone, "DeadLetterConfig": {"Arn": dlq_arn}})
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, dlq_url)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE" and attributes["TARGET_ARN"] == gone


def test_sns_target_publishes_the_event(aws_client, events, sqs, make_queue):
    sns = aws_client("sns")
    topic = sns.create_topic(Name=unique("topic"))["TopicArn"]
    url, queue_arn = make_queue()
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    bus, _ = make_rule(events, {"Arn": topic})
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    (message,) = receive(sqs, url)
    notification = json.loads(message["Body"])
    assert notification["Type"] == "Notification" and notification["TopicArn"] == topic
    assert json.loads(notification["Message"])["id"] == event_id


def test_logs_target_writes_the_event(aws_client, events):
    logs = aws_client("logs")
    group = f"/aws/events/{unique('g')}"
    logs.create_log_group(logGroupName=group)
    arn = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"][0]["arn"]
    bus, _ = make_rule(events, {"Arn": arn})
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    deadline = time.monotonic() + 10
    found: list = []
    while not found and time.monotonic() < deadline:
        found = logs.filter_log_events(logGroupName=group)["events"]
        time.sleep(0.05)
    assert found and json.loads(found[0]["message"])["id"] == event_id
    assert found[0]["logStreamName"] == event_id


def test_lambda_destination_on_a_bus(events, sqs, lam, role, make_queue):
    bus = unique("bus")
    bus_arn = events.create_event_bus(Name=bus)["EventBusArn"]
    rule = unique("rule")
    events.put_rule(Name=rule, EventBusName=bus, EventPattern=json.dumps({"source": ["lambda"]}))
    url, queue_arn = make_queue()
    events.put_targets(Rule=rule, EventBusName=bus, Targets=[{"Id": "q", "Arn": queue_arn}])
    arn = lam.create_function(
        FunctionName=unique("fn"),
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": "def handler(e, c):\n    return {'ok': e}\n"})},
    )["FunctionArn"]
    lam.put_function_event_invoke_config(
        FunctionName=arn, DestinationConfig={"OnSuccess": {"Destination": bus_arn}}
    )
    lam.invoke(FunctionName=arn, InvocationType="Event", Payload=b'{"n": 1}')
    (message,) = receive(sqs, url, wait=30)
    event = json.loads(message["Body"])
    assert event["source"] == "lambda"
    assert event["detail-type"] == "Lambda Function Invocation Result - Success"
    assert event["resources"][0] == bus_arn and event["resources"][1].startswith(arn)
    assert event["detail"]["responsePayload"] == {"ok": {"n": 1}}


def test_s3_object_events_reach_default_bus_rules(aws_client, events, sqs, make_queue):
    s3 = aws_client("s3")
    bucket = unique("bucket")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    rule = unique("rule")
    events.put_rule(
        Name=rule,
        EventPattern=json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": [bucket]}}}),
    )
    url, queue_arn = make_queue()
    events.put_targets(Rule=rule, Targets=[{"Id": "q", "Arn": queue_arn}])
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    (message,) = receive(sqs, url)
    event = json.loads(message["Body"])
    assert event["detail-type"] == "Object Created" and event["detail"]["object"]["key"] == "k"
    events.remove_targets(Rule=rule, Ids=["q"])
    events.delete_rule(Name=rule)


def test_function_errors_follow_the_functions_own_async_retries(events, sqs, lam, role, make_queue):
    """EventBridge invokes a Lambda target asynchronously: a function that raises counts as
    delivered for the rule (nothing in the target's DLQ); the function's own event invoke
    config and dead-letter queue take the failure, as on AWS."""
    target_dlq_url, target_dlq_arn = make_queue("target-dlq")
    function_dlq_url, function_dlq_arn = make_queue("function-dlq")
    arn = lam.create_function(
        FunctionName=unique("fn"),
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": "def handler(e, c):\n    raise ValueError('boom')\n"})},
        DeadLetterConfig={"TargetArn": function_dlq_arn},
    )["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName=arn, MaximumRetryAttempts=0)
    bus, rule_arn = make_rule(events, {"Arn": arn, "DeadLetterConfig": {"Arn": target_dlq_arn}})
    lam.add_permission(
        FunctionName=arn,
        StatementId="events",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    (message,) = receive(sqs, function_dlq_url, wait=30)
    assert json.loads(message["Body"])["id"] == event_id
    assert receive(sqs, target_dlq_url, wait=1) == []


def test_step_functions_target_starts_an_execution(aws_client, events, sqs, role, make_queue):
    sfn = aws_client("stepfunctions")
    machine = sfn.create_state_machine(
        name=unique("sm"),
        roleArn=role,
        definition=json.dumps(
            {
                "StartAt": "Echo",
                "States": {"Echo": {"Type": "Pass", "Parameters": {"id.$": "$.id"}, "End": True}},
            }
        ),
    )["stateMachineArn"]
    bus, _ = make_rule(events, {"Arn": machine, "RoleArn": role})
    event_id = events.put_events(Entries=[entry(bus)])["Entries"][0]["EventId"]
    deadline = time.monotonic() + 10
    executions: list = []
    while not executions and time.monotonic() < deadline:
        executions = sfn.list_executions(stateMachineArn=machine, statusFilter="SUCCEEDED")["executions"]
        time.sleep(0.02)
    (execution,) = executions
    described = sfn.describe_execution(executionArn=execution["executionArn"])
    assert json.loads(described["input"])["id"] == event_id
    assert json.loads(described["output"]) == {"id": event_id}

    dlq_url, dlq_arn = make_queue("dlq")
    sfn.delete_state_machine(stateMachineArn=machine)
    bus, _ = make_rule(events, {"Arn": machine, "RoleArn": role, "DeadLetterConfig": {"Arn": dlq_arn}})
    events.put_events(Entries=[entry(bus)])
    (message,) = receive(sqs, dlq_url)
    attributes = {k: v["StringValue"] for k, v in message["MessageAttributes"].items()}
    assert attributes["ERROR_CODE"] == "NO_RESOURCE" and attributes["TARGET_ARN"] == machine
