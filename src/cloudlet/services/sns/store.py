"""SNS state: topics (attributes, tags) and their subscriptions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE sns_topics (
        arn TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL,
        seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE sns_subscriptions (
        arn TEXT NOT NULL PRIMARY KEY,
        topic_arn TEXT NOT NULL,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        protocol TEXT NOT NULL,
        endpoint TEXT NOT NULL,
        owner TEXT NOT NULL,
        pending INTEGER NOT NULL,
        attributes TEXT NOT NULL
    );
    CREATE INDEX sns_subscriptions_topic ON sns_subscriptions (topic_arn, arn);
    CREATE TABLE sns_dedup (
        topic_arn TEXT NOT NULL,
        dedup_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        seq TEXT NOT NULL,
        expires REAL NOT NULL,
        PRIMARY KEY (topic_arn, dedup_id)
    )
    """,
]


@dataclass
class Topic:
    arn: str
    account: str
    region: str
    name: str
    attributes: dict[str, str]
    tags: dict[str, str]


@dataclass
class Subscription:
    arn: str
    topic_arn: str
    account: str
    region: str
    protocol: str
    endpoint: str
    owner: str
    pending: bool
    attributes: dict[str, str]


def _topic(row: Any) -> Topic:
    return Topic(
        row["arn"],
        row["account"],
        row["region"],
        row["name"],
        orjson.loads(row["attributes"]),
        orjson.loads(row["tags"]),
    )


def _subscription(row: Any) -> Subscription:
    return Subscription(
        row["arn"],
        row["topic_arn"],
        row["account"],
        row["region"],
        row["protocol"],
        row["endpoint"],
        row["owner"],
        bool(row["pending"]),
        orjson.loads(row["attributes"]),
    )


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


class SnsStore:
    """The SQL of SNS (within what SQLite and PostgreSQL both accept)."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("sns", MIGRATIONS)

    # -- topics --
    def topic(self, arn: str) -> Topic | None:
        row = self.db.one("SELECT * FROM sns_topics WHERE arn = ?", (arn,))
        return _topic(row) if row else None

    def topics(self, account: str, region: str, after: str, limit: int) -> list[Topic]:
        rows = self.db.all(
            "SELECT * FROM sns_topics WHERE account = ? AND region = ? AND arn > ? ORDER BY arn LIMIT ?",
            (account, region, after, limit),
        )
        return [_topic(r) for r in rows]

    def total(self) -> dict[str, int]:
        topics = self.db.one("SELECT COUNT(*) FROM sns_topics")[0]
        subs = self.db.one("SELECT COUNT(*) FROM sns_subscriptions")[0]
        return {"topics": topics, "subscriptions": subs}

    def put_topic(self, t: Topic) -> None:
        self.db.execute(
            "INSERT INTO sns_topics (arn, account, region, name, attributes, tags) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (arn) DO UPDATE SET attributes = excluded.attributes, tags = excluded.tags",
            (t.arn, t.account, t.region, t.name, _json(t.attributes), _json(t.tags)),
        )

    def next_sequence(self, arn: str) -> int:
        """The next FIFO sequence number of topic ``arn`` (the caller holds the transaction)."""
        self.db.execute("UPDATE sns_topics SET seq = seq + 1 WHERE arn = ?", (arn,))
        return int(self.db.one("SELECT seq FROM sns_topics WHERE arn = ?", (arn,))[0])

    def duplicate(self, topic_arn: str, dedup_id: str, now: float) -> tuple[str, str] | None:
        """The message id and sequence number of a message with ``dedup_id`` still in its window."""
        row = self.db.one(
            "SELECT message_id, seq FROM sns_dedup WHERE topic_arn = ? AND dedup_id = ? AND expires > ?",
            (topic_arn, dedup_id, now),
        )
        return (row["message_id"], row["seq"]) if row else None

    def remember(
        self, topic_arn: str, dedup_id: str, message_id: str, seq: str, expires: float, now: float
    ) -> None:
        self.db.execute("DELETE FROM sns_dedup WHERE topic_arn = ? AND expires <= ?", (topic_arn, now))
        self.db.execute(
            "INSERT INTO sns_dedup (topic_arn, dedup_id, message_id, seq, expires) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (topic_arn, dedup_id) DO UPDATE SET message_id = excluded.message_id, "
            "seq = excluded.seq, expires = excluded.expires",
            (topic_arn, dedup_id, message_id, seq, expires),
        )

    def delete_topic(self, arn: str) -> None:
        self.db.execute("DELETE FROM sns_dedup WHERE topic_arn = ?", (arn,))
        self.db.execute("DELETE FROM sns_subscriptions WHERE topic_arn = ?", (arn,))
        self.db.execute("DELETE FROM sns_topics WHERE arn = ?", (arn,))

    # -- subscriptions --
    def subscription(self, arn: str) -> Subscription | None:
        row = self.db.one("SELECT * FROM sns_subscriptions WHERE arn = ?", (arn,))
        return _subscription(row) if row else None

    def find_subscription(self, topic_arn: str, protocol: str, endpoint: str) -> Subscription | None:
        row = self.db.one(
            "SELECT * FROM sns_subscriptions WHERE topic_arn = ? AND protocol = ? AND endpoint = ?",
            (topic_arn, protocol, endpoint),
        )
        return _subscription(row) if row else None

    def counts(self, topic_arn: str) -> tuple[int, int]:
        """How many subscriptions of ``topic_arn`` are confirmed and pending."""
        rows = self.db.all(
            "SELECT pending, COUNT(*) AS n FROM sns_subscriptions WHERE topic_arn = ? GROUP BY pending",
            (topic_arn,),
        )
        by = {int(r["pending"]): int(r["n"]) for r in rows}
        return by.get(0, 0), by.get(1, 0)

    def confirmed(self, topic_arn: str) -> list[Subscription]:
        rows = self.db.all(
            "SELECT * FROM sns_subscriptions WHERE topic_arn = ? AND pending = 0 ORDER BY arn", (topic_arn,)
        )
        return [_subscription(r) for r in rows]

    def subscriptions(
        self, account: str, region: str, topic_arn: str | None, after: str, limit: int
    ) -> list[Subscription]:
        if topic_arn is None:
            rows = self.db.all(
                "SELECT * FROM sns_subscriptions WHERE account = ? AND region = ? AND arn > ? "
                "ORDER BY arn LIMIT ?",
                (account, region, after, limit),
            )
        else:
            rows = self.db.all(
                "SELECT * FROM sns_subscriptions WHERE topic_arn = ? AND arn > ? ORDER BY arn LIMIT ?",
                (topic_arn, after, limit),
            )
        return [_subscription(r) for r in rows]

    def put_subscription(self, s: Subscription) -> None:
        self.db.execute(
            "INSERT INTO sns_subscriptions (arn, topic_arn, account, region, protocol, endpoint, owner, "
            "pending, attributes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET "
            "pending = excluded.pending, attributes = excluded.attributes",
            (
                s.arn,
                s.topic_arn,
                s.account,
                s.region,
                s.protocol,
                s.endpoint,
                s.owner,
                int(s.pending),
                _json(s.attributes),
            ),
        )

    def delete_subscription(self, arn: str) -> None:
        self.db.execute("DELETE FROM sns_subscriptions WHERE arn = ?", (arn,))
