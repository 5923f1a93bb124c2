"""S3 GetObjectAttributes: each attribute alone and together, single-PUT and multipart objects
(COMPOSITE parts listed and paged, FULL_OBJECT and default checksums counted only), versions and
delete markers, keys and header lists with spaces, and S3's errors.

Expectations come from ``test_s3.snapshot.json``: ``TestS3::test_get_object_attributes``,
``..._versioned``, ``..._with_space``, ``TestS3PutObjectChecksum::test_put_object_checksum[*]``,
``TestS3MultipartUploadChecksum::test_complete_multipart_parts_checksum_*`` and
``test_multipart_upload_part_copy_checksum[*]`` (steps ``get-object-attrs*``/``object-attrs*``),
``TestS3SSECEncryption::test_object_retrieval_sse_c``. The bodies those scenarios used are known
from their recorded ETags (the MD5 of the body), so the recorded checksums apply here as they are.
"""

from __future__ import annotations

import base64
import hashlib
import os
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import pytest
from awscrt import checksums
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import (
    NO_SUCH_BUCKET,
    NO_SUCH_KEY,
    OTHER_ACCOUNT,
    checksum,
    code_of,
    error_fields,
    error_of,
    headers_of,
    md5_hex,
    raw_request,
)

ALL = ["ETag", "Checksum", "ObjectParts", "StorageClass", "ObjectSize"]
NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"

# test_get_object_attributes (object-attrs) and ..._versioned (put-obj-v1, put-obj-v2)
BODY = b"69\n420\n"
BODY_ETAG = "e92499db864217242396e8ef766079a9"
BODY_CRC32 = "WC+ANw=="
BODY_V2 = b"version 2"
BODY_V2_ETAG = "d4ca1ed7571e2e7b1f1c375bd50fa220"
BODY_V2_CRC32 = "44ffIg=="

# TestS3PutObjectChecksum::test_put_object_checksum[*]: get-object-attrs-generated
CHECKSUM_BODY = b"test data.."
CHECKSUM_BODY_ETAG = "e6d9226c2a86b7232933663c13467527"
RECORDED_PUT_CHECKSUMS = {
    "CRC32": "cZWHwQ==",
    "CRC32C": "Pf4upw==",
    "CRC64NVME": "qUVrWYOrIAM=",
    "SHA1": "B++3uSfJMSHWToQMQ1g6lIJY5Eo=",
    "SHA256": "2l26x0trnT0r2AvakoFk2MB7eKVKzYESLMxSAKAzoik=",
}

# TestS3MultipartUploadChecksum::test_complete_multipart_parts_checksum_*: the parts and answers
BIG = b"a" * 5242881
SMALL = b"a" * 10
PARTS = [BIG, BIG, SMALL]
PARTS_ETAG = "4d45984fc3feb2ac9b22683c49674b56-3"
RECORDED_COMPOSITE = {  # object checksum (no "-3" suffix here), part 1 (= part 2), part 3
    "CRC32": ("5FRUiw==", "NRU+Sw==", "TBHN8A=="),
    "CRC32C": ("XF5+4A==", "2/Ckiw==", "5yZkMA=="),
    "SHA1": ("AyE60nyQoBgJcwsyPHWu7aJuxBs=", "bH71WIZUKQtUwR2wKSSkFjCRBPM=", "NJX/adNGcdHhWzOmPBN5/e3Toyo="),
    "SHA256": (
        "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=",
        "DjU70AB1bON8k0n0fVHv2PJQVWcA/jWsITp6ti20Tbs=",
        "vyy1imj2hNlaO3jvj2Ycmk5bCegsyPnMiMzpBSjK6yc=",
    ),
}
RECORDED_FULL_OBJECT = {"CRC32": "qSEQSA==", "CRC32C": "eTdAQA==", "CRC64NVME": "ZMNX55lZurA="}


def attributes(response: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


def upload(s3, bucket: str, key: str, parts: list[bytes], numbers: list[int] | None = None, **create) -> dict:
    """A completed multipart upload of ``parts`` (numbered 1..N unless ``numbers``); the part
    checksums go into the completion only when the upload names an algorithm."""
    upload_id = s3.create_multipart_upload(Bucket=bucket, Key=key, **create)["UploadId"]
    algorithm = create.get("ChecksumAlgorithm")
    done = []
    for number, data in zip(numbers or range(1, len(parts) + 1), parts, strict=True):
        extra = {"ChecksumAlgorithm": algorithm} if algorithm else {}
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data, **extra
        )
        entry = {"PartNumber": number, "ETag": answer["ETag"]}
        if algorithm:
            entry[f"Checksum{algorithm}"] = answer[f"Checksum{algorithm}"]
        done.append(entry)
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": done}
    )


