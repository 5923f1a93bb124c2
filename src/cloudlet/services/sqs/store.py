"""SQS state in the store: queues, messages, FIFO deduplication, message move tasks.

A message's ``visible_at`` covers both its delay and its visibility timeout; whether an
invisible message counts as delayed or in flight is told by ``receive_count``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE sqs_queues (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        fifo INTEGER NOT NULL,
        attributes TEXT NOT NULL,
        tags TEXT NOT NULL,
        created REAL NOT NULL,
        modified REAL NOT NULL,
        purged_at REAL,
        UNIQUE (account, region, name)
    );
    CREATE TABLE sqs_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        queue_id INTEGER NOT NULL,
        message_id TEXT NOT NULL,
        body TEXT NOT NULL,
        message_attributes TEXT,
        system_attributes TEXT,
        md5_body TEXT NOT NULL,
        md5_attributes TEXT,
        md5_system TEXT,
        sent REAL NOT NULL,
        visible_at REAL NOT NULL,
        receive_count INTEGER NOT NULL DEFAULT 0,
        first_receive REAL,
        receipt TEXT,
        received_at REAL,
        group_id TEXT,
        dedup_id TEXT,
        sender_id TEXT NOT NULL,
        source_arn TEXT,
        size INTEGER NOT NULL,
        expires REAL NOT NULL
    );
    CREATE INDEX sqs_messages_ready ON sqs_messages (queue_id, visible_at, seq);
    CREATE INDEX sqs_messages_group ON sqs_messages (queue_id, group_id, seq) WHERE group_id IS NOT NULL;
    CREATE INDEX sqs_messages_expiry ON sqs_messages (queue_id, expires);
    CREATE TABLE sqs_dedup (
        queue_id INTEGER NOT NULL,
        scope TEXT NOT NULL,
        dedup_id TEXT NOT NULL,
        message_id TEXT NOT NULL,
        sequence TEXT,
        expires REAL NOT NULL,
        PRIMARY KEY (queue_id, scope, dedup_id)
    );
    CREATE TABLE sqs_move_tasks (
        handle TEXT PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        source_arn TEXT NOT NULL,
        destination_arn TEXT,
        rate INTEGER,
        status TEXT NOT NULL,
        moved INTEGER NOT NULL DEFAULT 0,
        to_move INTEGER NOT NULL,
        started REAL NOT NULL,
        failure TEXT
    )
    """,
    # Names deleted lately: AWS refuses to re-create one for 60 seconds (QueueDeletedRecently).
    """
    CREATE TABLE sqs_deleted_queues (
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        deleted REAL NOT NULL,
        PRIMARY KEY (account, region, name)
    )
    """,
]


@dataclass
class Queue:
    id: int
    account: str
    region: str
    name: str
    fifo: bool
    attributes: dict[str, str]
    tags: dict[str, str]
    created: float
    modified: float
    purged_at: float | None

    @property
    def arn(self) -> str:
        from cloudlet.core.arn import make_arn

        return make_arn("sqs", self.region, self.account, self.name)

    def attr_int(self, name: str) -> int:
        return int(self.attributes[name])


def _queue(row: Any) -> Queue:
    return Queue(
        row["id"],
        row["account"],
        row["region"],
        row["name"],
        bool(row["fifo"]),
        orjson.loads(row["attributes"]),
        orjson.loads(row["tags"]),
        row["created"],
        row["modified"],
        row["purged_at"],
    )


