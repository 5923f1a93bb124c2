"""S3 Object Lock: a bucket's lock configuration, object versions' retention and legal hold,
and the deletes they refuse (the S3 provider mixes these in).

Where things live: a bucket's configuration in ``bucket.config["ObjectLock"]`` (as
GetObjectLockConfiguration answers it); a version's retention in ``row.meta["Retention"]``
(``{"Mode": ..., "RetainUntilDate": <epoch seconds>}``) and its legal hold in
``row.meta["LegalHold"]`` (``"ON"`` or ``"OFF"``), saved with the row as tags are. Times are the
Cloudlet clock's.

What S3 does (S3 user guide, "Locking objects with Object Lock", and the API reference of
CreateBucket, Put/GetObjectLockConfiguration, Put/GetObjectRetention, Put/GetObjectLegalHold,
PutObject, DeleteObject, DeleteObjects), with the answers recorded from S3 in
``test_s3_api.snapshot.json`` (``TestS3ObjectLock``) and ``test_s3.snapshot.json``
(``TestS3ObjectLockRetention``, ``TestS3ObjectLockLegalHold``):

- CreateBucket with ``x-amz-bucket-object-lock-enabled: true`` enables versioning at once. On an
  existing bucket, PutObjectLockConfiguration needs versioning ``Enabled`` (InvalidBucketState);
  once a bucket has Object Lock its versioning cannot be suspended. Object Lock cannot be turned off.
- A default retention (``Rule.DefaultRetention``: a mode and ``Days`` or ``Years``) gives every
  new version that asks for no retention of its own one that ends that long after it was written.
  A year is taken as 365 days (the user guide equates the 100-year maximum with 36,500 days).
- A version under retention (until its retain-until date) or under legal hold cannot be deleted
  by version id: COMPLIANCE never, GOVERNANCE only with ``x-amz-bypass-governance-retention:
  true``, a legal hold until it is lifted. A delete without a version id only adds a delete
  marker, as in any versioned bucket; lifecycle expiration does the same, so it never removes a
  locked version (lock buckets are always versioned).
- PutObjectRetention may keep or extend a retention of the same mode freely; anything else
  while it is in force (shortening, removing it with an empty ``Retention``, changing its mode)
  needs the bypass header for GOVERNANCE and is refused for COMPLIANCE. Whether S3 lets a
  GOVERNANCE retention become COMPLIANCE without the header is not recorded; here it needs it.
- A copy does not take its source's retention or legal hold (recorded:
  ``test_s3_copy_object_retention_lock``, ``test_s3_copy_object_legal_hold``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3.errors import invalid_argument, malformed_xml

if TYPE_CHECKING:
    from cloudlet.services.s3.provider import S3Provider
    from cloudlet.services.s3.store import Bucket, ObjectRow

CONFIG_KEY = "ObjectLock"  # bucket.config
RETENTION = "Retention"  # row.meta
LEGAL_HOLD = "LegalHold"  # row.meta
MODES = ("GOVERNANCE", "COMPLIANCE")
HOLD_STATUSES = ("ON", "OFF")
DAY = 86400.0
YEAR_DAYS = 365

BYPASS_HEADER = "x-amz-bypass-governance-retention"
MODE_HEADER = "x-amz-object-lock-mode"
UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
HOLD_HEADER = "x-amz-object-lock-legal-hold"


# ---- errors -------------------------------------------------------------------------------


def protected_by_lock() -> ServiceError:
    # recorded: delete-obj-locked, delete-objects-locked, update-retention-locked-object, ...
    return ServiceError("AccessDenied", "Access Denied because object protected by object lock.", 403)


def missing_lock_configuration() -> ServiceError:
    """Retention and legal-hold operations on a bucket without Object Lock (recorded:
    put-object-retention-regular-bucket, get-object-retention-regular-bucket)."""
    return ServiceError("InvalidRequest", "Bucket is missing Object Lock Configuration", 400)


def missing_lock_configuration_on_write() -> ServiceError:
    """Object Lock headers on PutObject, CopyObject or CreateMultipartUpload to a bucket without
    Object Lock: S3 words it without spaces there."""
    # message unverified (not recorded; S3's answer as quoted in versity/versitygw issue 1751)
    return ServiceError("InvalidRequest", "Bucket is missing ObjectLockConfiguration", 400)


def no_object_lock_configuration() -> ServiceError:
    # recorded: get-object-retention-never-set, get-legal-hold-unset
    return ServiceError(
        "NoSuchObjectLockConfiguration", "The specified object does not have a ObjectLock configuration", 404
    )


def _invalid_bucket_state(message: str) -> ServiceError:
    return ServiceError("InvalidBucketState", message, 409)


def java_date(epoch: float) -> str:
    """A time as S3 echoes a refused retain-until date: Java's ``Date.toString()`` in US
    Pacific time (recorded: ``Tue Dec 31 16:00:00 PST 2019`` for 2020-01-01T00:00:00Z)."""
    moment = datetime.fromtimestamp(epoch, UTC)
    try:
        moment = moment.astimezone(ZoneInfo("America/Los_Angeles"))
    except ZoneInfoNotFoundError:  # no time zone database: say it in GMT
        pass
    return moment.strftime("%a %b %d %H:%M:%S %Z %Y").replace(" UTC ", " GMT ")


def _epoch(value: Any) -> float:
    return value.timestamp() if isinstance(value, datetime) else float(value)


# ---- configuration ------------------------------------------------------------------------


def lock_enabled(bucket: Bucket) -> bool:
    return (bucket.config.get(CONFIG_KEY) or {}).get("ObjectLockEnabled") == "Enabled"


def check_configuration(config: dict[str, Any] | None) -> dict[str, Any]:
    """An ObjectLockConfiguration as it is kept, or S3's error for it.

    Recorded (``test_put_object_lock_configuration_exc``): MalformedXML for a configuration
    without ``ObjectLockEnabled: Enabled``, an empty one, an empty ``Rule`` or
    ``DefaultRetention``, a retention without Days or Years, an unknown mode, or both Days and
    Years. A period that is not positive is InvalidArgument.
    """
    if not config or config.get("ObjectLockEnabled") != "Enabled":
        raise malformed_xml()
    kept: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
    if "Rule" not in config:
        return kept
    retention = (config.get("Rule") or {}).get("DefaultRetention") or {}
    periods = [name for name in ("Days", "Years") if retention.get(name) is not None]
    if retention.get("Mode") not in MODES or len(periods) != 1:
        raise malformed_xml()
    period = periods[0]
    if retention[period] <= 0:
        raise invalid_argument(
            # message unverified for Years (S3's answer for Days as quoted in versity/versitygw issue 1738)
            "Default retention period must be a positive integer value.",
            period,
        )
    kept["Rule"] = {"DefaultRetention": {"Mode": retention["Mode"], period: retention[period]}}
    return kept


def default_retention(bucket: Bucket, written: float) -> dict[str, Any] | None:
    """The retention the bucket's default rule gives a version written at ``written``."""
    rule = ((bucket.config.get(CONFIG_KEY) or {}).get("Rule") or {}).get("DefaultRetention")
    if not rule:
        return None
    days = rule["Days"] if rule.get("Days") is not None else rule["Years"] * YEAR_DAYS
    return {"Mode": rule["Mode"], "RetainUntilDate": written + days * DAY}


