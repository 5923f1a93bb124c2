"""Presigned URLs (SigV4 and SigV2) used with urllib, their expiry on the server's clock, and
browser-based POST uploads built from ``generate_presigned_post``.

Expectations: ``test_s3_presigned_url_expired[*]``, ``test_s3_put_presigned_url_missing_sig_param[*]``,
``test_presigned_double_encoded_credentials``, ``TestS3PresignedPost::*`` (test_s3), the POST
Object page of the S3 API reference (``success_action_status``: 200/204 empty, 201 XML document,
204 by default; ``${filename}``) and its "Error responses" list for statuses the recordings did
not keep. Signing happens at the server's time (``server_time_signing``), so an expiry is
reached by moving the server clock.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import pytest

from .conftest import etag_of, recorded, xml_error

SIGV4_MISSING = (
    "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, "
    "X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
)


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def error(self) -> dict[str, str]:
        return xml_error(self.body)


def fetch(
    url: str, method: str = "GET", data: bytes | None = None, headers: dict[str, str] | None = None
) -> Reply:
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=60) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


def without_param(url: str, name: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True) if k != name]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


def with_param(url: str, name: str, value: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = [
        (k, value if k == name else v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))


# --------------------------------------------------------------------------- presigned URLs


def test_presigned_get(s3_v4, bucket, server_time_signing):
    s3_v4.put_object(Bucket=bucket, Key="docs/readme.txt", Body=b"presigned body")
    url = s3_v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "docs/readme.txt"}, ExpiresIn=300
    )
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"] and query["X-Amz-Expires"] == ["300"]
    reply = fetch(url)
    assert (reply.status, reply.body) == (200, b"presigned body")
    assert reply.headers["etag"] == etag_of(b"presigned body")


def test_presigned_get_with_response_overrides(s3_v4, bucket, server_time_signing):
    s3_v4.put_object(Bucket=bucket, Key="report.csv", Body=b"a,b\n")
    url = s3_v4.generate_presigned_url(
        "get_object",
        Params={
            "Bucket": bucket,
            "Key": "report.csv",
            "ResponseContentType": "text/csv",
            "ResponseContentDisposition": 'attachment; filename="report.csv"',
        },
        ExpiresIn=300,
    )
    reply = fetch(url)
    assert reply.status == 200
    assert reply.headers["content-type"] == "text/csv"
    assert reply.headers["content-disposition"] == 'attachment; filename="report.csv"'


def test_presigned_put(s3_v4, bucket, server_time_signing):
    # TestS3PresignedUrl::test_put_object
    url = s3_v4.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "up/load.txt"}, ExpiresIn=300
    )
    reply = fetch(url, "PUT", b"uploaded with urllib", {"Content-Type": "text/plain"})
    assert reply.status == 200
    assert reply.headers["etag"] == etag_of(b"uploaded with urllib")
    got = s3_v4.get_object(Bucket=bucket, Key="up/load.txt")
    assert got["Body"].read() == b"uploaded with urllib"
    assert got["ContentType"] == "text/plain"


def test_presigned_get_of_missing_key(s3_v4, bucket, server_time_signing):
    url = s3_v4.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "missing"}, ExpiresIn=300
    )
    reply = fetch(url)
    assert reply.status == 404
    assert (reply.error["Code"], reply.error["Message"], reply.error["Key"]) == (
        "NoSuchKey",
        "The specified key does not exist.",
        "missing",
    )


def test_presigned_sigv2_get(s3, bucket):
    # botocore presigns S3 with SigV2 (absolute Expires) unless told otherwise
    s3.put_object(Bucket=bucket, Key="v2", Body=b"sigv2")
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "v2"}, ExpiresIn=10 * 365 * 86400
    )
    assert "Signature=" in url and "AWSAccessKeyId=" in url
    assert fetch(url).body == b"sigv2"


@pytest.mark.parametrize("method", ["get_object", "put_object"])
def test_presigned_url_expires_on_the_server_clock(s3_v4, bucket, cloudlet, server_time_signing, method):
    # test_s3_presigned_url_expired[s3v4], test_presigned_url_signature_authentication_expired
    s3_v4.put_object(Bucket=bucket, Key="k", Body=b"still here")
    url = s3_v4.generate_presigned_url(method, Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=60)
    http_method = "GET" if method == "get_object" else "PUT"
    data = None if method == "get_object" else b"new"
    cloudlet.advance_clock(30)
    assert fetch(url, http_method, data).status == 200
    cloudlet.advance_clock(31)
    reply = fetch(url, http_method, data)
    assert reply.status == 403  # "Error responses": AccessDenied, 403
    assert (reply.error["Code"], reply.error["Message"]) == ("AccessDenied", "Request has expired")
    assert reply.error["X-Amz-Expires"] == "60"
    assert {"Expires", "ServerTime"} <= set(reply.error)


def test_presigned_sigv2_url_expires(s3, bucket, cloudlet):
    # test_s3_presigned_url_expired[s3]: Expires is absolute; aim it 60 s past the server's now
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    offset = int(cloudlet.clock()["offset"])
    url = s3.generate_presigned_url(
        "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=offset + 60
    )
    assert fetch(url).status == 200
    cloudlet.advance_clock(120)
    reply = fetch(url)
    assert reply.status == 403
    assert (reply.error["Code"], reply.error["Message"]) == ("AccessDenied", "Request has expired")


def test_presigned_url_without_signature(s3_v4, bucket, server_time_signing):
    # test_s3_put_presigned_url_missing_sig_param[s3v4]; "Error responses"/billing page: 400
    url = s3_v4.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    reply = fetch(without_param(url, "X-Amz-Signature"), "PUT", b"x")
    assert reply.status == 400
    assert (reply.error["Code"], reply.error["Message"]) == (
        "AuthorizationQueryParametersError",
        SIGV4_MISSING,
    )


def test_presigned_url_with_malformed_credential(s3_v4, bucket, server_time_signing):
    # test_presigned_double_encoded_credentials: error-malformed
    s3_v4.put_object(Bucket=bucket, Key="k", Body=b"x")
    url = s3_v4.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=300)
    reply = fetch(with_param(url, "X-Amz-Credential", "test/us-east-1/s3/aws4_request"))
    assert reply.status == 400
    assert reply.error["Code"] == "AuthorizationQueryParametersError"
    assert reply.error["Message"] == (
        "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
        'expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".'
    )


def test_presigned_sigv2_url_without_signature(s3, bucket):
    # test_s3_put_presigned_url_missing_sig_param[s3]; "Error responses": AccessDenied, 403
    url = s3.generate_presigned_url(
        "put_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=86400 * 3650
    )
    reply = fetch(without_param(url, "Signature"), "PUT", b"x")
    assert reply.status == 403
    assert (reply.error["Code"], reply.error["Message"]) == (
        "AccessDenied",
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
    )


# --------------------------------------------------------------------------- POST uploads


def multipart_body(fields: dict[str, str], content: bytes, filename: str = "upload.txt") -> tuple[bytes, str]:
    """A multipart/form-data body: the fields, then the ``file`` field last (as S3 requires)."""
    boundary = f"----cloudlet{uuid.uuid4().hex}"
    chunks = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in fields.items()
    ]
    chunks.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n".encode()
        + content
        + b"\r\n"
    )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def post_upload(post: dict, content: bytes, filename: str = "upload.txt", **overrides: str | None) -> Reply:
    fields = dict(post["fields"])
    for name, value in overrides.items():
        if value is None:
            fields.pop(name, None)
        else:
            fields[name] = value
    body, content_type = multipart_body(fields, content, filename)
    return fetch(post["url"], "POST", body, {"Content-Type": content_type})


def test_post_upload_default_status(s3_v4, bucket, server_time_signing):
    # POST Object: without success_action_status the answer is 204
    post = s3_v4.generate_presigned_post(bucket, "browser/upload.txt", ExpiresIn=300)
    reply = post_upload(post, b"from a browser form")
    assert reply.status == 204
    assert reply.body == b""
    assert s3_v4.get_object(Bucket=bucket, Key="browser/upload.txt")["Body"].read() == b"from a browser form"


def test_post_upload_status_201_returns_xml(s3_v4, bucket, server_time_signing):
    # POST Object: success_action_status 201 -> an XML document (PostResponse)
    post = s3_v4.generate_presigned_post(
        bucket,
        "created.txt",
        Fields={"success_action_status": "201"},
        Conditions=[{"success_action_status": "201"}],
        ExpiresIn=300,
    )
    reply = post_upload(post, b"created")
    assert reply.status == 201
    root = ET.fromstring(reply.body)
    values = {child.tag.split("}")[-1]: child.text for child in root}
    assert root.tag.split("}")[-1] == "PostResponse"
    assert (values["Bucket"], values["Key"], values["ETag"]) == (bucket, "created.txt", etag_of(b"created"))
    assert values["Location"]


def test_post_upload_status_200_is_empty(s3_v4, bucket, server_time_signing):
    post = s3_v4.generate_presigned_post(
        bucket,
        "ok.txt",
        Fields={"success_action_status": "200"},
        Conditions=[{"success_action_status": "200"}],
        ExpiresIn=300,
    )
    reply = post_upload(post, b"ok")
    assert (reply.status, reply.body) == (200, b"")
    assert s3_v4.head_object(Bucket=bucket, Key="ok.txt")["ContentLength"] == 2


def test_post_upload_with_metadata_and_content_type(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_object_with_metadata
    fields = {
        "x-amz-meta-test-1": "test-meta-1",
        "x-amz-meta-test-2": "test-meta-2",
        "Content-Type": "text/plain",
    }
    post = s3_v4.generate_presigned_post(
        bucket, "meta.txt", Fields=fields, Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300
    )
    assert post_upload(post, b"metadata included").status == 204
    head = s3_v4.head_object(Bucket=bucket, Key="meta.txt")
    assert head["ContentType"] == "text/plain"
    assert head["Metadata"] == {"test-1": "test-meta-1", "test-2": "test-meta-2"}
    assert head["ContentLength"] == 17


def test_post_upload_filename_variable(s3_v4, bucket, server_time_signing):
    # POST Object: ${filename} in the key is replaced by the uploaded file's name
    post = s3_v4.generate_presigned_post(bucket, "uploads/${filename}", ExpiresIn=300)
    assert post_upload(post, b"named", filename="photo.jpg").status == 204
    assert s3_v4.get_object(Bucket=bucket, Key="uploads/photo.jpg")["Body"].read() == b"named"


def test_post_upload_with_tagging(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_object_with_tags[single]
    tagging = "<Tagging><TagSet><Tag><Key>TagName</Key><Value>TagValue</Value></Tag></TagSet></Tagging>"
    post = s3_v4.generate_presigned_post(
        bucket, "tagged.txt", Fields={"tagging": tagging}, Conditions=[{"tagging": tagging}], ExpiresIn=300
    )
    assert post_upload(post, b"x").status == 204
    assert s3_v4.get_object_tagging(Bucket=bucket, Key="tagged.txt")["TagSet"] == [
        {"Key": "TagName", "Value": "TagValue"}
    ]


def test_post_upload_policy_expires(s3_v4, bucket, cloudlet, server_time_signing):
    # TestS3PresignedPost::test_post_request_expires
    post = s3_v4.generate_presigned_post(bucket, "late.txt", ExpiresIn=60)
    cloudlet.advance_clock(61)
    reply = post_upload(post, b"too late")
    assert reply.status == 403
    assert (reply.error["Code"], reply.error["Message"]) == (
        "AccessDenied",
        "Invalid according to Policy: Policy expired.",
    )
    assert s3_v4.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


@pytest.mark.parametrize("field", ["x-amz-signature", "x-amz-algorithm"])
def test_post_upload_missing_field(s3_v4, bucket, server_time_signing, field):
    # TestS3PresignedPost::test_post_request_missing_signature[s3v4], test_post_request_missing_fields[s3v4]
    post = s3_v4.generate_presigned_post(bucket, "k.txt", ExpiresIn=300)
    reply = post_upload(post, b"x", **{field: None})
    name = {"x-amz-signature": "X-Amz-Signature", "x-amz-algorithm": "X-Amz-Algorithm"}[field]
    assert reply.status == 400
    assert (reply.error["Code"], reply.error["Message"]) == (
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the fields.",
    )
    assert reply.error["ArgumentName"] == name


def test_post_upload_without_any_signature_fields(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_request_missing_fields[s3v4]: exception-no-sig-related-fields
    post = s3_v4.generate_presigned_post(bucket, "anon.txt", ExpiresIn=300)
    drop = {name: None for name in post["fields"] if name != "key"}
    reply = post_upload(post, b"x", **drop)
    assert reply.status == 403
    assert (reply.error["Code"], reply.error["Message"]) == ("AccessDenied", "Access Denied")


def test_post_upload_content_length_range(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_object_policy_validation_size; "Error responses": 400 for both
    post = s3_v4.generate_presigned_post(
        bucket, "sized.txt", Conditions=[["content-length-range", 5, 10]], ExpiresIn=300
    )
    big = post_upload(post, b"a" * 12)
    assert big.status == 400
    assert (big.error["Code"], big.error["Message"]) == (
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
    )
    assert (big.error["MaxSizeAllowed"], big.error["ProposedSize"]) == ("10", "12")
    small = post_upload(post, b"a")
    assert small.status == 400
    assert (small.error["Code"], small.error["Message"]) == (
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
    )
    assert (small.error["MinSizeAllowed"], small.error["ProposedSize"]) == ("5", "1")
    assert post_upload(post, b"a" * 10).status == 204
    assert s3_v4.get_object(Bucket=bucket, Key="sized.txt")["Body"].read() == b"a" * 10


def test_post_upload_condition_failures(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_object_policy_conditions_validation_eq / _starts_with:
    # 'Invalid according to Policy: Policy Condition failed: [<condition as written>]'
    post = s3_v4.generate_presigned_post(
        bucket,
        "uploads/${filename}",
        Fields={"x-amz-meta-color": "blue"},
        Conditions=[["eq", "$x-amz-meta-color", "blue"]],
        ExpiresIn=300,
    )
    wrong_value = post_upload(post, b"x", **{"x-amz-meta-color": "red"})
    assert wrong_value.status == 403
    assert (wrong_value.error["Code"], wrong_value.error["Message"]) == (
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["eq", "$x-amz-meta-color", "blue"]',
    )
    wrong_key = post_upload(post, b"x", key="elsewhere/file.txt")
    assert wrong_key.status == 403
    assert (wrong_key.error["Code"], wrong_key.error["Message"]) == (
        "AccessDenied",
        'Invalid according to Policy: Policy Condition failed: ["starts-with", "$key", "uploads/"]',
    )
    assert s3_v4.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_post_upload_must_be_multipart(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_object_with_wrong_content_type; "Error responses": 412
    post = s3_v4.generate_presigned_post(bucket, "form.txt", ExpiresIn=300)
    body = urllib.parse.urlencode({**post["fields"], "file": "content"}).encode()
    reply = fetch(post["url"], "POST", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 412
    assert (reply.error["Code"], reply.error["Message"]) == (
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
    assert reply.error["Condition"] == "Bucket POST must be of the enclosure-type multipart/form-data"


def test_post_upload_of_a_large_file_streams(s3_v4, bucket, server_time_signing):
    """A file past the spool size (8 MiB) is parsed from disk as it is read, not held whole."""
    content = os.urandom(9 * 1024 * 1024) + b"\r\n--not-the-boundary\r\n" + os.urandom(1000)
    post = s3_v4.generate_presigned_post(bucket, "big/${filename}", ExpiresIn=300)
    reply = post_upload(post, content, filename="large.bin")
    assert reply.status == 204
    assert reply.headers["etag"] == f'"{hashlib.md5(content).hexdigest()}"'
    assert s3_v4.get_object(Bucket=bucket, Key="big/large.bin")["Body"].read() == content


def test_post_upload_with_a_malformed_body(s3_v4, bucket, server_time_signing):
    post = s3_v4.generate_presigned_post(bucket, "k", ExpiresIn=300)
    body, content_type = multipart_body(post["fields"], b"the-payload", "f.txt")
    truncated = body[: body.index(b"the-payload")] + b"the-pay"  # the closing boundary never comes
    reply = fetch(post["url"], "POST", truncated, {"Content-Type": content_type})
    assert reply.status == 400
    assert reply.error["Code"] == "MalformedPOSTRequest"
    assert s3_v4.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def post_without_following(post: dict, content: bytes, **overrides: str) -> Reply:
    fields = {**post["fields"], **overrides}
    body, content_type = multipart_body(fields, content)
    request = urllib.request.Request(
        post["url"], data=body, method="POST", headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.build_opener(_NoRedirect).open(request, timeout=60) as resp:
            return Reply(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, {k.lower(): v for k, v in err.headers.items()}, err.read())


@pytest.mark.parametrize(
    ("target", "joined"),
    [("https://app.example/done", "?"), ("https://app.example/done?from=form", "&")],
)
def test_post_upload_success_action_redirect(s3_v4, bucket, server_time_signing, target, joined):
    # POST Object: a 303 to success_action_redirect with bucket, key and etag in its query
    # (the parameters' encoding is unverified), whatever success_action_status says
    post = s3_v4.generate_presigned_post(
        bucket,
        "dir/redirected file.txt",
        Fields={"success_action_redirect": target},
        Conditions=[{"success_action_redirect": target}, {"success_action_status": "201"}],
        ExpiresIn=300,
    )
    reply = post_without_following(post, b"redirected", success_action_status="201")
    assert (reply.status, reply.body) == (303, b"")
    etag = etag_of(b"redirected")
    location = reply.headers["location"]
    assert location == (
        f"{target}{joined}bucket={bucket}&key=dir%2Fredirected%20file.txt&etag={urllib.parse.quote(etag)}"
    )
    assert reply.headers["etag"] == etag
    assert s3_v4.get_object(Bucket=bucket, Key="dir/redirected file.txt")["Body"].read() == b"redirected"


def test_post_upload_redirect_that_is_no_url_is_ignored(s3_v4, bucket, server_time_signing):
    # POST Object: "If Amazon S3 cannot interpret the URL, it acts as if the field is not present"
    post = s3_v4.generate_presigned_post(
        bucket,
        "plain.txt",
        Fields={"success_action_redirect": "not a url"},
        Conditions=[{"success_action_redirect": "not a url"}, {"success_action_status": "200"}],
        ExpiresIn=300,
    )
    reply = post_without_following(post, b"plain", success_action_status="200")
    assert (reply.status, reply.body) == (200, b"")


@pytest.mark.parametrize("status", ["202", "nonsense", ""])
def test_post_upload_other_success_statuses_are_204(s3_v4, bucket, server_time_signing, status):
    # POST Object: success_action_status takes 200, 201 or 204; anything else answers 204
    post = s3_v4.generate_presigned_post(
        bucket,
        "other.txt",
        Fields={"success_action_status": status},
        Conditions=[{"success_action_status": status}],
        ExpiresIn=300,
    )
    assert post_without_following(post, b"x").status == 204


def test_post_upload_location_is_the_objects_url(s3_v4, bucket, server_time_signing, cloudlet):
    # test_post_object_with_unicode_metadata: Location <bucket-url>/test_unicode%E2%80%94_file.pdf
    # (header and PostResponse alike)
    recorded_post = recorded("test_post_object_with_unicode_metadata")["post-object"]
    key = "test_unicode\u2014_file.pdf"
    post = s3_v4.generate_presigned_post(
        bucket, key, Fields={"success_action_status": "201"}, Conditions=[{"success_action_status": "201"}]
    )
    reply = post_upload(post, b"x")
    expected = recorded_post["LocationHeader"].replace("<bucket-url>", f"{cloudlet.endpoint}/{bucket}")
    assert reply.headers["location"] == expected
    assert ET.fromstring(reply.body).findtext("{*}Location") == expected


def test_post_upload_with_unicode_metadata_answers_it_as_recorded(s3_v4, bucket, server_time_signing):
    # TestS3PresignedPost::test_post_object_with_unicode_metadata: form metadata is stored as
    # given, and answered RFC 2047-encoded like header metadata (was: Python's own Q-encoding,
    # "=?utf-8?q?...", with "." and "%" escaped).
    fields = {
        "x-amz-meta-nonascii": "ÄMÄZÕÑ S3",
        "x-amz-meta-q-encoded": "=?UTF-8?Q?actually-ascii?=",
        "x-amz-meta-b-encoded": "=?UTF-8?B?YWJj?=",
    }
    post = s3_v4.generate_presigned_post(
        bucket, "unicode.txt", Fields=fields, Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300
    )
    assert post_upload(post, b"x").status == 204
    metadata = s3_v4.head_object(Bucket=bucket, Key="unicode.txt")["Metadata"]
    assert metadata == {
        "nonascii": "=?UTF-8?Q?=C3=84M=C3=84Z=C3=95=C3=91_S3?=",
        "q-encoded": "=?UTF-8?Q?actually-ascii?=",
        "b-encoded": "=?UTF-8?B?YWJj?=",
    }
