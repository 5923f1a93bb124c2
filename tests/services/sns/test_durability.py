"""SNS topics and subscriptions after kill -9 and a restart on the same data directory."""

from __future__ import annotations

from cloudlet.testing.server import ServerProcess, client


def test_topics_and_subscriptions_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        sns = client("sns", server.endpoint)
        topic = sns.create_topic(Name="durable", Tags=[{"Key": "k", "Value": "v"}])["TopicArn"]
        sns.set_topic_attributes(TopicArn=topic, AttributeName="DisplayName", AttributeValue="kept")
        queue = topic.replace(":sns:", ":sqs:")
        sub = sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
        )["SubscriptionArn"]
    finally:
        server.kill()
    server.start()
    try:
        sns = client("sns", server.endpoint)
        assert sns.get_topic_attributes(TopicArn=topic)["Attributes"]["DisplayName"] == "kept"
        assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == [{"Key": "k", "Value": "v"}]
        got = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
        assert got["RawMessageDelivery"] == "true" and got["Endpoint"] == queue
        assert [
            s["SubscriptionArn"] for s in sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
        ] == [sub]
    finally:
        server.kill()


def test_pending_delivery_survives_kill_9(tmp_path):
    """A message whose queue is missing is retried by the delivery engine, across a restart."""
    server = ServerProcess(str(tmp_path)).start()
    try:
        sns = client("sns", server.endpoint)
        topic = sns.create_topic(Name="later")["TopicArn"]
        queue = topic.replace(":sns:", ":sqs:").replace(":later", ":made-later")
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue, Attributes={"RawMessageDelivery": "true"}
        )
        sns.publish(TopicArn=topic, Message="kept across kill -9")
    finally:
        server.kill()
    server.start()
    try:
        sqs = client("sqs", server.endpoint)
        url = sqs.create_queue(QueueName="made-later")["QueueUrl"]
        got = None
        for _ in range(20):
            server.admin("/_cloudlet/clock", {"advance": 60})
            got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")
            if got:
                break
        assert got and got[0]["Body"] == "kept across kill -9"
    finally:
        server.kill()
