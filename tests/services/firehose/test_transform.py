"""Record transformation by a Lambda processor: Ok, Dropped, ProcessingFailed, answers that
leave records out, functions that fail, and the error output records."""

from __future__ import annotations

import base64
import json

from .conftest import ACCOUNT, REGION, body, make_function, processing, unique, wait_for_keys

# Upper-cases records; drops "drop", fails "fail", leaves "lost" out of its answer, and
# writes the event it got to the output of the record "event".
TRANSFORM = """
import base64, json

def handler(event, context):
    out = []
    for record in event["records"]:
        data = base64.b64decode(record["data"])
        if data == b"drop":
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
        elif data == b"fail":
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
        elif data == b"lost":
            continue
        elif data == b"event":
            shown = {k: v for k, v in event.items() if k != "records"}
            shown["record"] = record
            text = json.dumps(shown) + "\\n"
            out.append({"recordId": record["recordId"], "result": "Ok", "data": base64.b64encode(text.encode()).decode()})
        else:
            upper = data.upper() + b"\\n"
            out.append({"recordId": record["recordId"], "result": "Ok", "data": base64.b64encode(upper).decode()})
    return {"records": out}
"""

FAILING = """
def handler(event, context):
    raise RuntimeError("boom")
"""


def test_transformed_dropped_and_failed_records(
    aws_client, firehose, s3, bucket, make_stream, cloudlet, role
):
    function_arn = make_function(aws_client, role, TRANSFORM)
    stream = make_stream(
        bucket,
        Prefix="ok/",
        ErrorOutputPrefix="failed/!{firehose:error-output-type}/",
        BufferingHints={"IntervalInSeconds": 60},
        ProcessingConfiguration=processing(function_arn),
    )
    records = [b"alpha", b"drop", b"fail", b"beta", b"lost"]
    arrival = cloudlet.clock()["now"]
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": d} for d in records])
    cloudlet.advance_clock(61)
    keys = wait_for_keys(s3, bucket, 2)
    delivered = [k for k in keys if k.startswith("ok/")]
    failed = [k for k in keys if k.startswith("failed/")]
    assert len(delivered) == 1 and len(failed) == 1, keys
    assert body(s3, bucket, delivered[0]) == b"ALPHA\nBETA\n"
    assert failed[0].startswith("failed/processing-failed/")
    lines = body(s3, bucket, failed[0]).decode().splitlines()
    errors = [json.loads(line) for line in lines]
    assert sorted(base64.b64decode(e["rawData"]) for e in errors) == [b"fail", b"lost"]
    for error in errors:
        assert set(error) == {
            "attemptsMade",
            "arrivalTimestamp",
            "errorCode",
            "errorMessage",
            "attemptEndingTimestamp",
            "rawData",
            "lambdaArn",
        }
        assert error["lambdaArn"] == function_arn
        assert error["attemptsMade"] == 1
        assert abs(error["arrivalTimestamp"] - arrival * 1000) < 5000
        assert error["attemptEndingTimestamp"] >= error["arrivalTimestamp"]
    by_data = {base64.b64decode(e["rawData"]): e for e in errors}
    assert by_data[b"fail"]["errorCode"] == "Lambda.ProcessingFailedStatus"  # code unverified
    assert by_data[b"lost"]["errorCode"] == "Lambda.MissingRecordId"  # code unverified


def test_the_event_the_function_gets(aws_client, firehose, s3, bucket, make_stream, cloudlet, role):
    function_arn = make_function(aws_client, role, TRANSFORM)
    stream = make_stream(
        bucket, BufferingHints={"IntervalInSeconds": 0}, ProcessingConfiguration=processing(function_arn)
    )
    arrival = cloudlet.clock()["now"]
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"event"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    event = json.loads(body(s3, bucket, key))
    assert event["deliveryStreamArn"] == f"arn:aws:firehose:{REGION}:{ACCOUNT}:deliverystream/{stream}"
    assert event["region"] == REGION
    assert event["invocationId"]
    record = event["record"]
    assert set(record) == {"recordId", "approximateArrivalTimestamp", "data"}
    assert base64.b64decode(record["data"]) == b"event"
    assert isinstance(record["approximateArrivalTimestamp"], int)
    assert abs(record["approximateArrivalTimestamp"] - arrival * 1000) < 5000