# --------------------------------------------------------------------------- single PUT


def test_single_put_object_all_attributes(s3, bucket):
    # test_get_object_attributes: object-attrs (ObjectParts asked for, none for a single PUT)
    s3.put_object(Bucket=bucket, Key="data.txt", Body=BODY, ChecksumAlgorithm="CRC32")
    got = s3.get_object_attributes(Bucket=bucket, Key="data.txt", ObjectAttributes=ALL)
    head = s3.head_object(Bucket=bucket, Key="data.txt")
    assert attributes(got) == {
        "Checksum": {"ChecksumCRC32": BODY_CRC32, "ChecksumType": "FULL_OBJECT"},
        "ETag": BODY_ETAG,
        "LastModified": head["LastModified"],
        "ObjectSize": 7,
        "StorageClass": "STANDARD",
    }
    assert md5_hex(BODY) == BODY_ETAG and checksum("CRC32", BODY) == BODY_CRC32
    assert "x-amz-version-id" not in got["ResponseMetadata"]["HTTPHeaders"]  # unversioned bucket


@pytest.mark.parametrize(
    ("attribute", "expected"),
    [
        ("ETag", BODY_ETAG),
        ("Checksum", {"ChecksumCRC32": BODY_CRC32, "ChecksumType": "FULL_OBJECT"}),
        ("StorageClass", "STANDARD"),
        ("ObjectSize", 7),
    ],
)
def test_each_attribute_alone(s3, bucket, attribute, expected):
    # The API reference: "Fields that you do not specify are not returned." Last-Modified always is
    # (test_s3_copy_object_in_place: object-attrs asks for StorageClass only).
    s3.put_object(Bucket=bucket, Key="k", Body=BODY, ChecksumAlgorithm="CRC32")
    got = attributes(s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=[attribute]))
    assert set(got) == {"LastModified", attribute}
    assert got[attribute] == expected


def test_object_parts_alone_of_a_single_put_object(s3, bucket):
    # test_get_object_attributes: a single PUT has no ObjectParts
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    got = attributes(s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectParts"]))
    assert set(got) == {"LastModified"}


@pytest.mark.parametrize("algorithm", sorted(RECORDED_PUT_CHECKSUMS))
def test_single_put_checksums(s3, bucket, algorithm):
    # TestS3PutObjectChecksum::test_put_object_checksum[*]: get-object-attrs-generated
    s3.put_object(Bucket=bucket, Key="k", Body=CHECKSUM_BODY, ChecksumAlgorithm=algorithm)
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ETag", "Checksum"])
    assert got["ETag"] == CHECKSUM_BODY_ETAG == md5_hex(CHECKSUM_BODY)
    value = RECORDED_PUT_CHECKSUMS[algorithm]
    assert value == checksum(algorithm, CHECKSUM_BODY)
    assert got["Checksum"] == {f"Checksum{algorithm}": value, "ChecksumType": "FULL_OBJECT"}


def test_single_put_without_checksum(aws_client, bucket):
    # S3 stores its default, a FULL_OBJECT CRC64NVME, for a PutObject that sends no checksum
    # (recorded: test_s3_checksum_no_automatic_sdk_calculation, get-obj-attrs-no-checksum)
    plain = aws_client("s3", config=Config(request_checksum_calculation="when_required"))
    put = plain.put_object(Bucket=bucket, Key="k", Body=CHECKSUM_BODY)
    assert put["ChecksumCRC64NVME"] == "qUVrWYOrIAM=" and put["ChecksumType"] == "FULL_OBJECT"
    got = attributes(plain.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=ALL))
    assert set(got) == {"Checksum", "ETag", "LastModified", "ObjectSize", "StorageClass"}
    assert got["Checksum"] == {"ChecksumCRC64NVME": "qUVrWYOrIAM=", "ChecksumType": "FULL_OBJECT"}
    assert got["ETag"] == CHECKSUM_BODY_ETAG


