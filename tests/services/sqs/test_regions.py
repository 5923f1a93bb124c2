"""Regional queues: URLs that carry their region, and every URL form AWS has used."""

from __future__ import annotations

import base64
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of
from .query_client import SqsQueryClient


def _count(sqs, url: str) -> str:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return attrs["Attributes"]["ApproximateNumberOfMessages"]


def test_same_name_in_two_regions_has_two_urls(aws_client):
    east, west = aws_client("sqs"), aws_client("sqs", region_name="eu-west-1")
    name = f"twin-{uuid.uuid4().hex[:8]}"
    east_url = east.create_queue(QueueName=name)["QueueUrl"]
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    assert east_url != west_url
    assert east_url.endswith(f"/us-east-1/000000000000/{name}")
    assert west_url.endswith(f"/eu-west-1/000000000000/{name}")
    assert east.get_queue_url(QueueName=name)["QueueUrl"] == east_url
    assert west.get_queue_url(QueueName=name)["QueueUrl"] == west_url
    assert east.create_queue(QueueName=name)["QueueUrl"] == east_url
    assert east_url in east.list_queues(QueueNamePrefix=name)["QueueUrls"]
    assert west.list_queues(QueueNamePrefix=name)["QueueUrls"] == [west_url]


def test_a_url_reaches_its_own_queue_whatever_region_the_client_names(aws_client):
    east, west = aws_client("sqs"), aws_client("sqs", region_name="eu-west-1")
    name = f"cross-{uuid.uuid4().hex[:8]}"
    east_url = east.create_queue(QueueName=name)["QueueUrl"]
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    east.send_message(QueueUrl=west_url, MessageBody="to the west")
    assert (_count(west, west_url), _count(west, east_url)) == ("1", "0")
    got = east.receive_message(QueueUrl=west_url)["Messages"]
    assert [m["Body"] for m in got] == ["to the west"]
    arn = east.get_queue_attributes(QueueUrl=west_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert arn == f"arn:aws:sqs:eu-west-1:000000000000:{name}"


def test_every_url_form_is_accepted(aws_client):
    east, west = aws_client("sqs"), aws_client("sqs", region_name="eu-west-1")
    name = f"forms-{uuid.uuid4().hex[:8]}"
    east_url = east.create_queue(QueueName=name)["QueueUrl"]
    west_url = west.create_queue(QueueName=name)["QueueUrl"]
    path = f"000000000000/{name}"
    host = west_url.split("/")[2]
    for form in (
        f"https://sqs.eu-west-1.amazonaws.com/{path}",  # AWS's regional endpoint
        f"https://eu-west-1.queue.amazonaws.com/{path}",  # the legacy regional one
        f"http://sqs.eu-west-1.localhost.localstack.cloud:4566/{path}",  # another local cloud's
        f"http://localhost:4566/queue/eu-west-1/{path}",  # ... and its path style
    ):
        east.send_message(QueueUrl=form, MessageBody="x")
    assert (_count(east, west_url), _count(east, east_url)) == ("4", "0")
    # no region in the URL: the legacy us-east-1 endpoint, or the request's region
    east.send_message(QueueUrl=f"https://queue.amazonaws.com/{path}", MessageBody="x")
    west.send_message(QueueUrl=f"http://{host}/{path}", MessageBody="x")
    west.send_message(QueueUrl=name, MessageBody="x")  # a bare name, as AWS accepts it
    assert (_count(east, west_url), _count(east, east_url)) == ("6", "1")


def test_a_url_naming_no_queue(aws_client):
    sqs = aws_client("sqs", region_name="eu-west-1")
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_attributes(QueueUrl="https://sqs.eu-west-1.amazonaws.com/000000000000")
    assert error_of(exc)[0] == "InvalidAddress"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl="http://localhost:4566/ap-south-1/000000000000/nope", MessageBody="x")
    assert error_of(exc)[0] == "AWS.SimpleQueueService.NonExistentQueue"


def test_query_protocol_and_queue_url_path_keep_the_region(cloudlet, aws_client):
    west = aws_client("sqs", region_name="eu-west-1")
    name = f"qreg-{uuid.uuid4().hex[:8]}"
    query = SqsQueryClient(cloudlet.endpoint, region="eu-west-1")
    url = query.call("CreateQueue", QueueName=name)["QueueUrl"]
    assert url == west.create_queue(QueueName=name)["QueueUrl"]
    assert query.call("GetQueueUrl", QueueName=name)["QueueUrl"] == url
    # an old SDK posts to the queue URL itself, signed for another region
    req = urllib.request.Request(
        cloudlet.endpoint + "/" + url.split("/", 3)[3],
        data=b"Action=SendMessage&Version=2012-11-05&MessageBody=by+path",
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert resp.status == 200
    assert west.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "by path"


def test_list_queues_pages_as_recorded(aws_client):
    sqs = aws_client("sqs", region_name="ap-southeast-2")
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    urls = [sqs.create_queue(QueueName=f"{prefix}-test-queue-{i}")["QueueUrl"] for i in range(10)]
    assert sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == urls
    two = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert two["QueueUrls"] == urls[:2]
    # the token is the last URL of the page, base64-encoded (recorded: test_list_queues_pagination)
    assert two["NextToken"] == base64.b64encode(urls[1].encode()).decode()
    rest = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=10, NextToken=two["NextToken"])
    assert rest["QueueUrls"] == urls[2:] and "NextToken" not in rest
