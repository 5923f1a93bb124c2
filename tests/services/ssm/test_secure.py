"""SecureString through KMS: ciphertext at rest and without decryption, keys and their errors."""

from __future__ import annotations

import base64

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of, needs_kms

pytestmark = needs_kms


def test_default_key_and_decryption(ssm, root):
    name = f"{root}/secret"
    ssm.put_parameter(Name=name, Value="hunter2", Type="SecureString")
    plain = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]
    assert (plain["Value"], plain["Type"]) == ("hunter2", "SecureString")
    cipher = ssm.get_parameter(Name=name)["Parameter"]["Value"]
    assert cipher != "hunter2" and base64.b64decode(cipher)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "Name", "Values": [name]}])["Parameters"][0]
    assert meta["KeyId"] == "alias/aws/ssm"
    by_path = ssm.get_parameters_by_path(Path=root, WithDecryption=True)["Parameters"]
    assert [p["Value"] for p in by_path] == ["hunter2"]
    got = ssm.get_parameters(Names=[name], WithDecryption=False)["Parameters"]
    assert got[0]["Value"] == cipher
    history = ssm.get_parameter_history(Name=name, WithDecryption=True)["Parameters"]
    assert history[0]["Value"] == "hunter2" and history[0]["KeyId"] == "alias/aws/ssm"


def test_ciphertext_is_bound_to_the_parameter_arn(aws_client, ssm, root):
    kms = aws_client("kms")
    name = f"{root}/bound"
    ssm.put_parameter(Name=name, Value="v", Type="SecureString")
    blob = base64.b64decode(ssm.get_parameter(Name=name)["Parameter"]["Value"])
    arn = f"arn:aws:ssm:us-east-1:000000000000:parameter{name}"
    assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"PARAMETER_ARN": arn})["Plaintext"] == b"v"
    with pytest.raises(ClientError):
        kms.decrypt(CiphertextBlob=blob)


def test_customer_key_and_key_errors(aws_client, ssm, root):
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName=f"alias/{root[1:]}", TargetKeyId=key)
    ssm.put_parameter(Name=f"{root}/k", Value="s1", Type="SecureString", KeyId=key)
    ssm.put_parameter(Name=f"{root}/a", Value="s2", Type="SecureString", KeyId=f"alias/{root[1:]}")
    assert ssm.get_parameter(Name=f"{root}/k", WithDecryption=True)["Parameter"]["Value"] == "s1"
    assert ssm.get_parameter(Name=f"{root}/a", WithDecryption=True)["Parameter"]["Value"] == "s2"
    # an overwrite keeps the parameter's key
    ssm.put_parameter(Name=f"{root}/k", Value="s3", Overwrite=True)
    meta = ssm.describe_parameters(ParameterFilters=[{"Key": "KeyId", "Values": [key]}])["Parameters"]
    assert [m["Name"] for m in meta] == [f"{root}/k"]
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/x", Value="v", Type="SecureString", KeyId="alias/does-not-exist")
    assert error_of(exc)[0] == "InvalidKeyId"
    kms.disable_key(KeyId=key)
    with pytest.raises(ClientError) as exc:
        ssm.put_parameter(Name=f"{root}/y", Value="v", Type="SecureString", KeyId=key)
    assert error_of(exc)[0] == "InvalidKeyId"
    with pytest.raises(ClientError) as exc:
        ssm.get_parameter(Name=f"{root}/k", WithDecryption=True)
    assert error_of(exc)[0] == "InvalidKeyId"
    # without decryption the ciphertext is still there
    assert ssm.get_parameter(Name=f"{root}/k")["Parameter"]["Value"]


def test_secure_value_is_stored_encrypted(cloudlet, ssm, root):
    name = f"{root}/atrest"
    ssm.put_parameter(Name=name, Value="plain-secret-value", Type="SecureString")
    runtime = cloudlet.app.runtime
    rows = cloudlet.call(lambda: runtime.store.all("SELECT value FROM ssm_versions WHERE name = ?", (name,)))
    assert rows and all("plain-secret-value" not in r[0] for r in rows)
