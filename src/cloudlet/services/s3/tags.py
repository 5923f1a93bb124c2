"""Tag sets of buckets and objects: S3's rules for keys and values, and its errors.

S3 answers differently for the same mistake depending on where the tags came from
(recorded from real S3, ``test_s3_api.snapshot.json``: TestS3BucketObjectTagging):

- ``PutBucketTagging`` / ``PutObjectTagging`` bodies: ``InvalidTag`` with ``TagKey`` (and
  ``TagValue``) naming the culprit; a reserved ``aws:`` key is refused in words of its own
  for buckets and for objects.
- the ``x-amz-tagging`` header (PutObject, CopyObject, CreateMultipartUpload): a duplicate
  key or a character tags may not hold is ``InvalidArgument`` naming the header.
- ``CreateBucket`` tags: the ``aws:`` prefix has a third message.

Keys and values may hold letters, digits and spaces representable in UTF-8, and
``+ - = . _ : / @`` (S3 user guide, object tagging); keys are 1-128 characters, values up
to 256.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qsl

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.errors import malformed_xml

Source = Literal["bucket", "object", "create-bucket"]

MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
_ALLOWED = re.compile(r"[\w\s+\-=.:/@]*")
_AWS_PREFIX_MESSAGES = {
    "bucket": "System tags cannot be added/updated by requester",
    "object": "Your TagKey cannot be prefixed with aws:",
    "create-bucket": 'User-defined tag keys can\'t start with "aws:". This prefix is reserved for system tags. '
    'Remove "aws:" from your tag keys and try again.',
}


def _invalid_tag(message: str, **fields: str) -> ServiceError:
    return ServiceError("InvalidTag", message, 400, fields=fields)


def check_tag_set(tags: list[dict[str, str]], source: Source) -> list[dict[str, str]]:
    """The tags of a request body, as stored; S3's error for the first one it refuses."""
    if any("Key" not in t or "Value" not in t for t in tags):
        raise malformed_xml()
    seen: set[str] = set()
    for tag in tags:
        key, value = tag["Key"], tag["Value"]
        if key in seen:
            raise _invalid_tag("Cannot provide multiple Tags with the same key", TagKey=key)
        seen.add(key)
        if key.lower().startswith("aws:"):
            fields = {"TagKey": key} if source != "create-bucket" else {}
            raise _invalid_tag(_AWS_PREFIX_MESSAGES[source], **fields)
        if not 1 <= len(key) <= 128 or not _ALLOWED.fullmatch(key):
            raise _invalid_tag("The TagKey you have provided is invalid", TagKey=key)
        if len(value) > 256 or not _ALLOWED.fullmatch(value):
            raise _invalid_tag("The TagValue you have provided is invalid", TagKey=key, TagValue=value)
    limit = MAX_OBJECT_TAGS if source == "object" else MAX_BUCKET_TAGS
    if len(tags) > limit:
        if source == "object":
            raise ServiceError("BadRequest", f"Object tags cannot be greater than {limit}", 400)
        raise _invalid_tag(f"Bucket tag count cannot be greater than {limit}")  # message unverified
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags]


def parse_tagging_header(value: str) -> list[dict[str, str]]:
    """The tags of an ``x-amz-tagging`` header (URL-encoded query parameters)."""
    tags = [{"Key": k, "Value": v} for k, v in parse_qsl(value, keep_blank_values=True)]
    keys = [t["Key"] for t in tags]
    if len(set(keys)) != len(keys) or any(
        not _ALLOWED.fullmatch(t["Key"]) or not _ALLOWED.fullmatch(t["Value"]) for t in tags
    ):
        raise ServiceError(
            "InvalidArgument",
            "The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without "
            "tag name duplicates.",
            400,
            fields={"ArgumentName": "x-amz-tagging", "ArgumentValue": value},
        )
    return check_tag_set(tags, "object")