class SqsStore:
    """The SQL of SQS.

    Queue rows are cached as :class:`Queue` objects (every request resolves its queue);
    the store module is the only writer, and keeps the cached objects in step. With a
    shared PostgreSQL store and several nodes this cache would need invalidation.
    """

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("sqs", MIGRATIONS)
        self._by_name: dict[tuple[str, str, str], Queue] = {}
        self._by_id: dict[int, Queue] = {}
        # Per queue, the earliest retention expiry of its messages (none: not known yet), so
        # that receives look for expired messages only once one is due.
        self._next_expiry: dict[int, float] = {}
        store.rollback_hooks.append(self._next_expiry.clear)

    def clear_cache(self) -> None:
        self._by_name.clear()
        self._by_id.clear()
        self._next_expiry.clear()

    def _cached(self, row: Any) -> Queue:
        queue = self._by_id.get(row["id"])
        if queue is None:
            queue = _queue(row)
            self._by_id[queue.id] = queue
            self._by_name[(queue.account, queue.region, queue.name)] = queue
        return queue

    # -- queues --
    def get_queue(self, account: str, region: str, name: str) -> Queue | None:
        queue = self._by_name.get((account, region, name))
        if queue is not None:
            return queue
        row = self.db.one(
            "SELECT * FROM sqs_queues WHERE account = ? AND region = ? AND name = ?", (account, region, name)
        )
        return self._cached(row) if row else None

    def queue_by_id(self, queue_id: int) -> Queue | None:
        queue = self._by_id.get(queue_id)
        if queue is not None:
            return queue
        row = self.db.one("SELECT * FROM sqs_queues WHERE id = ?", (queue_id,))
        return self._cached(row) if row else None

    def list_queues(self, account: str, region: str, prefix: str = "") -> list[Queue]:
        rows = self.db.all(
            "SELECT * FROM sqs_queues WHERE account = ? AND region = ? AND name >= ? ORDER BY name",
            (account, region, prefix),
        )
        return [self._cached(r) for r in rows if r["name"].startswith(prefix)]

    def all_queues(self) -> list[Queue]:
        return [self._cached(r) for r in self.db.all("SELECT * FROM sqs_queues ORDER BY id")]

    def create_queue(
        self,
        account: str,
        region: str,
        name: str,
        fifo: bool,
        attributes: dict[str, str],
        tags: dict[str, str],
        now: float,
    ) -> Queue:
        with self.db.transaction():
            cur = self.db.execute(
                "INSERT INTO sqs_queues (account, region, name, fifo, attributes, tags, created, modified) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    account,
                    region,
                    name,
                    int(fifo),
                    orjson.dumps(attributes).decode(),
                    orjson.dumps(tags).decode(),
                    now,
                    now,
                ),
            )
        queue = self.queue_by_id(int(cur.lastrowid or 0))
        assert queue is not None
        return queue

    def update_queue(
        self, queue: Queue, *, attributes: bool = False, tags: bool = False, now: float = 0
    ) -> None:
        if attributes:
            queue.modified = now
        with self.db.transaction():
            if attributes:
                self.db.execute(
                    "UPDATE sqs_queues SET attributes = ?, modified = ? WHERE id = ?",
                    (orjson.dumps(queue.attributes).decode(), now, queue.id),
                )
            if tags:
                self.db.execute(
                    "UPDATE sqs_queues SET tags = ? WHERE id = ?",
                    (orjson.dumps(queue.tags).decode(), queue.id),
                )

    def set_purged(self, queue: Queue, now: float) -> int:
        """Purge: the messages sent until ``now`` and the FIFO deduplication window go."""
        queue.purged_at = now
        with self.db.transaction():
            self.db.execute("UPDATE sqs_queues SET purged_at = ? WHERE id = ?", (now, queue.id))
            cur = self.db.execute(
                "DELETE FROM sqs_messages WHERE queue_id = ? AND sent <= ?", (queue.id, now)
            )
            self.db.execute("DELETE FROM sqs_dedup WHERE queue_id = ?", (queue.id,))
        self._next_expiry.pop(queue.id, None)
        return cur.rowcount

    def delete_queue(self, queue: Queue, now: float) -> None:
        """Delete the queue and its messages, remembering when its name was freed."""
        with self.db.transaction():
            self.db.execute("DELETE FROM sqs_messages WHERE queue_id = ?", (queue.id,))
            self.db.execute("DELETE FROM sqs_dedup WHERE queue_id = ?", (queue.id,))
            self.db.execute("DELETE FROM sqs_queues WHERE id = ?", (queue.id,))
            self.db.execute(
                "INSERT INTO sqs_deleted_queues (account, region, name, deleted) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (account, region, name) DO UPDATE SET deleted = excluded.deleted",
                (queue.account, queue.region, queue.name, now),
            )
        self._by_id.pop(queue.id, None)
        self._next_expiry.pop(queue.id, None)
        self._by_name.pop((queue.account, queue.region, queue.name), None)

    def deleted_since(self, account: str, region: str, name: str, since: float) -> bool:
        """Whether a queue of this name was deleted after ``since``; older records are pruned."""
        with self.db.transaction():
            self.db.execute("DELETE FROM sqs_deleted_queues WHERE deleted <= ?", (since,))
        row = self.db.one(
            "SELECT 1 FROM sqs_deleted_queues WHERE account = ? AND region = ? AND name = ?",
            (account, region, name),
        )
        return row is not None

    # -- messages --
    def insert_message(self, queue_id: int, m: dict[str, Any]) -> int:
        cur = self.db.execute(
            "INSERT INTO sqs_messages (queue_id, message_id, body, message_attributes, system_attributes, "
            "md5_body, md5_attributes, md5_system, sent, visible_at, receive_count, first_receive, group_id, "
            "dedup_id, sender_id, source_arn, size, expires) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                queue_id,
                m["message_id"],
                m["body"],
                m.get("message_attributes"),
                m.get("system_attributes"),
                m["md5_body"],
                m.get("md5_attributes"),
                m.get("md5_system"),
                m["sent"],
                m["visible_at"],
                m.get("receive_count", 0),
                m.get("first_receive"),
                m.get("group_id"),
                m.get("dedup_id"),
                m["sender_id"],
                m.get("source_arn"),
                m["size"],
                m["expires"],
            ),
        )
        due = self._next_expiry.get(queue_id)
        if due is not None and m["expires"] < due:
            self._next_expiry[queue_id] = m["expires"]
        return int(cur.lastrowid or 0)

    def expire(self, queue_id: int, now: float) -> int:
        """Drop messages past their retention period."""
        due = self._next_expiry.get(queue_id)
        if due is not None and now < due:
            return 0
        cur = self.db.execute("DELETE FROM sqs_messages WHERE queue_id = ? AND expires <= ?", (queue_id, now))
        row = self.db.one("SELECT MIN(expires) FROM sqs_messages WHERE queue_id = ?", (queue_id,))
        self._next_expiry[queue_id] = row[0] if row[0] is not None else math.inf
        return cur.rowcount

    def ready(self, queue_id: int, now: float, limit: int) -> list[Any]:
        return self.db.all(
            # In the order the index holds them (no sort, however deep the backlog): messages
            # visible longest first, which is the order they were sent unless delays differ.
            "SELECT * FROM sqs_messages WHERE queue_id = ? AND visible_at <= ? ORDER BY visible_at, seq LIMIT ?",
            (queue_id, now, limit),
        )

    def fifo_candidates(self, queue_id: int, now: float, limit: int) -> list[Any]:
        """The visible head message of every FIFO group, the group available longest first.

        A group is available once its head is visible: since it was sent (and its delay
        passed), or since its visibility timeout ended or was ended (ChangeMessageVisibility
        0, a receive with VisibilityTimeout 0). That moment is the head's ``visible_at``, so a
        group whose messages come back queues behind the groups never received, as AWS
        answers (recorded: test_fifo_receive_message_with_zero_visibility_timeout and the
        tests of group visibility after terminating, changing and deleting).
        """
        return self.db.all(
            "SELECT m.* FROM sqs_messages m WHERE m.queue_id = ? AND m.seq = "
            "(SELECT MIN(h.seq) FROM sqs_messages h WHERE h.queue_id = m.queue_id AND h.group_id = m.group_id) "
            "AND m.visible_at <= ? ORDER BY m.visible_at, m.seq LIMIT ?",
            (queue_id, now, limit),
        )

    def group_ready(self, queue_id: int, group_id: str, now: float, limit: int) -> list[Any]:
        """Consecutive ready messages of one FIFO group, in order, stopping at one not ready."""
        rows = self.db.all(
            "SELECT * FROM sqs_messages WHERE queue_id = ? AND group_id = ? ORDER BY seq LIMIT ?",
            (queue_id, group_id, limit),
        )
        out = []
        for row in rows:
            if row["visible_at"] > now:
                break
            out.append(row)
        return out

    def mark_received(self, marks: list[tuple[str, float, float, float, int]]) -> None:
        """Record receives: (receipt, received at, visible at, received at, seq) each."""
        self.db.conn.executemany(
            "UPDATE sqs_messages SET receipt = ?, received_at = ?, visible_at = ?, "
            "receive_count = receive_count + 1, first_receive = COALESCE(first_receive, ?) WHERE seq = ?",
            marks,
        )

    def by_seq(self, seq: int) -> Any:
        return self.db.one("SELECT * FROM sqs_messages WHERE seq = ?", (seq,))

    def delete_message(self, seq: int) -> bool:
        return self.db.execute("DELETE FROM sqs_messages WHERE seq = ?", (seq,)).rowcount > 0

    def delete_messages(self, seqs: list[int]) -> int:
        """Delete the messages with these sequence numbers; how many were there."""
        marks = ", ".join("?" * len(seqs))
        return self.db.execute(f"DELETE FROM sqs_messages WHERE seq IN ({marks})", seqs).rowcount

    def set_visible_at(self, seq: int, visible_at: float) -> None:
        self.db.execute("UPDATE sqs_messages SET visible_at = ? WHERE seq = ?", (visible_at, seq))

    def counts(self, queue_id: int, now: float) -> tuple[int, int, int]:
        """(visible, in flight, delayed) message counts."""
        row = self.db.one(
            "SELECT "
            "SUM(CASE WHEN visible_at <= ? THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN visible_at > ? AND receive_count > 0 THEN 1 ELSE 0 END), "
            "SUM(CASE WHEN visible_at > ? AND receive_count = 0 THEN 1 ELSE 0 END) "
            "FROM sqs_messages WHERE queue_id = ?",
            (now, now, now, queue_id),
        )
        return (int(row[0] or 0), int(row[1] or 0), int(row[2] or 0)) if row else (0, 0, 0)

    def oldest_sent(self, queue_id: int) -> float | None:
        row = self.db.one("SELECT MIN(sent) FROM sqs_messages WHERE queue_id = ?", (queue_id,))
        return row[0] if row and row[0] is not None else None

    def next_visible(self, queue_id: int, now: float) -> float | None:
        row = self.db.one(
            "SELECT MIN(visible_at) FROM sqs_messages WHERE queue_id = ? AND visible_at > ?", (queue_id, now)
        )
        return row[0] if row and row[0] is not None else None

    def message_ids(self, queue_id: int) -> list[Any]:
        return self.db.all("SELECT seq FROM sqs_messages WHERE queue_id = ? ORDER BY seq", (queue_id,))

    # -- FIFO deduplication --
    def find_dedup(self, queue_id: int, scope: str, dedup_id: str, now: float) -> Any:
        return self.db.one(
            "SELECT * FROM sqs_dedup WHERE queue_id = ? AND scope = ? AND dedup_id = ? AND expires > ?",
            (queue_id, scope, dedup_id, now),
        )

    def put_dedup(
        self, queue_id: int, scope: str, dedup_id: str, message_id: str, sequence: str, expires: float
    ) -> None:
        self.db.execute(
            "INSERT INTO sqs_dedup VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (queue_id, scope, dedup_id) DO UPDATE SET "
            "message_id = excluded.message_id, sequence = excluded.sequence, expires = excluded.expires",
            (queue_id, scope, dedup_id, message_id, sequence, expires),
        )

    def prune_dedup(self, now: float) -> None:
        self.db.execute("DELETE FROM sqs_dedup WHERE expires <= ?", (now,))

    # -- move tasks --
    def put_task(self, task: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO sqs_move_tasks VALUES (:handle, :account, :region, :source_arn, :destination_arn, :rate, "
            ":status, :moved, :to_move, :started, :failure) ON CONFLICT (handle) DO UPDATE SET "
            "status = excluded.status, moved = excluded.moved, failure = excluded.failure",
            task,
        )

    def get_task(self, handle: str) -> dict[str, Any] | None:
        row = self.db.one("SELECT * FROM sqs_move_tasks WHERE handle = ?", (handle,))
        return dict(row) if row else None

    def tasks_for(self, source_arn: str) -> list[dict[str, Any]]:
        rows = self.db.all(
            "SELECT * FROM sqs_move_tasks WHERE source_arn = ? ORDER BY started DESC", (source_arn,)
        )
        return [dict(r) for r in rows]
