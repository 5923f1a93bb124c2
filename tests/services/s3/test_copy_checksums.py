"""CopyObject and checksums: ``x-amz-checksum-algorithm`` on a copy, the copy of an object
with a COMPOSITE (multipart) checksum, and UploadPartCopy's part checksums.

What AWS does (the CopyObject API reference, ``ChecksumAlgorithm``): the source's checksum is
copied by default, its algorithm when the request names none; the request may name another;
unrecognized or unsupported values answer 400 Bad Request. The recordings
(``aws-reference/s3/test_s3.snapshot.json``) give the values:

- ``test_s3_copy_object_with_checksum[*]``: ``{"key": "value"}`` put with a CRC32, copied in place
  (``MetadataDirective=REPLACE``) with ``ChecksumAlgorithm=<alg>``, gets a FULL_OBJECT checksum
  of ``<alg>`` (CopyObjectResult, GetObjectAttributes); a copy of it to another key keeps it.
- ``test_s3_copy_object_with_default_checksum[*]``: put with ``<alg>``, copied without an
  algorithm, keeps ``<alg>``'s value.
- ``test_multipart_upload_part_copy_checksum[COMPOSITE|FULL_OBJECT]``: UploadPartCopy into a
  CRC32C upload.

A single-request object cannot carry a composite checksum, so a copy of a multipart object with
a COMPOSITE one gets a FULL_OBJECT checksum of that algorithm over the whole body (Cloudlet's
choice, not recorded). The copies' checksums are read back with HeadObject and GetObject
(``ChecksumMode=ENABLED``); test_object_attributes.py reads them with GetObjectAttributes.
Every expected value is also recomputed here with zlib, awscrt and hashlib (``conftest.checksum``).
"""

from __future__ import annotations

import os

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from .conftest import MIN_PART, checksum, code_of, composite_checksum, etag_of

ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"]
CRCS = ["CRC32", "CRC32C", "CRC64NVME"]

# test_s3_copy_object_with_checksum[*] / ..._with_default_checksum[*]: the body (its MD5 is the
# recorded ETag) and the checksums real S3 gave it.
BODY = b'{"key": "value"}'
RECORDED_ETAG = '"88bac95f31528d13a072c05f2a1cf371"'
RECORDED = {
    "CRC32": "MzVIGw==",
    "CRC32C": "078Ilw==",
    "CRC64NVME": "pX30eiUx5C0=",
    "SHA1": "5zXdjmjYk4EJ8Cw4PMnQVslCpRQ=",
    "SHA256": "lyTB4g5uPk1/V+0l+dTvsAblCFkNUoyQ2ll/andcE+U=",
}

# A multipart body of two parts: a 5 MiB one (the smallest a non-last part may be) and a short
# last one, so the copy's body is a composite blob bigger than what is hashed on the event loop.
PARTS = [os.urandom(MIN_PART), b"the last part"]
WHOLE = b"".join(PARTS)


def checksums_of(response: dict) -> dict[str, str]:
    """The ``Checksum<ALG>`` members and ``ChecksumType`` of a response."""
    return {k: v for k, v in response.items() if k.startswith("Checksum")}


def read_back(s3, bucket: str, key: str) -> tuple[dict[str, str], dict[str, str], bytes]:
    """(HeadObject's checksums, GetObject's checksums, the body), with ``ChecksumMode=ENABLED``."""
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    got = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    return checksums_of(head), checksums_of(got), got["Body"].read()


def full_object(algorithm: str, data: bytes) -> dict[str, str]:
    return {f"Checksum{algorithm}": checksum(algorithm, data), "ChecksumType": "FULL_OBJECT"}


def multipart_object(s3, bucket: str, key: str, algorithm: str, checksum_type: str) -> dict:
    """Upload ``PARTS`` with ``algorithm``/``checksum_type``; CompleteMultipartUpload's answer."""
    upload_id = s3.create_multipart_upload(
        Bucket=bucket, Key=key, ChecksumAlgorithm=algorithm, ChecksumType=checksum_type
    )["UploadId"]
    member = f"Checksum{algorithm}"
    parts = []
    for number, data in enumerate(PARTS, start=1):
        answer = s3.upload_part(
            Bucket=bucket,
            Key=key,
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm=algorithm,
        )
        parts.append({"PartNumber": number, "ETag": answer["ETag"], member: answer[member]})
    return s3.complete_multipart_upload(
        Bucket=bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
    )


