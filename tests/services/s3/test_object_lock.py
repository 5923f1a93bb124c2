"""S3 Object Lock: bucket configurations, default retention, object retention and legal hold,
the deletes they refuse, and their errors.

Recorded scenarios behind the assertions are named in each test: ``TestS3ObjectLock`` in
``aws-reference/s3/test_s3_api.snapshot.json`` and ``TestS3ObjectLockRetention`` /
``TestS3ObjectLockLegalHold`` in ``test_s3.snapshot.json``. The rest comes from the S3 user guide
("Locking objects with Object Lock") and the API reference; errors whose message neither
confirms are checked by code and status (``# message unverified``).

Retain-until dates are set from the server's clock (``server_now``), which other tests may have
moved far ahead of the machine's; expiry is reached by advancing that clock.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import (
    MALFORMED_XML,
    MIN_PART,
    NO_SUCH_BUCKET,
    NO_SUCH_KEY,
    code_of,
    error_fields,
    error_of,
    server_now,
    unique_name,
)

PROTECTED = ("AccessDenied", "Access Denied because object protected by object lock.", 403)
NO_LOCK_CONFIG = ("InvalidRequest", "Bucket is missing Object Lock Configuration", 400)
NO_OBJECT_LOCK = (
    "NoSuchObjectLockConfiguration",
    "The specified object does not have a ObjectLock configuration",
    404,
)
BOTH_HEADERS = "x-amz-object-lock-retain-until-date and x-amz-object-lock-mode must both be supplied"
MALFORMED = ("MalformedXML", MALFORMED_XML, 400)
VERSIONING_NEEDED = (
    "InvalidBucketState",
    "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
    409,
)
BYPASS_NOT_APPLICABLE = (
    "InvalidArgument",
    "x-amz-bypass-governance-retention is only applicable to Object Lock enabled buckets.",
    400,
)


def release(s3, bucket: str) -> None:
    """Lift every legal hold and delete every version GOVERNANCE lets go (with the bypass
    header), so the bucket factory can delete the bucket; COMPLIANCE-locked ones stay."""
    versions = s3.list_object_versions(Bucket=bucket)
    for version in versions.get("Versions", []):
        try:
            hold = s3.get_object_legal_hold(Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"])
        except ClientError:
            continue
        if hold["LegalHold"]["Status"] == "ON":
            s3.put_object_legal_hold(
                Bucket=bucket, Key=version["Key"], VersionId=version["VersionId"], LegalHold={"Status": "OFF"}
            )
    doomed = [
        {"Key": v["Key"], "VersionId": v["VersionId"]}
        for v in versions.get("Versions", []) + versions.get("DeleteMarkers", [])
    ]
    if doomed:
        s3.delete_objects(
            Bucket=bucket, Delete={"Objects": doomed, "Quiet": True}, BypassGovernanceRetention=True
        )


@pytest.fixture
def lock_bucket(make_bucket, s3):
    """A bucket created with Object Lock enabled (no default retention)."""
    name = make_bucket("lock", ObjectLockEnabledForBucket=True)
    yield name
    release(s3, name)


def later(cloudlet, **delta: float) -> datetime:
    """A time ahead of the server's clock, whole seconds (as HTTP dates carry them)."""
    return (server_now(cloudlet) + timedelta(**delta)).replace(microsecond=0)


# --------------------------------------------------------------------------- bucket configuration


def test_create_bucket_with_object_lock_enables_versioning(s3, lock_bucket):
    # test_get_put_object_lock_configuration: get-lock-config-start; CreateBucket API reference
    assert s3.get_bucket_versioning(Bucket=lock_bucket)["Status"] == "Enabled"
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)
    assert got["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}


def test_put_and_get_object_lock_configuration(s3, lock_bucket):
    # test_get_put_object_lock_configuration: put-lock-config, get-lock-config,
    # put-lock-config-enabled, get-lock-config-only-enabled
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    s3.put_object_lock_configuration(
        Bucket=lock_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled", "Rule": rule}
    years = {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 2}}
    s3.put_object_lock_configuration(
        Bucket=lock_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": years}
    )
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled", "Rule": years}
    s3.put_object_lock_configuration(
        Bucket=lock_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
    )
    got = s3.get_object_lock_configuration(Bucket=lock_bucket)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled"}


def test_put_object_lock_configuration_errors(s3_raw, lock_bucket):
    # test_put_object_lock_configuration_exc: every case is MalformedXML
    cases = {
        "no-enabled": {"Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}},
        "empty": {},
        "empty-rule": {"ObjectLockEnabled": "Enabled", "Rule": {}},
        "empty-retention": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {}}},
        "no-days": {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE"}}},
        "bad-mode": {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "BAD", "Days": 1}},
        },
        "both-days-years": {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}},
        },
        "disabled": {"ObjectLockEnabled": "Disabled"},
    }
    for name, config in cases.items():
        with pytest.raises(ClientError) as exc:
            s3_raw.put_object_lock_configuration(Bucket=lock_bucket, ObjectLockConfiguration=config)
        assert error_of(exc) == MALFORMED, name
    # a period that is not positive (S3's answer quoted in versity/versitygw issue 1738)
    for period in ("Days", "Years"):
        config = {
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", period: 0}},
        }
        with pytest.raises(ClientError) as exc:
            s3_raw.put_object_lock_configuration(Bucket=lock_bucket, ObjectLockConfiguration=config)
        assert code_of(exc) == ("InvalidArgument", 400)  # message unverified
        assert error_fields(exc)["ArgumentName"] == period
    # nothing was stored
    got = s3_raw.get_object_lock_configuration(Bucket=lock_bucket)["ObjectLockConfiguration"]
    assert got == {"ObjectLockEnabled": "Enabled"}


def test_get_object_lock_configuration_errors(s3, bucket):
    # test_get_object_lock_configuration_exc
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=bucket)
    assert error_of(exc) == (
        "ObjectLockConfigurationNotFoundError",
        "Object Lock configuration does not exist for this bucket",
        404,
    )
    assert error_fields(exc)["BucketName"] == bucket
    missing = unique_name("gone")
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=missing)
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == missing


def test_object_lock_on_an_existing_bucket_needs_versioning(s3, make_bucket):
    # test_put_object_lock_configuration_on_existing_bucket
    name = make_bucket("late")
    enabled = {"ObjectLockEnabled": "Enabled"}
    with pytest.raises(ClientError) as exc:
        s3.get_object_lock_configuration(Bucket=name)
    assert error_fields(exc)["Code"] == "ObjectLockConfigurationNotFoundError"
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=enabled)
    assert error_of(exc) == VERSIONING_NEEDED
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    with pytest.raises(ClientError) as exc:
        s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=enabled)
    assert error_of(exc) == VERSIONING_NEEDED
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object_lock_configuration(Bucket=name, ObjectLockConfiguration=enabled)
    assert s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"] == enabled
    # from now on versioning stays enabled
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    assert error_fields(exc)["Code"] == "InvalidBucketState"


def test_versioning_cannot_be_suspended_on_a_locked_bucket(s3, lock_bucket):
    # test_disable_versioning_on_locked_bucket
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=lock_bucket, VersioningConfiguration={"Status": "Suspended"})
    assert error_of(exc) == (
        "InvalidBucketState",
        "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        409,
    )
    s3.put_bucket_versioning(Bucket=lock_bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=lock_bucket)["Status"] == "Enabled"


def test_bypass_header_is_refused_without_object_lock(s3, versioned_bucket):
    # test_delete_object_with_no_locking: the header's value does not matter
    version = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x")["VersionId"]
    for bypass in (True, False):
        with pytest.raises(ClientError) as exc:
            s3.delete_object(
                Bucket=versioned_bucket, Key="k", VersionId=version, BypassGovernanceRetention=bypass
            )
        assert error_of(exc) == BYPASS_NOT_APPLICABLE
        assert error_fields(exc)["ArgumentName"] == "x-amz-bypass-governance-retention"
    with pytest.raises(ClientError) as exc:
        s3.delete_objects(
            Bucket=versioned_bucket,
            Delete={"Objects": [{"Key": "k", "VersionId": version}]},
            BypassGovernanceRetention=True,
        )
    assert error_of(exc) == BYPASS_NOT_APPLICABLE
    assert s3.head_object(Bucket=versioned_bucket, Key="k", VersionId=version)["ContentLength"] == 1


# --------------------------------------------------------------------------- default retention


def test_default_retention_applies_to_new_versions(s3, lock_bucket, cloudlet):
    # test_bucket_config_default_retention: put-object-default, head-object-default,
    # put-object-with-lock, head-object-with-lock
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}
    s3.put_object_lock_configuration(
        Bucket=lock_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    version = s3.put_object(Bucket=lock_bucket, Key="default", Body=b"default retention")["VersionId"]
    head = s3.head_object(Bucket=lock_bucket, Key="default")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    # retain until = written + 1 day (LastModified is whole seconds)
    span = head["ObjectLockRetainUntilDate"] - head["LastModified"]
    assert timedelta(days=1) <= span < timedelta(days=1, seconds=1)
    retention = s3.get_object_retention(Bucket=lock_bucket, Key="default", VersionId=version)["Retention"]
    assert retention == {"Mode": "GOVERNANCE", "RetainUntilDate": head["ObjectLockRetainUntilDate"]}

    # explicit headers win over the default
    until = later(cloudlet, days=10)
    s3.put_object(
        Bucket=lock_bucket,
        Key="explicit",
        Body=b"explicit retention!!",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )
    head = s3.head_object(Bucket=lock_bucket, Key="explicit")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", until)

    # a mode without a date: put-object-with-lock-no-date
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=lock_bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE")
    assert error_of(exc) == ("InvalidArgument", BOTH_HEADERS, 400)
    assert error_fields(exc)["ArgumentName"] == "x-amz-object-lock-retain-until-date"


def test_default_retention_in_years_and_for_copies_and_uploads(s3, lock_bucket):
    # S3 user guide, "Bucket configuration": the default applies to every new object version;
    # a year is 365 days (the maximum, 100 years, is given as 36,500 days)
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Years": 1}}
    s3.put_object_lock_configuration(
        Bucket=lock_bucket, ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
    )
    s3.put_object(Bucket=lock_bucket, Key="src", Body=b"x")
    s3.copy_object(Bucket=lock_bucket, Key="copy", CopySource={"Bucket": lock_bucket, "Key": "src"})
    upload = s3.create_multipart_upload(Bucket=lock_bucket, Key="mpu")["UploadId"]
    etag = s3.upload_part(Bucket=lock_bucket, Key="mpu", UploadId=upload, PartNumber=1, Body=b"p")["ETag"]
    s3.complete_multipart_upload(
        Bucket=lock_bucket,
        Key="mpu",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    for key in ("src", "copy", "mpu"):
        head = s3.head_object(Bucket=lock_bucket, Key=key)
        assert head["ObjectLockMode"] == "GOVERNANCE", key
        span = head["ObjectLockRetainUntilDate"] - head["LastModified"]
        assert timedelta(days=365) <= span < timedelta(days=365, seconds=1), key


# --------------------------------------------------------------------------- object lock headers


def test_object_lock_header_validation(s3_raw, lock_bucket, cloudlet):
    # test_s3_object_lock_mode_validation
    until = later(cloudlet, hours=1)
    with pytest.raises(ClientError) as exc:
        s3_raw.put_object(Bucket=lock_bucket, Key="k", Body=b"x", ObjectLockMode="GOVERNANCE")
    assert error_of(exc) == ("InvalidArgument", BOTH_HEADERS, 400)
    assert error_fields(exc)["ArgumentName"] == "x-amz-object-lock-retain-until-date"
    with pytest.raises(ClientError) as exc:
        s3_raw.put_object(Bucket=lock_bucket, Key="k", Body=b"x", ObjectLockRetainUntilDate=until)
    assert error_of(exc) == ("InvalidArgument", BOTH_HEADERS, 400)
    assert error_fields(exc)["ArgumentName"] == "x-amz-object-lock-mode"
    bad = {"ObjectLockMode": "BAD-VALUE", "ObjectLockRetainUntilDate": until}
    with pytest.raises(ClientError) as exc:
        s3_raw.put_object(Bucket=lock_bucket, Key="k", Body=b"x", **bad)
    assert error_of(exc) == ("InvalidArgument", "Unknown wormMode directive.", 400)
    assert error_fields(exc)["ArgumentName"] == "x-amz-object-lock-mode"
    assert error_fields(exc)["ArgumentValue"] == "BAD-VALUE"
    with pytest.raises(ClientError) as exc:
        s3_raw.create_multipart_upload(Bucket=lock_bucket, Key="k", **bad)
    assert error_of(exc) == ("InvalidArgument", "Unknown wormMode directive.", 400)
    assert error_fields(exc)["ArgumentValue"] == "BAD-VALUE"

    # not recorded: a legal hold other than ON/OFF, a date already past
    with pytest.raises(ClientError) as exc:
        s3_raw.put_object(Bucket=lock_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="MAYBE")
    assert code_of(exc) == ("InvalidArgument", 400)  # message unverified
    assert error_fields(exc)["ArgumentName"] == "x-amz-object-lock-legal-hold"
    with pytest.raises(ClientError) as exc:
        s3_raw.put_object(
            Bucket=lock_bucket,
            Key="k",
            Body=b"x",
            ObjectLockMode="GOVERNANCE",
            ObjectLockRetainUntilDate=datetime(2020, 1, 1, tzinfo=UTC),
        )
    assert code_of(exc) == ("InvalidArgument", 400)  # message unverified
    assert "Versions" not in s3_raw.list_object_versions(Bucket=lock_bucket)


def test_object_lock_headers_need_a_lock_bucket(s3, versioned_bucket, cloudlet):
    # S3 answers InvalidRequest (its wording here as quoted in versity/versitygw issue 1751)
    lock = {"ObjectLockMode": "GOVERNANCE", "ObjectLockRetainUntilDate": later(cloudlet, hours=1)}
    s3.put_object(Bucket=versioned_bucket, Key="src", Body=b"x")
    calls = [
        lambda: s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x", **lock),
        lambda: s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON"),
        lambda: s3.copy_object(
            Bucket=versioned_bucket, Key="k", CopySource={"Bucket": versioned_bucket, "Key": "src"}, **lock
        ),
        lambda: s3.create_multipart_upload(Bucket=versioned_bucket, Key="k", **lock),
    ]
    for call in calls:
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == ("InvalidRequest", 400)  # message unverified
    assert s3.list_objects_v2(Bucket=versioned_bucket)["KeyCount"] == 1
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=versioned_bucket)


def test_multipart_upload_takes_its_creation_headers(s3, lock_bucket, cloudlet):
    # CreateMultipartUpload API reference: the Object Lock headers apply to the completed object
    until = later(cloudlet, days=3)
    upload = s3.create_multipart_upload(
        Bucket=lock_bucket,
        Key="mpu",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )["UploadId"]
    parts = []
    for number, body in ((1, b"a" * MIN_PART), (2, b"b")):
        etag = s3.upload_part(Bucket=lock_bucket, Key="mpu", UploadId=upload, PartNumber=number, Body=body)[
            "ETag"
        ]
        parts.append({"PartNumber": number, "ETag": etag})
    done = s3.complete_multipart_upload(
        Bucket=lock_bucket, Key="mpu", UploadId=upload, MultipartUpload={"Parts": parts}
    )
    head = s3.head_object(Bucket=lock_bucket, Key="mpu")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert head["ObjectLockRetainUntilDate"] == until
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as exc:
        s3.delete_object(
            Bucket=lock_bucket, Key="mpu", VersionId=done["VersionId"], BypassGovernanceRetention=True
        )
    assert error_of(exc) == PROTECTED  # the legal hold


# --------------------------------------------------------------------------- retention


def test_governance_retention(s3, lock_bucket, cloudlet):
    # test_s3_object_retention: put-object-retention-on-key-1, get-object-retention-on-key-1,
    # head-object-locked, delete-obj-locked, delete-obj-locked-bypass
    version = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"test")["VersionId"]
    until = later(cloudlet, minutes=10)
    s3.put_object_retention(
        Bucket=lock_bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
    )
    got = s3.get_object_retention(Bucket=lock_bucket, Key="k")
    assert got["Retention"] == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    head = s3.head_object(Bucket=lock_bucket, Key="k")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("GOVERNANCE", until)
    assert "ObjectLockLegalHoldStatus" not in head
    get = s3.get_object(Bucket=lock_bucket, Key="k", VersionId=version)
    assert (get["ObjectLockMode"], get["ObjectLockRetainUntilDate"]) == ("GOVERNANCE", until)

    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version)
    assert error_of(exc) == PROTECTED
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version, BypassGovernanceRetention=False)
    assert error_of(exc) == PROTECTED
    # without a version id: only a delete marker (test_s3_object_retention_compliance_mode: put-delete-marker)
    marker = s3.delete_object(Bucket=lock_bucket, Key="k")
    assert marker["DeleteMarker"] is True
    assert s3.get_object(Bucket=lock_bucket, Key="k", VersionId=version)["Body"].read() == b"test"
    deleted = s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert deleted["VersionId"] == version
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_governance_retention_changes(s3, lock_bucket, cloudlet):
    # test_object_lock_extend_duration (extend without the header, reduce refused);
    # test_s3_object_retention: update-retention-locked-object, put-object-empty-retention,
    # update-retention-object
    version = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"x")["VersionId"]
    until = later(cloudlet, hours=1)

    def put(retention, **kwargs):
        return s3.put_object_retention(
            Bucket=lock_bucket, Key="k", VersionId=version, Retention=retention, **kwargs
        )

    put({"Mode": "GOVERNANCE", "RetainUntilDate": until})
    put({"Mode": "GOVERNANCE", "RetainUntilDate": until})  # unchanged
    extended = until + timedelta(hours=1)
    put({"Mode": "GOVERNANCE", "RetainUntilDate": extended})
    head = s3.head_object(Bucket=lock_bucket, Key="k")
    assert head["ObjectLockRetainUntilDate"] == extended
    for retention in ({"Mode": "GOVERNANCE", "RetainUntilDate": until}, {}):
        with pytest.raises(ClientError) as exc:
            put(retention)
        assert error_of(exc) == PROTECTED
    put({"Mode": "GOVERNANCE", "RetainUntilDate": until}, BypassGovernanceRetention=True)
    assert s3.head_object(Bucket=lock_bucket, Key="k")["ObjectLockRetainUntilDate"] == until
    # an empty Retention removes it (with the header while it is in force)
    put({}, BypassGovernanceRetention=True)
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=lock_bucket, Key="k")
    assert error_of(exc) == NO_OBJECT_LOCK
    assert "ObjectLockMode" not in s3.head_object(Bucket=lock_bucket, Key="k")
    put({"Mode": "GOVERNANCE", "RetainUntilDate": until})  # and it can be set again


