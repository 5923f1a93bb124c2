"""S3 multipart uploads: create/upload/complete, ETags, part rules, abort, ListParts,
ListMultipartUploads, UploadPartCopy, GetObject by part number, and multipart checksums
(COMPOSITE ``-N`` and FULL_OBJECT).

The checksum scenarios reuse the parts of the recorded ones (``a`` * 5242881, ``a`` * 5242881,
``a`` * 10) so the recorded checksums and ETag apply; the helpers in conftest recompute them
independently.
"""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError

from .conftest import (
    INVALID_PART,
    MIN_PART,
    NO_SUCH_UPLOAD,
    PRECONDITION_FAILED,
    b64,
    checksum,
    composite_checksum,
    error_fields,
    error_of,
    etag_of,
    md5_hex,
    multipart_etag,
)

BIG = b"a" * 5242881
SMALL = b"a" * 10
RECORDED_PARTS = [BIG, BIG, SMALL]
RECORDED_ETAG = '"4d45984fc3feb2ac9b22683c49674b56-3"'
# test_complete_multipart_parts_checksum_composite[*] and ..._full_object[*]
RECORDED_COMPOSITE = {
    "CRC32": "5FRUiw==-3",
    "CRC32C": "XF5+4A==-3",
    "SHA1": "AyE60nyQoBgJcwsyPHWu7aJuxBs=-3",
    "SHA256": "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3",
}
RECORDED_FULL_OBJECT = {"CRC32": "qSEQSA==", "CRC32C": "eTdAQA==", "CRC64NVME": "ZMNX55lZurA="}


def upload_parts(s3, bucket: str, key: str, upload_id: str, parts: list[bytes], **kwargs) -> list[dict]:
    """Upload ``parts`` as 1..N; returns the part list for CompleteMultipartUpload.

    The part checksums go into the list only when a ``ChecksumAlgorithm`` is asked for: boto3
    sends a CRC32 with every part anyway, and an upload created without an algorithm refuses
    part checksums on completion (test_complete_multipart_parts_checksum_default).
    """
    done = []
    for number, data in enumerate(parts, start=1):
        answer = s3.upload_part(
            Bucket=bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=data, **kwargs
        )
        entry = {"PartNumber": number, "ETag": answer["ETag"]}
        if "ChecksumAlgorithm" in kwargs:
            member = f"Checksum{kwargs['ChecksumAlgorithm']}"
            entry[member] = answer[member]
        done.append(entry)
    return done


def start(s3, bucket: str, key: str = "mpu", **kwargs) -> str:
    return s3.create_multipart_upload(Bucket=bucket, Key=key, **kwargs)["UploadId"]


# --------------------------------------------------------------------------- the happy path


def test_multipart_upload_round_trip(s3, bucket):
    # test_complete_multipart_parts_checksum_* (ETag), test_multipart_and_list_parts (response shape)
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="big.bin", ContentType="text/plain", Metadata={"m": "1"}
    )
    assert (created["Bucket"], created["Key"]) == (bucket, "big.bin")
    upload_id = created["UploadId"]
    parts = upload_parts(s3, bucket, "big.bin", upload_id, RECORDED_PARTS)
    assert [p["ETag"] for p in parts] == [etag_of(BIG), etag_of(BIG), etag_of(SMALL)]
    with pytest.raises(ClientError):  # nothing visible before completion
        s3.head_object(Bucket=bucket, Key="big.bin")
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="big.bin", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"] == RECORDED_ETAG == multipart_etag(RECORDED_PARTS)
    assert (done["Bucket"], done["Key"]) == (bucket, "big.bin")
    assert done["Location"]
    got = s3.get_object(Bucket=bucket, Key="big.bin")
    body = got["Body"].read()
    assert len(body) == got["ContentLength"] == 2 * len(BIG) + len(SMALL)
    assert body == b"".join(RECORDED_PARTS)
    assert got["ETag"] == RECORDED_ETAG
    assert got["ContentType"] == "text/plain"
    assert got["Metadata"] == {"m": "1"}
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)


def test_single_small_part_is_fine(s3, bucket):
    # test_multipart_and_list_parts: one 65-byte part, ETag "-1", default CRC64NVME full-object checksum
    data = b"upload-part-1" * 5
    upload_id = start(s3, bucket, "test-list-parts")
    parts = upload_parts(s3, bucket, "test-list-parts", upload_id, [data])
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="test-list-parts", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"] == '"e747540af6911dbc890f8d3e0b48549b-1"' == multipart_etag([data])
    assert done["ChecksumCRC64NVME"] == "CTXktO4pIQs=" == checksum("CRC64NVME", data)
    assert done["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="test-list-parts", ChecksumMode="ENABLED")
    assert head["ChecksumCRC64NVME"] == "CTXktO4pIQs="
    assert head["ContentLength"] == 65
    with pytest.raises(ClientError) as exc:
        s3.list_parts(Bucket=bucket, Key="test-list-parts", UploadId=upload_id)
    assert error_of(exc) == ("NoSuchUpload", NO_SUCH_UPLOAD, 404)
    assert error_fields(exc)["UploadId"] == upload_id


def test_part_numbers_may_have_gaps(s3, bucket):
    # test_complete_multipart_parts_order: complete-multipart-with-step-2
    upload_id = start(s3, bucket)
    parts = []
    for number, data in ((2, BIG), (4, BIG), (6, SMALL)):
        etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=number, Body=data)[
            "ETag"
        ]
        parts.append({"PartNumber": number, "ETag": etag})
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"] == RECORDED_ETAG


