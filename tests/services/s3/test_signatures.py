"""S3 checks the signatures of requests signed with a key whose secret Cloudlet knows (the
default ``test``/``test`` here, and credentials STS issued), and no other.

Expectations: ``TestS3PresignedUrl::test_presigned_url_signature_authentication[*]``,
``test_put_url_metadata_with_sig_s3v4[True]``, ``test_put_url_metadata_with_sig_s3[True]``,
``test_put_object_with_md5_and_chunk_signature_bad_headers[*-True]``,
``TestS3PresignedPost::test_post_request_malformed_policy[*]`` and
``test_post_object_policy_conditions_validation_eq`` (test_s3): codes, messages and the fields of
``SignatureDoesNotMatch`` / ``HeadersNotSigned``. Not recorded, from S3's documentation and what
its users report (the tests say so): ``RequestTimeTooSkewed``, ``XAmzContentSHA256Mismatch``,
"Request is not yet valid", "Extra input fields".
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import urllib.parse
import uuid
import zlib
from datetime import UTC, datetime, timedelta

import botocore.auth
import botocore.crt.auth
import botocore.signers
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from .conftest import b64, error_fields, recorded, xml_error
from .test_presigned_and_post import multipart_body

S3_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. "
    "Check your key and signing method."
)
NOT_SIGNED = "There were headers present in the request which were not signed"
SIGV4_FIELDS = {"AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"} | {
    "CanonicalRequest",
    "CanonicalRequestBytes",
}
SIGV2_FIELDS = {"AWSAccessKeyId", "StringToSign", "SignatureProvided", "StringToSignBytes"}
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def send(url: str, method: str = "GET", body: bytes | None = None, headers: dict[str, str] | None = None):
    """Send exactly these headers (http.client adds Host and a Content-Length for a body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def edit_query(url: str, name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(url)
    pairs = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    pairs = [(k, value if k == name else v) for k, v in pairs]
    return urllib.parse.urlunsplit(
        parts._replace(query=urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote))
    )


def recorded_fields(scenario: str, step: str) -> set[str]:
    """The fields of a recorded error besides code, message and the ids."""
    error = recorded(scenario)[step]["Error"]
    return set(error) - {"Code", "Message", "RequestId", "HostId"}


def assert_mismatch(error: dict[str, str], fields: set[str], access_key: str = "test") -> None:
    assert (error["Code"], error["Message"]) == ("SignatureDoesNotMatch", S3_MISMATCH)
    assert set(error) - {"Code", "Message", "RequestId", "HostId"} == fields
    assert error["AWSAccessKeyId"] == access_key
    assert error["StringToSignBytes"] == " ".join(f"{b:02x}" for b in error["StringToSign"].encode())
    if "CanonicalRequest" in fields:
        canonical = error["CanonicalRequest"]
        assert error["CanonicalRequestBytes"] == " ".join(f"{b:02x}" for b in canonical.encode())
        # SigV4: the string to sign ends with the canonical request's hash
        assert error["StringToSign"].split("\n")[-1] == hashlib.sha256(canonical.encode()).hexdigest()


@pytest.fixture
def signed_in_the_future(cloudlet, monkeypatch):
    """botocore signs an hour ahead of the server's clock."""
    offset = cloudlet.clock()["offset"] + 3600

    def now(remove_tzinfo: bool = True) -> datetime:
        moment = datetime.now(UTC) + timedelta(seconds=offset)
        return moment.replace(tzinfo=None) if remove_tzinfo else moment

    for module in (botocore.auth, botocore.signers, botocore.crt.auth):
        monkeypatch.setattr(module, "get_current_datetime", now)


# --------------------------------------------------------------------------- presigned, SigV4


def test_untampered_sigv4_url_works(s3_v4, bucket):
    s3_v4.put_object(Bucket=bucket, Key="a.txt", Body=b"123")
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=60)
    assert send(url)[::2] == (200, b"123")


