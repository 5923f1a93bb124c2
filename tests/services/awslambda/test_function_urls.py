"""Function URLs, served: plain HTTP to the URL's own host (a Host header) and to the
``/_lambda/url/<id>/`` path form; the payload format 2.0 event, the answer mapped from the
result, auth types, CORS, qualifiers and what a function may not put in a header."""

from __future__ import annotations

import base64
import hashlib
import http.client
import json
import time
import uuid
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from tests.services.awslambda.conftest import create_python

ECHO = """
import base64, json

def handler(event, context):
    headers = event.get("headers") or {}
    if headers.get("x-fail"):
        raise ValueError("asked to fail")
    if event["requestContext"]["http"]["method"] == "OPTIONS" and headers.get("x-no-options"):
        raise ValueError("OPTIONS reached the function")
    if headers.get("x-return"):
        return json.loads(base64.b64decode(headers["x-return"]))
    if headers.get("x-whoami"):
        return {"version": context.function_version, "arn": context.invoked_function_arn,
                "request_id": context.aws_request_id}
    return {"statusCode": 200, "body": json.dumps(event)}
"""

FORBIDDEN = (
    "Forbidden. For troubleshooting Function URL authorization issues, see: "
    "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"
)


def create(lam, role, name, code: str = ECHO, **extra) -> None:
    create_python(lam, role, name, code, **extra)


def public_url(lam, name, qualifier=None, allow=True, **config) -> str:
    extra = {"Qualifier": qualifier} if qualifier else {}
    url = lam.create_function_url_config(
        FunctionName=name, AuthType=config.pop("AuthType", "NONE"), **extra, **config
    )
    if allow:
        lam.add_permission(
            FunctionName=name,
            StatementId="url",
            Action="lambda:InvokeFunctionUrl",
            Principal="*",
            FunctionUrlAuthType="NONE",
            **extra,
        )
    return url["FunctionUrl"]