def test_uploading_a_part_again_replaces_it(s3, bucket):
    upload_id = start(s3, bucket)
    s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"first")
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"second")["ETag"]
    listed = s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in listed] == [(1, etag_of(b"second"), 6)]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mpu",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    assert s3.get_object(Bucket=bucket, Key="mpu")["Body"].read() == b"second"


def test_multipart_overwrites_existing_object(s3, bucket):
    # test_multipart_overwrite_key
    s3.put_object(Bucket=bucket, Key="test.file", Body=b"old content")
    upload_id = start(s3, bucket, "test.file")
    parts = upload_parts(s3, bucket, "test.file", upload_id, [b"new content"])
    s3.complete_multipart_upload(
        Bucket=bucket, Key="test.file", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="test.file")["Body"].read() == b"new content"


def test_get_object_by_part_number(s3, bucket):
    # test_complete_multipart_parts_checksum_composite: get-object-part-checksum; test_get_object_part
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, RECORDED_PARTS)
    s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    third = s3.get_object(Bucket=bucket, Key="mpu", PartNumber=3)
    assert third["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert third["Body"].read() == SMALL
    assert third["ContentRange"] == "bytes 10485762-10485771/10485772"
    assert third["PartsCount"] == 3
    head = s3.head_object(Bucket=bucket, Key="mpu", PartNumber=1)
    assert head["ContentLength"] == len(BIG)
    assert head["ContentRange"] == "bytes 0-5242880/10485772"
    assert head["PartsCount"] == 3
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="mpu", PartNumber=10)
    assert error_of(exc) == ("InvalidPartNumber", "The requested partnumber is not satisfiable", 416)
    assert error_fields(exc)["ActualPartCount"] == "3"
    assert error_fields(exc)["PartNumberRequested"] == "10"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="mpu", PartNumber=1, Range="bytes=0-1")
    assert error_of(exc) == (
        "InvalidRequest",
        "Cannot specify both Range header and partNumber query parameter",
        400,
    )


def test_part_number_of_a_simple_object(s3, bucket):
    # test_get_object_part: get-obj-no-multipart, part-no-multipart
    s3.put_object(Bucket=bucket, Key="simple", Body=b"test-123")
    whole = s3.get_object(Bucket=bucket, Key="simple", PartNumber=1)
    assert whole["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert whole["ContentRange"] == "bytes 0-7/8"
    assert whole["Body"].read() == b"test-123"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="simple", PartNumber=2)
    assert error_of(exc) == ("InvalidPartNumber", "The requested partnumber is not satisfiable", 416)
    assert error_fields(exc)["ActualPartCount"] == "1"


# --------------------------------------------------------------------------- completion errors


def test_complete_refuses_parts_out_of_order(s3, bucket):
    # test_complete_multipart_parts_order: complete-multipart-unordered
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, [BIG, SMALL])
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": list(reversed(parts))}
        )
    assert error_of(exc) == (
        "InvalidPartOrder",
        "The list of parts was not in ascending order. Parts must be ordered by part number.",
        400,
    )
    assert error_fields(exc)["UploadId"] == upload_id
    # the upload is still there and can be completed properly
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"] == multipart_etag([BIG, SMALL])


def test_complete_refuses_unknown_part_or_wrong_etag(s3, bucket):
    # test_multipart_complete_multipart_wrong_part
    upload_id = start(s3, bucket)
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"data")["ETag"]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 2, "ETag": etag}]},
        )
    assert error_of(exc) == ("InvalidPart", INVALID_PART, 400)
    assert error_fields(exc)["PartNumber"] == "2"
    assert error_fields(exc)["ETag"] == md5_hex(b"data")
    assert error_fields(exc)["UploadId"] == upload_id
    wrong = etag_of(b"")
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": wrong}]},
        )
    assert error_of(exc) == ("InvalidPart", INVALID_PART, 400)
    assert error_fields(exc)["PartNumber"] == "1"
    assert error_fields(exc)["ETag"] == "d41d8cd98f00b204e9800998ecf8427e"


