"""Keys, aliases, grants, policies, tags, rotation and scheduled deletion."""

from __future__ import annotations

import json
import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of


def test_describe_by_id_arn_alias_and_alias_arn(kms, make_key):
    key = make_key(Description="d", Tags=[{"TagKey": "team", "TagValue": "a"}], MultiRegion=True)
    assert key["KeyId"].startswith("mrk-")
    assert key["MultiRegionConfiguration"]["MultiRegionKeyType"] == "PRIMARY"
    name = f"alias/app-{uuid.uuid4().hex[:8]}"
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    alias_arn = key["Arn"].replace(f"key/{key['KeyId']}", name)
    for ref in (key["KeyId"], key["Arn"], name, alias_arn):
        assert kms.describe_key(KeyId=ref)["KeyMetadata"]["KeyId"] == key["KeyId"]
    listed = kms.list_aliases(KeyId=key["KeyId"])["Aliases"]
    assert [(a["AliasName"], a["TargetKeyId"]) for a in listed] == [(name, key["KeyId"])]
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "team", "TagValue": "a"}]


def test_missing_and_malformed_keys(kms):
    missing = str(uuid.uuid4())
    arn = f"arn:aws:kms:us-east-1:000000000000:key/{missing}"
    cases = [
        (missing, ("NotFoundException", f"Key '{arn}' does not exist", 400)),
        (arn, ("NotFoundException", f"Key '{arn}' does not exist", 400)),
        ("fake-key-id", ("NotFoundException", "Invalid keyId 'fake-key-id'", 400)),
        (missing.replace("-", ""), ("NotFoundException", f"Invalid keyId '{missing.replace('-', '')}'", 400)),
        (arn.replace("us-east-1", "eu-west-1"), ("NotFoundException", "Invalid arn eu-west-1", 400)),
    ]
    for ref, expected in cases:
        with pytest.raises(ClientError) as exc:
            kms.describe_key(KeyId=ref)
        assert error_of(exc) == expected
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId="alias/does-not-exist")
    assert error_of(exc)[0] == "NotFoundException"


def test_create_key_validation(kms, kms_raw):
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec="HMAC_256")
    assert error_of(exc) == (
        "ValidationException",
        "You must specify a KeyUsage value for all KMS keys except for symmetric encryption keys.",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kms.create_key(KeySpec="RSA_2048", KeyUsage="GENERATE_VERIFY_MAC")
    assert error_of(exc) == (
        "ValidationException",
        "KeyUsage GENERATE_VERIFY_MAC is not compatible with KeySpec RSA_2048",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kms_raw.create_key(KeyUsage="RANDOM")
    assert error_of(exc)[0] == "ValidationException" and "'keyUsage'" in error_of(exc)[1]
    for tags, message in (
        ([{"TagKey": "aws:x", "TagValue": "v"}], "Tags beginning with aws: are reserved"),
        ([{"TagKey": "a", "TagValue": "1"}, {"TagKey": "a", "TagValue": "2"}], "Duplicate tag keys"),
        ([{"TagKey": f"k{i}", "TagValue": "v"} for i in range(51)], "Too many tags"),
    ):
        with pytest.raises(ClientError) as exc:
            kms.create_key(Tags=tags)
        assert error_of(exc) == ("TagException", message, 400)


def test_list_keys_paginates(kms, make_key):
    made = {make_key()["KeyId"] for _ in range(5)}
    seen, marker = [], None
    while True:
        page = kms.list_keys(Limit=2, **({"Marker": marker} if marker else {}))
        assert len(page["Keys"]) <= 2
        seen += [k["KeyId"] for k in page["Keys"]]
        if not page["Truncated"]:
            break
        marker = page["NextMarker"]
    assert made <= set(seen) and len(seen) == len(set(seen))


def test_alias_rules(kms, make_key):
    key, other = make_key(), make_key()
    name = f"alias/a-{uuid.uuid4().hex[:8]}"
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName="no-prefix", TargetKeyId=key["KeyId"])
    assert error_of(exc) == (
        "ValidationException",
        'Alias must start with the prefix "alias/". Please see '
        "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        400,
    )
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName="alias/aws/mine", TargetKeyId=key["KeyId"])
    assert error_of(exc)[2] == 400
    kms.create_alias(AliasName=name, TargetKeyId=key["KeyId"])
    with pytest.raises(ClientError) as exc:
        kms.create_alias(AliasName=name, TargetKeyId=other["KeyId"])
    assert error_of(exc)[0] == "AlreadyExistsException"
    kms.update_alias(AliasName=name, TargetKeyId=other["KeyId"])
    assert kms.describe_key(KeyId=name)["KeyMetadata"]["KeyId"] == other["KeyId"]
    kms.delete_alias(AliasName=name)
    with pytest.raises(ClientError) as exc:
        kms.delete_alias(AliasName=name)
    assert error_of(exc)[0] == "NotFoundException"


def test_aws_managed_key_created_on_first_use(kms):
    before = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert "alias/aws/sqs" in before
    managed = kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]
    assert managed["KeyManager"] == "AWS"
    assert kms.describe_key(KeyId="alias/aws/sqs")["KeyMetadata"]["KeyId"] == managed["KeyId"]
    assert kms.get_key_rotation_status(KeyId=managed["KeyId"])["KeyRotationEnabled"] is True
    for call in (
        lambda: kms.disable_key(KeyId=managed["KeyId"]),
        lambda: kms.schedule_key_deletion(KeyId=managed["KeyId"]),
        lambda: kms.put_key_policy(KeyId=managed["KeyId"], PolicyName="default", Policy="{}"),
    ):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_of(exc)[0] == "AccessDeniedException"


