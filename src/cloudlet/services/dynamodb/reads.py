"""Query and Scan: key conditions, index reads, filters, Select, paging and the 1 MB page limit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.dynamodb import items as it
from cloudlet.services.dynamodb.capacity import Capacity
from cloudlet.services.dynamodb.expressions import (
    ExpressionContext,
    attributes_to_get,
    check_parameters,
    evaluate,
    filter_condition,
    key_conditions,
    parse_condition,
    parse_key_condition,
    parse_projection,
    project,
)
from cloudlet.services.dynamodb.expressions.ast import paths_in
from cloudlet.services.dynamodb.expressions.keys import KeySchema
from cloudlet.services.dynamodb.index_keys import composite_bounds
from cloudlet.services.dynamodb.index_keys import key_of as index_key
from cloudlet.services.dynamodb.store import HASH_SPACE, partition_hash, successor
from cloudlet.services.dynamodb.tables import Index, Table, invalid, invalid_parameters
from cloudlet.services.dynamodb.values import key_bytes, validate_value

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

PAGE_BYTES = 1024 * 1024


class _Read:
    """What one Query or Scan asks for: the index, filter, projection and Select."""

    def __init__(self, table: Table, params: dict[str, Any], operation: str, capacity: Capacity) -> None:
        self.table = table
        self.params = params
        self.capacity = capacity
        check_parameters(operation, params)
        self.exprs = ExpressionContext(
            params.get("ExpressionAttributeNames"), params.get("ExpressionAttributeValues")
        )
        name = params.get("IndexName")
        self.index: Index | None = None
        if name is not None:
            self.index = table.indexes.get(name)
            if self.index is None:
                raise invalid(f"The table does not have the specified index: {name}")
            if self.index.status != "ACTIVE":
                raise invalid(
                    f"Cannot read from backfilling global secondary index: {name}"
                )  # message unverified
            if not self.index.local and params.get("ConsistentRead"):
                raise invalid("Consistent reads are not supported on global secondary indexes")
        self.consistent = bool(params.get("ConsistentRead"))
        kind = "FilterExpression"
        self.filter: object | None = None
        if params.get("FilterExpression") is not None:
            self.filter = parse_condition(params["FilterExpression"], self.exprs, kind)
        legacy = params.get("QueryFilter" if operation == "Query" else "ScanFilter")
        if legacy:
            self.filter = filter_condition(legacy, params.get("ConditionalOperator"))
        self.paths = None
        if params.get("ProjectionExpression") is not None:
            self.paths = parse_projection(params["ProjectionExpression"], self.exprs)
        elif params.get("AttributesToGet"):
            self.paths = attributes_to_get(params["AttributesToGet"])
        self.select = self._select(params.get("Select"))
        limit = params.get("Limit")
        self.limit = limit if limit is not None else None
        capacity.admit(table, "read", self.index.name if self.index else None)

    def _select(self, select: str | None) -> str:
        projected = self.paths is not None
        if select is None:
            if projected:
                return "SPECIFIC_ATTRIBUTES"
            return "ALL_PROJECTED_ATTRIBUTES" if self.index is not None else "ALL_ATTRIBUTES"
        if select == "SPECIFIC_ATTRIBUTES" and not projected:
            raise invalid(
                "Select type SPECIFIC_ATTRIBUTES requires either ProjectionExpression or AttributesToGet"
            )  # message unverified
        if select != "SPECIFIC_ATTRIBUTES" and projected:
            what = "ProjectionExpression" if self.params.get("ProjectionExpression") else "AttributesToGet"
            raise invalid(f"Cannot specify the {what} when choosing to get {select}")  # message unverified
        if select == "ALL_PROJECTED_ATTRIBUTES" and self.index is None:
            raise invalid("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
        if (
            select == "ALL_ATTRIBUTES"
            and self.index is not None
            and not self.index.local  # a local index reads the rest from the table
            and self.index.projection.get("ProjectionType") != "ALL"
        ):
            kind = "local" if self.index.local else "global"
            raise invalid_parameters(
                f"Select type ALL_ATTRIBUTES is not supported for {kind} secondary index {self.index.name} "
                f"because its projection type is not ALL"
            )
        return select

    def start_key(self) -> dict[str, Any] | None:
        """ExclusiveStartKey, checked to hold the table key (and the index key of an index read)."""
        start = self.params.get("ExclusiveStartKey")
        if start is None:
            return None
        names = set(self.table.key_names)
        if self.index is not None:
            names |= set(self.index.key_names)
        if set(start) != names:
            raise invalid(
                "The provided starting key is invalid: The provided key element does not match the schema"
            )
        start = {k: validate_value(v, key=True, name=k) for k, v in start.items()}
        types = self.table.key_types
        if any(next(iter(v)) != types[k] for k, v in start.items()):
            raise invalid(
                "The provided starting key is invalid: The provided key element does not match the schema"
            )
        return start

    def last_key(self, item: dict[str, Any]) -> dict[str, Any]:
        names = list(self.table.key_names)
        if self.index is not None:
            names += self.index.key_names
        return {n: item[n] for n in dict.fromkeys(names)}

    def fetches_from_table(self) -> bool:
        """Whether a local index read needs the table's items (attributes the index lacks)."""
        index = self.index
        if index is None or not index.local or index.projection.get("ProjectionType") == "ALL":
            return False
        if self.select == "ALL_ATTRIBUTES":
            return True
        keys = {*self.table.key_names, *index.key_names}
        wanted = {path[0] for path in (self.paths or [])} | {p[0] for p in paths_in(self.filter) if p}
        return any(name not in keys and not index.projects(name) for name in wanted)

    def run(self, rows: Any) -> dict[str, Any]:
        """Read rows until Limit or 1 MB; filter, project, count, and say where to go on."""
        found: list[dict[str, Any]] = []
        scanned = matched = read_bytes = 0
        last = None
        more = False
        for item, size in rows:
            if self.limit is not None and scanned >= self.limit:
                more = True
                break
            if read_bytes >= PAGE_BYTES:
                more = True
                break
            scanned += 1
            read_bytes += size
            last = item
            if self.filter is not None and not evaluate(self.filter, item):
                continue
            matched += 1
            if self.select != "COUNT":
                found.append(project(self.paths, item) if self.paths is not None else item)
        out: dict[str, Any] = {"Count": matched}
        if self.select != "COUNT":
            out["Items"] = found
        out["ScannedCount"] = scanned
        if more and last is not None:
            out["LastEvaluatedKey"] = self.last_key(last)
        units = it.read_units(read_bytes, self.consistent)
        self.capacity.spend(self.table, "read", units, index=self.index.name if self.index else None)
        index_units = {self.index.name: units} if self.index is not None else None
        entry = it.consumed(
            self.table,
            self.params.get("ReturnConsumedCapacity"),
            0.0 if index_units else units,
            "read",
            index_units,
        )
        if entry is not None:
            out["ConsumedCapacity"] = entry
        return out


