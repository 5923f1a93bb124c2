"""What other services ask of S3 Control, in process: S3 finds the access point (and its bucket)
an ARN or alias given as a bucket names, and the configuration of an Object Lambda access
point. Implemented by the S3 Control provider."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from cloudlet.services.s3control.names import (
    ALIAS_SUFFIX,
    OBJECT_LAMBDA_ALIAS_SUFFIX,
    access_point_arn,
    no_such_access_point,
    parse_access_point_arn,
)

if TYPE_CHECKING:
    from cloudlet.runtime import Runtime

__all__ = [
    "ALIAS_SUFFIX",
    "OBJECT_LAMBDA_ALIAS_SUFFIX",
    "AccessPoints",
    "access_point_arn",
    "access_points",
    "no_such_access_point",
    "parse_access_point_arn",
]


class AccessPoints(Protocol):
    """Access points as S3's data plane reads them.

    Each found access point is a dict: ``Name``, ``Account``, ``Region``, ``Alias``, ``Arn`` and,
    for an access point, ``Bucket``; for an Object Lambda access point, ``Configuration`` (as
    GetAccessPointConfigurationForObjectLambda answers it)."""

    def find_access_point(self, account: str, region: str, name: str) -> dict[str, Any] | None: ...

    def find_object_lambda(self, account: str, region: str, name: str) -> dict[str, Any] | None: ...

    def find_alias(self, alias: str) -> dict[str, Any] | None:
        """The access point or Object Lambda access point with this alias (``Kind``: ``s3`` or
        ``s3-object-lambda``)."""
        ...


def access_points(runtime: Runtime) -> AccessPoints | None:
    """The S3 Control provider of ``runtime``, as the interface S3 uses."""
    return runtime.load("s3control")  # type: ignore[return-value]
