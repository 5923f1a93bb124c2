"""Amazon SNS: topics, subscriptions, tags and topic policies (publishing comes next).

Filter policies are checked when set and applied in the fan-out (filtering.py, on the
event-pattern engine in core/patterns/).
"""

from __future__ import annotations

import base64
import binascii
import re
import uuid
from typing import Any

import orjson

from cloudlet.core.delivery import Outbound
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import Provider, RequestContext
from cloudlet.services.sns import attributes as attrs
from cloudlet.services.sns import confirmation, delivery_policy, endpoints, filtering, messages, publishing
from cloudlet.services.sns.errors import (
    check_arn,
    invalid,
    resource_not_found,
    subscription_not_found,
    topic_not_found,
)
from cloudlet.services.sns.http_delivery import check_url
from cloudlet.services.sns.signing import Signer
from cloudlet.services.sns.sink import Sink
from cloudlet.services.sns.store import SnsStore, Subscription, Topic

PAGE = 100
MAX_TAGS = 50
_TOPIC_NAME = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_FIFO_NAME = re.compile(r"^[A-Za-z0-9_-]{1,251}\.fifo$")
PROTOCOLS = frozenset(
    {"http", "https", "email", "email-json", "sms", "sqs", "application", "lambda", "firehose"}
)
CONFIRMED_AT_ONCE = frozenset({"sqs", "lambda", "firehose", "application", "sms"})
PENDING = "pending confirmation"


def _token(arn: str) -> str:
    return base64.urlsafe_b64encode(arn.encode()).decode()