def test_large_put_without_checksum(aws_client, bucket):
    # A body over 8 MiB is spooled to disk as it arrives, its MD5 and CRC64NVME computed meanwhile
    data = os.urandom(9 * 1024 * 1024)
    plain = aws_client("s3", config=Config(request_checksum_calculation="when_required"))
    put = plain.put_object(Bucket=bucket, Key="big", Body=data)
    expected = base64.b64encode(checksums.crc64nvme(data).to_bytes(8, "big")).decode()
    assert put["ChecksumCRC64NVME"] == expected
    assert put["ETag"] == f'"{hashlib.md5(data).hexdigest()}"'
    got = attributes(plain.get_object_attributes(Bucket=bucket, Key="big", ObjectAttributes=["Checksum"]))
    assert got["Checksum"] == {"ChecksumCRC64NVME": expected, "ChecksumType": "FULL_OBJECT"}


def test_put_naming_an_algorithm_without_a_value_gets_the_default(aws_client, bucket):
    # A request that names an algorithm (x-amz-sdk-checksum-algorithm) but sends no checksum value
    # gets the default too (recorded: test_s3_checksum_no_automatic_sdk_calculation,
    # head-obj-only-checksum-algo)
    s3 = aws_client("s3")

    def drop_value(request, **_):
        assert request.headers["x-amz-sdk-checksum-algorithm"] == "SHA256"
        del request.headers["x-amz-checksum-sha256"]

    s3.meta.events.register("before-sign.s3.PutObject", drop_value)
    s3.put_object(Bucket=bucket, Key="k", Body=CHECKSUM_BODY, ChecksumAlgorithm="SHA256")
    head = s3.head_object(Bucket=bucket, Key="k", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == "qUVrWYOrIAM=" and "ChecksumSHA256" not in head


def test_storage_class_other_than_standard(s3, bucket):
    # test_s3_copy_object_storage_class: object-attrs answers STANDARD_IA
    s3.put_object(Bucket=bucket, Key="k", Body=BODY, StorageClass="STANDARD_IA")
    got = s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["StorageClass"])
    assert got["StorageClass"] == "STANDARD_IA"


# --------------------------------------------------------------------------- multipart


def test_multipart_without_checksum_counts_its_parts(s3, bucket):
    # test_get_object_attributes: object-attrs-multiparts-1-part
    data = b"upload-part-1" * 5
    upload(s3, bucket, "mpu", [data])
    got = s3.get_object_attributes(
        Bucket=bucket, Key="mpu", ObjectAttributes=["StorageClass", "ETag", "ObjectSize", "ObjectParts"]
    )
    assert attributes(got) == {
        "ETag": "e747540af6911dbc890f8d3e0b48549b-1",
        "LastModified": got["LastModified"],
        "ObjectParts": {"TotalPartsCount": 1},
        "ObjectSize": 65,
        "StorageClass": "STANDARD",
    }


def test_multipart_default_checksum(s3, bucket):
    # test_complete_multipart_parts_checksum_default: get-object-attrs (S3's default CRC64NVME)
    upload(s3, bucket, "mpu", [b"aaa"])
    got = s3.get_object_attributes(
        Bucket=bucket, Key="mpu", ObjectAttributes=["Checksum", "ETag", "ObjectParts"]
    )
    assert attributes(got) == {
        "Checksum": {"ChecksumCRC64NVME": "Rnr2/5P7Gsk=", "ChecksumType": "FULL_OBJECT"},
        "ETag": "e2c3da976e66ec9e7dc128fbc782fc91-1",
        "LastModified": got["LastModified"],
        "ObjectParts": {"TotalPartsCount": 1},
    }


