"""Bad input gets the error AWS gives for that protocol, and the server keeps serving.

Every answer is read back with botocore's own parser for the protocol, so the error shape
(code, message, request id) is what SDKs see.
"""

from __future__ import annotations

import gzip
import http.client
import io
import socket
import zlib
from urllib.parse import urlsplit

import pytest

from .botocalls import (
    call,
    make_client,
    outcome_reaches,
    parse_reply,
    reply_reaches,
    send,
    serialize,
)

# Requests that carry a credential scope but a meaningless signature: the gateway reads the
# scope, and does not check the signature of an access key whose secret it does not know.
_SIGNATURE = "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
UNCHECKED_KEY = "AKIDUNKNOWNSECRET"


def scoped(service: str, region: str = "us-east-1") -> dict[str, str]:
    scope = f"{UNCHECKED_KEY}/20240101/{region}/{service}/aws4_request"
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={scope}, {_SIGNATURE}",
        "X-Amz-Date": "20240101T000000Z",
    }


def json_headers(service: str, target: str, version: str = "1.0") -> dict[str, str]:
    return {**scoped(service), "X-Amz-Target": target, "Content-Type": f"application/x-amz-json-{version}"}


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
CBOR = {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor", "Accept": "application/cbor"}
CBOR_PATH = "/service/GraniteServiceVersion20100801/operation/"
STS_IDENTITY = b"Action=GetCallerIdentity&Version=2011-06-15"
GARBAGE_10MB = bytes(range(256)) * (10 * 1024 * 1024 // 256)


@pytest.fixture
def endpoint(cloudlet):
    """The server's URL; after each test, the server must still answer."""
    yield cloudlet.endpoint
    health = send(cloudlet.endpoint, "GET", "/_cloudlet/health")
    assert health.status == 200
    sts = send(cloudlet.endpoint, "POST", "/", {**scoped("sts"), **FORM}, STS_IDENTITY)
    assert sts.status == 200, sts.body


def expect_error(reply, protocol: str, status: int, code: str, message: str | None = None):
    """Assert a well-formed ``protocol`` error; returns botocore's reading of it."""
    parsed = parse_reply(reply, protocol)
    assert (parsed.status, parsed.code) == (status, code), reply.body[:500]
    if message is not None:
        assert parsed.message == message
    assert parsed.request_id, reply.headers
    if protocol == "rest-xml":
        assert "x-amz-request-id" in reply.headers and "x-amz-id-2" in reply.headers
    else:
        assert reply.headers["x-amzn-requestid"] == parsed.request_id
    if protocol == "query":
        assert f"<RequestId>{parsed.request_id}</RequestId>".encode() in reply.body
    return parsed


# ---- malformed bodies, per protocol -------------------------------------------------------

_MALFORMED_JSON = [b"{bad", b'{"TableName": "t", "Key": {', b"[1, 2]", b'"text"', b"\xff\xfe\x00", b"{}}"]


@pytest.mark.parametrize("body", _MALFORMED_JSON)
def test_malformed_json(endpoint, body):
    reply = send(endpoint, "POST", "/", json_headers("dynamodb", "DynamoDB_20120810.GetItem"), body)
    parsed = expect_error(reply, "json", 400, "SerializationException")
    assert parsed.message


def test_json_member_of_wrong_type(endpoint):
    reply = send(
        endpoint, "POST", "/", json_headers("dynamodb", "DynamoDB_20120810.GetItem"), b'{"TableName": 5}'
    )
    expect_error(reply, "json", 400, "SerializationException")


def test_malformed_json_to_query_compatible_service(endpoint):
    """SQS (awsQueryCompatible) also names the query error code in ``x-amzn-query-error``."""
    reply = send(endpoint, "POST", "/", json_headers("sqs", "AmazonSQS.SendMessage"), b"{bad")
    parsed = expect_error(reply, "json", 400, "SerializationException")
    assert reply.headers["x-amzn-query-error"] == "SerializationException;Sender"
    assert parsed.parsed["Error"]["Type"] == "Sender"


@pytest.mark.parametrize(
    "body", [b"<Tagging><TagSet>", b"not xml at all", b"<a></b>", b"<!DOCTYPE x [<!ENTITY e 'x'>]><a>&e;</a>"]
)
def test_malformed_xml(endpoint, body):
    reply = send(endpoint, "PUT", "/bucket?tagging", scoped("s3"), body)
    expect_error(reply, "rest-xml", 400, "MalformedXML")


def test_xml_scalar_of_wrong_type(endpoint):
    body = (
        b"<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter/>"
        b"<Expiration><Days>soon</Days></Expiration></Rule></LifecycleConfiguration>"
    )
    reply = send(endpoint, "PUT", "/bucket?lifecycle", scoped("s3"), body)
    expect_error(reply, "rest-xml", 400, "MalformedXML")


@pytest.mark.parametrize("body", [b"\xff\x00\x01", b"\xbf\x61", b"\xa1\x61", b"\x82\x01\x02", b"\x1b\x00"])
def test_malformed_cbor(endpoint, body):
    reply = send(endpoint, "POST", CBOR_PATH + "ListMetrics", {**scoped("monitoring"), **CBOR}, body)
    expect_error(reply, "smithy-rpc-v2-cbor", 400, "SerializationException")


def test_cbor_member_of_wrong_type(endpoint):
    body = bytes.fromhex("a1") + b"\x69Namespace" + b"\x05"  # {"Namespace": 5}
    reply = send(endpoint, "POST", CBOR_PATH + "ListMetrics", {**scoped("monitoring"), **CBOR}, body)
    expect_error(reply, "smithy-rpc-v2-cbor", 400, "SerializationException")


@pytest.mark.parametrize(
    "body",
    [
        b"Action=GetSessionToken&Version=2011-06-15&DurationSeconds=abc",
        b"Action=GetCallerIdentity&Version=2011-06-15&x=\xff",
    ],
)
def test_malformed_form(endpoint, body):
    reply = send(endpoint, "POST", "/", {**scoped("sts"), **FORM}, body)
    expect_error(reply, "query", 400, "MalformedQueryString")


def test_malformed_rest_json(endpoint):
    reply = send(
        endpoint,
        "POST",
        "/2015-03-31/functions",
        {**scoped("lambda"), "Content-Type": "application/json"},
        b"{nope",
    )
    expect_error(reply, "rest-json", 400, "SerializationException")


def test_rest_json_query_value_of_wrong_type(endpoint):
    """``MaxItems`` is an integer bound to the query string."""
    reply = send(endpoint, "GET", "/2015-03-31/functions?MaxItems=lots", scoped("lambda"))
    expect_error(reply, "rest-json", 400, "SerializationException")


# ---- truncated and oversized --------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "operation", "params", "protocol"),
    [
        ("dynamodb", "PutItem", {"TableName": "t", "Item": {"k": {"S": "v"}}}, "json"),
        (
            "cloudwatch",
            "PutMetricData",
            {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]},
            "smithy-rpc-v2-cbor",
        ),
        (
            "s3",
            "PutBucketTagging",
            {"Bucket": "b", "Tagging": {"TagSet": [{"Key": "k", "Value": "v"}]}},
            "rest-xml",
        ),
        ("lambda", "CreateAlias", {"FunctionName": "f", "Name": "a", "FunctionVersion": "1"}, "rest-json"),
    ],
)
def test_truncated_bodies(endpoint, service, operation, params, protocol):
    raw = serialize(service, operation, params, endpoint=endpoint)
    assert raw.body
    for cut in (1, len(raw.body) // 2, len(raw.body) - 1):
        reply = send(
            endpoint, raw.method, raw.path, {**raw.headers, "Content-Length": str(cut)}, raw.body[:cut]
        )
        parsed = parse_reply(reply, protocol)
        assert reply.status == 400, reply.body
        assert parsed.code in ("SerializationException", "MalformedXML"), parsed


def test_declared_length_longer_than_body(endpoint):
    """The client stops sending: the server answers (or drops the connection) without hanging."""
    parts = urlsplit(endpoint)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        head = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        sock.sendall(f"{head}Content-Length: 1000\r\n\r\n".encode() + STS_IDENTITY)
        sock.shutdown(socket.SHUT_WR)
        data = sock.recv(65536)
    assert data == b"" or data.startswith(b"HTTP/1.1 4")


@pytest.mark.parametrize(
    ("method", "path", "headers", "protocol", "code"),
    [
        (
            "POST",
            "/",
            json_headers("dynamodb", "DynamoDB_20120810.PutItem"),
            "json",
            "SerializationException",
        ),
        (
            "POST",
            CBOR_PATH + "PutMetricData",
            {**scoped("monitoring"), **CBOR},
            "smithy-rpc-v2-cbor",
            "SerializationException",
        ),
        ("PUT", "/bucket?tagging", scoped("s3"), "rest-xml", "MalformedXML"),
        ("POST", "/2015-03-31/functions", scoped("lambda"), "rest-json", "SerializationException"),
        ("POST", "/", {**scoped("sts"), **FORM}, "query", "MissingAction"),
    ],
)
def test_ten_megabytes_of_garbage(endpoint, method, path, headers, protocol, code):
    reply = send(endpoint, method, path, headers, GARBAGE_10MB, timeout=60)
    expect_error(reply, protocol, 400, code)


def test_ten_megabytes_of_garbage_as_an_object(endpoint):
    """S3 takes any bytes as an object: the body reaches the operation."""
    reply = send(endpoint, "PUT", "/bucket/key", scoped("s3"), GARBAGE_10MB, timeout=60)
    assert reply_reaches(reply, "s3", "PutObject") is None


# ---- wrong content types ------------------------------------------------------------------


@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "application/cbor", ""])
def test_json_service_ignores_content_type(endpoint, content_type):
    headers = {**json_headers("dynamodb", "DynamoDB_20120810.ListTables"), "Content-Type": content_type}
    reply = send(endpoint, "POST", "/", headers, b"{}")
    assert reply_reaches(reply, "dynamodb", "ListTables") is None