class Answer:
    def __init__(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def all(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body)

    def event(self) -> dict:
        """The event the echo function saw (it answers it as its body)."""
        return self.json()


def send(
    url: str,
    path: str = "/",
    method: str = "GET",
    body: bytes | str | None = None,
    headers: list[tuple[str, str]] | dict | None = None,
    *,
    path_form: bool = False,
) -> Answer:
    """A request to a function URL: to its host (sent as the Host header to 127.0.0.1), or
    in the path form on Cloudlet's own address."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port
    target = path
    if path_form:
        target = f"/_lambda/url/{host.split('.')[0]}{path}"
        host_header = f"127.0.0.1:{port}"
    else:
        host_header = f"{host}:{port}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.putrequest(method, target, skip_host=True, skip_accept_encoding=True)
    items = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    if not any(k.lower() == "host" for k, _ in items):
        conn.putheader("Host", host_header)
    data = body.encode() if isinstance(body, str) else body
    for k, v in items:
        conn.putheader(k, v)
    if data is not None:
        conn.putheader("Content-Length", str(len(data)))
    conn.endheaders(data)
    response = conn.getresponse()
    answer = Answer(response.status, response.getheaders(), response.read())
    conn.close()
    return answer


def returning(value) -> dict[str, str]:
    """Headers asking the echo function to return ``value``."""
    return {"x-return": base64.b64encode(json.dumps(value).encode()).decode()}


def signed(url: str, path: str, method: str = "POST", body: bytes = b"", key="test", secret="test", **extra):
    """Headers of a request signed with SigV4 for ``lambda`` (as awscurl and SDK signers sign)."""
    parts = urlsplit(url)
    request = AWSRequest(
        method=method, url=f"http://{parts.netloc}{path}", data=body, headers=extra.pop("headers", {})
    )
    SigV4Auth(
        Credentials(key, secret), extra.pop("service", "lambda"), extra.pop("region", "us-east-1")
    ).add_auth(request)
    return dict(request.headers.items())


@pytest.fixture
def echo(lam, role, name) -> str:
    create(lam, role, name)
    return public_url(lam, name)


# ---- the event --------------------------------------------------------------------------------


def test_event_fields_host_form(echo, cloudlet):
    answer = send(
        echo,
        "/my/pa%2Fth?b=2&a=1&a=3&e=",
        "POST",
        "hello",
        [
            ("Content-Type", "text/plain"),
            ("X-Multi", "one"),
            ("x-multi", "two"),
            ("User-Agent", "test/echo"),
            ("Cookie", "c1=v1; c2=v2"),
            ("ExTrA-HeadErs", "With WeiRd CapS"),
        ],
    )
    assert answer.status == 200
    event = answer.event()
    url_id = urlsplit(echo).hostname.split(".")[0]
    port = str(urlsplit(echo).port)
    assert event["version"] == "2.0"
    assert event["routeKey"] == "$default"
    assert event["rawPath"] == "/my/pa%2Fth"
    assert event["rawQueryString"] == "b=2&a=1&a=3&e="
    assert event["cookies"] == ["c1=v1", "c2=v2"]
    headers = event["headers"]
    assert headers["x-multi"] == "one,two"
    assert headers["extra-headers"] == "With WeiRd CapS"
    assert headers["content-type"] == "text/plain"
    assert headers["host"] == f"{url_id}.lambda-url.us-east-1.localhost:{port}"
    assert headers["x-forwarded-for"] == "127.0.0.1"
    assert headers["x-forwarded-proto"] == "http"
    assert headers["x-forwarded-port"] == port
    assert headers["x-amzn-trace-id"].startswith("Root=1-")
    assert "cookie" not in headers
    assert all(k == k.lower() for k in headers)
    assert event["queryStringParameters"] == {"b": "2", "a": "1,3", "e": ""}
    context = event["requestContext"]
    assert context["accountId"] == "anonymous"
    assert context["apiId"] == url_id
    assert context["domainName"] == f"{url_id}.lambda-url.us-east-1.localhost"
    assert context["domainPrefix"] == url_id
    assert context["http"] == {
        "method": "POST",
        "path": "/my/pa%2Fth",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.1",
        "userAgent": "test/echo",
    }
    assert context["routeKey"] == "$default" and context["stage"] == "$default"
    assert "authorizer" not in context
    assert abs(context["timeEpoch"] / 1000 - cloudlet.clock()["now"]) < 60  # the service clock
    assert time.strftime("%d/%b/%Y:", time.gmtime(context["timeEpoch"] / 1000)) in context["time"]
    assert context["time"].endswith(" +0000")
    assert context["requestId"] == answer.header("x-amzn-RequestId")
    assert event["body"] == "hello"
    assert event["isBase64Encoded"] is False


def test_event_in_path_form(echo):
    url_id = urlsplit(echo).hostname.split(".")[0]
    event = send(echo, "/a/b?x=1", path_form=True).event()
    assert event["rawPath"] == "/a/b"
    assert event["rawQueryString"] == "x=1"
    assert event["requestContext"]["domainName"] == f"{url_id}.lambda-url.us-east-1.localhost"
    assert event["requestContext"]["http"]["path"] == "/a/b"
    assert event["headers"]["host"] == f"127.0.0.1:{urlsplit(echo).port}"
    root = send(echo, "", path_form=True).event()  # /_lambda/url/<id> itself
    assert root["rawPath"] == "/"
    assert "queryStringParameters" not in root and root["rawQueryString"] == ""
    assert "cookies" not in root and "body" not in root
    assert root["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("content_type", "encoded"),
    [
        ("application/json", False),
        ("application/json; charset=utf-8", False),
        ("text/html", False),
        ("application/xml", False),
        ("application/octet-stream", True),
        ("multipart/form-data; boundary=x", True),
        ("application/x-www-form-urlencoded", True),
        (None, True),
    ],
)
def test_binary_bodies_are_base64(echo, content_type, encoded):
    body = b'{"foo": "bar"}'
    headers = {"Content-Type": content_type} if content_type else {}
    event = send(echo, "/", "POST", body, headers).event()
    assert event["isBase64Encoded"] is encoded
    assert event["body"] == (base64.b64encode(body).decode() if encoded else body.decode())


def test_text_body_that_is_not_utf8_is_base64(echo):
    event = send(echo, "/", "PUT", b"\xff\xfe", {"Content-Type": "text/plain"}).event()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == b"\xff\xfe"


def test_request_over_six_megabytes(echo):
    answer = send(echo, "/", "POST", b"x" * (6 * 1024 * 1024 + 1), {"Content-Type": "text/plain"})
    assert answer.status == 413
    assert answer.header("x-amzn-ErrorType") == "RequestEntityTooLargeException"
    # a body under the limit whose base64 event is over it
    answer = send(
        echo, "/", "POST", b"\x00" * (5 * 1024 * 1024), {"Content-Type": "application/octet-stream"}
    )
    assert answer.status == 413


# ---- the answer -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "body"),
    [
        ({"hello": "world"}, b'{"hello":"world"}'),
        (["hello", 3, True], b'["hello",3,true]'),
        ("hello", b"hello"),
        (3, b"3"),
        (3.1, b"3.1"),
        (True, b"true"),
        ({"statusCode": 200, "body": "body123"}, b"body123"),
        ({"statusCode": 200, "body": '{"hello": "world"}'}, b'{"hello": "world"}'),
    ],
)
def test_results_as_aws_maps_them(echo, value, body):
    """Recorded: a result without statusCode is the body (a string as its text), 200, JSON."""
    answer = send(echo, "/", headers=returning(value))
    assert answer.status == 200
    assert answer.body == body
    assert answer.header("Content-Type") == "application/json"
    assert answer.header("Content-Length") == str(len(body))


def test_structured_response(echo):
    result = {
        "statusCode": 201,
        "headers": {"Content-Type": "text/plain", "My-Custom-Header": "Custom Value", "X-Number": 7},
        "cookies": ["Cookie_1=Value1; Expires=21 Oct 2021 07:48 GMT", "Cookie_2=Value2; Max-Age=78000"],
        "body": "created",
        "isBase64Encoded": False,
    }
    answer = send(echo, "/", headers=returning(result))
    assert answer.status == 201
    assert answer.body == b"created"
    assert answer.header("Content-Type") == "text/plain"
    assert answer.header("My-Custom-Header") == "Custom Value"
    assert answer.header("X-Number") == "7"
    assert answer.all("Set-Cookie") == result["cookies"]
    assert answer.header("x-amzn-RequestId")


def test_structured_response_forms(echo):
    teapot = send(echo, "/", headers=returning({"statusCode": "418", "body": "i'm a teapot"}))
    assert (teapot.status, teapot.body) == (418, b"i'm a teapot")  # recorded: a string status
    empty = send(echo, "/", headers=returning({"statusCode": 204}))
    assert (empty.status, empty.body) == (204, b"")
    png = b"\x89PNG\r\n\x1a\n\x00\x01"
    binary = {"statusCode": 200, "headers": {"content-type": "image/png"}, "isBase64Encoded": True}
    binary["body"] = base64.b64encode(png).decode()
    answer = send(echo, "/", headers=returning(binary))
    assert (answer.status, answer.body, answer.header("Content-Type")) == (200, png, "image/png")
    framing = send(
        echo, "/", headers=returning({"statusCode": 200, "headers": {"Content-Length": "999"}, "body": "ab"})
    )
    assert framing.body == b"ab" and framing.header("Content-Length") == "2"


@pytest.mark.parametrize(
    "result",
    [
        {"statusCode": 200, "headers": {"X-Evil": "a\r\nSet-Cookie: pwned=1"}, "body": "x"},
        {"statusCode": 200, "headers": {"X-Evil": "a\nb"}, "body": "x"},
        {"statusCode": 200, "headers": {"Bad Name": "x"}, "body": "x"},
        {"statusCode": 200, "headers": {"X-Evil\r\nSet-Cookie": "x"}, "body": "x"},
        {"statusCode": 200, "cookies": ["a=b\r\nX-Injected: 1"], "body": "x"},
        {"statusCode": 200, "headers": {"X-List": ["a", "b"]}, "body": "x"},
        {"statusCode": 200, "headers": "not a map", "body": "x"},
        {"statusCode": "two hundred", "body": "x"},
        {"statusCode": 99, "body": "x"},
        {"statusCode": True, "body": "x"},
        {"statusCode": 200, "isBase64Encoded": True, "body": "not base64!"},
    ],
)
def test_malformed_structured_results_are_502(echo, result):
    answer = send(echo, "/", headers=returning(result))
    assert answer.status == 502
    assert answer.body == b"Internal Server Error"
    assert not answer.all("Set-Cookie") and answer.header("X-Injected") is None
    assert answer.header("X-Evil") is None


def test_function_error_is_502(echo):
    answer = send(echo, "/", "POST", b"{}", {"x-fail": "1", "User-Agent": "python-requests/testing"})
    assert answer.status == 502
    assert answer.body == b"Internal Server Error"  # recorded
    assert answer.header("x-amzn-RequestId")


def test_request_id_is_the_invocation_id(echo):
    answer = send(echo, "/", headers={"x-whoami": "1"})
    assert answer.json()["request_id"] == answer.header("x-amzn-RequestId")


def test_head_request(echo):
    answer = send(echo, "/", "HEAD")
    assert answer.status == 200 and answer.body == b""


# ---- which URL --------------------------------------------------------------------------------


def test_unknown_url_id(echo):
    """Recorded: an id no URL has answers 403 ``{"Message":null}``."""
    other = echo.replace(urlsplit(echo).hostname.split(".")[0], "0123456789abcdefghijklmnopqrstuv")
    for answer in (send(other, "/"), send(other, "/x", path_form=True)):
        assert answer.status == 403
        assert answer.body == b'{"Message":null}'
        assert answer.header("Content-Type") == "application/json"
        assert answer.header("x-amzn-ErrorType") == "AccessDeniedException"
    port = urlsplit(echo).port
    for target in ("/_lambda/url/", "/_lambda/url/NOT-AN-ID/x", "/_lambda/url/..%2F..%2F/x"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", target)
        response = conn.getresponse()
        assert (response.status, response.read()) == (403, b'{"Message":null}')
        conn.close()


def test_url_of_another_region_is_unknown(echo):
    wrong = echo.replace(".us-east-1.", ".eu-west-1.")
    assert send(wrong, "/").status == 403


def test_deleted_url_is_unknown(lam, echo, name):
    assert send(echo, "/").status == 200
    lam.delete_function_url_config(FunctionName=name)
    assert send(echo, "/").body == b'{"Message":null}'


def test_alias_and_unqualified_urls(lam, role, name):
    create(lam, role, name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.update_function_configuration(FunctionName=name, Description="changed")
    lam.get_waiter("function_updated_v2").wait(FunctionName=name)
    latest = public_url(lam, name)
    live = public_url(lam, name, qualifier="live")
    assert latest != live
    who = send(live, "/", headers={"x-whoami": "1"}).json()
    assert who["version"] == version
    assert who["arn"].endswith(f":function:{name}:live")
    who = send(latest, "/", headers={"x-whoami": "1"}).json()
    assert who["version"] == "$LATEST"
    assert who["arn"].endswith(f":function:{name}")


def test_alias_url_needs_the_alias_permission(lam, role, name):
    create(lam, role, name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    public_url(lam, name)  # the function's own permission does not cover the alias
    live = public_url(lam, name, qualifier="live", allow=False)
    assert send(live, "/").status == 403
    lam.add_permission(
        FunctionName=name,
        Qualifier="live",
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert send(live, "/").status == 200


def test_host_form_wins_over_a_bucket_of_that_name(aws_client, echo):
    bucket = f"urlpath-{uuid.uuid4().hex[:8]}"
    s3 = aws_client("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_cors(
        Bucket=bucket,
        CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET", "POST"], "AllowedOrigins": ["*"]}]},
    )
    headers = {"Origin": "http://example.com", "Content-Type": "multipart/form-data; boundary=x"}
    answer = send(echo, f"/{bucket}", "POST", b"--x--\r\n", headers)
    assert answer.status == 200
    assert answer.event()["rawPath"] == f"/{bucket}"


# ---- auth -------------------------------------------------------------------------------------


def test_none_needs_a_public_permission(lam, role, name):
    create(lam, role, name)
    url = public_url(lam, name, allow=False)
    answer = send(url, "/", "POST", "text", {"Content-Type": "text/plain"})
    assert answer.status == 403  # recorded
    assert answer.json() == {"Message": FORBIDDEN}
    assert answer.header("x-amzn-ErrorType") == "AccessDeniedException"
    # a permission for the other auth type, or another action, does not do
    lam.add_permission(
        FunctionName=name,
        StatementId="iam",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="AWS_IAM",
    )
    lam.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction", Principal="*")
    lam.add_permission(
        FunctionName=name, StatementId="account", Action="lambda:InvokeFunctionUrl", Principal="000000000000"
    )
    assert send(url, "/").status == 403
    lam.add_permission(
        FunctionName=name,
        StatementId="url",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert send(url, "/").status == 200
    lam.remove_permission(FunctionName=name, StatementId="url")
    assert send(url, "/").status == 403


def test_aws_iam_needs_a_signature(lam, role, name):
    create(lam, role, name)
    url = public_url(lam, name, allow=False, AuthType="AWS_IAM")
    body = b'{"a": 1}'
    unsigned = send(url, "/p?q=1", "POST", body, {"Content-Type": "application/json"})
    assert unsigned.status == 403 and unsigned.json() == {"Message": FORBIDDEN}
    headers = signed(url, "/p?q=1", body=body, headers={"Content-Type": "application/json"})
    answer = send(url, "/p?q=1", "POST", body, headers)
    assert answer.status == 200, answer.body
    event = answer.event()
    assert event["requestContext"]["accountId"] == "000000000000"
    assert event["requestContext"]["authorizer"] == {
        "iam": {
            "accessKey": "test",
            "accountId": "000000000000",
            "callerId": "000000000000",
            "cognitoIdentity": None,
            "principalOrgId": None,
            "userArn": "arn:aws:iam::000000000000:root",
            "userId": "000000000000",
        }
    }
    assert event["headers"]["authorization"].startswith("AWS4-HMAC-SHA256 ")
    assert json.loads(event["body"]) == {"a": 1}
    # the path form signs its own path and host
    path_headers = signed(
        f"http://127.0.0.1:{urlsplit(url).port}", f"/_lambda/url/{urlsplit(url).hostname[:32]}/p"
    )
    assert send(url, "/p", "POST", b"", path_headers, path_form=True).status == 200


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"secret": "wrong"}, "InvalidSignatureException"),
        ({"key": "AKIAUNKNOWNKEY000000", "secret": "x"}, "UnrecognizedClientException"),
        ({"service": "s3"}, "InvalidSignatureException"),
        ({"region": "eu-west-1"}, "InvalidSignatureException"),
        ({"tamper": True}, "InvalidSignatureException"),
        ({"tamper": True, "declared": True}, "InvalidSignatureException"),
    ],
)
def test_aws_iam_refuses_bad_signatures(lam, role, name, change, code):
    create(lam, role, name)
    url = public_url(lam, name, allow=False, AuthType="AWS_IAM")
    tamper = change.pop("tamper", False)
    if change.pop("declared", False):  # a payload hash the signature covers, not the body's
        change["headers"] = {"X-Amz-Content-SHA256": hashlib.sha256(b"signed").hexdigest()}
    headers = signed(url, "/", body=b"signed", **change)
    answer = send(url, "/", "POST", b"tampered" if tamper else b"signed", headers)
    assert answer.status == 403
    assert answer.header("x-amzn-ErrorType") == code
    assert answer.json()["Message"]


def test_aws_iam_other_account_needs_the_resource_policy(lam, role, name, cloudlet):
    from cloudlet.testing.server import client

    create(lam, role, name)
    url = public_url(lam, name, allow=False, AuthType="AWS_IAM")
    iam = client("iam", cloudlet.endpoint, aws_access_key_id="222222222222")
    user = f"caller-{uuid.uuid4().hex[:6]}"
    arn = iam.create_user(UserName=user)["User"]["Arn"]
    key = iam.create_access_key(UserName=user)["AccessKey"]
    headers = signed(url, "/", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert send(url, "/", "POST", b"", headers).status == 403
    lam.add_permission(
        FunctionName=name,
        StatementId="other",
        Action="lambda:InvokeFunctionUrl",
        Principal=arn,
        FunctionUrlAuthType="AWS_IAM",
    )
    headers = signed(url, "/", key=key["AccessKeyId"], secret=key["SecretAccessKey"])
    answer = send(url, "/", "POST", b"", headers)
    assert answer.status == 200, answer.body
    iam_context = answer.event()["requestContext"]["authorizer"]["iam"]
    assert iam_context["accountId"] == "222222222222"
    assert iam_context["userArn"] == arn
    assert iam_context["accessKey"] == key["AccessKeyId"]
    assert answer.event()["requestContext"]["accountId"] == "222222222222"


def test_aws_iam_same_account_needs_no_permission(lam, role, name):
    """The function's own account passes on its identity policies, which Cloudlet does not
    evaluate; a public NONE permission lets no unsigned request into an AWS_IAM URL."""
    create(lam, role, name)
    url = public_url(lam, name, allow=False, AuthType="AWS_IAM")
    assert send(url, "/", "POST", b"", signed(url, "/")).status == 200
    lam.add_permission(
        FunctionName=name,
        StatementId="public",
        Action="lambda:InvokeFunctionUrl",
        Principal="*",
        FunctionUrlAuthType="NONE",
    )
    assert send(url, "/", "POST", b"").status == 403


# ---- CORS -------------------------------------------------------------------------------------

CORS = {
    "AllowOrigins": ["https://app.example.com"],
    "AllowMethods": ["GET", "POST"],
    "AllowHeaders": ["X-Custom", "Content-Type"],
    "ExposeHeaders": ["X-Exposed"],
    "MaxAge": 300,
    "AllowCredentials": True,
}


def test_cors_preflight_is_answered_without_the_function(lam, role, name):
    create(lam, role, name)
    url = public_url(lam, name, Cors=CORS)
    preflight = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-custom",
        "x-no-options": "1",
    }
    answer = send(url, "/any", "OPTIONS", headers=preflight)
    assert answer.status == 200 and answer.body == b""
    assert answer.header("Access-Control-Allow-Origin") == "https://app.example.com"
    assert answer.header("Access-Control-Allow-Methods") == "GET, POST"
    assert answer.header("Access-Control-Allow-Headers") == "X-Custom, Content-Type"
    assert answer.header("Access-Control-Max-Age") == "300"
    assert answer.header("Access-Control-Allow-Credentials") == "true"
    for wrong in (
        {"Origin": "https://evil.example.com"},
        {"Access-Control-Request-Method": "DELETE"},
        {"Access-Control-Request-Headers": "x-other"},
    ):
        answer = send(url, "/any", "OPTIONS", headers={**preflight, **wrong})
        assert answer.status == 200
        assert answer.header("Access-Control-Allow-Origin") is None
        assert answer.header("Access-Control-Allow-Methods") is None


def test_cors_preflight_needs_no_permission_or_signature(lam, role, name):
    create(lam, role, name)
    url = public_url(
        lam, name, allow=False, AuthType="AWS_IAM", Cors={"AllowOrigins": ["*"], "AllowMethods": ["*"]}
    )
    answer = send(
        url, "/", "OPTIONS", headers={"Origin": "http://x.test", "Access-Control-Request-Method": "PUT"}
    )
    assert answer.status == 200
    assert answer.header("Access-Control-Allow-Origin") == "*"
    assert answer.header("Access-Control-Allow-Methods") == "PUT"


def test_cors_headers_on_answers(lam, role, name):
    create(lam, role, name)
    url = public_url(lam, name, Cors=CORS)
    own = {"statusCode": 200, "headers": {"Access-Control-Allow-Origin": "*", "X-Exposed": "1"}, "body": "ok"}
    answer = send(url, "/", headers={"Origin": "https://app.example.com", **returning(own)})
    assert answer.all("Access-Control-Allow-Origin") == ["https://app.example.com"]
    assert answer.header("Access-Control-Expose-Headers") == "X-Exposed"
    assert answer.header("Access-Control-Allow-Credentials") == "true"
    assert answer.header("Vary") == "Origin"
    other = send(url, "/", headers={"Origin": "https://evil.example.com", **returning(own)})
    assert other.header("Access-Control-Allow-Origin") is None  # the URL's CORS takes precedence
    failed = send(url, "/", headers={"Origin": "https://app.example.com", "x-fail": "1"})
    assert failed.status == 502 and failed.header("Access-Control-Allow-Origin") == "https://app.example.com"


def test_cors_wildcard_with_credentials_echoes_only_origins(lam, role, name):
    create(lam, role, name)
    url = public_url(lam, name, Cors={"AllowOrigins": ["*"], "AllowCredentials": True})
    assert send(url, "/", headers={"Origin": "http://localhost:3000"}).header(
        "Access-Control-Allow-Origin"
    ) == ("http://localhost:3000")
    assert send(url, "/", headers={"Origin": "http://a b;c"}).header("Access-Control-Allow-Origin") is None


def test_options_without_cors_reaches_the_function(echo):
    answer = send(
        echo, "/", "OPTIONS", headers={"Origin": "http://x.test", "Access-Control-Request-Method": "GET"}
    )
    assert answer.status == 200
    assert answer.event()["requestContext"]["http"]["method"] == "OPTIONS"
    assert answer.header("Access-Control-Allow-Origin") is None


# ---- invoke modes and limits --------------------------------------------------------------------


def test_response_stream_mode_buffers_the_raw_result(lam, role, name):
    create(lam, role, name)
    url = public_url(lam, name, InvokeMode="RESPONSE_STREAM")
    answer = send(url, "/", "POST", "text", {"Content-Type": "text/plain"})
    assert answer.status == 200
    result = answer.json()  # recorded: the result as it is, not its statusCode/body
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["body"] == "text"


def test_reserved_concurrency_zero_throttles(lam, echo, name):
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    answer = send(echo, "/")
    assert answer.status == 429
    assert answer.header("x-amzn-ErrorType") == "TooManyRequestsException"
    lam.delete_function_concurrency(FunctionName=name)
    assert send(echo, "/").status == 200


def test_event_time_is_the_service_clock(echo, cloudlet):
    cloudlet.advance_clock(7200)
    context = send(echo, "/").event()["requestContext"]
    assert context["timeEpoch"] / 1000 > time.time() + 7000
    assert abs(context["timeEpoch"] / 1000 - cloudlet.clock()["now"]) < 60


def test_alias_url_after_the_alias_is_deleted(lam, role, name):
    create(lam, role, name)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="gone", FunctionVersion=version)
    url = public_url(lam, name, qualifier="gone")
    assert send(url, "/").status == 200
    lam.delete_alias(FunctionName=name, Name="gone")
    answer = send(url, "/")
    assert answer.status == 403  # recorded (AWS words it Forbidden; Cloudlet forgets the URL)
    assert answer.header("x-amzn-ErrorType") == "AccessDeniedException"


def test_aws_iam_with_sts_credentials_and_presigned_urls(lam, role, name, aws_client, cloudlet):
    from botocore.auth import SigV4QueryAuth

    create(lam, role, name)
    url = public_url(lam, name, allow=False, AuthType="AWS_IAM")
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::000000000000:root"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    caller_role = aws_client("iam").create_role(
        RoleName=f"url-caller-{uuid.uuid4().hex[:6]}", AssumeRolePolicyDocument=json.dumps(trust)
    )["Role"]
    creds = aws_client("sts").assume_role(
        RoleArn=caller_role["Arn"], RoleSessionName="web", DurationSeconds=900
    )["Credentials"]
    session = Credentials(creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
    parts = urlsplit(url)
    request = AWSRequest(method="GET", url=f"http://{parts.netloc}/q?a=1")
    SigV4Auth(session, "lambda", "us-east-1").add_auth(request)
    answer = send(url, "/q?a=1", headers=dict(request.headers.items()))
    assert answer.status == 200, answer.body
    iam = answer.event()["requestContext"]["authorizer"]["iam"]
    assert iam["userArn"].endswith(f":assumed-role/{caller_role['RoleName']}/web")
    assert iam["userId"] == iam["callerId"] and iam["userId"].endswith(":web")
    presign = AWSRequest(method="GET", url=f"http://{parts.netloc}/p")
    SigV4QueryAuth(Credentials("test", "test"), "lambda", "us-east-1", expires=300).add_auth(presign)
    target = presign.url[len(f"http://{parts.netloc}") :]
    assert send(url, target).status == 200
    assert send(url, target.replace("X-Amz-Signature=", "X-Amz-Signature=0")).status == 403
    cloudlet.advance_clock(1000)  # the session expired on the service clock
    request = AWSRequest(method="GET", url=f"http://{parts.netloc}/q?a=1")
    SigV4Auth(session, "lambda", "us-east-1").add_auth(request)
    expired = send(url, "/q?a=1", headers=dict(request.headers.items()))
    assert expired.status == 403
    assert expired.header("x-amzn-ErrorType") == "ExpiredTokenException"


def test_limits_are_invokes():
    from cloudlet.services.awslambda import invoke, urls

    assert (urls.MAX_EVENT, urls.MAX_RESULT) == (invoke.MAX_REQUEST, invoke.MAX_RESPONSE)
