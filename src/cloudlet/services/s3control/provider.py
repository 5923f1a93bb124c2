"""S3 Control: access points and Object Lambda access points (their configurations and
policies). Requests are routed by their ``/v20180820/`` templates and the ``x-amz-account-id``
header every one of them carries; the other operations answer NotImplemented.

S3 reads access points through interface.py: an access point's ARN (the host SDKs build from
it, see services/s3/access_points.py) or alias given as a bucket reaches its bucket, and an
Object Lambda access point's GetObject runs its function (services/s3/object_lambda.py).
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.s3.interface import bucket_owner, check_policy, policy_is_public
from cloudlet.services.s3control import names
from cloudlet.services.s3control.names import (
    ACCESS_POINT_MAX,
    OBJECT_LAMBDA_MAX,
    access_denied,
    access_point_arn,
    already_owned,
    check_name,
    invalid_request,
    malformed_xml,
    no_such_access_point,
    no_such_policy,
    parse_access_point_arn,
)
from cloudlet.services.s3control.store import OBJECT_LAMBDA, PLAIN, AccessPoint, AccessPointStore

MAX_RESULTS = 1000
_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}
_ACTIONS = frozenset({"GetObject", "HeadObject", "ListObjects", "ListObjectsV2"})
_FEATURES = frozenset(
    {"GetObject-Range", "GetObject-PartNumber", "HeadObject-Range", "HeadObject-PartNumber"}
)


class S3ControlProvider(Provider):
    service = "s3control"
    validate_input = False  # S3 Control answers S3-style errors (InvalidURI, MalformedXML, ...)

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = AccessPointStore(self.store)

    def resource_counts(self) -> dict[str, int]:
        count = self.db.count()
        return {"access points": count} if count else {}

    # ---- what S3 reads (interface.py) ----------------------------------------------------

    def find_access_point(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        found = self.db.get(account, region, PLAIN, name)
        return _found(found) if found is not None else None

    def find_object_lambda(self, account: str, region: str, name: str) -> dict[str, Any] | None:
        found = self.db.get(account, region, OBJECT_LAMBDA, name)
        return _found(found) if found is not None else None

    def find_alias(self, alias: str) -> dict[str, Any] | None:
        found = self.db.by_alias(alias)
        return _found(found) if found is not None else None

    # ---- shared ----------------------------------------------------------------------------

    @staticmethod
    def _check_account(ctx: RequestContext, params: dict[str, Any]) -> None:
        """The account in ``x-amz-account-id`` must be the caller's (unverified: AWS's answer for
        another account's id)."""
        if params.get("AccountId") != ctx.account:
            raise access_denied()

    def _point(self, ctx: RequestContext, params: dict[str, Any], kind: str) -> AccessPoint:
        self._check_account(ctx, params)
        found = self.db.get(ctx.account, ctx.region, kind, params.get("Name") or "")
        if found is None:
            raise no_such_access_point()
        return found

    def _page(
        self, ctx: RequestContext, params: dict[str, Any], kind: str, bucket: str | None = None
    ) -> tuple[list[AccessPoint], str | None]:
        limit = params.get("MaxResults")
        if limit is None or limit == 0:
            limit = MAX_RESULTS
        if not 0 < limit <= MAX_RESULTS:
            raise invalid_request("The range for the MaxResults parameter is not valid.")  # unverified
        after = _after(params.get("NextToken"))
        points = self.db.page(ctx.account, ctx.region, kind, after, limit + 1, bucket)
        if len(points) > limit:
            points = points[:limit]
            return points, base64.urlsafe_b64encode(points[-1].name.encode()).decode()
        return points, None

    def _create(self, point: AccessPoint) -> None:
        with self.store.transaction():
            if self.db.get(point.account, point.region, point.kind, point.name) is not None:
                raise already_owned()
            if self.db.by_alias(point.alias) is not None:  # a random clash: try again
                point.alias = names.new_alias(point.name, object_lambda=point.kind == OBJECT_LAMBDA)
            self.db.insert(point)

    # ---- access points ---------------------------------------------------------------------

    def create_access_point(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(ctx, params)
        name = params.get("Name") or ""
        check_name(name, ACCESS_POINT_MAX)
        bucket = params.get("Bucket")
        vpc = params.get("VpcConfiguration")
        if not bucket or (vpc is not None and not vpc.get("VpcId")):
            raise malformed_xml()
        owner = bucket_owner(self.runtime, bucket)
        if owner is None:
            # the reason the S3 API reference gives for this InvalidRequest (wording unverified)
            raise invalid_request("An access point can be created only for an existing bucket.")
        doc: dict[str, Any] = {
            "NetworkOrigin": "VPC" if vpc else "Internet",
            "PublicAccessBlockConfiguration": _block(params.get("PublicAccessBlockConfiguration")),
            "BucketAccountId": owner[0],
        }
        if vpc:
            doc["VpcConfiguration"] = {"VpcId": vpc["VpcId"]}
        for kept in ("Scope", "Tags"):
            if params.get(kept) is not None:
                doc[kept] = params[kept]
        point = AccessPoint(
            ctx.account, ctx.region, PLAIN, name, bucket, names.new_alias(name), doc, None, self.clock.now()
        )
        self._create(point)
        return {"AccessPointArn": access_point_arn(ctx.region, ctx.account, name), "Alias": point.alias}

    def get_access_point(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        point = self._point(ctx, params, PLAIN)
        doc = point.doc
        out: dict[str, Any] = {
            "Name": point.name,
            "Bucket": point.bucket,
            "NetworkOrigin": doc["NetworkOrigin"],
            "PublicAccessBlockConfiguration": doc["PublicAccessBlockConfiguration"],
            "CreationDate": point.created,
            "Alias": point.alias,
            "AccessPointArn": access_point_arn(point.region, point.account, point.name),
            "Endpoints": _endpoints(point.region),
            "BucketAccountId": doc["BucketAccountId"],
        }
        if doc.get("VpcConfiguration"):
            out["VpcConfiguration"] = doc["VpcConfiguration"]
        return out

    def list_access_points(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._check_account(ctx, params)
        bucket = params.get("Bucket")
        if bucket is not None and bucket_owner(self.runtime, bucket) is None:
            # the reason the S3 API reference gives for this InvalidRequest (wording unverified)
            raise invalid_request("An access point can be listed only for an existing bucket.")
        points, token = self._page(ctx, params, PLAIN, bucket)
        listed = []
        for point in points:
            entry: dict[str, Any] = {
                "Name": point.name,
                "NetworkOrigin": point.doc["NetworkOrigin"],
                "Bucket": point.bucket,
                "AccessPointArn": access_point_arn(point.region, point.account, point.name),
                "Alias": point.alias,
                "BucketAccountId": point.doc["BucketAccountId"],
            }
            if point.doc.get("VpcConfiguration"):
                entry["VpcConfiguration"] = point.doc["VpcConfiguration"]
            listed.append(entry)
        out: dict[str, Any] = {"AccessPointList": listed}
        if token:
            out["NextToken"] = token
        return out

    def delete_access_point(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        point = self._point(ctx, params, PLAIN)
        with self.store.transaction():
            self.db.delete(point)
        return {}

    # ---- Object Lambda access points ----------------------------------------------------------

    def _lambda_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """The Configuration of a request, checked; the supporting access point must exist."""
        config = params.get("Configuration")
        if not isinstance(config, dict):
            raise malformed_xml()
        supporting = config.get("SupportingAccessPoint") or ""
        transformations = config.get("TransformationConfigurations") or []
        if not supporting or not transformations:
            raise malformed_xml()
        for transformation in transformations:
            actions = transformation.get("Actions") or []
            function = ((transformation.get("ContentTransformation") or {}).get("AwsLambda") or {}).get(
                "FunctionArn"
            )
            if not actions or not function or any(a not in _ACTIONS for a in actions):
                raise malformed_xml()
        if any(f not in _FEATURES for f in config.get("AllowedFeatures") or []):
            raise malformed_xml()
        parsed = parse_access_point_arn(supporting)
        if parsed is None or parsed[0] != "s3":
            raise invalid_request(f"Invalid supporting access point ARN: {supporting}")  # unverified
        _, region, account, name = parsed
        if self.db.get(account, region or ctx.region, PLAIN, name) is None:
            raise invalid_request(f"The supporting access point {supporting} does not exist")  # unverified
        out = {k: v for k, v in config.items() if v is not None}
        out.setdefault("CloudWatchMetricsEnabled", False)
        return out

    def create_access_point_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        self._check_account(ctx, params)
        name = params.get("Name") or ""
        check_name(name, OBJECT_LAMBDA_MAX)
        config = self._lambda_configuration(ctx, params)
        alias = names.new_alias(name, object_lambda=True)
        point = AccessPoint(
            ctx.account,
            ctx.region,
            OBJECT_LAMBDA,
            name,
            None,
            alias,
            {"Configuration": config},
            None,
            self.clock.now(),
        )
        self._create(point)
        return {
            "ObjectLambdaAccessPointArn": access_point_arn(ctx.region, ctx.account, name, object_lambda=True),
            "Alias": {"Value": point.alias, "Status": "READY"},
        }

    def get_access_point_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        point = self._point(ctx, params, OBJECT_LAMBDA)
        return {
            "Name": point.name,
            "PublicAccessBlockConfiguration": dict(_BLOCK_ALL),
            "CreationDate": point.created,
            "Alias": {"Value": point.alias, "Status": "READY"},
        }

    def get_access_point_configuration_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return {"Configuration": self._point(ctx, params, OBJECT_LAMBDA).doc["Configuration"]}

    def put_access_point_configuration_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        point = self._point(ctx, params, OBJECT_LAMBDA)
        config = self._lambda_configuration(ctx, params)
        with self.store.transaction():
            self.db.set_doc(point, {**point.doc, "Configuration": config})
        return {}

    def list_access_points_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        self._check_account(ctx, params)
        points, token = self._page(ctx, params, OBJECT_LAMBDA)
        listed = [
            {
                "Name": point.name,
                "ObjectLambdaAccessPointArn": access_point_arn(
                    point.region, point.account, point.name, object_lambda=True
                ),
                "Alias": {"Value": point.alias, "Status": "READY"},
            }
            for point in points
        ]
        out: dict[str, Any] = {"ObjectLambdaAccessPointList": listed}
        if token:
            out["NextToken"] = token
        return out

    def delete_access_point_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        point = self._point(ctx, params, OBJECT_LAMBDA)
        with self.store.transaction():
            self.db.delete(point)
        return {}

    # ---- policies ------------------------------------------------------------------------------

    def _put_policy(self, ctx: RequestContext, params: dict[str, Any], kind: str) -> dict[str, Any]:
        point = self._point(ctx, params, kind)
        policy = _checked_policy(params.get("Policy"))
        with self.store.transaction():
            self.db.set_policy(point, policy)
        return {}

    def _get_policy(self, ctx: RequestContext, params: dict[str, Any], kind: str) -> str:
        policy = self._point(ctx, params, kind).policy
        if policy is None:
            raise no_such_policy()
        return policy

    def _delete_policy(self, ctx: RequestContext, params: dict[str, Any], kind: str) -> dict[str, Any]:
        point = self._point(ctx, params, kind)
        with self.store.transaction():
            self.db.set_policy(point, None)
        return {}

    def put_access_point_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_policy(ctx, params, PLAIN)

    def get_access_point_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": self._get_policy(ctx, params, PLAIN)}

    def delete_access_point_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_policy(ctx, params, PLAIN)

    def get_access_point_policy_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"PolicyStatus": {"IsPublic": policy_is_public(self._get_policy(ctx, params, PLAIN))}}

    def put_access_point_policy_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._put_policy(ctx, params, OBJECT_LAMBDA)

    def get_access_point_policy_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return {"Policy": self._get_policy(ctx, params, OBJECT_LAMBDA)}

    def delete_access_point_policy_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._delete_policy(ctx, params, OBJECT_LAMBDA)

    def get_access_point_policy_status_for_object_lambda(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        policy = self._get_policy(ctx, params, OBJECT_LAMBDA)
        return {"PolicyStatus": {"IsPublic": policy_is_public(policy)}}


def _found(point: AccessPoint) -> dict[str, Any]:
    object_lambda = point.kind == OBJECT_LAMBDA
    out: dict[str, Any] = {
        "Kind": "s3-object-lambda" if object_lambda else "s3",
        "Name": point.name,
        "Account": point.account,
        "Region": point.region,
        "Alias": point.alias,
        "Arn": access_point_arn(point.region, point.account, point.name, object_lambda=object_lambda),
    }
    if object_lambda:
        out["Configuration"] = point.doc["Configuration"]
    else:
        out["Bucket"] = point.bucket
    return out


def _block(given: dict[str, Any] | None) -> dict[str, bool]:
    """An access point blocks all public access unless its creation says otherwise (a setting a
    given configuration leaves out is off: unverified)."""
    if given is None:
        return dict(_BLOCK_ALL)
    return {name: bool(given.get(name)) for name in _BLOCK_ALL}


def _endpoints(region: str) -> dict[str, str]:
    """The access point's endpoints on AWS (unverified beyond their documented host forms)."""
    return {
        "ipv4": f"s3-accesspoint.{region}.amazonaws.com",
        "fips": f"s3-accesspoint-fips.{region}.amazonaws.com",
        "fips_dualstack": f"s3-accesspoint-fips.dualstack.{region}.amazonaws.com",
        "dualstack": f"s3-accesspoint.dualstack.{region}.amazonaws.com",
    }


def _after(token: str | None) -> str:
    """The name a NextToken continues after ('' for the first page)."""
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid_request("The next token is not valid.") from None  # unverified wording


def _checked_policy(policy: str | None) -> str:
    """A policy document as S3 checks a bucket policy (its MalformedPolicy messages)."""
    if not policy:
        raise malformed_xml()
    check_policy(policy)
    return policy
