"""StartLiveTail: log events pushed to a session as they are ingested.

A session watches up to 10 log groups (optionally some streams, or stream name prefixes, of
one group, and a filter pattern). Ingestion (``_Sink.store_batch``, the one path PutLogEvents
and the in-process ``LogSink`` share) hands each committed batch to the sessions watching its
group, in process: nothing polls the store. A session keeps what matched (at most 5,000
events, the oldest dropped first, as AWS buffers for a slow reader) and answers, on the
event stream ``responseStream``:

- one ``sessionStart`` (the request id, a session id and the filters as given);
- a ``sessionUpdate`` every second of the service clock (an advance of the clock makes the
  next one come at once), with the events that matched since the last one, in ingestion
  order, empty when none did; past 500 events (or 8 MiB) in one second the update carries 500
  evenly picked (``sessionMetadata.sampled``) and drops the rest, as AWS samples;
- ``SessionTimeoutException`` three hours (service clock) after it started; an unexpected
  failure ends it with ``SessionStreamingException``.

The session ends when its reader goes away (the HTTP server cancels the answer).
"""

from __future__ import annotations

import logging
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.logs.names import group_not_found, invalid
from cloudlet.services.logs.patterns import PatternError, compile_pattern

if TYPE_CHECKING:
    from cloudlet.core.clock import Clock
    from cloudlet.services.base import RequestContext
    from cloudlet.services.logs.store import LogsStore

log = logging.getLogger("cloudlet.logs")

UPDATE_SECONDS = 1.0
MAX_PER_UPDATE = 500
MAX_UPDATE_BYTES = 8 * 1024 * 1024
BUFFERED = 5000
SESSION_SECONDS = 3 * 3600.0

GroupKey = tuple[str, str, str]  # account, region, group name


class Session:
    """One Live Tail session: what it watches and what matched since its last update."""

    def __init__(
        self,
        groups: dict[GroupKey, str],
        streams: frozenset[str] | None,
        prefixes: tuple[str, ...] | None,
        match: Callable[[str], bool],
    ) -> None:
        self.groups = groups  # watched group -> the identifier the request named it by
        self.streams = streams
        self.prefixes = prefixes
        self.match = match
        self.pending: deque[dict[str, Any]] = deque(maxlen=BUFFERED)

    def offer(self, key: GroupKey, stream: str, events: list[tuple[int, str]], ingested: int) -> None:
        """Keep the events of a committed batch that this session's filters let through."""
        if self.streams is not None and stream not in self.streams:
            return
        if self.prefixes is not None and not stream.startswith(self.prefixes):
            return
        identifier = self.groups[key]
        for ts, message in events:
            if self.match(message):
                self.pending.append(
                    {
                        "logStreamName": stream,
                        "logGroupIdentifier": identifier,  # unverified: as the request named it
                        "message": message,
                        "timestamp": ts,
                        "ingestionTime": ingested,
                    }
                )

    def take(self) -> tuple[list[dict[str, Any]], bool]:
        """The events of the next update, and whether they were sampled down."""
        found = list(self.pending)
        self.pending.clear()
        sampled = len(found) > MAX_PER_UPDATE
        if sampled:
            step = len(found) / MAX_PER_UPDATE
            found = [found[int(i * step)] for i in range(MAX_PER_UPDATE)]
        size = 0
        for count, event in enumerate(found):
            size += len(event["message"]) + 100
            if size > MAX_UPDATE_BYTES:
                return found[:count], True
        return found, sampled


class LiveTails:
    """The open sessions of one Logs provider, by the groups they watch."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.by_group: dict[GroupKey, set[Session]] = {}

    def watching(self, account: str, region: str, group: str) -> bool:
        return (account, region, group) in self.by_group

    def publish(
        self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]], ingested: int
    ) -> None:
        """A committed batch: offered to each session watching its group."""
        key = (account, region, group)
        for session in list(self.by_group.get(key, ())):
            session.offer(key, stream, events, ingested)

    def _open(self, session: Session) -> None:
        for key in session.groups:
            self.by_group.setdefault(key, set()).add(session)

    def _close(self, session: Session) -> None:
        for key in session.groups:
            watchers = self.by_group.get(key)
            if watchers is not None:
                watchers.discard(session)
                if not watchers:
                    del self.by_group[key]

    def start(
        self, db: LogsStore, ctx: RequestContext, params: dict[str, Any]
    ) -> AsyncIterator[dict[str, Any]]:
        """Check a StartLiveTail request (AWS's errors) and give its event stream."""
        identifiers: list[str] = params["logGroupIdentifiers"]
        names, prefixes = params.get("logStreamNames"), params.get("logStreamNamePrefixes")
        if names and prefixes:
            # unverified: wording
            raise invalid("logStreamNames and logStreamNamePrefixes are mutually exclusive parameters.")
        if (names or prefixes) and len(set(identifiers)) > 1:
            # unverified: wording
            raise invalid(
                "logStreamNames and logStreamNamePrefixes can only be given with exactly one log group."
            )
        try:
            match = compile_pattern(params.get("logEventFilterPattern"))
        except PatternError:
            raise invalid("Invalid filter pattern") from None  # unverified: wording (FilterLogEvents')
        groups: dict[GroupKey, str] = {}
        for identifier in identifiers:
            key = _group_key(ctx, identifier)
            if db.group(*key) is None:
                raise group_not_found()  # unverified: StartLiveTail's wording
            groups.setdefault(key, identifier)
        session = Session(
            groups,
            frozenset(names) if names else None,
            tuple(prefixes) if prefixes else None,
            match,
        )
        started: dict[str, Any] = {
            "requestId": ctx.request_id,
            "sessionId": str(uuid.uuid4()),
            "logGroupIdentifiers": identifiers,
        }
        for member in ("logStreamNames", "logStreamNamePrefixes", "logEventFilterPattern"):
            if params.get(member) is not None:
                started[member] = params[member]
        return self._run(session, started)

    async def _run(self, session: Session, started: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
        # Watching begins as the answer's body begins: the HTTP server sends the head and takes
        # the first events without serving anything else in between.
        self._open(session)
        ends = self.clock.now() + SESSION_SECONDS
        try:
            yield {"sessionStart": started}
            while True:
                await self.clock.sleep(UPDATE_SECONDS)
                if self.clock.now() >= ends:
                    # unverified: wording
                    raise ServiceError(
                        "SessionTimeoutException", "Live Tail session has timed out after 3 hours.", 400
                    )
                results, sampled = session.take()
                yield {"sessionUpdate": {"sessionMetadata": {"sampled": sampled}, "sessionResults": results}}
        except ServiceError:
            raise
        except Exception as exc:
            log.exception("live tail session failed")
            # unverified: wording
            raise ServiceError("SessionStreamingException", "An unknown error occurred.", 500) from exc
        finally:
            self._close(session)


def _group_key(ctx: RequestContext, identifier: str) -> GroupKey:
    """The group a StartLiveTail identifier names: an ARN (what AWS asks for) or, leniently, a
    name; a group of another account or Region is not found."""
    if not identifier.startswith("arn:"):
        return ctx.account, ctx.region, identifier
    parts = identifier.split(":", 6)
    if len(parts) < 7 or parts[2] != "logs" or parts[5] != "log-group" or not parts[6]:
        raise invalid(f"Invalid log group identifier: {identifier}")  # unverified: wording
    if parts[4] != ctx.account or parts[3] != ctx.region:
        raise group_not_found()
    return ctx.account, ctx.region, parts[6]