def test_form_with_json_content_type(endpoint):
    """A query service reads ``Action`` from the query string or a form body only."""
    headers = {**scoped("sts"), "Content-Type": "application/json"}
    reply = send(endpoint, "POST", "/", headers, STS_IDENTITY)
    expect_error(reply, "query", 400, "MissingAction")


def test_json_body_sent_to_cbor_service(endpoint):
    headers = {**scoped("monitoring"), **CBOR, "Content-Type": "application/json"}
    reply = send(endpoint, "POST", CBOR_PATH + "ListMetrics", headers, b'{"Namespace": "x"}')
    expect_error(reply, "smithy-rpc-v2-cbor", 400, "SerializationException")


# ---- unknown operations -------------------------------------------------------------------


def test_unknown_target(endpoint):
    reply = send(endpoint, "POST", "/", json_headers("dynamodb", "DynamoDB_20120810.DropEverything"), b"{}")
    expect_error(reply, "json", 400, "UnknownOperationException")


def test_unknown_target_prefix_without_scope(endpoint):
    reply = send(endpoint, "POST", "/", {"X-Amz-Target": "NoSuchService_2020.Op"}, b"{}")
    expect_error(reply, "json", 400, "UnknownOperationException")


def test_json_service_without_target(endpoint):
    reply = send(
        endpoint, "POST", "/", {**scoped("dynamodb"), "Content-Type": "application/x-amz-json-1.0"}, b"{}"
    )
    expect_error(reply, "json", 400, "UnknownOperationException")