def test_complete_refuses_small_non_last_part(s3, bucket):
    # test_multipart_complete_multipart_too_small: complete-exc-too-small
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"data", b"data"])
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    assert error_of(exc) == (
        "EntityTooSmall",
        "Your proposed upload is smaller than the minimum allowed size",
        400,
    )
    fields = error_fields(exc)
    assert (fields["MinSizeAllowed"], fields["PartNumber"], fields["ProposedSize"]) == (
        str(MIN_PART),
        "1",
        "4",
    )
    assert fields["ETag"] == md5_hex(b"data")


def test_part_of_exactly_five_mib_is_big_enough(s3, bucket):
    # S3 API reference, UploadPart: parts other than the last must be at least 5 MiB
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"b" * MIN_PART, b"tail"])
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done["ETag"] == multipart_etag([b"b" * MIN_PART, b"tail"])


def test_part_one_byte_short_of_five_mib_is_too_small(s3, bucket):
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"b" * (MIN_PART - 1), b"tail"])
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
        )
    assert error_of(exc)[0] == "EntityTooSmall"
    assert error_fields(exc)["ProposedSize"] == str(MIN_PART - 1)


def test_complete_needs_at_least_one_part(s3, bucket):
    # test_multipart_complete_multipart_too_small: complete-exc-no-parts
    upload_id = start(s3, bucket)
    s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"data")
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": []}
        )
    assert error_of(exc) == ("InvalidRequest", "You must specify at least one part", 400)


@pytest.mark.parametrize("number", [-1, 0, 10001])
def test_part_number_range(s3_raw, bucket, number):
    # test_complete_multipart_parts_order: upload-part-negative-part-number
    upload_id = start(s3_raw, bucket)
    with pytest.raises(ClientError) as exc:
        s3_raw.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=number, Body=b"x")
    assert error_of(exc) == (
        "InvalidArgument",
        "Part number must be an integer between 1 and 10000, inclusive",
        400,
    )
    assert error_fields(exc)["ArgumentName"] == "partNumber"
    assert error_fields(exc)["ArgumentValue"] == str(number)


def test_complete_with_object_size_check(s3, bucket):
    # test_multipart_size_validation
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"abcd"])
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}, MpuObjectSize=5
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "The provided 'x-amz-mp-object-size' header value 5 does not match what was computed: 4",
        400,
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}, MpuObjectSize=4
    )
    assert done["ETag"] == multipart_etag([b"abcd"])


def test_upload_part_content_md5_mismatch(s3, bucket):
    # test_s3_invalid_content_md5: upload-part-md5-bad-digest (ExpectedDigest in base64 for UploadPart)
    upload_id = start(s3, bucket)
    sent = hashlib.md5(b"something else").digest()
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"something",
            ContentMD5=b64(sent),
        )
    assert error_of(exc) == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
    )
    assert error_fields(exc)["ExpectedDigest"] == b64(sent)
    assert error_fields(exc)["CalculatedDigest"] == b64(hashlib.md5(b"something").digest())


def test_upload_part_invalid_content_md5(s3, bucket):
    # test_s3_invalid_content_md5: upload-part-md5-error-*
    upload_id = start(s3, bucket)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"x", ContentMD5="MTIz"
        )
    assert error_of(exc) == ("InvalidDigest", "The Content-MD5 you specified was invalid.", 400)


# --------------------------------------------------------------------------- NoSuchUpload & abort


@pytest.mark.parametrize("call", ["upload_part", "complete", "abort", "list_parts"])
def test_unknown_upload_id(s3, bucket, call):
    # test_multipart_no_such_upload
    calls = {
        "upload_part": lambda: s3.upload_part(
            Bucket=bucket, Key="k", UploadId="fakeid", PartNumber=1, Body=b"x"
        ),
        "complete": lambda: s3.complete_multipart_upload(
            Bucket=bucket,
            Key="k",
            UploadId="fakeid",
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": "x"}]},
        ),
        "abort": lambda: s3.abort_multipart_upload(Bucket=bucket, Key="k", UploadId="fakeid"),
        "list_parts": lambda: s3.list_parts(Bucket=bucket, Key="k", UploadId="fakeid"),
    }
    with pytest.raises(ClientError) as exc:
        calls[call]()
    assert error_of(exc) == ("NoSuchUpload", NO_SUCH_UPLOAD, 404)
    assert error_fields(exc)["UploadId"] == "fakeid"


def test_upload_id_belongs_to_its_key(s3, bucket):
    # test_multipart_key_validation
    upload_id = start(s3, bucket, "right-key")
    for call in (
        lambda: s3.upload_part(Bucket=bucket, Key="wrong-key", UploadId=upload_id, PartNumber=1, Body=b"x"),
        lambda: s3.list_parts(Bucket=bucket, Key="wrong-key", UploadId=upload_id),
        lambda: s3.abort_multipart_upload(Bucket=bucket, Key="wrong-key", UploadId=upload_id),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchUpload", NO_SUCH_UPLOAD, 404)
        assert error_fields(exc)["UploadId"] == upload_id


def test_abort_multipart_upload(s3, bucket):
    upload_id = start(s3, bucket)
    s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"data")
    aborted = s3.abort_multipart_upload(Bucket=bucket, Key="mpu", UploadId=upload_id)
    assert aborted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=2, Body=b"x")
    assert error_of(exc) == ("NoSuchUpload", NO_SUCH_UPLOAD, 404)
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag_of(b"data")}]},
        )
    assert error_of(exc)[0] == "NoSuchUpload"
    with pytest.raises(ClientError):
        s3.head_object(Bucket=bucket, Key="mpu")


