"""S3 buckets as destinations of other services' records (Lambda's on-failure destinations of
stream event source mappings): the delivery engine's ``s3`` sender queues an ``s3.object``
delivery inside the caller's transaction (so the record is durable with the work that gave it
up), and the engine writes the object through PutObject's own path, retrying while S3 refuses.

The object's key is the sender's to choose (``Outbound.extra["key"]``); without one the record
goes under ``records/<uuid>``.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import parse_arn
from cloudlet.core.delivery import Attempt, DeliveryFailure, Outbound, Target
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.s3.interface import write_object

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider

TARGET = "s3.object"


def register_destinations(provider: S3Provider) -> None:
    def send(bucket_arn: str, message: Outbound) -> None:
        bucket = parse_arn(bucket_arn).resource
        key = message.extra.get("key") or f"records/{uuid.uuid4()}"
        provider.deliveries.enqueue(TARGET, {"Bucket": bucket, "Key": key, "Body": message.body})

    async def deliver(attempt: Attempt) -> dict[str, Any]:
        payload = attempt.payload
        try:
            return await write_object(
                provider.runtime,
                payload["Bucket"],
                payload["Key"],
                payload["Body"].encode(),
                "application/json",
            )
        except ServiceError as exc:
            raise DeliveryFailure(exc.code, exc.message) from exc

    provider.deliveries.register_sender("s3", send)
    provider.deliveries.register(TARGET, Target(handler=deliver))