def test_compliance_retention(s3, lock_bucket, cloudlet):
    # test_s3_object_retention_compliance_mode
    version = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"test")["VersionId"]
    until = later(cloudlet, seconds=30)
    s3.put_object_retention(
        Bucket=lock_bucket, Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until}
    )
    with pytest.raises(ClientError) as exc:  # delete-locked-1
        s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version, BypassGovernanceRetention=True)
    assert error_of(exc) == PROTECTED
    assert s3.delete_object(Bucket=lock_bucket, Key="k")["DeleteMarker"] is True  # put-delete-marker
    with pytest.raises(ClientError) as exc:  # delete-locked-2
        s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version)
    assert error_of(exc) == PROTECTED
    changes = [
        {
            "Mode": "COMPLIANCE",
            "RetainUntilDate": until - timedelta(seconds=10),
        },  # update-retention-shortened
        {"Mode": "GOVERNANCE", "RetainUntilDate": until},  # update-retention-less-restrictive
        {},
    ]
    for retention in changes:
        with pytest.raises(ClientError) as exc:
            s3.put_object_retention(
                Bucket=lock_bucket,
                Key="k",
                VersionId=version,
                Retention=retention,
                BypassGovernanceRetention=True,
            )
        assert error_of(exc) == PROTECTED
    # extending it is allowed
    until += timedelta(seconds=30)
    s3.put_object_retention(
        Bucket=lock_bucket,
        Key="k",
        VersionId=version,
        Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until},
    )
    # delete-obj-after-lock-expiration: once the date has passed on the clock
    cloudlet.advance_clock((until - server_now(cloudlet)).total_seconds() + 1)
    deleted = s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version)
    assert deleted["VersionId"] == version


