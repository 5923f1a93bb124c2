"""Server-side encryption as the object operations answer it: SSE-S3 by default, the bucket's
default encryption (SSE-KMS with and without a key id, Bucket Keys), the request's headers over
that default, SSE-C keys, copies and multipart uploads; and the ``acl`` field of browser POST
uploads. Nothing is encrypted on disk: these are the answers.

Expectations are S3's answers recorded in ``aws-reference/s3`` (compared member by member with
:func:`assert_answer` where the recording's body is known): ``test_s3_sse_bucket_key_default``,
``test_s3_sse_default_kms_key``, ``test_copy_object_kms``,
``test_s3_copy_object_in_place_with_encryption``, ``test_copy_in_place_with_bucket_encryption``,
``test_s3_multipart_upload_sse``, ``test_s3_sse_validate_kms_key`` and ``TestS3SSECEncryption::*``
(test_s3), ``TestS3BucketEncryption::*`` (test_s3_api). Where they are not enough: the API
reference (PutObject, CopyObject, UploadPart: which headers each takes and answers; the AWS
managed key ``aws/s3``; Bucket Keys not applying to DSSE-KMS; the POST Object form fields), and
S3's messages as quoted in public issue threads (named where used; the others are checked by
code and status, ``# message unverified``).

The recordings' ETags of SSE-KMS and SSE-C objects are not the MD5 of the body (S3 documents
that); Cloudlet's are, so those ETags are not compared.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import ACCOUNT, REGION, code_of, error_fields, error_of, etag_of
from .test_presigned_and_post import post_upload

REFERENCE = Path("/work/shared/aws-reference/s3")
RECORDED_ACCOUNT = "111111111111"
_REPLACED = ("copy-etag", "etag")  # values test_copy_object_kms's recording replaced
SSE_S3 = {"ServerSideEncryption": "AES256"}
KMS_ARN = re.compile(rf"arn:aws:kms:{REGION}:{ACCOUNT}:key/[0-9a-f]{{8}}(-[0-9a-f]{{4}}){{3}}-[0-9a-f]{{12}}")
SSE_MEMBERS = (
    "ServerSideEncryption",
    "SSEKMSKeyId",
    "SSEKMSEncryptionContext",
    "BucketKeyEnabled",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
)
STORED_ENCRYPTED = (
    "InvalidRequest",
    "The object was stored using a form of Server Side Encryption. The correct parameters must be provided to "
    "retrieve the object.",
    400,
)


# --------------------------------------------------------------------------- recordings


def recorded(test: str, file: str = "test_s3") -> dict[str, Any]:
    """The recorded-content of a scenario of ``aws-reference/s3/<file>.snapshot.json``."""
    path = REFERENCE / f"{file}.snapshot.json"
    if not path.exists():
        pytest.skip("aws-reference recordings not available")
    for name, value in json.loads(path.read_text()).items():
        if name.endswith("::" + test):
            return value["recorded-content"]
    raise KeyError(test)


def _matches(ours: Any, theirs: Any, where: str) -> None:
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        assert set(ours) == set(theirs), f"{where}: {sorted(ours)} != {sorted(theirs)}"
        for key, value in theirs.items():
            _matches(ours[key], value, f"{where}.{key}")
    elif isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), where
        for i, (mine, value) in enumerate(zip(ours, theirs, strict=True)):
            _matches(mine, value, f"{where}[{i}]")
    elif theirs in _REPLACED:
        assert isinstance(ours, str) and ours, where
    elif theirs == "datetime":
        assert isinstance(ours, datetime), where
    elif isinstance(theirs, str) and "<" in theirs:  # a value the recording masked
        pattern = ".+".join(re.escape(part) for part in re.split(r"<[^>]+>", theirs))
        assert re.fullmatch(pattern.replace(RECORDED_ACCOUNT, ACCOUNT), str(ours)), f"{where}: {ours!r}"
    else:
        assert ours == theirs, f"{where}: {ours!r} != {theirs!r}"


def assert_answer(response: dict[str, Any], answer: dict[str, Any], *, skip: tuple[str, ...] = ()) -> None:
    """A boto3 answer against a recorded one: the same members (but ``skip``), equal values,
    masked ones matched by their shape, the recording's account being ours."""
    ours = {k: v for k, v in response.items() if k != "ResponseMetadata" and k not in skip}
    if hasattr(ours.get("Body"), "read"):
        ours["Body"] = ours["Body"].read().decode()
    theirs = {k: v for k, v in answer.items() if k != "ResponseMetadata" and k not in skip}
    _matches(ours, theirs, "answer")
    status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if status is not None:
        assert response["ResponseMetadata"]["HTTPStatusCode"] == status


def assert_recorded_error(exc: Any, answer: dict[str, Any]) -> None:
    """A ClientError against a recorded error answer: code, message, extra fields and status."""
    error = {k: v for k, v in exc.value.response["Error"].items() if k not in ("RequestId", "HostId")}
    _matches(error, answer["Error"], "Error")
    assert (
        exc.value.response["ResponseMetadata"]["HTTPStatusCode"]
        == answer["ResponseMetadata"]["HTTPStatusCode"]
    )


# --------------------------------------------------------------------------- KMS keys


@pytest.fixture
def make_key(aws_client):
    """Create a symmetric KMS key (in ``region``) and answer its key id: S3 resolves the keys it is
    given through KMS, as AWS does."""

    def make(region: str = REGION) -> str:
        kms = aws_client("kms", region_name=region)
        return kms.create_key(Description="s3 sse test")["KeyMetadata"]["KeyId"]

    return make


@pytest.fixture
def key_id(make_key):
    """A customer managed key of the requester's account, in us-east-1."""
    return make_key()


def encryption_of(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k in SSE_MEMBERS}


def kms_default(key_id: str | None = None, bucket_key: bool = True, algorithm: str = "aws:kms") -> dict:
    default: dict[str, Any] = {"SSEAlgorithm": algorithm}
    if key_id:
        default["KMSMasterKeyID"] = key_id
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default, "BucketKeyEnabled": bucket_key}]}


def key_arn(key_id: str, region: str = REGION) -> str:
    return f"arn:aws:kms:{region}:{ACCOUNT}:key/{key_id}"


def sse_c(key: bytes) -> dict[str, Any]:
    """SSE-C parameters as boto3 takes them (it sends the key base64 with its MD5)."""
    return {"SSECustomerAlgorithm": "AES256", "SSECustomerKey": key}


def key_md5(key: bytes) -> str:
    return base64.b64encode(hashlib.md5(key).digest()).decode()


# --------------------------------------------------------------------------- SSE-S3, the default


