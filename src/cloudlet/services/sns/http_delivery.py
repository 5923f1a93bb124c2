"""HTTP/S deliveries: one POST per attempt (core/http_client.py), with
the headers SNS sends (recorded from AWS: User-Agent, ``x-amz-sns-*``, Content-Type).

A 2xx answer is a delivery. A 5xx answer, a connection that fails or an answer that does not
come within 15 seconds is retried by the subscription's delivery policy; any other answer (a
4xx) is not retried (SNS developer guide: "outside the range 200-4xx" is retried) and the
message goes to the dead-letter queue, if there is one (unverified: whether SNS moves it there).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from cloudlet.core import http_client
from cloudlet.core.delivery import Attempt, DeliveryFailure

TO_HTTP = "sns.http"
USER_AGENT = "Amazon Simple Notification Service Agent"
TIMEOUT = 15.0  # seconds of real time an endpoint has to answer (network time, not service time)
MAX_ANSWER = 65_536  # bytes of an answer's body read at most


def headers_for(
    kind: str, message_id: str, topic_arn: str, content_type: str, sub_arn: str | None, raw: bool = False
) -> list[list[str]]:
    """The SNS headers of a POST (a subscription's ARN on notifications and unsubscribe
    confirmations, not on subscription confirmations, as AWS sends them)."""
    headers = [
        ["Content-Type", content_type],
        ["User-Agent", USER_AGENT],
        ["Accept-Encoding", "gzip,deflate"],
        ["x-amz-sns-message-type", kind],
        ["x-amz-sns-message-id", message_id],
        ["x-amz-sns-topic-arn", topic_arn],
    ]
    if sub_arn is not None:
        headers.append(["x-amz-sns-subscription-arn", sub_arn])
    if raw:
        headers.append(["x-amz-sns-rawdelivery", "true"])
    return headers


def check_url(url: str, scheme: str) -> bool:
    """Whether ``url`` is an ``http``/``https`` URL SNS could post to."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return False
    return parts.scheme.lower() == scheme and bool(parts.hostname) and (port is None or 0 < port < 65536)


async def post(url: str, body: bytes, headers: list[list[str]], timeout: float = TIMEOUT) -> int:
    """POST ``body`` to ``url`` (its user and password, if any, as basic authentication); the
    answer's status code. Raises OSError/TimeoutError/ValueError."""
    answer = await http_client.request("POST", url, headers, body, timeout=timeout, max_body=MAX_ANSWER)
    return answer.status


class HttpTarget:
    """The delivery target that posts one message to an HTTP/S endpoint.

    Its payload: ``url``, ``body`` (text), ``headers`` (pairs), for a notification the
    ``subscription`` (not posted once it is gone) and, for the dead-letter queue,
    ``attributes`` (SQS message attributes of a raw message)."""

    def __init__(self, subscribed: Callable[[str], bool]) -> None:
        self.subscribed = subscribed

    async def deliver(self, attempt: Attempt) -> None:
        payload: dict[str, Any] = attempt.payload
        if payload.get("subscription") and not self.subscribed(payload["subscription"]):
            return  # unsubscribed while the message waited for a retry: dropped
        try:
            status = await post(payload["url"], payload["body"].encode(), payload["headers"])
        except TimeoutError as exc:
            raise DeliveryFailure("Timeout", f"no answer within {TIMEOUT:.0f} s") from exc
        except (OSError, ValueError) as exc:
            raise DeliveryFailure("ConnectionError", str(exc) or type(exc).__name__) from exc
        if 200 <= status < 300:
            return
        if status >= 500 or status < 200:
            raise DeliveryFailure(f"HTTP{status}", f"the endpoint answered {status}")
        raise DeliveryFailure(f"HTTP{status}", f"the endpoint answered {status}", final=True)
