"""Browser POST uploads (``<form method="post" enctype="multipart/form-data">``) with a policy.

The botocore model has no operation for them (browsers, not SDKs, send them), so the S3
provider answers them here, in S3's order: the enclosure type, the ``key`` field, the
signature fields (an unsigned form is refused: buckets are not public), then the base64
policy (expiration on the service clock, see presign.py; ``eq`` / ``starts-with`` /
``content-length-range`` conditions); then the file is stored as PutObject stores it, with
the ``tagging`` field's Tagging document. The answer is 204, or the ``success_action_status``
asked for (201 with S3's ``PostResponse`` document). Errors as recorded from real S3
(TestS3PresignedPost in ``test_s3.snapshot.json``).
"""

from __future__ import annotations

import base64
import email.parser
import email.policy
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

import orjson

from cloudlet.protocol.errors import ServiceError

_POLICY_FAILED = "Invalid according to Policy: Policy Condition failed: "
_SIGV4_FIELDS = ("X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Signature", "Policy")
_SIGV2_FIELDS = ("AWSAccessKeyId", "Signature", "Policy")
_SIGNATURE_FIELDS = frozenset(n.lower() for n in (*_SIGV4_FIELDS, *_SIGV2_FIELDS))


def parse_form(content_type: str, body: bytes) -> tuple[dict[str, str], bytes, str]:
    """(fields by lower-cased name, file content, file name) of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise _malformed()
    fields: dict[str, str] = {}
    content, filename = None, ""
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not name:
            continue
        payload = part.get_payload(decode=True) or b""
        if name.lower() == "file":
            content, filename = payload, part.get_filename() or ""
            break  # S3 ignores fields after the file
        fields[name.lower()] = payload.decode("utf-8", "replace")
    if content is None:
        raise ServiceError(
            "InvalidArgument",
            "POST requires exactly one file upload per request.",
            400,
            fields={"ArgumentName": "file", "ArgumentValue": "0"},
        )
    return fields, content, filename


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


def check_signature_fields(fields: dict[str, str]) -> None:
    """An anonymous form is refused (buckets are not public); a signed one needs every field
    of its signature version, in S3's order."""
    if not _SIGNATURE_FIELDS & fields.keys():
        raise ServiceError("AccessDenied", "Access Denied", 403)
    v2 = "awsaccesskeyid" in fields or "signature" in fields
    for name in _SIGV2_FIELDS if v2 else _SIGV4_FIELDS:
        if not fields.get(name.lower()):
            raise _missing_field(name)


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
    for condition in policy.get("conditions") or []:
        if isinstance(condition, dict):
            for name, wanted in condition.items():
                if values.get(name.lower()) != wanted:
                    raise _failed(f'["eq", "${name}", "{wanted}"]')
            continue
        if not isinstance(condition, list) or not condition:
            continue
        op = str(condition[0]).lower()
        if op == "content-length-range" and len(condition) == 3:
            low, high = int(condition[1]), int(condition[2])
            if size > high:
                raise ServiceError(
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                    400,
                    fields={"ProposedSize": str(size), "MaxSizeAllowed": str(high)},
                )
            if size < low:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed size",
                    400,
                    fields={"ProposedSize": str(size), "MinSizeAllowed": str(low)},
                )
            continue
        if op in ("eq", "starts-with") and len(condition) == 3:
            name = str(condition[1]).lstrip("$").lower()
            value = values.get(name, "")
            if (op == "eq" and value != condition[2]) or (
                op == "starts-with" and not value.startswith(condition[2])
            ):
                raise _failed(f'["{op}", "{condition[1]}", "{condition[2]}"]')


def _failed(condition: str) -> ServiceError:
    return ServiceError("AccessDenied", _POLICY_FAILED + condition, 403)


def post_response(bucket: str, key: str, etag: str, location: str) -> bytes:
    """The document of a ``success_action_status=201`` answer."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<PostResponse>'
        f"<Location>{escape(location)}</Location><Bucket>{escape(bucket)}</Bucket>"
        f"<Key>{escape(key)}</Key><ETag>{escape(etag)}</ETag></PostResponse>"
    ).encode()


def object_params(fields: dict[str, str]) -> dict[str, Any]:
    """PutObject parameters carried by form fields (content headers, user metadata; the
    ``tagging`` field is a Tagging XML document, read by the provider)."""
    names = {
        "content-type": "ContentType",
        "cache-control": "CacheControl",
        "content-disposition": "ContentDisposition",
        "content-encoding": "ContentEncoding",
        "expires": "Expires",
    }
    params: dict[str, Any] = {names[k]: v for k, v in fields.items() if k in names}
    metadata = {k[len("x-amz-meta-") :]: v for k, v in fields.items() if k.startswith("x-amz-meta-")}
    if metadata:
        params["Metadata"] = metadata
    return params