class Reads:
    """Query and Scan for the provider."""

    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider

    def query(self, table: Table, params: dict[str, Any]) -> dict[str, Any]:
        read = _Read(table, params, "Query", self.provider.capacity)
        index = read.index
        hash_keys = index.hash_keys if index else (table.hash_key,)
        range_keys = index.range_keys if index else ((table.range_key,) if table.range_key else ())
        schema: KeySchema = {"HASH": hash_keys if len(hash_keys) > 1 else hash_keys[0]}
        if range_keys:
            schema["RANGE"] = range_keys if len(range_keys) > 1 else range_keys[0]
        if params.get("KeyConditionExpression") is not None:
            keys = parse_key_condition(params["KeyConditionExpression"], read.exprs, schema)
        elif params.get("KeyConditions"):
            keys = key_conditions(params["KeyConditions"], schema)
        else:
            raise invalid(
                "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request."
            )
        read.exprs.check_unused("Query")
        if read.filter is not None and params.get("FilterExpression") is not None:
            for path in paths_in(read.filter):
                if path and path[0] in hash_keys + range_keys:
                    raise invalid(
                        f"Filter Expression can only contain non-primary key attributes: Primary key attribute: {path[0]}"
                    )
        types = table.key_types
        hash_parts = keys.hash_parts or ((keys.hash_name, keys.hash_value),)
        for name, value in (
            *hash_parts,
            *keys.range_prefix,
            *((keys.range_name, v) for v in keys.range_values),
        ):
            tag = next(iter(value))
            if keys.range_op == "begins_with" and name == keys.range_name and tag not in ("S", "B"):
                continue  # the expression parser reports begins_with operand types
            if name is not None and tag != types[name]:
                raise invalid_parameters("Condition parameter type does not match schema type")
        pk = index_key([value for _name, value in hash_parts])
        if len(range_keys) > 1:
            prefix = [value for _name, value in keys.range_prefix]
            low, high = composite_bounds(prefix, keys.range_op, keys.range_values)
        else:
            low, high = key_bounds(keys)
        forward = params.get("ScanIndexForward", True) is not False
        start = read.start_key()
        after = None
        if start is not None:
            sk = key_bytes(start[table.range_key]) if table.range_key else b""
            if index is None:
                after = (sk,)
            else:
                isk = index_key([start[n] for n in index.range_keys]) if index.range_keys else b""
                after = (isk, key_bytes(start[table.hash_key]), sk)
        rows = self.provider.db.query(table, index.name if index else None, pk, low, high, forward, after)
        if read.fetches_from_table():
            rows = self._from_table(table, rows)
        return read.run(rows)

    def _from_table(self, table: Table, rows: Any) -> Any:
        """The table's whole items for index entries (a local index fetching what it lacks)."""
        db = self.provider.db
        for entry, _size in rows:
            pk = key_bytes(entry[table.hash_key])
            sk = key_bytes(entry[table.range_key]) if table.range_key else b""
            found = db.get(table, pk, sk)
            if found is not None:
                yield found

    def scan(self, table: Table, params: dict[str, Any]) -> dict[str, Any]:
        read = _Read(table, params, "Scan", self.provider.capacity)
        read.exprs.check_unused("Scan")
        segment, total = params.get("Segment"), params.get("TotalSegments")
        if segment is not None and total is None:
            raise invalid(
                "The TotalSegments parameter is required but was not present in the request when Segment "
                "parameter is present"
            )
        if total is not None and segment is None:
            raise invalid(
                "The Segment parameter is required but was not present in the request when parameter "
                "TotalSegments is present"
            )
        if segment is not None and total is not None and segment >= total:
            raise invalid(
                "The Segment parameter is zero-based and must be less than parameter TotalSegments: "
                f"Segment: {segment} is not less than TotalSegments: {total}"
            )
        h_range = (0, HASH_SPACE)
        if total:
            h_range = (segment * HASH_SPACE // total, (segment + 1) * HASH_SPACE // total)
        start = read.start_key()
        after = None
        index = read.index
        if start is not None:
            pk = key_bytes(start[table.hash_key])
            sk = key_bytes(start[table.range_key]) if table.range_key else b""
            if index is None:
                after = (partition_hash(pk), pk, sk)
            else:
                ipk = index_key([start[n] for n in index.hash_keys])
                isk = index_key([start[n] for n in index.range_keys]) if index.range_keys else b""
                after = (partition_hash(ipk), ipk, isk, pk, sk)
        rows = self.provider.db.scan(table, index.name if index else None, h_range, after)
        return read.run(rows)


def key_bounds(keys: Any) -> tuple[tuple[bytes, bool] | None, tuple[bytes, bool] | None]:
    """The sort-key range of a key condition as (bytes, inclusive) bounds."""
    op, values = keys.range_op, keys.range_values
    if op is None:
        return None, None
    first = key_bytes(values[0])
    if op == "=":
        return (first, True), (first, True)
    if op == "<":
        return None, (first, False)
    if op == "<=":
        return None, (first, True)
    if op == ">":
        return (first, False), None
    if op == ">=":
        return (first, True), None
    if op == "BETWEEN":
        return (first, True), (key_bytes(values[1]), True)
    if op == "begins_with":
        upper = successor(first)
        return (first, True), ((upper, False) if upper is not None else None)
    raise ServiceError("ValidationException", f"Unsupported key condition operator {op}", 400)
