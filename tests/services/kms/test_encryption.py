"""Encrypt, Decrypt, ReEncrypt and data keys with real cryptography."""

from __future__ import annotations

import os

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .conftest import error_of


def test_round_trip_with_encryption_context(kms, make_key):
    key = make_key(Description="orders")
    out = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"secret", EncryptionContext={"order": "42"})
    assert out["KeyId"] == key["Arn"]
    assert out["EncryptionAlgorithm"] == "SYMMETRIC_DEFAULT"
    assert b"secret" not in out["CiphertextBlob"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"order": "42"})
    assert back["Plaintext"] == b"secret"
    assert back["KeyId"] == key["Arn"]
    assert back["KeyMaterialId"] == key["CurrentKeyMaterialId"]


@pytest.mark.parametrize("context", [None, {"order": "43"}, {"order": "42", "extra": "x"}])
def test_wrong_context_is_refused(kms, make_key, context):
    key = make_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x", EncryptionContext={"order": "42"})[
        "CiphertextBlob"
    ]
    params = {"CiphertextBlob": blob}
    if context is not None:
        params["EncryptionContext"] = context
    with pytest.raises(ClientError) as exc:
        kms.decrypt(**params)
    assert error_of(exc) == ("InvalidCiphertextException", "", 400)


def test_tampered_and_foreign_ciphertexts_are_refused(kms, make_key):
    key = make_key()
    blob = bytearray(kms.encrypt(KeyId=key["KeyId"], Plaintext=b"data")["CiphertextBlob"])
    blob[-1] ^= 1
    for bad in (bytes(blob), b"not a ciphertext", os.urandom(200)):
        with pytest.raises(ClientError) as exc:
            kms.decrypt(CiphertextBlob=bad)
        assert error_of(exc) == ("InvalidCiphertextException", "", 400)


def test_disabled_key_refuses_and_enabled_again_works(kms, make_key):
    key = make_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    kms.disable_key(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    for call in (
        lambda: kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x"),
        lambda: kms.decrypt(CiphertextBlob=blob),
        lambda: kms.generate_data_key(KeyId=key["KeyId"], KeySpec="AES_256"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc) == ("DisabledException", f"{key['Arn']} is disabled.", 400)
    kms.enable_key(KeyId=key["KeyId"])
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"x"


def test_envelope_encryption_with_a_data_key(kms, make_key):
    key = make_key()
    data_key = kms.generate_data_key(KeyId=key["Arn"], KeySpec="AES_256", EncryptionContext={"file": "a"})
    assert len(data_key["Plaintext"]) == 32
    nonce = os.urandom(12)
    sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, b"big document", None)
    # later: only the encrypted data key was kept
    recovered = kms.decrypt(CiphertextBlob=data_key["CiphertextBlob"], EncryptionContext={"file": "a"})
    assert AESGCM(recovered["Plaintext"]).decrypt(nonce, sealed, None) == b"big document"
    without = kms.generate_data_key_without_plaintext(KeyId=key["KeyId"], NumberOfBytes=16)
    assert "Plaintext" not in without
    assert len(kms.decrypt(CiphertextBlob=without["CiphertextBlob"])["Plaintext"]) == 16


def test_data_key_pair(kms, make_key):
    key = make_key()
    pair = kms.generate_data_key_pair(KeyId=key["KeyId"], KeyPairSpec="ECC_NIST_P256")
    assert (
        kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"]
        == pair["PrivateKeyPlaintext"]
    )
    assert pair["KeyPairSpec"] == "ECC_NIST_P256"


def test_re_encrypt_moves_a_ciphertext_to_another_key(kms, make_key):
    source, destination = make_key(), make_key()
    blob = kms.encrypt(KeyId=source["KeyId"], Plaintext=b"move me", EncryptionContext={"a": "1"})[
        "CiphertextBlob"
    ]
    out = kms.re_encrypt(
        CiphertextBlob=blob,
        SourceEncryptionContext={"a": "1"},
        DestinationKeyId=destination["KeyId"],
        DestinationEncryptionContext={"b": "2"},
    )
    assert out["SourceKeyId"] == source["Arn"] and out["KeyId"] == destination["Arn"]
    back = kms.decrypt(CiphertextBlob=out["CiphertextBlob"], EncryptionContext={"b": "2"})
    assert back["Plaintext"] == b"move me" and back["KeyId"] == destination["Arn"]
    with pytest.raises(ClientError) as exc:  # recorded: incorrect-source-key
        kms.re_encrypt(
            CiphertextBlob=blob, SourceKeyId=destination["KeyId"], DestinationKeyId=source["KeyId"]
        )
    assert error_of(exc)[0] == "IncorrectKeyException"


def test_decrypt_with_the_wrong_key_id(kms, make_key):
    key, other = make_key(), make_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob, KeyId=other["KeyId"])
    assert error_of(exc) == (
        "IncorrectKeyException",
        "The key ID in the request does not identify a CMK that can perform this operation.",
        400,
    )
    assert kms.decrypt(CiphertextBlob=blob, KeyId=key["Arn"])["Plaintext"] == b"x"


def test_rsa_encryption(kms, make_key):
    key = make_key(KeySpec="RSA_2048", KeyUsage="ENCRYPT_DECRYPT")
    for algorithm in ("RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"):
        blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"small", EncryptionAlgorithm=algorithm)[
            "CiphertextBlob"
        ]
        back = kms.decrypt(CiphertextBlob=blob, KeyId=key["KeyId"], EncryptionAlgorithm=algorithm)
        assert back["Plaintext"] == b"small"
    with pytest.raises(ClientError) as exc:  # recorded: test_encrypt_validate_plaintext_size_per_key_type
        kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x" * 191, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    assert error_of(exc) == (
        "ValidationException",
        "Algorithm RSAES_OAEP_SHA_256 and key spec RSA_2048 cannot encrypt data larger than 190 bytes.",
        400,
    )


def test_generate_random(kms, kms_raw):
    assert len(kms.generate_random(NumberOfBytes=91)["Plaintext"]) == 91
    with pytest.raises(ClientError) as exc:
        kms_raw.generate_random()
    assert error_of(exc) == ("ValidationException", "NumberOfBytes is required.", 400)
    with pytest.raises(ClientError) as exc:
        kms_raw.generate_random(NumberOfBytes=1025)
    assert error_of(exc) == (
        "ValidationException",
        "1 validation error detected: Value '1025' at 'numberOfBytes' failed to satisfy constraint: "
        "Member must have value less than or equal to 1024",
        400,
    )