# --------------------------------------------------------------------------- ListParts


def test_list_parts_shape_and_pagination(s3, bucket):
    # test_list_parts_pagination, test_multipart_and_list_parts
    upload_id = start(s3, bucket, "test-list-part-pagination")
    empty = s3.list_parts(Bucket=bucket, Key="test-list-part-pagination", UploadId=upload_id)
    assert "Parts" not in empty
    assert (empty["PartNumberMarker"], empty["NextPartNumberMarker"], empty["MaxParts"]) == (0, 0, 1000)
    assert empty["IsTruncated"] is False
    assert (empty["Bucket"], empty["Key"], empty["UploadId"]) == (
        bucket,
        "test-list-part-pagination",
        upload_id,
    )
    assert empty["Owner"]["ID"] and empty["Initiator"]["ID"]
    assert empty["StorageClass"] == "STANDARD"
    upload_parts(s3, bucket, "test-list-part-pagination", upload_id, [b"data", b"data"])
    everything = s3.list_parts(Bucket=bucket, Key="test-list-part-pagination", UploadId=upload_id)
    assert [(p["PartNumber"], p["ETag"], p["Size"]) for p in everything["Parts"]] == [
        (1, '"8d777f385d3dfec8815d20f7496026dc"', 4),
        (2, '"8d777f385d3dfec8815d20f7496026dc"', 4),
    ]
    assert everything["NextPartNumberMarker"] == 2
    assert "LastModified" in everything["Parts"][0]
    first = s3.list_parts(Bucket=bucket, Key="test-list-part-pagination", UploadId=upload_id, MaxParts=1)
    assert [p["PartNumber"] for p in first["Parts"]] == [1]
    assert (first["IsTruncated"], first["NextPartNumberMarker"], first["MaxParts"]) == (True, 1, 1)
    second = s3.list_parts(
        Bucket=bucket, Key="test-list-part-pagination", UploadId=upload_id, MaxParts=1, PartNumberMarker=1
    )
    assert [p["PartNumber"] for p in second["Parts"]] == [2]
    assert (second["IsTruncated"], second["NextPartNumberMarker"], second["PartNumberMarker"]) == (
        False,
        2,
        1,
    )
    beyond = s3.list_parts(
        Bucket=bucket, Key="test-list-part-pagination", UploadId=upload_id, MaxParts=1, PartNumberMarker=10
    )
    assert "Parts" not in beyond
    assert (beyond["IsTruncated"], beyond["NextPartNumberMarker"], beyond["PartNumberMarker"]) == (
        False,
        0,
        10,
    )


def test_list_parts_paginator(s3, bucket):
    upload_id = start(s3, bucket)
    upload_parts(s3, bucket, "mpu", upload_id, [bytes([65 + i]) for i in range(7)])
    pages = s3.get_paginator("list_parts").paginate(
        Bucket=bucket, Key="mpu", UploadId=upload_id, PaginationConfig={"PageSize": 3}
    )
    assert [p["PartNumber"] for page in pages for p in page.get("Parts", [])] == list(range(1, 8))


# --------------------------------------------------------------------------- ListMultipartUploads


def test_list_multipart_uploads_empty(s3, bucket):
    # test_list_multiparts_next_marker: list-multiparts-empty
    listing = s3.list_multipart_uploads(Bucket=bucket)
    assert "Uploads" not in listing
    assert listing["Bucket"] == bucket
    assert (listing["KeyMarker"], listing["UploadIdMarker"]) == ("", "")
    assert (listing["NextKeyMarker"], listing["NextUploadIdMarker"]) == ("", "")
    assert (listing["MaxUploads"], listing["IsTruncated"]) == (1000, False)


def uploads_of(listing: dict) -> list[tuple[str, str]]:
    return [(u["Key"], u["UploadId"]) for u in listing.get("Uploads", [])]


