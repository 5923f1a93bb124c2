"""Items against a table's schema: keys, their checks and encodings, sizes and capacity units."""

from __future__ import annotations

import math
from typing import Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb.index_keys import key_of as index_key
from cloudlet.services.dynamodb.tables import Index, Table, invalid, invalid_parameters
from cloudlet.services.dynamodb.values import item_size, key_bytes, validate_item, validate_value

MAX_ITEM_BYTES = 400 * 1024
MAX_HASH_KEY_BYTES = 2048
MAX_RANGE_KEY_BYTES = 1024
TTL_HORIZON_S = 5 * 365 * 86400  # TTL values further back than five years are ignored, as on AWS


def no_such_table(name: str | None = None) -> ServiceError:
    """ResourceNotFoundException: item operations say less than table operations."""
    message = "Requested resource not found"
    if name is not None:
        message += f": Table: {name} not found"
    return ServiceError("ResourceNotFoundException", message, 400)


def schema_mismatch() -> ServiceError:
    return invalid("The provided key element does not match the schema")


def _check_key_value(name: str, value: dict[str, Any], expected: str, is_range: bool) -> bytes:
    ((tag, inner),) = value.items()
    if tag != expected:
        raise invalid_parameters(f"Type mismatch for key {name} expected: {expected} actual: {tag}")
    if tag in ("S", "B") and len(inner) == 0:
        kind = "string" if tag == "S" else "binary"
        raise invalid(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot "
            f"contain an empty {kind} value. Key: {name}"
        )
    encoded = key_bytes(value)
    size = len(inner.encode()) if tag == "S" else len(encoded) if tag == "B" else 0
    if not is_range and size > MAX_HASH_KEY_BYTES:
        raise invalid_parameters(
            f"Size of hashkey has exceeded the maximum size limit of{MAX_HASH_KEY_BYTES} bytes"
        )
    if is_range and size > MAX_RANGE_KEY_BYTES:
        raise invalid_parameters(
            f"Aggregated size of all range keys has exceeded the size limit of {MAX_RANGE_KEY_BYTES} bytes"
        )
    return encoded


def item_key(table: Table, item: dict[str, Any]) -> tuple[bytes, bytes]:
    """(pk, sk) bytes of a whole item being written (PutItem's errors for missing or wrong keys)."""
    types = table.key_types
    encoded = []
    for name in table.key_names:
        value = item.get(name)
        if value is None:
            raise invalid_parameters(f"Missing the key {name} in the item")
        encoded.append(_check_key_value(name, value, types[name], name == table.range_key))
    return encoded[0], encoded[1] if len(encoded) > 1 else b""


def require_key_attributes(table: Table, item: dict[str, Any]) -> None:
    """An item in a batch must carry its key with the schema's types ("does not match the schema")."""
    types = table.key_types
    for name in table.key_names:
        value = item.get(name)
        if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) != types[name]:
            raise schema_mismatch()


def key_param(table: Table, key: dict[str, Any] | None) -> tuple[dict[str, Any], bytes, bytes]:
    """The validated ``Key`` parameter and its (pk, sk) bytes ("does not match the schema" otherwise)."""
    if not key or set(key) != set(table.key_names):
        raise schema_mismatch()
    key = {name: validate_value(value, key=True, name=name) for name, value in key.items()}
    types = table.key_types
    for name in table.key_names:
        if next(iter(key[name])) != types[name]:
            raise schema_mismatch()
    pk = _check_key_value(table.hash_key, key[table.hash_key], types[table.hash_key], False)
    sk = b""
    if table.range_key:
        sk = _check_key_value(table.range_key, key[table.range_key], types[table.range_key], True)
    return key, pk, sk


def checked_item(
    table: Table, item: dict[str, Any], too_large: str = "Item size has exceeded the maximum allowed size"
) -> tuple[dict[str, Any], bytes, bytes, int]:
    """A validated, normalized item to write: (item, pk, sk, size)."""
    if "" in item:
        raise invalid_parameters("An attribute name cannot be empty")  # message unverified
    item = validate_item(item)
    pk, sk = item_key(table, item)
    check_index_keys(table, item)
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise invalid(too_large)
    return item, pk, sk, size


