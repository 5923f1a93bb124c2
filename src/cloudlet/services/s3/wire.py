"""Pieces of S3 requests and answers the provider's modules share: owners, stored headers,
byte ranges and copy sources."""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, unquote

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.gateway.request import Request

CONTENT_HEADERS = ("CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "ContentType")
MAX_METADATA_BYTES = 2048
_RANGE = re.compile(r"bytes=(\d*)-(\d*)\Z")
_COPY_RANGE = re.compile(r"bytes=(\d+)-(\d+)\Z")
_VERSION_ID = re.compile(r"[0-9a-f]{32}\Z")


def owner_of(account: str) -> dict[str, str]:
    """The Owner element S3 gives for an account's buckets and objects, and an ACL's grantee:
    the canonical user id alone (S3 no longer answers a DisplayName there: recorded 2026,
    list-buckets, get-bucket-acl)."""
    return {"ID": canonical_user_id(account)}


def initiator_of(account: str) -> dict[str, str]:
    """The Initiator of a multipart upload, which still carries a DisplayName (recorded 2026,
    list-parts, list-multiparts)."""
    return {"ID": canonical_user_id(account), "DisplayName": "webfile"}


def headers_meta(params: dict[str, Any], from_headers: bool = True) -> dict[str, Any]:
    """The content headers, user metadata and website redirect a write stores with an object.

    User metadata that came as headers is read as S3 reads it (:func:`decode_metadata_value`);
    ``from_headers=False`` keeps values as given (browser form fields). It is limited to 2 KB:
    the UTF-8 bytes of every key and value (S3 user guide, "Working with object metadata").
    """
    meta: dict[str, Any] = {n: params[n] for n in CONTENT_HEADERS if params.get(n) is not None}
    if params.get("WebsiteRedirectLocation") is not None:
        meta["WebsiteRedirectLocation"] = params["WebsiteRedirectLocation"]
    if params.get("Metadata"):
        read = decode_metadata_value if from_headers else str
        meta["Metadata"] = {k.lower(): read(v) for k, v in params["Metadata"].items()}
        size = sum(len(k.encode()) + len(v.encode()) for k, v in meta["Metadata"].items())
        if size > MAX_METADATA_BYTES:
            raise ServiceError(
                "MetadataTooLarge",
                "Your metadata headers exceed the maximum allowed metadata size",  # message unverified
                400,
                fields={"Size": str(size), "MaxSizeAllowed": str(MAX_METADATA_BYTES)},
            )
    return meta


# ---- user metadata values (S3 user guide, "Working with object metadata": values are decoded
# as RFC 2047 when stored and encoded as RFC 2047 when answered, unless plain US-ASCII)

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"(?<=\?=)\s+(?==\?)")
_PLAIN = re.compile(r"[\t\x20-\x7e]*\Z")
_Q_SPECIALS = frozenset(b"=_?")
_WORD_TEXT = 63  # 75 characters an encoded-word may have, less "=?UTF-8?Q?" and "?="


def decode_metadata_value(value: str) -> str:
    """A user metadata header value as S3 stores it: its bytes read as UTF-8 (what is not
    UTF-8 becomes U+FFFD), then its RFC 2047 encoded-words decoded (recorded:
    test_user_metadata_rfc2047_encoded, test_put_unicode_metadata_with_sig_s3)."""
    if max(map(ord, value), default=0) <= 0xFF:  # a header's bytes (they arrive as latin-1)
        text = value.encode("latin-1").decode("utf-8", "replace")
    else:  # already text (not from a header)
        text = value
    if "=?" not in text:
        return text
    return _ENCODED_WORD.sub(_decode_word, _BETWEEN_WORDS.sub("", text))


