"""The ``AWS/Firehose`` metrics (dimension ``DeliveryStreamName``), as AWS names them
(developer guide, "Monitor with CloudWatch metrics").

Ingestion: IncomingBytes, IncomingRecords, IncomingPutRequests, PutRecord.Bytes/.Requests,
PutRecordBatch.Bytes/.Records/.Requests; DataReadFromKinesisStream.Bytes/.Records for a
Kinesis source. Delivery: DeliveryToS3.Bytes/.Records/.Success and DeliveryToS3.DataFreshness
(seconds from the oldest record's arrival to its delivery). Transformation:
ExecuteProcessing.Success, SucceedProcessing.Records/.Bytes.
"""

from __future__ import annotations

from cloudlet.core.metrics import Metrics
from cloudlet.services.firehose.store import Stream

NAMESPACE = "AWS/Firehose"


class FirehoseMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _record(self, stream: Stream, name: str, value: float, unit: str = "Count") -> None:
        self.metrics.record(
            stream.account, stream.region, NAMESPACE, name, value, unit, {"DeliveryStreamName": stream.name}
        )

    def put(self, stream: Stream, operation: str, sizes: list[int]) -> None:
        """After PutRecord or PutRecordBatch accepted records of ``sizes`` bytes."""
        total = float(sum(sizes))
        self._record(stream, "IncomingBytes", total, "Bytes")
        self._record(stream, "IncomingRecords", float(len(sizes)))
        self._record(stream, "IncomingPutRequests", 1.0)
        self._record(stream, f"{operation}.Bytes", total, "Bytes")
        self._record(stream, f"{operation}.Requests", 1.0)
        if operation == "PutRecordBatch":
            self._record(stream, "PutRecordBatch.Records", float(len(sizes)))

    def read_from_kinesis(self, stream: Stream, sizes: list[int]) -> None:
        self._record(stream, "IncomingBytes", float(sum(sizes)), "Bytes")
        self._record(stream, "IncomingRecords", float(len(sizes)))
        self._record(stream, "DataReadFromKinesisStream.Bytes", float(sum(sizes)), "Bytes")
        self._record(stream, "DataReadFromKinesisStream.Records", float(len(sizes)))

    def processed(self, stream: Stream, succeeded: int, size: int, invoked_ok: bool) -> None:
        self._record(stream, "ExecuteProcessing.Success", 1.0 if invoked_ok else 0.0)
        self._record(stream, "SucceedProcessing.Records", float(succeeded))
        self._record(stream, "SucceedProcessing.Bytes", float(size), "Bytes")

    def delivered(self, stream: Stream, records: int, size: int, freshness: float) -> None:
        self._record(stream, "DeliveryToS3.Success", 1.0)
        self._record(stream, "DeliveryToS3.Records", float(records))
        self._record(stream, "DeliveryToS3.Bytes", float(size), "Bytes")
        self._record(stream, "DeliveryToS3.DataFreshness", freshness, "Seconds")

    def delivery_failed(self, stream: Stream) -> None:
        self._record(stream, "DeliveryToS3.Success", 0.0)