@pytest.mark.parametrize(
    "edit",
    [
        "path",  # another key than the one signed
        "query",  # a response override added
        "expires",  # X-Amz-Expires extended
        "date",  # X-Amz-Date moved
    ],
)
def test_tampered_sigv4_url_is_refused(s3_v4, bucket, edit):
    # test_presigned_url_signature_authentication[s3v4-*]: invalid-get-1
    s3_v4.put_object(Bucket=bucket, Key="a.txt", Body=b"123")
    s3_v4.put_object(Bucket=bucket, Key="b.txt", Body=b"456")
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "a.txt"}, ExpiresIn=60)
    if edit == "path":
        url = url.replace("/a.txt?", "/b.txt?")
    elif edit == "query":
        url += "&response-content-type=text%2Fhtml"
    elif edit == "expires":
        url = edit_query(url, "X-Amz-Expires", "604800")
    else:
        signed = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Date"][0]
        moved = datetime.strptime(signed, "%Y%m%dT%H%M%SZ") - timedelta(seconds=1)
        url = edit_query(url, "X-Amz-Date", moved.strftime("%Y%m%dT%H%M%SZ"))
    status, _, body = send(url)
    assert status == 403
    error = xml_error(body)
    assert_mismatch(
        error, recorded_fields("test_presigned_url_signature_authentication[s3v4-False]", "invalid-get-1")
    )
    provided = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Signature"][0]
    assert error["SignatureProvided"] == provided
    canonical = error["CanonicalRequest"].split("\n")
    assert canonical[0] == "GET"
    assert canonical[1] == f"/{bucket}/{'b' if edit == 'path' else 'a'}.txt"
    assert canonical[-1] == "UNSIGNED-PAYLOAD"


def test_extending_an_expired_url_breaks_its_signature(s3_v4, bucket, cloudlet, server_time_signing):
    # X-Amz-Expires is signed: the expired URL answers "Request has expired", the edited one
    # SignatureDoesNotMatch (the signature is checked first: unverified order)
    s3_v4.put_object(Bucket=bucket, Key="old.txt", Body=b"x")
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "old.txt"}, ExpiresIn=5)
    cloudlet.advance_clock(10)
    status, _, body = send(url)
    assert (status, xml_error(body)["Message"]) == (403, "Request has expired")
    status, _, body = send(edit_query(url, "X-Amz-Expires", "3600"))
    assert (status, xml_error(body)["Code"]) == (403, "SignatureDoesNotMatch")


def test_sigv4_url_with_a_wrong_secret_is_refused(aws_client, bucket):
    forged = aws_client("s3", aws_secret_access_key="not-the-secret", config=Config(signature_version="s3v4"))
    url = forged.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    status, _, body = send(url)
    assert status == 403
    assert xml_error(body)["Code"] == "SignatureDoesNotMatch"


