"""SQS's legacy query protocol (2012-11-05) as older SDKs and plain HTTP clients speak it.

A real boto3 client built from the legacy query model Cloudlet ships (``Attribute.N.Name``,
flattened ``<Message>``), and urllib GET/POST forms, against AWS's answers: the ``sqs_query``
recordings in aws-reference/sqs/test_sqs.snapshot.json (values quoted below) and the XML
AWS answered to published tests run against it (signed GETs to queue URLs).
"""

from __future__ import annotations

import base64
import hashlib
import re
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlencode

import pytest
from botocore.exceptions import ClientError

from cloudlet.protocol.base import error_facts, query_error_code
from cloudlet.protocol.model import protocol_model, service_model
from cloudlet.services.sqs.errors import sqs_error

from .conftest import error_of
from .query_client import legacy_client, legacy_session

NS = "http://queue.amazonaws.com/doc/2012-11-05/"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sqs/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=0000"
)
TRACE = "Root=1-3152b799-8954dae64eda91bc9a23a7e8;Parent=7fa8c0f79203be72;Sampled=1"
# A trace header and the MD5OfMessageSystemAttributes AWS answers for it (test_messages.py)
TRACE_2 = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
TRACE_2_MD5 = "5ae4d5d7636402d80f4eb6d213245a88"


@pytest.fixture
def legacy(cloudlet):
    return legacy_client(cloudlet.endpoint)


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def http(url: str, params: dict[str, str] | None = None, form: dict[str, str] | None = None):
    """A signed-looking GET (``params`` in the URL) or form POST, as curl would send it."""
    if params:
        url += "?" + urlencode(params)
    data = urlencode(form).encode() if form is not None else None
    headers = {"Authorization": AUTH}
    if data is not None:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    request = urllib.request.Request(
        url, data=data, method="POST" if data is not None else "GET", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, dict(resp.headers), resp.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers), err.read().decode()


def masked(body: str, **values: str) -> str:
    """``body`` with its request id, and each of ``values`` (by name), as placeholders."""
    body = re.sub(r"<RequestId>[^<]+</RequestId>", "<RequestId>{rid}</RequestId>", body)
    for name, value in values.items():
        body = body.replace(value, "{" + name + "}")
    return body


def response(operation: str, result: str | None) -> str:
    """A query answer as AWS writes it, around ``result`` (None: an operation without one)."""
    inner = "" if result is None else result
    return (
        f'<{operation}Response xmlns="{NS}">{inner}'
        "<ResponseMetadata><RequestId>{rid}</RequestId></ResponseMetadata>"
        f"</{operation}Response>"
    )


def error(code: str, message: str) -> str:
    return (
        f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{code}</Code>'
        f"<Message>{message}</Message><Detail/></Error><RequestId>{{rid}}</RequestId></ErrorResponse>"
    )


# ---- the model ----------------------------------------------------------------------------


def _same_form(old: Any, new: Any, path: str, seen: set[tuple[str, str]]) -> list[str]:
    """Where a legacy shape does not come out of the parser as the current model has it."""
    if (old.name, new.name) in seen:
        return []
    seen.add((old.name, new.name))
    if old.type != new.type:
        return [f"{path}: {old.type} vs {new.type}"]
    if old.type == "structure":
        problems = []
        for name, member in old.members.items():
            if name not in new.members:
                problems.append(f"{path}.{name}: not in the current model")
            else:
                problems += _same_form(member, new.members[name], f"{path}.{name}", seen)
        return problems
    if old.type == "list":
        return _same_form(old.member, new.member, f"{path}[]", seen)
    if old.type == "map":
        return _same_form(old.key, new.key, f"{path}{{k}}", seen) + _same_form(
            old.value, new.value, f"{path}{{v}}", seen
        )
    return []