# ---- what a version's lock allows ---------------------------------------------------------


def in_force(retention: dict[str, Any] | None, now: float) -> dict[str, Any] | None:
    """The retention if it protects its version at ``now`` (its retain-until date is later)."""
    return retention if retention and retention["RetainUntilDate"] > now else None


def deletable(meta: dict[str, Any], now: float, bypass: bool) -> bool:
    """Whether a version with this metadata may be deleted (by version id) now."""
    if meta.get(LEGAL_HOLD) == "ON":
        return False
    retention = in_force(meta.get(RETENTION), now)
    return retention is None or (retention["Mode"] == "GOVERNANCE" and bypass)


def may_replace(current: dict[str, Any] | None, new: dict[str, Any] | None, now: float, bypass: bool) -> bool:
    """Whether PutObjectRetention may replace retention ``current`` with ``new`` (None: remove)."""
    current = in_force(current, now)
    if current is None:
        return True
    if (
        new is not None
        and new["Mode"] == current["Mode"]
        and new["RetainUntilDate"] >= current["RetainUntilDate"]
    ):
        return True  # kept or extended
    return current["Mode"] == "GOVERNANCE" and bypass


def lock_answer(meta: dict[str, Any]) -> dict[str, Any]:
    """The Object Lock members of GetObject / HeadObject for a version."""
    out: dict[str, Any] = {}
    retention = meta.get(RETENTION)
    if retention:
        out["ObjectLockMode"] = retention["Mode"]
        out["ObjectLockRetainUntilDate"] = retention["RetainUntilDate"]
    if meta.get(LEGAL_HOLD):
        out["ObjectLockLegalHoldStatus"] = meta[LEGAL_HOLD]
    return out