def test_every_object_operation_answers_sse_s3_by_default(s3, bucket):
    # test_s3_sse_bucket_key_default: put-obj-default-before-setting, get-obj-default-before-setting;
    # every recorded PutObject, GetObject, HeadObject, CopyObject, CreateMultipartUpload,
    # UploadPart, UploadPartCopy and CompleteMultipartUpload answer carries AES256
    steps = recorded("test_s3_sse_bucket_key_default")
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"test-sse", ChecksumAlgorithm="CRC32")
    assert_answer(put, steps["put-obj-default-before-setting"])
    assert_answer(s3.get_object(Bucket=bucket, Key="k"), steps["get-obj-default-before-setting"])
    assert encryption_of(s3.head_object(Bucket=bucket, Key="k")) == SSE_S3
    assert encryption_of(s3.get_object(Bucket=bucket, Key="k", Range="bytes=0-1")) == SSE_S3
    copy = s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "k"})
    assert encryption_of(copy) == SSE_S3
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")
    assert encryption_of(upload) == SSE_S3
    ids = {"Bucket": bucket, "Key": "mpu", "UploadId": upload["UploadId"]}
    part = s3.upload_part(**ids, PartNumber=1, Body=b"x" * 5 * 1024 * 1024)
    assert encryption_of(part) == SSE_S3
    part_copy = s3.upload_part_copy(**ids, PartNumber=2, CopySource={"Bucket": bucket, "Key": "k"})
    assert encryption_of(part_copy) == SSE_S3
    done = s3.complete_multipart_upload(
        **ids,
        MultipartUpload={
            "Parts": [
                {"PartNumber": 1, "ETag": part["ETag"]},
                {"PartNumber": 2, "ETag": part_copy["CopyPartResult"]["ETag"]},
            ]
        },
    )
    assert encryption_of(done) == SSE_S3
    assert encryption_of(s3.head_object(Bucket=bucket, Key="mpu", PartNumber=2)) == SSE_S3


def test_explicit_sse_s3_and_its_bucket_default(s3, bucket):
    # TestS3BucketEncryption::test_s3_bucket_encryption_sse_s3: a bucket default of AES256 with a
    # Bucket Key asked for answers no Bucket Key (it applies to SSE-KMS only)
    steps = recorded("test_s3_bucket_encryption_sse_s3", "test_s3_api")
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}
            ]
        },
    )
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"test-encrypted", ChecksumAlgorithm="CRC32")
    assert_answer(put, steps["put-object-encrypted"])
    assert_answer(s3.head_object(Bucket=bucket, Key="k"), steps["head-object-encrypted"])
    assert_answer(s3.get_object(Bucket=bucket, Key="k"), steps["get-object-encrypted"])
    put = s3.put_object(
        Bucket=bucket, Key="asked", Body=b"x", ServerSideEncryption="AES256", BucketKeyEnabled=True
    )
    assert encryption_of(put) == SSE_S3


# --------------------------------------------------------------------------- SSE-KMS defaults


def test_bucket_default_kms_key_answers_its_arn(s3, bucket, key_id):
    # TestS3BucketEncryption::test_s3_bucket_encryption_sse_kms: a default named by key id answers
    # the key's ARN; with the Bucket Key off, PutObject answers no BucketKeyEnabled
    steps = recorded("test_s3_bucket_encryption_sse_kms", "test_s3_api")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms_default(key_id))
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms_default(key_id)
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"test-encrypted", ChecksumAlgorithm="CRC32")
    assert_answer(put, steps["put-object-encrypted"], skip=("ETag",))
    assert put["SSEKMSKeyId"] == key_arn(key_id)
    assert_answer(s3.head_object(Bucket=bucket, Key="k"), steps["head-object-encrypted"], skip=("ETag",))
    assert_answer(s3.get_object(Bucket=bucket, Key="k"), steps["get-object-encrypted"], skip=("ETag",))
    assert s3.head_object(Bucket=bucket, Key="k")["SSEKMSKeyId"] == key_arn(key_id)

    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms_default(key_id, False))
    put = s3.put_object(Bucket=bucket, Key="k2", Body=b"test-encrypted", ChecksumAlgorithm="CRC32")
    assert_answer(put, steps["put-object-encrypted-bucket-key-disabled"], skip=("ETag",))
    assert put["SSEKMSKeyId"] == key_arn(key_id)


def test_bucket_default_kms_without_key_is_the_aws_managed_key(s3, make_bucket):
    # TestS3BucketEncryption::test_s3_bucket_encryption_sse_kms_aws_managed_key and
    # test_s3_sse_default_kms_key: aws:kms without a key id is the account's aws/s3 key, the same
    # for every bucket (and for the request header)
    steps = recorded("test_s3_sse_default_kms_key")
    first, second = make_bucket(), make_bucket()
    by_request = s3.put_object(
        Bucket=first, Key="k", Body=b"test-sse", ServerSideEncryption="aws:kms", ChecksumAlgorithm="CRC32"
    )
    assert_answer(by_request, steps["put-obj-default-kms-s3-key"], skip=("ETag",))
    assert KMS_ARN.fullmatch(by_request["SSEKMSKeyId"])
    assert_answer(s3.get_object(Bucket=first, Key="k"), steps["get-obj-default-kms-s3-key"], skip=("ETag",))
    other = s3.put_object(
        Bucket=second, Key="k", Body=b"test-sse", ServerSideEncryption="aws:kms", ChecksumAlgorithm="CRC32"
    )
    assert_answer(other, steps["put-obj-default-kms-s3-key-bucket-2"], skip=("ETag",))
    assert other["SSEKMSKeyId"] == by_request["SSEKMSKeyId"]

    s3.put_bucket_encryption(Bucket=second, ServerSideEncryptionConfiguration=kms_default())
    assert_answer(s3.get_bucket_encryption(Bucket=second), steps["get-bucket-encryption-default-kms-s3-key"])
    from_bucket = s3.put_object(Bucket=second, Key="d", Body=b"test-sse", ChecksumAlgorithm="CRC32")
    assert_answer(from_bucket, steps["put-obj-default-kms-s3-key-from-bucket"], skip=("ETag",))
    assert from_bucket["SSEKMSKeyId"] == by_request["SSEKMSKeyId"]
    assert_answer(
        s3.get_object(Bucket=second, Key="d"), steps["get-obj-default-kms-s3-key-from-bucket"], skip=("ETag",)
    )
    managed = recorded("test_s3_bucket_encryption_sse_kms_aws_managed_key", "test_s3_api")
    put = s3.put_object(Bucket=second, Key="e", Body=b"test-encrypted", ChecksumAlgorithm="CRC32")
    assert_answer(put, managed["put-object-encrypted"], skip=("ETag",))
    assert_answer(s3.head_object(Bucket=second, Key="e"), managed["head-object-encrypted"], skip=("ETag",))


