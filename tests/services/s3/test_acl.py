"""S3 ACLs of buckets and objects: stored and returned (not enforced), canned ACLs, grant headers,
AccessControlPolicy bodies, versions, copies and multipart uploads, and Object Ownership.

Recorded scenarios (``aws-reference/s3/test_s3.snapshot.json``) behind the assertions are named
in each test: ``test_s3_bucket_acl``, ``test_s3_object_acl``, ``test_s3_multipart_upload_acls``,
``test_bucket_exists``, ``test_s3_bucket_acl_exceptions``, ``test_s3_object_acl_exceptions``
(run on a bucket with S3's default ownership, BucketOwnerEnforced: S3 checks an ACL before the
ownership setting), ``test_put_object_acl_on_delete_marker``, ``test_s3_copy_object_in_place``,
and ``test_object_put_acl`` (notifications). The rest comes from the S3 user guide ("Canned
ACL", "Controlling ownership of objects and disabling ACLs" and its troubleshooting page) and
the API reference's error code list.

The Owner is the bucket's account as ListBuckets answers it; tests compare with that answer.
"""

from __future__ import annotations

import io
import json
import os

import pytest
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import (
    MALFORMED_XML,
    MIB,
    NO_SUCH_BUCKET,
    NO_SUCH_KEY,
    code_of,
    error_fields,
    error_of,
    queue_for_notifications,
    receive_bodies,
    unique_name,
)

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"
FAKE_GROUP = "http://acs.amazonaws.com/groups/s3/FakeGroup"
EC2_BUNDLE_READER = "6aa5a366c34c1cbe25dc49211496e913e0351eb0e8c37aa3477e40942ec6b97c"
OTHER_USER = "a" * 64  # a canonical user id of some other account
NOT_ALLOWED = ("AccessControlListNotSupported", "The bucket does not allow ACLs", 400)
ACL_WITH_ENFORCED = (
    "InvalidBucketAclWithObjectOwnership",
    "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
    400,
)


@pytest.fixture
def owner(s3):
    return s3.list_buckets()["Owner"]


@pytest.fixture
def acl_bucket(make_bucket):
    """A bucket with ACLs enabled (ObjectWriter ownership)."""
    return make_bucket("acl", ObjectOwnership="ObjectWriter")


def me(owner, permission="FULL_CONTROL"):
    return {"Grantee": {**owner, "Type": "CanonicalUser"}, "Permission": permission}


def group(uri, permission):
    return {"Grantee": {"Type": "Group", "URI": uri}, "Permission": permission}


def acl_of(response):
    return {"Owner": response["Owner"], "Grants": response["Grants"]}


def private(owner):
    return {"Owner": owner, "Grants": [me(owner)]}


def bucket_acl(s3, bucket):
    return acl_of(s3.get_bucket_acl(Bucket=bucket))


def object_acl(s3, bucket, key, **kw):
    return acl_of(s3.get_object_acl(Bucket=bucket, Key=key, **kw))


