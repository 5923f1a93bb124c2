"""Access keys: created by IAM, recognised by Cloudlet as the user in the user's account."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of, name


def test_access_key_acts_as_the_user(iam, aws_client, account):
    user = name("u")
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    unused = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert unused == {"ServiceName": "N/A", "Region": "N/A"}
    assert key["AccessKeyId"].startswith("AKIA") and len(key["AccessKeyId"]) == 20
    assert key["Status"] == "Active" and key["UserName"] == user
    sts = aws_client(
        "sts", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    ident = sts.get_caller_identity()
    assert (ident["Account"], ident["Arn"]) == (account, arn)
    as_user = aws_client(
        "iam", aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"]
    )
    assert as_user.get_user()["User"]["UserName"] == user
    assert [k["AccessKeyId"] for k in as_user.list_access_keys()["AccessKeyMetadata"]] == [key["AccessKeyId"]]
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
    # the key signed an IAM request last (us-east-1, the clients' region)
    assert last["UserName"] == user
    assert (last["AccessKeyLastUsed"]["ServiceName"], last["AccessKeyLastUsed"]["Region"]) == (
        "iam",
        "us-east-1",
    )
    assert "LastUsedDate" in last["AccessKeyLastUsed"]
    with pytest.raises(ClientError) as exc:
        iam.delete_user(UserName=user)
    assert error_of(exc)[:2] == ("DeleteConflict", "Cannot delete entity, must delete access keys first.")
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    assert iam.list_access_keys(UserName=user)["AccessKeyMetadata"][0]["Status"] == "Inactive"
    refused = ("InvalidClientTokenId", "The security token included in the request is invalid.", 403)
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == refused
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Active")
    assert sts.get_caller_identity()["Arn"] == arn
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == refused
    iam.delete_user(UserName=user)


def test_a_refused_key_in_each_protocol(iam, aws_client):
    """A deleted or inactive key is refused by every service, in its own terms; a key Cloudlet
    never issued still acts as its account."""
    user = name("u")
    iam.create_user(UserName=user)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    signed = {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]}
    aws_client("dynamodb", **signed).list_tables()
    aws_client("s3", **signed).list_buckets()
    iam.update_access_key(UserName=user, AccessKeyId=key["AccessKeyId"], Status="Inactive")
    with pytest.raises(ClientError) as exc:
        aws_client("dynamodb", **signed).list_tables()
    assert error_of(exc) == (
        "UnrecognizedClientException",
        "The security token included in the request is invalid.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        aws_client("s3", **signed).list_buckets()
    assert error_of(exc) == (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
    )
    assert exc.value.response["Error"]["AWSAccessKeyId"] == key["AccessKeyId"]
    with pytest.raises(ClientError) as exc:
        aws_client("iam", **signed).get_user()
    assert error_of(exc)[0] == "InvalidClientTokenId"
    iam.delete_access_key(UserName=user, AccessKeyId=key["AccessKeyId"])
    with pytest.raises(ClientError) as exc:
        aws_client("dynamodb", **signed).list_tables()
    assert error_of(exc)[0] == "UnrecognizedClientException"
    dummy = aws_client("sts", aws_access_key_id="AKIANEVERISSUED0000", aws_secret_access_key="x")
    assert dummy.get_caller_identity()["Account"] == "000000000000"


def test_two_access_keys_per_user(iam):
    user = name("u")
    iam.create_user(UserName=user)
    iam.create_access_key(UserName=user)
    iam.create_access_key(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.create_access_key(UserName=user)
    assert error_of(exc) == ("LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2", 409)


def test_unknown_access_key(iam):
    user = name("u")
    iam.create_user(UserName=user)
    with pytest.raises(ClientError) as exc:
        iam.delete_access_key(UserName=user, AccessKeyId="AKIAAAAAAAAAAAAAAAAA")
    assert error_of(exc) == (
        "NoSuchEntity",
        "The Access Key with id AKIAAAAAAAAAAAAAAAAA cannot be found.",
        404,
    )