def test_aws_managed_key_is_per_region(s3, make_bucket, make_key):
    # a KMS key belongs to one region: a bucket elsewhere gets that region's aws/s3 key
    here = make_bucket()
    there = make_bucket(region="eu-west-1")
    west = make_bucket.client("eu-west-1")
    near = s3.put_object(Bucket=here, Key="k", Body=b"x", ServerSideEncryption="aws:kms")["SSEKMSKeyId"]
    far = west.put_object(Bucket=there, Key="k", Body=b"x", ServerSideEncryption="aws:kms")["SSEKMSKeyId"]
    assert near.startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert far.startswith(f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/")
    assert near.rsplit("/", 1)[1] != far.rsplit("/", 1)[1]
    # an explicit key id is resolved in the bucket's region too
    west_key = make_key("eu-west-1")
    named = west.put_object(
        Bucket=there, Key="n", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=west_key
    )
    assert named["SSEKMSKeyId"] == key_arn(west_key, "eu-west-1")


def test_reads_answer_what_the_object_was_written_with(s3, bucket, key_id):
    # test_s3_sse_bucket_key_default: an object put before the bucket default changed keeps
    # answering AES256; one put after answers the new default, also once it is deleted
    steps = recorded("test_s3_sse_bucket_key_default")
    s3.put_object(Bucket=bucket, Key="before", Body=b"test-sse", ChecksumAlgorithm="CRC32")
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms_default(key_id))
    assert_answer(
        s3.get_bucket_encryption(Bucket=bucket), steps["get-bucket-encryption"], skip=("ResponseMetadata",)
    )
    assert_answer(s3.get_object(Bucket=bucket, Key="before"), steps["get-obj-default-after-setting"])
    after = s3.put_object(Bucket=bucket, Key="after", Body=b"test-sse", ChecksumAlgorithm="CRC32")
    assert_answer(after, steps["put-obj-after-setting"], skip=("ETag",))
    assert_answer(s3.get_object(Bucket=bucket, Key="after"), steps["get-obj-after-setting"], skip=("ETag",))
    s3.delete_bucket_encryption(Bucket=bucket)
    assert encryption_of(s3.head_object(Bucket=bucket, Key="after")) == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": key_arn(key_id),
        "BucketKeyEnabled": True,
    }
    assert encryption_of(s3.head_object(Bucket=bucket, Key="before")) == SSE_S3
    assert encryption_of(s3.put_object(Bucket=bucket, Key="later", Body=b"x")) == SSE_S3


def test_each_version_keeps_its_encryption(s3, versioned_bucket):
    first = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"1")["VersionId"]
    s3.put_bucket_encryption(Bucket=versioned_bucket, ServerSideEncryptionConfiguration=kms_default())
    s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"2")
    assert (
        encryption_of(s3.head_object(Bucket=versioned_bucket, Key="k"))["ServerSideEncryption"] == "aws:kms"
    )
    assert encryption_of(s3.head_object(Bucket=versioned_bucket, Key="k", VersionId=first)) == SSE_S3


# --------------------------------------------------------------------------- request headers


def test_request_encryption_overrides_the_bucket_default(s3, bucket, key_id, make_key):
    # PutObject API reference: the request's encryption takes precedence over the default;
    # a request's aws:kms takes the bucket's Bucket Key setting unless it sets its own
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms_default(key_id))
    aes = s3.put_object(Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256")
    assert encryption_of(aes) == SSE_S3
    assert encryption_of(s3.head_object(Bucket=bucket, Key="aes")) == SSE_S3
    other_key = make_key()
    kms = s3.put_object(
        Bucket=bucket, Key="kms", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=other_key
    )
    assert encryption_of(kms) == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": key_arn(other_key),
        "BucketKeyEnabled": True,  # the bucket's
    }
    no_bucket_key = s3.put_object(
        Bucket=bucket,
        Key="kms-2",
        Body=b"x",
        ServerSideEncryption="aws:kms",
        SSEKMSKeyId=key_arn(other_key),
        BucketKeyEnabled=False,
    )
    assert encryption_of(no_bucket_key) == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": key_arn(other_key),
    }
    assert "BucketKeyEnabled" not in s3.head_object(Bucket=bucket, Key="kms-2")


def test_dsse_kms_has_no_bucket_key_and_context_is_answered_by_writes(s3, bucket, key_id):
    # user guide: S3 Bucket Keys are not supported for DSSE-KMS; the encryption context header is
    # answered by PutObject, not by GetObject/HeadObject (their output has no such member)
    context = base64.b64encode(json.dumps({"project": "cloudlet"}).encode()).decode()
    put = s3.put_object(
        Bucket=bucket,
        Key="k",
        Body=b"x",
        ServerSideEncryption="aws:kms:dsse",
        SSEKMSKeyId=key_id,
        SSEKMSEncryptionContext=context,
        BucketKeyEnabled=True,
    )
    assert encryption_of(put) == {
        "ServerSideEncryption": "aws:kms:dsse",
        "SSEKMSKeyId": key_arn(key_id),
        "SSEKMSEncryptionContext": context,
    }
    assert encryption_of(s3.head_object(Bucket=bucket, Key="k")) == {
        "ServerSideEncryption": "aws:kms:dsse",
        "SSEKMSKeyId": key_arn(key_id),
    }


def test_kms_key_errors(s3, bucket, key_id):
    # test_s3_sse_validate_kms_key: put-obj-wrong-kms-key, create-multipart-wrong-kms-key,
    # copy-obj-wrong-kms-key (a name that is no key), put-obj-different-region-kms-key
    steps = recorded("test_s3_sse_validate_kms_key")
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": "fake-key-id"}
    for name, call in (
        ("put-obj-wrong-kms-key", lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x", **kms)),
        ("create-multipart-wrong-kms-key", lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", **kms)),
        (
            "copy-obj-wrong-kms-key",
            lambda: s3.copy_object(
                Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}, **kms
            ),
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert_recorded_error(exc, steps[name])
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket,
            Key="k",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=key_arn(key_id, "eu-central-1"),
        )
    assert_recorded_error(exc, steps["put-obj-different-region-kms-key"])
    assert exc.value.response["Error"]["Message"] == "Invalid arn eu-central-1"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_keys_kms_does_not_know_are_refused(s3, aws_client, bucket, make_key):
    # test_s3_sse_validate_kms_key: put-obj-wrong-kms-key-real-uuid (a key id of no key),
    # put-obj-wrong-kms-key-real-uuid-arn (its ARN), put-obj-different-region-kms-key-no-arn (the id
    # of a key of another region): KMS's NotFoundException, named as the key in the bucket's region
    steps = recorded("test_s3_sse_validate_kms_key")
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    missing = "134f2428-cec1-4b25-a1ae-9048164dba47"  # the recording's key id of no key
    elsewhere = make_key("eu-west-1")
    for name, given in (
        ("put-obj-wrong-kms-key-real-uuid", missing),
        ("put-obj-wrong-kms-key-real-uuid-arn", key_arn(missing)),
        ("put-obj-different-region-kms-key-no-arn", elsewhere),
    ):
        with pytest.raises(ClientError) as exc:
            s3.put_object(
                Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=given
            )
        assert_recorded_error(exc, steps[name])
        asked = given.rsplit("/", 1)[-1]
        assert error_of(exc) == ("KMS.NotFoundException", f"Key '{key_arn(asked)}' does not exist", 400)
    kms = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": missing}
    for call in (
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k", **kms),
        lambda: s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}, **kms),
        lambda: s3.put_object(
            Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms:dsse", SSEKMSKeyId=missing
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("KMS.NotFoundException", f"Key '{key_arn(missing)}' does not exist", 400)
    # an alias of no key: KMS's own message (unverified: S3's answer for it)
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket,
            Key="k",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId="alias/no-such-alias",
        )
    assert code_of(exc) == ("KMS.NotFoundException", 400)
    # PutBucketEncryption does not look the key up (unverified); the writes it applies to do
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms_default(missing))
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms_default(
        missing
    )
    for call in (
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"x"),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="k"),
        lambda: s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "src"}),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("KMS.NotFoundException", f"Key '{key_arn(missing)}' does not exist", 400)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["src"]
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")
    # a request's own encryption is not the default's: it is written
    assert encryption_of(
        s3.put_object(Bucket=bucket, Key="aes", Body=b"x", ServerSideEncryption="AES256")
    ) == (SSE_S3)


