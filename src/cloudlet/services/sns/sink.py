"""The sink of deliveries Cloudlet cannot make for real: email, email-json, SMS and mobile push
(``application``) messages, and email subscription confirmations, kept in the store (bounded)
and read at ``GET /_cloudlet/sns/sent`` (``DELETE`` clears them)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.common import Response
from cloudlet.store.db import Store

if TYPE_CHECKING:
    from cloudlet.gateway.request import Request
    from cloudlet.runtime import Runtime

MIGRATIONS = [
    """
    CREATE TABLE sns_sent (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        subscription_arn TEXT NOT NULL,
        topic_arn TEXT NOT NULL,
        message_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        sent REAL NOT NULL,
        record TEXT NOT NULL
    )
    """,
]

MAX_KEPT = 10_000  # the newest records kept; older ones are dropped as new ones come
# Query filters of GET /_cloudlet/sns/sent and the columns they compare.
FILTERS = {
    "protocol": "protocol",
    "endpoint": "endpoint",
    "subscriptionArn": "subscription_arn",
    "topicArn": "topic_arn",
    "messageId": "message_id",
    "type": "kind",
}


class Sink:
    """Sent messages, in the order they were sent."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("sns_sink", MIGRATIONS)

    def record(self, record: dict[str, Any], now: float) -> None:
        """Keep ``record`` (its ``protocol``, ``endpoint``, ``subscriptionArn``, ``topicArn``,
        ``messageId`` and ``type`` are indexed for filters), inside the caller's transaction."""
        cur = self.db.execute(
            "INSERT INTO sns_sent (protocol, endpoint, subscription_arn, topic_arn, message_id, kind, "
            "sent, record) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                record["protocol"],
                record["endpoint"],
                record.get("subscriptionArn") or "",
                record.get("topicArn") or "",
                record["messageId"],
                record["type"],
                now,
                orjson.dumps(record).decode(),
            ),
        )
        newest = int(cur.lastrowid or 0)
        if newest > MAX_KEPT:
            self.db.execute("DELETE FROM sns_sent WHERE id <= ?", (newest - MAX_KEPT,))

    def list(self, filters: dict[str, str]) -> list[dict[str, Any]]:
        where = [f"{FILTERS[k]} = ?" for k in filters]
        sql = "SELECT record FROM sns_sent"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self.db.all(sql + " ORDER BY id", tuple(filters.values()))
        return [orjson.loads(r[0]) for r in rows]

    def clear(self, filters: dict[str, str]) -> int:
        where = [f"{FILTERS[k]} = ?" for k in filters]
        sql = "DELETE FROM sns_sent" + (" WHERE " + " AND ".join(where) if where else "")
        with self.db.transaction():
            return self.db.execute(sql, tuple(filters.values())).rowcount


def _json(status: int, value: Any) -> Response:
    return Response(status, [("Content-Type", "application/json")], orjson.dumps(value))


def admin(runtime: Runtime, request: Request) -> Response:
    """``GET /_cloudlet/sns/sent[?protocol=&endpoint=&subscriptionArn=&topicArn=&messageId=&type=]``:
    the records as a JSON list, oldest first; ``DELETE`` (same filters) removes them."""
    unknown = sorted(set(request.query) - set(FILTERS))
    if unknown:
        return _json(400, {"message": f"unknown filters {unknown}; use {sorted(FILTERS)}"})
    filters = {k: v for k, v in request.query.items() if k in FILTERS}
    provider = runtime.load("sns")
    if request.method == "DELETE":
        return _json(200, {"deleted": provider.sink.clear(filters)})
    return _json(200, provider.sink.list(filters))