def test_url_signed_in_the_future_is_not_yet_valid(s3_v4, bucket, cloudlet, signed_in_the_future):
    # S3's answer as its users report it (minio/minio#2638, dmjio/s3-signer#16): AccessDenied
    # "Request is not yet valid" with X-Amz-Date in epoch milliseconds (unverified: not recorded)
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    status, _, body = send(url)
    error = xml_error(body)
    assert (status, error["Code"], error["Message"]) == (403, "AccessDenied", "Request is not yet valid")
    signed = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["X-Amz-Date"][0]
    signed_at = datetime.strptime(signed, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert error["X-Amz-Date"] == str(int(signed_at.timestamp() * 1000))
    assert error["Expires"] == (signed_at + timedelta(seconds=60)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {"ServerTime"} <= set(error)


def test_presigned_put_with_unsigned_amz_headers_is_refused(s3_v4, bucket):
    # test_put_object_with_md5_and_chunk_signature_bad_headers[s3v4-True], as sent there
    md5 = "pX8KKuGXS1f2VTcuJpqjkw=="
    url = s3_v4.generate_presigned_url(
        "put_object",
        Params={
            "Bucket": bucket,
            "Key": "p.txt",
            "ContentType": "application/octet-stream",
            "ContentMD5": md5,
        },
    )
    headers = {
        "Content-Md5": md5,
        "Content-Type": "application/octet-stream",
        "X-Amz-Content-Sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
        "X-Amz-Date": "20211122T191045Z",
        "X-Amz-Decoded-Content-Length": "test",
    }
    scenario = recorded("test_put_object_with_md5_and_chunk_signature_bad_headers[s3v4-True]")
    for step in ("with-decoded-content-length", "without-decoded-content-length"):
        if step == "without-decoded-content-length":
            headers.pop("X-Amz-Decoded-Content-Length")
        status, _, body = send(url, "PUT", b"test", headers)
        error = xml_error(body)
        expected = scenario[step]["Error"]
        assert status == 403
        assert (
            (error["Code"], error["Message"])
            == ("AccessDenied", NOT_SIGNED)
            == (
                expected["Code"],
                expected["Message"],
            )
        )
        assert error["HeadersNotSigned"] == expected["HeadersNotSigned"]


def test_presigned_put_with_metadata_headers(s3_v4, s3, bucket):
    # test_put_url_metadata_with_sig_s3v4[True]: the metadata is a signed header
    scenario = recorded("test_put_url_metadata_with_sig_s3v4[True]")
    url = s3_v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "m", "Metadata": {"foo": "bar"}}
    )
    status, _, body = send(url, "PUT", b"content 123")
    assert status == 403
    assert_mismatch(
        xml_error(body), recorded_fields("test_put_url_metadata_with_sig_s3v4[True]", "no-meta-headers")
    )
    assert send(url, "PUT", b"content 123", {"x-amz-meta-foo": "bar"})[0] == 200
    assert s3.head_object(Bucket=bucket, Key="m")["Metadata"] == scenario["head_object"]["Metadata"]
    status, _, body = send(url, "PUT", b"content 123", {"x-amz-meta-wrong": "wrong"})
    error = xml_error(body)
    assert (status, error["Code"], error["Message"]) == (403, "AccessDenied", NOT_SIGNED)
    assert error["HeadersNotSigned"] == scenario["wrong-meta-headers"]["Error"]["HeadersNotSigned"]
    assert "wrong" not in s3.head_object(Bucket=bucket, Key="m")["Metadata"]


# --------------------------------------------------------------------------- presigned, SigV2


def test_sigv2_url_with_a_wrong_signature_is_refused(s3, bucket):
    # test_presigned_url_signature_authentication[s3-*]: no canonical request in SigV2's answer
    s3.put_object(Bucket=bucket, Key="v2.txt", Body=b"two")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "v2.txt"}, ExpiresIn=60)
    assert "AWSAccessKeyId=" in url and send(url)[::2] == (200, b"two")
    forged = edit_query(url, "Signature", "AAAAAAAAAAAAAAAAAAAAAAAAAAA=")
    status, _, body = send(forged)
    assert status == 403
    error = xml_error(body)
    assert_mismatch(
        error, recorded_fields("test_presigned_url_signature_authentication[s3-False]", "invalid-get-1")
    )
    assert error["StringToSign"].split("\n")[-1] == f"/{bucket}/v2.txt"
    assert error["SignatureProvided"] == "AAAAAAAAAAAAAAAAAAAAAAAAAAA="
    tampered_path = url.replace("/v2.txt?", "/v3.txt?")
    assert send(tampered_path)[0] == 403