def _after(token: str | None) -> str:
    if not token:
        return ""
    try:
        after = base64.b64decode(token.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        after = ""
    if not after.startswith("arn:"):
        raise invalid("NextToken")  # unverified
    return after


def _tags(tags: list[dict[str, str]] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for tag in tags or []:
        if tag["Key"] in out:
            raise invalid("Duplicated keys are not allowed.")
        out[tag["Key"]] = tag.get("Value", "")
    return out


class SnsProvider(Provider):
    service = "sns"
    validation_code = "ValidationError"

    def __init__(self, runtime: Any) -> None:
        super().__init__(runtime)
        self.db = SnsStore(self.store)
        self.signer = Signer(self.store)
        self.sink = Sink(self.store)
        self.tokens = confirmation.Tokens(self)
        self.sqs_target = publishing.SqsTarget(self.runtime)
        endpoints.register(self)  # SQS and HTTP/S delivery targets, with their dead-letter messages
        self.deliveries.register_sender("sns", self.send_outbound)

    def resource_counts(self) -> dict[str, int]:
        return {k: v for k, v in self.db.total().items() if v}

    # ---- helpers ------------------------------------------------------------------------

    def _principal(self, ctx: RequestContext) -> str:
        principal = self.runtime.credentials.lookup(ctx.access_key) if ctx.access_key else None
        if principal is not None:
            return principal.arn
        return f"arn:{ctx.partition}:iam::{ctx.account}:root"

    def _topic(self, ctx: RequestContext, arn: str | None, parameter: str = "TopicArn") -> Topic:
        arn = arn or ""
        check_arn(arn, parameter)
        topic = self.db.topic(arn)
        if topic is None:
            raise topic_not_found()
        return topic

    def _subscription(self, arn: str | None) -> Subscription:
        arn = arn or ""
        check_arn(arn, "SubscriptionArn")
        sub = self.db.subscription(arn)
        if sub is None:
            raise subscription_not_found()
        return sub

    # ---- topics -------------------------------------------------------------------------

    def create_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["Name"]
        given = dict(params.get("Attributes") or {})
        fifo = given.get("FifoTopic", "false").lower() == "true"
        if not (_FIFO_NAME if fifo else _TOPIC_NAME).match(name):
            if fifo or name.endswith(".fifo"):
                raise invalid(
                    "Topic Name"
                    if not fifo
                    else "Fifo Topic names must end with .fifo and must be made up of only uppercase "
                    "and lowercase ASCII letters, numbers, underscores, and hyphens, and must be "
                    "between 1 and 256 characters long."
                )  # unverified (FIFO wording)
            raise invalid("Topic Name")
        stored = {
            key: attrs.check_topic_attribute(key, value, fifo=fifo, creating=True)
            for key, value in given.items()
        }
        tags = _tags(params.get("Tags"))
        arn = ctx.arn("sns", name)
        with self.store.transaction():
            existing = self.db.topic(arn)
            if existing is not None:
                if any(existing.attributes.get(k) != v for k, v in stored.items()):
                    raise invalid("Attributes Reason: Topic already exists with different attributes")
                if tags and tags != existing.tags:
                    raise invalid("Tags Reason: Topic already exists with different tags")
                return {"TopicArn": arn}
            if fifo:
                stored["FifoTopic"] = "true"
                stored.setdefault("ContentBasedDeduplication", "false")
            stored.setdefault("DisplayName", "")
            stored.setdefault("Policy", attrs.dumps(attrs.default_policy(arn, ctx.account)))
            self.db.put_topic(Topic(arn, ctx.account, ctx.region, name, stored, tags))
        return {"TopicArn": arn}

    def get_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(ctx, params.get("TopicArn"))
        confirmed, pending = self.db.counts(topic.arn)
        out = dict(topic.attributes)
        out.update(
            TopicArn=topic.arn,
            Owner=topic.account,
            SubscriptionsConfirmed=str(confirmed),
            SubscriptionsPending=str(pending),
            SubscriptionsDeleted="0",
            EffectiveDeliveryPolicy=attrs.dumps(delivery_policy.topic_effective(topic)),
        )
        if out.get("DeliveryPolicy") == "":
            del out["DeliveryPolicy"]
        return {"Attributes": out}

    def set_topic_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AttributeName"]
        value = params.get("AttributeValue") or ""
        with self.store.transaction():
            topic = self._topic(ctx, params.get("TopicArn"))
            fifo = topic.attributes.get("FifoTopic") == "true"
            value = attrs.check_topic_attribute(name, value, fifo=fifo, creating=False)
            if name == "Policy" and not value:
                value = attrs.dumps(attrs.default_policy(topic.arn, topic.account))  # unverified
            topic.attributes[name] = value
            self.db.put_topic(topic)
        return {}

    def list_topics(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topics = self.db.topics(ctx.account, ctx.region, _after(params.get("NextToken")), PAGE + 1)
        out: dict[str, Any] = {"Topics": [{"TopicArn": t.arn} for t in topics[:PAGE]]}
        if len(topics) > PAGE:
            out["NextToken"] = _token(topics[PAGE - 1].arn)
        return out

    def delete_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("TopicArn") or ""
        check_arn(arn, "TopicArn")
        with self.store.transaction():
            self.db.delete_topic(arn)  # deleting a missing topic succeeds, as on AWS
        return {}

    # ---- tags ---------------------------------------------------------------------------

    def _tagged(self, params: dict[str, Any]) -> Topic:
        arn = params["ResourceArn"]
        check_arn(arn, "ResourceArn")
        topic = self.db.topic(arn)
        if topic is None:
            raise resource_not_found()
        return topic

    def tag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            topic = self._tagged(params)
            topic.tags.update(_tags(params["Tags"]))
            if len(topic.tags) > MAX_TAGS:
                raise ServiceError(
                    "TagLimitExceededException",
                    "Could not complete request: tag quota of per resource exceeded",
                )  # unverified
            self.db.put_topic(topic)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            topic = self._tagged(params)
            for key in params["TagKeys"]:
                topic.tags.pop(key, None)
            self.db.put_topic(topic)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._tagged(params)
        return {"Tags": [{"Key": k, "Value": v} for k, v in topic.tags.items()]}

    # ---- topic policy -------------------------------------------------------------------

    def _policy(self, topic: Topic) -> dict[str, Any]:
        try:
            policy = orjson.loads(topic.attributes.get("Policy") or "{}")
        except orjson.JSONDecodeError:
            policy = {}
        if not isinstance(policy, dict):
            policy = {}
        policy.setdefault("Version", "2008-10-17")
        policy.setdefault("Statement", [])
        return policy

    def add_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        label = params["Label"]
        actions = params["ActionName"]
        for action in actions:
            if f"SNS:{action}" not in attrs.TOPIC_ACTIONS:
                raise invalid("Policy statement action out of service scope!")
        with self.store.transaction():
            topic = self._topic(ctx, params.get("TopicArn"))
            policy = self._policy(topic)
            if any(s.get("Sid") == label for s in policy["Statement"]):
                raise invalid("Statement already exists")
            principals = [f"arn:{ctx.partition}:iam::{a}:root" for a in params["AWSAccountId"]]
            named = [f"SNS:{a}" for a in actions]
            policy["Statement"].append(
                {
                    "Sid": label,
                    "Effect": "Allow",
                    "Principal": {"AWS": principals[0] if len(principals) == 1 else principals},
                    "Action": named[0] if len(named) == 1 else named,
                    "Resource": topic.arn,
                }
            )
            topic.attributes["Policy"] = attrs.dumps(policy)
            self.db.put_topic(topic)
        return {}

    def remove_permission(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        with self.store.transaction():
            topic = self._topic(ctx, params.get("TopicArn"))
            policy = self._policy(topic)
            policy["Statement"] = [s for s in policy["Statement"] if s.get("Sid") != params["Label"]]
            topic.attributes["Policy"] = attrs.dumps(policy)
            self.db.put_topic(topic)
        return {}

    # ---- subscriptions ------------------------------------------------------------------

    def subscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        protocol = params["Protocol"]
        endpoint = params.get("Endpoint") or ""
        if protocol not in PROTOCOLS:
            raise invalid(f"Amazon SNS does not support this protocol string: {protocol}")
        given = {
            key: attrs.check_subscription_attribute(key, value, creating=True)
            for key, value in (params.get("Attributes") or {}).items()
        }
        filtering.check_policy(given.get("FilterPolicy"), given.get("FilterPolicyScope"), creating=True)
        with self.store.transaction():
            topic = self._topic(ctx, params.get("TopicArn"))
            self._check_endpoint(topic, protocol, endpoint)
            existing = self.db.find_subscription(topic.arn, protocol, endpoint)
            if existing is not None:
                if any(existing.attributes.get(k) != v for k, v in given.items()):
                    raise invalid("Attributes Reason: Subscription already exists with different attributes")
                if existing.pending:  # asked again: the confirmation goes again (unverified)
                    confirmation.request_confirmation(self, ctx, topic, existing, again=True)
                if existing.pending and not params.get("ReturnSubscriptionArn"):
                    return {"SubscriptionArn": PENDING}
                return {"SubscriptionArn": existing.arn}
            pending = protocol not in CONFIRMED_AT_ONCE
            if protocol in ("sqs", "http", "https", "firehose"):
                given.setdefault("RawMessageDelivery", "false")
            if "FilterPolicy" in given:
                given.setdefault("FilterPolicyScope", "MessageAttributes")
            sub = Subscription(
                f"{topic.arn}:{uuid.uuid4()}",
                topic.arn,
                topic.account,
                topic.region,
                protocol,
                endpoint,
                self._principal(ctx),
                pending,
                given,
            )
            self.db.put_subscription(sub)
            if pending:
                confirmation.request_confirmation(self, ctx, topic, sub)
        if pending and not params.get("ReturnSubscriptionArn"):
            return {"SubscriptionArn": PENDING}
        return {"SubscriptionArn": sub.arn}

    def _check_endpoint(self, topic: Topic, protocol: str, endpoint: str) -> None:
        if protocol == "sqs":
            parts = endpoint.split(":")
            if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sqs":
                raise invalid("SQS endpoint ARN")
            if parts[5].endswith(".fifo") and topic.attributes.get("FifoTopic") != "true":
                raise invalid(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to "
                    "standard SNS topics"
                )
        elif protocol == "lambda":
            parts = endpoint.split(":")
            if len(parts) < 7 or parts[0] != "arn" or parts[2] != "lambda":
                raise invalid("Lambda endpoint ARN")  # unverified
        elif protocol in ("http", "https"):
            if not check_url(endpoint, protocol):
                raise invalid("Endpoint must match the specified protocol")  # unverified
        elif protocol in ("email", "email-json"):
            if "@" not in endpoint:
                raise invalid("Email address")  # unverified
        elif protocol == "sms":
            if not re.fullmatch(r"\+?[0-9]{5,15}", endpoint):
                raise ServiceError("InvalidParameterException", f"Invalid SMS endpoint: {endpoint}", 400)
        elif not endpoint:
            raise invalid("Endpoint")  # unverified

    def confirm_subscription(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        """Also reached without credentials, as the SubscribeURL of a confirmation message."""
        arn = confirmation.confirm(self, params.get("TopicArn") or "", params.get("Token") or "")
        return {"SubscriptionArn": arn}

    def unsubscribe(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("SubscriptionArn") or ""
        check_arn(arn, "SubscriptionArn")
        with self.store.transaction():
            sub = self.db.subscription(arn) if not ctx.access_key else None
            if sub is not None:  # the UnsubscribeURL, unsigned: the endpoint hears of it
                confirmation.farewell(self, ctx, sub)
            self.db.delete_subscription(arn)  # unsubscribing twice succeeds, as on AWS
        return {}

    def _list(self, sub: Subscription) -> dict[str, str]:
        return {
            "SubscriptionArn": PENDING if sub.pending else sub.arn,
            "Owner": sub.account,
            "Protocol": sub.protocol,
            "Endpoint": sub.endpoint,
            "TopicArn": sub.topic_arn,
        }

    def list_subscriptions(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        after = _after(params.get("NextToken"))
        subs = self.db.subscriptions(ctx.account, ctx.region, None, after, PAGE + 1)
        out: dict[str, Any] = {"Subscriptions": [self._list(s) for s in subs[:PAGE]]}
        if len(subs) > PAGE:
            out["NextToken"] = _token(subs[PAGE - 1].arn)
        return out

    def list_subscriptions_by_topic(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        topic = self._topic(ctx, params.get("TopicArn"))
        after = _after(params.get("NextToken"))
        subs = self.db.subscriptions(ctx.account, ctx.region, topic.arn, after, PAGE + 1)
        out: dict[str, Any] = {"Subscriptions": [self._list(s) for s in subs[:PAGE]]}
        if len(subs) > PAGE:
            out["NextToken"] = _token(subs[PAGE - 1].arn)
        return out

    def get_subscription_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        sub = self._subscription(params.get("SubscriptionArn"))
        out = {k: v for k, v in sub.attributes.items() if v != ""}
        if "FilterPolicy" not in out:  # recorded: a scope set without a policy is not shown
            out.pop("FilterPolicyScope", None)
        out.update(
            ConfirmationWasAuthenticated="true" if not sub.pending else "false",
            Endpoint=sub.endpoint,
            Owner=sub.account,
            PendingConfirmation="true" if sub.pending else "false",
            Protocol=sub.protocol,
            SubscriptionArn=sub.arn,
            SubscriptionPrincipal=sub.owner,
            TopicArn=sub.topic_arn,
        )
        if sub.protocol in ("http", "https"):
            topic = self.db.topic(sub.topic_arn)
            out["EffectiveDeliveryPolicy"] = attrs.dumps(delivery_policy.effective(topic, sub))
        return {"Attributes": out}

    def set_subscription_attributes(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        name = params["AttributeName"]
        value = params.get("AttributeValue") or ""
        with self.store.transaction():
            sub = self._subscription(params.get("SubscriptionArn"))
            value = attrs.check_subscription_attribute(name, value, creating=False)
            if name in ("FilterPolicy", "FilterPolicyScope"):
                checked = {**sub.attributes, name: value}
                filtering.check_policy(
                    checked.get("FilterPolicy"), checked.get("FilterPolicyScope"), creating=False
                )
            sub.attributes[name] = value
            if name == "FilterPolicy" and value:
                sub.attributes.setdefault("FilterPolicyScope", "MessageAttributes")
            self.db.put_subscription(sub)
        return {}

    # ---- publishing ---------------------------------------------------------------------

    def publish(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        arn = params.get("TopicArn") or params.get("TargetArn")
        if not arn:
            if params.get("PhoneNumber"):
                return endpoints.publish_sms(self, params)  # kept in the sink
            raise invalid("TopicArn or TargetArn Reason: no value for required parameter")  # unverified
        parameter = "TopicArn" if params.get("TopicArn") else "TargetArn"
        check_arn(arn, parameter)
        if ":endpoint/" in arn:
            raise invalid(
                "TargetArn Reason: No endpoint found for the target arn specified"
            )  # no platform endpoints yet
        with self.store.transaction():
            topic = self._topic(ctx, arn, parameter)
            entry = publishing.check_entry(topic, params)
            message_id = publishing.fan_out(self, ctx, topic, entry)
        out = {"MessageId": message_id}
        if "SequenceNumber" in entry:
            out["SequenceNumber"] = entry["SequenceNumber"]
        return out

    def send_outbound(self, arn: str, message: Outbound) -> None:
        """A record the delivery engine sends to a topic (a Lambda destination or dead-letter
        topic); SQS-style message attributes become the message's attributes."""
        group = message.extra.get("MessageGroupId")
        if not self.publish_message(arn, message.body, None, message.attributes or None, group):
            raise topic_not_found()

    def publish_message(
        self,
        topic_arn: str,
        message: str,
        subject: str | None = None,
        attributes: dict[str, dict[str, Any]] | None = None,
        group_id: str | None = None,
    ) -> bool:
        """Publish for another service (interface.py), inside its transaction; False when the
        topic does not exist. Links in the notification point at Cloudlet's own endpoint."""
        parts = topic_arn.split(":")
        topic = self.db.topic(topic_arn) if len(parts) >= 6 else None
        if topic is None:
            return False
        extra = {"endpoint": self.runtime.config.endpoint}
        ctx = RequestContext("sns", "Publish", parts[4], parts[3], str(uuid.uuid4()), extra=extra)
        params: dict[str, Any] = {"Message": message}
        if subject is not None:
            params["Subject"] = subject
        if attributes:
            params["MessageAttributes"] = attributes
        if group_id:
            params["MessageGroupId"] = group_id
        publishing.fan_out(self, ctx, topic, publishing.check_entry(topic, params))
        return True

    def publish_batch(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        entries = params.get("PublishBatchRequestEntries") or []
        if not entries:
            raise ServiceError(
                "EmptyBatchRequestException", "The batch request doesn't contain any entries"
            )  # unverified
        if len(entries) > 10:
            raise ServiceError(
                "TooManyEntriesInBatchRequestException",
                "The batch request contains more entries than permissible.",
            )  # unverified
        ids = [e["Id"] for e in entries]
        if len(set(ids)) != len(ids):
            raise ServiceError(
                "BatchEntryIdsNotDistinctException",
                "Two or more batch entries in the request have the same Id.",
            )
        total = sum(len(e.get("Message", "").encode()) for e in entries)
        if total > messages.MAX_MESSAGE:
            raise ServiceError(
                "BatchRequestTooLongException",
                "The length of all the messages put together is more than the limit.",
            )
        successful: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        with self.store.transaction():
            topic = self._topic(ctx, params.get("TopicArn"))
            fifo = topic.attributes.get("FifoTopic") == "true"
            for e in entries:
                if fifo and not e.get("MessageGroupId"):
                    raise invalid("The MessageGroupId parameter is required for FIFO topics")
                try:
                    entry = publishing.check_entry(topic, e)
                except ServiceError as exc:
                    failed.append(
                        {
                            "Id": e["Id"],
                            "Code": exc.code.removesuffix("Exception"),
                            "Message": exc.message,
                            "SenderFault": True,
                        }
                    )  # unverified: the code as a batch failure names it
                    continue
                message_id = publishing.fan_out(self, ctx, topic, entry)
                ok = {"Id": e["Id"], "MessageId": message_id}
                if "SequenceNumber" in entry:
                    ok["SequenceNumber"] = entry["SequenceNumber"]
                successful.append(ok)
        return {"Successful": successful, "Failed": failed}
