"""ExecuteStatement, BatchExecuteStatement and ExecuteTransaction: PartiQL run against the store.

A SELECT whose WHERE fixes the partition key reads like a Query (one per partition-key
value), any other SELECT like a Scan; every item read is then filtered with the whole
WHERE. INSERT, UPDATE and DELETE name one item by its full key and write it as PutItem,
UpdateItem and DeleteItem do (indexes, streams, TTL).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb import items as it
from cloudlet.services.dynamodb import partiql as pq
from cloudlet.services.dynamodb.reads import key_bounds
from cloudlet.services.dynamodb.store import HASH_SPACE
from cloudlet.services.dynamodb.tables import Index, Table, invalid
from cloudlet.services.dynamodb.values import item_size, key_bytes

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

PAGE_BYTES = 1024 * 1024
_RANGE_OPS = {
    "=": "=",
    "<": "<",
    "<=": "<=",
    ">": ">",
    ">=": ">=",
    "BETWEEN": "BETWEEN",
    "BEGINS_WITH": "begins_with",
}


class _Keys:
    """A PartiQL key condition in the shape ``reads._bounds`` takes."""

    def __init__(self, op: str | None, values: list[dict[str, Any]]) -> None:
        self.range_op = _RANGE_OPS.get(op) if op else None
        self.range_values = tuple(values)


class Statements:
    """PartiQL for the provider."""

    def __init__(self, provider: DynamoDBProvider) -> None:
        self.provider = provider

    # -- ExecuteStatement --
    def execute(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        statement = pq.parse_statement(params["Statement"], params.get("Parameters"))
        if isinstance(statement, pq.Exists):
            raise invalid(pq.errors.EXISTS_OUTSIDE_TRANSACTION)
        if isinstance(statement, pq.Select):
            return self._select(ctx, statement, params)
        with self.provider.store.transaction():
            old, new, _table = self._write(ctx, statement, params.get("ReturnValuesOnConditionCheckFailure"))
        out: dict[str, Any] = {"Items": []}
        if isinstance(statement, pq.Update | pq.Delete):
            row = pq.returning_values(statement, old, new)
            if row:
                out["Items"] = [row]
        return out

    def _select(self, ctx: RequestContext, statement: pq.Select, params: dict[str, Any]) -> dict[str, Any]:
        table = self.provider.table(ctx, statement.table)
        index = None
        if statement.index is not None:
            index = table.indexes.get(statement.index)
            if index is None:
                raise invalid(f"The table does not have the specified index: {statement.index}")
            if not index.local and params.get("ConsistentRead"):
                raise invalid("Consistent reads are not supported on global secondary indexes")
        if index is not None and (len(index.hash_keys) > 1 or len(index.range_keys) > 1):
            return self._select_multi_key(table, index, statement, params)
        hash_key = index.hash_keys[0] if index else table.hash_key
        range_key = (index.range_keys or (None,))[0] if index else table.range_key
        if statement.order_by:
            pq.check_order_by(statement, hash_key, range_key)
        descending = any(desc for name, desc in statement.order_by if name == range_key)
        rows = self._rows(table, index, statement, hash_key, range_key, descending)
        return self._page(rows, statement, params)

    def _select_multi_key(
        self, table: Table, index: Index, statement: pq.Select, params: dict[str, Any]
    ) -> dict[str, Any]:
        """A SELECT on a GSI with a multi-attribute key: its entries read in index order, the
        WHERE deciding (correct for any WHERE; a partition is not sought out by its key)."""
        if statement.order_by:
            # unverified: AWS's answer to ORDER BY on a multi-attribute key is not known
            raise invalid("ORDER BY is not supported on an index with a multi-attribute key")
        return self._page(self.provider.db.scan(table, index.name, (0, HASH_SPACE), None), statement, params)

    def _page(
        self, rows: Iterator[tuple[dict[str, Any], int]], statement: pq.Select, params: dict[str, Any]
    ) -> dict[str, Any]:
        """One page of a SELECT's rows: Limit, 1 MB, NextToken, WHERE and projection."""
        skip = _decode_token(params.get("NextToken"), params["Statement"])
        limit = params.get("Limit")
        found: list[dict[str, Any]] = []
        evaluated = read_bytes = 0
        more = False
        for item, size in rows:
            if evaluated < skip:
                evaluated += 1
                continue
            if (limit is not None and evaluated - skip >= limit) or read_bytes >= PAGE_BYTES:
                more = True
                break
            evaluated += 1
            read_bytes += size
            if statement.where is None or pq.evaluate_where(statement.where, item):
                found.append(pq.project(statement.projection, item) if statement.projection else item)
        out: dict[str, Any] = {"Items": found}
        if more:
            out["NextToken"] = _encode_token(evaluated, params["Statement"])
        return out

    def _rows(
        self,
        table: Table,
        index: Any,
        statement: pq.Select,
        hash_key: str,
        range_key: str | None,
        descending: bool,
    ) -> Iterator[tuple[dict[str, Any], int]]:
        db = self.provider.db
        name = index.name if index else None
        keys = pq.key_condition(statement.where, hash_key, range_key)
        if keys is None:
            yield from db.scan(table, name, (0, HASH_SPACE), None)
            return
        types = table.key_types
        low, high = key_bounds(_Keys(keys.range_op, keys.range_values))
        if keys.range_values and any(next(iter(v)) != types[range_key or ""] for v in keys.range_values):
            low, high = None, None  # a sort-key value of another type matches nothing; WHERE decides
        for value in keys.hash_values:
            if next(iter(value)) != types[hash_key]:
                continue
            yield from db.query(table, name, key_bytes(value), low, high, not descending, None)

    # -- writes --
    def _write(
        self, ctx: RequestContext, statement: pq.Statement, on_failure: str | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None, Table]:
        """Apply one INSERT, UPDATE or DELETE (inside the caller's transaction): (old, new, table)."""
        provider = self.provider
        table = provider.table(ctx, statement.table)  # type: ignore[union-attr]
        db = provider.db
        if isinstance(statement, pq.Insert):
            pq.insert_key(statement.item, {n: table.key_types[n] for n in table.key_names})
            item, pk, sk, size = it.checked_item(table, statement.item)
            if db.get(table, pk, sk) is not None:
                raise ServiceError("DuplicateItemException", "Duplicate primary key exists in table", 400)
            provider.write(table, pk, sk, None, item, size)
            return None, item, table
        key = pq.require_key(statement.where, list(table.key_names))  # type: ignore[union-attr]
        _key, pk, sk = it.key_param(table, key)
        old = db.get(table, pk, sk)
        condition = pq.residual_condition(statement.where, list(table.key_names))  # type: ignore[union-attr]
        if isinstance(statement, pq.Delete):
            if old is None:
                return None, None, table
            if condition is not None and not pq.evaluate_where(condition, old[0]):
                raise _failed(old[0], on_failure)
            provider.write(table, pk, sk, old, None)
            return old[0], None, table
        if old is None or (condition is not None and not pq.evaluate_where(condition, old[0])):
            raise _failed(old[0] if old else None, on_failure)
        new, changed = pq.apply_update(statement, old[0])  # type: ignore[arg-type]
        for name in changed:
            if name in table.key_names:
                raise invalid(
                    f"One or more parameter values were invalid: Cannot update attribute {name}. "
                    "This attribute is part of the key"
                )
        new, _pk, _sk, size = it.checked_item(table, new)
        if new != old[0]:
            provider.write(table, pk, sk, old, new, size)
        return old[0], new, table

    # -- BatchExecuteStatement --
    def batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        responses = []
        for request in params["Statements"]:
            try:
                statement = pq.parse_statement(request["Statement"], request.get("Parameters"))
                if isinstance(statement, pq.Exists):
                    raise invalid(pq.errors.EXISTS_OUTSIDE_TRANSACTION)
                if isinstance(statement, pq.Select):
                    table = self.provider.table(ctx, statement.table)
                    responses.append(
                        {"TableName": table.name, **self._get(table, statement, pq.errors.BATCH_SELECT_KEY)}
                    )
                    continue
                with self.provider.store.transaction():
                    _old, _new, table = self._write(
                        ctx, statement, request.get("ReturnValuesOnConditionCheckFailure")
                    )
                responses.append({"TableName": table.name})
            except ServiceError as error:
                responses.append({"Error": _batch_error(error)})
        return {"Responses": responses}

    def _get(self, table: Table, statement: pq.Select, message: str) -> dict[str, Any]:
        """A SELECT naming one item by its full key (in batches and transactions)."""
        return self._read_one(table, statement, message)[0]

    def _read_one(self, table: Table, statement: pq.Select, message: str) -> tuple[dict[str, Any], int]:
        """``_get``'s answer and the size of the item read (0 when there is none)."""
        if statement.index is not None:
            raise invalid("Reads on indices are not supported within transactions.")  # message unverified
        key = pq.require_key(statement.where, list(table.key_names), message)
        _key, pk, sk = it.key_param(table, key)
        found = self.provider.db.get(table, pk, sk)
        if found is None:
            return {}, 0
        item, size = found
        if statement.where is not None and not pq.evaluate_where(statement.where, item):
            return {}, size
        return {"Item": pq.project(statement.projection, item) if statement.projection else item}, size

    # -- ExecuteTransaction --
    def transaction(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        provider = self.provider
        token = params.get("ClientRequestToken")
        digest = hashlib.sha256(orjson.dumps(params["TransactStatements"], default=_hex)).hexdigest()
        now = provider.clock.now()
        if token:
            seen = provider.db.transaction_token(ctx.account, ctx.region, token, now)
            if seen is not None and seen != digest:
                raise ServiceError(
                    "IdempotentParameterMismatchException",
                    "Request parameters do not match the parameters of the original request with the same client token",
                    400,
                )
            if seen is not None:
                return {"Responses": []}  # the same request again: done already, not applied twice
        statements = []
        for i, request in enumerate(params["TransactStatements"]):
            try:
                statements.append(
                    (pq.parse_statement(request["Statement"], request.get("Parameters")), request)
                )
            except ServiceError as error:
                raise invalid(f"Validation failed in TransactStatements[{i}]: {error.message}") from None
        reads = [isinstance(s, pq.Select) for s, _ in statements]
        if any(reads) and not all(reads):
            raise invalid("Transaction must contain either all reads or all writes")  # message unverified
        tables: dict[str, Table] = {}
        units: dict[str, float] = {}  # per table, in the statements' order
        if all(reads):
            out = []
            for statement, _request in statements:
                table = tables.setdefault(statement.table, provider.table(ctx, statement.table))
                answer, size = self._read_one(table, statement, pq.errors.TRANSACTION_SELECT_KEY)
                out.append(answer)
                units[statement.table] = units.get(statement.table, 0.0) + 2 * it.read_units(size, True)
            return {"Responses": out, **self._consumed(params, tables, units, "read")}
        for statement, _request in statements:
            if getattr(statement, "returning", None):
                raise invalid("RETURNING clause is not supported in ExecuteTransaction.")
        reasons: list[dict[str, Any]] = []
        with provider.store.transaction() as conn:
            conn.execute("SAVEPOINT partiql_transaction")
            for statement, request in statements:
                try:
                    if isinstance(statement, pq.Exists):
                        self._check_exists(ctx, statement)
                    else:
                        old, new, table = self._write(
                            ctx, statement, request.get("ReturnValuesOnConditionCheckFailure")
                        )
                        tables[table.name] = table
                        size = max(item_size(old) if old else 0, item_size(new) if new else 0)
                        units[table.name] = units.get(table.name, 0.0) + 2 * it.write_units(size)
                    reasons.append({"Code": "None"})
                except ServiceError as error:
                    reason: dict[str, Any] = {"Code": _reason_code(error), "Message": error.message}
                    if error.fields.get("Item"):
                        reason["Item"] = error.fields["Item"]
                    reasons.append(reason)
            if any(r["Code"] != "None" for r in reasons):
                conn.execute("ROLLBACK TO partiql_transaction")
                conn.execute("RELEASE partiql_transaction")
                provider.db.reset_counts()
                codes = ", ".join(r["Code"] for r in reasons)
                raise ServiceError(
                    "TransactionCanceledException",
                    f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                    400,
                    fields={"CancellationReasons": reasons},
                )
            conn.execute("RELEASE partiql_transaction")
            if token:
                provider.db.remember_token(ctx.account, ctx.region, token, digest, now + 600.0)
        return {"Responses": [], **self._consumed(params, tables, units, "write")}  # as recorded

    @staticmethod
    def _consumed(
        params: dict[str, Any], tables: dict[str, Table], units: dict[str, float], kind: str
    ) -> dict[str, Any]:
        """ConsumedCapacity of a transaction when asked for: each table's units, doubled as
        transactions are (unverified for PartiQL: counted as TransactGet/WriteItems count them)."""
        mode = params.get("ReturnConsumedCapacity")
        entries = [e for name, u in units.items() if (e := it.consumed(tables[name], mode, u, kind))]
        return {"ConsumedCapacity": entries} if entries else {}

    def _check_exists(self, ctx: RequestContext, exists: pq.Exists) -> None:
        table = self.provider.table(ctx, exists.select.table)
        key = pq.exists_key(exists, list(table.key_names))
        _key, pk, sk = it.key_param(table, key)
        found = self.provider.db.get(table, pk, sk)
        if found is None or not pq.evaluate_where(exists.select.where, found[0]):  # type: ignore[arg-type]
            raise ServiceError("ConditionalCheckFailedException", "The conditional request failed", 400)


def _failed(old: dict[str, Any] | None, on_failure: str | None) -> ServiceError:
    fields = {"Item": old} if old and on_failure == "ALL_OLD" else {}
    return ServiceError(
        "ConditionalCheckFailedException", "The conditional request failed", 400, fields=fields
    )


def _reason_code(error: ServiceError) -> str:
    return {
        "ConditionalCheckFailedException": "ConditionalCheckFailed",
        "DuplicateItemException": "DuplicateItem",
        "ValidationException": "ValidationError",
        "ResourceNotFoundException": "ResourceNotFound",
    }.get(error.code, error.code)


def _batch_error(error: ServiceError) -> dict[str, Any]:
    out: dict[str, Any] = {"Code": _reason_code(error), "Message": error.message}
    if error.fields.get("Item"):
        out["Item"] = error.fields["Item"]
    return out


def _encode_token(position: int, statement: str) -> str:
    digest = hashlib.sha256(statement.encode()).hexdigest()[:16]
    return base64.b64encode(orjson.dumps({"p": position, "s": digest})).decode()


def _decode_token(token: str | None, statement: str) -> int:
    if not token:
        return 0
    try:
        data = orjson.loads(base64.b64decode(token, validate=True))
        if data["s"] != hashlib.sha256(statement.encode()).hexdigest()[:16]:
            raise ValueError
        return int(data["p"])
    except (ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        raise invalid("Given NextToken is not valid") from None  # message unverified


def _hex(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError
