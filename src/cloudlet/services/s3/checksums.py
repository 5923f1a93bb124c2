"""S3's checksums and ETags: streaming hashers, multipart combination, and S3's digest errors.

Pure functions and small hasher objects, no I/O. What the S3 provider does with them:

- ``PutObject``/``UploadPart``: feed the body through :func:`new_hasher` objects (MD5 for the
  ETag, plus the requested or default checksum algorithm) while :mod:`.blobs` writes it, then
  :func:`check_content_md5` and :func:`check_checksum` against what the client sent.
- ``CreateMultipartUpload``: :func:`checksum_type_for` validates the algorithm/type pair and
  gives the type S3 defaults to.
- ``CompleteMultipartUpload``: :func:`multipart_etag` of the part MD5s and
  :func:`multipart_checksum` of the part checksums, without re-reading the data.
- ``CopyObject``: the source's FULL_OBJECT checksum, else one computed with :func:`new_hasher`
  over the body, or combined from a composite source's part CRCs (:func:`combine_full_object`).

Algorithms as S3 spells them are in :data:`ALGORITHMS`; MD5 is a hasher here (for ETags and
Content-MD5) but not one of S3's ``x-amz-checksum-*`` algorithms. botocore's model also lists
SHA512, MD5 and the XXHASH family, which S3 refused as of the recordings (February 2026):
"Checksum algorithm provided is unsupported. Please try again with any of the valid types:
[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]".

Every CRC here is reflected with all-ones init and final xor, and its digest is the CRC
as a big-endian integer (4 bytes for CRC32/CRC32C, 8 for CRC64NVME), base64-encoded on the
wire, as S3 renders them. CRC32 comes from ``zlib``; CRC32C and CRC64NVME from ``awscrt``
(the AWS Common Runtime botocore itself uses for them; several GB/s). CRC combination uses
``awscrt``'s ``combine_*`` functions when the installed version has them (recent ones do),
else the polynomial arithmetic in :class:`_CrcMath`.

Sources: the S3 API reference and user guide (checksum types, the ``-N`` suffix of composite
checksums, the multipart ETag), and the responses recorded from real S3 in
``aws-reference/s3/test_s3.snapshot.json`` (values, error codes and messages; see the tests).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cache, lru_cache
from types import ModuleType
from typing import Any, Protocol

from cloudlet.protocol.errors import ServiceError

CRC32 = "CRC32"
CRC32C = "CRC32C"
CRC64NVME = "CRC64NVME"
SHA1 = "SHA1"
SHA256 = "SHA256"
MD5 = "MD5"

ALGORITHMS: tuple[str, ...] = (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)
"""S3's ``x-amz-checksum-*`` algorithms, in the order S3 lists them in its errors."""

DEFAULT_ALGORITHM = CRC64NVME
"""The checksum S3 computes and stores for an object uploaded without one."""

HEADERS: dict[str, str] = {a: f"x-amz-checksum-{a.lower()}" for a in ALGORITHMS}
"""Algorithm -> request/response header (``x-amz-checksum-crc32``…)."""

MEMBERS: dict[str, str] = {a: f"Checksum{a}" for a in ALGORITHMS}
"""Algorithm -> the member name in S3's model shapes (``ChecksumCRC32``…)."""

DIGEST_SIZES: dict[str, int] = {CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32, MD5: 16}

COMPOSITE = "COMPOSITE"
FULL_OBJECT = "FULL_OBJECT"

CHECKSUM_TYPES: dict[str, frozenset[str]] = {
    CRC32: frozenset((COMPOSITE, FULL_OBJECT)),
    CRC32C: frozenset((COMPOSITE, FULL_OBJECT)),
    CRC64NVME: frozenset((FULL_OBJECT,)),
    SHA1: frozenset((COMPOSITE,)),
    SHA256: frozenset((COMPOSITE,)),
}
"""Which multipart checksum types S3 allows with each algorithm (the SHAs cannot be combined
into a whole-object value, and S3 does not offer a composite CRC64NVME)."""

DEFAULT_CHECKSUM_TYPE: dict[str, str] = {
    CRC32: COMPOSITE,
    CRC32C: COMPOSITE,
    CRC64NVME: FULL_OBJECT,
    SHA1: COMPOSITE,
    SHA256: COMPOSITE,
}
"""The type ``CreateMultipartUpload`` takes when the request names an algorithm but no type."""


# --------------------------------------------------------------------------- hashers