def test_expired_retention_stays_readable_and_allows_changes(s3, lock_bucket, cloudlet):
    # S3 user guide: after its retain-until date a version is no longer protected; the
    # retention it had is still what GetObjectRetention answers
    version = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"x")["VersionId"]
    until = later(cloudlet, seconds=20)
    s3.put_object_retention(
        Bucket=lock_bucket, Key="k", Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until}
    )
    cloudlet.advance_clock((until - server_now(cloudlet)).total_seconds() + 1)
    got = s3.get_object_retention(Bucket=lock_bucket, Key="k")["Retention"]
    assert got == {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    s3.put_object_retention(Bucket=lock_bucket, Key="k", Retention={})  # no header needed any more
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=lock_bucket, Key="k", VersionId=version)
    assert error_of(exc) == NO_OBJECT_LOCK


def test_object_retention_errors(s3, s3_raw, lock_bucket, bucket, cloudlet):
    # test_s3_object_retention_exc
    until = later(cloudlet, hours=1)
    retention = {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    missing = unique_name("gone")
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=missing, Key="k", Retention=retention)
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == missing
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=lock_bucket, Key="non-existing-key", Retention=retention)
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "non-existing-key"

    s3.put_object(Bucket=lock_bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:  # get-object-retention-never-set
        s3.get_object_retention(Bucket=lock_bucket, Key="k")
    assert error_of(exc) == NO_OBJECT_LOCK
    for partial in (
        {"Mode": "GOVERNANCE"},
        {"RetainUntilDate": until},
    ):  # put-object-missing-retention-fields
        with pytest.raises(ClientError) as exc:
            s3_raw.put_object_retention(Bucket=lock_bucket, Key="k", Retention=partial)
        assert error_of(exc) == MALFORMED
    with pytest.raises(ClientError) as exc:  # update-retention-bad-value
        s3_raw.put_object_retention(
            Bucket=lock_bucket, Key="k", Retention={"Mode": "BAD", "RetainUntilDate": until}
        )
    assert error_of(exc) == MALFORMED
    with pytest.raises(ClientError) as exc:  # update-retention-past-date
        s3.put_object_retention(
            Bucket=lock_bucket,
            Key="k",
            Retention={"Mode": "GOVERNANCE", "RetainUntilDate": datetime(2020, 1, 1, tzinfo=UTC)},
        )
    assert error_of(exc) == ("InvalidArgument", "The retain until date must be in the future!", 400)
    assert error_fields(exc)["ArgumentName"] == "RetainUntilDate"
    assert error_fields(exc)["ArgumentValue"] == "Tue Dec 31 16:00:00 PST 2019"
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=lock_bucket, Key="k")
    assert error_of(exc) == NO_OBJECT_LOCK  # nothing was set

    # a bucket without Object Lock: put-/get-object-retention-regular-bucket
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=bucket, Key="k", Retention=retention)
    assert error_of(exc) == NO_LOCK_CONFIG
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=bucket, Key="k")
    assert error_of(exc) == NO_LOCK_CONFIG