def test_sigv2_url_with_an_extra_amz_header_is_refused(s3, bucket):
    # test_put_url_metadata_with_sig_s3[True]: the x-amz-* headers are in SigV2's string to sign
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "m2", "Metadata": {"foo": "bar"}}
    )
    assert "x-amz-meta-foo=bar" in url
    status, _, body = send(url, "PUT", b"content 123", {"x-amz-meta-wrong": "wrong"})
    assert status == 403
    assert_mismatch(
        xml_error(body), recorded_fields("test_put_url_metadata_with_sig_s3[True]", "wrong-meta-headers")
    )
    assert send(url, "PUT", b"content 123")[0] == 200
    assert s3.head_object(Bucket=bucket, Key="m2")["Metadata"] == {"foo": "bar"}


# --------------------------------------------------------------------------- Authorization headers


def test_header_signed_request_with_a_wrong_secret(aws_client, bucket):
    forged = aws_client("s3", aws_secret_access_key="not-the-secret")
    with pytest.raises(ClientError) as exc:
        forged.put_object(Bucket=bucket, Key="x", Body=b"x")
    error = error_fields(exc)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert_mismatch(error, SIGV4_FIELDS)
    canonical = error["CanonicalRequest"].split("\n")
    assert canonical[:2] == ["PUT", f"/{bucket}/x"]
    assert "x-amz-content-sha256" in canonical[-2].split(";")


def test_sigv2_header_signed_request(aws_client, bucket):
    v2 = aws_client("s3", config=Config(signature_version="s3"))
    v2.put_object(Bucket=bucket, Key="two", Body=b"2")
    assert v2.get_object(Bucket=bucket, Key="two")["Body"].read() == b"2"
    forged = aws_client("s3", aws_secret_access_key="wrong", config=Config(signature_version="s3"))
    with pytest.raises(ClientError) as exc:
        forged.get_object(Bucket=bucket, Key="two")
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    error = error_fields(exc)
    assert_mismatch(error, SIGV2_FIELDS)
    assert error["StringToSign"].startswith("GET\n\n\n")


def sign(
    endpoint: str,
    method: str,
    path: str,
    body: bytes,
    payload_hash: str,
    headers: dict[str, str] | None = None,
    secret: str = "test",
) -> tuple[str, dict[str, str]]:
    """SigV4 headers for a request whose ``x-amz-content-sha256`` says ``payload_hash`` (botocore
    signs with the time botocore.auth.get_current_datetime gives)."""
    url = endpoint + path
    request = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    request.headers["X-Amz-Content-SHA256"] = payload_hash
    SigV4Auth(Credentials("test", secret), "s3", "us-east-1").add_auth(request)
    return url, dict(request.headers.items())


def test_payload_hash_that_is_not_the_bodys(cloudlet, bucket):
    # S3's XAmzContentSHA256Mismatch (its fields: S3 documentation, not recorded)
    claimed = hashlib.sha256(b"another body").hexdigest()
    url, headers = sign(cloudlet.endpoint, "PUT", f"/{bucket}/h", b"the body", claimed)
    status, _, body = send(url, "PUT", b"the body", headers)
    error = xml_error(body)
    assert (status, error["Code"]) == (400, "XAmzContentSHA256Mismatch")
    assert error["ClientComputedContentSHA256"] == claimed
    assert error["S3ComputedContentSHA256"] == hashlib.sha256(b"the body").hexdigest()
    good = hashlib.sha256(b"the body").hexdigest()
    url, headers = sign(cloudlet.endpoint, "PUT", f"/{bucket}/h", b"the body", good)
    assert send(url, "PUT", b"the body", headers)[0] == 200
    url, headers = sign(cloudlet.endpoint, "PUT", f"/{bucket}/u", b"unsigned", "UNSIGNED-PAYLOAD")
    assert send(url, "PUT", b"unsigned", headers)[0] == 200


