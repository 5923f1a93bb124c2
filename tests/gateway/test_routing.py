"""Every operation of every routed service reaches the right place.

Requests are built by botocore itself (its serializers, signers and customisations), sent
to a real server, and must come back as the 501 ``NotImplemented`` error naming exactly
that service and operation, or, for operations Cloudlet implements, as anything else.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

import pytest
from botocore import UNSIGNED, xform_name

from cloudlet.gateway.detect import Router
from cloudlet.gateway.request import Headers, Request
from cloudlet.gateway.routing_index import load_index
from cloudlet.services.registry import SERVICES

from .botocalls import (
    Outcome,
    all_operations,
    call,
    expected_targets,
    implemented,
    make_client,
    minimal_params,
    operations,
    outcome_reaches,
    parse_reply,
    reply_reaches,
    send,
    send_raw,
    serialize,
    service_model,
)

_NOT_IMPLEMENTED = re.compile(
    r"^The operation (\w+) of service ([\w-]+) is not implemented by Cloudlet yet\.$"
)
_S3_HOSTS = ["s3.localhost.test:{port}", "s3.us-east-1.amazonaws.com", "s3.localhost.localstack.cloud:{port}"]


def _routed_to(outcome: Outcome) -> tuple[str, str] | None:
    m = _NOT_IMPLEMENTED.match(outcome.message)
    return (m.group(2), m.group(1)) if m else None


@cache
def _router() -> Router:
    return Router(load_index())


def detected(method: str, path: str, headers: dict[str, str], body: bytes = b"") -> tuple[str, str | None]:
    """What the router (in this process, from the same index) makes of a request."""
    path, _, query = path.partition("?")
    request = Request(method, path, query, Headers(list(headers.items())), body)
    target = _router().route(request)
    return target.service, target.operation


def assert_detected(
    endpoint: str,
    method: str,
    path: str,
    headers: dict[str, str],
    service: str,
    operation: str,
    body: bytes = b"",
    protocol: str | None = None,
) -> None:
    """The server routes the request to ``operation``: its 501 names it, or, once Cloudlet
    implements it, the provider answers and the router confirms the operation."""
    reply = send(endpoint, method, path, headers, body)
    problem = reply_reaches(reply, service, operation, protocol)
    assert problem is None, f"{problem}: {reply.body[:300]!r}"
    if implemented(service, operation):
        assert detected(method, path, headers, body) == (service, operation)


def _request_id_headers(service: str) -> tuple[str, ...]:
    if service in ("s3", "s3control"):  # S3 Control answers as S3 does
        return ("x-amz-request-id", "x-amz-id-2")
    return ("x-amzn-requestid",)


def _check(service: str, operation: str, outcome: Outcome, *, scoped: bool = True) -> str | None:
    """A description of what is wrong with the answer to ``operation``, or None."""
    if implemented(service, operation):
        return outcome_reaches(outcome, service, operation)
    twins = expected_targets(service, operation, scoped=scoped) - {(service, operation)}
    if any(implemented(s, o) for s, o in twins):
        # An identical wire form (ListDirectoryBuckets is ListBuckets on the wire) that an
        # implemented twin answers.
        return None if outcome.status < 500 else f"status {outcome.status} {outcome.code}"
    if outcome.status != 501:
        return f"status {outcome.status} {outcome.code}: {outcome.message}"
    missing = [h for h in _request_id_headers(service) if h not in outcome.headers]
    if missing:
        return f"no request id header {missing}"
    if service_model(service).operation_model(operation).http.get("method") == "HEAD":
        return None  # no body to name the operation in; see test_head_operations_are_detected
    if outcome.code != "NotImplemented":
        return f"code {outcome.code!r}"
    routed = _routed_to(outcome)
    if routed not in expected_targets(service, operation, scoped=scoped):
        return f"routed to {routed}"
    return None


def _run_all(client, service: str, *, scoped: bool = True, ops: list[str] | None = None) -> list[str]:
    failures = []
    for operation in ops or operations(service):
        outcome = call(client, operation, minimal_params(service, operation))
        problem = _check(service, operation, outcome, scoped=scoped)
        if problem:
            failures.append(f"{service}.{operation}: {problem}")
    return failures


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_is_routed(cloudlet, service):
    failures = _run_all(make_client(service, cloudlet.endpoint), service)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("service", SERVICES)
def test_every_operation_is_routed_unsigned(cloudlet, service):
    """Without a credential scope: X-Amz-Target, Action/Version, CBOR path and URI templates."""
    client = make_client(service, cloudlet.endpoint, signature_version=UNSIGNED)
    failures = _run_all(client, service, scoped=False)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("host", _S3_HOSTS)
def test_s3_virtual_hosted_style(cloudlet, host):
    port = urlsplit(cloudlet.endpoint).port
    client = make_client(
        "s3", cloudlet.endpoint, host=host.format(port=port), s3={"addressing_style": "virtual"}
    )
    failures = _run_all(client, "s3")
    assert not failures, "\n".join(failures)


def test_s3_sigv2_signed_requests(cloudlet):
    client = make_client("s3", cloudlet.endpoint, signature_version="s3")
    ops = ["PutObject", "GetObject", "CopyObject", "ListObjectsV2", "ListBuckets", "DeleteObjects"]
    failures = _run_all(client, "s3", ops=ops)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("service", "protocol"), [("sqs", "query"), ("cloudwatch", "json"), ("cloudwatch", "query")]
)
def test_every_operation_in_other_protocols(cloudlet, service, protocol):
    """Older SDKs speak query to SQS; CloudWatch takes CBOR (botocore's default), JSON and query."""
    failures = []
    for operation in operations(service):
        raw = serialize(service, operation, minimal_params(service, operation), protocol, cloudlet.endpoint)
        reply = send_raw(raw, cloudlet.endpoint)
        problem = reply_reaches(reply, service, operation, protocol)
        if problem or "x-amzn-requestid" not in reply.headers:
            failures.append(f"{service}.{operation}: {problem} {reply.headers}")
    assert not failures, "\n".join(failures)


def test_sqs_query_error_is_xml(cloudlet):
    """A query request to SQS is answered in query's XML, not in SQS's default JSON."""
    params = {"QueueUrl": f"{cloudlet.endpoint}/000000000000/no-such-queue", "MessageBody": "m"}
    reply = send_raw(serialize("sqs", "SendMessage", params, "query", cloudlet.endpoint), cloudlet.endpoint)
    assert reply.status >= 400
    assert reply.headers["content-type"].startswith("text/xml")
    parsed = parse_reply(reply, "query")
    assert parsed.code
    assert f"<RequestId>{parsed.request_id}</RequestId>".encode() in reply.body


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_presigned_get_object(cloudlet, signature_version):
    client = make_client("s3", cloudlet.endpoint, signature_version=signature_version)
    url = client.generate_presigned_url("get_object", Params={"Bucket": "bucket", "Key": "dir/a b+c.txt"})
    parts = urlsplit(url)
    reply = send(cloudlet.endpoint, "GET", f"{parts.path}?{parts.query}")
    assert not reply_reaches(reply, "s3", "GetObject")
    assert detected("GET", f"{parts.path}?{parts.query}", {}) == ("s3", "GetObject")


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        ("PutObject", {"Bucket": "bucket", "Key": "k"}),
        ("UploadPart", {"Bucket": "bucket", "Key": "k", "UploadId": "u", "PartNumber": 1}),
        ("CreateMultipartUpload", {"Bucket": "bucket", "Key": "k"}),
    ],
)
def test_presigned_writes(cloudlet, operation, params):
    client = make_client("s3", cloudlet.endpoint, signature_version="s3v4")
    method = {"CreateMultipartUpload": "POST"}.get(operation, "PUT")
    url = client.generate_presigned_url(xform_name(operation), Params=params, HttpMethod=method)
    parts = urlsplit(url)
    assert_detected(cloudlet.endpoint, method, f"{parts.path}?{parts.query}", {}, "s3", operation, b"data")


