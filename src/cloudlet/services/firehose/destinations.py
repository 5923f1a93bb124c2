"""A stream's S3 destination: checked and completed from CreateDeliveryStream's or
UpdateDestination's input, and described in DescribeDeliveryStream's shapes.

The destination is kept as one ExtendedS3 configuration whatever form created it (the
deprecated S3DestinationConfiguration is a subset), and described both ways, as AWS
describes an S3 destination (recorded: cloudformation test_firehose_stack_with_kinesis_as_source).
"""

from __future__ import annotations

import copy
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.firehose import prefixes
from cloudlet.services.firehose.prefixes import invalid

DESTINATION_ID = "destinationId-000000000001"  # recorded
DEFAULT_HINTS = {"SizeInMBs": 5, "IntervalInSeconds": 300}
IMPLEMENTED_COMPRESSION = ("UNCOMPRESSED", "GZIP")
# Lambda processor parameters: defaults and ranges (developer guide, "Transform source data":
# buffer 0.2..3 MB, default 1; interval 0..900 s, default 60; 3 retries by default).
LAMBDA_DEFAULTS = {"NumberOfRetries": "3", "BufferSizeInMBs": "1", "BufferIntervalInSeconds": "60"}
_LAMBDA_RANGES = {
    "NumberOfRetries": (0, 300),  # unverified: the upper bound
    "BufferSizeInMBs": (0.2, 3),
    "BufferIntervalInSeconds": (0, 900),
}
# The members of ExtendedS3 that the plain S3 destination also has.
S3_MEMBERS = (
    "RoleARN",
    "BucketARN",
    "Prefix",
    "ErrorOutputPrefix",
    "BufferingHints",
    "CompressionFormat",
    "EncryptionConfiguration",
    "CloudWatchLoggingOptions",
)
OTHER_DESTINATIONS = (
    "RedshiftDestinationConfiguration",
    "ElasticsearchDestinationConfiguration",
    "AmazonopensearchserviceDestinationConfiguration",
    "SplunkDestinationConfiguration",
    "HttpEndpointDestinationConfiguration",
    "AmazonOpenSearchServerlessDestinationConfiguration",
    "SnowflakeDestinationConfiguration",
    "IcebergDestinationConfiguration",
)


def not_implemented(what: str) -> ServiceError:
    return ServiceError(
        "NotImplemented", f"{what} is not implemented by Cloudlet yet.", 501, sender_fault=False
    )


def from_create(params: dict[str, Any]) -> dict[str, Any]:
    """The destination configuration CreateDeliveryStream's input names, checked and completed."""
    given = [
        name
        for name in ("S3DestinationConfiguration", "ExtendedS3DestinationConfiguration")
        if params.get(name)
    ]
    others = [name for name in OTHER_DESTINATIONS if params.get(name)]
    if len(given) + len(others) > 1:
        raise invalid("Only one destination configuration is allowed.")  # unverified
    if others:
        raise not_implemented(f"Firehose destination {others[0].removesuffix('Configuration')}")
    if not given:
        raise invalid("Exactly one destination configuration must be specified.")  # unverified
    return complete({k: v for k, v in copy.deepcopy(params[given[0]]).items() if v is not None})


def complete(config: dict[str, Any]) -> dict[str, Any]:
    """Fill in AWS's defaults and check what Cloudlet can deliver."""
    hints = {**DEFAULT_HINTS, **(config.get("BufferingHints") or {})}
    config["BufferingHints"] = hints
    config.setdefault("CompressionFormat", "UNCOMPRESSED")
    if not config.get("EncryptionConfiguration"):
        config["EncryptionConfiguration"] = {"NoEncryptionConfig": "NoEncryption"}
    config.setdefault("CloudWatchLoggingOptions", {"Enabled": False})
    config.setdefault("S3BackupMode", "Disabled")
    encryption = config["EncryptionConfiguration"]
    if encryption.get("NoEncryptionConfig") and encryption.get("KMSEncryptionConfig"):
        raise invalid(
            "EncryptionConfiguration may specify NoEncryptionConfig or KMSEncryptionConfig, not both."
        )  # unverified
    if config["CompressionFormat"] not in IMPLEMENTED_COMPRESSION:
        raise not_implemented(f"CompressionFormat {config['CompressionFormat']}")
    if config["S3BackupMode"] == "Enabled":
        raise not_implemented("S3BackupMode Enabled")
    if (config.get("DataFormatConversionConfiguration") or {}).get("Enabled"):
        raise not_implemented("DataFormatConversionConfiguration")
    dynamic = bool((config.get("DynamicPartitioningConfiguration") or {}).get("Enabled"))
    if dynamic:
        raise not_implemented("DynamicPartitioningConfiguration")
    if config.get("CustomTimeZone") not in (None, "", "UTC"):
        raise not_implemented(f"CustomTimeZone {config['CustomTimeZone']}")
    prefixes.check_prefixes(config.get("Prefix"), config.get("ErrorOutputPrefix"), dynamic)
    check_processing(config.get("ProcessingConfiguration"))
    return config


