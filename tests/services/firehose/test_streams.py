"""Control plane: create, describe, list (paging, type filter), delete, update-destination
versions, tags and server-side encryption settings."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, REGION, ROLE, error_of, s3_config, unique

DESTINATION = "destinationId-000000000001"


def test_create_and_describe_with_defaults(firehose, bucket, make_stream):
    stream = make_stream(bucket)
    out = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert out["DeliveryStreamName"] == stream
    assert out["DeliveryStreamARN"] == f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{stream}"
    assert out["DeliveryStreamStatus"] == "ACTIVE"
    assert out["DeliveryStreamType"] == "DirectPut"
    assert out["VersionId"] == "1"
    assert out["HasMoreDestinations"] is False
    assert out["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    [destination] = out["Destinations"]
    assert destination["DestinationId"] == DESTINATION
    extended = destination["ExtendedS3DestinationDescription"]
    assert extended["BucketARN"] == f"arn:aws:s3:::{bucket}"
    assert extended["RoleARN"] == ROLE
    assert extended["BufferingHints"] == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert extended["CompressionFormat"] == "UNCOMPRESSED"
    assert extended["EncryptionConfiguration"] == {"NoEncryptionConfig": "NoEncryption"}
    assert extended["CloudWatchLoggingOptions"] == {"Enabled": False}
    assert extended["S3BackupMode"] == "Disabled"
    plain = destination["S3DestinationDescription"]
    assert plain["BufferingHints"] == extended["BufferingHints"]
    assert "S3BackupMode" not in plain


def test_create_answers_the_arn_and_refuses_a_taken_name(firehose, bucket):
    name = unique()
    arn = firehose.create_delivery_stream(
        DeliveryStreamName=name, S3DestinationConfiguration=s3_config(bucket)
    )["DeliveryStreamARN"]
    assert arn.endswith(f":deliverystream/{name}")
    with pytest.raises(ClientError) as exc:
        firehose.create_delivery_stream(DeliveryStreamName=name, S3DestinationConfiguration=s3_config(bucket))
    assert error_of(exc)[0] == "ResourceInUseException"  # message unverified
    firehose.delete_delivery_stream(DeliveryStreamName=name)


def test_kinesis_source_is_kept(firehose, bucket):
    name = unique()
    source = {"KinesisStreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/src", "RoleARN": ROLE}
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration=source,
        ExtendedS3DestinationConfiguration=s3_config(bucket),
    )
    out = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
    described = out["Source"]["KinesisStreamSourceDescription"]
    assert described["KinesisStreamARN"] == source["KinesisStreamARN"]
    assert "DeliveryStartTimestamp" in described
    with pytest.raises(ClientError) as exc:
        firehose.put_record(DeliveryStreamName=name, Record={"Data": b"x"})
    assert error_of(exc)[0] == "InvalidArgumentException"  # message unverified
    firehose.delete_delivery_stream(DeliveryStreamName=name)


def test_unknown_stream_errors(firehose):
    name = unique("missing")
    message = f"Firehose {name} under account {ACCOUNT} not found."
    calls = [
        lambda: firehose.describe_delivery_stream(DeliveryStreamName=name),
        lambda: firehose.delete_delivery_stream(DeliveryStreamName=name),
        lambda: firehose.put_record(DeliveryStreamName=name, Record={"Data": b"x"}),
        lambda: firehose.put_record_batch(DeliveryStreamName=name, Records=[{"Data": b"x"}]),
        lambda: firehose.list_tags_for_delivery_stream(DeliveryStreamName=name),
        lambda: firehose.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "k", "Value": "v"}]),
        lambda: firehose.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["k"]),
        lambda: firehose.start_delivery_stream_encryption(DeliveryStreamName=name),
        lambda: firehose.update_destination(
            DeliveryStreamName=name, CurrentDeliveryStreamVersionId="1", DestinationId=DESTINATION
        ),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("ResourceNotFoundException", message, 400)


def test_list_pages_and_filters_by_type(firehose, bucket, make_stream):
    mine = sorted(make_stream(bucket) for _ in range(3))
    kinesis = unique("zz-kinesis")
    firehose.create_delivery_stream(
        DeliveryStreamName=kinesis,
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={
            "KinesisStreamARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/src",
            "RoleARN": ROLE,
        },
        ExtendedS3DestinationConfiguration=s3_config(bucket),
    )
    try:
        names: list[str] = []
        start = None
        while True:
            extra = {"ExclusiveStartDeliveryStreamName": start} if start else {}
            page = firehose.list_delivery_streams(Limit=2, **extra)
            assert len(page["DeliveryStreamNames"]) <= 2
            names += page["DeliveryStreamNames"]
            if not page["HasMoreDeliveryStreams"]:
                break
            start = page["DeliveryStreamNames"][-1]
        assert names == sorted(names)
        assert set(mine) | {kinesis} <= set(names)
        direct = firehose.list_delivery_streams(DeliveryStreamType="DirectPut", Limit=10000)
        assert set(mine) <= set(direct["DeliveryStreamNames"])
        assert kinesis not in direct["DeliveryStreamNames"]
        sourced = firehose.list_delivery_streams(DeliveryStreamType="KinesisStreamAsSource", Limit=10000)
        assert kinesis in sourced["DeliveryStreamNames"]
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=kinesis)


def test_delete_removes_the_stream(firehose, bucket):
    name = unique()
    firehose.create_delivery_stream(
        DeliveryStreamName=name, ExtendedS3DestinationConfiguration=s3_config(bucket)
    )
    assert (
        firehose.delete_delivery_stream(DeliveryStreamName=name)["ResponseMetadata"]["HTTPStatusCode"] == 200
    )
    with pytest.raises(ClientError) as exc:
        firehose.describe_delivery_stream(DeliveryStreamName=name)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert name not in firehose.list_delivery_streams(Limit=10000)["DeliveryStreamNames"]


def test_update_destination_checks_and_bumps_the_version(firehose, bucket, make_stream):
    stream = make_stream(bucket, Prefix="a/")
    update = {"BufferingHints": {"IntervalInSeconds": 60}, "Prefix": "b/"}
    with pytest.raises(ClientError) as exc:
        firehose.update_destination(
            DeliveryStreamName=stream,
            CurrentDeliveryStreamVersionId="2",
            DestinationId=DESTINATION,
            ExtendedS3DestinationUpdate=update,
        )
    assert error_of(exc)[0] == "ConcurrentModificationException"  # message unverified
    firehose.update_destination(
        DeliveryStreamName=stream,
        CurrentDeliveryStreamVersionId="1",
        DestinationId=DESTINATION,
        ExtendedS3DestinationUpdate=update,
    )
    out = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert out["VersionId"] == "2"
    assert "LastUpdateTimestamp" in out
    extended = out["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert extended["Prefix"] == "b/"
    assert extended["BufferingHints"] == {"IntervalInSeconds": 60, "SizeInMBs": 5}  # the rest kept
    with pytest.raises(ClientError) as exc:  # the old version no longer matches
        firehose.update_destination(
            DeliveryStreamName=stream,
            CurrentDeliveryStreamVersionId="1",
            DestinationId=DESTINATION,
            S3DestinationUpdate={"Prefix": "c/"},
        )
    assert error_of(exc)[0] == "ConcurrentModificationException"
    with pytest.raises(ClientError) as exc:
        firehose.update_destination(
            DeliveryStreamName=stream,
            CurrentDeliveryStreamVersionId="2",
            DestinationId="destinationId-000000000002",
            S3DestinationUpdate={"Prefix": "c/"},
        )
    assert error_of(exc)[0] == "InvalidArgumentException"  # message unverified
    with pytest.raises(ClientError) as exc:  # the update's prefixes follow the creation rules
        firehose.update_destination(
            DeliveryStreamName=stream,
            CurrentDeliveryStreamVersionId="2",
            DestinationId=DESTINATION,
            ExtendedS3DestinationUpdate={"Prefix": "!{timestamp:yyyy}/"},
        )
    assert error_of(exc)[0] == "InvalidArgumentException"
    firehose.update_destination(
        DeliveryStreamName=stream,
        CurrentDeliveryStreamVersionId="2",
        DestinationId=DESTINATION,
        S3DestinationUpdate={"Prefix": "c/"},
    )
    out = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert out["VersionId"] == "3"
    assert out["Destinations"][0]["S3DestinationDescription"]["Prefix"] == "c/"


def test_tags(firehose, bucket):
    """As recorded (test_resource_tagging): list, remove, add, list."""
    name = unique()
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration=s3_config(bucket),
        Tags=[{"Key": "subject", "Value": "taboo"}],
    )
    try:
        listed = firehose.list_tags_for_delivery_stream(DeliveryStreamName=name)
        assert listed["Tags"] == [{"Key": "subject", "Value": "taboo"}]
        assert listed["HasMoreTags"] is False
        firehose.untag_delivery_stream(DeliveryStreamName=name, TagKeys=["subject"])
        assert firehose.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"] == []
        firehose.tag_delivery_stream(
            DeliveryStreamName=name, Tags=[{"Key": "feeling", "Value": "uncomfortable"}]
        )
        listed = firehose.list_tags_for_delivery_stream(DeliveryStreamName=name)
        assert listed == {
            **listed,
            "Tags": [{"Key": "feeling", "Value": "uncomfortable"}],
            "HasMoreTags": False,
        }
        # a key tagged again takes the new value
        firehose.tag_delivery_stream(DeliveryStreamName=name, Tags=[{"Key": "feeling", "Value": "fine"}])
        assert firehose.list_tags_for_delivery_stream(DeliveryStreamName=name)["Tags"] == [
            {"Key": "feeling", "Value": "fine"}
        ]
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=name)


def test_tag_paging_and_limit(firehose, bucket, make_stream):
    stream = make_stream(bucket)
    tags = [{"Key": f"k{i:02d}", "Value": str(i)} for i in range(50)]
    firehose.tag_delivery_stream(DeliveryStreamName=stream, Tags=tags)
    page = firehose.list_tags_for_delivery_stream(DeliveryStreamName=stream, Limit=20)
    assert [t["Key"] for t in page["Tags"]] == [f"k{i:02d}" for i in range(20)]
    assert page["HasMoreTags"] is True
    page = firehose.list_tags_for_delivery_stream(
        DeliveryStreamName=stream, ExclusiveStartTagKey="k39", Limit=20
    )
    assert [t["Key"] for t in page["Tags"]] == [f"k{i:02d}" for i in range(40, 50)]
    assert page["HasMoreTags"] is False
    with pytest.raises(ClientError) as exc:
        firehose.tag_delivery_stream(DeliveryStreamName=stream, Tags=[{"Key": "one-more", "Value": ""}])
    assert error_of(exc)[0] == "LimitExceededException"  # message unverified


def test_encryption_settings(aws_client, firehose, bucket, make_stream):
    stream = make_stream(bucket)
    out = firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"x"})
    assert out["Encrypted"] is False and out["RecordId"]
    firehose.start_delivery_stream_encryption(DeliveryStreamName=stream)
    described = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"] == {
        "KeyType": "AWS_OWNED_CMK",
        "Status": "ENABLED",
    }
    out = firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"x"}])
    assert out["Encrypted"] is True
    missing = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
    with pytest.raises(ClientError) as exc:
        firehose.start_delivery_stream_encryption(
            DeliveryStreamName=stream,
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": missing},
        )
    assert error_of(exc)[0] == "InvalidKMSResourceException"  # message unverified
    assert exc.value.response["code"] == "NotFoundException"
    key_arn = aws_client("kms").create_key()["KeyMetadata"]["Arn"]
    firehose.start_delivery_stream_encryption(
        DeliveryStreamName=stream,
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK", "KeyARN": key_arn},
    )
    described = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"] == {
        "KeyType": "CUSTOMER_MANAGED_CMK",
        "KeyARN": key_arn,
        "Status": "ENABLED",
    }
    assert described["VersionId"] == "1"
    firehose.stop_delivery_stream_encryption(DeliveryStreamName=stream)
    described = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert described["DeliveryStreamEncryptionConfiguration"] == {"Status": "DISABLED"}
    with pytest.raises(ClientError) as exc:
        firehose.start_delivery_stream_encryption(
            DeliveryStreamName=stream,
            DeliveryStreamEncryptionConfigurationInput={"KeyType": "CUSTOMER_MANAGED_CMK"},
        )
    assert error_of(exc)[0] == "InvalidArgumentException"  # message unverified


def test_encryption_at_creation(firehose, bucket):
    name = unique()
    firehose.create_delivery_stream(
        DeliveryStreamName=name,
        ExtendedS3DestinationConfiguration=s3_config(bucket),
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
    )
    try:
        out = firehose.describe_delivery_stream(DeliveryStreamName=name)["DeliveryStreamDescription"]
        assert out["DeliveryStreamEncryptionConfiguration"]["Status"] == "ENABLED"
    finally:
        firehose.delete_delivery_stream(DeliveryStreamName=name)


def test_processing_configuration_is_described(firehose, bucket, make_stream):
    processing = {
        "Enabled": True,
        "Processors": [
            {
                "Type": "Lambda",
                "Parameters": [
                    {
                        "ParameterName": "LambdaArn",
                        "ParameterValue": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f",
                    },
                    {"ParameterName": "NumberOfRetries", "ParameterValue": "2"},
                ],
            }
        ],
    }
    stream = make_stream(bucket, ProcessingConfiguration=processing)
    out = firehose.describe_delivery_stream(DeliveryStreamName=stream)["DeliveryStreamDescription"]
    assert out["Destinations"][0]["ExtendedS3DestinationDescription"]["ProcessingConfiguration"] == processing
