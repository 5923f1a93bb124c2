"""Subscription filter policies: AWS's checks on Subscribe/SetSubscriptionAttributes (recorded
messages) and their effect on the fan-out to SQS subscribers."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of

SUBSCRIBE = "Invalid parameter: Attributes Reason: FilterPolicy: "
SET = "Invalid parameter: FilterPolicy: "
NESTED = "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"


@pytest.fixture
def sqs(aws_client):
    return aws_client("sqs")


def make_queue(sqs) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=f"fq-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def subscribe_queue(sns, sqs, topic: str, policy: dict | None = None, **attributes: str) -> tuple[str, str]:
    """A new queue subscribed to ``topic`` (with ``policy`` as its FilterPolicy): (url, sub arn)."""
    url, arn = make_queue(sqs)
    if policy is not None:
        attributes["FilterPolicy"] = json.dumps(policy)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes=attributes)
    return url, sub["SubscriptionArn"]


def drain(sqs, url: str, expected: int) -> list[dict]:
    """Every message the queue gets: ``expected`` of them, then a second's wait for any more."""
    got: list[dict] = []
    deadline = time.monotonic() + 10
    while len(got) < expected and time.monotonic() < deadline:
        got += sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
        ).get("Messages", [])
    got += sqs.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageAttributeNames=["All"]
    ).get("Messages", [])
    return got


def texts(messages: list[dict], raw: bool = False) -> list[str]:
    return sorted(m["Body"] if raw else json.loads(m["Body"])["Message"] for m in messages)


def s(value: str) -> dict:
    return {"DataType": "String", "StringValue": value}


def n(value: str) -> dict:
    return {"DataType": "Number", "StringValue": value}


def a(*values) -> dict:
    return {"DataType": "String.Array", "StringValue": json.dumps(list(values))}


# ---- the fan-out ---------------------------------------------------------------------------


def test_three_queues_with_different_policies_get_exactly_their_messages(sns, sqs, make_topic):
    topic = make_topic()
    by_attributes, _ = subscribe_queue(
        sns, sqs, topic, {"color": ["red", "blue"], "size": [{"numeric": [">=", 10, "<", 20]}]}
    )
    by_array, _ = subscribe_queue(sns, sqs, topic, {"tags": ["urgent", {"prefix": "vip-"}]})
    by_body, _ = subscribe_queue(
        sns,
        sqs,
        topic,
        {"order": {"kind": ["book"], "price": [{"numeric": [">", 100]}]}},
        FilterPolicyScope="MessageBody",
    )
    everything, _ = subscribe_queue(sns, sqs, topic)

    def body(ident: str, kind, price) -> str:
        return json.dumps({"id": ident, "order": {"kind": kind, "price": price}})

    published = {
        "m1": (body("m1", "book", 150), {"color": s("red"), "size": n("15"), "tags": a("urgent", "x")}),
        "m2": (body("m2", "book", 50), {"color": s("green"), "size": n("15"), "tags": a("later")}),
        "m3": ("plain text m3", {"color": s("blue"), "size": n("10"), "tags": a("vip-gold")}),
        "m4": (body("m4", "book", 101), {}),
        "m5": (body("m5", ["pen", "book"], 200), {"color": s("red"), "size": n("20"), "tags": a("urgent")}),
        "m6": (body("m6", "pen", 500), {"color": s("RED"), "size": s("15"), "tags": s("urgent")}),
    }
    for message, attributes in published.values():
        sns.publish(TopicArn=topic, Message=message, MessageAttributes=attributes)

    def ids(url: str, count: int) -> list[str]:
        return sorted(
            m.split(" ")[-1] if m.startswith("plain") else json.loads(m)["id"]
            for m in texts(drain(sqs, url, count))
        )

    assert ids(by_attributes, 2) == ["m1", "m3"]  # m5: 20 is not < 20; m6: "RED", and a String size
    assert ids(by_array, 4) == ["m1", "m3", "m5", "m6"]  # String.Array elements, and a plain String
    assert ids(by_body, 3) == ["m1", "m4", "m5"]  # m3 is not JSON; m5's kind is an array holding "book"
    assert ids(everything, 6) == ["m1", "m2", "m3", "m4", "m5", "m6"]