class Hasher(Protocol):
    """A running digest: :func:`new_hasher` returns one for every algorithm."""

    algorithm: str  # as S3 spells it (``"CRC32"``…; ``"MD5"``)
    digest_size: int

    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...

    def digest(self) -> bytes: ...


class _CrcHasher:
    __slots__ = ("_crc", "_fn", "algorithm", "digest_size")

    def __init__(self, algorithm: str, fn: Callable[[Any, int], int], size: int) -> None:
        self.algorithm = algorithm
        self.digest_size = size
        self._fn = fn
        self._crc = 0

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self._crc = self._fn(data, self._crc)

    def digest(self) -> bytes:
        return self._crc.to_bytes(self.digest_size, "big")

    def take(self, state: int) -> None:
        """Continue from ``state``, the CRC of the same bytes computed elsewhere."""
        self._crc = state


class _HashlibHasher:
    __slots__ = ("_h", "algorithm", "digest_size")

    def __init__(self, algorithm: str) -> None:
        self.algorithm = algorithm
        self._h = hashlib.new(algorithm.lower())
        self.digest_size = self._h.digest_size

    def update(self, data: bytes | bytearray | memoryview, /) -> None:
        self._h.update(data)

    def digest(self) -> bytes:
        return self._h.digest()

    def take(self, state: Any) -> None:
        """Continue from ``state``, a hashlib object of this algorithm that digested the same bytes."""
        self._h = state.copy()


@cache
def _crt() -> ModuleType:
    """``awscrt.checksums``, imported on first use: loading its native library takes ~70 ms."""
    from awscrt import checksums

    return checksums


def _crc_function(algorithm: str) -> Callable[[Any, int], int] | None:
    if algorithm == CRC32:
        return zlib.crc32
    if algorithm == CRC32C:
        return _crt().crc32c
    if algorithm == CRC64NVME:
        return _crt().crc64nvme
    return None


def canonical(algorithm: str) -> str:
    """``algorithm`` as S3 spells it (S3's messages use lower case, its enums upper case);
    ``ValueError`` for one this module does not know."""
    name = algorithm.upper()
    if name not in DIGEST_SIZES:
        raise ValueError(f"unknown checksum algorithm {algorithm!r}")
    return name


def requested(algorithm: str) -> str:
    """A checksum algorithm a request names (``x-amz-checksum-algorithm``), as S3 spells it;
    S3's error for one it does not support (MD5 included: a hasher here, not an S3 checksum)."""
    name = algorithm.upper()
    if name not in ALGORITHMS:
        raise unsupported_algorithm()
    return name


def new_hasher(algorithm: str) -> Hasher:
    """A streaming hasher for ``algorithm`` (one of :data:`ALGORITHMS`, or ``"MD5"``)."""
    name = canonical(algorithm)
    fn = _crc_function(name)
    if fn is not None:
        return _CrcHasher(name, fn, DIGEST_SIZES[name])
    return _HashlibHasher(name)


def compute(algorithm: str, data: bytes | bytearray | memoryview) -> bytes:
    """The digest of ``data`` in one call."""
    h = new_hasher(algorithm)
    h.update(data)
    return h.digest()


def b64(digest: bytes) -> str:
    """A digest as S3 writes it in headers and bodies."""
    return base64.b64encode(digest).decode("ascii")


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):  # ValueError: non-ASCII text
        return None


# --------------------------------------------------------------------------- ETags


def etag(md5_digest: bytes) -> str:
    """The ETag of a single-request upload, quoted as S3 returns it."""
    return f'"{md5_digest.hex()}"'


def multipart_etag(part_md5_digests: Sequence[bytes]) -> str:
    """The ETag of a completed multipart upload: the MD5 of the parts' binary MD5s, in part
    order, then ``-<number of parts>``; quoted as S3 returns it."""
    whole = hashlib.md5(b"".join(part_md5_digests)).hexdigest()
    return f'"{whole}-{len(part_md5_digests)}"'


# --------------------------------------------------------------------------- multipart checksums


