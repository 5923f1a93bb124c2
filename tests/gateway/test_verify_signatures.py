"""``--verify-signatures``: every SigV4 request of every service is checked, and access keys
whose secret Cloudlet does not know are refused, each service answering in its own form.

Off by default: the session server (``cloudlet``) checks no service but S3.

Wording: "The request signature we calculated does not match the signature you provided. Check
your AWS Secret Access Key and signing method. Consult the service documentation for
details." and "The security token included in the request is invalid." are AWS's (its Common
Errors pages; SQS and Lambda users report the message going on with the canonical request and
string to sign). Statuses per service are unverified where the tests say so.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import botocore.auth
import botocore.crt.auth
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from cloudlet.config import Config
from cloudlet.testing.server import ServerThread, client, free_port

from .botocalls import parse_reply, send

MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS "
    "Secret Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."


@pytest.fixture(scope="module")
def strict() -> Iterator[ServerThread]:
    config = Config(port=free_port(), in_memory=True, log_level="warning", verify_signatures=True)
    server = ServerThread(config).start()
    try:
        yield server
    finally:
        server.stop()


def error_of(exc: pytest.ExceptionInfo[ClientError]) -> tuple[str, str, int]:
    response = exc.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_correct_signatures_pass(strict):
    assert client("sts", strict.endpoint).get_caller_identity()["Account"] == "000000000000"
    sqs = client("sqs", strict.endpoint)
    url = sqs.create_queue(QueueName="verified")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="signed well")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "signed well"


def test_sqs_json_with_a_wrong_secret(strict):
    sqs = client("sqs", strict.endpoint, aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as exc:
        sqs.list_queues()
    code, message, status = error_of(exc)
    assert (code, status) == ("InvalidSignatureException", 403)  # as SQS users report it (async-aws/aws#1948)
    assert message.startswith(
        MISMATCH + "\n\nThe Canonical String for this request should have been\n'POST\n/\n"
    )
    assert "\n\nThe String-to-Sign should have been\n'AWS4-HMAC-SHA256\n" in message


def test_sqs_json_with_an_unknown_key(strict):
    sqs = client("sqs", strict.endpoint, aws_access_key_id="AKIAUNKNOWNKEY")
    with pytest.raises(ClientError) as exc:
        sqs.list_queues()
    assert error_of(exc) == ("UnrecognizedClientException", INVALID_TOKEN, 403)  # status unverified


def test_sts_query_with_a_wrong_secret(strict):
    sts = client("sts", strict.endpoint, aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == ("SignatureDoesNotMatch", MISMATCH, 403)


def test_sts_query_with_an_unknown_key(strict):
    sts = client("sts", strict.endpoint, aws_access_key_id="AKIAUNKNOWNKEY")
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    assert error_of(exc) == ("InvalidClientTokenId", INVALID_TOKEN, 403)


def test_sqs_query_form_with_a_wrong_secret(strict):
    """The query protocol's own error document (what older SDKs send and read)."""
    body = b"Action=ListQueues&Version=2012-11-05"
    request = AWSRequest(
        method="POST",
        url=strict.endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials("test", "wrong"), "sqs", "us-east-1").add_auth(request)
    reply = send(strict.endpoint, "POST", "/", dict(request.headers.items()), body)
    parsed = parse_reply(reply, "query")
    assert (reply.status, parsed.code) == (403, "SignatureDoesNotMatch")
    assert parsed.message.startswith(MISMATCH + "\n\nThe Canonical String")
    assert b"<Type>Sender</Type>" in reply.body


