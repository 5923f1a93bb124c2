"""SNS's error answers, in AWS's words (recorded in /work/shared/aws-reference/sns/)."""

from __future__ import annotations

from cloudlet.protocol.errors import ServiceError


def invalid(message: str) -> ServiceError:
    """``InvalidParameter`` (400) with AWS's ``Invalid parameter: ...`` wording."""
    return ServiceError("InvalidParameterException", f"Invalid parameter: {message}", 400)


def topic_not_found() -> ServiceError:
    return ServiceError("NotFoundException", "Topic does not exist", 404)


def subscription_not_found() -> ServiceError:
    return ServiceError("NotFoundException", "Subscription does not exist", 404)


def resource_not_found() -> ServiceError:
    return ServiceError("ResourceNotFoundException", "Resource does not exist", 404)  # unverified


def check_arn(arn: str, parameter: str) -> None:
    """AWS's check that ``arn`` has the six ARN elements."""
    parts = len(arn.split(":"))
    if not arn:
        raise invalid(f"{parameter} Reason: no value for required parameter")
    if parts < 6:
        raise invalid(f"{parameter} Reason: An ARN must have at least 6 elements, not {parts}")
