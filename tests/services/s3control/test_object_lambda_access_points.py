"""Object Lambda access points: create, get, configuration, list, delete and policies, with the
bad input S3 Control refuses. (Their GetObject is tests/services/s3/test_object_lambda.py.)"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT, REGION, code_of, error_of, lambda_config, unique

FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:transform"


@pytest.fixture
def supporting(control, make_bucket) -> str:
    name = unique("sup")
    return control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=make_bucket())["AccessPointArn"]


def test_create_get_configure_list_delete(control, supporting):
    name = unique("olap")
    config = lambda_config(
        supporting, FUNCTION, payload='{"mode": "upper"}', AllowedFeatures=["GetObject-Range"]
    )
    created = control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name=name, Configuration=config
    )
    arn = f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/{name}"
    assert created["ObjectLambdaAccessPointArn"] == arn
    alias = created["Alias"]
    assert alias["Status"] == "READY" and alias["Value"].endswith("--ol-s3") and len(alias["Value"]) <= 63

    got = control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert got["Name"] == name and got["Alias"] == alias and "CreationDate" in got
    assert got["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    stored = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert stored["Configuration"] == {**config, "CloudWatchMetricsEnabled": False}

    changed = lambda_config(supporting, FUNCTION + ":live", actions=("GetObject", "HeadObject"))
    control.put_access_point_configuration_for_object_lambda(
        AccountId=ACCOUNT, Name=name, Configuration=changed
    )
    stored = control.get_access_point_configuration_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert stored["Configuration"]["TransformationConfigurations"] == changed["TransformationConfigurations"]

    listed = control.list_access_points_for_object_lambda(AccountId=ACCOUNT)["ObjectLambdaAccessPointList"]
    assert {"Name": name, "ObjectLambdaAccessPointArn": arn, "Alias": alias} in listed

    control.delete_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name)
    with pytest.raises(ClientError) as exc:
        control.get_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPoint", 404)  # message unverified
    listed = control.list_access_points_for_object_lambda(AccountId=ACCOUNT)["ObjectLambdaAccessPointList"]
    assert name not in [p["Name"] for p in listed]


def test_names_are_their_own_namespace(control, supporting):
    # an access point and an Object Lambda access point may share a name (their ARNs differ)
    name = supporting.rsplit("/", 1)[1]
    control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name=name, Configuration=lambda_config(supporting, FUNCTION)
    )
    assert control.get_access_point(AccountId=ACCOUNT, Name=name)["Name"] == name
    with pytest.raises(ClientError) as exc:
        control.create_access_point_for_object_lambda(
            AccountId=ACCOUNT, Name=name, Configuration=lambda_config(supporting, FUNCTION)
        )
    assert code_of(exc) == ("AccessPointAlreadyOwnedByYou", 409)
    control.delete_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert control.get_access_point(AccountId=ACCOUNT, Name=name)["Name"] == name


def test_bad_input(control, control_raw, supporting):
    good = lambda_config(supporting, FUNCTION)
    # names: 3-45 characters of lowercase letters, digits and hyphens (the model's constraints)
    for bad in ("ab", "a" * 46, "Upper", "under_score", "-x-"):
        with pytest.raises(ClientError) as exc:
            control_raw.create_access_point_for_object_lambda(AccountId=ACCOUNT, Name=bad, Configuration=good)
        assert error_of(exc) == ("InvalidURI", "Couldn't parse the specified URI.", 400), bad  # unverified
    name = unique("olap")
    broken = [
        {"SupportingAccessPoint": supporting, "TransformationConfigurations": []},
        {
            **good,
            "TransformationConfigurations": [
                {
                    "Actions": [],
                    "ContentTransformation": good["TransformationConfigurations"][0]["ContentTransformation"],
                }
            ],
        },
        {
            **good,
            "TransformationConfigurations": [
                {**good["TransformationConfigurations"][0], "Actions": ["PutObject"]}
            ],
        },
        {**good, "TransformationConfigurations": [{"Actions": ["GetObject"], "ContentTransformation": {}}]},
        {**good, "AllowedFeatures": ["Everything"]},
    ]
    for config in broken:
        with pytest.raises(ClientError) as exc:
            control_raw.create_access_point_for_object_lambda(
                AccountId=ACCOUNT, Name=name, Configuration=config
            )
        assert code_of(exc) == ("MalformedXML", 400), config  # unverified
    with pytest.raises(ClientError) as exc:  # the supporting access point must exist (unverified)
        control.create_access_point_for_object_lambda(
            AccountId=ACCOUNT,
            Name=name,
            Configuration=lambda_config(f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/{unique()}", FUNCTION),
        )
    assert code_of(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:  # not an access point ARN
        control_raw.create_access_point_for_object_lambda(
            AccountId=ACCOUNT, Name=name, Configuration=lambda_config("arn:aws:s3:::bucket", FUNCTION)
        )
    assert code_of(exc) == ("InvalidRequest", 400)
    with pytest.raises(ClientError) as exc:
        control.put_access_point_configuration_for_object_lambda(
            AccountId=ACCOUNT, Name=name, Configuration=good
        )
    assert code_of(exc) == ("NoSuchAccessPoint", 404)
    with pytest.raises(ClientError) as exc:
        control.delete_access_point_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPoint", 404)
    with pytest.raises(ClientError) as exc:
        control_raw.list_access_points_for_object_lambda(AccountId=ACCOUNT, MaxResults=5000)
    assert code_of(exc) == ("InvalidRequest", 400)


def test_policy_stored(control, supporting):
    name = unique("olap")
    control.create_access_point_for_object_lambda(
        AccountId=ACCOUNT, Name=name, Configuration=lambda_config(supporting, FUNCTION)
    )
    with pytest.raises(ClientError) as exc:
        control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPointPolicy", 404)
    policy = {
        "Version": "2008-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "s3-object-lambda:GetObject",
                "Resource": f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/{name}",
            }
        ],
    }
    control.put_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name=name, Policy=json.dumps(policy))
    got = control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert json.loads(got["Policy"]) == policy
    status = control.get_access_point_policy_status_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert status["PolicyStatus"] == {"IsPublic": False}
    with pytest.raises(ClientError) as exc:
        control.put_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name=name, Policy="{}")
    assert error_of(exc) == ("MalformedPolicy", "Missing required field Statement", 400)
    control.delete_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name=name)
    with pytest.raises(ClientError) as exc:
        control.get_access_point_policy_for_object_lambda(AccountId=ACCOUNT, Name=name)
    assert code_of(exc) == ("NoSuchAccessPointPolicy", 404)
