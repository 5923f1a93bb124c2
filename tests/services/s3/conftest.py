"""Fixtures and helpers for the S3 integration tests (boto3, raw HTTP and the AWS CLI).

Where the expectations come from:

- ``/work/shared/aws-reference/s3/*.snapshot.json``: responses recorded from real AWS (error
  codes, messages, extra error fields such as ``BucketName``/``Key``/``Condition``, statuses,
  response shapes, checksum values). Each test names the scenario it leans on.
- The S3 API reference (operation pages, "Error responses" list of codes and statuses, POST
  Object, the conditional-request rules of GetObject/CopyObject) and the S3 user guide (bucket
  naming rules, lifecycle expiration, event message structure), and the botocore S3 model.

An assertion on an error message that neither source confirms is left out: such tests check
the error code and HTTP status only and carry a ``# message unverified`` comment.

Time: the server's clock can be far ahead of the machine's (any test in the session may have
moved it). Tests never compare server times with ``time.time()``; they read the server clock
(``cloudlet.clock()``) or an object's ``LastModified``, and the ``server_time_signing`` fixture
makes botocore sign presigned URLs and POST policies at the server's time.
"""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import uuid
import xml.etree.ElementTree as ET
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import botocore.auth
import botocore.crt.auth
import botocore.signers
import pytest
from awscrt import checksums as crt
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ACCOUNT = "000000000000"
OTHER_ACCOUNT = "111111111111"
REGION = "us-east-1"
MIB = 1024 * 1024
MIN_PART = 5 * MIB  # smallest non-last multipart part (S3 API reference, UploadPart)

NO_SUCH_BUCKET = "The specified bucket does not exist"
NO_SUCH_KEY = "The specified key does not exist."
NO_SUCH_UPLOAD = (
    "The specified upload does not exist. The upload ID may be invalid, "
    "or the upload may have been aborted or completed."
)
MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"
PRECONDITION_FAILED = "At least one of the pre-conditions you specified did not hold"
INVALID_PART = (
    "One or more of the specified parts could not be found.  The part may not have been uploaded, "
    "or the specified entity tag may not match the part's entity tag."
)
INVALID_BUCKET_NAME = "The specified bucket is not valid."


# --------------------------------------------------------------------------- clients


@pytest.fixture
def s3(aws_client):
    """boto3 S3 client (us-east-1). The endpoint is an IP, so botocore addresses path-style."""
    return aws_client("s3")


@pytest.fixture
def s3_path(aws_client):
    return aws_client("s3", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))


@pytest.fixture
def s3_raw(aws_client):
    """A client that skips botocore's own parameter checks, so bad input reaches the server."""
    return aws_client("s3", config=Config(parameter_validation=False, retries={"max_attempts": 1}))


@pytest.fixture
def s3_v4(aws_client):
    """A client that presigns with SigV4 (botocore presigns S3 URLs with SigV2 by default)."""
    return aws_client("s3", config=Config(signature_version="s3v4", retries={"max_attempts": 1}))


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


# --------------------------------------------------------------------------- buckets


def unique_name(prefix: str = "cl") -> str:
    """A valid, unique bucket name (lowercase, 3-63 characters)."""
    return f"{prefix}-{uuid.uuid4().hex[:20]}"


def empty_bucket(client: Any, bucket: str) -> None:
    """Abort every multipart upload, then delete every object version and delete marker."""
    for page in client.get_paginator("list_multipart_uploads").paginate(Bucket=bucket):
        for upload in page.get("Uploads", []):
            client.abort_multipart_upload(Bucket=bucket, Key=upload["Key"], UploadId=upload["UploadId"])
    for page in client.get_paginator("list_object_versions").paginate(Bucket=bucket):
        doomed = [
            {"Key": v["Key"], "VersionId": v["VersionId"]}
            for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
        ]
        for start in range(0, len(doomed), 1000):
            client.delete_objects(
                Bucket=bucket, Delete={"Objects": doomed[start : start + 1000], "Quiet": True}
            )