class _CrcMath:
    """Arithmetic on a reflected CRC's values as polynomials modulo its generator.

    Bit ``width-1`` of a value stands for x^0 and bit 0 for x^(width-1) (the reflected order
    the CRC registers use). For these CRCs (all-ones init and xor-out),
    ``crc(A + B) = crc(A) * x^(8*len(B)) mod P  xor  crc(B)``, so combining needs one
    modular multiplication by a power of x, found by squaring from a table of x^(2^k).
    """

    def __init__(self, width: int, poly: int) -> None:
        self.width = width
        self.poly = _reflect(poly, width)
        self.one = 1 << (width - 1)
        self._x2k = [self.one >> 1]  # x^(2^0) = x

    def multiply(self, a: int, b: int) -> int:
        product, bit, poly = 0, self.one, self.poly
        while a:
            if a & bit:
                product ^= b
                a ^= bit
            bit >>= 1
            b = (b >> 1) ^ poly if b & 1 else b >> 1
        return product

    def x_power(self, exponent: int) -> int:
        """x^exponent mod P."""
        result, k = self.one, 0
        while exponent:
            while k >= len(self._x2k):
                last = self._x2k[-1]
                self._x2k.append(self.multiply(last, last))
            if exponent & 1:
                result = self.multiply(self._x2k[k], result)
            exponent >>= 1
            k += 1
        return result

    def combine(self, crc1: int, crc2: int, length2: int) -> int:
        return self.multiply(_shift_factor(self, length2), crc1) ^ crc2


@lru_cache(maxsize=256)
def _shift_factor(math: _CrcMath, length: int) -> int:
    # Parts of a multipart upload mostly share one size: one power per size, not per part.
    return math.x_power(8 * length)


def _reflect(value: int, width: int) -> int:
    return int(f"{value:0{width}b}"[::-1], 2)


_CRC_MATH: dict[str, _CrcMath] = {
    CRC32: _CrcMath(32, 0x04C11DB7),
    CRC32C: _CrcMath(32, 0x1EDC6F41),
    CRC64NVME: _CrcMath(64, 0xAD93D23594C93659),
}

_USE_CRT_COMBINE = True  # tests turn it off to exercise _CrcMath


def _crt_combine(algorithm: str) -> Callable[[int, int, int], int] | None:
    """awscrt's combine function for ``algorithm``, where the installed awscrt has one."""
    if not _USE_CRT_COMBINE:
        return None
    return getattr(_crt(), f"combine_{algorithm.lower()}", None)


def combine_crc(algorithm: str, crc1: int, crc2: int, length2: int) -> int:
    """The CRC of ``A + B`` from ``crc(A)``, ``crc(B)`` and ``len(B)``."""
    fn = _crt_combine(algorithm)
    return fn(crc1, crc2, length2) if fn is not None else _CRC_MATH[algorithm].combine(crc1, crc2, length2)


def combine_full_object(algorithm: str, parts: Iterable[tuple[bytes, int]]) -> bytes:
    """The checksum of the whole object from its parts' ``(digest, size)``, in part order
    (FULL_OBJECT; CRC algorithms only)."""
    name = canonical(algorithm)
    if name not in _CRC_MATH:
        raise ValueError(f"{name} checksums cannot be combined into a full-object checksum")
    size = DIGEST_SIZES[name]
    crc = 0  # the CRC of no data
    for digest, length in parts:
        crc = combine_crc(name, crc, int.from_bytes(digest, "big"), length)
    return crc.to_bytes(size, "big")


def combine_composite(algorithm: str, part_digests: Iterable[bytes]) -> bytes:
    """The checksum of the concatenated binary part checksums, in part order (COMPOSITE)."""
    h = new_hasher(algorithm)
    for digest in part_digests:
        h.update(digest)
    return h.digest()


def multipart_checksum(algorithm: str, checksum_type: str, parts: Sequence[tuple[bytes, int]]) -> str:
    """The object checksum of a completed multipart upload from its parts' ``(digest, size)``,
    as ``CompleteMultipartUpload``, ``GetObject`` and ``HeadObject`` answer it: ``<base64>-<parts>``
    for COMPOSITE, plain ``<base64>`` for FULL_OBJECT. (``GetObjectAttributes`` answers a
    composite value without the ``-<parts>`` suffix.)"""
    if checksum_type == COMPOSITE:
        return f"{b64(combine_composite(algorithm, (d for d, _ in parts)))}-{len(parts)}"
    if checksum_type == FULL_OBJECT:
        return b64(combine_full_object(algorithm, parts))
    raise ValueError(f"unknown checksum type {checksum_type!r}")


# --------------------------------------------------------------------------- S3's errors


def _invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def unsupported_algorithm() -> ServiceError:
    return _invalid_request(
        "Checksum algorithm provided is unsupported. Please try again with any of the valid types: "
        f"[{', '.join(ALGORITHMS)}]"
    )


