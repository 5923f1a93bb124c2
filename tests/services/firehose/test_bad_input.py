"""Bad input: model constraints (ValidationException, Coral's words), types the JSON parser
refuses (SerializationException), Firehose's own rules (InvalidArgumentException), limits,
and features Cloudlet does not implement (NotImplemented, 501)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from .conftest import ROLE, error_of, s3_config, unique

LAMBDA = "arn:aws:lambda:us-east-1:000000000000:function:f"
CREDENTIAL = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/firehose/aws4_request, SignedHeaders=host, Signature=x"


def raw(cloudlet, operation: str, body: dict) -> tuple[int, dict]:
    """A JSON request as any client could send it (nulls and wrong types included)."""
    request = urllib.request.Request(
        cloudlet.endpoint + "/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"Firehose_20150804.{operation}",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": CREDENTIAL,
        },
    )
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def create_error(firehose_raw, bucket: str = "some-bucket", **params) -> tuple[str, str, int]:
    params.setdefault("DeliveryStreamName", unique())
    with pytest.raises(ClientError) as exc:
        firehose_raw.create_delivery_stream(**params)
    return error_of(exc)


def dest_error(firehose_raw, **destination) -> tuple[str, str, int]:
    return create_error(
        firehose_raw, ExtendedS3DestinationConfiguration=s3_config("some-bucket", **destination)
    )


def test_buffering_hint_bounds(firehose_raw):
    code, message, status = dest_error(firehose_raw, BufferingHints={"SizeInMBs": 0})
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value '0' at 'extendedS3DestinationConfiguration.bufferingHints.sizeInMBs' "
        "failed to satisfy constraint: Member must have value greater than or equal to 1"
    )
    code, message, _ = dest_error(firehose_raw, BufferingHints={"SizeInMBs": 129, "IntervalInSeconds": 901})
    assert code == "ValidationException" and message.startswith("2 validation errors detected")
    code, _, _ = dest_error(firehose_raw, BufferingHints={"IntervalInSeconds": -1})
    assert code == "ValidationException"


def test_names_and_required_members(firehose_raw):
    code, message, _ = create_error(
        firehose_raw, DeliveryStreamName="bad name", ExtendedS3DestinationConfiguration=s3_config("b-1")
    )
    assert code == "ValidationException"
    assert "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+" in message
    code, _, _ = create_error(
        firehose_raw, DeliveryStreamName="x" * 65, ExtendedS3DestinationConfiguration=s3_config("b-1")
    )
    assert code == "ValidationException"
    code, message, _ = create_error(firehose_raw, ExtendedS3DestinationConfiguration={"RoleARN": ROLE})
    assert message == (
        "1 validation error detected: Value null at 'extendedS3DestinationConfiguration.bucketARN' "
        "failed to satisfy constraint: Member must not be null"
    )
    code, _, _ = create_error(
        firehose_raw, ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": "bucket"}
    )
    assert code == "ValidationException"


def test_destination_count(firehose_raw):
    assert create_error(firehose_raw)[0] == "InvalidArgumentException"  # message unverified
    code, _, _ = create_error(
        firehose_raw,
        ExtendedS3DestinationConfiguration=s3_config("b-1"),
        S3DestinationConfiguration=s3_config("b-1"),
    )
    assert code == "InvalidArgumentException"  # message unverified


def test_source_rules(firehose_raw):
    source = {"KinesisStreamARN": "arn:aws:kinesis:us-east-1:000000000000:stream/s", "RoleARN": ROLE}
    code, _, _ = create_error(
        firehose_raw,
        KinesisStreamSourceConfiguration=source,
        ExtendedS3DestinationConfiguration=s3_config("b-1"),
    )
    assert code == "InvalidArgumentException"  # a DirectPut stream with a source; message unverified
    code, _, _ = create_error(
        firehose_raw,
        DeliveryStreamType="KinesisStreamAsSource",
        ExtendedS3DestinationConfiguration=s3_config("b-1"),
    )
    assert code == "InvalidArgumentException"  # message unverified
    code, _, _ = create_error(
        firehose_raw,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration=source,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
        ExtendedS3DestinationConfiguration=s3_config("b-1"),
    )
    assert code == "InvalidArgumentException"  # message unverified
    code, _, _ = create_error(
        firehose_raw, DeliveryStreamType="Nope", ExtendedS3DestinationConfiguration=s3_config("b-1")
    )
    assert code == "ValidationException"


@pytest.mark.parametrize(
    ("prefix", "error_prefix"),
    [
        ("!{timestamp:yyyy}/", None),  # expressions in Prefix need an ErrorOutputPrefix
        ("!{timestamp:yyyy}/", ""),
        ("!{foo:bar}/", "e/!{firehose:error-output-type}/"),  # unknown namespace
        ("!{firehose:nope}/", "e/!{firehose:error-output-type}/"),
        ("!{timestamp:yyyy/", "e/!{firehose:error-output-type}/"),  # never closed
        ("a/!{/", "e/!{firehose:error-output-type}/"),
        ("!{timestamp:yyyy-bb}/", "e/!{firehose:error-output-type}/"),  # not a pattern letter
        ("!{timestamp:'unclosed}/", "e/!{firehose:error-output-type}/"),
        ("!{timestamp:}/", "e/!{firehose:error-output-type}/"),
        ("!{firehose:error-output-type}/", "e/!{firehose:error-output-type}/"),  # Prefix may not
        ("p/", "e/!{timestamp:yyyy}/"),  # error prefix expressions need error-output-type
        ("!{partitionKeyFromQuery:id}/", "e/!{firehose:error-output-type}/"),  # no dynamic partitioning
    ],
)
def test_invalid_prefixes(firehose_raw, prefix, error_prefix):
    extra = {"Prefix": prefix}
    if error_prefix is not None:
        extra["ErrorOutputPrefix"] = error_prefix
    code, _, status = dest_error(firehose_raw, **extra)
    assert (code, status) == ("InvalidArgumentException", 400)  # message unverified


def test_destination_encryption_is_one_or_the_other(firehose_raw):
    both = {
        "NoEncryptionConfig": "NoEncryption",
        "KMSEncryptionConfig": {"AWSKMSKeyARN": "arn:aws:kms:us-east-1:000000000000:key/k"},
    }
    assert dest_error(firehose_raw, EncryptionConfiguration=both)[0] == "InvalidArgumentException"


def test_processor_rules(firehose_raw):
    def with_processor(*parameters, kind="Lambda"):
        processor = {
            "Type": kind,
            "Parameters": [{"ParameterName": n, "ParameterValue": v} for n, v in parameters],
        }
        return dest_error(firehose_raw, ProcessingConfiguration={"Enabled": True, "Processors": [processor]})

    assert with_processor()[0] == "InvalidArgumentException"  # no LambdaArn
    assert with_processor(("LambdaArn", LAMBDA), ("NumberOfRetries", "x"))[0] == "InvalidArgumentException"
    assert with_processor(("LambdaArn", LAMBDA), ("NumberOfRetries", "301"))[0] == "InvalidArgumentException"
    assert (
        with_processor(("LambdaArn", LAMBDA), ("BufferIntervalInSeconds", "901"))[0]
        == "InvalidArgumentException"
    )
    assert with_processor(("LambdaArn", LAMBDA), ("LambdaArn", LAMBDA))[0] == "InvalidArgumentException"
    assert with_processor(("LambdaArn", LAMBDA), ("Delimiter", "x"))[0] == "InvalidArgumentException"
    assert with_processor(("LambdaArn", LAMBDA), ("NumberOfRetries", ""))[0] == "ValidationException"
    code, _, _ = dest_error(
        firehose_raw, ProcessingConfiguration={"Enabled": True, "Processors": [{"Type": "Nope"}]}
    )
    assert code == "ValidationException"


def test_not_implemented_features_are_refused_at_creation(firehose_raw):
    for extra in (
        {"CompressionFormat": "ZIP"},
        {"CompressionFormat": "Snappy"},
        {"CompressionFormat": "HADOOP_SNAPPY"},
        {"DynamicPartitioningConfiguration": {"Enabled": True}},
        {"DataFormatConversionConfiguration": {"Enabled": True}},
        {"S3BackupMode": "Enabled"},
        {"ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "RecordDeAggregation"}]}},
        {
            "ProcessingConfiguration": {
                "Enabled": True,
                "Processors": [
                    {
                        "Type": "AppendDelimiterToRecord",
                        "Parameters": [{"ParameterName": "Delimiter", "ParameterValue": "Kg=="}],
                    }
                ],
            }
        },
    ):
        code, message, status = dest_error(firehose_raw, **extra)
        assert (code, status) == ("NotImplemented", 501), extra
        assert "not implemented by Cloudlet" in message
    code, _, status = create_error(
        firehose_raw, DeliveryStreamType="MSKAsSource", ExtendedS3DestinationConfiguration=s3_config("b-1")
    )
    assert (code, status) == ("NotImplemented", 501)


def test_tag_rules(firehose_raw, bucket, make_stream):
    code, message, _ = create_error(
        firehose_raw,
        ExtendedS3DestinationConfiguration=s3_config("b-1"),
        Tags=[{"Key": "aws:reserved", "Value": "v"}],
    )
    assert code == "ValidationException"
    assert "at 'tags.1.member.key' failed to satisfy constraint" in message
    code, _, _ = create_error(
        firehose_raw,
        ExtendedS3DestinationConfiguration=s3_config("b-1"),
        Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}],
    )
    assert code == "InvalidArgumentException"  # message unverified
    stream = make_stream(bucket)
    with pytest.raises(ClientError) as exc:
        firehose_raw.tag_delivery_stream(
            DeliveryStreamName=stream, Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(51)]
        )
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        firehose_raw.tag_delivery_stream(DeliveryStreamName=stream, Tags=[{"Key": "bad#key", "Value": "v"}])
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        firehose_raw.untag_delivery_stream(DeliveryStreamName=stream, TagKeys=[])
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        firehose_raw.list_tags_for_delivery_stream(DeliveryStreamName=stream, Limit=51)
    assert error_of(exc)[0] == "ValidationException"


def test_record_limits(firehose_raw, bucket, make_stream):
    stream = make_stream(bucket)
    with pytest.raises(ClientError) as exc:
        firehose_raw.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x"}] * 501)
    code, message, _ = error_of(exc)
    assert code == "ValidationException"
    assert message.endswith(
        "at 'records' failed to satisfy constraint: Member must have length less than or equal to 500"
    )
    with pytest.raises(ClientError) as exc:
        firehose_raw.put_record_batch(DeliveryStreamName=stream, Records=[])
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:  # 1,000 KiB per record
        firehose_raw.put_record(DeliveryStreamName=stream, Record={"Data": b"x" * (1000 * 1024 + 1)})
    code, message, _ = error_of(exc)
    assert code == "ValidationException"
    assert message.endswith("Member must have length less than or equal to 1024000")
    with pytest.raises(ClientError) as exc:  # 4 MiB per call
        firehose_raw.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x" * 1000 * 1024}] * 5)
    assert error_of(exc)[0] == "InvalidArgumentException"  # message unverified
    # the largest record and a full batch under 4 MiB are taken
    out = firehose_raw.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x" * 1000 * 1024}] * 4)
    assert out["FailedPutCount"] == 0 and len(out["RequestResponses"]) == 4
    ids = [r["RecordId"] for r in out["RequestResponses"]]
    assert len(set(ids)) == 4
    out = firehose_raw.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b""}] * 500)
    assert len(out["RequestResponses"]) == 500


def test_nulls_and_wrong_types(cloudlet, bucket, make_stream):
    stream = make_stream(bucket)
    status, answer = raw(cloudlet, "PutRecord", {"DeliveryStreamName": stream, "Record": None})
    assert (status, answer["__type"]) == (400, "ValidationException")
    assert "Value null at 'record' failed to satisfy constraint: Member must not be null" in answer["message"]
    status, answer = raw(cloudlet, "PutRecord", {"DeliveryStreamName": stream, "Record": {}})
    assert (status, answer["__type"]) == (400, "ValidationException")
    status, answer = raw(cloudlet, "PutRecord", {"DeliveryStreamName": stream, "Record": {"Data": 5}})
    assert (status, answer["__type"]) == (400, "SerializationException")
    status, answer = raw(
        cloudlet, "PutRecord", {"DeliveryStreamName": stream, "Record": {"Data": "!!notb64"}}
    )
    assert (status, answer["__type"]) == (400, "SerializationException")
    status, answer = raw(cloudlet, "PutRecordBatch", {"DeliveryStreamName": stream, "Records": [None]})
    assert (status, answer["__type"]) == (400, "ValidationException")
    status, answer = raw(
        cloudlet, "PutRecordBatch", {"DeliveryStreamName": stream, "Records": {"Data": "eA=="}}
    )
    assert (status, answer["__type"]) == (400, "SerializationException")
    status, answer = raw(cloudlet, "ListDeliveryStreams", {"Limit": "ten"})
    assert (status, answer["__type"]) == (400, "SerializationException")
    status, answer = raw(cloudlet, "ListDeliveryStreams", {"Limit": 0})
    assert (status, answer["__type"]) == (400, "ValidationException")
    status, answer = raw(
        cloudlet,
        "CreateDeliveryStream",
        {
            "DeliveryStreamName": unique(),
            "ExtendedS3DestinationConfiguration": {"RoleARN": ROLE, "BucketARN": 7},
        },
    )
    assert (status, answer["__type"]) == (400, "SerializationException")
    # a null member is an absent one: the defaults apply
    name = unique()
    status, _ = raw(
        cloudlet,
        "CreateDeliveryStream",
        {
            "DeliveryStreamName": name,
            "Tags": None,
            "ExtendedS3DestinationConfiguration": {
                **s3_config(bucket),
                "BufferingHints": None,
                "Prefix": None,
            },
        },
    )
    assert status == 200
    status, answer = raw(cloudlet, "DescribeDeliveryStream", {"DeliveryStreamName": name})
    extended = answer["DeliveryStreamDescription"]["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert "Prefix" not in extended
    raw(cloudlet, "DeleteDeliveryStream", {"DeliveryStreamName": name})


def test_update_destination_input(firehose_raw, bucket, make_stream):
    stream = make_stream(bucket)
    base = {"DeliveryStreamName": stream, "DestinationId": "destinationId-000000000001"}
    with pytest.raises(ClientError) as exc:
        firehose_raw.update_destination(CurrentDeliveryStreamVersionId="one", **base)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        firehose_raw.update_destination(
            CurrentDeliveryStreamVersionId="1",
            ExtendedS3DestinationUpdate={"CompressionFormat": "ZIP"},
            **base,
        )
    assert error_of(exc)[:3:2] == ("NotImplemented", 501)
    with pytest.raises(ClientError) as exc:
        firehose_raw.update_destination(
            CurrentDeliveryStreamVersionId="1",
            ExtendedS3DestinationUpdate={"BufferingHints": {"SizeInMBs": 200}},
            **base,
        )
    assert error_of(exc)[0] == "ValidationException"
    # nothing changed by the refused updates
    described = firehose_raw.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert described["VersionId"] == "1"
