"""S3 Object Lambda: GetObject through an Object Lambda access point runs its function (a child
process, boto3 pointed at Cloudlet by AWS_ENDPOINT_URL), which fetches ``inputS3Url`` with
urllib and answers with WriteGetObjectResponse.

Expectations: the S3 user guide ("Event context format and usage", "Writing Lambda functions for
S3 Object Lambda access points") and the S3 API reference ("List of Amazon S3 Object Lambda error
codes", WriteGetObjectResponse). ``LambdaResponseNotReceived``'s message is AWS's as users
report it; the other messages are the codes' descriptions (unverified as messages).
"""

from __future__ import annotations

import http.client
import json
import urllib.error
import urllib.request
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError
from tests.services.awslambda.conftest import TRUST, make_zip
from tests.services.s3control.conftest import ACCOUNT, REGION, lambda_config, redirected

from cloudlet.testing.server import client

# The function does what the access point's FunctionPayload says.
FUNCTION = """
import http.client
import json
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET

import boto3


def handler(event, context):
    mode = json.loads(event["configuration"]["payload"] or "{}").get("mode", "upper")
    ctx = event["getObjectContext"]
    s3 = boto3.client("s3")
    out = {"RequestRoute": ctx["outputRoute"], "RequestToken": ctx["outputToken"]}
    if mode == "upper":
        try:
            original = urllib.request.urlopen(ctx["inputS3Url"]).read()
        except urllib.error.HTTPError as error:  # forward S3's error, as AWS's examples do
            root = ET.fromstring(error.read())
            s3.write_get_object_response(
                StatusCode=error.code, ErrorCode=root.findtext("Code"), ErrorMessage=root.findtext("Message"), **out
            )
            return
        s3.write_get_object_response(
            Body=original.upper(), ContentType="text/plain; charset=upper", Metadata={"transformed": "yes"}, **out
        )
    elif mode == "event":
        s3.write_get_object_response(Body=json.dumps(event).encode(), ContentType="application/json", **out)
    elif mode == "partial":
        s3.write_get_object_response(Body=b"abc", StatusCode=206, ContentRange="bytes 0-2/10", **out)
    elif mode == "forbidden":
        s3.write_get_object_response(StatusCode=403, ErrorCode="NotForYou", ErrorMessage="Go away", **out)
    elif mode == "bad-code":
        try:
            s3.write_get_object_response(StatusCode=400, ErrorCode="not-sentence-case", **out)
        except Exception as error:
            return {"refused": error.response["Error"]["Code"]}
    elif mode == "fail":
        raise RuntimeError("transformation failed")
    return {"status_code": 200}
"""


@pytest.fixture(scope="module")
def endpoint(cloudlet) -> str:
    return cloudlet.endpoint


@pytest.fixture(scope="module")
def s3r(endpoint) -> Any:
    """An S3 client whose access point hosts reach the server (see s3control/conftest.py)."""
    return redirected(client("s3", endpoint), endpoint)


@pytest.fixture(scope="module")
def control(endpoint) -> Any:
    return redirected(client("s3control", endpoint), endpoint)


@pytest.fixture(scope="module")
def function_arn(endpoint) -> str:
    iam, lam = client("iam", endpoint), client("lambda", endpoint)
    role = iam.create_role(
        RoleName=f"olap-{uuid.uuid4().hex[:8]}", AssumeRolePolicyDocument=json.dumps(TRUST)
    )
    return lam.create_function(
        FunctionName=f"olap-{uuid.uuid4().hex[:10]}",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": make_zip({"index.py": FUNCTION})},
        Timeout=30,
    )["FunctionArn"]


@pytest.fixture(scope="module")
def bucket(s3r) -> str:
    name = f"olap-{uuid.uuid4().hex[:12]}"
    s3r.create_bucket(Bucket=name)
    s3r.put_object(Bucket=name, Key="dir/hello world.txt", Body=b"hello, object lambda", Metadata={"a": "b"})
    return name


@pytest.fixture(scope="module")
def supporting(control, bucket) -> dict[str, Any]:
    return control.create_access_point(AccountId=ACCOUNT, Name=f"sup-{uuid.uuid4().hex[:8]}", Bucket=bucket)


