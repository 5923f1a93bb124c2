"""Bucket sub-resources stored and returned as configured: tagging, policy, CORS, versioning,
lifecycle, public access block, ownership controls (the S3 provider mixes these in)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3.configs import check_policy
from cloudlet.services.s3.errors import malformed_xml
from cloudlet.services.s3.lifecycle import check_rules
from cloudlet.services.s3.tags import check_tag_set
from cloudlet.services.s3.wire import NOT_IN_HEADER

if TYPE_CHECKING:
    from cloudlet.services.s3.store import Bucket

# config key -> (error code, message) answered by the Get when nothing is configured
_MISSING = {
    "Tagging": ("NoSuchTagSet", "The TagSet does not exist"),
    "Policy": ("NoSuchBucketPolicy", "The bucket policy does not exist"),
    "Cors": ("NoSuchCORSConfiguration", "The CORS configuration does not exist"),
    "Lifecycle": ("NoSuchLifecycleConfiguration", "The lifecycle configuration does not exist"),
    "PublicAccessBlock": (
        "NoSuchPublicAccessBlockConfiguration",
        "The public access block configuration was not found",
    ),
    "OwnershipControls": ("OwnershipControlsNotFoundError", "The bucket ownership controls were not found"),
    # "test_crud_website_configuration": get-no-such-website-config
    "Website": ("NoSuchWebsiteConfiguration", "The specified bucket does not have a website configuration"),
    # "test_replication_config": expected_error_no_replication_set
    "Replication": ("ReplicationConfigurationNotFoundError", "The replication configuration was not found"),
}


OBJECT_OWNERSHIPS = ("BucketOwnerPreferred", "ObjectWriter", "BucketOwnerEnforced")


class BucketSettings:
    """Put/Get/Delete of the bucket sub-resources that are stored as given."""

    def bucket(self, name: str) -> Bucket:  # provided by the provider
        raise NotImplementedError

    def _save(self, bucket: Bucket) -> None:
        with self.store.transaction():  # type: ignore[attr-defined]
            self.db.save_bucket(bucket)  # type: ignore[attr-defined]

    def _store(self, bucket: Bucket, key: str, value: Any) -> None:
        """Set (or, with None, remove) one setting, saving the bucket when it changed."""
        if value is None:
            if bucket.config.pop(key, None) is None:
                return
        else:
            bucket.config[key] = value
        self._save(bucket)

    def _put_setting(self, params: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
        self._store(self.bucket(params["Bucket"]), key, value)
        return {}

    def _get_setting(self, params: dict[str, Any], key: str) -> Any:
        bucket = self.bucket(params["Bucket"])
        value = bucket.config.get(key)
        if value is None:
            code, message = _MISSING[key]
            raise ServiceError(code, message, 404, fields={"BucketName": bucket.name})
        return value

    def _delete_setting(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        self._store(self.bucket(params["Bucket"]), key, None)
        return {}

    # -- tagging --
    def put_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.bucket(params["Bucket"])
        tagging = params.get("Tagging")
        if tagging is None or "TagSet" not in tagging:  # TagSet is required, if empty
            raise malformed_xml()
        tags = check_tag_set(tagging["TagSet"], "bucket")
        ctx.extra["status"] = 204
        if not tags:  # an empty tag set removes the tags ("test_put_bucket_tagging_none_value")
            return self._delete_setting(params, "Tagging")
        return self._put_setting(params, "Tagging", tags)

    def get_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"TagSet": self._get_setting(params, "Tagging")}

    def delete_bucket_tagging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_setting(params, "Tagging")

    # -- policy --
    def put_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.bucket(params["Bucket"])
        policy = params.get("Policy") or ""
        check_policy(policy)
        ctx.extra["status"] = 204
        return self._put_setting(params, "Policy", policy)

    def get_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"Policy": self._get_setting(params, "Policy")}

    def delete_bucket_policy(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_setting(params, "Policy")

    # -- CORS --
    def put_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self.bucket(params["Bucket"])
        rules = (params.get("CORSConfiguration") or {}).get("CORSRules") or []
        if not rules or any(not r.get("AllowedMethods") or not r.get("AllowedOrigins") for r in rules):
            raise malformed_xml()
        allowed = {"GET", "PUT", "HEAD", "POST", "DELETE"}
        for rule in rules:
            for method in rule["AllowedMethods"]:
                if method not in allowed:
                    raise ServiceError(
                        "InvalidRequest",
                        f"Found unsupported HTTP method in CORS config. Unsupported method is {method}",
                        400,
                    )
            if any(NOT_IN_HEADER.search(h) for h in rule.get("ExposeHeaders") or []):
                raise malformed_xml()  # unverified; answered as a header, it cannot hold control characters
        return self._put_setting(params, "Cors", rules)

    def get_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"CORSRules": self._get_setting(params, "Cors")}

    def delete_bucket_cors(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_setting(params, "Cors")

    # -- versioning --
    def put_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        status = (params.get("VersioningConfiguration") or {}).get("Status")
        if status is None:
            raise ServiceError(
                "IllegalVersioningConfigurationException", "The Versioning element must be specified", 400
            )
        if status not in ("Enabled", "Suspended"):
            raise malformed_xml()
        self.check_versioning_change(bucket, status)  # type: ignore[attr-defined]  # Object Lock
        bucket.versioning = status
        self._save(bucket)
        return {}

    def get_bucket_versioning(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        return {"Status": bucket.versioning} if bucket.versioning else {}

    # -- lifecycle --
    def put_bucket_lifecycle_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        rules = (params.get("LifecycleConfiguration") or {}).get("Rules") or []
        check_rules(rules)
        self._put_setting(params, "Lifecycle", rules)
        self.lifecycle.wake()  # type: ignore[attr-defined]
        return {"TransitionDefaultMinimumObjectSize": "all_storage_classes_128K"}

    def get_bucket_lifecycle_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            "Rules": self._get_setting(params, "Lifecycle"),
            "TransitionDefaultMinimumObjectSize": "all_storage_classes_128K",
        }

    def delete_bucket_lifecycle(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_setting(params, "Lifecycle")

    # -- public access block, ownership controls --
    def put_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        config = params.get("PublicAccessBlockConfiguration")
        if config is None:
            raise malformed_xml()
        return self._put_setting(params, "PublicAccessBlock", config)

    def get_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"PublicAccessBlockConfiguration": self._get_setting(params, "PublicAccessBlock")}

    def delete_public_access_block(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_setting(params, "PublicAccessBlock")

    def put_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        rules = (params.get("OwnershipControls") or {}).get("Rules") or []
        if len(rules) != 1 or rules[0].get("ObjectOwnership") not in OBJECT_OWNERSHIPS:
            raise malformed_xml()
        self.check_ownership_change(bucket, rules[0]["ObjectOwnership"])  # type: ignore[attr-defined]
        return self._put_setting(params, "OwnershipControls", {"Rules": rules})

    def get_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"OwnershipControls": self._get_setting(params, "OwnershipControls")}

    def delete_bucket_ownership_controls(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._delete_setting(params, "OwnershipControls")
