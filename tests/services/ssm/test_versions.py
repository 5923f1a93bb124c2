"""Versions, labels and GetParameterHistory."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_labels_select_versions_and_move(ssm, root):
    name = f"{root}/v"
    for i in range(1, 4):
        ssm.put_parameter(Name=name, Value=f"v{i}", Type="String", Overwrite=True)
    out = ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["stable", "blue"])
    assert out == {"InvalidLabels": [], "ParameterVersion": 1, "ResponseMetadata": out["ResponseMetadata"]}
    p = ssm.get_parameter(Name=f"{name}:stable")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"]) == ("v1", 1, ":stable")
    # a label moves to the version it is given to; no ParameterVersion means the latest
    assert ssm.label_parameter_version(Name=name, Labels=["stable"])["ParameterVersion"] == 3
    assert ssm.get_parameter(Name=f"{name}:stable")["Parameter"]["Value"] == "v3"
    got = ssm.get_parameters(Names=[f"{name}:blue", f"{name}:nolabel"])
    assert [p["Value"] for p in got["Parameters"]] == ["v1"] and got["InvalidParameters"] == [
        f"{name}:nolabel"
    ]
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{name}:nolabel")
    assert error_of(exc)[0] in ("ParameterVersionNotFound", "ParameterNotFound")


def test_invalid_labels_and_limits(ssm, root):
    name = f"{root}/l"
    ssm.put_parameter(Name=name, Value="x", Type="String")
    out = ssm.label_parameter_version(
        Name=name, Labels=["ok", "1starts-digit", "awsx", "SSMy", "sp ace", "fine.too"]
    )
    assert sorted(out["InvalidLabels"]) == sorted(["1starts-digit", "awsx", "SSMy", "sp ace"])
    ssm.label_parameter_version(Name=name, Labels=[f"l{i}" for i in range(8)])  # 10 on version 1 now
    with pytest.raises(ClientError) as exc:
        ssm.label_parameter_version(Name=name, Labels=["eleventh"])
    assert error_of(exc)[0] == "ParameterVersionLabelLimitExceeded"
    with pytest.raises(ClientError) as exc:
        ssm.label_parameter_version(Name=name, ParameterVersion=5, Labels=["x"])
    assert error_of(exc)[0] == "ParameterVersionNotFound"
    with pytest.raises(ClientError) as exc:
        ssm.label_parameter_version(Name=f"{root}/none", Labels=["x"])
    assert error_of(exc)[0] == "ParameterNotFound"
    out = ssm.unlabel_parameter_version(Name=name, ParameterVersion=1, Labels=["ok", "never"])
    assert out["RemovedLabels"] == ["ok"] and out["InvalidLabels"] == ["never"]


def test_history(ssm, root):
    name = f"{root}/h"
    ssm.put_parameter(Name=name, Value="a", Type="String", Description="one")
    ssm.put_parameter(Name=name, Value="b", Overwrite=True, Description="two")
    ssm.put_parameter(Name=name, Value="c", Overwrite=True)
    ssm.label_parameter_version(Name=name, ParameterVersion=2, Labels=["prev"])
    history = ssm.get_parameter_history(Name=name)["Parameters"]
    assert [(h["Version"], h["Value"], h["Labels"]) for h in history] == [
        (1, "a", []),
        (2, "b", ["prev"]),
        (3, "c", []),
    ]
    assert [h.get("Description") for h in history] == ["one", "two", "two"]
    assert all(h["Tier"] == "Standard" and h["Type"] == "String" for h in history)
    assert history[0]["LastModifiedUser"].endswith(":root")
    first = ssm.get_parameter_history(Name=name, MaxResults=2)
    assert [h["Version"] for h in first["Parameters"]] == [1, 2]
    rest = ssm.get_parameter_history(Name=name, MaxResults=2, NextToken=first["NextToken"])
    assert [h["Version"] for h in rest["Parameters"]] == [3] and "NextToken" not in rest
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter_history(Name=f"{root}/none")
    assert error_of(exc)[0] == "ParameterNotFound"


def test_hundred_versions(ssm, root):
    name = f"{root}/many"
    ssm.put_parameter(Name=name, Value="0", Type="String")
    ssm.label_parameter_version(Name=name, ParameterVersion=1, Labels=["pinned"])
    for i in range(2, 101):
        ssm.put_parameter(Name=name, Value=str(i), Overwrite=True)
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="101", Overwrite=True)
    code, message, _ = error_of(exc)
    assert code == "ParameterMaxVersionLimitExceeded" and "Version 1, the oldest version" in message
    ssm.label_parameter_version(Name=name, ParameterVersion=100, Labels=["pinned"])
    assert ssm.put_parameter(Name=name, Value="101", Overwrite=True)["Version"] == 101
    versions = [h["Version"] for h in ssm.get_parameter_history(Name=name)["Parameters"]]
    assert versions == list(range(2, 52))
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{name}:1")
    assert error_of(exc)[0] == "ParameterVersionNotFound"