@pytest.mark.parametrize("algorithm", sorted(RECORDED_COMPOSITE))
def test_multipart_composite_lists_its_parts(s3, bucket, algorithm):
    # test_complete_multipart_parts_checksum_composite[*]: get-object-attrs
    member = f"Checksum{algorithm}"
    upload(s3, bucket, "mpu", PARTS, ChecksumAlgorithm=algorithm)
    got = s3.get_object_attributes(
        Bucket=bucket, Key="mpu", ObjectAttributes=["Checksum", "ETag", "ObjectParts"]
    )
    whole, first, last = RECORDED_COMPOSITE[algorithm]
    assert [first, first, last] == [checksum(algorithm, p) for p in PARTS]
    assert attributes(got) == {
        "Checksum": {member: whole, "ChecksumType": "COMPOSITE"},
        "ETag": PARTS_ETAG,
        "LastModified": got["LastModified"],
        "ObjectParts": {
            "IsTruncated": False,
            "MaxParts": 1000,
            "NextPartNumberMarker": 3,
            "PartNumberMarker": 0,
            "Parts": [
                {member: first, "PartNumber": 1, "Size": 5242881},
                {member: first, "PartNumber": 2, "Size": 5242881},
                {member: last, "PartNumber": 3, "Size": 10},
            ],
            "TotalPartsCount": 3,
        },
    }
    # HeadObject shows the same checksum with its "-<parts>" suffix
    head = s3.head_object(Bucket=bucket, Key="mpu", ChecksumMode="ENABLED")
    assert head[member] == f"{whole}-3"


@pytest.mark.parametrize("algorithm", sorted(RECORDED_FULL_OBJECT))
def test_multipart_full_object_counts_its_parts(s3, bucket, algorithm):
    # test_complete_multipart_parts_checksum_full_object[*]: get-object-attrs (parts not listed)
    upload(s3, bucket, "mpu", PARTS, ChecksumAlgorithm=algorithm, ChecksumType="FULL_OBJECT")
    got = s3.get_object_attributes(
        Bucket=bucket, Key="mpu", ObjectAttributes=["Checksum", "ETag", "ObjectParts"]
    )
    assert attributes(got) == {
        "Checksum": {f"Checksum{algorithm}": RECORDED_FULL_OBJECT[algorithm], "ChecksumType": "FULL_OBJECT"},
        "ETag": PARTS_ETAG,
        "LastModified": got["LastModified"],
        "ObjectParts": {"TotalPartsCount": 3},
    }


@pytest.mark.parametrize("checksum_type", ["COMPOSITE", "FULL_OBJECT"])
def test_multipart_from_a_copied_part(s3, bucket, checksum_type):
    # test_multipart_upload_part_copy_checksum[COMPOSITE] and [FULL_OBJECT]: get-object-attrs
    s3.put_object(Bucket=bucket, Key="src", Body=b"this is a part")
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key="mpu", ChecksumAlgorithm="CRC32C", ChecksumType=checksum_type
    )["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="mpu",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
    )["CopyPartResult"]
    part = {"PartNumber": 1, "ETag": copied["ETag"], "ChecksumCRC32C": copied["ChecksumCRC32C"]}
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": [part]}
    )
    got = s3.get_object_attributes(
        Bucket=bucket, Key="mpu", ObjectAttributes=["Checksum", "ETag", "ObjectParts"]
    )
    assert got["ETag"] == "395d97c07920de036bfa21e7568a2e9f-1"
    if checksum_type == "COMPOSITE":
        assert got["Checksum"] == {"ChecksumCRC32C": "F9bAnw==", "ChecksumType": "COMPOSITE"}
        assert got["ObjectParts"] == {
            "IsTruncated": False,
            "MaxParts": 1000,
            "NextPartNumberMarker": 1,
            "PartNumberMarker": 0,
            "Parts": [{"ChecksumCRC32C": "iqJrOQ==", "PartNumber": 1, "Size": 14}],
            "TotalPartsCount": 1,
        }
    else:
        assert got["Checksum"] == {"ChecksumCRC32C": "iqJrOQ==", "ChecksumType": "FULL_OBJECT"}
        assert got["ObjectParts"] == {"TotalPartsCount": 1}