@pytest.mark.parametrize(
    ("service", "version", "where"),
    [
        ("sts", "2011-06-15", "web service"),
        ("iam", "2010-05-08", "web service"),
        ("sqs", "2012-11-05", "endpoint"),  # SQS's own words (tests/services/sqs/test_query_legacy.py)
    ],
)
def test_unknown_action(endpoint, service, version, where):
    reply = send(
        endpoint,
        "POST",
        "/",
        {**scoped(service), **FORM},
        f"Action=DropEverything&Version={version}".encode(),
    )
    expect_error(
        reply, "query", 400, "InvalidAction", f"The action DropEverything is not valid for this {where}."
    )


def test_unknown_action_without_scope(endpoint):
    reply = send(endpoint, "POST", "/", FORM, b"Action=DropEverything&Version=2011-06-15")
    expect_error(
        reply, "query", 400, "InvalidAction", "The action DropEverything is not valid for this web service."
    )


def test_unknown_action_of_unknown_service(endpoint):
    reply = send(endpoint, "GET", "/?Action=DropEverything&Version=1999-01-01", {})
    expect_error(
        reply, "query", 400, "InvalidAction", "The action DropEverything is not valid for this web service."
    )


def test_control_character_echoed_in_an_xml_error(endpoint):
    """Characters XML cannot carry are replaced, so the error stays readable XML."""
    reply = send(
        endpoint, "POST", "/", {**scoped("sts"), **FORM}, b"Action=Get%01Identity&Version=2011-06-15"
    )
    expect_error(reply, "query", 400, "InvalidAction")