# The grants each canned ACL stands for, after the owner's FULL_CONTROL (user guide, "Canned
# ACL"; recorded: public-read and private in test_s3_bucket_acl, public-read-write in
# test_s3_multipart_upload_acls).
CANNED = {
    "private": [],
    "public-read": [group(ALL_USERS, "READ")],
    "public-read-write": [group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE")],
    "authenticated-read": [group(AUTHENTICATED_USERS, "READ")],
    "aws-exec-read": [
        {
            "Grantee": {"Type": "CanonicalUser", "ID": EC2_BUNDLE_READER},
            "Permission": "READ",
        }
    ],
    "log-delivery-write": [group(LOG_DELIVERY, "WRITE"), group(LOG_DELIVERY, "READ_ACP")],
    # the bucket owner is the object owner here: the one grant (unverified for one account)
    "bucket-owner-read": [],
    "bucket-owner-full-control": [],
}


# --------------------------------------------------------------------------- defaults


def test_new_bucket_and_object_are_private(s3, bucket, owner):
    # test_bucket_exists (get-bucket-acl), test_s3_object_acl (get-object-acl-default)
    got = s3.get_bucket_acl(Bucket=bucket)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert acl_of(got) == private(owner)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert object_acl(s3, bucket, "k") == private(owner)


def test_owner_is_the_bucket_account_canonical_user(s3, acl_bucket, owner):
    assert len(owner["ID"]) == 64
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    assert bucket_acl(s3, acl_bucket) == private(owner)
    assert object_acl(s3, acl_bucket, "k") == private(owner)


def test_acl_of_missing_bucket_or_key(s3, bucket):
    missing = unique_name("noacl")
    for call in (
        lambda: s3.get_bucket_acl(Bucket=missing),
        lambda: s3.put_bucket_acl(Bucket=missing, ACL="private"),
        lambda: s3.get_object_acl(Bucket=missing, Key="k"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    for call in (
        lambda: s3.get_object_acl(Bucket=bucket, Key="nope"),
        lambda: s3.put_object_acl(Bucket=bucket, Key="nope", ACL="bucket-owner-full-control"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)


# --------------------------------------------------------------------------- canned ACLs


@pytest.mark.parametrize("canned", list(CANNED))
def test_canned_object_acls(s3, acl_bucket, owner, canned):
    s3.put_object(Bucket=acl_bucket, Key="put", Body=b"x", ACL=canned)
    expected = {"Owner": owner, "Grants": [me(owner), *CANNED[canned]]}
    assert object_acl(s3, acl_bucket, "put") == expected
    s3.put_object(Bucket=acl_bucket, Key="later", Body=b"x")
    put = s3.put_object_acl(Bucket=acl_bucket, Key="later", ACL=canned)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200  # test_s3_object_acl: put-object-acl
    assert object_acl(s3, acl_bucket, "later") == expected


@pytest.mark.parametrize("canned", ["private", "public-read", "public-read-write", "authenticated-read"])
def test_canned_bucket_acls(s3, acl_bucket, owner, canned):
    # test_s3_bucket_acl: get-bucket-acl (public-read), get-bucket-canned-acl (private)
    s3.put_bucket_acl(Bucket=acl_bucket, ACL=canned)
    assert bucket_acl(s3, acl_bucket) == {"Owner": owner, "Grants": [me(owner), *CANNED[canned]]}


def test_log_delivery_write_bucket_acl(s3, acl_bucket, owner):
    # not in BucketCannedACL's enum (boto3 sends it as given); the user guide lists it for buckets
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="log-delivery-write")
    assert bucket_acl(s3, acl_bucket)["Grants"] == [
        me(owner),
        group(LOG_DELIVERY, "WRITE"),
        group(LOG_DELIVERY, "READ_ACP"),
    ]
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="private")
    assert bucket_acl(s3, acl_bucket) == private(owner)


def test_public_read_upload_like_aws_s3_cp(s3, make_bucket, owner):
    # `aws s3 cp --acl public-read`: PutObject with x-amz-acl, or a multipart upload for a large file
    for ownership in ("ObjectWriter", "BucketOwnerPreferred"):
        bucket = make_bucket("cp", ObjectOwnership=ownership)
        put = s3.put_object(Bucket=bucket, Key="small.txt", Body=b"hello", ACL="public-read")
        assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert object_acl(s3, bucket, "small.txt") == {
            "Owner": owner,
            "Grants": [me(owner), group(ALL_USERS, "READ")],
        }
    body = os.urandom(6 * MIB)
    s3.upload_fileobj(
        io.BytesIO(body),
        bucket,
        "large.bin",
        ExtraArgs={"ACL": "public-read"},
        Config=TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB),
    )
    assert s3.head_object(Bucket=bucket, Key="large.bin")["ETag"].endswith('-2"')
    assert object_acl(s3, bucket, "large.bin")["Grants"] == [me(owner), group(ALL_USERS, "READ")]
    assert s3.get_object(Bucket=bucket, Key="large.bin")["Body"].read() == body


def test_bucket_acl_is_not_the_objects(s3, acl_bucket, owner):
    # test_s3_multipart_upload_acls: bucket-acl public-read, permission-acl-key0 private
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read")
    s3.put_object(Bucket=acl_bucket, Key="acl-key0", Body=b"something")
    assert object_acl(s3, acl_bucket, "acl-key0") == private(owner)
    assert bucket_acl(s3, acl_bucket)["Grants"] == [me(owner), group(ALL_USERS, "READ")]


# --------------------------------------------------------------------------- grant headers


def test_grant_header_replaces_the_acl(s3, acl_bucket, owner):
    # test_s3_bucket_acl: get-bucket-grant-acl; test_s3_object_acl: get-object-grant-acl
    s3.put_bucket_acl(Bucket=acl_bucket, GrantRead=f'uri="{LOG_DELIVERY}"')
    assert bucket_acl(s3, acl_bucket) == {"Owner": owner, "Grants": [group(LOG_DELIVERY, "READ")]}
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x", ACL="public-read")
    s3.put_object_acl(Bucket=acl_bucket, Key="k", GrantRead=f'uri="{LOG_DELIVERY}"')
    assert object_acl(s3, acl_bucket, "k") == {"Owner": owner, "Grants": [group(LOG_DELIVERY, "READ")]}


def test_grant_headers_with_several_grantees(s3, acl_bucket, owner):
    # a comma-separated list, quoted or not (the CLI's `--grant-read uri=...` form), keys in any case
    s3.put_object(
        Bucket=acl_bucket,
        Key="k",
        Body=b"x",
        GrantFullControl=f'id="{owner["ID"]}"',
        GrantRead=f'uri={ALL_USERS}, ID="{OTHER_USER}"',
    )
    grants = object_acl(s3, acl_bucket, "k")["Grants"]
    expected = [
        me(owner),
        group(ALL_USERS, "READ"),
        {"Grantee": {"Type": "CanonicalUser", "ID": OTHER_USER}, "Permission": "READ"},
    ]
    assert sorted(grants, key=lambda g: json.dumps(g, sort_keys=True)) == sorted(
        expected, key=lambda g: json.dumps(g, sort_keys=True)
    )


def test_every_grant_header_of_put_bucket_acl(s3, acl_bucket, owner):
    s3.put_bucket_acl(
        Bucket=acl_bucket,
        GrantFullControl=f'id="{owner["ID"]}"',
        GrantRead=f'uri="{AUTHENTICATED_USERS}"',
        GrantWrite=f'uri="{LOG_DELIVERY}"',
        GrantReadACP=f'uri="{LOG_DELIVERY}"',
        GrantWriteACP=f'id="{OTHER_USER}"',
    )
    expected = [
        me(owner),
        group(AUTHENTICATED_USERS, "READ"),
        group(LOG_DELIVERY, "WRITE"),
        group(LOG_DELIVERY, "READ_ACP"),
        {"Grantee": {"Type": "CanonicalUser", "ID": OTHER_USER}, "Permission": "WRITE_ACP"},
    ]
    got = bucket_acl(s3, acl_bucket)["Grants"]
    assert sorted(got, key=lambda g: json.dumps(g, sort_keys=True)) == sorted(
        expected, key=lambda g: json.dumps(g, sort_keys=True)
    )


@pytest.mark.parametrize(
    "grant, fields, message",
    [
        # test_s3_*_acl_exceptions: put-*-grant-acl-fake-uri, -fake-key, -wrong-id
        (f'uri="{FAKE_GROUP}"', {"ArgumentName": "uri", "ArgumentValue": FAKE_GROUP}, "Invalid group uri"),
        ('fakekey="1234"', {"ArgumentName": "x-amz-grant-write", "ArgumentValue": 'fakekey="1234"'}, None),
        ('id="wrong-id"', {"ArgumentName": "id", "ArgumentValue": "wrong-id"}, "Invalid id"),
    ],
)
def test_bad_grant_headers(s3, bucket, grant, fields, message):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for call in (
        lambda: s3.put_bucket_acl(Bucket=bucket, GrantWrite=grant),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k", GrantWrite=grant),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("InvalidArgument", message or "Argument format not recognized", 400)
        assert {k: error_fields(exc)[k] for k in fields} == fields


def test_grant_by_unknown_email_is_unresolvable(s3, acl_bucket, owner):
    # Cloudlet knows no account's e-mail address (S3: UnresolvableGrantByEmailAddress, 400)
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    policy = {
        "Owner": owner,
        "Grants": [
            {
                "Grantee": {"Type": "AmazonCustomerByEmail", "EmailAddress": "x@example.com"},
                "Permission": "READ",
            }
        ],
    }
    for call in (
        lambda: s3.put_bucket_acl(Bucket=acl_bucket, GrantRead='emailAddress="x@example.com"'),
        lambda: s3.put_object(Bucket=acl_bucket, Key="e", Body=b"x", GrantRead="emailaddress=x@example.com"),
        lambda: s3.put_object_acl(Bucket=acl_bucket, Key="k", AccessControlPolicy=policy),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert code_of(exc) == ("UnresolvableGrantByEmailAddress", 400)  # message unverified
    assert bucket_acl(s3, acl_bucket) == private(owner)


# --------------------------------------------------------------------------- AccessControlPolicy


def test_access_control_policy_body(s3, acl_bucket, owner):
    # test_s3_bucket_acl: get-bucket-acp-acl; test_s3_object_acl: get-object-acp-acl
    policy = {
        "Owner": owner,
        "Grants": [
            {"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"URI": LOG_DELIVERY, "Type": "Group"}, "Permission": "WRITE"},
        ],
    }
    expected = {"Owner": owner, "Grants": [me(owner), group(LOG_DELIVERY, "WRITE")]}
    assert (
        s3.put_bucket_acl(Bucket=acl_bucket, AccessControlPolicy=policy)["ResponseMetadata"]["HTTPStatusCode"]
        == 200
    )
    assert bucket_acl(s3, acl_bucket) == expected
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x")
    s3.put_object_acl(Bucket=acl_bucket, Key="k", AccessControlPolicy=policy)
    assert object_acl(s3, acl_bucket, "k") == expected


def test_access_control_policy_with_no_grants(s3, acl_bucket, owner):
    s3.put_bucket_acl(Bucket=acl_bucket, AccessControlPolicy={"Owner": owner, "Grants": []})
    assert bucket_acl(s3, acl_bucket) == {"Owner": owner, "Grants": []}


def _policy_errors(owner):
    """test_s3_*_acl_exceptions: put-*-acp-acl-1 to -6 and put-*-empty-acp, in the recorded order."""
    log_write = {"Grantee": {"URI": LOG_DELIVERY, "Type": "Group"}, "Permission": "WRITE"}
    malformed = ("MalformedACLError", MALFORMED_XML, 400, {})
    invalid_id = (
        "InvalidArgument",
        "Invalid id",
        400,
        {"ArgumentName": "CanonicalUser/ID", "ArgumentValue": "wrong-id"},
    )
    return [
        ({"Grants": [log_write]}, malformed),  # no Owner
        ({"Owner": owner, "Grants": [{**log_write, "Permission": "WRONG-PERMISSION"}]}, malformed),
        ({"Owner": {"ID": "wrong-id"}, "Grants": [log_write]}, invalid_id),
        (
            {"Owner": owner, "Grants": [{**log_write, "Grantee": {"URI": FAKE_GROUP, "Type": "Group"}}]},
            (
                "InvalidArgument",
                "Invalid group uri",
                400,
                {"ArgumentName": "Group/URI", "ArgumentValue": FAKE_GROUP},
            ),
        ),
        (
            {
                "Owner": owner,
                "Grants": [{**log_write, "Grantee": {"ID": "wrong-id", "Type": "CanonicalUser"}}],
            },
            invalid_id,
        ),
        (
            {"Owner": owner, "Grants": [{**log_write, "Grantee": {"ID": "wrong-id", "Type": "BadType"}}]},
            malformed,
        ),
        ({}, malformed),
    ]


def test_malformed_access_control_policies(s3, s3_raw, bucket, owner):
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for policy, (code, message, status, fields) in _policy_errors(owner):
        for call in (
            lambda policy=policy: s3_raw.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy),
            lambda policy=policy: s3_raw.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=policy),
        ):
            with pytest.raises(ClientError) as exc:
                call()
            assert error_of(exc) == (code, message, status), policy
            assert {k: error_fields(exc)[k] for k in fields} == fields


# --------------------------------------------------------------------------- request errors


def test_unknown_canned_acl(s3, bucket):
    # test_s3_*_acl_exceptions: put-bucket-canned-acl, put-object-canned-acl, put-object-acl-canned-acl
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for call in (
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="fake-acl"),
        lambda: s3.put_object(Bucket=bucket, Key="k", Body=b"y", ACL="fake-acl"),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="fake-acl"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        error = error_fields(exc)
        assert code_of(exc) == ("InvalidArgument", 400)
        assert error["Message"] is None  # S3 answers an empty Message
        assert (error["ArgumentName"], error["ArgumentValue"]) == ("x-amz-acl", "fake-acl")
    assert s3.get_object(Bucket=bucket, Key="k")["Body"].read() == b"x"


def test_put_acl_needs_an_acl(s3, bucket):
    # test_s3_*_acl_exceptions: put-bucket-empty, put-object-acl-empty
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    for call in (
        lambda: s3.put_bucket_acl(Bucket=bucket),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("MissingSecurityHeader", "Your request was missing a required header", 400)
        assert error_fields(exc)["MissingHeaderName"] == "x-amz-acl"


def test_canned_acl_with_grants_or_a_body(s3, bucket, owner):
    # test_s3_*_acl_exceptions: put-*-two-type-acl, put-*-two-type-acl-acp
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    grant = f'uri="{LOG_DELIVERY}"'
    policy = {
        "Owner": owner,
        "Grants": [{"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
    }
    both = ("InvalidRequest", "Specifying both Canned ACLs and Header Grants is not allowed", 400)
    content = ("UnexpectedContent", "This request does not support content", 400)
    for call, expected in (
        (lambda: s3.put_bucket_acl(Bucket=bucket, ACL="private", GrantRead=grant), both),
        (lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="private", GrantRead=grant), both),
        (lambda: s3.put_object(Bucket=bucket, Key="n", Body=b"x", ACL="private", GrantRead=grant), both),
        (lambda: s3.put_bucket_acl(Bucket=bucket, ACL="private", AccessControlPolicy=policy), content),
        (
            lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="private", AccessControlPolicy=policy),
            content,
        ),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == expected


# --------------------------------------------------------------------------- versions, delete markers


def test_each_version_has_its_own_acl(s3, make_bucket, owner):
    bucket = make_bucket("aclver", versioning="Enabled", ObjectOwnership="ObjectWriter")
    v1 = s3.put_object(Bucket=bucket, Key="k", Body=b"1", ACL="public-read")["VersionId"]
    v2 = s3.put_object(Bucket=bucket, Key="k", Body=b"2")["VersionId"]
    assert object_acl(s3, bucket, "k") == private(owner)
    assert object_acl(s3, bucket, "k", VersionId=v1)["Grants"] == [me(owner), group(ALL_USERS, "READ")]
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=v2, ACL="authenticated-read")
    assert object_acl(s3, bucket, "k")["Grants"] == [me(owner), group(AUTHENTICATED_USERS, "READ")]
    assert object_acl(s3, bucket, "k", VersionId=v1)["Grants"] == [me(owner), group(ALL_USERS, "READ")]
    s3.put_object_acl(Bucket=bucket, Key="k", VersionId=v1, ACL="private")
    assert object_acl(s3, bucket, "k", VersionId=v1) == private(owner)
    assert object_acl(s3, bucket, "k", VersionId=v2)["Grants"][1] == group(AUTHENTICATED_USERS, "READ")


def test_acl_of_a_delete_marker(s3, make_bucket):
    # test_put_object_acl_on_delete_marker
    bucket = make_bucket("acldm", versioning="Enabled")
    s3.put_object(Bucket=bucket, Key="test-key-versioned", Body=b"1")
    marker = s3.delete_object(Bucket=bucket, Key="test-key-versioned")["VersionId"]
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(Bucket=bucket, Key="test-key-versioned", ACL="bucket-owner-full-control")
    assert error_of(exc) == (
        "MethodNotAllowed",
        "The specified method is not allowed against this resource.",
        405,
    )
    assert (error_fields(exc)["Method"], error_fields(exc)["ResourceType"]) == ("PUT", "DeleteMarker")
    with pytest.raises(ClientError) as exc:
        s3.get_object_acl(Bucket=bucket, Key="test-key-versioned")
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert error_fields(exc)["Key"] == "test-key-versioned"
    with pytest.raises(ClientError) as exc:
        s3.put_object_acl(
            Bucket=bucket, Key="test-key-versioned", VersionId=marker, ACL="bucket-owner-full-control"
        )
    assert error_of(exc)[0] == "MethodNotAllowed"
    assert error_fields(exc)["Method"] == "PUT"
    with pytest.raises(ClientError) as exc:
        s3.get_object_acl(Bucket=bucket, Key="test-key-versioned", VersionId=marker)
    assert error_of(exc)[0] == "MethodNotAllowed"
    assert (error_fields(exc)["Method"], error_fields(exc)["ResourceType"]) == ("GET", "DeleteMarker")


# --------------------------------------------------------------------------- copies, multipart


def test_copy_gets_the_request_acl_not_the_source(s3, acl_bucket, owner):
    s3.put_object(Bucket=acl_bucket, Key="src", Body=b"x", ACL="public-read")
    s3.copy_object(Bucket=acl_bucket, Key="plain", CopySource={"Bucket": acl_bucket, "Key": "src"})
    assert object_acl(s3, acl_bucket, "plain") == private(owner)
    s3.copy_object(
        Bucket=acl_bucket,
        Key="asked",
        CopySource={"Bucket": acl_bucket, "Key": "src"},
        ACL="authenticated-read",
    )
    assert object_acl(s3, acl_bucket, "asked")["Grants"] == [me(owner), group(AUTHENTICATED_USERS, "READ")]
    # in place, with a new ACL: still a copy of the object to itself, as S3 answers
    s3.copy_object(
        Bucket=acl_bucket,
        Key="src",
        CopySource={"Bucket": acl_bucket, "Key": "src"},
        MetadataDirective="REPLACE",
        GrantRead=f'uri="{LOG_DELIVERY}"',
    )
    assert object_acl(s3, acl_bucket, "src") == {"Owner": owner, "Grants": [group(LOG_DELIVERY, "READ")]}
    assert object_acl(s3, acl_bucket, "asked")["Grants"][1] == group(AUTHENTICATED_USERS, "READ")


def test_copy_in_place_with_only_an_acl_is_refused(s3, bucket, owner):
    # test_s3_copy_object_in_place: object-acl, copy-object-in-place-with-acl (on a bucket with
    # S3's default ownership: the copy is refused before its ACL is looked at)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    assert object_acl(s3, bucket, "k") == private(owner)
    with pytest.raises(ClientError) as exc:
        s3.copy_object(Bucket=bucket, Key="k", CopySource={"Bucket": bucket, "Key": "k"}, ACL="public-read")
    assert error_of(exc)[0] == "InvalidRequest"
    assert "copy an object to itself" in error_of(exc)[1]


def _upload(s3, bucket, key, **kw):
    upload = s3.create_multipart_upload(Bucket=bucket, Key=key, **kw)["UploadId"]
    part = s3.upload_part(Bucket=bucket, Key=key, UploadId=upload, PartNumber=1, Body=b"part")
    s3.complete_multipart_upload(
        Bucket=bucket,
        Key=key,
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )


def test_completed_upload_takes_the_acl_of_its_creation(s3, acl_bucket, owner):
    # test_s3_multipart_upload_acls: permission-acl-key1 (none), permission-acl-key2 (public-read-write)
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read")
    _upload(s3, acl_bucket, "acl-key1")
    assert object_acl(s3, acl_bucket, "acl-key1") == private(owner)
    _upload(s3, acl_bucket, "acl-key2", ACL="public-read-write")
    assert object_acl(s3, acl_bucket, "acl-key2") == {
        "Owner": owner,
        "Grants": [me(owner), group(ALL_USERS, "READ"), group(ALL_USERS, "WRITE")],
    }
    _upload(s3, acl_bucket, "acl-key3", GrantReadACP=f'uri="{LOG_DELIVERY}"')
    assert object_acl(s3, acl_bucket, "acl-key3")["Grants"] == [group(LOG_DELIVERY, "READ_ACP")]


def test_create_multipart_upload_checks_its_acl(s3, acl_bucket):
    with pytest.raises(ClientError) as exc:
        s3.create_multipart_upload(Bucket=acl_bucket, Key="k", ACL="fake-acl")
    assert code_of(exc) == ("InvalidArgument", 400)
    assert not s3.list_multipart_uploads(Bucket=acl_bucket).get("Uploads")


# --------------------------------------------------------------------------- object ownership


def test_acls_disabled_refuse_acl_writes(s3, bucket, owner):
    # S3's default ownership is BucketOwnerEnforced (test_crud_bucket_ownership_controls:
    # default-ownership); user guide, Object Ownership troubleshooting: AccessControlListNotSupported
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerEnforced"}
    ]
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    upload_source = {"Bucket": bucket, "Key": "k"}
    for call in (
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="public-read"),
        lambda: s3.put_bucket_acl(Bucket=bucket, ACL="private"),
        lambda: s3.put_bucket_acl(Bucket=bucket, GrantRead=f'uri="{LOG_DELIVERY}"'),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="public-read"),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k", ACL="private"),
        lambda: s3.put_object_acl(Bucket=bucket, Key="k", GrantRead=f'id="{owner["ID"]}"'),
        lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", ACL="public-read"),
        lambda: s3.put_object(Bucket=bucket, Key="new", Body=b"x", ACL="bucket-owner-read"),
        lambda: s3.copy_object(Bucket=bucket, Key="new", CopySource=upload_source, ACL="public-read"),
        lambda: s3.create_multipart_upload(Bucket=bucket, Key="new", ACL="authenticated-read"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == NOT_ALLOWED
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["k"]
    assert not s3.list_multipart_uploads(Bucket=bucket).get("Uploads")


def test_acls_disabled_take_the_owner_full_control(s3, bucket, owner):
    # "bucket-owner-full-control canned ACL or an equivalent form of this ACL expressed in the XML format"
    full = {
        "Owner": owner,
        "Grants": [{"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}],
    }
    s3.put_bucket_acl(Bucket=bucket, ACL="bucket-owner-full-control")
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=full)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="bucket-owner-full-control")
    s3.put_object_acl(Bucket=bucket, Key="k", ACL="bucket-owner-full-control")
    s3.put_object_acl(Bucket=bucket, Key="k", AccessControlPolicy=full)
    s3.copy_object(
        Bucket=bucket, Key="c", CopySource={"Bucket": bucket, "Key": "k"}, ACL="bucket-owner-full-control"
    )
    _upload(s3, bucket, "m", ACL="bucket-owner-full-control")
    assert bucket_acl(s3, bucket) == private(owner)
    for key in ("k", "c", "m"):
        assert object_acl(s3, bucket, key) == private(owner)


def test_acls_read_as_owner_full_control_once_disabled(s3, acl_bucket, owner):
    # "Requests to read ACLs always return a response that shows full control for the bucket owner"
    s3.put_object(Bucket=acl_bucket, Key="k", Body=b"x", GrantRead=f'uri="{ALL_USERS}"')
    s3.put_bucket_acl(Bucket=acl_bucket, GrantFullControl=f'id="{owner["ID"]}"')  # the owner's only
    s3.put_bucket_ownership_controls(
        Bucket=acl_bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    assert object_acl(s3, acl_bucket, "k") == private(owner)
    assert bucket_acl(s3, acl_bucket) == private(owner)


def test_acls_come_back_without_ownership_controls(s3, bucket, owner):
    # test_object_put_acl deletes the ownership controls to put ACLs: a bucket without any has ACLs
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="k", Body=b"x", ACL="public-read")
    assert object_acl(s3, bucket, "k")["Grants"] == [me(owner), group(ALL_USERS, "READ")]
    s3.put_bucket_acl(Bucket=bucket, ACL="authenticated-read")
    assert bucket_acl(s3, bucket)["Grants"] == [me(owner), group(AUTHENTICATED_USERS, "READ")]


def test_create_bucket_with_an_acl(s3, make_bucket, owner):
    bucket = make_bucket("cacl", ObjectOwnership="ObjectWriter", ACL="public-read")
    assert bucket_acl(s3, bucket) == {"Owner": owner, "Grants": [me(owner), group(ALL_USERS, "READ")]}
    granted = make_bucket(
        "cgrant", ObjectOwnership="BucketOwnerPreferred", GrantWrite=f'uri="{LOG_DELIVERY}"'
    )
    assert bucket_acl(s3, granted) == {"Owner": owner, "Grants": [group(LOG_DELIVERY, "WRITE")]}
    # with ACLs disabled, an ACL giving the owner full control alone is taken
    for acl in ("private", "bucket-owner-full-control"):
        assert bucket_acl(s3, make_bucket("cpriv", ACL=acl)) == private(owner)


def test_create_bucket_with_acl_and_enforced_ownership(s3, make_bucket):
    # user guide, Object Ownership troubleshooting: InvalidBucketAclWithObjectOwnership
    names = []
    for kwargs in (
        {"ACL": "public-read"},
        {"ACL": "log-delivery-write", "ObjectOwnership": "BucketOwnerEnforced"},
        {"GrantRead": f'uri="{AUTHENTICATED_USERS}"'},
    ):
        name = unique_name("cenf")
        names.append(name)
        with pytest.raises(ClientError) as exc:
            s3.create_bucket(Bucket=name, **kwargs)
        assert error_of(exc) == ACL_WITH_ENFORCED
    with pytest.raises(ClientError) as exc:  # checked like any ACL first
        s3.create_bucket(Bucket=unique_name("cenf"), ACL="fake-acl")
    assert code_of(exc) == ("InvalidArgument", 400)
    listed = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert not listed & set(names)


def test_disabling_acls_needs_a_private_bucket_acl(s3, acl_bucket, owner):
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read")
    enforced = {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=acl_bucket, OwnershipControls=enforced)
    assert error_of(exc) == ACL_WITH_ENFORCED
    assert s3.get_bucket_ownership_controls(Bucket=acl_bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}
    ]
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="private")
    s3.put_bucket_ownership_controls(Bucket=acl_bucket, OwnershipControls=enforced)
    assert s3.get_bucket_ownership_controls(Bucket=acl_bucket)["OwnershipControls"] == enforced


