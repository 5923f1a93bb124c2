"""The AWS/Firehose metrics (read through the admin metrics route)."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from typing import Any

from .conftest import wait_for_keys


def points(endpoint: str, name: str, stream: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"namespace": "AWS/Firehose", "name": name})
    with urllib.request.urlopen(f"{endpoint}/_cloudlet/metrics?{query}") as resp:
        found = json.loads(resp.read())["metrics"]
    return [p for m in found if m["dimensions"] == {"DeliveryStreamName": stream} for p in m["points"]]


def total(endpoint: str, name: str, stream: str, statistic: str = "sum") -> float:
    return sum(p[statistic] for p in points(endpoint, name, stream))


def test_ingestion_and_delivery_metrics(firehose, s3, bucket, make_stream, cloudlet):
    stream = make_stream(bucket, BufferingHints={"IntervalInSeconds": 60})
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"abc"})
    firehose.put_record_batch(DeliveryStreamName=stream, Records=[{"Data": b"de"}, {"Data": b"f"}])
    cloudlet.advance_clock(61)
    wait_for_keys(s3, bucket)
    cloudlet.advance_clock(60)  # metrics are flushed to the store on the clock
    endpoint = cloudlet.endpoint
    assert total(endpoint, "IncomingRecords", stream) == 3
    assert total(endpoint, "IncomingBytes", stream) == 6
    assert total(endpoint, "IncomingPutRequests", stream) == 2
    assert total(endpoint, "PutRecord.Bytes", stream) == 3
    assert total(endpoint, "PutRecordBatch.Records", stream) == 2
    assert total(endpoint, "DeliveryToS3.Records", stream) == 3
    assert total(endpoint, "DeliveryToS3.Bytes", stream) == 6
    assert total(endpoint, "DeliveryToS3.Success", stream, "minimum") == 1
    assert total(endpoint, "DeliveryToS3.DataFreshness", stream, "maximum") >= 60


def test_failed_deliveries_are_counted(firehose, make_stream, cloudlet):
    stream = make_stream("fh-no-such-bucket-for-metrics", BufferingHints={"IntervalInSeconds": 0})
    firehose.put_record(DeliveryStreamName=stream, Record={"Data": b"x"})
    cloudlet.advance_clock(12)
    cloudlet.advance_clock(60)
    failures = points(cloudlet.endpoint, "DeliveryToS3.Success", stream)
    assert failures and sum(p["sum"] for p in failures) == 0
    assert sum(p["sampleCount"] for p in failures) >= 2  # retried
