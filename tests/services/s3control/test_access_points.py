"""Access points: CreateAccessPoint, GetAccessPoint, ListAccessPoints, DeleteAccessPoint, their
policies, and objects read and written through an access point's ARN or alias."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, REGION, code_of, error_of, unique

POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/x/object/*",
        }
    ],
}


def test_create_get_list_delete(control, make_bucket):
    bucket = make_bucket()
    name = unique()
    created = control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    arn = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{name}"
    assert created["AccessPointArn"] == arn
    alias = created["Alias"]
    assert alias.endswith("-s3alias") and alias.startswith(name[:20]) and len(alias) <= 63

    got = control.get_access_point(AccountId=ACCOUNT, Name=name)
    assert {
        k: got[k] for k in ("Name", "Bucket", "NetworkOrigin", "Alias", "AccessPointArn", "BucketAccountId")
    } == {
        "Name": name,
        "Bucket": bucket,
        "NetworkOrigin": "Internet",
        "Alias": alias,
        "AccessPointArn": arn,
        "BucketAccountId": ACCOUNT,
    }
    assert got["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert got["Endpoints"]["ipv4"] == f"s3-accesspoint.{REGION}.amazonaws.com"
    assert "CreationDate" in got and "VpcConfiguration" not in got

    listed = control.list_access_points(AccountId=ACCOUNT, Bucket=bucket)["AccessPointList"]
    assert listed == [
        {
            "Name": name,
            "NetworkOrigin": "Internet",
            "Bucket": bucket,
            "AccessPointArn": arn,
            "Alias": alias,
            "BucketAccountId": ACCOUNT,
        }
    ]
    control.delete_access_point(AccountId=ACCOUNT, Name=name)
    assert control.list_access_points(AccountId=ACCOUNT, Bucket=bucket)["AccessPointList"] == []
    with pytest.raises(ClientError) as exc:
        control.get_access_point(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPoint", 404)  # message unverified


def test_vpc_and_public_access_block(control, make_bucket):
    bucket = make_bucket()
    name = unique()
    control.create_access_point(
        AccountId=ACCOUNT,
        Name=name,
        Bucket=bucket,
        VpcConfiguration={"VpcId": "vpc-1234"},
        PublicAccessBlockConfiguration={"BlockPublicAcls": True, "BlockPublicPolicy": False},
    )
    got = control.get_access_point(AccountId=ACCOUNT, Name=name)
    assert got["NetworkOrigin"] == "VPC" and got["VpcConfiguration"] == {"VpcId": "vpc-1234"}
    assert got["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": False,
        "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False,
    }


def test_list_pages_with_next_token(control, make_bucket):
    bucket = make_bucket()
    names = sorted(unique("pg") for _ in range(5))
    for name in names:
        control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    seen, token = [], None
    for _ in range(5):
        kwargs = {"NextToken": token} if token else {}
        page = control.list_access_points(AccountId=ACCOUNT, Bucket=bucket, MaxResults=2, **kwargs)
        seen += [p["Name"] for p in page["AccessPointList"]]
        token = page.get("NextToken")
        if token is None:
            break
    assert seen == names


def test_names_are_checked(control, control_raw, make_bucket):
    bucket = make_bucket()
    # "Naming rules for access points": 3-50 characters, lowercase letters, digits, hyphens,
    # no leading or trailing hyphen, not ending in -s3alias. A name too long is recorded by users
    # as InvalidURI "Couldn't parse the specified URI."; the other rules' answers are unverified.
    for bad in ("ab", "a" * 51, "Upper-case", "under_score", "-leading", "trailing-", "dots.in", "x-s3alias"):
        with pytest.raises(ClientError) as exc:
            control_raw.create_access_point(AccountId=ACCOUNT, Name=bad, Bucket=bucket)
        assert error_of(exc) == ("InvalidURI", "Couldn't parse the specified URI.", 400), bad
    control.create_access_point(AccountId=ACCOUNT, Name="a" * 50, Bucket=bucket)
    control.delete_access_point(AccountId=ACCOUNT, Name="a" * 50)


def test_bad_input(control, control_raw, make_bucket):
    bucket = make_bucket()
    name = unique()
    control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    assert code_of(exc) == ("AccessPointAlreadyOwnedByYou", 409)  # message unverified

    with pytest.raises(ClientError) as exc:  # "An access point can be created only for an existing bucket."
        control.create_access_point(AccountId=ACCOUNT, Name=unique(), Bucket=unique("missing"))
    assert code_of(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:  # "An access point can be listed only for an existing bucket."
        control.list_access_points(AccountId=ACCOUNT, Bucket=unique("missing"))
    assert code_of(exc) == ("InvalidRequest", 400)

    with pytest.raises(ClientError) as exc:
        control.delete_access_point(AccountId=ACCOUNT, Name=unique())
    assert code_of(exc) == ("NoSuchAccessPoint", 404)
    with pytest.raises(ClientError) as exc:  # another account's id in x-amz-account-id
        control.get_access_point(AccountId="111111111111", Name=name)
    assert code_of(exc) == ("AccessDenied", 403)  # unverified
    with pytest.raises(ClientError) as exc:
        control_raw.list_access_points(AccountId=ACCOUNT, MaxResults=1001)
    assert code_of(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        control_raw.list_access_points(AccountId=ACCOUNT, NextToken="not*a*token")
    assert code_of(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        control_raw.create_access_point(AccountId=ACCOUNT, Name=unique())  # no Bucket
    assert code_of(exc) == ("MalformedXML", 400)


def test_policy_stored(control, make_bucket):
    bucket = make_bucket()
    name = unique()
    control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        control.get_access_point_policy(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPointPolicy", 404)
    control.put_access_point_policy(AccountId=ACCOUNT, Name=name, Policy=json.dumps(POLICY))
    assert json.loads(control.get_access_point_policy(AccountId=ACCOUNT, Name=name)["Policy"]) == POLICY
    status = control.get_access_point_policy_status(AccountId=ACCOUNT, Name=name)["PolicyStatus"]
    assert status == {"IsPublic": False}
    public = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Principal": "*"}]}
    control.put_access_point_policy(AccountId=ACCOUNT, Name=name, Policy=json.dumps(public))
    assert control.get_access_point_policy_status(AccountId=ACCOUNT, Name=name)["PolicyStatus"]["IsPublic"]

    with pytest.raises(ClientError) as exc:  # S3's bucket policy messages
        control.put_access_point_policy(AccountId=ACCOUNT, Name=name, Policy="not json")
    assert error_of(exc) == (
        "MalformedPolicy",
        "Policies must be valid JSON and the first byte must be '{'",
        400,
    )
    with pytest.raises(ClientError) as exc:
        control.put_access_point_policy(AccountId=ACCOUNT, Name=unique(), Policy=json.dumps(POLICY))
    assert code_of(exc) == ("NoSuchAccessPoint", 404)

    control.delete_access_point_policy(AccountId=ACCOUNT, Name=name)
    with pytest.raises(ClientError) as exc:
        control.get_access_point_policy(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPointPolicy", 404)


def test_other_operations_answer_not_implemented(control):
    with pytest.raises(ClientError) as exc:
        control.list_storage_lens_configurations(AccountId=ACCOUNT)
    assert error_of(exc) == (
        "NotImplemented",
        "The operation ListStorageLensConfigurations of service s3control is not implemented by Cloudlet yet.",
        501,
    )


def test_objects_through_alias_and_arn(control, s3, make_bucket):
    bucket = make_bucket()
    name = unique()
    created = control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="dir/a.txt", Body=b"from the bucket")

    # the alias is a bucket name
    assert s3.get_object(Bucket=created["Alias"], Key="dir/a.txt")["Body"].read() == b"from the bucket"
    s3.put_object(Bucket=created["Alias"], Key="dir/b.txt", Body=b"through the alias")
    assert s3.get_object(Bucket=bucket, Key="dir/b.txt")["Body"].read() == b"through the alias"

    # the ARN: botocore sends to <name>-<account>.<endpoint host>, the key as the path
    arn = created["AccessPointArn"]
    assert s3.get_object(Bucket=arn, Key="dir/b.txt")["Body"].read() == b"through the alias"
    s3.put_object(Bucket=arn, Key="dir/c.txt", Body=b"through the arn")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=arn, Prefix="dir/")["Contents"]]
    assert keys == ["dir/a.txt", "dir/b.txt", "dir/c.txt"]
    assert s3.head_object(Bucket=arn, Key="dir/c.txt")["ContentLength"] == len(b"through the arn")

    missing = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{unique()}"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=missing, Key="dir/a.txt")
    assert code_of(exc) == ("NoSuchAccessPoint", 404)  # unverified
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=created["Alias"], Key="nope")
    assert code_of(exc) == ("NoSuchKey", 404)
    with pytest.raises(ClientError) as exc:  # an alias no access point has is no bucket
        s3.get_object(Bucket=f"{name}-nothere0000000000000-s3alias", Key="dir/a.txt")
    assert code_of(exc) == ("NoSuchBucket", 404)


def test_s3_requests_under_the_control_prefix_stay_s3s(s3):
    # S3 Control's templates start /v20180820/ and need x-amz-account-id; a bucket of that name
    # is still S3's
    s3.create_bucket(Bucket="v20180820")
    try:
        s3.put_object(Bucket="v20180820", Key="accesspoint/x", Body=b"an object")
        assert s3.get_object(Bucket="v20180820", Key="accesspoint/x")["Body"].read() == b"an object"
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket="v20180820")["Contents"]]
        assert keys == ["accesspoint/x"]
        s3.delete_object(Bucket="v20180820", Key="accesspoint/x")
    finally:
        s3.delete_bucket(Bucket="v20180820")
