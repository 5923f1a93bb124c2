"""TransactWriteItems: every action checked first, then all written or none."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.dynamodb import items as it
from cloudlet.services.dynamodb.expressions import (
    ExpressionContext,
    apply_update,
    evaluate,
    parse_condition,
    parse_update,
)
from cloudlet.services.dynamodb.tables import Table, invalid, invalid_parameters

if TYPE_CHECKING:
    from cloudlet.services.dynamodb.provider import DynamoDBProvider

ACTIONS = ("ConditionCheck", "Put", "Delete", "Update")


@dataclass
class _Action:
    kind: str
    table: Table
    pk: bytes
    sk: bytes
    key: dict[str, Any]
    condition: object | None
    item: dict[str, Any] | None = None  # Put
    update: Any = None  # Update
    return_old: bool = False


def _plan(provider: DynamoDBProvider, ctx: RequestContext, entry: dict[str, Any]) -> _Action:
    present = [k for k in ACTIONS if entry.get(k) is not None]
    if len(present) != 1:
        raise invalid(
            "TransactItems can only contain one of Check, Put, Update or Delete"  # message unverified
        )
    kind = present[0]
    body = entry[kind]
    table = provider.table(ctx, body["TableName"])
    exprs = ExpressionContext(body.get("ExpressionAttributeNames"), body.get("ExpressionAttributeValues"))
    update = parse_update(body["UpdateExpression"], exprs) if kind == "Update" else None
    condition = None
    if body.get("ConditionExpression") is not None:
        condition = parse_condition(body["ConditionExpression"], exprs)
    exprs.check_unused("TransactWriteItems")
    return_old = body.get("ReturnValuesOnConditionCheckFailure") == "ALL_OLD"
    if kind == "Put":
        item, pk, sk, _size = it.checked_item(table, body["Item"])
        return _Action(
            kind, table, pk, sk, it.key_of(table, item), condition, item=item, return_old=return_old
        )
    key, pk, sk = it.key_param(table, body["Key"])
    if update is not None:
        for path in update.paths:
            if path and path[0] in table.key_names:
                raise invalid_parameters(
                    f"Cannot update attribute {path[0]}. This attribute is part of the key"
                )
    return _Action(kind, table, pk, sk, key, condition, update=update, return_old=return_old)


def transact_write(provider: DynamoDBProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
    actions = [_plan(provider, ctx, entry) for entry in params["TransactItems"]]
    seen: set[tuple[int, bytes, bytes]] = set()
    for action in actions:
        target = (action.table.id, action.pk, action.sk)
        if target in seen:
            raise invalid("Transaction request cannot include multiple operations on one item")
        seen.add(target)
    db = provider.db
    units: dict[str, float] = {}
    _check_capacity(provider, actions)
    with provider.store.transaction():
        reasons: list[dict[str, Any]] = []
        writes = []
        for action in actions:
            old = db.get(action.table, action.pk, action.sk)
            old_item = old[0] if old else None
            if action.condition is not None and not evaluate(action.condition, old_item or {}):
                reason: dict[str, Any] = {
                    "Code": "ConditionalCheckFailed",
                    "Message": "The conditional request failed",
                }
                if action.return_old and old_item:
                    reason["Item"] = old_item
                reasons.append(reason)
                continue
            try:
                new, size = _result(action, old_item)
            except ServiceError as error:
                reasons.append({"Code": "ValidationError", "Message": error.message})
                continue
            reasons.append({"Code": "None"})
            writes.append((action, old, new, size))
        if any(r["Code"] != "None" for r in reasons):
            codes = ", ".join(r["Code"] for r in reasons)
            raise ServiceError(
                "TransactionCanceledException",
                f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
                400,
                fields={"CancellationReasons": reasons},
            )
        for action, old, new, size in writes:
            if action.kind == "ConditionCheck":
                continue
            index_units = provider.write(action.table, action.pk, action.sk, old, new, size)
            spent = 2 * it.write_units(max(size, old[1] if old else 0))
            provider.capacity.spend(action.table, "write", spent, index_units)
            units[action.table.name] = units.get(action.table.name, 0.0) + spent
    out: dict[str, Any] = {}
    if params.get("ReturnItemCollectionMetrics") == "SIZE":
        collections: dict[str, list[dict[str, Any]]] = {}
        for action in actions:
            if action.kind != "ConditionCheck":
                metrics = provider.collection_metrics(action.table, action.key, action.pk)
                if metrics is not None:
                    collections.setdefault(action.table.name, []).append(metrics)
        if collections:
            out["ItemCollectionMetrics"] = collections
    mode = params.get("ReturnConsumedCapacity")
    tables = {a.table.name: a.table for a in actions}
    capacity = [e for n, u in units.items() if (e := it.consumed(tables[n], mode, u, "write"))]
    if capacity:
        out["ConsumedCapacity"] = capacity
    return out


def _check_capacity(provider: DynamoDBProvider, actions: list[_Action]) -> None:
    """A transaction touching a table over its capacity is cancelled, naming the throttled actions."""
    reasons = []
    for action in actions:
        try:
            provider.capacity.admit(action.table, "write" if action.kind != "ConditionCheck" else "read")
            reasons.append({"Code": "None"})
        except ServiceError as error:
            reasons.append({"Code": "ProvisionedThroughputExceeded", "Message": error.message})
    if any(r["Code"] != "None" for r in reasons):
        codes = ", ".join(r["Code"] for r in reasons)
        raise ServiceError(
            "TransactionCanceledException",
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{codes}]",
            400,
            fields={"CancellationReasons": reasons},
        )


def _result(action: _Action, old: dict[str, Any] | None) -> tuple[dict[str, Any] | None, int]:
    """The item an action leaves (None: deleted or untouched) and its size."""
    if action.kind == "Put":
        item, _pk, _sk, size = it.checked_item(action.table, action.item or {})
        return item, size
    if action.kind == "Delete":
        return None, 0
    if action.kind == "Update":
        base = old if old is not None else dict(action.key)
        new = apply_update(action.update, base)[0]
        item, _pk, _sk, size = it.checked_item(action.table, new)
        return item, size
    return old, 0