def _decode_word(found: re.Match[str]) -> str:
    charset, encoding, text = found[1], found[2].upper(), found[3]
    try:
        codecs.lookup(charset)
        if encoding == "B":
            raw = base64.b64decode(text + "=" * (-len(text) % 4))
        else:
            raw = re.sub(
                rb"=([0-9A-Fa-f]{2})", lambda m: bytes([int(m[1], 16)]), text.replace("_", " ").encode()
            )
    except (LookupError, binascii.Error, ValueError):
        return found[0]  # unverified: what S3 keeps of a word it cannot decode
    return raw.decode(charset, "replace")


def encode_metadata_value(value: str) -> str:
    """A stored user metadata value as S3 answers it: printable US-ASCII (and tab) as it is,
    anything else RFC 2047-encoded in UTF-8, Q-encoded when most characters are printable
    ASCII, else B-encoded (recorded: test_user_metadata_rfc2047_encoded, ..._bad_b64_encoded,
    test_post_object_with_unicode_metadata: ``=?UTF-8?Q?...?=`` with ``_`` for a space and
    ``=XX`` for ``=``, ``_``, ``?`` and what is not printable ASCII). A value longer than one
    encoded-word holds is split in halves into several, separated by a space (unverified)."""
    if _PLAIN.match(value):
        return value
    other = sum(1 for c in value if not ("\x20" <= c <= "\x7e" or c in "\t\r\n"))
    b_encoding = other * 2 >= len(value)
    words: list[str] = []
    _encode_words(value, b_encoding, words)
    return " ".join(words)


def _encode_words(text: str, b_encoding: bool, words: list[str]) -> None:
    raw = text.encode("utf-8", "replace")
    size = (len(raw) + 2) // 3 * 4 if b_encoding else sum(1 if _q_plain(b) else 3 for b in raw)
    if size > _WORD_TEXT and len(text) > 1:  # unverified: S3's split of a long value
        half = len(text) // 2
        _encode_words(text[:half], b_encoding, words)
        _encode_words(text[half:], b_encoding, words)
        return
    if b_encoding:
        words.append(f"=?UTF-8?B?{base64.b64encode(raw).decode()}?=")
    else:
        body = "".join("_" if b == 0x20 else chr(b) if _q_plain(b) else f"={b:02X}" for b in raw)
        words.append(f"=?UTF-8?Q?{body}?=")


def _q_plain(byte: int) -> bool:
    return 0x20 <= byte < 0x7F and byte not in _Q_SPECIALS


# Characters no header value may carry: control characters but tab (CR and LF would start
# a header line of their own).
NOT_IN_HEADER = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
_OVERRIDES = {
    f"Response{name}": "response-" + re.sub(r"(?<!^)(?=[A-Z])", "-", name).lower()
    for name in (*CONTENT_HEADERS, "Expires")
}


def check_overrides(params: dict[str, Any]) -> None:
    """Refuse ``response-*`` overrides of GetObject/HeadObject that no header can carry, as
    S3 refuses a value outside ISO-8859-1 (recorded: InvalidArgument "Header value cannot be
    represented using ISO-8859-1.", naming the query parameter)."""
    for member, name in _OVERRIDES.items():
        value = params.get(member)
        if not isinstance(value, str):
            continue  # ResponseExpires, parsed as a date
        if NOT_IN_HEADER.search(value):
            raise invalid_header_value(name, value)
        if max(map(ord, value), default=0) > 0xFF:
            raise ServiceError(
                "InvalidArgument",
                "Header value cannot be represented using ISO-8859-1.",
                400,
                fields={"ArgumentName": name, "ArgumentValue": value},
            )


def invalid_header_value(name: str, value: str) -> ServiceError:
    """S3's refusal of an argument with control characters, bound for a header."""
    return ServiceError(
        "InvalidArgument",
        "Header value cannot contain control characters.",  # message unverified
        400,
        fields={"ArgumentName": name, "ArgumentValue": value},
    )


def is_version_id(value: str) -> bool:
    """Whether ``value`` could name a version: "null", or an id as this service issues them.

    Version ids are 32 hex digits (see ``S3Provider.new_version``); S3 refuses one it could
    not have issued with ``InvalidArgument`` rather than ``NoSuchVersion``.
    """
    return value == "null" or _VERSION_ID.match(value) is not None