def test_list_multipart_uploads_markers(s3, bucket):
    # test_list_multiparts_next_marker; S3 API reference, ListMultipartUploads: sorted by key,
    # then by initiation time within a key
    u1 = start(s3, bucket, "key-3")
    u2 = start(s3, bucket, "key-2")
    u3 = start(s3, bucket, "key-1")
    u4 = start(s3, bucket, "key-1")
    u5 = start(s3, bucket, "key-1")
    everything = s3.list_multipart_uploads(Bucket=bucket)
    assert uploads_of(everything) == [
        ("key-1", u3),
        ("key-1", u4),
        ("key-1", u5),
        ("key-2", u2),
        ("key-3", u1),
    ]
    assert (everything["NextKeyMarker"], everything["NextUploadIdMarker"]) == ("key-3", u1)
    upload = everything["Uploads"][0]
    assert upload["Initiator"]["ID"] and upload["Owner"]["ID"]
    assert upload["StorageClass"] == "STANDARD"
    assert "Initiated" in upload

    one = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1)
    assert uploads_of(one) == [("key-1", u3)]
    assert (one["IsTruncated"], one["NextKeyMarker"], one["NextUploadIdMarker"]) == (True, "key-1", u3)

    key_only = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, KeyMarker="key-1")
    assert uploads_of(key_only) == [("key-2", u2)]

    last = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, KeyMarker="key-3")
    assert uploads_of(last) == [] and last["IsTruncated"] is False
    assert (last["NextKeyMarker"], last["NextUploadIdMarker"]) == ("", "")

    ignored = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, UploadIdMarker=u3)
    assert uploads_of(ignored) == [("key-1", u3)]

    both = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, KeyMarker="key-1", UploadIdMarker=u3)
    assert uploads_of(both) == [("key-1", u4)]
    assert (both["NextKeyMarker"], both["NextUploadIdMarker"]) == ("key-1", u4)

    after_key = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, KeyMarker="key-1", UploadIdMarker=u5)
    assert uploads_of(after_key) == [("key-2", u2)]

    tail = s3.list_multipart_uploads(Bucket=bucket, MaxUploads=1, KeyMarker="key-2", UploadIdMarker=u2)
    assert uploads_of(tail) == [("key-3", u1)] and tail["IsTruncated"] is False


def test_list_multipart_uploads_upload_id_marker_of_another_key(s3, bucket):
    # test_list_multiparts_next_marker: list-multiparts-wrong-id-for-key
    start(s3, bucket, "key-1")
    other = start(s3, bucket, "key-2")
    with pytest.raises(ClientError) as exc:
        s3.list_multipart_uploads(Bucket=bucket, KeyMarker="key-1", UploadIdMarker=other)
    assert error_of(exc) == ("InvalidArgument", "Invalid uploadId marker", 400)
    assert error_fields(exc)["ArgumentName"] == "upload-id-marker"
    assert error_fields(exc)["ArgumentValue"] == other


def test_list_multipart_uploads_prefix_and_delimiter(s3, bucket):
    # test_list_multiparts_with_prefix_and_delimiter
    for key in ("test/bar/foo/1", "test/foo/bar/1", "test/foo/bar/2", "other/1"):
        start(s3, bucket, key)
    top = s3.list_multipart_uploads(Bucket=bucket, Prefix="test/", Delimiter="/")
    assert [p["Prefix"] for p in top["CommonPrefixes"]] == ["test/bar/", "test/foo/"]
    assert "Uploads" not in top
    assert (top["Prefix"], top["Delimiter"]) == ("test/", "/")
    inner = s3.list_multipart_uploads(Bucket=bucket, Prefix="test/foo/bar", Delimiter="/")
    assert [p["Prefix"] for p in inner["CommonPrefixes"]] == ["test/foo/bar/"]
    plain = s3.list_multipart_uploads(Bucket=bucket, Prefix="test/foo")
    assert [u["Key"] for u in plain["Uploads"]] == ["test/foo/bar/1", "test/foo/bar/2"]


# --------------------------------------------------------------------------- UploadPartCopy


def test_upload_part_copy_ranges(s3, bucket):
    # test_upload_part_copy_range, test_upload_part_copy_no_copy_source_range
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload_id = start(s3, bucket, "test-upload-part-copy")
    src = {"Bucket": bucket, "Key": "src"}
    results = []
    for number, byte_range in enumerate(("bytes=0-8", "bytes=1-1", "bytes=0-0"), start=1):
        copied = s3.upload_part_copy(
            Bucket=bucket,
            Key="test-upload-part-copy",
            UploadId=upload_id,
            PartNumber=number,
            CopySource=src,
            CopySourceRange=byte_range,
        )
        results.append(copied["CopyPartResult"]["ETag"])
    assert results == [etag_of(b"012345678"), etag_of(b"1"), etag_of(b"0")]
    whole = s3.upload_part_copy(
        Bucket=bucket, Key="test-upload-part-copy", UploadId=upload_id, PartNumber=4, CopySource=src
    )
    assert whole["CopyPartResult"]["ETag"] == etag_of(b"0123456789")
    parts = s3.list_parts(Bucket=bucket, Key="test-upload-part-copy", UploadId=upload_id)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in parts] == [(1, 9), (2, 1), (3, 1), (4, 10)]