def requested_lock(params: dict[str, Any], now: float) -> tuple[dict[str, Any] | None, str | None]:
    """(retention, legal hold) that PutObject / CopyObject / CreateMultipartUpload headers ask for.

    Recorded (``test_s3_object_lock_mode_validation``, ``test_bucket_config_default_retention``):
    a mode without a date or a date without a mode is InvalidArgument naming the missing header;
    an unknown mode is "Unknown wormMode directive.".
    """
    mode, until = params.get("ObjectLockMode"), params.get("ObjectLockRetainUntilDate")
    hold = params.get("ObjectLockLegalHoldStatus")
    both = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
    if mode is not None and until is None:
        raise invalid_argument(both, UNTIL_HEADER)
    if until is not None and mode is None:
        raise invalid_argument(both, MODE_HEADER)
    if mode is not None and mode not in MODES:
        raise invalid_argument("Unknown wormMode directive.", MODE_HEADER, mode)
    if hold is not None and hold not in HOLD_STATUSES:
        # message unverified (not recorded; S3's answer as quoted in versity/versitygw issue 1775)
        raise invalid_argument("Legal Hold must be either of 'ON' or 'OFF'", HOLD_HEADER, hold)
    retention = None
    if mode is not None:
        retention = {"Mode": mode, "RetainUntilDate": _epoch(until)}
        if retention["RetainUntilDate"] <= now:
            # message unverified for these headers (recorded for PutObjectRetention)
            raise invalid_argument(
                "The retain until date must be in the future!",
                UNTIL_HEADER,
                java_date(retention["RetainUntilDate"]),
            )
    return retention, hold


