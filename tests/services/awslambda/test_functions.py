"""Functions: create, read, update, list, delete; states and waiters; code download."""

from __future__ import annotations

import base64
import hashlib
import urllib.request

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import error_of, make_zip


def test_create_answers_pending_then_active(lam, role, name):
    code = make_zip()
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code},
        Timeout=5,
        MemorySize=256,
    )
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["State"] == "Pending"
    assert created["StateReasonCode"] == "Creating"
    assert "LastUpdateStatus" not in created
    assert created["CodeSha256"] == base64.b64encode(hashlib.sha256(code).digest()).decode()
    assert created["CodeSize"] == len(code)
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:000000000000:function:{name}"
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    assert created["EphemeralStorage"] == {"Size": 512}
    assert created["Architectures"] == ["x86_64"]
    assert created["TracingConfig"] == {"Mode": "PassThrough"}
    lam.get_waiter("function_active_v2").wait(FunctionName=name, WaiterConfig={"Delay": 0.1})
    got = lam.get_function(FunctionName=name)
    assert got["Configuration"]["State"] == "Active"
    assert got["Configuration"]["LastUpdateStatus"] == "Successful"
    assert got["Code"]["RepositoryType"] == "S3"
    assert got["Tags"] == {}
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        body = response.read()
    assert base64.b64encode(hashlib.sha256(body).digest()).decode() == created["CodeSha256"]


def test_code_location_refuses_a_forged_token(lam, function):
    location = lam.get_function(FunctionName=function)["Code"]["Location"]
    forged = location[:-4] + ("0000" if not location.endswith("0000") else "1111")
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(forged)
    assert exc.value.code == 403


def test_update_configuration_and_code_with_waiters(lam, function):
    updated = lam.update_function_configuration(
        FunctionName=function,
        Description="Changed",
        Timeout=10,
        Environment={"Variables": {"ENV_A": "a"}},
        Runtime="python3.11",
        MemorySize=512,
    )
    assert updated["LastUpdateStatus"] == "InProgress"
    lam.get_waiter("function_updated_v2").wait(FunctionName=function, WaiterConfig={"Delay": 0.1})
    conf = lam.get_function_configuration(FunctionName=function)
    assert (conf["Description"], conf["Timeout"], conf["MemorySize"], conf["Runtime"]) == (
        "Changed",
        10,
        512,
        "python3.11",
    )
    assert conf["Environment"] == {"Variables": {"ENV_A": "a"}}
    new_code = make_zip({"index.py": "def handler(e, c):\n    return 2\n"})
    code = lam.update_function_code(FunctionName=function, ZipFile=new_code)
    assert code["CodeSha256"] == base64.b64encode(hashlib.sha256(new_code).digest()).decode()
    lam.get_waiter("function_updated_v2").wait(FunctionName=function, WaiterConfig={"Delay": 0.1})
    got = lam.get_function(FunctionName=function)
    with urllib.request.urlopen(got["Code"]["Location"]) as response:
        assert response.read() == new_code


def test_revision_id_is_checked(lam, function):
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=function, Description="x", RevisionId="nope")
    assert error_of(exc) == (
        "PreconditionFailedException",
        "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to "
        "retrieve the latest Revision Id",
        412,
    )
    current = lam.get_function(FunctionName=function)["Configuration"]["RevisionId"]
    lam.update_function_configuration(FunctionName=function, Description="x", RevisionId=current)


def test_create_from_s3(lam, aws_client, role, name):
    s3 = aws_client("s3")
    bucket = f"code-{name}"
    s3.create_bucket(Bucket=bucket)
    code = make_zip()
    s3.put_object(Bucket=bucket, Key="fn.zip", Body=code)
    created = lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role,
        Handler="index.handler",
        Code={"S3Bucket": bucket, "S3Key": "fn.zip"},
    )
    assert created["CodeSize"] == len(code)
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="missing.zip")
    assert error_of(exc) == (
        "InvalidParameterValueException",
        "Error occurred while GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name, S3Bucket=f"{bucket}-missing", S3Key="fn.zip")
    assert error_of(exc)[1] == (
        "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist"
    )


def test_list_functions_pages_and_all_versions(lam, role, name):
    names = [f"{name}-{i}" for i in range(3)]
    for n in names:
        lam.create_function(
            FunctionName=n,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": make_zip()},
            Publish=True,
        )
    seen, marker = [], None
    while True:
        kwargs = {"MaxItems": 2, **({"Marker": marker} if marker else {})}
        page = lam.list_functions(**kwargs)
        seen += [f["FunctionName"] for f in page["Functions"]]
        marker = page.get("NextMarker")
        if not marker:
            break
    assert all(n in seen for n in names)
    assert len(seen) == len(set(seen))
    every = lam.list_functions(FunctionVersion="ALL", MaxItems=1000)["Functions"]
    mine = sorted(f["FunctionArn"] for f in every if f["FunctionName"] == names[0])
    assert [a.rsplit(":", 1)[1] for a in mine] == ["$LATEST", "1"]


def test_delete_function(lam, function):
    lam.delete_function(FunctionName=function)
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=function)
    assert error_of(exc) == (
        "ResourceNotFoundException",
        f"Function not found: arn:aws:lambda:us-east-1:000000000000:function:{function}",
        404,
    )
    assert exc.value.response["Type"] == "User"


def test_function_names_as_arns(lam, function):
    arn = f"arn:aws:lambda:us-east-1:000000000000:function:{function}"
    assert lam.get_function(FunctionName=arn)["Configuration"]["FunctionName"] == function
    assert (
        lam.get_function(FunctionName=f"000000000000:function:{function}")["Configuration"]["FunctionArn"]
        == arn
    )
    got = lam.get_function_configuration(FunctionName=f"{arn}:$LATEST")
    assert got["FunctionArn"] == f"{arn}:$LATEST"
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=f"{arn}:1", Qualifier="2")
    assert error_of(exc) == (
        "InvalidParameterValueException",
        "The derived qualifier from the function name does not match the specified qualifier.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        lam.get_function(FunctionName=f"arn:aws:lambda:ap-southeast-1:000000000000:function:{function}")
    assert error_of(exc) == (
        "ResourceNotFoundException",
        "Functions from 'ap-southeast-1' are not reachable in this region ('us-east-1')",
        404,
    )