def test_missing_action(endpoint):
    reply = send(endpoint, "POST", "/", {**scoped("sts"), **FORM}, b"Version=2011-06-15")
    expect_error(reply, "query", 400, "MissingAction")


def test_unknown_cbor_operation(endpoint):
    reply = send(endpoint, "POST", CBOR_PATH + "DropEverything", {**scoped("monitoring"), **CBOR}, b"\xa0")
    expect_error(reply, "smithy-rpc-v2-cbor", 404, "UnknownOperationException")


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("GET", "/2015-03-31/nothing/here", "lambda"),
        ("DELETE", "/v2/nothing", "apigateway"),
        ("GET", "/", "xray"),
    ],
)
def test_unknown_rest_json_path(endpoint, method, path, service):
    reply = send(endpoint, method, path, scoped(service))
    expect_error(reply, "rest-json", 404, "UnknownOperationException")


# An OPTIONS to a bucket is S3's CORS preflight, answered as S3 answers it even without an
# Origin (400 BadRequest; tests/services/s3/test_cors_preflight.py).
@pytest.mark.parametrize(("method", "path"), [("PATCH", "/bucket/key"), ("POST", "/bucket/key")])
def test_unknown_s3_request(endpoint, method, path):
    reply = send(endpoint, method, path, scoped("s3"))
    expect_error(reply, "rest-xml", 405, "MethodNotAllowed")


# ---- authorization ------------------------------------------------------------------------


def test_missing_authorization_still_routes(endpoint):
    reply = send(endpoint, "POST", "/", FORM, STS_IDENTITY)
    assert reply.status == 200
    assert b"<Account>000000000000</Account>" in reply.body
    reply = send(endpoint, "POST", "/", {"X-Amz-Target": "Kinesis_20131202.ListStreams"}, b"{}")
    assert reply_reaches(reply, "kinesis", "ListStreams") is None


_GARBAGE_AUTH = "AWS4-HMAC-SHA256 garbage"
_INCOMPLETE = (
    "Authorization header requires 'Credential' parameter. Authorization header requires 'SignedHeaders' "
    "parameter. Authorization header requires 'Signature' parameter. Authorization=AWS4-HMAC-SHA256 garbage"
)


@pytest.mark.parametrize(
    ("headers", "body", "protocol"),
    [
        (
            {"X-Amz-Target": "DynamoDB_20120810.ListTables", "Content-Type": "application/x-amz-json-1.0"},
            b"{}",
            "json",
        ),
        (FORM, STS_IDENTITY, "query"),
        (
            {"Content-Type": "application/x-www-form-urlencoded"},
            b"Action=ListQueues&Version=2012-11-05",
            "query",
        ),
        (CBOR, b"\xa0", "smithy-rpc-v2-cbor"),
    ],
)
def test_malformed_authorization(endpoint, headers, body, protocol):
    path = CBOR_PATH + "ListMetrics" if protocol == "smithy-rpc-v2-cbor" else "/"
    reply = send(endpoint, "POST", path, {**headers, "Authorization": _GARBAGE_AUTH}, body)
    expect_error(reply, protocol, 403, "IncompleteSignature", _INCOMPLETE)


def test_malformed_authorization_rest_json(endpoint):
    reply = send(endpoint, "GET", "/2015-03-31/functions", {"Authorization": _GARBAGE_AUTH})
    expect_error(reply, "rest-json", 403, "IncompleteSignature", _INCOMPLETE)


