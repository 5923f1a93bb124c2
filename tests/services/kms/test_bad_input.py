"""Malformed input answers AWS's errors, never a 500."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_oversize_plaintext(kms_raw, make_key):
    key = make_key()
    with pytest.raises(ClientError) as exc:
        kms_raw.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 4097)
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value at 'plaintext' failed to satisfy constraint: "
        "Member must have length less than or equal to 4096",
        400,
    )


@pytest.mark.parametrize(
    "key_id",
    [
        "",
        "arn:aws:kms:us-east-1:000000000000:key/",
        "arn:aws:sqs:us-east-1:000000000000:queue",
        "arn:nonsense",
        "alias/",
        "key/1234",
        "\u0000",
        "x" * 3000,
    ],
)
def test_malformed_key_ids(kms_raw, key_id):
    with pytest.raises(ClientError) as exc:
        kms_raw.describe_key(KeyId=key_id)
    code, _, status = error_of(exc)
    assert status == 400 and code in ("NotFoundException", "ValidationException")


def test_missing_and_null_members(kms_raw, make_key):
    key = make_key()
    for call in (
        lambda: kms_raw.encrypt(KeyId=key["KeyId"]),
        lambda: kms_raw.encrypt(Plaintext=b"x"),
        lambda: kms_raw.decrypt(),
        lambda: kms_raw.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"a": None}),
        lambda: kms_raw.create_grant(KeyId=key["KeyId"], GranteePrincipal="p", Operations=["Nope"]),
        lambda: kms_raw.generate_data_key(KeyId=key["KeyId"]),
        lambda: kms_raw.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256", NumberOfBytes=32),
        lambda: kms_raw.list_keys(Marker="!!not-a-marker!!"),
        lambda: kms_raw.list_keys(Limit=0),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[2] == 400


def test_ciphertext_of_another_kind(kms_raw, make_key):
    rsa = make_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    for blob in (b"", b"\x01CLK" + b"0" * 100, b"\x00" * 512):
        with pytest.raises(ClientError) as exc:
            kms_raw.decrypt(CiphertextBlob=blob)
        assert error_of(exc)[2] == 400
    with pytest.raises(ClientError) as exc:
        kms_raw.decrypt(
            CiphertextBlob=b"\x00" * 256, KeyId=rsa["KeyId"], EncryptionAlgorithm="RSAES_OAEP_SHA_256"
        )
    assert error_of(exc) == ("InvalidCiphertextException", "", 400)