def test_reads_and_writes_follow_the_key_state(s3, aws_client, bucket, key_id):
    # test_s3_sse_validate_kms_key_state: a disabled key fails GetObject and PutObject with
    # KMS.DisabledException, one pending deletion GetObject with KMS.KMSInvalidStateException
    steps = recorded("test_s3_sse_validate_kms_key_state")
    kms = aws_client("kms")
    sse = {"ServerSideEncryption": "aws:kms", "SSEKMSKeyId": key_id}
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"test-sse", ChecksumAlgorithm="CRC32", **sse)
    assert_answer(put, steps["success-put-object-sse"], skip=("ETag",))
    assert_answer(s3.get_object(Bucket=bucket, Key="k"), steps["success-get-object-sse"], skip=("ETag",))
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")
    ids = {"Bucket": bucket, "Key": "mpu", "UploadId": upload["UploadId"]}

    kms.disable_key(KeyId=key_id)
    disabled = ("KMS.DisabledException", f"{key_arn(key_id)} is disabled.", 400)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert_recorded_error(exc, steps["get-obj-disabled-key"])
    assert error_of(exc) == disabled
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="k2", Body=b"test-sse", **sse)
    assert_recorded_error(exc, steps["put-obj-disabled-key"])
    for call in (  # the object's data is read: S3 needs its data key decrypted (unverified for copies)
        lambda: s3.copy_object(Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}),
        lambda: s3.upload_part_copy(**ids, PartNumber=1, CopySource={"Bucket": bucket, "Key": "k"}),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == disabled
    # HeadObject reads no data (unverified)
    assert s3.head_object(Bucket=bucket, Key="k")["SSEKMSKeyId"] == key_arn(key_id)

    kms.enable_key(KeyId=key_id)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"test-sse"
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k")
    assert_recorded_error(exc, steps["get-obj-pending-deletion-key"])
    assert error_of(exc) == ("KMS.KMSInvalidStateException", f"{key_arn(key_id)} is pending deletion.", 400)
    kms.cancel_key_deletion(KeyId=key_id)


def test_aliases_and_the_managed_key_are_kms_keys(s3, aws_client, bucket, key_id):
    # An alias answers the ARN of the key behind it; the AWS managed key is KMS's alias/aws/s3
    # (test_s3_bucket_encryption_sse_kms_aws_managed_key: managed-kms-key is the object's key)
    kms = aws_client("kms")
    alias = f"alias/s3-{uuid.uuid4().hex[:10]}"
    kms.create_alias(AliasName=alias, TargetKeyId=key_id)
    by_alias = s3.put_object(
        Bucket=bucket, Key="a", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias
    )
    assert by_alias["SSEKMSKeyId"] == key_arn(key_id)
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:{alias}"
    by_arn = s3.put_object(
        Bucket=bucket, Key="b", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=alias_arn
    )
    assert by_arn["SSEKMSKeyId"] == key_arn(key_id)
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms_default(alias))
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms_default(alias)
    assert s3.put_object(Bucket=bucket, Key="c", Body=b"x")["SSEKMSKeyId"] == key_arn(key_id)

    managed = s3.put_object(Bucket=bucket, Key="m", Body=b"x", ServerSideEncryption="aws:kms")["SSEKMSKeyId"]
    described = kms.describe_key(KeyId="alias/aws/s3")["KeyMetadata"]
    assert managed == described["Arn"] and described["KeyManager"] == "AWS"
    recorded_key = recorded("test_s3_bucket_encryption_sse_kms_aws_managed_key", "test_s3_api")[
        "managed-kms-key"
    ]
    assert described["Description"] == recorded_key["KeyMetadata"]["Description"]
    named = s3.put_object(
        Bucket=bucket, Key="n", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/aws/s3"
    )
    assert named["SSEKMSKeyId"] == managed
    # the bucket default's key is resolved when each object is written, not when it is set
    kms.disable_key(KeyId=key_id)
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=bucket, Key="d", Body=b"x")
    assert error_of(exc) == ("KMS.DisabledException", f"{key_arn(key_id)} is disabled.", 400)
    kms.enable_key(KeyId=key_id)
    assert s3.put_object(Bucket=bucket, Key="d", Body=b"x")["SSEKMSKeyId"] == key_arn(key_id)


def test_encryption_header_errors(s3, bucket, key_id):
    # A KMS key without aws:kms: S3's message as quoted in aws/aws-cli#1431 and #6713; a value S3
    # does not know: as S3 answered an empty one (aws/aws-sdk-cpp#1771)
    for params in ({"SSEKMSKeyId": key_id}, {"ServerSideEncryption": "AES256", "SSEKMSKeyId": key_id}):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="k", Body=b"x", **params)
        assert code_of(exc) == ("InvalidArgument", 400)
        assert error_fields(exc)["Message"] == (
            "Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : "
            "aws:kms"
        )
    for value in ("aes:kms", "AES512"):
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="k", Body=b"x", ServerSideEncryption=value)
        assert code_of(exc) == ("InvalidArgument", 400)
        assert error_fields(exc)["Message"] == "The encryption method specified is not supported"
        assert (error_fields(exc)["ArgumentName"], error_fields(exc)["ArgumentValue"]) == (
            "x-amz-server-side-encryption",
            value,
        )
    with pytest.raises(ClientError) as exc:  # not base64 JSON of strings (HADOOP-19197's quote)
        s3.put_object(
            Bucket=bucket,
            Key="k",
            Body=b"x",
            ServerSideEncryption="aws:kms",
            SSEKMSEncryptionContext=base64.b64encode(b'{"a": 1}').decode(),
        )
    assert code_of(exc) == ("InvalidArgument", 400)  # code unverified
    assert "x-amz-server-side-encryption-context" in error_fields(exc)["Message"]
    assert not s3.list_objects_v2(Bucket=bucket).get("Contents")


