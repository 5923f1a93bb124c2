"""SQS after kill -9 and a restart on the same data directory."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client


def test_messages_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        sqs = client("sqs", server.endpoint)
        std = sqs.create_queue(QueueName="durable", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
        fifo = sqs.create_queue(QueueName="durable.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
        for i in range(5):
            sqs.send_message(QueueUrl=std, MessageBody=f"m{i}")
        first = sqs.send_message(
            QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d1"
        )
        in_flight = sqs.receive_message(QueueUrl=std, MaxNumberOfMessages=2)["Messages"]
        sqs.delete_message(QueueUrl=std, ReceiptHandle=in_flight[0]["ReceiptHandle"])
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        attrs = sqs.get_queue_attributes(QueueUrl=std, AttributeNames=["All"])["Attributes"]
        assert attrs["ApproximateNumberOfMessages"] == "3"
        assert attrs["ApproximateNumberOfMessagesNotVisible"] == "1"  # still in flight
        server.admin("/_cloudlet/clock", {"advance": 61})
        bodies = []
        while got := sqs.receive_message(QueueUrl=std, MaxNumberOfMessages=10).get("Messages"):
            bodies += [m["Body"] for m in got]
        assert sorted(bodies) == ["m1", "m2", "m3", "m4"]
        # FIFO deduplication still holds inside its window after the restart
        again = sqs.send_message(
            QueueUrl=fifo, MessageBody="f", MessageGroupId="g", MessageDeduplicationId="d1"
        )
        assert again["MessageId"] == first["MessageId"]
        got = sqs.receive_message(QueueUrl=fifo, MaxNumberOfMessages=10)["Messages"]
        assert [m["Body"] for m in got] == ["f"]
    finally:
        server.kill()


def test_move_task_resumes_after_restart(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        sqs = client("sqs", server.endpoint)
        dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        src = sqs.create_queue(
            QueueName="src",
            Attributes={"RedrivePolicy": f'{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}'},
        )["QueueUrl"]
        for i in range(4):
            sqs.send_message(QueueUrl=src, MessageBody=str(i))
        for _ in range(3):
            sqs.receive_message(QueueUrl=src, MaxNumberOfMessages=10, VisibilityTimeout=0)
        sqs.start_message_move_task(SourceArn=dlq_arn, MaxNumberOfMessagesPerSecond=1)
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        server.admin("/_cloudlet/clock", {"advance": 10})
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        assert task["Status"] == "COMPLETED" and task["ApproximateNumberOfMessagesMoved"] == 4
    finally:
        server.kill()


def test_queues_of_an_earlier_schema_and_their_urls_keep_working(tmp_path):
    from cloudlet.services.sqs.store import MIGRATIONS
    from cloudlet.store.db import Store

    # a data directory written before regional URLs and QueueDeletedRecently (schema 1)
    store = Store(tmp_path / "cloudlet.db")
    store.migrate("sqs", MIGRATIONS[:1])
    with store.transaction():
        store.execute(
            "INSERT INTO sqs_queues (account, region, name, fifo, attributes, tags, created, modified) "
            "VALUES ('000000000000', 'eu-west-1', 'kept', 0, ?, '{}', 0, 0)",
            (
                '{"VisibilityTimeout": "30", "DelaySeconds": "0", "MaximumMessageSize": "1048576", '
                '"MessageRetentionPeriod": "345600", "ReceiveMessageWaitTimeSeconds": "0"}',
            ),
        )
    store.close()
    server = ServerProcess(str(tmp_path)).start()
    try:
        west = client("sqs", server.endpoint, region_name="eu-west-1")
        old_url = f"{server.endpoint}/000000000000/kept"  # the URL clients were given then
        west.send_message(QueueUrl=old_url, MessageBody="old form")
        url = west.get_queue_url(QueueName="kept")["QueueUrl"]
        assert url == f"{server.endpoint}/eu-west-1/000000000000/kept"
        east = client("sqs", server.endpoint)
        assert east.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "old form"
        west.delete_queue(QueueUrl=url)
    finally:
        server.kill()
    server.start()
    try:
        # the deletion was acknowledged: its 60 seconds hold across the restart
        west = client("sqs", server.endpoint, region_name="eu-west-1")
        with pytest.raises(ClientError) as exc:
            west.create_queue(QueueName="kept")
        assert exc.value.response["Error"]["Code"] == "AWS.SimpleQueueService.QueueDeletedRecently"
        server.admin("/_cloudlet/clock", {"advance": 61})
        west.create_queue(QueueName="kept")
    finally:
        server.kill()
