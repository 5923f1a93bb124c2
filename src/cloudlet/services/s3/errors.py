"""S3 errors several of the provider's modules answer (code, message, status, fields as
recorded from real S3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.notifications import MALFORMED_XML

if TYPE_CHECKING:
    from cloudlet.gateway.detect import Credentials


def malformed_xml() -> ServiceError:
    return ServiceError("MalformedXML", MALFORMED_XML, 400)


def no_such_bucket(name: str) -> ServiceError:
    return ServiceError(
        "NoSuchBucket", "The specified bucket does not exist", 404, fields={"BucketName": name}
    )


def no_such_key(key: str) -> ServiceError:
    return ServiceError("NoSuchKey", "The specified key does not exist.", 404, fields={"Key": key})


_CREDENTIAL_FORM = '"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request"'


def signature_error(creds: Credentials) -> ServiceError:
    """S3's wording of a signature it cannot read (``creds.malformed``)."""
    if creds.malformed == "scheme":
        return ServiceError(
            "InvalidArgument",
            "Unsupported Authorization Type",
            400,
            fields={"ArgumentName": "Authorization", "ArgumentValue": creds.authorization},
        )
    if creds.malformed == "query":
        return ServiceError(
            "AuthorizationQueryParametersError",
            "Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; "
            f"expecting {_CREDENTIAL_FORM}.",
            400,
        )
    return ServiceError(
        "AuthorizationHeaderMalformed",
        f"The authorization header is malformed; the Credential is mal-formed; expecting {_CREDENTIAL_FORM}.",
        400,
    )


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