def test_number_attribute_against_numeric_ranges(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribe_queue(sns, sqs, topic, {"price": [{"numeric": [">", 0, "<=", 100]}]})
    exact, _ = subscribe_queue(sns, sqs, topic, {"price": [100, {"numeric": ["=", -2.5]}]})
    values = ["99", "100", "100.0", "1e2", "0.00001", "0", "-2.5", "100.001", "250"]
    for value in values:
        sns.publish(TopicArn=topic, Message=f"n {value}", MessageAttributes={"price": n(value)})
    sns.publish(TopicArn=topic, Message="string 50", MessageAttributes={"price": s("50")})
    assert texts(drain(sqs, url, 5)) == sorted(["n 99", "n 100", "n 100.0", "n 1e2", "n 0.00001"])
    assert texts(drain(sqs, exact, 4)) == sorted(["n 100", "n 100.0", "n 1e2", "n -2.5"])


def test_raw_delivery_with_a_filter(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribe_queue(
        sns, sqs, topic, {"event": [{"anything-but": ["ignored"]}]}, RawMessageDelivery="true"
    )
    sns.publish(TopicArn=topic, Message="skip", MessageAttributes={"event": s("ignored")})
    sns.publish(TopicArn=topic, Message="take", MessageAttributes={"event": s("placed"), "n": n("3")})
    (msg,) = drain(sqs, url, 1)
    assert msg["Body"] == "take"
    assert msg["MessageAttributes"] == {
        "event": {"DataType": "String", "StringValue": "placed"},
        "n": {"DataType": "Number", "StringValue": "3"},
    }


def test_null_exists_and_binary_attributes(sns, sqs, make_topic):
    topic = make_topic()
    null_or_other, _ = subscribe_queue(sns, sqs, topic, {"attr1": [None, {"anything-but": "whatever"}]})
    present, _ = subscribe_queue(sns, sqs, topic, {"store": [{"exists": True}]})
    absent, _ = subscribe_queue(sns, sqs, topic, {"store": [{"exists": False}]})
    binary = {"DataType": "Binary", "BinaryValue": b"\x00\x01"}
    sns.publish(TopicArn=topic, Message="no attributes")
    sns.publish(TopicArn=topic, Message="whatever", MessageAttributes={"attr1": s("whatever")})
    sns.publish(TopicArn=topic, Message="other", MessageAttributes={"attr1": s("other"), "store": n("99")})
    sns.publish(TopicArn=topic, Message="binary store", MessageAttributes={"store": binary})
    # null matches a message without the attribute (recorded: one with no attributes at all)
    assert texts(drain(sqs, null_or_other, 3)) == ["binary store", "no attributes", "other"]
    assert texts(drain(sqs, present, 1)) == ["other"]  # a Binary attribute is not compared
    assert texts(drain(sqs, absent, 3)) == ["binary store", "no attributes", "whatever"]


def test_body_scope_nested_keys_or_and_arrays(sns, sqs, make_topic):
    topic = make_topic()
    policy = {
        "detail": {"scope": ["Service"]},
        "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": [{"prefix": "AWS/"}]}],
    }
    url, _ = subscribe_queue(sns, sqs, topic, policy, FilterPolicyScope="MessageBody")
    bodies = [
        {"metricName": "CPUUtilization", "detail": {"scope": "Service"}},
        {"namespace": "AWS/EC2", "detail": {"scope": "Service"}},
        {"namespace": "Custom", "detail": {"scope": "Service"}},
        {"metricName": "CPUUtilization", "detail": {"scope": "Other"}},
        {"metricName": "CPUUtilization", "detail.scope": "Service"},  # a dotted key is not nesting
        [{"metricName": "CPUUtilization"}],
    ]
    for body in bodies:
        sns.publish(TopicArn=topic, Message=json.dumps(body))
    assert texts(drain(sqs, url, 2)) == sorted(json.dumps(b) for b in bodies[:2])


