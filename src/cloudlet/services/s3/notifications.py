"""S3 bucket notifications: configuration checks, routing, and the messages S3 sends.

Pure functions, no I/O: the S3 provider stores what :func:`validate_configuration`
returns, asks :func:`matching_destinations` where an object event goes, and sends
:func:`message` of :func:`event_record` records to SQS/SNS/Lambda, :func:`test_event`
when a configuration is saved, and :func:`eventbridge_event` to EventBridge.

Sources of the formats and errors (see the tests for each field):

- responses recorded from real AWS in ``aws-reference/s3/test_s3_notifications_*.json``
  and ``test_s3_api.snapshot.json`` (records, EventBridge events, the destination and
  filter-rule errors);
- the S3 user guide: event message structure, event types, key-name filtering and its
  overlap rules, the EventBridge event structure and its event-type mapping.

Key filters compare against the key *as the record carries it* (URL-encoded, a space as
``+``): the user guide tells users to write a prefix/suffix with a space as ``+`` and other
special characters percent-encoded, so that is the form AWS matches on.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from cloudlet.core.arn import parse_arn, partition_for
from cloudlet.core.ids import uuid4
from cloudlet.protocol.errors import ServiceError

# Destination kinds, as ``destination_exists`` and ``matching_destinations`` name them.
SQS = "sqs"
SNS = "sns"
LAMBDA = "lambda"

# (list member of NotificationConfiguration, ARN member, kind, ArgumentName in ARN errors,
# what the "does not exist" answer says). Model order: AWS lists them in this order too.
_KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("TopicConfigurations", "TopicArn", SNS, "Topic"),
    ("QueueConfigurations", "QueueArn", SQS, "Queue"),
    ("LambdaFunctionConfigurations", "LambdaFunctionArn", LAMBDA, "CloudFunction"),
)

# Every event the S3 model's ``Event`` enum allows in a configuration.
EVENT_TYPES: frozenset[str] = frozenset(
    {
        "s3:ReducedRedundancyLostObject",
        "s3:ObjectCreated:*",
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
        "s3:ObjectRemoved:*",
        "s3:ObjectRemoved:Delete",
        "s3:ObjectRemoved:DeleteMarkerCreated",
        "s3:ObjectRestore:*",
        "s3:ObjectRestore:Post",
        "s3:ObjectRestore:Completed",
        "s3:ObjectRestore:Delete",
        "s3:Replication:*",
        "s3:Replication:OperationFailedReplication",
        "s3:Replication:OperationNotTracked",
        "s3:Replication:OperationMissedThreshold",
        "s3:Replication:OperationReplicatedAfterThreshold",
        "s3:LifecycleTransition",
        "s3:IntelligentTiering",
        "s3:ObjectAcl:Put",
        "s3:LifecycleExpiration:*",
        "s3:LifecycleExpiration:Delete",
        "s3:LifecycleExpiration:DeleteMarkerCreated",
        "s3:ObjectTagging:*",
        "s3:ObjectTagging:Put",
        "s3:ObjectTagging:Delete",
        "s3:ObjectAnnotation:*",
        "s3:ObjectAnnotation:Put",
        "s3:ObjectAnnotation:Delete",
        "s3:ObjectRetention:Put",
    }
)

MALFORMED_XML = "The XML you provided was not well-formed or did not validate against our published schema"
OVERLAP_MESSAGE = (
    "Configuration is ambiguously defined. Cannot have overlapping suffixes in two rules "
    "if the prefixes are overlapping for the same event type."
)
DESTINATIONS_MESSAGE = "Unable to validate the following destination configurations"

# The Subject SNS carries for an S3 notification.
SNS_SUBJECT = "Amazon S3 Notification"

# The ETag of an empty body: what a delete marker's records carry as eTag/etag.
EMPTY_ETAG = "d41d8cd98f00b204e9800998ecf8427e"

# The requester EventBridge names for work S3 does itself (lifecycle, restore completion).
S3_SERVICE_PRINCIPAL = "s3.amazonaws.com"


# ---------------------------------------------------------------- configuration


def _invalid(message: str, name: str | None = None, value: str | None = None) -> ServiceError:
    fields = {} if name is None else {"ArgumentName": name, "ArgumentValue": value}
    return ServiceError("InvalidArgument", message, 400, fields=fields)


def _malformed() -> ServiceError:
    return ServiceError("MalformedXML", MALFORMED_XML, 400)


def generate_id() -> str:
    """An id of the kind S3 assigns a configuration saved without one (base64 of a UUID)."""
    return base64.b64encode(uuid4().encode()).decode()


def validate_configuration(
    config: dict[str, Any] | None,
    destination_exists: Callable[[str, str], bool],
    *,
    skip_destination_validation: bool = False,
) -> dict[str, Any]:
    """Check a PutBucketNotificationConfiguration input; return the configuration to store.

    ``destination_exists(kind, arn)`` (kind: :data:`SQS`, :data:`SNS` or :data:`LAMBDA`)
    says whether S3 could deliver there; it is not called when
    ``skip_destination_validation`` (the request's ``x-amz-skip-destination-validation``)
    is set. The result renders filter rule names as S3 does (``Prefix``/``Suffix``) and
    carries an ``Id`` on every configuration.
    """
    config = config or {}
    out: dict[str, Any] = {}
    entries: list[tuple[str, str, str, dict[str, Any]]] = []  # (kind, argument name, arn, normalized)
    for list_name, arn_member, kind, argument in _KINDS:
        items = config.get(list_name) or []
        normalized = []
        for item in items:
            entry = _normalize_entry(item, arn_member)
            normalized.append(entry)
            entries.append((kind, argument, entry[arn_member], entry))
        if normalized:
            out[list_name] = normalized
    if config.get("EventBridgeConfiguration") is not None:
        out["EventBridgeConfiguration"] = {}

    seen_ids: set[str] = set()
    for _, _, _, entry in entries:
        if entry["Id"] in seen_ids:
            raise _invalid("Same ID used for multiple configurations. IDs must be unique.")
        seen_ids.add(entry["Id"])

    for i, (_, _, _, a) in enumerate(entries):
        for _, _, _, b in entries[i + 1 :]:
            if _overlap(a, b):
                raise _invalid(OVERLAP_MESSAGE)

    for _, argument, arn, _ in entries:
        try:
            parse_arn(arn)
        except ValueError:
            raise _invalid("The ARN could not be parsed", argument, arn) from None

    if not skip_destination_validation:
        failures: dict[str, str] = {}  # ArgumentName -> ArgumentValue, each destination once
        checked: set[tuple[str, str]] = set()
        for kind, _, arn, _ in entries:
            if (kind, arn) in checked:
                continue
            checked.add((kind, arn))
            if not destination_exists(kind, arn):
                failures[f"{arn}, null" if kind == LAMBDA else arn] = _missing_destination(kind, arn)
        if failures:
            fields: dict[str, Any] = {}
            for n, (name, reason) in enumerate(failures.items(), 1):
                fields[f"ArgumentName{n}"] = name
                fields[f"ArgumentValue{n}"] = reason
            raise ServiceError("InvalidArgument", DESTINATIONS_MESSAGE, 400, fields=fields)
    return out


def _missing_destination(kind: str, arn: str) -> str:
    if kind == SQS:
        return "The destination queue does not exist"
    if kind == SNS:
        return "The destination topic does not exist"
    return f"Not authorized to invoke function [{arn}]"


def _normalize_entry(item: dict[str, Any], arn_member: str) -> dict[str, Any]:
    arn = item.get(arn_member)
    events = item.get("Events")
    if not arn or not events:
        raise _malformed()
    for event in events:
        if event not in EVENT_TYPES:
            raise _invalid("The event is not supported for notifications", "Event", event)
    entry: dict[str, Any] = {"Id": item.get("Id") or generate_id(), arn_member: arn, "Events": list(events)}
    rules = _normalize_rules(item.get("Filter"))
    if rules:
        entry["Filter"] = {"Key": {"FilterRules": rules}}
    return entry


def _normalize_rules(filter_: dict[str, Any] | None) -> list[dict[str, str]]:
    rules = ((filter_ or {}).get("Key") or {}).get("FilterRules") or []
    out: list[dict[str, str]] = []
    seen: set[str] = set()
    for rule in rules:
        name, value = rule.get("Name"), rule.get("Value")
        if name is None or value is None:
            raise _malformed()
        lowered = name.lower()
        if lowered not in ("prefix", "suffix"):
            raise _invalid("filter rule name must be either prefix or suffix", "FilterRule.Name", name)
        if lowered in seen:
            raise _invalid(
                f"Cannot specify more than one {lowered} rule in a filter.", "FilterRule.Name", name
            )
        seen.add(lowered)
        out.append({"Name": lowered.capitalize(), "Value": value})
    return out


def _rule(entry: dict[str, Any], name: str) -> str:
    for rule in entry.get("Filter", {}).get("Key", {}).get("FilterRules", []):
        if rule["Name"] == name:
            return rule["Value"]
    return ""


def _events_overlap(a: str, b: str) -> bool:
    if a == b:
        return True
    if a.endswith("*") and b.startswith(a[:-1]):
        return True
    return b.endswith("*") and a.startswith(b[:-1])


def _overlap(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Whether one event could fire both configurations (the rule S3 refuses)."""
    if not any(_events_overlap(x, y) for x in a["Events"] for y in b["Events"]):
        return False
    pa, pb = _rule(a, "Prefix"), _rule(b, "Prefix")
    if not (pa.startswith(pb) or pb.startswith(pa)):
        return False
    sa, sb = _rule(a, "Suffix"), _rule(b, "Suffix")
    return sa.endswith(sb) or sb.endswith(sa)


# ---------------------------------------------------------------- routing


def _qualified(event_name: str) -> str:
    return event_name if event_name.startswith("s3:") else "s3:" + event_name


def event_matches(configured: str, event_name: str) -> bool:
    """Whether a configured event type (``s3:ObjectCreated:*``) covers an event."""
    event_name = _qualified(event_name)
    if configured.endswith(":*"):
        return event_name.startswith(configured[:-1])
    return configured == event_name


def matching_destinations(
    config: dict[str, Any] | None, event_name: str, key: str
) -> list[tuple[str, str, str]]:
    """``(kind, arn, configuration id)`` of each configuration an event on ``key`` fires.

    ``key`` is the object key as stored; the filters compare against its URL-encoded form
    (:func:`encode_key`), as S3 does. EventBridge is not listed here: see
    :func:`eventbridge_enabled`.
    """
    if not config:
        return []
    encoded = encode_key(key)
    out: list[tuple[str, str, str]] = []
    for list_name, arn_member, kind, _ in _KINDS:
        for entry in config.get(list_name) or []:
            if not any(event_matches(e, event_name) for e in entry["Events"]):
                continue
            if encoded.startswith(_rule(entry, "Prefix")) and encoded.endswith(_rule(entry, "Suffix")):
                out.append((kind, entry[arn_member], entry["Id"]))
    return out


def eventbridge_enabled(config: dict[str, Any] | None) -> bool:
    return bool(config) and config.get("EventBridgeConfiguration") is not None


def test_event_destinations(config: dict[str, Any] | None) -> list[tuple[str, str]]:
    """The SQS/SNS destinations S3 sends :func:`test_event` to when ``config`` is saved.

    Lambda destinations get no test message (S3 checks the function's permissions instead).
    """
    out: list[tuple[str, str]] = []
    for list_name, arn_member, kind, _ in _KINDS:
        if kind == LAMBDA:
            continue
        for entry in (config or {}).get(list_name) or []:
            if (kind, entry[arn_member]) not in out:
                out.append((kind, entry[arn_member]))
    return out


test_event_destinations.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# ---------------------------------------------------------------- formats

_KEY_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.*/")


def encode_key(key: str) -> str:
    """The object key as records carry it: form-encoded UTF-8, a space as ``+``, ``/`` kept."""
    out = []
    for byte in key.encode("utf-8"):
        if byte in _KEY_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)


