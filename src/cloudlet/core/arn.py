"""ARNs: building and parsing ``arn:partition:service:region:account:resource``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """``role`` of ``role/name``, ``function`` of ``function:name``, or ''."""
        for sep in ("/", ":"):
            if sep in self.resource:
                return self.resource.split(sep, 1)[0]
        return ""

    @property
    def resource_name(self) -> str:
        for sep in ("/", ":"):
            if sep in self.resource:
                return self.resource.split(sep, 1)[1]
        return self.resource


def partition_for(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def make_arn(service: str, region: str, account: str, resource: str) -> str:
    """An ARN in the partition of ``region`` (global services pass region '')."""
    return str(Arn(partition_for(region) if region else "aws", service, region, account, resource))


def parse_arn(text: str) -> Arn:
    """Split an ARN; raises ValueError for anything that is not one."""
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2] or not parts[5]:
        raise ValueError(f"{text} is not a valid ARN")
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])
