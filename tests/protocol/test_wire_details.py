"""Wire details botocore does not check but AWS shows (from the shared/aws-reference recordings
and the services' documented answers): SQS's query error codes, S3's document roots."""

from __future__ import annotations

from botocore.awsrequest import HeadersDict
from botocore.parsers import create_parser

from cloudlet.protocol import get_protocol
from cloudlet.protocol.errors import ServiceError
from cloudlet.protocol.model import service_model


def client_view(protocol: str, response) -> dict:
    headers = HeadersDict(response.headers)
    parsed = create_parser(protocol).parse(
        {"status_code": response.status, "headers": headers, "body": response.body}, None
    )
    return {"status": response.status, **parsed["Error"]}


def test_sqs_errors_carry_their_query_codes_in_json() -> None:
    error = ServiceError("QueueDoesNotExist", "The specified queue does not exist.")
    response = get_protocol("json").serialize_error(service_model("sqs"), error, "rid")
    assert client_view("json", response) == {
        "status": 400,
        "Code": "AWS.SimpleQueueService.NonExistentQueue",
        "Message": "The specified queue does not exist.",
        "QueryErrorCode": "QueueDoesNotExist",
        "Type": "Sender",
    }


def test_sqs_errors_without_a_shape_still_get_their_query_code() -> None:
    error = ServiceError("InvalidParameterValueException", "Value for parameter is invalid.")
    response = get_protocol("json").serialize_error(service_model("sqs"), error, "rid")
    view = client_view("json", response)
    assert (view["Code"], view["QueryErrorCode"]) == (
        "InvalidParameterValue",
        "InvalidParameterValueException",
    )


def test_sqs_query_errors() -> None:
    error = ServiceError(
        "PurgeQueueInProgress", "Only one PurgeQueue operation on q is allowed every 60 seconds."
    )
    response = get_protocol("query").serialize_error(service_model("sqs"), error, "rid")
    assert client_view("query", response) == {
        "status": 403,
        "Code": "AWS.SimpleQueueService.PurgeQueueInProgress",
        "Message": "Only one PurgeQueue operation on q is allowed every 60 seconds.",
        "Detail": None,
        "Type": "Sender",
    }


def test_query_errors_use_the_modeled_code() -> None:
    error = ServiceError("NoSuchEntityException", "The role with name r cannot be found.")
    response = get_protocol("query").serialize_error(service_model("iam"), error, "rid")
    assert client_view("query", response) == {
        "status": 404,
        "Code": "NoSuchEntity",
        "Message": "The role with name r cannot be found.",
        "Type": "Sender",
    }


def test_sqs_query_answers_are_wrapped_in_a_result() -> None:
    op = service_model("sqs").operation("GetQueueUrl")
    body = get_protocol("query").serialize(op, {"QueueUrl": "http://q"}, "rid").body
    assert body == (
        b'<GetQueueUrlResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/">'
        b"<GetQueueUrlResult><QueueUrl>http://q</QueueUrl></GetQueueUrlResult>"
        b"<ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></GetQueueUrlResponse>"
    )


def s3_body(operation: str, output: dict) -> bytes:
    op = service_model("s3").operation(operation)
    return get_protocol("rest-xml").serialize(op, output, "rid").body


def test_s3_documents_have_s3_roots_and_namespace() -> None:
    body = s3_body("ListObjectsV2", {"Name": "b", "KeyCount": 0})
    assert body == (  # S3 writes its XML declaration on a line of its own
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">'
        b"<Name>b</Name><KeyCount>0</KeyCount></ListBucketResult>"
    )
    assert b"<ListAllMyBucketsResult " in s3_body("ListBuckets", {"Buckets": []})
    assert b"<InitiateMultipartUploadResult " in s3_body("CreateMultipartUpload", {"UploadId": "u"})
    assert b"<Tagging " in s3_body("GetObjectTagging", {"TagSet": []})
    # payload shapes are already named as S3 names them
    assert b"<CopyObjectResult " in s3_body("CopyObject", {"CopyObjectResult": {"ETag": '"e"'}})


def test_s3_bucket_location_is_the_root_itself() -> None:
    assert s3_body("GetBucketLocation", {"LocationConstraint": "eu-west-1"}) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>'
    )
    # us-east-1's has no text: an empty element
    assert s3_body("GetBucketLocation", {"LocationConstraint": None}) == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>'
    )


def test_s3_timestamps_carry_milliseconds() -> None:
    body = s3_body("ListBuckets", {"Buckets": [{"Name": "b", "CreationDate": 1767225600}]})
    assert b"<CreationDate>2026-01-01T00:00:00.000Z</CreationDate>" in body
