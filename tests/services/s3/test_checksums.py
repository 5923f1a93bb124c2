"""S3 checksums: known vectors, values recorded from real S3, multipart combination, errors.

Recorded values come from ``aws-reference/s3/test_s3.snapshot.json`` (real S3, 2026): the
scenarios ``test_put_object_checksum`` (body ``b"test data.."``), ``test_s3_get_object_checksum``
(``b"test-checksum"``), ``test_complete_multipart_parts_checksum_{composite,full_object}``
(parts ``a`` * 5242881, ``a`` * 5242881, ``a`` * 10), ``test_multipart_parts_checksum_exceptions_*``
(one part ``b"abc"``), ``test_complete_multipart_parts_checksum_default`` (one part ``b"aaa"``)
and ``test_s3_invalid_content_md5``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import os
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3 import checksums as ck

CHECK = b"123456789"  # the catalogue's check input

BIG = b"a" * 5242881
SMALL = b"a" * 10
RECORDED_PARTS = [BIG, BIG, SMALL]


def crc_int(algorithm: str, data: bytes) -> int:
    return int.from_bytes(ck.compute(algorithm, data), "big")


# --------------------------------------------------------------------------- hashers


@pytest.mark.parametrize(
    ("algorithm", "value"),
    [("CRC32", 0xCBF43926), ("CRC32C", 0xE3069283), ("CRC64NVME", 0xAE8B14860A799888)],
)
def test_crc_check_values(algorithm, value):
    assert crc_int(algorithm, CHECK) == value
    assert len(ck.compute(algorithm, CHECK)) == ck.DIGEST_SIZES[algorithm]


@pytest.mark.parametrize("algorithm", ["MD5", "SHA1", "SHA256"])
def test_hash_algorithms_match_hashlib(algorithm):
    assert ck.compute(algorithm, CHECK) == hashlib.new(algorithm.lower(), CHECK).digest()


@pytest.mark.parametrize(
    ("algorithm", "test_data", "test_checksum"),
    [
        ("CRC32", "cZWHwQ==", "lVk/nw=="),
        ("CRC32C", "Pf4upw==", "Fz3epA=="),
        ("CRC64NVME", "qUVrWYOrIAM=", "1f2xscCCZCU="),
        ("SHA1", "B++3uSfJMSHWToQMQ1g6lIJY5Eo=", "jbXkHAsXUrubtL3dqDQ4w+7WXc0="),
        (
            "SHA256",
            "2l26x0trnT0r2AvakoFk2MB7eKVKzYESLMxSAKAzoik=",
            "1YQo81vx2VFUl0q5ccWISq8AkSBQQ0WO80S82TmfdIQ=",
        ),
    ],
)
def test_values_recorded_from_s3(algorithm, test_data, test_checksum):
    assert ck.b64(ck.compute(algorithm, b"test data..")) == test_data
    assert ck.b64(ck.compute(algorithm, b"test-checksum")) == test_checksum


def test_single_part_values_recorded_from_s3():
    assert ck.b64(ck.compute("CRC32", b"abc")) == "NSRBwg=="
    assert ck.b64(ck.compute("CRC32C", b"abc")) == "Nks/tw=="
    assert ck.b64(ck.compute("CRC64NVME", b"aaa")) == "Rnr2/5P7Gsk="


@pytest.mark.parametrize("algorithm", [*ck.ALGORITHMS, "MD5"])
def test_streaming_equals_one_shot(algorithm):
    data = random.Random(7).randbytes(100_000)
    h = ck.new_hasher(algorithm)
    for i in range(0, len(data), 777):
        h.update(memoryview(data)[i : i + 777])
    assert h.digest() == ck.compute(algorithm, data)
    assert h.algorithm == algorithm
    assert h.digest_size == ck.DIGEST_SIZES[algorithm]
    assert h.digest() == h.digest()  # digest() does not finish the hasher


def test_empty_input():
    assert ck.compute("CRC32", b"") == b"\0" * 4
    assert ck.compute("CRC64NVME", b"") == b"\0" * 8
    assert ck.compute("MD5", b"").hex() == "d41d8cd98f00b204e9800998ecf8427e"


def test_names_and_headers():
    assert ck.ALGORITHMS == ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
    assert ck.HEADERS["CRC32"] == "x-amz-checksum-crc32"
    assert ck.HEADERS["CRC64NVME"] == "x-amz-checksum-crc64nvme"
    assert ck.MEMBERS["SHA256"] == "ChecksumSHA256"
    assert ck.canonical("crc32c") == "CRC32C"
    assert ck.new_hasher("sha1").algorithm == "SHA1"
    with pytest.raises(ValueError):
        ck.new_hasher("SHA512")


def test_header_names_match_the_s3_model():
    from cloudlet.protocol.model import service_model

    members = service_model("s3").shapes["PutObjectRequest"]["members"]
    for algorithm, member in ck.MEMBERS.items():
        assert members[member]["locationName"] == ck.HEADERS[algorithm]


# --------------------------------------------------------------------------- ETags


def test_etags_recorded_from_s3():
    md5 = hashlib.md5
    assert ck.etag(md5(b"test data..").digest()) == '"e6d9226c2a86b7232933663c13467527"'
    parts = [md5(p).digest() for p in RECORDED_PARTS]
    assert ck.multipart_etag(parts) == '"4d45984fc3feb2ac9b22683c49674b56-3"'
    assert ck.multipart_etag([md5(b"abc").digest()]) == '"af5da9f45af7a300e3aded972f8ff687-1"'
    assert ck.multipart_etag([md5(b"aaa").digest()]) == '"e2c3da976e66ec9e7dc128fbc782fc91-1"'


def test_multipart_etag_is_md5_of_binary_part_md5s():
    parts = [os.urandom(50) for _ in range(4)]
    digests = [hashlib.md5(p).digest() for p in parts]
    expected = hashlib.md5(b"".join(digests)).hexdigest()
    assert ck.multipart_etag(digests) == f'"{expected}-4"'


# --------------------------------------------------------------------------- multipart checksums


@pytest.mark.parametrize(
    ("algorithm", "checksum_type", "part1", "part3", "whole"),
    [
        ("CRC32", "COMPOSITE", "NRU+Sw==", "TBHN8A==", "5FRUiw==-3"),
        ("CRC32C", "COMPOSITE", "2/Ckiw==", "5yZkMA==", "XF5+4A==-3"),
        (
            "SHA1",
            "COMPOSITE",
            "bH71WIZUKQtUwR2wKSSkFjCRBPM=",
            "NJX/adNGcdHhWzOmPBN5/e3Toyo=",
            "AyE60nyQoBgJcwsyPHWu7aJuxBs=-3",
        ),
        (
            "SHA256",
            "COMPOSITE",
            "DjU70AB1bON8k0n0fVHv2PJQVWcA/jWsITp6ti20Tbs=",
            "vyy1imj2hNlaO3jvj2Ycmk5bCegsyPnMiMzpBSjK6yc=",
            "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3",
        ),
        ("CRC32", "FULL_OBJECT", "NRU+Sw==", "TBHN8A==", "qSEQSA=="),
        ("CRC32C", "FULL_OBJECT", "2/Ckiw==", "5yZkMA==", "eTdAQA=="),
        ("CRC64NVME", "FULL_OBJECT", "Kg7TOs6algM=", "DBqAA21lxVU=", "ZMNX55lZurA="),
    ],
)
def test_multipart_checksums_recorded_from_s3(algorithm, checksum_type, part1, part3, whole):
    digests = [ck.compute(algorithm, p) for p in RECORDED_PARTS]
    assert [ck.b64(d) for d in digests] == [part1, part1, part3]
    parts = [(d, len(p)) for d, p in zip(digests, RECORDED_PARTS, strict=True)]
    assert ck.multipart_checksum(algorithm, checksum_type, parts) == whole


def test_full_object_of_one_part_is_that_part():
    # test_complete_multipart_parts_checksum_default: S3's default CRC64NVME over one part
    part = ck.compute("CRC64NVME", b"aaa")
    assert ck.multipart_checksum("CRC64NVME", "FULL_OBJECT", [(part, 3)]) == "Rnr2/5P7Gsk="
    # test_multipart_parts_checksum_exceptions_full_object: CRC32C, one part b"abc"
    part = ck.compute("CRC32C", b"abc")
    assert ck.multipart_checksum("CRC32C", "FULL_OBJECT", [(part, 3)]) == "Nks/tw=="


def test_full_object_refuses_hash_algorithms():
    with pytest.raises(ValueError):
        ck.combine_full_object("SHA256", [(ck.compute("SHA256", b"x"), 1)])
    with pytest.raises(ValueError):
        ck.multipart_checksum("CRC32", "PARTIAL", [])


@pytest.fixture(params=["awscrt", "python"])
def combiner(request, monkeypatch):
    """Combine with awscrt's functions, then with the pure-Python fallback."""
    if request.param == "python":
        monkeypatch.setattr(ck, "_USE_CRT_COMBINE", False)
    elif ck._crt_combine("CRC32") is None:
        pytest.skip("this awscrt has no combine functions")
    return request.param


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    data=st.binary(max_size=4000),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=8),
    algorithm=st.sampled_from(["CRC32", "CRC32C", "CRC64NVME"]),
)
def test_full_object_combine_equals_whole_checksum(combiner, data, cuts, algorithm):
    points = [0, *sorted(min(c, len(data)) for c in cuts), len(data)]  # repeats: empty parts
    pieces = [data[a:b] for a, b in itertools.pairwise(points)] or [b""]
    parts = [(ck.compute(algorithm, p), len(p)) for p in pieces]
    assert ck.combine_full_object(algorithm, parts) == ck.compute(algorithm, data)


