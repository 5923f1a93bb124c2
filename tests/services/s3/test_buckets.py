"""S3 buckets: create/head/list/delete, location, tagging, policy, CORS, versioning, lifecycle,
notifications to SQS, public access block and ownership controls.

Recorded scenarios (``aws-reference/s3``) behind the assertions are named in each test.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from botocore.exceptions import ClientError

from .conftest import (
    ACCOUNT,
    INVALID_BUCKET_NAME,
    MALFORMED_XML,
    NO_SUCH_BUCKET,
    NO_SUCH_KEY,
    OTHER_ACCOUNT,
    code_of,
    error_fields,
    error_of,
    headers_of,
    md5_hex,
    queue_for_notifications,
    raw_request,
    receive_bodies,
    server_now,
    unique_name,
)

# --------------------------------------------------------------------------- CreateBucket


def test_create_bucket_in_us_east_1(s3, make_bucket):
    # test_create_bucket_head_bucket: Location "/<name>", BucketArn
    name = unique_name("create")
    created = s3.create_bucket(Bucket=name)
    make_bucket.adopt(name, s3)
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert created["Location"] == f"/{name}"
    assert created["BucketArn"] == f"arn:aws:s3:::{name}"
    head = s3.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "us-east-1"
    assert head["BucketArn"] == f"arn:aws:s3:::{name}"
    assert head["AccessPointAlias"] is False
    assert s3.get_bucket_location(Bucket=name)["LocationConstraint"] is None


def test_create_bucket_with_location_constraint(make_bucket):
    # test_create_bucket_head_bucket (create_bucket_location_constraint), test_different_location_constraint
    name = make_bucket("west", region="eu-west-1")
    west = make_bucket.client("eu-west-1")
    assert west.get_bucket_location(Bucket=name)["LocationConstraint"] == "eu-west-1"
    head = west.head_bucket(Bucket=name)
    assert head["BucketRegion"] == "eu-west-1"
    assert head["ResponseMetadata"]["HTTPHeaders"]["x-amz-bucket-region"] == "eu-west-1"


@pytest.mark.parametrize("constraint", ["us-east-1", "foo", "aws-global"])
def test_us_east_1_refuses_a_location_constraint(s3, constraint):
    # test_create_bucket_with_invalid_location_constraint[us-east-1-*], test_bucket_constraint_aws_global[us-east-1]
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(
            Bucket=unique_name("lc"), CreateBucketConfiguration={"LocationConstraint": constraint}
        )
    assert error_of(exc) == (
        "InvalidLocationConstraint",
        "The specified location-constraint is not valid",
        400,
    )
    assert error_fields(exc)["LocationConstraint"] == constraint


def test_regional_endpoint_needs_its_own_location_constraint(make_bucket):
    # test_different_location_constraint: create-bucket-us-east-2-no-constraint-exc
    west = make_bucket.client("eu-west-1")
    with pytest.raises(ClientError) as exc:
        west.create_bucket(Bucket=unique_name("nolc"))
    assert error_of(exc) == (
        "IllegalLocationConstraintException",
        "The unspecified location constraint is incompatible for the region specific endpoint "
        "this request was sent to.",
        400,
    )


@pytest.mark.parametrize("constraint", ["us-west-2", "us-east-1", "bar"])
def test_regional_endpoint_refuses_another_regions_constraint(make_bucket, constraint):
    # test_different_location_constraint, test_create_bucket_with_invalid_location_constraint[eu-west-1-bar]
    west = make_bucket.client("eu-west-1")
    with pytest.raises(ClientError) as exc:
        west.create_bucket(
            Bucket=unique_name("badlc"), CreateBucketConfiguration={"LocationConstraint": constraint}
        )
    assert error_of(exc) == (
        "IllegalLocationConstraintException",
        f"The {constraint} location constraint is incompatible for the region specific endpoint "
        "this request was sent to.",
        400,
    )


def test_recreating_an_owned_bucket_in_us_east_1_is_ok(s3, bucket):
    # S3 API reference, "Error responses": BucketAlreadyOwnedByYou is not returned in us-east-1
    # (legacy 200 OK); test_create_bucket_with_tags_us_east_1_idempotency: create-bucket-with-no-tags
    again = s3.create_bucket(Bucket=bucket)
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_recreating_an_owned_bucket_elsewhere_is_refused(make_bucket):
    # test_create_bucket_with_existing_name
    name = make_bucket("owned", region="eu-west-1")
    west = make_bucket.client("eu-west-1")
    with pytest.raises(ClientError) as exc:
        west.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    assert error_of(exc) == (
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
    )
    assert error_fields(exc)["BucketName"] == name


def test_recreating_with_tags_in_us_east_1_is_refused(s3, bucket):
    # test_create_bucket_with_tags_us_east_1_idempotency: create-bucket-different-tags
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"Tags": [{"Key": "k", "Value": "v"}]})
    assert error_of(exc) == (
        "BucketAlreadyOwnedByYou",
        "Your previous request to create the named bucket succeeded and you already own it.",
        409,
    )


def test_bucket_names_are_global_across_accounts(make_bucket):
    # S3 API reference, "Error responses": BucketAlreadyExists, 409
    name = make_bucket("taken")
    other = make_bucket.client(account=OTHER_ACCOUNT)
    with pytest.raises(ClientError) as exc:
        other.create_bucket(Bucket=name)
    assert error_of(exc) == (
        "BucketAlreadyExists",
        "The requested bucket name is not available. The bucket namespace is shared by all users "
        "of the system. Please select a different name and try again.",
        409,
    )


INVALID_NAMES = [
    pytest.param("ab", id="too-short"),
    pytest.param("a" * 64, id="too-long"),
    pytest.param("UpperCase-bucket", id="uppercase"),
    pytest.param("under_score-bucket", id="underscore"),
    pytest.param("-starts-with-hyphen", id="leading-hyphen"),
    pytest.param("ends-with-hyphen-", id="trailing-hyphen"),
    pytest.param(".starts-with-dot", id="leading-dot"),
    pytest.param("ends-with-dot.", id="trailing-dot"),
    pytest.param("two..dots", id="adjacent-dots"),
    pytest.param("192.168.5.4", id="ip-address"),
    pytest.param("xn--punycode-prefix", id="xn-prefix"),
    pytest.param("sthree-reserved", id="sthree-prefix"),
    pytest.param("amzn-s3-demo-reserved", id="amzn-s3-demo-prefix"),
    pytest.param("access-point-s3alias", id="s3alias-suffix"),
    pytest.param("object-lambda--ol-s3", id="ol-s3-suffix"),
    pytest.param("multi-region.mrap", id="mrap-suffix"),
]


@pytest.mark.parametrize("name", INVALID_NAMES)
def test_create_bucket_rejects_invalid_names(s3, name):
    # S3 user guide, "General purpose bucket naming rules"; test_s3_uppercase_bucket_name
    with pytest.raises(ClientError) as exc:
        s3.create_bucket(Bucket=name)
    assert error_of(exc) == ("InvalidBucketName", INVALID_BUCKET_NAME, 400)
    assert error_fields(exc)["BucketName"] == name


@pytest.mark.parametrize("path", ["/bad%20name", "/bad%21name", "/caf%C3%A9-bucket", "/directory--x-s3"])
def test_create_bucket_rejects_names_boto3_would_not_send(cloudlet, path):
    # S3 user guide, "General purpose bucket naming rules": lowercase letters, digits, dots,
    # hyphens; no "--x-s3" suffix (boto3 sends such names to S3 Express CreateSession instead)
    resp = raw_request(cloudlet.endpoint, "PUT", path)
    assert resp.status == 400
    assert (resp.error["Code"], resp.error["Message"]) == ("InvalidBucketName", INVALID_BUCKET_NAME)


VALID_NAMES = [
    pytest.param(lambda u: u[:3], id="three-chars"),
    pytest.param(lambda u: (u * 2)[:63], id="sixty-three-chars"),
    pytest.param(lambda u: f"my.dotted.{u[:8]}", id="dots"),
    pytest.param(lambda u: f"1-starts-with-digit-{u[:8]}", id="leading-digit"),
    pytest.param(lambda u: f"a-b-c.d-e-{u[:8]}-9", id="hyphens-and-dots"),
]


@pytest.mark.parametrize("make_name", VALID_NAMES)
def test_create_bucket_accepts_valid_names(s3, make_bucket, make_name):
    # S3 user guide, "General purpose bucket naming rules"
    name = make_name(uuid.uuid4().hex)
    s3.create_bucket(Bucket=name)
    make_bucket.adopt(name, s3)
    assert s3.head_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_create_bucket_with_invalid_object_ownership(s3_raw):
    # test_bucket_ownership_controls_exc: ownership-wrong-value-at-creation, ownership-non-value-at-creation
    for value in ("RandomValue", ""):
        with pytest.raises(ClientError) as exc:
            s3_raw.create_bucket(Bucket=unique_name("own"), ObjectOwnership=value)
        assert error_of(exc) == ("InvalidArgument", f"Invalid x-amz-object-ownership header: {value}", 400)
        assert error_fields(exc)["ArgumentName"] == "x-amz-object-ownership"


# --------------------------------------------------------------------------- HeadBucket / ListBuckets


def test_head_bucket_that_does_not_exist(s3):
    # test_create_bucket_head_bucket: head_bucket_not_exist (HEAD has no body)
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=unique_name("nothere"))
    assert error_of(exc) == ("404", "Not Found", 404)


def test_list_buckets_shows_own_buckets_with_arn_and_region(s3, make_bucket):
    # test_create_bucket_with_eu_location_constraint: list-bucket-response
    east = make_bucket("lsa")
    west = make_bucket("lsa", region="eu-west-1")
    listed = {b["Name"]: b for b in s3.list_buckets(Prefix="lsa-")["Buckets"]}
    assert {east, west} <= set(listed)
    assert listed[east]["BucketRegion"] == "us-east-1"
    assert listed[west]["BucketRegion"] == "eu-west-1"
    assert listed[west]["BucketArn"] == f"arn:aws:s3:::{west}"
    assert isinstance(listed[east]["CreationDate"], datetime)
    assert "ID" in s3.list_buckets()["Owner"]


def test_list_buckets_is_per_account(make_bucket):
    name = make_bucket("mine")
    other = make_bucket.client(account=OTHER_ACCOUNT)
    assert name not in [b["Name"] for b in other.list_buckets()["Buckets"]]


def test_list_buckets_prefix_region_and_pagination(s3, make_bucket):
    # test_list_buckets_with_max_buckets, test_list_buckets_by_prefix_with_case_sensitivity,
    # test_list_buckets_by_bucket_region
    prefix = unique_name("pg")[:20]
    names = sorted(make_bucket(name=f"{prefix}-{i}") for i in range(3))
    west = make_bucket(name=f"{prefix}-w", region="eu-west-1")
    assert [b["Name"] for b in s3.list_buckets(Prefix=prefix)["Buckets"]] == sorted([*names, west])
    assert s3.list_buckets(Prefix=prefix.upper())["Buckets"] == []
    by_region = s3.list_buckets(Prefix=prefix, BucketRegion="eu-west-1")["Buckets"]
    assert [b["Name"] for b in by_region] == [west]
    seen: list[str] = []
    kwargs = {"Prefix": prefix, "MaxBuckets": 1}
    for _ in range(10):
        page = s3.list_buckets(**kwargs)
        assert len(page["Buckets"]) <= 1
        seen += [b["Name"] for b in page["Buckets"]]
        if "ContinuationToken" not in page:
            break
        kwargs["ContinuationToken"] = page["ContinuationToken"]
    assert seen == sorted([*names, west])


def test_list_buckets_invalid_region(s3):
    # test_list_buckets_region_validation
    with pytest.raises(ClientError) as exc:
        s3.list_buckets(BucketRegion="eu-east-1")
    assert error_of(exc) == ("InvalidArgument", "Argument value eu-east-1 is not a valid AWS Region", 400)
    assert error_fields(exc)["ArgumentName"] == "bucket-region"


# --------------------------------------------------------------------------- DeleteBucket


def test_delete_bucket(s3):
    # test_delete_bucket_with_objects: delete-bucket 204
    name = unique_name("del")
    s3.create_bucket(Bucket=name)
    assert s3.delete_bucket(Bucket=name)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.head_bucket(Bucket=name)
    assert code_of(exc) == ("404", 404)
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_delete_bucket_that_does_not_exist(s3):
    # test_delete_bucket_no_such_bucket
    name = unique_name("gone")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=name)
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == name


def test_delete_bucket_with_objects(s3, bucket):
    # test_delete_bucket_with_objects
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=bucket)
    assert error_of(exc) == ("BucketNotEmpty", "The bucket you tried to delete is not empty", 409)
    assert error_fields(exc)["BucketName"] == bucket
    s3.delete_object(Bucket=bucket, Key="k")
    assert s3.delete_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_versioned_bucket_needs_every_version_gone(s3, versioned_bucket):
    # test_delete_versioned_bucket_with_objects
    version = s3.put_object(Bucket=versioned_bucket, Key="k", Body=b"x")["VersionId"]
    marker = s3.delete_object(Bucket=versioned_bucket, Key="k")["VersionId"]
    message = "The bucket you tried to delete is not empty. You must delete all versions in the bucket."
    with pytest.raises(ClientError) as exc:
        s3.delete_bucket(Bucket=versioned_bucket)
    assert error_of(exc) == ("BucketNotEmpty", message, 409)
    s3.delete_object(Bucket=versioned_bucket, Key="k", VersionId=version)
    with pytest.raises(ClientError) as exc:  # only the delete marker is left
        s3.delete_bucket(Bucket=versioned_bucket)
    assert error_of(exc) == ("BucketNotEmpty", message, 409)
    s3.delete_object(Bucket=versioned_bucket, Key="k", VersionId=marker)
    assert s3.delete_bucket(Bucket=versioned_bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_deleted_bucket_loses_its_configuration(s3):
    # test_delete_lifecycle_configuration_on_bucket_deletion
    name = unique_name("conf")
    s3.create_bucket(Bucket=name)
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    try:
        with pytest.raises(ClientError) as exc:
            s3.get_bucket_tagging(Bucket=name)
        assert error_of(exc) == ("NoSuchTagSet", "The TagSet does not exist", 404)
    finally:
        s3.delete_bucket(Bucket=name)


def test_get_bucket_location_of_missing_bucket(s3):
    # test_different_location_constraint: get-bucket-location-non-existent-bucket
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_location(Bucket=unique_name("noloc"))
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)


@pytest.mark.parametrize(
    "call",
    [
        "get_bucket_tagging",
        "get_bucket_policy",
        "get_bucket_cors",
        "get_bucket_versioning",
        "get_bucket_lifecycle_configuration",
        "get_bucket_notification_configuration",
        "get_public_access_block",
        "get_bucket_ownership_controls",
        "list_objects_v2",
        "list_object_versions",
        "list_multipart_uploads",
    ],
)
def test_bucket_subresources_of_missing_bucket(s3, call):
    # test_bucket_tagging_exc, test_bucket_versioning_crud, test_bucket_availability,
    # test_get_bucket_notification_configuration_no_such_bucket, test_bucket_does_not_exist
    name = unique_name("nob")
    with pytest.raises(ClientError) as exc:
        getattr(s3, call)(Bucket=name)
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == name


# --------------------------------------------------------------------------- tagging


def test_bucket_tagging_crud(s3, bucket):
    # test_bucket_tagging_crud, test_put_bucket_tagging_none_value
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(exc) == ("NoSuchTagSet", "The TagSet does not exist", 404)
    assert error_fields(exc)["BucketName"] == bucket
    put = s3.put_bucket_tagging(
        Bucket=bucket, Tagging={"TagSet": [{"Key": "tag1", "Value": "tag1"}, {"Key": "tag2", "Value": ""}]}
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [
        {"Key": "tag1", "Value": "tag1"},
        {"Key": "tag2", "Value": ""},
    ]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "tag3", "Value": "tag3"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "tag3", "Value": "tag3"}]
    assert s3.delete_bucket_tagging(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(exc)[0] == "NoSuchTagSet"


def test_put_empty_tag_set_removes_the_tags(s3, bucket):
    # test_put_bucket_tagging_none_value: put-none-tag-set 204, then no-such-tag-set
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert (
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": []})["ResponseMetadata"]["HTTPStatusCode"]
        == 204
    )
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=bucket)
    assert error_of(exc) == ("NoSuchTagSet", "The TagSet does not exist", 404)


def test_create_bucket_with_tags(s3, make_bucket):
    # test_create_bucket_with_tags_us_east_1_idempotency: get-bucket-tags
    name = make_bucket("ctag", CreateBucketConfiguration={"Tags": [{"Key": "tag1", "Value": "value1"}]})
    assert s3.get_bucket_tagging(Bucket=name)["TagSet"] == [{"Key": "tag1", "Value": "value1"}]


@pytest.mark.parametrize(
    ("tags", "message", "fields"),
    [
        (
            [{"Key": "Key1", "Value": "a"}, {"Key": "Key1", "Value": "b"}],
            "Cannot provide multiple Tags with the same key",
            {"TagKey": "Key1"},
        ),
        (
            [{"Key": "Key1,Key2", "Value": "a"}],
            "The TagKey you have provided is invalid",
            {"TagKey": "Key1,Key2"},
        ),
        (
            [{"Key": "Key1", "Value": "Val1,Val2"}],
            "The TagValue you have provided is invalid",
            {"TagKey": "Key1", "TagValue": "Val1,Val2"},
        ),
        (
            [{"Key": "aws:prefixed", "Value": "a"}],
            "System tags cannot be added/updated by requester",
            {"TagKey": "aws:prefixed"},
        ),
    ],
    ids=["duplicate-keys", "invalid-key", "invalid-value", "aws-prefix"],
)
def test_bucket_tagging_validation(s3, bucket, tags, message, fields):
    # test_tagging_validation: put-bucket-tags-*
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert error_of(exc) == ("InvalidTag", message, 400)
    assert {k: error_fields(exc)[k] for k in fields} == fields


@pytest.mark.parametrize("tag", [{"Value": "v"}, {"Key": "k"}], ids=["no-key", "no-value"])
def test_bucket_tag_without_key_or_value_is_malformed(s3_raw, bucket, tag):
    # test_tagging_validation: put-bucket-tags-none-key, put-bucket-tags-none-value
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [tag]})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_bucket_tagging_on_missing_bucket(s3):
    # test_bucket_tagging_exc
    name = unique_name("notag")
    for call in (
        lambda: s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}),
        lambda: s3.delete_bucket_tagging(Bucket=name),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)


# --------------------------------------------------------------------------- policy


def public_read_policy(bucket: str) -> dict:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        ],
    }


def test_bucket_policy_crud(s3, bucket):
    # test_bucket_policy_crud
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", "The bucket policy does not exist", 404)
    assert error_fields(exc)["BucketName"] == bucket
    policy = public_read_policy(bucket)
    put = s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(policy))
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"]) == policy
    assert s3.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket)
    assert error_of(exc)[0] == "NoSuchBucketPolicy"
    # deleting again is fine (delete-bucket-policy-after-delete)
    assert s3.delete_bucket_policy(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


@pytest.mark.parametrize("policy", ["", "randomstring"], ids=["empty", "text"])
def test_bucket_policy_must_be_a_json_object(s3, bucket, policy):
    # test_bucket_policy_exc: put-empty-bucket-policy, put-bucket-policy-randomstring
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy=policy)
    assert error_of(exc) == (
        "MalformedPolicy",
        "Policies must be valid JSON and the first byte must be '{'",
        400,
    )


def test_bucket_policy_needs_a_statement(s3, bucket):
    # test_bucket_policy_exc: put-bucket-policy-empty-json
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy="{}")
    assert error_of(exc) == ("MalformedPolicy", "Missing required field Statement", 400)


def test_bucket_policy_that_is_not_json(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_policy(Bucket=bucket, Policy='{"Version": "2012-10-17", "Statement": [')
    assert code_of(exc) == ("MalformedPolicy", 400)  # message unverified


def test_get_bucket_policy_expected_owner(s3, bucket):
    # test_get_bucket_policy: get-bucket-policy-with-expected-bucket-owner(-error),
    # test_get_bucket_policy_invalid_account_id
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    assert "Policy" in s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=ACCOUNT)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner=OTHER_ACCOUNT)
    assert error_of(exc) == ("AccessDenied", "Access Denied", 403)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy(Bucket=bucket, ExpectedBucketOwner="abcd")
    assert error_of(exc) == (
        "InvalidBucketOwnerAWSAccountID",
        "The value of the expected bucket owner parameter must be an AWS Account ID... [abcd]",
        400,
    )


# --------------------------------------------------------------------------- CORS


def test_bucket_cors_crud(s3, bucket):
    # test_get_cors, test_put_cors, test_delete_cors
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_of(exc) == ("NoSuchCORSConfiguration", "The CORS configuration does not exist", 404)
    assert error_fields(exc)["BucketName"] == bucket
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    rules = [
        {
            "AllowedHeaders": [
                "x-amz-expected-bucket-owner",
                "x-amz-server-side-encryption-customer-algorithm",
            ],
            "AllowedMethods": ["GET", "PUT", "HEAD"],
            "AllowedOrigins": ["https://test.com", "https://app.test.com", "http://test.com:80"],
            "MaxAgeSeconds": 3000,
        }
    ]
    put = s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    assert s3.delete_bucket_cors(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_cors(Bucket=bucket)
    assert error_of(exc)[0] == "NoSuchCORSConfiguration"


def test_bucket_cors_rejects_unknown_method(s3, bucket):
    # test_put_cors_invalid_rules: put-cors-exc
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(
            Bucket=bucket,
            CORSConfiguration={
                "CORSRules": [{"AllowedMethods": ["GET", "MYMETHOD"], "AllowedOrigins": ["*"]}]
            },
        )
    assert error_of(exc) == (
        "InvalidRequest",
        "Found unsupported HTTP method in CORS config. Unsupported method is MYMETHOD",
        400,
    )


def test_bucket_cors_needs_rules(s3, bucket):
    # test_put_cors_invalid_rules: put-cors-exc-empty
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": []})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


# --------------------------------------------------------------------------- versioning


def test_bucket_versioning_states(s3, bucket):
    # test_bucket_versioning_crud
    before = s3.get_bucket_versioning(Bucket=bucket)
    assert "Status" not in before and "MFADelete" not in before
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Suspended"


@pytest.mark.parametrize("status", ["enabled", "Disabled"])
def test_bucket_versioning_rejects_other_states(s3, bucket, status):
    # test_bucket_versioning_crud: put-versioning-enabled-lowercase, put-versioning-disabled
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": status})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_bucket_versioning_needs_a_status(s3, bucket):
    # test_bucket_versioning_crud: put-versioning-empty
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={})
    assert error_of(exc) == (
        "IllegalVersioningConfigurationException",
        "The Versioning element must be specified",
        400,
    )


def test_put_bucket_versioning_on_missing_bucket(s3):
    # test_bucket_versioning_crud: put-versioning-no-bucket
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_versioning(Bucket=unique_name("nov"), VersioningConfiguration={"Status": "Enabled"})
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)


# --------------------------------------------------------------------------- lifecycle


def expire_rule(rule_id: str = "wholebucket", days: int = 7, prefix: str = "") -> dict:
    return {"ID": rule_id, "Status": "Enabled", "Filter": {"Prefix": prefix}, "Expiration": {"Days": days}}


def test_bucket_lifecycle_crud(s3, bucket):
    # test_delete_bucket_lifecycle_configuration
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error_of(exc) == (
        "NoSuchLifecycleConfiguration",
        "The lifecycle configuration does not exist",
        404,
    )
    assert error_fields(exc)["BucketName"] == bucket
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [expire_rule()]})
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == [expire_rule()]
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    deleted = s3.delete_bucket_lifecycle(Bucket=bucket)
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert error_of(exc)[0] == "NoSuchLifecycleConfiguration"


def test_bucket_lifecycle_keeps_rule_order(s3, bucket):
    # test_bucket_lifecycle_multiple_rules
    rules = [
        expire_rule("rule_one", 1, "testobject"),
        expire_rule("rule_two", 2, "test"),
        expire_rule("rule_three", 3, "t"),
    ]
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]] == [
        "rule_one",
        "rule_two",
        "rule_three",
    ]


BAD_LIFECYCLE_RULES = [
    pytest.param({"ID": "r", "Status": "Enabled", "Expiration": {"Days": 1}}, id="missing-filter"),
    pytest.param(
        {
            "ID": "r",
            "Status": "Enabled",
            "Filter": {"Prefix": "a", "And": {"Prefix": "b", "Tags": [{"Key": "k", "Value": "v"}]}},
            "Expiration": {"Days": 1},
        },
        id="filter-and-plus-prefix",
    ),
    pytest.param(
        {
            "ID": "r",
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": 1, "ExpiredObjectDeleteMarker": True},
        },
        id="expired-delete-marker-and-days",
    ),
]


@pytest.mark.parametrize("rule", BAD_LIFECYCLE_RULES)
def test_bucket_lifecycle_malformed_rules(s3, bucket, rule):
    # test_put_bucket_lifecycle_conf_exc: missing-filter, wrong-filter-and-plus-prefix,
    # expired-delete-marker-and-days
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_bucket_lifecycle_date_must_be_midnight(s3, bucket):
    # test_put_bucket_lifecycle_conf_exc: wrong-data-no-midnight
    rule = {
        "ID": "r",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Expiration": {"Date": datetime(2040, 1, 1, 13, 30)},
    }
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert error_of(exc) == ("InvalidArgument", "'Date' must be at midnight GMT", 400)
    assert error_fields(exc)["ArgumentName"] == "Date"


def test_bucket_lifecycle_duplicate_tag_keys(s3, bucket):
    # test_put_bucket_lifecycle_conf_exc: duplicate-tag-keys
    rule = {
        "ID": "r",
        "Status": "Enabled",
        "Filter": {"And": {"Prefix": "p", "Tags": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]}},
        "Expiration": {"Days": 1},
    }
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert error_of(exc) == ("InvalidRequest", "Duplicate Tag Keys are not allowed.", 400)


EXPIRATION_RE = re.compile(r'expiry-date="([^"]+)", rule-id="([^"]+)"')


def test_lifecycle_expiration_header_and_expiry_when_clock_moves(s3, bucket, cloudlet):
    # test_bucket_lifecycle_configuration_object_expiry, test_bucket_lifecycle_multiple_rules
    # (put-object-no-match has no Expiration); S3 API reference, PutObject x-amz-expiration;
    # S3 user guide: expiry = creation + Days, rounded up to the next midnight UTC.
    rule = expire_rule("expire-logs", 1, "logs/")
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    put = s3.put_object(Bucket=bucket, Key="logs/app.log", Body=b"old")
    kept = s3.put_object(Bucket=bucket, Key="data/keep.bin", Body=b"keep")
    assert "Expiration" not in kept
    match = EXPIRATION_RE.fullmatch(put["Expiration"])
    assert match is not None and match[2] == "expire-logs"
    expiry = parsedate_to_datetime(match[1])
    assert (expiry.hour, expiry.minute, expiry.second) == (0, 0, 0)
    created = s3.head_object(Bucket=bucket, Key="logs/app.log")
    assert created["Expiration"] == put["Expiration"]
    assert timedelta(days=1) <= expiry - created["LastModified"] <= timedelta(days=2)

    # a minute before the expiry date the object is still there
    cloudlet.advance_clock((expiry - server_now(cloudlet)).total_seconds() - 60)
    assert s3.get_object(Bucket=bucket, Key="logs/app.log")["Body"].read() == b"old"
    # well after it, it has been removed; the object outside the rule's prefix stays
    cloudlet.advance_clock(60 + 24 * 3600)
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=bucket, Key="logs/app.log")
    assert error_of(exc) == ("NoSuchKey", NO_SUCH_KEY, 404)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])] == ["data/keep.bin"]


def test_lifecycle_expiration_by_date(s3, bucket, cloudlet):
    # test_bucket_lifecycle_configuration_date
    midnight = (server_now(cloudlet) + timedelta(days=2)).replace(hour=0, minute=0, second=0, microsecond=0)
    rule = {"ID": "by-date", "Status": "Enabled", "Filter": {}, "Expiration": {"Date": midnight}}
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]["Expiration"]["Date"] == midnight
    s3.put_object(Bucket=bucket, Key="k", Body=b"x")
    cloudlet.advance_clock((midnight - server_now(cloudlet)).total_seconds() + 24 * 3600)
    assert s3.list_objects_v2(Bucket=bucket)["KeyCount"] == 0


# --------------------------------------------------------------------------- notifications


def test_notification_to_sqs_sends_test_event_then_records(s3, sqs, bucket):
    # S3 user guide, event message structure (s3:TestEvent, records);
    # test_object_created_put (test_s3_notifications_sqs)
    url, arn = queue_for_notifications(sqs, unique_name("notif"))
    config = {"QueueConfigurations": [{"Id": "on-create", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    put = s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert got["QueueConfigurations"] == config["QueueConfigurations"]

    [test_event] = receive_bodies(sqs, url, 1)
    assert test_event["Service"] == "Amazon S3"
    assert test_event["Event"] == "s3:TestEvent"
    assert test_event["Bucket"] == bucket
    assert {"Time", "RequestId", "HostId"} <= set(test_event)

    s3.put_object(Bucket=bucket, Key="my_key_0", Body=b"something")
    [message] = receive_bodies(sqs, url, 1)
    [record] = message["Records"]
    assert record["eventName"] == "ObjectCreated:Put"
    assert record["eventSource"] == "aws:s3"
    assert record["eventVersion"] == "2.1"
    assert record["awsRegion"] == "us-east-1"
    assert record["s3"]["s3SchemaVersion"] == "1.0"
    assert record["s3"]["configurationId"] == "on-create"
    assert record["s3"]["bucket"]["name"] == bucket
    assert record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"
    assert record["s3"]["object"]["key"] == "my_key_0"
    assert record["s3"]["object"]["size"] == 9
    assert record["s3"]["object"]["eTag"] == md5_hex(b"something")
    assert record["s3"]["object"]["sequencer"]


def test_notification_filters_and_removal_events(s3, sqs, bucket):
    # S3 user guide, key-name filtering; test_object_created_and_object_removed
    url, arn = queue_for_notifications(sqs, unique_name("filt"))
    rules = [{"Name": "prefix", "Value": "images/"}, {"Name": "suffix", "Value": ".jpg"}]
    config = {
        "QueueConfigurations": [
            {
                "Id": "images",
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:Put", "s3:ObjectRemoved:*"],
                "Filter": {"Key": {"FilterRules": rules}},
            }
        ]
    }
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert receive_bodies(sqs, url, 1)[0]["Event"] == "s3:TestEvent"
    s3.put_object(Bucket=bucket, Key="images/skip.png", Body=b"x")
    s3.put_object(Bucket=bucket, Key="docs/skip.jpg", Body=b"x")
    s3.put_object(Bucket=bucket, Key="images/cat.jpg", Body=b"meow")
    s3.delete_object(Bucket=bucket, Key="images/cat.jpg")
    records = [r for body in receive_bodies(sqs, url, 2) for r in body["Records"]]
    assert sorted((r["eventName"], r["s3"]["object"]["key"]) for r in records) == [
        ("ObjectCreated:Put", "images/cat.jpg"),
        ("ObjectRemoved:Delete", "images/cat.jpg"),
    ]
    assert "Messages" not in sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0)


def test_notification_with_unparsable_queue_arn(s3, bucket):
    # test_invalid_sqs_arn: invalid_not_skip, invalid_skip
    config = {"QueueConfigurations": [{"QueueArn": "invalid-queue", "Events": ["s3:ObjectCreated:*"]}]}
    for skip in (False, True):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_notification_configuration(
                Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=skip
            )
        assert error_of(exc) == ("InvalidArgument", "The ARN could not be parsed", 400)
        assert error_fields(exc)["ArgumentName"] == "Queue"
        assert error_fields(exc)["ArgumentValue"] == "invalid-queue"


def test_notification_to_missing_queue(s3, bucket):
    # test_invalid_sqs_arn: queue-does-not-exist, skip_destination_validation
    arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:{unique_name('missing')}"
    config = {"QueueConfigurations": [{"Id": "id123", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert error_of(exc) == (
        "InvalidArgument",
        "Unable to validate the following destination configurations",
        400,
    )
    assert error_fields(exc)["ArgumentName1"] == arn
    assert error_fields(exc)["ArgumentValue1"] == "The destination queue does not exist"
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration=config, SkipDestinationValidation=True
    )
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"] == [
        {"Id": "id123", "QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}
    ]


def test_notification_invalid_filter_rule_name(s3, sqs, bucket):
    # test_bucket_notification_with_invalid_filter_rules
    _, arn = queue_for_notifications(sqs, unique_name("badrule"))
    config = {
        "QueueConfigurations": [
            {
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "INVALID", "Value": "x"}]}},
            }
        ]
    }
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert error_of(exc) == ("InvalidArgument", "filter rule name must be either prefix or suffix", 400)
    assert error_fields(exc)["ArgumentName"] == "FilterRule.Name"
    assert error_fields(exc)["ArgumentValue"] == "INVALID"


def test_notification_rule_without_value_is_malformed(s3_raw, sqs, bucket):
    # test_bucket_notification_with_missing_values_in_rule: invalid-rule-no-value
    _, arn = queue_for_notifications(sqs, unique_name("novalue"))
    config = {
        "QueueConfigurations": [
            {
                "QueueArn": arn,
                "Events": ["s3:ObjectCreated:*"],
                "Filter": {"Key": {"FilterRules": [{"Name": "prefix"}]}},
            }
        ]
    }
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_empty_notification_configuration(s3, bucket):
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    assert "QueueConfigurations" not in got and "TopicConfigurations" not in got


# --------------------------------------------------------------------------- public access block


def test_public_access_block_crud(s3, bucket):
    # test_crud_public_access_block
    default = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert default == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    off = dict.fromkeys(default, False)
    put = s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=off)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == off
    assert s3.delete_public_access_block(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_public_access_block(Bucket=bucket)
    assert error_of(exc) == (
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
        404,
    )
    assert error_fields(exc)["BucketName"] == bucket
    # idempotent-delete-public-access-block
    assert s3.delete_public_access_block(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_public_access_block_on_missing_bucket(s3):
    name = unique_name("nopab")
    for call in (
        lambda: s3.put_public_access_block(
            Bucket=name, PublicAccessBlockConfiguration={"BlockPublicAcls": False}
        ),
        lambda: s3.delete_public_access_block(Bucket=name),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)


# --------------------------------------------------------------------------- ownership controls


def test_ownership_controls_crud(s3, bucket, make_bucket):
    # test_crud_bucket_ownership_controls
    rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    assert rules == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    put = s3.put_bucket_ownership_controls(
        Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]}
    )
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}
    ]
    assert s3.delete_bucket_ownership_controls(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_ownership_controls(Bucket=bucket)
    assert error_of(exc) == (
        "OwnershipControlsNotFoundError",
        "The bucket ownership controls were not found",
        404,
    )
    assert error_fields(exc)["BucketName"] == bucket
    assert s3.delete_bucket_ownership_controls(Bucket=bucket)["ResponseMetadata"]["HTTPStatusCode"] == 204
    # get-ownership-at-creation
    preferred = make_bucket("pref", ObjectOwnership="BucketOwnerPreferred")
    assert s3.get_bucket_ownership_controls(Bucket=preferred)["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "BucketOwnerPreferred"}
    ]


@pytest.mark.parametrize(
    "rules",
    [
        [{"ObjectOwnership": "BucketOwnerPreferred"}, {"ObjectOwnership": "ObjectWriter"}],
        [{"ObjectOwnership": "RandomValue"}],
        [],
    ],
    ids=["multiple-rules", "wrong-value", "empty-rules"],
)
def test_ownership_controls_validation(s3, bucket, rules):
    # test_bucket_ownership_controls_exc: put-ownership-multiple-rules, -wrong-value, -empty-rule
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": rules})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


# --------------------------------------------------------------------------- addressing


def test_virtual_hosted_style_bucket_requests(cloudlet, bucket):
    # S3 user guide, virtual-hosted-style requests: the bucket is the first label of the Host
    port = cloudlet.endpoint.rsplit(":", 1)[1]
    host = f"{bucket}.s3.localhost.localstack.cloud:{port}"
    listed = raw_request(cloudlet.endpoint, "GET", "/?list-type=2", host=host)
    assert listed.status == 200
    assert f"<Name>{bucket}</Name>".encode() in listed.body
    missing = raw_request(
        cloudlet.endpoint,
        "GET",
        "/?list-type=2",
        host=f"{unique_name('vh')}.s3.localhost.localstack.cloud:{port}",
    )
    assert missing.status == 404
    assert (missing.error["Code"], missing.error["Message"]) == ("NoSuchBucket", NO_SUCH_BUCKET)


def test_head_bucket_response_headers(s3, bucket):
    # test_create_bucket_head_bucket: head_bucket_filtered_header
    headers = s3.head_bucket(Bucket=bucket)["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-bucket-region"] == "us-east-1"
    assert headers["x-amz-bucket-arn"] == f"arn:aws:s3:::{bucket}"
    assert "x-amz-request-id" in headers and "x-amz-id-2" in headers


def test_missing_bucket_error_carries_request_ids(s3):
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_tagging(Bucket=unique_name("ids"))
    assert "x-amz-request-id" in headers_of(exc)
    assert headers_of(exc)["content-type"].startswith("application/xml")