def test_policies(kms, make_key):
    key = make_key()
    policy = json.loads(kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"])
    assert policy["Id"] == "key-default-1"
    assert policy["Statement"][0]["Principal"] == {"AWS": "arn:aws:iam::000000000000:root"}
    assert kms.list_key_policies(KeyId=key["KeyId"])["PolicyNames"] == ["default"]
    new = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "kms:*", "Resource": "*"}],
        }
    )
    kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy=new)
    assert kms.get_key_policy(KeyId=key["KeyId"])["Policy"] == new
    with pytest.raises(ClientError) as exc:
        kms.put_key_policy(KeyId=key["KeyId"], PolicyName="default", Policy="not json")
    assert error_of(exc)[0] == "MalformedPolicyDocumentException"


def test_tags(kms, make_key):
    key = make_key()
    kms.tag_resource(
        KeyId=key["KeyId"], Tags=[{"TagKey": "tag1", "TagValue": "v1"}, {"TagKey": "tag2", "TagValue": "v2"}]
    )
    kms.tag_resource(KeyId=key["KeyId"], Tags=[{"TagKey": "tag2", "TagValue": "new"}])
    kms.untag_resource(KeyId=key["KeyId"], TagKeys=["tag1"])
    assert kms.list_resource_tags(KeyId=key["KeyId"])["Tags"] == [{"TagKey": "tag2", "TagValue": "new"}]


def test_grants(kms, make_key):
    key = make_key()
    grantee = "arn:aws:iam::000000000000:role/worker"
    retiree = "arn:aws:iam::000000000000:role/admin"
    grant = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee,
        RetiringPrincipal=retiree,
        Operations=["Encrypt", "Decrypt"],
        Name="g1",
    )
    again = kms.create_grant(
        KeyId=key["KeyId"],
        GranteePrincipal=grantee,
        RetiringPrincipal=retiree,
        Operations=["Encrypt", "Decrypt"],
        Name="g1",
    )
    assert again["GrantId"] == grant["GrantId"]
    other = kms.create_grant(KeyId=key["KeyId"], GranteePrincipal=grantee, Operations=["Decrypt"])
    listed = kms.list_grants(KeyId=key["KeyId"])["Grants"]
    assert [g["GrantId"] for g in listed] == [grant["GrantId"], other["GrantId"]]
    assert listed[0]["Operations"] == ["Encrypt", "Decrypt"] and listed[0]["Name"] == "g1"
    assert [g["GrantId"] for g in kms.list_retirable_grants(RetiringPrincipal=retiree)["Grants"]] == [
        grant["GrantId"]
    ]
    kms.retire_grant(GrantToken=grant["GrantToken"])
    kms.revoke_grant(KeyId=key["KeyId"], GrantId=other["GrantId"])
    assert kms.list_grants(KeyId=key["KeyId"])["Grants"] == []
    with pytest.raises(ClientError) as exc:
        kms.revoke_grant(KeyId=key["KeyId"], GrantId=other["GrantId"])
    assert error_of(exc)[0] == "NotFoundException"


def test_rotation_settings_and_on_demand(kms, make_key):
    key = make_key()
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
    status = kms.get_key_rotation_status(KeyId=key["KeyId"])
    assert status["KeyRotationEnabled"] is True and status["RotationPeriodInDays"] == 90
    assert "NextRotationDate" in status
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"old")["CiphertextBlob"]
    kms.rotate_key_on_demand(KeyId=key["KeyId"])
    after = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert after["CurrentKeyMaterialId"] != key["CurrentKeyMaterialId"]
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"old"  # older material still decrypts
    rotations = kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]
    assert [r["RotationType"] for r in rotations] == ["ON_DEMAND"]
    kms.disable_key_rotation(KeyId=key["KeyId"])
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"] is False
    rsa = make_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")
    with pytest.raises(ClientError) as exc:
        kms.rotate_key_on_demand(KeyId=rsa["KeyId"])
    assert error_of(exc) == ("UnsupportedOperationException", "", 400)


def test_deletion_scheduled_then_gone_after_the_window(kms, make_key, cloudlet):
    key = make_key()
    blob = kms.encrypt(KeyId=key["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    for days in (6, 31):
        with pytest.raises(ClientError) as exc:
            kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=days)
        assert error_of(exc)[0] == "ValidationException"
    out = kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    assert out["KeyState"] == "PendingDeletion" and out["PendingWindowInDays"] == 7
    described = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
    assert described["KeyState"] == "PendingDeletion" and described["PendingDeletionWindowInDays"] == 7
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert error_of(exc) == ("KMSInvalidStateException", f"{key['Arn']} is pending deletion.", 400)
    kms.cancel_key_deletion(KeyId=key["KeyId"])
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "Disabled"
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    cloudlet.advance_clock(6 * 86400)
    assert kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] == "PendingDeletion"
    cloudlet.advance_clock(86400 + 1)
    with pytest.raises(ClientError) as exc:
        kms.describe_key(KeyId=key["KeyId"])
    assert error_of(exc) == ("NotFoundException", f"Key '{key['Arn']}' does not exist", 400)