def test_combine_over_a_large_part(combiner):
    # A 256 MiB part (streamed from one zeroed MiB), well past what the property test covers.
    zeros = bytes(1 << 20)
    length = 256 << 20
    for algorithm in ("CRC32", "CRC32C", "CRC64NVME"):
        whole, part = ck.new_hasher(algorithm), ck.new_hasher(algorithm)
        whole.update(b"head")
        for _ in range(256):
            whole.update(zeros)
            part.update(zeros)
        head = (ck.compute(algorithm, b"head"), 4)
        assert ck.combine_full_object(algorithm, [head, (part.digest(), length)]) == whole.digest()


def test_fallback_math_matches_awscrt():
    if ck._crt_combine("CRC32") is None:
        pytest.skip("this awscrt has no combine functions")
    rng = random.Random(3)
    for algorithm, math in ck._CRC_MATH.items():
        for length in (1, 7, 4096, 5 * 1024**3, 5 * 1024**4 + 13):
            a, b = rng.getrandbits(math.width), rng.getrandbits(math.width)
            assert math.combine(a, b, length) == ck._crt_combine(algorithm)(a, b, length)


def test_composite_is_checksum_of_concatenated_part_digests():
    pieces = [b"one", b"two", b"three"]
    digests = [ck.compute("SHA256", p) for p in pieces]
    expected = hashlib.sha256(b"".join(digests)).digest()
    assert ck.combine_composite("SHA256", digests) == expected
    value = ck.multipart_checksum("SHA256", "COMPOSITE", [(d, 3) for d in digests])
    assert value == base64.b64encode(expected).decode() + "-3"


