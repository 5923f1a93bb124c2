"""Message signatures: an RSA key and self-signed certificate per data directory, kept in the
store, and SNS's string to sign (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA)."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from cloudlet.store.db import Store

KEY_META = "sns.signing_key"
CERT_META = "sns.signing_cert"
CERT_PATH = "/_sns/SimpleNotificationService-cloudlet.pem"
_NOTIFICATION_KEYS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
# SubscriptionConfirmation and UnsubscribeConfirmation messages sign these instead.
_RECENT = 64  # signatures remembered (a message's subscribers share one)
_CONFIRMATION_KEYS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")


class Signer:
    """Signs notifications with the data directory's key (made on first use)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._key: rsa.RSAPrivateKey | None = None
        self._cert: bytes | None = None
        self._recent: dict[tuple[str, str], str] = {}  # the last signatures, by text and version

    def _load(self) -> rsa.RSAPrivateKey:
        if self._key is not None:
            return self._key
        pem = self.store.get_meta(KEY_META)
        if pem is None:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
            now = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
            cert = (
                x509.CertificateBuilder()
                .subject_name(name)
                .issuer_name(name)
                .public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now)
                .not_valid_after(now + dt.timedelta(days=365 * 30))
                .sign(key, hashes.SHA256())
            )
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            self.store.set_meta(KEY_META, pem)
            self.store.set_meta(CERT_META, cert.public_bytes(serialization.Encoding.PEM).decode())
            self.store.after_rollback(self._forget)  # made inside a Publish that did not last
        loaded = serialization.load_pem_private_key(pem.encode(), password=None)
        assert isinstance(loaded, rsa.RSAPrivateKey)
        self._key = loaded
        return loaded

    def _forget(self) -> None:
        self._key = None
        self._cert = None
        self._recent.clear()

    def certificate(self) -> bytes:
        """The PEM certificate whose key signs the notifications."""
        self._load()
        if self._cert is None:
            self._cert = (self.store.get_meta(CERT_META) or "").encode()
        return self._cert

    def sign(self, fields: dict[str, Any], version: str) -> str:
        """The base64 signature of a notification's (or a confirmation's) fields."""
        keys = _NOTIFICATION_KEYS if fields.get("Type") == "Notification" else _CONFIRMATION_KEYS
        text = "".join(f"{k}\n{fields[k]}\n" for k in keys if k in fields)
        known = self._recent.get((text, version))
        if known is not None:  # the same message to another subscriber: RSA once per message
            return known
        digest = hashes.SHA256() if version == "2" else hashes.SHA1()
        signature = base64.b64encode(self._load().sign(text.encode(), padding.PKCS1v15(), digest)).decode()
        if len(self._recent) >= _RECENT:
            self._recent.clear()
        self._recent[(text, version)] = signature
        return signature