# --------------------------------------------------------------------------- copies


def test_copy_gets_the_request_or_destination_encryption(s3, make_bucket, key_id):
    # test_copy_object_kms (copy-object, get-copied-object); CopyObject API reference: without
    # encryption headers the copy gets the destination bucket's default, not its source's
    steps = recorded("test_copy_object_kms")
    source_bucket, plain, kms_bucket = make_bucket(), make_bucket(), make_bucket()
    s3.put_object(Bucket=source_bucket, Key="mykey", Body=b"hello world", ChecksumAlgorithm="CRC32")
    source = {"Bucket": source_bucket, "Key": "mykey"}
    assert_answer(s3.get_object(Bucket=source_bucket, Key="mykey"), steps["get-object"])
    copy = s3.copy_object(
        Bucket=source_bucket,
        CopySource=source,
        Key="copiedkey",
        BucketKeyEnabled=True,
        SSEKMSKeyId=key_id,
        ServerSideEncryption="aws:kms",
    )
    assert_answer(copy, steps["copy-object"], skip=("SSEKMSKeyId",))
    assert copy["SSEKMSKeyId"] == key_arn(key_id)
    got = s3.get_object(Bucket=source_bucket, Key="copiedkey")
    assert_answer(got, steps["get-copied-object"], skip=("ETag", "SSEKMSKeyId"))
    assert got["SSEKMSKeyId"] == key_arn(key_id)

    kms_source = {"Bucket": source_bucket, "Key": "copiedkey"}
    assert encryption_of(s3.copy_object(Bucket=plain, Key="k", CopySource=kms_source)) == SSE_S3
    assert encryption_of(s3.head_object(Bucket=plain, Key="k")) == SSE_S3
    s3.put_bucket_encryption(
        Bucket=kms_bucket, ServerSideEncryptionConfiguration=kms_default(bucket_key=False)
    )
    to_default = s3.copy_object(Bucket=kms_bucket, Key="k", CopySource=source)
    assert to_default["ServerSideEncryption"] == "aws:kms" and KMS_ARN.fullmatch(to_default["SSEKMSKeyId"])
    assert "BucketKeyEnabled" not in to_default
    replaced = s3.copy_object(
        Bucket=kms_bucket,
        Key="r",
        CopySource=kms_source,
        MetadataDirective="REPLACE",
        ServerSideEncryption="AES256",
    )
    assert encryption_of(replaced) == SSE_S3


def test_copy_in_place_with_encryption(s3, bucket, make_key):
    # test_s3_copy_object_in_place_with_encryption: an in-place copy naming an encryption is
    # legal, even the same one; one without, of an SSE-KMS object, becomes SSE-S3
    steps = recorded("test_s3_copy_object_in_place_with_encryption")
    key_id = make_key()
    here = {"Bucket": bucket, "Key": "source-object"}
    put = s3.put_object(
        **here, Body=b"test", ServerSideEncryption="aws:kms", BucketKeyEnabled=True, SSEKMSKeyId=key_id
    )
    assert_answer(put, steps["put-object-with-kms-encryption"], skip=("ETag", "ChecksumCRC32", "SSEKMSKeyId"))
    assert put["SSEKMSKeyId"] == key_arn(key_id)
    assert_answer(s3.head_object(**here), steps["head-object"], skip=("ETag", "SSEKMSKeyId"))

    with_sse = s3.copy_object(**here, CopySource=here, ServerSideEncryption="aws:kms")
    assert_answer(with_sse, steps["copy-object-in-place-with-sse"], skip=("CopyObjectResult", "SSEKMSKeyId"))
    assert KMS_ARN.fullmatch(with_sse["SSEKMSKeyId"]) and with_sse["SSEKMSKeyId"] != key_arn(key_id)
    assert_answer(s3.head_object(**here), steps["head-copy-with-sse"], skip=("ETag", "SSEKMSKeyId"))

    without = s3.copy_object(**here, CopySource=here)
    assert_answer(without, steps["copy-object-in-place-without-kms-sse"], skip=("CopyObjectResult",))
    assert_answer(s3.head_object(**here), steps["head-copy-without-kms-sse"])
    with_aes = s3.copy_object(**here, CopySource=here, ServerSideEncryption="AES256")
    assert_answer(with_aes, steps["copy-object-in-place-with-aes"], skip=("CopyObjectResult",))
    assert_answer(s3.head_object(**here), steps["head-copy-with-aes"])
    # an SSE-S3 object copied onto itself with nothing changed is still refused (test_s3_copy_object_in_place)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(**here, CopySource=here)
    assert code_of(exc) == ("InvalidRequest", 400)


def test_copy_in_place_in_a_bucket_with_default_encryption(s3, bucket):
    # test_copy_in_place_with_bucket_encryption: allowed once the bucket has a default configured
    steps = recorded("test_copy_in_place_with_bucket_encryption")
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}
            ]
        },
    )
    put = s3.put_object(Body=b"", Bucket=bucket, Key="test-enc", ChecksumAlgorithm="CRC32")
    assert_answer(put, steps["put-obj"])
    copy = s3.copy_object(Bucket=bucket, CopySource={"Bucket": bucket, "Key": "test-enc"}, Key="test-enc")
    assert_answer(copy, steps["copy-obj"])


# --------------------------------------------------------------------------- multipart uploads


def test_multipart_upload_with_kms(s3, bucket, key_id):
    # test_s3_multipart_upload_sse: the upload's encryption on Create, UploadPart, Complete and
    # the object; kept from Create even when the bucket's default changes meanwhile
    steps = recorded("test_s3_multipart_upload_sse")
    key = "test-sse-field-multipart"
    upload = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ServerSideEncryption="aws:kms", SSEKMSKeyId=key_id, BucketKeyEnabled=True
    )
    assert_answer(upload, steps["multi-sse-create-multipart"])
    assert upload["SSEKMSKeyId"] == key_arn(key_id)
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    ids = {"Bucket": bucket, "Key": key, "UploadId": upload["UploadId"]}
    part = s3.upload_part(**ids, PartNumber=1, Body=b"test-sse", ChecksumAlgorithm="CRC32")
    assert_answer(part, steps["multi-sse-upload-part"], skip=("ETag",))
    done = s3.complete_multipart_upload(
        **ids, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    )
    assert_answer(done, steps["multi-sse-compete-multipart"], skip=("ETag",))
    assert_answer(s3.get_object(Bucket=bucket, Key=key), steps["get-obj"], skip=("ETag",))