def test_upload_part_copy_builds_an_object(s3, bucket):
    source = b"x" * MIN_PART + b"0123456789"
    s3.put_object(Bucket=bucket, Key="src", Body=source)
    upload_id = start(s3, bucket, "assembled")
    parts = []
    for number, byte_range in ((1, f"bytes=0-{MIN_PART - 1}"), (2, f"bytes={MIN_PART + 5}-{MIN_PART + 9}")):
        copied = s3.upload_part_copy(
            Bucket=bucket,
            Key="assembled",
            UploadId=upload_id,
            PartNumber=number,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange=byte_range,
        )
        parts.append({"PartNumber": number, "ETag": copied["CopyPartResult"]["ETag"]})
    s3.complete_multipart_upload(
        Bucket=bucket, Key="assembled", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert s3.get_object(Bucket=bucket, Key="assembled")["Body"].read() == b"x" * MIN_PART + b"56789"


BAD_COPY_RANGES = [
    "0-8",
    "bytes=1-0",
    "bytes=-1-",
    "bytes=0--1",
    "bytes=0-1,3-4,7-9",
    "bytes=-",
    "bytes=-0",
    "bytes=1-",
    "bytes=-2",
]


@pytest.mark.parametrize("byte_range", BAD_COPY_RANGES)
def test_upload_part_copy_range_format(s3, bucket, byte_range):
    # test_upload_part_copy_range: upload-part-copy-wrong-format, upload-part-copy-range-exc-*
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload_id = start(s3, bucket)
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "src"},
            CopySourceRange=byte_range,
        )
    assert error_of(exc) == (
        "InvalidArgument",
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last "
        "are the zero-based offsets of the first and last bytes to copy",
        400,
    )
    assert error_fields(exc)["ArgumentName"] == "x-amz-copy-source-range"
    assert error_fields(exc)["ArgumentValue"] == byte_range


def test_upload_part_copy_range_beyond_the_source(s3, bucket):
    # test_upload_part_copy_range: upload-part-copy-range-exc-0-100, -100-200
    s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")
    upload_id = start(s3, bucket)
    src = {"Bucket": bucket, "Key": "src"}
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            PartNumber=1,
            CopySource=src,
            CopySourceRange="bytes=0-100",
        )
    assert error_of(exc) == (
        "InvalidArgument",
        "Range specified is not valid for source object of size: 10",
        400,
    )
    assert error_fields(exc)["ArgumentValue"] == "bytes=0-100"
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            PartNumber=1,
            CopySource=src,
            CopySourceRange="bytes=100-200",
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "The specified copy range is invalid for the source object size",
        400,
    )


def test_upload_part_copy_source_conditions(s3, bucket):
    # test_upload_part_copy_with_copy_source_if_match_failed, ..._if_none_match_failed, ..._success
    etag = s3.put_object(Bucket=bucket, Key="src", Body=b"0123456789")["ETag"]
    upload_id = start(s3, bucket)
    src = {"Bucket": bucket, "Key": "src"}
    for condition, header in (
        ({"CopySourceIfMatch": etag_of(b"other")}, "x-amz-copy-source-If-Match"),
        ({"CopySourceIfNoneMatch": etag}, "x-amz-copy-source-If-None-Match"),
    ):
        with pytest.raises(ClientError) as exc:
            s3.upload_part_copy(
                Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, CopySource=src, **condition
            )
        assert error_of(exc) == ("PreconditionFailed", PRECONDITION_FAILED, 412)
        assert error_fields(exc)["Condition"] == header
    ok = s3.upload_part_copy(
        Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, CopySource=src, CopySourceIfMatch=etag
    )
    assert ok["CopyPartResult"]["ETag"] == etag


def test_upload_part_copy_missing_source(s3, bucket):
    upload_id = start(s3, bucket)
    with pytest.raises(ClientError) as exc:
        s3.upload_part_copy(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            PartNumber=1,
            CopySource={"Bucket": bucket, "Key": "nope"},
        )
    assert error_of(exc)[0] == "NoSuchKey"
    assert error_of(exc)[2] == 404


