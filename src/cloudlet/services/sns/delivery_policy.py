"""Delivery policies: a subscription's effective HTTP/S policy (its own over its topic's over
AWS's defaults), the engine retry policy it becomes, and the fixed policies of the other
protocols (SNS developer guide, "Amazon SNS message delivery retries")."""

from __future__ import annotations

from typing import Any

import orjson

from cloudlet.core.delivery import Backoff, Policy
from cloudlet.services.sns.store import Subscription, Topic

DEFAULT_HEALTHY = {
    "minDelayTarget": 20,
    "maxDelayTarget": 20,
    "numRetries": 3,
    "numMaxDelayRetries": 0,
    "numNoDelayRetries": 0,
    "numMinDelayRetries": 0,
    "backoffFunction": "linear",
}
DEFAULT_CONTENT_TYPE = "text/plain; charset=UTF-8"
MAX_HTTP_RETRY_TIME = 3600.0  # seconds: the hard limit of an HTTP/S policy's total retry time
MAX_HTTP_RETRIES = 100  # unverified: the most numRetries AWS takes for HTTP/S

# AWS managed endpoints (SQS, Lambda): 3 immediate retries, 2 one second apart, 10 rising from
# 1 to 20 seconds, then 100,000 twenty seconds apart (100,015 attempts over 23 days).
# The schedule's last wait repeats, so the 15 first retries describe them all.
MANAGED_RETRIES = 100_015 - 1
MANAGED_BACKOFF = Backoff.phased(
    retries=15, min_delay=1, max_delay=20, no_delay=3, at_min=2, function="exponential"
)


def _json(text: str | None) -> dict[str, Any]:
    try:
        value = orjson.loads(text or "{}")
    except orjson.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _number(value: Any, default: float, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return default
    return min(high, max(low, value))


def _topic_http(topic: Topic | None) -> dict[str, Any]:
    http = _json(topic.attributes.get("DeliveryPolicy") if topic else None).get("http")
    return http if isinstance(http, dict) else {}


def topic_effective(topic: Topic) -> dict[str, Any]:
    """A topic's ``EffectiveDeliveryPolicy``: its HTTP policy over AWS's defaults (recorded)."""
    http = _topic_http(topic)
    healthy = dict(DEFAULT_HEALTHY)
    if isinstance(http.get("defaultHealthyRetryPolicy"), dict):
        healthy.update(http["defaultHealthyRetryPolicy"])
    out: dict[str, Any] = {"defaultHealthyRetryPolicy": healthy}
    for key in ("defaultSicklyRetryPolicy", "defaultThrottlePolicy"):  # unverified: shown when set
        if http.get(key) is not None:
            out[key] = http[key]
    out["disableSubscriptionOverrides"] = bool(http.get("disableSubscriptionOverrides", False))
    out["defaultRequestPolicy"] = http.get("defaultRequestPolicy") or {
        "headerContentType": DEFAULT_CONTENT_TYPE
    }
    return {"http": out}


def effective(topic: Topic | None, sub: Subscription) -> dict[str, Any]:
    """The ``EffectiveDeliveryPolicy`` of an HTTP/S subscription, as GetSubscriptionAttributes
    answers it (the subscription's healthy retry policy unless the topic disables overrides,
    else the topic's default; its request policy, else the topic's default request policy)."""
    topic_http = _topic_http(topic)
    own = _json(sub.attributes.get("DeliveryPolicy"))
    healthy = dict(DEFAULT_HEALTHY)
    if isinstance(topic_http.get("defaultHealthyRetryPolicy"), dict):
        healthy.update(topic_http["defaultHealthyRetryPolicy"])
    if isinstance(own.get("healthyRetryPolicy"), dict) and not topic_http.get("disableSubscriptionOverrides"):
        healthy.update(own["healthyRetryPolicy"])
    request = own.get("requestPolicy") or topic_http.get("defaultRequestPolicy")
    return {
        "healthyRetryPolicy": healthy,
        "sicklyRetryPolicy": own.get("sicklyRetryPolicy"),
        "throttlePolicy": own.get("throttlePolicy") or topic_http.get("defaultThrottlePolicy"),
        "requestPolicy": request or {"headerContentType": DEFAULT_CONTENT_TYPE},  # unverified default
        "guaranteed": False,
    }


def content_type(policy: dict[str, Any]) -> str:
    """The Content-Type notifications are posted with."""
    request = policy.get("requestPolicy") or {}
    value = request.get("headerContentType") if isinstance(request, dict) else None
    return value if isinstance(value, str) and value else DEFAULT_CONTENT_TYPE


def http_policy(policy: dict[str, Any], dead_letter: str | None) -> Policy:
    """The engine policy of an effective HTTP/S delivery policy: its healthy retry phases."""
    healthy = policy["healthyRetryPolicy"]
    retries = int(_number(healthy.get("numRetries"), 3, 0, MAX_HTTP_RETRIES))
    low = _number(healthy.get("minDelayTarget"), 20, 0, MAX_HTTP_RETRY_TIME)
    high = max(low, _number(healthy.get("maxDelayTarget"), 20, 0, MAX_HTTP_RETRY_TIME))
    function = healthy.get("backoffFunction")
    backoff = Backoff.phased(
        retries=retries,
        min_delay=low,
        max_delay=high,
        no_delay=int(_number(healthy.get("numNoDelayRetries"), 0, 0, retries)),
        at_min=int(_number(healthy.get("numMinDelayRetries"), 0, 0, retries)),
        at_max=int(_number(healthy.get("numMaxDelayRetries"), 0, 0, retries)),
        function=function if function in ("linear", "arithmetic", "geometric", "exponential") else "linear",
    )
    return Policy(max_retries=retries, backoff=backoff, dead_letter=dead_letter)


def managed_policy(dead_letter: str) -> Policy:
    """The engine policy of an SQS or Lambda delivery with a dead-letter queue."""
    return Policy(max_retries=MANAGED_RETRIES, backoff=MANAGED_BACKOFF, dead_letter=dead_letter)


def dead_letter_arn(sub: Subscription) -> str | None:
    """The SQS queue of a subscription's RedrivePolicy, if it has one."""
    target = _json(sub.attributes.get("RedrivePolicy")).get("deadLetterTargetArn")
    return target if isinstance(target, str) and target.count(":") >= 5 else None
