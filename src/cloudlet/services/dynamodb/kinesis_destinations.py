"""Kinesis Data Streams for DynamoDB: a table's streaming destinations and the records they get.

The destinations are stored with the table, in its definition (``KinesisDestinations``: a list
of ``{"StreamArn", "DestinationStatus", "Precision"?}`` in the order they were enabled), so they
are durable with it and go with it when it is deleted.

Statuses: EnableKinesisStreamingDestination answers ENABLING and the destination is ACTIVE at
once (nothing is copied, so nothing to wait for); DisableKinesisStreamingDestination answers
DISABLING and it is DISABLED at once (and stays listed, as AWS lists it);
UpdateKinesisStreamingDestination answers UPDATING and the new precision applies to the next
change. A disabled destination may be enabled again.

``record(table, old_item, new_item, service_delete)`` is called by the provider's ``write``,
next to the DynamoDB stream's ``record``, inside the write's transaction: every ACTIVE
destination gets one Kinesis record (``kinesis/interface.RecordWriter``), durable exactly when
the item change is. A destination whose stream was deleted since gets nothing (unverified: AWS
moves such a destination to a failed state after a while).
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import ids
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.values import item_size
from cloudlet.services.kinesis.interface import record_writer

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.dynamodb.provider import DynamoDBProvider
    from cloudlet.services.dynamodb.tables import Table

FIELD = "KinesisDestinations"  # in the table definition
DEFAULT_PRECISION = "MILLISECOND"
# unverified: AWS writes TTL deletions' identity in the Kinesis record with lower-case keys
# (as the Lambda Powertools parser types it), unlike the DynamoDB stream's ``PrincipalId``.
TTL_IDENTITY = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def _invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def _no_destination(action: str, arn: str, table: Table) -> ServiceError:
    # As recorded from AWS for UpdateKinesisStreamingDestination ("to enable"); the word for
    # DisableKinesisStreamingDestination is unverified.
    return _invalid(
        f"Table is not in a valid state to {action} Kinesis Streaming Destination: No streaming "
        f"destination with streamArn: {arn} found for table with tableName: {table.name}"
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return base64.b64encode(bytes(value)).decode()
    raise TypeError


def partition_key(table: Table, keys: dict[str, Any]) -> str:
    """The Kinesis partition key of a change: AWS derives it from the item's partition key
    (unverified: the exact derivation; here the upper-case hex MD5 of the partition key
    attribute's value as JSON), so every change of an item lands on the same shard, in order."""
    value = orjson.dumps(keys.get(table.hash_key), default=_json_default, option=orjson.OPT_SORT_KEYS)
    return hashlib.md5(value).hexdigest().upper()


class KinesisDestinations:
    """The Kinesis streaming destinations of one DynamoDB provider's tables."""

    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider
        self.clock = provider.clock
        self.store = provider.store

    # ---- the operations ----------------------------------------------------------------------

    def enable(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self.provider.table(ctx, params["TableName"], control=True)
        arn = params["StreamArn"]
        config = params.get("EnableKinesisStreamingConfiguration")
        writer = record_writer(self.provider.runtime)
        if writer is None or not writer.exists(arn):
            raise ServiceError(
                "ResourceNotFoundException", f"Requested resource not found: Stream: {arn} not found", 400
            )  # unverified
        destinations = [dict(d) for d in table.definition.get(FIELD) or []]
        current = next((d for d in destinations if d["StreamArn"] == arn), None)
        if current is not None and current["DestinationStatus"] == "ACTIVE":
            raise ServiceError(
                "ResourceInUseException",
                f"Table is not in a valid state to enable Kinesis Streaming Destination: Kinesis "
                f"streaming destination with streamArn: {arn} is already enabled for table with "
                f"tableName: {table.name}",
                400,
            )  # unverified
        entry = {"StreamArn": arn, "DestinationStatus": "ACTIVE"}
        precision = (config or {}).get("ApproximateCreationDateTimePrecision")
        if precision:
            entry["Precision"] = precision
        if current is None:
            destinations.append(entry)
        else:
            destinations[destinations.index(current)] = entry
        self._save(table, destinations)
        return {
            "TableName": table.name,
            "StreamArn": arn,
            "DestinationStatus": "ENABLING",
            "EnableKinesisStreamingConfiguration": dict(config or {}),
        }

    def disable(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self.provider.table(ctx, params["TableName"], control=True)
        arn = params["StreamArn"]
        destinations = [dict(d) for d in table.definition.get(FIELD) or []]
        current = next((d for d in destinations if d["StreamArn"] == arn), None)
        if current is None or current["DestinationStatus"] != "ACTIVE":
            raise _no_destination("disable", arn, table)
        current["DestinationStatus"] = "DISABLED"
        self._save(table, destinations)
        out: dict[str, Any] = {"TableName": table.name, "StreamArn": arn, "DestinationStatus": "DISABLING"}
        if params.get("EnableKinesisStreamingConfiguration") is not None:
            out["EnableKinesisStreamingConfiguration"] = params["EnableKinesisStreamingConfiguration"]
        return out

    def describe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self.provider.table(ctx, params["TableName"], control=True)
        listed = []
        for d in table.definition.get(FIELD) or []:
            entry = {"StreamArn": d["StreamArn"], "DestinationStatus": d["DestinationStatus"]}
            if d.get("Precision"):
                entry["ApproximateCreationDateTimePrecision"] = d["Precision"]
            listed.append(entry)
        return {"TableName": table.name, "KinesisDataStreamDestinations": listed}

    def update(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        table = self.provider.table(ctx, params["TableName"], control=True)
        arn = params["StreamArn"]
        config = params.get("UpdateKinesisStreamingConfiguration") or {}
        precision = config.get("ApproximateCreationDateTimePrecision")
        if not precision:  # as recorded from AWS
            raise _invalid(
                "Streaming destination cannot be updated with given parameters: "
                "UpdateKinesisStreamingConfiguration cannot be null or contain only null values"
            )
        destinations = [dict(d) for d in table.definition.get(FIELD) or []]
        current = next((d for d in destinations if d["StreamArn"] == arn), None)
        if current is None or current["DestinationStatus"] != "ACTIVE":
            raise _no_destination("enable", arn, table)
        if current.get("Precision", DEFAULT_PRECISION) == precision:  # as recorded from AWS
            raise _invalid(
                f"Invalid Request: Precision is already set to the desired value of {precision} for "
                f"tableId: {table.definition['TableId']}, kdsArn: {arn}"
            )
        current["Precision"] = precision
        self._save(table, destinations)
        return {
            "TableName": table.name,
            "StreamArn": arn,
            "DestinationStatus": "UPDATING",
            "UpdateKinesisStreamingConfiguration": {"ApproximateCreationDateTimePrecision": precision},
        }

    def _save(self, table: Table, destinations: list[dict[str, Any]]) -> None:
        with self.store.transaction():
            table.definition[FIELD] = destinations
            self.provider.db.save_table(table)

    # ---- called by the provider's write, inside its transaction --------------------------------

    def record(
        self,
        table: Table,
        old_item: dict[str, Any] | None,
        new_item: dict[str, Any] | None,
        service_delete: bool = False,
    ) -> None:
        active = [d for d in table.definition.get(FIELD) or () if d["DestinationStatus"] == "ACTIVE"]
        item = new_item if new_item is not None else old_item
        if not active or item is None:
            return
        writer = record_writer(self.provider.runtime)
        if writer is None:
            return
        now = self.clock.now()
        keys = {name: item[name] for name in table.key_names if name in item}
        size = item_size(keys)
        for image in (new_item, old_item):
            if image is not None:
                size += item_size(image)
        key = partition_key(table, keys)
        for destination in active:
            precision = destination.get("Precision", DEFAULT_PRECISION)
            change: dict[str, Any] = {
                "ApproximateCreationDateTime": int(now * (1_000_000 if precision == "MICROSECOND" else 1000)),
                "ApproximateCreationDateTimePrecision": precision,
                "Keys": keys,
            }
            if new_item is not None:
                change["NewImage"] = new_item
            if old_item is not None:
                change["OldImage"] = old_item
            change["SizeBytes"] = size
            record = {
                "awsRegion": table.region,
                "eventID": ids.uuid4(),
                "eventName": "INSERT" if old_item is None else "REMOVE" if new_item is None else "MODIFY",
                "userIdentity": dict(TTL_IDENTITY) if service_delete else None,
                "recordFormat": "application/json",
                "tableName": table.name,
                "dynamodb": change,
                "eventSource": "aws:dynamodb",
            }
            data = orjson.dumps(record, default=_json_default)
            writer.put_record(destination["StreamArn"], data, key)
