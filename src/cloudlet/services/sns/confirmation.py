"""Subscription confirmation: the tokens, the SubscriptionConfirmation and
UnsubscribeConfirmation messages (posted to HTTP/S endpoints through the delivery engine, or
kept in the sink for email), ConfirmSubscription's checks, and the expiry of subscriptions
left unconfirmed.

AWS's words (recorded): ConfirmSubscription answers ``Invalid parameter: Topic`` for a topic
ARN that is malformed or in another region than the token's subscription, ``Invalid token``
for a token that is not hexadecimal, ``Invalid parameter: Token`` for one that matches no
subscription; the token alone names the subscription (a wrong topic name in the right region
still confirms it). Confirming twice answers the ARN again.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import uuid
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.sns import delivery_policy, messages
from cloudlet.services.sns.errors import invalid
from cloudlet.services.sns.http_delivery import TO_HTTP, headers_for
from cloudlet.services.sns.signing import CERT_PATH
from cloudlet.services.sns.store import Subscription, Topic

if TYPE_CHECKING:
    from cloudlet.services.base import RequestContext
    from cloudlet.services.sns.provider import SnsProvider

MIGRATIONS = [
    """
    CREATE TABLE sns_tokens (
        token TEXT NOT NULL PRIMARY KEY,
        subscription_arn TEXT NOT NULL,
        region TEXT NOT NULL,
        expires REAL NOT NULL,
        restore TEXT NOT NULL
    );
    CREATE INDEX sns_tokens_subscription ON sns_tokens (subscription_arn)
    """,
]

TOKEN_LIFETIME = 2 * 86400.0  # "Confirmation tokens are valid for two days" (Subscribe's docs)
PENDING_LIFETIME = 3 * 86400.0  # unconfirmed subscriptions are deleted after three days
EXPIRE_PENDING = "sns.expire-pending"  # the scheduler's timer kind
_HEX = re.compile(r"[0-9a-fA-F]+")


class Tokens:
    """Confirmation tokens: the subscription each names (or, for an unsubscribe confirmation,
    the subscription it restores)."""

    def __init__(self, provider: SnsProvider) -> None:
        self.db = provider.store
        self.db.migrate("sns_tokens", MIGRATIONS)

    def issue(self, sub: Subscription, now: float, restore: bool = False) -> str:
        token = secrets.token_hex(128)  # unverified: AWS's tokens are long hex strings (length varies)
        self.db.execute(
            "DELETE FROM sns_tokens WHERE expires <= ?", (now,)
        )  # expired tokens of any subscription go as new ones come
        self.db.execute(
            "INSERT INTO sns_tokens (token, subscription_arn, region, expires, restore) VALUES (?, ?, ?, ?, ?)",
            (
                token,
                sub.arn,
                sub.region,
                now + TOKEN_LIFETIME,
                orjson.dumps(dataclasses.asdict(sub)).decode() if restore else "",
            ),
        )
        return token

    def find(self, token: str, now: float) -> tuple[str, str, dict[str, Any] | None] | None:
        """(subscription ARN, region, the subscription to restore) of a live token."""
        row = self.db.one(
            "SELECT subscription_arn, region, restore FROM sns_tokens WHERE token = ? AND expires > ?",
            (token, now),
        )
        if row is None:
            return None
        return row[0], row[1], orjson.loads(row[2]) if row[2] else None

    def forget(self, subscription_arn: str) -> None:
        self.db.execute(
            "DELETE FROM sns_tokens WHERE subscription_arn = ? AND restore = ''", (subscription_arn,)
        )


def _fields(
    provider: SnsProvider,
    ctx: RequestContext,
    topic: Topic,
    kind: str,
    message: str,
    token: str,
    now: float,
) -> dict[str, Any]:
    """A confirmation message's fields, in SNS's order, signed."""
    from cloudlet.services.sns.publishing import _base_url

    base = _base_url(ctx)
    fields: dict[str, Any] = {
        "Type": kind,
        "MessageId": str(uuid.uuid4()),
        "Token": token,
        "TopicArn": topic.arn,
        "Message": message,
        "SubscribeURL": f"{base}/?Action=ConfirmSubscription&TopicArn={topic.arn}&Token={token}",
        "Timestamp": messages.timestamp(now),
    }
    version = topic.attributes.get("SignatureVersion") or "1"
    fields["SignatureVersion"] = version
    fields["Signature"] = provider.signer.sign(fields, version)
    fields["SigningCertURL"] = f"{base}{CERT_PATH}"
    return fields


def _json(fields: dict[str, Any]) -> str:
    return messages.envelope_json(fields)


def _post(
    provider: SnsProvider, topic: Topic, sub: Subscription, fields: dict[str, Any], sub_header: bool
) -> None:
    policy = delivery_policy.effective(topic, sub)
    headers = headers_for(
        fields["Type"],
        fields["MessageId"],
        topic.arn,
        delivery_policy.DEFAULT_CONTENT_TYPE,
        sub.arn if sub_header else None,
    )  # confirmations go as text/plain whatever the request policy says (recorded)
    payload = {"url": sub.endpoint, "body": _json(fields), "headers": headers}
    provider.deliveries.enqueue(TO_HTTP, payload, delivery_policy.http_policy(policy, None))


def request_confirmation(
    provider: SnsProvider, ctx: RequestContext, topic: Topic, sub: Subscription, again: bool = False
) -> None:
    """Send the SubscriptionConfirmation of a new HTTP/S or email subscription (inside the
    Subscribe transaction) and set its three-day expiry (not moved when sent ``again``)."""
    now = provider.clock.now()
    token = provider.tokens.issue(sub, now)
    message = (
        f"You have chosen to subscribe to the topic {topic.arn}.\n"
        "To confirm the subscription, visit the SubscribeURL included in this message."
    )
    fields = _fields(provider, ctx, topic, "SubscriptionConfirmation", message, token, now)
    if sub.protocol in ("http", "https"):
        _post(provider, topic, sub, fields, sub_header=False)
    else:
        _to_sink(provider, topic, sub, fields, now)
    if not again:
        provider.scheduler.schedule(
            now + PENDING_LIFETIME, EXPIRE_PENDING, sub.arn, key=f"{EXPIRE_PENDING}:{sub.arn}"
        )


def _to_sink(
    provider: SnsProvider, topic: Topic, sub: Subscription, fields: dict[str, Any], now: float
) -> None:
    if sub.protocol == "email-json":
        message = _json(fields)
    else:  # unverified: the wording of the confirmation email
        message = (
            f"You have chosen to subscribe to the topic: \n{topic.arn}\n\n"
            "To confirm this subscription, click or visit the link below "
            f"(If this was in error no action is necessary): \nConfirm subscription\n{fields['SubscribeURL']}"
        )
    provider.sink.record(
        {
            "type": fields["Type"],
            "protocol": sub.protocol,
            "endpoint": sub.endpoint,
            "subscriptionArn": sub.arn,
            "topicArn": topic.arn,
            "messageId": fields["MessageId"],
            "subject": "AWS Notification - Subscription Confirmation",  # unverified
            "message": message,
            "timestamp": fields["Timestamp"],
            "subscribeUrl": fields["SubscribeURL"],
            "token": fields["Token"],
        },
        now,
    )


def farewell(provider: SnsProvider, ctx: RequestContext, sub: Subscription) -> None:
    """The UnsubscribeConfirmation an HTTP/S endpoint gets when someone other than its owner
    (an unsigned request: the UnsubscribeURL) removes it; its SubscribeURL restores it."""
    topic = provider.db.topic(sub.topic_arn)
    if topic is None or sub.protocol not in ("http", "https") or sub.pending:
        return
    now = provider.clock.now()
    token = provider.tokens.issue(sub, now, restore=True)
    message = (
        f"You have chosen to deactivate subscription {sub.arn}.\n"
        "To cancel this operation and restore the subscription, visit the SubscribeURL included in this message."
    )
    fields = _fields(provider, ctx, topic, "UnsubscribeConfirmation", message, token, now)
    _post(provider, topic, sub, fields, sub_header=True)


def confirm(provider: SnsProvider, topic_arn: str, token: str) -> str:
    """ConfirmSubscription: the ARN of the subscription ``token`` confirms (or restores)."""
    parts = topic_arn.split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sns" or not parts[5]:
        raise invalid("Topic")
    if not token or not _HEX.fullmatch(token):
        raise ServiceError("InvalidParameterException", "Invalid token", 400)
    now = provider.clock.now()
    found = provider.tokens.find(token, now)
    if found is None:
        raise invalid("Token")
    arn, region, restore = found
    if parts[3] != region:
        raise invalid("Topic")
    with provider.store.transaction():
        existing = sub = provider.db.subscription(arn)
        if sub is None and restore is not None and provider.db.topic(restore["topic_arn"]) is not None:
            sub = Subscription(**restore)  # unverified: restored under its old ARN
        if sub is None:
            raise invalid("Token")
        if existing is None or sub.pending:
            sub.pending = False
            provider.db.put_subscription(sub)
            provider.scheduler.cancel(f"{EXPIRE_PENDING}:{sub.arn}")
    return sub.arn


def expire_pending(provider: SnsProvider, arn: Any) -> None:
    """The three-day timer of a subscription: gone if still unconfirmed."""
    with provider.store.transaction():
        sub = provider.db.subscription(str(arn))
        if sub is not None and sub.pending:
            provider.db.delete_subscription(sub.arn)
            provider.tokens.forget(sub.arn)