def test_the_legacy_model_is_sqs_query_model_and_maps_onto_the_current_one():
    """Every member a legacy request or answer has, the current model has by the same name and
    type: what the query parser gives the provider is what the JSON parser gives it, and every
    answer the provider makes is written with the legacy wire names."""
    legacy, current = protocol_model("sqs", "query"), service_model("sqs")
    assert legacy is not current and protocol_model("sqs", "json") is current
    assert (legacy.protocol, legacy.api_version, legacy.xml_namespace) == ("query", "2012-11-05", NS)
    assert legacy.operation_names == current.operation_names
    problems: list[str] = []
    for name in legacy.operation_names:
        old, new = legacy.operation(name), current.operation(name)
        assert old.result_wrapper == (f"{name}Result" if old.output else None)
        for side in ("input", "output"):
            if getattr(old, side) is not None:
                problems += _same_form(getattr(old, side), getattr(new, side), f"{name}.{side}", set())
    assert problems == []
    # the legacy wire names, as the model gives them
    receive = legacy.operation("ReceiveMessage")
    message = receive.output.members["Messages"]
    assert (message.flattened, message.member.location_name) == (True, "Message")
    assert message.member.members["Attributes"].location_name == "Attribute"
    # every error the provider raises has the same query code, status and fault under both
    for name in sorted(n for n, d in {**current.shapes, **legacy.shapes}.items() if d.get("exception")):
        err = sqs_error(name, "m")
        assert query_error_code(legacy, err) == query_error_code(current, err), name
        assert error_facts(legacy, err)[1:] == error_facts(current, err)[1:], name
    # botocore itself loads the same model from Cloudlet's package
    assert legacy_session().get_service_model("sqs", api_version="2012-11-05").protocol == "query"


# ---- a query SDK --------------------------------------------------------------------------


def test_queues_through_a_query_sdk(legacy, sqs):
    prefix = unique("legacyq")
    url = legacy.create_queue(
        QueueName=f"{prefix}-a",
        Attributes={"VisibilityTimeout": "45", "DelaySeconds": "2"},
        tags={"team": "x"},
    )["QueueUrl"]
    other = legacy.create_queue(QueueName=f"{prefix}-b")["QueueUrl"]
    legacy.create_queue(QueueName=unique("elsewhere"))
    # what the JSON protocol sees was set through Attribute.N and Tag.N
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"])
    assert attrs["Attributes"] == {"DelaySeconds": "2", "VisibilityTimeout": "45"}
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"team": "x"}
    assert legacy.get_queue_url(QueueName=f"{prefix}-a")["QueueUrl"] == url
    assert legacy.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [url, other]
    assert "QueueUrls" not in legacy.list_queues(QueueNamePrefix=unique("none"))
    legacy.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "60", "MaximumMessageSize": "2048"}
    )
    got = legacy.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "MaximumMessageSize"]
    )
    assert got["Attributes"] == {"MaximumMessageSize": "2048", "VisibilityTimeout": "60"}
    everything = legacy.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert everything["QueueArn"].endswith(f":{prefix}-a")
    assert everything == sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    legacy.delete_queue(QueueUrl=other)
    assert legacy.list_queues(QueueNamePrefix=prefix)["QueueUrls"] == [url]


