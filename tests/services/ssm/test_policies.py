"""Parameter policies: Expiration deletes the parameter when the Cloudlet clock reaches it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def _at(cloudlet, seconds: float) -> str:
    moment = datetime.fromtimestamp(cloudlet.clock()["now"] + seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_expiration_fires_on_the_clock(cloudlet, ssm, root):
    name = f"{root}/temp"
    policies = [
        {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": _at(cloudlet, 3600)}},
        {"Type": "ExpirationNotification", "Version": "1.0", "Attributes": {"Before": "15", "Unit": "Hours"}},
        {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "20", "Unit": "Days"}},
    ]
    out = ssm.put_parameter(
        Name=name, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(policies)
    )
    assert out["Tier"] == "Advanced"
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert [p["PolicyType"] for p in meta["Policies"]] == [
        "Expiration",
        "ExpirationNotification",
        "NoChangeNotification",
    ]
    assert all(p["PolicyStatus"] == "Pending" for p in meta["Policies"])
    cloudlet.advance_clock(1800)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "v"
    cloudlet.advance_clock(1801)
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=name)
    assert error_of(exc)[0] == "ParameterNotFound"


def test_new_expiration_replaces_the_old(cloudlet, ssm, root):
    name = f"{root}/moved"
    first = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": _at(cloudlet, 600)}}]
    ssm.put_parameter(Name=name, Value="v", Type="String", Tier="Advanced", Policies=json.dumps(first))
    later = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": _at(cloudlet, 7200)}}]
    ssm.put_parameter(Name=name, Value="w", Overwrite=True, Policies=json.dumps(later))
    cloudlet.advance_clock(601)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "w"
    # Intelligent-Tiering takes a parameter with policies to Advanced
    out = ssm.put_parameter(
        Name=f"{root}/it", Value="v", Type="String", Tier="Intelligent-Tiering", Policies=json.dumps(later)
    )
    assert out["Tier"] == "Advanced"
    # deleting cancels the timer; a later parameter of the same name is not touched
    ssm.delete_parameter(Name=name)
    ssm.put_parameter(Name=name, Value="fresh", Type="String")
    cloudlet.advance_clock(7201)
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "fresh"


@pytest.mark.parametrize(
    ("policies", "code"),
    [
        ("not json", "InvalidPolicyTypeException"),
        ('[{"Type": "Explode", "Version": "1.0", "Attributes": {}}]', "InvalidPolicyTypeException"),
        (
            '[{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "soon"}}]',
            "InvalidPolicyAttributeException",
        ),
        (
            '[{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": "2001-01-01T00:00:00Z"}}]',
            "InvalidPolicyAttributeException",
        ),
        (
            '[{"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "x", "Unit": "Days"}}]',
            "InvalidPolicyAttributeException",
        ),
        (
            '[{"Type": "NoChangeNotification", "Attributes": {"After": "1"}}, {"Type": "NoChangeNotification", "Attributes": {"After": "2"}}]',
            "IncompatiblePolicyException",
        ),
    ],
)
def test_bad_policies(ssm, root, policies, code):
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/p", Value="v", Type="String", Tier="Advanced", Policies=policies)
    assert error_of(exc)[:1] == (code,)


def test_policies_need_the_advanced_tier(cloudlet, ssm, root):
    policies = [{"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": _at(cloudlet, 600)}}]
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/std", Value="v", Type="String", Policies=json.dumps(policies))
    assert error_of(exc)[0] == "ValidationException"