def test_object_parts_paging(s3, bucket):
    # MaxParts / PartNumberMarker page the parts as ListParts does (the API reference; the
    # first-page shape is test_complete_multipart_parts_checksum_composite[CRC32])
    upload(s3, bucket, "mpu", PARTS, ChecksumAlgorithm="CRC32")
    _, first, last = RECORDED_COMPOSITE["CRC32"]

    def page(**kwargs) -> dict:
        return s3.get_object_attributes(Bucket=bucket, Key="mpu", ObjectAttributes=["ObjectParts"], **kwargs)[
            "ObjectParts"
        ]

    assert page(MaxParts=2) == {
        "IsTruncated": True,
        "MaxParts": 2,
        "NextPartNumberMarker": 2,
        "PartNumberMarker": 0,
        "Parts": [
            {"ChecksumCRC32": first, "PartNumber": 1, "Size": 5242881},
            {"ChecksumCRC32": first, "PartNumber": 2, "Size": 5242881},
        ],
        "TotalPartsCount": 3,
    }
    assert page(MaxParts=2, PartNumberMarker=2) == {
        "IsTruncated": False,
        "MaxParts": 2,
        "NextPartNumberMarker": 3,
        "PartNumberMarker": 2,
        "Parts": [{"ChecksumCRC32": last, "PartNumber": 3, "Size": 10}],
        "TotalPartsCount": 3,
    }
    past = page(PartNumberMarker=3)
    assert "Parts" not in past
    assert (past["IsTruncated"], past["PartNumberMarker"], past["TotalPartsCount"]) == (False, 3, 3)
    assert page(MaxParts=1)["Parts"] == [{"ChecksumCRC32": first, "PartNumber": 1, "Size": 5242881}]


def test_object_parts_keep_the_uploads_part_numbers(s3, bucket):
    # Cloudlet's choice (not recorded): the parts are listed under the numbers they were uploaded
    # with, as ListParts lists them; the marker refers to those numbers
    upload(s3, bucket, "mpu", [BIG, SMALL], numbers=[2, 5], ChecksumAlgorithm="SHA256")
    got = s3.get_object_attributes(Bucket=bucket, Key="mpu", ObjectAttributes=["ObjectParts"])["ObjectParts"]
    assert [(p["PartNumber"], p["Size"]) for p in got["Parts"]] == [(2, len(BIG)), (5, len(SMALL))]
    assert (got["TotalPartsCount"], got["NextPartNumberMarker"]) == (2, 5)
    after = s3.get_object_attributes(
        Bucket=bucket, Key="mpu", ObjectAttributes=["ObjectParts"], PartNumberMarker=2
    )["ObjectParts"]
    assert after["Parts"] == [{"ChecksumSHA256": checksum("SHA256", SMALL), "PartNumber": 5, "Size": 10}]
    # GetObject by part number still counts parts by position
    assert s3.get_object(Bucket=bucket, Key="mpu", PartNumber=2)["Body"].read() == SMALL


def test_a_copy_of_a_multipart_object_has_no_parts(s3, bucket):
    # test_complete_multipart_parts_checksum_composite[*]: get-copy-object-attrs (no parts, a
    # FULL_OBJECT checksum). The copy's ETag is left out: S3 gives it the body's MD5, Cloudlet's
    # CopyObject keeps the source's.
    upload(s3, bucket, "mpu", [b"x" * 100], ChecksumAlgorithm="CRC32")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/mpu")
    got = s3.get_object_attributes(Bucket=bucket, Key="copy", ObjectAttributes=ALL)
    assert "ObjectParts" not in got
    assert got["Checksum"] == {"ChecksumCRC32": checksum("CRC32", b"x" * 100), "ChecksumType": "FULL_OBJECT"}
    assert got["ObjectSize"] == 100


# --------------------------------------------------------------------------- versions


def test_versions_and_delete_markers(s3, versioned_bucket):
    # test_get_object_attributes_versioned
    bucket, key = versioned_bucket, "key-attrs-versioned"
    v1 = s3.put_object(Bucket=bucket, Key=key, Body=BODY, ChecksumAlgorithm="CRC32")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key=key, Body=BODY_V2, ChecksumAlgorithm="CRC32")["VersionId"]
    got = s3.get_object_attributes(
        Bucket=bucket, Key=key, ObjectAttributes=["StorageClass", "ETag", "ObjectSize", "Checksum"]
    )
    assert attributes(got) == {  # object-attrs
        "Checksum": {"ChecksumCRC32": BODY_V2_CRC32, "ChecksumType": "FULL_OBJECT"},
        "ETag": BODY_V2_ETAG,
        "LastModified": got["LastModified"],
        "ObjectSize": 9,
        "StorageClass": "STANDARD",
        "VersionId": v2,
    }
    assert (md5_hex(BODY_V2), checksum("CRC32", BODY_V2)) == (BODY_V2_ETAG, BODY_V2_CRC32)

    marker = s3.delete_object(Bucket=bucket, Key=key)["VersionId"]
    with pytest.raises(ClientError) as exc:  # deleted-object-attrs
        s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["ETag"])
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == key
    # the API reference (GetObject): a current delete marker answers as if the object were deleted,
    # with x-amz-delete-marker: true
    assert headers_of(exc)["x-amz-delete-marker"] == "true"
    assert headers_of(exc)["x-amz-version-id"] == marker

    old = s3.get_object_attributes(
        Bucket=bucket, Key=key, VersionId=v1, ObjectAttributes=["StorageClass", "ETag", "ObjectSize"]
    )
    assert attributes(old) == {  # get-object-attrs-v1
        "ETag": BODY_ETAG,
        "LastModified": old["LastModified"],
        "ObjectSize": 7,
        "StorageClass": "STANDARD",
        "VersionId": v1,
    }