def test_upload_part_copy_answers_the_upload_encryption(s3, bucket):
    s3.put_object(Bucket=bucket, Key="src", Body=b"part body")
    upload = s3.create_multipart_upload(Bucket=bucket, Key="k", ServerSideEncryption="aws:kms")
    ids = {"Bucket": bucket, "Key": "k", "UploadId": upload["UploadId"]}
    copied = s3.upload_part_copy(**ids, PartNumber=1, CopySource={"Bucket": bucket, "Key": "src"})
    assert encryption_of(copied) == encryption_of(upload)
    assert copied["ServerSideEncryption"] == "aws:kms" and KMS_ARN.fullmatch(copied["SSEKMSKeyId"])


# --------------------------------------------------------------------------- SSE-C


def test_sse_c_round_trip(s3, bucket):
    # TestS3SSECEncryption::test_put_object_lifecycle_with_sse_c and
    # test_object_retrieval_sse_c: SSE-C answers its algorithm and key MD5, no
    # ServerSideEncryption; reads need the key
    steps = recorded("test_put_object_lifecycle_with_sse_c")
    key = os.urandom(32)
    md5 = key_md5(key)
    put = s3.put_object(Bucket=bucket, Key="k", Body=b"test_data", ChecksumAlgorithm="CRC32", **sse_c(key))
    assert_answer(put, steps["put-obj-sse-c"], skip=("ETag", "SSECustomerKeyMD5"))
    assert put["SSECustomerKeyMD5"] == md5
    head = s3.head_object(Bucket=bucket, Key="k", **sse_c(key))
    assert_answer(head, steps["head-obj-sse-c"], skip=("ETag", "SSECustomerKeyMD5"))
    got = s3.get_object(Bucket=bucket, Key="k", **sse_c(key))
    assert_answer(got, steps["get-obj-sse-c"], skip=("ETag", "SSECustomerKeyMD5"))
    assert encryption_of(got) == {"SSECustomerAlgorithm": "AES256", "SSECustomerKeyMD5": md5}
    # botocore sends GetObjectAttributes' key as given: base64, with its MD5
    attributes = s3.get_object_attributes(
        Bucket=bucket,
        Key="k",
        ObjectAttributes=["ETag", "ObjectSize"],
        SSECustomerAlgorithm="AES256",
        SSECustomerKey=base64.b64encode(key).decode(),
        SSECustomerKeyMD5=md5,
    )
    assert_answer(attributes, steps["get-obj-attrs-sse-c"], skip=("ETag",))
    assert s3.delete_object(Bucket=bucket, Key="k")["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_sse_c_reads_without_or_with_a_wrong_key(s3, bucket):
    # TestS3SSECEncryption::test_object_retrieval_sse_c
    steps = recorded("test_object_retrieval_sse_c")
    key = os.urandom(32)
    s3.put_object(Bucket=bucket, Key="k", Body=b"test_data", **sse_c(key))
    cases = [
        ("get-obj-no-sse-c", lambda: s3.get_object(Bucket=bucket, Key="k")),
        ("get-obj-sse-c-wrong-key", lambda: s3.get_object(Bucket=bucket, Key="k", **sse_c(os.urandom(32)))),
        (
            "get-obj-sse-c-wrong-algo",
            lambda: s3.get_object(Bucket=bucket, Key="k", SSECustomerAlgorithm="KMS", SSECustomerKey=key),
        ),
        (
            "head-obj-sse-c-wrong-algo",
            lambda: s3.head_object(Bucket=bucket, Key="k", SSECustomerAlgorithm="KMS", SSECustomerKey=key),
        ),
        (
            "get-obj-attrs-sse-c-wrong-algo",
            lambda: s3.get_object_attributes(
                Bucket=bucket,
                Key="k",
                ObjectAttributes=["ETag"],
                SSECustomerAlgorithm="KMS",
                SSECustomerKey="k",
            ),
        ),
        # boto3 encodes a key given already in base64 a second time: 44 bytes, with their MD5
        (
            "get-obj-sse-c-no-md5",
            lambda: s3.get_object(Bucket=bucket, Key="k", **sse_c(base64.b64encode(key))),
        ),
        (
            "head-obj-sse-c-no-md5",
            lambda: s3.head_object(Bucket=bucket, Key="k", **sse_c(base64.b64encode(key))),
        ),
        (
            "get-obj-sse-c-wrong-key-size",
            lambda: s3.get_object(Bucket=bucket, Key="k", **sse_c(os.urandom(16))),
        ),
        (
            "get-obj-sse-c-bad-md5",
            lambda: s3.get_object(
                Bucket=bucket,
                Key="k",
                SSECustomerAlgorithm="AES256",
                SSECustomerKey=base64.b64encode(key).decode(),
                SSECustomerKeyMD5=key_md5(b"another key"),
            ),
        ),
    ]
    for name, call in cases:
        with pytest.raises(ClientError) as exc:
            call()
        assert_recorded_error(exc, steps[name])
    for call in (
        lambda: s3.head_object(Bucket=bucket, Key="k"),
        lambda: s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag"]),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k", **sse_c(os.urandom(32)))
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def test_sse_c_key_on_an_object_without_one(s3, bucket):
    # not recorded: S3's answer as quoted in boto/boto3#982 and aws/aws-sdk-go#2724
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", **sse_c(os.urandom(32)))
    assert (code_of(exc), error_fields(exc)["Message"]) == (
        ("InvalidRequest", 400),
        "The encryption parameters are not applicable to this object.",
    )


def test_sse_c_write_errors(s3, bucket):
    # TestS3SSECEncryption::test_put_object_validation_sse_c
    steps = recorded("test_put_object_validation_sse_c")
    key = os.urandom(32)
    encoded = base64.b64encode(key).decode()
    cases = {
        "put-obj-sse-c-both-encryption": {**sse_c(key), "ServerSideEncryption": "AES256"},
        "put-obj-sse-c-wrong-algo": {"SSECustomerAlgorithm": "KMS", "SSECustomerKey": key},
        "put-obj-sse-c-no-algo": {"SSECustomerKey": key},
        "put-obj-sse-c-no-key": {"SSECustomerAlgorithm": "AES256"},
        # boto3 encodes a key given already in base64 a second time: 44 bytes
        "put-obj-sse-c-no-md5": sse_c(encoded.encode()),
        "put-obj-sse-c-wrong-key-size": sse_c(os.urandom(16)),
        "put-obj-sse-c-bad-md5": {
            "SSECustomerAlgorithm": "AES256",
            "SSECustomerKey": encoded,
            "SSECustomerKeyMD5": key_md5(b"another key"),
        },
    }
    for name, params in cases.items():
        with pytest.raises(ClientError) as exc:
            s3.put_object(Bucket=bucket, Key="k", Body=b"x", **params)
        assert_recorded_error(exc, steps[name])
    assert not s3.list_objects_v2(Bucket=bucket).get("Contents")


def test_sse_c_versions_have_their_own_keys(s3, versioned_bucket):
    # TestS3SSECEncryption::test_sse_c_with_versioning
    steps = recorded("test_sse_c_with_versioning")
    first_key, second_key = os.urandom(32), os.urandom(32)
    bucket = versioned_bucket
    first = s3.put_object(
        Bucket=bucket, Key="k", Body=b"version1", ChecksumAlgorithm="CRC32", **sse_c(first_key)
    )
    assert_answer(first, steps["put-obj-sse-c-version-1"], skip=("ETag", "SSECustomerKeyMD5"))
    s3.put_object(Bucket=bucket, Key="k", Body=b"version2", **sse_c(second_key))
    got = s3.get_object(Bucket=bucket, Key="k", **sse_c(second_key))
    assert_answer(got, steps["get-obj-sse-c-last-version"], skip=("ETag", "SSECustomerKeyMD5"))
    assert got["SSECustomerKeyMD5"] == key_md5(second_key)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", **sse_c(first_key))
    assert_recorded_error(exc, steps["get-obj-sse-c-last-version-wrong-key"])
    old = s3.get_object(Bucket=bucket, Key="k", VersionId=first["VersionId"], **sse_c(first_key))
    assert_answer(old, steps["get-obj-sse-c-version-1"], skip=("ETag", "SSECustomerKeyMD5"))


def test_copy_with_sse_c(s3, bucket):
    # TestS3SSECEncryption::test_copy_object_with_sse_c
    steps = recorded("test_copy_object_with_sse_c")
    key = os.urandom(32)
    source = {"Bucket": bucket, "Key": "src"}
    s3.put_object(**source, Body=b"test_data", ChecksumAlgorithm="CRC32", **sse_c(key))
    source_key = {"CopySourceSSECustomerAlgorithm": "AES256", "CopySourceSSECustomerKey": key}
    plain = s3.copy_object(Bucket=bucket, Key="plain", CopySource=source, **source_key)
    assert_answer(plain, steps["copy-obj-sse-c-target-no-sse-c"], skip=("CopyObjectResult",))
    assert s3.get_object(Bucket=bucket, Key="plain")["Body"].read() == b"test_data"
    encrypted = s3.copy_object(Bucket=bucket, Key="enc", CopySource=source, **source_key, **sse_c(key))
    assert_answer(encrypted, steps["copy-obj-sse-c"], skip=("CopyObjectResult", "SSECustomerKeyMD5"))
    assert encrypted["SSECustomerKeyMD5"] == key_md5(key)
    errors = {
        "get-obj-no-sse-c-param": lambda: s3.get_object(Bucket=bucket, Key="enc"),
        "copy-obj-no-src-sse-c": lambda: s3.copy_object(Bucket=bucket, Key="x", CopySource=source),
        "copy-obj-wrong-src-sse-c-algo": lambda: s3.copy_object(
            Bucket=bucket,
            Key="x",
            CopySource=source,
            CopySourceSSECustomerAlgorithm="KMS",
            CopySourceSSECustomerKey=key,
        ),
        "copy-obj-wrong-target-sse-c-algo": lambda: s3.copy_object(
            Bucket=bucket,
            Key="x",
            CopySource=source,
            **source_key,
            SSECustomerAlgorithm="KMS",
            SSECustomerKey=key,
        ),
        "copy-obj-target-double-encryption": lambda: s3.copy_object(
            Bucket=bucket,
            Key="x",
            CopySource=source,
            **source_key,
            **sse_c(key),
            ServerSideEncryption="AES256",
        ),
    }
    for name, call in errors.items():
        with pytest.raises(ClientError) as exc:
            call()
        assert_recorded_error(exc, steps[name])
    with pytest.raises(ClientError) as exc:  # message unverified (not recorded)
        s3.copy_object(
            Bucket=bucket,
            Key="x",
            CopySource=source,
            CopySourceSSECustomerAlgorithm="AES256",
            CopySourceSSECustomerKey=os.urandom(32),
        )
    assert code_of(exc) == ("AccessDenied", 403)
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == ["enc", "plain", "src"]


def test_multipart_upload_with_sse_c(s3, bucket):
    # TestS3SSECEncryption::test_multipart_upload_sse_c: Create and UploadPart echo the key's MD5,
    # Complete (sent without the key) answers no encryption at all
    steps = recorded("test_multipart_upload_sse_c")
    key = os.urandom(32)
    name = "test-sse-c-multipart"
    upload = s3.create_multipart_upload(Bucket=bucket, Key=name, **sse_c(key))
    assert_answer(upload, steps["create-mpu-sse-c"], skip=("Bucket", "SSECustomerKeyMD5"))
    assert upload["SSECustomerKeyMD5"] == key_md5(key)
    ids = {"Bucket": bucket, "Key": name, "UploadId": upload["UploadId"]}
    part = s3.upload_part(**ids, PartNumber=1, Body=b"x" * 100, ChecksumAlgorithm="CRC32", **sse_c(key))
    assert_answer(part, steps["upload-part-0"], skip=("ETag", "ChecksumCRC32", "SSECustomerKeyMD5"))
    done = s3.complete_multipart_upload(
        **ids, MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]}
    )
    assert_answer(done, steps["complete-multipart-checksum"], skip=("Bucket", "ETag", "Location"))
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key=name)
    assert_recorded_error(exc, steps["get-obj-no-sse-c-param"])
    got = s3.get_object(Bucket=bucket, Key=name, **sse_c(key))
    assert got["Body"].read() == b"x" * 100
    assert not [k for k in got if k.startswith("Checksum")]  # as get-obj-sse-c: none kept
    assert encryption_of(got) == {"SSECustomerAlgorithm": "AES256", "SSECustomerKeyMD5": key_md5(key)}