class BucketFactory:
    """``make_bucket()`` creates a uniquely named bucket; all are emptied and deleted afterwards."""

    def __init__(self, aws_client: Callable[..., Any]) -> None:
        self._aws_client = aws_client
        self._clients: dict[tuple[str, str], Any] = {}
        self.created: list[tuple[str, Any]] = []

    def client(self, region: str = REGION, account: str | None = None) -> Any:
        key = (region, account or ACCOUNT)
        if key not in self._clients:
            kwargs: dict[str, Any] = {"region_name": region}
            if account:
                kwargs["aws_access_key_id"] = account
            self._clients[key] = self._aws_client("s3", **kwargs)
        return self._clients[key]

    def __call__(
        self,
        prefix: str = "cl",
        *,
        region: str = REGION,
        account: str | None = None,
        versioning: str | None = None,
        name: str | None = None,
        **params: Any,
    ) -> str:
        """Create a bucket; ``region`` other than us-east-1 sets the LocationConstraint.

        ``versioning="Enabled"`` (or ``"Suspended"``) configures versioning; other keyword
        arguments go to CreateBucket as they are.
        """
        client = self.client(region, account)
        name = name or unique_name(prefix)
        if region != REGION:
            params.setdefault("CreateBucketConfiguration", {"LocationConstraint": region})
        client.create_bucket(Bucket=name, **params)
        self.adopt(name, client)
        if versioning:
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": versioning})
        return name

    def adopt(self, name: str, client: Any) -> None:
        """Delete ``name`` (created some other way) after the test too."""
        self.created.append((name, client))

    def cleanup(self) -> None:
        for name, client in reversed(self.created):
            try:
                empty_bucket(client, name)
                client.delete_bucket(Bucket=name)
            except ClientError:
                pass  # already gone, or the test's failure is the story


@pytest.fixture
def make_bucket(aws_client) -> Iterator[BucketFactory]:
    factory = BucketFactory(aws_client)
    yield factory
    factory.cleanup()


@pytest.fixture
def bucket(make_bucket) -> str:
    """A fresh, empty, unversioned bucket in us-east-1."""
    return make_bucket()


@pytest.fixture
def versioned_bucket(make_bucket) -> str:
    return make_bucket("ver", versioning="Enabled")


# --------------------------------------------------------------------------- recordings

REFERENCE = Path("/work/shared/aws-reference/s3")


def recorded(test: str, file: str = "test_s3") -> dict[str, Any]:
    """The recorded-content of a scenario (its name after ``::``) of ``aws-reference/s3``."""
    path = REFERENCE / f"{file}.snapshot.json"
    if not path.exists():
        pytest.skip("aws-reference recordings not available")
    for name, value in json.loads(path.read_text()).items():
        if name.endswith("::" + test):
            return value["recorded-content"]
    raise KeyError(test)


# --------------------------------------------------------------------------- errors


def error_of(exc) -> tuple[str, str, int]:
    """(code, message, HTTP status) of a ``pytest.raises(ClientError)`` result."""
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def code_of(exc) -> tuple[str, int]:
    """(code, HTTP status): for errors whose exact AWS message is not verified."""
    response = exc.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def error_fields(exc) -> dict[str, Any]:
    """The whole ``Error`` element (extra fields such as ``BucketName``, ``Key``, ``Condition``)."""
    return exc.value.response["Error"]


def headers_of(exc) -> dict[str, str]:
    return exc.value.response["ResponseMetadata"]["HTTPHeaders"]


def xml_error(body: bytes) -> dict[str, str]:
    """The children of an S3 ``<Error>`` document as a dict."""
    root = ET.fromstring(body)
    return {child.tag.split("}")[-1]: child.text or "" for child in root}


# --------------------------------------------------------------------------- digests


