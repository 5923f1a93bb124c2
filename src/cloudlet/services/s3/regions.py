"""The AWS regions S3 knows: those of botocore's endpoint data (every partition)."""

from __future__ import annotations

from functools import cache

import orjson

from cloudlet.protocol.model import botocore_data_dir


@cache
def _regions() -> frozenset[str]:
    data = orjson.loads((botocore_data_dir() / "endpoints.json").read_bytes())
    return frozenset(region for partition in data["partitions"] for region in partition.get("regions", {}))


def is_region(name: str) -> bool:
    """Whether ``name`` is an AWS region (``eu-west-1``; not ``eu-east-1``, not ``aws-global``)."""
    return name in _regions()


def endpoint_region(host: str) -> str | None:
    """The region an S3 endpoint's Host names (``s3.eu-west-1.localhost``,
    ``bucket.s3.eu-west-1.amazonaws.com``, ``s3.dualstack.eu-west-1…``, the legacy
    ``s3-eu-west-1…``), if any."""
    labels = host.rsplit(":", 1)[0].lower().split(".") if not host.startswith("[") else []
    for i, label in enumerate(labels):
        if label == "s3":
            rest = [part for part in labels[i + 1 : i + 3] if part != "dualstack"]
            if rest and is_region(rest[0]):
                return rest[0]
        elif label.startswith("s3-") and is_region(label[3:]):
            return label[3:]
    return None