def test_partly_malformed_authorization(endpoint):
    auth = "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sts/aws4_request, SignedHeaders=host"
    reply = send(endpoint, "POST", "/", {**FORM, "Authorization": auth}, STS_IDENTITY)
    expect_error(
        reply,
        "query",
        403,
        "IncompleteSignature",
        f"Authorization header requires 'Signature' parameter. Authorization={auth}",
    )


@pytest.mark.parametrize(
    ("auth", "code", "message"),
    [
        (
            _GARBAGE_AUTH,
            "AuthorizationHeaderMalformed",
            "The authorization header is malformed; the Credential is mal-formed; "
            'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".',
        ),
        ("Bearer abc", "InvalidArgument", "Unsupported Authorization Type"),
    ],
)
def test_malformed_authorization_s3(endpoint, auth, code, message):
    reply = send(endpoint, "GET", "/bucket/key", {"Authorization": auth})
    expect_error(reply, "rest-xml", 400, code, message)


def test_malformed_presigned_credential(endpoint):
    reply = send(
        endpoint,
        "GET",
        "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=nonsense"
        "&X-Amz-Signature=00&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host",
    )
    expect_error(reply, "rest-xml", 400, "AuthorizationQueryParametersError")


def test_region_and_account_from_the_request(endpoint):
    headers = {
        **FORM,
        "Authorization": scoped("sts", "eu-west-3")["Authorization"].replace(
            f"{UNCHECKED_KEY}/", "123456789012/"
        ),
    }
    reply = send(endpoint, "POST", "/", headers, STS_IDENTITY)
    assert reply.status == 200
    assert b"<Account>123456789012</Account>" in reply.body


# ---- body encodings -----------------------------------------------------------------------


def test_gzip_body_is_inflated(endpoint):
    reply = send(
        endpoint,
        "POST",
        "/",
        {**scoped("sts"), **FORM, "Content-Encoding": "gzip"},
        gzip.compress(STS_IDENTITY),
    )
    assert reply.status == 200, reply.body
    headers = {**json_headers("dynamodb", "DynamoDB_20120810.ListTables"), "Content-Encoding": "gzip"}
    reply = send(endpoint, "POST", "/", headers, gzip.compress(b'{"Limit": 5}'))
    assert reply_reaches(reply, "dynamodb", "ListTables") is None


def test_gzip_body_without_scope(endpoint):
    reply = send(endpoint, "POST", "/", {**FORM, "Content-Encoding": "gzip"}, gzip.compress(STS_IDENTITY))
    assert reply.status == 200, reply.body


def test_boto3_request_compression(endpoint):
    """botocore gzips CloudWatch PutMetricData bodies above a threshold."""
    client = make_client("cloudwatch", endpoint, request_min_compression_size_bytes=1)
    seen = {}
    client.meta.events.register("before-send", lambda request, **_: seen.update(request.headers))
    outcome = call(
        client, "PutMetricData", {"Namespace": "n", "MetricData": [{"MetricName": "m", "Value": 1.0}]}
    )
    assert seen.get("Content-Encoding") == b"gzip"
    assert outcome_reaches(outcome, "cloudwatch", "PutMetricData") is None


@pytest.mark.parametrize(
    "body", [b"not gzip", gzip.compress(STS_IDENTITY, mtime=0)[:-12], zlib.compress(STS_IDENTITY)]
)
def test_invalid_gzip(endpoint, body):
    reply = send(endpoint, "POST", "/", {**scoped("sts"), **FORM, "Content-Encoding": "gzip"}, body)
    expect_error(reply, "query", 400, "SerializationException")
    headers = {**json_headers("dynamodb", "DynamoDB_20120810.ListTables"), "Content-Encoding": "gzip"}
    reply = send(endpoint, "POST", "/", headers, body)
    expect_error(reply, "json", 400, "SerializationException")


def test_gzip_object_is_kept_as_sent(endpoint):
    """S3 stores a gzip object as it is: not inflated, even when it is not valid gzip."""
    reply = send(endpoint, "PUT", "/bucket/key.gz", {**scoped("s3"), "Content-Encoding": "gzip"}, b"not gzip")
    assert reply_reaches(reply, "s3", "PutObject") is None


