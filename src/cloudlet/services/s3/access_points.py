"""S3 requests addressed to access points (their records live in S3 Control).

SDKs given an access point ARN as ``Bucket`` send the request to a host of its own, the key as
the path: ``<name>-<account>.s3-accesspoint.<region>.amazonaws.com`` for an access point,
``<name>-<account>.s3-object-lambda.<region>.amazonaws.com`` for an Object Lambda access point
(signed for ``s3-object-lambda``). With a custom endpoint they put the same first label before
it: ``olap-000000000000.127.0.0.1:4566``. The entry point (entry.py) claims those requests and
routes them as path-style requests whose bucket is the access point's ARN, which the provider
resolves (``bucket_behind``), as it resolves an access point's alias (``<name>-…-s3alias``,
``…--ol-s3``) used as a bucket name.

An access point host on an IP address, or on ``s3-accesspoint.…``, is taken for an access point;
``<name>-<account>.localhost`` stays a virtual-hosted bucket unless signed for Object Lambda.
"""

from __future__ import annotations

import dataclasses
import ipaddress
import re
from typing import TYPE_CHECKING, Any

from cloudlet.core.arn import partition_for
from cloudlet.gateway.detect import Credentials, Target, parse_credentials
from cloudlet.gateway.request import Headers, Request
from cloudlet.protocol.errors import ServiceError, not_implemented
from cloudlet.services.s3control.interface import (
    ALIAS_SUFFIX,
    OBJECT_LAMBDA_ALIAS_SUFFIX,
    access_points,
    no_such_access_point,
    parse_access_point_arn,
)

if TYPE_CHECKING:
    from cloudlet.gateway.entrypoints import Answer, Front
    from cloudlet.runtime import Runtime

OBJECT_LAMBDA = "s3-object-lambda"
_HOST_LABEL = re.compile(r"^([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)-(\d{12})$")
# Routing a claimed request as a path-style one: a host naming no bucket, a bucket label.
_NEUTRAL_HOST = "s3.amazonaws.com"
_PLACEHOLDER = "access-point"
# What an Object Lambda access point serves (S3 user guide, "Transforming objects").
OBJECT_LAMBDA_OPERATIONS = frozenset({"GetObject", "HeadObject", "ListObjects", "ListObjectsV2"})


@dataclasses.dataclass(frozen=True)
class Addressed:
    """The access point a request's host names."""

    service: str  # "s3" (an access point) or "s3-object-lambda"
    name: str
    account: str

    def arn(self, region: str) -> str:
        return f"arn:{partition_for(region)}:{self.service}:{region}:{self.account}:accesspoint/{self.name}"


def addressed(request: Request) -> Addressed | None:
    """The access point whose host a request is sent to, if any (see the module docstring)."""
    host = request.host.lower()
    if not host or host.startswith("["):
        return None
    first, dot, rest = host.rsplit(":", 1)[0].partition(".")
    if not dot:
        return None
    m = _HOST_LABEL.match(first)
    if m is None:
        return None
    signing = parse_credentials(request).signing_name
    if signing == OBJECT_LAMBDA or (not signing and rest.startswith("s3-object-lambda.")):
        if request.method == "POST":  # WriteGetObjectResponse and what no access point takes
            return None
        return Addressed(OBJECT_LAMBDA, m[1], m[2])
    if signing in ("s3", "") and (rest.startswith("s3-accesspoint.") or _is_ip(rest)):
        return Addressed("s3", m[1], m[2])
    return None


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def serve(front: Front, request: Request) -> Answer:
    """The AWS API's answer to a request sent to an access point's host."""
    found = addressed(request)
    assert found is not None  # claimed by ``addressed``

    def route(req: Request, creds: Credentials) -> Target:
        headers = Headers([*((k, v) for k, v in req.headers.items() if k != "host"), ("host", _NEUTRAL_HOST)])
        path = req.path if req.path.startswith("/") else "/" + req.path
        probe = dataclasses.replace(req, path=f"/{_PLACEHOLDER}{path}", headers=headers)
        target = front.dispatcher.router.route(probe, creds)
        if target.service != "s3" or target.operation is None:
            return target
        arn = found.arn(target.region)
        if found.service == OBJECT_LAMBDA:
            if target.operation not in OBJECT_LAMBDA_OPERATIONS:
                raise ServiceError(  # unverified: the answer to other operations
                    "MethodNotAllowed", "The specified method is not allowed against this resource.", 405
                )
            if target.operation.startswith("List"):
                point = object_lambda_point(front.runtime, arn)
                if transformation_for(point, target.operation) is not None:
                    raise not_implemented("s3", f"{target.operation} with an Object Lambda transformation")
        target.labels["Bucket"] = arn
        return target

    return front.dispatcher.handle(request, route)


