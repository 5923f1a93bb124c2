"""Kinesis over ``application/x-amz-cbor-1.1`` (the AWS SDK for Java's default): CBOR in, CBOR
out, blobs as byte strings, timestamps as tag 1 around epoch milliseconds, errors in CBOR."""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
from typing import Any

import cbor2
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from cloudlet.protocol.eventstream import MessageDecoder

from .conftest import ACCOUNT, unique

CBOR = "application/x-amz-cbor-1.1"


@pytest.fixture
def call(cloudlet):
    """Send a signed CBOR request: (status, content type, decoded body with tag 1 kept)."""

    def send(operation: str, body: Any, raw: bytes | None = None) -> tuple[int, str, Any]:
        data = raw if raw is not None else cbor2.dumps(body)
        request = AWSRequest(
            method="POST",
            url=cloudlet.endpoint + "/",
            data=data,
            headers={"X-Amz-Target": f"Kinesis_20131202.{operation}", "Content-Type": CBOR},
        )
        SigV4Auth(Credentials("test", "test"), "kinesis", "us-east-1").add_auth(request)
        prepared = urllib.request.Request(
            request.url, data=data, headers=dict(request.headers), method="POST"
        )
        try:
            with urllib.request.urlopen(prepared, timeout=10) as response:
                status, ctype, payload = response.status, response.headers["Content-Type"], response.read()
        except urllib.error.HTTPError as exc:
            status, ctype, payload = exc.code, exc.headers["Content-Type"], exc.read()
        return status, ctype, cbor2.loads(payload, semantic_decoders={1: lambda value, *_: ("tag1", value)})

    return send


def test_put_and_get_in_cbor(call, kinesis, cloudlet):
    name = unique("cbor")
    status, ctype, body = call("CreateStream", {"StreamName": name, "ShardCount": 1})
    assert (status, ctype, body) == (200, CBOR, {})
    try:
        status, ctype, put = call(
            "PutRecord", {"StreamName": name, "Data": b"\x00\xffbin", "PartitionKey": "k"}
        )
        assert (status, ctype) == (200, CBOR)
        assert put["ShardId"] == "shardId-000000000000"
        # the JSON API sees the same record
        shard = kinesis.list_shards(StreamName=name)["Shards"][0]["ShardId"]
        it = kinesis.get_shard_iterator(StreamName=name, ShardId=shard, ShardIteratorType="TRIM_HORIZON")
        assert kinesis.get_records(ShardIterator=it["ShardIterator"])["Records"][0]["Data"] == b"\x00\xffbin"
        # AT_TIMESTAMP as the Java SDK sends it: tag 1 around epoch milliseconds
        now_ms = int(cloudlet.clock()["now"] * 1000)
        status, _, got = call(
            "GetShardIterator",
            {
                "StreamName": name,
                "ShardId": shard,
                "ShardIteratorType": "AT_TIMESTAMP",
                "Timestamp": cbor2.CBORTag(1, now_ms - 60_000),
            },
        )
        assert status == 200
        status, ctype, records = call("GetRecords", {"ShardIterator": got["ShardIterator"]})
        assert (status, ctype) == (200, CBOR)
        [record] = records["Records"]
        assert record["Data"] == b"\x00\xffbin"  # a byte string, not base64
        assert record["SequenceNumber"] == put["SequenceNumber"]
        tag, millis = record["ApproximateArrivalTimestamp"]
        assert tag == "tag1" and isinstance(millis, int)
        assert abs(millis - now_ms) < 60_000
        status, _, described = call("DescribeStreamSummary", {"StreamName": name})
        assert described["StreamDescriptionSummary"]["StreamCreationTimestamp"][0] == "tag1"
        # a future AT_TIMESTAMP in milliseconds is refused as such
        status, _, error = call(
            "GetShardIterator",
            {
                "StreamName": name,
                "ShardId": shard,
                "ShardIteratorType": "AT_TIMESTAMP",
                "Timestamp": cbor2.CBORTag(1, now_ms + 3_600_000),
            },
        )
        assert status == 400 and error["__type"] == "InvalidArgumentException"
    finally:
        kinesis.delete_stream(StreamName=name)