# --------------------------------------------------------------------------- ChecksumAlgorithm


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_copy_in_place_with_a_checksum_algorithm(s3, bucket, algorithm):
    # test_s3_copy_object_with_checksum[*]
    member = f"Checksum{algorithm}"
    assert checksum(algorithm, BODY) == RECORDED[algorithm]
    put = s3.put_object(
        Bucket=bucket,
        Key="source-object",
        Body=BODY,
        ContentType="application/json",
        Metadata={"key": "value"},
        ChecksumAlgorithm="CRC32",
    )
    assert (put["ETag"], put["ChecksumCRC32"], put["ChecksumType"]) == (
        RECORDED_ETAG,
        RECORDED["CRC32"],
        "FULL_OBJECT",
    )

    copied = s3.copy_object(
        Bucket=bucket,
        Key="source-object",
        CopySource=f"{bucket}/source-object",
        ChecksumAlgorithm=algorithm,
        Metadata={"key1": "value1"},
        MetadataDirective="REPLACE",
    )
    result = copied["CopyObjectResult"]
    assert result["ETag"] == RECORDED_ETAG
    assert checksums_of(result) == {member: RECORDED[algorithm], "ChecksumType": "FULL_OBJECT"}
    head, got, body = read_back(s3, bucket, "source-object")
    assert head == got == {member: RECORDED[algorithm], "ChecksumType": "FULL_OBJECT"}
    assert body == BODY

    # copy-object-to-dest-keep-checksum: no algorithm in the request, the source's is kept
    kept = s3.copy_object(Bucket=bucket, Key="dest-object", CopySource=f"{bucket}/source-object")
    assert kept["CopyObjectResult"]["ETag"] == RECORDED_ETAG
    assert checksums_of(kept["CopyObjectResult"]) == {
        member: RECORDED[algorithm],
        "ChecksumType": "FULL_OBJECT",
    }
    head, got, body = read_back(s3, bucket, "dest-object")
    assert head == got == {member: RECORDED[algorithm], "ChecksumType": "FULL_OBJECT"}
    assert body == BODY


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_copy_without_an_algorithm_keeps_the_sources(s3, bucket, algorithm):
    # test_s3_copy_object_with_default_checksum[*]
    member = f"Checksum{algorithm}"
    expected = {member: RECORDED[algorithm], "ChecksumType": "FULL_OBJECT"}
    put = s3.put_object(Bucket=bucket, Key="source-object", Body=BODY, ChecksumAlgorithm=algorithm)
    assert checksums_of(put) == expected
    copied = s3.copy_object(
        Bucket=bucket,
        Key="source-object",
        CopySource=f"{bucket}/source-object",
        Metadata={"key1": "value1"},
        MetadataDirective="REPLACE",
    )
    assert checksums_of(copied["CopyObjectResult"]) == expected
    kept = s3.copy_object(Bucket=bucket, Key="dest-object", CopySource=f"{bucket}/source-object")
    assert checksums_of(kept["CopyObjectResult"]) == expected
    for key in ("source-object", "dest-object"):
        head, got, _ = read_back(s3, bucket, key)
        assert head == got == expected


@pytest.mark.parametrize("algorithm", ["SHA256", "CRC64NVME"])
def test_copy_of_a_large_object_without_checksum_computes_one(aws_client, bucket, algorithm):
    # The API reference: the request may name the copy's algorithm; the body (over the 64 KiB kept
    # in the object row, so read from its blob) is hashed as it is copied.
    plain = aws_client("s3", config=Config(request_checksum_calculation="when_required"))
    data = os.urandom(300 * 1024)
    plain.put_object(Bucket=bucket, Key="src", Body=data)
    # S3 gives an object uploaded without a checksum its default, a FULL_OBJECT CRC64NVME
    # (recorded: test_s3_checksum_no_automatic_sdk_calculation, head-obj-no-checksum)
    assert checksums_of(plain.head_object(Bucket=bucket, Key="src", ChecksumMode="ENABLED")) == full_object(
        "CRC64NVME", data
    )
    copied = plain.copy_object(
        Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", ChecksumAlgorithm=algorithm
    )
    assert copied["CopyObjectResult"]["ETag"] == etag_of(data)
    assert checksums_of(copied["CopyObjectResult"]) == full_object(algorithm, data)
    head, got, body = read_back(plain, bucket, "dst")
    assert head == got == full_object(algorithm, data)
    assert body == data