def test_recreating_a_bucket_in_us_east_1_resets_its_acl(s3, acl_bucket, owner):
    # API reference, error code list, BucketAlreadyOwnedByYou: "returns 200 OK and resets the bucket ACLs"
    s3.put_bucket_acl(Bucket=acl_bucket, ACL="public-read")
    assert s3.create_bucket(Bucket=acl_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert bucket_acl(s3, acl_bucket) == private(owner)


# --------------------------------------------------------------------------- notifications


def test_put_object_acl_notifies_when_the_acl_changes(s3, sqs, acl_bucket, owner):
    # test_object_put_acl (SQS): four PutObjectAcl, the first (private, unchanged) without an event
    url, arn = queue_for_notifications(sqs, unique_name("aclev"))
    s3.put_bucket_notification_configuration(
        Bucket=acl_bucket,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectAcl:Put"]}]
        },
    )
    assert receive_bodies(sqs, url, 1)[0]["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=acl_bucket, Key="my_key_acl", Body=b"something")
    s3.put_object_acl(Bucket=acl_bucket, Key="my_key_acl", ACL="private")
    s3.put_object_acl(Bucket=acl_bucket, Key="my_key_acl", ACL="public-read")
    s3.put_object_acl(Bucket=acl_bucket, Key="my_key_acl", GrantRead=f'uri="{LOG_DELIVERY}"')
    policy = {
        "Owner": owner,
        "Grants": [
            {"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
            {"Grantee": {"URI": LOG_DELIVERY, "Type": "Group"}, "Permission": "WRITE"},
        ],
    }
    s3.put_object_acl(Bucket=acl_bucket, Key="my_key_acl", AccessControlPolicy=policy)
    records = [r for body in receive_bodies(sqs, url, 3) for r in body["Records"]]
    assert len(records) == 3
    assert {r["eventName"] for r in records} == {"ObjectAcl:Put"}
    assert {r["eventVersion"] for r in records} == {"2.3"}
    assert records[0]["s3"]["object"] == {"key": "my_key_acl", "eTag": "437b930db84b8079c2dd804a71936b5f"}
    assert not sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages")


# --------------------------------------------------------------------------- persistence


def test_acls_survive_a_restart(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    config = Config(s3={"addressing_style": "path"})
    try:
        s3 = client("s3", server.endpoint, config=config)
        owner = s3.list_buckets()["Owner"]
        s3.create_bucket(Bucket="acl-durable", ObjectOwnership="ObjectWriter", ACL="public-read")
        s3.put_bucket_versioning(Bucket="acl-durable", VersioningConfiguration={"Status": "Enabled"})
        v1 = s3.put_object(Bucket="acl-durable", Key="k", Body=b"1", ACL="authenticated-read")["VersionId"]
        s3.put_object(Bucket="acl-durable", Key="k", Body=b"2")
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint, config=config)
        assert bucket_acl(s3, "acl-durable")["Grants"] == [me(owner), group(ALL_USERS, "READ")]
        assert object_acl(s3, "acl-durable", "k", VersionId=v1)["Grants"] == [
            me(owner),
            group(AUTHENTICATED_USERS, "READ"),
        ]
        assert object_acl(s3, "acl-durable", "k") == private(owner)
    finally:
        server.kill()
