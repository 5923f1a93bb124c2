"""S3 versioning: versioned PUT/GET/HEAD by VersionId, delete markers, deleting versions,
the ``null`` version (unversioned and suspended buckets), DeleteObjects and CopyObject with
versions, ListObjectVersions with delete markers.

Most expectations come from ``aws-reference/s3/test_s3_api.snapshot.json`` (TestS3ObjectCRUD)
and ``test_s3.snapshot.json``; the GetObject/HeadObject pages of the S3 API reference give the
delete-marker headers.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import NO_SUCH_KEY, code_of, error_fields, error_of, etag_of, headers_of, keys_of

NO_SUCH_VERSION = "The specified version does not exist."
BAD_VERSION = "HPniJFCxqTsMuIH9KX8K8wEjNUgmABCD"


def versions_of(s3, bucket: str, **kwargs) -> list[tuple[str, str, bool]]:
    listing = s3.list_object_versions(Bucket=bucket, **kwargs)
    return [(v["Key"], v["VersionId"], v["IsLatest"]) for v in listing.get("Versions", [])]


def markers_of(s3, bucket: str, **kwargs) -> list[tuple[str, str, bool]]:
    listing = s3.list_object_versions(Bucket=bucket, **kwargs)
    return [(d["Key"], d["VersionId"], d["IsLatest"]) for d in listing.get("DeleteMarkers", [])]


def test_versioned_put_and_get_by_version(s3, versioned_bucket):
    # test_s3_put_object_versioned: put-obj-versioned-1/2, get-obj-versioned
    bucket = versioned_bucket
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    first = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned-key")
    second = s3.put_object(Bucket=bucket, Key="k", Body=b"versioned-key-updated")
    assert first["VersionId"] and second["VersionId"] and first["VersionId"] != second["VersionId"]
    assert first["VersionId"] != "null"
    latest = s3.get_object(Bucket=bucket, Key="k")
    assert (latest["Body"].read(), latest["VersionId"]) == (b"versioned-key-updated", second["VersionId"])
    old = s3.get_object(Bucket=bucket, Key="k", VersionId=first["VersionId"])
    assert (old["Body"].read(), old["VersionId"], old["ETag"]) == (
        b"versioned-key",
        first["VersionId"],
        etag_of(b"versioned-key"),
    )
    head = s3.head_object(Bucket=bucket, Key="k", VersionId=first["VersionId"])
    assert (head["VersionId"], head["ContentLength"]) == (first["VersionId"], len(b"versioned-key"))
    assert versions_of(s3, bucket) == [("k", second["VersionId"], True), ("k", first["VersionId"], False)]
    assert keys_of(s3.list_objects_v2(Bucket=bucket)) == ["k"]


def test_delete_creates_a_marker(s3, versioned_bucket):
    # test_delete_object_versioned: delete-object, get-deleted-object, get-object-with-version;
    # S3 API reference, GetObject: x-amz-delete-marker: true when the current version is a marker
    bucket = versioned_bucket
    version = s3.put_object(Bucket=bucket, Key="test-delete", Body=b"test-delete")["VersionId"]
    deleted = s3.delete_object(Bucket=bucket, Key="test-delete")
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert deleted["DeleteMarker"] is True
    marker = deleted["VersionId"]
    assert marker not in (version, "null")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="test-delete")
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "test-delete"
    assert headers_of(exc)["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="test-delete")
    assert code_of(exc) == ("404", 404)
    assert headers_of(exc)["x-amz-delete-marker"] == "true"
    assert s3.get_object(Bucket=bucket, Key="test-delete", VersionId=version)["Body"].read() == b"test-delete"
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0
    assert versions_of(s3, bucket) == [("test-delete", version, False)]
    assert markers_of(s3, bucket) == [("test-delete", marker, True)]


def test_get_a_delete_marker_by_version(s3, versioned_bucket):
    # test_delete_object_versioned: get-delete-marker (405); S3 API reference, GetObject
    bucket = versioned_bucket
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="k", VersionId=marker)
    assert error_of(exc) == (
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
    )
    assert error_fields(exc)["Method"] == "GET"
    assert error_fields(exc)["ResourceType"] == "DeleteMarker"
    assert headers_of(exc)["x-amz-delete-marker"] == "true"
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k", VersionId=marker)
    assert error_of(exc) == ("405", "Method Not Allowed", 405)


def test_markers_stack_and_list_newest_first(s3, versioned_bucket):
    # test_delete_object_versioned: delete-object-2, list-object-versions
    bucket = versioned_bucket
    version = s3.put_object(Bucket=bucket, Key="test-delete", Body=b"test-delete")["VersionId"]
    first = s3.delete_object(Bucket=bucket, Key="test-delete")["VersionId"]
    second = s3.delete_object(Bucket=bucket, Key="test-delete")["VersionId"]
    listing = s3.list_object_versions(Bucket=bucket, Prefix="test-delete")
    assert [(d["VersionId"], d["IsLatest"]) for d in listing["DeleteMarkers"]] == [
        (second, True),
        (first, False),
    ]
    assert [(v["VersionId"], v["IsLatest"], v["Size"]) for v in listing["Versions"]] == [(version, False, 11)]
    marker = listing["DeleteMarkers"][0]
    assert marker["Owner"]["ID"] and "LastModified" in marker
    assert listing["Versions"][0]["ETag"] == etag_of(b"test-delete")
    assert (listing["KeyMarker"], listing["VersionIdMarker"], listing["Prefix"]) == ("", "", "test-delete")


def test_deleting_the_marker_brings_the_object_back(s3, versioned_bucket):
    # test_delete_object_versioned: delete-delete-marker
    bucket = versioned_bucket
    s3.put_object(Bucket=bucket, Key="k", Body=b"back")
    marker = s3.delete_object(Bucket=bucket, Key="k")["VersionId"]
    removed = s3.delete_object(Bucket=bucket, Key="k", VersionId=marker)
    assert (removed["DeleteMarker"], removed["VersionId"]) == (True, marker)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"back"
    assert markers_of(s3, bucket) == []


def test_deleting_a_version_for_good(s3, versioned_bucket):
    # test_delete_object_versioned: delete-object-version, get-deleted-object-with-version
    bucket = versioned_bucket
    old = s3.put_object(Bucket=bucket, Key="test-delete", Body=b"old")["VersionId"]
    new = s3.put_object(Bucket=bucket, Key="test-delete", Body=b"new")["VersionId"]
    removed = s3.delete_object(Bucket=bucket, Key="test-delete", VersionId=old)
    assert removed["VersionId"] == old
    assert "DeleteMarker" not in removed
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="test-delete", VersionId=old)
    assert error_of(exc) == ("NoSuchVersion", NO_SUCH_VERSION, 404)
    assert error_fields(exc)["Key"] == "test-delete"
    assert error_fields(exc)["VersionId"] == old
    assert versions_of(s3, bucket) == [("test-delete", new, True)]
    # deleting the current version makes the previous one (none left here) current: key gone
    s3.delete_object(Bucket=bucket, Key="test-delete", VersionId=new)
    assert versions_of(s3, bucket) == [] and markers_of(s3, bucket) == []


def test_deleting_the_latest_version_promotes_the_previous(s3, versioned_bucket):
    bucket = versioned_bucket
    s3.put_object(Bucket=bucket, Key="k", Body=b"one")
    latest = s3.put_object(Bucket=bucket, Key="k", Body=b"two")["VersionId"]
    s3.delete_object(Bucket=bucket, Key="k", VersionId=latest)
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"one"
    assert [is_latest for _, _, is_latest in versions_of(s3, bucket)] == [True]


def test_delete_with_bad_version_id(s3, versioned_bucket):
    # test_delete_object_versioned: delete-with-bad-version, delete-wrong-key
    bucket = versioned_bucket
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_object(Bucket=bucket, Key="k", VersionId=BAD_VERSION)
    assert error_of(exc) == ("InvalidArgument", "Invalid version id specified", 400)
    assert error_fields(exc)["ArgumentName"] == "versionId"
    marker = s3.delete_object(Bucket=bucket, Key="never-existed")
    assert marker["DeleteMarker"] is True and marker["VersionId"]


def test_get_missing_version_of_existing_key(s3, versioned_bucket):
    bucket = versioned_bucket
    version = s3.put_object(Bucket=bucket, Key="k", Body=b"x")["VersionId"]
    s3.put_object(Bucket=bucket, Key="other", Body=b"y")
    s3.delete_object(Bucket=bucket, Key="k", VersionId=version)
    with pytest.raises(ClientError) as exc:
        s3.head_object(Bucket=bucket, Key="k", VersionId=version)
    assert code_of(exc) == ("404", 404)


# --------------------------------------------------------------------------- the null version


def test_unversioned_bucket_has_null_versions(s3, bucket):
    # test_get_object_with_version_unversioned_bucket, test_list_object_versions_order_unversioned
    s3.put_object(Bucket=bucket, Key="a-test-object-1", Body=b"test-version")
    s3.put_object(Bucket=bucket, Key="c-test-object-3", Body=b"test-version3")
    s3.put_object(Bucket=bucket, Key="b-test-object-2", Body=b"test-version2")
    assert (
        s3.get_object(Bucket=bucket, Key="a-test-object-1", VersionId="null")["Body"].read()
        == b"test-version"
    )
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="a-test-object-1", VersionId=BAD_VERSION)
    assert error_of(exc) == ("InvalidArgument", "Invalid version id specified", 400)
    assert error_fields(exc)["ArgumentValue"] == BAD_VERSION
    assert versions_of(s3, bucket) == [
        ("a-test-object-1", "null", True),
        ("b-test-object-2", "null", True),
        ("c-test-object-3", "null", True),
    ]
    unversioned_put = s3.put_object(Bucket=bucket, Key="plain", Body=b"x")
    assert "VersionId" not in unversioned_put
    assert s3.list_object_versions(Bucket=bucket)["IsTruncated"] is False


def test_object_from_before_versioning_is_the_null_version(s3, bucket):
    # test_s3_put_object_versioned: get-pre-versioned, get-post-versioned, list-object-versioned
    s3.put_object(Bucket=bucket, Key="non-version-bucket-key", Body=b"non-versioned-key")
    assert "VersionId" not in s3.get_object(Bucket=bucket, Key="non-version-bucket-key")
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    got = s3.get_object(Bucket=bucket, Key="non-version-bucket-key")
    assert got["VersionId"] == "null"
    newer = s3.put_object(Bucket=bucket, Key="non-version-bucket-key", Body=b"now versioned")["VersionId"]
    assert versions_of(s3, bucket) == [
        ("non-version-bucket-key", newer, True),
        ("non-version-bucket-key", "null", False),
    ]
    null = s3.get_object(Bucket=bucket, Key="non-version-bucket-key", VersionId="null")
    assert null["Body"].read() == b"non-versioned-key"


def test_suspended_versioning_writes_the_null_version(s3, versioned_bucket):
    # test_put_object_on_suspended_bucket
    bucket = versioned_bucket
    ids = [
        s3.put_object(Bucket=bucket, Key="test-version", Body=f"test-version-{i}".encode())["VersionId"]
        for i in range(3)
    ]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert versions_of(s3, bucket) == [
        ("test-version", ids[2], True),
        ("test-version", ids[1], False),
        ("test-version", ids[0], False),
    ]
    put = s3.put_object(Bucket=bucket, Key="test-version", Body=b"test-version-suspended")
    assert "VersionId" not in put
    expected = [
        ("test-version", "null", True),
        ("test-version", ids[2], False),
        ("test-version", ids[1], False),
        ("test-version", ids[0], False),
    ]
    assert versions_of(s3, bucket) == expected
    # overwriting while suspended replaces the null version instead of adding one
    s3.put_object(Bucket=bucket, Key="test-version", Body=b"test-version-suspended-2")
    assert versions_of(s3, bucket) == expected
    current = s3.get_object(Bucket=bucket, Key="test-version")
    assert (current["VersionId"], current["Body"].read()) == ("null", b"test-version-suspended-2")
    assert (
        s3.get_object(Bucket=bucket, Key="test-version", VersionId=ids[0])["Body"].read() == b"test-version-0"
    )


def test_delete_on_suspended_bucket(s3, versioned_bucket):
    # test_delete_object_on_suspended_bucket
    bucket = versioned_bucket
    ids = [s3.put_object(Bucket=bucket, Key="k", Body=f"v{i}".encode())["VersionId"] for i in range(2)]
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    deleted = s3.delete_object(Bucket=bucket, Key="k")
    assert (deleted["DeleteMarker"], deleted["VersionId"]) == (True, "null")
    assert markers_of(s3, bucket) == [("k", "null", True)]
    assert versions_of(s3, bucket) == [("k", ids[1], False), ("k", ids[0], False)]
    # a new null version replaces the null delete marker
    s3.put_object(Bucket=bucket, Key="k", Body=b"suspended")
    assert markers_of(s3, bucket) == []
    assert versions_of(s3, bucket) == [("k", "null", True), ("k", ids[1], False), ("k", ids[0], False)]
    # and a null delete marker replaces the null version
    s3.delete_object(Bucket=bucket, Key="k")
    assert markers_of(s3, bucket) == [("k", "null", True)]
    assert versions_of(s3, bucket) == [("k", ids[1], False), ("k", ids[0], False)]


# --------------------------------------------------------------------------- DeleteObjects


def test_delete_objects_in_versioned_bucket(s3, versioned_bucket):
    # test_delete_objects_versioned
    bucket = versioned_bucket
    version = s3.put_object(Bucket=bucket, Key="test-delete", Body=b"x")["VersionId"]
    answer = s3.delete_objects(
        Bucket=bucket,
        Delete={"Objects": [{"Key": "test-delete"}, {"Key": "wrongkey"}, {"Key": "wrongkey-x"}]},
    )
    deleted = {d["Key"]: d for d in answer["Deleted"]}
    assert set(deleted) == {"test-delete", "wrongkey", "wrongkey-x"}
    assert all(d["DeleteMarker"] is True and d["DeleteMarkerVersionId"] for d in deleted.values())
    marker = deleted["test-delete"]["DeleteMarkerVersionId"]

    by_marker = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "test-delete", "VersionId": marker}]}
    )
    assert by_marker["Deleted"] == [
        {"Key": "test-delete", "VersionId": marker, "DeleteMarker": True, "DeleteMarkerVersionId": marker}
    ]

    objects = [
        {"Key": "test-delete", "VersionId": BAD_VERSION},
        {"Key": "wrong-key-2", "VersionId": BAD_VERSION},
    ]
    wrong = s3.delete_objects(Bucket=bucket, Delete={"Objects": objects})
    assert sorted((e["Code"], e["Key"], e["VersionId"], e["Message"]) for e in wrong["Errors"]) == [
        ("NoSuchVersion", "test-delete", BAD_VERSION, NO_SUCH_VERSION),
        ("NoSuchVersion", "wrong-key-2", BAD_VERSION, NO_SUCH_VERSION),
    ]
    assert "Deleted" not in wrong

    by_version = s3.delete_objects(
        Bucket=bucket, Delete={"Objects": [{"Key": "test-delete", "VersionId": version}]}
    )
    assert by_version["Deleted"] == [{"Key": "test-delete", "VersionId": version}]
    assert versions_of(s3, bucket, Prefix="test-delete") == []


# --------------------------------------------------------------------------- CopyObject and versions


def test_copy_from_a_version(s3, versioned_bucket):
    # test_s3_copy_object_src_not_exists: copy-object-src-target-object-version,
    # copy-object-src-delete-marker-current-version, copy-object-src-target-delete-marker
    bucket = versioned_bucket
    version = s3.put_object(Bucket=bucket, Key="random-src-key", Body=b"")["VersionId"]
    marker = s3.delete_object(Bucket=bucket, Key="random-src-key")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "random-src-key"})
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "random-src-key"
    with pytest.raises(ClientError) as exc:
        s3.copy_object(
            Bucket=bucket,
            Key="dst",
            CopySource={"Bucket": bucket, "Key": "random-src-key", "VersionId": marker},
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "The source of a copy request may not specifically refer to a delete marker by version id.",
        400,
    )
    copied = s3.copy_object(
        Bucket=bucket, Key="dst", CopySource={"Bucket": bucket, "Key": "random-src-key", "VersionId": version}
    )
    assert copied["CopySourceVersionId"] == version
    assert copied["VersionId"] not in (version, marker)
    assert copied["CopyObjectResult"]["ETag"] == etag_of(b"")


def test_get_object_after_deleted_in_versioned_bucket(s3, versioned_bucket):
    # test_get_object_after_deleted_in_versioned_bucket
    bucket = versioned_bucket
    got_version = s3.put_object(Bucket=bucket, Key="my-key", Body=b"abcdefgh")["VersionId"]
    assert s3.get_object(Bucket=bucket, Key="my-key")["VersionId"] == got_version
    s3.delete_object(Bucket=bucket, Key="my-key")
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="my-key")
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