def md5_hex(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def etag_of(data: bytes) -> str:
    """The ETag S3 gives an object uploaded in one piece: the quoted MD5."""
    return f'"{md5_hex(data)}"'


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def md5_b64(data: bytes) -> str:
    return b64(hashlib.md5(data).digest())


def multipart_etag(parts: list[bytes]) -> str:
    """MD5 of the concatenated binary part MD5s, hex, then ``-<number of parts>``, quoted."""
    digest = hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest()
    return f'"{digest}-{len(parts)}"'


def checksum_digest(algorithm: str, data: bytes) -> bytes:
    """Raw digest, computed independently of Cloudlet (zlib, awscrt, hashlib)."""
    algorithm = algorithm.upper()
    if algorithm == "CRC32":
        return zlib.crc32(data).to_bytes(4, "big")
    if algorithm == "CRC32C":
        return crt.crc32c(data).to_bytes(4, "big")
    if algorithm == "CRC64NVME":
        return crt.crc64nvme(data).to_bytes(8, "big")
    if algorithm == "SHA1":
        return hashlib.sha1(data).digest()
    if algorithm == "SHA256":
        return hashlib.sha256(data).digest()
    raise ValueError(algorithm)


def checksum(algorithm: str, data: bytes) -> str:
    """Base64 of the checksum, as the ``x-amz-checksum-*`` headers carry it."""
    return b64(checksum_digest(algorithm, data))


def composite_checksum(algorithm: str, parts: list[bytes]) -> str:
    """Checksum of the concatenated part checksums, then ``-<number of parts>``."""
    combined = b"".join(checksum_digest(algorithm, p) for p in parts)
    return f"{checksum(algorithm, combined)}-{len(parts)}"


# --------------------------------------------------------------------------- time


def server_now(cloudlet) -> datetime:
    return datetime.fromtimestamp(cloudlet.clock()["now"], UTC)


@pytest.fixture
def server_time_signing(cloudlet, monkeypatch) -> Callable[[], None]:
    """Make botocore sign (SigV4 presigned URLs, POST policies) at the server's time.

    Returns a function that re-reads the server's clock offset (after ``advance_clock``).
    The clock is first moved ahead of real time, if it is not already: a signing time later
    than real time is how the server tells a signer on its clock (see presign.py); at offset
    0 the two clocks are the same and a test would depend on which tests ran before it.
    """
    if cloudlet.clock()["offset"] < 2:
        cloudlet.advance_clock(2)
    state = {"offset": cloudlet.clock()["offset"]}

    def now(remove_tzinfo: bool = True) -> datetime:
        moment = datetime.now(UTC) + timedelta(seconds=state["offset"])
        return moment.replace(tzinfo=None) if remove_tzinfo else moment

    monkeypatch.setattr(botocore.auth, "get_current_datetime", now)
    monkeypatch.setattr(botocore.signers, "get_current_datetime", now)
    # awscrt is installed (Cloudlet depends on it), so botocore presigns SigV4 with its CRT signers
    monkeypatch.setattr(botocore.crt.auth, "get_current_datetime", now)

    def resync() -> None:
        state["offset"] = cloudlet.clock()["offset"]

    return resync


# --------------------------------------------------------------------------- raw HTTP


@dataclass
class RawResponse:
    status: int
    headers: dict[str, str]
    body: bytes
    _error: dict[str, str] | None = field(default=None, repr=False)

    @property
    def error(self) -> dict[str, str]:
        if self._error is None:
            self._error = xml_error(self.body)
        return self._error


def raw_request(
    endpoint: str,
    method: str,
    path: str,
    *,
    host: str | None = None,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    region: str = REGION,
    sign: bool = True,
) -> RawResponse:
    """Send one S3 request over a socket to the server, with an explicit ``Host`` header.

    ``path`` is sent as given (already percent-encoded, query string included). ``host``
    defaults to the endpoint's own; a virtual-hosted-style host (``bucket.s3.…``) is sent as
    the Host header while the connection still goes to the server. Signed with SigV4 for
    ``host`` unless ``sign=False``, over the query's canonical form (each parameter decoded
    and encoded again, as S3 computes it), whatever encoding ``path`` uses.
    """
    parts = urlsplit(endpoint)
    host = host or parts.netloc
    route, _, query = path.partition("?")
    request = AWSRequest(method=method, url=f"http://{host}{route}", data=body, headers=dict(headers or {}))
    request.params = [
        (unquote(k), unquote(v)) for k, _, v in (p.partition("=") for p in query.split("&") if p)
    ]
    request.headers["Host"] = host
    if sign:
        request.headers["X-Amz-Content-SHA256"] = hashlib.sha256(body).hexdigest()
        S3SigV4Auth(Credentials("test", "test"), "s3", region).add_auth(request)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body or None, headers=dict(request.headers.items()))
        resp = conn.getresponse()
        return RawResponse(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


# --------------------------------------------------------------------------- SQS


def queue_for_notifications(sqs, name: str) -> tuple[str, str]:
    """A queue whose policy lets S3 send to it (AWS checks this); returns (url, arn)."""
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    return url, arn


def receive_bodies(sqs, url: str, count: int, attempts: int = 5) -> list[dict[str, Any]]:
    """Long-poll until ``count`` messages arrived (each deleted); returns their JSON bodies.

    A long poll returns as soon as a message is there, so this waits only as long as delivery
    takes; it never sleeps.
    """
    bodies: list[dict[str, Any]] = []
    for _ in range(attempts):
        if len(bodies) >= count:
            break
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=20)
        for message in got.get("Messages", []):
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def keys_of(listing: dict[str, Any]) -> list[str]:
    return [item["Key"] for item in listing.get("Contents", [])]


def put_keys(client, bucket: str, keys: list[str], body: bytes = b"x") -> None:
    for key in keys:
        client.put_object(Bucket=bucket, Key=key, Body=body)