def check_processing(processing: dict[str, Any] | None) -> None:
    """A ProcessingConfiguration Cloudlet runs: Lambda processors with valid parameters, and
    AppendDelimiterToRecord (which takes no parameter, per the API reference's Processor)."""
    if not processing:
        return
    for processor in processing.get("Processors") or []:
        kind = processor["Type"]
        if kind == "AppendDelimiterToRecord" and processor.get("Parameters") and processing.get("Enabled"):
            raise not_implemented("AppendDelimiterToRecord with parameters")
        if kind != "Lambda":
            if kind != "AppendDelimiterToRecord" and processing.get("Enabled"):
                raise not_implemented(f"Processor type {kind}")
            continue
        names = [p["ParameterName"] for p in processor.get("Parameters") or []]
        for name in names:
            if names.count(name) > 1:
                raise invalid(f"Duplicate processor parameter {name}.")  # unverified
            if name not in ("LambdaArn", "RoleArn", *LAMBDA_DEFAULTS):
                raise invalid(
                    f"Processor parameter {name} is not valid for processor type Lambda."
                )  # unverified
        values = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters") or []}
        if not values.get("LambdaArn"):
            raise invalid("LambdaArn must be specified for a Lambda processor.")  # unverified
        for name, (low, high) in _LAMBDA_RANGES.items():
            if name not in values:
                continue
            try:
                number = float(values[name]) if name == "BufferSizeInMBs" else int(values[name])
            except ValueError:
                number = None
            if number is None or not low <= number <= high:
                raise invalid(  # unverified
                    f"Processor parameter {name} must be a number between {low} and {high}: {values[name]}."
                )


def appends_delimiter(config: dict[str, Any]) -> bool:
    """Whether an enabled AppendDelimiterToRecord processor ends every record with a newline."""
    processing = config.get("ProcessingConfiguration") or {}
    processors = processing.get("Processors") or []
    return bool(processing.get("Enabled")) and any(p["Type"] == "AppendDelimiterToRecord" for p in processors)


def lambda_processor(config: dict[str, Any]) -> dict[str, str] | None:
    """The Lambda processor's parameters (defaults filled), when processing is enabled."""
    processing = config.get("ProcessingConfiguration") or {}
    if not processing.get("Enabled"):
        return None
    for processor in processing.get("Processors") or []:
        if processor["Type"] == "Lambda":
            values = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters") or []}
            return {**LAMBDA_DEFAULTS, **values}
    return None


def update(current: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """The destination after UpdateDestination's S3 or ExtendedS3 update (members replaced)."""
    given = [n for n in ("S3DestinationUpdate", "ExtendedS3DestinationUpdate") if params.get(n) is not None]
    others = [
        n for n in params if n.endswith("DestinationUpdate") and n not in given and params[n] is not None
    ]
    if others:
        raise not_implemented(f"Firehose destination {others[0].removesuffix('Update')}")
    if len(given) > 1:
        raise invalid("Only one destination update is allowed.")  # unverified
    merged = copy.deepcopy(current)
    if given:
        changes = {k: v for k, v in copy.deepcopy(params[given[0]]).items() if v is not None}
        if "BufferingHints" in changes:
            changes["BufferingHints"] = {
                **merged.get("BufferingHints", {}),
                **(changes["BufferingHints"] or {}),
            }
        merged.update(changes)
    return complete(merged)


def describe(config: dict[str, Any]) -> dict[str, Any]:
    """The DestinationDescription of a stream's destination."""
    extended = {k: v for k, v in config.items() if k not in ("S3BackupConfiguration",)}
    plain = {k: config[k] for k in S3_MEMBERS if k in config}
    return {
        "DestinationId": DESTINATION_ID,
        "ExtendedS3DestinationDescription": extended,
        "S3DestinationDescription": plain,
    }


def bucket_of(config: dict[str, Any]) -> str:
    """The bucket name of a BucketARN (``arn:aws:s3:::name``)."""
    return config["BucketARN"].rsplit(":", 1)[-1]
