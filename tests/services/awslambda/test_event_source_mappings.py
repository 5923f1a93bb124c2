"""Event source mappings: the API (Create/Get/Update/Delete/List), its defaults and errors."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import error_of

MISSING = ("ResourceNotFoundException", "The resource you requested does not exist.", 404)


@pytest.fixture
def queue_arn(aws_client) -> str:
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_lifecycle(lam, function, queue_arn):
    created = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert created["State"] == "Creating"
    assert created["BatchSize"] == 10
    assert created["MaximumBatchingWindowInSeconds"] == 0
    assert created["FunctionResponseTypes"] == []
    assert created["StateTransitionReason"] == "USER_INITIATED"
    assert created["FunctionArn"].endswith(f":function:{function}")
    mapping_id = created["UUID"]
    assert created["EventSourceMappingArn"].endswith(f":event-source-mapping:{mapping_id}")
    assert "LastProcessingResult" not in created  # recorded: AWS shows none for SQS mappings

    got = lam.get_event_source_mapping(UUID=mapping_id)
    assert got["State"] == "Enabled"
    assert got["EventSourceArn"] == queue_arn

    disabling = lam.update_event_source_mapping(UUID=mapping_id, Enabled=False)
    assert disabling["State"] == "Disabling"
    assert lam.get_event_source_mapping(UUID=mapping_id)["State"] == "Disabled"
    enabling = lam.update_event_source_mapping(UUID=mapping_id, Enabled=True, BatchSize=5)
    assert enabling["State"] == "Enabling"
    assert enabling["BatchSize"] == 5
    updating = lam.update_event_source_mapping(
        UUID=mapping_id, FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    assert updating["State"] == "Updating"
    assert updating["FunctionResponseTypes"] == ["ReportBatchItemFailures"]

    assert lam.delete_event_source_mapping(UUID=mapping_id)["State"] == "Deleting"
    with pytest.raises(ClientError) as exc:
        lam.get_event_source_mapping(UUID=mapping_id)
    assert error_of(exc) == MISSING


def test_missing_queue(lam, function):
    with pytest.raises(ClientError) as caught:
        lam.create_event_source_mapping(
            FunctionName=function, EventSourceArn="arn:aws:sqs:us-east-1:000000000000:no-such-queue"
        )
    assert error_of(caught) == (
        "InvalidParameterValueException",
        "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
        "SQS Error Message: The specified queue does not exist.",
        400,
    )


def test_unknown_uuid(lam):
    unknown = str(uuid.uuid4())
    for call in (
        lambda: lam.get_event_source_mapping(UUID=unknown),
        lambda: lam.delete_event_source_mapping(UUID=unknown),
        lambda: lam.update_event_source_mapping(UUID=unknown, BatchSize=1),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == MISSING


def test_create_errors(lam, function, queue_arn):
    cases = [
        ({"FunctionName": function}, "Unrecognized event source."),
        ({"FunctionName": function, "EventSourceArn": "arn:aws:s3:::bucket"}, "Unrecognized event source."),
        (
            {"FunctionName": "nope-" + uuid.uuid4().hex[:6], "EventSourceArn": queue_arn},
            "Function does not exist",
        ),
        (
            {"FunctionName": function, "EventSourceArn": queue_arn, "BatchSize": 11},
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10",
        ),
    ]
    for params, message in cases:
        with pytest.raises(ClientError) as exc:
            lam.create_event_source_mapping(**params)
        assert error_of(exc) == ("InvalidParameterValueException", message, 400)


def test_batch_window_allows_large_batches_and_limits(lam, lam_raw, function, queue_arn):
    created = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=queue_arn, BatchSize=10000, MaximumBatchingWindowInSeconds=1
    )
    assert created["BatchSize"] == 10000
    for extra in ({"BatchSize": 10001}, {"ScalingConfig": {"MaximumConcurrency": 1}}):
        with pytest.raises(ClientError) as exc:
            lam_raw.update_event_source_mapping(UUID=created["UUID"], **extra)
        assert error_of(exc)[0] == "ValidationException"  # the model's range, checked up front


def test_duplicate_sqs_mapping(lam, function, queue_arn):
    first = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn)
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn)
    code, message, status = error_of(exc)
    assert (code, status) == ("ResourceConflictException", 409)
    assert message == (
        f'An event source mapping with SQS arn (" {queue_arn} ") and function (" {function} ") already exists. '
        f"Please update or delete the existing mapping with UUID {first['UUID']}"
    )


def test_filter_criteria(lam, function, queue_arn):
    good = {"Filters": [{"Pattern": json.dumps({"body": {"kind": ["a"]}})}]}
    created = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=queue_arn, FilterCriteria=good
    )
    assert created["FilterCriteria"] == good
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(
            UUID=created["UUID"], FilterCriteria={"Filters": [{"Pattern": "{not json"}]}
        )
    assert error_of(exc)[0] == "InvalidParameterValueException"


def test_stream_source_defaults_and_errors(lam, function, aws_client):
    ddb = aws_client("dynamodb")
    table = f"t-{uuid.uuid4().hex[:8]}"
    stream = ddb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream)
    assert error_of(exc) == (
        "InvalidParameterValueException",
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
        "Member must not be null.",
        400,
    )
    missing = "arn:aws:kinesis:us-east-1:000000000000:stream/nope"
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(
            FunctionName=function, EventSourceArn=missing, StartingPosition="LATEST"
        )
    assert error_of(exc) == ("InvalidParameterValueException", f"Stream not found: {missing}", 400)
    created = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST", Enabled=False
    )
    shown = {k: created[k] for k in created if k not in ("ResponseMetadata", "UUID", "LastModified")}
    assert shown == {  # recorded defaults of a stream mapping
        "BatchSize": 100,
        "BisectBatchOnFunctionError": False,
        "DestinationConfig": {"OnFailure": {}},
        "EventSourceArn": stream,
        "EventSourceMappingArn": created["EventSourceMappingArn"],
        "FunctionArn": created["FunctionArn"],
        "FunctionResponseTypes": [],
        "LastProcessingResult": "No records processed",
        "MaximumBatchingWindowInSeconds": 0,
        "MaximumRecordAgeInSeconds": -1,
        "MaximumRetryAttempts": -1,
        "ParallelizationFactor": 1,
        "StartingPosition": "LATEST",
        "State": "Creating",
        "StateTransitionReason": "User action",
        "TumblingWindowInSeconds": 0,
    }
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(
            FunctionName=function, EventSourceArn=stream, StartingPosition="LATEST"
        )
    assert error_of(exc) == (
        "ResourceConflictException",
        f'The event source arn (" {stream} ") and function (" {function} ") provided mapping already exists. '
        f"Please update or delete the existing mapping with UUID {created['UUID']}",
        409,
    )


def test_list_filters_and_pages(lam, function, queue_arn, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    other = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    ids = {
        lam.create_event_source_mapping(FunctionName=function, EventSourceArn=arn)["UUID"]
        for arn in (queue_arn, other)
    }
    by_function = lam.list_event_source_mappings(FunctionName=function)["EventSourceMappings"]
    assert {m["UUID"] for m in by_function} == ids
    by_source = lam.list_event_source_mappings(EventSourceArn=other)["EventSourceMappings"]
    assert [m["EventSourceArn"] for m in by_source] == [other]
    first = lam.list_event_source_mappings(FunctionName=function, MaxItems=1)
    assert len(first["EventSourceMappings"]) == 1
    second = lam.list_event_source_mappings(FunctionName=function, MaxItems=1, Marker=first["NextMarker"])
    assert {first["EventSourceMappings"][0]["UUID"], second["EventSourceMappings"][0]["UUID"]} == ids
    assert "NextMarker" not in second


def test_mapping_outlives_its_function(lam, function, queue_arn):
    created = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn)
    lam.delete_function(FunctionName=function)
    assert lam.get_event_source_mapping(UUID=created["UUID"])["UUID"] == created["UUID"]


@pytest.fixture
def stream_arn(aws_client) -> str:
    kinesis = aws_client("kinesis")
    name = f"s-{uuid.uuid4().hex[:8]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"ParallelizationFactor": 2}, "Unsupported ParallelizationFactor parameter for given event source mapping type."),
        ({"MaximumRetryAttempts": 1}, "Unsupported MaximumRetryAttempts parameter for given event source mapping type."),
        ({"BisectBatchOnFunctionError": True}, "Unsupported BisectBatchOnFunctionError parameter for given event source mapping type."),
        ({"TumblingWindowInSeconds": 5}, "Unsupported TumblingWindowInSeconds parameter for given event source mapping type."),
        ({"StartingPosition": "LATEST"}, "StartingPosition is not valid for SQS event sources."),
    ],
)  # fmt: skip
def test_sqs_refuses_stream_parameters(lam, function, queue_arn, extra, message):
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn, **extra)
    assert error_of(exc) == ("InvalidParameterValueException", message, 400)


def test_fifo_queue_limits(lam, function, aws_client):
    sqs = aws_client("sqs")
    url = sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}.fifo", Attributes={"FifoQueue": "true"})[
        "QueueUrl"
    ]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    for extra in (
        {"BatchSize": 11, "MaximumBatchingWindowInSeconds": 1},
        {"MaximumBatchingWindowInSeconds": 1},
    ):
        with pytest.raises(ClientError) as exc:
            lam.create_event_source_mapping(FunctionName=function, EventSourceArn=arn, **extra)
        assert error_of(exc)[0] == "InvalidParameterValueException"


@pytest.mark.parametrize(
    "extra",
    [
        {"ScalingConfig": {"MaximumConcurrency": 5}},
        {"MaximumRecordAgeInSeconds": 59},
        {"StartingPosition": "AT_TIMESTAMP"},
        {
            "DestinationConfig": {
                "OnFailure": {"Destination": "arn:aws:lambda:us-east-1:000000000000:function:f"}
            }
        },
        {"FilterCriteria": {"Filters": [{"Pattern": "not json"}]}},
    ],
)
def test_stream_mapping_refusals(lam, function, stream_arn, extra):
    params = {"StartingPosition": "LATEST", **extra}
    with pytest.raises(ClientError) as exc:
        lam.create_event_source_mapping(FunctionName=function, EventSourceArn=stream_arn, **params)
    assert error_of(exc)[0] == "InvalidParameterValueException"


@pytest.mark.parametrize(
    "extra",
    [{"BatchSize": 0}, {"BatchSize": 10001}, {"ParallelizationFactor": 11}, {"MaximumRetryAttempts": -2},
     {"TumblingWindowInSeconds": 901}, {"MaximumBatchingWindowInSeconds": 301}],
)  # fmt: skip
def test_model_ranges(lam_raw, function, stream_arn, extra):
    with pytest.raises(ClientError) as exc:
        lam_raw.create_event_source_mapping(
            FunctionName=function, EventSourceArn=stream_arn, StartingPosition="LATEST", **extra
        )
    assert error_of(exc)[2] == 400


def test_update_refuses_what_the_source_does_not_take(lam, function, queue_arn):
    mapping_id = lam.create_event_source_mapping(FunctionName=function, EventSourceArn=queue_arn)["UUID"]
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(UUID=mapping_id, ParallelizationFactor=2)
    assert (
        error_of(exc)[1] == "Unsupported ParallelizationFactor parameter for given event source mapping type."
    )
    with pytest.raises(ClientError) as exc:
        lam.update_event_source_mapping(UUID=mapping_id, BatchSize=50)
    assert error_of(exc)[1].startswith("Maximum batch window in seconds must be greater than 0")
    assert lam.get_event_source_mapping(UUID=mapping_id)["BatchSize"] == 10  # unchanged


def test_mapping_tags(lam, function, queue_arn):
    created = lam.create_event_source_mapping(
        FunctionName=function, EventSourceArn=queue_arn, Tags={"team": "a"}
    )
    arn = created["EventSourceMappingArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"team": "a"}
    lam.tag_resource(Resource=arn, Tags={"env": "dev"})
    lam.untag_resource(Resource=arn, TagKeys=["team"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"env": "dev"}
    assert "Tags" not in lam.get_event_source_mapping(UUID=created["UUID"])
    missing = arn.rsplit(":", 1)[0] + ":" + str(uuid.uuid4())
    with pytest.raises(ClientError) as exc:
        lam.list_tags(Resource=missing)
    assert error_of(exc)[:2] == ("ResourceNotFoundException", "The resource you requested does not exist.")