def test_payload_hash_of_a_spooled_body(cloudlet, bucket):
    """A body over 8 MiB is on disk: its hash is computed in a worker thread."""
    data = b"z" * (9 * 1024 * 1024)
    url, headers = sign(cloudlet.endpoint, "PUT", f"/{bucket}/big", data, hashlib.sha256(data).hexdigest())
    assert send(url, "PUT", data, headers)[0] == 200
    url, headers = sign(cloudlet.endpoint, "PUT", f"/{bucket}/big2", data, EMPTY_SHA256)
    status, _, body = send(url, "PUT", data, headers)
    assert (status, xml_error(body)["Code"]) == (400, "XAmzContentSHA256Mismatch")


def at(moment: datetime, monkeypatch) -> None:
    monkeypatch.setattr(
        botocore.auth, "get_current_datetime", lambda remove_tzinfo=True: moment.replace(tzinfo=None)
    )


@pytest.mark.parametrize("hours", [-1, 1])
def test_request_time_too_skewed(cloudlet, bucket, monkeypatch, hours):
    # S3's RequestTimeTooSkewed (fields as S3 answers them; not recorded): more than 15 minutes
    # from the server's clock (and from real time, which the server's clock may be ahead of)
    now = datetime.fromtimestamp(cloudlet.clock()["now"], UTC)
    real = datetime.now(UTC)
    moment = (min(now, real) if hours < 0 else max(now, real)) + timedelta(hours=hours)
    at(moment, monkeypatch)
    url, headers = sign(cloudlet.endpoint, "GET", f"/{bucket}?list-type=2", b"", EMPTY_SHA256)
    status, _, body = send(url, "GET", None, headers)
    error = xml_error(body)
    assert (status, error["Code"]) == (403, "RequestTimeTooSkewed")
    assert error["Message"] == "The difference between the request time and the current time is too large."
    assert error["RequestTime"] == headers["X-Amz-Date"]
    assert error["MaxAllowedSkewMilliseconds"] == "900000"
    server = datetime.strptime(error["ServerTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((server - now).total_seconds()) < 60


def test_signing_with_either_clock_is_in_time(cloudlet, s3, aws_client, bucket, monkeypatch):
    """The server's clock runs ahead of real time once a test moves it: SDKs sign with the
    machine's clock, a test may sign with the server's, and both are in time."""
    cloudlet.advance_clock(2 * 3600)
    s3.put_object(Bucket=bucket, Key="real-time", Body=b"r")  # botocore on the machine's clock
    at(datetime.fromtimestamp(cloudlet.clock()["now"], UTC), monkeypatch)
    url, headers = sign(
        cloudlet.endpoint, "PUT", f"/{bucket}/service-time", b"s", hashlib.sha256(b"s").hexdigest()
    )
    assert send(url, "PUT", b"s", headers)[0] == 200


def test_a_key_whose_secret_is_unknown_is_not_checked(aws_client, bucket):
    dummy = aws_client("s3", aws_access_key_id="AKIADUMMYKEYEXAMPLE", aws_secret_access_key="anything")
    dummy.put_object(Bucket=bucket, Key="d", Body=b"d")
    url = dummy.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "d"})
    assert send(edit_query(url, "Signature", "bm90IGEgc2lnbmF0dXJl"))[::2] == (200, b"d")


def test_credentials_sts_issued_are_checked(aws_client, bucket):
    trust = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]}'
    role = f"uploader-{uuid.uuid4().hex[:8]}"
    arn = aws_client("iam").create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    creds = aws_client("sts").assume_role(RoleArn=arn, RoleSessionName="s3-signatures")["Credentials"]
    role = aws_client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    role.put_object(Bucket=bucket, Key="by-role", Body=b"r")
    forged = aws_client(
        "s3",
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key="not-" + creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
    )
    with pytest.raises(ClientError) as exc:
        forged.get_object(Bucket=bucket, Key="by-role")
    assert_mismatch(error_fields(exc), SIGV4_FIELDS, access_key=creds["AccessKeyId"])


# --------------------------------------------------------------------------- aws-chunked, signed


