"""Table definitions: CreateTable's checks, the key schemas of a table and its indexes, descriptions."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.services.dynamodb import warm

MAX_LSIS = 5
MAX_GSIS = 20
MAX_PROJECTED_ATTRIBUTES = 100
MAX_KEY_ATTRIBUTES = 4  # of each kind (HASH, RANGE) in a GSI's key


_NAME_CHARS = re.compile(r"[a-zA-Z0-9_.-]+")


def check_name(value: str, member: str = "tableName") -> None:
    """Table and index names: 3 to 255 of ``[a-zA-Z0-9_.-]`` (Coral's messages)."""
    errors = []
    if not _NAME_CHARS.fullmatch(value):
        errors.append(
            f"Value '{value}' at '{member}' failed to satisfy constraint: Member must satisfy regular "
            "expression pattern: [a-zA-Z0-9_.-]+"
        )
    if len(value) < 3:
        errors.append(
            f"Value '{value}' at '{member}' failed to satisfy constraint: Member must have length greater "
            "than or equal to 3"
        )
    if len(value) > 255:
        errors.append(
            f"Value '{value}' at '{member}' failed to satisfy constraint: Member must have length less than "
            "or equal to 255"
        )
    if errors:
        raise validation_error(errors)


def invalid(message: str) -> ServiceError:
    return ServiceError("ValidationException", message, 400)


def invalid_parameters(message: str) -> ServiceError:
    return invalid(f"One or more parameter values were invalid: {message}")


@dataclass
class Index:
    """A secondary index: its key attributes (several of each kind in a multi-attribute GSI key),
    projection and settings."""

    name: str
    local: bool
    hash_keys: tuple[str, ...]
    range_keys: tuple[str, ...]
    projection: dict[str, Any]
    status: str = "ACTIVE"
    throughput: dict[str, int] = field(default_factory=dict)
    warm: dict[str, int] = field(default_factory=dict)

    @property
    def key_names(self) -> tuple[str, ...]:
        """The index key attributes: partition key attributes, then sort key attributes."""
        return self.hash_keys + self.range_keys

    @property
    def key_schema(self) -> list[dict[str, str]]:
        return [{"AttributeName": n, "KeyType": "HASH"} for n in self.hash_keys] + [
            {"AttributeName": n, "KeyType": "RANGE"} for n in self.range_keys
        ]

    def projects(self, name: str) -> bool:
        """Whether ``name`` is in the index's items (besides the table and index keys)."""
        kind = self.projection.get("ProjectionType", "ALL")
        if kind == "ALL":
            return True
        return kind == "INCLUDE" and name in self.projection.get("NonKeyAttributes", ())


@dataclass
class Table:
    """A table as held in memory (its definition is stored as JSON; items live in the store)."""

    id: int
    account: str
    region: str
    name: str
    definition: dict[str, Any]
    tags: dict[str, str]
    indexes: dict[str, Index] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.refresh_indexes()

    def refresh_indexes(self) -> None:
        """Read the index list again from the definition (after UpdateTable changed it)."""
        self.indexes = {i.name: i for i in _indexes(self.definition)}

    @property
    def hash_key(self) -> str:
        return self.definition["HashKey"]

    @property
    def range_key(self) -> str | None:
        return self.definition.get("RangeKey")

    @property
    def key_names(self) -> tuple[str, ...]:
        return (self.hash_key, self.range_key) if self.range_key else (self.hash_key,)

    @property
    def key_types(self) -> dict[str, str]:
        """Attribute type (S, N, B) of every defined key attribute, table and indexes."""
        return {a["AttributeName"]: a["AttributeType"] for a in self.definition["AttributeDefinitions"]}

    @property
    def arn(self) -> str:
        return self.definition["TableArn"]

    @property
    def status(self) -> str:
        return self.definition.get("TableStatus", "ACTIVE")

    @property
    def stream_view(self) -> str | None:
        """The stream's view type while a stream is enabled, else None."""
        spec = self.definition.get("StreamSpecification") or {}
        return spec.get("StreamViewType") if spec.get("StreamEnabled") else None

    @property
    def provisioned(self) -> bool:
        return self.definition.get("BillingMode", "PROVISIONED") == "PROVISIONED"


def _key_schema(hash_key: str, range_key: str | None) -> list[dict[str, str]]:
    schema = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        schema.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return schema


def spec_keys(spec: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(partition key attributes, sort key attributes) of a stored index definition.

    ``HashKey``/``RangeKey`` name the first of each (all an index had before multi-attribute
    keys); ``HashKeys``/``RangeKeys`` list them all when there are several.
    """
    hash_keys = tuple(spec.get("HashKeys") or (spec["HashKey"],))
    range_keys = tuple(spec.get("RangeKeys") or ((spec["RangeKey"],) if spec.get("RangeKey") else ()))
    return hash_keys, range_keys


def _indexes(definition: dict[str, Any]) -> list[Index]:
    out = []
    for local, key in ((True, "LocalSecondaryIndexes"), (False, "GlobalSecondaryIndexes")):
        for spec in definition.get(key) or []:
            out.append(
                Index(
                    spec["IndexName"],
                    local,
                    *spec_keys(spec),
                    spec["Projection"],
                    spec.get("IndexStatus", "ACTIVE"),
                    spec.get("ProvisionedThroughput") or {},
                    spec.get("WarmThroughput") or {},
                )
            )
    return out


def parse_key_schema(schema: list[dict[str, str]], what: str = "") -> tuple[str, str | None]:
    """(hash key, range key) of a KeySchema, with AWS's errors for malformed ones."""
    if not schema or len(schema) > 2:
        raise invalid(
            f"1 validation error detected: Value '{schema}' at '{what or 'keySchema'}' failed to "
            "satisfy constraint: Member must have length less than or equal to 2"
        )
    if schema[0].get("KeyType") != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    if len(schema) == 2:
        if schema[1].get("KeyType") != "RANGE":
            raise invalid("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
        if schema[0]["AttributeName"] == schema[1]["AttributeName"]:
            raise invalid(  # measured on AWS (no "parameter values" prefix)
                "Both the Hash Key and the Range Key element in the KeySchema have the same name"
            )
        return schema[0]["AttributeName"], schema[1]["AttributeName"]
    return schema[0]["AttributeName"], None


def parse_gsi_key_schema(schema: list[dict[str, str]]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(partition key attributes, sort key attributes) of a GSI's KeySchema: up to four of each,
    HASH before RANGE (multi-attribute keys, announced in November 2025)."""
    if len(schema) <= 2 and len({e.get("KeyType") for e in schema}) == len(schema):
        hash_key, range_key = parse_key_schema(schema)  # the two-element rules and messages
        return (hash_key,), ((range_key,) if range_key else ())
    # The messages are AWS's as measured on live AWS (a published catalogue of its answers);
    # unverified: the order AWS checks them in when a schema breaks several rules.
    if schema[0].get("KeyType") != "HASH":
        raise invalid("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
    kinds = [e.get("KeyType") for e in schema]
    if "RANGE" in kinds and "HASH" in kinds[kinds.index("RANGE") :]:
        raise invalid_parameters("All HASH key attributes must precede RANGE key attributes in the KeySchema")
    for kind in ("HASH", "RANGE"):
        if kinds.count(kind) > MAX_KEY_ATTRIBUTES:
            raise invalid_parameters(
                f"The KeySchema exceeds the maximum allowed number of {kind} key attributes"
            )
    names = [e["AttributeName"] for e in schema]
    if len(set(names)) != len(names):
        raise invalid("The KeySchema contains multiple key attributes with the same name")
    return (
        tuple(n for n, k in zip(names, kinds, strict=True) if k == "HASH"),
        tuple(n for n, k in zip(names, kinds, strict=True) if k == "RANGE"),
    )


def check_projection(projection: dict[str, Any], index: str) -> dict[str, Any]:
    kind = projection.get("ProjectionType")
    extra = projection.get("NonKeyAttributes")
    if kind is None:
        raise invalid_parameters("Unknown ProjectionType: null")
    if kind == "INCLUDE":
        if not extra:
            raise invalid_parameters("ProjectionType is INCLUDE, but NonKeyAttributes is not specified")
    elif extra is not None:
        raise invalid_parameters(f"ProjectionType is {kind}, but NonKeyAttributes is specified")
    out = {"ProjectionType": kind}
    if extra:
        out["NonKeyAttributes"] = list(extra)
    return out


def check_throughput(params: dict[str, Any], billing: str, what: str = "") -> dict[str, int] | None:
    """The provisioned throughput of a table or GSI, checked against its billing mode."""
    throughput = params.get("ProvisionedThroughput")
    if billing == "PAY_PER_REQUEST":
        if throughput is not None:
            raise invalid_parameters(
                "Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is "
                "PAY_PER_REQUEST"
            )
        return None
    if throughput is None:
        if what:
            raise invalid_parameters(f"ProvisionedThroughput is not specified for index: {what}")
        raise invalid("No provisioned throughput specified for the table")
    read, write = throughput.get("ReadCapacityUnits"), throughput.get("WriteCapacityUnits")
    if not read or not write or read < 1 or write < 1:
        raise invalid_parameters(
            "ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED"
        )
    return {"ReadCapacityUnits": read, "WriteCapacityUnits": write}


def build_definition(params: dict[str, Any]) -> dict[str, Any]:
    """The stored definition of a new table from CreateTable's parameters (raises AWS's errors)."""
    missing = [
        m
        for m, field in (("keySchema", "KeySchema"), ("attributeDefinitions", "AttributeDefinitions"))
        if params.get(field) is None
    ]
    if missing:
        n = len(missing)
        details = "; ".join(
            f"Value null at '{m}' failed to satisfy constraint: Member must not be null" for m in missing
        )
        raise invalid(f"{n} validation error{'s' if n > 1 else ''} detected: {details}")
    hash_key, range_key = parse_key_schema(params["KeySchema"])
    attributes = params["AttributeDefinitions"]
    defined = {a["AttributeName"]: a["AttributeType"] for a in attributes}
    if len(defined) != len(attributes):
        given = [a["AttributeName"] for a in attributes]
        duplicate = next(n for i, n in enumerate(given) if n in given[:i])
        # As measured on AWS (published catalogue of live answers), whatever the two types.
        raise invalid(f"Attribute Name is duplicated: {duplicate}")
    billing = params.get("BillingMode") or "PROVISIONED"
    definition: dict[str, Any] = {
        "AttributeDefinitions": [dict(a) for a in attributes],
        "HashKey": hash_key,
        "BillingMode": billing,
    }
    if range_key:
        definition["RangeKey"] = range_key
    throughput = check_throughput(params, billing)
    if throughput:
        definition["ProvisionedThroughput"] = throughput
    if params.get("WarmThroughput") is not None:
        definition["WarmThroughput"] = warm.requested(params["WarmThroughput"], billing, throughput)
    used = {hash_key} | ({range_key} if range_key else set())
    names: set[str] = set()
    lsis = params.get("LocalSecondaryIndexes")
    if lsis is not None:
        if not lsis:
            raise invalid_parameters("List of LocalSecondaryIndexes is empty")
        if not range_key:
            raise invalid_parameters(
                "Table KeySchema does not have a range key, which is required when specifying a "
                "LocalSecondaryIndex"
            )
        if len(lsis) > MAX_LSIS:
            raise invalid_parameters(f"Number of LocalSecondaryIndexes exceeds per-table limit of {MAX_LSIS}")
        definition["LocalSecondaryIndexes"] = [
            index_spec(spec, True, hash_key, billing, names, used) for spec in lsis
        ]
    gsis = params.get("GlobalSecondaryIndexes")
    if gsis is not None:
        if not gsis:
            raise invalid_parameters("List of GlobalSecondaryIndexes is empty")
        if len(gsis) > MAX_GSIS:
            raise invalid_parameters(f"GlobalSecondaryIndex count exceeds the per-table limit of {MAX_GSIS}")
        definition["GlobalSecondaryIndexes"] = [
            index_spec(spec, False, hash_key, billing, names, used) for spec in gsis
        ]
    check_attribute_definitions(defined, used)
    _check_projected_count(definition)
    return definition


def check_attribute_definitions(defined: dict[str, str], used: set[str]) -> None:
    """Attribute definitions must name exactly the key attributes of the table and its indexes."""
    missing = sorted(used - set(defined))
    if missing:
        raise invalid_parameters(
            "Some index key attributes are not defined in AttributeDefinitions. "
            f"Keys: [{', '.join(missing)}], AttributeDefinitions: [{', '.join(defined)}]"
        )
    if set(defined) - used:
        raise invalid_parameters(
            f"Some AttributeDefinitions are not used. AttributeDefinitions: [{', '.join(defined)}], "
            f"keys used: [{', '.join(k for k in defined if k in used)}]"
        )


def index_spec(
    spec: dict[str, Any], local: bool, table_hash: str, billing: str, names: set[str], used: set[str]
) -> dict[str, Any]:
    name = spec["IndexName"]
    if name in names:
        raise invalid_parameters(f"Duplicate index name: {name}")
    names.add(name)
    if local:
        hash_key, range_key = parse_key_schema(spec["KeySchema"])
        if hash_key != table_hash:
            raise invalid_parameters(
                "Index KeySchema does not have the same leading hash key as table KeySchema for index: "
                f"{name}. index hash key: {hash_key}, table hash key: {table_hash}"
            )
        if not range_key:
            raise invalid_parameters(f"Index KeySchema does not have a range key for index: {name}")
        hash_keys, range_keys = (hash_key,), (range_key,)
    else:
        hash_keys, range_keys = parse_gsi_key_schema(spec["KeySchema"])
    out: dict[str, Any] = {
        "IndexName": name,
        "HashKey": hash_keys[0],
        "Projection": check_projection(spec.get("Projection") or {}, name),
    }
    if range_keys:
        out["RangeKey"] = range_keys[0]
    if len(hash_keys) > 1:
        out["HashKeys"] = list(hash_keys)
    if len(range_keys) > 1:
        out["RangeKeys"] = list(range_keys)
    if not local:
        throughput = check_throughput(spec, billing, name)
        if throughput:
            out["ProvisionedThroughput"] = throughput
        if spec.get("WarmThroughput") is not None:
            out["WarmThroughput"] = warm.requested(spec["WarmThroughput"], billing, throughput, name)
    used.update(hash_keys + range_keys)
    return out


def _check_projected_count(definition: dict[str, Any]) -> None:
    projected: set[str] = set()
    for key in ("LocalSecondaryIndexes", "GlobalSecondaryIndexes"):
        for spec in definition.get(key) or []:
            projected.update(spec["Projection"].get("NonKeyAttributes") or ())
    if len(projected) > MAX_PROJECTED_ATTRIBUTES:
        raise invalid_parameters(
            "The sum of the number of NonKeyAttributes across all of the secondary indexes on a table "
            f"exceeds the limit of {MAX_PROJECTED_ATTRIBUTES}"
        )


def _throughput_description(throughput: dict[str, int] | None) -> dict[str, int]:
    return {
        "NumberOfDecreasesToday": 0,
        "ReadCapacityUnits": (throughput or {}).get("ReadCapacityUnits", 0),
        "WriteCapacityUnits": (throughput or {}).get("WriteCapacityUnits", 0),
    }


def describe(
    table: Table, counts: dict[str | None, tuple[int, int]], created: bool = False
) -> dict[str, Any]:
    """TableDescription; ``counts`` maps None (the table) and index names to (items, bytes)."""
    d = table.definition
    items, size = counts.get(None, (0, 0))
    out: dict[str, Any] = {
        "AttributeDefinitions": d["AttributeDefinitions"],
        "TableName": table.name,
        "KeySchema": _key_schema(table.hash_key, table.range_key),
        "TableStatus": table.status,
        "CreationDateTime": d["CreationDateTime"],
        "ProvisionedThroughput": _throughput_description(d.get("ProvisionedThroughput")),
        "TableSizeBytes": size,
        "ItemCount": items,
        "TableArn": table.arn,
        "TableId": d["TableId"],
        "DeletionProtectionEnabled": bool(d.get("DeletionProtectionEnabled")),
    }
    on_demand = d["BillingMode"] == "PAY_PER_REQUEST"
    if on_demand or d.get("BillingModeChanged"):
        summary: dict[str, Any] = {"BillingMode": d["BillingMode"]}
        if on_demand and not created:
            summary["LastUpdateToPayPerRequestDateTime"] = d.get("PayPerRequestSince", d["CreationDateTime"])
        out["BillingModeSummary"] = summary
    if not created:
        out["WarmThroughput"] = warm.description(
            warm.current(d.get("WarmThroughput"), d["BillingMode"], d.get("ProvisionedThroughput"))
        )
    elif d.get("WarmThroughput"):  # CreateTable answers it only when it was asked for
        out["WarmThroughput"] = warm.description(d["WarmThroughput"], "UPDATING")
    lsis, gsis = [], []
    for index in table.indexes.values():
        n, b = counts.get(index.name, (0, 0))
        entry: dict[str, Any] = {
            "IndexName": index.name,
            "KeySchema": index.key_schema,
            "Projection": index.projection,
            "IndexSizeBytes": b,
            "ItemCount": n,
            "IndexArn": f"{table.arn}/index/{index.name}",
        }
        if index.local:
            lsis.append(entry)
            continue
        entry["IndexStatus"] = index.status
        if index.status == "CREATING":
            entry["Backfilling"] = True
        entry["ProvisionedThroughput"] = _throughput_description(index.throughput)
        if not created and index.status == "ACTIVE":
            entry["WarmThroughput"] = warm.description(
                warm.current(index.warm, d["BillingMode"], index.throughput)
            )
        elif created and index.warm:  # unverified: as the table's in CreateTable's answer
            entry["WarmThroughput"] = warm.description(index.warm, "UPDATING")
        gsis.append(entry)
    if lsis:
        out["LocalSecondaryIndexes"] = lsis
    if gsis:
        out["GlobalSecondaryIndexes"] = gsis
    stream = d.get("StreamSpecification")
    if stream and stream.get("StreamEnabled"):
        out["StreamSpecification"] = stream
    if d.get("LatestStreamArn"):
        out["LatestStreamLabel"] = d["LatestStreamLabel"]
        out["LatestStreamArn"] = d["LatestStreamArn"]
    if d.get("SSEDescription"):
        out["SSEDescription"] = d["SSEDescription"]
    if d.get("TableClass") and d["TableClass"] != "STANDARD":
        out["TableClassSummary"] = {"TableClass": d["TableClass"]}
    return out


# UpdateTable's table-level changes that AWS lets go together only in a few pairs (WarmThroughput last).
SINGLE_CHANGES = (
    "ProvisionedThroughput",
    "BillingMode",
    "StreamSpecification",
    "DeletionProtectionEnabled",
    "SSESpecification",
    "TableClass",
    "OnDemandThroughput",
    "WarmThroughput",
)
# What a GSI Update may change on an on-demand table (besides nothing else, AWS says).
ON_DEMAND_INDEX_UPDATES = ("OnDemandThroughput", "WarmThroughput")


def check_single_change(params: dict[str, Any]) -> None:
    """UpdateTable changes one thing at a time (measured on AWS: SSE, TableClass, deletion
    protection and WarmThroughput must each be the only change; OnDemandThroughput goes only with
    BillingMode), in AWS's order of precedence. An empty WarmThroughput next to another change is
    ignored, as AWS ignores it."""
    present = {f for f in SINGLE_CHANGES if params.get(f) is not None}
    if params.get("WarmThroughput") == {} and len(present) > 1:
        present.discard("WarmThroughput")
    if len(present) < 2:
        if "WarmThroughput" in present:
            _check_index_creates(params)
        return
    for member, what in (
        ("SSESpecification", "Server-Side Encryption modification"),
        ("TableClass", "TableClass modification"),
        ("DeletionProtectionEnabled", "DeletionProtection modification"),
    ):
        if member in present:
            raise invalid_parameters(f"{what} must be the only operation in the request")
    if "OnDemandThroughput" in present and present - {"OnDemandThroughput", "BillingMode"}:
        raise invalid_parameters(
            "OnDemandThroughput can only be combined with BillingMode in an UpdateTable request"
        )
    if "WarmThroughput" in present:
        raise invalid_parameters("WarmThroughput must be the only operation in the request")


def _check_index_creates(params: dict[str, Any]) -> None:
    if any(u.get("Create") for u in params.get("GlobalSecondaryIndexUpdates") or []):
        raise invalid_parameters(
            "Create global secondary index cannot be specified when updating WarmThroughput"
        )
