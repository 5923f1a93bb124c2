"""The pollers of event source mappings: one per enabled mapping whose source Cloudlet polls,
started when the mapping is created or enabled, reconfigured when it is updated, stopped when
it is disabled or deleted, and resumed for every enabled mapping when the server starts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cloudlet.services.awslambda.event_source_mappings import KIND
from cloudlet.services.awslambda.sqs_poller import SqsPoller
from cloudlet.services.awslambda.stream_poller import StreamPoller

if TYPE_CHECKING:
    from cloudlet.services.awslambda.provider import LambdaProvider


class Pollers:
    def __init__(self, provider: LambdaProvider) -> None:
        self.provider = provider
        self.running: dict[str, SqsPoller | StreamPoller] = {}

    def resume(self) -> None:
        for mapping in self.provider.db.settings_everywhere(KIND):
            self.apply(mapping["UUID"], mapping)

    def apply(self, mapping_id: str, mapping: dict[str, Any] | None) -> None:
        """Bring the mapping's poller in line with ``mapping`` (None: deleted)."""
        poller = self.running.get(mapping_id)
        wanted = mapping is not None and mapping["State"] == "Enabled"
        if not wanted:
            if poller is not None:
                del self.running[mapping_id]
                self.provider.executor.later(poller.stop())
            return
        assert mapping is not None
        if poller is None:
            sqs = mapping["EventSourceArn"].split(":")[2] == "sqs"
            poller = SqsPoller(self.provider, mapping) if sqs else StreamPoller(self.provider, mapping)
            self.running[mapping_id] = poller
            poller.start()
        else:
            poller.configure(mapping)

    def forget(self) -> None:
        """Stop every poller (the store was wiped)."""
        running, self.running = self.running, {}
        for poller in running.values():
            self.provider.executor.later(poller.stop(batches=True))

    async def close(self) -> None:
        running, self.running = self.running, {}
        for poller in running.values():
            await poller.stop(batches=True)
