"""Archives and replays: CreateArchive, DescribeArchive, ListArchives, UpdateArchive,
DeleteArchive, StartReplay, DescribeReplay, ListReplays, CancelReplay.

An archive keeps the events put on its bus (those matching its optional EventPattern) for
RetentionDays (0: forever) on the service clock; old events go lazily (on reads and at most
hourly while archiving). Which archives a bus has is held in memory (like :mod:`routing`'s
rules), so PutEvents on a bus without an archive costs one dict lookup. A replay runs as a
chain of durable timers on the service clock, each replaying one batch of archived events in
order and recording its progress in the replay's row in the same transaction: a replay
survives kill -9 without replaying a batch twice.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core.patterns.compile import ObjectMatcher
from cloudlet.core.patterns.match import match
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.events.buses import PAGE, page_after, page_token
from cloudlet.services.events.envelope import entry_size
from cloudlet.services.events.errors import (
    already_exists,
    bus_not_found,
    limit_exceeded,
    not_found,
    validation,
)
from cloudlet.services.events.routing import compiled
from cloudlet.services.events.rules import check_pattern
from cloudlet.services.events.store import Bus

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.events.provider import EventsProvider

MIGRATIONS = [
    """
    CREATE TABLE events_archives (
        arn TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        bus_arn TEXT NOT NULL,
        data TEXT NOT NULL,
        state TEXT NOT NULL,
        created REAL NOT NULL
    );
    CREATE INDEX events_archives_name ON events_archives (account, region, name);
    CREATE TABLE events_archived (
        archive_arn TEXT NOT NULL,
        seq BIGINT NOT NULL,
        archived REAL NOT NULL,
        event_time REAL NOT NULL,
        size INTEGER NOT NULL,
        event TEXT NOT NULL,
        PRIMARY KEY (archive_arn, seq)
    );
    CREATE INDEX events_archived_time ON events_archived (archive_arn, archived);
    CREATE TABLE events_replays (
        arn TEXT NOT NULL PRIMARY KEY,
        account TEXT NOT NULL,
        region TEXT NOT NULL,
        name TEXT NOT NULL,
        archive_arn TEXT NOT NULL,
        data TEXT NOT NULL,
        state TEXT NOT NULL,
        started REAL NOT NULL,
        ended REAL,
        last_replayed REAL,
        done_seq BIGINT NOT NULL,
        upto BIGINT NOT NULL
    );
    CREATE INDEX events_replays_name ON events_replays (account, region, name)
    """,
]

REPLAY_TIMER = "events.replay"
REPLAY_BATCH = 100  # events replayed per timer
REPLAY_START_DELAY = 5.0  # a replay stays STARTING this long on the service clock (unverified)
MAX_ACTIVE_REPLAYS = 10  # concurrent replays per account and Region (unverified quota)
ACTIVE = ("STARTING", "RUNNING", "CANCELLING")
DAY = 86400.0
PURGE_EVERY = 3600.0  # while archiving, expire an archive's old events at most this often


@dataclass
class ArchiveRef:
    """What archiving needs of an archive, held in memory per bus."""

    arn: str
    matcher: ObjectMatcher | None
    retention_days: int
    purged: float = 0.0


def event_size(event: dict[str, Any]) -> int:
    """An archived event's size, counted as PutEvents counts the entry it came from
    (unverified: AWS's SizeBytes may count more)."""
    return entry_size(
        {
            "Time": event.get("time"),
            "Source": event.get("source"),
            "DetailType": event.get("detail-type"),
            "Detail": orjson.dumps(event.get("detail", {})).decode(),
            "Resources": event.get("resources"),
        }
    )


def event_time(event: dict[str, Any], default: float) -> float:
    """The event's ``time`` (what a replay's window is about, as AWS documents it)."""
    try:
        return dt.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC).timestamp()
    except (KeyError, TypeError, ValueError):
        return default


def replayed(event: dict[str, Any], replay_name: str) -> dict[str, Any]:
    """The event as a replay puts it: ``replay-name`` after ``region``, as AWS shows it."""
    out: dict[str, Any] = {}
    for key, value in event.items():
        out[key] = value
        if key == "region":
            out["replay-name"] = replay_name
    out.setdefault("replay-name", replay_name)
    return out