def test_gzip_bomb_is_refused(endpoint):
    bomb = gzip.compress(b"\0" * (80 * 1024 * 1024))
    reply = send(
        endpoint, "POST", "/", {**scoped("sts"), **FORM, "Content-Encoding": "gzip"}, bomb, timeout=60
    )
    assert reply.status == 413
    parse_reply(reply, "query")


def aws_chunked(
    payload: bytes, chunk: int = 5, trailers: dict[str, str] | None = None, signed: bool = True
) -> bytes:
    out = b""
    for i in range(0, len(payload), chunk):
        part = payload[i : i + chunk]
        ext = b";chunk-signature=" + b"0" * 64 if signed else b""
        out += f"{len(part):x}".encode() + ext + b"\r\n" + part + b"\r\n"
    out += b"0" + (b";chunk-signature=" + b"0" * 64 if signed else b"") + b"\r\n"
    for key, value in (trailers or {}).items():
        out += f"{key}:{value}\r\n".encode()
    return out + b"\r\n"


def test_aws_chunked_body_is_decoded(endpoint):
    """A hand-made aws-chunked form body reaches STS as the plain form."""
    body = aws_chunked(STS_IDENTITY, trailers={"x-amz-checksum-crc32": "AAAAAA=="})
    headers = {
        **scoped("sts"),
        **FORM,
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": str(len(STS_IDENTITY)),
        "x-amz-trailer": "x-amz-checksum-crc32",
    }
    reply = send(endpoint, "POST", "/", headers, body)
    assert reply.status == 200, reply.body
    unsigned = {**headers, "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER"}
    reply = send(endpoint, "POST", "/", unsigned, aws_chunked(STS_IDENTITY, 7, signed=False))
    assert reply.status == 200, reply.body


def test_large_aws_chunked_body_is_decoded(endpoint):
    """A body past the in-memory limit is decoded on disk; the form's last field survives."""
    body = b"Pad=" + b"x" * (12 * 1024 * 1024) + b"&" + STS_IDENTITY
    headers = {
        **scoped("sts"),
        **FORM,
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": str(len(body)),
    }
    reply = send(endpoint, "POST", "/", headers, aws_chunked(body, 64 * 1024, signed=False), timeout=60)
    assert reply.status == 200, reply.body[:300]
    assert b"<Account>000000000000</Account>" in reply.body


def test_boto3_put_object_with_trailing_checksum(endpoint):
    """Current boto3 sends PutObject as aws-chunked with a trailing CRC32 (over TLS)."""
    client = make_client("s3", endpoint, scheme="https")
    seen = {}

    def capture(request, **_):
        seen.update(
            {k.lower(): v.decode() if isinstance(v, bytes) else v for k, v in request.headers.items()}
        )

    client.meta.events.register("before-send.s3.PutObject", capture)
    outcome = call(
        client, "PutObject", {"Bucket": "bucket", "Key": "k", "Body": io.BytesIO(b"hello " * 1000)}
    )
    assert "aws-chunked" in seen.get("content-encoding", "")
    assert seen.get("x-amz-trailer") == "x-amz-checksum-crc32"
    assert outcome_reaches(outcome, "s3", "PutObject") is None


@pytest.mark.parametrize(
    "body",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # not a hex size
        b"10\r\nhello\r\n0\r\n\r\n",  # chunk shorter than declared
        b"5\r\nhello",  # no final chunk
        b"5\r\nhelloXX0\r\n\r\n",  # no CRLF after the data
        b"",
    ],
)
def test_malformed_aws_chunked(endpoint, body):
    headers = {
        **scoped("s3"),
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    }
    reply = send(endpoint, "PUT", "/bucket/key", headers, body)
    expect_error(reply, "rest-xml", 400, "IncompleteBody")


def test_aws_chunked_decoded_length_mismatch(endpoint):
    headers = {
        **scoped("s3"),
        "Content-Encoding": "aws-chunked",
        "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
        "x-amz-decoded-content-length": "99",
    }
    reply = send(endpoint, "PUT", "/bucket/key", headers, aws_chunked(b"hello", signed=False))
    expect_error(reply, "rest-xml", 400, "IncompleteBody")