# ---- ARNs and aliases as bucket names -------------------------------------------------------


def is_object_lambda(bucket: str) -> bool:
    """Whether a bucket name is an Object Lambda access point's ARN or alias."""
    if bucket.endswith(OBJECT_LAMBDA_ALIAS_SUFFIX):
        return True
    return bucket.startswith("arn:") and f":{OBJECT_LAMBDA}:" in bucket


def object_lambda_point(runtime: Runtime, bucket: str) -> dict[str, Any]:
    """The Object Lambda access point an ARN or alias names (interface.py's dict), or
    ``NoSuchAccessPoint``."""
    points = access_points(runtime)
    found = None
    if points is not None:
        parsed = parse_access_point_arn(bucket)
        if parsed is not None and parsed[0] == OBJECT_LAMBDA:
            found = points.find_object_lambda(parsed[2], parsed[1], parsed[3])
        elif bucket.endswith(OBJECT_LAMBDA_ALIAS_SUFFIX):
            found = points.find_alias(bucket)
    if found is None or found.get("Kind") != OBJECT_LAMBDA:
        raise no_such_access_point()
    return found


def transformation_for(point: dict[str, Any], action: str) -> dict[str, Any] | None:
    """The ``AwsLambda`` transformation an Object Lambda access point has for ``action``, if any."""
    for transformation in point["Configuration"].get("TransformationConfigurations") or []:
        if action in (transformation.get("Actions") or []):
            found: dict[str, Any] = (transformation.get("ContentTransformation") or {}).get("AwsLambda") or {}
            return found
    return None


def supporting_point(runtime: Runtime, point: dict[str, Any]) -> dict[str, Any]:
    """The access point an Object Lambda access point reads through, or ``NoSuchAccessPoint``
    when it was deleted since (unverified)."""
    points = access_points(runtime)
    parsed = parse_access_point_arn(point["Configuration"]["SupportingAccessPoint"])
    found = None
    if points is not None and parsed is not None:
        found = points.find_access_point(parsed[2], parsed[1] or point["Region"], parsed[3])
    if found is None:
        raise no_such_access_point()
    return found


def bucket_behind(runtime: Runtime, name: str) -> str | None:
    """The bucket behind an access point ARN or alias given as a bucket name (an Object Lambda
    access point's: its supporting access point's bucket); None when ``name`` is neither.
    An ARN naming no access point answers ``NoSuchAccessPoint`` (unverified)."""
    if name.startswith("arn:"):
        parsed = parse_access_point_arn(name)
        if parsed is None:
            return None
        service, region, account, point_name = parsed
        if service == OBJECT_LAMBDA:
            return supporting_point(runtime, object_lambda_point(runtime, name))["Bucket"]
        points = access_points(runtime)
        found = points.find_access_point(account, region, point_name) if points is not None else None
        if found is None:
            raise no_such_access_point()
        return str(found["Bucket"])
    if name.endswith(OBJECT_LAMBDA_ALIAS_SUFFIX):
        return supporting_point(runtime, object_lambda_point(runtime, name))["Bucket"]
    if name.endswith(ALIAS_SUFFIX):
        points = access_points(runtime)
        found = points.find_alias(name) if points is not None else None
        return str(found["Bucket"]) if found is not None and found.get("Bucket") else None
    return None
