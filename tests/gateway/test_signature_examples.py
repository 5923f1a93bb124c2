"""The signature check against the worked examples of AWS's S3 documentation (their requests,
secret and signatures as published): "Examples: Signature Calculations in AWS Signature
Version 4" (a GET with an Authorization header), "Authenticating Requests: Using Query
Parameters" (a presigned GET), "Signature Calculations for the Authorization Header:
Transferring Payload in Multiple Chunks" (the seed and every chunk signature of a 66,560-byte
upload) and "Signing and Authenticating REST Requests" (SigV2, header and query string).

They are dated 2013 and 2007, so the check runs on a clock set to then, without a server.
"""

from __future__ import annotations

from datetime import UTC, datetime

from cloudlet.gateway.detect import parse_credentials
from cloudlet.gateway.request import Headers, Request
from cloudlet.gateway.signatures import Refusal, Signatures

ACCESS_KEY = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SCOPE = f"{ACCESS_KEY}/20130524/us-east-1/s3/aws4_request"


class FixedClock:
    offset = 0.0

    def __init__(self, moment: datetime) -> None:
        self.moment = moment.timestamp()

    def now(self) -> float:
        return self.moment


class Known:
    verify_all = False

    def secret(self, access_key: str) -> str | None:
        return SECRET if access_key == ACCESS_KEY else None

    def lookup(self, access_key: str) -> None:
        return None  # configured, not issued: no expiry


def check(request: Request, when: datetime) -> Refusal | None:
    verdict = Signatures(FixedClock(when), Known()).check(request, parse_credentials(request))  # type: ignore[arg-type]
    assert verdict is None or isinstance(verdict, Refusal)
    return verdict


MAY_2013 = datetime(2013, 5, 24, 0, 1, tzinfo=UTC)


def test_header_signed_get():
    headers = [
        ("Host", "examplebucket.s3.amazonaws.com"),
        ("Range", "bytes=0-9"),
        ("x-amz-content-sha256", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("x-amz-date", "20130524T000000Z"),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={SCOPE},SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,"
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
        ),
    ]
    assert check(Request("GET", "/test.txt", "", Headers(headers)), MAY_2013) is None
    tampered = [(k, "bytes=0-10" if k == "Range" else v) for k, v in headers]
    refusal = check(Request("GET", "/test.txt", "", Headers(tampered)), MAY_2013)
    assert refusal is not None and refusal.s3 is not None and refusal.s3.code == "SignatureDoesNotMatch"


def test_presigned_get():
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3"
        "%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    host = Headers([("Host", "examplebucket.s3.amazonaws.com")])
    assert check(Request("GET", "/test.txt", query, host), MAY_2013) is None
    assert check(Request("GET", "/test2.txt", query, host), MAY_2013) is not None


def chunked_example(second_chunk: bytes = b"a" * 1024) -> Request:
    signatures = [
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
        "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
        "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
    ]
    body = (
        f"10000;chunk-signature={signatures[0]}\r\n".encode()
        + b"a" * 65536
        + b"\r\n"
        + f"400;chunk-signature={signatures[1]}\r\n".encode()
        + second_chunk
        + b"\r\n"
        + f"0;chunk-signature={signatures[2]}\r\n\r\n".encode()
    )
    assert len(body) == 66824  # the example's Content-Length
    headers = [
        ("Host", "s3.amazonaws.com"),
        ("x-amz-date", "20130524T000000Z"),
        ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
        (
            "Authorization",
            f"AWS4-HMAC-SHA256 Credential={SCOPE},SignedHeaders=content-encoding;content-length;host;"
            "x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,"
            "Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
        ),
        ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ("Content-Encoding", "aws-chunked"),
        ("x-amz-decoded-content-length", "66560"),
        ("Content-Length", str(len(body))),
    ]
    return Request("PUT", "/examplebucket/chunkObject.txt", "", Headers(headers), body)


def test_chunked_upload():
    assert check(chunked_example(), MAY_2013) is None
    refusal = check(chunked_example(b"b" + b"a" * 1023), MAY_2013)
    assert refusal is not None and refusal.s3 is not None
    assert refusal.s3.code == "SignatureDoesNotMatch"
    # the second chunk's string to sign chains on the first chunk's signature
    assert refusal.s3.fields["StringToSign"].split("\n")[3] == (
        "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648"
    )


MARCH_2007 = datetime(2007, 3, 27, 19, 40, tzinfo=UTC)


def test_sigv2_header_and_query():
    headers = [
        ("Host", "johnsmith.s3.amazonaws.com"),
        ("Date", "Tue, 27 Mar 2007 19:36:42 +0000"),
        ("Authorization", f"AWS {ACCESS_KEY}:bWq2s1WEIj+Ydj0vQ697zp+IXMU="),
    ]
    assert check(Request("GET", "/photos/puppy.jpg", "", Headers(headers)), MARCH_2007) is None
    query = f"AWSAccessKeyId={ACCESS_KEY}&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
    host = Headers([("Host", "johnsmith.s3.amazonaws.com")])
    assert check(Request("GET", "/photos/puppy.jpg", query, host), MARCH_2007) is None
    refusal = check(Request("GET", "/photos/kitten.jpg", query, host), MARCH_2007)
    assert refusal is not None and refusal.s3 is not None
    assert refusal.s3.fields["StringToSign"] == "GET\n\n\n1175139620\n/johnsmith/photos/kitten.jpg"
