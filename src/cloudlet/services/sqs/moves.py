"""Dead-letter queue redrive: message move tasks running on the service clock.

A task moves the messages of a dead-letter queue back to their source queues (or to a
chosen destination) at most ``MaxNumberOfMessagesPerSecond`` per second; its progress is
persisted and each step is a persisted timer, so a task resumes after a restart.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

import orjson

from cloudlet.core import ids
from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.sqs import messages as msg
from cloudlet.services.sqs.errors import invalid_parameter, missing_parameter, sqs_error

if TYPE_CHECKING:
    from cloudlet.services.sqs.provider import SqsProvider

DEFAULT_RATE = 500
TIMER = "sqs.move"


def _not_found(what: str) -> ServiceError:
    return sqs_error("ResourceNotFoundException", what)


class MoveTasks:
    """StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks and the mover."""

    def __init__(self, sqs: SqsProvider) -> None:
        self.sqs = sqs
        self.db = sqs.db
        sqs.scheduler.register(TIMER, self._step)

    # -- API --
    def start(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source_arn = params.get("SourceArn")
        if not source_arn:
            raise missing_parameter("SourceArn")
        source = self.sqs.queue_by_arn(source_arn)
        if source is None:
            raise _not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
        if not self._is_dead_letter_queue(source_arn, source.account, source.region):
            raise sqs_error(
                "InvalidParameterValueException", "Source queue must be configured as a Dead Letter Queue."
            )
        destination_arn = params.get("DestinationArn")
        if destination_arn and self.sqs.queue_by_arn(destination_arn) is None:
            raise _not_found(
                "The resource that you specified for the DestinationArn parameter doesn't exist."
            )
        rate = params.get("MaxNumberOfMessagesPerSecond")
        if rate is not None and not 1 <= rate <= 500:
            raise invalid_parameter(
                "MaxNumberOfMessagesPerSecond", rate, "Must be between 1 and 500, if provided."
            )
        if any(t["status"] == "RUNNING" for t in self.db.tasks_for(source_arn)):
            raise sqs_error(
                "InvalidParameterValueException",
                "There is already a task running. Only one active task is allowed for a source queue arn "
                "at a given time.",
            )
        handle = base64.b64encode(orjson.dumps({"taskId": ids.uuid4(), "sourceArn": source_arn})).decode()
        now = self.sqs.clock.now()
        task = {
            "handle": handle,
            "account": source.account,
            "region": source.region,
            "source_arn": source_arn,
            "destination_arn": destination_arn,
            "rate": rate,
            "status": "RUNNING",
            "moved": 0,
            "to_move": len(self.db.message_ids(source.id)),
            "started": now,
            "failure": None,
        }
        with self.sqs.store.transaction():
            self.db.put_task(task)
            self.sqs.scheduler.schedule(now, TIMER, handle, key=f"sqs.move:{handle}")
        return {"TaskHandle": handle}

    def cancel(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        handle = params.get("TaskHandle") or ""
        try:
            decoded = orjson.loads(base64.b64decode(handle))
            source_arn = decoded["sourceArn"]
        except (ValueError, TypeError, KeyError, orjson.JSONDecodeError):
            raise sqs_error(
                "InvalidParameterValueException", "Value for parameter TaskHandle is invalid."
            ) from None
        if self.sqs.queue_by_arn(str(source_arn)) is None:
            raise _not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
        task = self.db.get_task(handle)
        if task is None or task["status"] != "RUNNING":
            raise _not_found("Task does not exist.")
        task["status"] = "CANCELLED"
        with self.sqs.store.transaction():
            self.db.put_task(task)
            self.sqs.scheduler.cancel(f"sqs.move:{handle}")
        return {"ApproximateNumberOfMessagesMoved": task["moved"]}

    def list(self, ctx: RequestContext, params: dict[str, Any]) -> dict[str, Any]:
        source_arn = params.get("SourceArn")
        if not source_arn:
            raise missing_parameter("SourceArn")
        if self.sqs.queue_by_arn(source_arn) is None:
            raise _not_found("The resource that you specified for the SourceArn parameter doesn't exist.")
        limit = params.get("MaxResults") or 1
        if not 1 <= limit <= 10:
            raise invalid_parameter("MaxResults", limit, "Must be between 1 and 10, if provided.")
        results = []
        for task in self.db.tasks_for(source_arn)[:limit]:
            item: dict[str, Any] = {
                "Status": task["status"],
                "SourceArn": task["source_arn"],
                "ApproximateNumberOfMessagesMoved": task["moved"],
                "ApproximateNumberOfMessagesToMove": task["to_move"],
                "StartedTimestamp": int(task["started"] * 1000),
            }
            if task["status"] == "RUNNING":
                item["TaskHandle"] = task["handle"]
            if task["destination_arn"]:
                item["DestinationArn"] = task["destination_arn"]
            if task["rate"]:
                item["MaxNumberOfMessagesPerSecond"] = task["rate"]
            if task["failure"]:
                item["FailureReason"] = task["failure"]
            results.append(item)
        return {"Results": results}

    # -- the mover --
    def _is_dead_letter_queue(self, arn: str, account: str, region: str) -> bool:
        for queue in self.db.list_queues(account, region):
            policy = queue.attributes.get("RedrivePolicy")
            if policy and orjson.loads(policy).get("deadLetterTargetArn") == arn:
                return True
        return False

    def _step(self, handle: str) -> None:
        task = self.db.get_task(handle)
        if task is None or task["status"] != "RUNNING":
            return
        source = self.sqs.queue_by_arn(task["source_arn"])
        now = self.sqs.clock.now()
        with self.sqs.store.transaction():
            if source is None:
                self._finish(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
                return
            self.db.expire(source.id, now)
            batch = self.db.ready(source.id, now, task["rate"] or DEFAULT_RATE)
            for row in batch:
                destination_arn = task["destination_arn"] or row["source_arn"]
                destination = self.sqs.queue_by_arn(destination_arn) if destination_arn else None
                if destination is None:
                    self._finish(task, "FAILED", "AWS.SimpleQueueService.NonExistentQueue")
                    return
                self.sqs.enqueue(
                    destination,
                    row["body"],
                    msg.load_attributes(row["message_attributes"]),
                    msg.load_attributes(row["system_attributes"]),
                    group_id=row["group_id"],
                    dedup_id=row["dedup_id"] if destination.fifo else None,
                    sender_id=row["sender_id"],
                    size=row["size"],
                    message_id=row["message_id"],
                )
                self.db.delete_message(row["seq"])
                self.sqs._signal(destination.id)
                task["moved"] += 1
            if not batch or task["moved"] >= task["to_move"]:
                self._finish(task, "COMPLETED", None)
                return
            self.db.put_task(task)
            self.sqs.scheduler.schedule(now + 1.0, TIMER, handle, key=f"sqs.move:{handle}")

    def _finish(self, task: dict[str, Any], status: str, failure: str | None) -> None:
        task["status"] = status
        task["failure"] = failure
        self.db.put_task(task)
