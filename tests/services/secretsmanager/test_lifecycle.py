"""Deletion windows on the Cloudlet clock, restore, force delete, listing and batch reads."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError

from .conftest import error_of

DAY = 86400
MARKED = "You can't perform this operation on the secret because it was marked for deletion."


def test_delete_restore_and_purge_after_window(sm, name, cloudlet):
    arn = sm.create_secret(Name=name, SecretString="v")["ARN"]
    deleted = sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    assert deleted["ARN"] == arn
    now = cloudlet.clock()["now"]
    assert abs(deleted["DeletionDate"].timestamp() - (now + 7 * DAY)) < 5
    with pytest.raises(ClientError) as exc:
        sm.get_secret_value(SecretId=name)
    assert error_of(exc) == ("InvalidRequestException", MARKED)
    assert "DeletedDate" in sm.describe_secret(SecretId=name)
    with pytest.raises(ClientError) as exc:
        sm.create_secret(Name=name, SecretString="again")
    assert error_of(exc) == (
        "InvalidRequestException",
        "You can't create this secret because a secret with this name is already scheduled for deletion.",
    )
    with pytest.raises(ClientError) as exc:
        sm.tag_resource(SecretId=name, Tags=[{"Key": "k", "Value": "v"}])
    assert error_of(exc) == ("InvalidRequestException", MARKED)
    cloudlet.advance_clock(3 * DAY)
    restored = sm.restore_secret(SecretId=name)
    assert (restored["ARN"], restored["Name"]) == (arn, name)
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    cloudlet.advance_clock(8 * DAY)  # the cancelled window passes: nothing happens
    assert sm.get_secret_value(SecretId=name)["SecretString"] == "v"
    sm.delete_secret(SecretId=name, RecoveryWindowInDays=7)
    cloudlet.advance_clock(6 * DAY)
    assert sm.describe_secret(SecretId=name)["ARN"] == arn
    cloudlet.advance_clock(1 * DAY + 60)
    with pytest.raises(ClientError) as exc:
        sm.describe_secret(SecretId=name)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    assert sm.create_secret(Name=name, SecretString="new")["Name"] == name


def test_force_delete(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    sm.delete_secret(SecretId=name)  # default 30-day window
    out = sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
    assert out["Name"] == name
    with pytest.raises(ClientError) as exc:
        sm.describe_secret(SecretId=name)
    assert error_of(exc)[0] == "ResourceNotFoundException"
    sm.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)  # no ResourceNotFoundException
    sm.create_secret(Name=name, SecretString="again")


def test_delete_parameter_errors(sm, name):
    sm.create_secret(Name=name, SecretString="v")
    for kwargs in ({"RecoveryWindowInDays": 6}, {"RecoveryWindowInDays": 31}):
        with pytest.raises(ClientError) as exc:
            sm.delete_secret(SecretId=name, **kwargs)
        assert error_of(exc)[0] == "InvalidParameterException"
    with pytest.raises(ClientError) as exc:
        sm.delete_secret(SecretId=name, RecoveryWindowInDays=7, ForceDeleteWithoutRecovery=True)
    assert error_of(exc)[0] == "InvalidParameterException"


def test_list_filters_sort_and_paging(sm):
    tag = uuid.uuid4().hex[:8]
    names = [f"flt-{tag}/{i}" for i in range(5)]
    for i, n in enumerate(names):
        sm.create_secret(
            Name=n,
            Description=f"Team {'Alpha' if i % 2 == 0 else 'Beta'} key",
            Tags=[{"Key": f"env-{tag}", "Value": "prod" if i < 3 else "dev"}],
        )

    def listed(**kwargs):
        out, token = [], None
        while True:
            page = sm.list_secrets(**kwargs, **({"NextToken": token} if token else {}))
            out += [s["Name"] for s in page["SecretList"]]
            token = page.get("NextToken")
            if not token:
                return out

    assert listed(Filters=[{"Key": "name", "Values": [f"flt-{tag}/"]}]) == names
    assert listed(Filters=[{"Key": "name", "Values": [f"flt-{tag}/"]}], MaxResults=2) == names
    assert listed(Filters=[{"Key": "name", "Values": [f"flt-{tag}/"]}], SortOrder="desc") == names[::-1]
    assert listed(Filters=[{"Key": "name", "Values": [f"FLT-{tag}/"]}]) == []  # case-sensitive
    assert (
        listed(
            Filters=[{"Key": "tag-key", "Values": [f"env-{tag}"]}, {"Key": "tag-value", "Values": ["prod"]}]
        )
        == names[:3]
    )
    assert (
        listed(
            Filters=[{"Key": "tag-key", "Values": [f"env-{tag}"]}, {"Key": "tag-value", "Values": ["!prod"]}]
        )
        == names[3:]
    )
    assert (
        listed(
            Filters=[
                {"Key": "name", "Values": [f"flt-{tag}/"]},
                {"Key": "description", "Values": ["team alpha"]},
            ]
        )
        == names[0::2]
    )
    assert listed(Filters=[{"Key": "all", "Values": [f"{tag} beta"]}]) == names[1::2]
    sm.delete_secret(SecretId=names[0])
    assert listed(Filters=[{"Key": "name", "Values": [f"flt-{tag}/"]}]) == names[1:]
    with_deleted = sm.list_secrets(
        Filters=[{"Key": "name", "Values": [f"flt-{tag}/0"]}], IncludePlannedDeletion=True
    )
    assert "DeletedDate" in with_deleted["SecretList"][0]
    with pytest.raises(ClientError) as exc:
        sm.list_secrets(NextToken="garbage!")
    assert error_of(exc)[0] == "InvalidNextTokenException"


def test_batch_get_secret_value(sm):
    tag = uuid.uuid4().hex[:8]
    a = sm.create_secret(Name=f"batch-{tag}-a", SecretString="A")
    sm.create_secret(Name=f"batch-{tag}-b", SecretString="B")
    sm.create_secret(Name=f"batch-{tag}-empty")
    out = sm.batch_get_secret_value(SecretIdList=[a["ARN"], f"batch-{tag}-b", f"batch-{tag}-missing"])
    assert [v["SecretString"] for v in out["SecretValues"]] == ["A", "B"]
    assert out["Errors"] == [
        {
            "SecretId": f"batch-{tag}-missing",
            "ErrorCode": "ResourceNotFoundException",
            "Message": "Secrets Manager can't find the specified secret.",
        }
    ]
    page = sm.batch_get_secret_value(Filters=[{"Key": "name", "Values": [f"batch-{tag}"]}], MaxResults=2)
    assert [v["Name"] for v in page["SecretValues"]] == [f"batch-{tag}-a", f"batch-{tag}-b"]
    rest = sm.batch_get_secret_value(
        Filters=[{"Key": "name", "Values": [f"batch-{tag}"]}], NextToken=page["NextToken"]
    )
    assert rest["SecretValues"] == []
    assert [e["ErrorCode"] for e in rest["Errors"]] == ["ResourceNotFoundException"]  # no value yet
    with pytest.raises(ClientError) as exc:
        sm.batch_get_secret_value()
    assert error_of(exc)[0] == "InvalidParameterException"


def test_random_password_options(sm, sm_raw):
    assert len(sm.get_random_password()["RandomPassword"]) == 32
    pw = sm.get_random_password(PasswordLength=4096, ExcludePunctuation=True, ExcludeCharacters="abcXYZ019")[
        "RandomPassword"
    ]
    assert len(pw) == 4096 and pw.isalnum() and not set(pw) & set("abcXYZ019")
    assert sm.get_random_password(
        PasswordLength=50, ExcludeUppercase=True, ExcludeLowercase=True, ExcludePunctuation=True
    )["RandomPassword"].isdigit()
    spaced = sm.get_random_password(
        PasswordLength=4,
        IncludeSpace=True,
        ExcludeNumbers=True,
        ExcludePunctuation=True,
        ExcludeLowercase=True,
    )
    pw = spaced["RandomPassword"]
    assert " " in pw and any(c.isupper() for c in pw)  # one of each included type
    for _ in range(20):
        pw = sm.get_random_password(PasswordLength=4)["RandomPassword"]
        assert any(c.islower() for c in pw) and any(c.isupper() for c in pw) and any(c.isdigit() for c in pw)
    with pytest.raises(ClientError) as exc:
        sm_raw.get_random_password(PasswordLength=0)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        sm_raw.get_random_password(PasswordLength=4097)
    assert error_of(exc)[0] == "ValidationException"
    with pytest.raises(ClientError) as exc:
        sm.get_random_password(
            ExcludeUppercase=True, ExcludeLowercase=True, ExcludeNumbers=True, ExcludePunctuation=True
        )
    assert error_of(exc)[0] == "InvalidParameterException"