def _timestamp(value: Any) -> float:
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.timestamp()
    return float(value)


def _archive_view(row: Any, counts: tuple[int, int], *, describe: bool) -> dict[str, Any]:
    data = orjson.loads(row["data"])
    out: dict[str, Any] = {"ArchiveName": row["name"]}
    if describe:
        out["ArchiveArn"] = row["arn"]
    out["EventSourceArn"] = row["bus_arn"]
    if describe:
        for key in ("Description", "EventPattern", "KmsKeyIdentifier"):
            if data.get(key):
                out[key] = data[key]
    out["State"] = row["state"]
    out["RetentionDays"] = data.get("RetentionDays", 0)
    out["SizeBytes"] = counts[1]
    out["EventCount"] = counts[0]
    out["CreationTime"] = row["created"]
    return out


def _replay_view(row: Any, *, describe: bool) -> dict[str, Any]:
    data = orjson.loads(row["data"])
    out: dict[str, Any] = {"ReplayName": row["name"]}
    if describe:
        out["ReplayArn"] = row["arn"]
        if data.get("Description"):
            out["Description"] = data["Description"]
    out["EventSourceArn"] = row["archive_arn"]
    if describe:
        out["Destination"] = data["Destination"]
    out["State"] = row["state"]
    if data.get("StateReason"):
        out["StateReason"] = data["StateReason"]
    out["EventStartTime"] = data["EventStartTime"]
    out["EventEndTime"] = data["EventEndTime"]
    if row["last_replayed"] is not None:
        out["EventLastReplayedTime"] = row["last_replayed"]
    out["ReplayStartTime"] = row["started"]
    if row["ended"] is not None:
        out["ReplayEndTime"] = row["ended"]
    return out


def archive_not_found(name: str) -> ServiceError:
    return not_found(f"Archive {name} does not exist.")


def replay_not_found(name: str) -> ServiceError:
    return not_found(f"Replay {name} does not exist.")