def chunk_signed_body(
    chunks: list[bytes], key: bytes, timestamp: str, scope: str, seed: str, trailers: str | None = None
) -> bytes:
    """An ``aws-chunked`` body whose chunks are signed as the SigV4 streaming documentation
    says, each chaining on the signature before it; then the trailers and their signature."""
    out, previous = [], seed
    for data in [*chunks, b""]:
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256-PAYLOAD",
                timestamp,
                scope,
                previous,
                EMPTY_SHA256,
                hashlib.sha256(data).hexdigest(),
            ]
        )
        previous = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
        out.append(f"{len(data):x};chunk-signature={previous}\r\n".encode() + data + b"\r\n")
    if trailers is None:
        return b"".join(out)
    out[-1] = out[-1][:-2]  # the trailers follow the last chunk's header line
    digest = hashlib.sha256(trailers.encode()).hexdigest()
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256-TRAILER", timestamp, scope, previous, digest])
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    return (
        b"".join(out)
        + trailers.encode().replace(b"\n", b"\r\n")
        + f"x-amz-trailer-signature:{signature}\r\n\r\n".encode()
    )


def signing_key(secret: str, date: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (date, "us-east-1", "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def streaming_put(cloudlet, bucket: str, key: str, chunks: list[bytes], tamper=None, trailer: bool = False):
    content = b"".join(chunks)
    headers = {
        "Content-Encoding": "aws-chunked",
        "X-Amz-Decoded-Content-Length": str(len(content)),
    }
    mode = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" + ("-TRAILER" if trailer else "")
    if trailer:
        headers["X-Amz-Trailer"] = "x-amz-checksum-crc32"
    url, signed = sign(cloudlet.endpoint, "PUT", f"/{bucket}/{key}", b"", mode, headers)
    timestamp = signed["X-Amz-Date"]
    seed = signed["Authorization"].rsplit("Signature=", 1)[1]
    scope = f"{timestamp[:8]}/us-east-1/s3/aws4_request"
    trailers = f"x-amz-checksum-crc32:{b64(zlib.crc32(content).to_bytes(4, 'big'))}\n" if trailer else None
    body = chunk_signed_body(chunks, signing_key("test", timestamp[:8]), timestamp, scope, seed, trailers)
    if tamper is not None:
        body, signed = tamper(body, signed)
    return send(url, "PUT", body, signed)


def test_chunk_signed_upload(cloudlet, s3, bucket):
    chunks = [b"a" * 65536, b"b" * 1024]
    status, _, body = streaming_put(cloudlet, bucket, "chunked", chunks)
    assert status == 200, body
    assert s3.get_object(Bucket=bucket, Key="chunked")["Body"].read() == b"".join(chunks)


def test_chunk_signed_upload_with_signed_trailer(cloudlet, s3, bucket):
    # the trailer's canonical form (one "name:value\n" each) is unverified
    chunks = [b"c" * 8192, b"d" * 10]
    status, _, body = streaming_put(cloudlet, bucket, "trailed", chunks, trailer=True)
    assert status == 200, body
    head = s3.head_object(Bucket=bucket, Key="trailed", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == b64(zlib.crc32(b"".join(chunks)).to_bytes(4, "big"))


def test_tampered_chunk_is_refused(cloudlet, s3, bucket):
    def flip(body, headers):
        return body.replace(b"b" * 1024, b"B" + b"b" * 1023), headers

    status, _, body = streaming_put(cloudlet, bucket, "flipped", [b"a" * 100, b"b" * 1024], tamper=flip)
    error = xml_error(body)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["StringToSign"].startswith("AWS4-HMAC-SHA256-PAYLOAD\n")
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="flipped")


def test_wrong_seed_signature_is_refused(cloudlet, bucket):
    def reseed(body, headers):
        auth = headers["Authorization"]
        return body, {**headers, "Authorization": auth[:-64] + "0" * 64}

    status, _, body = streaming_put(cloudlet, bucket, "seed", [b"x" * 10], tamper=reseed)
    error = xml_error(body)
    assert (status, error["Code"]) == (403, "SignatureDoesNotMatch")
    assert error["CanonicalRequest"].endswith("\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD")


# --------------------------------------------------------------------------- POST policies


def post(url: str, fields: dict[str, str], content: bytes = b"form content"):
    body, content_type = multipart_body(fields, content)
    status, _, reply = send(url, "POST", body, {"Content-Type": content_type})
    return status, reply


@pytest.mark.parametrize("signature_version", ["s3v4", "s3"])
def test_post_with_a_bad_policy_signature(aws_client, bucket, server_time_signing, signature_version):
    # test_post_request_malformed_policy[s3v4] / [s3]: SignatureDoesNotMatch without a canonical request
    client = aws_client("s3", config=Config(signature_version=signature_version))
    form = client.generate_presigned_post(bucket, "posted.txt", ExpiresIn=300)
    scenario = f"test_post_request_malformed_policy[{signature_version}]"
    fields = recorded_fields(scenario, "exception-policy")
    signature = "x-amz-signature" if signature_version == "s3v4" else "signature"
    assert signature in form["fields"]
    assert post(form["url"], form["fields"])[0] == 204
    forged_policy = {**form["fields"], "policy": form["fields"]["policy"][:-4] + "AAA="}
    status, body = post(form["url"], forged_policy)
    assert status == 403
    error = xml_error(body)
    assert_mismatch(error, fields)
    assert error["StringToSign"] == forged_policy["policy"]
    forged_signature = {**form["fields"], signature: "0" * 64 if signature_version == "s3v4" else "AAAA"}
    status, body = post(form["url"], forged_signature)
    assert (status, xml_error(body)["Code"]) == (403, "SignatureDoesNotMatch")


def test_post_with_a_key_whose_secret_is_unknown_is_not_checked(aws_client, bucket, server_time_signing):
    client = aws_client(
        "s3", aws_access_key_id="AKIADUMMYKEYEXAMPLE", config=Config(signature_version="s3v4")
    )
    form = client.generate_presigned_post(bucket, "dummy.txt", ExpiresIn=300)
    assert post(form["url"], {**form["fields"], "x-amz-signature": "0" * 64})[0] == 204


def test_post_policy_conditions_as_s3_reads_them(s3_v4, bucket, server_time_signing):
    # test_post_object_policy_conditions_validation_eq
    scenario = recorded("test_post_object_policy_conditions_validation_eq")
    redirect = "http://localhost.test/random"
    form = s3_v4.generate_presigned_post(
        bucket,
        "validate",
        Fields={"success_action_redirect": redirect},
        Conditions=[["eq", "success_action_redirect", redirect]],  # no "$": names no field
        ExpiresIn=60,
    )
    status, body = post(form["url"], form["fields"])
    expected = scenario["invalid-condition-missing-prefix"]["Error"]
    assert (status, xml_error(body)["Code"], xml_error(body)["Message"]) == (
        403,
        expected["Code"],
        expected["Message"],
    )
    form = s3_v4.generate_presigned_post(
        bucket,
        "validate",
        Fields={"success_action_redirect": redirect},
        Conditions=[{"bucket": bucket, "success_action_redirect": redirect}],
        ExpiresIn=60,
    )
    status, body = post(form["url"], form["fields"])
    expected = scenario["invalid-condition-wrong-condition"]["Error"]
    assert (status, xml_error(body)["Code"], xml_error(body)["Message"]) == (
        400,
        expected["Code"],
        expected["Message"],
    )


def test_post_field_no_condition_names_is_refused(s3_v4, bucket, server_time_signing):
    # POST Object: every field but the signature, file and policy (and x-ignore-*) must match a
    # condition; S3's message "Invalid according to Policy: Extra input fields: <name>" (users'
    # reports, not recorded)
    form = s3_v4.generate_presigned_post(bucket, "extra.txt", ExpiresIn=60)
    status, body = post(form["url"], {**form["fields"], "x-amz-meta-extra": "1"})
    error = xml_error(body)
    assert (status, error["Code"]) == (403, "AccessDenied")
    assert error["Message"] == "Invalid according to Policy: Extra input fields: x-amz-meta-extra"
    assert post(form["url"], {**form["fields"], "x-ignore-note": "1"})[0] == 204


def test_a_signature_that_is_not_ascii_is_refused(s3_v4, s3, bucket):
    """Whatever a client sends as its signature is compared, never a crash."""
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    status, _, body = send(edit_query(url, "X-Amz-Signature", "\u00e9" * 64))
    assert (status, xml_error(body)["Code"]) == (403, "SignatureDoesNotMatch")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    status, _, body = send(edit_query(url, "Signature", "\u2603"))
    assert (status, xml_error(body)["Code"]) == (403, "SignatureDoesNotMatch")


ODD_AUTHORIZATIONS = [
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=;;;, Signature=zz",
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=HOST;Host, Signature=0",
    "AWS4-HMAC-SHA256 Credential=test/x/y/s3/aws4_request, SignedHeaders=host, Signature=0",
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request,SignedHeaders=host,Signature=\u00e9",
    "AWS test:",
    "AWS test:\u00e9\u00ff",
]


@pytest.mark.parametrize("authorization", ODD_AUTHORIZATIONS)
@pytest.mark.parametrize("date", ["20240101T000000Z", "not a date", None])
def test_odd_signatures_of_a_known_key_answer_client_errors(cloudlet, bucket, authorization, date):
    headers = {"Authorization": authorization, "x-amz-content-sha256": "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"}
    if date is not None:
        headers["X-Amz-Date"] = date
        headers["Date"] = date
    status, _, body = send(
        f"{cloudlet.endpoint}/{bucket}/odd", "PUT", b"5;chunk-signature=zz\r\nhello", headers
    )
    assert 400 <= status < 500, body


@pytest.mark.parametrize(
    "query",
    [
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F2024%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=&X-Amz-Signature=00",
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Date=20240101T000000Z&X-Amz-Expires=x&X-Amz-SignedHeaders=host&X-Amz-Signature=%FF%FE",
        "AWSAccessKeyId=test&Signature=%FF&Expires=soon",
        "AWSAccessKeyId=test&Signature=abc&Expires=99999999999&x-amz-meta-a=%FF",
    ],
)
def test_odd_presigned_urls_of_a_known_key_answer_client_errors(cloudlet, bucket, query):
    status, _, body = send(f"{cloudlet.endpoint}/{bucket}/odd?{query}")
    assert 400 <= status < 500, body


def test_post_signed_with_a_revoked_or_expired_key_is_refused(
    aws_client, cloudlet, bucket, server_time_signing
):
    iam = aws_client("iam")
    user = f"poster-{uuid.uuid4().hex[:8]}"
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    as_user = aws_client(
        "s3",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        config=Config(signature_version="s3v4"),
    )
    form = as_user.generate_presigned_post(bucket, "by-user.txt", ExpiresIn=300)
    assert post(form["url"], form["fields"])[0] == 204
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    status, body = post(form["url"], form["fields"])
    assert (status, xml_error(body)["Code"]) == (403, "InvalidAccessKeyId")
    session = aws_client("sts").get_session_token(DurationSeconds=900)["Credentials"]
    as_session = aws_client(
        "s3",
        aws_access_key_id=session["AccessKeyId"],
        aws_secret_access_key=session["SecretAccessKey"],
        aws_session_token=session["SessionToken"],
        config=Config(signature_version="s3v4"),
    )
    form = as_session.generate_presigned_post(bucket, "by-session.txt", ExpiresIn=3600)
    cloudlet.advance_clock(901)
    status, body = post(form["url"], form["fields"])
    assert (status, xml_error(body)["Code"]) == (400, "ExpiredToken")