# ---- discriminators, by hand: what older and other SDKs send ------------------------------

_S3_CASES = [
    ("PUT", "/b/k", {}, "PutObject"),
    ("PUT", "/b/k", {"x-amz-copy-source": "/src/key"}, "CopyObject"),
    ("PUT", "/b/k?partNumber=1&uploadId=u", {}, "UploadPart"),
    ("PUT", "/b/k?partNumber=1&uploadId=u", {"x-amz-copy-source": "/src/key"}, "UploadPartCopy"),
    ("GET", "/b", {}, "ListObjects"),
    ("GET", "/b/", {}, "ListObjects"),
    ("GET", "/b?list-type=2", {}, "ListObjectsV2"),
    ("GET", "/b?versions", {}, "ListObjectVersions"),
    ("GET", "/b?uploads", {}, "ListMultipartUploads"),
    ("POST", "/b/k?uploads", {}, "CreateMultipartUpload"),
    ("POST", "/b/k?uploadId=u", {}, "CompleteMultipartUpload"),
    ("DELETE", "/b/k?uploadId=u", {}, "AbortMultipartUpload"),
    ("GET", "/b/k?uploadId=u", {}, "ListParts"),
    ("GET", "/b/k", {}, "GetObject"),
    ("GET", "/b/k?x-id=GetObject", {}, "GetObject"),
    ("GET", "/b/dir/deep/key.txt", {}, "GetObject"),
    ("GET", "/b/k?tagging", {}, "GetObjectTagging"),
    ("GET", "/b?tagging", {}, "GetBucketTagging"),
    ("POST", "/b?delete", {}, "DeleteObjects"),
    ("DELETE", "/b/k", {}, "DeleteObject"),
    ("DELETE", "/b", {}, "DeleteBucket"),
    ("PUT", "/b", {}, "CreateBucket"),
    ("GET", "/", {}, "ListBuckets"),
    ("GET", "/b?location", {}, "GetBucketLocation"),
    ("GET", "/b?lifecycle", {}, "GetBucketLifecycleConfiguration"),
]


