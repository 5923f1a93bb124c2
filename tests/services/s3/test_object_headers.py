"""Object headers as S3 keeps and answers them: ``x-amz-website-redirect-location`` on every
write path, copies onto themselves, ``x-amz-copy-source`` forms, user metadata outside
US-ASCII (RFC 2047), and ``x-amz-*`` headers carried in a presigned URL's query string.

Expectations: test_s3_copy_object_in_place_website_redirect_location, test_s3_copy_object_in_place,
test_s3_copy_object_in_place_versioned, test_s3_copy_object_wrong_format,
test_copy_object_special_character, test_user_metadata_rfc2047_encoded,
test_put_unicode_metadata_with_sig_s3, test_presigned_url_v4_x_amz_in_qs (test_s3.snapshot.json);
the CopyObject reference ("x-amz-website-redirect-location … is not copied") and the S3 user guide
("Working with object metadata": RFC 2047 on the way in and out).
"""

from __future__ import annotations

import hashlib
import http.client
import urllib.parse

import pytest
from botocore.auth import HmacV1QueryAuth, S3SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from .conftest import error_fields, error_of, raw_request, recorded

IN_PLACE = (
    "This copy request is illegal because it is trying to copy an object to itself without changing "
    "the object's metadata, storage class, website redirect location or encryption attributes."
)


def fetch(url: str, method: str = "GET", data: bytes | None = None) -> tuple[int, bytes]:
    """Send ``url`` with no other header than the connection's own: urllib would add a form
    Content-Type to a body, which SigV2 signs (S3 would refuse such a presigned PUT too)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        conn.request(method, f"{parts.path}?{parts.query}", body=data)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def wire(text: str) -> str:
    """``text``'s UTF-8 bytes as http.client sends a str header (one latin-1 char per byte)."""
    return text.encode().decode("latin-1")


# --------------------------------------------------------------------------- website redirect


def test_website_redirect_location_on_put_multipart_and_copy(s3, bucket):
    put = s3.put_object(Bucket=bucket, Key="put", Body=b"x", WebsiteRedirectLocation="/target.html")
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.head_object(Bucket=bucket, Key="put")["WebsiteRedirectLocation"] == "/target.html"
    assert s3.get_object(Bucket=bucket, Key="put")["WebsiteRedirectLocation"] == "/target.html"

    upload = s3.create_multipart_upload(
        Bucket=bucket, Key="mpu", WebsiteRedirectLocation="https://example.com/"
    )
    part = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload["UploadId"], PartNumber=1, Body=b"p")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mpu",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert s3.head_object(Bucket=bucket, Key="mpu")["WebsiteRedirectLocation"] == "https://example.com/"

    # not copied: a copy has the request's (CopyObject reference), with either directive
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "put"})
    assert "WebsiteRedirectLocation" not in s3.head_object(Bucket=bucket, Key="copy")
    s3.copy_object(
        Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "put"}, WebsiteRedirectLocation="/new"
    )
    assert s3.head_object(Bucket=bucket, Key="copy")["WebsiteRedirectLocation"] == "/new"
    s3.copy_object(
        Bucket=bucket,
        Key="copy2",
        CopySource={"Bucket": bucket, "Key": "put"},
        MetadataDirective="REPLACE",
        WebsiteRedirectLocation="/replaced",
    )
    assert s3.head_object(Bucket=bucket, Key="copy2")["WebsiteRedirectLocation"] == "/replaced"


def test_copy_in_place_with_a_website_redirect_location(s3, bucket):
    # test_s3_copy_object_in_place_website_redirect_location: naming one is a change, even the same
    steps = recorded("test_s3_copy_object_in_place_website_redirect_location")
    s3.put_object(Bucket=bucket, Key="obj", Body=b"test", WebsiteRedirectLocation="/test/direct")
    assert (
        s3.head_object(Bucket=bucket, Key="obj")["WebsiteRedirectLocation"]
        == (steps["head-object"]["WebsiteRedirectLocation"])
    )
    copied = s3.copy_object(
        Bucket=bucket,
        Key="obj",
        CopySource={"Bucket": bucket, "Key": "obj"},
        WebsiteRedirectLocation="/test/direct",
    )
    expected = steps["copy-object-in-place-with-website-redirection"]["CopyObjectResult"]
    assert copied["CopyObjectResult"]["ETag"] == expected["ETag"]
    assert s3.head_object(Bucket=bucket, Key="obj")["WebsiteRedirectLocation"] == "/test/direct"


