"""Amazon DynamoDB Streams: ListStreams, DescribeStream, GetShardIterator, GetRecords.

The streams and their records belong to the DynamoDB provider (``dynamodb.streams``); this
provider is the API over them. A shard iterator is ``<stream ARN>|1|<token>``, the token
carrying the shard, the position after which it reads and when it was issued: iterators
expire 15 minutes of service time after they were handed out.
"""

from __future__ import annotations

import base64
import binascii
import math
from typing import Any

from cloudlet.core.arn import parse_arn
from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.dynamodb.stream_store import MAX_POSITION
from cloudlet.services.dynamodb.streams import Streams, invalid, stream_not_found

ITERATOR_TTL_S = 15 * 60.0
MAX_RECORDS = 1000
MAX_STREAMS = 100
MAX_SHARDS = 100
_WITH_SEQUENCE = ("AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER")


def _limit(params: dict[str, Any], name: str, where: str, upper: int) -> int:
    value = params.get(name)
    if value is None:
        return upper
    if value > upper:  # the model only bounds it below
        raise validation_error(
            [
                f"Value '{value}' at '{where}' failed to satisfy constraint: "
                f"Member must have value less than or equal to {upper}"
            ]
        )  # message unverified
    return value


def _bad_iterator() -> ServiceError:
    return invalid("Invalid ShardIterator")  # message unverified


def _encode(token: str) -> str:
    return base64.urlsafe_b64encode(token.encode()).decode().rstrip("=")


def _decode(token: str) -> str:
    return base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()


class DynamoDBStreamsProvider(Provider):
    service = "dynamodbstreams"

    @property
    def streams(self) -> Streams:
        dynamodb = self.runtime.load("dynamodb")
        assert dynamodb is not None
        return dynamodb.streams  # type: ignore[attr-defined]

    def resource_counts(self) -> dict[str, int]:
        count = self.streams.count()
        return {"streams": count} if count else {}

    def _own(self, ctx: RequestContext, arn: str) -> str:
        """The ARN of a stream of the caller's account and region; ResourceNotFound otherwise."""
        try:
            parsed = parse_arn(arn)
        except ValueError:
            raise stream_not_found(arn) from None  # message unverified for malformed ARNs
        if (
            parsed.service != "dynamodb"
            or parsed.account != ctx.account
            or parsed.region != ctx.region
            or "/stream/" not in parsed.resource
        ):
            raise stream_not_found(arn)
        return arn

    # ---- operations -----------------------------------------------------------------------

    def list_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = _limit(params, "Limit", "limit", MAX_STREAMS)
        rows = self.streams.streams_of(
            ctx.account, ctx.region, params.get("TableName"), params.get("ExclusiveStartStreamArn")
        )
        out: dict[str, Any] = {
            "Streams": [
                {"StreamArn": r.arn, "TableName": r.table_name, "StreamLabel": r.label} for r in rows[:limit]
            ]
        }
        if len(rows) > limit:
            out["LastEvaluatedStreamArn"] = rows[limit - 1].arn
        return out

    def describe_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = _limit(params, "Limit", "limit", MAX_SHARDS)
        row = self.streams.stream(self._own(ctx, params["StreamArn"]))
        shards = [Streams.shard_of(row)]
        shard_filter = params.get("ShardFilter")
        if shard_filter and shard_filter.get("Type") == "CHILD_SHARDS":
            # One shard per stream: no shard ever has children.
            parent = shard_filter.get("ShardId")
            shards = [s for s in shards if parent is not None and s.get("ParentShardId") == parent]
        start = params.get("ExclusiveStartShardId")
        if start:
            shards = [s for s in shards if s["ShardId"] > start]
        description: dict[str, Any] = {
            "StreamArn": row.arn,
            "StreamLabel": row.label,
            "StreamStatus": "ENABLED" if row.enabled else "DISABLED",
            "StreamViewType": row.view_type,
            "CreationRequestDateTime": row.created,
            "TableName": row.table_name,
            "KeySchema": row.key_schema,
            "Shards": shards[:limit],
        }
        if len(shards) > limit:
            description["LastEvaluatedShardId"] = shards[limit - 1]["ShardId"]
        return {"StreamDescription": description}

    def get_shard_iterator(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        kind = params["ShardIteratorType"]
        sequence = params.get("SequenceNumber")
        timestamp = params.get("Timestamp")
        if kind in _WITH_SEQUENCE and sequence is None:
            raise invalid(f"Must provide SequenceNumber for ShardIteratorType {kind}")  # message unverified
        if kind not in _WITH_SEQUENCE and sequence is not None:
            raise invalid(
                f"SequenceNumber may only be given for ShardIteratorType AT_SEQUENCE_NUMBER or "
                f"AFTER_SEQUENCE_NUMBER, not {kind}"
            )  # message unverified
        if kind == "AT_TIMESTAMP" and timestamp is None:
            raise invalid("Must provide Timestamp for ShardIteratorType AT_TIMESTAMP")  # message unverified
        if kind != "AT_TIMESTAMP" and timestamp is not None:
            raise invalid(
                f"Timestamp may only be given for ShardIteratorType AT_TIMESTAMP, not {kind}"
            )  # message unverified
        arn = self._own(ctx, params["StreamArn"])
        shard_id = params["ShardId"]
        position = self.streams.position(
            arn, shard_id, kind, sequence, timestamp.timestamp() if timestamp is not None else None
        )
        return {"ShardIterator": self._iterator(arn, shard_id, position)}

    def _iterator(self, arn: str, shard_id: str, position: int) -> str:
        return f"{arn}|1|{_encode(f'{shard_id}|{position}|{self.clock.now():.3f}')}"

    def _parse_iterator(self, ctx: RequestContext, iterator: str) -> tuple[str, str, int]:
        """(stream ARN, shard id, position) of a live iterator, or the error AWS gives."""
        parts = iterator.split("|")
        if len(parts) != 3 or parts[1] != "1":
            raise _bad_iterator()
        arn = parts[0]
        try:
            shard_id, position, issued = _decode(parts[2]).split("|")
            pos, issued_at = int(position), float(issued)
        except (ValueError, UnicodeDecodeError, binascii.Error):
            raise _bad_iterator() from None
        if not 0 <= pos <= MAX_POSITION or not math.isfinite(issued_at):
            raise _bad_iterator()
        if self.clock.now() - issued_at > ITERATOR_TTL_S:
            raise ServiceError(
                "ExpiredIteratorException", "The provided iterator exceeds the maximum age allowed.", 400
            )  # message from the model's documentation of the error; unverified on the wire
        return self._own(ctx, arn), shard_id, pos

    def get_records(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        limit = _limit(params, "Limit", "limit", MAX_RECORDS)
        arn, shard_id, position = self._parse_iterator(ctx, params["ShardIterator"])
        records, position, drained = self.streams.records_after(arn, shard_id, position, limit)
        out: dict[str, Any] = {"Records": records}
        if not drained:
            out["NextShardIterator"] = self._iterator(arn, shard_id, position)
        return out