def test_message_attributes_round_trip(legacy, sqs, make_queue):
    url = make_queue("legacyattrs")
    user = {
        "s": {"DataType": "String", "StringValue": "text"},
        "n": {"DataType": "Number", "StringValue": "12.5"},
        "b": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xff"},
        "c": {"DataType": "String.custom", "StringValue": "typed"},
    }
    system = {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}}
    sent = legacy.send_message(
        QueueUrl=url, MessageBody="hello", MessageAttributes=user, MessageSystemAttributes=system
    )
    same = sqs.send_message(
        QueueUrl=url, MessageBody="hello", MessageAttributes=user, MessageSystemAttributes=system
    )
    for key in ("MD5OfMessageBody", "MD5OfMessageAttributes", "MD5OfMessageSystemAttributes"):
        assert sent[key] == same[key]
    got = legacy.receive_message(
        QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"], MessageAttributeNames=["All"]
    )["Messages"]
    assert [m["MessageId"] for m in got] == [sent["MessageId"], same["MessageId"]]
    first = got[0]
    assert first["Body"] == "hello" and first["MD5OfBody"] == sent["MD5OfMessageBody"]
    assert first["MessageAttributes"] == user
    assert first["MD5OfMessageAttributes"] == sent["MD5OfMessageAttributes"]
    assert first["Attributes"]["AWSTraceHeader"] == TRACE
    assert set(first["Attributes"]) == {
        "AWSTraceHeader",
        "ApproximateFirstReceiveTimestamp",
        "ApproximateReceiveCount",
        "SenderId",
        "SentTimestamp",
    }
    # a filter by name and by prefix
    for handle in (m["ReceiptHandle"] for m in got):
        legacy.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0)
    picked = legacy.receive_message(
        QueueUrl=url, MessageAttributeNames=["s", "n"], AttributeNames=["SenderId"]
    )
    assert set(picked["Messages"][0]["MessageAttributes"]) == {"s", "n"}
    assert set(picked["Messages"][0]["Attributes"]) == {"SenderId"}


def test_trace_header_and_binary_attributes_as_recorded(legacy, make_queue):
    url = make_queue("legacytrace")
    # recorded: test_aws_trace_header_propagation[sqs_query] (xray-msg)
    legacy.send_message(
        QueueUrl=url,
        MessageBody="test",
        MessageAttributes={"timestamp": {"StringValue": "1493147359900", "DataType": "Number"}},
        MessageSystemAttributes={"AWSTraceHeader": {"StringValue": TRACE, "DataType": "String"}},
    )
    message = legacy.receive_message(
        QueueUrl=url, AttributeNames=["AWSTraceHeader", "SentTimestamp"], MessageAttributeNames=["All"]
    )["Messages"][0]
    assert message["Attributes"]["AWSTraceHeader"] == TRACE
    assert set(message["Attributes"]) == {"AWSTraceHeader", "SentTimestamp"}
    assert (message["Body"], message["MD5OfBody"]) == ("test", "098f6bcd4621d373cade4e832627b4f6")
    assert message["MD5OfMessageAttributes"] == "235c5c510d26fb653d073faed50ae77c"
    legacy.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    # recorded: test_send_message_with_binary_attributes[sqs_query] (binary-attrs-msg)
    value = b"traceparent\x1e00-774062d6c37081a5a0b9b5b88e30627c-2d2482211f6489da-01"
    legacy.send_message(
        QueueUrl=url,
        MessageBody="test",
        MessageAttributes={"attr1": {"BinaryValue": value, "DataType": "Binary"}},
    )
    message = legacy.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert {k: v for k, v in message.items() if k not in ("MessageId", "ReceiptHandle")} == {
        "Body": "test",
        "MD5OfBody": "098f6bcd4621d373cade4e832627b4f6",
        "MD5OfMessageAttributes": "8cbe4db156db8a94db8b801b7addb984",
        "MessageAttributes": {"attr1": {"BinaryValue": value, "DataType": "Binary"}},
    }


def test_fifo_as_recorded(legacy):
    """recorded: test_fifo_message_attributes[sqs_query]."""
    url = legacy.create_queue(
        QueueName=unique("legacyfifo") + ".fifo",
        Attributes={
            "FifoQueue": "true",
            "ContentBasedDeduplication": "true",
            "VisibilityTimeout": "0",
            "DeduplicationScope": "messageGroup",
            "FifoThroughputLimit": "perMessageGroupId",
        },
    )["QueueUrl"]
    sent = legacy.send_message(
        QueueUrl=url, MessageBody="message-body-1", MessageGroupId="group-1", MessageDeduplicationId="dedup-1"
    )
    assert sent["MD5OfMessageBody"] == "19c9e282d65f9733bc6b35d50062c7ee"
    assert set(sent) - {"ResponseMetadata"} == {"MD5OfMessageBody", "MessageId", "SequenceNumber"}
    for count in ("1", "2"):
        message = legacy.receive_message(QueueUrl=url, AttributeNames=["All"], WaitTimeSeconds=10)[
            "Messages"
        ][0]
        assert message["MessageId"] == sent["MessageId"]
        attrs = message["Attributes"]
        assert set(attrs) == {
            "ApproximateFirstReceiveTimestamp",
            "ApproximateReceiveCount",
            "MessageDeduplicationId",
            "MessageGroupId",
            "SenderId",
            "SentTimestamp",
            "SequenceNumber",
        }
        assert (attrs["ApproximateReceiveCount"], attrs["MessageGroupId"]) == (count, "group-1")
        assert (attrs["MessageDeduplicationId"], attrs["SequenceNumber"]) == (
            "dedup-1",
            sent["SequenceNumber"],
        )


