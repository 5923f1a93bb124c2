"""Access point names, ARNs and aliases, and S3 Control's errors."""

from __future__ import annotations

import re
import secrets
import string

from cloudlet.core.arn import partition_for
from cloudlet.protocol.errors import ServiceError

# "Naming rules for access points" (S3 user guide): 3-50 characters, lowercase letters,
# digits and hyphens, beginning and ending with a letter or digit, not ending in the alias
# suffix. Object Lambda access points: 3-45 characters of the same (the botocore model).
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
ACCESS_POINT_MAX = 50
OBJECT_LAMBDA_MAX = 45
ALIAS_SUFFIX = "-s3alias"
OBJECT_LAMBDA_ALIAS_SUFFIX = "--ol-s3"
_ALIAS_CHARS = string.ascii_lowercase + string.digits
_ALIAS_RANDOM = 24
_ALIAS_MAX = 63
_ACCESS_POINT_ARN = re.compile(r"^arn:([^:]+):(s3|s3-object-lambda):([^:]*):(\d{12}):accesspoint[/:](.+)$")
ACCOUNT = re.compile(r"^\d{12}$")


def check_name(name: str, longest: int) -> None:
    """S3 Control's answer to a name breaking the rules: ``InvalidURI`` (recorded by users for a
    name too long; for the other rules unverified)."""
    if not (3 <= len(name) <= longest) or not _NAME.match(name) or name.endswith(ALIAS_SUFFIX):
        raise ServiceError("InvalidURI", "Couldn't parse the specified URI.", 400)


def access_point_arn(region: str, account: str, name: str, *, object_lambda: bool = False) -> str:
    service = "s3-object-lambda" if object_lambda else "s3"
    return f"arn:{partition_for(region)}:{service}:{region}:{account}:accesspoint/{name}"


def parse_access_point_arn(text: str) -> tuple[str, str, str, str] | None:
    """(service ``s3`` or ``s3-object-lambda``, region, account, name) of an access point ARN."""
    m = _ACCESS_POINT_ARN.match(text)
    return (m[2], m[3], m[4], m[5]) if m else None


def new_alias(name: str, *, object_lambda: bool = False) -> str:
    """A bucket-style alias: the name (shortened to fit 63 characters), random letters and
    digits, and ``-s3alias`` (``--ol-s3`` for Object Lambda); the random part's length is
    unverified."""
    suffix = OBJECT_LAMBDA_ALIAS_SUFFIX if object_lambda else ALIAS_SUFFIX
    random = "".join(secrets.choice(_ALIAS_CHARS) for _ in range(_ALIAS_RANDOM))
    prefix = name[: _ALIAS_MAX - len(suffix) - _ALIAS_RANDOM - 1].rstrip("-")
    return f"{prefix}-{random}{suffix}"


# ---- errors (codes from the S3 API reference "Error responses"; messages unverified unless said)


def no_such_access_point() -> ServiceError:
    return ServiceError("NoSuchAccessPoint", "The specified accesspoint does not exist", 404)


def no_such_policy() -> ServiceError:
    return ServiceError("NoSuchAccessPointPolicy", "The specified accesspoint policy does not exist", 404)


def already_owned() -> ServiceError:
    # the code's description in the S3 API reference
    return ServiceError(
        "AccessPointAlreadyOwnedByYou",
        "An access point with an identical name already exists in your account.",
        409,
    )


def invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def malformed_xml() -> ServiceError:
    return ServiceError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published schema",
        400,
    )


def access_denied() -> ServiceError:
    return ServiceError("AccessDenied", "Access Denied", 403)