# --------------------------------------------------------------------------- checksum types


@pytest.mark.parametrize(
    ("algorithm", "default"),
    [
        ("CRC32", "COMPOSITE"),
        ("CRC32C", "COMPOSITE"),
        ("SHA1", "COMPOSITE"),
        ("SHA256", "COMPOSITE"),
        ("CRC64NVME", "FULL_OBJECT"),
    ],
)
def test_default_checksum_type(algorithm, default):
    assert ck.checksum_type_for(algorithm, None) == default


@pytest.mark.parametrize(
    ("checksum_type", "algorithm", "message"),
    [
        ("COMPOSITE", "CRC32", None),
        ("COMPOSITE", "CRC32C", None),
        ("COMPOSITE", "SHA1", None),
        ("COMPOSITE", "SHA256", None),
        (
            "COMPOSITE",
            "CRC64NVME",
            "The COMPOSITE checksum type cannot be used with the crc64nvme checksum algorithm.",
        ),
        ("FULL_OBJECT", "CRC32", None),
        ("FULL_OBJECT", "CRC32C", None),
        (
            "FULL_OBJECT",
            "SHA1",
            "The FULL_OBJECT checksum type cannot be used with the sha1 checksum algorithm.",
        ),
        (
            "FULL_OBJECT",
            "SHA256",
            "The FULL_OBJECT checksum type cannot be used with the sha256 checksum algorithm.",
        ),
        ("FULL_OBJECT", "CRC64NVME", None),
    ],
)
def test_checksum_type_compatibility(checksum_type, algorithm, message):
    if message is None:
        assert ck.checksum_type_for(algorithm, checksum_type) == checksum_type
        assert checksum_type in ck.CHECKSUM_TYPES[algorithm]
    else:
        with pytest.raises(ServiceError) as err:
            ck.checksum_type_for(algorithm, checksum_type)
        assert (err.value.code, err.value.message, err.value.status) == ("InvalidRequest", message, 400)


