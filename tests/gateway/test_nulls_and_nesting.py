"""Input found by fuzzing that answered 500: null elements in lists and maps, expressions
nested hundreds deep, a tagging body without its TagSet. Each answers a client error now."""

from __future__ import annotations

import json
import uuid

import pytest

from .botocalls import send

AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/{}/aws4_request, SignedHeaders=host, Signature=0"


def call(endpoint: str, service: str, target: str, body: dict | str):
    data = body if isinstance(body, str) else json.dumps(body)
    headers = {
        "X-Amz-Target": target,
        "Content-Type": "application/x-amz-json-1.0",
        "Authorization": AUTH.format(service),
    }
    reply = send(endpoint, "POST", "/", headers, data.encode())
    return reply.status, json.loads(reply.body or b"{}")


@pytest.fixture(scope="module")
def table(cloudlet):
    from cloudlet.testing.server import client

    name = f"nulls-{uuid.uuid4().hex[:8]}"
    client("dynamodb", cloudlet.endpoint).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    return name


@pytest.fixture(scope="module")
def queue(cloudlet):
    from cloudlet.testing.server import client

    return client("sqs", cloudlet.endpoint).create_queue(QueueName=f"nulls-{uuid.uuid4().hex[:8]}")[
        "QueueUrl"
    ]


def test_a_null_transact_item_is_a_validation_error(cloudlet, table):
    status, body = call(
        cloudlet.endpoint, "dynamodb", "DynamoDB_20120810.TransactWriteItems", {"TransactItems": [None]}
    )
    assert status == 400 and body["__type"] == "ValidationException"
    assert "transactItems.1.member" in body["message"] and "must not be null" in body["message"]


def test_null_requests_in_a_batch_write_are_a_validation_error(cloudlet, table):
    status, body = call(
        cloudlet.endpoint, "dynamodb", "DynamoDB_20120810.BatchWriteItem", {"RequestItems": {table: [None]}}
    )
    assert status == 400 and body["__type"] == "ValidationException"


@pytest.mark.parametrize(
    "operation", ["SendMessageBatch", "DeleteMessageBatch", "ChangeMessageVisibilityBatch"]
)
def test_a_null_sqs_batch_entry_is_refused(cloudlet, queue, operation):
    status, body = call(
        cloudlet.endpoint, "sqs", f"AmazonSQS.{operation}", {"QueueUrl": queue, "Entries": [None]}
    )
    assert status == 400, body


def test_null_tag_and_attribute_values_are_refused(cloudlet, queue):
    status, _ = call(cloudlet.endpoint, "sqs", "AmazonSQS.TagQueue", {"QueueUrl": queue, "Tags": {"a": None}})
    assert status == 400
    status, _ = call(
        cloudlet.endpoint,
        "sqs",
        "AmazonSQS.ReceiveMessage",
        {"QueueUrl": queue, "MessageAttributeNames": [None]},
    )
    assert status == 400


def test_partiql_nested_hundreds_deep_is_a_validation_error(cloudlet, table):
    statement = f"SELECT * FROM {table} WHERE " + "(" * 400 + "pk = 'a'" + ")" * 400
    status, body = call(
        cloudlet.endpoint, "dynamodb", "DynamoDB_20120810.ExecuteStatement", {"Statement": statement}
    )
    assert status == 400 and body["__type"] == "ValidationException"
    statement = f"SELECT * FROM {table} WHERE pk = " + "[" * 1000 + "]" * 1000
    status, body = call(
        cloudlet.endpoint, "dynamodb", "DynamoDB_20120810.ExecuteStatement", {"Statement": statement}
    )
    assert status == 400 and body["__type"] == "ValidationException"


def test_an_expression_nested_hundreds_deep_is_a_validation_error(cloudlet, table):
    expression = "(" * 600 + "pk = :v" + ")" * 600
    params = {
        "TableName": table,
        "FilterExpression": expression,
        "ExpressionAttributeValues": {":v": {"S": "a"}},
    }
    status, body = call(cloudlet.endpoint, "dynamodb", "DynamoDB_20120810.Scan", params)
    assert status == 400
    assert body["message"] == "Invalid FilterExpression: The expression has redundant parentheses;"


@pytest.mark.parametrize("path", ["/{bucket}?tagging", "/{bucket}/obj?tagging"])
def test_a_tagging_body_without_its_tag_set_is_malformed(cloudlet, path):
    from cloudlet.testing.server import client

    s3 = client("s3", cloudlet.endpoint)
    bucket = f"nulls-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="obj", Body=b"x")
    target = path.format(bucket=bucket)
    reply = send(cloudlet.endpoint, "PUT", target, {}, b"<Tagging></Tagging>")
    assert reply.status == 400 and b"<Code>MalformedXML</Code>" in reply.body
    reply = send(cloudlet.endpoint, "PUT", target, {}, b"<Tagging><TagSet/></Tagging>")
    assert reply.status in (200, 204)  # an empty TagSet is fine: it removes the tags