def test_version_naming_a_delete_marker(s3, versioned_bucket):
    # As GetObject answers it (test_delete_object_versioned: get-delete-marker; the GetObject API
    # reference: 405 with the marker's Last-Modified). Not recorded for GetObjectAttributes itself.
    bucket = versioned_bucket
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId=marker, ObjectAttributes=["ETag"])
    assert error_of(exc) == (
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
    )
    assert (error_fields(exc)["Method"], error_fields(exc)["ResourceType"]) == ("GET", "DeleteMarker")
    headers = headers_of(exc)
    assert (headers["x-amz-delete-marker"], headers["x-amz-version-id"]) == ("true", marker)
    listed = s3.list_object_versions(Bucket=bucket, Prefix="k")["DeleteMarkers"][0]
    assert parsedate_to_datetime(headers["last-modified"]) == listed["LastModified"].replace(microsecond=0)


def test_missing_and_malformed_versions(s3, versioned_bucket):
    # As GetObject answers them (test_s3.py versioning scenarios; S3 API reference error list)
    bucket = versioned_bucket
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId="0" * 32, ObjectAttributes=["ETag"])
    assert error_of(exc) == ("NoSuchVersion", "The specified version does not exist.", 404)
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=bucket, Key="k", VersionId="not-a-version", ObjectAttributes=["ETag"])
    assert error_of(exc) == ("InvalidArgument", "Invalid version id specified", 400)


def test_null_version_of_an_unversioned_bucket(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    got = s3.get_object_attributes(Bucket=bucket, Key="k", VersionId="null", ObjectAttributes=["ObjectSize"])
    assert got["ObjectSize"] == 7
    assert "VersionId" not in got


# --------------------------------------------------------------------------- keys and header lists


@pytest.mark.parametrize("key", ["dir/my file.txt", "ünïcödé/ключ ✓.bin", "a+b&c=d?e#f"])
def test_keys_with_spaces_and_unicode(s3, bucket, key):
    s3.put_object(Bucket=bucket, Key=key, Body=BODY)
    got = s3.get_object_attributes(Bucket=bucket, Key=key, ObjectAttributes=["ETag", "ObjectSize"])
    assert (got["ETag"], got["ObjectSize"]) == (BODY_ETAG, 7)


@pytest.mark.parametrize(
    "header", ["ETag,Checksum,ObjectSize,StorageClass", "ETag, Checksum, ObjectSize, StorageClass"]
)
def test_attribute_list_with_spaces(cloudlet, s3, bucket, header):
    # test_get_object_attributes_with_space: get-attrs-with-whitespace, get-attrs-without-whitespace
    body = b"test-body"
    s3.put_object(Bucket=bucket, Key="k", Body=body, ChecksumAlgorithm="SHA256")
    resp = raw_request(
        cloudlet.endpoint, "GET", f"/{bucket}/k?attributes", headers={"x-amz-object-attributes": header}
    )
    assert resp.status == 200
    assert "last-modified" in resp.headers
    root = ET.fromstring(resp.body)
    assert root.tag == f"{NS}GetObjectAttributesResponse"
    found = {child.tag.removeprefix(NS): child for child in root}
    assert set(found) == {"Checksum", "ETag", "ObjectSize", "StorageClass"}
    assert found["ETag"].text == "70b68ae721a61941a1a62724dde5d5e4" == md5_hex(body)
    assert found["ObjectSize"].text == "9"
    assert found["StorageClass"].text == "STANDARD"
    sums = {child.tag.removeprefix(NS): child.text for child in found["Checksum"]}
    assert sums == {
        "ChecksumSHA256": "2dhlzFTsYGePGxGQhK15rn+TV9HEUZxkV94zFLf7uoo=",
        "ChecksumType": "FULL_OBJECT",
    }


def test_duplicate_attributes_answer_once(s3, bucket):
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    got = attributes(
        s3.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=["ObjectSize", "ObjectSize"])
    )
    assert got == {"LastModified": got["LastModified"], "ObjectSize": 7}


