"""Validation messages in AWS's Coral form, checked against messages AWS itself returned
(the recordings in shared/aws-reference) wherever the model allows the same words."""

from __future__ import annotations

from typing import Any

from cloudlet.protocol.errors import validation_error
from cloudlet.protocol.model import service_model
from cloudlet.protocol.validate import validate


def message(service: str, operation: str, params: dict[str, Any]) -> str:
    errors = validate(params, service_model(service).operation(operation).input)
    return validation_error(errors).message if errors else ""


def test_valid_input_has_no_errors() -> None:
    assert message("sqs", "CreateQueue", {"QueueName": "q", "Attributes": {"DelaySeconds": "1"}}) == ""


def test_missing_required_member() -> None:
    assert message("sqs", "CreateQueue", {}) == (
        "1 validation error detected: Value null at 'queueName' failed to satisfy constraint: "
        "Member must not be null"
    )


def test_required_member_inside_list_and_map() -> None:
    entry = {"Id": "1", "Message": "m", "MessageAttributes": {"attr1": {"StringValue": "x"}}}
    params = {"TopicArn": "arn:aws:sns:us-east-1:000000000000:t", "PublishBatchRequestEntries": [entry]}
    assert message("sns", "PublishBatch", params) == (
        "1 validation error detected: Value null at "
        "'publishBatchRequestEntries.1.member.messageAttributes.attr1.member.dataType' "
        "failed to satisfy constraint: Member must not be null"
    )


def test_enum() -> None:
    params = {"LayerName": "l", "CompatibleArchitecture": "archdoesnotexist"}
    assert message("lambda", "ListLayerVersions", params) == (
        "1 validation error detected: Value 'archdoesnotexist' at 'compatibleArchitecture' failed to "
        "satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]"
    )


def test_length_in_a_list_of_structures() -> None:
    params = {"Rule": "r", "Targets": [{"Id": "t" * 65, "Arn": "arn:aws:sqs:us-east-1:000000000000:q"}]}
    assert message("events", "PutTargets", params) == (
        f"1 validation error detected: Value '{'t' * 65}' at 'targets.1.member.id' failed to satisfy "
        "constraint: Member must have length less than or equal to 64"
    )


def test_pattern() -> None:
    params = {"RoleArn": "arn:aws:iam::000000000000:role/r", "RoleSessionName": "Session1:2"}
    assert message("sts", "AssumeRole", params) == (
        "1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*"
    )


def test_range() -> None:
    params = {"FunctionName": "f", "Qualifier": "live", "ProvisionedConcurrentExecutions": 0}
    assert message("lambda", "PutProvisionedConcurrencyConfig", params) == (
        "1 validation error detected: Value '0' at 'provisionedConcurrentExecutions' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1"
    )


def test_several_errors_pattern_before_length() -> None:
    name = "This should fail with two errors 123467890123412341234123412341234"
    params = {"Name": name, "AuthorizationType": "INVALID", "AuthParameters": {}}
    assert message("events", "CreateConnection", params) == (
        f"3 validation errors detected: Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\.\\-_A-Za-z0-9]+; "
        f"Value '{name}' at 'name' failed to satisfy constraint: "
        "Member must have length less than or equal to 64; "
        "Value 'INVALID' at 'authorizationType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [BASIC, OAUTH_CLIENT_CREDENTIALS, API_KEY]"
    )


def test_list_of_scalars_lists_every_element_constraint() -> None:
    params = {"LayerName": "l", "Content": {}, "CompatibleArchitectures": ["invalidarch", "x86_64"]}
    assert message("lambda", "PublishLayerVersion", params) == (
        "1 validation error detected: Value '[invalidarch, x86_64]' at 'compatibleArchitectures' "
        "failed to satisfy constraint: Member must satisfy constraint: "
        "[Member must satisfy enum value set: [x86_64, arm64], Member must not be null]"
    )


def test_map_values_and_keys() -> None:
    def alias(weights: dict[str, float]) -> dict[str, Any]:
        return {"FunctionName": "f", "Name": "a", "RoutingConfig": {"AdditionalVersionWeights": weights}}

    assert message("lambda", "UpdateAlias", alias({"2": 2.0})) == (
        "1 validation error detected: Value '{2=2.0}' at 'routingConfig.additionalVersionWeights' "
        "failed to satisfy constraint: Map value must satisfy constraint: [Member must have value "
        "less than or equal to 1.0, Member must have value greater than or equal to 0.0, "
        "Member must not be null]"
    )
    assert message("lambda", "UpdateAlias", alias({"$LATEST": 0.5})) == (
        "1 validation error detected: Value '{$LATEST=0.5}' at 'routingConfig.additionalVersionWeights' "
        "failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length "
        "less than or equal to 1024, Member must have length greater than or equal to 1, "
        "Member must satisfy regular expression pattern: [0-9]+]"
    )


def test_structures_show_as_java_objects() -> None:
    # AWS prints members in its own class's order; the model's order is the one we know.
    transform = {"metricName": "m1", "metricNamespace": "ns", "metricValue": "1"}
    params = {
        "logGroupName": "g",
        "filterName": "f",
        "filterPattern": "",
        "metricTransformations": [transform, transform],
    }
    shown = (
        "MetricTransformation(metricName=m1, metricNamespace=ns, metricValue=1, defaultValue=null, "
        "dimensions=null, unit=null)"
    )
    assert message("logs", "PutMetricFilter", params) == (
        f"1 validation error detected: Value '[{shown}, {shown}]' at 'metricTransformations' failed "
        "to satisfy constraint: Member must have length less than or equal to 1"
    )


def test_blobs_show_as_byte_buffers() -> None:
    params = {"DeliveryStreamName": "s", "Record": {"Data": b"x" * 1_024_001}}
    assert message("firehose", "PutRecord", params) == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1024001 cap=1024001]' "
        "at 'record.data' failed to satisfy constraint: Member must have length less than or equal "
        "to 1024000"
    )


def test_sensitive_values_are_not_repeated() -> None:
    params = {"SecretId": "s", "SecretString": "x" * 65_537}
    assert message("secretsmanager", "PutSecretValue", params) == (
        "1 validation error detected: Value at 'secretString' failed to satisfy constraint: "
        "Member must have length less than or equal to 65536"
    )


def test_at_most_ten_errors() -> None:
    targets = [{"Id": "t" * 65, "Arn": "arn"} for _ in range(12)]
    assert message("events", "PutTargets", {"Rule": "r", "Targets": targets}).startswith(
        "10 validation errors detected: "
    )