# --------------------------------------------------------------------------- copies


def test_copy_in_place_in_a_versioned_bucket_needs_a_change_too(s3, versioned_bucket):
    # test_s3_copy_object_in_place_versioned: copy-object-in-place-no-change
    error = recorded("test_s3_copy_object_in_place_versioned")["copy-object-in-place-no-change"]["Error"]
    put = s3.put_object(Bucket=versioned_bucket, Key="obj", Body=b"x", Metadata={"key": "value"})
    source = {"Bucket": versioned_bucket, "Key": "obj"}
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=versioned_bucket, Key="obj", CopySource=source)
    assert error_of(exc) == (error["Code"], error["Message"], 400)
    assert error["Message"] == IN_PLACE
    done = s3.copy_object(Bucket=versioned_bucket, Key="obj", CopySource=source, MetadataDirective="REPLACE")
    assert done["CopySourceVersionId"] == put["VersionId"] and done["VersionId"] != put["VersionId"]
    # copying a named version back (restoring it) is a copy of another version (unverified)
    restored = s3.copy_object(
        Bucket=versioned_bucket, Key="obj", CopySource={**source, "VersionId": put["VersionId"]}
    )
    assert restored["CopySourceVersionId"] == put["VersionId"]
    assert s3.head_object(Bucket=versioned_bucket, Key="obj")["Metadata"] == {"key": "value"}


@pytest.mark.parametrize(
    "header",
    ["{b}/test+key", "/{b}/test+key", "{b}/test%2Bkey", "/{b}/test%2bkey", "{b}/test+key?versionId=null"],
)
def test_copy_source_forms_and_plus_signs(cloudlet, s3, bucket, header):
    # "+" in a copy source is a plus, encoded or not; a leading slash and ?versionId= are optional
    s3.put_object(Bucket=bucket, Key="test+key", Body=b"plus")
    reply = raw_request(
        cloudlet.endpoint, "PUT", f"/{bucket}/dst", headers={"x-amz-copy-source": header.format(b=bucket)}
    )
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"plus"
    assert reply.headers.get("x-amz-copy-source-version-id") is None
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["dst", "test+key"]


def test_copy_source_without_a_key_names_the_header(s3_raw, bucket):
    # test_s3_copy_object_wrong_format: ArgumentValue is the header's name, as recorded
    error = recorded("test_s3_copy_object_wrong_format")["copy-object-wrong-copy-source"]["Error"]
    with pytest.raises(ClientError) as exc:
        s3_raw.copy_object(Bucket=bucket, Key="dst", CopySource=bucket)
    assert {k: v for k, v in error_fields(exc).items() if k in error} == error


# --------------------------------------------------------------------------- user metadata


def test_metadata_outside_ascii_is_answered_rfc2047_encoded(cloudlet, s3, bucket):
    # test_user_metadata_rfc2047_encoded: values sent as raw header bytes, and encoded-words
    expected = recorded("test_user_metadata_rfc2047_encoded")["get-object"]["Metadata"]
    headers = {
        "x-amz-meta-non-ascii": wire("test_—_file%E2%80%94_é_2?.pdf"),
        "x-amz-meta-non-ascii-2": wire("ÄMÄZÕÑ S3"),
        "x-amz-meta-asciib64-encoded": "=?UTF-8?B?YWJj?=",
        "x-amz-meta-fake-encoded": "=?UTF-8?Q?actually-ascii?=",
        "x-amz-meta-non-ascii-binary": "=?UTF-8?B?AAECAw==?=",
        "x-amz-meta-replacement-chars": "äöüÄÖÜß",  # latin-1 bytes: not UTF-8
        "x-amz-meta-safe-chars": "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
    }
    reply = raw_request(cloudlet.endpoint, "PUT", f"/{bucket}/meta", headers=headers, sign=False)
    assert reply.status == 200, reply.body
    assert s3.get_object(Bucket=bucket, Key="meta")["Metadata"] == expected
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == expected


