"""Fuzzing the gateway and protocol layer with mutated requests.

Seeds are requests botocore serializes for a sample of operations in each of the five
protocols (every member filled, so the parsers see headers, query strings, labels, nested
bodies, blobs and timestamps). Hypothesis mutates them: bytes flipped, bodies truncated,
duplicated or replaced, tokens injected, headers dropped or changed, paths and query
strings garbled. The server must answer every one with a well-formed AWS answer of the
protocol it speaks (no 500 other than ``NotImplemented``'s 501), within the client's
timeout, and still be serving at the end.

``CLOUDLET_DEEP=1`` runs many more examples.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .botocalls import Raw, Reply, full_params, minimal_params, parse_reply, send, send_raw, serialize

DEEP = os.environ.get("CLOUDLET_DEEP") == "1"
EXAMPLES = int(os.environ.get("CLOUDLET_FUZZ_EXAMPLES", 400 if DEEP else 30))
TIMEOUT = 10.0

SEEDS: dict[str, list[tuple[str, str]]] = {
    "json": [
        ("dynamodb", "PutItem"),
        ("dynamodb", "TransactWriteItems"),
        ("sqs", "SendMessageBatch"),
        ("kinesis", "PutRecords"),
        ("logs", "PutLogEvents"),
        ("stepfunctions", "StartExecution"),
        ("ssm", "PutParameter"),
        ("events", "PutEvents"),
        ("secretsmanager", "CreateSecret"),
        ("firehose", "PutRecordBatch"),
    ],
    "query": [
        ("sts", "AssumeRole"),
        ("sts", "GetSessionToken"),
        ("sts", "AssumeRoleWithWebIdentity"),
        ("iam", "CreateRole"),
        ("sns", "Publish"),
        ("cloudformation", "CreateStack"),
    ],
    "rest-json": [
        ("lambda", "CreateFunction"),
        ("lambda", "Invoke"),
        ("apigateway", "PutIntegration"),
        ("apigatewayv2", "CreateApi"),
        ("scheduler", "CreateSchedule"),
        ("pipes", "CreatePipe"),
        ("xray", "PutTraceSegments"),
        ("apigatewaymanagementapi", "PostToConnection"),
    ],
    "rest-xml": [
        ("s3", "PutObject"),
        ("s3", "PutBucketTagging"),
        ("s3", "CompleteMultipartUpload"),
        ("s3", "DeleteObjects"),
        ("s3", "CopyObject"),
        ("s3", "ListObjectsV2"),
        ("s3", "PutBucketLifecycleConfiguration"),
    ],
    "smithy-rpc-v2-cbor": [
        ("cloudwatch", "PutMetricData"),
        ("cloudwatch", "PutMetricAlarm"),
        ("cloudwatch", "GetMetricData"),
    ],
}

_CONTENT_TYPES = {
    "application/x-amz-json-1.0": "json",
    "application/x-amz-json-1.1": "json",
    "text/xml": "query",
    "application/xml": "rest-xml",
    "application/cbor": "smithy-rpc-v2-cbor",
    "application/json": "rest-json",
}

_TOKENS = [
    b"{",
    b"}",
    b"[",
    b"]",
    b'"',
    b"\\",
    b"\\u",
    b"\\ud800",
    b"1e999999",
    b"-0",
    b"NaN",
    b"null",
    b"true",
    b"<",
    b">",
    b"</",
    b"<![CDATA[",
    b"&",
    b"&#0;",
    b"&amp;",
    b"<!DOCTYPE a>",
    b'xmlns:x=""',
    b"=",
    b"&",
    b".member.",
    b".1",
    b".0",
    b".99999999999",
    b"%",
    b"%zz",
    b"%00",
    b"%ff",
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xbf",
    b"\xc1",
    b"\x9f",
    b"\x1b\xff\xff\xff\xff\xff\xff\xff\xff",
    b"\xfa",
    b"\r\n",
    b"0\r\n\r\n",
    b";chunk-signature=",
]

_HEADER_NAMES = [
    "Content-Type",
    "Content-Encoding",
    "X-Amz-Target",
    "Authorization",
    "Host",
    "x-amz-content-sha256",
    "x-amz-decoded-content-length",
    "Content-MD5",
    "x-amz-copy-source",
    "x-amz-date",
    "smithy-protocol",
    "x-amz-meta-a",
    "Range",
    "If-Match",
    "x-amz-checksum-crc32",
    "Origin",
    "X-Amz-Invocation-Type",
    "x-amz-tagging",
    "Expires",
    "x-amz-object-lock-retain-until-date",
]

_HEADER_VALUES = [
    "",
    "gzip",
    "aws-chunked",
    "gzip, aws-chunked",
    "deflate",
    "application/json",
    "application/cbor",
    "application/x-www-form-urlencoded",
    "text/xml",
    "application/x-amz-json-1.1",
    "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    "DynamoDB_20120810.PutItem",
    "AmazonSQS.Nope",
    "Nope",
    ".",
    "AWS4-HMAC-SHA256 garbage",
    "AWS4-HMAC-SHA256 Credential=a/b/c/d/aws4_request",
    "AWS key:sig",
    "bucket.s3.localhost",
    "sqs.localhost",
    "-1",
    "99999999999999999999",
    "bytes=5-1",
    "not a date",
    "/src/key?versionId=1",
    "rpc-v2-cbor",
    "é",
]

# Visible latin-1 (HTTP/1.1 field-vchar and obs-text): anything else is not HTTP at all.
_HEADER_CHARS = st.characters(min_codepoint=32, max_codepoint=255, blacklist_characters="\x7f")

_PATH_PIECES = [
    "/",
    "//",
    "/..",
    "/%2F",
    "/%zz",
    "/%00",
    "/%C3%A9",
    "/{x}",
    "/a+b",
    "/service",
    "/operation",
    "/2015-03-31",
    "/restapis",
    "/v2",
    "/@connections",
    "/tags",
    "/_cloudlet",
]
_QUERY_PIECES = [
    "",
    "?",
    "?Action=",
    "?Action=AssumeRole",
    "?uploads",
    "?list-type=2",
    "?x-id=GetObject",
    "?partNumber=x&uploadId=",
    "?a=%zz",
    "?a&a&a",
    "?Version=2011-06-15",
    "?X-Amz-Credential=x",
]
_METHODS = ["GET", "PUT", "POST", "DELETE", "HEAD", "PATCH", "OPTIONS"]


@st.composite
def mutated_bodies(draw, body: bytes) -> bytes:
    kind = draw(st.sampled_from(["flip", "truncate", "duplicate", "inject", "replace", "splice", "same"]))
    if kind == "same" or (not body and kind in ("flip", "truncate", "duplicate", "splice")):
        return body
    if kind == "replace":
        return draw(st.binary(max_size=512))
    if kind == "inject":
        at = draw(st.integers(0, len(body)))
        token = draw(st.sampled_from(_TOKENS) | st.binary(min_size=1, max_size=8))
        return body[:at] + token * draw(st.integers(1, 3)) + body[at:]
    at = draw(st.integers(0, len(body) - 1))
    if kind == "flip":
        data = bytearray(body)
        for _ in range(draw(st.integers(1, 4))):
            data[draw(st.integers(0, len(body) - 1))] = draw(st.integers(0, 255))
        return bytes(data)
    if kind == "truncate":
        return body[:at]
    if kind == "duplicate":
        end = draw(st.integers(at, len(body)))
        return body[:end] + body[at:end] + body[end:]
    end = draw(st.integers(at, len(body)))  # splice: drop a slice
    return body[:at] + body[end:]


@st.composite
def mutated_headers(draw, headers: dict[str, str]) -> dict[str, str]:
    out = dict(headers)
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "set", "none"]))
        if action == "drop" and out:
            out.pop(draw(st.sampled_from(sorted(out))))
        elif action == "set":
            name = draw(st.sampled_from(_HEADER_NAMES))
            value = draw(st.sampled_from(_HEADER_VALUES) | st.text(_HEADER_CHARS, max_size=30))
            out[name] = value
    return out


@st.composite
def mutated_targets(draw, method: str, path: str) -> tuple[str, str]:
    if draw(st.integers(0, 3)):
        return method, path
    base, _, query = path.partition("?")
    choice = draw(st.sampled_from(["method", "path", "query", "all"]))
    if choice in ("method", "all"):
        method = draw(st.sampled_from(_METHODS))
    if choice in ("path", "all"):
        pieces = draw(st.lists(st.sampled_from(_PATH_PIECES), min_size=1, max_size=3))
        base = draw(st.sampled_from([base, ""])) + "".join(pieces)
    new_query = "?" + query if query else ""
    if choice in ("query", "all"):
        new_query = draw(st.sampled_from(_QUERY_PIECES))
    return method, (base or "/") + new_query


@st.composite
def requests(draw, seeds: list[Raw]) -> Raw:
    seed = draw(st.sampled_from(seeds))
    method, path = draw(mutated_targets(seed.method, seed.path))
    headers = draw(mutated_headers(seed.headers))
    body = draw(mutated_bodies(seed.body))
    return Raw(method, path, headers, body)


def protocol_of(reply: Reply) -> str | None:
    content_type = reply.headers.get("content-type", "").split(";")[0].strip()
    return _CONTENT_TYPES.get(content_type)


def check_answer(raw: Raw, reply: Reply) -> None:
    """A well-formed AWS answer: no 5xx but 501, and errors botocore can read."""
    where = f"{raw.method} {raw.path} {raw.headers} {raw.body[:200]!r} -> {reply.status} {reply.body[:300]!r}"
    assert reply.status < 500 or reply.status == 501, where
    if reply.status < 400 or raw.method == "HEAD" or raw.path.startswith("/_cloudlet"):
        return
    if reply.status == 404 and reply.body == b"<UnknownOperationException/>":
        return  # SQS's answer to a GET of a queue URL naming no action (services/sqs/query_api.py)
    protocol = protocol_of(reply)
    assert protocol is not None, where
    parsed = parse_reply(reply, protocol)
    assert parsed.code, where
    assert parsed.request_id, where
    if reply.status == 501:
        assert parsed.code == "NotImplemented", where


def seed_requests(protocol: str, endpoint: str) -> list[Raw]:
    seeds = []
    for service, operation in SEEDS[protocol]:
        seeds.append(serialize(service, operation, full_params(service, operation), endpoint=endpoint))
        seeds.append(serialize(service, operation, minimal_params(service, operation), endpoint=endpoint))
    if protocol == "query":  # SQS still takes query from older SDKs; CloudWatch too
        seeds.append(serialize("sqs", "SendMessage", full_params("sqs", "SendMessage"), "query", endpoint))
        seeds.append(
            serialize(
                "cloudwatch", "PutMetricData", full_params("cloudwatch", "PutMetricData"), "query", endpoint
            )
        )
    return seeds


@pytest.mark.parametrize("protocol", sorted(SEEDS))
def test_mutated_requests(cloudlet, protocol):
    endpoint = cloudlet.endpoint
    seeds = seed_requests(protocol, endpoint)
    for seed in seeds:  # the seeds themselves are fine requests
        check_answer(seed, send_raw(seed, endpoint, TIMEOUT))

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(raw=requests(seeds))
    def fuzz(raw: Raw) -> None:
        check_answer(raw, send_raw(raw, endpoint, TIMEOUT))

    fuzz()
    assert send(endpoint, "GET", "/_cloudlet/health").status == 200


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(_METHODS),
    path=st.lists(st.sampled_from(_PATH_PIECES) | st.text("abc%/.-_~+=&?", max_size=12), max_size=4),
    headers=st.dictionaries(st.sampled_from(_HEADER_NAMES), st.sampled_from(_HEADER_VALUES), max_size=5),
    body=st.binary(max_size=256),
)
def test_random_requests(cloudlet, method, path, headers, body):
    raw = Raw(method, "/" + "".join(path).lstrip("/"), headers, body)
    check_answer(raw, send_raw(raw, cloudlet.endpoint, TIMEOUT))