class ObjectLock:
    """Object Lock operations and the hooks the object and bucket writes call."""

    # -- hooks --

    def create_bucket_lock(self: S3Provider, bucket: Bucket, params: dict[str, Any]) -> None:
        """CreateBucket with ``ObjectLockEnabledForBucket``: Object Lock on, versioning enabled
        (in CreateBucket's transaction)."""
        if params.get("ObjectLockEnabledForBucket"):
            bucket.config[CONFIG_KEY] = {"ObjectLockEnabled": "Enabled"}
            bucket.versioning = "Enabled"
            self.db.save_bucket(bucket)

    def check_versioning_change(self: S3Provider, bucket: Bucket, status: str) -> None:
        """PutBucketVersioning: a bucket with Object Lock stays Enabled (recorded:
        test_disable_versioning_on_locked_bucket)."""
        if status != "Enabled" and lock_enabled(bucket):
            raise _invalid_bucket_state(
                "An Object Lock configuration is present on this bucket, so the versioning state cannot be "
                "changed."
            )

    def set_write_lock(
        self: S3Provider, meta: dict[str, Any], bucket: Bucket, params: dict[str, Any]
    ) -> None:
        """Give a new object (PutObject, CopyObject, CreateMultipartUpload) the retention and
        legal hold its headers ask for; a copy does not take its source's."""
        meta.pop(RETENTION, None)
        meta.pop(LEGAL_HOLD, None)
        if not any(params.get(name) is not None for name in _LOCK_PARAMS):
            return
        retention, hold = requested_lock(params, self.clock.now())
        if not lock_enabled(bucket):
            raise missing_lock_configuration_on_write()
        if retention is not None:
            meta[RETENTION] = retention
        if hold is not None:
            meta[LEGAL_HOLD] = hold

    def apply_default_retention(self: S3Provider, bucket: Bucket, row: ObjectRow) -> None:
        """A new version that asks for no retention gets the bucket's default, from when it is written."""
        if not row.delete_marker and RETENTION not in row.meta:
            retention = default_retention(bucket, row.modified)
            if retention is not None:
                row.meta[RETENTION] = retention

    def lock_bypass(self: S3Provider, bucket: Bucket, params: dict[str, Any]) -> bool:
        """Whether a delete asks to bypass GOVERNANCE retention; the header is refused on a
        bucket without Object Lock, whatever its value (recorded: test_delete_object_with_no_locking)."""
        bypass = params.get("BypassGovernanceRetention")
        if bypass is not None and not lock_enabled(bucket):
            raise invalid_argument(
                "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
                BYPASS_HEADER,
            )
        return bool(bypass)

    def check_deletable(
        self: S3Provider, bucket: Bucket, key: str, version_id: str | None, bypass: bool
    ) -> None:
        """Refuse deleting a version that its retention or legal hold protects."""
        if not version_id or not lock_enabled(bucket):
            return
        row = self.db.version(bucket, key, version_id)
        if row is not None and not row.delete_marker and not deletable(row.meta, self.clock.now(), bypass):
            raise protected_by_lock()

    def check_delete(
        self: S3Provider, bucket: Bucket, key: str, version_id: str | None, params: dict[str, Any]
    ) -> None:
        """DeleteObject's Object Lock checks."""
        self.check_deletable(bucket, key, version_id, self.lock_bypass(bucket, params))

    # -- bucket configuration --

    def put_object_lock_configuration(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = check_configuration(params.get("ObjectLockConfiguration"))
        if not lock_enabled(bucket) and bucket.versioning != "Enabled":
            # recorded: put-object-lock-existing-bucket-no-versioning, ...-versioning-disabled
            raise _invalid_bucket_state(
                "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration"
            )
        self._store(bucket, CONFIG_KEY, config)
        return {}

    def get_object_lock_configuration(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = bucket.config.get(CONFIG_KEY)
        if not config:
            raise ServiceError(
                "ObjectLockConfigurationNotFoundError",
                "Object Lock configuration does not exist for this bucket",
                404,
                fields={"BucketName": bucket.name},
            )
        return {"ObjectLockConfiguration": config}

    # -- retention --

    def _lock_bucket(self: S3Provider, params: dict[str, Any]) -> Bucket:
        """The bucket a retention or legal-hold request names, which must have Object Lock."""
        bucket = self.bucket(params["Bucket"])
        if not lock_enabled(bucket):
            raise missing_lock_configuration()
        return bucket

    def _locked_version(self: S3Provider, bucket: Bucket, params: dict[str, Any], method: str) -> ObjectRow:
        """The version a retention or legal-hold request names. A PUT without a version id on a
        key whose current version is a delete marker is refused as a method on that marker, as
        PutObjectAcl is (recorded for retention by version id: put-object-retention-delete-marker)."""
        version_id = params.get("VersionId")
        if not version_id and method == "PUT":
            current = self.db.current(bucket, params["Key"])
            if current is not None and current.delete_marker:
                version_id = current.version_id
        return self._object(bucket, params["Key"], version_id, method)

    def put_object_retention(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self._lock_bucket(params)
        asked = params.get("Retention")
        if asked is None:
            raise malformed_xml()
        now = self.clock.now()
        new = None
        if asked:  # an empty Retention removes the version's retention
            if asked.get("Mode") not in MODES or asked.get("RetainUntilDate") is None:
                raise malformed_xml()  # recorded: put-object-missing-retention-fields, update-retention-bad-value
            new = {"Mode": asked["Mode"], "RetainUntilDate": _epoch(asked["RetainUntilDate"])}
            if new["RetainUntilDate"] <= now:  # recorded: update-retention-past-date
                raise invalid_argument(
                    "The retain until date must be in the future!",
                    "RetainUntilDate",
                    java_date(new["RetainUntilDate"]),
                )
        row = self._locked_version(bucket, params, "PUT")
        if not may_replace(row.meta.get(RETENTION), new, now, bool(params.get("BypassGovernanceRetention"))):
            raise protected_by_lock()
        if new is None:
            row.meta.pop(RETENTION, None)
        else:
            row.meta[RETENTION] = new
        with self.store.transaction():
            self.db.update_meta(row)
        return {}

    def get_object_retention(self: S3Provider, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        row = self._locked_version(self._lock_bucket(params), params, "GET")
        retention = row.meta.get(RETENTION)
        if not retention:
            raise no_object_lock_configuration()
        return {"Retention": dict(retention)}

    # -- legal hold --

    def put_object_legal_hold(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self._lock_bucket(params)
        status = (params.get("LegalHold") or {}).get("Status")
        if status not in HOLD_STATUSES:
            raise malformed_xml()  # recorded for an empty LegalHold: put-object-retention-empty
        row = self._locked_version(bucket, params, "PUT")
        row.meta[LEGAL_HOLD] = status
        with self.store.transaction():
            self.db.update_meta(row)
        return {}

    def get_object_legal_hold(
        self: S3Provider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        row = self._locked_version(self._lock_bucket(params), params, "GET")
        status = row.meta.get(LEGAL_HOLD)
        if not status:
            raise no_object_lock_configuration()
        return {"LegalHold": {"Status": status}}


_LOCK_PARAMS = ("ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus")