def test_changing_the_policy_or_its_scope_applies_to_the_next_message(sns, sqs, make_topic):
    topic = make_topic()
    url, sub = subscribe_queue(sns, sqs, topic, {"kind": ["a"]})
    sns.publish(TopicArn=topic, Message='{"kind": "a"}', MessageAttributes={"kind": s("b")})
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"kind": ["b"]})
    )
    sns.publish(TopicArn=topic, Message='{"kind": "a"} 2', MessageAttributes={"kind": s("b")})
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    sns.publish(TopicArn=topic, Message='{"kind": "b"}', MessageAttributes={"kind": s("a")})
    sns.publish(TopicArn=topic, Message='{"kind": "a"}', MessageAttributes={"kind": s("b")})
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="")
    sns.publish(TopicArn=topic, Message="no policy any more")
    assert texts(drain(sqs, url, 3)) == sorted(['{"kind": "a"} 2', '{"kind": "b"}', "no policy any more"])


def test_publish_batch_is_filtered_per_entry(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribe_queue(sns, sqs, topic, {"attr1": [{"numeric": [">", 0, "<=", 100]}]})
    entries = [
        {"Id": "1", "Message": "in", "MessageAttributes": {"attr1": n("99")}},
        {"Id": "2", "Message": "out", "MessageAttributes": {"attr1": n("111")}},
        {"Id": "3", "Message": "none"},
    ]
    assert len(sns.publish_batch(TopicArn=topic, PublishBatchRequestEntries=entries)["Successful"]) == 3
    assert texts(drain(sqs, url, 1)) == ["in"]


def test_message_structure_json_body_scope_uses_the_protocol_message(sns, sqs, make_topic):
    topic = make_topic()
    url, _ = subscribe_queue(sns, sqs, topic, {"k": ["sqs"]}, FilterPolicyScope="MessageBody")
    message = json.dumps({"default": json.dumps({"k": "default"}), "sqs": json.dumps({"k": "sqs"})})
    sns.publish(TopicArn=topic, Message=message, MessageStructure="json")
    other = json.dumps({"default": json.dumps({"k": "sqs"}), "sqs": json.dumps({"k": "other"})})
    sns.publish(TopicArn=topic, Message=other, MessageStructure="json")
    assert texts(drain(sqs, url, 1)) == ['{"k": "sqs"}']


# ---- the checks ----------------------------------------------------------------------------

# (policy, reason) as recorded from AWS (the reason after "FilterPolicy: "; AWS appends its
# parser's "\n at [Source: ...; line: 1, column: N]" location, which Cloudlet leaves out).
INVALID = [
    ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
    ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
    ({"key": [{"suffix": "value", "prefix": "value2"}]}, "Only one key allowed in match expression"),
    ({"key": []}, "Empty arrays are not allowed"),
    ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": None}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": []}]}, "suffix match pattern must be a string"),
    ({"key": [{"suffix": ["test", "test2"]}]}, "suffix match pattern must be a string"),
    ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
    ({"key": {"suffix": "value", "prefix": "value"}}, '"suffix" must be an object or an array'),
    ({"key": {"not-an-operator": "value"}}, '"not-an-operator" must be an object or an array'),
    ({"key": [{"cidr": ["bad-filter"]}]}, "prefix match pattern must be a string"),
    ({"key": [{"cidr": "bad-filter"}]}, "Malformed CIDR, one '/' required"),
    ({"key": [{"cidr": "bad-filter/64"}]}, "Nonstandard IP address: bad-filter"),
    ({"key": [{"cidr": "10.0.0.0/bad"}]}, "Malformed CIDR, mask bits must be an integer"),
    ({"key": [{"cidr": "xx.11.xx/8"}]}, "Nonstandard IP address: xx.11.xx"),
    ({"key": [{"cidr": "xxxx:db8:1234:1a00::/64"}]}, "Nonstandard IP address: xxxx:db8:1234:1a00::"),
    ({"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
    ({"key": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
    ({"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
    ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
    ({"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
    ({"key": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
    ({"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
    ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
    ({"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
    ({"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
    ({"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
    ({"key": [{"numeric": [">", "20", "<", "30"]}]}, "Value of > must be numeric"),
    ({"key": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
    ({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
    ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
    ({"key": [{"exists": "no"}]}, "exists match pattern must be either true or false."),
    (
        {"key": [{"anything-but": {"wrong-operator": None}}]},
        "Unsupported anything-but pattern: wrong-operator",
    ),
    ({"key": [{"anything-but": {"suffix": "test"}}]}, "Unsupported anything-but pattern: suffix"),
    ({"key": [{"anything-but": {"exists": False}}]}, "Unsupported anything-but pattern: exists"),
    ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string"),
    ({"key_a": "value_one"}, '"key_a" must be an object or an array'),
    # complexity: 5 keys at most, 150 combinations (the product of each key's values)
    ({"key": list(range(151))}, "Filter policy is too complex"),
    ({"a": list(range(13)), "b": list(range(12))}, "Filter policy is too complex"),
    ({k: ["v"] for k in "abcdef"}, "Filter policy can not have more than 5 keys"),
    ({"$or": [{"a": list(range(100))}, {"b": list(range(51))}]}, "Filter policy is too complex"),
    (
        {"x": list(range(10)), "$or": [{"a": list(range(10))}, {"b": list(range(6))}]},
        "Filter policy is too complex",
    ),
    (
        {"$or": [{"a": ["1"]}, {"b": ["1"], "c": ["1"]}], "d": ["1"], "e": ["1"], "f": ["1"]},
        "Filter policy can not have more than 5 keys",
    ),
]


def _ids(case):
    return json.dumps(case[0])[:40]


@pytest.mark.parametrize(("policy", "reason"), INVALID, ids=[_ids(c) for c in INVALID])
def test_invalid_policies_on_subscribe_and_set(sns, make_topic, policy, reason):
    topic = make_topic()
    endpoint = topic.replace(":sns:", ":sqs:")
    with pytest.raises(ClientError) as exc:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"FilterPolicy": json.dumps(policy)}
        )
    assert error_of(exc) == ("InvalidParameter", SUBSCRIBE + reason, 400)
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
        )
    assert error_of(exc) == ("InvalidParameter", SET + reason, 400)
    assert "FilterPolicy" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]


def test_policy_that_is_not_json(sns, make_topic):
    topic = make_topic()
    endpoint = topic.replace(":sns:", ":sqs:")
    location = (
        "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: "
    )
    with pytest.raises(ClientError) as exc:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"FilterPolicy": "invalid-json"}
        )
    assert error_of(exc) == (
        "InvalidParameter",
        SUBSCRIBE + "failed to parse JSON. Unrecognized token 'invalid': was expecting (JSON String, Number, "
        "Array, Object or token 'null', 'true' or 'false')" + location + "8]",
        400,
    )  # recorded
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue="{invalid}"
        )
    assert error_of(exc) == (
        "InvalidParameter",
        SET + "failed to parse JSON. Unexpected character ('i' (code 105)): was expecting double-quote to "
        "start field name" + location + "2]",
        400,
    )  # recorded
    for text in ('{"a": ["x"]', "[1, ]"):  # other syntax errors: the wording is unverified
        with pytest.raises(ClientError) as exc:
            sns.set_subscription_attributes(
                SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=text
            )
        code, message, status = error_of(exc)
        assert (code, status) == ("InvalidParameter", 400)
        assert message.startswith(SET + "failed to parse JSON. ")


@pytest.mark.parametrize("policy", ["[1]", '"{\\"a\\": [\\"x\\"]}"', "null", "5", "true"])
def test_policy_that_is_not_an_object(sns, make_topic, policy):
    topic = make_topic()
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=topic.replace(":sns:", ":sqs:"))[
        "SubscriptionArn"
    ]
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=policy
        )
    assert error_of(exc) == ("InvalidParameter", SET + "Filter is not an object", 400)  # unverified reason


def test_huge_policy(sns, make_topic):
    topic = make_topic()
    endpoint = topic.replace(":sns:", ":sqs:")
    policy = json.dumps({"key": ["x" * (256 * 1024)]})
    with pytest.raises(ClientError) as exc:
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"FilterPolicy": policy})
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidParameter", 400) and message.startswith(SUBSCRIBE)
    just_fits = json.dumps({"key": ["x" * (256 * 1024 - 20)]})
    arn = sns.subscribe(
        TopicArn=topic, Protocol="sqs", Endpoint=endpoint, Attributes={"FilterPolicy": just_fits}
    )
    assert arn["SubscriptionArn"].startswith(topic)


def test_nested_policy_needs_the_message_body_scope(sns, make_topic):
    topic = make_topic()
    endpoint = topic.replace(":sns:", ":sqs:")
    nested = json.dumps({"object": {"key": [{"prefix": "auto-"}]}})
    sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=endpoint)["SubscriptionArn"]
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested
        )
    assert error_of(exc) == ("InvalidParameter", NESTED, 400)  # recorded
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody"
    )
    assert (
        "FilterPolicyScope" not in sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    )  # recorded
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=nested)
    got = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert (got["FilterPolicy"], got["FilterPolicyScope"]) == (nested, "MessageBody")
    with pytest.raises(ClientError) as exc:  # the scope cannot go back while the policy is nested
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageAttributes"
        )
    assert error_of(exc) == ("InvalidParameter", NESTED, 400)
    assert (
        sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]["FilterPolicyScope"]
        == "MessageBody"
    )
    with pytest.raises(ClientError) as exc:
        sns.set_subscription_attributes(
            SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="RandomValue"
        )
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or "
        "MessageAttributes",
        400,
    )  # recorded
    # On Subscribe the scope given with the policy counts
    with pytest.raises(ClientError) as exc:
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=endpoint + "2", Attributes={"FilterPolicy": nested}
        )
    assert error_of(exc) == ("InvalidParameter", NESTED, 400)  # unverified for Subscribe
    other = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=endpoint + "2",
        Attributes={"FilterPolicy": nested, "FilterPolicyScope": "MessageBody"},
    )["SubscriptionArn"]
    assert (
        sns.get_subscription_attributes(SubscriptionArn=other)["Attributes"]["FilterPolicyScope"]
        == "MessageBody"
    )


def test_body_scope_counts_nested_keys_and_combinations(sns, make_topic):
    topic = make_topic()
    sub = sns.subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=topic.replace(":sns:", ":sqs:"),
        Attributes={"FilterPolicyScope": "MessageBody"},
    )["SubscriptionArn"]
    cases = [
        ({"a": {"b": {"c": list(range(20))}}, "d": list(range(8))}, "Filter policy is too complex"),
        (
            {"a": {"b": ["1"], "c": ["1"], "d": ["1"]}, "e": {"f": ["1"], "g": ["1"]}, "h": ["1"]},
            "Filter policy can not have more than 5 keys",
        ),
    ]
    for policy, reason in cases:
        with pytest.raises(ClientError) as exc:
            sns.set_subscription_attributes(
                SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(policy)
            )
        assert error_of(exc) == ("InvalidParameter", SET + reason, 400)
    fits = {"a": {"b": {"c": list(range(15))}}, "d": list(range(10))}
    sns.set_subscription_attributes(
        SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps(fits)
    )
