"""SNS topics: create (standard, FIFO, idempotency), attributes, listing, deletion, tags, policy."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_create_standard_topic_and_default_attributes(sns):
    name = f"std-{uuid.uuid4().hex[:8]}"
    arn = sns.create_topic(Name=name)["TopicArn"]
    assert arn.startswith("arn:aws:sns:us-east-1:") and arn.endswith(f":{name}")
    account = arn.split(":")[4]
    got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert got["TopicArn"] == arn
    assert got["Owner"] == account
    assert got["DisplayName"] == ""
    assert (got["SubscriptionsConfirmed"], got["SubscriptionsPending"], got["SubscriptionsDeleted"]) == (
        "0",
        "0",
        "0",
    )
    assert "FifoTopic" not in got and "ContentBasedDeduplication" not in got
    policy = json.loads(got["Policy"])
    assert policy["Id"] == "__default_policy_ID" and policy["Version"] == "2008-10-17"
    statement = policy["Statement"][0]
    assert statement["Resource"] == arn
    assert statement["Condition"] == {"StringEquals": {"AWS:SourceOwner": account}}
    assert "SNS:Publish" in statement["Action"] and len(statement["Action"]) == 8
    delivery = json.loads(got["EffectiveDeliveryPolicy"])
    assert delivery["http"]["defaultHealthyRetryPolicy"]["numRetries"] == 3


def test_create_fifo_topic(sns, make_topic):
    arn = make_topic(fifo=True, DisplayName="TestTopic")
    got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert got["FifoTopic"] == "true"
    assert got["ContentBasedDeduplication"] == "false"
    assert got["DisplayName"] == "TestTopic"


@pytest.mark.parametrize("name", ["", "has space", "bad#char", "x" * 257, "named.fifo"])
def test_bad_topic_names(sns_raw, name):
    with pytest.raises(ClientError) as exc:
        sns_raw.create_topic(Name=name)
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: Topic Name", 400)


def test_fifo_attribute_needs_fifo_name(sns):
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name=f"plain-{uuid.uuid4().hex[:6]}", Attributes={"FifoTopic": "true"})
    assert error_of(exc)[0] == "InvalidParameter"


def test_create_is_idempotent_and_refuses_other_attributes_or_tags(sns):
    name = f"idem-{uuid.uuid4().hex[:8]}"
    arn = sns.create_topic(Name=name, Attributes={"DisplayName": "a"}, Tags=[{"Key": "k", "Value": "v"}])[
        "TopicArn"
    ]
    assert sns.create_topic(Name=name)["TopicArn"] == arn
    assert sns.create_topic(Name=name, Attributes={"DisplayName": "a"})["TopicArn"] == arn
    assert sns.create_topic(Name=name, Tags=[{"Key": "k", "Value": "v"}])["TopicArn"] == arn
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name=name, Attributes={"DisplayName": "b"})
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Topic already exists with different attributes",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name=name, Tags=[{"Key": "k", "Value": "v"}, {"Key": "k2", "Value": "v2"}])
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Tags Reason: Topic already exists with different tags",
        400,
    )


def test_unknown_and_malformed_topic(sns):
    account_arn = sns.create_topic(Name=f"x-{uuid.uuid4().hex[:6]}")["TopicArn"]
    missing = account_arn.rsplit(":", 1)[0] + ":does-not-exist"
    with pytest.raises(ClientError) as exc:
        sns.get_topic_attributes(TopicArn=missing)
    assert error_of(exc) == ("NotFound", "Topic does not exist", 404)
    with pytest.raises(ClientError) as exc:
        sns.get_topic_attributes(TopicArn="not-an-arn")
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
        400,
    )


def test_set_topic_attributes(sns, make_topic):
    arn = make_topic()
    sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="shown")
    policy = {"Version": "2012-10-17", "Statement": []}
    sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue=json.dumps(policy))
    got = sns.get_topic_attributes(TopicArn=arn)["Attributes"]
    assert got["DisplayName"] == "shown"
    assert json.loads(got["Policy"]) == policy
    with pytest.raises(ClientError) as exc:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Bogus", AttributeValue="x")
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: AttributeName", 400)
    with pytest.raises(ClientError) as exc:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="FifoTopic", AttributeValue="true")
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: AttributeName", 400)
    with pytest.raises(ClientError) as exc:
        sns.set_topic_attributes(TopicArn=arn, AttributeName="Policy", AttributeValue="{nope")
    assert error_of(exc)[0] == "InvalidParameter"
    with pytest.raises(ClientError) as exc:
        sns.set_topic_attributes(TopicArn=arn + "-gone", AttributeName="DisplayName", AttributeValue="x")
    assert error_of(exc) == ("NotFound", "Topic does not exist", 404)


def test_unknown_attribute_on_create(sns):
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name=f"u-{uuid.uuid4().hex[:6]}", Attributes={"InvalidKey": "x"})
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Attributes Reason: Invalid attribute name: InvalidKey",
        400,
    )


def test_list_topics_pages_by_100(aws_client):
    sns = aws_client("sns", region_name="ap-south-2")
    arns = {sns.create_topic(Name=f"page-{i:03d}")["TopicArn"] for i in range(150)}
    first = sns.list_topics()
    assert len(first["Topics"]) == 100 and "NextToken" in first
    second = sns.list_topics(NextToken=first["NextToken"])
    assert "NextToken" not in second
    listed = [t["TopicArn"] for t in first["Topics"] + second["Topics"]]
    assert set(listed) >= arns and len(listed) == len(set(listed))
    for arn in arns:
        sns.delete_topic(TopicArn=arn)
    assert not {t["TopicArn"] for t in sns.list_topics()["Topics"]} & arns


def test_delete_topic_is_idempotent(sns, make_topic):
    arn = make_topic()
    sns.delete_topic(TopicArn=arn)
    sns.delete_topic(TopicArn=arn)
    with pytest.raises(ClientError) as exc:
        sns.get_topic_attributes(TopicArn=arn)
    assert error_of(exc)[0] == "NotFound"
    with pytest.raises(ClientError) as exc:
        sns.delete_topic(TopicArn="bad")
    assert error_of(exc)[0] == "InvalidParameter"


def test_tags(sns, make_topic):
    arn = make_topic()
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [
        {"Key": "k1", "Value": "v1"},
        {"Key": "k2", "Value": "v2"},
    ]
    sns.untag_resource(ResourceArn=arn, TagKeys=["k1"])
    sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k2", "Value": "v2b"}])
    assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k2", "Value": "v2b"}]
    with pytest.raises(ClientError) as exc:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.", 400)
    with pytest.raises(ClientError) as exc:
        sns.list_tags_for_resource(ResourceArn=arn + "-gone")
    assert error_of(exc)[0] == "ResourceNotFound"


def test_add_and_remove_permission(sns, make_topic):
    arn = make_topic()
    sns.add_permission(TopicArn=arn, Label="share", AWSAccountId=["222222222222"], ActionName=["Publish"])
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    added = next(s for s in statements if s["Sid"] == "share")
    assert added["Principal"] == {"AWS": "arn:aws:iam::222222222222:root"}
    assert added["Action"] == "SNS:Publish" and added["Resource"] == arn
    with pytest.raises(ClientError) as exc:
        sns.add_permission(TopicArn=arn, Label="share", AWSAccountId=["222222222222"], ActionName=["Publish"])
    assert error_of(exc) == ("InvalidParameter", "Invalid parameter: Statement already exists", 400)
    with pytest.raises(ClientError) as exc:
        sns.add_permission(TopicArn=arn, Label="x", AWSAccountId=["222222222222"], ActionName=["sqs:Bad"])
    assert error_of(exc) == (
        "InvalidParameter",
        "Invalid parameter: Policy statement action out of service scope!",
        400,
    )
    sns.remove_permission(TopicArn=arn, Label="share")
    statements = json.loads(sns.get_topic_attributes(TopicArn=arn)["Attributes"]["Policy"])["Statement"]
    assert [s["Sid"] for s in statements] == ["__default_statement_ID"]


def test_content_based_deduplication_is_for_fifo_topics(sns, make_topic):
    with pytest.raises(ClientError) as exc:
        sns.create_topic(Name=f"c-{uuid.uuid4().hex[:6]}", Attributes={"ContentBasedDeduplication": "true"})
    assert error_of(exc)[0] == "InvalidParameter"
    arn = make_topic(fifo=True)
    sns.set_topic_attributes(TopicArn=arn, AttributeName="ContentBasedDeduplication", AttributeValue="true")
    assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["ContentBasedDeduplication"] == "true"


def test_list_topics_bad_token(sns_raw):
    with pytest.raises(ClientError) as exc:
        sns_raw.list_topics(NextToken="%%%")
    assert error_of(exc)[0] == "InvalidParameter"
