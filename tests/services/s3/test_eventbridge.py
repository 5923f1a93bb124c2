"""S3 events for EventBridge: with EventBridge enabled on a bucket, object events go out on the
internal event channel (topic ``events.bus.aws.s3``) as the events EventBridge puts on the
account's default bus, in the format recorded from real AWS
(``aws-reference/s3/test_s3_notifications_eventbridge.snapshot.json``).

EventBridge itself is a later service; these tests take its place as the channel's consumer.
"""

from __future__ import annotations

import re
import threading
import time
import uuid
from typing import Any

import pytest

from cloudlet.core.events import BUS_TOPIC

ACCOUNT = "000000000000"  # the account of the test credentials


class BusConsumer:
    """Takes what the server's channel hands EventBridge, in the server's thread."""

    def __init__(self, server) -> None:
        self.channel = server.app.runtime.channel
        self.name = f"test-bus-{uuid.uuid4().hex[:8]}"
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self.channel.declare(self.name, (BUS_TOPIC,))
        self.channel.subscribe(self.name, self._take)

    def _take(self, topic: str, payload: dict[str, Any]) -> None:
        assert topic == BUS_TOPIC + "aws.s3"
        with self._lock:
            self.received.append(payload)

    def events(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The first ``count`` events, once they have arrived (their ``event`` envelopes)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return [p["event"] for p in self.received[:count]]
            time.sleep(0.01)
        raise AssertionError(f"{len(self.received)} events arrived, {count} expected")

    def close(self) -> None:
        self.channel.undeclare(self.name)


@pytest.fixture
def bus(cloudlet):
    consumer = BusConsumer(cloudlet)
    yield consumer
    consumer.close()


def enable_eventbridge(s3, bucket: str) -> None:
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )


def assert_envelope(event: dict[str, Any], bucket: str, detail_type: str) -> None:
    assert set(event) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }
    assert event["version"] == "0"
    assert re.fullmatch(r"[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}", event["id"])
    assert (event["detail-type"], event["source"], event["account"]) == (detail_type, "aws.s3", ACCOUNT)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
    assert event["region"] == "us-east-1"
    assert event["resources"] == [f"arn:aws:s3:::{bucket}"]
    assert event["detail"]["version"] == "0"
    assert event["detail"]["bucket"] == {"name": bucket}


def test_object_created_and_deleted(s3, bucket, bus):
    enable_eventbridge(s3, bucket)
    s3.put_object(Bucket=bucket, Key="a key/ü.txt", Body=b"data")
    s3.delete_object(Bucket=bucket, Key="a key/ü.txt")
    created, deleted = bus.events(2)
    assert_envelope(created, bucket, "Object Created")
    detail = created["detail"]
    assert set(detail) == {
        "version",
        "bucket",
        "object",
        "request-id",
        "requester",
        "source-ip-address",
        "reason",
    }
    # The key as stored (EventBridge does not URL-encode it); the recorded ETag of b"data".
    assert {k: v for k, v in detail["object"].items() if k != "sequencer"} == {
        "key": "a key/ü.txt",
        "size": 4,
        "etag": "8d777f385d3dfec8815d20f7496026dc",
    }
    assert re.fullmatch(r"[0-9a-f]{16}", detail["object"]["sequencer"])
    assert (detail["reason"], detail["requester"], detail["source-ip-address"]) == (
        "PutObject",
        ACCOUNT,
        "127.0.0.1",
    )
    assert_envelope(deleted, bucket, "Object Deleted")
    assert deleted["detail"]["object"]["key"] == "a key/ü.txt"
    assert set(deleted["detail"]["object"]) == {"key", "sequencer"}
    assert (deleted["detail"]["reason"], deleted["detail"]["deletion-type"]) == (
        "DeleteObject",
        "Permanently Deleted",
    )
    assert deleted["detail"]["object"]["sequencer"] > detail["object"]["sequencer"]


def test_versioned_bucket_events(s3, versioned_bucket, bus):
    bucket = versioned_bucket
    enable_eventbridge(s3, bucket)
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"one")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=v1)
    s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    created, marked, removed, unmarked = bus.events(4)
    assert created["detail"]["object"]["version-id"] == v1
    assert marked["detail"]["deletion-type"] == "Delete Marker Created"
    assert marked["detail"]["object"]["version-id"] == marker
    assert marked["detail"]["object"]["etag"] == "d41d8cd98f00b204e9800998ecf8427e"
    assert (removed["detail"]["deletion-type"], removed["detail"]["object"]["version-id"]) == (
        "Permanently Deleted",
        v1,
    )
    assert "etag" not in removed["detail"]["object"]
    assert unmarked["detail"]["object"]["version-id"] == marker
    assert unmarked["detail"]["deletion-type"] == "Permanently Deleted"


def test_copy_and_multipart_reasons(s3, bucket, bus):
    enable_eventbridge(s3, bucket)
    s3.put_object(Bucket=bucket, Key="src", Body=b"x")
    s3.copy_object(Bucket=bucket, Key="copy", CopySource={"Bucket": bucket, "Key": "src"})
    upload = s3.create_multipart_upload(Bucket=bucket, Key="mpu")["UploadId"]
    etag = s3.upload_part(Bucket=bucket, Key="mpu", UploadId=upload, PartNumber=1, Body=b"part")["ETag"]
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key="mpu",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    events = bus.events(3)
    assert [(e["detail"]["object"]["key"], e["detail"]["reason"]) for e in events] == [
        ("src", "PutObject"),
        ("copy", "CopyObject"),
        ("mpu", "CompleteMultipartUpload"),
    ]
    assert events[2]["detail"]["object"]["etag"].endswith("-1")


def test_nothing_goes_out_unless_enabled(s3, bucket, make_bucket, bus):
    s3.put_object(Bucket=bucket, Key="quiet", Body=b"x")
    loud = make_bucket("loud")
    enable_eventbridge(s3, loud)
    s3.put_object(Bucket=loud, Key="heard", Body=b"x")
    (event,) = bus.events(1)
    assert event["detail"]["object"]["key"] == "heard"
    s3.put_bucket_notification_configuration(Bucket=loud, NotificationConfiguration={})
    s3.put_object(Bucket=loud, Key="quiet again", Body=b"x")
    s3.put_object(Bucket=bucket, Key="marker", Body=b"x")  # a bucket without EventBridge: nothing
    time.sleep(0.05)  # nothing is on its way (the channel delivers within a loop turn)
    assert len(bus.received) == 1


def test_lifecycle_expiration_comes_from_s3_itself(s3, bucket, bus, cloudlet):
    enable_eventbridge(s3, bucket)
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [{"ID": "old", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}]
        },
    )
    s3.put_object(Bucket=bucket, Key="old", Body=b"x")
    cloudlet.advance_clock(3 * 86400)
    _created, expired = bus.events(2)
    assert expired["detail-type"] == "Object Deleted"
    detail = expired["detail"]
    assert (detail["reason"], detail["deletion-type"], detail["requester"]) == (
        "Lifecycle Expiration",
        "Permanently Deleted",
        "s3.amazonaws.com",
    )
    assert "source-ip-address" not in detail
