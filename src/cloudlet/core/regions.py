"""The AWS regions Cloudlet knows: those of botocore's endpoint data (every partition)."""

from __future__ import annotations

from functools import cache

import orjson

from cloudlet.protocol.model import botocore_data_dir


@cache
def _regions() -> frozenset[str]:
    data = orjson.loads((botocore_data_dir() / "endpoints.json").read_bytes())
    return frozenset(region for partition in data["partitions"] for region in partition.get("regions", {}))


def known_regions() -> frozenset[str]:
    """Every region of every partition."""
    return _regions()


def is_region(name: str) -> bool:
    """Whether ``name`` is an AWS region (``eu-west-1``; not ``eu-east-1``, not ``aws-global``)."""
    return name in _regions()
