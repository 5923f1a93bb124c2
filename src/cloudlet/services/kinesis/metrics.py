"""The ``AWS/Kinesis`` stream-level metrics (dimension ``StreamName``), as AWS names them.

Writes: IncomingBytes, IncomingRecords, PutRecord.Bytes/.Success, PutRecords.Bytes/.Success/
.TotalRecords/.SuccessfulRecords/.FailedRecords/.ThrottledRecords, and
WriteProvisionedThroughputExceeded. Reads: GetRecords.Bytes/.Records/.Success and
GetRecords.IteratorAgeMilliseconds (the age of the last record a call returned, 0 for none).
"""

from __future__ import annotations

from typing import Any

from cloudlet.core.metrics import Metrics
from cloudlet.services.kinesis.store import StreamRow

NAMESPACE = "AWS/Kinesis"


class KinesisMetrics:
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def _record(self, stream: StreamRow, name: str, value: float, unit: str = "Count") -> None:
        self.metrics.record(
            stream.account, stream.region, NAMESPACE, name, value, unit, {"StreamName": stream.name}
        )

    def put(self, stream: StreamRow, operation: str, results: list[dict[str, Any]], sizes: list[int]) -> None:
        """After PutRecord or PutRecords: ``results`` per record, ``sizes`` their bytes."""
        written = [size for result, size in zip(results, sizes, strict=True) if "ErrorCode" not in result]
        throttled = sum(1 for r in results if r.get("ErrorCode") == "ProvisionedThroughputExceededException")
        if written:
            self._record(stream, "IncomingBytes", float(sum(written)), "Bytes")
            self._record(stream, "IncomingRecords", float(len(written)))
            self._record(stream, f"{operation}.Bytes", float(sum(written)), "Bytes")
        self._record(stream, f"{operation}.Success", 1.0 if written else 0.0)
        if operation == "PutRecords":
            self._record(stream, "PutRecords.TotalRecords", float(len(results)))
            self._record(stream, "PutRecords.SuccessfulRecords", float(len(written)))
            self._record(stream, "PutRecords.FailedRecords", float(len(results) - len(written) - throttled))
            self._record(stream, "PutRecords.ThrottledRecords", float(throttled))
        if throttled:
            self._record(stream, "WriteProvisionedThroughputExceeded", float(throttled))

    def get(self, stream: StreamRow, records: list[dict[str, Any]], now: float) -> None:
        """After GetRecords (``now`` on the service clock)."""
        age = max(0.0, (now - records[-1]["ApproximateArrivalTimestamp"]) * 1000) if records else 0.0
        size = sum(len(r["Data"]) + len(r["PartitionKey"].encode()) for r in records)
        self._record(stream, "GetRecords.Success", 1.0)
        self._record(stream, "GetRecords.Records", float(len(records)))
        self._record(stream, "GetRecords.Bytes", float(size), "Bytes")
        self._record(stream, "GetRecords.IteratorAgeMilliseconds", age, "Milliseconds")
