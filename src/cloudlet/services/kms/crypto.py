"""KMS cryptography: key material, the ciphertext blob, signing, MACs, and the master key
that wraps every key's material at rest.

A symmetric ciphertext blob is ``MAGIC | key id (36 ASCII) | material id (32 bytes) | nonce
(12) | AES-256-GCM ciphertext and tag``; the header and the canonical encryption context are
the AAD, so a blob names its key (Decrypt needs no KeyId) and a different context fails. Only
the material this Cloudlet generated, unwrapped with its master key, can open a blob.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

import orjson
from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from cloudlet.config import private_file

MAGIC = b"\x01CLK"
_KEY_ID_LEN = 36
_MATERIAL_LEN = 32
_NONCE_LEN = 12
HEADER_LEN = len(MAGIC) + _KEY_ID_LEN + _MATERIAL_LEN
MASTER_KEY_FILE = "kms-master.key"

RSA_SPECS = {"RSA_2048": 2048, "RSA_3072": 3072, "RSA_4096": 4096}
ECC_CURVES: dict[str, type[ec.EllipticCurve]] = {
    "ECC_NIST_P256": ec.SECP256R1,
    "ECC_NIST_P384": ec.SECP384R1,
    "ECC_NIST_P521": ec.SECP521R1,
    "ECC_SECG_P256K1": ec.SECP256K1,
}
HMAC_SPECS = {"HMAC_224": 28, "HMAC_256": 32, "HMAC_384": 48, "HMAC_512": 64}
MAC_ALGORITHMS = {
    "HMAC_224": "HMAC_SHA_224",
    "HMAC_256": "HMAC_SHA_256",
    "HMAC_384": "HMAC_SHA_384",
    "HMAC_512": "HMAC_SHA_512",
}
_MAC_HASHES = {
    "HMAC_SHA_224": "sha224",
    "HMAC_SHA_256": "sha256",
    "HMAC_SHA_384": "sha384",
    "HMAC_SHA_512": "sha512",
}

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "256": hashes.SHA256,
    "384": hashes.SHA384,
    "512": hashes.SHA512,
}
RSA_SIGNING = [
    "RSASSA_PSS_SHA_256",
    "RSASSA_PSS_SHA_384",
    "RSASSA_PSS_SHA_512",
    "RSASSA_PKCS1_V1_5_SHA_256",
    "RSASSA_PKCS1_V1_5_SHA_384",
    "RSASSA_PKCS1_V1_5_SHA_512",
]
ECC_SIGNING = {
    "ECC_NIST_P256": ["ECDSA_SHA_256"],
    "ECC_NIST_P384": ["ECDSA_SHA_384"],
    "ECC_NIST_P521": ["ECDSA_SHA_512"],
    "ECC_SECG_P256K1": ["ECDSA_SHA_256"],
}
RSA_ENCRYPTION = ["RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"]


class CiphertextError(Exception):
    """A blob that is not ours, or that its key and context do not open."""


def new_material_id() -> str:
    """A key material id as KMS shows it: 64 hex digits."""
    return secrets.token_hex(_MATERIAL_LEN)


def generate_material(spec: str) -> bytes:
    """New key material for a key spec: raw bytes (symmetric, HMAC) or a PKCS#8 DER private key."""
    if spec == "SYMMETRIC_DEFAULT":
        return secrets.token_bytes(32)
    if spec in HMAC_SPECS:
        return secrets.token_bytes(HMAC_SPECS[spec])
    if spec in RSA_SPECS:
        private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = rsa.generate_private_key(
            65537, RSA_SPECS[spec]
        )
    elif spec in ECC_CURVES:
        private = ec.generate_private_key(ECC_CURVES[spec]())
    else:
        raise ValueError(spec)
    return private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def public_key_der(material: bytes) -> bytes:
    """The DER SubjectPublicKeyInfo of an asymmetric key's private key."""
    private = serialization.load_der_private_key(material, None)
    return private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


# ---- the master key ------------------------------------------------------------------------


class MasterKey:
    """Wraps key material at rest (AES-256-GCM, bound to the key and material ids)."""

    def __init__(self, key: bytes) -> None:
        self._aead = AESGCM(key)

    @classmethod
    def load(cls, data_dir: str | Path | None) -> MasterKey:
        """The master key in ``data_dir`` (created mode 0600 on first use); in memory without one."""
        if data_dir is None:
            return cls(secrets.token_bytes(32))
        path = Path(data_dir) / MASTER_KEY_FILE
        if not path.exists() or path.stat().st_size == 0:
            private_file(path)
            fd = os.open(path, os.O_WRONLY | os.O_TRUNC)
            try:
                os.write(fd, secrets.token_bytes(32))
                os.fsync(fd)
            finally:
                os.close(fd)
            _sync_directory(path.parent)  # the file's name too, before any key is wrapped with it
        private_file(path)  # tighten one that was loosened
        key = path.read_bytes()
        if len(key) != 32:
            raise RuntimeError(f"{path} is not a Cloudlet KMS master key")
        return cls(key)

    def wrap(self, material: bytes, key_id: str, material_id: str) -> bytes:
        nonce = secrets.token_bytes(_NONCE_LEN)
        return nonce + self._aead.encrypt(nonce, material, f"{key_id}/{material_id}".encode())

    def unwrap(self, wrapped: bytes, key_id: str, material_id: str) -> bytes:
        return self._aead.decrypt(
            wrapped[:_NONCE_LEN], wrapped[_NONCE_LEN:], f"{key_id}/{material_id}".encode()
        )


# ---- symmetric blobs ----------------------------------------------------------------------


