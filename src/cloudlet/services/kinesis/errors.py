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


def in_use(message: str) -> ServiceError:
    return ServiceError("ResourceInUseException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("ResourceNotFoundException", message, 400)


def already_resharded(shard_id: str, name: str, account: str) -> ServiceError:
    # AWS's words, as quoted from a real SplitShard answer in mhart/kinesalite#109
    return invalid(
        f"Shard {shard_id} in stream {name} under account {account} has already been merged or split, "
        "and thus is not eligible for merging or splitting."
    )


def consumer_not_found(what: str, stream_name: str, account: str) -> ServiceError:
    return not_found(
        f"Consumer {what} under stream {stream_name} under account {account} not found."
    )  # unverified


def provisioned_only(operation: str) -> ServiceError:
    return ServiceError(
        "ValidationException",
        f"{operation} is not supported for streams with the on-demand capacity mode.",  # unverified
        400,
    )
