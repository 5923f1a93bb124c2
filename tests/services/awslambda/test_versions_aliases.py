"""Versions, aliases with weights, permissions, layers, settings, bad input."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import error_of, make_zip


def test_publish_versions_and_aliases(lam, function):
    v1 = lam.publish_version(FunctionName=function, Description="first")
    assert (v1["Version"], v1["State"], v1["LastUpdateStatus"]) == ("1", "Active", "Successful")
    assert v1["FunctionArn"].endswith(f"{function}:1")
    lam.get_waiter("published_version_active").wait(
        FunctionName=function, Qualifier="1", WaiterConfig={"Delay": 0.1}
    )
    assert lam.publish_version(FunctionName=function)["Version"] == "1"  # nothing changed
    with pytest.raises(ClientError) as exc:
        lam.publish_version(FunctionName=function, CodeSha256="abc")
    assert error_of(exc)[0] == "InvalidParameterValueException"
    assert error_of(exc)[1].startswith("CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST (")
    lam.update_function_configuration(FunctionName=function, Timeout=9)
    assert lam.publish_version(FunctionName=function)["Version"] == "2"
    versions = lam.list_versions_by_function(FunctionName=function)["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]

    alias = lam.create_alias(
        FunctionName=function,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.2}},
    )
    assert alias["AliasArn"].endswith(f"{function}:live")
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.2}}
    got = lam.get_function(FunctionName=function, Qualifier="live")["Configuration"]
    assert got["Version"] == "1" and got["FunctionArn"].endswith(":live")
    with pytest.raises(ClientError) as exc:
        lam.create_alias(FunctionName=function, Name="live", FunctionVersion="1")
    assert error_of(exc)[0:3:2] == ("ResourceConflictException", 409)
    with pytest.raises(ClientError) as exc:
        lam.update_alias(
            FunctionName=function, Name="live", RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}
        )
    assert error_of(exc)[1] == (
        "Invalid function version 1. Function version 1 is already included in routing configuration."
    )
    with pytest.raises(ClientError) as exc:
        lam.create_alias(
            FunctionName=function,
            Name="x",
            FunctionVersion="$LATEST",
            RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
        )
    assert error_of(exc)[1] == "$LATEST is not supported for an alias pointing to more than 1 version"
    with pytest.raises(ClientError) as exc:
        lam.update_alias(FunctionName=function, Name="live", RevisionId="stale")
    assert error_of(exc)[0] == "PreconditionFailedException"
    updated = lam.update_alias(FunctionName=function, Name="live", FunctionVersion="2", RoutingConfig={})
    assert "RoutingConfig" not in updated
    assert [a["Name"] for a in lam.list_aliases(FunctionName=function)["Aliases"]] == ["live"]
    assert lam.list_aliases(FunctionName=function, FunctionVersion="1")["Aliases"] == []
    with pytest.raises(ClientError) as exc:
        lam.delete_function(FunctionName=function, Qualifier="$LATEST")
    assert error_of(exc)[1] == "$LATEST version cannot be deleted without deleting the function."
    lam.delete_alias(FunctionName=function, Name="live")
    lam.delete_function(FunctionName=function, Qualifier="1")
    assert [v["Version"] for v in lam.list_versions_by_function(FunctionName=function)["Versions"]] == [
        "$LATEST",
        "2",
    ]
    with pytest.raises(ClientError) as exc:
        lam.get_alias(FunctionName=function, Name="live")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Cannot find alias arn: arn:aws:lambda:us-east-1:000000000000:function:{function}:live",
        404,
    )


def test_permissions_policy(lam, function):
    added = lam.add_permission(
        FunctionName=function,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::my-bucket",
    )
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert json.loads(added["Statement"]) == {
        "Sid": "s3",
        "Effect": "Allow",
        "Principal": {"Service": "s3.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": arn,
        "Condition": {"ArnLike": {"AWS:SourceArn": "arn:aws:s3:::my-bucket"}},
    }
    policy = lam.get_policy(FunctionName=function)
    assert json.loads(policy["Policy"])["Id"] == "default"
    with pytest.raises(ClientError) as exc:
        lam.add_permission(
            FunctionName=function, StatementId="s3", Action="lambda:InvokeFunction", Principal="*"
        )
    assert error_of(exc) == (
        "ResourceConflictException",
        "The statement id (s3) provided already exists. Please provide a new statement id, or remove the existing "
        "statement.",
        409,
    )
    account = lam.add_permission(
        FunctionName=function, StatementId="acct", Action="lambda:InvokeFunction", Principal="111122223333"
    )
    assert json.loads(account["Statement"])["Principal"] == {"AWS": "arn:aws:iam::111122223333:root"}
    with pytest.raises(ClientError) as exc:
        lam.add_permission(
            FunctionName=function,
            StatementId="x",
            Action="lambda:InvokeFunction",
            Principal="*",
            Qualifier="$LATEST",
        )
    assert error_of(exc)[1] == "We currently do not support adding policies for $LATEST."
    lam.remove_permission(FunctionName=function, StatementId="s3")
    with pytest.raises(ClientError) as exc:
        lam.remove_permission(FunctionName=function, StatementId="s3")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "Statement s3 is not found in resource policy.",
        404,
    )
    lam.remove_permission(FunctionName=function, StatementId="acct")
    with pytest.raises(ClientError) as exc:
        lam.get_policy(FunctionName=function)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "No policy is associated with the given resource.",
        404,
    )


def test_layers(lam, role, name):
    layer = lam.publish_layer_version(
        LayerName=name,
        Content={"ZipFile": make_zip({"python/lib.py": "X = 1\n"})},
        CompatibleRuntimes=["python3.12"],
    )
    assert layer["Version"] == 1
    arn = layer["LayerVersionArn"]
    assert arn == f"arn:aws:lambda:us-east-1:000000000000:layer:{name}:1"
    assert lam.get_layer_version_by_arn(Arn=arn)["Content"]["CodeSha256"] == layer["Content"]["CodeSha256"]
    second = lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip()})
    assert second["Version"] == 2
    listed = [v["Version"] for v in lam.list_layer_versions(LayerName=name)["LayerVersions"]]
    assert listed == [2, 1]
    assert lam.list_layers(CompatibleRuntime="python3.12")["Layers"][0]["LayerName"]
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": make_zip()},
        Layers=[arn],
    )
    assert created["Layers"][0]["Arn"] == arn
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Layers=[arn, second["LayerVersionArn"]])
    assert error_of(exc)[1].startswith("Two different versions of the same layer are not allowed")
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Layers=[f"{arn[:-2]}:9"])
    assert error_of(exc)[1] == f"Layer version {arn[:-2]}:9 does not exist."
    statement = lam.add_layer_version_permission(
        LayerName=name, VersionNumber=1, StatementId="all", Action="lambda:GetLayerVersion", Principal="*"
    )
    assert json.loads(statement["Statement"])["Resource"] == arn
    assert json.loads(lam.get_layer_version_policy(LayerName=name, VersionNumber=1)["Policy"])["Statement"]
    lam.remove_layer_version_permission(LayerName=name, VersionNumber=1, StatementId="all")
    lam.delete_layer_version(LayerName=name, VersionNumber=2)
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version(LayerName=name, VersionNumber=2)
    assert error_of(exc) == ("ResourceNotFoundException", "The resource you requested does not exist.", 404)
    assert lam.publish_layer_version(LayerName=name, Content={"ZipFile": make_zip()})["Version"] == 3


def test_concurrency_and_account_settings(lam, function):
    assert lam.get_function_concurrency(FunctionName=function).get("ReservedConcurrentExecutions") is None
    lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=5)
    assert lam.get_function(FunctionName=function)["Concurrency"] == {"ReservedConcurrentExecutions": 5}
    with pytest.raises(ClientError) as exc:
        lam.put_function_concurrency(FunctionName=function, ReservedConcurrentExecutions=901)
    assert error_of(exc)[1] == (
        "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
        "below its minimum value of [100]."
    )
    settings = lam.get_account_settings()
    assert settings["AccountLimit"]["CodeSizeUnzipped"] == 262144000
    assert settings["AccountLimit"]["UnreservedConcurrentExecutions"] <= 995
    lam.delete_function_concurrency(FunctionName=function)


def test_provisioned_url_and_event_invoke_configs(lam, function):
    lam.publish_version(FunctionName=function)
    with pytest.raises(ClientError) as exc:
        lam.put_provisioned_concurrency_config(
            FunctionName=function, Qualifier="$LATEST", ProvisionedConcurrentExecutions=1
        )
    assert (
        error_of(exc)[1]
        == "Provisioned Concurrency Configs cannot be applied to unpublished function versions."
    )
    answer = lam.put_provisioned_concurrency_config(
        FunctionName=function, Qualifier="1", ProvisionedConcurrentExecutions=2
    )
    assert answer["Status"] == "IN_PROGRESS" and answer["AllocatedProvisionedConcurrentExecutions"] == 0
    assert lam.get_provisioned_concurrency_config(FunctionName=function, Qualifier="1")["Status"] in (
        "IN_PROGRESS",
        "READY",
    )
    lam.delete_provisioned_concurrency_config(FunctionName=function, Qualifier="1")
    with pytest.raises(ClientError) as exc:
        lam.get_provisioned_concurrency_config(FunctionName=function, Qualifier="1")
    assert error_of(exc)[0] == "ProvisionedConcurrencyConfigNotFoundException"

    url = lam.create_function_url_config(FunctionName=function, AuthType="NONE")
    assert ".lambda-url.us-east-1.localhost" in url["FunctionUrl"]
    with pytest.raises(ClientError) as exc:
        lam.create_function_url_config(FunctionName=function, AuthType="NONE")
    assert error_of(exc)[0] == "ResourceConflictException"
    assert lam.update_function_url_config(FunctionName=function, AuthType="AWS_IAM")["AuthType"] == "AWS_IAM"
    assert len(lam.list_function_url_configs(FunctionName=function)["FunctionUrlConfigs"]) == 1
    lam.delete_function_url_config(FunctionName=function)

    with pytest.raises(ClientError) as exc:
        lam.put_function_event_invoke_config(FunctionName=function)
    assert error_of(exc)[1] == "You must specify at least one of error handling or destination setting."
    config = lam.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=1)
    assert config["FunctionArn"].endswith(":$LATEST")
    with pytest.raises(ClientError) as exc:
        lam.put_function_event_invoke_config(FunctionName=function, MaximumRetryAttempts=3)
    assert error_of(exc)[0] == "ValidationException"
    own = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    with pytest.raises(ClientError) as exc:
        lam.update_function_event_invoke_config(
            FunctionName=function, DestinationConfig={"OnFailure": {"Destination": own}}
        )
    assert error_of(exc)[1] == "You can't specify the function as a destination for itself."
    updated = lam.update_function_event_invoke_config(FunctionName=function, MaximumEventAgeInSeconds=120)
    assert (updated["MaximumRetryAttempts"], updated["MaximumEventAgeInSeconds"]) == (1, 120)
    lam.delete_function_event_invoke_config(FunctionName=function)
    with pytest.raises(ClientError) as exc:
        lam.get_function_event_invoke_config(FunctionName=function)
    assert error_of(exc)[1] == f"The function {own}:$LATEST doesn't have an EventInvokeConfig"


def test_tags(lam, function):
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    lam.tag_resource(Resource=arn, Tags={"a": "1", "b": "2"})
    lam.untag_resource(Resource=arn, TagKeys=["b"])
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1"}
    with pytest.raises(ClientError) as exc:
        lam.tag_resource(Resource=f"{arn}:1", Tags={"a": "1"})
    assert (
        error_of(exc)[1]
        == "Tags on function aliases and versions are not supported. Please specify a function ARN."
    )


@pytest.mark.parametrize(
    ("change", "code", "message"),
    [
        (
            {"Runtime": "python3.7"},
            "InvalidParameterValueException",
            "The runtime parameter of python3.7 is no longer supported for creating or updating AWS Lambda functions. "
            "We recommend you use a supported runtime while creating or updating functions.",
        ),
        ({"Runtime": "ruby4.0"}, "InvalidParameterValueException", None),
        (  # recorded: outside the model's enum too, Lambda's own error (not the front end's)
            {"Runtime": "PYTHON3.9"},
            "InvalidParameterValueException",
            "Value PYTHON3.9 at 'runtime' failed to satisfy constraint: Member must satisfy enum value set: [",
        ),
        (
            {"Role": "arn:aws:iam::000000000000:role/missing-role"},
            "InvalidParameterValueException",
            "The role defined for the function cannot be assumed by Lambda.",
        ),
        (
            {"Code": {"ZipFile": b"not a zip"}},
            "InvalidParameterValueException",
            "Could not unzip uploaded file. Please check your file, then try to upload again.",
        ),
        ({"Environment": {"Variables": {"BIG": "x" * 4100}}}, "InvalidParameterValueException", None),
        (
            {"Layers": ["arn:aws:lambda:us-east-1:000000000000:layer:nope:1"] * 6},
            "InvalidParameterValueException",
            "Cannot reference more than 5 layers.",
        ),
        ({"FunctionName": "bad name!"}, "ValidationException", None),
        ({"Timeout": 901}, "ValidationException", None),
        ({"PackageType": "Image", "Code": {"ImageUri": "x"}}, "InvalidParameterValueException", None),
        (
            {"Tags": {f"k{i}": "v" for i in range(51)}},
            "InvalidParameterValueException",
            "Number of tags exceeds resource tag limit.",
        ),
    ],
)
def test_bad_input(lam_raw, role, name, change, code, message):
    params = {
        "FunctionName": name,
        "Runtime": "python3.12",
        "Role": role,
        "Handler": "index.handler",
        "Code": {"ZipFile": make_zip()},
        **change,
    }
    with pytest.raises(ClientError) as exc:
        lam_raw.create_function(**params)
    got = error_of(exc)
    assert got[0] == code and got[2] == 400
    if message:
        assert got[1] == message or (message.endswith("[") and got[1].startswith(message))


def test_role_without_lambda_trust(lam, aws_client, name):
    iam = aws_client("iam")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName=f"ec2-{name}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    with pytest.raises(ClientError) as exc:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=arn,
            Handler="index.handler",
            Code={"ZipFile": make_zip()},
        )
    assert error_of(exc)[1] == "The role defined for the function cannot be assumed by Lambda."


def test_unzipped_limit(lam, role, name):
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.bin", b"\0" * 262_144_001)
    with pytest.raises(ClientError) as exc:
        lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": buffer.getvalue()},
        )
    assert error_of(exc) == (
        "InvalidParameterValueException",
        "Unzipped size must be smaller than 262144000 bytes",
        400,
    )
