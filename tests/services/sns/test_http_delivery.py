"""HTTP/S subscriptions: the confirmation message, confirming by SubscribeURL and by
ConfirmSubscription, notifications with SNS's headers, the UnsubscribeURL, and retries."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import error_of
from .http_endpoint import Endpoint, get, verify


@pytest.fixture
def endpoint():
    made: list[Endpoint] = []

    def make(*statuses: int) -> Endpoint:
        made.append(Endpoint(statuses or (200,)))
        return made[-1]

    yield make
    for e in made:
        e.close()


def subscribe_http(sns, topic: str, url: str, **attributes: str) -> str:
    return sns.subscribe(
        TopicArn=topic, Protocol="http", Endpoint=url, Attributes=attributes, ReturnSubscriptionArn=True
    )["SubscriptionArn"]


def confirmed_by_url(sns, topic: str, hook: Endpoint, **attributes: str) -> str:
    """An HTTP subscription confirmed through the SubscribeURL it was sent."""
    arn = subscribe_http(sns, topic, hook.url, **attributes)
    status, body = get(hook.wait(1)[0].json()["SubscribeURL"])
    assert status == 200 and arn in body
    return arn


def test_confirmation_message_is_signed_and_confirms_by_url(sns, make_topic, endpoint):
    hook = endpoint()
    topic = make_topic()
    assert sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=hook.url)["SubscriptionArn"] == (
        "pending confirmation"
    )
    (request,) = hook.wait(1)
    message = request.json()
    assert list(message) == [
        "Type",
        "MessageId",
        "Token",
        "TopicArn",
        "Message",
        "SubscribeURL",
        "Timestamp",
        "SignatureVersion",
        "Signature",
        "SigningCertURL",
    ]
    assert message["Type"] == "SubscriptionConfirmation" and message["TopicArn"] == topic
    assert message["Message"] == (
        f"You have chosen to subscribe to the topic {topic}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    assert message["SubscribeURL"].endswith(
        f"/?Action=ConfirmSubscription&TopicArn={topic}&Token={message['Token']}"
    )
    verify(message)
    assert request.path == "/sns/hook"
    headers = request.headers
    assert headers["x-amz-sns-message-type"] == "SubscriptionConfirmation"
    assert headers["x-amz-sns-message-id"] == message["MessageId"]
    assert headers["x-amz-sns-topic-arn"] == topic
    assert "x-amz-sns-subscription-arn" not in headers
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"

    status, body = get(message["SubscribeURL"])  # no credentials, as a browser follows the link
    assert status == 200 and "<ConfirmSubscriptionResponse" in body
    (sub,) = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert f"<SubscriptionArn>{sub['SubscriptionArn']}</SubscriptionArn>" in body
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub["SubscriptionArn"])["Attributes"]
    assert attrs["PendingConfirmation"] == "false"
    # confirming again answers the same subscription
    assert get(message["SubscribeURL"])[0] == 200
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (counts["SubscriptionsConfirmed"], counts["SubscriptionsPending"]) == ("1", "0")


def test_confirm_subscription_api_and_bad_tokens(sns, make_topic, endpoint):
    hook = endpoint()
    topic = make_topic()
    arn = subscribe_http(sns, topic, hook.url)
    token = hook.wait(1)[0].json()["Token"]
    cases = [
        ((topic, "randomtoken"), ("InvalidParameter", "Invalid token", 400)),
        ((topic, "abc123"), ("InvalidParameter", "Invalid parameter: Token", 400)),
        ((topic, "0" * 256), ("InvalidParameter", "Invalid parameter: Token", 400)),
        (("not-an-arn", token), ("InvalidParameter", "Invalid parameter: Topic", 400)),
        (
            (topic.replace("us-east-1", "eu-west-1"), token),
            ("InvalidParameter", "Invalid parameter: Topic", 400),
        ),
    ]
    for (topic_arn, bad), expected in cases:
        with pytest.raises(ClientError) as exc:
            sns.confirm_subscription(TopicArn=topic_arn, Token=bad)
        assert error_of(exc) == expected, (topic_arn, bad)
    assert sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "true"
    # the token names the subscription: another topic name in the same region confirms it (as AWS does)
    assert sns.confirm_subscription(TopicArn=topic + "x", Token=token)["SubscriptionArn"] == arn
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    )
    assert sns.confirm_subscription(TopicArn=topic, Token=token)["SubscriptionArn"] == arn


def test_bad_subscribe_url_answers_xml_errors(sns, make_topic, endpoint):
    hook = endpoint()
    topic = make_topic()
    subscribe_http(sns, topic, hook.url)
    url = hook.wait(1)[0].json()["SubscribeURL"]
    base = url.split("/?", 1)[0]
    status, body = get(f"{base}/?Action=ConfirmSubscription&TopicArn=not-an-arn&Token=abc")
    assert status == 400 and "<Code>InvalidParameter</Code>" in body
    assert "<Message>Invalid parameter: Topic</Message>" in body
    status, body = get(f"{base}/?Action=ConfirmSubscription&TopicArn={topic}&Token=abc123")
    assert status == 400 and "<Message>Invalid parameter: Token</Message>" in body


def test_subscribe_bad_endpoints(sns, make_topic):
    topic = make_topic()
    for protocol, url in [
        ("http", "https://example.com/hook"),
        ("https", "http://example.com/hook"),
        ("http", "http://"),
        ("http", "not a url"),
        ("http", "http://host:99999/x"),
    ]:
        with pytest.raises(ClientError) as exc:
            sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=url)
        assert error_of(exc) == (
            "InvalidParameter",
            "Invalid parameter: Endpoint must match the specified protocol",
            400,
        ), url
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic + "-gone", Protocol="http", Endpoint="http://127.0.0.1:9/x")
    assert error_of(exc) == ("NotFound", "Topic does not exist", 404)


def test_notification_with_headers_and_unsubscribe_url(sns, make_topic, endpoint):
    hook = endpoint()
    topic = make_topic()
    arn = confirmed_by_url(sns, topic, hook)
    sns.publish(
        TopicArn=topic,
        Message="hello http",
        Subject="greeting",
        MessageAttributes={"color": {"DataType": "String", "StringValue": "red"}},
    )
    request = hook.wait(2)[1]
    message = request.json()
    assert message["Type"] == "Notification" and message["Message"] == "hello http"
    assert message["Subject"] == "greeting" and message["TopicArn"] == topic
    assert message["MessageAttributes"] == {"color": {"Type": "String", "Value": "red"}}
    verify(message)
    headers = request.headers
    assert headers["x-amz-sns-message-type"] == "Notification"
    assert headers["x-amz-sns-message-id"] == message["MessageId"]
    assert headers["x-amz-sns-topic-arn"] == topic
    assert headers["x-amz-sns-subscription-arn"] == arn
    assert headers["content-type"] == "text/plain; charset=UTF-8"
    assert headers["user-agent"] == "Amazon Simple Notification Service Agent"
    assert "x-amz-sns-rawdelivery" not in headers
    assert message["UnsubscribeURL"].endswith(f"/?Action=Unsubscribe&SubscriptionArn={arn}")

    status, body = get(message["UnsubscribeURL"])  # no credentials
    assert status == 200 and "<UnsubscribeResponse" in body
    with pytest.raises(ClientError) as exc:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert error_of(exc) == ("NotFound", "Subscription does not exist", 404)
    farewell = hook.wait(3)[2]
    goodbye = farewell.json()
    assert goodbye["Type"] == "UnsubscribeConfirmation"
    assert goodbye["Message"].startswith(f"You have chosen to deactivate subscription {arn}.\n")
    assert farewell.headers["x-amz-sns-subscription-arn"] == arn
    verify(goodbye)
    # its SubscribeURL restores the subscription
    assert get(goodbye["SubscribeURL"])[0] == 200
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    )
    sns.publish(TopicArn=topic, Message="after restore")
    assert hook.wait(4)[3].json()["Message"] == "after restore"


def test_raw_delivery_and_content_type_from_delivery_policy(sns, make_topic, endpoint):
    hook = endpoint()
    topic = make_topic()
    policy = {"http": {"defaultRequestPolicy": {"headerContentType": "application/json"}}}
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
    )
    arn = confirmed_by_url(sns, topic, hook, RawMessageDelivery="true")
    effective = json.loads(
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["EffectiveDeliveryPolicy"]
    )
    assert effective["requestPolicy"] == {"headerContentType": "application/json"}
    assert effective["healthyRetryPolicy"]["numRetries"] == 3
    sns.publish(TopicArn=topic, Message='{"raw": true}')
    request = hook.wait(2)[1]
    assert request.body == '{"raw": true}'
    assert request.headers["x-amz-sns-rawdelivery"] == "true"
    assert request.headers["content-type"] == "application/json"


def test_unconfirmed_subscription_gets_nothing_and_expires(sns, make_topic, endpoint, cloudlet):
    hook = endpoint()
    topic = make_topic()
    arn = subscribe_http(sns, topic, hook.url)
    hook.wait(1)
    sns.publish(TopicArn=topic, Message="not for pending")
    time.sleep(0.3)
    assert len(hook.received) == 1
    cloudlet.advance_clock(3 * 86400 + 1)
    with pytest.raises(ClientError) as exc:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert error_of(exc)[1] == "Subscription does not exist"


def advance_until(cloudlet, done, step: float = 21.0, turns: int = 10) -> None:
    """Advance the clock ``step`` at a time until ``done()`` (attempts run in real time)."""
    for _ in range(turns):
        cloudlet.advance_clock(step)
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            if done():
                return
            time.sleep(0.02)
    assert done()


def test_failing_endpoint_is_retried_then_dead_lettered(sns, aws_client, make_topic, endpoint, cloudlet):
    sqs = aws_client("sqs")
    dlq = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    hook = endpoint(200, 500)  # confirms, then fails every notification
    topic = make_topic()
    arn = confirmed_by_url(sns, topic, hook, RedrivePolicy=json.dumps({"deadLetterTargetArn": dlq_arn}))
    sns.publish(TopicArn=topic, Message="never accepted")
    hook.wait(2)
    # the default policy: 3 retries, 20 seconds apart
    advance_until(cloudlet, lambda: len(hook.received) >= 5)
    got = []
    for _ in range(10):
        got = sqs.receive_message(QueueUrl=dlq, WaitTimeSeconds=1).get("Messages", [])
        if got:
            break
        cloudlet.advance_clock(21)
    assert got, "nothing reached the dead-letter queue"
    body = json.loads(got[0]["Body"])
    assert body["Type"] == "Notification" and body["Message"] == "never accepted"
    assert body["UnsubscribeURL"].endswith(arn)
    attempts = [r for r in hook.received if r.headers["x-amz-sns-message-type"] == "Notification"]
    assert len(attempts) == 4 and {r.json()["MessageId"] for r in attempts} == {body["MessageId"]}
    cloudlet.advance_clock(100)
    time.sleep(0.3)
    assert len(hook.received) == 5


def test_custom_retry_policy_and_4xx_not_retried(sns, make_topic, endpoint, cloudlet):
    hook = endpoint(200, 503, 503, 200)
    topic = make_topic()
    policy = {"healthyRetryPolicy": {"numRetries": 2, "minDelayTarget": 5, "maxDelayTarget": 5}}
    confirmed_by_url(sns, topic, hook, DeliveryPolicy=json.dumps(policy))
    sns.publish(TopicArn=topic, Message="third time lucky")
    hook.wait(2)
    advance_until(cloudlet, lambda: len(hook.received) >= 4, step=6)
    assert [r.json()["Message"] for r in hook.received[1:]] == ["third time lucky"] * 3

    gone = endpoint(200, 404)
    other = make_topic()
    confirmed_by_url(sns, other, gone)
    sns.publish(TopicArn=other, Message="refused")
    gone.wait(2)
    cloudlet.advance_clock(60)
    time.sleep(0.3)
    assert len(gone.received) == 2  # a 4xx is not retried


def test_unreachable_endpoint_is_retried(sns, make_topic, endpoint, cloudlet):
    hook = endpoint()
    topic = make_topic()
    confirmed_by_url(sns, topic, hook)
    hook.close()  # nothing listens there now

    def failures() -> int:
        return cloudlet.admin("/_cloudlet/deliveries")["targets"]["sns.http"].get("failure", 0)

    before = failures()
    sns.publish(TopicArn=topic, Message="into the void")
    deadline = time.monotonic() + 5
    while failures() == before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert failures() == before + 1
    cloudlet.advance_clock(21)
    deadline = time.monotonic() + 5
    while failures() == before + 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert failures() == before + 2  # retried, by the default policy 20 seconds later


def test_unsubscribed_endpoint_gets_no_more_retries(sns, make_topic, endpoint, cloudlet):
    hook = endpoint(200, 500)
    topic = make_topic()
    arn = confirmed_by_url(sns, topic, hook)
    sns.publish(TopicArn=topic, Message="stop trying")
    hook.wait(2)
    sns.unsubscribe(SubscriptionArn=arn)  # signed by the owner: no UnsubscribeConfirmation
    for _ in range(4):
        cloudlet.advance_clock(21)
    time.sleep(0.3)
    assert len(hook.received) == 2


def test_confirmation_survives_kill_9(tmp_path, endpoint):
    """The confirmation is a delivery-engine row: an endpoint down at Subscribe gets it after a
    restart, once it is up."""
    hook = endpoint()
    url = hook.url
    port = hook.server.server_port
    hook.close()
    server = ServerProcess(str(tmp_path)).start()
    try:
        sns = client("sns", server.endpoint)
        topic = sns.create_topic(Name="confirm-later")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=url)
    finally:
        server.kill()
    hook = Endpoint((200,), port=port)
    server.start()
    try:
        for _ in range(10):
            server.admin("/_cloudlet/clock", {"advance": 21})
            if hook.received:
                break
            time.sleep(0.2)
        message = hook.wait(1)[0].json()
        assert message["Type"] == "SubscriptionConfirmation" and message["TopicArn"] == topic
        verify(message)
        status, _ = get(message["SubscribeURL"])
        assert status == 200
    finally:
        server.kill()
        hook.close()


def test_topic_delivery_policy_and_disabled_overrides(sns, make_topic, endpoint, cloudlet):
    topic = make_topic()
    policy = {
        "http": {
            "defaultHealthyRetryPolicy": {"minDelayTarget": 5, "maxDelayTarget": 6, "numRetries": 1},
            "disableSubscriptionOverrides": True,
        }
    }
    sns.set_topic_attributes(
        TopicArn=topic, AttributeName="DeliveryPolicy", AttributeValue=json.dumps(policy)
    )
    effective = json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["EffectiveDeliveryPolicy"])
    assert effective == {  # the form recorded from AWS
        "http": {
            "defaultHealthyRetryPolicy": {
                "minDelayTarget": 5,
                "maxDelayTarget": 6,
                "numRetries": 1,
                "numMaxDelayRetries": 0,
                "numNoDelayRetries": 0,
                "numMinDelayRetries": 0,
                "backoffFunction": "linear",
            },
            "disableSubscriptionOverrides": True,
            "defaultRequestPolicy": {"headerContentType": "text/plain; charset=UTF-8"},
        }
    }
    hook = endpoint(200, 500)
    own = {"healthyRetryPolicy": {"numRetries": 5, "minDelayTarget": 1, "maxDelayTarget": 1}}
    arn = confirmed_by_url(sns, topic, hook, DeliveryPolicy=json.dumps(own))
    got = json.loads(
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["EffectiveDeliveryPolicy"]
    )
    assert got["healthyRetryPolicy"]["numRetries"] == 1  # the topic disables the subscription's own
    sns.publish(TopicArn=topic, Message="one retry")
    hook.wait(2)
    advance_until(cloudlet, lambda: len(hook.received) >= 3, step=7)
    for _ in range(3):
        cloudlet.advance_clock(7)
    time.sleep(0.3)
    assert len(hook.received) == 3


def test_subscribing_again_resends_the_confirmation(sns, make_topic, endpoint):
    hook = endpoint()
    topic = make_topic()
    arn = subscribe_http(sns, topic, hook.url)
    first = hook.wait(1)[0].json()
    assert subscribe_http(sns, topic, hook.url) == arn
    second = hook.wait(2)[1].json()
    assert second["Type"] == "SubscriptionConfirmation" and second["Token"] != first["Token"]
    assert sns.confirm_subscription(TopicArn=topic, Token=first["Token"])["SubscriptionArn"] == arn
    subscribe_http(sns, topic, hook.url)  # confirmed: nothing more is sent
    time.sleep(0.3)
    assert len(hook.received) == 2