# --------------------------------------------------------------------------- errors


def test_missing_bucket_and_key(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(Bucket=f"{bucket}-gone", Key="k", ObjectAttributes=["ETag"])
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    with pytest.raises(ClientError) as exc:  # the API reference: 404 "no such key"
        s3.get_object_attributes(Bucket=bucket, Key="nothing here", ObjectAttributes=["ETag"])
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "nothing here"


@pytest.mark.parametrize("names", [["ETags"], ["ETag", "Size"], ["etag"]])
def test_invalid_attribute_name(s3_raw, bucket, names):
    # Not recorded; S3's answer as reported from direct calls (versity/versitygw issues 917, 1000):
    # InvalidArgument naming the header and the unknown attribute
    s3_raw.put_object(Bucket=bucket, Key="k", Body=BODY)
    with pytest.raises(ClientError) as exc:
        s3_raw.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=names)
    assert code_of(exc) == ("InvalidArgument", 400)  # message unverified
    fields = error_fields(exc)
    assert fields["ArgumentName"] == "x-amz-object-attributes"
    assert fields["ArgumentValue"] == next(n for n in names if n not in ALL)


def test_missing_attributes_header(cloudlet, s3, s3_raw, bucket):
    # Not recorded; S3 answers InvalidRequest (versity/versitygw issue 915) for a missing or empty header
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    resp = raw_request(cloudlet.endpoint, "GET", f"/{bucket}/k?attributes")
    assert (resp.status, resp.error["Code"]) == (400, "InvalidRequest")  # message unverified
    resp = raw_request(
        cloudlet.endpoint, "GET", f"/{bucket}/k?attributes", headers={"x-amz-object-attributes": " , "}
    )
    assert (resp.status, resp.error["Code"]) == (400, "InvalidRequest")
    with pytest.raises(ClientError) as exc:
        s3_raw.get_object_attributes(Bucket=bucket, Key="k", ObjectAttributes=[])
    assert code_of(exc) == ("InvalidRequest", 400)


def test_sse_c_algorithm_other_than_aes256(s3, bucket):
    # test_object_retrieval_sse_c: get-obj-attrs-sse-c-wrong-algo
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(
            Bucket=bucket,
            Key="k",
            ObjectAttributes=["ETag"],
            SSECustomerAlgorithm="KMS",
            SSECustomerKey="k" * 32,
        )
    assert error_of(exc) == (
        "InvalidEncryptionAlgorithmError",
        "The Encryption request you specified is not valid. Supported value: AES256.",
        400,
    )
    assert error_fields(exc)["ArgumentName"] == "x-amz-server-side-encryption"
    assert error_fields(exc)["ArgumentValue"] == "KMS"


def test_expected_bucket_owner(s3, bucket):
    # The model: a bucket owner other than the expected one answers 403 (access denied)
    s3.put_object(Bucket=bucket, Key="k", Body=BODY)
    with pytest.raises(ClientError) as exc:
        s3.get_object_attributes(
            Bucket=bucket, Key="k", ObjectAttributes=["ETag"], ExpectedBucketOwner=OTHER_ACCOUNT
        )
    assert error_of(exc) == ("AccessDenied", "Access Denied", 403)
    got = s3.get_object_attributes(
        Bucket=bucket, Key="k", ObjectAttributes=["ETag"], ExpectedBucketOwner="000000000000"
    )
    assert got["ETag"] == BODY_ETAG


def test_key_path_is_quoted_on_the_wire(cloudlet, s3, bucket):
    # a raw request names the key percent-encoded, as SDKs send it
    key = "dir/sp ace ✓.txt"
    s3.put_object(Bucket=bucket, Key=key, Body=BODY)
    resp = raw_request(
        cloudlet.endpoint,
        "GET",
        f"/{bucket}/{quote(key)}?attributes",
        headers={"x-amz-object-attributes": "ObjectSize"},
    )
    assert resp.status == 200
    assert ET.fromstring(resp.body).find(f"{NS}ObjectSize").text == "7"