@pytest.mark.parametrize(("method", "path", "headers", "operation"), _S3_CASES)
def test_s3_discriminators(cloudlet, method, path, headers, operation):
    auth = (
        "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0"
    )
    for extra in ({"Authorization": auth}, {}):
        assert_detected(cloudlet.endpoint, method, path, {**headers, **extra}, "s3", operation)


def _scope(service: str) -> dict[str, str]:
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    }


@pytest.mark.parametrize(
    ("method", "path", "headers", "service", "operation"),
    [
        ("GET", "/restapis", _scope("apigateway"), "apigateway", "GetRestApis"),
        ("GET", "/v2/apis", _scope("apigateway"), "apigatewayv2", "GetApis"),
        ("GET", "/v2/apis", {}, "apigatewayv2", "GetApis"),
        (
            "POST",
            "/",
            {**_scope("dynamodb"), "X-Amz-Target": "DynamoDB_20120810.ListTables"},
            "dynamodb",
            "ListTables",
        ),
        (
            "POST",
            "/",
            {**_scope("dynamodb"), "X-Amz-Target": "DynamoDBStreams_20120810.ListStreams"},
            "dynamodbstreams",
            "ListStreams",
        ),
        (
            "POST",
            "/service/GraniteServiceVersion20100801/operation/ListMetrics",
            {"Content-Type": "application/cbor", "smithy-protocol": "rpc-v2-cbor"},
            "cloudwatch",
            "ListMetrics",
        ),
        ("GET", "/2015-03-31/functions/", _scope("lambda"), "lambda", "ListFunctions"),
        ("GET", "/2015-03-31/functions", {}, "lambda", "ListFunctions"),
        ("GET", "/?Action=ListQueues&Version=2012-11-05", {}, "sqs", "ListQueues"),
        ("GET", "/?Action=ListTopics&Version=2010-03-31", {}, "sns", "ListTopics"),
        ("GET", "/?Action=ListUsers", _scope("iam"), "iam", "ListUsers"),
        ("POST", "/@connections/abc", {}, "apigatewaymanagementapi", "PostToConnection"),
    ],
)
def test_service_detection_by_hand(cloudlet, method, path, headers, service, operation):
    protocol = "query" if "Action=" in path else None
    assert_detected(cloudlet.endpoint, method, path, headers, service, operation, protocol=protocol)