def test_sse_c_upload_parts_need_the_upload_key(s3, bucket):
    # TestS3SSECEncryption::test_multipart_upload_sse_c_validation
    steps = recorded("test_multipart_upload_sse_c_validation")
    key = os.urandom(32)
    name = "test-sse-c-multipart"
    plain = s3.create_multipart_upload(Bucket=bucket, Key=name)
    assert_answer(plain, steps["create-mpu-no-sse-c"], skip=("Bucket",))
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket, Key=name, UploadId=plain["UploadId"], PartNumber=1, Body=b"x", **sse_c(key)
        )
    assert_recorded_error(exc, steps["mpu-no-sse-c-upload-part-with-sse-c"])
    upload = s3.create_multipart_upload(Bucket=bucket, Key=name, **sse_c(key))
    ids = {"Bucket": bucket, "Key": name, "UploadId": upload["UploadId"], "PartNumber": 1}
    with pytest.raises(ClientError) as exc:
        s3.upload_part(**ids, Body=b"x")
    assert_recorded_error(exc, steps["mpu-sse-c-upload-part-no-sse-c"])
    with pytest.raises(ClientError) as exc:
        s3.upload_part(**ids, Body=b"x", **sse_c(os.urandom(32)))
    assert_recorded_error(exc, steps["mpu-sse-c-upload-part-wrong-sse-c"])
    s3.put_object(Bucket=bucket, Key="src", Body=b"source")
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(**ids, CopySource={"Bucket": bucket, "Key": "src"})
    assert_recorded_error(exc, steps["mpu-sse-c-upload-part-no-sse-c"])
    copied = s3.upload_part_copy(**ids, CopySource={"Bucket": bucket, "Key": "src"}, **sse_c(key))
    assert encryption_of(copied) == {"SSECustomerAlgorithm": "AES256", "SSECustomerKeyMD5": key_md5(key)}


