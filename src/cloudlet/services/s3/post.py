"""Browser POST uploads (``<form method="post" enctype="multipart/form-data">``) with a policy.

The botocore model has no operation for them (browsers, not SDKs, send them), so the S3
provider answers them here, in S3's order: the enclosure type, the ``key`` field, the
signature fields (an unsigned form is refused: buckets are not public), then the base64
policy (expiration on the service clock, see presign.py; ``eq`` / ``starts-with`` /
``content-length-range`` conditions); then the file is stored as PutObject stores it, with
the ``tagging`` field's Tagging document, the ``acl`` field as PutObject's ``x-amz-acl`` and
the encryption fields as PutObject's encryption headers. The answer is 204, or the
``success_action_status`` asked for (201 with S3's ``PostResponse`` document), with PutObject's
ETag and encryption headers, or a 303 to the ``success_action_redirect`` URL. Errors as recorded from real S3 (TestS3PresignedPost in
``test_s3.snapshot.json``); those of the ``acl`` and encryption fields are PutObject's.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import quote, urlencode, urlsplit, urlunsplit
from xml.sax.saxutils import escape

import orjson
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header

from cloudlet import spool
from cloudlet.gateway.signatures import (
    s3_expired_token,
    s3_mismatch,
    s3_unknown_key,
    same_signature,
    sigv2_signature,
    sigv4_signature,
)
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.errors import entity_too_large
from cloudlet.services.s3.wire import NOT_IN_HEADER, invalid_header_value

_POLICY_FAILED = "Invalid according to Policy: Policy Condition failed: "
_SIGV4_FIELDS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "Policy")
_SIGV2_FIELDS = ("AWSAccessKeyId", "Signature", "Policy")
_SIGNATURE_FIELDS = frozenset(n.lower() for n in (*_SIGV4_FIELDS, *_SIGV2_FIELDS))
# Fields a policy need not name (POST Object reference, "Creating a POST policy"); every other
# field must match a condition ("x-ignore-" fields excepted).
_UNCONDITIONED = frozenset({"x-amz-signature", "signature", "awsaccesskeyid", "file", "policy"})

if TYPE_CHECKING:
    from cloudlet.core.credentials import CredentialStore


MAX_FIELD_BYTES = 1024 * 1024  # form fields before the file, together (they are kept in memory)
_READ = 256 * 1024


class FormFile(spool.Body):
    """The ``file`` part of a form: in memory while small, then in a spool file."""

    __slots__ = ("filename",)

    def __init__(self, filename: str) -> None:
        super().__init__()
        self.filename = filename


class _FormParser:
    """Fields and the file of a multipart/form-data body, parsed as it is read."""

    def __init__(self, boundary: bytes) -> None:
        self.fields: dict[str, str] = {}
        self.file: FormFile | None = None
        self._field_bytes = 0
        self._header_name = b""
        self._header_value = b""
        self._headers: dict[bytes, bytes] = {}
        self._name: str | None = None
        self._value: list[bytes] = []
        self._done = False  # the file was read: S3 ignores what follows
        callbacks = {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_data,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }
        self.parser = MultipartParser(boundary, callbacks)  # type: ignore[arg-type]

    def _part_begin(self) -> None:
        self._headers, self._name, self._value = {}, None, []

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_data(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value.strip()
        self._header_name, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        if self._done:
            return
        _, params = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = params.get(b"name")
        self._name = name.decode("utf-8", "replace").lower() if name else None
        if self._name == "file":
            self.file = FormFile((params.get(b"filename") or b"").decode("utf-8", "replace"))

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._done or self._name is None:
            return
        if self._name == "file":
            assert self.file is not None
            self.file.write(data[start:end])
            return
        self._field_bytes += end - start
        if self._field_bytes > MAX_FIELD_BYTES:
            raise ServiceError(
                "MaxPostPreDataLengthExceeded",
                "Your POST request fields preceeding the upload file was too large.",  # message unverified
                400,
            )
        self._value.append(data[start:end])

    def _part_end(self) -> None:
        if self._done or self._name is None:
            return
        if self._name == "file":
            self._done = True
        else:
            self.fields[self._name] = b"".join(self._value).decode("utf-8", "replace")


def parse_form(content_type: str, source: IO[bytes]) -> tuple[dict[str, str], FormFile]:
    """(fields by lower-cased name, the file) of a multipart/form-data body read from ``source``.

    The body is parsed as it is read: the file's content goes to a spool file once it is
    large, so an upload of any size takes little memory. Close the file when done.
    """
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise _malformed()
    form = _FormParser(boundary)
    try:
        while chunk := source.read(_READ):
            form.parser.write(chunk)
            if form._done:
                break
        if not form._done:
            form.parser.finalize()
    except MultipartParseError:
        if form.file is not None:
            form.file.close()
        raise _malformed() from None
    except BaseException:
        if form.file is not None:
            form.file.close()
        raise
    if form.file is not None and not form._done:  # the file part never ended
        form.file.close()
        raise _malformed()
    if form.file is None:
        raise ServiceError(
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
            400,
            fields={"ArgumentName": "file", "ArgumentValue": "0"},
        )
    return form.fields, form.file


def _malformed() -> ServiceError:
    return ServiceError(
        "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.", 400
    )


def check_enclosure(content_type: str) -> None:
    """A POST to a bucket is a form upload only as ``multipart/form-data``."""
    if not content_type.lower().startswith("multipart/form-data"):
        raise ServiceError(
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
            412,
            fields={"Condition": "Bucket POST must be of the enclosure-type multipart/form-data"},
        )


def _missing_field(name: str) -> ServiceError:
    return ServiceError(
        "InvalidArgument",
        f"Bucket POST must contain a field named '{name}'.  If it is specified, please check the order of the "
        "fields.",
        400,
        fields={"ArgumentName": name, "ArgumentValue": ""},
    )


def check_key(fields: dict[str, str]) -> str:
    key = fields.get("key")
    if not key:
        raise _missing_field("key")
    return key


def check_signature_fields(
    fields: dict[str, str], credentials: CredentialStore | None = None, now: float | None = None
) -> None:
    """An anonymous form is refused (buckets are not public); a signed one needs every field
    of its signature version, in S3's order, and a signature of its policy that matches, when
    ``credentials`` know the secret of its access key (else it is not checked, unless every
    signature is: ``--verify-signatures``)."""
    if not _SIGNATURE_FIELDS & fields.keys():
        raise ServiceError("AccessDenied", "Access Denied", 403)
    v2 = "awsaccesskeyid" in fields or "signature" in fields
    for name in _SIGV2_FIELDS if v2 else _SIGV4_FIELDS:
        if not fields.get(name.lower()):
            raise _missing_field(name)
    if credentials is not None:
        _check_signature(fields, v2, credentials, now)


def _check_signature(
    fields: dict[str, str], v2: bool, credentials: CredentialStore, now: float | None
) -> None:
    """The policy (base64, as sent) is the string to sign: SigV4 with the form's credential
    scope, or SigV2's HMAC-SHA1. A mismatch is S3's SignatureDoesNotMatch without a canonical
    request (recorded: test_post_request_malformed_policy)."""
    policy = fields["policy"]
    if v2:
        access_key, provided = fields["awsaccesskeyid"], fields["signature"]
    else:
        access_key, _, scope = fields["x-amz-credential"].partition("/")
        provided = fields["x-amz-signature"]
    principal = credentials.lookup(access_key)  # the key itself first, as the gateway checks it
    if principal is not None and principal.revoked:
        raise s3_unknown_key(access_key)
    if principal is not None and now is not None and principal.expiration <= now:
        raise s3_expired_token(fields.get("x-amz-security-token", ""))
    secret = credentials.secret(access_key)
    if secret is None:
        if credentials.verify_all:
            raise s3_unknown_key(access_key)
        return
    expected = sigv2_signature(secret, policy) if v2 else sigv4_signature(secret, scope, policy)
    if expected is None or not same_signature(expected, provided):
        raise s3_mismatch(access_key, policy, provided)


def policy_of(fields: dict[str, str]) -> tuple[dict[str, Any], float | None]:
    """The decoded policy of a form and its expiration (None: none given)."""
    try:
        policy = orjson.loads(base64.b64decode(fields["policy"]))
    except (ValueError, orjson.JSONDecodeError):
        raise ServiceError("InvalidPolicyDocument", "Invalid Policy: Invalid JSON.", 400) from None
    expiration = policy.get("expiration")
    if not expiration:
        return policy, None
    try:
        return policy, datetime.fromisoformat(str(expiration).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ServiceError(
            "InvalidPolicyDocument",
            "Invalid Policy: Invalid 'expiration' value: '" + str(expiration) + "'",
            400,
        ) from None


def check_policy(
    policy: dict[str, Any], fields: dict[str, str], bucket: str, size: int, expired: bool
) -> None:
    """Refuse the upload unless its policy allows these fields (``expired``: on the service clock)."""
    if expired:
        raise ServiceError("AccessDenied", "Invalid according to Policy: Policy expired.", 403)
    values = {**fields, "bucket": bucket}
    named: set[str] = set()  # the fields the conditions name
    for condition in policy.get("conditions") or []:
        if isinstance(condition, dict):
            if len(condition) != 1:  # recorded: test_post_object_policy_conditions_validation_eq
                raise ServiceError(
                    "InvalidPolicyDocument",
                    "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one "
                    "property specified.",
                    400,
                )
            for name, wanted in condition.items():
                named.add(name.lower())
                if values.get(name.lower()) != wanted:
                    raise _failed(f'["eq", "${name}", "{wanted}"]')
            continue
        if not isinstance(condition, list) or not condition:
            continue
        op = str(condition[0]).lower()
        if op == "content-length-range" and len(condition) == 3:
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                raise entity_too_large(size, high)
            if size < low:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    400,
                    fields={"ProposedSize": str(size), "MinSizeAllowed": str(low)},
                )
            continue
        if op in ("eq", "starts-with") and len(condition) == 3:
            field = str(condition[1])
            failed = _failed(f'["{op}", "{condition[1]}", "{condition[2]}"]')
            if not field.startswith("$"):  # names no field (recorded: invalid-condition-missing-prefix)
                raise failed
            name = field[1:].lower()
            named.add(name)
            value = values.get(name, "")
            if (op == "eq" and value != condition[2]) or (
                op == "starts-with" and not value.startswith(condition[2])
            ):
                raise failed
    extra = sorted(
        name
        for name in fields
        if name not in named and name not in _UNCONDITIONED and not name.startswith("x-ignore-")
    )
    if extra:  # unverified: the wording as S3's users report it (one field); several fields' too
        raise ServiceError(
            "AccessDenied", "Invalid according to Policy: Extra input fields: " + ", ".join(extra), 403
        )


def _failed(condition: str) -> ServiceError:
    return ServiceError("AccessDenied", _POLICY_FAILED + condition, 403)


def success_redirect(fields: dict[str, str], bucket: str, key: str, etag: str) -> str | None:
    """Where a ``success_action_redirect`` field sends the browser: its URL with ``bucket``,
    ``key`` and ``etag`` added to the query (POST Object reference); None without the field
    or when it is no http(s) URL ("If Amazon S3 cannot interpret the URL, it acts as if the
    field is not present"). The encoding of the added parameters is unverified."""
    url = fields.get("success_action_redirect") or ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or NOT_IN_HEADER.search(url):
        return None
    added = urlencode({"bucket": bucket, "key": key, "etag": etag}, quote_via=quote)  # unverified encoding
    return urlunsplit(parts._replace(query=f"{parts.query}&{added}" if parts.query else added))


def success_status(fields: dict[str, str]) -> int:
    """The status a ``success_action_status`` field asks for: 200 or 201, else S3's 204."""
    status = fields.get("success_action_status")
    return int(status) if status in ("200", "201") else 204


def post_response(bucket: str, key: str, etag: str, location: str) -> bytes:
    """The document of a ``success_action_status=201`` answer."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
        f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
        f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
    ).encode()


# form fields that are PutObject parameters as they are (POST Object reference, "Form fields")
_PARAMS = {
    "acl": "ACL",
    "content-type": "ContentType",
    "cache-control": "CacheControl",
    "content-disposition": "ContentDisposition",
    "content-encoding": "ContentEncoding",
    "expires": "Expires",
    "x-amz-server-side-encryption": "ServerSideEncryption",
    "x-amz-server-side-encryption-aws-kms-key-id": "SSEKMSKeyId",
    "x-amz-server-side-encryption-context": "SSEKMSEncryptionContext",
    "x-amz-server-side-encryption-customer-algorithm": "SSECustomerAlgorithm",
    "x-amz-server-side-encryption-customer-key": "SSECustomerKey",
    "x-amz-server-side-encryption-customer-key-md5": "SSECustomerKeyMD5",
}


def object_params(fields: dict[str, str]) -> dict[str, Any]:
    """PutObject parameters carried by form fields: the canned ACL (``acl``, checked as
    PutObject's ``x-amz-acl``), content headers, user metadata, the encryption fields (the
    ``tagging`` field is a Tagging XML document, read by the provider).

    These are answered as headers, which a header could not have carried: a field with
    control characters is refused, and metadata outside printable US-ASCII is stored
    RFC 2047-encoded, as S3 answers it ("Working with object metadata").
    """
    params: dict[str, Any] = {}
    for name, value in fields.items():
        if name in _PARAMS:
            if NOT_IN_HEADER.search(value):
                raise invalid_header_value(name, value)
            params[_PARAMS[name]] = value
    bucket_key = fields.get("x-amz-server-side-encryption-bucket-key-enabled")
    if bucket_key is not None:
        params["BucketKeyEnabled"] = bucket_key.strip().lower() == "true"
    metadata = {}
    for name, value in fields.items():
        if name.startswith("x-amz-meta-"):
            key = name[len("x-amz-meta-") :]
            if not _TOKEN.match(key):
                raise invalid_header_value(name, value)  # a name no header could carry
            metadata[key] = (
                value  # stored as given: answers encode it as S3 does (wire.encode_metadata_value)
            )
    if metadata:
        params["Metadata"] = metadata
    return params


_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+\Z")  # field names arrive lower-cased