def test_batches_with_successes_and_failures(legacy, make_queue):
    url = make_queue("legacybatch")
    sent = legacy.send_message_batch(
        QueueUrl=url,
        Entries=[
            {
                "Id": "a",
                "MessageBody": "one",
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}},
                "DelaySeconds": 0,
            },
            {"Id": "b", "MessageBody": "two"},
            {"Id": "bad", "MessageBody": "nul\x02"},
        ],
    )
    assert [s["Id"] for s in sent["Successful"]] == ["a", "b"]
    assert "MD5OfMessageAttributes" in sent["Successful"][0]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in sent["Failed"]] == [
        ("bad", "InvalidMessageContents", True)
    ]
    got = legacy.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])[
        "Messages"
    ]
    assert sorted(m["Body"] for m in got) == ["one", "two"]
    handles = {m["Body"]: m["ReceiptHandle"] for m in got}
    changed = legacy.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "one", "ReceiptHandle": handles["one"], "VisibilityTimeout": 0},
            {"Id": "junk", "ReceiptHandle": "not-a-handle", "VisibilityTimeout": 0},
        ],
    )
    assert [s["Id"] for s in changed["Successful"]] == ["one"]
    assert [(f["Id"], f["Code"]) for f in changed["Failed"]] == [("junk", "ReceiptHandleIsInvalid")]
    deleted = legacy.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "two", "ReceiptHandle": handles["two"]},
            {"Id": "junk", "ReceiptHandle": "not-a-handle"},
        ],
    )
    assert [s["Id"] for s in deleted["Successful"]] == ["two"]
    assert [(f["Id"], f["Code"], f["SenderFault"]) for f in deleted["Failed"]] == [
        ("junk", "ReceiptHandleIsInvalid", True)
    ]
    assert [m["Body"] for m in legacy.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]] == [
        "one"
    ]


def test_tags_as_recorded(legacy, make_queue):
    """recorded: test_tag_untag_queue[sqs_query]."""
    url = make_queue("legacytags")
    tags = {"tag1": "value1", "tag2": "value2", "tag3": ""}
    legacy.tag_queue(QueueUrl=url, Tags=tags)
    assert legacy.list_queue_tags(QueueUrl=url)["Tags"] == tags
    legacy.untag_queue(QueueUrl=url, TagKeys=["tag1", "tag3"])
    assert legacy.list_queue_tags(QueueUrl=url)["Tags"] == {"tag2": "value2"}
    legacy.untag_queue(QueueUrl=url, TagKeys=["tag2"])
    assert "Tags" not in legacy.list_queue_tags(QueueUrl=url)


def _query_error(exc: Any) -> tuple[str, str, int, str, Any]:
    err = exc.value.response["Error"]
    return (*error_of(exc), err["Type"], err["Detail"])


