"""PutParameter, GetParameter(s), DeleteParameter(s): types, overwrite, tiers, validation, ARNs."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_put_and_get_string(ssm, root):
    name = f"{root}/app/url"
    out = ssm.put_parameter(Name=name, Value="https://x", Type="String", Description="the url")
    assert (out["Version"], out["Tier"]) == (1, "Standard")
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert p["Name"] == name and p["Value"] == "https://x" and p["Type"] == "String"
    assert p["Version"] == 1 and p["DataType"] == "text"
    assert p["ARN"] == f"arn:aws:ssm:us-east-1:000000000000:parameter{name}"
    assert "Selector" not in p


def test_get_by_arn_answers_the_name(ssm, root):
    ssm.put_parameter(Name=f"{root}-flat"[1:], Value="test", Type="String")
    flat = f"{root}-flat"[1:]
    arn = f"arn:aws:ssm:us-east-1:000000000000:parameter/{flat}"
    p = ssm.get_parameter(Name=arn)["Parameter"]
    assert p["Name"] == flat and p["ARN"] == arn and p["Value"] == "test"
    ssm.put_parameter(Name=f"{root}/deep", Value="123", Type="String")
    p = ssm.get_parameter(Name=f"arn:aws:ssm:us-east-1:000000000000:parameter{root}/deep")["Parameter"]
    assert p["Name"] == f"{root}/deep"
    got = ssm.get_parameters(Names=[f"arn:aws:ssm:us-east-1:000000000000:parameter{root}/deep"])
    assert got["InvalidParameters"] == [] and got["Parameters"][0]["Name"] == f"{root}/deep"


def test_string_list(ssm, root):
    ssm.put_parameter(Name=f"{root}/list", Value="a,b,c", Type="StringList")
    assert ssm.get_parameter(Name=f"{root}/list")["Parameter"]["Type"] == "StringList"


def test_already_exists_and_overwrite(ssm, root):
    name = f"{root}/p"
    ssm.put_parameter(Name=name, Value="1", Type="String", Description="first")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="2", Type="String")
    assert error_of(exc) == (
        "ParameterAlreadyExists",
        "The parameter already exists. To overwrite this value, set the overwrite option in the request to true.",
        400,
    )
    # the type may be left out on overwrite; the description stays
    assert ssm.put_parameter(Name=name, Value="2", Overwrite=True)["Version"] == 2
    p = ssm.get_parameter(Name=name)["Parameter"]
    assert (p["Value"], p["Version"], p["Type"]) == ("2", 2, "String")
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["Description"] == "first"


def test_type_required_on_create(ssm, root):
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/nt", Value="x")
    assert error_of(exc)[0] == "ValidationException"
    assert "type is required" in error_of(exc)[1]


def test_tags_only_on_create(ssm, root):
    name = f"{root}/tagged"
    ssm.put_parameter(Name=name, Value="v", Type="String", Tags=[{"Key": "env", "Value": "dev"}])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="w", Overwrite=True, Tags=[{"Key": "a", "Value": "b"}])
    assert error_of(exc)[0] == "ValidationException"
    assert "tags and overwrite can't be used together" in error_of(exc)[1]
    ssm.add_tags_to_resource(ResourceType="Parameter", ResourceId=name, Tags=[{"Key": "team", "Value": "x"}])
    ssm.remove_tags_from_resource(ResourceType="Parameter", ResourceId=name, TagKeys=["env"])
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
    assert tags == [{"Key": "team", "Value": "x"}]
    with pytest.raises(ClientError) as exc:
        ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=f"{root}/missing")
    assert error_of(exc)[0] == "InvalidResourceId"


def test_allowed_pattern(ssm, root):
    name = f"{root}/port"
    ssm.put_parameter(Name=name, Value="8080", Type="String", AllowedPattern=r"^\d+$")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=name, Value="eighty", Overwrite=True)
    assert error_of(exc) == (
        "ParameterPatternMismatchException",
        r"Parameter value, cannot be validated against allowedPattern: ^\d+$",
        400,
    )
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/bad", Value="x", Type="String", AllowedPattern="([")
    assert error_of(exc)[0] == "InvalidAllowedPatternException"


def test_tiers_and_sizes(ssm, root):
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/big", Value="x" * 4097, Type="String")
    assert error_of(exc)[0] == "ValidationException"
    assert "Standard tier parameters support a maximum parameter value of 4096" in error_of(exc)[1]
    out = ssm.put_parameter(Name=f"{root}/big", Value="x" * 4097, Type="String", Tier="Advanced")
    assert out["Tier"] == "Advanced"
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(
            Name=f"{root}/big", Value="x" * 8193, Type="String", Tier="Advanced", Overwrite=True
        )
    assert error_of(exc)[0] == "ValidationException"
    # no downgrade from Advanced
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/big", Value="x", Tier="Standard", Overwrite=True)
    assert "can't downgrade" in error_of(exc)[1]
    # Intelligent-Tiering picks the tier the value needs
    small = ssm.put_parameter(Name=f"{root}/it1", Value="x", Type="String", Tier="Intelligent-Tiering")
    large = ssm.put_parameter(Name=f"{root}/it2", Value="x" * 5000, Type="String", Tier="Intelligent-Tiering")
    assert (small["Tier"], large["Tier"]) == ("Standard", "Advanced")


def test_data_types(ssm, root):
    ssm.put_parameter(
        Name=f"{root}/ami", Value="ami-0123456789abcdef0", Type="String", DataType="aws:ec2:image"
    )
    p = ssm.get_parameter(Name=f"{root}/ami")["Parameter"]
    assert p["DataType"] == "aws:ec2:image"
    for data_type, value in (("aws:ec2:image", "not-an-ami"), ("Text", "x"), ("integer2", "1")):
        with pytest.raises(ClientError) as exc:
            ssm.put_parameter(Name=f"{root}/dt", Value=value, Type="String", DataType=data_type)
        assert error_of(exc)[0] == "ValidationException"


@pytest.mark.parametrize(
    "name",
    [
        "a/b",
        "/a//b",
        "/a/b/",
        "/with space",
        "/bad*char",
        "aws-thing",
        "/ssm/x",
        "/AWS/x",
        "/nul\x00l",
        "arn:x",
    ],
)
def test_bad_names(ssm_raw, name):
    with pytest.raises(ClientError) as exc:
        ssm_raw.put_parameter(Name=name, Value="v", Type="String")
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("Parameter name: can't be prefixed with")


def test_hierarchy_limit(ssm, root):
    fifteen = root + "".join(f"/l{i}" for i in range(14))
    ssm.put_parameter(Name=fifteen, Value="v", Type="String")
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=fifteen + "/l15", Value="v", Type="String")
    assert error_of(exc)[0] == "HierarchyLevelLimitExceededException"


def test_bad_input_answers_aws_errors(ssm_raw, root):
    cases = [
        ({"Name": f"{root}/e", "Value": "", "Type": "String"}, "ValidationException"),
        ({"Name": f"{root}/e", "Value": "v", "Type": "Number"}, "ValidationException"),
        ({"Name": f"{root}/e", "Value": "v", "Type": "String", "Tier": "Gold"}, "ValidationException"),
        ({"Name": f"{root}/e", "Value": "v", "Type": "String", "KeyId": "alias/x"}, "ValidationException"),
        ({"Name": "", "Value": "v", "Type": "String"}, "ValidationException"),
        ({"Name": "/" + "n" * 2100, "Value": "v", "Type": "String"}, "ValidationException"),
        ({"Name": "/" + "n" * 1000, "Value": "v", "Type": "String"}, "ValidationException"),
        ({"Value": "v", "Type": "String"}, "ValidationException"),
    ]
    for params, code in cases:
        with pytest.raises(ClientError) as exc:
            ssm_raw.put_parameter(**params)
        assert error_of(exc)[0] == code, params
        assert error_of(exc)[2] == 400


def test_get_missing_and_selectors(ssm, root):
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{root}/none")
    assert error_of(exc)[:1] == ("ParameterNotFound",)
    ssm.put_parameter(Name=f"{root}/s", Value="one", Type="String")
    ssm.put_parameter(Name=f"{root}/s", Value="two", Type="String", Overwrite=True)
    p = ssm.get_parameter(Name=f"{root}/s:1")["Parameter"]
    assert (p["Value"], p["Version"], p["Selector"], p["Name"]) == ("one", 1, ":1", f"{root}/s")
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{root}/s:7")
    assert error_of(exc) == (
        "ParameterVersionNotFound",
        f"Systems Manager could not find version 7 of {root}/s. Verify the version and try again.",
        400,
    )


def test_get_parameters_lists_invalid(ssm, root):
    ssm.put_parameter(Name=f"{root}/a", Value="A", Type="String")
    out = ssm.get_parameters(Names=[f"{root}/a", f"{root}/missing", f"{root}/a:9"])
    assert [p["Value"] for p in out["Parameters"]] == ["A"]
    assert sorted(out["InvalidParameters"]) == sorted([f"{root}/missing", f"{root}/a:9"])


def test_delete(ssm, root):
    ssm.put_parameter(Name=f"{root}/d1", Value="1", Type="String")
    ssm.put_parameter(Name=f"{root}/d2", Value="2", Type="String")
    ssm.delete_parameter(Name=f"{root}/d1")
    with pytest.raises(ClientError) as exc:
        ssm.delete_parameter(Name=f"{root}/d1")
    assert error_of(exc)[0] == "ParameterNotFound"
    out = ssm.delete_parameters(Names=[f"{root}/d2", f"{root}/d3"])
    assert out["DeletedParameters"] == [f"{root}/d2"] and out["InvalidParameters"] == [f"{root}/d3"]
    # a deleted name starts again at version 1
    assert ssm.put_parameter(Name=f"{root}/d1", Value="x", Type="String")["Version"] == 1


def test_other_ssm_operations_answer_not_implemented(ssm):
    with pytest.raises(ClientError) as exc:
        ssm.list_documents()
    assert error_of(exc)[0] == "NotImplemented" and error_of(exc)[2] == 501


@pytest.mark.parametrize(
    ("target", "body"),
    [
        ("PutParameter", {"Name": None, "Value": "x", "Type": "String"}),
        ("PutParameter", {"Name": "/n", "Value": None, "Type": "String"}),
        ("GetParameters", {"Names": [None]}),
        ("GetParameter", {"Name": "/a:"}),
        ("GetParameter", {"Name": "arn:aws:ssm:us-east-1:000000000000:notparameter/a"}),
    ],
)
def test_nulls_and_malformed_names_answer_400(cloudlet, target, body):
    import json
    import urllib.error
    import urllib.request

    request = urllib.request.Request(
        cloudlet.endpoint + "/",
        data=json.dumps(body).encode(),
        headers={
            "X-Amz-Target": f"AmazonSSM.{target}",
            "Content-Type": "application/x-amz-json-1.1",
            "Authorization": "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/ssm/aws4_request, "
            "SignedHeaders=host, Signature=0",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(request)
    assert exc.value.code == 400
    assert json.loads(exc.value.read())["__type"] == "ValidationException"