def test_copy_with_another_algorithm_than_the_sources(s3, bucket):
    # test_s3_copy_object_with_checksum[SHA256]: the copy has the requested checksum only
    data = os.urandom(100 * 1024)
    s3.put_object(Bucket=bucket, Key="src", Body=data, ChecksumAlgorithm="SHA1")
    copied = s3.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", ChecksumAlgorithm="CRC32C")
    assert checksums_of(copied["CopyObjectResult"]) == full_object("CRC32C", data)
    head, got, _ = read_back(s3, bucket, "dst")
    assert head == got == full_object("CRC32C", data)
    head, _, _ = read_back(s3, bucket, "src")  # the source keeps its own
    assert head == full_object("SHA1", data)


@pytest.mark.parametrize("value", ["SHA512", "MD5", "XXHASH64", "FOO"])
def test_unsupported_checksum_algorithm(s3_raw, bucket, value):
    # The API reference: "Unrecognized or unsupported values will respond with the HTTP status code
    # 400 Bad Request". botocore's model lists SHA512, MD5 and the XXHASH family, which S3 refused
    # as of the recordings (create-mpu-wrong-checksum-algo answers InvalidRequest for them).
    s3_raw.put_object(Bucket=bucket, Key="src", Body=BODY)
    with pytest.raises(ClientError) as exc:
        s3_raw.copy_object(Bucket=bucket, Key="dst", CopySource=f"{bucket}/src", ChecksumAlgorithm=value)
    assert code_of(exc) == ("InvalidRequest", 400)  # message unverified
    assert "Contents" not in s3_raw.list_objects_v2(Bucket=bucket, Prefix="dst")


# --------------------------------------------------------------------------- COMPOSITE sources


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_copy_of_a_composite_object_gets_a_full_object_checksum(s3, bucket, algorithm):
    # Recorded (test_complete_multipart_parts_checksum_composite[*], copy-obj-checksum): the copy is a
    # single-request object, with a FULL_OBJECT checksum of the source's algorithm over the whole
    # body and the MD5 of the body as ETag
    member = f"Checksum{algorithm}"
    done = multipart_object(s3, bucket, "mpu", algorithm, "COMPOSITE")
    assert checksums_of(done) == {member: composite_checksum(algorithm, PARTS), "ChecksumType": "COMPOSITE"}
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/mpu")
    assert done["ETag"].endswith('-2"')
    assert copied["CopyObjectResult"]["ETag"] == etag_of(WHOLE)
    assert checksums_of(copied["CopyObjectResult"]) == full_object(algorithm, WHOLE)
    head, got, body = read_back(s3, bucket, "copy")
    assert head == got == full_object(algorithm, WHOLE)
    assert body == WHOLE
    assert "PartsCount" not in s3.head_object(Bucket=bucket, Key="copy", PartNumber=1)
    # and the copy of the copy keeps it
    again = s3.copy_object(Bucket=bucket, Key="copy2", CopySource=f"{bucket}/copy")
    assert checksums_of(again["CopyObjectResult"]) == full_object(algorithm, WHOLE)


@pytest.mark.parametrize(
    ("source", "requested"), [("CRC32", "CRC32"), ("CRC32C", "SHA256"), ("SHA1", "CRC64NVME")]
)
def test_copy_of_a_composite_object_with_a_checksum_algorithm(s3, bucket, source, requested):
    # The API reference (the request may name the copy's algorithm) and test_s3_copy_object_with_checksum
    multipart_object(s3, bucket, "mpu", source, "COMPOSITE")
    copied = s3.copy_object(
        Bucket=bucket, Key="copy", CopySource=f"{bucket}/mpu", ChecksumAlgorithm=requested
    )
    assert checksums_of(copied["CopyObjectResult"]) == full_object(requested, WHOLE)
    head, got, _ = read_back(s3, bucket, "copy")
    assert head == got == full_object(requested, WHOLE)