def test_long_metadata_values_are_several_encoded_words(cloudlet, s3, bucket):
    # unverified: how S3 splits a value longer than one encoded-word (75 characters)
    value = "é" * 40
    reply = raw_request(
        cloudlet.endpoint, "PUT", f"/{bucket}/long", headers={"x-amz-meta-long": wire(value)}, sign=False
    )
    assert reply.status == 200
    answered = s3.head_object(Bucket=bucket, Key="long")["Metadata"]["long"]
    words = answered.split(" ")
    assert len(words) == 2 and all(w.startswith("=?UTF-8?B?") and len(w) <= 75 for w in words)
    import email.header

    assert "".join(p.decode(c) for p, c in email.header.decode_header(answered)) == value


# --------------------------------------------------------------------------- presigned query headers


def test_sigv2_presigned_headers_in_the_query_string_are_headers(cloudlet, s3, bucket):
    # test_put_unicode_metadata_with_sig_s3: SigV2 presigning puts x-amz-* headers in the query
    # (botocore's HmacV1QueryAuth, which its clients use; they refuse non-ASCII metadata first)
    expected = recorded("test_put_unicode_metadata_with_sig_s3")["head_object"]["Metadata"]
    request = AWSRequest(
        method="PUT",
        url=f"{cloudlet.endpoint}/{bucket}/meta",
        headers={"x-amz-meta-foo": "non-ascii-%E2%80%94_—_é_"},
    )
    HmacV1QueryAuth(Credentials("test", "test"), expires=300).add_auth(request)
    assert "x-amz-meta-foo=" in request.url
    assert fetch(request.url, "PUT", b"")[0] == 200
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == expected


def test_presigned_copy_honours_its_conditions_from_the_query_string(s3, bucket):
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"source")["ETag"]
    params = {"Bucket": bucket, "Key": "dst", "CopySource": f"{bucket}/src", "CopySourceIfMatch": '"nope"'}
    url = s3.generate_presigned_url("copy_object", Params=params)
    assert "x-amz-copy-source-if-match=" in url
    status, body = fetch(url, "PUT", b"")
    assert status == 412 and b"<Condition>x-amz-copy-source-If-Match</Condition>" in body
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="dst")
    url = s3.generate_presigned_url("copy_object", Params={**params, "CopySourceIfMatch": etag})
    status, body = fetch(url, "PUT", b"")
    assert status == 200 and b"<CopyObjectResult" in body
    assert s3.get_object(Bucket=bucket, Key="dst")["Body"].read() == b"source"


def test_sigv4_presigned_url_with_metadata_in_the_query(cloudlet, s3, bucket):
    # test_presigned_url_v4_x_amz_in_qs: x-amz-meta-* signed as query parameters
    expected = recorded("test_presigned_url_v4_x_amz_in_qs")["head-object"]["Metadata"]
    body = b"123456"
    # the JavaScript SDK's presigner carries the payload hash in the query, not as a header
    url = f"{cloudlet.endpoint}/{bucket}/qs?x-amz-meta-foo=bar-complicated-no-random&x-amz-content-sha256=UNSIGNED-PAYLOAD"
    request = AWSRequest(method="PUT", url=url)
    auth = S3SigV4QueryAuth(Credentials("test", "test"), "s3", "us-east-1", expires=300)
    auth.add_auth(request)
    assert fetch(request.url, "PUT", body)[0] == 200
    head = s3.head_object(Bucket=bucket, Key="qs")
    assert head["Metadata"] == expected
    assert head["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