def test_errors_as_recorded(legacy, make_queue):
    with pytest.raises(ClientError) as exc:  # recorded: test_non_existent_queue (queue-does-not-exist-query)
        legacy.get_queue_url(QueueName=unique("nosuch"))
    assert _query_error(exc) == (
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist for this wsdl version.",
        400,
        "Sender",
        None,
    )
    url = make_queue("legacyerr")
    with pytest.raises(ClientError) as exc:
        legacy.send_message(QueueUrl=url.rsplit("/", 1)[0] + "/" + unique("gone"), MessageBody="x")
    assert _query_error(exc)[0] == "AWS.SimpleQueueService.NonExistentQueue"
    with pytest.raises(ClientError) as exc:  # recorded: test_send_receive_max_number_of_messages[sqs_query]
        legacy.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert _query_error(exc) == (
        "InvalidParameterValue",
        "Value 11 for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.",
        400,
        "Sender",
        None,
    )
    with pytest.raises(ClientError) as exc:  # recorded: test_too_many_entries_in_batch_request[sqs_query]
        legacy.send_message_batch(
            QueueUrl=url, Entries=[{"Id": f"i{i}", "MessageBody": "m"} for i in range(20)]
        )
    assert _query_error(exc) == (
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 20.",
        400,
        "Sender",
        None,
    )
    with pytest.raises(ClientError) as exc:  # recorded: test_invalid_batch_id[sqs_query]
        legacy.send_message_batch(QueueUrl=url, Entries=[{"Id": "a:b", "MessageBody": "m"}])
    assert _query_error(exc) == (
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
        "It can be at most 80 letters long.",
        400,
        "Sender",
        None,
    )
    # recorded: test_send_message_batch_with_oversized_contents[sqs_query]
    attrs = {"k": {"DataType": "String", "StringValue": "x"}}
    big = "a" * (1048576 - len("k") - len("String") - len("x"))
    with pytest.raises(ClientError) as exc:
        legacy.send_message_batch(
            QueueUrl=url,
            Entries=[
                {"Id": "1", "MessageBody": big, "MessageAttributes": attrs},
                {"Id": "2", "MessageBody": "a"},
            ],
        )
    assert _query_error(exc) == (
        "AWS.SimpleQueueService.BatchRequestTooLong",
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.",
        400,
        "Sender",
        None,
    )
    legacy.purge_queue(QueueUrl=url)
    with pytest.raises(ClientError) as exc:  # recorded: test_successive_purge_calls_fail[sqs_query]
        legacy.purge_queue(QueueUrl=url)
    name = url.rsplit("/", 1)[1]
    assert _query_error(exc) == (
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        f"Only one PurgeQueue operation on {name} is allowed every 60 seconds.",
        403,
        "Sender",
        None,
    )


# ---- plain HTTP: GET and POST forms -------------------------------------------------------