def check_index_keys(table: Table, item: dict[str, Any]) -> None:
    """Index key attributes present in an item must have the index's type."""
    types = table.key_types
    for index in table.indexes.values():
        for name in index.key_names:
            value = item.get(name)
            if value is None:
                continue
            tag = next(iter(value))
            if tag != types[name]:
                raise invalid_parameters(
                    f"Type mismatch for Index Key {name} Expected: {types[name]} Actual: {tag} "
                    f"IndexName: {index.name}"
                )
            if tag in ("S", "B") and len(value[tag]) == 0:
                raise invalid_parameters(
                    "One or more parameter values are not valid. A value specified for a secondary index "
                    f"key is not supported. The AttributeValue for a key attribute cannot contain an empty "
                    f"{'string' if tag == 'S' else 'binary'} value. IndexName: {index.name}, "
                    f"IndexKey: {name}"
                )


def key_of(table: Table, item: dict[str, Any]) -> dict[str, Any]:
    """The table key attributes of an item."""
    return {name: item[name] for name in table.key_names}


def index_entry(
    table: Table, index: Index, item: dict[str, Any]
) -> tuple[bytes, bytes, dict[str, Any]] | None:
    """(index pk, index sk, projected item) of an item in an index, None if the item is not in it
    (it lacks one of the index key attributes: every one of a multi-attribute key is needed)."""
    if any(name not in item for name in index.key_names):
        return None
    keys = {*table.key_names, *index.key_names}
    projected = {name: value for name, value in item.items() if name in keys or index.projects(name)}
    ipk = index_key([item[name] for name in index.hash_keys])
    isk = index_key([item[name] for name in index.range_keys]) if index.range_keys else b""
    return ipk, isk, projected


def expiry(table: Table, item: dict[str, Any], now: float) -> float | None:
    """When an item expires under the table's TTL attribute (None: never).

    A TTL more than five years in the past is ignored, as AWS ignores it.
    """
    attribute = table.definition.get("TimeToLive", {}).get("AttributeName")
    if not attribute or not table.definition["TimeToLive"].get("Enabled"):
        return None
    value = item.get(attribute)
    if not value or "N" not in value:
        return None
    try:
        seconds = float(value["N"])
    except ValueError:
        return None
    if not math.isfinite(seconds) or seconds < now - TTL_HORIZON_S:
        return None
    return seconds


def units(size: int, per: int) -> int:
    """Capacity units for ``size`` bytes at ``per`` bytes a unit (at least one)."""
    return max(1, math.ceil(size / per))


def read_units(size: int, consistent: bool) -> float:
    return units(size, 4096) * (1.0 if consistent else 0.5)


def write_units(size: int) -> float:
    return float(units(size, 1024))


def consumed(
    table: Table, mode: str | None, total: float, kind: str, indexes: dict[str, float] | None = None
) -> dict[str, Any] | None:
    """The ConsumedCapacity entry for ReturnConsumedCapacity ``mode`` (None for NONE)."""
    if mode not in ("TOTAL", "INDEXES"):
        return None
    indexes = indexes or {}
    key = "ReadCapacityUnits" if kind == "read" else "WriteCapacityUnits"
    overall = total + sum(indexes.values())
    out: dict[str, Any] = {"TableName": table.name, "CapacityUnits": overall, key: overall}
    if mode == "INDEXES":
        out["Table"] = {"CapacityUnits": total, key: total}
        for local, field in ((True, "LocalSecondaryIndexes"), (False, "GlobalSecondaryIndexes")):
            chosen = {
                name: {"CapacityUnits": value, key: value}
                for name, value in indexes.items()
                if table.indexes[name].local == local
            }
            if chosen:
                out[field] = chosen
    return out