def test_dynamodb_with_a_wrong_secret(strict):
    ddb = client("dynamodb", strict.endpoint, aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as exc:
        ddb.list_tables()
    assert error_of(exc) == ("InvalidSignatureException", MISMATCH, 400)  # status: unverified


def test_s3_with_an_unknown_key(strict):
    s3 = client("s3", strict.endpoint, aws_access_key_id="AKIAUNKNOWNKEY")
    with pytest.raises(ClientError) as exc:
        s3.list_buckets()
    assert error_of(exc) == (
        "InvalidAccessKeyId",
        "The AWS Access Key Id you provided does not exist in our records.",
        403,
    )
    assert exc.value.response["Error"]["AWSAccessKeyId"] == "AKIAUNKNOWNKEY"


def test_credentials_sts_issued_are_known(strict):
    trust = '{"Statement": [{"Effect": "Allow", "Principal": {"AWS": "000000000000"}, "Action": "sts:AssumeRole"}]}'
    role = client("iam", strict.endpoint).create_role(RoleName="worker", AssumeRolePolicyDocument=trust)
    creds = client("sts", strict.endpoint).assume_role(
        RoleArn=role["Role"]["Arn"], RoleSessionName="verified"
    )["Credentials"]
    kwargs = {
        "aws_access_key_id": creds["AccessKeyId"],
        "aws_secret_access_key": creds["SecretAccessKey"],
        "aws_session_token": creds["SessionToken"],
    }
    identity = client("sts", strict.endpoint, **kwargs).get_caller_identity()
    assert identity["Arn"] == "arn:aws:sts::000000000000:assumed-role/worker/verified"
    with pytest.raises(ClientError) as exc:
        client("sts", strict.endpoint, **{**kwargs, "aws_secret_access_key": "wrong"}).get_caller_identity()
    assert error_of(exc)[0] == "SignatureDoesNotMatch"


def test_a_signature_from_long_ago_has_expired(strict, monkeypatch):
    moment = datetime.fromtimestamp(strict.clock()["now"], UTC) - timedelta(hours=1)
    for module in (botocore.auth, botocore.crt.auth):  # botocore signs with awscrt when it is there
        monkeypatch.setattr(
            module,
            "get_current_datetime",
            lambda remove_tzinfo=True: moment.replace(tzinfo=None) if remove_tzinfo else moment,
        )
    sts = client("sts", strict.endpoint)
    with pytest.raises(ClientError) as exc:
        sts.get_caller_identity()
    code, message, status = error_of(exc)
    assert (code, status) == ("SignatureDoesNotMatch", 403)
    signed = moment.strftime("%Y%m%dT%H%M%SZ")
    assert message.startswith(f"Signature expired: {signed} is now earlier than ")
    assert message.endswith(" - 15 min.)")


def test_a_presigned_url_of_another_service(strict):
    """SigV4 query signatures are checked for every service too (an STS GetCallerIdentity URL)."""
    sts = client("sts", strict.endpoint)
    url = sts.generate_presigned_url("get_caller_identity", ExpiresIn=60)
    parts = urllib.parse.urlsplit(url)
    # signed for the operation's method, POST (with an empty body)
    good = send(strict.endpoint, "POST", f"{parts.path}?{parts.query}", {})
    assert good.status == 200, good.body
    forged = parts.query.replace("X-Amz-Signature=", "X-Amz-Signature=0")
    bad = send(strict.endpoint, "POST", f"{parts.path}?{forged}", {})
    assert (bad.status, parse_reply(bad, "query").code) == (403, "SignatureDoesNotMatch")


def test_off_by_default_for_services_but_s3(cloudlet):
    """Without the mode, a wrong secret or an unknown key reaches every service but S3."""
    assert client("sts", cloudlet.endpoint, aws_secret_access_key="wrong").get_caller_identity()
    sqs = client("sqs", cloudlet.endpoint, aws_access_key_id="AKIAUNKNOWNKEY", aws_secret_access_key="x")
    assert sqs.list_queues()["ResponseMetadata"]["HTTPStatusCode"] == 200
    s3 = client("s3", cloudlet.endpoint, aws_secret_access_key="wrong")
    with pytest.raises(ClientError) as exc:
        s3.list_buckets()
    assert error_of(exc)[0] == "SignatureDoesNotMatch"


def test_a_body_swapped_under_a_declared_hash_is_refused(strict):
    """A signed request declaring its body's SHA-256 (x-amz-content-sha256) to a service other
    than S3: the body that arrives must be the one the signature covers."""
    import hashlib
    import urllib.request

    body = b'{"QueueNamePrefix": "a"}'
    request = AWSRequest(
        method="POST",
        url=strict.endpoint + "/",
        data=body,
        headers={
            "Content-Type": "application/x-amz-json-1.0",
            "X-Amz-Target": "AmazonSQS.ListQueues",
            "x-amz-content-sha256": hashlib.sha256(body).hexdigest(),
        },
    )
    SigV4Auth(Credentials("test", "test"), "sqs", "us-east-1").add_auth(request)
    prepared = request.prepare()

    def post(data: bytes) -> int:
        sent = urllib.request.Request(prepared.url, data=data, headers=dict(prepared.headers), method="POST")
        try:
            with urllib.request.urlopen(sent) as resp:
                return resp.status
        except urllib.error.HTTPError as error:
            return error.code

    assert post(body) == 200
    assert post(b'{"QueueNamePrefix": "b"}') in (400, 403)
