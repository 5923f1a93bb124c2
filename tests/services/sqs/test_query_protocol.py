"""SQS through the query protocol older SDKs speak: same semantics, query error codes."""

from __future__ import annotations

import uuid

import pytest

from .query_client import QueryError


def test_query_round_trip(sqs_query, sqs):
    name = f"query-{uuid.uuid4().hex[:8]}"
    url = sqs_query.call("CreateQueue", QueueName=name, Attributes={"VisibilityTimeout": "45"})["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    attrs = sqs_query.call("GetQueueAttributes", QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["VisibilityTimeout"] == "45"
    sent = sqs_query.call(
        "SendMessage",
        QueueUrl=url,
        MessageBody="via query",
        MessageAttributes={
            "k": {"DataType": "String", "StringValue": "v"},
            "b": {"DataType": "Binary", "BinaryValue": b"\x01"},
        },
    )
    got = sqs_query.call(
        "ReceiveMessage", QueueUrl=url, MessageAttributeNames=["All"], AttributeNames=["All"]
    )
    m = got["Messages"][0]
    assert m["Body"] == "via query" and m["MessageId"] == sent["MessageId"]
    assert m["MessageAttributes"]["b"]["BinaryValue"] == b"\x01"
    assert m["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert m["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs_query.call("DeleteMessage", QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    # the JSON protocol sees the same queue
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert sqs_query.call("ListQueues", QueueNamePrefix=name)["QueueUrls"] == [url]


def test_query_batch(sqs_query):
    url = sqs_query.call("CreateQueue", QueueName=f"qbatch-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    out = sqs_query.call(
        "SendMessageBatch",
        QueueUrl=url,
        Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "bad\x02"}],
    )
    assert [s["Id"] for s in out["Successful"]] == ["a"]
    assert out["Failed"][0]["Code"] == "InvalidMessageContents" and out["Failed"][0]["SenderFault"] is True


def test_query_errors_use_query_codes(sqs_query):
    with pytest.raises(QueryError) as exc:
        sqs_query.call("GetQueueUrl", QueueName="no-such-queue-anywhere")
    err = exc.value.response["Error"]
    assert err["Code"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert err["Message"] == "The specified queue does not exist for this wsdl version."
    assert err["Type"] == "Sender"
    url = sqs_query.call("CreateQueue", QueueName=f"qerr-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    with pytest.raises(QueryError) as exc:
        sqs_query.call("ReceiveMessage", QueueUrl=url, MaxNumberOfMessages=11)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"
    with pytest.raises(QueryError) as exc:
        sqs_query.call("SendMessage", QueueUrl=url, MessageBody="")
    assert exc.value.response["Error"]["Code"] == "MissingParameter"
    sqs_query.call("PurgeQueue", QueueUrl=url)
    with pytest.raises(QueryError) as exc:
        sqs_query.call("PurgeQueue", QueueUrl=url)
    assert exc.value.response["Error"]["Code"] == "AWS.SimpleQueueService.PurgeQueueInProgress"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_query_request_to_the_queue_url_path(cloudlet, sqs):
    """Older SDKs POST to the queue URL itself, without a QueueUrl parameter."""
    import urllib.request
    from xml.etree import ElementTree

    url = sqs.create_queue(QueueName=f"qpath-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    path = "/" + url.split("/", 3)[3]
    req = urllib.request.Request(
        cloudlet.endpoint + path,
        data=b"Action=SendMessage&Version=2012-11-05&MessageBody=by+path",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        root = ElementTree.fromstring(resp.read())
    assert root.tag.endswith("SendMessageResponse")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "by path"
