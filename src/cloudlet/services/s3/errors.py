"""S3 errors several of the provider's modules answer (code, message, status, fields as
recorded from real S3)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.notifications import MALFORMED_XML


def malformed_xml() -> ServiceError:
    return ServiceError("MalformedXML", MALFORMED_XML, 400)


def no_such_bucket(name: str) -> ServiceError:
    return ServiceError(
        "NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": name}
    )


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


MAX_SINGLE_PUT = 5 * 1024**3  # PutObject and UploadPart take at most 5 GiB


def entity_too_large(proposed: int, allowed: int) -> ServiceError:
    return ServiceError(
        "EntityTooLarge",
        "Your proposed upload exceeds the maximum allowed size",
        400,
        fields={"ProposedSize": str(proposed), "MaxSizeAllowed": str(allowed)},
    )


def invalid_argument(message: str, name: str, value: str | None = None) -> ServiceError:
    """S3's InvalidArgument naming the argument (and its value, when S3 gives it)."""
    fields = {"ArgumentName": name}
    if value is not None:
        fields["ArgumentValue"] = value
    return ServiceError("InvalidArgument", message, 400, fields=fields)