# --------------------------------------------------------------------------- checksums


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256"])
def test_composite_checksum(s3, bucket, algorithm):
    # test_complete_multipart_parts_checksum_composite[*]
    member = f"Checksum{algorithm}"
    created = s3.create_multipart_upload(Bucket=bucket, Key="mpu", ChecksumAlgorithm=algorithm)
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (algorithm, "COMPOSITE")
    upload_id = created["UploadId"]
    parts = upload_parts(s3, bucket, "mpu", upload_id, RECORDED_PARTS, ChecksumAlgorithm=algorithm)
    assert [p[member] for p in parts] == [checksum(algorithm, p) for p in RECORDED_PARTS]
    listed = s3.list_parts(Bucket=bucket, Key="mpu", UploadId=upload_id)
    assert (listed["ChecksumAlgorithm"], listed["ChecksumType"]) == (algorithm, "COMPOSITE")
    assert [p[member] for p in listed["Parts"]] == [p[member] for p in parts]

    without = [{"PartNumber": p["PartNumber"], "ETag": p["ETag"]} for p in parts]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": without}
        )
    assert error_of(exc) == (
        "InvalidRequest",
        f"The upload was created using a {algorithm.lower()} checksum. The complete request must include "
        "the checksum for each part. It was missing for part 1 in the request.",
        400,
    )
    wrong = [*parts[:2], {**parts[2], member: checksum(algorithm, b"not this part")}]
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": wrong}
        )
    assert error_of(exc) == ("InvalidPart", INVALID_PART, 400)
    assert error_fields(exc)["PartNumber"] == "3"

    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done[member] == RECORDED_COMPOSITE[algorithm] == composite_checksum(algorithm, RECORDED_PARTS)
    assert done["ChecksumType"] == "COMPOSITE"
    assert done["ETag"] == RECORDED_ETAG
    head = s3.head_object(Bucket=bucket, Key="mpu", ChecksumMode="ENABLED")
    assert (head[member], head["ChecksumType"]) == (RECORDED_COMPOSITE[algorithm], "COMPOSITE")
    part = s3.get_object(Bucket=bucket, Key="mpu", PartNumber=3, ChecksumMode="ENABLED")
    assert part[member] == checksum(algorithm, SMALL)


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "CRC64NVME"])
def test_full_object_checksum(s3, bucket, algorithm):
    # test_complete_multipart_parts_checksum_full_object[*]
    member = f"Checksum{algorithm}"
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="mpu", ChecksumAlgorithm=algorithm, ChecksumType="FULL_OBJECT"
    )
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == (algorithm, "FULL_OBJECT")
    upload_id = created["UploadId"]
    parts = upload_parts(s3, bucket, "mpu", upload_id, RECORDED_PARTS, ChecksumAlgorithm=algorithm)
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert done[member] == RECORDED_FULL_OBJECT[algorithm] == checksum(algorithm, b"".join(RECORDED_PARTS))
    assert done["ChecksumType"] == "FULL_OBJECT"
    head = s3.head_object(Bucket=bucket, Key="mpu", ChecksumMode="ENABLED")
    assert (head[member], head["ChecksumType"]) == (RECORDED_FULL_OBJECT[algorithm], "FULL_OBJECT")


def test_crc64nvme_defaults_to_full_object(s3, bucket):
    # test_multipart_checksum_type_default_for_checksum[CRC64NVME] and [CRC32]
    created = s3.create_multipart_upload(Bucket=bucket, Key="nvme", ChecksumAlgorithm="CRC64NVME")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC64NVME", "FULL_OBJECT")
    created = s3.create_multipart_upload(Bucket=bucket, Key="crc", ChecksumAlgorithm="CRC32")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("CRC32", "COMPOSITE")


def test_full_object_checksum_given_on_complete(s3, bucket):
    # test_multipart_parts_checksum_exceptions_full_object: complete-success, complete-part-bad-checksum
    created = s3.create_multipart_upload(
        Bucket=bucket, Key="mpu", ChecksumAlgorithm="CRC32C", ChecksumType="FULL_OBJECT"
    )
    upload_id = created["UploadId"]
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"abc"], ChecksumAlgorithm="CRC32C")
    assert parts[0]["ChecksumCRC32C"] == "Nks/tw=="
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            ChecksumCRC32C=checksum("CRC32C", b"xyz"),
            ChecksumType="FULL_OBJECT",
        )
    assert error_of(exc) == (
        "BadDigest",
        "The crc32c you specified did not match the calculated checksum.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            ChecksumType="COMPOSITE",
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "The upload was created using the FULL_OBJECT checksum mode. The complete request must use the same "
        "checksum mode.",
        400,
    )
    done = s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mpu",
        UploadId=upload_id,
        MultipartUpload={"Parts": parts},
        ChecksumCRC32C="Nks/tw==",
        ChecksumType="FULL_OBJECT",
    )
    assert (done["ChecksumCRC32C"], done["ChecksumType"]) == ("Nks/tw==", "FULL_OBJECT")
    assert done["ETag"] == '"af5da9f45af7a300e3aded972f8ff687-1"'


@pytest.mark.parametrize(
    ("checksum_type", "algorithm"),
    [("COMPOSITE", "CRC64NVME"), ("FULL_OBJECT", "SHA1"), ("FULL_OBJECT", "SHA256")],
)
def test_checksum_type_incompatible_with_algorithm(s3, bucket, checksum_type, algorithm):
    # test_multipart_checksum_type_compatibility[*]
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(
            Bucket=bucket, Key="mpu", ChecksumAlgorithm=algorithm, ChecksumType=checksum_type
        )
    assert error_of(exc) == (
        "InvalidRequest",
        f"The {checksum_type} checksum type cannot be used with the {algorithm.lower()} checksum algorithm.",
        400,
    )