def checksum_type_for(algorithm: str | None, checksum_type: str | None) -> str | None:
    """The checksum type of a new multipart upload (``CreateMultipartUpload``'s
    ``ChecksumAlgorithm`` and ``ChecksumType``): the one asked for, else S3's default for the
    algorithm; ``None`` with neither. Raises S3's ``InvalidRequest`` for a pair it refuses."""
    if not algorithm:
        if checksum_type:
            raise _invalid_request(
                "The x-amz-checksum-type header can only be used with the x-amz-checksum-algorithm header."
            )
        return None
    name = algorithm.upper()
    if name not in CHECKSUM_TYPES:
        raise unsupported_algorithm()
    if not checksum_type:
        return DEFAULT_CHECKSUM_TYPE[name]
    if checksum_type not in CHECKSUM_TYPES[name]:
        raise _invalid_request(
            f"The {checksum_type} checksum type cannot be used with the {name.lower()} checksum algorithm."
        )
    return checksum_type


def provided_checksum(params: Mapping[str, Any]) -> tuple[str, str] | None:
    """The ``(algorithm, value)`` of the one ``x-amz-checksum-*`` value in parsed request
    parameters (``ChecksumCRC32``…), or ``None``; S3's ``InvalidRequest`` for several."""
    found = [(a, params[m]) for a, m in MEMBERS.items() if params.get(m) is not None]
    if len(found) > 1:
        raise _invalid_request(
            "Expecting a single x-amz-checksum- header. Multiple checksum Types are not allowed."
        )
    return found[0] if found else None


def decode_checksum(algorithm: str, header_value: str) -> bytes:
    """The digest an ``x-amz-checksum-<algorithm>`` value carries; S3's ``InvalidRequest``
    when it is not base64 of a digest of that algorithm's size. Check this before reading a
    body: S3 refuses a malformed value whatever the body."""
    name = canonical(algorithm)
    digest = _b64decode(header_value)
    if digest is None or len(digest) != DIGEST_SIZES[name]:
        raise _invalid_request(f"Value for x-amz-checksum-{name.lower()} header is invalid.")
    return digest


def check_checksum(algorithm: str, header_value: str, actual: bytes) -> None:
    """Compare the ``x-amz-checksum-<algorithm>`` a client sent with the digest of what was
    received (``PutObject``, ``UploadPart``): ``InvalidRequest`` when the value is malformed,
    ``BadDigest`` when it differs."""
    name = canonical(algorithm)
    if decode_checksum(name, header_value) != actual:
        raise ServiceError(
            "BadDigest", f"The {name} you specified did not match the calculated checksum.", 400
        )


def multipart_checksum_mismatch(algorithm: str) -> ServiceError:
    """``CompleteMultipartUpload``: the whole-object checksum the request gave differs."""
    name = canonical(algorithm).lower()
    return ServiceError("BadDigest", f"The {name} you specified did not match the calculated checksum.", 400)


def part_checksum_mismatch(algorithm: str, part_number: int) -> ServiceError:
    """``CompleteMultipartUpload``: a part's checksum in the request differs from the part's."""
    name = canonical(algorithm).lower()
    return ServiceError(
        "BadDigest", f"The {name} you specified for part {part_number} did not match what we received.", 400
    )


def decode_content_md5(header_value: str) -> bytes:
    """The digest a ``Content-MD5`` header carries; S3's ``InvalidDigest`` when it is not
    base64 of 16 bytes. Check this before reading a body."""
    digest = _b64decode(header_value)
    if digest is None or len(digest) != DIGEST_SIZES[MD5]:
        raise ServiceError(
            "InvalidDigest",
            "The Content-MD5 you specified was invalid.",
            400,
            fields={"Content-MD5": header_value},
        )
    return digest


def check_content_md5(header_value: str, actual_md5: bytes, *, expected_form: str = "hex") -> None:
    """Compare a ``Content-MD5`` header with the MD5 of what was received: ``InvalidDigest``
    when malformed, ``BadDigest`` when it differs.

    S3's ``BadDigest`` carries ``CalculatedDigest`` (base64) and ``ExpectedDigest``: in hex for
    ``PutObject`` (``expected_form="hex"``), as the header was sent for ``UploadPart``
    (``expected_form="base64"``), as recorded from real S3.
    """
    expected = decode_content_md5(header_value)
    if expected != actual_md5:
        raise ServiceError(
            "BadDigest",
            "The Content-MD5 you specified did not match what we received.",
            400,
            fields={
                "CalculatedDigest": b64(actual_md5),
                "ExpectedDigest": expected.hex() if expected_form == "hex" else header_value,
            },
        )
