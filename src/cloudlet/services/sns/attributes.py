"""Topic and subscription attributes: the defaults AWS answers and the checks on writes."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.services.sns.errors import invalid

TOPIC_ACTIONS = (
    "SNS:GetTopicAttributes",
    "SNS:SetTopicAttributes",
    "SNS:AddPermission",
    "SNS:RemovePermission",
    "SNS:DeleteTopic",
    "SNS:Subscribe",
    "SNS:ListSubscriptionsByTopic",
    "SNS:Publish",
)

# Attributes a topic takes on CreateTopic/SetTopicAttributes (FifoTopic on create only).
_FEEDBACK = tuple(
    f"{proto}{kind}"
    for proto in ("HTTP", "Firehose", "Lambda", "SQS", "Application")
    for kind in ("SuccessFeedbackRoleArn", "SuccessFeedbackSampleRate", "FailureFeedbackRoleArn")
)
TOPIC_ATTRIBUTES = frozenset(
    {
        "DeliveryPolicy",
        "DisplayName",
        "Policy",
        "KmsMasterKeyId",
        "SignatureVersion",
        "TracingConfig",
        "ContentBasedDeduplication",
        "FifoTopic",
        "ArchivePolicy",
        "DataProtectionPolicy",
        "FifoThroughputScope",
        *_FEEDBACK,
    }
)

SUBSCRIPTION_ATTRIBUTES = frozenset(
    {
        "DeliveryPolicy",
        "FilterPolicy",
        "FilterPolicyScope",
        "RawMessageDelivery",
        "RedrivePolicy",
        "SubscriptionRoleArn",
        "ReplayPolicy",
    }
)


def dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def default_policy(topic_arn: str, account: str) -> dict[str, Any]:
    """The policy document AWS gives a new topic."""
    return {
        "Version": "2008-10-17",
        "Id": "__default_policy_ID",
        "Statement": [
            {
                "Sid": "__default_statement_ID",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": list(TOPIC_ACTIONS),
                "Resource": topic_arn,
                "Condition": {"StringEquals": {"AWS:SourceOwner": account}},
            }
        ],
    }


def _bool(name: str, value: str, prefix: str) -> str:
    if value.lower() not in ("true", "false"):
        raise invalid(f"{prefix}{name}: Invalid value [{value}]. Must be true or false.")
    return value.lower()


def _json(name: str, value: str, prefix: str) -> Any:
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError:
        # AWS appends its JSON parser's own description here.
        raise invalid(f"{prefix}{name}: failed to parse JSON.") from None  # unverified (suffix)


def check_topic_attribute(name: str, value: str, *, fifo: bool, creating: bool) -> str:
    """The stored form of topic attribute ``name`` (raises AWS's error for a bad one)."""
    prefix = "Attributes Reason: " if creating else ""
    if name not in TOPIC_ATTRIBUTES or (name == "FifoTopic" and not creating):
        raise invalid("Attributes Reason: Invalid attribute name: " + name if creating else "AttributeName")
    if name in ("FifoTopic", "ContentBasedDeduplication"):
        value = _bool(name, value, prefix)  # unverified wording for topics
        if name == "ContentBasedDeduplication" and value == "true" and not fifo:
            raise invalid(
                f"{prefix}ContentBasedDeduplication Reason: Content based deduplication can only be "
                "set for FIFO topics"
            )  # unverified
    elif name in ("Policy", "DeliveryPolicy", "ArchivePolicy", "DataProtectionPolicy") and value:
        _json(name, value, prefix)
    elif name == "SignatureVersion" and value not in ("1", "2"):
        raise invalid(f"{prefix}SignatureVersion: Invalid value [{value}]. Must be 1 or 2.")  # unverified
    return value


def check_subscription_attribute(name: str, value: str, *, creating: bool) -> str:
    """The stored form of subscription attribute ``name`` (raises AWS's error for a bad one)."""
    prefix = "Attributes Reason: " if creating else ""
    if name not in SUBSCRIPTION_ATTRIBUTES:
        raise invalid("Attributes Reason: Invalid attribute name: " + name if creating else "AttributeName")
    if name == "RawMessageDelivery":
        return _bool(name, value, prefix)
    if name == "FilterPolicyScope":
        if value not in ("MessageAttributes", "MessageBody"):
            raise invalid(
                f"{prefix}FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody "
                "or MessageAttributes"
            )  # unverified
        return value
    if name in ("DeliveryPolicy", "ReplayPolicy") and value:  # FilterPolicy: filtering.check_policy
        _json(name, value, prefix)
    elif name == "RedrivePolicy" and value:
        policy = _json(name, value, prefix)
        target = policy.get("deadLetterTargetArn") if isinstance(policy, dict) else None
        if not isinstance(target, str) or len(target.split(":")) < 6:
            raise invalid(f"{prefix}RedrivePolicy: deadLetterTargetArn is an invalid arn")
    return value
