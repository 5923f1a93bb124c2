"""Lifecycle expiration on the service clock: current objects expire ``Days`` after they were
written (at the next midnight UTC, as S3 rounds it) or on a ``Date``.

Like DynamoDB's TTL sweeper, this is a timer source of the clock: it wakes at the earliest
expiry any enabled rule gives, deletes what is due (a delete marker in a versioned bucket,
with ``s3:LifecycleExpiration:*`` notifications) and sleeps again.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from datetime import datetime
from email.utils import formatdate
from typing import TYPE_CHECKING, Any

from cloudlet.core import ids
from cloudlet.core.due import DueWork
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3.errors import malformed_xml

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider
    from cloudlet.services.s3.store import Bucket, ObjectRow

DAY = 86400.0
BATCH = 200


def expiry_of(written: float, days: int) -> float:
    """When an object written at ``written`` expires after ``days``: the midnight UTC after."""
    return (math.floor((written + days * DAY) / DAY) + 1) * DAY


def _prefix(rule: dict[str, Any]) -> str:
    found = rule.get("Filter") or {}
    return found.get("Prefix") or (found.get("And") or {}).get("Prefix") or rule.get("Prefix") or ""


def _tags(rule: dict[str, Any]) -> list[dict[str, str]]:
    found = rule.get("Filter") or {}
    if found.get("Tag"):
        return [found["Tag"]]
    return (found.get("And") or {}).get("Tags") or []


def _date(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.timestamp()
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


_FILTER_KINDS = ("Prefix", "Tag", "And", "ObjectSizeGreaterThan", "ObjectSizeLessThan")


def check_rules(rules: list[dict[str, Any]]) -> None:
    """S3's checks of a lifecycle configuration ("test_put_bucket_lifecycle_conf_exc")."""
    if not rules:
        raise malformed_xml()
    ids = [r.get("ID") for r in rules if r.get("ID")]
    if len(set(ids)) != len(ids):
        raise ServiceError(
            "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule", 400
        )
    for rule in rules:
        if rule.get("Status") not in ("Enabled", "Disabled"):
            raise malformed_xml()
        found = rule.get("Filter")
        if found is None and "Prefix" not in rule:
            raise malformed_xml()  # a rule needs a Filter (or the legacy rule-level Prefix)
        if found is not None and sum(kind in found for kind in _FILTER_KINDS) > 1:
            raise malformed_xml()  # several conditions go inside And
        tags = _tags(rule)
        if len({t.get("Key") for t in tags}) != len(tags):
            raise ServiceError("InvalidRequest", "Duplicate Tag Keys are not allowed.", 400)
        expiration = rule.get("Expiration") or {}
        if "ExpiredObjectDeleteMarker" in expiration and expiration.keys() & {"Days", "Date"}:
            raise malformed_xml()
        when = _date(expiration.get("Date"))
        if when is not None and when % DAY:
            raise ServiceError(
                "InvalidArgument",
                "'Date' must be at midnight GMT",
                400,
                fields={"ArgumentName": "Date", "ArgumentValue": str(expiration["Date"])},
            )
        noncurrent = rule.get("NoncurrentVersionExpiration")
        if noncurrent is not None and noncurrent.get("NoncurrentDays") is None:
            raise malformed_xml()


def expiration_header(rules: list[dict[str, Any]], row: ObjectRow) -> str | None:
    """The ``x-amz-expiration`` of a current object version: the earliest expiry an enabled
    rule gives it (``expiry-date="<HTTP date>", rule-id="<ID>"``)."""
    best: tuple[float, str] | None = None
    for rule in rules:
        if rule.get("Status") != "Enabled" or not (rule.get("Expiration") or {}).keys() & {"Days", "Date"}:
            continue
        when = _expiry(rule, row)
        if when is not None and (best is None or when < best[0]):
            best = (when, rule.get("ID") or "")
    if best is None:
        return None
    return f'expiry-date="{formatdate(best[0], usegmt=True)}", rule-id="{best[1]}"'


