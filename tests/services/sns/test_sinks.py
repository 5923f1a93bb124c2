"""Email, email-json, SMS and mobile push deliveries, kept in the sink at /_cloudlet/sns/sent."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
import uuid

import pytest
from botocore.exceptions import ClientError

from cloudlet.services.sns.sink import MAX_KEPT, Sink
from cloudlet.store.db import Store

from .conftest import error_of
from .http_endpoint import get, verify


def sent(cloudlet, **filters: str) -> list[dict]:
    query = urllib.parse.urlencode(filters)
    return cloudlet.admin("/_cloudlet/sns/sent" + (f"?{query}" if query else ""))


def clear(cloudlet, **filters: str) -> dict:
    query = urllib.parse.urlencode(filters)
    url = cloudlet.endpoint + "/_cloudlet/sns/sent" + (f"?{query}" if query else "")
    with urllib.request.urlopen(urllib.request.Request(url, method="DELETE")) as answer:
        return json.loads(answer.read())


def test_email_confirmation_and_notifications(sns, make_topic, cloudlet):
    topic = make_topic()
    address = f"{uuid.uuid4().hex[:8]}@example.com"
    assert sns.subscribe(TopicArn=topic, Protocol="email", Endpoint=address)["SubscriptionArn"] == (
        "pending confirmation"
    )
    (confirmation,) = sent(cloudlet, endpoint=address)
    assert confirmation["type"] == "SubscriptionConfirmation"
    assert confirmation["protocol"] == "email" and confirmation["topicArn"] == topic
    assert confirmation["subscribeUrl"] in confirmation["message"]
    sns.publish(TopicArn=topic, Message="not yet")  # pending: nothing sent
    assert len(sent(cloudlet, endpoint=address)) == 1
    status, body = get(confirmation["subscribeUrl"])
    assert status == 200 and confirmation["subscriptionArn"] in body

    sns.publish(TopicArn=topic, Message="hello email", Subject="Hi")
    notes = sent(cloudlet, endpoint=address, type="Notification")
    assert len(notes) == 1
    note = notes[0]
    assert note["message"] == "hello email" and note["subject"] == "Hi"
    assert note["subscriptionArn"] == confirmation["subscriptionArn"] and note["topicArn"] == topic
    assert note["protocol"] == "email" and note["messageId"] and note["timestamp"].endswith("Z")
    assert sent(cloudlet, messageId=note["messageId"]) == [note]


def test_email_json_gets_the_envelope(sns, make_topic, cloudlet):
    topic = make_topic()
    address = f"{uuid.uuid4().hex[:8]}@example.com"
    sns.subscribe(TopicArn=topic, Protocol="email-json", Endpoint=address)
    (confirmation,) = sent(cloudlet, endpoint=address)
    envelope = json.loads(confirmation["message"])
    assert envelope["Type"] == "SubscriptionConfirmation" and envelope["Token"] == confirmation["token"]
    verify(envelope)
    sns.confirm_subscription(TopicArn=topic, Token=confirmation["token"])
    sns.publish(
        TopicArn=topic, Message=json.dumps({"default": "d", "email-json": "ej"}), MessageStructure="json"
    )
    (note,) = sent(cloudlet, endpoint=address, type="Notification")
    body = json.loads(note["message"])
    assert body["Type"] == "Notification" and body["Message"] == "ej"
    verify(body)


def test_sms_subscription_and_publish_to_a_phone_number(sns, make_topic, cloudlet):
    topic = make_topic()
    number = "+1555" + str(uuid.uuid4().int)[:7]
    arn = sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=number)["SubscriptionArn"]
    assert arn.startswith(topic + ":")  # SMS subscriptions need no confirmation (recorded)
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["PendingConfirmation"] == "false"
    )
    sns.publish(TopicArn=topic, Message=json.dumps({"default": "d", "sms": "short"}), MessageStructure="json")
    (note,) = sent(cloudlet, endpoint=number)
    assert note["message"] == "short" and note["subscriptionArn"] == arn and note["protocol"] == "sms"

    message_id = sns.publish(PhoneNumber=number, Message="direct")["MessageId"]
    (direct,) = sent(cloudlet, messageId=message_id)
    assert direct["endpoint"] == number and direct["message"] == "direct"
    assert direct["topicArn"] is None and direct["subscriptionArn"] is None


def test_sms_bad_input(sns, sns_raw, make_topic):
    for number in ("+1a234", "NAA+15551234567"):
        with pytest.raises(ClientError) as exc:
            sns.publish(PhoneNumber=number, Message="m")
        assert error_of(exc) == (
            "InvalidParameter",
            f"Invalid parameter: PhoneNumber Reason: {number} is not valid to publish to",
            400,
        )
    with pytest.raises(ClientError) as exc:
        sns_raw.publish(PhoneNumber="+15551234567", Message="")
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: Empty message", 400)
    topic = make_topic()
    for number in ("invalid-number", "+15551234567."):
        with pytest.raises(ClientError) as exc:
            sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=number)
        assert error_of(exc) == ("InvalidParameter", f"Invalid SMS endpoint: {number}", 400)


def test_application_subscription_and_missing_platform_endpoint(sns, make_topic, cloudlet):
    topic = make_topic()
    region, account = topic.split(":")[3:5]
    endpoint = f"arn:aws:sns:{region}:{account}:endpoint/GCM/app/{uuid.uuid4()}"
    arn = sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)["SubscriptionArn"]
    sns.publish(TopicArn=topic, Message="push")
    (note,) = sent(cloudlet, subscriptionArn=arn)
    assert note["protocol"] == "application" and note["message"] == "push" and note["endpoint"] == endpoint
    with pytest.raises(ClientError) as exc:
        sns.publish(TargetArn=endpoint, Message="direct")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified",
        400,
    )


def test_clear_and_bad_filters(sns, make_topic, cloudlet):
    topic = make_topic()
    numbers = ["+1666" + str(uuid.uuid4().int)[:7] for _ in range(2)]
    for number in numbers:
        sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint=number)
    sns.publish(TopicArn=topic, Message="to both")
    assert len(sent(cloudlet, topicArn=topic)) == 2
    assert clear(cloudlet, endpoint=numbers[0]) == {"deleted": 1}
    assert [r["endpoint"] for r in sent(cloudlet, topicArn=topic)] == [numbers[1]]
    with pytest.raises(urllib.error.HTTPError) as exc:
        sent(cloudlet, colour="red")
    assert exc.value.code == 400
    clear(cloudlet)
    assert sent(cloudlet) == []


def test_sink_keeps_the_newest_records():
    store = Store(":memory:")
    sink = Sink(store)
    record = {"type": "Notification", "protocol": "sms", "endpoint": "+1", "messageId": "m"}
    with store.transaction():
        for i in range(MAX_KEPT + 5):
            sink.record({**record, "messageId": str(i)}, float(i))
    kept = sink.list({})
    assert len(kept) == MAX_KEPT and kept[0]["messageId"] == "5"