class ArchivesApi:
    """The archive and replay operations of the EventBridge provider."""

    def _init_archives(self: EventsProvider) -> None:
        self.store.migrate("eventbridge_archives", MIGRATIONS)
        self.scheduler.register(REPLAY_TIMER, self._replay_batch)
        self._load_archives()

    def _load_archives(self: EventsProvider) -> None:
        """(Re)load the in-memory map bus ARN -> archives, and the archived-event counter."""
        self.bus_archives: dict[str, dict[str, ArchiveRef]] = {}
        for row in self.store.all("SELECT arn, bus_arn, data FROM events_archives"):
            self._mirror_archive(row["arn"], row["bus_arn"], orjson.loads(row["data"]))
        top = self.store.one("SELECT MAX(seq) FROM events_archived")[0]
        self._archive_seq = itertools.count(int(top or 0) + 1)

    def _mirror_archive(self: EventsProvider, arn: str, bus_arn: str, data: dict[str, Any]) -> None:
        pattern = data.get("EventPattern")
        ref = ArchiveRef(arn, compiled(pattern) if pattern else None, int(data.get("RetentionDays") or 0))
        self.bus_archives.setdefault(bus_arn, {})[arn] = ref

    def _unmirror_archive(self: EventsProvider, arn: str, bus_arn: str) -> None:
        refs = self.bus_archives.get(bus_arn)
        if refs is not None:
            refs.pop(arn, None)
            if not refs:
                del self.bus_archives[bus_arn]

    # ---- archiving (PutEvents' path) ---------------------------------------------------

    def archive_event(self: EventsProvider, bus: Bus, event: dict[str, Any], now: float) -> None:
        """Keep ``event`` in each archive of ``bus`` it matches (inside the caller's transaction)."""
        refs = self.bus_archives.get(bus.arn)
        if not refs:
            return
        body = None
        for ref in list(refs.values()):
            if ref.matcher is not None and not match(ref.matcher, event):
                continue
            if body is None:
                body = orjson.dumps(event).decode()
            self.store.execute(
                "INSERT INTO events_archived (archive_arn, seq, archived, event_time, size, event) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (ref.arn, next(self._archive_seq), now, event_time(event, now), event_size(event), body),
            )
            if ref.retention_days and now - ref.purged > PURGE_EVERY:
                ref.purged = now
                self._purge(ref.arn, ref.retention_days, now)

    def _purge(self: EventsProvider, arn: str, days: int, now: float) -> None:
        """Drop the events of archive ``arn`` older than its retention."""
        if days:
            self.store.execute(
                "DELETE FROM events_archived WHERE archive_arn = ? AND archived < ?", (arn, now - days * DAY)
            )

    def _counts(self: EventsProvider, row: Any) -> tuple[int, int]:
        days = int(orjson.loads(row["data"]).get("RetentionDays") or 0)
        if days:
            with self.store.transaction():
                self._purge(row["arn"], days, self.clock.now())
        got = self.store.one(
            "SELECT COUNT(*), SUM(size) FROM events_archived WHERE archive_arn = ?", (row["arn"],)
        )
        return int(got[0] or 0), int(got[1] or 0)

    # ---- archives ----------------------------------------------------------------------

    def _archive_row(self: EventsProvider, ctx: RequestContext, name: str) -> Any:
        row = self.store.one(
            "SELECT * FROM events_archives WHERE arn = ?", (ctx.arn("events", f"archive/{name}"),)
        )
        if row is None:
            raise archive_not_found(name)
        return row

    def create_archive(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ArchiveName"]
        source = params["EventSourceArn"]
        bus = self.find_bus(source) if ":event-bus/" in source else None
        if bus is None:
            raise bus_not_found(source.rsplit("/", 1)[-1])
        if params.get("EventPattern"):
            check_pattern(params["EventPattern"])
        arn = ctx.arn("events", f"archive/{name}")
        data = {
            k: params[k]
            for k in ("Description", "EventPattern", "RetentionDays", "KmsKeyIdentifier")
            if params.get(k) is not None
        }
        now = self.clock.now()
        with self.store.transaction():
            if self.store.one("SELECT 1 FROM events_archives WHERE arn = ?", (arn,)) is not None:
                raise already_exists(f"Archive {name} already exists.")
            self.store.execute(
                "INSERT INTO events_archives (arn, account, region, name, bus_arn, data, state, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (arn, ctx.account, ctx.region, name, bus.arn, orjson.dumps(data).decode(), "ENABLED", now),
            )
            self.store.after_commit(lambda: self._mirror_archive(arn, bus.arn, data))
        return {"ArchiveArn": arn, "State": "ENABLED", "CreationTime": now}

    def describe_archive(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        row = self._archive_row(ctx, params["ArchiveName"])
        return _archive_view(row, self._counts(row), describe=True)

    def list_archives(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source = params.get("EventSourceArn")
        if source and (":event-bus/" not in source or self.find_bus(source) is None):
            raise bus_not_found(source.rsplit("/", 1)[-1])
        prefix = params.get("NamePrefix") or ""
        after = page_after(params.get("NextToken"))
        rows = [
            r
            for r in self.store.all(
                "SELECT * FROM events_archives WHERE account = ? AND region = ? AND name > ? ORDER BY name",
                (ctx.account, ctx.region, after),
            )
            if r["name"].startswith(prefix)
            and (not source or r["bus_arn"] == source)
            and (not params.get("State") or r["state"] == params["State"])
        ]
        limit = params.get("Limit") or PAGE
        out: dict[str, Any] = {
            "Archives": [_archive_view(r, self._counts(r), describe=False) for r in rows[:limit]]
        }
        if len(rows) > limit:
            out["NextToken"] = page_token(rows[limit - 1]["name"])
        return out

    def update_archive(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        if all(params.get(k) is None for k in ("EventPattern", "RetentionDays", "Description")):
            raise validation("At least one of EventPattern, RetentionDays or Description must be provided.")
        row = self._archive_row(ctx, params["ArchiveName"])
        if params.get("EventPattern"):
            check_pattern(params["EventPattern"])
        data = orjson.loads(row["data"])
        for key in ("Description", "EventPattern", "RetentionDays", "KmsKeyIdentifier"):
            if params.get(key) is not None:
                data[key] = params[key]
        arn, bus_arn = row["arn"], row["bus_arn"]
        with self.store.transaction():
            self.store.execute(
                "UPDATE events_archives SET data = ? WHERE arn = ?", (orjson.dumps(data).decode(), arn)
            )
            self.store.after_commit(lambda: self._mirror_archive(arn, bus_arn, data))
        return {"ArchiveArn": arn, "State": row["state"], "CreationTime": row["created"]}

    def delete_archive(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        row = self._archive_row(ctx, params["ArchiveName"])
        arn, bus_arn = row["arn"], row["bus_arn"]
        with self.store.transaction():
            self.store.execute("DELETE FROM events_archives WHERE arn = ?", (arn,))
            self.store.execute("DELETE FROM events_archived WHERE archive_arn = ?", (arn,))
            self.store.after_commit(lambda: self._unmirror_archive(arn, bus_arn))
        return {}

    # ---- replays -----------------------------------------------------------------------

    def _replay_row(self: EventsProvider, ctx: RequestContext, name: str) -> Any:
        row = self.store.one(
            "SELECT * FROM events_replays WHERE arn = ?", (ctx.arn("events", f"replay/{name}"),)
        )
        if row is None:
            raise replay_not_found(name)
        return row

    def start_replay(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ReplayName"]
        source = params["EventSourceArn"]
        archive_name = source.split(":archive/", 1)[1] if ":archive/" in source else source.rsplit("/", 1)[-1]
        archive = self.store.one("SELECT * FROM events_archives WHERE arn = ?", (source,))
        if archive is None:
            raise validation(
                f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
            )
        destination = params["Destination"]
        bus_arn = destination["Arn"]
        bus = self.find_bus(bus_arn) if ":event-bus/" in bus_arn else None
        if bus is None:
            raise bus_not_found(bus_arn.rsplit("/", 1)[-1])
        if bus.arn != archive["bus_arn"]:
            raise validation(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        start, end = _timestamp(params["EventStartTime"]), _timestamp(params["EventEndTime"])
        if end <= start:
            raise validation(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        for rule_arn in destination.get("FilterArns") or ():
            rule = self.routes.rules.get(rule_arn)
            if rule is None or rule.bus_arn != bus.arn:
                # unverified: AWS's answer for a filter rule that is not on the destination bus
                raise validation(
                    f"Parameter Destination.FilterArns is not valid. Reason: Rule {rule_arn} does not exist."
                )
        arn = ctx.arn("events", f"replay/{name}")
        now = self.clock.now()
        data: dict[str, Any] = {"Destination": destination, "EventStartTime": start, "EventEndTime": end}
        if params.get("Description"):
            data["Description"] = params["Description"]
        with self.store.transaction():
            if self.store.one("SELECT 1 FROM events_replays WHERE arn = ?", (arn,)) is not None:
                raise already_exists(f"Replay {name} already exists.")
            active = self.store.one(
                "SELECT COUNT(*) FROM events_replays WHERE account = ? AND region = ? AND state IN (?, ?, ?)",
                (ctx.account, ctx.region, *ACTIVE),
            )[0]
            if active >= MAX_ACTIVE_REPLAYS:
                raise limit_exceeded()
            top = self.store.one(
                "SELECT MAX(seq) FROM events_archived WHERE archive_arn = ?", (archive["arn"],)
            )[0]
            self.store.execute(
                "INSERT INTO events_replays (arn, account, region, name, archive_arn, data, state, started, "
                "ended, last_replayed, done_seq, upto) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, 0, ?)",
                (
                    arn,
                    ctx.account,
                    ctx.region,
                    name,
                    archive["arn"],
                    orjson.dumps(data).decode(),
                    "STARTING",
                    now,
                    int(top or 0),
                ),
            )
            self.scheduler.schedule(now + REPLAY_START_DELAY, REPLAY_TIMER, {"replay": arn, "cursor": 0})
        return {"ReplayArn": arn, "State": "STARTING", "ReplayStartTime": now}

    def describe_replay(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return _replay_view(self._replay_row(ctx, params["ReplayName"]), describe=True)

    def list_replays(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix = params.get("NamePrefix") or ""
        source = params.get("EventSourceArn")
        after = page_after(params.get("NextToken"))
        rows = [
            r
            for r in self.store.all(
                "SELECT * FROM events_replays WHERE account = ? AND region = ? AND name > ? ORDER BY name",
                (ctx.account, ctx.region, after),
            )
            if r["name"].startswith(prefix)
            and (not source or r["archive_arn"] == source)
            and (not params.get("State") or r["state"] == params["State"])
        ]
        limit = params.get("Limit") or PAGE
        out: dict[str, Any] = {"Replays": [_replay_view(r, describe=False) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextToken"] = page_token(rows[limit - 1]["name"])
        return out

    def cancel_replay(self: EventsProvider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["ReplayName"]
        with self.store.transaction():
            row = self._replay_row(ctx, name)
            if row["state"] not in ("STARTING", "RUNNING"):
                raise ServiceError(
                    "IllegalStatusException", f"Replay {name} is not in a state that can be cancelled.", 400
                )  # unverified
            self.store.execute("UPDATE events_replays SET state = 'CANCELLING' WHERE arn = ?", (row["arn"],))
        return {"ReplayArn": row["arn"], "State": "CANCELLING"}

    def _replay_batch(self: EventsProvider, payload: dict[str, Any]) -> None:
        """One timer of a replay: replay the next batch of its events, or finish it."""
        arn = payload["replay"]
        now = self.clock.now()
        with self.store.transaction():
            row = self.store.one("SELECT * FROM events_replays WHERE arn = ?", (arn,))
            if row is None or row["done_seq"] != payload["cursor"] or row["state"] not in ACTIVE:
                return  # gone, finished, or a batch already done (the timer fired twice)
            if row["state"] == "CANCELLING":
                self._end_replay(arn, "CANCELLED", now)
                return
            data = orjson.loads(row["data"])
            archive = self.store.one("SELECT data FROM events_archives WHERE arn = ?", (row["archive_arn"],))
            bus = self.find_bus(data["Destination"]["Arn"])
            if archive is None or bus is None:
                gone = "Archive" if archive is None else "Event bus"
                self._end_replay(arn, "FAILED", now, f"{gone} does not exist.")  # unverified reason
                return
            self._purge(row["archive_arn"], int(orjson.loads(archive["data"]).get("RetentionDays") or 0), now)
            events = self.store.all(
                "SELECT seq, event FROM events_archived WHERE archive_arn = ? AND seq > ? AND seq <= ? "
                "AND event_time >= ? AND event_time < ? ORDER BY seq LIMIT ?",
                (
                    row["archive_arn"],
                    row["done_seq"],
                    row["upto"],
                    data["EventStartTime"],
                    data["EventEndTime"],
                    REPLAY_BATCH,
                ),
            )
            filters = set(data["Destination"].get("FilterArns") or ())
            for item in events:
                event = replayed(orjson.loads(item["event"]), row["name"])
                rules = self.routes.matching(bus.arn, event)
                if filters:
                    rules = [r for r in rules if r.arn in filters]
                self.route(bus, event, now, rules=rules)
            cursor = events[-1]["seq"] if events else row["done_seq"]
            last = now if events else row["last_replayed"]
            self.store.execute(
                "UPDATE events_replays SET state = 'RUNNING', done_seq = ?, last_replayed = ? WHERE arn = ?",
                (cursor, last, arn),
            )
            if len(events) < REPLAY_BATCH:
                self._end_replay(arn, "COMPLETED", now)
            else:
                self.scheduler.schedule(now, REPLAY_TIMER, {"replay": arn, "cursor": cursor})

    def _end_replay(
        self: EventsProvider, arn: str, state: str, now: float, reason: str | None = None
    ) -> None:
        if reason:
            row = self.store.one("SELECT data FROM events_replays WHERE arn = ?", (arn,))
            data = {**orjson.loads(row["data"]), "StateReason": reason}
            self.store.execute(
                "UPDATE events_replays SET data = ? WHERE arn = ?", (orjson.dumps(data).decode(), arn)
            )
        self.store.execute("UPDATE events_replays SET state = ?, ended = ? WHERE arn = ?", (state, now, arn))
