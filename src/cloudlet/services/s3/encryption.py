"""Server-side encryption of objects, as S3 answers it (nothing is encrypted on disk).

Every object S3 stores is encrypted, and its object operations say how: PutObject, CopyObject,
CreateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload, GetObject and
HeadObject answer ``x-amz-server-side-encryption`` (``AES256`` unless the object was written
otherwise), with the KMS key and the Bucket Key setting for SSE-KMS, or the algorithm and key
MD5 of an SSE-C object (recorded in ``aws-reference/s3``: every such answer carries
``ServerSideEncryption``; ``test_s3_sse_*``, ``TestS3BucketEncryption``, ``TestS3SSECEncryption``).

What an object is written with: the request's encryption (``x-amz-server-side-encryption`` and
its KMS headers, or SSE-C's three headers), else the bucket's default encryption configuration at
that moment (PutObject / CopyObject API reference: the request takes precedence; a copy gets the
destination bucket's default, not its source's). It is kept in the object's meta under
``Encryption`` and answered by later reads whatever the bucket's default has become since
(``test_s3_sse_bucket_key_default``: get-obj-default-after-setting). SSE-S3 is not kept: an
object without it, including every object stored before encryption was answered, is SSE-S3.

SSE-KMS: the key a write names (key id, key ARN, alias or alias ARN), else the bucket default's,
else the account's AWS managed key ``alias/aws/s3`` (created on first use), is resolved through
Cloudlet's KMS at each write and answered as its key ARN (``test_s3_bucket_encryption_sse_kms``,
``test_s3_sse_default_kms_key``); a key KMS does not know, disabled or pending deletion fails the
write with KMS's error under S3's ``KMS.`` prefix (``test_s3_sse_validate_kms_key``,
``test_s3_sse_validate_kms_key_state``), and so does a read of the object's data while its key is
not usable. The Bucket Key setting is the request's, else the bucket default's, and is answered
only when on; it does not apply to SSE-S3 or DSSE-KMS (user guide, "Reducing the cost of SSE-KMS
with Amazon S3 Bucket Keys").

SSE-C: the key is checked (AES256 only, 256 bits, its MD5) and only its MD5 is kept; reads must
give the same key. The messages are S3's, recorded in ``TestS3SSECEncryption``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.arn import parse_arn, partition_for
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.configs import DEFAULT_ENCRYPTION, ENCRYPTION
from cloudlet.services.s3.errors import invalid_argument

if TYPE_CHECKING:
    from cloudlet.services.kms.interface import KeyService
    from cloudlet.services.s3.store import Bucket

META_KEY = "Encryption"  # in an object's (or an upload's) meta: what it was written with
SSE_S3 = "AES256"
KMS = "aws:kms"
DSSE_KMS = "aws:kms:dsse"
ALGORITHMS = (SSE_S3, KMS, DSSE_KMS)
CUSTOMER = "SSECustomer"  # member prefix of SSE-C's headers
COPY_SOURCE_CUSTOMER = "CopySourceSSECustomer"  # the same for a copy's source
# what a POST upload's answer tells of the object's encryption (POST Object reference: no context)
ANSWERED = (
    "ServerSideEncryption",
    "SSEKMSKeyId",
    "BucketKeyEnabled",
    "SSECustomerAlgorithm",
    "SSECustomerKeyMD5",
)
_ARGUMENT = "x-amz-server-side-encryption"  # S3 names this argument in all of SSE-C's errors


# ---- errors ---------------------------------------------------------------------------------


def _invalid_argument(message: str, value: str | None = None, name: str = _ARGUMENT) -> ServiceError:
    return invalid_argument(message, name, value)


def invalid_algorithm(algorithm: str) -> ServiceError:
    """An SSE-C algorithm other than AES256 (recorded: put-obj-sse-c-wrong-algo,
    get-obj-sse-c-wrong-algo, get-obj-attrs-sse-c-wrong-algo, copy-obj-wrong-*-sse-c-algo)."""
    return ServiceError(
        "InvalidEncryptionAlgorithmError",
        "The Encryption request you specified is not valid. Supported value: AES256.",
        400,
        fields={"ArgumentName": _ARGUMENT, "ArgumentValue": algorithm},
    )


def _stored_encrypted() -> ServiceError:
    # recorded: get-obj-no-sse-c, copy-obj-no-src-sse-c, get-obj-no-sse-c-param
    return ServiceError(
        "InvalidRequest",
        "The object was stored using a form of Server Side Encryption. The correct parameters must be "
        "provided to retrieve the object.",
        400,
    )


def _wrong_key() -> ServiceError:
    # recorded: get-obj-sse-c-wrong-key, get-obj-sse-c-last-version-wrong-key
    return ServiceError(
        "AccessDenied",
        "Requests specifying Server Side Encryption with Customer provided keys must provide the correct "
        "secret key.",
        403,
    )


def _not_applicable() -> ServiceError:
    # SSE-C headers reading an object that is not SSE-C (not recorded; S3's answer as quoted in
    # boto/boto3#982 and aws/aws-sdk-go#2724)
    return ServiceError("InvalidRequest", "The encryption parameters are not applicable to this object.", 400)


# ---- SSE-C keys ------------------------------------------------------------------------------


def customer_key(params: dict[str, Any], prefix: str = CUSTOMER, *, reading: bool = False) -> str | None:
    """The base64 MD5 of the SSE-C key a request gives (``prefix``: ``SSECustomer``, or
    ``CopySourceSSECustomer`` for a copy's source), checked as S3 checks it; None without one.

    Recorded (``test_put_object_validation_sse_c``, ``test_object_retrieval_sse_c``): a key or MD5
    without the algorithm, an algorithm other than AES256, an algorithm without a key, an MD5 that
    is not the key's, a key that is not 256 bits. An MD5 mismatch is told before a wrong length
    (S3's answer to 24-byte keys quoted in aws/aws-sdk-go#1726 and aws/aws-cli#6906). A request
    without the MD5 is taken with the key's own (botocore always sends it; not recorded).

    Reading, a key longer than 256 bits is a wrong key (403), a shorter one an invalid key (400):
    what S3 answered to a key botocore encoded twice, 44 bytes with their own MD5
    (get-obj-sse-c-no-md5, put-obj-sse-c-no-md5), and to a short one (get-obj-sse-c-wrong-key-size).
    """
    algorithm = params.get(prefix + "Algorithm")
    key = params.get(prefix + "Key")
    given_md5 = params.get(prefix + "KeyMD5")
    if algorithm is None and key is None and given_md5 is None:
        return None
    if not algorithm:
        raise _invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide a valid "
            "encryption algorithm."
        )
    if algorithm != SSE_S3:
        raise invalid_algorithm(algorithm)
    if not key:
        raise _invalid_argument(
            "Requests specifying Server Side Encryption with Customer provided keys must provide an "
            "appropriate secret key."
        )
    try:
        raw = base64.b64decode(key, validate=True)
    except (binascii.Error, ValueError):
        raw = None
    if raw is None:
        raise _invalid_argument("The secret key was invalid for the specified algorithm.")
    md5 = base64.b64encode(hashlib.md5(raw).digest()).decode()
    if given_md5 is not None and given_md5 != md5:
        raise _invalid_argument(
            "The calculated MD5 hash of the key did not match the hash that was provided."
        )
    if len(raw) != 32:
        if reading and len(raw) > 32:
            raise _wrong_key()
        raise _invalid_argument("The secret key was invalid for the specified algorithm.")
    return md5


def is_customer(encryption: dict[str, Any] | None) -> bool:
    """Whether an object (or an upload) is SSE-C."""
    return encryption is not None and "SSECustomerKeyMD5" in encryption


def check_read(encryption: dict[str, Any] | None, asked_md5: str | None) -> None:
    """A read of an object (GetObject, HeadObject, GetObjectAttributes, a copy's source) with the
    SSE-C key ``asked_md5`` (see :func:`customer_key`): an SSE-C object needs its own key, any
    other object none."""
    stored = (encryption or {}).get("SSECustomerKeyMD5")
    if stored is None:
        if asked_md5 is not None:
            raise _not_applicable()
        return
    if asked_md5 is None:
        raise _stored_encrypted()
    if asked_md5 != stored:
        raise _wrong_key()


def check_part(
    upload_encryption: dict[str, Any] | None, params: dict[str, Any], bucket: Bucket, account: str
) -> None:
    """UploadPart / UploadPartCopy: the SSE-C key of an SSE-C upload, and no key for another
    (recorded: test_multipart_upload_sse_c_validation); no SSE-C part where the bucket blocks
    SSE-C (UploadPart API reference)."""
    asked = customer_key(params)
    stored = (upload_encryption or {}).get("SSECustomerKeyMD5")
    if (asked is None) != (stored is None):
        raise ServiceError(
            "InvalidRequest",
            "The multipart upload initiate requested encryption. Subsequent part requests must include the "
            "appropriate encryption parameters.",
            400,
        )
    if asked != stored:
        raise ServiceError(
            "InvalidRequest",
            "The provided encryption parameters did not match the ones used originally.",
            400,
        )
    if asked is not None:
        _check_not_blocked(bucket, account, params["Key"], "s3:PutObject")


# ---- KMS keys --------------------------------------------------------------------------------


def _kms_error(exc: ServiceError) -> ServiceError:
    """KMS's refusal as S3 answers it: KMS's code with a ``KMS.`` prefix and KMS's message, status
    400 (recorded, ``test_s3_sse_validate_kms_key``: ``KMS.NotFoundException`` ``Invalid keyId
    '<name>'``, ``Key '<arn>' does not exist``, ``Invalid arn <region>``;
    ``test_s3_sse_validate_kms_key_state``: ``KMS.DisabledException`` ``<arn> is disabled.``,
    ``KMS.KMSInvalidStateException`` ``<arn> is pending deletion.``)."""
    return ServiceError(f"KMS.{exc.code}", exc.message, 400)


def kms_key(keys: KeyService, account: str, region: str, key_id: str | None) -> str:
    """The ARN of the enabled key ``key_id`` names (key id, key ARN, alias or alias ARN) in
    ``account`` and ``region``, resolved through KMS; the account's AWS managed key ``aws/s3``
    (created on first use) without one. An alias answers the ARN of the key behind it
    (``test_s3_bucket_encryption_sse_kms_aws_managed_key``: the managed key's own ARN)."""
    try:
        return keys.resolve(account, region, key_id, "aws/s3").arn
    except ServiceError as exc:
        raise _kms_error(exc) from None


def check_kms_read(encryption: dict[str, Any] | None, keys: KeyService) -> None:
    """A read of an SSE-KMS object's data (GetObject, a copy's source) needs its key usable, as S3
    needs KMS to decrypt the object's data key (recorded, ``test_s3_sse_validate_kms_key_state``:
    get-obj-disabled-key, get-obj-pending-deletion-key). HeadObject reads no data and is not
    refused (unverified)."""
    arn = (encryption or {}).get("SSEKMSKeyId")
    if not arn:
        return
    try:
        key = parse_arn(arn)
    except ValueError:
        return
    try:
        keys.resolve(key.account, key.region, arn)
    except ServiceError as exc:
        raise _kms_error(exc) from None


def _check_context(context: str) -> None:
    """``x-amz-server-side-encryption-context``: base64 of a JSON object of strings (S3's
    message as quoted in HADOOP-19197; the code is unverified)."""
    try:
        decoded = orjson.loads(base64.b64decode(context, validate=True))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        decoded = None
    if not isinstance(decoded, dict) or not all(isinstance(v, str) for v in decoded.values()):
        raise _invalid_argument(
            "The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding "
            "JSON which represents a string-string map",
            name="x-amz-server-side-encryption-context",
        )


# ---- what a write gets -------------------------------------------------------------------------


def _check_not_blocked(bucket: Bucket, account: str, key: str, action: str) -> None:
    """S3's refusal of an SSE-C write to a bucket whose encryption configuration blocks SSE-C
    (user guide, "Blocking or unblocking SSE-C for a general purpose bucket"; the message as the
    user guide's "Troubleshoot access denied (403 Forbidden) errors" quotes it, the principal
    being the account's root here)."""
    blocked = _default_rule(bucket).get("BlockedEncryptionTypes") or {}
    if "SSE-C" not in (blocked.get("EncryptionType") or []):
        return
    raise ServiceError(
        "AccessDenied",
        f"User: arn:{partition_for(bucket.region)}:iam::{account}:root is not authorized to perform: {action} "
        f'on resource: "arn:{partition_for(bucket.region)}:s3:::{bucket.name}/{key}" because this bucket has '
        "blocked upload requests that specify Server Side Encryption with Customer provided keys (SSE-C). "
        "Please specify a different server-side encryption type",
        403,
    )


def _default_rule(bucket: Bucket) -> dict[str, Any]:
    config = bucket.config.get(ENCRYPTION) or DEFAULT_ENCRYPTION
    return (config.get("Rules") or [{}])[0]


def bucket_default(bucket: Bucket, keys: KeyService, account: str) -> dict[str, Any] | None:
    """What an object written to ``bucket`` without encryption headers gets now (None: SSE-S3).
    The default's key is resolved through KMS at each write, in the requester's ``account`` (S3 API
    reference, ServerSideEncryptionByDefault: KMS resolves an alias within the requester's
    account); PutBucketEncryption itself does not look the key up (unverified)."""
    rule = _default_rule(bucket)
    default = rule.get("ApplyServerSideEncryptionByDefault") or {}
    algorithm = default.get("SSEAlgorithm") or SSE_S3
    if algorithm not in (KMS, DSSE_KMS):
        return None
    arn = kms_key(keys, account, bucket.region, default.get("KMSMasterKeyID") or None)
    out: dict[str, Any] = {"ServerSideEncryption": algorithm, "SSEKMSKeyId": arn}
    if algorithm == KMS and rule.get("BucketKeyEnabled"):
        out["BucketKeyEnabled"] = True
    return out


def object_encryption(
    params: dict[str, Any],
    bucket: Bucket,
    account: str,
    key: str,
    action: str,
    keys: KeyService,
) -> dict[str, Any] | None:
    """The encryption a write (PutObject, a POST upload, CopyObject, CreateMultipartUpload) gives
    its object: the request's, else the bucket's default; None for SSE-S3. ``account`` is the
    requester's (a key id or the managed key is resolved in it); ``action`` names the write in
    S3's refusal of SSE-C where the bucket blocks it.

    Recorded: SSE-C with ``x-amz-server-side-encryption`` is incompatible
    (put-obj-sse-c-both-encryption, copy-obj-target-double-encryption); ``aws:kms`` without a key
    id is the AWS managed key (copy-object-in-place-with-sse, put-obj-default-kms-s3-key);
    key ids checked (put-obj-wrong-kms-key, put-obj-different-region-kms-key). Not recorded: a
    value S3 does not know (answered as S3 answered an empty one in aws/aws-sdk-cpp#1771), a KMS
    key without ``aws:kms`` (S3's message as quoted in aws/aws-cli#1431 and #6713).
    """
    algorithm = params.get("ServerSideEncryption")
    customer_given = any(params.get(CUSTOMER + m) is not None for m in ("Algorithm", "Key", "KeyMD5"))
    if customer_given and algorithm is not None:
        raise _invalid_argument(
            "Server Side Encryption with Customer provided key is incompatible with the encryption method "
            "specified",
            algorithm,
        )
    key_id = params.get("SSEKMSKeyId")
    if key_id is not None and algorithm in (None, SSE_S3):  # an unknown value is told as such below
        raise _invalid_argument(
            "Server Side Encryption with AWS KMS managed key requires HTTP header "
            "x-amz-server-side-encryption : aws:kms"
        )
    if customer_given:
        md5 = customer_key(params)
        _check_not_blocked(bucket, account, key, action)
        return {"SSECustomerAlgorithm": SSE_S3, "SSECustomerKeyMD5": md5}
    if algorithm is None:
        return bucket_default(bucket, keys, account)
    if algorithm not in ALGORITHMS:
        raise _invalid_argument("The encryption method specified is not supported", algorithm)
    if algorithm == SSE_S3:
        return None
    arn = kms_key(keys, account, bucket.region, key_id or None)
    out: dict[str, Any] = {"ServerSideEncryption": algorithm, "SSEKMSKeyId": arn}
    if algorithm == KMS:
        enabled = params.get("BucketKeyEnabled")
        if enabled is None:  # the bucket's setting (user guide, "Specifying SSE-KMS")
            enabled = _default_rule(bucket).get("BucketKeyEnabled", False)
        if enabled:
            out["BucketKeyEnabled"] = True
    context = params.get("SSEKMSEncryptionContext")
    if context is not None:
        _check_context(context)
        out["SSEKMSEncryptionContext"] = context
    return out


def answer(encryption: dict[str, Any] | None) -> dict[str, Any]:
    """The output members telling an object's (or an upload's) encryption. Each operation's
    output shape keeps those it has: no context on reads, no SSE-C on CompleteMultipartUpload
    (recorded: complete-multipart-checksum of test_multipart_upload_sse_c)."""
    if encryption is None:
        return {"ServerSideEncryption": SSE_S3}
    return dict(encryption)


def changes_encryption(params: dict[str, Any], bucket: Bucket, source: dict[str, Any] | None) -> bool:
    """Whether a copy of an object onto itself may be made for its encryption: the request names
    one, the bucket has a default configured, or the source is not SSE-S3, which a copy without
    encryption headers becomes (recorded: test_s3_copy_object_in_place_with_encryption,
    test_copy_in_place_with_bucket_encryption)."""
    return (
        params.get("ServerSideEncryption") is not None
        or params.get(CUSTOMER + "Algorithm") is not None
        or bucket.config.get(ENCRYPTION) is not None
        or source is not None
    )