def test_get_forms_on_a_queue_url(cloudlet, make_queue):
    url = make_queue("legacyget")
    name = url.rsplit("/", 1)[1]
    arn = f"arn:aws:sqs:us-east-1:000000000000:{name}"
    status, headers, body = http(
        url,
        {
            "Action": "GetQueueAttributes",
            "AttributeName.1": "QueueArn",
            "AttributeName.2": "VisibilityTimeout",
        },
    )
    assert (status, headers["Content-Type"]) == (200, "text/xml")
    assert masked(body, arn=arn) == response(
        "GetQueueAttributes",
        "<GetQueueAttributesResult>"
        "<Attribute><Name>QueueArn</Name><Value>{arn}</Value></Attribute>"
        "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute>"
        "</GetQueueAttributesResult>",
    )
    assert f"<RequestId>{headers['x-amzn-RequestId']}</RequestId>" in body
    status, _, body = http(url, {"Action": "GetQueueAttributes", "AttributeName.1": "All"})
    assert status == 200 and f"<Attribute><Name>QueueArn</Name><Value>{arn}</Value></Attribute>" in body
    # an empty queue: an empty result
    status, _, body = http(url, {"Action": "ReceiveMessage"})
    assert (status, masked(body)) == (200, response("ReceiveMessage", "<ReceiveMessageResult/>"))
    # send, receive, delete, with the parameters in the URL
    status, _, body = http(
        url,
        {
            "Action": "SendMessage",
            "MessageBody": "foobar",
            "MessageAttribute.1.Name": "b",
            "MessageAttribute.1.Value.DataType": "Binary",
            "MessageAttribute.1.Value.BinaryValue": base64.b64encode(b"\x00\x01").decode(),
            "Version": "2012-11-05",
        },
    )
    message_id = re.search(r"<MessageId>([^<]+)</MessageId>", body).group(1)
    md5_attrs = re.search(r"<MD5OfMessageAttributes>([^<]+)</MD5OfMessageAttributes>", body).group(1)
    assert masked(body, id=message_id, attrs=md5_attrs) == response(
        "SendMessage",
        "<SendMessageResult><MD5OfMessageBody>3858f62230ac3c915f300c664312c63f</MD5OfMessageBody>"
        "<MD5OfMessageAttributes>{attrs}</MD5OfMessageAttributes><MessageId>{id}</MessageId></SendMessageResult>",
    )
    status, _, body = http(
        url,
        {
            "Action": "ReceiveMessage",
            "AttributeName.1": "ApproximateReceiveCount",
            "MessageAttributeName.1": "All",
        },
    )
    handle = re.search(r"<ReceiptHandle>([^<]+)</ReceiptHandle>", body).group(1)
    assert masked(body, id=message_id, handle=handle, attrs=md5_attrs) == response(
        "ReceiveMessage",
        "<ReceiveMessageResult><Message><MessageId>{id}</MessageId><ReceiptHandle>{handle}</ReceiptHandle>"
        "<MD5OfBody>3858f62230ac3c915f300c664312c63f</MD5OfBody><Body>foobar</Body>"
        "<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"
        "<MD5OfMessageAttributes>{attrs}</MD5OfMessageAttributes>"
        "<MessageAttribute><Name>b</Name><Value><BinaryValue>AAE=</BinaryValue><DataType>Binary</DataType>"
        "</Value></MessageAttribute></Message></ReceiveMessageResult>",
    )
    status, _, body = http(url, {"Action": "DeleteMessage", "ReceiptHandle": handle})
    assert (status, masked(body)) == (200, response("DeleteMessage", None))


def test_get_forms_answer_errors_as_aws(cloudlet, make_queue, sqs):
    url = make_queue("legacygeterr")
    status, _, body = http(url, {"Action": "FooBar", "Version": "2012-11-05"})
    assert (status, masked(body)) == (
        400,
        error("InvalidAction", "The action FooBar is not valid for this endpoint."),
    )
    # the service's own actions are not taken on a queue URL (GetQueueUrl is)
    for action, extra in (("CreateQueue", {"QueueName": unique("other")}), ("ListQueues", {})):
        status, _, body = http(url, {"Action": action, **extra})
        assert (status, masked(body)) == (
            400,
            error("InvalidAction", f"The action {action} is not valid for this endpoint."),
        )
    other = make_queue("legacyother")
    status, _, body = http(url, {"Action": "GetQueueUrl", "QueueName": other.rsplit("/", 1)[1]})
    assert status == 200 and f"<QueueUrl>{other}</QueueUrl>" in body
    # no action at all: a 404 rooted at UnknownOperationException (unverified: the rest of the document)
    status, headers, body = http(url)
    assert (status, headers["Content-Type"], body) == (404, "text/xml", "<UnknownOperationException/>")
    status, _, body = http(url, {"Action": "SendMessage"})
    assert (status, masked(body)) == (
        400,
        error("MissingParameter", "The request must contain the parameter MessageBody."),
    )
    status, _, body = http(url, {"Action": "GetQueueAttributes", "AttributeName.1": "Foobar"})
    assert (status, masked(body)) == (400, error("InvalidAttributeName", "Unknown Attribute Foobar."))
    # a QueueUrl parameter wins over the path
    status, _, body = http(url, {"Action": "SendMessage", "MessageBody": "elsewhere", "QueueUrl": other})
    assert status == 200
    assert sqs.receive_message(QueueUrl=other)["Messages"][0]["Body"] == "elsewhere"
    sqs.delete_queue(QueueUrl=url)
    status, _, body = http(url, {"Action": "GetQueueAttributes", "AttributeName.1": "QueueArn"})
    assert (status, masked(body)) == (
        400,
        error(
            "AWS.SimpleQueueService.NonExistentQueue",
            "The specified queue does not exist for this wsdl version.",
        ),
    )