def test_errors_in_cbor(call, kinesis):
    status, ctype, body = call("DescribeStream", {"StreamName": "wrong-stream-name"})
    assert (status, ctype) == (400, CBOR)
    # recorded: test_cbor_exceptions
    assert body == {
        "__type": "ResourceNotFoundException",
        "message": f"Stream wrong-stream-name under account {ACCOUNT} not found.",
    }
    status, ctype, body = call("CreateStream", {"StreamName": "bad/name", "ShardCount": 1})
    assert (status, ctype, body["__type"]) == (400, CBOR, "ValidationException")
    status, ctype, body = call("PutRecord", None, raw=b"\xff\x00garbage")
    assert (status, ctype, body["__type"]) == (400, CBOR, "SerializationException")
    status, ctype, body = call("PutRecord", {"StreamName": "s", "Data": 5, "PartitionKey": "k"})
    assert (status, body["__type"]) == (400, "SerializationException")
    status, ctype, body = call(
        "GetShardIterator",
        {
            "StreamName": "s",
            "ShardId": "x",
            "ShardIteratorType": "AT_TIMESTAMP",
            "Timestamp": cbor2.CBORTag(1, "soon"),
        },
    )
    assert (status, body["__type"]) == (400, "SerializationException")
    # a JSON request right after still gets JSON
    assert (
        kinesis.list_streams()["ResponseMetadata"]["HTTPHeaders"]["content-type"]
        == "application/x-amz-json-1.1"
    )


def test_a_cbor_answer_never_leaks_into_the_next_request(call, cloudlet):
    """A JSON request that fails before its body is parsed, right after a CBOR one, is answered in JSON."""
    status, ctype, _ = call("DescribeStream", {"StreamName": "wrong-stream-name"})
    assert (status, ctype) == (400, CBOR)
    data = b"{}"
    request = AWSRequest(
        method="POST",
        url=cloudlet.endpoint + "/",
        data=data,
        headers={
            "X-Amz-Target": "Kinesis_20131202.NoSuchOperation",
            "Content-Type": "application/x-amz-json-1.1",
        },
    )
    SigV4Auth(Credentials("test", "test"), "kinesis", "us-east-1").add_auth(request)
    prepared = urllib.request.Request(request.url, data=data, headers=dict(request.headers), method="POST")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(prepared, timeout=10)
    assert exc.value.code == 400
    assert exc.value.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(exc.value.read())["__type"] == "UnknownOperationException"


def test_subscribe_to_shard_in_cbor(call, kinesis, cloudlet):
    """SubscribeToShard over CBOR (what the Java SDK's KCL sends): the event stream's
    initial-response and events are CBOR documents with CBOR's content type."""
    name = unique("cbor-efo")
    kinesis.create_stream(StreamName=name, ShardCount=1)
    try:
        arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
        kinesis.put_record(StreamName=name, Data=b"\x01efo", PartitionKey="k")
        consumer = kinesis.register_stream_consumer(StreamARN=arn, ConsumerName="c")["Consumer"][
            "ConsumerARN"
        ]
        data = cbor2.dumps(
            {
                "ConsumerARN": consumer,
                "ShardId": "shardId-000000000000",
                "StartingPosition": {"Type": "TRIM_HORIZON"},
            }
        )
        request = AWSRequest(
            method="POST",
            url=cloudlet.endpoint + "/",
            data=data,
            headers={"X-Amz-Target": "Kinesis_20131202.SubscribeToShard", "Content-Type": CBOR},
        )
        SigV4Auth(Credentials("test", "test"), "kinesis", "us-east-1").add_auth(request)
        host, port = cloudlet.endpoint.removeprefix("http://").split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=10)
        try:
            connection.request("POST", "/", data, dict(request.headers))
            response = connection.getresponse()
            assert response.status == 200
            assert response.headers["Content-Type"] == "application/vnd.amazon.eventstream"
            decoder = MessageDecoder()
            messages: list[Any] = []
            while len(messages) < 2:
                messages += decoder.feed(response.read1(65536))
        finally:
            connection.close()
        initial, event = messages[:2]
        assert initial.headers[":event-type"] == "initial-response"
        assert initial.headers[":content-type"] == CBOR and cbor2.loads(initial.payload) == {}
        assert event.headers[":event-type"] == "SubscribeToShardEvent"
        assert event.headers[":content-type"] == CBOR
        body = cbor2.loads(event.payload, semantic_decoders={1: lambda value, *_: ("tag1", value)})
        [record] = body["Records"]
        assert record["Data"] == b"\x01efo" and record["PartitionKey"] == "k"
        assert record["ApproximateArrivalTimestamp"][0] == "tag1"
        assert isinstance(body["ContinuationSequenceNumber"], str)
    finally:
        kinesis.delete_stream(StreamName=name, EnforceConsumerDeletion=True)
