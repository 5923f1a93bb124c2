"""S3 bucket configurations beyond the basic settings: default encryption, website, logging,
request payment, transfer acceleration, replication, the analytics/inventory/metrics/
Intelligent-Tiering configurations kept by id, and the policy status.

Recorded scenarios (``aws-reference/s3``) behind the assertions are named in each test; where a
message is not recorded, only the code and status are checked (``# message unverified``).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from cloudlet.testing.server import ServerProcess, client

from .conftest import MALFORMED_XML, NO_SUCH_BUCKET, code_of, error_fields, error_of, unique_name

NO_SUCH_CONFIGURATION = ("NoSuchConfiguration", "The specified configuration does not exist.", 404)
DEFAULT_ENCRYPTION = {
    "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": False}]
}


def status_of(response) -> int:
    return response["ResponseMetadata"]["HTTPStatusCode"]


def strip(response: dict) -> dict:
    return {k: v for k, v in response.items() if k != "ResponseMetadata"}


# --------------------------------------------------------------------------- encryption


def test_default_bucket_encryption_and_delete_back_to_it(s3, bucket):
    # test_s3_default_bucket_encryption, test_s3_bucket_encryption_sse_kms: put-bucket-enc, get-bucket-enc
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == DEFAULT_ENCRYPTION
    kms = {
        "Rules": [
            {
                "ApplyServerSideEncryptionByDefault": {
                    "SSEAlgorithm": "aws:kms",
                    "KMSMasterKeyID": "key-id-1",
                },
                "BucketKeyEnabled": True,
            }
        ]
    }
    put = s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert status_of(put) == 200
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms
    assert status_of(s3.delete_bucket_encryption(Bucket=bucket)) == 204
    assert status_of(s3.delete_bucket_encryption(Bucket=bucket)) == 204  # idempotent
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == DEFAULT_ENCRYPTION


def test_bucket_encryption_with_the_aws_managed_key_and_dsse(s3, bucket):
    # test_s3_sse_default_kms_key: get-bucket-encryption-default-kms-s3-key (no key id)
    managed = {
        "Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
        ]
    }
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=managed)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == managed
    dsse = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms:dsse", "KMSMasterKeyID": "k"}}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [dsse]})
    # a rule put without BucketKeyEnabled answers it false, as the default rule does
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {
        "Rules": [{**dsse, "BucketKeyEnabled": False}]
    }


@pytest.mark.parametrize(
    "rules",
    [[], [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}] * 2],
    ids=["no-rules", "two-rules"],
)
def test_bucket_encryption_needs_exactly_one_rule(s3_raw, bucket, rules):
    # test_s3_default_bucket_encryption_exc: put-bucket-encryption-no-rules, -two-rules
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": rules})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_bucket_encryption_kms_key_only_with_kms(s3, bucket):
    # test_s3_default_bucket_encryption_exc: put-bucket-encryption-kms-with-aes
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "key-id-1"}}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert error_of(exc) == (
        "InvalidArgument",
        "a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse",
        400,
    )
    assert error_fields(exc)["ArgumentName"] == "ApplyServerSideEncryptionByDefault"
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == DEFAULT_ENCRYPTION


def test_bucket_encryption_unknown_algorithm(s3_raw, bucket):
    rule = {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "rot13"}}
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [rule]})
    assert code_of(exc) == ("MalformedXML", 400)  # message unverified


# --------------------------------------------------------------------------- website


def test_bucket_website_crud(s3, bucket):
    # test_crud_website_configuration
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=bucket)
    assert error_of(exc) == (
        "NoSuchWebsiteConfiguration",
        "The specified bucket does not have a website configuration",
        404,
    )
    assert error_fields(exc)["BucketName"] == bucket
    assert status_of(s3.delete_bucket_website(Bucket=bucket)) == 204  # del-no-such-website-config
    put = s3.put_bucket_website(
        Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}}
    )
    assert status_of(put) == 200
    assert strip(s3.get_bucket_website(Bucket=bucket)) == {"IndexDocument": {"Suffix": "index.html"}}
    full = {
        "IndexDocument": {"Suffix": "index.html"},
        "ErrorDocument": {"Key": "error.html"},
        "RoutingRules": [
            {
                "Condition": {"KeyPrefixEquals": "docs/"},
                "Redirect": {"ReplaceKeyPrefixWith": "documents/", "Protocol": "https"},
            },
            {
                "Condition": {"HttpErrorCodeReturnedEquals": "404"},
                "Redirect": {
                    "HostName": "example.com",
                    "HttpRedirectCode": "302",
                    "ReplaceKeyWith": "404.html",
                },
            },
        ],
    }
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=full)
    assert strip(s3.get_bucket_website(Bucket=bucket)) == full
    assert status_of(s3.delete_bucket_website(Bucket=bucket)) == 204
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_website(Bucket=bucket)
    assert error_of(exc)[0] == "NoSuchWebsiteConfiguration"


def test_bucket_website_redirecting_all_requests(s3, bucket):
    config = {"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert strip(s3.get_bucket_website(Bucket=bucket)) == config


INDEX = {"IndexDocument": {"Suffix": "index.html"}}


@pytest.mark.parametrize(
    ("config", "error", "fields"),
    [
        (
            {"IndexDocument": {"Suffix": "/index.html"}},
            ("InvalidArgument", "The IndexDocument Suffix is not well formed"),
            {"ArgumentName": "IndexDocument", "ArgumentValue": "/index.html"},
        ),
        (
            {"IndexDocument": {"Suffix": ""}},
            ("InvalidArgument", "The IndexDocument Suffix is not well formed"),
            {"ArgumentName": "IndexDocument", "ArgumentValue": None},
        ),
        (
            {**INDEX, "RedirectAllRequestsTo": {"HostName": "example.com"}},
            (
                "InvalidArgument",
                "RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.",
            ),
            {"ArgumentName": "RedirectAllRequestsTo", "ArgumentValue": "not null"},
        ),
        (
            {"ErrorDocument": {"Key": "error.html"}},
            (
                "InvalidArgument",
                "A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty",
            ),
            {"ArgumentName": "IndexDocument", "ArgumentValue": "null"},
        ),
        (
            {**INDEX, "RoutingRules": [{"Redirect": {"Protocol": "ftp"}}]},
            (
                "InvalidRequest",
                "Invalid protocol, protocol can be http or https. If not defined the protocol will be "
                "selected automatically.",
            ),
            {},
        ),
        (
            {**INDEX, "RoutingRules": [{"Redirect": {"ReplaceKeyPrefixWith": "a/", "ReplaceKeyWith": "b"}}]},
            ("InvalidRequest", "You can only define ReplaceKeyPrefix or ReplaceKey but not both."),
            {},
        ),
        (
            {**INDEX, "RoutingRules": [{"Condition": {}, "Redirect": {"HostName": "example.com"}}]},
            (
                "InvalidRequest",
                "Condition cannot be empty. To redirect all requests without a condition, the condition "
                "element shouldn't be present.",
            ),
            {},
        ),
        (
            {**INDEX, "RoutingRules": [{"Condition": {"KeyPrefixEquals": "a/"}}]},
            ("MalformedXML", MALFORMED_XML),
            {},
        ),
    ],
    ids=[
        "suffix-with-slash",
        "empty-suffix",
        "redirect-all-and-index",
        "no-index",
        "wrong-protocol",
        "replace-key-and-prefix",
        "empty-condition",
        "rule-without-redirect",
    ],
)
def test_bucket_website_validation(s3_raw, bucket, config, error, fields):
    # test_validate_website_configuration: invalid-website-conf-0 ... -7
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert error_of(exc) == (*error, 400)
    assert {k: error_fields(exc).get(k) for k in fields} == fields


# --------------------------------------------------------------------------- logging


def test_bucket_logging_crud(s3, bucket, make_bucket):
    # test_put_bucket_logging, test_put_bucket_logging_accept_wrong_grants
    assert strip(s3.get_bucket_logging(Bucket=bucket)) == {}  # get-bucket-logging-default
    target = make_bucket("logs")
    enabled = {"TargetBucket": target, "TargetPrefix": "log"}
    assert (
        status_of(s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": enabled}))
        == 200
    )
    assert strip(s3.get_bucket_logging(Bucket=bucket)) == {"LoggingEnabled": enabled}
    grants = [
        {
            "Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/s3/LogDelivery"},
            "Permission": p,
        }
        for p in ("WRITE", "READ_ACP")
    ]
    s3.put_bucket_logging(
        Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": {**enabled, "TargetGrants": grants}}
    )
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == {**enabled, "TargetGrants": grants}
    # put-bucket-logging-delete: an empty status turns logging off
    assert status_of(s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})) == 200
    assert strip(s3.get_bucket_logging(Bucket=bucket)) == {}


def test_bucket_logging_to_a_missing_bucket(s3, bucket):
    # test_put_bucket_logging_wrong_target: put-bucket-logging-non-existent-bucket
    target = unique_name("nolog")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(
            Bucket=bucket,
            BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "log"}},
        )
    assert error_of(exc) == (
        "InvalidTargetBucketForLogging",
        "The target bucket for logging does not exist",
        400,
    )
    assert error_fields(exc)["TargetBucket"] == target


def test_bucket_logging_across_regions(s3, bucket, make_bucket):
    # test_put_bucket_logging_wrong_target / _cross_locations: put-bucket-logging-different-regions,
    # put-bucket-logging-cross-us-east-1
    target = make_bucket("logeu", region="eu-west-1")
    status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "log"}}
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus=status)
    assert error_of(exc) == (
        "CrossLocationLoggingProhibitted",
        "Cross S3 location logging not allowed. ",
        403,
    )
    assert error_fields(exc)["TargetBucketLocation"] == "eu-west-1"
    assert "SourceBucketLocation" not in error_fields(exc)
    source = make_bucket("srcus2", region="us-west-2")
    with pytest.raises(ClientError) as exc:
        make_bucket.client("us-west-2").put_bucket_logging(Bucket=source, BucketLoggingStatus=status)
    assert error_of(exc) == (
        "CrossLocationLoggingProhibitted",
        "Cross S3 location logging not allowed. ",
        403,
    )
    assert error_fields(exc)["SourceBucketLocation"] == "us-west-2"
    assert error_fields(exc)["TargetBucketLocation"] == "eu-west-1"


# --------------------------------------------------------------------------- request payment


def test_bucket_request_payment(s3, bucket):
    # test_s3_request_payer
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    put = s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert status_of(put) == 200
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "BucketOwner"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"


def test_bucket_request_payment_wrong_payer(s3_raw, bucket):
    # test_s3_request_payer_exceptions: wrong-payer-type
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Random"})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


# --------------------------------------------------------------------------- transfer acceleration


def test_bucket_accelerate_configuration(s3, bucket):
    # test_bucket_acceleration_configuration_crud
    assert strip(s3.get_bucket_accelerate_configuration(Bucket=bucket)) == {}
    put = s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert status_of(put) == 200
    assert strip(s3.get_bucket_accelerate_configuration(Bucket=bucket)) == {"Status": "Enabled"}
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Suspended"})
    assert strip(s3.get_bucket_accelerate_configuration(Bucket=bucket)) == {"Status": "Suspended"}


@pytest.mark.parametrize("status", ["enabled", "random"])
def test_bucket_accelerate_wrong_status(s3_raw, bucket, status):
    # test_bucket_acceleration_configuration_exc: put-bucket-accelerate-config-lowercase, -random
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": status})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)


def test_bucket_accelerate_refused_for_dotted_names(s3, make_bucket):
    # test_bucket_acceleration_configuration_exc: put-bucket-accelerate-config-dot-bucket
    dotted = make_bucket(name=f"cl.{unique_name('dots')}")
    with pytest.raises(ClientError) as exc:
        s3.put_bucket_accelerate_configuration(Bucket=dotted, AccelerateConfiguration={"Status": "Enabled"})
    assert error_of(exc) == (
        "InvalidRequest",
        "S3 Transfer Acceleration is not supported for buckets with periods (.) in their names",
        400,
    )


# --------------------------------------------------------------------------- replication


def replication(dest: str, **rule) -> dict:
    return {
        "Role": "arn:aws:iam::000000000000:role/replication",
        "Rules": [
            {
                "ID": "id",
                "Priority": 1,
                "Filter": {"Prefix": "Tax"},
                "Status": "Enabled",
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": f"arn:aws:s3:::{dest}"},
                **rule,
            }
        ],
    }


def test_bucket_replication_crud(s3, s3_raw, make_bucket):
    # test_replication_config
    source = make_bucket("repsrc")
    dest = make_bucket("repdst", versioning="Enabled")
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=source)
    assert error_of(exc) == (
        "ReplicationConfigurationNotFoundError",
        "The replication configuration was not found",
        404,
    )
    assert error_fields(exc)["BucketName"] == source
    config = replication(dest)
    with pytest.raises(ClientError) as exc:  # expected_error_versioning_not_enabled
        s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    assert error_of(exc) == (
        "InvalidRequest",
        "Versioning must be 'Enabled' on the bucket to apply a replication configuration",
        400,
    )
    s3.put_bucket_versioning(Bucket=source, VersioningConfiguration={"Status": "Enabled"})
    assert status_of(s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)) == 200
    assert s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"] == config
    with pytest.raises(ClientError) as exc:  # put-empty-bucket-replication-rules
        s3_raw.put_bucket_replication(Bucket=source, ReplicationConfiguration={**config, "Rules": []})
    assert error_of(exc) == ("MalformedXML", MALFORMED_XML, 400)
    assert status_of(s3.delete_bucket_replication(Bucket=source)) == 204
    assert status_of(s3.delete_bucket_replication(Bucket=source)) == 204  # idempotent
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_replication(Bucket=source)
    assert error_of(exc)[0] == "ReplicationConfigurationNotFoundError"


def test_bucket_replication_destination_needs_versioning(s3, make_bucket):
    # test_replication_config_without_filter: expected_error_dest_does_not_exist, -dest_versioning_disabled
    source = make_bucket("repsrc", versioning="Enabled")
    unversioned = make_bucket("repdst")
    for dest in (unique_name("nodest"), unversioned):
        with pytest.raises(ClientError) as exc:
            s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=replication(dest))
        assert error_of(exc) == ("InvalidRequest", "Destination bucket must have versioning enabled.", 400)


def test_bucket_replication_rule_without_filter(s3, make_bucket):
    # test_replication_config_without_filter: get-bucket-replication
    source = make_bucket("repsrc", versioning="Enabled")
    dest = make_bucket("repdst", versioning="Enabled")
    destination = {
        "Bucket": f"arn:aws:s3:::{dest}",
        "StorageClass": "STANDARD",
        "ReplicationTime": {"Status": "Enabled", "Time": {"Minutes": 15}},
        "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
    }
    config = {"Role": "role", "Rules": [{"ID": "rtc", "Status": "Disabled", "Destination": destination}]}
    s3.put_bucket_replication(Bucket=source, ReplicationConfiguration=config)
    assert s3.get_bucket_replication(Bucket=source)["ReplicationConfiguration"] == {
        "Role": "role",
        "Rules": [
            {
                "ID": "rtc",
                "Priority": 0,
                "Filter": {},
                "Status": "Disabled",
                "Destination": destination,
                "DeleteMarkerReplication": {"Status": "Disabled"},
            }
        ],
    }


# --------------------------------------------------------------------------- configurations by id


def analytics(config_id: str, prefix: str = "p/") -> dict:
    return {
        "Id": config_id,
        "Filter": {"Prefix": prefix},
        "StorageClassAnalysis": {
            "DataExport": {
                "OutputSchemaVersion": "V_1",
                "Destination": {
                    "S3BucketDestination": {"Format": "CSV", "Bucket": "arn:aws:s3:::dest", "Prefix": "test"}
                },
            }
        },
    }


def inventory(config_id: str, prefix: str = "p/") -> dict:
    return {
        "Id": config_id,
        "IsEnabled": True,
        "Filter": {"Prefix": prefix},
        "IncludedObjectVersions": "All",
        "OptionalFields": ["Size", "ETag"],
        "Schedule": {"Frequency": "Daily"},
        "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::dest", "Format": "CSV"}},
    }


def metrics(config_id: str, prefix: str = "p/") -> dict:
    return {"Id": config_id, "Filter": {"Prefix": prefix}}


def tiering(config_id: str, prefix: str = "p/") -> dict:
    return {
        "Id": config_id,
        "Filter": {"Prefix": prefix},
        "Status": "Enabled",
        "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"}],
    }


# kind -> (operation suffix, member of one configuration, List member, example)
KINDS = {
    "analytics": (
        "analytics_configuration",
        "AnalyticsConfiguration",
        "AnalyticsConfigurationList",
        analytics,
    ),
    "inventory": (
        "inventory_configuration",
        "InventoryConfiguration",
        "InventoryConfigurationList",
        inventory,
    ),
    "metrics": ("metrics_configuration", "MetricsConfiguration", "MetricsConfigurationList", metrics),
    "intelligent-tiering": (
        "intelligent_tiering_configuration",
        "IntelligentTieringConfiguration",
        "IntelligentTieringConfigurationList",
        tiering,
    ),
}


class Configs:
    """Put/Get/Delete/List of one kind of configuration kept by id."""

    def __init__(self, s3, kind: str) -> None:
        self.s3 = s3
        self.op, self.member, self.listing, self.example = KINDS[kind]

    def put(self, bucket: str, config_id: str, config: dict) -> dict:
        return getattr(self.s3, f"put_bucket_{self.op}")(Bucket=bucket, Id=config_id, **{self.member: config})

    def get(self, bucket: str, config_id: str) -> dict:
        return getattr(self.s3, f"get_bucket_{self.op}")(Bucket=bucket, Id=config_id)[self.member]

    def delete(self, bucket: str, config_id: str) -> dict:
        return getattr(self.s3, f"delete_bucket_{self.op}")(Bucket=bucket, Id=config_id)

    def list(self, bucket: str, **kw) -> dict:
        return strip(getattr(self.s3, f"list_bucket_{self.op}s")(Bucket=bucket, **kw))


@pytest.mark.parametrize("kind", list(KINDS))
def test_configurations_by_id_crud(s3, bucket, kind):
    # test_s3_analytics_configurations, test_s3_inventory_report_crud, test_put_bucket_inventory_config_order,
    # TestS3MetricsConfiguration, test_s3_intelligent_tier_config
    configs = Configs(s3, kind)
    with pytest.raises(ClientError) as exc:
        configs.get(bucket, "z-test")
    assert error_of(exc) == NO_SUCH_CONFIGURATION
    with pytest.raises(ClientError) as exc:
        configs.delete(bucket, "z-test")
    assert error_of(exc) == NO_SUCH_CONFIGURATION
    assert configs.list(bucket) == {"IsTruncated": False}
    for config_id in ("z-test", "a-test", "test-1"):
        assert status_of(configs.put(bucket, config_id, configs.example(config_id))) == 204
    assert configs.get(bucket, "test-1") == configs.example("test-1")
    changed = configs.example("test-1", prefix="new/")  # a put replaces the configuration
    configs.put(bucket, "test-1", changed)
    assert configs.get(bucket, "test-1") == changed
    assert configs.list(bucket) == {
        "IsTruncated": False,
        configs.listing: [configs.example("a-test"), changed, configs.example("z-test")],
    }
    assert status_of(configs.delete(bucket, "z-test")) == 204
    with pytest.raises(ClientError) as exc:  # test_delete_metrics_configuration_twice
        configs.delete(bucket, "z-test")
    assert error_of(exc) == NO_SUCH_CONFIGURATION
    assert [c["Id"] for c in configs.list(bucket)[configs.listing]] == ["a-test", "test-1"]


@pytest.mark.parametrize("kind", list(KINDS))
def test_configuration_id_must_match_the_document(s3, bucket, kind):
    # test_s3_put_inventory_report_exceptions: wrong-id (recorded for inventory)
    configs = Configs(s3, kind)
    with pytest.raises(ClientError) as exc:
        configs.put(bucket, "one-id", configs.example("another-id"))
    if kind == "inventory":
        assert error_of(exc) == (
            "IdMismatch",
            "Document ID does not match the specified configuration ID.",
            400,
        )
    else:
        assert code_of(exc) == ("IdMismatch", 400)  # message unverified


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            {"Destination": {"S3BucketDestination": {"Bucket": "not-an-arn", "Format": "CSV"}}},
            ("InvalidS3DestinationBucket", "Invalid bucket ARN."),
        ),
        (
            {"Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::dest", "Format": "JSON"}}},
            ("MalformedXML", MALFORMED_XML),
        ),
        ({"Schedule": {"Frequency": "Hourly"}}, ("MalformedXML", MALFORMED_XML)),
        ({"IncludedObjectVersions": "Some"}, ("MalformedXML", MALFORMED_XML)),
        ({"OptionalFields": ["Size", "Colour"]}, ("MalformedXML", MALFORMED_XML)),
    ],
    ids=[
        "wrong-destination-arn",
        "wrong-destination-format",
        "wrong-schedule-frequency",
        "wrong-object-versions",
        "wrong-optional-field",
    ],
)
def test_inventory_configuration_validation(s3_raw, bucket, change, error):
    # test_s3_put_inventory_report_exceptions
    with pytest.raises(ClientError) as exc:
        s3_raw.put_bucket_inventory_configuration(
            Bucket=bucket, Id="inv", InventoryConfiguration={**inventory("inv"), **change}
        )
    assert error_of(exc) == (*error, 400)


@pytest.mark.parametrize(
    ("kind", "change"),
    [
        ("analytics", {"StorageClassAnalysis": None}),
        ("analytics", {"Filter": {"Prefix": "a/", "Tag": {"Key": "k", "Value": "v"}}}),
        ("intelligent-tiering", {"Tierings": [{"Days": 90, "AccessTier": "COLD_ACCESS"}]}),
        ("intelligent-tiering", {"Status": "On"}),
        (
            "metrics",
            {
                "Filter": {
                    "Prefix": "a/",
                    "AccessPointArn": "arn:aws:s3:us-east-1:000000000000:accesspoint/ap",
                }
            },
        ),
    ],
    ids=[
        "analytics-no-analysis",
        "analytics-two-filters",
        "tiering-wrong-tier",
        "tiering-wrong-status",
        "metrics-two-filters",
    ],
)
def test_malformed_configurations(s3_raw, bucket, kind, change):
    # test_s3_analytics_configurations: put_config_with_storage_analysis_err,
    # test_s3_intelligent_tier_config: put_bucket_intelligent_tiering_configuration_err_1 (what was wrong
    # in those is not recorded, so each schema violation here checks the code only)
    configs = Configs(s3_raw, kind)
    config = {k: v for k, v in {**configs.example("bad"), **change}.items() if v is not None}
    with pytest.raises(ClientError) as exc:
        configs.put(bucket, "bad", config)
    assert code_of(exc) == ("MalformedXML", 400)


def test_metrics_configurations_paging_and_limit(s3, bucket):
    # test_list_bucket_metrics_configurations_paginated (100 a page, the token echoed);
    # PutBucketMetricsConfiguration API reference: 1,000 configurations, TooManyConfigurations
    configs = Configs(s3, "metrics")
    ids = [f"m{i:04d}" for i in range(1000)]
    for config_id in reversed(ids):
        configs.put(bucket, config_id, metrics(config_id))
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = configs.list(bucket, **({"ContinuationToken": token} if token else {}))
        pages += 1
        assert page.get("ContinuationToken") == token
        seen += [c["Id"] for c in page["MetricsConfigurationList"]]
        if not page["IsTruncated"]:
            assert "NextContinuationToken" not in page
            break
        assert len(page["MetricsConfigurationList"]) == 100
        token = page["NextContinuationToken"]
    assert pages == 10
    assert seen == ids
    with pytest.raises(ClientError) as exc:
        configs.put(bucket, "one-too-many", metrics("one-too-many"))
    assert code_of(exc) == ("TooManyConfigurations", 400)  # message unverified
    assert (
        status_of(configs.put(bucket, "m0000", metrics("m0000", prefix="again/"))) == 204
    )  # replacing is fine
    configs.delete(bucket, "m0001")
    assert status_of(configs.put(bucket, "one-too-many", metrics("one-too-many"))) == 204


def test_list_configurations_with_a_bad_token(s3, bucket):
    with pytest.raises(ClientError) as exc:
        s3.list_bucket_metrics_configurations(Bucket=bucket, ContinuationToken="!!!")
    assert code_of(exc) == ("InvalidArgument", 400)  # message unverified


# --------------------------------------------------------------------------- policy status


def statement(principal, condition=None, effect="Allow") -> dict:
    found = {
        "Effect": effect,
        "Principal": principal,
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::b/*",
    }
    if condition:
        found["Condition"] = condition
    return found


@pytest.mark.parametrize(
    ("statements", "public"),
    [
        ([statement("*")], True),
        ([statement({"AWS": "*"})], True),
        ([statement({"AWS": ["arn:aws:iam::111111111111:root", "*"]})], True),
        ([statement({"AWS": "arn:aws:iam::111111111111:root"})], False),
        ([statement({"Service": "logging.s3.amazonaws.com"})], False),
        ([statement("*", effect="Deny")], False),
        ([statement("*", {"StringEquals": {"aws:SourceAccount": "111111111111"}})], False),
        (
            [
                statement(
                    "*", {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::111111111111:distribution/E1"}}
                )
            ],
            False,
        ),
        ([statement("*", {"ArnLike": {"aws:SourceArn": "arn:aws:cloudfront::*:distribution/*"}})], True),
        ([statement("*", {"StringEquals": {"aws:SourceVpce": "vpce-1a2b3c4d"}})], False),
        ([statement("*", {"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "203.0.113.7"]}})], False),
        ([statement("*", {"IpAddress": {"aws:SourceIp": "0.0.0.0/0"}})], True),
        ([statement("*", {"StringEqualsIfExists": {"aws:SourceAccount": "111111111111"}})], True),
        ([statement("*", {"StringNotEquals": {"aws:SourceAccount": "111111111111"}})], True),
        ([statement("*", {"Bool": {"aws:SecureTransport": "true"}})], True),
        ([statement({"AWS": "arn:aws:iam::111111111111:root"}), statement("*")], True),
    ],
    ids=[
        "star",
        "aws-star",
        "star-in-list",
        "account",
        "service",
        "deny",
        "source-account",
        "source-arn",
        "source-arn-wildcard",
        "source-vpce",
        "source-ip",
        "any-ip",
        "if-exists",
        "not-equals",
        "secure-transport",
        "one-public-statement",
    ],
)
def test_bucket_policy_status(s3, bucket, statements, public):
    # GetBucketPolicyStatus; when a policy is public: PublicAccessBlockConfiguration (API reference)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": statements}))
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": public}


def test_bucket_policy_status_without_a_policy(s3, bucket):
    # as GetBucketPolicy answers (test_bucket_policy_crud: get-bucket-default-policy)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert error_of(exc) == ("NoSuchBucketPolicy", "The bucket policy does not exist", 404)
    assert error_fields(exc)["BucketName"] == bucket
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Statement": [statement("*")]}))
    s3.delete_bucket_policy(Bucket=bucket)
    with pytest.raises(ClientError) as exc:
        s3.get_bucket_policy_status(Bucket=bucket)
    assert error_of(exc)[0] == "NoSuchBucketPolicy"


# --------------------------------------------------------------------------- every operation


CALLS = {
    "put_bucket_encryption": {
        "ServerSideEncryptionConfiguration": {
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        }
    },
    "get_bucket_encryption": {},
    "delete_bucket_encryption": {},
    "put_bucket_website": {"WebsiteConfiguration": INDEX},
    "get_bucket_website": {},
    "delete_bucket_website": {},
    "put_bucket_logging": {"BucketLoggingStatus": {}},
    "get_bucket_logging": {},
    "put_bucket_request_payment": {"RequestPaymentConfiguration": {"Payer": "Requester"}},
    "get_bucket_request_payment": {},
    "put_bucket_accelerate_configuration": {"AccelerateConfiguration": {"Status": "Enabled"}},
    "get_bucket_accelerate_configuration": {},
    "put_bucket_replication": {"ReplicationConfiguration": replication("dest")},
    "get_bucket_replication": {},
    "delete_bucket_replication": {},
    "get_bucket_policy_status": {},
}
for _op, _member, _listing, _example in KINDS.values():
    CALLS[f"put_bucket_{_op}"] = {"Id": "x", _member: _example("x")}
    CALLS[f"get_bucket_{_op}"] = {"Id": "x"}
    CALLS[f"delete_bucket_{_op}"] = {"Id": "x"}
    CALLS[f"list_bucket_{_op}s"] = {}


@pytest.mark.parametrize("call", list(CALLS))
def test_configurations_of_a_missing_bucket(s3, call):
    # test_s3_default_bucket_encryption_exc: *-no-bucket, test_bucket_availability: bucket-replication,
    # test_s3_request_payer_exceptions: wrong-bucket-name,
    # test_s3_intelligent_tier_config: delete_bucket_intelligent_tiering_configuration_err_1
    name = unique_name("nob")
    with pytest.raises(ClientError) as exc:
        getattr(s3, call)(Bucket=name, **CALLS[call])
    assert error_of(exc) == ("NoSuchBucket", NO_SUCH_BUCKET, 404)
    assert error_fields(exc)["BucketName"] == name


def configure_everything(s3, name: str, dest: str, target: str) -> None:
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}
            ]
        },
    )
    s3.put_bucket_website(Bucket=name, WebsiteConfiguration=INDEX)
    s3.put_bucket_logging(
        Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": "log/"}}
    )
    s3.put_bucket_request_payment(Bucket=name, RequestPaymentConfiguration={"Payer": "Requester"})
    s3.put_bucket_accelerate_configuration(Bucket=name, AccelerateConfiguration={"Status": "Enabled"})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(Bucket=name, ReplicationConfiguration=replication(dest))
    for kind in KINDS:
        configs = Configs(s3, kind)
        configs.put(name, "c1", configs.example("c1"))


def test_deleted_bucket_loses_its_configurations(s3, make_bucket):
    # test_delete_lifecycle_configuration_on_bucket_deletion, for these configurations
    dest = make_bucket("dst", versioning="Enabled")
    target = make_bucket("log")
    name = unique_name("gone")
    s3.create_bucket(Bucket=name)
    configure_everything(s3, name, dest, target)
    s3.delete_bucket(Bucket=name)
    s3.create_bucket(Bucket=name)
    make_bucket.adopt(name, s3)
    assert s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"] == DEFAULT_ENCRYPTION
    assert strip(s3.get_bucket_logging(Bucket=name)) == {}
    assert s3.get_bucket_request_payment(Bucket=name)["Payer"] == "BucketOwner"
    assert strip(s3.get_bucket_accelerate_configuration(Bucket=name)) == {}
    for call, code in (
        (s3.get_bucket_website, "NoSuchWebsiteConfiguration"),
        (s3.get_bucket_replication, "ReplicationConfigurationNotFoundError"),
    ):
        with pytest.raises(ClientError) as exc:
            call(Bucket=name)
        assert error_of(exc)[0] == code
    for kind in KINDS:
        assert Configs(s3, kind).list(name) == {"IsTruncated": False}


def test_configurations_survive_a_restart(tmp_path):
    server = ServerProcess(str(tmp_path)).start()
    try:
        s3 = client("s3", server.endpoint)
        for name in ("src", "dst", "logs"):
            s3.create_bucket(Bucket=name)
        s3.put_bucket_versioning(Bucket="dst", VersioningConfiguration={"Status": "Enabled"})
        configure_everything(s3, "src", "dst", "logs")
        before = {
            "encryption": strip(s3.get_bucket_encryption(Bucket="src")),
            "website": strip(s3.get_bucket_website(Bucket="src")),
            "logging": strip(s3.get_bucket_logging(Bucket="src")),
            "replication": strip(s3.get_bucket_replication(Bucket="src")),
        }
    finally:
        server.kill()
    server.start()
    try:
        s3 = client("s3", server.endpoint)
        assert strip(s3.get_bucket_encryption(Bucket="src")) == before["encryption"]
        assert before["encryption"]["ServerSideEncryptionConfiguration"] != DEFAULT_ENCRYPTION
        assert strip(s3.get_bucket_website(Bucket="src")) == before["website"]
        assert strip(s3.get_bucket_logging(Bucket="src")) == before["logging"]
        assert strip(s3.get_bucket_replication(Bucket="src")) == before["replication"]
        assert s3.get_bucket_request_payment(Bucket="src")["Payer"] == "Requester"
        assert s3.get_bucket_accelerate_configuration(Bucket="src")["Status"] == "Enabled"
        for kind in KINDS:
            configs = Configs(s3, kind)
            assert configs.get("src", "c1") == configs.example("c1")
    finally:
        server.kill()
