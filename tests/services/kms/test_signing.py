"""Asymmetric signing (verified locally with GetPublicKey's key) and HMAC keys."""

from __future__ import annotations

import hashlib

import pytest
from botocore.exceptions import ClientError
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from .conftest import error_of

_HASH = {"256": hashes.SHA256, "384": hashes.SHA384, "512": hashes.SHA512}

CASES = [
    ("RSA_2048", "RSASSA_PSS_SHA_256"),
    ("RSA_3072", "RSASSA_PSS_SHA_384"),
    ("RSA_2048", "RSASSA_PKCS1_V1_5_SHA_512"),
    ("ECC_NIST_P256", "ECDSA_SHA_256"),
    ("ECC_NIST_P384", "ECDSA_SHA_384"),
    ("ECC_NIST_P521", "ECDSA_SHA_512"),
    ("ECC_SECG_P256K1", "ECDSA_SHA_256"),
]


def _verify_locally(public_der: bytes, algorithm: str, message: bytes, signature: bytes) -> None:
    public = serialization.load_der_public_key(public_der)
    algo = _HASH[algorithm.rsplit("_", 1)[1]]()
    if isinstance(public, rsa.RSAPublicKey):
        pad = (
            padding.PSS(mgf=padding.MGF1(algo), salt_length=algo.digest_size)
            if "PSS" in algorithm
            else padding.PKCS1v15()
        )
        public.verify(signature, message, pad, algo)
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, message, ec.ECDSA(algo))


@pytest.mark.parametrize(("spec", "algorithm"), CASES)
def test_sign_and_verify(kms, make_key, spec, algorithm):
    key = make_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")
    assert algorithm in key["SigningAlgorithms"]
    message = b"pay 10 to bob"
    signed = kms.sign(KeyId=key["KeyId"], Message=message, SigningAlgorithm=algorithm)
    assert signed["KeyId"] == key["Arn"]
    public = kms.get_public_key(KeyId=key["KeyId"])
    assert public["KeySpec"] == spec and public["SigningAlgorithms"] == key["SigningAlgorithms"]
    _verify_locally(public["PublicKey"], algorithm, message, signed["Signature"])
    ok = kms.verify(
        KeyId=key["KeyId"], Message=message, Signature=signed["Signature"], SigningAlgorithm=algorithm
    )
    assert ok["SignatureValid"] is True
    digest = hashlib.new("sha" + algorithm.rsplit("_", 1)[1], message).digest()
    by_digest = kms.sign(KeyId=key["KeyId"], Message=digest, MessageType="DIGEST", SigningAlgorithm=algorithm)
    _verify_locally(public["PublicKey"], algorithm, message, by_digest["Signature"])
    with pytest.raises(ClientError) as exc:
        kms.verify(
            KeyId=key["KeyId"],
            Message=b"pay 99 to bob",
            Signature=signed["Signature"],
            SigningAlgorithm=algorithm,
        )
    assert error_of(exc) == ("KMSInvalidSignatureException", "", 400)
    with pytest.raises(ClientError) as exc:
        kms.sign(KeyId=key["KeyId"], Message=b"short", MessageType="DIGEST", SigningAlgorithm=algorithm)
    assert error_of(exc) == (
        "ValidationException",
        f"Digest is invalid length for algorithm {algorithm}.",
        400,
    )


def test_wrong_usage_and_algorithm(kms, make_key):
    symmetric = make_key()
    ecc = make_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as exc:
        kms.sign(KeyId=symmetric["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")
    assert error_of(exc) == (
        "InvalidKeyUsageException",
        f"{symmetric['Arn']} key usage is ENCRYPT_DECRYPT which is not valid for Sign.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kms.encrypt(KeyId=ecc["KeyId"], Plaintext=b"m")
    assert error_of(exc) == (
        "InvalidKeyUsageException",
        f"{ecc['Arn']} key usage is SIGN_VERIFY which is not valid for Encrypt.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kms.sign(KeyId=ecc["KeyId"], Message=b"m", SigningAlgorithm="RSASSA_PSS_SHA_256")
    assert error_of(exc)[0] == "InvalidKeyUsageException"


@pytest.mark.parametrize("spec", ["HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512"])
def test_hmac(kms, make_key, spec):
    key = make_key(KeySpec=spec, KeyUsage="GENERATE_VERIFY_MAC")
    algorithm = "HMAC_SHA_" + spec.split("_")[1]
    assert key["MacAlgorithms"] == [algorithm]
    mac = kms.generate_mac(KeyId=key["KeyId"], Message=b"hello", MacAlgorithm=algorithm)["Mac"]
    assert len(mac) == int(spec.split("_")[1]) // 8
    ok = kms.verify_mac(KeyId=key["KeyId"], Message=b"hello", Mac=mac, MacAlgorithm=algorithm)
    assert ok["MacValid"] is True
    with pytest.raises(ClientError) as exc:
        kms.verify_mac(KeyId=key["KeyId"], Message=b"other", Mac=mac, MacAlgorithm=algorithm)
    assert error_of(exc) == ("KMSInvalidMacException", "", 400)


def test_hmac_errors(kms, make_key):
    key = make_key(KeySpec="HMAC_224", KeyUsage="GENERATE_VERIFY_MAC")
    with pytest.raises(ClientError) as exc:
        kms.generate_mac(KeyId=key["KeyId"], Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert error_of(exc) == (
        "InvalidKeyUsageException",
        "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_224.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kms.generate_mac(KeyId="key_id", Message=b"m", MacAlgorithm="HMAC_SHA_256")
    assert error_of(exc) == ("NotFoundException", "Invalid keyId 'key_id'", 400)
    with pytest.raises(ClientError) as exc:
        kms.get_public_key(KeyId=key["KeyId"])
    assert error_of(exc)[0] == "UnsupportedOperationException"
