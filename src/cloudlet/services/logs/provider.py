"""Amazon CloudWatch Logs: log groups and streams, events (put, get, filter), retention on the
service clock, tags and metric filters (stored). Other operations answer NotImplemented."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudlet.protocol.errors import ServiceError, validation_error
from cloudlet.protocol.model import service_model
from cloudlet.protocol.validate import validate
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.logs import names
from cloudlet.services.logs.ingest import EVENT_OVERHEAD, MAX_BATCH_BYTES, check_batch
from cloudlet.services.logs.live_tail import LiveTails
from cloudlet.services.logs.names import group_not_found, invalid, stream_not_found
from cloudlet.services.logs.patterns import PatternError, compile_pattern
from cloudlet.services.logs.retention import RetentionSweeper
from cloudlet.services.logs.store import DAY_MS, Group, LogsStore, Stream

MAX_TAGS = 50
FILTER_SCAN = 1000  # events read per step of FilterLogEvents
FILTER_MAX_SCANNED = 200_000  # events one FilterLogEvents call reads before answering a page
_END = 2**62


def _checked(method: Callable[..., Any]) -> Callable[..., Any]:
    """AWS's name-length answer first, then the model's constraints as InvalidParameterException."""

    def run(self: LogsProvider, ctx: RequestContext, params: dict[str, Any]) -> Any:
        names.check_lengths(params)
        shape = service_model("logs").operation(ctx.operation).input
        if shape is not None:
            errors = validate(params, shape)
            if errors:
                raise validation_error(errors, "InvalidParameterException")
        return method(self, ctx, params)

    run.__name__ = method.__name__
    run.__doc__ = method.__doc__
    return run


class LogsProvider(Provider):
    service = "logs"
    validate_input = False  # checked per operation (_checked): AWS answers name lengths its own way
    validation_code = "InvalidParameterException"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = LogsStore(self.store)
        self.retention = RetentionSweeper(self)
        self.sink = _Sink(self)
        self.tails = LiveTails(self.clock)  # StartLiveTail sessions (live_tail.py)

    async def start(self) -> None:
        self.retention.start()

    async def stop(self) -> None:
        await self.retention.stop()

    def resource_counts(self) -> dict[str, int]:
        total = self.db.count_groups()
        return {"log groups": total} if total else {}

    # ---- helpers ------------------------------------------------------------------------

    def now_ms(self) -> int:
        return int(self.clock.now() * 1000)

    def _group(self, ctx: RequestContext, name: str) -> Group:
        group = self.db.group(ctx.account, ctx.region, name)
        if group is None:
            raise group_not_found()
        return group

    def _group_named(self, ctx: RequestContext, params: dict[str, Any]) -> Group:
        """The group ``logGroupName`` or ``logGroupIdentifier`` names (exactly one of them)."""
        name, identifier = params.get("logGroupName"), params.get("logGroupIdentifier")
        if name is not None and identifier is not None:
            raise ServiceError(
                "ValidationException",
                "LogGroup name and LogGroup ARN are mutually exclusive parameters.",
                400,
            )
        if name is None and identifier is None:
            # unverified: wording when neither is given
            raise invalid("Should provide either name or ARN, not both.")
        if identifier is not None:
            account, name = names.group_from_identifier(identifier)
            if account is not None and account != ctx.account:
                raise group_not_found()
        return self._group(ctx, name)

    def _stream(self, ctx: RequestContext, group: str, name: str) -> Stream:
        stream = self.db.stream(ctx.account, ctx.region, group, name)
        if stream is None:
            raise stream_not_found()
        return stream

    def _group_shape(self, g: Group, brief: bool = False) -> dict[str, Any]:
        arn = names.group_arn(g.region, g.account, g.name)
        out: dict[str, Any] = {
            "logGroupName": g.name,
            "creationTime": g.created,
            "metricFilterCount": self.db.count_metric_filters(g.account, g.region, g.name),
            "arn": f"{arn}:*",
            "logGroupClass": g.group_class,
            "logGroupArn": arn,
        }
        if brief:
            return out  # with logGroupNamePattern AWS leaves the rest out
        if g.retention is not None:
            out["retentionInDays"] = g.retention
        if g.kms_key:
            out["kmsKeyId"] = g.kms_key
        out["storedBytes"] = g.stored_bytes
        out["deletionProtectionEnabled"] = g.deletion_protection
        return out

    def _stream_shape(self, ctx: RequestContext, group: str, s: Stream) -> dict[str, Any]:
        out: dict[str, Any] = {"logStreamName": s.name, "creationTime": s.created}
        if s.first_event is not None:
            out["firstEventTimestamp"] = s.first_event
            out["lastEventTimestamp"] = s.last_event
        if s.last_ingestion is not None:
            out["lastIngestionTime"] = s.last_ingestion
        if s.batches:
            out["uploadSequenceToken"] = names.sequence_token(s.batches)
        out["arn"] = names.stream_arn(ctx.region, ctx.account, group, s.name)
        out["storedBytes"] = s.stored_bytes
        return out

    def _page(
        self, items: list[Any], key: Callable[[Any], str], params: dict[str, Any], size: int
    ) -> tuple[list[Any], str | None]:
        token = params.get("nextToken")
        if token:
            after = names.decode(token)
            if not isinstance(after, str):
                raise names.bad_token()
            items = [i for i in items if key(i) > after]
        page = items[:size]
        return page, (names.encode(key(page[-1])) if len(items) > size and page else None)

    # ---- log groups ---------------------------------------------------------------------

    @_checked
    def create_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["logGroupName"]
        if name.startswith("aws/"):
            raise invalid("Log group names starting with aws/ are reserved.")  # unverified: wording
        tags = params.get("tags") or {}
        if len(tags) > MAX_TAGS:
            raise invalid(f"A log group can have at most {MAX_TAGS} tags.")  # unverified
        kms = params.get("kmsKeyId")
        if kms is not None:
            self._check_key(ctx, kms)
        if self.db.group(ctx.account, ctx.region, name) is not None:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log group already exists", 400
            )
        with self.store.transaction():
            self.db.create_group(
                Group(
                    ctx.account,
                    ctx.region,
                    name,
                    self.now_ms(),
                    None,
                    kms,
                    params.get("logGroupClass") or "STANDARD",
                    bool(params.get("deletionProtectionEnabled")),
                    dict(tags),
                    0,
                )
            )
        return {}

    def _check_key(self, ctx: RequestContext, key: str) -> None:
        """A KMS key must exist and be enabled (when KMS is served here)."""
        if self.runtime.load("kms") is None:
            return
        from cloudlet.services.kms.interface import key_service

        try:
            key_service(self.runtime).resolve(ctx.account, ctx.region, key)
        except ServiceError:
            # unverified: AWS's wording for a missing or disabled key
            raise invalid(f"Specified KMS key {key} does not exist or is not allowed to be used.") from None

    @_checked
    def delete_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        if group.deletion_protection:
            # unverified: wording
            raise ServiceError(
                "OperationAbortedException",
                "Log group deletion is not allowed: deletion protection is enabled.",
                400,
            )
        with self.store.transaction():
            self.db.delete_group(ctx.account, ctx.region, group.name)
        return {}

    @_checked
    def describe_log_groups(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        prefix, pattern = params.get("logGroupNamePrefix"), params.get("logGroupNamePattern")
        if prefix is not None and pattern is not None:
            raise invalid("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
        groups = self.db.groups(ctx.account, ctx.region, prefix or "")
        if pattern is not None:
            groups = [g for g in groups if pattern in g.name]
        if params.get("logGroupClass"):
            groups = [g for g in groups if g.group_class == params["logGroupClass"]]
        identifiers = params.get("logGroupIdentifiers")
        if identifiers:
            wanted = {names.group_from_identifier(i)[1] for i in identifiers}
            groups = [g for g in groups if g.name in wanted]
        page, token = self._page(groups, lambda g: g.name, params, params.get("limit") or 50)
        out: dict[str, Any] = {"logGroups": [self._group_shape(g, brief=pattern is not None) for g in page]}
        if token:
            out["nextToken"] = token
        return out

    @_checked
    def put_retention_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        days = params["retentionInDays"]
        if days not in names.RETENTION_DAYS:
            allowed = ", ".join(str(d) for d in names.RETENTION_DAYS)
            # unverified: AWS answers the Coral enum message although the model declares no enum
            raise invalid(
                f"1 validation error detected: Value '{days}' at 'retentionInDays' failed to satisfy "
                f"constraint: Member must satisfy enum value set: [{allowed}]"
            )
        group = self._group(ctx, params["logGroupName"])
        with self.store.transaction():
            self.db.set_group(ctx.account, ctx.region, group.name, retention=days)
            self.db.set_expiry(ctx.account, ctx.region, group.name, days)
        self.retention.wake()
        return {}

    @_checked
    def delete_retention_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        with self.store.transaction():
            self.db.set_group(ctx.account, ctx.region, group.name, retention=None, expire_at=None)
        return {}

    # ---- tags ---------------------------------------------------------------------------

    def _tag(self, ctx: RequestContext, group: Group, add: dict[str, str], remove: list[str]) -> None:
        tags = {k: v for k, v in group.tags.items() if k not in remove}
        tags.update(add)
        if len(tags) > MAX_TAGS:
            raise ServiceError(
                "TooManyTagsException", f"A resource can have no more than {MAX_TAGS} tags.", 400
            )  # unverified
        with self.store.transaction():
            self.db.set_group(ctx.account, ctx.region, group.name, tags=tags)

    def _group_by_arn(self, ctx: RequestContext, arn: str) -> Group:
        parts = arn.split(":", 6)
        if len(parts) < 7 or parts[0] != "arn" or parts[2] != "logs":
            raise invalid(f"Invalid resource ARN: {arn}")  # unverified: wording
        if parts[5] != "log-group":
            raise ServiceError(
                "ResourceNotFoundException", "The specified resource does not exist.", 400
            )  # unverified
        name = parts[6][:-2] if parts[6].endswith(":*") else parts[6]
        if parts[4] != ctx.account or parts[3] != ctx.region:
            raise group_not_found()
        return self._group(ctx, name)

    @_checked
    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._tag(ctx, self._group_by_arn(ctx, params["resourceArn"]), params["tags"], [])
        return {}

    @_checked
    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._tag(ctx, self._group_by_arn(ctx, params["resourceArn"]), {}, params["tagKeys"])
        return {}

    @_checked
    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": self._group_by_arn(ctx, params["resourceArn"]).tags}

    @_checked
    def tag_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._tag(ctx, self._group(ctx, params["logGroupName"]), params["tags"], [])
        return {}

    @_checked
    def untag_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._tag(ctx, self._group(ctx, params["logGroupName"]), {}, params["tags"])
        return {}

    @_checked
    def list_tags_log_group(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"tags": self._group(ctx, params["logGroupName"]).tags}

    # ---- log streams --------------------------------------------------------------------

    @_checked
    def create_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        name = params["logStreamName"]
        if self.db.stream(ctx.account, ctx.region, group.name, name) is not None:
            raise ServiceError(
                "ResourceAlreadyExistsException", "The specified log stream already exists", 400
            )
        with self.store.transaction():
            self.db.create_stream(ctx.account, ctx.region, group.name, name, self.now_ms())
        return {}

    @_checked
    def delete_log_stream(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        stream = self._stream(ctx, group.name, params["logStreamName"])
        with self.store.transaction():
            self.db.delete_stream(ctx.account, ctx.region, group.name, stream.name, stream.stored_bytes)
        return {}

    @_checked
    def describe_log_streams(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group_named(ctx, params)
        prefix = params.get("logStreamNamePrefix")
        by_time = params.get("orderBy") == "LastEventTime"
        if by_time and prefix:
            raise invalid("Cannot order by LastEventTime with a logStreamNamePrefix.")
        streams = self.db.streams(ctx.account, ctx.region, group.name, prefix or "")
        if by_time:
            streams.sort(key=lambda s: (s.last_event if s.last_event is not None else -1, s.name))

            def key(s: Stream) -> str:
                return f"{(s.last_event if s.last_event is not None else -1) + 1:020d}/{s.name}"
        else:

            def key(s: Stream) -> str:
                return s.name

        descending = bool(params.get("descending"))
        if descending:
            streams.reverse()
        size = params.get("limit") or 50
        token = params.get("nextToken")
        if token:
            after = names.decode(token)
            if not isinstance(after, str):
                raise names.bad_token()
            streams = [s for s in streams if (key(s) < after if descending else key(s) > after)]
        page = streams[:size]
        out: dict[str, Any] = {"logStreams": [self._stream_shape(ctx, group.name, s) for s in page]}
        if len(streams) > size and page:
            out["nextToken"] = names.encode(key(page[-1]))
        return out

    # ---- events -------------------------------------------------------------------------

    @_checked
    def put_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        stream = self._stream(ctx, group.name, params["logStreamName"])
        batch = check_batch(params["logEvents"], self.now_ms(), group.retention)
        with self.store.transaction():
            self.sink.store_batch(group, stream, batch.accepted)
        out: dict[str, Any] = {"nextSequenceToken": names.sequence_token(stream.batches + 1)}
        if batch.rejected:
            out["rejectedLogEventsInfo"] = batch.rejected
        return out

    @_checked
    def get_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group_named(ctx, params)
        stream = self._stream(ctx, group.name, params["logStreamName"])
        start, end = _time_range(params)
        limit = params.get("limit") or 10_000
        token = params.get("nextToken")
        key = (ctx.account, ctx.region, group.name, stream.name, start, end)
        if token:
            direction, ts, seq = names.parse_stream_token(token)
            if direction == "f":
                events = self.db.stream_events(*key, (ts, seq), None, limit, newest_first=False)
            else:
                events = self.db.stream_events(*key, None, (ts, seq), limit, newest_first=True)[::-1]
        elif params.get("startFromHead"):
            events = self.db.stream_events(*key, None, None, limit, newest_first=False)
        else:
            events = self.db.stream_events(*key, None, None, limit, newest_first=True)[::-1]
        events = _within_size(
            events,
            from_end=(bool(token) and direction == "b") or (not token and not params.get("startFromHead")),
        )
        if events:
            forward = names.stream_token("f", events[-1].ts, events[-1].seq)
            backward = names.stream_token("b", events[0].ts, events[0].seq)
        elif token:
            forward = backward = token
        else:
            forward, backward = names.stream_token("f", start, 0), names.stream_token("b", start, 0)
        return {
            "events": [
                {"timestamp": e.ts, "message": e.message, "ingestionTime": e.ingested} for e in events
            ],
            "nextForwardToken": forward,
            "nextBackwardToken": backward,
        }

    @_checked
    def filter_log_events(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group_named(ctx, params)
        wanted, prefix = params.get("logStreamNames"), params.get("logStreamNamePrefix")
        if wanted and prefix:
            # unverified: wording
            raise invalid("You cannot specify both LogStreamNames and LogStreamNamePrefix.")
        try:
            match = compile_pattern(params.get("filterPattern"))
        except PatternError:
            raise invalid("Invalid filter pattern") from None  # unverified: wording
        start, end = _time_range(params)
        limit = params.get("limit") or 10_000
        after: tuple[int, str, int] | None = None
        if params.get("nextToken"):
            position = names.decode(params["nextToken"])
            if not (
                isinstance(position, list)
                and len(position) == 3
                and isinstance(position[0], int)
                and isinstance(position[1], str)
                and isinstance(position[2], int)
            ):
                raise names.bad_token()
            after = (position[0], position[1], position[2])
        streams = set(wanted) if wanted else None
        found: list[dict[str, Any]] = []
        size = scanned = 0
        more = False
        while True:
            rows = self.db.group_events(ctx.account, ctx.region, group.name, start, end, after, FILTER_SCAN)
            for e in rows:
                scanned += 1
                after = (e.ts, e.stream, e.seq)
                if streams is not None and e.stream not in streams:
                    continue
                if prefix and not e.stream.startswith(prefix):
                    continue
                if not match(e.message):
                    continue
                found.append(
                    {
                        "logStreamName": e.stream,
                        "timestamp": e.ts,
                        "message": e.message,
                        "ingestionTime": e.ingested,
                        "eventId": _event_id(e.ts, e.stream, e.seq),
                    }
                )
                size += len(e.message.encode()) + EVENT_OVERHEAD
                if len(found) >= limit or size >= MAX_BATCH_BYTES:
                    break
            if len(found) >= limit or size >= MAX_BATCH_BYTES or scanned >= FILTER_MAX_SCANNED:
                more = bool(rows)
                break
            if len(rows) < FILTER_SCAN:
                break
        if more and after is not None:
            more = bool(self.db.group_events(ctx.account, ctx.region, group.name, start, end, after, 1))
        out: dict[str, Any] = {"events": found, "searchedLogStreams": []}
        if more and after is not None:
            out["nextToken"] = names.encode(list(after))
        return out

    @_checked
    def start_live_tail(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"responseStream": self.tails.start(self.db, ctx, params)}

    # ---- metric filters -----------------------------------------------------------------

    @_checked
    def put_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        try:
            compile_pattern(params["filterPattern"])
        except PatternError:
            raise invalid("Invalid metric filter pattern") from None  # unverified: wording
        with self.store.transaction():
            self.db.put_metric_filter(
                ctx.account,
                ctx.region,
                group.name,
                params["filterName"],
                params["filterPattern"],
                params["metricTransformations"],
                bool(params.get("applyOnTransformedLogs")),
                self.now_ms(),
            )
        return {}

    @_checked
    def describe_metric_filters(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        grp = params.get("logGroupName")
        if grp is not None:
            self._group(ctx, grp)
        filters = self.db.metric_filters(ctx.account, ctx.region, grp)
        if params.get("filterNamePrefix"):
            filters = [f for f in filters if f["filterName"].startswith(params["filterNamePrefix"])]
        metric, namespace = params.get("metricName"), params.get("metricNamespace")
        if (metric is None) != (namespace is None):
            # unverified: wording
            raise invalid("metricName and metricNamespace must be specified together.")
        if metric is not None:
            filters = [
                f
                for f in filters
                if any(
                    t["metricName"] == metric and t["metricNamespace"] == namespace
                    for t in f["metricTransformations"]
                )
            ]
        page, token = self._page(
            filters, lambda f: f"{f['logGroupName']}:{f['filterName']}", params, params.get("limit") or 50
        )
        out: dict[str, Any] = {"metricFilters": page}
        if token:
            out["nextToken"] = token
        return out

    @_checked
    def delete_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        group = self._group(ctx, params["logGroupName"])
        with self.store.transaction():
            deleted = self.db.delete_metric_filter(ctx.account, ctx.region, group.name, params["filterName"])
        if not deleted:
            raise ServiceError(
                "ResourceNotFoundException", "The specified metric filter does not exist.", 400
            )
        return {}

    @_checked
    def test_metric_filter(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        try:
            match = compile_pattern(params["filterPattern"])
        except PatternError:
            raise invalid("Invalid metric filter pattern") from None  # unverified: wording
        matches = [
            {"eventNumber": i + 1, "eventMessage": message, "extractedValues": {}}
            for i, message in enumerate(params["logEventMessages"])
            if match(message)
        ]
        return {"matches": matches}


def _time_range(params: dict[str, Any]) -> tuple[int, int]:
    """``startTime`` (inclusive) and ``endTime`` (exclusive), within what the store holds."""
    start = min(max(int(params.get("startTime") or 0), 0), _END)
    end = params.get("endTime")
    return start, _END if end is None else min(max(int(end), 0), _END)


def _within_size(events: list[Any], from_end: bool) -> list[Any]:
    """The events that fit a 1 MB page, kept from the end read first."""
    total = 0
    ordered = reversed(events) if from_end else iter(events)
    kept = []
    for e in ordered:
        total += len(e.message.encode()) + EVENT_OVERHEAD
        if total > MAX_BATCH_BYTES and kept:
            break
        kept.append(e)
    return kept[::-1] if from_end else kept


def _event_id(ts: int, stream: str, seq: int) -> str:
    """A 56-digit event id, unique within the group (unverified: AWS's ids encode other parts)."""
    from zlib import crc32

    return f"{ts:020d}{crc32(stream.encode()):010d}{seq:026d}"


class _Sink:
    """The in-process LogSink (services/logs/interface.py)."""

    def __init__(self, provider: LogsProvider) -> None:
        self.provider = provider

    def store_batch(self, group: Group, stream: Stream, events: list[tuple[int, str]]) -> None:
        """Append accepted events (the caller holds the transaction) and move the retention due time."""
        db = self.provider.db
        now = self.provider.now_ms()
        if not events:
            db.touch_stream(group.account, group.region, group.name, stream.name)
            return
        db.append(group.account, group.region, group.name, stream, events, now)
        tails = self.provider.tails
        if tails.watching(group.account, group.region, group.name):  # pushed once committed
            key = (group.account, group.region, group.name, stream.name)
            self.provider.store.after_commit(lambda: tails.publish(*key, events, now))
        if group.retention:
            due = (events[0][0] + group.retention * DAY_MS) / 1000
            if group.expire_at is None or due < group.expire_at:
                db.set_group(group.account, group.region, group.name, expire_at=due)
                self.provider.store.after_commit(self.provider.retention.wake)

    def put(self, account: str, region: str, group: str, stream: str, events: list[tuple[int, str]]) -> int:
        db = self.provider.db
        batch = check_batch(
            [{"timestamp": ts, "message": msg} for ts, msg in sorted(events, key=lambda e: e[0])],
            self.provider.now_ms(),
            None,
        )
        with self.provider.store.transaction():
            g = db.group(account, region, group)
            if g is None:
                g = Group(
                    account, region, group, self.provider.now_ms(), None, None, "STANDARD", False, {}, 0
                )
                db.create_group(g)
            s = db.stream(account, region, group, stream)
            if s is None:
                db.create_stream(account, region, group, stream, self.provider.now_ms())
                s = db.stream(account, region, group, stream)
            assert s is not None
            accepted = batch.accepted
            if g.retention:
                cutoff = self.provider.now_ms() - g.retention * DAY_MS
                accepted = [e for e in accepted if e[0] >= cutoff]
            self.store_batch(g, s, accepted)
        return len(accepted)