@pytest.mark.parametrize("algorithm", CRCS)
def test_copy_of_a_full_object_multipart_object_keeps_its_checksum(s3, bucket, algorithm):
    # test_complete_multipart_parts_checksum_full_object[*]: the value is the whole body's CRC already
    done = multipart_object(s3, bucket, "mpu", algorithm, "FULL_OBJECT")
    assert checksums_of(done) == full_object(algorithm, WHOLE)
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/mpu")
    assert checksums_of(copied["CopyObjectResult"]) == full_object(algorithm, WHOLE)
    copied = s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/mpu", ChecksumAlgorithm="SHA1")
    assert checksums_of(copied["CopyObjectResult"]) == full_object("SHA1", WHOLE)
    head, got, _ = read_back(s3, bucket, "copy")
    assert head == got == full_object("SHA1", WHOLE)


# --------------------------------------------------------------------------- UploadPartCopy


@pytest.mark.parametrize("checksum_type", ["COMPOSITE", "FULL_OBJECT"])
def test_upload_part_copy_checksums_as_recorded(s3, bucket, checksum_type):
    # test_multipart_upload_part_copy_checksum[COMPOSITE|FULL_OBJECT]; then a copy of the result
    data = b"this is a part"
    put = s3.put_object(Bucket=bucket, Key="src", Body=data, ChecksumAlgorithm="CRC32")
    assert (put["ChecksumCRC32"], put["ETag"]) == ("nG7pIA==", '"11df95d595559285eb2b042124e74f09"')
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="test-multipart-checksum", ChecksumAlgorithm="CRC32C", ChecksumType=checksum_type
    )
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC32C", checksum_type)
    upload_id = created["UploadId"]
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="test-multipart-checksum",
        UploadId=upload_id,
        PartNumber=1,
        CopySource=f"{bucket}/src",
    )
    result = copied["CopyPartResult"]
    assert sorted(result) == ["ChecksumCRC32C", "ETag", "LastModified"]
    assert (result["ChecksumCRC32C"], result["ETag"]) == ("iqJrOQ==", '"11df95d595559285eb2b042124e74f09"')
    assert result["ChecksumCRC32C"] == checksum("CRC32C", data)
    listed = s3.list_parts(Bucket=bucket, Key="test-multipart-checksum", UploadId=upload_id)
    assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == ("CRC32C", checksum_type)
    [part] = listed["Parts"]
    assert (part["ChecksumCRC32C"], part["ETag"], part["Size"]) == ("iqJrOQ==", result["ETag"], 14)

    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="test-multipart-checksum",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": result["ETag"], "ChecksumCRC32C": "iqJrOQ=="}]},
    )
    recorded = "F9bAnw==-1" if checksum_type == "COMPOSITE" else "iqJrOQ=="
    assert checksums_of(done) == {"ChecksumCRC32C": recorded, "ChecksumType": checksum_type}
    assert done["ETag"] == '"395d97c07920de036bfa21e7568a2e9f-1"'
    head, got, body = read_back(s3, bucket, "test-multipart-checksum")
    assert head == got == {"ChecksumCRC32C": recorded, "ChecksumType": checksum_type}
    assert body == data

    # a copy of it is one object with the whole body's CRC32C, whichever type the upload had
    copy = s3.copy_object(Bucket=bucket, Key="copy", CopySource=f"{bucket}/test-multipart-checksum")
    assert checksums_of(copy["CopyObjectResult"]) == {
        "ChecksumCRC32C": "iqJrOQ==",
        "ChecksumType": "FULL_OBJECT",
    }
    copy = s3.copy_object(
        Bucket=bucket, Key="copy", CopySource=f"{bucket}/test-multipart-checksum", ChecksumAlgorithm="SHA256"
    )
    assert checksums_of(copy["CopyObjectResult"]) == full_object("SHA256", data)
    head, got, _ = read_back(s3, bucket, "copy")
    assert head == got == full_object("SHA256", data)