def _iso_millis(ts: float) -> str:
    dt = datetime.fromtimestamp(ts, UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _iso_seconds(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def event_version(event_name: str) -> str:
    """The ``eventVersion`` S3 writes for an event type."""
    name = event_name.removeprefix("s3:")
    if name.startswith("Replication:"):
        return "2.2"  # user guide
    # Recorded for tagging and ACL; the user guide names lifecycle, Intelligent-Tiering and
    # restore-expiry events too. Retention and annotation events: assumed alike.
    if name.startswith(_V23_PREFIXES) or name in _V23_EVENTS:
        return "2.3"
    return "2.1"


_V23_PREFIXES = (
    "LifecycleExpiration:",
    "ObjectTagging:",
    "ObjectAcl:",
    "ObjectRetention:",
    "ObjectAnnotation:",
)
_V23_EVENTS = frozenset({"LifecycleTransition", "IntelligentTiering", "ObjectRestore:Delete"})


# Which object fields a record carries, by event type (recorded from AWS where noted).
_ALL_FIELDS = ("size", "eTag", "versionId", "sequencer")


def _object_fields(name: str) -> tuple[str, ...]:
    if name.startswith("ObjectCreated:"):
        return _ALL_FIELDS  # recorded
    if name in ("ObjectRemoved:Delete", "LifecycleExpiration:Delete"):
        return ("versionId", "sequencer")  # recorded (ObjectRemoved:Delete)
    if name in ("ObjectRemoved:DeleteMarkerCreated", "LifecycleExpiration:DeleteMarkerCreated"):
        return ("eTag", "versionId", "sequencer")  # recorded (ObjectRemoved:DeleteMarkerCreated)
    if name.startswith(("ObjectTagging:", "ObjectAcl:", "ObjectRetention:", "ObjectAnnotation:")):
        return ("eTag", "versionId")  # recorded (tagging, ACL)
    return _ALL_FIELDS  # restore: recorded; others: as the user guide's structure lists them


def event_record(
    *,
    event_name: str,
    region: str,
    bucket: str,
    key: str,
    configuration_id: str,
    now: float,
    request_id: str,
    host_id: str,
    source_ip: str,
    principal_id: str,
    owner_id: str,
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
    sequencer: str | None = None,
    restore_expiry_time: float | None = None,
    restore_storage_class: str | None = None,
) -> dict[str, Any]:
    """One record of an S3 event notification, field for field as S3 writes it.

    ``event_name`` with or without ``s3:``; ``now`` in epoch seconds; ``principal_id``
    is the requester's (``AWS:AIDA...`` for an IAM user), ``owner_id`` the bucket owner's
    canonical principal. ``etag`` without quotes; ``version_id`` only for a real version
    (not the ``null`` version of an unversioned or suspended bucket). Fields an event type
    does not carry are left out whatever is passed (a delete has no size or eTag; a
    delete marker's eTag is that of an empty body).
    """
    name = event_name.removeprefix("s3:")
    fields = _object_fields(name)
    if name.endswith("DeleteMarkerCreated") and etag is None:
        etag = EMPTY_ETAG
    obj: dict[str, Any] = {"key": encode_key(key)}
    values = {"size": size, "eTag": etag, "versionId": version_id, "sequencer": sequencer}
    for field in _ALL_FIELDS:
        if field in fields and values[field] is not None:
            obj[field] = values[field]
    if name == "ObjectRestore:Completed":
        principal_id = f"AmazonCustomer:{owner_id}"
    record: dict[str, Any] = {
        "eventVersion": event_version(name),
        "eventSource": "aws:s3",
        "awsRegion": region,
        "eventTime": _iso_millis(now),
        "eventName": name,
        "userIdentity": {"principalId": principal_id},
        "requestParameters": {"sourceIPAddress": source_ip},
        "responseElements": {"x-amz-request-id": request_id, "x-amz-id-2": host_id},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": configuration_id,
            "bucket": {
                "name": bucket,
                "ownerIdentity": {"principalId": owner_id},
                "arn": f"arn:{partition_for(region)}:s3:::{bucket}",
            },
            "object": obj,
        },
    }
    if name == "ObjectRestore:Completed":
        restore: dict[str, Any] = {}
        if restore_expiry_time is not None:
            restore["lifecycleRestorationExpiryTime"] = _iso_millis(restore_expiry_time)
        if restore_storage_class is not None:
            restore["lifecycleRestoreStorageClass"] = restore_storage_class
        record["glacierEventData"] = {"restoreEventData": restore}
    return record


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def message(records: Iterable[dict[str, Any]]) -> str:
    """The body S3 sends to a queue, topic or function: ``{"Records": [...]}`` as JSON."""
    return _dumps({"Records": list(records)})


def test_event(bucket: str, request_id: str, host_id: str, now: float) -> str:
    """The ``s3:TestEvent`` message S3 sends a queue or topic when a configuration is saved."""
    return _dumps(
        {
            "Service": "Amazon S3",
            "Event": "s3:TestEvent",
            "Time": _iso_millis(now),
            "Bucket": bucket,
            "RequestId": request_id,
            "HostId": host_id,
        }
    )


test_event.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


# ---------------------------------------------------------------- EventBridge

EVENTBRIDGE_DETAIL_TYPES: dict[str, str] = {
    "ObjectCreated:Put": "Object Created",
    "ObjectCreated:Post": "Object Created",
    "ObjectCreated:Copy": "Object Created",
    "ObjectCreated:CompleteMultipartUpload": "Object Created",
    "ObjectRemoved:Delete": "Object Deleted",
    "ObjectRemoved:DeleteMarkerCreated": "Object Deleted",
    "LifecycleExpiration:Delete": "Object Deleted",
    "LifecycleExpiration:DeleteMarkerCreated": "Object Deleted",
    "ObjectRestore:Post": "Object Restore Initiated",
    "ObjectRestore:Completed": "Object Restore Completed",
    "ObjectRestore:Delete": "Object Restore Expired",
    "LifecycleTransition": "Object Storage Class Changed",
    "IntelligentTiering": "Object Access Tier Changed",
    "ObjectTagging:Put": "Object Tags Added",
    "ObjectTagging:Delete": "Object Tags Deleted",
    "ObjectAcl:Put": "Object ACL Updated",
}

_REASONS = {
    "ObjectCreated:Put": "PutObject",
    "ObjectCreated:Post": "PostObject",
    "ObjectCreated:Copy": "CopyObject",
    "ObjectCreated:CompleteMultipartUpload": "CompleteMultipartUpload",
    "ObjectRemoved:Delete": "DeleteObject",
    "ObjectRemoved:DeleteMarkerCreated": "DeleteObject",
    "LifecycleExpiration:Delete": "Lifecycle Expiration",
    "LifecycleExpiration:DeleteMarkerCreated": "Lifecycle Expiration",
}


def eventbridge_sequencer(sequencer: str) -> str:
    """The form EventBridge events give a sequencer (16 lower-case hex digits)."""
    if len(sequencer) > 16 and sequencer.startswith("0" * (len(sequencer) - 16)):
        sequencer = sequencer[-16:]
    return sequencer.lower()


def eventbridge_event(
    *,
    event_name: str,
    account: str,
    region: str,
    bucket: str,
    key: str,
    request_id: str,
    requester: str,
    now: float,
    source_ip: str | None = None,
    size: int | None = None,
    etag: str | None = None,
    version_id: str | None = None,
    sequencer: str | None = None,
    reason: str | None = None,
    restore_expiry_time: float | None = None,
    source_storage_class: str | None = None,
    destination_storage_class: str | None = None,
    destination_access_tier: str | None = None,
    event_id: str | None = None,
) -> dict[str, Any] | None:
    """The event S3 puts on the default bus for an object event, or None if it sends none.

    The envelope is the one EventBridge delivers (``version``, ``id``, ``detail-type``,
    ``source``, ``account``, ``time``, ``region``, ``resources``, ``detail``);
    :func:`put_events_entry` turns it into a PutEvents entry. ``key`` is the plain key
    (EventBridge does not URL-encode it); ``requester`` an account id or a service
    principal (:data:`S3_SERVICE_PRINCIPAL` for lifecycle and restore completion);
    ``source_ip`` only for events an S3 request caused. ``reason`` defaults to the API
    implied by the event (``PutObject``, ``CopyObject``, ``DeleteObject``, ...).
    """
    name = event_name.removeprefix("s3:")
    detail_type = EVENTBRIDGE_DETAIL_TYPES.get(name)
    if detail_type is None:
        return None
    obj: dict[str, Any] = {"key": key}
    if detail_type == "Object Deleted":
        if name.endswith("DeleteMarkerCreated"):
            obj["etag"] = etag or EMPTY_ETAG
    else:
        if size is not None and detail_type not in (
            "Object ACL Updated",
            "Object Tags Added",
            "Object Tags Deleted",
            "Object Restore Expired",
        ):
            obj["size"] = size
        if etag is not None:
            obj["etag"] = etag
    if version_id is not None:
        obj["version-id"] = version_id
    if sequencer is not None and detail_type in ("Object Created", "Object Deleted"):
        obj["sequencer"] = eventbridge_sequencer(sequencer)
    detail: dict[str, Any] = {
        "version": "0",
        "bucket": {"name": bucket},
        "object": obj,
        "request-id": request_id,
        "requester": requester,
    }
    if source_ip is not None:
        detail["source-ip-address"] = source_ip
    if reason is None:
        reason = _REASONS.get(name)
    if reason is not None and detail_type in ("Object Created", "Object Deleted"):
        detail["reason"] = reason
    if detail_type == "Object Deleted":
        detail["deletion-type"] = (
            "Delete Marker Created" if name.endswith("DeleteMarkerCreated") else "Permanently Deleted"
        )
    if restore_expiry_time is not None and detail_type == "Object Restore Completed":
        detail["restore-expiry-time"] = _iso_seconds(restore_expiry_time)
    if source_storage_class is not None and detail_type.startswith("Object Restore"):
        detail["source-storage-class"] = source_storage_class
    if destination_storage_class is not None and detail_type == "Object Storage Class Changed":
        detail["destination-storage-class"] = destination_storage_class
    if destination_access_tier is not None and detail_type == "Object Access Tier Changed":
        detail["destination-access-tier"] = destination_access_tier
    return {
        "version": "0",
        "id": event_id or uuid4(),
        "detail-type": detail_type,
        "source": "aws.s3",
        "account": account,
        "time": _iso_seconds(now),
        "region": region,
        "resources": [f"arn:{partition_for(region)}:s3:::{bucket}"],
        "detail": detail,
    }


def put_events_entry(event: dict[str, Any]) -> dict[str, Any]:
    """An :func:`eventbridge_event` as a PutEvents ``Entries`` member (``Detail`` a JSON string)."""
    return {
        "Source": event["source"],
        "DetailType": event["detail-type"],
        "Detail": _dumps(event["detail"]),
        "Resources": list(event["resources"]),
        "Time": event["time"],
    }


# ---------------------------------------------------------------- sequencer


class Sequencer:
    """Produces S3's ``sequencer`` values: hex strings that only ever grow.

    Like S3's, a value starts with the event time's epoch seconds in hex, so the order of
    two values on the same key is the order of the events; within a second (or if time
    stands still) each value is one more than the last. Values are fixed-width
    (18 upper-case hex digits, the notification form; :func:`eventbridge_sequencer` gives
    the EventBridge form), so comparing the strings compares the values. Seed ``last``
    with the last value handed out before a restart to keep growing across it.
    """

    WIDTH = 18

    def __init__(self, last: str | int | None = None) -> None:
        if isinstance(last, str):
            last = int(last, 16)
        self.last: int = last or 0

    def next(self, now: float) -> str:
        seconds = int(now)
        fraction = int((now - seconds) * (1 << 32)) & 0xFFFFFFFF
        value = max((seconds << 32) | fraction, self.last + 1)
        self.last = value
        return f"{value:0{self.WIDTH}X}"