def test_checksum_type_needs_an_algorithm(s3, bucket):
    # test_multipart_parts_checksum_exceptions_composite: create-mpu-no-checksum-algo-with-type
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=bucket, Key="mpu", ChecksumType="COMPOSITE")
    assert error_of(exc) == (
        "InvalidRequest",
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header.",
        400,
    )


def test_unsupported_checksum_algorithm(s3_raw, bucket):
    # test_multipart_parts_checksum_exceptions_composite: create-mpu-wrong-checksum-algo
    with pytest.raises(ClientError) as exc:
        s3_raw.create_multipart_upload(Bucket=bucket, Key="mpu", ChecksumAlgorithm="TEST")
    assert error_of(exc) == (
        "InvalidRequest",
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
        "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]",
        400,
    )


def test_part_checksum_must_match_the_uploads_algorithm(s3, bucket):
    # test_multipart_parts_checksum_exceptions_composite: upload-part-different-checksum-exc
    upload_id = start(s3, bucket, ChecksumAlgorithm="SHA256")
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"abc", ChecksumAlgorithm="CRC32"
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "Checksum Type mismatch occurred, expected checksum Type: sha256, actual checksum Type: crc32",
        400,
    )


def test_composite_upload_completed_in_another_mode(s3, bucket):
    # test_multipart_parts_checksum_exceptions_composite: complete-part-with-bad-checksum-type
    upload_id = start(s3, bucket, ChecksumAlgorithm="CRC32")
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"abc"], ChecksumAlgorithm="CRC32")
    assert parts[0]["ChecksumCRC32"] == "NSRBwg=="
    with pytest.raises(ClientError) as exc:
        s3.complete_multipart_upload(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            MultipartUpload={"Parts": parts},
            ChecksumType="FULL_OBJECT",
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "The upload was created using the COMPOSITE checksum mode. The complete request must use the same "
        "checksum mode.",
        400,
    )


def test_upload_without_checksum_completed_with_a_mode(s3, bucket):
    # test_complete_multipart_parts_checksum_default: complete-multipart-full-object-type, -composite-type
    upload_id = start(s3, bucket)
    parts = upload_parts(s3, bucket, "mpu", upload_id, [b"aaa"])
    for mode in ("FULL_OBJECT", "COMPOSITE"):
        with pytest.raises(ClientError) as exc:
            s3.complete_multipart_upload(
                Bucket=bucket,
                Key="mpu",
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                ChecksumType=mode,
            )
        assert error_of(exc) == (
            "InvalidRequest",
            "The upload was created using the null checksum mode. The complete request must use the same "
            "checksum mode.",
            400,
        )
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": parts}
    )
    assert (done["ChecksumCRC64NVME"], done["ChecksumType"]) == ("Rnr2/5P7Gsk=", "FULL_OBJECT")
    assert done["ETag"] == '"e2c3da976e66ec9e7dc128fbc782fc91-1"'


@pytest.mark.parametrize("algorithm", ["CRC32", "CRC32C", "SHA1", "SHA256", "CRC64NVME"])
def test_upload_part_with_wrong_checksum(s3, bucket, algorithm):
    # test_multipart_upload_part_checksum_exception[*]
    upload_id = start(s3, bucket, ChecksumAlgorithm=algorithm)
    member = f"Checksum{algorithm}"
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket,
            Key="mpu",
            UploadId=upload_id,
            PartNumber=1,
            Body=b"abc",
            **{member: checksum(algorithm, b"xyz")},
        )
    assert error_of(exc) == (
        "BadDigest",
        f"The {algorithm} you specified did not match the calculated checksum.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        s3.upload_part(
            Bucket=bucket, Key="mpu", UploadId=upload_id, PartNumber=1, Body=b"abc", **{member: "nob64"}
        )
    assert error_of(exc) == (
        "InvalidRequest",
        f"Value for x-amz-checksum-{algorithm.lower()} header is invalid.",
        400,
    )


def test_upload_part_copy_with_checksum(s3, bucket):
    # test_multipart_upload_part_copy_checksum[COMPOSITE]
    s3.put_object(Bucket=bucket, Key="src", Body=b"this is a part")
    upload_id = start(s3, bucket, ChecksumAlgorithm="CRC32C")
    copied = s3.upload_part_copy(
        Bucket=bucket,
        Key="mpu",
        UploadId=upload_id,
        PartNumber=1,
        CopySource={"Bucket": bucket, "Key": "src"},
    )
    assert copied["CopyPartResult"]["ChecksumCRC32C"] == "iqJrOQ==" == checksum("CRC32C", b"this is a part")
    part = {"PartNumber": 1, "ETag": copied["CopyPartResult"]["ETag"], "ChecksumCRC32C": "iqJrOQ=="}
    done = s3.complete_multipart_upload(
        Bucket=bucket, Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": [part]}
    )
    assert (done["ChecksumCRC32C"], done["ChecksumType"]) == ("F9bAnw==-1", "COMPOSITE")
    assert done["ETag"] == '"395d97c07920de036bfa21e7568a2e9f-1"'