def _aad(header: bytes, context: dict[str, str] | None) -> bytes:
    return header + orjson.dumps(context or {}, option=orjson.OPT_SORT_KEYS)


def seal(
    key_id: str, material_id: str, material: bytes, plaintext: bytes, context: dict[str, str] | None
) -> bytes:
    header = MAGIC + key_id.encode().ljust(_KEY_ID_LEN, b" ") + bytes.fromhex(material_id)
    nonce = secrets.token_bytes(_NONCE_LEN)
    return header + nonce + AESGCM(material).encrypt(nonce, plaintext, _aad(header, context))


@dataclass(frozen=True)
class BlobHeader:
    key_id: str
    material_id: str


def read_header(blob: bytes) -> BlobHeader:
    """The key and material a symmetric blob names; CiphertextError if it is not one."""
    if len(blob) < HEADER_LEN + _NONCE_LEN + 16 or not blob.startswith(MAGIC):
        raise CiphertextError
    try:
        key_id = blob[len(MAGIC) : len(MAGIC) + _KEY_ID_LEN].decode("ascii").strip()
    except UnicodeDecodeError:
        raise CiphertextError from None
    return BlobHeader(key_id, blob[len(MAGIC) + _KEY_ID_LEN : HEADER_LEN].hex())


def open_blob(blob: bytes, material: bytes, context: dict[str, str] | None) -> bytes:
    nonce = blob[HEADER_LEN : HEADER_LEN + _NONCE_LEN]
    try:
        return AESGCM(material).decrypt(
            nonce, blob[HEADER_LEN + _NONCE_LEN :], _aad(blob[:HEADER_LEN], context)
        )
    except InvalidTag:
        raise CiphertextError from None


# ---- RSA encryption ----------------------------------------------------------------------


def _oaep(algorithm: str) -> padding.OAEP:
    digest = hashes.SHA1() if algorithm == "RSAES_OAEP_SHA_1" else hashes.SHA256()
    return padding.OAEP(mgf=padding.MGF1(digest), algorithm=digest, label=None)


def rsa_max_plaintext(spec: str, algorithm: str) -> int:
    """The largest plaintext OAEP takes (recorded: 214/190 bytes for RSA_2048 and SHA-1/SHA-256)."""
    digest_len = 20 if algorithm == "RSAES_OAEP_SHA_1" else 32
    return RSA_SPECS[spec] // 8 - 2 * digest_len - 2


def rsa_encrypt(material: bytes, algorithm: str, plaintext: bytes) -> bytes:
    private = serialization.load_der_private_key(material, None)
    assert isinstance(private, rsa.RSAPrivateKey)
    return private.public_key().encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(material: bytes, algorithm: str, blob: bytes) -> bytes:
    private = serialization.load_der_private_key(material, None)
    assert isinstance(private, rsa.RSAPrivateKey)
    try:
        return private.decrypt(blob, _oaep(algorithm))
    except ValueError:
        raise CiphertextError from None


# ---- signing -------------------------------------------------------------------------------


def signing_hash(algorithm: str) -> hashes.HashAlgorithm:
    return _HASHES[algorithm.rsplit("_", 1)[1]]()


def _sig_args(algorithm: str, message: bytes, digest: bool) -> tuple[bytes, hashes.HashAlgorithm]:
    algo = signing_hash(algorithm)
    if digest:
        return message, utils.Prehashed(algo)  # type: ignore[return-value]
    return message, algo


def sign(material: bytes, algorithm: str, message: bytes, digest: bool) -> bytes:
    """The signature AWS gives: PSS with a salt as long as the hash, PKCS#1 v1.5, DER ECDSA."""
    private = serialization.load_der_private_key(material, None)
    data, algo = _sig_args(algorithm, message, digest)
    if isinstance(private, rsa.RSAPrivateKey):
        if algorithm.startswith("RSASSA_PSS"):
            pad: padding.AsymmetricPadding = padding.PSS(
                mgf=padding.MGF1(signing_hash(algorithm)), salt_length=signing_hash(algorithm).digest_size
            )
        else:
            pad = padding.PKCS1v15()
        return private.sign(data, pad, algo)
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    return private.sign(data, ec.ECDSA(algo))


def verify(material: bytes, algorithm: str, message: bytes, digest: bool, signature: bytes) -> bool:
    public = serialization.load_der_private_key(material, None).public_key()
    data, algo = _sig_args(algorithm, message, digest)
    try:
        if isinstance(public, rsa.RSAPublicKey):
            if algorithm.startswith("RSASSA_PSS"):
                pad: padding.AsymmetricPadding = padding.PSS(
                    mgf=padding.MGF1(signing_hash(algorithm)), salt_length=padding.PSS.AUTO
                )
            else:
                pad = padding.PKCS1v15()
            public.verify(signature, data, pad, algo)
        else:
            assert isinstance(public, ec.EllipticCurvePublicKey)
            public.verify(signature, data, ec.ECDSA(algo))
    except (InvalidSignature, ValueError):
        return False
    return True


# ---- MACs ----------------------------------------------------------------------------------


def mac(material: bytes, algorithm: str, message: bytes) -> bytes:
    return hmac.new(material, message, getattr(hashlib, _MAC_HASHES[algorithm])).digest()


# ---- data key pairs --------------------------------------------------------------------------


def key_pair(spec: str) -> tuple[bytes, bytes]:
    """(PKCS#8 DER private key, DER SubjectPublicKeyInfo) of a new key pair."""
    private = generate_material(spec)
    return private, public_key_der(private)


def _sync_directory(directory: Path) -> None:
    """Make a new file's directory entry durable (POSIX; a no-op where directories can't be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
