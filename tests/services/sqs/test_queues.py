"""SQS queue management: create, URLs, listing, attributes, tags, permissions, purge."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import arn_of, error_of
from .query_client import QueryError


def test_create_is_idempotent_for_equal_attributes(sqs):
    name = f"idem-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"]
    assert url.endswith(f"/000000000000/{name}")
    assert sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "5"})["QueueUrl"] == url
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name, Attributes={"DelaySeconds": "6"})
    assert error_of(exc) == (
        "QueueAlreadyExists",
        "A queue already exists with the same name and a different value for attribute DelaySeconds",
        400,
    )


@pytest.mark.parametrize("name", ["bad name", "x" * 81, "a/b", "dots.not.allowed", ""])
def test_create_rejects_invalid_names(sqs_raw, name):
    with pytest.raises(ClientError) as exc:
        sqs_raw.create_queue(QueueName=name)
    code, _, status = error_of(exc)
    assert status == 400 and code in ("InvalidParameterValue", "MissingParameter")


def test_fifo_queue_needs_fifo_suffix_and_standard_cannot_have_it(sqs):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=f"nofifo-{uuid.uuid4().hex[:6]}", Attributes={"FifoQueue": "true"})
    assert error_of(exc)[0] == "InvalidParameterValue"
    with pytest.raises(ClientError):
        sqs.create_queue(QueueName=f"std-{uuid.uuid4().hex[:6]}.fifo")


def test_standard_queue_rejects_fifo_attributes(sqs):
    name = f"std-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name, Attributes={"ContentBasedDeduplication": "true"})
    assert error_of(exc) == ("InvalidAttributeName", "Unknown Attribute ContentBasedDeduplication.", 400)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name, Attributes={"DeduplicationScope": "queue"})
    assert error_of(exc)[1] == "You can specify the DeduplicationScope only when FifoQueue is set to true."


def test_get_queue_url_and_owner(sqs, aws_client, make_queue):
    url = make_queue("owned")
    name = url.rsplit("/", 1)[1]
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url
    assert sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="000000000000")["QueueUrl"] == url
    other = aws_client("sqs", aws_access_key_id="111111111111")
    with pytest.raises(ClientError) as exc:
        other.get_queue_url(QueueName=name)
    assert error_of(exc) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
        400,
    )
    assert other.get_queue_url(QueueName=name, QueueOwnerAWSAccountId="000000000000")["QueueUrl"] == url


def test_queues_live_per_account_and_region(aws_client):
    name = f"scoped-{uuid.uuid4().hex[:6]}"
    east = aws_client("sqs")
    west = aws_client("sqs", region_name="eu-west-1")
    east.create_queue(QueueName=name)
    with pytest.raises(ClientError):
        west.get_queue_url(QueueName=name)
    west.create_queue(QueueName=name, Attributes={"DelaySeconds": "3"})
    arn = west.get_queue_attributes(
        QueueUrl=west.get_queue_url(QueueName=name)["QueueUrl"], AttributeNames=["All"]
    )
    assert arn["Attributes"]["QueueArn"] == f"arn:aws:sqs:eu-west-1:000000000000:{name}"


def test_any_host_form_of_the_queue_url_is_accepted(sqs, make_queue):
    url = make_queue("hosts")
    path = url.split("/", 3)[3]
    for form in (
        f"https://sqs.us-east-1.amazonaws.com/{path}",
        f"http://sqs.us-east-1.localhost.localstack.cloud:4566/{path}",
        f"http://localhost:4566/{path}",
    ):
        sqs.send_message(QueueUrl=form, MessageBody="x")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    assert attrs["Attributes"]["ApproximateNumberOfMessages"] == "3"


def test_list_queues_prefix_and_pagination(sqs):
    prefix = f"page-{uuid.uuid4().hex[:6]}"
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i:02d}")["QueueUrl"] for i in range(7))
    assert sorted(sqs.list_queues(QueueNamePrefix=prefix)["QueueUrls"]) == urls
    seen = []
    kwargs = {"QueueNamePrefix": prefix, "MaxResults": 3}
    while True:
        page = sqs.list_queues(**kwargs)
        seen += page.get("QueueUrls", [])
        if "NextToken" not in page:
            break
        kwargs["NextToken"] = page["NextToken"]
    assert seen == urls
    assert "QueueUrls" not in sqs.list_queues(QueueNamePrefix="nothing-has-this-prefix")


def test_delete_queue(sqs, make_queue):
    url = make_queue("gone")
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_attributes(QueueUrl=url)
    assert error_of(exc)[0] == "AWS.SimpleQueueService.NonExistentQueue"


def test_default_attributes(sqs, make_queue):
    url = make_queue("defaults")
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert {
        k: v for k, v in attrs.items() if k not in ("CreatedTimestamp", "LastModifiedTimestamp", "QueueArn")
    } == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": "30",
    }
    assert attrs["QueueArn"] == f"arn:aws:sqs:us-east-1:000000000000:{url.rsplit('/', 1)[1]}"
    assert int(attrs["CreatedTimestamp"]) > 1_600_000_000


def test_fifo_default_attributes(sqs, make_queue):
    url = make_queue("fifodef", fifo=True)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["FifoQueue"] == "true"
    assert attrs["ContentBasedDeduplication"] == "false"
    assert attrs["DeduplicationScope"] == "queue"
    assert attrs["FifoThroughputLimit"] == "perQueue"


def test_get_selected_attributes_and_unknown_names(sqs, make_queue):
    url = make_queue("select")
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "QueueArn"])[
        "Attributes"
    ]
    assert set(got) == {"VisibilityTimeout", "QueueArn"}
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchThing"])
    assert error_of(exc) == ("InvalidAttributeName", "Unknown Attribute NoSuchThing.", 400)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DelaySeconds", "901"),
        ("DelaySeconds", "-1"),
        ("MaximumMessageSize", "1023"),
        ("MaximumMessageSize", "1048577"),
        ("MessageRetentionPeriod", "59"),
        ("MessageRetentionPeriod", "1209601"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "43201"),
        ("VisibilityTimeout", "abc"),
        ("Policy", "{not json"),
        ("RedrivePolicy", '{"maxReceiveCount": 3}'),
    ],
)
def test_set_attributes_out_of_range(sqs, make_queue, name, value):
    url = make_queue("range")
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidAttributeValue", 400)
    assert message.startswith(f"Invalid value for the parameter {name}.")


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DelaySeconds", "900"),
        ("MaximumMessageSize", "1024"),
        ("MessageRetentionPeriod", "1209600"),
        ("ReceiveMessageWaitTimeSeconds", "20"),
        ("VisibilityTimeout", "43200"),
        ("KmsDataKeyReusePeriodSeconds", "86400"),
    ],
)
def test_set_attributes_at_the_limits(sqs, make_queue, name, value):
    url = make_queue("limits")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])["Attributes"][name] == value


def test_queue_type_cannot_change(sqs, make_queue):
    url = make_queue("type", fifo=True)
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "false"})
    assert error_of(exc) == (
        "InvalidAttributeValue",
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
        400,
    )


def test_sse_attributes(sqs, make_queue):
    url = make_queue("sse")
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"KmsMasterKeyId": "testKeyId", "KmsDataKeyReusePeriodSeconds": "6000"}
    )
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["KmsMasterKeyId"] == "testKeyId" and attrs["SqsManagedSseEnabled"] == "false"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": ""})
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "KmsMasterKeyId" not in attrs and "KmsDataKeyReusePeriodSeconds" not in attrs


def test_sse_kms_key_is_checked_when_a_message_is_sent(sqs, make_queue, aws_client, cloudlet):
    # SQS takes any KmsMasterKeyId (recorded: test_sse_queue_attributes, "testKeyId") and looks
    # the key up when a message is sent, answering the model's Kms* errors (botocore SQS model:
    # SendMessage's KmsNotFound, KmsDisabled, KmsInvalidState; query codes KMS.<code>). The
    # messages (KMS's own, relayed) are unverified.
    kms = aws_client("kms")
    missing = make_queue("sse", KmsMasterKeyId="testKeyId")
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=missing, MessageBody="x")
    code, message, status = error_of(exc)
    assert (code, status) == ("KMS.NotFoundException", 400)
    assert exc.value.response["Error"].get("QueryErrorCode") == "KmsNotFound"
    assert message.startswith("Invalid keyId 'testKeyId' (Service: AWSKMS; Status Code: 400; Error Code: ")
    with pytest.raises(ClientError) as exc:  # unverified: AWS may fail each entry instead
        sqs.send_message_batch(QueueUrl=missing, Entries=[{"Id": "a", "MessageBody": "x"}])
    assert exc.value.response["Error"].get("QueryErrorCode") == "KmsNotFound"
    assert not sqs.receive_message(QueueUrl=missing).get("Messages")

    managed = make_queue("sse", KmsMasterKeyId="alias/aws/sqs")  # created on first use
    assert sqs.send_message(QueueUrl=managed, MessageBody="x")["MessageId"]
    assert kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyManager"] == "AWS"

    key = kms.create_key()["KeyMetadata"]
    kms.disable_key(KeyId=key["KeyId"])
    disabled = make_queue("sse", KmsMasterKeyId=key["Arn"])
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=disabled, MessageBody="x")
    assert exc.value.response["Error"].get("QueryErrorCode") == "KmsDisabled"
    assert error_of(exc)[0] == "KMS.DisabledException"
    assert error_of(exc)[1].startswith(f"{key['Arn']} is disabled.")
    kms.enable_key(KeyId=key["KeyId"])
    assert sqs.send_message(QueueUrl=disabled, MessageBody="x")["MessageId"]
    # the data key is reused for KmsDataKeyReusePeriodSeconds, then the key is looked up again
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert sqs.send_message(QueueUrl=disabled, MessageBody="y")["MessageId"]
    cloudlet.advance_clock(301)
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=disabled, MessageBody="z")
    assert exc.value.response["Error"].get("QueryErrorCode") == "KmsInvalidState"
    kms.cancel_key_deletion(KeyId=key["KeyId"])


def test_last_modified_moves_on_set(sqs, make_queue, cloudlet):
    url = make_queue("modified")
    before = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    cloudlet.advance_clock(10)
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "60"})
    after = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert int(after["LastModifiedTimestamp"]) >= int(before["LastModifiedTimestamp"]) + 10
    assert after["CreatedTimestamp"] == before["CreatedTimestamp"]


def test_tags(sqs):
    url = sqs.create_queue(QueueName=f"tags-{uuid.uuid4().hex[:6]}", tags={"team": "a"})["QueueUrl"]
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "a"}
    sqs.tag_queue(QueueUrl=url, Tags={"env": "dev", "team": "b"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "b", "env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["team"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"env": "dev"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["env"])
    assert "Tags" not in sqs.list_queue_tags(QueueUrl=url)


def test_permissions(sqs, make_queue):
    url = make_queue("perm")
    sqs.add_permission(
        QueueUrl=url, Label="crossaccount", AWSAccountIds=["111111111111"], Actions=["SendMessage"]
    )
    policy = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]
    )
    assert policy["Version"] == "2008-10-17"  # as recorded (test_sqs_permission_lifecycle)
    statement = policy["Statement"][0]
    assert statement["Sid"] == "crossaccount"
    assert statement["Principal"] == {"AWS": "arn:aws:iam::111111111111:root"}
    assert statement["Action"] == "SQS:SendMessage"
    with pytest.raises(ClientError) as exc:
        sqs.add_permission(
            QueueUrl=url, Label="crossaccount", AWSAccountIds=["2" * 12], Actions=["ReceiveMessage"]
        )
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Value crossaccount for parameter Label is invalid. Reason: Already exists.",
        400,
    )
    sqs.remove_permission(QueueUrl=url, Label="crossaccount")
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    with pytest.raises(ClientError) as exc:
        sqs.remove_permission(QueueUrl=url, Label="crossaccount")
    assert error_of(exc)[1] == "Value crossaccount for parameter Label is invalid. Reason: can't find label."


def test_purge_and_the_sixty_second_rule(sqs, make_queue, cloudlet):
    url = make_queue("purge")
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.purge_queue(QueueUrl=url)
    assert (
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])["Attributes"][
            "ApproximateNumberOfMessages"
        ]
        == "0"
    )
    with pytest.raises(ClientError) as exc:
        sqs.purge_queue(QueueUrl=url)
    name = url.rsplit("/", 1)[1]
    assert error_of(exc) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.",
        403,
    )
    cloudlet.advance_clock(61)
    sqs.purge_queue(QueueUrl=url)


def test_list_dead_letter_source_queues(sqs, make_queue):
    dlq = make_queue("dlq")
    arn = arn_of(sqs, dlq)
    policy = json.dumps({"deadLetterTargetArn": arn, "maxReceiveCount": 2})
    sources = sorted(make_queue("src", RedrivePolicy=policy) for _ in range(3))
    make_queue("unrelated")
    assert sorted(sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]) == sources
    page = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2)
    assert len(page["queueUrls"]) == 2 and "NextToken" in page
    rest = sqs.list_dead_letter_source_queues(QueueUrl=dlq, MaxResults=2, NextToken=page["NextToken"])
    assert sorted(page["queueUrls"] + rest["queueUrls"]) == sources


def test_nonexistent_queue_errors(sqs):
    url = "http://localhost:4566/000000000000/does-not-exist"
    with pytest.raises(ClientError) as exc:
        sqs.send_message(QueueUrl=url, MessageBody="x")
    assert error_of(exc) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
        400,
    )
    assert exc.value.response["Error"]["QueryErrorCode"] == "QueueDoesNotExist"


def test_a_deleted_name_is_refused_for_sixty_seconds(sqs, sqs_query, cloudlet):
    name = f"reborn-{uuid.uuid4().hex[:8]}"
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    sqs.delete_queue(QueueUrl=url)
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name)
    assert error_of(exc) == (
        "AWS.SimpleQueueService.QueueDeletedRecently",
        "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
        400,
    )
    assert exc.value.response["Error"]["QueryErrorCode"] == "QueueDeletedRecently"
    with pytest.raises(QueryError) as qexc:
        sqs_query.call("CreateQueue", QueueName=name)
    assert qexc.value.response["Error"]["Code"] == "AWS.SimpleQueueService.QueueDeletedRecently"
    # other regions and names are free; the name itself after 60 seconds of Cloudlet time
    sqs.create_queue(QueueName=f"{name}-other")
    cloudlet.advance_clock(59)
    with pytest.raises(ClientError):
        sqs.create_queue(QueueName=name)
    cloudlet.advance_clock(2)
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url


def test_deleted_recently_can_be_turned_off():
    from cloudlet.cli import _config, build_parser
    from cloudlet.config import Config
    from cloudlet.testing.server import ServerThread, client, free_port

    assert Config.from_env({"CLOUDLET_SQS_SKIP_QUEUE_DELETED_RECENTLY": "1"}).sqs_skip_queue_deleted_recently
    args = build_parser().parse_args(["start", "--sqs-skip-queue-deleted-recently"])
    assert _config(args).sqs_skip_queue_deleted_recently is True
    config = Config(
        port=free_port(), in_memory=True, log_level="warning", sqs_skip_queue_deleted_recently=True
    )
    server = ServerThread(config).start()
    try:
        sqs = client("sqs", server.endpoint)
        url = sqs.create_queue(QueueName="again")["QueueUrl"]
        sqs.delete_queue(QueueUrl=url)
        assert sqs.create_queue(QueueName="again")["QueueUrl"] == url
    finally:
        server.stop()


def test_queue_name_errors_are_aws_whole_messages(sqs):
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=f"nofifo-{uuid.uuid4().hex[:6]}", Attributes={"FifoQueue": "true"})
    assert error_of(exc) == (
        "InvalidParameterValue",
        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, "
        "must end with .fifo suffix and be 1 to 80 in length.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=f"std-{uuid.uuid4().hex[:6]}.fifo")
    assert error_of(exc) == (
        "InvalidParameterValue",
        "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length",
        400,
    )


def test_standard_queue_refuses_fifo_queue_false(sqs, sqs_query):
    # recorded: test_create_standard_queue_with_fifo_attribute_raises_error
    name = f"explicit-{uuid.uuid4().hex[:6]}"
    with pytest.raises(ClientError) as exc:
        sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "false"})
    assert error_of(exc) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.", 400)
    with pytest.raises(QueryError) as qexc:
        sqs_query.call("CreateQueue", QueueName=name, Attributes={"FifoQueue": "false"})
    assert qexc.value.response["Error"]["Code"] == "InvalidAttributeName"
    with pytest.raises(ClientError) as exc:
        sqs.get_queue_url(QueueName=name)


def test_set_fifo_queue_attribute(sqs, make_queue):
    # recorded: test_set_unsupported_attribute_standard / _fifo
    std = make_queue("setfifo")
    for value in ("true", "false"):
        with pytest.raises(ClientError) as exc:
            sqs.set_queue_attributes(QueueUrl=std, Attributes={"FifoQueue": value})
        assert error_of(exc) == ("InvalidAttributeName", "Unknown Attribute FifoQueue.", 400)
    fifo = make_queue("setfifo", fifo=True)
    sqs.set_queue_attributes(QueueUrl=fifo, Attributes={"FifoQueue": "true"})
    assert sqs.get_queue_attributes(QueueUrl=fifo, AttributeNames=["FifoQueue"])["Attributes"] == {
        "FifoQueue": "true"
    }


@pytest.mark.parametrize("name", ["NoSuchThing", "QueueArn", "Approximate"])
def test_set_unknown_or_read_only_attributes(sqs, make_queue, name):
    url = make_queue("unknownset")
    with pytest.raises(ClientError) as exc:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: "1"})
    assert error_of(exc) == ("InvalidAttributeName", f"Unknown Attribute {name}.", 400)


def test_empty_policy_removes_it(sqs, make_queue):
    url = make_queue("nopolicy")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*"}]})
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": policy})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"] == {
        "Policy": policy
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Attributes" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    # the queue is the one created without a policy again
    name = url.rsplit("/", 1)[1]
    assert sqs.create_queue(QueueName=name, Attributes={"Policy": ""})["QueueUrl"] == url
