"""S3 SSE-KMS and DynamoDB SSE resolve their keys through KMS."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


@pytest.fixture
def s3(aws_client):
    return aws_client("s3")


@pytest.fixture
def ddb(aws_client):
    return aws_client("dynamodb")


def test_s3_sse_kms_with_a_customer_key(kms, s3, make_key):
    key = make_key()
    name = f"alias/s3-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    bucket = f"kms-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(Bucket=bucket)
    put = s3.put_object(Bucket=bucket, Key="a", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=name)
    assert put["SSEKMSKeyId"] == key["Arn"]  # the key behind the alias
    assert s3.head_object(Bucket=bucket, Key="a")["SSEKMSKeyId"] == key["Arn"]
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        s3.put_object(
            Bucket=bucket, Key="b", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["KeyId"]
        )
    assert error_of(exc) == ("KMS.DisabledException", f"{key['Arn']} is disabled.", 400)
    upload = None
    with pytest.raises(ClientError) as exc:
        upload = s3.create_multipart_upload(
            Bucket=bucket, Key="c", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"]
        )
    assert upload is None and error_of(exc)[0] == "KMS.DisabledException"


def _table(ddb, **sse):
    return ddb.create_table(
        TableName=f"t-{uuid.uuid4().hex[:10]}",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        SSESpecification={"Enabled": True, "SSEType": "KMS", **sse},
    )["TableDescription"]


def test_dynamodb_sse_resolves_keys(kms, ddb, make_key):
    key = make_key()
    assert _table(ddb, KMSMasterKeyId=key["KeyId"])["SSEDescription"]["KMSMasterKeyArn"] == key["Arn"]
    managed = _table(ddb)["SSEDescription"]["KMSMasterKeyArn"]
    assert managed == kms.describe_key(KeyId="alias/aws/dynamodb")["KeyMetadata"]["Arn"]
    missing = str(uuid.uuid4())
    with pytest.raises(ClientError) as exc:
        _table(ddb, KMSMasterKeyId=missing)
    code, message, status = error_of(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: Key '"
    )
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        _table(ddb, KMSMasterKeyId=key["Arn"])
    assert "DisabledException" in error_of(exc)[1]