def test_host_header_names_the_service(cloudlet):
    """An unsigned request to ``sqs.<region>.amazonaws.com`` without Version is SQS."""
    headers = {"Host": "sqs.eu-west-1.amazonaws.com", "Content-Type": "application/x-www-form-urlencoded"}
    body = b"Action=ListQueues"
    assert_detected(cloudlet.endpoint, "POST", "/", headers, "sqs", "ListQueues", body, protocol="query")


def test_head_operations_are_detected():
    """HEAD answers carry no body, so the router itself is asked which operation it found."""
    for service, operation in all_operations():
        model = service_model(service).operation_model(operation)
        if model.http.get("method") == "HEAD":
            raw = serialize(service, operation, minimal_params(service, operation))
            assert detected("HEAD", raw.path, raw.headers) == (service, operation)


def test_presigned_query_request(cloudlet):
    """Presigned STS GetCallerIdentity (what EKS and Vault use) is a query request in a URL."""
    client = make_client("sts", cloudlet.endpoint)
    url = client.generate_presigned_url("get_caller_identity")
    parts = urlsplit(url)
    assert "X-Amz-Credential=" in parts.query
    reply = send(cloudlet.endpoint, "GET", f"{parts.path}?{parts.query}")
    assert reply.status == 200, reply.body
    assert b"<Account>000000000000</Account>" in reply.body


def test_sigv4a_scope_names_the_service(cloudlet):
    """SigV4a (multi-region access points) scopes carry no region: ``AKID/date/service/aws4_request``."""
    auth = (
        "AWS4-ECDSA-P256-SHA256 Credential=test/20240101/s3/aws4_request, "
        "SignedHeaders=host;x-amz-region-set, Signature=3045"
    )
    headers = {"Authorization": auth, "X-Amz-Region-Set": "*"}
    assert_detected(cloudlet.endpoint, "GET", "/bucket?list-type=2", headers, "s3", "ListObjectsV2")
    assert detected("GET", "/bucket?list-type=2", headers) == ("s3", "ListObjectsV2")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("my-bucket.localhost:4566", ("s3", "ListObjects")),
        ("my.dotted.bucket.localhost", ("s3", "ListObjects")),
        ("s3.localhost:4566", ("s3", "ListBuckets")),
        ("sqs.localhost:4566", ("sqs", None)),  # a service's endpoint prefix is not a bucket
    ],
)
def test_bucket_dot_localhost_hosts(host, expected):
    """Unsigned GET / by Host alone: ``<bucket>.localhost`` is a bucket, service hosts are not."""
    assert detected("GET", "/", {"host": host}) == expected


def test_a_service_label_inside_a_localhost_name_is_not_a_bucket():
    assert detected("GET", "/", {"host": "abc123.execute-api.localhost:4566"}) != ("s3", "ListObjects")


@pytest.mark.parametrize(
    ("service", "call"),
    [("ec2", lambda c: c.describe_instances()), ("rds", lambda c: c.describe_db_instances())],
)
def test_a_service_cloudlet_does_not_provide_says_so(cloudlet, service, call):
    """Was: EC2 answered "InvalidAction ... not valid for this web service", as if it were routed."""
    from botocore.exceptions import ClientError

    from cloudlet.testing.server import client

    with pytest.raises(ClientError) as caught:
        call(client(service, cloudlet.endpoint))
    error = caught.value.response["Error"]
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    assert error["Code"] == "NotImplemented"
    assert f"does not provide the AWS service '{service}'" in error["Message"]
