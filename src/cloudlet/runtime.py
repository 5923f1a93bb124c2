"""The running Cloudlet: store, clock, scheduler, event channel and the providers."""

from __future__ import annotations

import asyncio
import importlib
import logging
import os
import time
from typing import Any

from cloudlet import __version__
from cloudlet.config import Config, private_dir
from cloudlet.core.clock import Clock
from cloudlet.core.credentials import CredentialStore
from cloudlet.core.delivery import DeliveryEngine
from cloudlet.core.events import EventChannel
from cloudlet.core.metrics import Metrics
from cloudlet.core.scheduler import Scheduler
from cloudlet.services.base import Provider
from cloudlet.services.registry import COMPONENTS, CONSUMERS, PROVIDERS, SERVICES
from cloudlet.store.db import Store

log = logging.getLogger("cloudlet")


class Runtime:
    """Everything one server holds; providers are created on first use."""

    def __init__(self, config: Config) -> None:
        self.config = config
        path = config.db_path
        if path is not None:
            private_dir(path.parent)  # readable by its owner only, like the store itself
        self.store = Store(path)
        self.clock = Clock(self.store)
        self.deliveries = DeliveryEngine(self.clock, self.store, resolve=self.load)
        self.scheduler = Scheduler(self.deliveries)
        self.channel = EventChannel(self.deliveries)
        for service, prefixes in CONSUMERS.items():
            self.channel.declare(service, prefixes)
        self.credentials = CredentialStore(self.store)
        self.metrics = Metrics(self.clock, self.store)
        self.providers: dict[str, Provider] = {}
        self.started_at = time.time()
        self._starting: set[asyncio.Task[None]] = set()

    @property
    def version(self) -> str:
        return __version__

    def load(self, service: str) -> Provider | None:
        """The provider of ``service``, created (and started in the background) on first use."""
        provider = self.providers.get(service)
        if provider is not None or service not in PROVIDERS:
            return provider
        module_name, _, class_name = PROVIDERS[service].partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        provider = self.providers[service] = cls(self)
        # Loaded inside another service's transaction, its migrations joined that transaction:
        # if it rolls back, so did the tables, and the next use loads the provider again.
        self.store.after_rollback(lambda: self._forget(service, provider))
        try:
            task = asyncio.get_running_loop().create_task(provider.start())
            self._starting.add(task)
            task.add_done_callback(self._starting.discard)
        except RuntimeError:
            pass  # no loop yet: start() runs from Runtime.start
        return provider

    def _forget(self, service: str, provider: Provider) -> None:
        if self.providers.get(service) is provider:
            del self.providers[service]

    async def start(self) -> None:
        """Start background work, and every service that holds state, so that its due work
        (retries, timers, TTL and lifecycle sweeps, metrics) resumes without a first request."""
        self.deliveries.start()
        self.metrics.start()
        for service in self._services_with_state():
            self.load(service)

    def _services_with_state(self) -> list[str]:
        """Services whose store component exists or that have deliveries pending."""
        migrated = {r[0] for r in self.store.all("SELECT component FROM schema_versions")}
        targets = {r[0].split(".", 1)[0] for r in self.store.all("SELECT DISTINCT target FROM deliveries")}
        with_tables = {service for service, component in COMPONENTS.items() if component in migrated}
        return sorted((with_tables | targets) & set(PROVIDERS))

    async def stop(self) -> None:
        await self.deliveries.stop()
        await self.metrics.stop()
        for provider in self.providers.values():
            await provider.stop()
        self.store.close()

    async def reset(self) -> None:
        """Wipe all state: every table, the clock offset, in-memory provider state."""
        self.store.wipe()
        self.deliveries.clear()
        self.credentials.clear_cache()
        self.metrics.clear()
        self.clock.reset()
        for provider in self.providers.values():
            provider.reset()

    def health(self) -> dict[str, Any]:
        services = {
            name: ("running" if name in self.providers else "available")
            if name in PROVIDERS
            else "not implemented"
            for name in SERVICES
        }
        return {"version": self.version, "edition": "cloudlet", "services": services}

    def state(self) -> dict[str, Any]:
        resources: dict[str, dict[str, int]] = {}
        for name in PROVIDERS:
            provider = self.load(name)
            if provider is not None:
                counts = provider.resource_counts()
                if counts:
                    resources[name] = counts
        return {
            "version": self.version,
            "pid": os.getpid(),
            "uptime": time.time() - self.started_at,
            "store": "memory" if self.store.in_memory else self.store.path,
            "clock": {"now": self.clock.now(), "offset": self.clock.offset},
            "timers": self.scheduler.pending(),
            "deliveries": self.deliveries.report(),
            "resources": resources,
        }