def test_expect_100_continue(endpoint):
    parts = urlsplit(endpoint)
    head = (
        "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(STS_IDENTITY)}\r\nExpect: 100-continue\r\n\r\n"
    )
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(head.encode())
        interim = sock.recv(4096)
        assert interim.startswith(b"HTTP/1.1 100"), interim
        sock.sendall(STS_IDENTITY)
        data = b""
        while b"</GetCallerIdentityResponse>" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    assert data.startswith(b"HTTP/1.1 200"), data[:200]


def test_boto3_expect_100_continue(endpoint):
    """botocore sends ``Expect: 100-continue`` for S3 uploads above 1 MB."""
    client = make_client(
        "s3", endpoint, s3={"payload_signing_enabled": False}, request_checksum_calculation="when_required"
    )
    seen = {}
    client.meta.events.register("before-send.s3.PutObject", lambda request, **_: seen.update(request.headers))
    outcome = call(client, "PutObject", {"Bucket": "bucket", "Key": "k", "Body": b"x" * (2 * 1024 * 1024)})
    assert seen.get("Expect") == b"100-continue"
    assert outcome_reaches(outcome, "s3", "PutObject") is None


def test_chunked_transfer_encoding(endpoint):
    parts = urlsplit(endpoint)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        conn.request(
            "POST", "/", body=iter([STS_IDENTITY[:10], STS_IDENTITY[10:]]), headers=FORM, encode_chunked=True
        )
        resp = conn.getresponse()
        assert resp.status == 200
        assert b"<Account>000000000000</Account>" in resp.read()
    finally:
        conn.close()


# ---- CORS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/", "/bucket/key", "/2015-03-31/functions"])
def test_cors_preflight(endpoint, path):
    reply = send(
        endpoint,
        "OPTIONS",
        path,
        {
            "Origin": "http://app.example",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization,x-amz-date,content-type",
        },
    )
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "http://app.example"
    assert "PUT" in reply.headers["access-control-allow-methods"]
    assert reply.headers["access-control-allow-headers"] == "authorization,x-amz-date,content-type"
    assert "x-amz-request-id" in reply.headers["access-control-expose-headers"]


def test_cors_headers_on_answers(endpoint):
    origin = {"Origin": "http://app.example"}
    ok = send(endpoint, "POST", "/", {**FORM, **origin}, STS_IDENTITY)
    assert ok.status == 200
    assert ok.headers["access-control-allow-origin"] == "http://app.example"
    assert "x-amzn-RequestId" in ok.headers["access-control-expose-headers"]
    error = send(endpoint, "GET", "/bucket/key", {**origin, **scoped("s3", "eu-west-1")})
    assert error.status >= 400
    assert error.headers["access-control-allow-origin"] == "http://app.example"
    plain = send(endpoint, "POST", "/", FORM, STS_IDENTITY)
    assert "access-control-allow-origin" not in plain.headers


# ---- request ids --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("service", "kwargs", "header"),
    [
        ("sts", {}, "x-amzn-requestid"),
        ("sqs", {}, "x-amzn-requestid"),
        ("lambda", {}, "x-amzn-requestid"),
        ("cloudwatch", {}, "x-amzn-requestid"),
        ("s3", {}, "x-amz-request-id"),
    ],
)
def test_request_ids(endpoint, service, kwargs, header):
    client = make_client(service, endpoint, **kwargs)
    op = {
        "sts": "GetCallerIdentity",
        "sqs": "ListQueues",
        "lambda": "ListFunctions",
        "cloudwatch": "ListMetrics",
        "s3": "ListBuckets",
    }[service]
    first = call(client, op, {})
    second = call(client, op, {})
    assert first.headers[header] != second.headers[header]
    if service == "s3":
        assert first.headers["x-amz-id-2"]


def test_boto3_client_survives_everything(endpoint):
    """After all of the above, an ordinary SDK call still works."""
    sts = make_client("sts", endpoint, retries={"total_max_attempts": 1})
    assert sts.get_caller_identity()["Account"] == "000000000000"
