"""AWS's public parameters under /aws/service/global-infrastructure."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of

ROOT = "/aws/service/global-infrastructure"


def test_regions_by_path(ssm):
    names, token = [], None
    while True:
        out = ssm.get_parameters_by_path(Path=f"{ROOT}/regions", **({"NextToken": token} if token else {}))
        names += [(p["Name"], p["Value"]) for p in out["Parameters"]]
        token = out.get("NextToken")
        if not token:
            break
    assert (f"{ROOT}/regions/us-east-1", "us-east-1") in names
    assert (f"{ROOT}/regions/eu-west-1", "eu-west-1") in names
    assert all(not n.endswith("/longName") for n, _ in names)
    assert not any("cn-north-1" in n for n, _ in names)  # another partition


def test_region_details_and_services(ssm):
    p = ssm.get_parameter(Name=f"{ROOT}/regions/us-east-1/longName")["Parameter"]
    assert p["Value"] == "US East (N. Virginia)" and p["Type"] == "String"
    assert ssm.get_parameter(Name=f"{ROOT}/regions/eu-west-1")["Parameter"]["Value"] == "eu-west-1"
    assert ssm.get_parameter(Name=f"{ROOT}/services/sqs")["Parameter"]["Value"] == "sqs"
    under = ssm.get_parameters_by_path(Path=f"{ROOT}/regions/us-east-1/services", MaxResults=10)
    assert under["Parameters"] and under.get("NextToken")
    got = ssm.get_parameters(Names=[f"{ROOT}/regions/us-east-1", f"{ROOT}/regions/nowhere-1"])
    assert got["InvalidParameters"] == [f"{ROOT}/regions/nowhere-1"]


def test_public_parameters_are_read_only(ssm):
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{ROOT}/regions/mine", Value="x", Type="String")
    assert error_of(exc)[0] == "ValidationException"
