"""Secrets encrypted with a customer key through KMS, and KMS's refusals in Secrets Manager's words."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_customer_key(sm, aws_client, name):
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]
    created = sm.create_secret(Name=name, SecretString="v", KmsKeyId=key["KeyId"])
    described = sm.describe_secret(SecretId=name)
    assert described["KmsKeyId"] == key["Arn"]
    versions = sm.list_secret_version_ids(SecretId=name)["Versions"]
    assert versions[0]["KmsKeyIds"] == [key["Arn"]]
    assert sm.get_secret_value(SecretId=created["ARN"])["SecretString"] == "v"
    kms.disable_key(KeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name)
    assert error_of(exc)[0] == "DecryptionFailure"
    with pytest.raises(ClientError) as exc:
        sm.put_secret_value(SecretId=name, SecretString="w")
    assert error_of(exc)[0] == "EncryptionFailure"
    kms.enable_key(KeyId=key["KeyId"])
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"


def test_unknown_key(sm, name):
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=name, SecretString="v", KmsKeyId="alias/does-not-exist")
    assert error_of(exc)[0] == "InvalidParameterException"