def test_a_failing_function_sends_every_record_to_the_error_output(
    aws_client, firehose, s3, bucket, make_stream, cloudlet, role
):
    function_arn = make_function(aws_client, role, FAILING)
    stream = make_stream(
        bucket,
        BufferingHints={"IntervalInSeconds": 0},
        ProcessingConfiguration=processing(function_arn, NumberOfRetries="1"),
    )
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"a"}, {"Data": b"b"}])
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    # without ErrorOutputPrefix: processing-failed/ then the default time prefix
    assert key.startswith("processing-failed/")
    errors = [json.loads(line) for line in body(s3, bucket, key).decode().splitlines()]
    assert [base64.b64decode(e["rawData"]) for e in errors] == [b"a", b"b"]
    assert {e["attemptsMade"] for e in errors} == {2}  # the first try and one retry
    assert {e["errorCode"] for e in errors} == {"Lambda.FunctionError"}  # code unverified


def test_a_missing_function_fails_the_records(firehose, s3, bucket, make_stream, cloudlet):
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{unique('nope')}"
    stream = make_stream(
        bucket,
        Prefix="p/",
        BufferingHints={"IntervalInSeconds": 0},
        ProcessingConfiguration=processing(function_arn, NumberOfRetries="0"),
    )
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"x"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    assert key.startswith("p/processing-failed/")
    [error] = [json.loads(line) for line in body(s3, bucket, key).decode().splitlines()]
    assert error["attemptsMade"] == 1 and base64.b64decode(error["rawData"]) == b"x"


def test_processing_disabled_delivers_records_as_they_are(firehose, s3, bucket, make_stream, cloudlet):
    config = processing(f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:whatever")
    config["Enabled"] = False
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 0}, ProcessingConfiguration=config)
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"raw"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    assert body(s3, bucket, key) == b"raw"


COUNTING = """
import base64

def handler(event, context):
    records = event["records"]
    first = {"recordId": records[0]["recordId"], "result": "Ok",
             "data": base64.b64encode(b"%d\\n" % len(records)).decode()}
    return {"records": [first] + [{"recordId": r["recordId"], "result": "Dropped"} for r in records[1:]]}
"""

NOT_JSON = """
def handler(event, context):
    return "not a records document"
"""


def test_invocations_hold_at_most_the_processor_buffer_size(
    aws_client, firehose, s3, bucket, make_stream, cloudlet, role
):
    function_arn = make_function(aws_client, role, COUNTING)
    stream = make_stream(
        bucket,
        BufferingHints={"IntervalInSeconds": 60},
        ProcessingConfiguration=processing(function_arn, BufferSizeInMBs="0.2"),
    )
    chunk = b"z" * 150 * 1024  # two of them are over 0.2 MB
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": chunk}] * 3 + [{"Data": b"s"}])
    cloudlet.advance_clock(61)
    [key] = wait_for_keys(s3, bucket)
    assert body(s3, bucket, key) == b"1\n1\n2\n"  # the small record shares the last invocation


def test_an_answer_without_records_fails_the_batch(
    aws_client, firehose, s3, bucket, make_stream, cloudlet, role
):
    function_arn = make_function(aws_client, role, NOT_JSON)
    stream = make_stream(
        bucket, BufferingHints={"IntervalInSeconds": 0}, ProcessingConfiguration=processing(function_arn)
    )
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"q"})
    cloudlet.advance_clock(1)
    [key] = wait_for_keys(s3, bucket)
    assert key.startswith("processing-failed/")
    [error] = [json.loads(line) for line in body(s3, bucket, key).decode().splitlines()]
    assert base64.b64decode(error["rawData"]) == b"q"
    assert error["attemptsMade"] == 1