@pytest.fixture(scope="module")
def olap(control, supporting, function_arn):
    """``olap(mode)``: the ARN of an Object Lambda access point whose function acts in ``mode``."""
    made: dict[str, dict[str, Any]] = {}

    def make(
        mode: str,
        actions: tuple[str, ...] = ("GetObject",),
        function: str | None = None,
        features: tuple = (),
    ) -> str:
        key = f"{mode}:{','.join(actions)}:{function}:{features}"
        if key not in made:
            name = f"ol-{uuid.uuid4().hex[:10]}"
            config = lambda_config(
                supporting["AccessPointArn"],
                function or function_arn,
                actions,
                payload=json.dumps({"mode": mode}),
                **({"AllowedFeatures": list(features)} if features else {}),
            )
            made[key] = control.create_access_point_for_object_lambda(
                AccountId=ACCOUNT, Name=name, Configuration=config
            )
        return str(made[key]["ObjectLambdaAccessPointArn"])

    make.created = made  # type: ignore[attr-defined]
    return make


def code_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"].get("Message", ""),
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_get_object_returns_the_transformed_object(s3r, olap):
    got = s3r.get_object(Bucket=olap("upper"), Key="dir/hello world.txt")
    assert got["Body"].read() == b"HELLO, OBJECT LAMBDA"
    assert got["ContentType"] == "text/plain; charset=upper"
    assert got["Metadata"] == {"transformed": "yes"}
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_object_lambda_alias_is_a_bucket_name(s3r, olap):
    arn = olap("upper")
    alias = next(v for v in olap.created.values() if v["ObjectLambdaAccessPointArn"] == arn)["Alias"]["Value"]
    assert s3r.get_object(Bucket=alias, Key="dir/hello world.txt")["Body"].read() == b"HELLO, OBJECT LAMBDA"


