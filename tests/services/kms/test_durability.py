"""KMS keys, material and timers after kill -9 and a restart on the same data directory."""

from __future__ import annotations

import stat

from cloudlet.testing.server import ServerProcess, client


def test_keys_and_ciphertexts_survive_kill_9(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        kms = client("kms", server.endpoint)
        key = kms.create_key(Description="durable")["KeyMetadata"]
        kms.create_alias(AliasName="alias/durable", TargetKeyId=key["KeyId"])
        blob = kms.encrypt(KeyId="alias/durable", Plaintext=b"kept", EncryptionContext={"a": "b"})[
            "CiphertextBlob"
        ]
        signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
        signature = kms.sign(KeyId=signer["KeyId"], Message=b"m", SigningAlgorithm="ECDSA_SHA_256")[
            "Signature"
        ]
        doomed = kms.create_key()["KeyMetadata"]
        kms.schedule_key_deletion(KeyId=doomed["KeyId"], PendingWindowInDays=7)
    finally:
        server.kill()
    master = tmp_path / "kms-master.key"
    assert stat.S_IMODE(master.stat().st_mode) == 0o600
    assert master.read_bytes() not in (tmp_path / "cloudlet.db").read_bytes()
    server.start()
    try:
        kms = client("kms", server.endpoint)
        assert kms.decrypt(CiphertextBlob=blob, EncryptionContext={"a": "b"})["Plaintext"] == b"kept"
        assert kms.describe_key(KeyId="alias/durable")["KeyMetadata"]["Description"] == "durable"
        ok = kms.verify(
            KeyId=signer["KeyId"], Message=b"m", Signature=signature, SigningAlgorithm="ECDSA_SHA_256"
        )
        assert ok["SignatureValid"]
        server.advance_clock(8 * 86400)
        assert doomed["KeyId"] not in {k["KeyId"] for k in kms.list_keys()["Keys"]}
    finally:
        server.kill()
