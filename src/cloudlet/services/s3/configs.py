"""More bucket sub-resources, stored and returned as S3 does (the S3 provider mixes these in):
default encryption, website, logging, request payment, transfer acceleration, replication, the
analytics, inventory, metrics and Intelligent-Tiering configurations kept by id, and the policy
status computed from the stored bucket policy.

They live in ``bucket.config`` like the settings of settings.py, so they persist with the bucket
row and go with it. The default encryption is what objects written without encryption headers
are answered as written with (encryption.py; nothing is encrypted on disk); nothing acts on the
others: no website is served, no log is delivered, nothing is replicated, analysed or inventoried.

The deprecated PutBucketLifecycle/GetBucketLifecycle and PutBucketNotification/
GetBucketNotification need nothing here: they send the same requests as
PutBucketLifecycleConfiguration/GetBucketLifecycleConfiguration and
PutBucketNotificationConfiguration/GetBucketNotificationConfiguration (same method, path and
sub-resource, and bodies whose elements the current shapes read), so S3 serves both with the
same configuration, and the gateway routes them to the current operations (a deprecated
operation loses ties, routing_index.py).

Each check names where S3's answer comes from: a recorded scenario of ``aws-reference/s3``
(quoted in the comment) or the S3 API reference; a message neither confirms is marked
``# message unverified``.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.s3.errors import invalid_argument, malformed_xml
from cloudlet.services.s3.listing import decode_token, encode_token

if TYPE_CHECKING:
    from cloudlet.services.s3.store import Bucket

# bucket.config keys
ENCRYPTION = "Encryption"
WEBSITE = "Website"
LOGGING = "Logging"
REQUEST_PAYMENT = "RequestPayment"
ACCELERATE = "Accelerate"
REPLICATION = "Replication"

# Every bucket is encrypted with SSE-S3 unless configured otherwise (GetBucketEncryption API
# reference; "test_s3_default_bucket_encryption": default-bucket-encryption).
DEFAULT_ENCRYPTION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}
_SSE_ALGORITHMS = ("AES256", "aws:kms", "aws:kms:dsse")
_KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
_BLOCKABLE_ENCRYPTION = ("NONE", "SSE-C")

MAX_CONFIGURATIONS = 1000  # analytics, inventory, metrics, Intelligent-Tiering: each, per bucket
LIST_PAGE = 100  # "does not return more than 100 configurations at a time" (List* API reference)

_STATUSES = ("Enabled", "Disabled")
_BUCKET_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:s3:::[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def _invalid_request(message: str) -> ServiceError:
    return ServiceError("InvalidRequest", message, 400)


def _one_filter_kind(found: dict[str, Any] | None, kinds: tuple[str, ...]) -> None:
    """A filter names one condition; several go inside ``And`` (the XML schema's choice)."""
    if found is not None and sum(kind in found for kind in kinds) > 1:
        raise malformed_xml()


# ---- encryption ---------------------------------------------------------------------------


def check_encryption(config: dict[str, Any] | None) -> dict[str, Any]:
    """The configuration to store ("test_s3_default_bucket_encryption_exc")."""
    rules = (config or {}).get("Rules") or []
    if len(rules) != 1:
        raise malformed_xml()  # put-bucket-encryption-no-rules, put-bucket-encryption-two-rules
    rule = rules[0]
    default = rule.get("ApplyServerSideEncryptionByDefault")
    if default is None or default.get("SSEAlgorithm") not in _SSE_ALGORITHMS:
        raise malformed_xml()  # unverified: that S3 answers MalformedXML to these
    if "KMSMasterKeyID" in default and default["SSEAlgorithm"] not in _KMS_ALGORITHMS:
        raise invalid_argument(  # put-bucket-encryption-kms-with-aes
            "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
            "ApplyServerSideEncryptionByDefault",
        )
    stored: dict[str, Any] = {
        "ApplyServerSideEncryptionByDefault": default,
        "BucketKeyEnabled": bool(rule.get("BucketKeyEnabled")),
    }
    blocked = rule.get("BlockedEncryptionTypes")
    if blocked is not None:
        if any(kind not in _BLOCKABLE_ENCRYPTION for kind in blocked.get("EncryptionType") or []):
            raise malformed_xml()
        stored["BlockedEncryptionTypes"] = blocked
    return {"Rules": [stored]}


# ---- website ------------------------------------------------------------------------------


def check_website(config: dict[str, Any] | None) -> None:
    """S3's checks of a website configuration ("test_validate_website_configuration")."""
    if config is None:
        raise malformed_xml()
    redirect_all = config.get("RedirectAllRequestsTo")
    if redirect_all is not None:
        if any(config.get(k) is not None for k in ("IndexDocument", "ErrorDocument", "RoutingRules")):
            raise invalid_argument(  # invalid-website-conf-2
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
                "RedirectAllRequestsTo",
                "not null",
            )
        if not redirect_all.get("HostName"):
            raise malformed_xml()  # HostName is required by the schema
        _check_protocol(redirect_all)
        return
    suffix = (config.get("IndexDocument") or {}).get("Suffix")
    if suffix is None:
        raise invalid_argument(  # invalid-website-conf-3
            "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            "IndexDocument",
            "null",
        )
    if not suffix or "/" in suffix:
        # invalid-website-conf-0 ("/index.html"), invalid-website-conf-1 (empty: no ArgumentValue text)
        raise invalid_argument("The IndexDocument Suffix is not well formed", "IndexDocument", suffix)
    if config.get("ErrorDocument") is not None and not config["ErrorDocument"].get("Key"):
        raise malformed_xml()  # Key is required by the schema
    for rule in config.get("RoutingRules") or []:
        redirect = rule.get("Redirect")
        if redirect is None:
            raise malformed_xml()  # required by the schema (invalid-website-conf-7 is a MalformedXML)
        _check_protocol(redirect)
        if redirect.get("ReplaceKeyPrefixWith") is not None and redirect.get("ReplaceKeyWith") is not None:
            raise _invalid_request(  # invalid-website-conf-5
                "You can only define ReplaceKeyPrefix or ReplaceKey but not both."
            )
        if rule.get("Condition") == {}:
            raise _invalid_request(  # invalid-website-conf-6
                "Condition cannot be empty. To redirect all requests without a condition, "
                "the condition element shouldn't be present."
            )


def _check_protocol(redirect: dict[str, Any]) -> None:
    if redirect.get("Protocol") is not None and redirect["Protocol"] not in ("http", "https"):
        raise _invalid_request(  # invalid-website-conf-4
            "Invalid protocol, protocol can be http or https. If not defined the protocol will be "
            "selected automatically."
        )


# ---- replication --------------------------------------------------------------------------


def _bucket_name_of(destination: str) -> str:
    """The bucket a replication destination names (``arn:aws:s3:::name``, or a bare name)."""
    return destination.rsplit(":", 1)[-1] if destination.startswith("arn:") else destination


def check_replication_rules(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rules to store: schema checks, and the form S3 answers a rule in.

    A rule given with neither ``Filter`` nor the legacy ``Prefix`` is answered in the current
    schema, with an empty filter, priority 0 and delete markers not replicated (recorded:
    "test_replication_config_without_filter": get-bucket-replication).
    """
    if not rules:
        raise malformed_xml()  # "test_replication_config": put-empty-bucket-replication-rules
    stored = []
    for rule in rules:
        if rule.get("Status") not in _STATUSES or not (rule.get("Destination") or {}).get("Bucket"):
            raise malformed_xml()  # required by the schema
        _one_filter_kind(rule.get("Filter"), ("Prefix", "Tag", "And"))
        rule = dict(rule)
        if "Filter" not in rule and "Prefix" not in rule:
            rule["Filter"] = {}
        if "Filter" in rule:
            rule.setdefault("Priority", 0)
            rule.setdefault("DeleteMarkerReplication", {"Status": "Disabled"})
        stored.append(rule)
    return stored


# ---- configurations kept by id ------------------------------------------------------------


def _check_destination_arn(bucket: str | None) -> None:
    if bucket is None:
        raise malformed_xml()
    if not _BUCKET_ARN.fullmatch(bucket):
        # "test_s3_put_inventory_report_exceptions": wrong-destination-arn
        raise ServiceError("InvalidS3DestinationBucket", "Invalid bucket ARN.", 400)


def _check_analytics(config: dict[str, Any]) -> None:
    _one_filter_kind(config.get("Filter"), ("Prefix", "Tag", "And"))
    analysis = config.get("StorageClassAnalysis")
    if analysis is None:
        raise malformed_xml()  # required by the schema
    export = analysis.get("DataExport")
    if export is not None:
        destination = (export.get("Destination") or {}).get("S3BucketDestination") or {}
        if export.get("OutputSchemaVersion") != "V_1" or destination.get("Format") != "CSV":
            raise malformed_xml()
        _check_destination_arn(destination.get("Bucket"))  # as inventory's (unverified for analytics)


_INVENTORY_FIELDS = (
    "Size",
    "LastModifiedDate",
    "StorageClass",
    "ETag",
    "IsMultipartUploaded",
    "ReplicationStatus",
    "EncryptionStatus",
    "ObjectLockRetainUntilDate",
    "ObjectLockMode",
    "ObjectLockLegalHoldStatus",
    "ObjectLockEventHoldStatus",
    "ObjectLockEventHoldDuration",
    "IntelligentTieringAccessTier",
    "BucketKeyStatus",
    "ChecksumAlgorithm",
    "ObjectAccessControlList",
    "ObjectOwner",
    "LifecycleExpirationDate",
    "IntelligentTieringReferenceDate",
)


def _check_inventory(config: dict[str, Any]) -> None:
    """ "test_s3_put_inventory_report_exceptions": wrong-destination-format,
    wrong-schedule-frequency, wrong-object-versions and wrong-optional-field are MalformedXML."""
    destination = (config.get("Destination") or {}).get("S3BucketDestination") or {}
    if (
        destination.get("Format") not in ("CSV", "ORC", "Parquet")
        or (config.get("Schedule") or {}).get("Frequency") not in ("Daily", "Weekly")
        or config.get("IncludedObjectVersions") not in ("All", "Current")
        or any(f not in _INVENTORY_FIELDS for f in config.get("OptionalFields") or [])
        or config.get("IsEnabled") is None
        or ("Filter" in config and (config["Filter"] or {}).get("Prefix") is None)
    ):
        raise malformed_xml()
    _check_destination_arn(destination.get("Bucket"))


def _check_metrics(config: dict[str, Any]) -> None:
    _one_filter_kind(config.get("Filter"), ("Prefix", "Tag", "AccessPointArn", "And"))


def _check_intelligent_tiering(config: dict[str, Any]) -> None:
    _one_filter_kind(config.get("Filter"), ("Prefix", "Tag", "And"))
    tierings = config.get("Tierings") or []
    if (
        config.get("Status") not in _STATUSES
        or not tierings
        or any(
            t.get("AccessTier") not in ("ARCHIVE_ACCESS", "DEEP_ARCHIVE_ACCESS") or t.get("Days") is None
            for t in tierings
        )
    ):
        raise malformed_xml()  # schema checks (a malformed configuration is recorded as MalformedXML)


@dataclass(frozen=True)
class ConfigKind:
    """A kind of configuration a bucket keeps by id (up to 1,000 of each)."""

    key: str  # bucket.config key: {id: configuration}
    member: str  # the request and Get output member holding one configuration
    listing: str  # the List output member
    check: Callable[[dict[str, Any]], None]


ANALYTICS = ConfigKind("Analytics", "AnalyticsConfiguration", "AnalyticsConfigurationList", _check_analytics)
INVENTORY = ConfigKind("Inventory", "InventoryConfiguration", "InventoryConfigurationList", _check_inventory)
METRICS = ConfigKind("Metrics", "MetricsConfiguration", "MetricsConfigurationList", _check_metrics)
INTELLIGENT_TIERING = ConfigKind(
    "IntelligentTiering",
    "IntelligentTieringConfiguration",
    "IntelligentTieringConfigurationList",
    _check_intelligent_tiering,
)


def no_such_configuration() -> ServiceError:
    # "test_s3_analytics_configurations", "test_s3_inventory_report_crud",
    # "test_get_bucket_metrics_configuration_not_exist", "test_s3_intelligent_tier_config"
    return ServiceError("NoSuchConfiguration", "The specified configuration does not exist.", 404)


# ---- policy status ------------------------------------------------------------------------

# Condition keys whose fixed values keep a statement with a wildcard principal from being public
# (S3 API reference, PublicAccessBlockConfiguration: "Amazon S3 considers a bucket policy public
# unless ..."; the aws:Principal* and aws:SourceOrgID keys after the User Guide's "The meaning of
# public", unverified).
_FIXING_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceOwner",
        "aws:SourceAccount",
        "aws:SourceOrgID",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:PrincipalOrgID",
        "aws:userid",
        "s3:x-amz-server-side-encryption-aws-kms-key-id",
    )
)
_FIXING_OPERATORS = ("stringequals", "stringequalsignorecase", "stringlike", "arnequals", "arnlike")


def _values(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _wildcard_principal(statement: dict[str, Any]) -> bool:
    if "NotPrincipal" in statement:  # everyone but the principals named
        return True
    principal = statement.get("Principal")
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return any("*" in _values(v) for v in principal.values())
    return False


def _restricts(operator: str, key: str, values: list[Any]) -> bool:
    """Whether one condition pins ``key`` to fixed values."""
    operator = operator.lower().split(":")[-1]  # ForAnyValue:/ForAllValues: qualify sets
    if operator.endswith("ifexists") or not values:
        return False  # a request without the key passes
    if key == "aws:sourceip":
        if operator != "ipaddress":
            return False
        try:
            networks = [ipaddress.ip_network(str(v), strict=False) for v in values]
        except ValueError:
            return False
        return all(n.prefixlen > 0 for n in networks)
    if key not in _FIXING_KEYS or operator not in _FIXING_OPERATORS:
        return False
    return all(isinstance(v, str) and v and "*" not in v and "?" not in v for v in values)


def _public_statement(statement: Any) -> bool:
    if not isinstance(statement, dict) or statement.get("Effect") != "Allow":
        return False
    if not _wildcard_principal(statement):
        return False
    conditions = statement.get("Condition") or {}
    if not isinstance(conditions, dict):
        return True
    for operator, pairs in conditions.items():
        if isinstance(pairs, dict):
            for key, value in pairs.items():
                if _restricts(operator, key.lower(), _values(value)):
                    return False
    return True


def check_policy(policy: str) -> None:
    """A resource policy document as S3 checks it (its MalformedPolicy messages)."""
    try:
        parsed = orjson.loads(policy)
    except orjson.JSONDecodeError:
        parsed = None
    if not isinstance(parsed, dict) or not policy.lstrip().startswith("{"):
        raise ServiceError(
            "MalformedPolicy", "Policies must be valid JSON and the first byte must be '{'", 400
        )
    if "Statement" not in parsed:
        raise ServiceError("MalformedPolicy", "Missing required field Statement", 400)


def policy_is_public(policy: str) -> bool:
    """Whether S3 calls a bucket policy public: an Allow to a wildcard principal that no
    condition pins to fixed sources, accounts, networks or keys."""
    try:
        document = orjson.loads(policy)
    except orjson.JSONDecodeError:
        return False
    statements = document.get("Statement") if isinstance(document, dict) else None
    return any(_public_statement(s) for s in _values(statements or []))


# ---- the operations -----------------------------------------------------------------------


class BucketConfigs:
    """Put/Get/Delete/List of bucket configurations beyond those in settings.py."""

    def bucket(self, name: str) -> Bucket:  # provided by the provider
        raise NotImplementedError

    def _store(self, bucket: Bucket, key: str, value: Any) -> None:  # settings.BucketSettings
        raise NotImplementedError

    def _get_setting(self, params: dict[str, Any], key: str) -> Any:  # settings.BucketSettings
        raise NotImplementedError

    # -- encryption --
    def put_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        self._store(bucket, ENCRYPTION, check_encryption(params.get("ServerSideEncryptionConfiguration")))
        return {}

    def get_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        return {"ServerSideEncryptionConfiguration": bucket.config.get(ENCRYPTION) or DEFAULT_ENCRYPTION}

    def delete_bucket_encryption(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        # back to SSE-S3 (DeleteBucketEncryption API reference); 204 again when already there
        self._store(self.bucket(params["Bucket"]), ENCRYPTION, None)
        return {}

    # -- website --
    def put_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = params.get("WebsiteConfiguration")
        check_website(config)
        self._store(bucket, WEBSITE, config)
        return {}

    def get_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return dict(self._get_setting(params, WEBSITE))

    def delete_bucket_website(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._store(self.bucket(params["Bucket"]), WEBSITE, None)
        return {}

    # -- logging --
    def put_bucket_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """An empty ``BucketLoggingStatus`` turns logging off (PutBucketLogging API reference)."""
        bucket = self.bucket(params["Bucket"])
        status = params.get("BucketLoggingStatus")
        if status is None:
            raise malformed_xml()
        enabled = status.get("LoggingEnabled")
        if enabled is not None:
            if enabled.get("TargetBucket") is None or enabled.get("TargetPrefix") is None:
                raise malformed_xml()  # both are required by the schema
            self._check_log_target(bucket, enabled["TargetBucket"])
        self._store(bucket, LOGGING, enabled)
        return {}

    def _check_log_target(self, bucket: Bucket, name: str) -> None:
        """ "test_put_bucket_logging_wrong_target", "test_put_bucket_logging_cross_locations"."""
        target = self.db.bucket(name)  # type: ignore[attr-defined]
        if target is None:
            raise ServiceError(
                "InvalidTargetBucketForLogging",
                "The target bucket for logging does not exist",
                400,
                fields={"TargetBucket": name},
            )
        if target.region != bucket.region:
            fields = {"TargetBucketLocation": target.region}
            if bucket.region != "us-east-1":  # recorded only for a source outside us-east-1
                fields = {"SourceBucketLocation": bucket.region, **fields}
            raise ServiceError(
                "CrossLocationLoggingProhibitted",
                "Cross S3 location logging not allowed. ",
                403,
                fields=fields,
            )

    def get_bucket_logging(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        enabled = bucket.config.get(LOGGING)
        return {"LoggingEnabled": enabled} if enabled is not None else {}

    # -- request payment --
    def put_bucket_request_payment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        payer = (params.get("RequestPaymentConfiguration") or {}).get("Payer")
        if payer not in ("Requester", "BucketOwner"):
            raise malformed_xml()  # "test_s3_request_payer_exceptions": wrong-payer-type
        self._store(bucket, REQUEST_PAYMENT, payer)
        return {}

    def get_bucket_request_payment(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        return {"Payer": bucket.config.get(REQUEST_PAYMENT) or "BucketOwner"}

    # -- transfer acceleration --
    def put_bucket_accelerate_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        status = (params.get("AccelerateConfiguration") or {}).get("Status")
        if status not in ("Enabled", "Suspended"):
            raise malformed_xml()  # "test_bucket_acceleration_configuration_exc": lowercase, random
        if "." in bucket.name:
            raise _invalid_request(  # put-bucket-accelerate-config-dot-bucket
                "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names"
            )
        self._store(bucket, ACCELERATE, status)
        return {}

    def get_bucket_accelerate_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        # no Status until one was set ("test_bucket_acceleration_configuration_crud")
        bucket = self.bucket(params["Bucket"])
        status = bucket.config.get(ACCELERATE)
        return {"Status": status} if status else {}

    # -- replication (stored and returned; nothing is replicated) --
    def put_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = params.get("ReplicationConfiguration")
        if config is None or not config.get("Role"):
            raise malformed_xml()
        rules = check_replication_rules(config.get("Rules") or [])
        if bucket.versioning != "Enabled":
            raise _invalid_request(  # "test_replication_config": expected_error_versioning_not_enabled
                "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
            )
        for rule in rules:
            destination = self.db.bucket(_bucket_name_of(rule["Destination"]["Bucket"]))  # type: ignore[attr-defined]
            if destination is None or destination.versioning != "Enabled":
                # "test_replication_config_without_filter": the same answer for a missing bucket
                raise _invalid_request("Destination bucket must have versioning enabled.")
        self._store(bucket, REPLICATION, {**config, "Rules": rules})
        return {}

    def get_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return {"ReplicationConfiguration": self._get_setting(params, REPLICATION)}

    def delete_bucket_replication(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        self._store(self.bucket(params["Bucket"]), REPLICATION, None)
        return {}

    # -- configurations kept by id --
    def _put_by_id(self, ctx: RequestContext, params: dict[str, Any], kind: ConfigKind) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = params.get(kind.member)
        if config is None or not config.get("Id"):
            raise malformed_xml()
        if config["Id"] != params["Id"]:
            raise ServiceError(  # "test_s3_put_inventory_report_exceptions": wrong-id
                "IdMismatch", "Document ID does not match the specified configuration ID.", 400
            )
        kind.check(config)
        configs = dict(bucket.config.get(kind.key) or {})
        if config["Id"] not in configs and len(configs) >= MAX_CONFIGURATIONS:
            raise ServiceError(  # Put*Configuration API reference; message unverified
                "TooManyConfigurations",
                "You are attempting to create a new configuration but have already reached the "
                "1,000-configuration limit.",
                400,
            )
        configs[config["Id"]] = config
        self._store(bucket, kind.key, configs)
        ctx.extra["status"] = 204  # as recorded for all four kinds
        return {}

    def _get_by_id(self, params: dict[str, Any], kind: ConfigKind) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        config = (bucket.config.get(kind.key) or {}).get(params["Id"])
        if config is None:
            raise no_such_configuration()
        return {kind.member: config}

    def _delete_by_id(self, params: dict[str, Any], kind: ConfigKind) -> dict[str, Any]:
        bucket = self.bucket(params["Bucket"])
        configs = dict(bucket.config.get(kind.key) or {})
        if configs.pop(params["Id"], None) is None:
            raise no_such_configuration()  # "test_delete_metrics_configuration_twice"
        self._store(bucket, kind.key, configs or None)
        return {}

    def _list_by_id(self, params: dict[str, Any], kind: ConfigKind) -> dict[str, Any]:
        """Configurations in id order, 100 a page; the token names the last id of a page."""
        bucket = self.bucket(params["Bucket"])
        configs = bucket.config.get(kind.key) or {}
        ids = sorted(configs)
        token = params.get("ContinuationToken")
        if token is not None:
            after = decode_token(token)
            ids = [i for i in ids if i > after]
        page = ids[:LIST_PAGE]
        out: dict[str, Any] = {"IsTruncated": len(ids) > LIST_PAGE}
        if token is not None:
            out["ContinuationToken"] = token
        if page:
            out[kind.listing] = [configs[i] for i in page]
        if out["IsTruncated"]:
            out["NextContinuationToken"] = encode_token(page[-1])
        return out

    def put_bucket_analytics_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._put_by_id(ctx, params, ANALYTICS)

    def get_bucket_analytics_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._get_by_id(params, ANALYTICS)

    def delete_bucket_analytics_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._delete_by_id(params, ANALYTICS)

    def list_bucket_analytics_configurations(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._list_by_id(params, ANALYTICS)

    def put_bucket_inventory_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._put_by_id(ctx, params, INVENTORY)

    def get_bucket_inventory_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._get_by_id(params, INVENTORY)

    def delete_bucket_inventory_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._delete_by_id(params, INVENTORY)

    def list_bucket_inventory_configurations(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._list_by_id(params, INVENTORY)

    def put_bucket_metrics_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._put_by_id(ctx, params, METRICS)

    def get_bucket_metrics_configuration(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        return self._get_by_id(params, METRICS)

    def delete_bucket_metrics_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._delete_by_id(params, METRICS)

    def list_bucket_metrics_configurations(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._list_by_id(params, METRICS)

    def put_bucket_intelligent_tiering_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._put_by_id(ctx, params, INTELLIGENT_TIERING)

    def get_bucket_intelligent_tiering_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._get_by_id(params, INTELLIGENT_TIERING)

    def delete_bucket_intelligent_tiering_configuration(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._delete_by_id(params, INTELLIGENT_TIERING)

    def list_bucket_intelligent_tiering_configurations(
        self, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        return self._list_by_id(params, INTELLIGENT_TIERING)

    # -- policy status --
    def get_bucket_policy_status(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        policy = self._get_setting(params, "Policy")  # NoSuchBucketPolicy as GetBucketPolicy answers
        return {"PolicyStatus": {"IsPublic": policy_is_public(policy)}}
