"""The errors Kinesis answers, in its words where recorded (``aws-reference/kinesis``)."""

from __future__ import annotations

import time

from cloudlet.protocol.errors import ServiceError


def stream_not_found(name: str, account: str) -> ServiceError:
    # recorded: test_cbor_exceptions
    return ServiceError("ResourceNotFoundException", f"Stream {name} under account {account} not found.", 400)


def stream_exists(name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceInUseException", f"Stream {name} under account {account} already exists.", 400
    )  # unverified


def shard_not_found(shard_id: str, name: str, account: str) -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException",
        f"Shard {shard_id} in stream {name} under account {account} does not exist",
        400,
    )  # unverified


def invalid(message: str) -> ServiceError:
    return ServiceError("InvalidArgumentException", message, 400)


def limit_exceeded(message: str) -> ServiceError:
    return ServiceError("LimitExceededException", message, 400)


def throttled(shard_id: str, name: str, account: str) -> tuple[str, str]:
    """The per-record (ErrorCode, ErrorMessage) of a write over a shard's limits."""
    return (
        "ProvisionedThroughputExceededException",
        f"Rate exceeded for shard {shard_id} in stream {name} under account {account}.",
    )  # AWS's words for writes, as quoted from real answers in public issue reports


def _java_date(ms: int) -> str:
    """A time as Java's ``Date.toString`` in UTC writes it (``Thu Jul 02 12:57:57 UTC 2015``)."""
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(ms / 1000))


def expired_iterator(issued_ms: int, now_ms: int, tolerated_ms: int) -> ServiceError:
    # AWS's words, as quoted from real answers in several public issue reports
    return ServiceError(
        "ExpiredIteratorException",
        f"Iterator expired. The iterator was created at time {_java_date(issued_ms)} while right now "
        f"it is {_java_date(now_ms)} which is further in the future than the tolerated delay of "
        f"{tolerated_ms} milliseconds.",
        400,
    )


def bad_iterator() -> ServiceError:
    return invalid("Invalid ShardIterator.")  # unverified


# KMS's refusal of a stream's key -> the Kinesis error (botocore kinesis model's KMS* errors)
KMS_ERRORS = {
    "NotFoundException": "KMSNotFoundException",
    "DisabledException": "KMSDisabledException",
    "KMSInvalidStateException": "KMSInvalidStateException",
    "AccessDeniedException": "KMSAccessDeniedException",
    "OptInRequired": "KMSOptInRequired",
    "ThrottlingException": "KMSThrottlingException",
}


def from_kms(error: ServiceError) -> ServiceError:
    code = KMS_ERRORS.get(error.code, "KMSAccessDeniedException")
    return ServiceError(code, error.message, 400)  # message: KMS's own (unverified)