def invalid_version_id(value: str) -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        "Invalid version id specified",
        400,
        fields={"ArgumentName": "versionId", "ArgumentValue": value},
    )


def canonical_user_id(account: str) -> str:
    """A stable 64-hex canonical user id for an account."""
    return hashlib.sha256(f"cloudlet-canonical-{account}".encode()).hexdigest()


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """[start, end) of a ``Range: bytes=...`` header; None for no (or an ignored) range."""
    if not header:
        return None
    found = _RANGE.match(header.strip())
    if found is None:
        return None  # S3 ignores ranges it does not understand (several ranges, other units)
    first, last = found.groups()
    if not first and not last:
        return None
    if not first:
        length = int(last)
        if length == 0:
            raise unsatisfiable(header, size)
        return max(0, size - length), size
    start = int(first)
    end = size if not last else min(int(last) + 1, size)
    if start >= size or (last and int(last) < start):
        if last and int(last) < start:
            return None  # an invalid range is ignored, as by S3
        raise unsatisfiable(header, size)
    return start, end


def unsatisfiable(header: str, size: int) -> ServiceError:
    return ServiceError(
        "InvalidRange",
        "The requested range is not satisfiable",
        416,
        fields={"RangeRequested": header, "ActualObjectSize": str(size)},
    )


def copy_source(value: str) -> tuple[str, str, str | None]:
    """(bucket, key, version id) of an ``x-amz-copy-source`` header."""
    text, _, query = value.partition("?")
    text = unquote(text).lstrip("/")
    bucket, _, key = text.partition("/")
    version = None
    if query.startswith("versionId="):
        version = unquote(query[len("versionId=") :])
    if not bucket or not key:
        raise ServiceError(
            "InvalidArgument",
            "Invalid copy source object key",
            400,
            # as recorded (test_s3_copy_object_wrong_format): the header's name, not its value
            fields={"ArgumentName": "x-amz-copy-source", "ArgumentValue": "x-amz-copy-source"},
        )
    return bucket, key, version


def copy_source_range(header: str, size: int) -> tuple[int, int]:
    """[start, end) of an ``x-amz-copy-source-range`` (``bytes=first-last``, both given)."""
    found = _COPY_RANGE.match(header)
    if found is None or int(found[2]) < int(found[1]):
        raise ServiceError(
            "InvalidArgument",
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are "
            "the zero-based offsets of the first and last bytes to copy",
            400,
            fields={"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": header},
        )
    first, last = int(found[1]), int(found[2])
    if first >= size:
        raise ServiceError(
            "InvalidRequest", "The specified copy range is invalid for the source object size", 400
        )
    if last >= size:
        raise ServiceError(
            "InvalidArgument",
            f"Range specified is not valid for source object of size: {size}",
            400,
            fields={"ArgumentName": "x-amz-copy-source-range", "ArgumentValue": header},
        )
    return first, last + 1


def object_url(request: Request | None, bucket: str, key: str) -> str:
    """The URL of an object as S3 answers it (CompleteMultipartUpload's and a POST upload's
    ``Location``), in the addressing style of the request: ``http://bucket.s3.…/key`` for a
    virtual-hosted one, ``http://host/bucket/key`` for a path-style one; the key URL-encoded,
    ``/`` too (recorded: test_multipart_with_unicode_character_location,
    test_post_object_with_unicode_metadata; the encoded ``/`` is unverified)."""
    path = quote(key, safe="")  # unverified: "/" encoded too
    if request is None:
        return f"/{quote(bucket, safe='')}/{path}"
    host = request.host or "localhost"
    if host.lower().startswith(bucket.lower() + "."):
        return f"{request.scheme}://{host}/{path}"
    return f"{request.scheme}://{host}/{quote(bucket, safe='')}/{path}"
