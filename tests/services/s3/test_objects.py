"""S3 objects: put/get/head/delete, metadata and system headers, ETag, Content-MD5, checksums,
key names, copy (directives, conditions), object tagging, DeleteObjects, conditional writes and
virtual-hosted-style addressing.

Recorded scenarios (``aws-reference/s3``) behind the assertions are named in each test.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from .conftest import (
    MALFORMED_XML,
    MIB,
    NO_SUCH_BUCKET,
    NO_SUCH_KEY,
    PRECONDITION_FAILED,
    b64,
    checksum,
    code_of,
    error_fields,
    error_of,
    etag_of,
    keys_of,
    md5_b64,
    md5_hex,
    raw_request,
    server_now,
    unique_name,
)

ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]

# --------------------------------------------------------------------------- put / get / head


@pytest.mark.parametrize(
    "body",
    [b"", b"x", os.urandom(5 * MIB)],
    ids=["empty", "one-byte", "five-mib"],
)
def test_put_get_head_round_trip(s3, bucket, body):
    # test_head_object_fields, test_put_and_get_object_with_utf8_key; ETag = quoted MD5
    put = s3.put_object(Bucket=bucket, Key="obj", Body=body)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert put["ETag"] == etag_of(body)
    got = s3.get_object(Bucket=bucket, Key="obj")
    assert got["Body"].read() == body
    assert got["ContentLength"] == len(body)
    assert got["ETag"] == etag_of(body)
    assert got["ContentType"] == "binary/octet-stream"
    assert got["AcceptRanges"] == "bytes"
    assert got["Metadata"] == {}
    assert isinstance(got["LastModified"], datetime)
    head = s3.head_object(Bucket=bucket, Key="obj")
    assert head["ContentLength"] == len(body)
    assert head["ETag"] == etag_of(body)
    assert head["LastModified"] == got["LastModified"]
    assert head["ResponseMetadata"]["HTTPHeaders"]["content-length"] == str(len(body))


def test_overwrite_replaces_the_object(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=b"first", Metadata={"a": "1"})
    s3.put_object(Bucket=bucket, Key="k", Body=b"second!")
    got = s3.get_object(Bucket=bucket, Key="k")
    assert got["Body"].read() == b"second!"
    assert got["Metadata"] == {}
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 1


def test_user_metadata(s3, bucket):
    # S3 user guide: user-defined metadata keys are stored (and returned) in lowercase
    metadata = {"color": "blue", "Mixed-Case": "Value With Spaces", "empty": ""}
    s3.put_object(Bucket=bucket, Key="meta", Body=b"x", Metadata=metadata)
    expected = {"color": "blue", "mixed-case": "Value With Spaces", "empty": ""}
    assert s3.head_object(Bucket=bucket, Key="meta")["Metadata"] == expected
    got = s3.get_object(Bucket=bucket, Key="meta")
    assert got["Metadata"] == expected
    assert got["ResponseMetadata"]["HTTPHeaders"]["x-amz-meta-color"] == "blue"


def test_user_metadata_too_large(s3, bucket):
    # S3 user guide: user-defined metadata is limited to 2 KB; "Error responses": MetadataTooLarge, 400
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="big-meta", Body=b"x", Metadata={"big": "x" * 2100})
    assert code_of(exc) == ("MetadataTooLarge", 400)  # message unverified


def test_system_metadata(s3, bucket):
    # test_put_and_get_object_with_content_language_disposition, test_s3_object_expires
    expires = datetime(2035, 10, 21, 7, 28, tzinfo=UTC)
    s3.put_object(
        Bucket=bucket,
        Key="sys",
        Body=b"\x1f\x8b compressed",
        ContentType="text/plain; charset=utf-8",
        ContentEncoding="gzip",
        ContentDisposition='attachment; filename="foo.jpg"',
        ContentLanguage="de",
        CacheControl="no-cache",
        Expires=expires,
    )
    for response in (s3.get_object(Bucket=bucket, Key="sys"), s3.head_object(Bucket=bucket, Key="sys")):
        assert response["ContentType"] == "text/plain; charset=utf-8"
        assert response["ContentEncoding"] == "gzip"
        assert response["ContentDisposition"] == 'attachment; filename="foo.jpg"'
        assert response["ContentLanguage"] == "de"
        assert response["CacheControl"] == "no-cache"
        assert response["Expires"] == expires
        assert response["ExpiresString"] == "Sun, 21 Oct 2035 07:28:00 GMT"
    # S3 stores the bytes as sent: no decoding of Content-Encoding
    assert s3.get_object(Bucket=bucket, Key="sys")["Body"].read() == b"\x1f\x8b compressed"


def test_get_missing_key(s3, bucket):
    # test_range_key_not_exists, test_s3_uppercase_key_names
    s3.put_object(Bucket=bucket, Key="camelCaseKey", Body=b"something")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="camelcasekey")
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "camelcasekey"


def test_head_missing_key(s3, bucket):
    # test_head_object_fields: head-object-404 (HEAD has no body)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="nothing-here")
    assert error_of(exc) == ("404", "Not Found", 404)


@pytest.mark.parametrize(
    "call",
    [
        lambda c, b: c.get_object(Bucket=b, Key="k"),
        lambda c, b: c.put_object(Bucket=b, Key="k", Body=b"x"),
        lambda c, b: c.delete_object(Bucket=b, Key="k"),
        lambda c, b: c.delete_objects(Bucket=b, Delete={"Objects": [{"Key": "k"}]}),
        lambda c, b: c.get_object_tagging(Bucket=b, Key="k"),
        lambda c, b: c.copy_object(Bucket=b, Key="k", CopySource={"Bucket": b, "Key": "src"}),
    ],
    ids=["get", "put", "delete", "delete-objects", "get-tagging", "copy"],
)
def test_object_calls_on_missing_bucket(s3, call):
    # test_get_object_no_such_bucket, test_delete_non_existing_keys_in_non_existing_bucket,
    # test_object_tagging_exc, test_s3_copy_object_src_not_exists
    name = unique_name("nob")
    with pytest.raises(ClientError) as exc:
        call(s3, name)
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == name


def test_head_object_on_missing_bucket(s3):
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=unique_name("nob"), Key="k")
    assert code_of(exc) == ("404", 404)


def test_delete_object(s3, bucket):
    # test_delete_object: delete-object 204, delete-nonexistent-object 204
    s3.put_object(Bucket=bucket, Key="test-delete", Body=b"test-delete")
    assert s3.delete_object(Bucket=bucket, Key="test-delete")["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="test-delete")
    assert s3.delete_object(Bucket=bucket, Key="test-delete")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_object_with_bad_version_id(s3, bucket):
    # test_delete_object: delete-nonexistent-object-versionid
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="k", VersionId="HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD")
    assert error_of(exc) == ("InvalidArgument", "Invalid version id specified", 400)
    assert error_fields(exc)["ArgumentName"] == "versionId"
    assert error_fields(exc)["ArgumentValue"] == "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"


# --------------------------------------------------------------------------- Content-MD5


def test_content_md5_accepted(s3, bucket):
    # test_s3_invalid_content_md5: success-put-object-md5
    body = b"something"
    put = s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=md5_b64(body))
    assert put["ETag"] == etag_of(body)


def test_content_md5_mismatch(s3, bucket):
    # test_s3_invalid_content_md5: md5-error-bad-digest (ExpectedDigest in hex for PutObject)
    body = b"something"
    sent = hashlib.md5(b"something else").digest()
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="md5", Body=body, ContentMD5=b64(sent))
    assert error_of(exc) == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
    )
    assert error_fields(exc)["CalculatedDigest"] == md5_b64(body)
    assert error_fields(exc)["ExpectedDigest"] == sent.hex()
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="md5")


@pytest.mark.parametrize(
    "value", ["__invalid__", "000", "not base64 encoded checksum", "MTIz", "dGVzdC1zdHJpbmc="]
)
def test_content_md5_invalid(s3, bucket, value):
    # test_s3_invalid_content_md5: md5-error-0..4
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="md5", Body=b"something", ContentMD5=value)
    assert error_of(exc) == ("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)
    assert error_fields(exc)["Content-MD5"] == value


# --------------------------------------------------------------------------- checksums

TEST_DATA = b"test data.."
# test_put_object_checksum[*]: values real S3 returned for b"test data.."
RECORDED_CHECKSUMS = {
    "CRC32": "cZWHwQ==",
    "CRC32C": "Pf4upw==",
    "CRC64NVME": "qUVrWYOrIAM=",
    "SHA1": "B++3uSfJMSHWToQMQ1g6lIJY5Eo=",
    "SHA256": "2l26x0trnT0r2AvakoFk2MB7eKVKzYESLMxSAKAzoik=",
}


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_sent_by_boto3_is_stored_and_returned(s3, bucket, algorithm):
    # test_put_object_checksum[*]: put-object-autogenerated, head-object-with-checksum;
    # test_s3_get_object_checksum[*]
    member = f"Checksum{algorithm}"
    assert checksum(algorithm, TEST_DATA) == RECORDED_CHECKSUMS[algorithm]
    put = s3.put_object(Bucket=bucket, Key="sum", Body=TEST_DATA, ChecksumAlgorithm=algorithm)
    assert put[member] == RECORDED_CHECKSUMS[algorithm]
    assert put["ChecksumType"] == "FULL_OBJECT"
    assert put["ETag"] == '"e6d9226c2a86b7232933663c13467527"'
    got = s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert got["Body"].read() == TEST_DATA
    assert got[member] == RECORDED_CHECKSUMS[algorithm]
    assert got["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")
    assert head[member] == RECORDED_CHECKSUMS[algorithm]
    assert head["ChecksumType"] == "FULL_OBJECT"


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_given_explicitly(s3, bucket, algorithm):
    # test_put_object_checksum[*]: put-object-generated
    member = f"Checksum{algorithm}"
    put = s3.put_object(Bucket=bucket, Key="sum", Body=TEST_DATA, **{member: RECORDED_CHECKSUMS[algorithm]})
    assert put[member] == RECORDED_CHECKSUMS[algorithm]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_wrong_checksum_refused(s3, bucket, algorithm):
    # test_put_object_checksum[*]: put-wrong-checksum-value
    wrong = checksum(algorithm, b"other data")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="sum", Body=TEST_DATA, **{f"Checksum{algorithm}": wrong})
    assert error_of(exc) == (
        "BadDigest",
        f"The {algorithm} you specified did not match the calculated checksum.",
        400,
    )
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="sum")


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_checksum_that_is_not_base64_refused(s3, bucket, algorithm):
    # test_put_object_checksum[*]: put-wrong-checksum-no-b64
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="sum", Body=TEST_DATA, **{f"Checksum{algorithm}": "wrongvalue"})
    assert error_of(exc) == (
        "InvalidRequest",
        f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.",
        400,
    )


def test_two_checksums_refused(s3, bucket):
    # test_s3_checksum_no_algorithm: put-2-checksums
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket,
            Key="sum",
            Body=TEST_DATA,
            ChecksumCRC32=RECORDED_CHECKSUMS["CRC32"],
            ChecksumSHA256=RECORDED_CHECKSUMS["SHA256"],
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed.",
        400,
    )


def test_default_checksum_is_crc32_from_boto3(s3, bucket):
    # test_s3_get_object_checksum[None]: boto3 sends CRC32 when nothing is asked
    body = b"test-checksum"
    put = s3.put_object(Bucket=bucket, Key="sum", Body=body)
    assert put["ChecksumCRC32"] == "lVk/nw=="
    assert put["ChecksumType"] == "FULL_OBJECT"
    assert s3.get_object(Bucket=bucket, Key="sum", ChecksumMode="ENABLED")["ChecksumCRC32"] == "lVk/nw=="


# --------------------------------------------------------------------------- key names

ODD_KEYS = [
    pytest.param("unicode/\u00e9t\u00e9/\u65e5\u672c\u8a9e/\U0001f600.txt", id="unicode"),
    pytest.param("with space/and more spaces.txt", id="spaces"),
    pytest.param("test+key", id="plus"),
    pytest.param("test%123", id="percent"),
    pytest.param("test%percent", id="percent-word"),
    pytest.param("file%2Fname", id="encoded-slash-literal"),
    pytest.param("a/%F0%9F%98%80/", id="encoded-emoji-literal"),
    pytest.param("double//slash", id="double-slash"),
    pytest.param("test key//", id="trailing-double-slash"),
    pytest.param("/leading-slash", id="leading-slash"),
    pytest.param("a/", id="single-char-trailing-slash"),
    pytest.param("test@key/", id="at-sign"),
    pytest.param("#hash?query&amp=1;semi", id="reserved-characters"),
    pytest.param("tilde~and'quote\"and<angle>", id="xml-characters"),
]


@pytest.mark.parametrize("key", ODD_KEYS)
def test_odd_key_names_round_trip(s3, bucket, key):
    # test_put_get_object_special_character[*], test_object_with_slashes_in_key,
    # test_put_get_object_single_character_trailing_slash, test_url_encoded_key
    s3.put_object(Bucket=bucket, Key=key, Body=b"test")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"test"
    assert s3.head_object(Bucket=bucket, Key=key)["ContentLength"] == 4
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == [key]
    assert keys_of(s3.list_objects(Bucket=bucket)) == [key]
    assert s3.delete_object(Bucket=bucket, Key=key)["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_similar_keys_stay_distinct(s3, bucket):
    # test_url_encoded_key: "test@key/", "test%40key/" and "test%40key" are three objects
    keys = ["test@key/", "test%40key/", "test%40key", "a b", "a+b", "a%20b"]
    for i, key in enumerate(keys):
        s3.put_object(Bucket=bucket, Key=key, Body=str(i).encode())
    for i, key in enumerate(keys):
        assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == str(i).encode()
    assert sorted(keys_of(s3.list_objects_v2(Bucket=bucket))) == sorted(keys)


@pytest.mark.parametrize("key", ["k" * 1024, "\u00e9" * 512], ids=["ascii", "two-byte-utf8"])
def test_key_of_1024_bytes_is_accepted(s3, bucket, key):
    # S3 user guide, object key names: at most 1024 bytes of UTF-8
    s3.put_object(Bucket=bucket, Key=key, Body=b"long")
    assert s3.get_object(Bucket=bucket, Key=key)["Body"].read() == b"long"


@pytest.mark.parametrize("key", ["k" * 1025, "\u00e9" * 512 + "k"], ids=["ascii", "two-byte-utf8"])
def test_key_over_1024_bytes_is_refused(s3, bucket, key):
    # S3 API reference, "Error responses": KeyTooLongError, 400
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key=key, Body=b"long")
    assert code_of(exc) == ("KeyTooLongError", 400)  # message unverified
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# --------------------------------------------------------------------------- CopyObject


def test_copy_object_keeps_metadata_by_default(s3, bucket, make_bucket):
    # test_s3_copy_metadata_directive_copy, test_s3_copy_content_type_and_metadata
    body = b"test"
    s3.put_object(
        Bucket=bucket,
        Key="src",
        Body=body,
        Metadata={"key": "value"},
        ContentLanguage="en-US",
        ContentType="text/x",
    )
    target = make_bucket("copydst")
    copied = s3.copy_object(Bucket=target, Key="dst", CopySource={"Bucket": bucket, "Key": "src"})
    assert copied["CopyObjectResult"]["ETag"] == etag_of(body)
    assert isinstance(copied["CopyObjectResult"]["LastModified"], datetime)
    head = s3.head_object(Bucket=target, Key="dst")
    assert head["Metadata"] == {"key": "value"}
    assert head["ContentLanguage"] == "en-US"
    assert head["ContentType"] == "text/x"
    assert s3.get_object(Bucket=target, Key="dst")["Body"].read() == body


def test_copy_object_replace_metadata(s3, bucket):
    # test_s3_copy_metadata_replace
    s3.put_object(
        Bucket=bucket,
        Key="src",
        Body=b'{"key": "value"}',
        Metadata={"key": "value"},
        ContentType="application/json",
        ContentLanguage="en-US",
    )
    copied = s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource=f"{bucket}/src",
        MetadataDirective="REPLACE",
        Metadata={"another-key": "value"},
        ContentType="image/jpg",
    )
    assert copied["CopyObjectResult"]["ETag"] == etag_of(b'{"key": "value"}')
    head = s3.head_object(Bucket=bucket, Key="dst")
    assert head["Metadata"] == {"another-key": "value"}
    assert head["ContentType"] == "image/jpg"
    assert "ContentLanguage" not in head


def test_copy_object_to_itself_needs_a_change(s3, bucket):
    # test_s3_copy_object_in_place, test_s3_copy_object_in_place_metadata_directive
    s3.put_object(
        Bucket=bucket, Key="self", Body=b"x", Metadata={"key": "value"}, ContentType="application/json"
    )
    message = (
        "This copy request is illegal because it is trying to copy an object to itself without changing "
        "the object's metadata, storage class, website redirect location or encryption attributes."
    )
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"})
    assert error_of(exc) == ("InvalidRequest", message, 400)
    with pytest.raises(ClientError) as exc:  # new metadata without REPLACE changes nothing
        s3.copy_object(
            Bucket=bucket,
            Key="self",
            CopySource={"Bucket": bucket, "Key": "self"},
            Metadata={"key2": "value2"},
        )
    assert error_of(exc) == ("InvalidRequest", message, 400)
    s3.copy_object(
        Bucket=bucket,
        Key="self",
        CopySource={"Bucket": bucket, "Key": "self"},
        MetadataDirective="REPLACE",
        Metadata={"key2": "value2"},
    )
    head = s3.head_object(Bucket=bucket, Key="self")
    assert head["Metadata"] == {"key2": "value2"}
    assert head["ContentType"] == "binary/octet-stream"


def test_copy_object_to_itself_with_new_storage_class(s3, bucket):
    # test_s3_copy_object_in_place: copy-object-in-place-with-storage-class
    s3.put_object(Bucket=bucket, Key="self", Body=b"x")
    s3.copy_object(
        Bucket=bucket, Key="self", CopySource={"Bucket": bucket, "Key": "self"}, StorageClass="STANDARD_IA"
    )
    assert s3.head_object(Bucket=bucket, Key="self")["StorageClass"] == "STANDARD_IA"


def test_copy_object_missing_source(s3, bucket):
    # test_s3_copy_object_src_not_exists
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "random-src-key"})
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "random-src-key"
    missing = unique_name("nosrc")
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": missing, "Key": "k"})
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == missing


def test_copy_object_source_without_key(s3_raw, bucket):
    # test_s3_copy_object_wrong_format
    with pytest.raises(ClientError) as exc:
        s3_raw.copy_object(Bucket=bucket, Key="dst", CopySource=bucket)
    assert error_of(exc) == ("InvalidArgument", "Invalid copy source object key", 400)
    assert error_fields(exc)["ArgumentName"] == "x-amz-copy-source"


@pytest.mark.parametrize(
    "key", ["file%2Fname", "test@key/", "test key/", "test key//", "a/%F0%9F%98%80/", "test+key"]
)
def test_copy_object_special_character_keys(s3, bucket, key):
    # test_copy_object_special_character
    s3.put_object(Bucket=bucket, Key=key, Body=b"test")
    s3.copy_object(Bucket=bucket, Key=f"copy/{key}", CopySource={"Bucket": bucket, "Key": key})
    assert s3.get_object(Bucket=bucket, Key=f"copy/{key}")["Body"].read() == b"test"


def test_copy_source_preconditions(s3, bucket):
    # test_s3_copy_object_preconditions (test_s3_preconditions)
    s3.put_object(Bucket=bucket, Key="src", Body=b"data")
    head = s3.head_object(Bucket=bucket, Key="src")
    etag, modified = head["ETag"], head["LastModified"]
    src = {"Bucket": bucket, "Key": "src"}
    failing = [
        ({"CopySourceIfMatch": '"00000000000000000000000000000000"'}, "x-amz-copy-source-If-Match"),
        (
            {"CopySourceIfUnmodifiedSince": modified - timedelta(days=1)},
            "x-amz-copy-source-If-Unmodified-Since",
        ),
        ({"CopySourceIfNoneMatch": etag}, "x-amz-copy-source-If-None-Match"),
        ({"CopySourceIfNoneMatch": etag.strip('"')}, "x-amz-copy-source-If-None-Match"),
        ({"CopySourceIfModifiedSince": modified}, "x-amz-copy-source-If-Modified-Since"),
    ]
    for condition, header in failing:
        with pytest.raises(ClientError) as exc:
            s3.copy_object(Bucket=bucket, Key="dst", CopySource=src, **condition)
        assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412), condition
        assert error_fields(exc)["Condition"] == header
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="dst")
    for condition in (
        {"CopySourceIfMatch": etag},
        {"CopySourceIfNoneMatch": '"00000000000000000000000000000000"'},
        {"CopySourceIfUnmodifiedSince": modified},
        {"CopySourceIfModifiedSince": modified - timedelta(days=1)},
        # S3 API reference, CopyObject: if-match true and if-unmodified-since false -> copied
        {"CopySourceIfMatch": etag, "CopySourceIfUnmodifiedSince": modified - timedelta(days=1)},
    ):
        copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource=src, **condition)
        assert copied["CopyObjectResult"]["ETag"] == etag


def test_copy_source_if_modified_since_in_the_future_is_ignored(s3, bucket, cloudlet):
    # test_s3_copy_object_preconditions: copy-ignore-future-modified-since
    s3.put_object(Bucket=bucket, Key="src", Body=b"data")
    copied = s3.copy_object(
        Bucket=bucket,
        Key="dst",
        CopySource={"Bucket": bucket, "Key": "src"},
        CopySourceIfModifiedSince=server_now(cloudlet) + timedelta(days=1),
    )
    assert copied["CopyObjectResult"]["ETag"] == etag_of(b"data")


@pytest.mark.parametrize(
    ("directive", "tagging", "expected"),
    [
        (None, None, [{"Key": "key1", "Value": "value1"}]),
        ("COPY", "key2=value2", [{"Key": "key1", "Value": "value1"}]),
        ("REPLACE", "key2=value2", [{"Key": "key2", "Value": "value2"}]),
        ("REPLACE", "", []),
    ],
    ids=["default", "copy", "replace", "replace-empty"],
)
def test_copy_object_tagging_directive(s3, bucket, directive, tagging, expected):
    # test_s3_copy_tagging_directive[*]
    s3.put_object(Bucket=bucket, Key="src", Body=b"test", Tagging="key1=value1")
    params = {}
    if directive:
        params["TaggingDirective"] = directive
    if tagging is not None:
        params["Tagging"] = tagging
    s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "src"}, **params)
    assert s3.get_object_tagging(Bucket=bucket, Key="dst")["TagSet"] == expected


# --------------------------------------------------------------------------- object tagging


def test_object_tagging_crud(s3, bucket):
    # test_object_tagging_crud
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"test-tagging")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == []
    put = s3.put_object_tagging(
        Bucket=bucket,
        Key="tagged",
        Tagging={"TagSet": [{"Key": "tag1", "Value": "tag1"}, {"Key": "tag2", "Value": ""}]},
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [
        {"Key": "tag1", "Value": "tag1"},
        {"Key": "tag2", "Value": ""},
    ]
    s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [{"Key": "tag3", "Value": "tag3"}]})
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "tag3", "Value": "tag3"}]
    assert s3.get_object(Bucket=bucket, Key="tagged")["TagCount"] == 1
    assert s3.delete_object_tagging(Bucket=bucket, Key="tagged")["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == []
    assert "TagCount" not in s3.get_object(Bucket=bucket, Key="tagged")


def test_tagging_header_on_put(s3, bucket):
    # test_put_object_with_tags, test_head_object_with_tags
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"test-tagging", Tagging="tag1=tag1&tag2=tag2&tag=")
    tag_set = s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"]
    assert sorted(tag_set, key=lambda t: t["Key"]) == [  # order of the answer unverified
        {"Key": "tag", "Value": ""},
        {"Key": "tag1", "Value": "tag1"},
        {"Key": "tag2", "Value": "tag2"},
    ]
    assert s3.head_object(Bucket=bucket, Key="tagged")["TagCount"] == 3


def test_tagging_header_with_encoded_characters(s3, bucket):
    # S3 API reference, PutObject x-amz-tagging: URL query parameters, UTF-8, URL-encoded
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="project=blue%20sky&path=a%2Fb")
    tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"]}
    assert tags == {"project": "blue sky", "path": "a/b"}


@pytest.mark.parametrize("header", ["key1=val1&key1=val2", "key1=val1,key2=val2"])
def test_tagging_header_invalid(s3, bucket, header):
    # test_object_tagging_exc: put-obj-duplicate-tagging, put-obj-wrong-format
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging=header)
    assert error_of(exc) == (
        "InvalidArgument",
        "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters "
        "without tag name duplicates.",
        400,
    )
    assert error_fields(exc)["ArgumentName"] == "x-amz-tagging"
    assert error_fields(exc)["ArgumentValue"] == header


@pytest.mark.parametrize(
    ("tags", "message", "tag_key"),
    [
        (
            [{"Key": "Key1", "Value": "a"}, {"Key": "Key1", "Value": "b"}],
            "Cannot provide multiple Tags with the same key",
            "Key1",
        ),
        ([{"Key": "Key1,Key2", "Value": "a"}], "The TagKey you have provided is invalid", "Key1,Key2"),
        ([{"Key": "aws:prefixed", "Value": "a"}], "Your TagKey cannot be prefixed with aws:", "aws:prefixed"),
    ],
    ids=["duplicate-keys", "invalid-key", "aws-prefix"],
)
def test_object_tagging_validation(s3, bucket, tags, message, tag_key):
    # test_tagging_validation: put-object-tags-*
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": tags})
    assert error_of(exc) == ("InvalidTag", message, 400)
    assert error_fields(exc)["TagKey"] == tag_key


@pytest.mark.parametrize("tag", [{"Value": "v"}, {"Key": "k"}], ids=["no-key", "no-value"])
def test_object_tag_without_key_or_value_is_malformed(s3_raw, bucket, tag):
    # test_tagging_validation: put-object-tags-none-key, put-object-tags-none-value
    s3_raw.put_object(Bucket=bucket, Key="tagged", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3_raw.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [tag]})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_object_tagging_on_missing_key(s3, bucket):
    # test_object_tagging_exc: get-no-key-tags, delete-no-key-tags, put-no-key-tags
    for call in (
        lambda: s3.get_object_tagging(Bucket=bucket, Key="fake-key"),
        lambda: s3.delete_object_tagging(Bucket=bucket, Key="fake-key"),
        lambda: s3.put_object_tagging(
            Bucket=bucket, Key="fake-key", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)


def test_overwriting_an_object_drops_its_tags(s3, bucket):
    # test_object_tags_delete_or_overwrite_object
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"x", Tagging="tag1=val1")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == [{"Key": "tag1", "Value": "val1"}]
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"y")
    assert s3.get_object_tagging(Bucket=bucket, Key="tagged")["TagSet"] == []
    s3.put_object(Bucket=bucket, Key="other", Body=b"x", Tagging="tag1=val1")
    s3.delete_object(Bucket=bucket, Key="other")
    s3.put_object(Bucket=bucket, Key="other", Body=b"x")
    assert s3.get_object_tagging(Bucket=bucket, Key="other")["TagSet"] == []


# --------------------------------------------------------------------------- DeleteObjects


def test_delete_objects(s3, bucket):
    # test_delete_non_existing_keys, test_s3_batch_delete_objects
    for key in ("a", "b", "c"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    deleted = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "c"}, {"Key": "never-existed"}]}
    )
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["a", "c", "never-existed"]
    assert "Errors" not in deleted
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["b"]


def test_delete_objects_quiet(s3, bucket):
    # test_delete_non_existing_keys_quiet: the quiet answer lists no deleted keys
    s3.put_object(Bucket=bucket, Key="a", Body=b"x")
    deleted = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "a"}, {"Key": "b"}], "Quiet": True}
    )
    assert "Deleted" not in deleted and "Errors" not in deleted
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_reports_errors_per_key(s3, bucket):
    # test_delete_objects (test_s3_api): delete-object-wrong-version-id, delete-objects
    s3.put_object(Bucket=bucket, Key="test-delete", Body=b"x")
    bad = "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"
    answer = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "test-delete", "VersionId": bad}, {"Key": "other"}]}
    )
    assert answer["Errors"] == [
        {
            "Code": "NoSuchVersion",
            "Key": "test-delete",
            "Message": "The specified version does not exist.",
            "VersionId": bad,
        }
    ]
    assert answer["Deleted"] == [{"Key": "other"}]
    quiet = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "test-delete", "VersionId": bad}, {"Key": "x"}], "Quiet": True},
    )
    assert [e["Key"] for e in quiet["Errors"]] == ["test-delete"]
    assert "Deleted" not in quiet
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["test-delete"]


def test_delete_objects_with_encoded_looking_keys(s3, bucket):
    # test_delete_objects_encoding
    keys = ["a%2Fb", "a/%F0%9F%98%80"]
    for key in keys:
        s3.put_object(Bucket=bucket, Key=key, Body=b"x")
    deleted = s3.delete_objects(Bucket=bucket, Delete={"Objects": [{"Key": k} for k in keys]})
    assert sorted(d["Key"] for d in deleted["Deleted"]) == keys
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


def test_delete_objects_needs_objects(s3_raw, bucket):
    with pytest.raises(ClientError) as exc:
        s3_raw.delete_objects(Bucket=bucket, Delete={"Objects": []})
    assert code_of(exc) == ("MalformedXML", 400)  # message unverified


# --------------------------------------------------------------------------- conditional writes


def test_put_if_none_match_star(s3, bucket):
    # test_put_object_if_none_match
    s3.put_object(Bucket=bucket, Key="once", Body=b"", IfNoneMatch="*")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="once", Body=b"again", IfNoneMatch="*")
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412)
    assert error_fields(exc)["Condition"] == "If-None-Match"
    assert s3.get_object(Bucket=bucket, Key="once")["Body"].read() == b""
    s3.delete_object(Bucket=bucket, Key="once")
    s3.put_object(Bucket=bucket, Key="once", Body=b"", IfNoneMatch="*")


def test_put_if_match(s3, bucket):
    # test_put_object_if_match
    etag = s3.put_object(Bucket=bucket, Key="cas", Body=b"test")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"", IfMatch=etag_of(b"something else"))
    assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412)
    assert error_fields(exc)["Condition"] == "If-Match"
    s3.put_object(Bucket=bucket, Key="cas", Body=b"", IfMatch=etag)
    s3.delete_object(Bucket=bucket, Key="cas")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="cas", Body=b"", IfMatch=etag)
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "cas"


def test_put_conditional_header_values_not_supported(s3, bucket):
    # test_put_object_if_none_match_validation, test_put_object_if_match_validation,
    # test_put_object_if_match_and_if_none_match_validation
    etag = s3.put_object(Bucket=bucket, Key="cond", Body=b"")["ETag"]
    message = "A header you provided implies functionality that is not implemented"
    cases = [
        ({"IfNoneMatch": etag}, "If-None-Match"),
        ({"IfMatch": "*"}, "If-Match"),
        ({"IfMatch": etag, "IfNoneMatch": "*"}, "If-Match,If-None-Match"),
    ]
    for condition, header in cases:
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="cond", Body=b"x", **condition)
        assert error_of(exc) == ("NotImplemented", message, 501), condition
        assert error_fields(exc)["Header"] == header


# --------------------------------------------------------------------------- addressing


def test_virtual_hosted_style_object_requests(cloudlet, s3, bucket):
    # S3 user guide, virtual-hosted-style requests
    port = cloudlet.endpoint.rsplit(":", 1)[1]
    for host in (f"{bucket}.s3.localhost.localstack.cloud:{port}", f"{bucket}.s3.us-east-1.amazonaws.com"):
        put = raw_request(cloudlet.endpoint, "PUT", "/dir/vhost%20key.txt", host=host, body=b"via vhost")
        assert put.status == 200
        assert put.headers["etag"] == etag_of(b"via vhost")
        got = raw_request(cloudlet.endpoint, "GET", "/dir/vhost%20key.txt", host=host)
        assert (got.status, got.body) == (200, b"via vhost")
        missing = raw_request(cloudlet.endpoint, "GET", "/no-such-key", host=host)
        assert missing.status == 404
        assert (missing.error["Code"], missing.error["Key"]) == ("NoSuchKey", "no-such-key")
    assert s3.get_object(Bucket=bucket, Key="dir/vhost key.txt")["Body"].read() == b"via vhost"


def test_bucket_dot_localhost_host_is_accepted(cloudlet, s3, bucket):
    # local-cloud convention (not AWS): <bucket>.localhost addresses the bucket
    port = cloudlet.endpoint.rsplit(":", 1)[1]
    put = raw_request(cloudlet.endpoint, "PUT", "/k", host=f"{bucket}.localhost:{port}", body=b"local")
    assert put.status == 200
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"local"


def test_boto3_virtual_addressing_when_the_domain_resolves(cloudlet, bucket):
    # only where *.localhost.localstack.cloud resolves to this machine (it needs public DNS)
    from botocore.config import Config

    from cloudlet.testing.server import client

    try:
        resolved = socket.gethostbyname(f"{bucket}.s3.localhost.localstack.cloud")
    except OSError:
        resolved = None
    if resolved != "127.0.0.1":
        pytest.skip("*.s3.localhost.localstack.cloud does not resolve to 127.0.0.1 here")
    port = cloudlet.endpoint.rsplit(":", 1)[1]
    virtual = client(
        "s3",
        f"http://s3.localhost.localstack.cloud:{port}",
        config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
    )
    virtual.put_object(Bucket=bucket, Key="v", Body=b"virtual")
    assert virtual.get_object(Bucket=bucket, Key="v")["Body"].read() == b"virtual"


def test_path_style_client_config(s3_path, bucket):
    s3_path.put_object(Bucket=bucket, Key="p", Body=b"path")
    assert s3_path.get_object(Bucket=bucket, Key="p")["Body"].read() == b"path"


def test_md5_helper_matches_recorded_etag():
    # sanity: test_etag_on_get_object_call uses the same quoted-MD5 rule
    assert md5_hex(b"something") == "437b930db84b8079c2dd804a71936b5f"


def test_a_put_over_5_gib_is_refused_before_its_body(cloudlet, bucket):
    """With ``Expect: 100-continue`` (as SDKs send PUTs) the answer comes at once, no body read."""
    host, port = cloudlet.endpoint.removeprefix("http://").split(":")
    size = 6 * 1024**3
    head = (
        f"PUT /{bucket}/huge HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Length: {size}\r\n"
        "Expect: 100-continue\r\nx-amz-content-sha256: UNSIGNED-PAYLOAD\r\n"
        "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, "
        "SignedHeaders=host, Signature=0\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.encode())
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line == b"HTTP/1.1 400 Bad Request"
    body = rest.partition(b"\r\n\r\n")[2]
    assert b"<Code>EntityTooLarge</Code>" in body
    assert b"<Message>Your proposed upload exceeds the maximum allowed size</Message>" in body
    assert f"<ProposedSize>{size}</ProposedSize>".encode() in body
    assert b"<MaxSizeAllowed>5368709120</MaxSizeAllowed>" in body


@pytest.mark.parametrize("algorithm", [None, "CRC32", "SHA256"])
def test_a_spooled_body_gets_its_etag_and_checksum(s3, bucket, algorithm):
    """Bodies over 8 MiB go to disk as they arrive (MD5 computed meanwhile), then into place."""
    body = os.urandom(9 * 1024 * 1024 + 3)
    extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
    put = s3.put_object(Bucket=bucket, Key="spooled", Body=body, **extra)
    assert put["ETag"] == f'"{hashlib.md5(body).hexdigest()}"'
    got = s3.get_object(Bucket=bucket, Key="spooled", ChecksumMode="ENABLED")
    assert got["Body"].read() == body
    if algorithm:
        assert got[f"Checksum{algorithm}"] == put[f"Checksum{algorithm}"]


def test_a_large_get_to_a_slow_reader_is_intact(cloudlet, s3, bucket):
    """The server's send buffer fills while the client dawdles: every byte still arrives in order."""
    body = os.urandom(24 * 1024 * 1024)
    s3.put_object(Bucket=bucket, Key="slow", Body=body)
    host, port = cloudlet.endpoint.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
        sock.sendall(f"GET /{bucket}/slow HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
        received = bytearray()
        reads = 0
        while True:
            chunk = sock.recv(256 * 1024)
            if not chunk:
                break
            received += chunk
            reads += 1
            if reads % 50 == 0:
                time.sleep(0.01)  # let the server's buffer fill
            head, sep, _ = bytes(received[:4096]).partition(b"\r\n\r\n")
            if sep and len(received) - len(head) - 4 >= len(body):
                break
    head, _, payload = bytes(received).partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    assert hashlib.md5(payload[: len(body)]).hexdigest() == hashlib.md5(body).hexdigest()
