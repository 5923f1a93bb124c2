"""A provider loaded inside another service's transaction that rolls back."""

from __future__ import annotations

import pytest

from cloudlet.config import Config
from cloudlet.runtime import Runtime


def test_provider_loaded_in_a_rolled_back_transaction_is_loaded_again():
    runtime = Runtime(Config(in_memory=True))
    with pytest.raises(RuntimeError), runtime.store.transaction():
        first = runtime.load("kms")  # its migrations join this transaction
        raise RuntimeError("the outer write fails")
    second = runtime.load("kms")
    assert second is not first
    # its tables exist again: a key can be made and found
    keys = second.keys  # type: ignore[union-attr]
    ref = keys.resolve("000000000000", "us-east-1", None, "aws/s3")
    assert ref.arn.startswith("arn:aws:kms:us-east-1:000000000000:key/")


def test_provider_loaded_in_a_committed_transaction_stays():
    runtime = Runtime(Config(in_memory=True))
    with runtime.store.transaction():
        first = runtime.load("kms")
    assert runtime.load("kms") is first
