"""EventBridge state: event buses, rules, their targets, and tags (SQLite and PostgreSQL alike)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from cloudlet.store.db import Store

MIGRATIONS = [
    """
    CREATE TABLE events_buses (
        arn TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        data TEXT NOT NULL,
        created REAL NOT NULL,
        modified REAL NOT NULL
    );
    CREATE TABLE events_rules (
        arn TEXT NOT NULL PRIMARY KEY,
        bus_arn TEXT NOT NULL,
        name TEXT NOT NULL,
        data TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX events_rules_bus ON events_rules (bus_arn, name);
    CREATE TABLE events_targets (
        rule_arn TEXT NOT NULL,
        target_id TEXT NOT NULL,
        arn TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (rule_arn, target_id)
    );
    CREATE INDEX events_targets_arn ON events_targets (arn);
    CREATE TABLE events_tags (
        arn TEXT NOT NULL,
        tag_key TEXT NOT NULL,
        tag_value TEXT NOT NULL,
        PRIMARY KEY (arn, tag_key)
    )
    """,
]


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


@dataclass
class Bus:
    arn: str
    account: str
    region: str
    name: str
    data: dict[str, Any]  # Description, Policy, DeadLetterConfig, KmsKeyIdentifier
    created: float
    modified: float


@dataclass
class Rule:
    arn: str
    bus_arn: str
    name: str
    data: dict[str, Any]  # EventPattern, ScheduleExpression, State, Description, RoleArn, ...
    created: float
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def enabled(self) -> bool:
        return self.data.get("State", "ENABLED") == "ENABLED"

    @property
    def account(self) -> str:
        return self.arn.split(":")[4]

    @property
    def region(self) -> str:
        return self.arn.split(":")[3]


def _bus(row: Any) -> Bus:
    return Bus(
        row["arn"],
        row["account"],
        row["region"],
        row["name"],
        orjson.loads(row["data"]),
        row["created"],
        row["modified"],
    )


class EventsStore:
    """The SQL of EventBridge's buses, rules and targets."""

    def __init__(self, store: Store) -> None:
        self.db = store
        store.migrate("eventbridge", MIGRATIONS)

    # -- buses --
    def bus(self, arn: str) -> Bus | None:
        row = self.db.one("SELECT * FROM events_buses WHERE arn = ?", (arn,))
        return _bus(row) if row else None

    def buses(self, account: str, region: str, prefix: str, after: str, limit: int) -> list[Bus]:
        rows = self.db.all(
            "SELECT * FROM events_buses WHERE account = ? AND region = ? AND name >= ? AND name > ? "
            "ORDER BY name LIMIT ?",
            (account, region, prefix, after, limit),
        )
        return [_bus(r) for r in rows if r["name"].startswith(prefix)]

    def put_bus(self, bus: Bus) -> None:
        self.db.execute(
            "INSERT INTO events_buses (arn, account, region, name, data, created, modified) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO UPDATE SET data = excluded.data, "
            "modified = excluded.modified",
            (bus.arn, bus.account, bus.region, bus.name, _json(bus.data), bus.created, bus.modified),
        )

    def delete_bus(self, arn: str) -> None:
        self.db.execute("DELETE FROM events_buses WHERE arn = ?", (arn,))

    # -- rules --
    def all_rules(self) -> list[Rule]:
        rules = {
            r["arn"]: Rule(r["arn"], r["bus_arn"], r["name"], orjson.loads(r["data"]), r["created"])
            for r in self.db.all("SELECT * FROM events_rules")
        }
        for row in self.db.all("SELECT rule_arn, target_id, data FROM events_targets"):
            rule = rules.get(row["rule_arn"])
            if rule is not None:
                rule.targets[row["target_id"]] = orjson.loads(row["data"])
        return list(rules.values())

    def put_rule(self, rule: Rule) -> None:
        self.db.execute(
            "INSERT INTO events_rules (arn, bus_arn, name, data, created) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (arn) DO UPDATE SET data = excluded.data",
            (rule.arn, rule.bus_arn, rule.name, _json(rule.data), rule.created),
        )

    def delete_rule(self, arn: str) -> None:
        self.db.execute("DELETE FROM events_rules WHERE arn = ?", (arn,))
        self.db.execute("DELETE FROM events_targets WHERE rule_arn = ?", (arn,))
        self.delete_tags(arn)

    def put_target(self, rule_arn: str, target: dict[str, Any]) -> None:
        self.db.execute(
            "INSERT INTO events_targets (rule_arn, target_id, arn, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (rule_arn, target_id) DO UPDATE SET arn = excluded.arn, data = excluded.data",
            (rule_arn, target["Id"], target["Arn"], _json(target)),
        )

    def delete_target(self, rule_arn: str, target_id: str) -> None:
        self.db.execute(
            "DELETE FROM events_targets WHERE rule_arn = ? AND target_id = ?", (rule_arn, target_id)
        )

    # -- tags --
    def tags(self, arn: str) -> dict[str, str]:
        rows = self.db.all(
            "SELECT tag_key, tag_value FROM events_tags WHERE arn = ? ORDER BY tag_key", (arn,)
        )
        return {r[0]: r[1] for r in rows}

    def tag(self, arn: str, tags: dict[str, str]) -> None:
        for key, value in tags.items():
            self.db.execute(
                "INSERT INTO events_tags (arn, tag_key, tag_value) VALUES (?, ?, ?) "
                "ON CONFLICT (arn, tag_key) DO UPDATE SET tag_value = excluded.tag_value",
                (arn, key, value),
            )

    def untag(self, arn: str, keys: list[str]) -> None:
        for key in keys:
            self.db.execute("DELETE FROM events_tags WHERE arn = ? AND tag_key = ?", (arn, key))

    def delete_tags(self, arn: str) -> None:
        self.db.execute("DELETE FROM events_tags WHERE arn = ?", (arn,))

    def total(self) -> dict[str, int]:
        buses = self.db.one("SELECT COUNT(*) FROM events_buses")[0]
        rules = self.db.one("SELECT COUNT(*) FROM events_rules")[0]
        return {"event_buses": int(buses), "rules": int(rules)}