def test_post_forms_with_the_legacy_names(cloudlet, sqs):
    prefix = unique("legacypost")
    status, _, body = http(
        cloudlet.endpoint + "/",
        form={
            "Action": "CreateQueue",
            "Version": "2012-11-05",
            "QueueName": f"{prefix}-1",
            "Attribute.1.Name": "VisibilityTimeout",
            "Attribute.1.Value": "40",
            "Attribute.2.Name": "DelaySeconds",
            "Attribute.2.Value": "1",
            "Tag.1.Key": "env",
            "Tag.1.Value": "test",
        },
    )
    url = re.search(r"<QueueUrl>([^<]+)</QueueUrl>", body).group(1)
    assert (status, masked(body, url=url)) == (
        200,
        response("CreateQueue", "<CreateQueueResult><QueueUrl>{url}</QueueUrl></CreateQueueResult>"),
    )
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"])
    assert attrs["Attributes"] == {"DelaySeconds": "1", "VisibilityTimeout": "40"}
    second = sqs.create_queue(QueueName=f"{prefix}-2")["QueueUrl"]
    status, _, body = http(
        cloudlet.endpoint + "/",
        form={"Action": "ListQueues", "Version": "2012-11-05", "QueueNamePrefix": prefix},
    )
    assert masked(body, first=url, second=second) == response(
        "ListQueues",
        "<ListQueuesResult><QueueUrl>{first}</QueueUrl><QueueUrl>{second}</QueueUrl></ListQueuesResult>",
    )
    status, _, body = http(
        cloudlet.endpoint + "/", form={"Action": "ListQueueTags", "Version": "2012-11-05", "QueueUrl": url}
    )
    assert masked(body) == response(
        "ListQueueTags",
        "<ListQueueTagsResult><Tag><Key>env</Key><Value>test</Value></Tag></ListQueueTagsResult>",
    )
    status, _, body = http(
        second,
        form={
            "Action": "SendMessageBatch",
            "SendMessageBatchRequestEntry.1.Id": "ok",
            "SendMessageBatchRequestEntry.1.MessageBody": "fine",
            "SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Name": "AWSTraceHeader",
            "SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.DataType": "String",
            "SendMessageBatchRequestEntry.1.MessageSystemAttribute.1.Value.StringValue": TRACE_2,
            "SendMessageBatchRequestEntry.2.Id": "bad",
            "SendMessageBatchRequestEntry.2.MessageBody": "x",
            "SendMessageBatchRequestEntry.2.DelaySeconds": "901",
        },
    )
    message_id = re.search(r"<MessageId>([^<]+)</MessageId>", body).group(1)
    failure = re.search(r"<Message>([^<]+)</Message>", body).group(1)
    assert (status, masked(body, id=message_id, failure=failure)) == (
        200,
        response(
            "SendMessageBatch",
            "<SendMessageBatchResult><SendMessageBatchResultEntry><Id>ok</Id><MessageId>{id}</MessageId>"
            f"<MD5OfMessageBody>{hashlib.md5(b'fine').hexdigest()}</MD5OfMessageBody>"
            f"<MD5OfMessageSystemAttributes>{TRACE_2_MD5}</MD5OfMessageSystemAttributes>"
            "</SendMessageBatchResultEntry>"
            "<BatchResultErrorEntry><Id>bad</Id><SenderFault>true</SenderFault><Code>InvalidParameterValue</Code>"
            "<Message>{failure}</Message></BatchResultErrorEntry></SendMessageBatchResult>",
        ),
    )
    got = sqs.receive_message(QueueUrl=second, MessageSystemAttributeNames=["AWSTraceHeader"])["Messages"]
    assert got[0]["Attributes"] == {"AWSTraceHeader": TRACE_2}