def test_retention_of_a_delete_marker(s3, lock_bucket, cloudlet):
    # test_object_lock_delete_markers
    until = later(cloudlet, hours=1)
    s3.put_object(
        Bucket=lock_bucket,
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=until,
    )
    marker = s3.delete_object(Bucket=lock_bucket, Key="k")["VersionId"]
    retention = {"Mode": "GOVERNANCE", "RetainUntilDate": until}
    with pytest.raises(ClientError) as exc:
        s3.put_object_retention(Bucket=lock_bucket, Key="k", VersionId=marker, Retention=retention)
    assert error_of(exc) == (
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
    )
    assert (error_fields(exc)["Method"], error_fields(exc)["ResourceType"]) == ("PUT", "DeleteMarker")
    with pytest.raises(ClientError) as exc:
        s3.get_object_retention(Bucket=lock_bucket, Key="k", VersionId=marker)
    assert error_of(exc) == (
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
    )
    assert (error_fields(exc)["Method"], error_fields(exc)["ResourceType"]) == ("GET", "DeleteMarker")
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=lock_bucket, Key="k", VersionId=marker)
    assert code_of(exc) == ("405", 405)


# --------------------------------------------------------------------------- legal hold


def test_legal_hold(s3, lock_bucket):
    # test_put_get_object_legal_hold, test_delete_locked_object
    version = s3.put_object(Bucket=lock_bucket, Key="test-delete-locked", Body=b"test")["VersionId"]
    with pytest.raises(ClientError) as exc:  # get-legal-hold-unset
        s3.get_object_legal_hold(Bucket=lock_bucket, Key="test-delete-locked")
    assert error_of(exc) == NO_OBJECT_LOCK
    s3.put_object_legal_hold(Bucket=lock_bucket, Key="test-delete-locked", LegalHold={"Status": "ON"})
    head = s3.head_object(Bucket=lock_bucket, Key="test-delete-locked")
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    assert "ObjectLockMode" not in head
    got = s3.get_object_legal_hold(Bucket=lock_bucket, Key="test-delete-locked", VersionId=version)
    assert got["LegalHold"] == {"Status": "ON"}

    with pytest.raises(ClientError) as exc:  # delete-object-locked
        s3.delete_object(Bucket=lock_bucket, Key="test-delete-locked", VersionId=version)
    assert error_of(exc) == PROTECTED
    with pytest.raises(ClientError) as exc:  # the bypass header does not lift a legal hold
        s3.delete_object(
            Bucket=lock_bucket, Key="test-delete-locked", VersionId=version, BypassGovernanceRetention=True
        )
    assert error_of(exc) == PROTECTED
    out = s3.delete_objects(  # delete-objects-locked
        Bucket=lock_bucket, Delete={"Objects": [{"Key": "test-delete-locked", "VersionId": version}]}
    )
    assert out["Errors"] == [
        {
            "Key": "test-delete-locked",
            "VersionId": version,
            "Code": "AccessDenied",
            "Message": "Access Denied because object protected by object lock.",
        }
    ]
    assert "Deleted" not in out
    assert out["ResponseMetadata"]["HTTPStatusCode"] == 200

    s3.put_object_legal_hold(  # put-object-legal-hold-off
        Bucket=lock_bucket, Key="test-delete-locked", VersionId=version, LegalHold={"Status": "OFF"}
    )
    assert s3.head_object(Bucket=lock_bucket, Key="test-delete-locked")["ObjectLockLegalHoldStatus"] == "OFF"
    got = s3.get_object_legal_hold(Bucket=lock_bucket, Key="test-delete-locked")
    assert got["LegalHold"] == {"Status": "OFF"}
    s3.delete_object(Bucket=lock_bucket, Key="test-delete-locked", VersionId=version)
    assert "Versions" not in s3.list_object_versions(Bucket=lock_bucket)


