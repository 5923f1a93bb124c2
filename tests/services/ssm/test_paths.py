"""Hierarchies: GetParametersByPath (recursive, filters, paging) and DescribeParameters filters."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


@pytest.fixture
def tree(ssm, root):
    for name, kind in [
        ("/app/db/host", "String"),
        ("/app/db/port", "String"),
        ("/app/db/hosts", "StringList"),
        ("/app/api/url", "String"),
        ("/app/name", "String"),
        ("/other/x", "String"),
    ]:
        ssm.put_parameter(Name=root + name, Value=name, Type=kind)
    ssm.add_tags_to_resource(
        ResourceType="Parameter", ResourceId=f"{root}/app/db/port", Tags=[{"Key": "env", "Value": "prod"}]
    )
    ssm.label_parameter_version(Name=f"{root}/app/api/url", Labels=["live"])
    return root


def by_path(ssm, path, **kw):
    names, token = [], None
    while True:
        args = dict(kw, Path=path)
        if token:
            args["NextToken"] = token
        out = ssm.get_parameters_by_path(**args)
        names += [p["Name"] for p in out["Parameters"]]
        token = out.get("NextToken")
        if not token:
            return names


def test_one_level_and_recursive(ssm, tree):
    assert by_path(ssm, f"{tree}/app") == [f"{tree}/app/name"]
    assert by_path(ssm, f"{tree}/app/") == [f"{tree}/app/name"]
    assert sorted(by_path(ssm, f"{tree}/app", Recursive=True)) == sorted(
        f"{tree}{n}" for n in ["/app/db/host", "/app/db/port", "/app/db/hosts", "/app/api/url", "/app/name"]
    )
    assert by_path(ssm, f"{tree}/nothing", Recursive=True) == []


def test_paging(ssm, tree):
    first = ssm.get_parameters_by_path(Path=tree, Recursive=True, MaxResults=2)
    assert len(first["Parameters"]) == 2 and first["NextToken"]
    assert len(by_path(ssm, tree, Recursive=True, MaxResults=2)) == 6
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(Path=tree, MaxResults=11)
    assert error_of(exc)[0] == "ValidationException"


def test_filters(ssm, tree):
    lists = by_path(ssm, tree, Recursive=True, ParameterFilters=[{"Key": "Type", "Values": ["StringList"]}])
    assert lists == [f"{tree}/app/db/hosts"]
    tagged = by_path(ssm, tree, Recursive=True, ParameterFilters=[{"Key": "tag:env", "Values": ["prod"]}])
    assert tagged == [f"{tree}/app/db/port"]
    labelled = by_path(ssm, tree, Recursive=True, ParameterFilters=[{"Key": "Label", "Values": ["live"]}])
    assert labelled == [f"{tree}/app/api/url"]
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(Path=tree, ParameterFilters=[{"Key": "Name", "Values": ["x"]}])
    assert error_of(exc)[0] == "InvalidFilterKey"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(
            Path=tree, ParameterFilters=[{"Key": "Type", "Option": "Nope", "Values": ["String"]}]
        )
    assert error_of(exc)[0] == "InvalidFilterOption"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(Path=tree, ParameterFilters=[{"Key": "Type", "Values": ["Number"]}])
    assert error_of(exc)[0] == "InvalidFilterValue"


@pytest.mark.parametrize("path", ["app", "/a//b", "/bad path"])
def test_bad_paths(ssm, path):
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(Path=path)
    code, message, _ = error_of(exc)
    assert code == "ValidationException" and message.startswith(
        "The parameter doesn't meet the parameter name"
    )


def test_too_deep_path(ssm):
    with pytest.raises(ClientError) as exc:
        ssm.get_parameters_by_path(Path="".join(f"/l{i}" for i in range(16)))
    assert error_of(exc)[0] == "HierarchyLevelLimitExceededException"


def describe(ssm, **kw):
    names, token = [], None
    while True:
        out = ssm.describe_parameters(**kw, **({"NextToken": token} if token else {}))
        names += [p["Name"] for p in out["Parameters"]]
        token = out.get("NextToken")
        if not token:
            return names


def test_describe_filters(ssm, tree):
    def only(filters):
        return describe(
            ssm, ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [tree]}, *filters]
        )

    assert len(only([])) == 6
    assert only([{"Key": "Name", "Option": "BeginsWith", "Values": [f"{tree}/app/db/host"]}]) == [
        f"{tree}/app/db/host",
        f"{tree}/app/db/hosts",
    ]
    assert only([{"Key": "Name", "Option": "Contains", "Values": ["api"]}]) == [f"{tree}/app/api/url"]
    assert only([{"Key": "Type", "Values": ["StringList"]}]) == [f"{tree}/app/db/hosts"]
    assert only([{"Key": "Tier", "Values": ["Standard"]}]) == only([])
    assert only([{"Key": "Label", "Values": ["live"]}]) == [f"{tree}/app/api/url"]
    assert only([{"Key": "DataType", "Values": ["text"]}]) == only([])
    assert only([{"Key": "tag:env"}]) == [f"{tree}/app/db/port"]
    one_level = describe(
        ssm, ParameterFilters=[{"Key": "Path", "Option": "OneLevel", "Values": [f"{tree}/app"]}]
    )
    assert one_level == [f"{tree}/app/name"]
    legacy = describe(ssm, Filters=[{"Key": "Name", "Values": [f"{tree}/app/db"]}])
    assert len(legacy) == 3
    assert describe(
        ssm, MaxResults=1, ParameterFilters=[{"Key": "Path", "Option": "Recursive", "Values": [tree]}]
    ) == only([])


def test_describe_metadata(ssm, root):
    ssm.put_parameter(Name=f"{root}/m", Value="v", Type="String", Description="d", AllowedPattern=".*")
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [f"{root}/m"]}])["Parameters"][
        0
    ]
    assert meta["ARN"].endswith(f":parameter{root}/m")
    assert (meta["Type"], meta["Description"], meta["AllowedPattern"], meta["Version"]) == (
        "String",
        "d",
        ".*",
        1,
    )
    assert meta["Tier"] == "Standard" and meta["DataType"] == "text" and meta["Policies"] == []
    assert meta["LastModifiedUser"] == "arn:aws:iam::000000000000:root"


def test_describe_bad_filters(ssm):
    bad = [
        {"ParameterFilters": [{"Key": "Path", "Option": "Equals", "Values": ["/x"]}]},
        {"ParameterFilters": [{"Key": "Name", "Option": "Recursive", "Values": ["/x"]}]},
        {"ParameterFilters": [{"Key": "Name", "Values": ["a"]}, {"Key": "Name", "Values": ["b"]}]},
        {"ParameterFilters": [{"Key": "Name"}]},
        {
            "ParameterFilters": [{"Key": "Name", "Values": ["a"]}],
            "Filters": [{"Key": "Type", "Values": ["String"]}],
        },
        {"ParameterFilters": [{"Key": "Bogus", "Values": ["a"]}]},
        {"MaxResults": 51},
        {"NextToken": "!!!not-a-token"},
    ]
    for kw in bad:
        with pytest.raises(ClientError) as exc:
            ssm.describe_parameters(**kw)
        code, _, status = error_of(exc)
        assert status == 400 and code in {
            "InvalidFilterKey",
            "InvalidFilterOption",
            "InvalidFilterValue",
            "ValidationException",
            "InvalidNextToken",
        }, kw
