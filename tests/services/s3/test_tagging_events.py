"""``s3:ObjectTagging:*`` events delivered to SQS, as PutObjectTagging and DeleteObjectTagging
send them (recorded: test_object_tagging_put_event, test_object_tagging_delete_event in
``test_s3_notifications_sqs.snapshot.json``: eventVersion 2.3, the object's key and eTag, no size
nor sequencer; and on EventBridge, "Object Tags Added" / "Object Tags Deleted" per the user guide).
"""

from __future__ import annotations

from typing import Any

from .conftest import md5_hex, queue_for_notifications, receive_bodies, recorded, unique_name


def shape(record: dict[str, Any]) -> dict[str, Any]:
    """The keys of a record, nested, with the values the recordings keep literally."""
    return {k: shape(v) if isinstance(v, dict) else None for k, v in record.items()}


def test_tagging_events_reach_the_queue(s3, sqs, bucket):
    url, arn = queue_for_notifications(sqs, unique_name("tags"))
    config = {"QueueConfigurations": [{"Id": "tags", "QueueArn": arn, "Events": ["s3:ObjectTagging:*"]}]}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert receive_bodies(sqs, url, 1)[0]["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="tagged", Body=b"body")  # not an ObjectTagging event
    s3.put_object_tagging(Bucket=bucket, Key="tagged", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.delete_object_tagging(Bucket=bucket, Key="tagged")
    records = [r for body in receive_bodies(sqs, url, 2) for r in body["Records"]]
    assert [r["eventName"] for r in records] == ["ObjectTagging:Put", "ObjectTagging:Delete"]
    for record, test in zip(
        records, ("test_object_tagging_put_event", "test_object_tagging_delete_event"), strict=True
    ):
        [expected] = recorded(test, "test_s3_notifications_sqs")["receive_messages"]["messages"]
        assert shape(record) == shape(expected)
        assert record["eventVersion"] == expected["eventVersion"] == "2.3"
        assert record["s3"]["object"] == {"key": "tagged", "eTag": md5_hex(b"body")}
        assert record["s3"]["configurationId"] == "tags"


def test_tagging_events_carry_the_version_in_a_versioned_bucket(s3, sqs, versioned_bucket):
    url, arn = queue_for_notifications(sqs, unique_name("vtags"))
    config = {"QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectTagging:Put"]}]}
    s3.put_bucket_notification_configuration(Bucket=versioned_bucket, NotificationConfiguration=config)
    receive_bodies(sqs, url, 1)
    version = s3.put_object(Bucket=versioned_bucket, Key="v", Body=b"x")["VersionId"]
    s3.put_object_tagging(
        Bucket=versioned_bucket, Key="v", VersionId=version, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
    )
    s3.delete_object_tagging(Bucket=versioned_bucket, Key="v")  # not configured: no event
    [body] = receive_bodies(sqs, url, 1)
    [record] = body["Records"]
    assert record["eventName"] == "ObjectTagging:Put"
    assert record["s3"]["object"]["versionId"] == version
    # records are sent in the write's transaction: nothing else is coming
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