def test_sse_c_refused_where_the_bucket_blocks_it(s3, bucket):
    # user guide, "Blocking or unblocking SSE-C for a general purpose bucket": SSE-C writes answer
    # 403 AccessDenied; other writes and reads of existing SSE-C objects go on
    key = os.urandom(32)
    s3.put_object(Bucket=bucket, Key="old", Body=b"x", **sse_c(key))
    upload = s3.create_multipart_upload(Bucket=bucket, Key="started", **sse_c(key))
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                    "BlockedEncryptionTypes": {"EncryptionType": ["SSE-C"]},
                }
            ]
        },
    )
    for call in (
        lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", **sse_c(key)),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="new", **sse_c(key)),
        lambda: s3.upload_part(
            Bucket=bucket, Key="started", UploadId=upload["UploadId"], PartNumber=1, Body=b"x", **sse_c(key)
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == ("AccessDenied", 403)  # message unverified (its principal)
    assert encryption_of(s3.put_object(Bucket=bucket, Key="new", Body=b"x")) == SSE_S3
    assert s3.get_object(Bucket=bucket, Key="old", **sse_c(key))["Body"].read() == b"x"


# --------------------------------------------------------------------------- browser POST uploads


def test_post_upload_answers_and_takes_encryption(s3_v4, make_bucket, server_time_signing, key_id):
    # POST Object reference: the encryption form fields, and the encryption response headers
    bucket = make_bucket()
    post = s3_v4.generate_presigned_post(bucket, "plain.txt", ExpiresIn=300)
    reply = post_upload(post, b"posted")
    assert reply.status == 204
    assert reply.headers["x-amz-server-side-encryption"] == "AES256"
    assert reply.headers["etag"] == etag_of(b"posted")
    fields = {
        "x-amz-server-side-encryption": "aws:kms",
        "x-amz-server-side-encryption-aws-kms-key-id": key_id,
    }
    post = s3_v4.generate_presigned_post(
        bucket, "kms.txt", Fields=fields, Conditions=[{k: v} for k, v in fields.items()], ExpiresIn=300
    )
    reply = post_upload(post, b"posted")
    assert reply.status == 204
    assert reply.headers["x-amz-server-side-encryption"] == "aws:kms"
    assert reply.headers["x-amz-server-side-encryption-aws-kms-key-id"] == key_arn(key_id)
    assert encryption_of(s3_v4.head_object(Bucket=bucket, Key="kms.txt")) == {
        "ServerSideEncryption": "aws:kms",
        "SSEKMSKeyId": key_arn(key_id),
    }


def test_post_upload_acl_field(s3_v4, make_bucket, server_time_signing):
    # POST Object reference, the acl form field: a canned ACL, as PutObject's x-amz-acl
    # (its errors are PutObject's: test_s3_object_acl_exceptions put-object-canned-acl)
    bucket = make_bucket("acl", ObjectOwnership="ObjectWriter")
    owner = s3_v4.list_buckets()["Owner"]

    def post_with_acl(target: str, key: str, acl: str):
        post = s3_v4.generate_presigned_post(
            target, key, Fields={"acl": acl}, Conditions=[{"acl": acl}], ExpiresIn=300
        )
        return post_upload(post, b"acl body")

    assert post_with_acl(bucket, "public.txt", "public-read").status == 204
    grants = s3_v4.get_object_acl(Bucket=bucket, Key="public.txt")["Grants"]
    assert grants == [
        {"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
            "Permission": "READ",
        },
    ]
    reply = post_with_acl(bucket, "fake.txt", "fake-acl")
    assert reply.status == 400
    assert (reply.error["Code"], reply.error["ArgumentName"], reply.error["ArgumentValue"]) == (
        "InvalidArgument",
        "x-amz-acl",
        "fake-acl",
    )
    enforced = make_bucket()  # BucketOwnerEnforced, S3's default: ACLs disabled
    reply = post_with_acl(enforced, "public.txt", "public-read")
    assert (reply.status, reply.error["Code"], reply.error["Message"]) == (
        400,
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
    )
    assert post_with_acl(enforced, "owner.txt", "bucket-owner-full-control").status == 204
    keys = [o["Key"] for o in s3_v4.list_objects_v2(Bucket=enforced)["Contents"]]
    assert keys == ["owner.txt"]
    assert [o["Key"] for o in s3_v4.list_objects_v2(Bucket=bucket)["Contents"]] == ["public.txt"]


# --------------------------------------------------------------------------- persistence


def test_encryption_survives_a_restart(tmp_path):
    # what an object was written with is kept with it, as its other metadata
    server = ServerProcess(str(tmp_path)).start()
    key = os.urandom(32)
    try:
        key_id = client("kms", server.endpoint).create_key()["KeyMetadata"]["KeyId"]
        s3 = client("s3", server.endpoint, config=Config(s3={"addressing_style": "path"}))
        s3.create_bucket(Bucket="sse-durable")
        s3.put_bucket_encryption(Bucket="sse-durable", ServerSideEncryptionConfiguration=kms_default(key_id))
        s3.put_object(Bucket="sse-durable", Key="kms", Body=b"1")
        s3.put_object(Bucket="sse-durable", Key="sse-c", Body=b"2", **sse_c(key))
        s3.delete_bucket_encryption(Bucket="sse-durable")
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint, config=Config(s3={"addressing_style": "path"}))
        assert encryption_of(s3.head_object(Bucket="sse-durable", Key="kms")) == {
            "ServerSideEncryption": "aws:kms",
            "SSEKMSKeyId": key_arn(key_id),
            "BucketKeyEnabled": True,
        }
        with pytest.raises(ClientError) as exc:
            s3.get_object(Bucket="sse-durable", Key="sse-c")
        assert error_of(exc) == STORED_ENCRYPTED
        assert s3.get_object(Bucket="sse-durable", Key="sse-c", **sse_c(key))["Body"].read() == b"2"
    finally:
        server.kill()