def test_legal_hold_is_per_version(s3, lock_bucket):
    # test_s3_legal_hold_lock_versioned
    v1 = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"test")["VersionId"]
    s3.put_object_legal_hold(Bucket=lock_bucket, Key="k", VersionId=v1, LegalHold={"Status": "ON"})
    v2 = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"test")["VersionId"]
    assert "ObjectLockLegalHoldStatus" not in s3.head_object(Bucket=lock_bucket, Key="k")
    s3.put_object_legal_hold(Bucket=lock_bucket, Key="k", VersionId=v2, LegalHold={"Status": "ON"})
    for version in (v1, v2):
        head = s3.head_object(Bucket=lock_bucket, Key="k", VersionId=version)
        assert head["ObjectLockLegalHoldStatus"] == "ON"
    s3.put_object_legal_hold(Bucket=lock_bucket, Key="k", VersionId=v1, LegalHold={"Status": "OFF"})
    assert s3.head_object(Bucket=lock_bucket, Key="k", VersionId=v1)["ObjectLockLegalHoldStatus"] == "OFF"
    assert s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=v1)["VersionId"] == v1
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=v2)
    assert error_of(exc) == PROTECTED


def test_legal_hold_errors(s3, s3_raw, lock_bucket, bucket):
    # test_put_object_legal_hold_exc
    missing = unique_name("gone")
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=missing, Key="k", LegalHold={"Status": "ON"})
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=lock_bucket, Key="non-existing-key", LegalHold={"Status": "ON"})
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "non-existing-key"
    s3.put_object(Bucket=lock_bucket, Key="k", Body=b"x")
    for hold in ({}, {"Status": "MAYBE"}):  # put-object-retention-empty (an empty LegalHold)
        with pytest.raises(ClientError) as exc:
            s3_raw.put_object_legal_hold(Bucket=lock_bucket, Key="k", LegalHold=hold)
        assert error_of(exc) == MALFORMED
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.put_object_legal_hold(Bucket=bucket, Key="k", LegalHold={"Status": "ON"})
    assert error_of(exc) == NO_LOCK_CONFIG
    with pytest.raises(ClientError) as exc:
        s3.get_object_legal_hold(Bucket=bucket, Key="k")
    assert error_of(exc) == NO_LOCK_CONFIG


def test_put_object_with_legal_hold(s3, lock_bucket):
    # test_put_object_with_legal_hold
    version = s3.put_object(Bucket=lock_bucket, Key="k", Body=b"test", ObjectLockLegalHoldStatus="ON")[
        "VersionId"
    ]
    head = s3.head_object(Bucket=lock_bucket, Key="k")
    assert head["ObjectLockLegalHoldStatus"] == "ON"
    assert "ObjectLockMode" not in head
    assert s3.get_object(Bucket=lock_bucket, Key="k")["ObjectLockLegalHoldStatus"] == "ON"
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=lock_bucket, Key="k", VersionId=version)
    assert error_of(exc) == PROTECTED


def test_copy_does_not_take_the_source_lock(s3, lock_bucket, cloudlet):
    # test_s3_copy_object_retention_lock, test_s3_copy_object_legal_hold: head-dest-key has no
    # lock; a copy asking for one gets it
    until = later(cloudlet, hours=1)
    s3.put_object(
        Bucket=lock_bucket,
        Key="src",
        Body=b"test-copy-source",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=until,
        ObjectLockLegalHoldStatus="ON",
    )
    source = {"Bucket": lock_bucket, "Key": "src"}
    s3.copy_object(Bucket=lock_bucket, Key="dest", CopySource=source)
    head = s3.head_object(Bucket=lock_bucket, Key="dest")
    assert not {"ObjectLockMode", "ObjectLockRetainUntilDate", "ObjectLockLegalHoldStatus"} & set(head)
    s3.copy_object(
        Bucket=lock_bucket,
        Key="dest",
        CopySource=source,
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )
    head = s3.head_object(Bucket=lock_bucket, Key="dest")
    assert (head["ObjectLockMode"], head["ObjectLockRetainUntilDate"]) == ("COMPLIANCE", until)
    assert "ObjectLockLegalHoldStatus" not in head


