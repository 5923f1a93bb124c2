"""Event source mappings: the control plane (Create/Get/Update/Delete/List).

Mappings live in ``lambda_settings`` under kind ``esm`` with an empty function name and the
UUID as qualifier, so they outlive the function they point to (as AWS keeps them). Each
enabled mapping has a poller (pollers.py: sqs_poller.py, stream_poller.py); a stream mapping's
starting positions are taken at creation, with it, in ``lambda_esm_positions``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import make_arn
from cloudlet.core.patterns.compile import compile_pattern
from cloudlet.core.patterns.errors import PatternError
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.awslambda.configure import check_tags
from cloudlet.services.awslambda.errors import conflict, invalid
from cloudlet.services.awslambda.names import parse_function
from cloudlet.services.awslambda.stream_poller import initial_positions, stream_feed
from cloudlet.services.awslambda.util import page
from cloudlet.services.kinesis.interface import kinesis_consumer_exists
from cloudlet.services.sqs.interface import queue_consumer

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider
    from cloudlet.services.base import RequestContext

KIND = "esm"
# recorded: what a stream mapping starts with (and LastProcessingResult until its first batch)
_STREAM_DEFAULTS = {
    "BisectBatchOnFunctionError": False, "MaximumRecordAgeInSeconds": -1, "MaximumRetryAttempts": -1,
    "ParallelizationFactor": 1, "TumblingWindowInSeconds": 0, "LastProcessingResult": "No records processed",
}  # fmt: skip
# recorded: an SQS mapping of a queue that does not exist
NO_QUEUE = (
    "Error occurred while ReceiveMessage. SQS Error Code: AWS.SimpleQueueService.NonExistentQueue. "
    "SQS Error Message: The specified queue does not exist."
)
_BATCH_WINDOW = (
    "Maximum batch window in seconds must be greater than 0 if maximum batch size is greater than 10"
)
# Parameters only one kind of source takes
_STREAM_ONLY = (
    "ParallelizationFactor", "BisectBatchOnFunctionError", "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
    "TumblingWindowInSeconds", "DestinationConfig", "StartingPositionTimestamp",
)  # fmt: skip
_SQS_ONLY = ("ScalingConfig",)
_UPDATABLE = (
    "BatchSize", "MaximumBatchingWindowInSeconds", "FunctionResponseTypes", "FilterCriteria",
    "ScalingConfig", "DestinationConfig", "MaximumRecordAgeInSeconds", "BisectBatchOnFunctionError",
    "MaximumRetryAttempts", "ParallelizationFactor", "TumblingWindowInSeconds", "MetricsConfig",
)  # fmt: skip


def _missing() -> ServiceError:
    return ServiceError(
        "ResourceNotFoundException",
        "The resource you requested does not exist.",
        404,
        fields={"Type": "User"},
    )


def _source_kind(arn: str | None) -> str:
    parts = (arn or "").split(":")
    if len(parts) < 6 or parts[0] != "arn":
        raise invalid("Unrecognized event source.")
    if parts[2] == "sqs":
        return "sqs"
    if parts[2] == "kinesis" or (parts[2] == "dynamodb" and "/stream/" in parts[5]):
        return "stream"
    raise invalid("Unrecognized event source.")


def _check(kind: str, doc: dict[str, Any], given: dict[str, Any]) -> None:
    """AWS's checks of a mapping (``doc``, as it would be stored) and of the parameters
    ``given`` in the request: what its source takes and the combinations it allows."""
    for name in _STREAM_ONLY if kind == "sqs" else _SQS_ONLY:
        if given.get(name) is not None:
            # recorded in public reports for ParallelizationFactor; unverified for the others
            raise invalid(f"Unsupported {name} parameter for given event source mapping type.")
    if kind == "sqs" and given.get("StartingPosition") is not None:
        raise invalid("StartingPosition is not valid for SQS event sources.")  # as AWS answers
    size = doc["BatchSize"]
    window = doc.get("MaximumBatchingWindowInSeconds", 0)
    if kind == "sqs" and doc["EventSourceArn"].endswith(".fifo"):
        if size > 10:
            raise invalid("Maximum batch size for FIFO queues is 10.")  # unverified wording
        if window:
            raise invalid("Batching window is not supported for FIFO queues.")  # unverified wording
    elif kind == "sqs" and size > 10 and window < 1:
        raise invalid(_BATCH_WINDOW)
    if kind == "stream":
        age = doc.get("MaximumRecordAgeInSeconds", -1)
        if age != -1 and not 60 <= age <= 604800:
            # unverified wording: the documented range is -1 (infinite) or 60 to 604,800
            raise invalid("MaximumRecordAgeInSeconds must be -1 or between 60 and 604800.")
        if doc.get("StartingPosition") == "AT_TIMESTAMP" and doc.get("StartingPositionTimestamp") is None:
            raise invalid(
                "StartingPositionTimestamp must be set when StartingPosition is AT_TIMESTAMP."
            )  # unverified
        destination = ((doc.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")
        if destination and destination.split(":")[2:3] not in (["sqs"], ["sns"], ["s3"]):
            raise invalid(f"Unsupported destination ARN: {destination}")  # unverified wording
    for item in (doc.get("FilterCriteria") or {}).get("Filters") or []:
        try:
            compile_pattern(item.get("Pattern") or "")
        except PatternError:
            raise invalid("Invalid filter pattern definition.") from None  # recorded


class EventSourceMappings:
    def _esm(self: LambdaProvider, ctx: RequestContext, mapping_id: str) -> dict[str, Any]:
        doc = self.db.setting(ctx.account, ctx.region, "", KIND, mapping_id)
        if doc is None:
            raise _missing()
        return doc

    def _esm_answer(self: LambdaProvider, doc: dict[str, Any], state: str | None = None) -> dict[str, Any]:
        out = {k: v for k, v in doc.items() if not k.startswith("_")}
        if state:
            out["State"] = state
        return out

    def create_event_source_mapping(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        source = params.get("EventSourceArn")
        kind = _source_kind(source)
        ref = parse_function(params["FunctionName"], ctx.account, ctx.region)
        if self.db.function(ref.account, ref.region, ref.name) is None:
            raise invalid("Function does not exist")
        if kind == "stream" and not params.get("StartingPosition"):
            raise invalid(
                "1 validation error detected: Value null at 'startingPosition' failed to satisfy constraint: "
                "Member must not be null."
            )
        mapping_id = str(uuid.uuid4())
        doc: dict[str, Any] = {
            "UUID": mapping_id,
            "BatchSize": params.get("BatchSize") or (10 if kind == "sqs" else 100),
            "MaximumBatchingWindowInSeconds": params.get("MaximumBatchingWindowInSeconds", 0),
            "EventSourceArn": source,
            "FunctionArn": ref.arn(),
            "LastModified": self.clock.now(),
            "State": "Enabled" if params.get("Enabled", True) else "Disabled",
            "StateTransitionReason": "USER_INITIATED" if kind == "sqs" else "User action",  # recorded
            "FunctionResponseTypes": params.get("FunctionResponseTypes") or [],
            "EventSourceMappingArn": make_arn(
                "lambda", ctx.region, ctx.account, f"event-source-mapping:{mapping_id}"
            ),
        }
        if kind == "stream":
            doc.update(_STREAM_DEFAULTS)
            doc["DestinationConfig"] = {"OnFailure": {}}
        for key in (*_UPDATABLE[3:], "StartingPosition", "StartingPositionTimestamp"):
            if params.get(key) is not None:
                doc[key] = params[key]
        if isinstance(doc.get("StartingPositionTimestamp"), datetime):
            doc["StartingPositionTimestamp"] = doc["StartingPositionTimestamp"].timestamp()
        _check(kind, doc, params)
        positions: dict[str, str] = {}
        if kind == "sqs":
            consumer = queue_consumer(self.runtime)
            if consumer is None or not consumer.queue_exists(source or ""):
                raise invalid(NO_QUEUE)
        else:
            feed = stream_feed(self.runtime, source or "")
            try:
                if feed is None or (
                    "/consumer/" in (source or "") and not kinesis_consumer_exists(self.runtime, source or "")
                ):
                    raise ServiceError("ResourceNotFoundException", "")  # unverified for a consumer ARN
                positions = initial_positions(feed, doc)
            except ServiceError:
                raise invalid(f"Stream not found: {source}") from None  # recorded
        with self.store.transaction():
            for other in self.db.settings(ctx.account, ctx.region, "", KIND).values():
                if other["EventSourceArn"] != source or other["FunctionArn"] != doc["FunctionArn"]:
                    continue
                if kind == "sqs":
                    raise conflict(
                        f'An event source mapping with SQS arn (" {source} ") and function '
                        f'(" {ref.name} ") already exists. Please update or delete the existing '
                        f"mapping with UUID {other['UUID']}"
                    )
                raise conflict(
                    f'The event source arn (" {source} ") and function (" {ref.name} ") provided mapping '
                    f"already exists. Please update or delete the existing mapping with UUID {other['UUID']}"
                )  # recorded
            doc["_tags"] = check_tags(params.get("Tags") or {})
            self.db.put_setting(ctx.account, ctx.region, "", KIND, mapping_id, doc)
            for shard_id, position in positions.items():
                self.db.put_position(mapping_id, shard_id, position)
        self.pollers.apply(mapping_id, doc)
        return self._esm_answer(doc, "Creating")

    def get_event_source_mapping(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._esm_answer(self._esm(ctx, params["UUID"]))

    def update_event_source_mapping(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self._esm(ctx, params["UUID"])
            for key in _UPDATABLE:
                if params.get(key) is not None:
                    doc[key] = params[key]
            if params.get("FunctionName"):
                ref = parse_function(params["FunctionName"], ctx.account, ctx.region)
                if self.db.function(ref.account, ref.region, ref.name) is None:
                    raise invalid("Function does not exist")
                doc["FunctionArn"] = ref.arn()
            _check(_source_kind(doc["EventSourceArn"]), doc, params)
            shown = "Updating"
            if params.get("Enabled") is not None:
                was = doc["State"]
                doc["State"] = "Enabled" if params["Enabled"] else "Disabled"
                if doc["State"] != was:
                    shown = "Enabling" if params["Enabled"] else "Disabling"
            doc["LastModified"] = self.clock.now()
            self.db.put_setting(ctx.account, ctx.region, "", KIND, doc["UUID"], doc)
        self.pollers.apply(doc["UUID"], doc)
        return self._esm_answer(doc, shown)

    def delete_event_source_mapping(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        with self.store.transaction():
            doc = self._esm(ctx, params["UUID"])
            self.db.delete_setting(ctx.account, ctx.region, "", KIND, doc["UUID"])
            self.db.delete_positions(doc["UUID"])
        self.pollers.apply(doc["UUID"], None)
        return self._esm_answer(doc, "Deleting")

    def list_event_source_mappings(
        self: LambdaProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        docs = list(self.db.settings(ctx.account, ctx.region, "", KIND).values())
        if params.get("EventSourceArn"):
            docs = [d for d in docs if d["EventSourceArn"] == params["EventSourceArn"]]
        if params.get("FunctionName"):
            ref = parse_function(params["FunctionName"], ctx.account, ctx.region)
            docs = [d for d in docs if d["FunctionArn"].split(":")[6] == ref.name]
            if ref.qualifier:
                docs = [d for d in docs if d["FunctionArn"] == ref.arn()]
        chunk, marker = page(docs, lambda d: d["UUID"], params.get("Marker"), params.get("MaxItems"))
        out: dict[str, Any] = {"EventSourceMappings": [self._esm_answer(d) for d in chunk]}
        if marker:
            out["NextMarker"] = marker
        return out
