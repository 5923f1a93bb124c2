"""Activities: workers poll GetActivityTask for the input of Task states whose resource is an
activity ARN, and answer with the task token (SendTaskSuccess/Failure/Heartbeat).

A task scheduled on an activity waits in the activity's queue (in memory: after a restart the
Task state runs again and schedules it anew) until a worker takes it. GetActivityTask waits up
to 60 seconds of service time for one and then answers without a token, as AWS does.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError
from cloudlet.services.base import RequestContext
from cloudlet.services.stepfunctions import errors

if TYPE_CHECKING:
    from cloudlet.services.stepfunctions.provider import StepFunctionsProvider

POLL_S = 60.0  # GetActivityTask's long poll


def activity_not_found(arn: str) -> ServiceError:
    return ServiceError("ActivityDoesNotExist", f"Activity Does Not Exist: '{arn}'", 400)


@dataclass
class Scheduled:
    """A task waiting for a worker: its token and input; ``taken`` learns the worker's name."""

    token: str
    input: str
    taken: asyncio.Future[str] = field(default_factory=lambda: asyncio.get_running_loop().create_future())
    on_taken: Callable[[str], None] | None = None  # told the worker's name as it takes the task

    def take(self, worker: str) -> None:
        if self.on_taken is not None:
            self.on_taken(worker)
        self.taken.set_result(worker)


class ActivityQueues:
    """The scheduled tasks of every activity, and the workers waiting for them."""

    def __init__(self) -> None:
        self.queues: dict[str, deque[Scheduled]] = {}
        self.signals: dict[str, asyncio.Event] = {}

    def schedule(self, arn: str, token: str, text: str) -> Scheduled:
        item = Scheduled(token, text)
        self.queues.setdefault(arn, deque()).append(item)
        self.signals.setdefault(arn, asyncio.Event()).set()
        return item

    def withdraw(self, arn: str, item: Scheduled) -> None:
        queue = self.queues.get(arn)
        if queue is not None and item in queue:
            queue.remove(item)

    def take(self, arn: str) -> Scheduled | None:
        queue = self.queues.get(arn)
        while queue:
            item = queue.popleft()
            if not item.taken.done():
                return item
        self.signals.setdefault(arn, asyncio.Event()).clear()
        return None


class ActivityOperations:
    """The activity operations of the Step Functions provider."""

    def create_activity(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        name = params["name"]
        errors.check_name(name)
        arn = ctx.arn("states", f"activity:{name}")
        with self.store.transaction():
            found = self.db.activity(arn)
            if found is not None:
                return {"activityArn": arn, "creationDate": found[1]}  # recorded: idempotent
            now = self.clock.now()
            tags = {t["key"]: t["value"] for t in params.get("tags") or []}
            self.db.add_activity(arn, ctx.account, ctx.region, name, now, tags)
        return {"activityArn": arn, "creationDate": now}

    def _activity(self: StepFunctionsProvider, arn: str) -> tuple[str, float]:
        self._arn_of(arn, "activity")
        found = self.db.activity(arn)
        if found is None:
            raise activity_not_found(arn)
        return found

    def describe_activity(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn = params["activityArn"]
        name, created = self._activity(arn)
        return {
            "activityArn": arn,
            "name": name,
            "creationDate": created,
            "encryptionConfiguration": {"type": "AWS_OWNED_KEY"},
        }

    def list_activities(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        items = [
            {"activityArn": arn, "name": name, "creationDate": created}
            for arn, name, created in self.db.activities(ctx.account, ctx.region)
        ]
        return self._page("activities", items, params)

    def delete_activity(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn = params["activityArn"]
        self._arn_of(arn, "activity")
        with self.store.transaction():
            self.db.drop_activity(arn)
        return {}

    async def get_activity_task(
        self: StepFunctionsProvider, ctx: RequestContext, params: dict[str, Any]
    ) -> dict[str, Any]:
        arn = params["activityArn"]
        self._activity(arn)
        deadline = self.clock.now() + POLL_S
        while True:
            item = self.activity_queues.take(arn)
            if item is not None:
                item.take(params.get("workerName") or "")
                return {"taskToken": item.token, "input": item.input}
            if self.clock.now() >= deadline:
                return {}
            signal = self.activity_queues.signals.setdefault(arn, asyncio.Event())
            await self.clock.wait(signal, deadline)