# --------------------------------------------------------------------------- deletes and lifecycle


def test_delete_objects_reports_locked_versions(s3, lock_bucket, cloudlet):
    # test_delete_locked_object: delete-objects-locked; DeleteObjects API reference (per-key errors)
    until = later(cloudlet, hours=1)
    governed = s3.put_object(
        Bucket=lock_bucket, Key="gov", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=until
    )["VersionId"]
    complied = s3.put_object(
        Bucket=lock_bucket,
        Key="comp",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )["VersionId"]
    free = s3.put_object(Bucket=lock_bucket, Key="free", Body=b"x")["VersionId"]
    objects = [
        {"Key": "gov", "VersionId": governed},
        {"Key": "comp", "VersionId": complied},
        {"Key": "free", "VersionId": free},
        {"Key": "gov"},  # no version id: a delete marker
    ]
    out = s3.delete_objects(Bucket=lock_bucket, Delete={"Objects": objects})
    assert sorted((e["Key"], e["Code"]) for e in out["Errors"]) == [
        ("comp", "AccessDenied"),
        ("gov", "AccessDenied"),
    ]
    deleted = {(d["Key"], d.get("VersionId")) for d in out["Deleted"]}
    assert deleted == {("free", free), ("gov", None)}
    # with the bypass header GOVERNANCE lets go, COMPLIANCE does not
    out = s3.delete_objects(
        Bucket=lock_bucket,
        Delete={"Objects": objects[:2], "Quiet": True},
        BypassGovernanceRetention=True,
    )
    assert [(e["Key"], e["VersionId"]) for e in out["Errors"]] == [("comp", complied)]
    assert "Deleted" not in out
    remaining = {v["Key"] for v in s3.list_object_versions(Bucket=lock_bucket).get("Versions", [])}
    assert remaining == {"comp"}


def test_lifecycle_expiration_keeps_locked_versions(s3, lock_bucket, cloudlet):
    # S3 user guide, Object Lock and lifecycle: expiration adds a delete marker; a locked
    # version is not removed
    until = later(cloudlet, days=30)
    version = s3.put_object(
        Bucket=lock_bucket,
        Key="logs/a",
        Body=b"x",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=until,
    )["VersionId"]
    rule = {"ID": "expire", "Status": "Enabled", "Filter": {"Prefix": "logs/"}, "Expiration": {"Days": 1}}
    s3.put_bucket_lifecycle_configuration(Bucket=lock_bucket, LifecycleConfiguration={"Rules": [rule]})
    cloudlet.advance_clock(3 * 24 * 3600)
    listing = s3.list_object_versions(Bucket=lock_bucket)
    assert [m["IsLatest"] for m in listing.get("DeleteMarkers", [])] == [True]
    assert [v["VersionId"] for v in listing["Versions"]] == [version]
    assert s3.get_object(Bucket=lock_bucket, Key="logs/a", VersionId=version)["Body"].read() == b"x"


# --------------------------------------------------------------------------- persistence


def test_object_lock_survives_a_restart(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    config = Config(s3={"addressing_style": "path"})
    rule = {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 2}}
    try:
        s3 = client("s3", server.endpoint, config=config)
        s3.create_bucket(Bucket="lock-durable", ObjectLockEnabledForBucket=True)
        s3.put_object_lock_configuration(
            Bucket="lock-durable", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled", "Rule": rule}
        )
        version = s3.put_object(Bucket="lock-durable", Key="k", Body=b"x", ObjectLockLegalHoldStatus="ON")[
            "VersionId"
        ]
        before = s3.head_object(Bucket="lock-durable", Key="k")
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint, config=config)
        got = s3.get_object_lock_configuration(Bucket="lock-durable")["ObjectLockConfiguration"]
        assert got == {"ObjectLockEnabled": "Enabled", "Rule": rule}
        head = s3.head_object(Bucket="lock-durable", Key="k")
        assert head["ObjectLockMode"] == "GOVERNANCE"
        assert head["ObjectLockRetainUntilDate"] == before["ObjectLockRetainUntilDate"]
        assert head["ObjectLockLegalHoldStatus"] == "ON"
        with pytest.raises(ClientError) as exc:
            s3.delete_object(
                Bucket="lock-durable", Key="k", VersionId=version, BypassGovernanceRetention=True
            )
        assert error_of(exc) == PROTECTED
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_versioning(Bucket="lock-durable", VersioningConfiguration={"Status": "Suspended"})
        assert error_fields(exc)["Code"] == "InvalidBucketState"
    finally:
        server.kill()