def test_event_is_the_documented_context(s3r, olap, supporting, endpoint):
    arn = olap("event", features=("GetObject-Range",))
    event = json.loads(
        s3r.get_object(Bucket=arn, Key="dir/hello world.txt", Range="bytes=0-4")["Body"].read()
    )
    assert event["protocolVersion"] == "1.00"
    assert event["xAmzRequestId"]
    context = event["getObjectContext"]
    assert set(context) == {"inputS3Url", "outputRoute", "outputToken"}
    assert context["inputS3Url"].startswith(f"{endpoint}/{supporting['Alias']}/dir/hello%20world.txt?")
    assert event["configuration"] == {
        "accessPointArn": arn,
        "supportingAccessPointArn": supporting["AccessPointArn"],
        "payload": json.dumps({"mode": "event"}),
    }
    name = arn.rsplit("/", 1)[1]
    host = f"{name}-{ACCOUNT}.{urlsplit(endpoint).netloc}"
    request = event["userRequest"]
    assert request["url"] == f"http://{host}/dir/hello world.txt"
    headers = {k.lower(): v for k, v in request["headers"].items()}
    assert headers["host"] == host and headers["range"] == "bytes=0-4"
    assert "authorization" not in headers  # authorization is left out
    identity = event["userIdentity"]
    assert (identity["accountId"], identity["accessKeyId"]) == (ACCOUNT, "test")

    # inputS3Url is a working presigned URL of the original object, its signature checked
    url = context["inputS3Url"]
    assert urllib.request.urlopen(url).read() == b"hello, object lambda"
    with pytest.raises(urllib.error.HTTPError) as exc:
        urllib.request.urlopen(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
    assert exc.value.code == 403


def test_range_and_part_number_need_allowed_features(s3r, olap):
    # "Working with Range and partNumber headers": 501 unless AllowedFeatures has them
    for extra in ({"Range": "bytes=0-4"}, {"PartNumber": 1}):
        with pytest.raises(ClientError) as exc:
            s3r.get_object(Bucket=olap("upper"), Key="dir/hello world.txt", **extra)
        assert code_of(exc)[0::2] == ("NotImplemented", 501), extra
        with pytest.raises(ClientError) as exc:
            s3r.head_object(Bucket=olap("upper"), Key="dir/hello world.txt", **extra)
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501
    # allowed: the function gets the Range (in userRequest) and applies it, or not
    allowed = olap("upper", features=("GetObject-Range",))
    got = s3r.get_object(Bucket=allowed, Key="dir/hello world.txt", Range="bytes=0-4")
    assert got["Body"].read() == b"HELLO, OBJECT LAMBDA"


def test_function_answers_status_and_errors(s3r, olap):
    partial = s3r.get_object(Bucket=olap("partial"), Key="dir/hello world.txt")
    assert partial["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert (partial["Body"].read(), partial["ContentRange"]) == (b"abc", "bytes 0-2/10")

    with pytest.raises(ClientError) as exc:
        s3r.get_object(Bucket=olap("forbidden"), Key="dir/hello world.txt")
    assert code_of(exc) == ("NotForYou", "Go away", 403)

    with pytest.raises(ClientError) as exc:  # S3's NoSuchKey, forwarded by the function
        s3r.get_object(Bucket=olap("upper"), Key="missing.txt")
    assert code_of(exc)[0::2] == ("NoSuchKey", 404)


def test_function_failures(s3r, olap):
    with pytest.raises(ClientError) as exc:
        s3r.get_object(Bucket=olap("fail"), Key="dir/hello world.txt")
    assert code_of(exc) == ("LambdaRuntimeError", "The Lambda function failed during execution.", 500)

    with pytest.raises(ClientError) as exc:
        s3r.get_object(Bucket=olap("silent"), Key="dir/hello world.txt")
    assert code_of(exc) == (
        "LambdaResponseNotReceived",
        "The Lambda exited without successfully calling WriteGetObjectResponse.",
        500,
    )

    with pytest.raises(ClientError) as exc:  # its WriteGetObjectResponse answered ValidationError
        s3r.get_object(Bucket=olap("bad-code"), Key="dir/hello world.txt")
    code, message, status = code_of(exc)
    assert (code, status) == ("LambdaInvalidResponse", 400) and "ErrorCode" in message

    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:no-such-function"
    with pytest.raises(ClientError) as exc:
        s3r.get_object(Bucket=olap("upper", function=missing), Key="dir/hello world.txt")
    assert code_of(exc) == ("LambdaNotFound", "The AWS Lambda function was not found.", 404)


def test_what_an_object_lambda_access_point_does_not_do(s3r, olap):
    unknown = f"arn:aws:s3-object-lambda:{REGION}:{ACCOUNT}:accesspoint/no-such-olap"
    with pytest.raises(ClientError) as exc:
        s3r.get_object(Bucket=unknown, Key="dir/hello world.txt")
    assert code_of(exc)[0::2] == ("NoSuchAccessPoint", 404)  # message unverified

    head_only = olap("upper", actions=("HeadObject",))
    with pytest.raises(ClientError) as exc:
        s3r.get_object(Bucket=head_only, Key="dir/hello world.txt")
    assert code_of(exc) == (
        "NoTransformationDefined",
        "No transformation found for this Object Lambda Access Point.",
        404,
    )
    # HeadObject without a transformation of its own reads through the supporting access point
    head = s3r.head_object(Bucket=olap("upper"), Key="dir/hello world.txt")
    assert head["ContentLength"] == len(b"hello, object lambda") and head["Metadata"] == {"a": "b"}
    listed = s3r.list_objects_v2(Bucket=olap("upper"), Prefix="dir/")
    assert [o["Key"] for o in listed["Contents"]] == ["dir/hello world.txt"]

    with pytest.raises(ClientError) as exc:  # a List transformation is not run (yet)
        s3r.list_objects_v2(Bucket=olap("upper", actions=("GetObject", "ListObjectsV2")), Prefix="dir/")
    assert code_of(exc)[0::2] == ("NotImplemented", 501)

    with pytest.raises(ClientError) as exc:  # no writes through Object Lambda (unverified answer)
        s3r.put_object(Bucket=olap("upper"), Key="new.txt", Body=b"x")
    assert code_of(exc)[0::2] == ("MethodNotAllowed", 405)


def test_write_get_object_response_needs_a_waiting_request(endpoint):
    # what a function's SDK sends, without host prefixes (as functions run in Cloudlet)
    from botocore.config import Config

    s3 = client("s3", endpoint, config=Config(inject_host_prefix=False, retries={"max_attempts": 1}))
    with pytest.raises(ClientError) as exc:
        s3.write_get_object_response(RequestRoute="io-00000000", RequestToken="nobody-waits", Body=b"x")
    assert code_of(exc)[0::2] == ("ValidationError", 400)  # message unverified


def test_presigned_get_through_object_lambda(olap, endpoint):
    from botocore.config import Config

    # SigV4 (SigV2, botocore's default for S3 presigning, cannot name Object Lambda's scope)
    signer = client("s3", endpoint, config=Config(signature_version="s3v4"))
    url = signer.generate_presigned_url(
        "get_object", Params={"Bucket": olap("upper"), "Key": "dir/hello world.txt"}
    )
    parts = urlsplit(url)
    assert "%2Fs3-object-lambda%2F" in parts.query  # on the access point's host
    target = urlsplit(endpoint)
    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
    try:
        conn.request("GET", f"{parts.path}?{parts.query}", headers={"Host": parts.netloc})
        response = conn.getresponse()
        assert (response.status, response.read()) == (200, b"HELLO, OBJECT LAMBDA")
    finally:
        conn.close()
