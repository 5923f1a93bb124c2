"""Queues as in-process pollers consume them (interface.QueueConsumer): receives with every
attribute, waiting on the service clock like a long poll, and deletes by receipt handle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.protocol.errors import ServiceError

if TYPE_CHECKING:
    from cloudlet.services.sqs.provider import SqsProvider

_EVERYTHING = {"AttributeNames": ["All"], "MessageAttributeNames": ["All"]}


class QueueConsuming:
    def queue_exists(self: SqsProvider, queue_arn: str) -> bool:
        return self.queue_by_arn(queue_arn) is not None

    def visibility_timeout(self: SqsProvider, queue_arn: str) -> int | None:
        queue = self.queue_by_arn(queue_arn)
        return None if queue is None else queue.attr_int("VisibilityTimeout")

    async def receive_messages(
        self: SqsProvider, queue_arn: str, count: int, until: float
    ) -> list[dict[str, Any]] | None:
        queue = self.queue_by_arn(queue_arn)
        while queue is not None:
            signal = self._listen(queue.id)  # before looking: a send from now on wakes the wait
            received = self._receive_now(queue, _EVERYTHING, count, None)
            now = self.clock.now()
            if received or now >= until:
                self._receive_answer(queue, received)
                return received
            await self.clock.wait(signal, min(until, self.db.next_visible(queue.id, now) or until))
            queue = self.db.queue_by_id(queue.id)
        return None

    def delete_messages(self: SqsProvider, queue_arn: str, receipt_handles: list[str]) -> int:
        queue = self.queue_by_arn(queue_arn)
        if queue is None or not receipt_handles:
            return 0
        deleted = 0
        with self.store.transaction():
            if not queue.fifo:
                seqs = [decoded[1] for h in receipt_handles if (decoded := self._decode_receipt(h))]
                deleted = self.db.delete_messages(seqs)
                if deleted:
                    self._record(queue, "NumberOfMessagesDeleted", deleted, "Count")
                return deleted
            for handle in receipt_handles:
                try:
                    self._delete(queue, handle)
                    deleted += 1
                except ServiceError:
                    continue  # the handle expired: the message is someone else's now
        return deleted