def test_checksum_type_errors():
    assert ck.checksum_type_for(None, None) is None
    with pytest.raises(ServiceError) as err:
        ck.checksum_type_for(None, "COMPOSITE")
    assert err.value.message == (
        "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
    )
    with pytest.raises(ServiceError) as err:
        ck.checksum_type_for("MD4", None)
    assert err.value.code == "InvalidRequest"
    assert err.value.message == (
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
        "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]"
    )


# --------------------------------------------------------------------------- digest errors


@pytest.mark.parametrize(
    "value", ["__invalid__", "000", "not base64 encoded checksum", "MTIz", "dGVzdC1zdHJpbmc="]
)
def test_invalid_content_md5(value):
    with pytest.raises(ServiceError) as err:
        ck.check_content_md5(value, hashlib.md5(b"x").digest())
    e = err.value
    assert (e.code, e.message, e.status) == (
        "InvalidDigest",
        "The Content-MD5 you specified was invalid.",
        400,
    )
    assert e.fields == {"Content-MD5": value}


def test_content_md5_mismatch_as_recorded():
    sent = "CYketZBSTjX8czcs3cXVlg=="
    calculated = bytes.fromhex("437b930db84b8079c2dd804a71936b5f")
    with pytest.raises(ServiceError) as err:
        ck.check_content_md5(sent, calculated)  # PutObject
    e = err.value
    assert (e.code, e.message, e.status) == (
        "BadDigest",
        "The Content-MD5 you specified did not match what we received.",
        400,
    )
    assert e.fields == {
        "CalculatedDigest": "Q3uTDbhLgHnC3YBKcZNrXw==",
        "ExpectedDigest": "09891eb590524e35fc73372cddc5d596",
    }
    with pytest.raises(ServiceError) as err:
        ck.check_content_md5(sent, calculated, expected_form="base64")  # UploadPart
    assert err.value.fields == {"CalculatedDigest": "Q3uTDbhLgHnC3YBKcZNrXw==", "ExpectedDigest": sent}


def test_content_md5_match():
    digest = hashlib.md5(b"body").digest()
    ck.check_content_md5(base64.b64encode(digest).decode(), digest)
    assert ck.decode_content_md5(base64.b64encode(digest).decode()) == digest


@pytest.mark.parametrize("algorithm", ck.ALGORITHMS)
def test_checksum_header_errors(algorithm):
    actual = ck.compute(algorithm, b"test data..")
    ck.check_checksum(algorithm, ck.b64(actual), actual)
    for bad in ("wrongchecksum", "MTIz", "", "é"):
        with pytest.raises(ServiceError) as err:
            ck.check_checksum(algorithm, bad, actual)
        e = err.value
        assert (e.code, e.status) == ("InvalidRequest", 400)
        assert e.message == f"Value for x-amz-checksum-{algorithm.lower()} header is invalid."
    wrong = ck.b64(ck.compute(algorithm, b"other data"))
    with pytest.raises(ServiceError) as err:
        ck.check_checksum(algorithm, wrong, actual)
    e = err.value
    assert (e.code, e.status) == ("BadDigest", 400)
    assert e.message == f"The {algorithm} you specified did not match the calculated checksum."


def test_multipart_mismatch_messages():
    e = ck.multipart_checksum_mismatch("CRC32C")
    assert (e.code, e.message) == (
        "BadDigest",
        "The crc32c you specified did not match the calculated checksum.",
    )
    e = ck.part_checksum_mismatch("SHA256", 1)
    assert (e.code, e.message) == (
        "BadDigest",
        "The sha256 you specified for part 1 did not match what we received.",
    )


def test_provided_checksum():
    assert ck.provided_checksum({"Bucket": "b"}) is None
    assert ck.provided_checksum({"ChecksumSHA1": "x", "ChecksumCRC32": None}) == ("SHA1", "x")
    with pytest.raises(ServiceError) as err:
        ck.provided_checksum({"ChecksumSHA1": "x", "ChecksumCRC32": "y"})
    assert (
        err.value.message
        == "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
    )
