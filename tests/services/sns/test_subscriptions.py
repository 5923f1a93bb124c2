"""SNS subscriptions: subscribe, attributes, listing with paging, unsubscribe."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def queue_arn(topic_arn: str, name: str = "q") -> str:
    parts = topic_arn.split(":")
    return f"arn:aws:sqs:{parts[3]}:{parts[4]}:{name}"


def test_subscribe_sqs_is_confirmed_and_idempotent(sns, make_topic):
    topic = make_topic()
    endpoint = queue_arn(topic)
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    assert arn.startswith(topic + ":")
    assert sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"] == arn
    got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert got["PendingConfirmation"] == "false"
    assert got["ConfirmationWasAuthenticated"] == "true"
    assert got["RawMessageDelivery"] == "false"
    assert (got["Protocol"], got["Endpoint"], got["TopicArn"]) == ("sqs", endpoint, topic)
    assert got["SubscriptionPrincipal"].startswith("arn:aws:iam::")
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (counts["SubscriptionsConfirmed"], counts["SubscriptionsPending"]) == ("1", "0")
    with pytest.raises(ClientError) as exc:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"RawMessageDelivery": "true"}
        )
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
        400,
    )


def test_subscribe_lambda_confirmed(sns, make_topic):
    topic = make_topic()
    parts = topic.split(":")
    fn = f"arn:aws:lambda:{parts[3]}:{parts[4]}:function:f"
    arn = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn)["SubscriptionArn"]
    got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert got["PendingConfirmation"] == "false" and "RawMessageDelivery" not in got


def test_pending_subscription_and_return_subscription_arn(sns, make_topic):
    topic = make_topic()
    assert (
        sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="a@example.com")["SubscriptionArn"]
        == "pending confirmation"
    )
    arn = sns.subscribe(
        TopicArn=topic, Protocol="https", Endpoint="https://example.com/hook", ReturnSubscriptionArn=True
    )["SubscriptionArn"]
    again = sns.subscribe(TopicArn=topic, Protocol="https", Endpoint="https://example.com/hook")
    assert again["SubscriptionArn"] == "pending confirmation"
    assert arn.startswith(topic + ":")
    got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert got["PendingConfirmation"] == "true"
    listed = sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"]
    assert {s["SubscriptionArn"] for s in listed} == {"pending confirmation"}
    counts = sns.get_topic_attributes(TopicArn=topic)["Attributes"]
    assert (counts["SubscriptionsConfirmed"], counts["SubscriptionsPending"]) == ("0", "2")


def test_subscribe_bad_input(sns, sns_raw, make_topic):
    topic = make_topic()
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic, Protocol="test-protocol", Endpoint="x")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint="https://sqs/queue")
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: SQS endpoint ARN", 400)
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic, "q.fifo"))
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed "
        "to standard SNS topics",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.subscribe(
            TopicArn=topic,
            Protocol="sqs",
            Endpoint=queue_arn(topic),
            Attributes={"RawMessageDelivery": "wrongvalue"},
        )
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic), Attributes={"InvalidKey": "x"}
        )
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Invalid attribute name: InvalidKey",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic + "-gone", Protocol="sqs", Endpoint=queue_arn(topic))
    assert error_of(exc) == ("NotFound", "Topic does not exist", 404)
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn="nope", Protocol="sqs", Endpoint=queue_arn(topic))
    assert (
        error_of(exc)[1] == "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1"
    )


def test_fifo_topic_takes_fifo_queue(sns, make_topic):
    topic = make_topic(fifo=True)
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic, "q.fifo"))[
        "SubscriptionArn"
    ]
    assert arn.startswith(topic + ":")


def test_set_subscription_attributes(sns, make_topic):
    topic = make_topic()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic))["SubscriptionArn"]
    policy = json.dumps({"color": ["red"]})
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RawMessageDelivery", AttributeValue="true"
    )
    sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName="FilterPolicy", AttributeValue=policy)
    redrive = json.dumps({"deadLetterTargetArn": queue_arn(topic, "dlq")})
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="RedrivePolicy", AttributeValue=redrive
    )
    got = sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]
    assert got["RawMessageDelivery"] == "true"
    assert got["FilterPolicy"] == policy and got["FilterPolicyScope"] == "MessageAttributes"
    assert got["RedrivePolicy"] == redrive
    sns.set_subscription_attributes(
        SubscriptionArn=arn, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    assert (
        sns.get_subscription_attributes(SubscriptionArn=arn)["Attributes"]["FilterPolicyScope"]
        == "MessageBody"
    )

    cases = [
        (
            "RawMessageDelivery",
            "test-ValUe",
            "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.",
        ),
        ("InvalidAttribute", "x", "Invalid parameter: AttributeName"),
        (
            "RedrivePolicy",
            json.dumps({"deadLetterTargetArn": "x"}),
            "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn",
        ),
    ]
    for name, value, message in cases:
        with pytest.raises(ClientError) as exc:
            sns.set_subscription_attributes(SubscriptionArn=arn, AttributeName=name, AttributeValue=value)
        assert error_of(exc) == ("InvalidParameter", message, 400)
    for name in ("FilterPolicy", "RedrivePolicy"):
        with pytest.raises(ClientError) as exc:
            sns.set_subscription_attributes(
                SubscriptionArn=arn, AttributeName=name, AttributeValue="{invalid"
            )
        assert error_of(exc)[1].startswith(f"Invalid parameter: {name}: failed to parse JSON.")
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=arn + "x", AttributeName="RawMessageDelivery", AttributeValue="true"
        )
    assert error_of(exc) == ("NotFound", "Subscription does not exist", 404)


def test_list_subscriptions_by_topic_pages(sns, make_topic):
    topic = make_topic()
    arns = {
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic, f"q{i}"))["SubscriptionArn"]
        for i in range(120)
    }
    first = sns.list_subscriptions_by_topic(TopicArn=topic)
    assert len(first["Subscriptions"]) == 100
    second = sns.list_subscriptions_by_topic(TopicArn=topic, NextToken=first["NextToken"])
    assert "NextToken" not in second
    assert {s["SubscriptionArn"] for s in first["Subscriptions"] + second["Subscriptions"]} == arns
    entry = first["Subscriptions"][0]
    assert entry["Protocol"] == "sqs" and entry["TopicArn"] == topic and entry["Owner"] == topic.split(":")[4]
    everything = []
    kwargs: dict = {}
    while True:
        page = sns.list_subscriptions(**kwargs)
        everything += [s["SubscriptionArn"] for s in page["Subscriptions"]]
        if "NextToken" not in page:
            break
        kwargs = {"NextToken": page["NextToken"]}
    assert arns <= set(everything)


def test_unsubscribe_and_topic_deletion(sns, make_topic):
    topic = make_topic()
    arn = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic))["SubscriptionArn"]
    sns.unsubscribe(SubscriptionArn=arn)
    sns.unsubscribe(SubscriptionArn=arn)
    with pytest.raises(ClientError) as exc:
        sns.get_subscription_attributes(SubscriptionArn=arn)
    assert error_of(exc) == ("NotFound", "Subscription does not exist", 404)
    with pytest.raises(ClientError) as exc:
        sns.unsubscribe(SubscriptionArn="wrong")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1",
        400,
    )
    second = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(topic))["SubscriptionArn"]
    sns.delete_topic(TopicArn=topic)
    with pytest.raises(ClientError) as exc:
        sns.get_subscription_attributes(SubscriptionArn=second)
    assert error_of(exc)[0] == "NotFound"