class Lifecycle(DueWork):
    """Expires objects under the buckets' rules.

    :meth:`wake` it when a configuration changed, :meth:`noted` when an object was written
    or retagged. The next expiry is the earliest that an enabled rule gives an object it
    matches (prefix, tags and sizes): found once by a scan, then kept up to date."""

    def __init__(self, provider: S3Provider) -> None:
        super().__init__(provider.clock)
        self.provider = provider
        self._due: float | None = None
        self._known = False

    def wake(self) -> None:
        self._known = False
        super().wake()

    def noted(self, bucket: Bucket, row: ObjectRow) -> None:
        """``row`` was written or retagged: it may expire before what was due."""
        if self._known:
            for rule in _enabled(bucket):
                when = _expiry(rule, row)
                if when is not None and (self._due is None or when < self._due):
                    self._due = when
        super().wake()

    def _rules(self) -> list[tuple[Bucket, dict[str, Any]]]:
        return [
            (bucket, rule) for bucket in self.provider.db.lifecycle_buckets() for rule in _enabled(bucket)
        ]

    def _matching(self, bucket: Bucket, rule: dict[str, Any], before: float) -> Iterator[ObjectRow]:
        """The current objects ``rule`` applies to, written by ``before``, oldest first."""
        prefix, after = _prefix(rule), None
        while True:
            rows = self.provider.db.written_before(bucket, prefix, before, BATCH, after)
            for row in rows:
                if _applies(rule, row):
                    yield row
            if len(rows) < BATCH:
                return
            after = (rows[-1].modified, rows[-1].seq)

    def next_due(self) -> float | None:
        if not self._known:
            dues = []
            for bucket, rule in self._rules():
                first = next(self._matching(bucket, rule, math.inf), None)
                if first is not None and (when := _expiry(rule, first)) is not None:
                    dues.append(when)
            self._due, self._known = min(dues, default=None), True
        return self._due

    async def run_due(self) -> int:
        """Expire what is due under every enabled rule; how many objects expired."""
        now = self.provider.clock.now()
        expired = 0
        for bucket, rule in self._rules():
            expiration = rule["Expiration"]
            if expiration.get("Days") is not None:
                days = int(expiration["Days"])
                before = now - days * DAY
            else:
                when = _date(expiration.get("Date"))
                if when is None or when > now:
                    continue
                days, before = 0, now
            due: list[ObjectRow] = []
            for row in self._matching(bucket, rule, before):
                if days and expiry_of(row.modified, days) > now:
                    continue
                due.append(row)
                if len(due) == BATCH:
                    expired += self._expire(bucket, due)
                    due = []
                    await asyncio.sleep(0)
            if due:
                expired += self._expire(bucket, due)
        self._known = False
        return expired

    def _expire(self, bucket: Bucket, rows: list[ObjectRow]) -> int:
        provider = self.provider
        ctx = RequestContext(
            service="s3",
            operation="LifecycleExpiration",
            account=bucket.account,
            region=bucket.region,
            request_id=ids.request_id(),
        )
        freed: list[str] = []
        with provider.store.transaction():
            for row in rows:
                provider.delete_key(
                    ctx,
                    bucket,
                    row.key,
                    None,
                    freed,
                    events=("s3:LifecycleExpiration:Delete", "s3:LifecycleExpiration:DeleteMarkerCreated"),
                )
        for blob_id in freed:
            provider.blobs.delete(blob_id)
        return len(rows)


def _has_tags(row: ObjectRow, tags: list[dict[str, str]]) -> bool:
    have = {(t["Key"], t["Value"]) for t in row.meta.get("Tags") or []}
    return all((t["Key"], t["Value"]) in have for t in tags)


def _enabled(bucket: Bucket) -> list[dict[str, Any]]:
    """The bucket's enabled rules that expire current objects."""
    return [
        rule
        for rule in bucket.config.get("Lifecycle") or []
        if rule.get("Status") == "Enabled" and (rule.get("Expiration") or {}).keys() & {"Days", "Date"}
    ]


def _sizes(rule: dict[str, Any]) -> tuple[int | None, int | None]:
    found = rule.get("Filter") or {}
    scope = found.get("And") or found
    return scope.get("ObjectSizeGreaterThan"), scope.get("ObjectSizeLessThan")


def _applies(rule: dict[str, Any], row: ObjectRow) -> bool:
    """Whether ``rule``'s filter takes ``row`` (its prefix is checked by the query)."""
    if not _has_tags(row, _tags(rule)):
        return False
    greater, less = _sizes(rule)
    return (greater is None or row.size > int(greater)) and (less is None or row.size < int(less))


def _expiry(rule: dict[str, Any], row: ObjectRow) -> float | None:
    """When ``rule`` expires ``row`` (None: it does not apply to it)."""
    if (
        not row.latest
        or row.delete_marker
        or not row.key.startswith(_prefix(rule))
        or not _applies(rule, row)
    ):
        return None
    expiration = rule["Expiration"]
    if expiration.get("Days") is not None:
        return expiry_of(row.modified, int(expiration["Days"]))
    return _date(expiration.get("Date"))
