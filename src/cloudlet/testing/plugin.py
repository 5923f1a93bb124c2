"""pytest plugin: a real Cloudlet server per test session and boto3 clients pointed at it.

Fixtures:

- ``cloudlet`` (session): the running server (``.endpoint``, ``.advance_clock(s)``,
  ``.clock()``, ``.reset()``). Set ``CLOUDLET_ENDPOINT`` to use a server you started
  yourself instead of an in-process one.
- ``aws_client`` (function): a factory, ``aws_client("sqs")``, of boto3 clients with
  dummy credentials, region us-east-1 and no retries.
- ``cloudlet_endpoint``: the URL, for other SDKs and tools.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from cloudlet.testing.server import ServerThread, client


class _External(ServerThread):
    """A server somebody else started (``CLOUDLET_ENDPOINT``)."""

    def __init__(self, endpoint: str) -> None:
        super().__init__()
        self._endpoint = endpoint.rstrip("/")

    @property
    def endpoint(self) -> str:
        return self._endpoint


@pytest.fixture(scope="session")
def cloudlet() -> Iterator[ServerThread]:
    external = os.environ.get("CLOUDLET_ENDPOINT")
    if external:
        yield _External(external)
        return
    server = ServerThread().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cloudlet_endpoint(cloudlet: ServerThread) -> str:
    return cloudlet.endpoint


@pytest.fixture
def aws_client(cloudlet: ServerThread) -> Callable[..., Any]:
    def make(service: str, **kwargs: Any) -> Any:
        return client(service, cloudlet.endpoint, **kwargs)

    return make
