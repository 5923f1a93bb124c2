"""S3 conditional reads and byte ranges: Range (206, Content-Range, unsatisfiable 416),
If-Match / If-None-Match (412, 304), If-Modified-Since / If-Unmodified-Since and their
precedence, conditional delete, and the ``response-*`` header overrides of GetObject.

Expectations: ``test_get_object_range`` (test_s3_api), ``test_invalid_range_error``,
``test_s3_get_object_preconditions[*]``, ``test_s3_get_object_headers``,
``test_s3_get_object_header_overrides`` (test_s3) and the GetObject page of the S3 API reference
(precedence of the conditional headers). Times come from the object's LastModified or the
server clock, never from this machine's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from .conftest import PRECONDITION_FAILED, error_fields, error_of, etag_of, server_now

TEN = b"0123456789"
TWENTY = b"0123456789abcdefghij"


@pytest.fixture
def ten(s3, bucket) -> str:
    s3.put_object(Bucket=bucket, Key="ten", Body=TEN)
    return bucket


# --------------------------------------------------------------------------- ranges


@pytest.mark.parametrize(
    ("byte_range", "body", "content_range"),
    [
        ("bytes=0-9", TWENTY[:10], "bytes 0-9/20"),
        ("bytes=-5", b"fghij", "bytes 15-19/20"),
        ("bytes=10-", b"abcdefghij", "bytes 10-19/20"),
        ("bytes=19-19", b"j", "bytes 19-19/20"),
        ("bytes=5-100", TWENTY[5:], "bytes 5-19/20"),
    ],
)
def test_range_requests(s3, bucket, byte_range, body, content_range):
    # test_get_object_range, test_etag_on_get_object_call: get_object_range
    s3.put_object(Bucket=bucket, Key="twenty", Body=TWENTY)
    got = s3.get_object(Bucket=bucket, Key="twenty", Range=byte_range)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert got["Body"].read() == body
    assert got["ContentRange"] == content_range
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == etag_of(TWENTY)
    assert got["AcceptRanges"] == "bytes"


RECORDED_RANGES = [
    # (Range header, status, body, Content-Range) from test_get_object_range on b"0123456789"
    ("bytes=0-8", 206, b"012345678", "bytes 0-8/10"),
    ("bytes=1-1", 206, b"1", "bytes 1-1/10"),
    ("bytes=1-", 206, b"123456789", "bytes 1-9/10"),
    ("bytes=-2", 206, b"89", "bytes 8-9/10"),
    ("bytes=-9", 206, b"123456789", "bytes 1-9/10"),
    ("bytes=-15", 206, TEN, "bytes 0-9/10"),
    ("bytes=0-100", 206, TEN, "bytes 0-9/10"),
    ("bytes=0-0", 206, b"0", "bytes 0-0/10"),
    # not a usable range: the whole object, 200
    ("bytes=1-0", 200, TEN, None),
    ("bytes=-1-", 200, TEN, None),
    ("bytes=0--1", 200, TEN, None),
    ("bytes=0-1,3-4,7-9", 200, TEN, None),
    ("0-1", 200, TEN, None),
    ("bytes=-", 200, TEN, None),
]


@pytest.mark.parametrize(("byte_range", "status", "body", "content_range"), RECORDED_RANGES)
def test_recorded_ranges(s3, ten, byte_range, status, body, content_range):
    # test_get_object_range: get-0-8 ... get--, get-multiple-ranges, get-wrong-format
    got = s3.get_object(Bucket=ten, Key="ten", Range=byte_range)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == status
    assert got["Body"].read() == body
    assert got.get("ContentRange") == content_range


@pytest.mark.parametrize("byte_range", ["bytes=100-200", "bytes=-0", "bytes=10-", "bytes=10-20"])
def test_unsatisfiable_range(s3, ten, byte_range):
    # test_get_object_range: get--0, get-100-200; test_invalid_range_error;
    # a first byte at or past the end is unsatisfiable (RFC 9110)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=ten, Key="ten", Range=byte_range)
    assert error_of(exc) == ("InvalidRange", "The requested range is not satisfiable", 416)
    assert error_fields(exc)["ActualObjectSize"] == "10"
    assert error_fields(exc)["RangeRequested"] == byte_range
    # the object is unharmed (put-after-failed)
    assert s3.get_object(Bucket=ten, Key="ten")["Body"].read() == TEN


def test_partial_response_carries_no_full_object_checksum(s3, ten):
    # test_get_object_range: get-0-8-checksum (no checksum) vs get--15 (whole object: checksum)
    partial = s3.get_object(Bucket=ten, Key="ten", Range="bytes=0-8", ChecksumMode="ENABLED")
    assert not any(k.startswith("ChecksumCRC") for k in partial)
    whole = s3.get_object(Bucket=ten, Key="ten", Range="bytes=-15", ChecksumMode="ENABLED")
    assert whole["ChecksumCRC32"] == "poTHxg=="


def test_head_with_range(s3, ten):
    # S3 API reference, HeadObject: Range is supported
    head = s3.head_object(Bucket=ten, Key="ten", Range="bytes=2-4")
    assert head["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert (head["ContentLength"], head["ContentRange"]) == (3, "bytes 2-4/10")


def test_range_of_a_larger_object(s3, bucket):
    # test_range_header_body_length
    body = bytes(range(256)) * 8
    s3.put_object(Bucket=bucket, Key="2k", Body=body)
    first = s3.get_object(Bucket=bucket, Key="2k", Range="bytes=0-1023")
    second = s3.get_object(Bucket=bucket, Key="2k", Range="bytes=1024-2047")
    assert (first["ContentRange"], second["ContentRange"]) == ("bytes 0-1023/2048", "bytes 1024-2047/2048")
    assert first["Body"].read() + second["Body"].read() == body


def test_range_on_missing_key(s3, bucket):
    # test_range_key_not_exists
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="my-key", Range="bytes=0-1")
    assert error_of(exc)[0] == "NoSuchKey"
    assert error_fields(exc)["Key"] == "my-key"


# --------------------------------------------------------------------------- ETag conditions


def test_if_match(s3, ten):
    # test_s3_get_object_headers: if_match_1, if_match_err_1; test_precondition_failed_error
    etag = s3.head_object(Bucket=ten, Key="ten")["ETag"]
    assert s3.get_object(Bucket=ten, Key="ten", IfMatch=etag)["Body"].read() == TEN
    assert (
        s3.get_object(Bucket=ten, Key="ten", IfMatch=etag.strip('"'))["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=ten, Key="ten", IfMatch=etag_of(b"something else"))
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412)
    assert error_fields(exc)["Condition"] == "If-Match"


def test_if_none_match(s3, ten):
    # test_s3_get_object_headers: if_none_match_err_1/2, if_none_match_1;
    # test_s3_get_object_preconditions[get_object]: precondition-if-none-match, etag-missing-quotes
    etag = s3.head_object(Bucket=ten, Key="ten")["ETag"]
    for value in (etag, etag.strip('"')):
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket=ten, Key="ten", IfNoneMatch=value)
        assert error_of(exc) == ("304", "Not Modified", 304)
    got = s3.get_object(Bucket=ten, Key="ten", IfNoneMatch=etag_of(b"other"))
    assert got["Body"].read() == TEN


def test_head_conditions(s3, ten):
    # test_s3_get_object_preconditions[head_object]: a HEAD error has no body
    etag = s3.head_object(Bucket=ten, Key="ten")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=ten, Key="ten", IfMatch=etag_of(b"other"))
    assert error_of(exc) == ("412", "Precondition Failed", 412)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=ten, Key="ten", IfNoneMatch=etag)
    assert error_of(exc) == ("304", "Not Modified", 304)
    assert s3.head_object(Bucket=ten, Key="ten", IfMatch=etag)["ContentLength"] == 10


def test_if_match_with_range(s3, ten):
    etag = s3.head_object(Bucket=ten, Key="ten")["ETag"]
    got = s3.get_object(Bucket=ten, Key="ten", IfMatch=etag, Range="bytes=0-1")
    assert (got["ResponseMetadata"]["HTTPStatusCode"], got["Body"].read()) == (206, b"01")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=ten, Key="ten", IfMatch=etag_of(b"other"), Range="bytes=0-1")
    assert error_of(exc)[0] == "PreconditionFailed"


# --------------------------------------------------------------------------- date conditions


def test_if_modified_since(s3, ten, cloudlet):
    # test_s3_get_object_preconditions[*]: precondition-if-modified-since-is-object,
    # obj-ignore-future-modified-since
    modified = s3.head_object(Bucket=ten, Key="ten")["LastModified"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=ten, Key="ten", IfModifiedSince=modified)
    assert error_of(exc) == ("304", "Not Modified", 304)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=ten, Key="ten", IfModifiedSince=modified)
    assert error_of(exc) == ("304", "Not Modified", 304)
    earlier = modified - timedelta(days=1)
    assert s3.get_object(Bucket=ten, Key="ten", IfModifiedSince=earlier)["Body"].read() == TEN
    future = server_now(cloudlet) + timedelta(days=1)
    assert s3.get_object(Bucket=ten, Key="ten", IfModifiedSince=future)["Body"].read() == TEN


def test_if_unmodified_since(s3, ten):
    # test_s3_get_object_preconditions[get_object]: precondition-if-unmodified-since,
    # precondition-if-unmodified-since-is-object
    modified = s3.head_object(Bucket=ten, Key="ten")["LastModified"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=ten, Key="ten", IfUnmodifiedSince=modified - timedelta(days=1))
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412)
    assert error_fields(exc)["Condition"] == "If-Unmodified-Since"
    assert s3.get_object(Bucket=ten, Key="ten", IfUnmodifiedSince=modified)["Body"].read() == TEN
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=ten, Key="ten", IfUnmodifiedSince=modified - timedelta(days=1))
    assert error_of(exc) == ("412", "Precondition Failed", 412)


def test_condition_precedence(s3, ten):
    # S3 API reference, GetObject: If-Match true + If-Unmodified-Since false -> 200;
    # If-None-Match false + If-Modified-Since true -> 304
    head = s3.head_object(Bucket=ten, Key="ten")
    etag, modified = head["ETag"], head["LastModified"]
    got = s3.get_object(Bucket=ten, Key="ten", IfMatch=etag, IfUnmodifiedSince=modified - timedelta(days=1))
    assert got["Body"].read() == TEN
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=ten, Key="ten", IfNoneMatch=etag, IfModifiedSince=modified - timedelta(days=1))
    assert error_of(exc) == ("304", "Not Modified", 304)


def test_conditions_follow_the_latest_write(s3, bucket, cloudlet):
    s3.put_object(Bucket=bucket, Key="k", Body=b"v1")
    first = s3.head_object(Bucket=bucket, Key="k")
    cloudlet.advance_clock(5)
    s3.put_object(Bucket=bucket, Key="k", Body=b"v2")
    second = s3.head_object(Bucket=bucket, Key="k")
    assert second["LastModified"] > first["LastModified"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", IfMatch=first["ETag"])
    assert error_of(exc)[0] == "PreconditionFailed"
    got = s3.get_object(Bucket=bucket, Key="k", IfModifiedSince=first["LastModified"])
    assert got["Body"].read() == b"v2"


# --------------------------------------------------------------------------- conditional delete


def test_delete_if_match(s3, bucket):
    # test_delete_object_if_match_non_express: delete-obj-if-match
    etag = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="k", IfMatch=etag_of(b"other"))
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412)
    assert error_fields(exc)["Condition"] == "If-Match"
    assert s3.head_object(Bucket=bucket, Key="k")["ETag"] == etag
    s3.delete_object(Bucket=bucket, Key="k", IfMatch=etag)
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="k")


# --------------------------------------------------------------------------- response-* overrides


def test_response_header_overrides(s3, bucket):
    # test_s3_get_object_header_overrides
    s3.put_object(Bucket=bucket, Key="k", Body=b"something", ContentType="text/plain")
    expires = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    got = s3.get_object(
        Bucket=bucket,
        Key="k",
        ResponseCacheControl="max-age=74",
        ResponseContentDisposition='attachment; filename="foo.jpg"',
        ResponseContentEncoding="identity",
        ResponseContentLanguage="de-DE",
        ResponseContentType="image/jpeg",
        ResponseExpires=expires,
    )
    assert got["Body"].read() == b"something"
    assert got["CacheControl"] == "max-age=74"
    assert got["ContentDisposition"] == 'attachment; filename="foo.jpg"'
    assert got["ContentEncoding"] == "identity"
    assert got["ContentLanguage"] == "de-DE"
    assert got["ContentType"] == "image/jpeg"
    assert got["ExpiresString"] == "Wed, 21 Oct 2015 07:28:00 GMT"
    assert got["Expires"] == expires
    # the stored object is unchanged
    head = s3.head_object(Bucket=bucket, Key="k")
    assert head["ContentType"] == "text/plain"
    assert "CacheControl" not in head and "ContentDisposition" not in head


def test_response_override_with_range(s3, ten):
    got = s3.get_object(Bucket=ten, Key="ten", Range="bytes=0-3", ResponseContentType="text/csv")
    assert (got["ContentType"], got["Body"].read()) == ("text/csv", b"0123")
